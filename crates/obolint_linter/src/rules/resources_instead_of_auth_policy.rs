//! OBO301 resources-instead-of-auth-policy.

use obolint_diagnostics::{Diagnostic, Label};

use super::logged::{is_obo_model, manifest_is_obo, mlmodels, user_client_label};
use crate::manifest::ProjectManifest;
use crate::project::Project;
use obolint_macros::rule;

/// ## What it does
/// Reports a model that acts on behalf of its users (its code builds a user client, or it
/// declares a user policy) logged with `resources=` and no `auth_policy=`, and an `MLmodel` with
/// a top-level `resources:` block and no `auth_policy:` for such a model.
///
/// ## Why is this bad?
/// `resources=` declares what the agent reaches with the deployer's (system) credentials. It
/// gives the end user's token no API scopes at all: every call the agent makes as the user fails
/// at request time, or, where the code falls back to a plain client, silently runs as the
/// deployer.
///
/// ## Example
/// ```python
/// mlflow.pyfunc.log_model(
///     name="agent",
///     python_model="agent.py",
///     resources=[DatabricksServingEndpoint(endpoint_name="llm")],
/// )
/// ```
///
/// Use instead:
/// ```python
/// mlflow.pyfunc.log_model(
///     name="agent",
///     python_model="agent.py",
///     auth_policy=AuthPolicy(
///         system_auth_policy=SystemAuthPolicy(resources=[DatabricksServingEndpoint(endpoint_name="llm")]),
///         user_auth_policy=UserAuthPolicy(api_scopes=["model-serving"]),
///     ),
/// )
/// ```
///
/// ## Known problems
/// A log call whose model file cannot be found (a path built at run time) is not reported: the
/// analyzer cannot tell whether that model acts as its users.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
/// - [MLflow: `AuthPolicy`](https://mlflow.org/docs/latest/api_reference/python_api/mlflow.models.html)
#[rule(
    code = "OBO301",
    name = "resources-instead-of-auth-policy",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct ResourcesInsteadOfAuthPolicy;

const MESSAGE: &str = "this model acts as its users but is logged with `resources=` and no `auth_policy=`: the user's token gets no API scopes";
const HELP: &str = "declare `auth_policy=AuthPolicy(system_auth_policy=SystemAuthPolicy(resources=[...]), user_auth_policy=UserAuthPolicy(api_scopes=[...]))` instead";

pub fn check(project: &Project<'_>, manifests: &[ProjectManifest], out: &mut Vec<Diagnostic>) {
    for call in &project.models.log_calls {
        let declaration = &call.declaration;
        let Some(resources) = &declaration.resources else {
            continue;
        };
        if declaration.auth_policy.is_some() || declaration.opaque_kwargs {
            continue;
        }
        let Some(entry) = call.entry else { continue };
        if !is_obo_model(project, entry) {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            ResourcesInsteadOfAuthPolicy::INFO.meta,
            ResourcesInsteadOfAuthPolicy::INFO.severity,
            MESSAGE,
            Label::new(
                project.file(resources.file).id,
                resources.name,
                "system resources only: no user scopes",
            ),
        )
        .with_help(HELP);
        if let Some(label) = user_client_label(project, entry) {
            diagnostic = diagnostic.with_secondary(label);
        }
        out.push(diagnostic);
    }
    for manifest in mlmodels(manifests) {
        let (Some(resources), None) =
            (&manifest.manifest.resources, &manifest.manifest.auth_policy)
        else {
            continue;
        };
        if !manifest_is_obo(project, manifest) {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            ResourcesInsteadOfAuthPolicy::INFO.meta,
            ResourcesInsteadOfAuthPolicy::INFO.severity,
            "this model acts as its users but its `MLmodel` has `resources:` and no `auth_policy:`: the user's token gets no API scopes",
            Label::new(manifest.id, resources.key, "system resources only: no user scopes"),
        )
        .with_help("log the model again with `auth_policy=AuthPolicy(...)` instead of `resources=`");
        if let Some(label) = manifest.entry.and_then(|e| user_client_label(project, e)) {
            diagnostic = diagnostic.with_secondary(label);
        }
        out.push(diagnostic);
    }
}
