//! OBO501 missing-obo-requirement.

use std::collections::BTreeSet;

use obolint_diagnostics::{Applicability, Fix, Label};

use crate::analysis::model_requirements::append_edit;
use crate::context::{Check, Grain, RuleContext};
use crate::project::FileIdx;
use crate::requirements::{distribution_for_module, provides};
use obolint_macros::rule;

/// ## What it does
/// Reports a model that acts on behalf of its users whose explicit requirements
/// (`pip_requirements=[...]` or `pip_requirements="requirements.txt"`) install no distribution
/// for a module its code imports: `databricks_ai_bridge`, `databricks.sdk`,
/// `databricks_langchain`, `databricks_openai`, `databricks_mcp`, `databricks.vector_search`,
/// `databricks.ai_search`. A requirement counts for what its wheel installs with it, and for
/// what those install in turn: `databricks-langchain` brings `databricks-openai`,
/// `databricks-mcp`, `databricks-ai-bridge`, `databricks-ai-search`, `databricks-sdk` and
/// `mlflow`.
///
/// ## Why is this bad?
/// With explicit requirements MLflow infers nothing: the serving container is built from that
/// list alone, and the agent fails to import at startup, after the deployment was approved.
///
/// ## Example
/// ```python
/// mlflow.pyfunc.log_model(python_model="agent.py", pip_requirements=["mlflow>=3.1"])
/// # agent.py: from databricks_ai_bridge import ModelServingUserCredentials
/// ```
///
/// Use instead:
/// ```python
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     pip_requirements=["mlflow>=3.1", "databricks-ai-bridge>=0.6.0"],
/// )
/// ```
///
/// ## Fix safety
/// The fix appends the distribution, unpinned. It is unsafe: which version to pin is the
/// author's choice.
///
/// ## Known problems
/// Requirement files that include others (`-r`), local paths and URLs may install anything: the
/// rule stays silent for them. What each distribution brings is read from today's wheels
/// (databricks-langchain 0.22.0, databricks-openai 0.18.0, databricks-ai-bridge 0.22.0,
/// databricks-mcp 0.9.2; the table and its sources are in `docs/scopes.md`) and applied to every
/// version: an old release that did not bring a dependency yet is still credited with it.
///
/// ## References
/// - [MLflow: model dependencies](https://mlflow.org/docs/latest/model/dependencies.html)
#[rule(
    code = "OBO501",
    name = "missing-obo-requirement",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct MissingOboRequirement;

impl Check for MissingOboRequirement {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, sets) = (ctx.project, ctx.requirement_sets);

        for set in sets.iter().filter(|s| s.explicit) {
            let provided = provides(&set.requirements.requirements);
            if provided.unknown || !set.requirements.includes.is_empty() {
                continue;
            }
            let Some(models) = &set.models else { continue };
            let mut needed: BTreeSet<&'static str> = BTreeSet::new();
            let mut concerned: Vec<FileIdx> = Vec::new();
            for &entry in models {
                if !ctx.models.obo_entries.contains(&entry) {
                    continue;
                }
                concerned.push(entry);
                for file in ctx.models.files_of(entry) {
                    for module in &project.summary(file).imported_modules {
                        if let Some(distribution) = distribution_for_module(module) {
                            needed.insert(distribution);
                        }
                    }
                }
            }
            for distribution in needed {
                if provided.contains(distribution) {
                    continue;
                }
                let fix = append_edit(set, distribution).map(|edit| Fix {
                    message: format!("Add `{distribution}`"),
                    applicability: Applicability::Unsafe,
                    file: None,
                    edits: vec![edit],
                });
                ctx.report(
                    ctx.diagnostic(format!(
                            "the code of {} imports `{distribution}` but its requirements do not install it: the served model fails at startup",
                            ctx.models_named(&concerned)
                        ),
                        Label::new(set.file, set.whole, format!("no `{distribution}`")),
                    )
                    .with_help(format!("add `{distribution}` to the model's requirements"))
                    .with_fix(fix),
                );
            }
        }
    }
}
