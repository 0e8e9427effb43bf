//! What the logging rules (OBO3xx) share: the models' log calls and manifests, and where a
//! model's code acts as the user.

use obolint_diagnostics::Label;
use ruff_text_size::TextRange;

use crate::manifest::{ManifestKind, ProjectManifest};
use crate::project::{FileIdx, Project};

/// The entry's model shows OBO intent (`rules.md` "OBO model").
pub fn is_obo_model(project: &Project<'_>, entry: FileIdx) -> bool {
    project.models.obo_entries.contains(&entry)
}

/// A label on the first user client the model of `entry` builds, for "acts as the user here".
pub fn user_client_label(project: &Project<'_>, entry: FileIdx) -> Option<Label> {
    let models = &project.models;
    let mut files: Vec<FileIdx> = models.files_of(entry).collect();
    // The entry first, then the others in file order.
    files.sort_by_key(|&f| (f != entry, f));
    files.into_iter().find_map(|file| {
        models.user_client_site[file.0 as usize].map(|range| {
            Label::new(
                project.file(file).id,
                range,
                "the model's code acts as the user here",
            )
        })
    })
}

/// The model of a manifest is an OBO model: its saved code builds a user client, or it declares
/// a user policy.
pub fn manifest_is_obo(project: &Project<'_>, manifest: &ProjectManifest) -> bool {
    manifest.entry.is_some_and(|e| is_obo_model(project, e))
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
