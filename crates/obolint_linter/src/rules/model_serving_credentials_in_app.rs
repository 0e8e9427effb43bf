//! OBO703 model-serving-credentials-in-app.

use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use obolint_python::semantic::ScopeId;
use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextRange};

use crate::analysis::dataflow::Dataflow;
use crate::context::{Check, FileContext, Grain};
use crate::project::{FileIdx, Project, Symbol, all_calls};

/// ## What it does
/// Reports `ModelServingUserCredentials()` or `CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS`
/// in the code of a Databricks App that belongs to no logged model.
///
/// ## Why is this bad?
/// The strategy reads the caller's identity only inside Model Serving. Anywhere else it falls
/// back to the SDK's default credentials, and in an app those are the app's own service
/// principal: every user silently gets the service principal's data, and nothing fails.
///
/// ## Example
/// ```python
/// from databricks.sdk import WorkspaceClient
/// from databricks_ai_bridge import ModelServingUserCredentials
///
/// @invoke()
/// async def invoke_handler(request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
/// ```
///
/// Use instead:
/// ```python
/// from mlflow.genai.agent_server import get_request_headers
///
/// @invoke()
/// async def invoke_handler(request):
///     token = get_request_headers().get("x-forwarded-access-token")
///     w = WorkspaceClient(token=token, auth_type="pat")
/// ```
///
/// ## Known problems
/// A function that builds an app user client on another branch (a factory meant to run both
/// in Model Serving and in an app) is not reported. A client built with the strategy is not
/// checked against `user_api_scopes` (OBO706) until this is fixed.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
/// - [databricks/app-templates: `agent-migration-from-model-serving`](https://github.com/databricks/app-templates)
#[rule(
    code = "OBO703",
    name = "model-serving-credentials-in-app",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct ModelServingCredentialsInApp;

impl Check for ModelServingCredentialsInApp {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
        if !ctx.is_app_code(file) || !ctx.models.mentions_strategy[file.0 as usize] {
            return;
        }
        let id = project.file(file).id;
        let model = project.model(file);
        let mut found: Vec<(ScopeId, TextRange)> = Vec::new();
        for (scope, call) in all_calls(model) {
            if dataflow.symbol(file, scope, &call.func)
                == Symbol::Known(KnownSymbol::ModelServingUserCredentials)
            {
                found.push((scope, call.range()));
            }
            for value in call
                .arguments
                .args
                .iter()
                .chain(call.arguments.keywords.iter().map(|k| &k.value))
            {
                if matches!(value, Expr::Attribute(_))
                    && dataflow.symbol(file, scope, value)
                        == Symbol::Known(KnownSymbol::ModelServingUserCredentialsEnum)
                {
                    found.push((scope, value.range()));
                }
            }
        }
        for (scope, range) in found {
            if builds_app_user_client(project, dataflow, file, scope) {
                continue;
            }
            ctx.report(
                ctx.diagnostic(
                    "`ModelServingUserCredentials` in a Databricks App: outside Model Serving it falls back to the app's service principal, for every user",
                    Label::new(id, range, "the app's service principal, not the user"),
                )
                .with_help("read the `x-forwarded-access-token` header and build `WorkspaceClient(token=..., auth_type=\"pat\")`"),
            );
        }
    }
}

/// The function (or module) body `scope` also builds an app user client: a client given the
/// forwarded token.
fn builds_app_user_client(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
) -> bool {
    project.model(file).scope(scope).calls.iter().any(|call| {
        ["token", "access_token", "personal_access_token"]
            .iter()
            .filter_map(|k| call.arguments.find_keyword(k))
            .any(|k| dataflow.eval(file, scope, &k.value).is_possible_token())
            && dataflow
                .construction(file, scope, call)
                .is_some_and(|v| v.is_possible_user())
    })
}
