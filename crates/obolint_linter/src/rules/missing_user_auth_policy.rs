//! OBO303 missing-user-auth-policy.

use obolint_diagnostics::{Diagnostic, Label};

use super::logged::{file_start, is_obo_model, manifest_is_obo, mlmodels, user_client_label};
use crate::manifest::ProjectManifest;
use crate::project::Project;
use crate::project::declaration::Resolved;
use obolint_macros::rule;

/// ## What it does
/// Reports the log call of a model that acts on behalf of its users (its code builds a user
/// client, or it declares a user policy) when it passes neither `resources=` nor an
/// `auth_policy=` whose `user_auth_policy` lists API scopes; the same for its `MLmodel`.
///
/// ## Why is this bad?
/// Without a `UserAuthPolicy`, Model Serving gives the end user's token no scopes: every call the
/// agent makes as the user fails at request time with a permission error, long after the model
/// was logged, registered and deployed.
///
/// ## Example
/// ```python
/// mlflow.pyfunc.log_model(name="agent", python_model="agent.py")
/// ```
///
/// Use instead:
/// ```python
/// mlflow.pyfunc.log_model(
///     name="agent",
///     python_model="agent.py",
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["genie"])),
/// )
/// ```
///
/// ## Known problems
/// A declaration built at run time (read from a config file, passed in as a parameter) cannot be
/// read, so it is not reported; neither is a log call whose model file cannot be found.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO303",
    name = "missing-user-auth-policy",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct MissingUserAuthPolicy;

pub fn check(project: &Project<'_>, manifests: &[ProjectManifest], out: &mut Vec<Diagnostic>) {
    for call in &project.models.log_calls {
        let declaration = &call.declaration;
        if declaration.resources.is_some() || declaration.opaque_kwargs {
            continue;
        }
        let Some(entry) = call.entry else { continue };
        if !is_obo_model(project, entry) && !call.declares_user_policy {
            continue;
        }
        let what = match &declaration.auth_policy {
            None => "no `auth_policy=`",
            Some(keyword) => match &keyword.value {
                Resolved::Unknown => continue,
                Resolved::Known(policy) => match &policy.user {
                    None => "an `auth_policy=` without `user_auth_policy`",
                    Some(Resolved::Unknown) => continue,
                    Some(Resolved::Known(list)) if list.scopes.is_empty() => {
                        "a `UserAuthPolicy` with no API scopes"
                    }
                    Some(Resolved::Known(_)) => continue,
                },
            },
        };
        let mut diagnostic = Diagnostic::new(
            MissingUserAuthPolicy::INFO.meta,
            MissingUserAuthPolicy::INFO.severity,
            format!("this model acts as its users but is logged with {what}: the user's token gets no API scopes"),
            Label::new(project.file(call.file).id, call.callee, "declares no user scopes"),
        )
        .with_help("add `auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[...]))` with the scopes the code needs (`obolint scopes` lists them)");
        if let Some(label) = user_client_label(project, entry) {
            diagnostic = diagnostic.with_secondary(label);
        }
        out.push(diagnostic);
    }
    for manifest in mlmodels(manifests) {
        let m = &manifest.manifest;
        if m.resources.is_some() || !manifest_is_obo(project, manifest) {
            continue;
        }
        let (range, what) = match &m.auth_policy {
            None => (file_start(), "no `auth_policy:`"),
            Some(policy) => match &policy.user_scopes {
                Some(scopes) if !scopes.scopes.is_empty() || !scopes.valid => continue,
                Some(scopes) => (scopes.key, "empty `api_scopes`"),
                None => (policy.key, "no `user_auth_policy.api_scopes`"),
            },
        };
        let mut diagnostic = Diagnostic::new(
            MissingUserAuthPolicy::INFO.meta,
            MissingUserAuthPolicy::INFO.severity,
            format!("this model acts as its users but its `MLmodel` has {what}: the user's token gets no API scopes"),
            Label::new(manifest.id, range, "declares no user scopes"),
        )
        .with_help("log the model again with `auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[...]))`");
        if let Some(label) = manifest.entry.and_then(|e| user_client_label(project, e)) {
            diagnostic = diagnostic.with_secondary(label);
        }
        out.push(diagnostic);
    }
}
