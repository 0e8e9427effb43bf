//! OBO306 invalid-resources-block.

use obolint_diagnostics::Label;

use crate::context::{Check, Grain, RuleContext};
use obolint_macros::rule;

/// ## What it does
/// Reports what MLflow cannot read in an `MLmodel` or `resources.yaml` resources block: an
/// `api_version` other than the string `'1'`, a target other than `databricks`, a resource type
/// key MLflow does not know, an entry without `name`, keys MLflow never writes for a resource;
/// and `api_scopes` that is not a list of strings.
///
/// ## Why is this bad?
/// MLflow's `_ResourceBuilder.from_dict` raises (`Unsupported API version`, `Unsupported target
/// URI`, `Unsupported resource type`, `KeyError: 'name'`) when the model is registered or
/// served: the deployment fails, or the resource silently gets no credentials.
///
/// ## Example
/// ```yaml
/// resources:
///   api_version: 1
///   databricks:
///     genie_spaces:
///     - name: 01ef
/// ```
///
/// Use instead:
/// ```yaml
/// resources:
///   api_version: '1'
///   databricks:
///     genie_space:
///     - name: 01ef
/// ```
///
/// ## References
/// - [MLflow: `mlflow.models.resources`](https://mlflow.org/docs/latest/api_reference/python_api/mlflow.models.html)
#[rule(
    code = "OBO306",
    name = "invalid-resources-block",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct InvalidResourcesBlock;

impl Check for InvalidResourcesBlock {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let manifests = ctx.manifests;

        for manifest in manifests {
            for invalid in &manifest.manifest.invalid {
                ctx.report(ctx.diagnostic(
                    invalid.message.clone(),
                    Label::new(manifest.id, invalid.range, "MLflow cannot read this"),
                ));
            }
        }
    }
}
