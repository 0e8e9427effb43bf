//! OBO403 unknown-api-scope.

use obolint_diagnostics::render::docs_url;
use obolint_diagnostics::{Applicability, Fix, Label};

use crate::analysis::declared_lists::rename_edit;
use crate::context::{Check, Grain, RuleContext};
use crate::scope_table::ScopeLookup;
use obolint_macros::rule;

/// ## What it does
/// Reports a declared API scope that is not a name Model Serving knows: a typo, a made-up name,
/// or a scope that only Databricks Apps accept (`catalog.tables:read`, `files`, `all-apis`...),
/// which the message says.
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
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
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
                let message = match ctx.table.lookup(&scope.value) {
                    ScopeLookup::Known(_) => continue,
                    ScopeLookup::AppsOnly => format!(
                        "`{}` is a Databricks Apps scope: Model Serving rejects it",
                        scope.value
                    ),
                    ScopeLookup::Unknown => format!("`{}` is not a known API scope", scope.value),
                };
                let nearest = ctx.table.nearest_known(&scope.value);
                let fix = nearest.map(|name| Fix {
                    message: format!("Replace with `{name}`"),
                    applicability: Applicability::Safe,
                    edits: vec![rename_edit(scope, name)],
                });
                let help = match nearest {
                    Some(name) => format!("did you mean `{name}`?"),
                    None => format!(
                        "use a scope from the table at {}, or add an accepted name to `extra-scopes`",
                        docs_url("scopes.md")
                    ),
                };
                ctx.report(
                    ctx.diagnostic(
                        message,
                        Label::new(scope.file, scope.range, "unknown scope"),
                    )
                    .with_help(help)
                    .with_fix(fix),
                );
            }
        }
    }
}
