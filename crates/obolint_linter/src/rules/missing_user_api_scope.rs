//! OBO706 missing-user-api-scope.

use obolint_diagnostics::{Applicability, Fix, Label};
use obolint_macros::rule;

use super::shared::apps::{append_to, declared_app_lists};
use crate::analysis::app_scopes::app_verdict;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports a Databricks App whose code uses the user's client for something (a Genie space, SQL,
/// a serving endpoint, vector search, files, Lakebase...) that none of the app's
/// `user_api_scopes` allows: one diagnostic per missing scope, naming the use that needs it.
/// The scopes are read from the bundle (`databricks.yml` and the files it includes) that
/// declares the app, merged over its targets (`targets.<name>.resources.apps.<key>` overrides the
/// top-level list) with `${var.<name>}` substituted; when no bundle declares it, when its targets
/// disagree, or when a `${...}` cannot be resolved, they are unknown and nothing is reported.
///
/// ## Why is this bad?
/// The token the Apps proxy forwards is downscoped to the app's user API scopes. A call the
/// scopes do not cover fails for every user with `Provided OAuth token does not have required
/// scopes`, after the app was deployed.
///
/// ## Example
/// ```yaml
/// # app.py: w = WorkspaceClient(token=token, auth_type="pat"); w.genie.start_conversation(...)
/// resources:
///   apps:
///     my_app:
///       source_code_path: ./app
///       user_api_scopes:
///         - sql
/// ```
///
/// Use instead:
/// ```yaml
///       user_api_scopes:
///         - sql
///         - genie
/// ```
///
/// ## Fix safety
/// The fix appends the scope's short name to the list, written like its other items (in the
/// target that writes the list, when that is where it is). It is unsafe: it asks every user to
/// grant the app more of their privileges. No fix is offered when several targets write the same
/// list: editing one would leave the others behind.
///
/// ## Known problems
/// Only uses through a client the analyzer can follow are seen. A client built with
/// `ModelServingUserCredentials` is OBO703's finding: its uses are not checked here. Which use
/// needs which scope is the Apps table of `docs/apps.md`.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
/// - [Databricks CLI bundle schema: `user_api_scopes`](https://github.com/databricks/cli/blob/main/bundle/schema/jsonschema.json)
#[rule(
    code = "OBO706",
    name = "missing-user-api-scope",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct MissingUserApiScope;

impl Check for MissingUserApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for (i, app, bundle, list) in declared_app_lists(ctx) {
            let scopes = ctx.app_scopes(i);
            // An empty list while the code reads the header is OBO710's finding.
            if list.scopes.is_empty() && !scopes.token_reads.is_empty() {
                continue;
            }
            let declared: Vec<String> = list.scopes.iter().map(|s| s.value.clone()).collect();
            let verdict = app_verdict(ctx.app_table, &declared, &scopes);
            let text = &ctx.db.get(bundle).text;
            for (family, first) in verdict.missing {
                let name = ctx.app_table.short(family);
                let fix = append_to(text, &list, name).map(|edit| Fix {
                    message: format!("Add `{name}`"),
                    applicability: Applicability::Unsafe,
                    file: None,
                    edits: vec![edit],
                });
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "app `{}`: no user API scope allows {} as the user: add `{name}`",
                            app.name, first.what
                        ),
                        Label::new(bundle, list.list, format!("`{name}` is missing")),
                    )
                    .with_secondary(Label::new(
                        ctx.project.file(first.file).id,
                        first.range,
                        format!("needs `{name}`"),
                    ))
                    .with_help("declare every scope the app uses as its users; `obolint scopes` lists them")
                    .with_fix(fix),
                );
            }
        }
    }
}
