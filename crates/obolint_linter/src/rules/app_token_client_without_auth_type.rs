//! OBO701 app-token-client-without-auth-type.

use obolint_diagnostics::{Applicability, Edit, Fix, Label};
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use ruff_text_size::{Ranged, TextSize};

use crate::context::{Check, FileContext, Grain};
use crate::project::{Symbol, all_calls};

/// ## What it does
/// Reports, in a Databricks App, a `WorkspaceClient(...)` or `Config(...)` given the user's
/// forwarded token (`token=` read from the `x-forwarded-access-token` header) without
/// `auth_type=`.
///
/// ## Why is this bad?
/// The Apps runtime puts the app's own service principal in the environment
/// (`DATABRICKS_CLIENT_ID`, `DATABRICKS_CLIENT_SECRET`). With a token as well, the SDK sees two
/// ways to sign in and refuses to build the client: `ValueError: validate: more than one
/// authorization method configured: oauth and pat`. The app works on a laptop and fails once
/// deployed, for every user.
///
/// ## Example
/// ```python
/// from databricks.sdk import WorkspaceClient
/// from mlflow.genai.agent_server import get_request_headers
///
/// def get_user_workspace_client():
///     token = get_request_headers().get("x-forwarded-access-token")
///     return WorkspaceClient(token=token)
/// ```
///
/// Use instead:
/// ```python
/// def get_user_workspace_client():
///     token = get_request_headers().get("x-forwarded-access-token")
///     return WorkspaceClient(token=token, auth_type="pat")
/// ```
///
/// ## Fix safety
/// The fix adds `auth_type="pat"` and is safe: it picks the token the code already passes, so
/// the client runs as the same user it was meant to.
///
/// ## Known problems
/// A `**kwargs` dict may carry `auth_type`: such calls are not reported.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
/// - [databricks/appkit#8: the error from a deployed app](https://github.com/databricks/appkit/pull/8)
/// - [databricks/app-templates: `get_user_workspace_client`](https://github.com/databricks/app-templates)
#[rule(
    code = "OBO701",
    name = "app-token-client-without-auth-type",
    severity = "error",
    default = true,
    fix = "always",
    fix_safety = "safe"
)]
pub struct AppTokenClientWithoutAuthType;

impl Check for AppTokenClientWithoutAuthType {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
        if !ctx.is_app_code(file) {
            return;
        }
        let id = project.file(file).id;
        for (scope, call) in all_calls(project.model(file)) {
            let class = match dataflow.symbol(file, scope, &call.func) {
                Symbol::Known(KnownSymbol::WorkspaceClient) => "WorkspaceClient",
                Symbol::Known(KnownSymbol::Config) => "Config",
                _ => continue,
            };
            let Some(token) = call.arguments.find_keyword("token") else {
                continue;
            };
            if call.arguments.find_keyword("auth_type").is_some()
                || call.arguments.keywords.iter().any(|k| k.arg.is_none())
            {
                continue;
            }
            if !dataflow.eval(file, scope, &token.value).is_possible_token() {
                continue;
            }
            let end = call
                .arguments
                .args
                .iter()
                .map(Ranged::end)
                .chain(call.arguments.keywords.iter().map(Ranged::end))
                .max()
                .unwrap_or(call.arguments.start() + TextSize::new(1));
            ctx.report(
                ctx.diagnostic(
                    format!(
                        "`{class}` gets the user's forwarded token but no `auth_type`: with the app's own credentials in the environment the SDK raises \"more than one authorization method configured\""
                    ),
                    Label::new(id, call.func.range(), "no `auth_type=\"pat\"`"),
                )
                .with_secondary(Label::new(id, token.range(), "the user's forwarded token"))
                .with_help("add `auth_type=\"pat\"` so the SDK uses the token and ignores the app's service principal")
                .with_fix(Some(Fix {
                    message: "Add `auth_type=\"pat\"`".into(),
                    applicability: Applicability::Safe,
                    file: None,
                    edits: vec![Edit::insertion(end, ", auth_type=\"pat\"")],
                })),
            );
        }
    }
}
