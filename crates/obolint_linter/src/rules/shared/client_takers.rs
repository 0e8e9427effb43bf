//! OBO201-OBO203 share one check: an object that takes the caller's identity through a client
//! argument, called in an OBO model's code without a user client on any path.

use obolint_diagnostics::{Applicability, Edit, Fix, Label};
use ruff_python_ast::ExprCall;
use ruff_text_size::{Ranged, TextSize};

use crate::analysis::client_argument::{ClientArgument, client_argument, user_client_names};
use crate::analysis::dataflow::ClientValue;
use crate::clients::{self, IdentityKind};
use crate::context::FileContext;
use crate::project::{Symbol, all_calls};

/// Reports, in a file of an OBO model, every call of a client class the rule owns (the
/// catalogue's `rule`, taking a client) that gets no user client on any path: none at all, or
/// one that is never a user client.
pub fn check_client_takers(ctx: &FileContext<'_, '_>) {
    let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
    if !ctx.models.in_obo_model(file) {
        return;
    }
    let id = project.file(file).id;
    for (scope, call) in all_calls(project.model(file)) {
        // Only what the model runs while serving (the rule catalogue "Served code"): a
        // provisioning helper in an imported module is not the agent acting.
        if !ctx.time.served.contains(project, file, scope, call.range()) {
            continue;
        }
        let Symbol::Known(symbol) = dataflow.symbol(file, scope, &call.func) else {
            continue;
        };
        let Some(class) =
            clients::owned_by(symbol, ctx.code()).filter(|c| c.identity == IdentityKind::Client)
        else {
            continue;
        };
        let (name, keyword, position) = (
            class.class.as_str(),
            class.parameter.as_str(),
            class.position,
        );
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
                ctx.report(
                    ctx.diagnostic(
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
                ctx.report(
                    ctx.diagnostic(
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
        file: None,
        edits: vec![edit],
    }
}
