//! OBO405 deprecated-scope-name.

use obolint_diagnostics::{Applicability, Diagnostic, Fix, Label};

use super::declared::{ScopeContext, rename_edit};
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

pub fn check(context: &ScopeContext<'_>, out: &mut Vec<Diagnostic>) {
    for list in &context.lists {
        for scope in &list.scopes {
            let ScopeLookup::Known(found) = context.table.lookup(&scope.value) else {
                continue;
            };
            if !found.deprecated {
                continue;
            }
            let Some(current) = context.table.current_name(&scope.value) else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    DeprecatedScopeName::INFO.meta,
                    DeprecatedScopeName::INFO.severity,
                    format!("`{}` is the old name of `{current}`", scope.value),
                    Label::new(scope.file, scope.range, "old name"),
                )
                .with_fix(Some(Fix {
                    message: format!("Rename to `{current}`"),
                    applicability: Applicability::Safe,
                    edits: vec![rename_edit(scope, current)],
                })),
            );
        }
    }
}
