//! OBO713 app-scopes-miss-endpoint-scopes.

use std::collections::BTreeMap;

use obolint_diagnostics::{Applicability, Edit, Fix, Label};
use obolint_macros::rule;

use super::shared::apps::{append_to, declared_app_lists};
use crate::analysis::api_scopes::UseRef;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports a Databricks App that calls, as its user, a serving endpoint whose agent is logged in
/// the same repository with `UserAuthPolicy(api_scopes=[...])`, when the app's `user_api_scopes`
/// lack the Apps equivalent of one of the agent's scopes. The endpoint is linked to its agent
/// through the bundle (`resources.model_serving_endpoints.<key>.config.served_entities[].entity_name`)
/// and the log call's `registered_model_name=`.
///
/// ## Why is this bad?
/// The endpoint's on-behalf-of-user token is downscoped from the token the app sends, which holds
/// only the app's scopes. A scope the agent needs and the app does not have is missing in the
/// agent too: its tools fail for every user, although both the app and the agent look right on
/// their own.
///
/// ## Example
/// ```yaml
/// # the agent behind `sales-agent` is logged with UserAuthPolicy(api_scopes=["genie", "model-serving"])
/// resources:
///   apps:
///     chat:
///       source_code_path: ./chat
///       user_api_scopes: [model-serving]
/// ```
///
/// Use instead:
/// ```yaml
///       user_api_scopes: [model-serving, genie]
/// ```
///
/// ## Fix safety
/// The fix appends the missing names and is unsafe: it asks every user to grant the app more of
/// their privileges.
///
/// ## Known problems
/// Only endpoints named by a literal (`w.serving_endpoints.query(name="...")`) and declared in a
/// bundle of the repository, serving a model whose log call names it with a literal
/// `registered_model_name=`, are linked. A missing `model-serving` itself is OBO706's finding.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
/// - [Databricks: on-behalf-of-user authentication for agents](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO713",
    name = "app-scopes-miss-endpoint-scopes",
    severity = "warning",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct AppScopesMissEndpointScopes;

impl Check for AppScopesMissEndpointScopes {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for (i, app, bundle, list) in declared_app_lists(ctx) {
            let scopes = ctx.app_scopes(i);
            if scopes.endpoint_needs.is_empty() {
                continue;
            }
            let met: Vec<usize> = list
                .scopes
                .iter()
                .filter_map(|s| ctx.app_table.families_of_name(&s.value))
                .flatten()
                .collect();
            // Per endpoint: the first call, and the names it needs that the app lacks.
            let mut missing: BTreeMap<&str, (&UseRef, Vec<&str>)> = BTreeMap::new();
            for (family, (first, endpoint)) in &scopes.endpoint_needs {
                let name = ctx.app_table.short(*family);
                // A missing `model-serving` is OBO706's finding (the call itself needs it).
                if met.contains(family) || scopes.required.contains_key(family) {
                    continue;
                }
                missing
                    .entry(endpoint.as_str())
                    .or_insert_with(|| (first, Vec::new()))
                    .1
                    .push(name);
            }
            let text = &ctx.db.get(bundle).text;
            for (endpoint, (first, names)) in missing {
                let edits: Vec<Edit> = names
                    .iter()
                    .filter_map(|n| append_to(text, &list, n))
                    .collect();
                let fix = (edits.len() == names.len()).then(|| {
                    let mut content = String::new();
                    for edit in &edits {
                        content.push_str(&edit.content);
                    }
                    Fix {
                        message: format!("Add {}", quoted(&names)),
                        applicability: Applicability::Unsafe,
                        file: None,
                        edits: vec![Edit {
                            range: edits[0].range,
                            content,
                        }],
                    }
                });
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "app `{}` calls serving endpoint `{endpoint}` as its users, whose agent needs {} on their behalf; the app's `user_api_scopes` lack it, so the endpoint's token cannot have it",
                            app.name,
                            quoted(&names)
                        ),
                        Label::new(bundle, list.list, format!("add {}", quoted(&names))),
                    )
                    .with_secondary(Label::new(
                        ctx.project.file(first.file).id,
                        first.range,
                        format!("calls `{endpoint}` as the user"),
                    ))
                    .with_help("an endpoint's on-behalf-of-user token is downscoped from the app user's: declare in the app every scope the agent behind it uses")
                    .with_fix(fix),
                );
            }
        }
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
