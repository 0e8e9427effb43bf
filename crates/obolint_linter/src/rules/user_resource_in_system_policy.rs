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
/// ## Known problems
/// Only resources whose names are written in the code as strings (directly or through names)
/// are compared; a resource named from configuration at run time is never reported.
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

fn diagnostic(
    project: &Project<'_>,
    file: FileId,
    range: TextRange,
    kind: ResourceKind,
    name: &str,
    used: &ClientUse,
) -> Diagnostic {
    Diagnostic::new(
        UserResourceInSystemPolicy::INFO.meta,
        UserResourceInSystemPolicy::INFO.severity,
        format!(
            "`{}` `{name}` is granted to the deployer but the code reaches it only as the user: a redundant grant",
            kind.class_name()
        ),
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
            for resource in system {
                let Some(name) = &resource.name else { continue };
                if let Some(used) = only_as_user(&uses, resource.kind, name) {
                    ctx.report(diagnostic(
                        project,
                        project.file(resource.file).id,
                        resource.range,
                        resource.kind,
                        name,
                        used,
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
            for resource in &system.entries {
                let Some(name) = &resource.name else { continue };
                if let Some(used) = only_as_user(&uses, resource.kind, name) {
                    ctx.report(diagnostic(
                        project,
                        manifest.id,
                        resource.range,
                        resource.kind,
                        name,
                        used,
                    ));
                }
            }
        }
    }
}
