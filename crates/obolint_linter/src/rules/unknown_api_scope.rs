//! OBO403 unknown-api-scope.

use obolint_diagnostics::render::docs_url;
use obolint_diagnostics::{Applicability, Fix, Label};

use crate::analysis::declared_lists::rename_edit;
use crate::context::{Check, Grain, RuleContext};
use crate::scope_table::ScopeLookup;
use obolint_macros::rule;

/// ## What it does
/// Reports a declared API scope that is not a name Model Serving knows: a typo, a made-up name,
/// a scope that only Databricks Apps accept (`catalog.tables:read`, `files`, `postgres`,
/// `sql:restricted-query`, `all-apis`...), or a name that is a user API scope nowhere (`mlflow`,
/// `jobs`, `jobs.jobs`, `catalog.volumes`, `vector-search.search`, a bare `workspace`). The
/// message says which.
///
/// ## Why is this bad?
/// An unknown scope grants nothing: the use it was meant for fails at request time, or the model
/// is rejected when it is deployed.
///
/// ## Example
/// ```python
/// UserAuthPolicy(api_scopes=["dashboards.geni"])
/// ```
///
/// Use instead:
/// ```python
/// UserAuthPolicy(api_scopes=["dashboards.genie"])
/// ```
///
/// ## Fix safety
/// The fix replaces the name with the closest known one, only when exactly one known name is
/// within two edits. Names that are accepted but missing from obolint's table can be added with
/// the `extra-scopes` setting.
///
/// ## Known problems
/// The names come from obolint's scope table, which describes the Databricks libraries and
/// documentation as listed in `docs/scopes.md` ("Sources": databricks-sdk 0.162.0, mlflow 3.18.0,
/// databricks-ai-bridge 0.22.0...). There is no `jobs` scope at all (databricks/appkit#515): a
/// user client cannot run jobs in Model Serving or in an App.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
/// - [Databricks REST API reference: each endpoint names its "API scopes" (Genie, for example)](https://docs.databricks.com/api/genie/v1/genie-list-conversations)
/// - [databricks/appkit#515: no jobs scope](https://github.com/databricks/appkit/issues/515)
#[rule(
    code = "OBO403",
    name = "unknown-api-scope",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "safe"
)]
pub struct UnknownApiScope;

impl Check for UnknownApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for list in ctx.declared_lists() {
            for scope in &list.scopes {
                let lookup = ctx.table.lookup(&scope.value);
                let message = match lookup {
                    ScopeLookup::Known(_) => continue,
                    ScopeLookup::AppsOnly => format!(
                        "`{}` is a Databricks Apps scope: Model Serving rejects it",
                        scope.value
                    ),
                    ScopeLookup::NotAScope => format!(
                        "`{}` is not a user API scope: neither Model Serving nor Databricks Apps accepts it",
                        scope.value
                    ),
                    ScopeLookup::Unknown => format!("`{}` is not a known API scope", scope.value),
                };
                // A name that is no scope anywhere is not a typo of a neighbour.
                let nearest = match lookup {
                    ScopeLookup::NotAScope => None,
                    _ => ctx.table.nearest_known(&scope.value),
                };
                let fix = nearest.map(|name| Fix {
                    message: format!("Replace with `{name}`"),
                    applicability: Applicability::Safe,
                    file: None,
                    edits: vec![rename_edit(scope, name)],
                });
                let help = match nearest {
                    Some(name) => format!("did you mean `{name}`?"),
                    None if lookup == ScopeLookup::NotAScope => {
                        "remove it: no scope lets a user client reach this API; call it with the deployer's identity (the system policy) instead"
                            .to_string()
                    }
                    None => format!(
                        "use a scope from the table at {}, or add an accepted name to `extra-scopes`",
                        docs_url("scopes.md")
                    ),
                };
                ctx.report(
                    ctx.diagnostic(
                        message,
                        Label::new(
                            scope.file,
                            scope.range,
                            match lookup {
                                ScopeLookup::AppsOnly => "Databricks Apps only",
                                ScopeLookup::NotAScope => "no such user scope",
                                _ => "unknown scope",
                            },
                        ),
                    )
                    .with_help(help)
                    .with_fix(fix),
                );
            }
        }
    }
}
