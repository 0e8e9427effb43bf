//! OBO302 resources-and-auth-policy.

use obolint_diagnostics::Label;
use obolint_python::known::LogFlavor;

use super::shared::policy::mlmodels;
use crate::context::{Check, Grain, RuleContext};
use obolint_macros::rule;

/// ## What it does
/// Reports a log call that passes both `resources=` and `auth_policy=`, and an `MLmodel` that
/// has both a top-level `resources:` and an `auth_policy:` key.
///
/// ## Why is this bad?
/// `mlflow.pyfunc.log_model` and `Model.log` raise `ValueError("Only one of resources, and
/// auth_policy can be specified.")` at log time. `save_model` and hand-edited `MLmodel` files
/// accept both, and then `auth_policy` silently wins: the `resources:` block is ignored.
///
/// ## Example
/// ```python
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     resources=[DatabricksGenieSpace(genie_space_id="01ef")],
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["dashboards.genie"])),
/// )
/// ```
///
/// Use instead:
/// ```python
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["dashboards.genie"])),
/// )
/// ```
///
/// ## References
/// - [MLflow: `log_model` `auth_policy`](https://mlflow.org/docs/latest/api_reference/python_api/mlflow.pyfunc.html)
#[rule(
    code = "OBO302",
    name = "resources-and-auth-policy",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct ResourcesAndAuthPolicy;

impl Check for ResourcesAndAuthPolicy {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, manifests) = (ctx.project, ctx.manifests);

        for call in &ctx.models.log_calls {
            let declaration = &call.declaration;
            let (Some(resources), Some(policy)) =
                (&declaration.resources, &declaration.auth_policy)
            else {
                continue;
            };
            // Forwarded parameters (`resources=resources, auth_policy=auth_policy` in a wrapper)
            // may be `None`: only values read for sure count. A list the analyzer cannot read
            // to the end (appends of run-time items) is still not `None`.
            let resources_given =
                resources.value.known().is_some() || declaration.resources_not_none;
            if !resources_given || policy.value.known().is_none() {
                continue;
            }
            let message = if call.flavor == LogFlavor::PyfuncSave {
                "`resources=` and `auth_policy=` together: `save_model` writes both and `auth_policy` silently wins, so `resources` is ignored"
            } else {
                "`resources=` and `auth_policy=` together: MLflow raises `ValueError` at log time (only one may be given)"
            };
            ctx.report(
                ctx.diagnostic(message,
                    Label::new(project.file(resources.file).id, resources.name, "remove this"),
                )
                .with_secondary(Label::new(
                    project.file(policy.file).id,
                    policy.name,
                    "system resources belong in `system_auth_policy=SystemAuthPolicy(resources=[...])`",
                ))
                .with_help("move the resources into `AuthPolicy(system_auth_policy=SystemAuthPolicy(resources=[...]))` and drop `resources=`"),
            );
        }
        for manifest in mlmodels(manifests) {
            let (Some(resources), Some(policy)) =
                (&manifest.manifest.resources, &manifest.manifest.auth_policy)
            else {
                continue;
            };
            ctx.report(
                ctx.diagnostic("this `MLmodel` has both `resources:` and `auth_policy:`: `auth_policy` silently wins and `resources` is ignored",
                    Label::new(manifest.id, resources.key, "ignored"),
                )
                .with_secondary(Label::new(manifest.id, policy.key, "this one is used")),
            );
        }
    }
}
