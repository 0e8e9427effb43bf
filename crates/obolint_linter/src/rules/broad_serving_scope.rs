//! OBO406 broad-serving-scope.

use obolint_diagnostics::Label;

use crate::analysis::api_scopes::families_of_name;
use crate::context::{Check, Grain, RuleContext};
use crate::scope_table::ScopeFamily;
use obolint_macros::rule;

/// ## What it does
/// Reports a declared serving scope (`serving.serving-endpoints`, `model-serving`). Opt-in.
///
/// ## Why is this bad?
/// The serving scope lets the agent query any endpoint the user can, and that endpoint may be
/// another agent that uses scopes this one was never granted: the user's identity travels
/// further than the policy shows.
///
/// ## Example
/// ```python
/// UserAuthPolicy(api_scopes=["model-serving"])
/// ```
///
/// Use instead:
/// ```python
/// # Query the LLM endpoint with the system policy, not as the user:
/// SystemAuthPolicy(resources=[DatabricksServingEndpoint(endpoint_name="llm")])
/// ```
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO406",
    name = "broad-serving-scope",
    severity = "info",
    default = false,
    fix = "none"
)]
pub struct BroadServingScope;

impl Check for BroadServingScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for list in ctx.declared_lists() {
            for scope in &list.scopes {
                if families_of_name(ctx.table, &scope.value)
                    .is_some_and(|f| f.contains(&ScopeFamily::Serving))
                {
                    ctx.report(
                        ctx.diagnostic(format!(
                                "`{}` lets the agent call any endpoint the user can, with the user's identity",
                                scope.value
                            ),
                            Label::new(scope.file, scope.range, "broad"),
                        )
                        .with_help("reach the LLM endpoint through the system policy when it need not run as the user"),
                    );
                }
            }
        }
    }
}
