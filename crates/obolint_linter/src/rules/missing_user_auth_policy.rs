//! OBO303 missing-user-auth-policy.

use obolint_diagnostics::{Applicability, Edit, Fix, Label};
use obolint_python::known::LogFlavor;

use super::shared::policy::{
    file_start, import_policy_classes, is_obo_model, manifest_is_obo, mlmodels, python_list,
    required_scope_names, user_client_label,
};
use crate::analysis::declaration::Resolved;
use crate::analysis::models::LogCall;
use crate::context::{Check, Grain, RuleContext};
use crate::project::FileIdx;
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
/// ## Fix safety
/// When the log call has no `auth_policy=` at all and takes one (`mlflow.pyfunc`, `Model.log`),
/// the fix adds `auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[...]))` with
/// the scopes the code requires, and the imports. It is unsafe: it grants the agent the user's
/// privileges for those APIs, and code the analyzer cannot see may need more.
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
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct MissingUserAuthPolicy;

impl Check for MissingUserAuthPolicy {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, manifests) = (ctx.project, ctx.manifests);

        for call in &ctx.models.log_calls {
            let declaration = &call.declaration;
            if declaration.resources.is_some() || declaration.opaque_kwargs {
                continue;
            }
            let Some(entry) = call.entry else { continue };
            if !is_obo_model(ctx, entry) && !call.declares_user_policy {
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
            let mut diagnostic = ctx.diagnostic(format!("this model acts as its users but is logged with {what}: the user's token gets no API scopes"),
                Label::new(project.file(call.file).id, call.callee, "declares no user scopes"),
            )
            .with_help("add `auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[...]))` with the scopes the code needs (`obolint scopes` lists them)");
            if let Some(label) = user_client_label(ctx, entry) {
                diagnostic = diagnostic.with_secondary(label);
            }
            if declaration.auth_policy.is_none() {
                diagnostic = diagnostic.with_fix(add_policy_fix(call, entry, ctx));
            }
            ctx.report(diagnostic);
        }
        for manifest in mlmodels(manifests) {
            let m = &manifest.manifest;
            if m.resources.is_some() || !manifest_is_obo(ctx, manifest) {
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
            let mut diagnostic = ctx.diagnostic(format!("this model acts as its users but its `MLmodel` has {what}: the user's token gets no API scopes"),
                Label::new(manifest.id, range, "declares no user scopes"),
            )
            .with_help("log the model again with `auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[...]))`");
            if let Some(label) = manifest.entry.and_then(|e| user_client_label(ctx, e)) {
                diagnostic = diagnostic.with_secondary(label);
            }
            ctx.report(diagnostic);
        }
    }
}

/// `, auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[...]))` after the last
/// argument, for flavors that take it.
fn add_policy_fix(call: &LogCall, entry: FileIdx, ctx: &RuleContext<'_, '_>) -> Option<Fix> {
    if !matches!(
        call.flavor,
        LogFlavor::Pyfunc | LogFlavor::PyfuncSave | LogFlavor::ModelLog
    ) {
        return None;
    }
    let at = call.last_argument_end?;
    let scopes = required_scope_names(ctx, entry)?;
    let (names, mut edits) = import_policy_classes(ctx, call, &["AuthPolicy", "UserAuthPolicy"])?;
    let [auth, user] = names.as_slice() else {
        return None;
    };
    edits.push(Edit::insertion(
        at,
        format!(
            ", auth_policy={auth}(user_auth_policy={user}(api_scopes={}))",
            python_list(&scopes)
        ),
    ));
    Some(Fix {
        message: format!("Add `auth_policy=` with {}", scopes.join(", ")),
        applicability: Applicability::Unsafe,
        file: None,
        edits,
    })
}
