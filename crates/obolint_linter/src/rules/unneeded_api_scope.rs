//! OBO402 unneeded-api-scope.

use obolint_diagnostics::{Applicability, Diagnostic, Fix, Label};

use super::declared::{ScopeContext, duplicates, remove_edit};
use super::user_scopes_without_user_client::builds_no_user_client;
use crate::project::Project;
use crate::project::scopes::families_of_name;
use obolint_macros::rule;

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

pub fn check(project: &Project<'_>, context: &ScopeContext<'_>, out: &mut Vec<Diagnostic>) {
    for list in &context.lists {
        let (Some(entry), Some(model)) = (list.entry, context.model(list)) else {
            continue;
        };
        if !model.is_fully_known() || builds_no_user_client(project, entry) {
            continue;
        }
        let duplicated: Vec<usize> = duplicates(context.table, list, Some(model))
            .into_iter()
            .map(|(later, _)| later)
            .collect();
        for (index, scope) in list.scopes.iter().enumerate() {
            if duplicated.contains(&index) {
                continue;
            }
            let Some(families) = families_of_name(context.table, &scope.value) else {
                continue;
            };
            if families.is_empty()
                || model.needs_any(&families)
                || families.iter().any(|f| model.reached_otherwise.contains(f))
                || (model.reaches_genie && context.table.is_tolerated_with_genie(&scope.value))
            {
                continue;
            }
            let fix = remove_edit(list, index).map(|edit| Fix {
                message: format!("Remove `{}`", scope.value),
                applicability: Applicability::Unsafe,
                edits: vec![edit],
            });
            out.push(
                Diagnostic::new(
                    UnneededApiScope::INFO.meta,
                    UnneededApiScope::INFO.severity,
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
