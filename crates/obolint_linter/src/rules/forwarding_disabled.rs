//! OBO711 forwarding-disabled.

use obolint_diagnostics::Label;
use obolint_macros::rule;

use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports `forward_user_access_token: false` on a Databricks App whose code reads the user's
/// forwarded token (`x-forwarded-access-token`).
///
/// ## Why is this bad?
/// With forwarding off the proxy does not send the user's token: the code that reads it gets
/// nothing, and falls back to the app's own identity or fails for every user.
///
/// ## Example
/// ```yaml
/// resources:
///   apps:
///     my_app:
///       source_code_path: ./app
///       user_api_scopes: [sql]
///       forward_user_access_token: false
/// ```
///
/// Use instead:
/// ```yaml
///       user_api_scopes: [sql]
/// ```
///
/// ## Known problems
/// The setting is in Private Preview and takes effect only after the app's compute is stopped
/// and started again.
///
/// ## References
/// - [Databricks CLI bundle schema: `forward_user_access_token`](https://github.com/databricks/cli/blob/main/bundle/schema/jsonschema.json)
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO711",
    name = "forwarding-disabled",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct ForwardingDisabled;

impl Check for ForwardingDisabled {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for (i, app) in ctx.apps.apps.iter().enumerate() {
            let Some((manifest, false, key)) = ctx.apps.forward(i, ctx.app_manifests) else {
                continue;
            };
            let scopes = ctx.app_scopes(i);
            let Some(read) = scopes.token_reads.first() else {
                continue;
            };
            ctx.report(
                ctx.diagnostic(
                    format!(
                        "app `{}` turns off forwarding of the user's token, but its code reads it",
                        app.name
                    ),
                    Label::new(manifest.id, key, "the token is not forwarded"),
                )
                .with_secondary(Label::new(
                    ctx.project.file(read.file).id,
                    read.range,
                    "always empty",
                ))
                .with_help("remove `forward_user_access_token: false` (then stop and start the app's compute)"),
            );
        }
    }
}
