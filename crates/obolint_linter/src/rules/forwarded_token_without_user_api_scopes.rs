//! OBO710 forwarded-token-without-user-api-scopes.

use obolint_diagnostics::{Applicability, Edit, Fix, Label};
use obolint_macros::rule;
use ruff_text_size::TextSize;

use super::scopes_in_app_yaml::SCOPE_KEYS;
use crate::app_manifest::BundleApp;
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
/// ## Fix safety
/// The fix writes the scopes the code needs into the bundle (a `user_api_scopes:` block under the
/// app's key, or the items of an empty list): it edits the YAML file, not the Python file the
/// finding points at. It is unsafe: it asks every user to grant the app some of their
/// privileges. There is no fix when the code needs no scope the analyzer knows, when the app
/// is written as a flow mapping (`my_app: {...}`), or when only targets declare the app and
/// more than one does (one list would not be enough).
///
/// ## Known problems
/// Silent when no bundle declares the app (the scopes may be set in the workspace; `--verbose`
/// says so), and when the scopes were written in `app.yaml` (OBO709 reports that). The
/// `user_api_scopes:` block to paste is also in the help and in `obolint scopes`.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO710",
    name = "forwarded-token-without-user-api-scopes",
    severity = "warning",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
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
                Some(_) if bundle_app.shared_list => {
                    format!("targets.<each target>.resources.apps.{}", bundle_app.key)
                }
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
                .with_help(help)
                .with_fix(declare(&ctx.db.get(manifest.id).text, bundle_app, &names).map(|edit| {
                    Fix {
                        message: format!(
                            "Declare `user_api_scopes: [{}]` in {}",
                            names.join(", "),
                            ctx.db.get(manifest.id).display_path
                        ),
                        applicability: Applicability::Unsafe,
                        file: Some(manifest.id),
                        edits: vec![edit],
                    }
                })),
            );
        }
    }
}

/// The edit that declares `names` as the app's user API scopes in its bundle `text`: the items
/// of an empty list (`user_api_scopes: []`, or the key with no value), or a new block under the
/// app's key, indented like the app's other keys. `None` when there is nothing to declare or no
/// place the analyzer is sure of.
fn declare(text: &str, app: &BundleApp, names: &[&str]) -> Option<Edit> {
    if names.is_empty() || app.shared_list {
        return None;
    }
    let flow = format!("[{}]", names.join(", "));
    match &app.scopes {
        // `user_api_scopes: []`
        Some(scopes) if scopes.valid && scopes.scopes.is_empty() => {
            if let Some(list) = app.flow_list {
                let written = text.get(usize::from(list.start())..usize::from(list.end()))?;
                let empty = written
                    .chars()
                    .all(|c| c == '[' || c == ']' || c.is_whitespace());
                return empty.then_some(Edit {
                    range: list,
                    content: flow,
                });
            }
            // `user_api_scopes:` and nothing else on the line (a comment may follow).
            let after = usize::from(scopes.key.end());
            let line_end = text[after..].find('\n').map_or(text.len(), |n| after + n);
            let rest = &text[after..line_end];
            let colon = rest.find(':')?;
            let value = rest[colon + 1..].split('#').next().unwrap_or("");
            if !rest[..colon].trim().is_empty() || !value.trim().is_empty() {
                return None;
            }
            let at = TextSize::new(u32::try_from(after + colon + 1).ok()?);
            Some(Edit::insertion(at, format!(" {flow}")))
        }
        Some(_) => None,
        None => {
            let (at, indent) = app.insert.as_ref()?;
            let mut block = format!("\n{indent}user_api_scopes:");
            for name in names {
                block.push_str(&format!("\n{indent}  - {name}"));
            }
            Some(Edit::insertion(*at, block))
        }
    }
}
