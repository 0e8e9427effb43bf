//! `try` statements as OBO207 and OBO601 read them: which `try` bodies hold a point of the
//! code, whether a handler catches a permission error, and whether a body leaves (re-raises or
//! returns) instead of going on.

use obolint_python::semantic::statements::{child_bodies, flat_statements};
use obolint_python::semantic::{ModuleModel, NameMeaning, Resolution, ScopeId};
use ruff_python_ast::{ExceptHandler, Expr, Stmt, StmtTry};
use ruff_text_size::{Ranged, TextSize};

/// The `try` statements whose *body* holds `offset`, outermost first, in the innermost function
/// that holds it: a `try` around a `def` does not guard the function's body, which runs later.
/// A class body runs where it stands, so a `try` around it counts.
pub fn enclosing_tries(body: &[Stmt], offset: TextSize) -> Vec<&StmtTry> {
    let mut found = Vec::new();
    walk(body, offset, &mut found);
    found
}

fn walk<'a>(body: &'a [Stmt], offset: TextSize, found: &mut Vec<&'a StmtTry>) {
    let Some(stmt) = holding(body, offset) else {
        return;
    };
    match stmt {
        Stmt::FunctionDef(def) => {
            if holding(&def.body, offset).is_some() {
                found.clear();
                walk(&def.body, offset, found);
            }
        }
        Stmt::ClassDef(class) => walk(&class.body, offset, found),
        Stmt::Try(try_stmt) if holding(&try_stmt.body, offset).is_some() => {
            found.push(try_stmt);
            walk(&try_stmt.body, offset, found);
        }
        _ => {
            for child in child_bodies(stmt) {
                walk(child, offset, found);
            }
        }
    }
}

/// The statement of `body` that holds `offset`, found by bisection: a body's statements are in
/// source order and do not overlap (a module of many statements is asked once per call site).
fn holding(body: &[Stmt], offset: TextSize) -> Option<&Stmt> {
    let after = body.partition_point(|s| s.end() <= offset);
    body.get(after).filter(|s| s.range().contains(offset))
}

/// SDK errors that a permission problem raises or derives from (databricks-sdk
/// `databricks.sdk.errors`: `PermissionDenied` and `Unauthenticated` subclass `DatabricksError`).
const SDK_ERRORS: &[&str] = &["DatabricksError", "PermissionDenied", "Unauthenticated"];

/// The handler catches a permission error of the SDK: a bare `except`, `Exception`,
/// `BaseException`, or one of the SDK's error classes (alone or in a tuple).
pub fn catches_permission_error(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    handler: &ExceptHandler,
) -> bool {
    let ExceptHandler::ExceptHandler(handler) = handler;
    let Some(type_) = &handler.type_ else {
        return true;
    };
    let types: Vec<&Expr> = match type_.as_ref() {
        Expr::Tuple(tuple) => tuple.elts.iter().collect(),
        other => vec![other],
    };
    types.into_iter().any(|t| catches(model, scope, t))
}

fn catches(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr) -> bool {
    if let Expr::Name(name) = expr
        && matches!(name.id.as_str(), "Exception" | "BaseException")
        && matches!(
            model.resolve_name(scope, name.id.as_str()),
            Resolution::Unbound
        )
    {
        return true;
    }
    match model.meaning(scope, expr) {
        NameMeaning::Qualified(names) => names.iter().any(|n| {
            n.strip_prefix("databricks.sdk.errors.")
                .is_some_and(|rest| SDK_ERRORS.contains(&rest.rsplit('.').next().unwrap_or(rest)))
        }),
        _ => false,
    }
}

/// The body leaves on every path that reaches its end: its own statements (not nested ones)
/// hold a `raise` or a `return`. A conditional exit (`if strict: raise`) does not count.
pub fn exits(body: &[Stmt]) -> bool {
    body.iter()
        .any(|s| matches!(s, Stmt::Raise(_) | Stmt::Return(_)))
}

/// A `raise` anywhere in the body (nested `if`s included, nested `def`s not): the author chose to
/// fail on some path, which is what OBO207 asks for.
pub fn raises_somewhere(body: &[Stmt]) -> bool {
    flat_statements(body)
        .iter()
        .any(|s| matches!(s, Stmt::Raise(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::{SourceKind, parse_source};

    fn offset_of(source: &str, needle: &str) -> TextSize {
        TextSize::try_from(source.find(needle).expect("needle")).expect("small")
    }

    #[test]
    fn finds_the_try_bodies_around_a_point_in_its_own_function() {
        let source = "\
try:
    def f():
        try:
            a()
        except Exception:
            b()
    c()
except KeyError:
    d()
";
        let parsed = parse_source(source, SourceKind::Python);
        let body = parsed.body();
        assert_eq!(enclosing_tries(body, offset_of(source, "a()")).len(), 1);
        assert_eq!(enclosing_tries(body, offset_of(source, "b()")).len(), 0);
        assert_eq!(enclosing_tries(body, offset_of(source, "c()")).len(), 1);
        assert_eq!(enclosing_tries(body, offset_of(source, "d()")).len(), 0);
    }

    #[test]
    fn knows_which_handlers_catch_a_permission_error() {
        let source = "\
from databricks.sdk import errors
from databricks.sdk.errors import PermissionDenied, NotFound
try:
    pass
except:
    pass
except Exception:
    pass
except (KeyError, PermissionDenied):
    pass
except errors.DatabricksError:
    pass
except KeyError:
    pass
except NotFound:
    pass
";
        let parsed = parse_source(source, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), Vec::new());
        let Some(Stmt::Try(t)) = parsed.body().get(2) else {
            panic!("a try");
        };
        let caught: Vec<bool> = t
            .handlers
            .iter()
            .map(|h| catches_permission_error(&model, ModuleModel::MODULE_SCOPE, h))
            .collect();
        assert_eq!(caught, [true, true, true, true, false, false]);
    }
}
