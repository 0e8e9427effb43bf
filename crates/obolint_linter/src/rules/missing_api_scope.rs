//! OBO401 missing-api-scope.

use obolint_diagnostics::{Applicability, Fix, Label};
use obolint_macros::rule;

use crate::analysis::declared_lists::append_edit;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports a model whose code uses the caller's client for something (a Genie space, a serving
/// endpoint, a vector search index, SQL, a managed MCP server...) that none of its declared
/// `api_scopes` allows: one diagnostic per missing scope family, naming the use that needs it.
/// Works on `log_model` declarations (pointing at the list a name resolves to) and on `MLmodel`
/// files.
///
/// ## Why is this bad?
/// Model Serving downscopes the caller's token to the declared scopes. A use without its scope
/// fails at request time with a permission error, for every user, after the model was deployed.
///
/// ## Example
/// ```python
/// # agent.py: GenieAgent("01ef", "Sales", client=user_client)
/// UserAuthPolicy(api_scopes=["serving.serving-endpoints"])
/// ```
///
/// Use instead:
/// ```python
/// UserAuthPolicy(api_scopes=["serving.serving-endpoints", "dashboards.genie"])
/// ```
///
/// ## Fix safety
/// The fix appends the scope in the naming style the list already uses (dotted when the list is
/// empty, or as `scope-style` says). It is unsafe: it grants the agent more of the user's
/// privileges, which deserves a human look.
///
/// ## Known problems
/// Only uses through a client the analyzer can follow are seen; a resource reached without the
/// user client is OBO201-OBO203's business, not this rule's. Which use needs which scope is the
/// table in `docs/scopes.md`, written for databricks-sdk 0.162.0, databricks-langchain 0.22.0,
/// databricks-openai 0.18.0, databricks-mcp 0.9.2 and mlflow 3.18.0 (its "Sources" section). A
/// client routed through AI Gateway (`use_ai_gateway=True`, a `base_url` under `/ai-gateway/`)
/// needs `ai-gateway` instead of a serving scope; a flag read at run time makes the use opaque.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO401",
    name = "missing-api-scope",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct MissingApiScope;

impl Check for MissingApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for list in ctx.declared_lists() {
            let Some(verdict) = ctx.verdict(list) else {
                continue;
            };
            for missing in verdict.missing {
                let name = &missing.name;
                let fix = append_edit(list, name).map(|edit| Fix {
                    message: format!("Add `{name}`"),
                    applicability: Applicability::Unsafe,
                    file: None,
                    edits: vec![edit],
                });
                let family_ids: Vec<&str> = missing.families.iter().map(|f| f.id()).collect();
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "no declared scope allows {} as the user: add `{name}`",
                            missing.first.what
                        ),
                        Label::new(list.file, list.list, format!("`{name}` is missing")),
                    )
                    .with_secondary(Label::new(
                        ctx.project.file(missing.first.file).id,
                        missing.first.range,
                        format!(
                            "needs `{name}` (scope {} `{}`)",
                            if family_ids.len() == 1 {
                                "family"
                            } else {
                                "families"
                            },
                            family_ids.join("`, `")
                        ),
                    ))
                    .with_help(
                        "declare every scope the code uses as the user; `obolint scopes` lists them",
                    )
                    .with_fix(fix),
                );
            }
        }
    }
}
