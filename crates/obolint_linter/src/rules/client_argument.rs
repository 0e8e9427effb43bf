//! The client argument of objects that take the caller's identity through a client
//! (`GenieAgent(client=)`, `VectorSearchRetrieverTool(workspace_client=)`, ...): shared by OBO201,
//! OBO202 and OBO203.

use obolint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label};
use obolint_python::semantic::{ModuleModel, Resolution, ScopeId, ScopeKind, Value};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextSize};

use super::RuleInfo;
use crate::dataflow::{ClientValue, Dataflow};
use crate::project::models::all_calls;
use crate::project::{FileIdx, Project, Symbol};

/// An object whose client argument decides whose identity it runs with.
pub struct Target {
    pub name: &'static str,
    pub keyword: &'static str,
    pub position: Option<usize>,
}

/// Reports, in a file of an OBO model, every call of a target that gets no user client on any
/// path: none at all, or one that is never a user client.
pub fn check_client_takers(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    rule: &RuleInfo,
    out: &mut Vec<Diagnostic>,
    target_of: impl Fn(Symbol) -> Option<Target>,
) {
    if !project.models.in_obo_model(file) {
        return;
    }
    let id = project.file(file).id;
    for (scope, call) in all_calls(project.model(file)) {
        let Some(Target {
            name,
            keyword,
            position,
        }) = target_of(dataflow.symbol(file, scope, &call.func))
        else {
            continue;
        };
        // A strategy given instead of a client is OBO103's finding: one mistake, one diagnostic.
        let misplaced_strategy = call.arguments.keywords.iter().any(|k| {
            k.arg.as_ref().is_some_and(|a| {
                matches!(a.as_str(), "credentials_strategy" | "credentials_provider")
            }) && matches!(
                dataflow.eval(file, scope, &k.value),
                ClientValue::Strategy { .. }
            )
        });
        if misplaced_strategy {
            continue;
        }
        match client_argument(project.model(file), scope, call, keyword, position) {
            ClientArgument::Given(value) => {
                let ClientValue::NotUser { origin } = dataflow.eval(file, scope, value) else {
                    continue;
                };
                let secondary = match origin {
                    Some(o) => Label::new(
                        project.file(o.file).id,
                        o.range,
                        "this client is built without `ModelServingUserCredentials()`",
                    ),
                    None => Label::new(id, value.range(), "never a user client"),
                };
                out.push(
                    Diagnostic::new(
                        rule.meta,
                        rule.severity,
                        format!("`{name}` gets a client without the caller's identity, so it runs as the deployer"),
                        Label::new(id, call.func.range(), "runs with the deployer's identity"),
                    )
                    .with_secondary(secondary)
                    .with_help(format!(
                        "pass a user client: `{keyword}=WorkspaceClient(credentials_strategy=ModelServingUserCredentials())` built in `predict()`"
                    )),
                );
            }
            ClientArgument::Missing => {
                let candidates = user_client_names(project, dataflow, file, scope, call.start());
                let (fix, help) = match candidates.as_slice() {
                    [only] => (
                        Some(add_client_fix(call, keyword, only)),
                        format!("pass the caller's client: `{keyword}={only}`"),
                    ),
                    _ => (
                        None,
                        format!(
                            "pass a user client built in `predict()`: `{keyword}=WorkspaceClient(credentials_strategy=ModelServingUserCredentials())`"
                        ),
                    ),
                };
                out.push(
                    Diagnostic::new(
                        rule.meta,
                        rule.severity,
                        format!("`{name}` gets no user client, so it runs as the deployer"),
                        Label::new(
                            id,
                            call.func.range(),
                            format!("no `{keyword}=`: every user sees the deployer's data"),
                        ),
                    )
                    .with_help(help)
                    .with_fix(fix),
                );
            }
            ClientArgument::Unknowable => {}
        }
    }
}

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
fn dict_entries<'a>(
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
            for store in s.item_stores.get(name).into_iter().flatten() {
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

/// Unsafe: pass `keyword=name` (it changes whose identity the object runs with).
pub fn add_client_fix(call: &ExprCall, keyword: &str, name: &str) -> Fix {
    let last_end = call
        .arguments
        .args
        .iter()
        .map(Ranged::end)
        .chain(call.arguments.keywords.iter().map(Ranged::end))
        .max();
    let edit = match last_end {
        Some(end) => Edit::insertion(end, format!(", {keyword}={name}")),
        None => Edit::insertion(
            call.arguments.start() + TextSize::new(1),
            format!("{keyword}={name}"),
        ),
    };
    Fix {
        message: format!("Pass `{keyword}={name}`"),
        applicability: Applicability::Unsafe,
        edits: vec![edit],
    }
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
