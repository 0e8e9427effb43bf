//! OBO301 resources-instead-of-auth-policy.

use obolint_diagnostics::{Applicability, Edit, Fix, Label};
use ruff_text_size::TextRange;

use super::shared::policy::{
    import_policy_classes, is_obo_model, manifest_is_obo, mlmodels, python_list,
    required_scope_names, user_client_label,
};
use super::user_resource_in_system_policy::only_as_user;
use crate::analysis::declaration::{Keyword, Resolved, Resource, Resources};
use crate::analysis::models::LogCall;
use crate::context::{Check, Grain, RuleContext};
use crate::project::FileIdx;
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
/// ## Fix safety
/// The fix rewrites `resources=[...]` into `auth_policy=AuthPolicy(system_auth_policy=
/// SystemAuthPolicy(resources=[...]), user_auth_policy=UserAuthPolicy(api_scopes=[...]))`: the same
/// resources minus those the code reaches only as the user, and the scopes the code requires,
/// with the imports. It is unsafe: it changes which identity reaches each resource, and code the
/// analyzer cannot see may need more scopes.
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
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct ResourcesInsteadOfAuthPolicy;

const MESSAGE: &str = "this model acts as its users but is logged with `resources=` and no `auth_policy=`: the user's token gets no API scopes";
const HELP: &str = "declare `auth_policy=AuthPolicy(system_auth_policy=SystemAuthPolicy(resources=[...]), user_auth_policy=UserAuthPolicy(api_scopes=[...]))` instead";

impl Check for ResourcesInsteadOfAuthPolicy {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, manifests) = (ctx.project, ctx.manifests);

        for call in &ctx.models.log_calls {
            let declaration = &call.declaration;
            let Some(resources) = &declaration.resources else {
                continue;
            };
            if declaration.auth_policy.is_some() || declaration.opaque_kwargs {
                continue;
            }
            let Some(entry) = call.entry else { continue };
            if !is_obo_model(ctx, entry) {
                continue;
            }
            let mut diagnostic = ctx
                .diagnostic(
                    MESSAGE,
                    Label::new(
                        project.file(resources.file).id,
                        resources.name,
                        "system resources only: no user scopes",
                    ),
                )
                .with_help(HELP);
            if let Some(label) = user_client_label(ctx, entry) {
                diagnostic = diagnostic.with_secondary(label);
            }
            diagnostic = diagnostic.with_fix(rewrite_fix(call, resources, entry, ctx));
            ctx.report(diagnostic);
        }
        for manifest in mlmodels(manifests) {
            let (Some(resources), None) =
                (&manifest.manifest.resources, &manifest.manifest.auth_policy)
            else {
                continue;
            };
            if !manifest_is_obo(ctx, manifest) {
                continue;
            }
            let mut diagnostic = ctx.diagnostic("this model acts as its users but its `MLmodel` has `resources:` and no `auth_policy:`: the user's token gets no API scopes",
                Label::new(manifest.id, resources.key, "system resources only: no user scopes"),
            )
            .with_help("log the model again with `auth_policy=AuthPolicy(...)` instead of `resources=`");
            if let Some(label) = manifest.entry.and_then(|e| user_client_label(ctx, e)) {
                diagnostic = diagnostic.with_secondary(label);
            }
            ctx.report(diagnostic);
        }
    }
}

/// `resources=[...]` → `auth_policy=AuthPolicy(...)`, in the keyword's own file.
fn rewrite_fix(
    call: &LogCall,
    resources: &Keyword<Resources>,
    entry: FileIdx,
    ctx: &RuleContext<'_, '_>,
) -> Option<Fix> {
    if resources.file != call.file {
        return None;
    }
    let Resolved::Known(Resources::List(items)) = &resources.value else {
        return None;
    };
    let scopes = required_scope_names(ctx, entry)?;
    let text = ctx.text(call.file);
    // A keyword argument, not a key of a `**{...}` dict (rewritten by hand).
    if text.get(usize::from(resources.name.start())..usize::from(resources.name.end()))
        != Some("resources")
    {
        return None;
    }
    let value_range = TextRange::new(
        text[usize::from(resources.name.end())..usize::from(resources.range.end())]
            .find('=')
            .map(|i| resources.name.end() + ruff_text_size::TextSize::new(i as u32 + 1))?,
        resources.range.end(),
    );
    let value_text = text[value_range].trim();
    let uses = ctx.model_uses(entry);
    let kept: Vec<&Resource> = items
        .iter()
        .filter(|r| {
            r.name
                .as_ref()
                .is_none_or(|name| only_as_user(&uses, r.kind, name).is_none())
        })
        .collect();
    let system_list = if kept.len() == items.len() {
        Some(value_text.to_string())
    } else if kept.is_empty() {
        None
    } else if kept.iter().all(|r| r.file == call.file) && value_text.starts_with('[') {
        let parts: Vec<&str> = kept.iter().map(|r| &text[r.range]).collect();
        Some(format!("[{}]", parts.join(", ")))
    } else {
        return None;
    };
    let members: &[&str] = if system_list.is_some() {
        &["AuthPolicy", "SystemAuthPolicy", "UserAuthPolicy"]
    } else {
        &["AuthPolicy", "UserAuthPolicy"]
    };
    let (names, mut edits) = import_policy_classes(ctx, call, members)?;
    let policy = match (system_list, names.as_slice()) {
        (Some(list), [auth, system, user]) => format!(
            "auth_policy={auth}(system_auth_policy={system}(resources={list}), user_auth_policy={user}(api_scopes={}))",
            python_list(&scopes)
        ),
        (None, [auth, user]) => format!(
            "auth_policy={auth}(user_auth_policy={user}(api_scopes={}))",
            python_list(&scopes)
        ),
        _ => return None,
    };
    edits.push(Edit {
        range: resources.range,
        content: policy,
    });
    Some(Fix {
        message: format!("Declare `auth_policy=` with {}", scopes.join(", ")),
        applicability: Applicability::Unsafe,
        file: None,
        edits,
    })
}
