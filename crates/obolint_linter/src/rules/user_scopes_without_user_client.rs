//! OBO305 user-scopes-without-user-client.

use obolint_diagnostics::Label;

use super::shared::policy::mlmodels;
use crate::context::{Check, Grain, RuleContext};
use obolint_macros::rule;

/// ## What it does
/// Reports the `api_scopes` of a model that declares user scopes (in its log call or its
/// `MLmodel`) while its code, fully found, builds no user client and never uses
/// `ModelServingUserCredentials`.
///
/// ## Why is this bad?
/// Model Serving mints a downscoped token for every request that nothing uses: the agent runs
/// everything as the deployer while the policy suggests it acts as the user. Either the client
/// was forgotten (so users see the deployer's data), or the scopes are dead weight that widen
/// what a compromised agent could do.
///
/// ## Example
/// ```python
/// # agent.py builds only WorkspaceClient()
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["genie"])),
/// )
/// ```
///
/// Use instead:
/// ```python
/// # agent.py, inside predict():
/// w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
/// ```
///
/// ## Known problems
/// The model's code must be found (its log call's `python_model=` resolves). A user client built
/// in a library outside the project, or through a factory not listed in `user-client-factories`,
/// is invisible.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO305",
    name = "user-scopes-without-user-client",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct UserScopesWithoutUserClient;

const MESSAGE: &str = "user API scopes are declared but the model's code builds no user client: the user's token is never used";

impl Check for UserScopesWithoutUserClient {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, manifests) = (ctx.project, ctx.manifests);

        for call in &ctx.models.log_calls {
            let Some(entry) = call.entry else { continue };
            let Some(list) = call.declaration.user_scopes() else {
                continue;
            };
            if list.scopes.is_empty()
                || ctx.builds_user_client(entry)
                || ctx.unparsed_code(entry).is_some()
            {
                continue;
            }
            ctx.report(
                ctx.diagnostic(MESSAGE,
                    Label::new(project.file(list.file).id, list.list, "scopes nobody uses"),
                )
                .with_help("build `WorkspaceClient(credentials_strategy=ModelServingUserCredentials())` inside `predict()` and pass it to the tools, or drop the user policy"),
            );
        }
        for manifest in mlmodels(manifests) {
            let Some(entry) = manifest.entry else {
                continue;
            };
            let Some(scopes) = manifest
                .manifest
                .auth_policy
                .as_ref()
                .and_then(|p| p.user_scopes.as_ref())
            else {
                continue;
            };
            if scopes.scopes.is_empty()
                || ctx.builds_user_client(entry)
                || ctx.unparsed_code(entry).is_some()
            {
                continue;
            }
            ctx.report(
                ctx.diagnostic(MESSAGE,
                    Label::new(manifest.id, scopes.value, "scopes nobody uses"),
                )
                .with_help("build `WorkspaceClient(credentials_strategy=ModelServingUserCredentials())` inside `predict()`, or drop the user policy"),
            );
        }
    }
}
