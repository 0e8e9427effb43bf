//! OBO502 requirement-too-old.

use obolint_diagnostics::Label;
use rustc_hash::FxHashMap;

use crate::analysis::model_requirements::{FeatureUse, manifest_features};
use crate::context::{Check, Grain, RuleContext};
use crate::project::FileIdx;
use crate::requirements::{Feature, Requirement, admits_feature};
use obolint_macros::rule;

/// ## What it does
/// Reports a requirement whose pinned versions all predate a feature the model uses, naming
/// every such feature: `auth_policy` (MLflow 2.22.1, Databricks' documented minimum),
/// `ResponsesAgent` (MLflow 2.22.0), `ModelServingUserCredentials` (databricks-ai-bridge 0.6.0,
/// or databricks-sdk 0.44.1), `ChatDatabricks(workspace_client=...)` (databricks-langchain
/// 0.7.0), and the `MLmodel` resource types `app` (MLflow 3.1.0), `lakebase` (3.4.0),
/// `uc_model_service` (3.17.0) and the `on_behalf_of_user` key (2.20.0), and
/// `mlflow.genai.agent_server` (MLflow 3.6.0, for an agent also served as a Databricks App). In an
/// `MLmodel`, the `mlflow_version` it was saved with is checked the same way.
///
/// ## Why is this bad?
/// The model installs a version without the feature: the import fails, the keyword is refused,
/// or the manifest key is ignored, in the serving container, after deployment.
///
/// ## Example
/// ```text
/// databricks-ai-bridge==0.5.1
/// ```
///
/// Use instead:
/// ```text
/// databricks-ai-bridge>=0.6.0
/// ```
///
/// ## Known problems
/// Environment markers are not evaluated: a requirement with a marker is taken to apply. The
/// minimum versions were found by comparing the published wheels (mlflow-skinny up to 3.18.0);
/// the table and its sources are in `docs/scopes.md`.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO502",
    name = "requirement-too-old",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct RequirementTooOld;

fn too_old(requirement: &Requirement, features: &[Feature]) -> Vec<Feature> {
    let Some(named) = requirement.named() else {
        return Vec::new();
    };
    let mut out: Vec<Feature> = Vec::new();
    for &feature in features {
        if admits_feature(named, feature) == Some(false) && !out.contains(&feature) {
            out.push(feature);
        }
    }
    out
}

fn message(requirement: &str, features: &[Feature]) -> String {
    let named: Vec<String> = features
        .iter()
        .map(|f| {
            let minimum = f.minimum();
            let version = match &minimum.minimum {
                crate::requirements::Minimum::AtLeast(v) => format!("{v} or later"),
                crate::requirements::Minimum::After(v) => format!("a release after {v}"),
            };
            format!("{} needs {version}", minimum.name)
        })
        .collect();
    format!(
        "`{requirement}` allows no version with what the model uses: {}",
        named.join("; ")
    )
}

impl Check for RequirementTooOld {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (sets, manifests) = (ctx.requirement_sets, ctx.manifests);

        let mut cache: FxHashMap<FileIdx, Vec<FeatureUse>> = FxHashMap::default();
        let mut features_for = |entries: &[FileIdx]| -> Vec<Feature> {
            let mut all = Vec::new();
            for entry in entries {
                let uses = cache
                    .entry(*entry)
                    .or_insert_with(|| ctx.model_features(*entry));
                all.extend(uses.iter().map(|u| u.feature));
            }
            all
        };
        let every_model: Vec<FileIdx> = ctx.models.entries.clone();
        for set in sets {
            let entries = set.models.as_deref().unwrap_or(&every_model);
            let features = features_for(entries);
            if features.is_empty() {
                continue;
            }
            for requirement in &set.requirements.requirements {
                let old = too_old(requirement, &features);
                if old.is_empty() {
                    continue;
                }
                // The models that use what this requirement is too old for.
                let concerned: Vec<FileIdx> = entries
                    .iter()
                    .copied()
                    .filter(|&e| features_for(&[e]).iter().any(|f| old.contains(f)))
                    .collect();
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "{} ({})",
                            message(&requirement.text, &old),
                            ctx.models_named(&concerned)
                        ),
                        Label::new(set.file, requirement.range, "too old"),
                    )
                    .with_help("raise the lower bound (or the pin) to a version that has it"),
                );
            }
        }
        for manifest in manifests {
            let Some((version, range)) = &manifest.manifest.mlflow_version else {
                continue;
            };
            let mut features: Vec<Feature> = manifest_features(manifest)
                .into_iter()
                .map(|(f, _)| f)
                .collect();
            if let Some(entry) = manifest.entry {
                features.extend(features_for(&[entry]));
            }
            let pinned = Requirement::parse(&format!("mlflow=={version}"), *range);
            let old = too_old(&pinned, &features);
            if old.is_empty() {
                continue;
            }
            ctx.report(
                ctx.diagnostic(
                    message(&format!("mlflow_version: {version}"), &old),
                    Label::new(manifest.id, *range, "saved with this MLflow"),
                )
                .with_help("log the model again with a newer MLflow"),
            );
        }
    }
}
