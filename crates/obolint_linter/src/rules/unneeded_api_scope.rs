//! OBO402 unneeded-api-scope.

use obolint_diagnostics::{Applicability, Fix, Label};
use obolint_macros::rule;

use crate::analysis::declared_lists::remove_edit;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports a declared, known API scope that no use of the caller's client in the model's code
/// needs. Silent when the model hands the user's client or token to code the analyzer cannot
/// follow, for the SQL scopes next to Genie (widely recommended, tolerated), and for a scope
/// whose resource the code reaches without the user client because of a mistake another rule
/// reports (fixing it makes the scope needed).
///
/// ## Why is this bad?
/// Every declared scope widens what the agent can do with each user's identity. A scope nothing
/// needs is privilege without purpose: if the agent is tricked (prompt injection), it is the
/// reach the attacker gets.
///
/// ## Example
/// ```python
/// # agent.py only queries Genie as the user
/// UserAuthPolicy(api_scopes=["dashboards.genie", "serving.serving-endpoints"])
/// ```
///
/// Use instead:
/// ```python
/// UserAuthPolicy(api_scopes=["dashboards.genie"])
/// ```
///
/// ## Fix safety
/// The fix removes the scope. It is unsafe: code the analyzer cannot see (a library the agent
/// calls with the client) may still need it.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO402",
    name = "unneeded-api-scope",
    severity = "warning",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct UnneededApiScope;

impl Check for UnneededApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for list in ctx.declared_lists() {
            let Some(verdict) = ctx.verdict(list) else {
                continue;
            };
            for index in verdict.unneeded {
                let scope = &list.scopes[index];
                let fix = remove_edit(list, index).map(|edit| Fix {
                    message: format!("Remove `{}`", scope.value),
                    applicability: Applicability::Unsafe,
                    file: None,
                    edits: vec![edit],
                });
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "`{}` is declared but nothing in the model's code uses it as the user",
                            scope.value
                        ),
                        Label::new(scope.file, scope.range, "not needed"),
                    )
                    .with_help("remove it: every scope widens what the agent can do as each user")
                    .with_fix(fix),
                );
            }
        }
    }
}
