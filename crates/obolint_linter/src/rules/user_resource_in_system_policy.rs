//! OBO307 user-resource-in-system-policy.

use obolint_diagnostics::{Diagnostic, FileId, Label};
use obolint_python::known::ResourceKind;
use ruff_text_size::TextRange;

use super::shared::policy::mlmodels;
use crate::analysis::uses::{ClientUse, Identity};
use crate::context::{Check, Grain, RuleContext};
use crate::project::Project;
use obolint_macros::rule;

/// ## What it does
/// Reports a resource listed in `system_auth_policy` (in a log call or an `MLmodel`) that the
/// model's code reaches only through a user client: every use of that resource name (a Genie
/// space, a vector search index, a serving endpoint, a SQL warehouse) passes the caller's client.
///
/// ## Why is this bad?
/// A system resource is a grant to the deployer's identity. When the code only ever reaches it as
/// the user, the grant is never used, and it widens what the agent's own identity may do: a
/// redundant privilege that outlives the reason it was added.
///
/// ## Example
/// ```python
/// auth_policy = AuthPolicy(
///     system_auth_policy=SystemAuthPolicy(resources=[DatabricksGenieSpace(genie_space_id="01ef")]),
///     user_auth_policy=UserAuthPolicy(api_scopes=["dashboards.genie"]),
/// )
/// # agent.py: GenieAgent("01ef", "Sales", client=user_client)
/// ```
///
/// Use instead:
/// ```python
/// auth_policy = AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["dashboards.genie"]))
/// ```
///
/// When every use of a resource *type* in the model's served code goes through a definite user
/// client (every Genie space is reached with the caller's client, say), every entry of that type
/// is redundant too, even one whose ID is read from configuration at run time. An entry whose
/// name is written but that no code names is left alone: it is likely reached by a library
/// obolint does not model (an LLM endpoint through `mlflow.deployments`, say).
///
/// ## Known problems
/// Resources are compared by the names written in the code as strings (directly or through
/// names) and by type; the type rule stays silent when the code hands the caller's client or
/// token somewhere the analyzer cannot follow, or a file of the model does not parse.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO307",
    name = "user-resource-in-system-policy",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct UserResourceInSystemPolicy;

/// The first use of a resource of `kind` (named in the code or not) when every use of that type
/// in the model's served code runs as the user on every path, and the code hides nothing (no
/// opaque use, no unparsed file): each entry of that type in the system policy is then
/// redundant, even one whose ID is a run-time value.
pub fn type_only_as_user(
    uses: &[ClientUse],
    fully_known: bool,
    kind: ResourceKind,
) -> Option<&ClientUse> {
    if !fully_known {
        return None;
    }
    let mut matching = uses
        .iter()
        .filter(|u| u.resource_kind == Some(kind))
        .peekable();
    let first = *matching.peek()?;
    matching
        .all(|u| u.identity == Identity::User { definite: true })
        .then_some(first)
}

/// The uses of the resource in the model's code, when there are some and every one of them runs
/// as the user on every path.
pub fn only_as_user<'u>(
    uses: &'u [ClientUse],
    kind: ResourceKind,
    name: &str,
) -> Option<&'u ClientUse> {
    let mut matching = uses
        .iter()
        .filter(|u| {
            u.resource
                .as_ref()
                .is_some_and(|(k, n)| *k == kind && n == name)
        })
        .peekable();
    let first = *matching.peek()?;
    matching
        .all(|u| u.identity == Identity::User { definite: true })
        .then_some(first)
}

/// A system-policy entry the code reaches only as the user: by its name, or by its type
/// (`true`) when every use of the type does.
fn redundant<'u>(
    uses: &'u [ClientUse],
    fully_known: bool,
    kind: ResourceKind,
    name: Option<&str>,
) -> Option<(&'u ClientUse, bool)> {
    match name {
        Some(name) => only_as_user(uses, kind, name).map(|used| (used, false)),
        // A name the code never writes is likely reached by a library obolint does not model
        // (an LLM endpoint through `mlflow.deployments`): only a run-time ID is judged by type.
        None => type_only_as_user(uses, fully_known, kind).map(|used| (used, true)),
    }
}

fn diagnostic(
    project: &Project<'_>,
    file: FileId,
    range: TextRange,
    kind: ResourceKind,
    name: Option<&str>,
    used: &ClientUse,
    by_type: bool,
) -> Diagnostic {
    let class = kind.class_name();
    let message = match (name, by_type) {
        (Some(name), false) => format!(
            "`{class}` `{name}` is granted to the deployer but the code reaches it only as the user: a redundant grant"
        ),
        (_, _) => format!(
            "this `{class}` is granted to the deployer but the code reaches every `{class}` only as the user: a redundant grant"
        ),
    };
    Diagnostic::new(
        UserResourceInSystemPolicy::INFO.meta,
        UserResourceInSystemPolicy::INFO.severity,
        message,
        Label::new(file, range, "deployer grant never used"),
    )
    .with_secondary(Label::new(
        project.file(used.file).id,
        used.range,
        "reached with the caller's client",
    ))
    .with_help("remove it from `system_auth_policy`; the user's scopes cover it")
}

impl Check for UserResourceInSystemPolicy {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, manifests) = (ctx.project, ctx.manifests);

        for call in &ctx.models.log_calls {
            let Some(entry) = call.entry else { continue };
            let Some(system) = call
                .declaration
                .auth_policy
                .as_ref()
                .and_then(|k| k.value.known())
                .and_then(|p| p.system.as_ref())
                .and_then(|s| s.known())
            else {
                continue;
            };
            let uses = ctx.model_uses(entry);
            let known = ctx.model_scopes(entry).is_fully_known();
            for resource in system {
                if let Some((used, by_type)) =
                    redundant(&uses, known, resource.kind, resource.name.as_deref())
                {
                    ctx.report(diagnostic(
                        project,
                        project.file(resource.file).id,
                        resource.range,
                        resource.kind,
                        resource.name.as_deref(),
                        used,
                        by_type,
                    ));
                }
            }
        }
        for manifest in mlmodels(manifests) {
            let Some(entry) = manifest.entry else {
                continue;
            };
            let Some(system) = manifest
                .manifest
                .auth_policy
                .as_ref()
                .and_then(|p| p.system.as_ref())
            else {
                continue;
            };
            let uses = ctx.model_uses(entry);
            let known = ctx.model_scopes(entry).is_fully_known();
            for resource in &system.entries {
                if let Some((used, by_type)) =
                    redundant(&uses, known, resource.kind, resource.name.as_deref())
                {
                    ctx.report(diagnostic(
                        project,
                        manifest.id,
                        resource.range,
                        resource.kind,
                        resource.name.as_deref(),
                        used,
                        by_type,
                    ));
                }
            }
        }
    }
}
