//! What the logging rules (OBO3xx) share: the models' log calls and manifests, where a model's
//! code acts as the user, and what the OBO301/OBO303 fixes need to write an `auth_policy=`.

use obolint_diagnostics::{Edit, Label};
use ruff_text_size::TextRange;

use crate::analysis::models::LogCall;
use crate::context::{LintContext, RuleContext};
use crate::manifest::{ManifestKind, ProjectManifest};
use crate::project::FileIdx;

/// The entry's model shows OBO intent (the rule catalogue "OBO model").
pub fn is_obo_model(ctx: &LintContext<'_>, entry: FileIdx) -> bool {
    ctx.models.obo_entries.contains(&entry)
}

/// A label on the first user client the model of `entry` builds, for "acts as the user here".
pub fn user_client_label(ctx: &LintContext<'_>, entry: FileIdx) -> Option<Label> {
    let models = ctx.models;
    let mut files: Vec<FileIdx> = models.files_of(entry).collect();
    // The entry first, then the others in file order.
    files.sort_by_key(|&f| (f != entry, f));
    files.into_iter().find_map(|file| {
        models.user_client_site[file.0 as usize].map(|range| {
            Label::new(
                ctx.project.file(file).id,
                range,
                "the model's code acts as the user here",
            )
        })
    })
}

/// The model of a manifest is an OBO model: its saved code builds a user client, or it declares
/// a user policy.
pub fn manifest_is_obo(ctx: &LintContext<'_>, manifest: &ProjectManifest) -> bool {
    manifest.entry.is_some_and(|e| is_obo_model(ctx, e))
        || manifest
            .manifest
            .auth_policy
            .as_ref()
            .is_some_and(|p| p.has_user_policy)
}

pub fn mlmodels(manifests: &[ProjectManifest]) -> impl Iterator<Item = &ProjectManifest> {
    manifests
        .iter()
        .filter(|m| m.manifest.kind == ManifestKind::MlModel)
}

pub fn file_start() -> TextRange {
    TextRange::default()
}

/// The scope names the model of `entry` requires, in the configured style (dotted by default);
/// `None` when it requires none the analyzer can name.
pub fn required_scope_names(ctx: &RuleContext<'_, '_>, entry: FileIdx) -> Option<Vec<String>> {
    let style = ctx
        .settings
        .scope_style
        .unwrap_or(crate::scope_table::ScopeStyle::Dotted);
    let scopes = ctx.model_scopes(entry);
    let mut names: Vec<String> = Vec::new();
    for family in scopes.required.keys() {
        let name = ctx.table.preferred_name(*family, style).to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    (!names.is_empty()).then_some(names)
}

/// Imports `members` of `mlflow.models.auth_policy` into the log call's file.
pub fn import_policy_classes(
    ctx: &LintContext<'_>,
    call: &LogCall,
    members: &[&str],
) -> Option<(Vec<String>, Vec<Edit>)> {
    crate::edits::imports::import_members(
        ctx.project.model(call.file),
        ctx.text(call.file),
        "mlflow.models.auth_policy",
        members,
        call.range.start(),
    )
    .ok()
}

/// `["a", "b"]` in Python.
pub fn python_list(names: &[String]) -> String {
    let items: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("[{}]", items.join(", "))
}
