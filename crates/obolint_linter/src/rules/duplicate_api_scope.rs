//! OBO404 duplicate-api-scope.

use obolint_diagnostics::{Applicability, Fix, Label};

use crate::analysis::declared_lists::{duplicates, remove_edit};
use crate::context::{Check, Grain, RuleContext};
use obolint_macros::rule;

/// ## What it does
/// Reports a scope declared twice in one list, or two names of the same single family
/// (`dashboards.genie` and `genie`): the later one.
///
/// ## Why is this bad?
/// The second name grants nothing the first does not: it is noise that hides what the policy
/// really allows, and a sign the list was edited without reading it.
///
/// ## Example
/// ```yaml
/// api_scopes:
/// - sql.warehouses
/// - sql.warehouses
/// ```
///
/// Use instead:
/// ```yaml
/// api_scopes:
/// - sql.warehouses
/// ```
///
/// ## Fix safety
/// The fix removes the later name; what the list allows does not change.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO404",
    name = "duplicate-api-scope",
    severity = "warning",
    default = true,
    fix = "sometimes",
    fix_safety = "safe"
)]
pub struct DuplicateApiScope;

impl Check for DuplicateApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for list in ctx.declared_lists() {
            let scopes = list.entry.map(|entry| ctx.model_scopes(entry));
            for (later, earlier) in duplicates(ctx.table, list, scopes.as_ref()) {
                let (b, a) = (&list.scopes[later], &list.scopes[earlier]);
                let message = if a.value == b.value {
                    format!("`{}` is declared twice", b.value)
                } else {
                    format!(
                        "`{}` adds nothing to `{}`, declared before it",
                        b.value, a.value
                    )
                };
                let fix = remove_edit(list, later).map(|edit| Fix {
                    message: format!("Remove the second `{}`", b.value),
                    applicability: Applicability::Safe,
                    file: None,
                    edits: vec![edit],
                });
                ctx.report(
                    ctx.diagnostic(message, Label::new(b.file, b.range, "duplicate"))
                        .with_secondary(Label::new(a.file, a.range, "first declared here"))
                        .with_fix(fix),
                );
            }
        }
    }
}
