//! OBO206 genie-via-passthrough.

use obolint_diagnostics::{FileId, Label};
use obolint_macros::rule;
use obolint_python::known::ResourceKind;
use ruff_text_size::TextRange;

use super::shared::policy::{is_obo_model, manifest_is_obo};
use crate::analysis::declaration::{Resolved, Resources};
use crate::context::{Check, Grain, RuleContext};
use crate::manifest::{ManifestKind, YamlResources};

/// ## What it does
/// Reports a Genie space that a model reaches with the deployer's credentials: it is declared
/// as a resource (`DatabricksGenieSpace` in `resources=`, in `SystemAuthPolicy(resources=...)`,
/// or under `resources:` in the `MLmodel` or a logged `resources.yaml`) and nothing in the model
/// acts as the user (no user client in its code, no user policy). Opt-in: automatic passthrough
/// is a supported choice when every user may see the same data.
///
/// ## Why is this bad?
/// With automatic passthrough, Model Serving gives the agent a token of the identity that
/// deployed it. Genie then answers every user's question with the deployer's permissions: a
/// user who may not read a table still gets answers computed from it. When the space holds data
/// that differs by user, the agent should act on behalf of each user instead.
///
/// ## Example
/// ```python
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     resources=[DatabricksGenieSpace(genie_space_id="01ef...")],
/// )
/// ```
///
/// Use instead:
/// ```python
/// # agent.py builds the caller's client inside predict() and passes it to GenieAgent(client=...)
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["dashboards.genie"])),
/// )
/// ```
///
/// ## Known problems
/// Silent when the analyzer cannot find the model's code (it never guesses that a model has no
/// user client) and for resources given through values it cannot read.
///
/// ## References
/// - [Databricks: authentication for AI agents (automatic passthrough, on-behalf-of-user)](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO206",
    name = "genie-via-passthrough",
    severity = "info",
    default = false,
    fix = "none"
)]
pub struct GenieViaPassthrough;

impl Check for GenieViaPassthrough {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for call in &ctx.models.log_calls {
            let Some(entry) = call.entry else { continue };
            if is_obo_model(ctx, entry) || call.declares_user_policy {
                continue;
            }
            let declaration = &call.declaration;
            let listed = declaration.resources.as_ref().and_then(|k| match &k.value {
                Resolved::Known(Resources::List(items)) => Some(items.as_slice()),
                _ => None,
            });
            let system = declaration
                .auth_policy
                .as_ref()
                .and_then(|k| k.value.known())
                .and_then(|p| p.system.as_ref())
                .and_then(|s| s.known())
                .map(Vec::as_slice);
            for resource in listed.into_iter().chain(system).flatten() {
                if resource.kind == ResourceKind::GenieSpace {
                    report(
                        ctx,
                        ctx.project.file(resource.file).id,
                        resource.range,
                        resource.name.as_deref(),
                    );
                }
            }
        }
        for manifest in ctx.manifests {
            let m = &manifest.manifest;
            // A `resources.yaml` speaks for the log calls that name it, all of them passthrough.
            let passthrough = match m.kind {
                ManifestKind::MlModel => {
                    manifest.entry.is_some() && !manifest_is_obo(ctx, manifest)
                }
                ManifestKind::ResourcesYaml => {
                    !manifest.logged_by.is_empty()
                        && manifest.logged_by.iter().all(|&i| {
                            let call = &ctx.models.log_calls[i];
                            call.entry.is_some_and(|e| !is_obo_model(ctx, e))
                                && !call.declares_user_policy
                        })
                }
            };
            if !passthrough {
                continue;
            }
            let system = m.auth_policy.as_ref().and_then(|p| p.system.as_ref());
            for block in m.resources.iter().chain(system) {
                genie_entries(ctx, manifest.id, block);
            }
        }
    }
}

fn genie_entries(ctx: &RuleContext<'_, '_>, file: FileId, block: &YamlResources) {
    for entry in &block.entries {
        if entry.kind == ResourceKind::GenieSpace {
            report(ctx, file, entry.range, entry.name.as_deref());
        }
    }
}

fn report(ctx: &RuleContext<'_, '_>, file: FileId, range: TextRange, name: Option<&str>) {
    let space = name.map_or_else(
        || "this Genie space".to_string(),
        |n| format!("the Genie space `{n}`"),
    );
    ctx.report(
        ctx.diagnostic(
            format!("{space} is reached with the deployer's credentials (automatic passthrough): every user sees what the deployer sees"),
            Label::new(file, range, "answers every user as the deployer"),
        )
        .with_help("to answer as each user, build a user client in `predict()`, pass it to `GenieAgent(client=...)` and log `auth_policy=` with a user policy"),
    );
}
