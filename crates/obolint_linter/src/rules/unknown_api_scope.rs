//! OBO403 unknown-api-scope.

use obolint_diagnostics::{Applicability, Diagnostic, Fix, Label};

use super::declared::{ScopeContext, rename_edit};
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

pub fn check(context: &ScopeContext<'_>, out: &mut Vec<Diagnostic>) {
    for list in &context.lists {
        for scope in &list.scopes {
            let message = match context.table.lookup(&scope.value) {
                ScopeLookup::Known(_) => continue,
                ScopeLookup::AppsOnly => format!(
                    "`{}` is a Databricks Apps scope: Model Serving rejects it",
                    scope.value
                ),
                ScopeLookup::Unknown => format!("`{}` is not a known API scope", scope.value),
            };
            let nearest = context.table.nearest_known(&scope.value);
            let fix = nearest.map(|name| Fix {
                message: format!("Replace with `{name}`"),
                applicability: Applicability::Safe,
                edits: vec![rename_edit(scope, name)],
            });
            let help = match nearest {
                Some(name) => format!("did you mean `{name}`?"),
                None => {
                    "use a scope from `docs/scopes.md`, or add an accepted name to `extra-scopes`"
                        .to_string()
                }
            };
            out.push(
                Diagnostic::new(
                    UnknownApiScope::INFO.meta,
                    UnknownApiScope::INFO.severity,
                    message,
                    Label::new(scope.file, scope.range, "unknown scope"),
                )
                .with_help(help)
                .with_fix(fix),
            );
        }
    }
}
