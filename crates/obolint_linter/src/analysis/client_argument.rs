//! The client argument of objects that take the caller's identity through a client
//! (`GenieAgent(client=)`, `VectorSearchRetrieverTool(workspace_client=)`, ...), the user-client
//! names in scope at a call, and reading `**kwargs` dicts: shared by OBO201-OBO203, the client
//! uses and the log-call declarations.

use obolint_python::semantic::{ModuleModel, Resolution, ScopeId, ScopeKind, Value};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::TextSize;

use super::dataflow::Dataflow;
use crate::project::{FileIdx, Project};

pub enum ClientArgument<'a> {
    Given(&'a Expr),
    Missing,
    /// `*args` or a `**` dict we cannot read: it may carry one.
    Unknowable,
}

/// The client argument of `call`: by `keyword`, by `position`, or through a `**` dict whose
/// keys the analyzer can read (a literal, `dict(...)`, or a name bound to one and filled with
/// `d["key"] = value`). Anything else (`*args`, a dict built elsewhere) may carry it.
pub fn client_argument<'a>(
    model: &ModuleModel<'a>,
    scope: ScopeId,
    call: &'a ExprCall,
    keyword: &str,
    position: Option<usize>,
) -> ClientArgument<'a> {
    if let Some(found) = call.arguments.find_keyword(keyword) {
        return ClientArgument::Given(&found.value);
    }
    let args = &call.arguments.args;
    if let Some(position) = position
        && let Some(arg) = args.get(position)
        && !args[..=position].iter().any(Expr::is_starred_expr)
    {
        return ClientArgument::Given(arg);
    }
    if args.iter().any(Expr::is_starred_expr) {
        return ClientArgument::Unknowable;
    }
    for splat in call.arguments.keywords.iter().filter(|k| k.arg.is_none()) {
        let Some(entries) = dict_entries(model, scope, &splat.value) else {
            return ClientArgument::Unknowable;
        };
        if let Some((_, value)) = entries.iter().find(|(key, _)| *key == keyword) {
            return ClientArgument::Given(value);
        }
    }
    ClientArgument::Missing
}

/// The string keys of a dict and their values, when all of them can be read.
pub(crate) fn dict_entries<'a>(
    model: &ModuleModel<'a>,
    scope: ScopeId,
    expr: &'a Expr,
) -> Option<Vec<(&'a str, &'a Expr)>> {
    match expr {
        Expr::Dict(dict) => dict
            .items
            .iter()
            .map(|item| match &item.key {
                Some(Expr::StringLiteral(key)) => Some((key.value.to_str(), &item.value)),
                _ => None,
            })
            .collect(),
        Expr::Call(call) if is_builtin_dict_call(model, scope, call) => call
            .arguments
            .keywords
            .iter()
            .map(|k| k.arg.as_ref().map(|a| (a.as_str(), &k.value)))
            .collect(),
        Expr::Name(name) => {
            let name = name.id.as_str();
            let Resolution::Values(found, values) = model.resolve_name(scope, name) else {
                return None;
            };
            let mut entries = Vec::new();
            for value in values {
                let Value::Expr(e) = value else { return None };
                if matches!(e, Expr::Name(_)) {
                    return None;
                }
                entries.extend(dict_entries(model, found, e)?);
            }
            // Filled later: `d["client"] = w`; changed by a method: unknown.
            let s = model.scope(found);
            for store in s.item_stores(name) {
                entries.push((store.key?, store.value));
            }
            (!dict_mutated(s, name)).then_some(entries)
        }
        _ => None,
    }
}

/// Names visible at `at` in `scope`, bound before it, that hold a user client on every path.
pub fn user_client_names(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    at: TextSize,
) -> Vec<String> {
    let model: &ModuleModel<'_> = project.model(file);
    let mut names: Vec<String> = Vec::new();
    let mut current = Some(scope);
    let mut first = true;
    while let Some(id) = current {
        let s = model.scope(id);
        let visible = first || !matches!(s.kind, ScopeKind::Class(_));
        first = false;
        current = s.parent;
        if !visible {
            continue;
        }
        let mut candidates: Vec<&str> = s
            .bindings
            .iter()
            .filter(|(_, bindings)| bindings.iter().any(|b| b.range.end() <= at))
            .map(|(name, _)| *name)
            .collect();
        candidates.sort_unstable();
        for name in candidates {
            if names.iter().any(|n| n == name) {
                continue;
            }
            // Only the binding the call really sees counts (an inner scope may shadow it).
            if model.lookup_scope(scope, name) != Some(id) {
                continue;
            }
            if let Resolution::Values(..) = model.resolve_name(scope, name)
                && dataflow.eval_name(file, scope, name).is_definite_user()
            {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// `dict(key=value, ...)` with the builtin `dict` and keywords only.
pub(crate) fn is_builtin_dict_call(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    call: &ruff_python_ast::ExprCall,
) -> bool {
    matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "dict")
        && matches!(model.resolve_name(scope, "dict"), Resolution::Unbound)
        && call.arguments.args.is_empty()
}

/// The dict bound to `name` in `scope` is changed by a method (`d.update(...)`): its keys are
/// not known for sure.
pub(crate) fn dict_mutated(scope: &obolint_python::semantic::Scope<'_>, name: &str) -> bool {
    scope.calls.iter().any(|c| {
        matches!(c.func.as_ref(), Expr::Attribute(a)
            if matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == name)
            && matches!(a.attr.as_str(), "update" | "setdefault" | "__setitem__" | "pop" | "popitem" | "clear"))
    })
}
