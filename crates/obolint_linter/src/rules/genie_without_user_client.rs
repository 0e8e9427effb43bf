//! OBO201 genie-without-user-client.

use obolint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label};
use obolint_python::known::KnownSymbol;
use obolint_python::semantic::{ModuleModel, Resolution, ScopeId, ScopeKind};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextSize};

use crate::dataflow::{ClientValue, Dataflow};
use crate::project::models::all_calls;
use crate::project::{FileIdx, Project, Symbol};
use obolint_macros::rule;

/// ## What it does
/// In a model that acts on behalf of its users (its code builds a user client, or it is logged
/// with a `UserAuthPolicy`), reports `GenieAgent(...)` or `Genie(...)` given no user client on
/// any path: no `client=` (by keyword or position, nor in a `**` dict that may hold one), or a
/// client that is never a user client, such as a plain `WorkspaceClient()`.
///
/// ## Why is this bad?
/// Without a client, Genie builds its own `WorkspaceClient()` with the deployer's credentials.
/// Nothing fails: every user silently sees the deployer's data, which is exactly what
/// on-behalf-of-user authentication was meant to prevent.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     genie = GenieAgent(genie_space_id="01ef77", genie_agent_name="Costs")
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     genie = GenieAgent(genie_space_id="01ef77", genie_agent_name="Costs", client=w)
/// ```
///
/// ## Fix safety
/// The fix adds `client=<name>` when exactly one name bound before the call holds a user client.
/// It is unsafe: it changes whose identity Genie runs with, and the end user may lack access the
/// deployer had.
///
/// ## Known problems
/// A client the analyzer cannot follow (a parameter, a value from a library call) is given the
/// benefit of the doubt. Models without OBO intent use Genie with the deployer's identity on
/// purpose (automatic passthrough) and are not reported.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO201",
    name = "genie-without-user-client",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct GenieWithoutUserClient;

pub fn check(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    out: &mut Vec<Diagnostic>,
) {
    if !project.models.in_obo_model(file) {
        return;
    }
    let model = project.model(file);
    for (scope, call) in all_calls(model) {
        let (name, position) = match project.symbol(file, scope, &call.func) {
            Symbol::Known(KnownSymbol::GenieAgent) => ("GenieAgent", 5),
            Symbol::Known(KnownSymbol::Genie) => ("Genie", 1),
            _ => continue,
        };
        match client_argument(call, position) {
            ClientArgument::Given(value) => {
                if let ClientValue::NotUser { origin } = dataflow.eval(file, scope, value) {
                    let mut d = Diagnostic::new(
                        GenieWithoutUserClient::INFO.meta,
                        GenieWithoutUserClient::INFO.severity,
                        format!("`{name}` gets a client without the caller's identity, so it runs as the deployer"),
                        Label::new(project.file(file).id, call.func.range(), "runs with the deployer's identity"),
                    )
                    .with_help("pass a user client: `WorkspaceClient(credentials_strategy=ModelServingUserCredentials())` built in `predict()`");
                    d = match origin {
                        Some(o) => d.with_secondary(Label::new(
                            project.file(o.file).id,
                            o.range,
                            "this client is built without `ModelServingUserCredentials()`",
                        )),
                        None => d.with_secondary(Label::new(
                            project.file(file).id,
                            value.range(),
                            "never a user client",
                        )),
                    };
                    out.push(d);
                }
            }
            ClientArgument::Missing => {
                let candidates = user_client_names(project, dataflow, file, scope, call.start());
                let fix = match candidates.as_slice() {
                    [only] => Some(add_client_fix(call, only)),
                    _ => None,
                };
                let help = match candidates.as_slice() {
                    [only] => format!("pass the caller's client: `client={only}`"),
                    _ => "pass a user client built in `predict()`: `client=WorkspaceClient(credentials_strategy=ModelServingUserCredentials())`".to_string(),
                };
                out.push(
                    Diagnostic::new(
                        GenieWithoutUserClient::INFO.meta,
                        GenieWithoutUserClient::INFO.severity,
                        format!("`{name}` gets no user client, so it runs as the deployer"),
                        Label::new(
                            project.file(file).id,
                            call.func.range(),
                            "no `client=`: every user sees the deployer's data",
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

enum ClientArgument<'a> {
    Given(&'a Expr),
    Missing,
    /// `*args` or a `**` dict we cannot read: it may carry one.
    Unknowable,
}

fn client_argument(call: &ExprCall, position: usize) -> ClientArgument<'_> {
    if let Some(keyword) = call.arguments.find_keyword("client") {
        return ClientArgument::Given(&keyword.value);
    }
    let args = &call.arguments.args;
    if let Some(arg) = args.get(position)
        && !args[..=position].iter().any(Expr::is_starred_expr)
    {
        return ClientArgument::Given(arg);
    }
    if args.iter().any(Expr::is_starred_expr) {
        return ClientArgument::Unknowable;
    }
    for keyword in &call.arguments.keywords {
        if keyword.arg.is_some() {
            continue;
        }
        // `**{"space_id": ...}`: a literal dict shows its keys; anything else may hold `client`.
        let Expr::Dict(dict) = &keyword.value else {
            return ClientArgument::Unknowable;
        };
        for item in &dict.items {
            match &item.key {
                Some(Expr::StringLiteral(key)) if key.value.to_str() != "client" => {}
                Some(Expr::StringLiteral(_)) => return ClientArgument::Unknowable,
                _ => return ClientArgument::Unknowable,
            }
        }
    }
    ClientArgument::Missing
}

/// Names visible at `at` in `scope`, bound before it, that hold a user client on every path.
fn user_client_names(
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

fn add_client_fix(call: &ExprCall, name: &str) -> Fix {
    let last_end = call
        .arguments
        .args
        .iter()
        .map(Ranged::end)
        .chain(call.arguments.keywords.iter().map(Ranged::end))
        .max();
    let edit = match last_end {
        Some(end) => Edit::insertion(end, format!(", client={name}")),
        None => Edit::insertion(
            call.arguments.start() + TextSize::new(1),
            format!("client={name}"),
        ),
    };
    Fix {
        message: format!("Pass `client={name}`"),
        applicability: Applicability::Unsafe,
        edits: vec![edit],
    }
}
