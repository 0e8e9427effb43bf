//! Which findings the given paths reach. Paths narrow what is reported, not what is understood,
//! and a finding often has two ends: OBO401 points at the declaration in `log_model.py` because
//! of a use in `agent.py`. A finding is reported when its primary location or any secondary
//! label is under a given path, or when it is about a model one of the given files belongs to
//! (it points into that model's log call, its `MLmodel` or `resources.yaml`, or its
//! requirements). So pre-commit, which passes only the changed files, fails a commit that
//! changes `agent.py` in a way that breaks the unchanged `log_model.py`.

use std::path::{Path, PathBuf};

use obolint_diagnostics::{Diagnostic, FileId};
use ruff_text_size::{TextRange, TextSize};

use super::sources::Sources;
use crate::analysis::model_requirements::RequirementSet;
use crate::analysis::models::Models;
use crate::manifest::ProjectManifest;
use crate::project::{FileIdx, Project};

/// One model's files and the places that describe it, in reported coordinates (a file a
/// notebook cell writes is its notebook).
#[derive(Debug, Default)]
struct ModelSites {
    /// Files of its code, and the files that log it, describe it or list its requirements.
    files: Vec<FileId>,
    /// Its log calls, manifests and requirement lists: a finding there is about the model.
    declarations: Vec<(FileId, TextRange)>,
}

/// What the given paths reach in one project root.
pub(super) struct Reach<'t> {
    targets: &'t [PathBuf],
    /// The models with a file under one of the targets.
    given_models: Vec<ModelSites>,
}

/// The parts of a root's analysis that say what belongs to which model.
pub(super) struct ModelParts<'a, 'p> {
    pub project: &'a Project<'p>,
    pub models: &'a Models,
    pub manifests: &'a [ProjectManifest],
    pub requirement_sets: &'a [RequirementSet],
}

impl<'t> Reach<'t> {
    pub fn new(targets: &'t [PathBuf], parts: &ModelParts<'_, '_>, sources: &Sources) -> Self {
        let under = |id: FileId| under_targets(targets, &sources.db.get(id).path);
        let given_models = parts
            .models
            .entries
            .iter()
            .map(|&entry| model_sites(entry, parts, sources))
            .filter(|sites| sites.files.iter().any(|&f| under(f)))
            .collect();
        Self {
            targets,
            given_models,
        }
    }

    /// Whether `diagnostic` (in reported coordinates) is reported for the given paths.
    pub fn reaches(&self, diagnostic: &Diagnostic, sources: &Sources) -> bool {
        let labels = std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary);
        let mut labels = labels;
        if labels.any(|l| under_targets(self.targets, &sources.db.get(l.file).path)) {
            return true;
        }
        let primary = &diagnostic.primary;
        self.given_models.iter().any(|model| {
            model
                .declarations
                .iter()
                .any(|&(file, range)| file == primary.file && range.contains_range(primary.range))
        })
    }
}

pub(super) fn under_targets(targets: &[PathBuf], path: &Path) -> bool {
    targets.iter().any(|t| path.starts_with(t))
}

fn model_sites(entry: FileIdx, parts: &ModelParts<'_, '_>, sources: &Sources) -> ModelSites {
    let mut sites = ModelSites::default();
    let whole = |id: FileId| {
        TextRange::up_to(
            TextSize::try_from(sources.db.get(id).text.len()).unwrap_or(TextSize::new(u32::MAX)),
        )
    };
    let mut add = |id: FileId, declaration: Option<TextRange>| {
        let (id, declaration) = match sources.written.get(&id) {
            Some((notebook, written)) => {
                (*notebook, declaration.map(|r| written.range_to_notebook(r)))
            }
            None => (id, declaration),
        };
        sites.files.push(id);
        if let Some(range) = declaration {
            sites.declarations.push((id, range));
        }
    };
    for file in parts.project.file_indices() {
        if parts.models.membership[file.0 as usize].contains(&entry) {
            add(parts.project.file(file).id, None);
        }
    }
    let calls: Vec<usize> = (0..parts.models.log_calls.len())
        .filter(|&i| parts.models.log_calls[i].entry == Some(entry))
        .collect();
    for &i in &calls {
        let call = &parts.models.log_calls[i];
        add(parts.project.file(call.file).id, Some(call.range));
    }
    for manifest in parts.manifests {
        if manifest.entry == Some(entry) || manifest.logged_by.iter().any(|i| calls.contains(i)) {
            add(manifest.id, Some(whole(manifest.id)));
        }
    }
    let python: Vec<FileId> = parts
        .project
        .file_indices()
        .map(|f| parts.project.file(f).id)
        .collect();
    for set in parts.requirement_sets {
        if set.models.as_ref().is_none_or(|m| m.contains(&entry)) {
            // `pip_requirements=[...]` lies inside its log call, already a declaration; a
            // requirements file (or `pyproject.toml`, `conda.yaml`) is the model's as a whole.
            let range = (!python.contains(&set.file)).then(|| whole(set.file));
            add(set.file, range);
        }
    }
    sites.files.sort();
    sites.files.dedup();
    sites
}
