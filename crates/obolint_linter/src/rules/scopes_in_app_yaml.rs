//! OBO709 scopes-in-app-yaml.

use obolint_diagnostics::Label;
use obolint_macros::rule;

use crate::app_manifest::{APP_YAML_KEYS, AppYamlKind};
use crate::context::{Check, Grain, RuleContext};

/// Keys people write in `app.yaml` meaning to declare the app's user scopes.
pub(crate) const SCOPE_KEYS: &[&str] = &[
    "user_api_scopes",
    "oauth_scopes",
    "scopes",
    "user_authorization",
];

/// ## What it does
/// Reports a key of `app.yaml`/`app.yml` (or of a bundle app's inline `config:`) other than
/// `command` and `env`, in particular `user_api_scopes`, `oauth_scopes`, `scopes` or
/// `user_authorization`.
///
/// ## Why is this bad?
/// The Apps runtime reads only `command` and `env` from `app.yaml`; anything else is silently
/// ignored. Scopes written there are never declared: the app keeps its default scopes, the
/// `x-forwarded-access-token` header is not sent, and every call as the user fails.
///
/// ## Example
/// ```yaml
/// # app.yaml
/// command: ["python", "app.py"]
/// user_api_scopes: [sql]
/// ```
///
/// Use instead:
/// ```yaml
/// # databricks.yml
/// resources:
///   apps:
///     my_app:
///       source_code_path: ./app
///       user_api_scopes: [sql]
/// ```
///
/// ## References
/// - [Databricks Apps: the app.yaml runtime settings](https://docs.databricks.com/gcp/dev-tools/databricks-apps/app-runtime)
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO709",
    name = "scopes-in-app-yaml",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct ScopesInAppYaml;

impl Check for ScopesInAppYaml {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for manifest in ctx.app_manifests {
            let keys: Vec<(&(String, ruff_text_size::TextRange), &str)> =
                match manifest.manifest.kind {
                    AppYamlKind::AppYaml => manifest
                        .manifest
                        .keys
                        .iter()
                        .map(|k| (k, "`app.yaml`"))
                        .collect(),
                    _ => manifest
                        .manifest
                        .apps
                        .iter()
                        .flat_map(|a| a.config_keys.iter().map(|k| (k, "the app's `config:`")))
                        .collect(),
                };
            for ((key, range), place) in keys {
                if APP_YAML_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let scopes = SCOPE_KEYS.contains(&key.as_str());
                let message = if scopes {
                    format!(
                        "`{key}` in {place} is silently ignored: user API scopes are declared on the app resource"
                    )
                } else {
                    format!(
                        "`{key}` in {place} is silently ignored: the Apps runtime reads only `command` and `env`"
                    )
                };
                ctx.report(
                    ctx.diagnostic(message, Label::new(manifest.id, *range, "ignored by the Apps runtime"))
                        .with_help(if scopes {
                            "move it to `resources.apps.<key>.user_api_scopes` in `databricks.yml`"
                        } else {
                            "keep only `command` and `env` here; other app settings belong to the app resource in `databricks.yml`"
                        }),
                );
            }
        }
    }
}
