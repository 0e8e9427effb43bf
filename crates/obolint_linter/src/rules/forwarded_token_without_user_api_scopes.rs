//! OBO710 forwarded-token-without-user-api-scopes.

use obolint_diagnostics::Label;
use obolint_macros::rule;

use super::scopes_in_app_yaml::SCOPE_KEYS;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports where a Databricks App's code reads the user's forwarded token
/// (`x-forwarded-access-token`) while the bundle that declares the app gives it no
/// `user_api_scopes` (or an empty list).
///
/// ## Why is this bad?
/// The Apps proxy sends the header only to apps with user API scopes. Without them the read
/// always finds nothing: the code falls back to the app's own identity, or fails for every user.
///
/// ## Example
/// ```yaml
/// resources:
///   apps:
///     my_app:
///       source_code_path: ./app
/// ```
///
/// Use instead:
/// ```yaml
/// resources:
///   apps:
///     my_app:
///       source_code_path: ./app
///       user_api_scopes:
///         - sql
/// ```
///
/// ## Known problems
/// Silent when no bundle declares the app (the scopes may be set in the workspace; `--verbose`
/// says so), and when the scopes were written in `app.yaml` (OBO709 reports that). The
/// `user_api_scopes:` block to paste is in the help and in `obolint scopes`: a fix edits only the
/// file it points at, here the Python file.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO710",
    name = "forwarded-token-without-user-api-scopes",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct ForwardedTokenWithoutUserApiScopes;

impl Check for ForwardedTokenWithoutUserApiScopes {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for (i, app) in ctx.apps.apps.iter().enumerate() {
            let Some((manifest, bundle_app)) = ctx.apps.config(i, ctx.app_manifests) else {
                continue;
            };
            let declared = bundle_app
                .scopes
                .as_ref()
                .is_some_and(|s| !s.valid || !s.scopes.is_empty());
            if declared {
                continue;
            }
            // Scopes written in `app.yaml` or the inline `config:` are OBO709's finding.
            let in_app_yaml = app
                .app_yaml
                .and_then(|m| ctx.app_manifests.get(m))
                .is_some_and(|m| {
                    m.manifest
                        .keys
                        .iter()
                        .any(|(k, _)| SCOPE_KEYS.contains(&k.as_str()))
                })
                || bundle_app
                    .config_keys
                    .iter()
                    .any(|(k, _)| SCOPE_KEYS.contains(&k.as_str()));
            if in_app_yaml {
                continue;
            }
            let scopes = ctx.app_scopes(i);
            let Some(read) = scopes.token_reads.first() else {
                continue;
            };
            let names: Vec<&str> = scopes
                .required
                .keys()
                .map(|f| ctx.app_table.short(*f))
                .collect();
            // Where the app is declared: a target's `resources` when only a target declares it.
            let under = match &bundle_app.target {
                Some(target) => format!("targets.{target}.resources.apps.{}", bundle_app.key),
                None => format!("resources.apps.{}", bundle_app.key),
            };
            let help = if names.is_empty() {
                format!(
                    "declare `user_api_scopes` under `{under}` in {}",
                    ctx.db.get(manifest.id).display_path
                )
            } else {
                format!(
                    "add `user_api_scopes: [{}]` under `{under}` in {}",
                    names.join(", "),
                    ctx.db.get(manifest.id).display_path
                )
            };
            ctx.report(
                ctx.diagnostic(
                    format!(
                        "app `{}` reads the user's forwarded token, but its bundle declares no `user_api_scopes`: the header is never sent",
                        app.name
                    ),
                    Label::new(ctx.project.file(read.file).id, read.range, "always empty without user API scopes"),
                )
                .with_secondary(Label::new(manifest.id, bundle_app.key_range, "declares no `user_api_scopes`"))
                .with_help(help),
            );
        }
    }
}
