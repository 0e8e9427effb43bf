//! OBO708 invalid-user-api-scope.

use obolint_diagnostics::{Applicability, Fix, Label, Severity};
use obolint_macros::rule;

use super::shared::apps::app_list;
use crate::analysis::declared_lists::rename_edit;
use crate::app_manifest::AppYamlKind;
use crate::app_scope_table::AppScopeLookup;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports an entry of a Databricks App's `user_api_scopes` that Apps rejects or that does not
/// exist: a scope every app user has anyway (`iam.current-user:read`,
/// `iam.access-control:read`), a Model Serving scope (`apps`, `apps.apps`, `unity-catalog`), a
/// name that is no user API scope (`jobs`, `jobs.jobs`, `mlflow`, `catalog.volumes`,
/// `workspace`, `all-apis`), or a typo. An **info** variant reports the older dotted names
/// (`dashboards.genie`, `files.files`, `serving.serving-endpoints`, `vectorsearch.*`) that Apps
/// still accepts.
///
/// ## Why is this bad?
/// A rejected scope fails the deployment (or the update of the app), and a scope that does not
/// exist grants nothing: the call that needed it fails for every user.
///
/// ## Example
/// ```yaml
/// user_api_scopes:
///   - iam.current-user:read
///   - jobs.jobs
///   - dashboards.genie
/// ```
///
/// Use instead:
/// ```yaml
/// user_api_scopes:
///   - genie
/// ```
///
/// ## Fix safety
/// Safe: a typo is replaced by the only accepted name within two edits, and a dotted name by
/// its short name (the same family, so the same grant).
///
/// ## Known problems
/// An admin may restrict the scopes apps can use (`allowed_apps_user_api_scopes`); obolint
/// cannot see that setting. Names Databricks adds later are unknown until the table learns
/// them: add them to config `extra-scopes`.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
/// - [databricks/appkit#515: the Apps scope picker](https://github.com/databricks/appkit/issues/515)
#[rule(
    code = "OBO708",
    name = "invalid-user-api-scope",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "safe"
)]
pub struct InvalidUserApiScope;

impl Check for InvalidUserApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for manifest in ctx.app_manifests {
            if manifest.manifest.kind == AppYamlKind::AppYaml {
                continue;
            }
            for app in &manifest.manifest.apps {
                let Some(list) = app_list(manifest.id, app) else {
                    continue;
                };
                for scope in &list.scopes {
                    let name = scope.value.as_str();
                    // `${var.scope}`: the bundle substitutes it; its value is checked nowhere.
                    if name.contains("${") {
                        continue;
                    }
                    let (message, fix_to, info) = match ctx.app_table.lookup(name) {
                        AppScopeLookup::Known(_) => continue,
                        AppScopeLookup::Alias { short, .. } => (
                            format!("`{name}` is an older name of `{short}`: write `{short}`"),
                            Some(short),
                            true,
                        ),
                        AppScopeLookup::AlwaysGranted => (
                            format!(
                                "`{name}` is always granted to app users, and the API rejects it when declared: remove it"
                            ),
                            None,
                            false,
                        ),
                        AppScopeLookup::ServingOnly => (
                            format!(
                                "`{name}` is a Model Serving scope that Databricks Apps rejects"
                            ),
                            None,
                            false,
                        ),
                        AppScopeLookup::NotAScope => (
                            format!("`{name}` is not a user API scope: no app user can grant it"),
                            None,
                            false,
                        ),
                        AppScopeLookup::Unknown => {
                            let nearest = ctx.app_table.nearest(name).map(str::to_string);
                            (
                                match &nearest {
                                    Some(n) => format!(
                                        "`{name}` is not a user API scope Databricks Apps knows; did you mean `{n}`?"
                                    ),
                                    None => format!(
                                        "`{name}` is not a user API scope Databricks Apps knows"
                                    ),
                                },
                                nearest,
                                false,
                            )
                        }
                    };
                    let fix = fix_to.map(|to| Fix {
                        message: format!("Replace with `{to}`"),
                        applicability: Applicability::Safe,
                        file: None,
                        edits: vec![rename_edit(scope, &to)],
                    });
                    let mut diagnostic = ctx
                        .diagnostic(message, Label::new(manifest.id, scope.range, "rejected or unknown"))
                        .with_help("Apps accept: sql, genie, model-serving, ai-gateway, vector-search, files, postgres, catalog.*:read, catalog.connections, mcp.*, workspace.workspace (see `docs/apps.md`); unknown new names go in config `extra-scopes`")
                        .with_fix(fix);
                    if info {
                        diagnostic.severity = Severity::Info;
                        diagnostic.primary = Label::new(manifest.id, scope.range, "older name");
                    }
                    ctx.report(diagnostic);
                }
            }
        }
    }
}
