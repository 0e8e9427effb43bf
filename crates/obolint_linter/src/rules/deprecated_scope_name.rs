//! OBO405 deprecated-scope-name.

use obolint_diagnostics::{Applicability, Fix, Label};

use crate::analysis::declared_lists::rename_edit;
use crate::context::{Check, Grain, RuleContext};
use crate::scope_table::ScopeLookup;
use obolint_macros::rule;

/// ## What it does
/// Reports a dotted scope name (`dashboards.genie`, `serving.serving-endpoints`) whose family
/// has a current short name (`genie`, `model-serving`). Opt-in.
///
/// ## Why is this bad?
/// Databricks' current documentation and tools use the short names; the dotted ones still work
/// but are on their way out, and mixing both styles makes policies harder to read.
///
/// ## Example
/// ```python
/// UserAuthPolicy(api_scopes=["dashboards.genie"])
/// ```
///
/// Use instead:
/// ```python
/// UserAuthPolicy(api_scopes=["genie"])
/// ```
///
/// ## Fix safety
/// The fix renames the scope to the current name of the same family.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO405",
    name = "deprecated-scope-name",
    severity = "info",
    default = false,
    fix = "always",
    fix_safety = "safe"
)]
pub struct DeprecatedScopeName;

impl Check for DeprecatedScopeName {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for list in ctx.declared_lists() {
            for scope in &list.scopes {
                let ScopeLookup::Known(found) = ctx.table.lookup(&scope.value) else {
                    continue;
                };
                if !found.deprecated {
                    continue;
                }
                let Some(current) = ctx.table.current_name(&scope.value) else {
                    continue;
                };
                ctx.report(
                    ctx.diagnostic(
                        format!("`{}` is the old name of `{current}`", scope.value),
                        Label::new(scope.file, scope.range, "old name"),
                    )
                    .with_fix(Some(Fix {
                        message: format!("Rename to `{current}`"),
                        applicability: Applicability::Safe,
                        file: None,
                        edits: vec![rename_edit(scope, current)],
                    })),
                );
            }
        }
    }
}
