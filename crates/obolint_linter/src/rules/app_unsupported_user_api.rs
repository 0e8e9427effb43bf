//! OBO707 app-unsupported-user-api.

use obolint_diagnostics::Label;
use obolint_macros::rule;

use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports, in a Databricks App, a use of the user's client (built from the forwarded
/// `x-forwarded-access-token`) for an API no user API scope of Apps grants: `w.jobs`, `w.apps`,
/// MLflow's REST API (`w.experiments`), `w.clusters`.
///
/// ## Why is this bad?
/// No scope the app can declare covers these APIs, so the call fails for every user with
/// `Provided OAuth token does not have required scopes`, whatever the bundle declares.
///
/// ## Example
/// ```python
/// w = WorkspaceClient(token=token, auth_type="pat")
/// w.jobs.run_now(job_id=123)
/// ```
///
/// Use instead:
/// ```python
/// app_client = WorkspaceClient()  # the app's own service principal, granted on the job
/// app_client.jobs.run_now(job_id=123)
/// ```
///
/// ## Known problems
/// Only uses through a client the analyzer can follow are seen.
///
/// ## References
/// - [databricks/appkit#265: "required scopes: jobs"](https://github.com/databricks/appkit/pull/265)
/// - [databricks/appkit#515: the Apps scope picker](https://github.com/databricks/appkit/issues/515)
#[rule(
    code = "OBO707",
    name = "app-unsupported-user-api",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct AppUnsupportedUserApi;

impl Check for AppUnsupportedUserApi {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for (i, app) in ctx.apps.apps.iter().enumerate() {
            if app.files.is_empty() {
                continue;
            }
            let scopes = ctx.app_scopes(i);
            for (use_, what) in &scopes.unsupported {
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "{} reaches {what} as the app's user, and no user API scope of Databricks Apps grants it",
                            use_.what
                        ),
                        Label::new(ctx.project.file(use_.file).id, use_.range, "fails for every user"),
                    )
                    .with_help("use the app's own identity (`WorkspaceClient()`, granted on the resource) for it"),
                );
            }
        }
    }
}
