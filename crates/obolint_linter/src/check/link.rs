//! Linking what was loaded: manifests to the models they describe (the code saved next to an
//! `MLmodel`, the log calls that name a `resources.yaml`), and every place requirements are
//! written to the models they apply to.

use std::path::{Path, PathBuf};

use obolint_diagnostics::FileId;
use obolint_python::{SourceKind, detect_kind};
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashMap;

use super::sources::Sources;
use crate::analysis::declaration::{PipRequirements, Resolved};
use crate::analysis::model_requirements::{
    Append, RequirementSet, pip_command_spans, pip_requirements,
};
use crate::analysis::models::Models;
use crate::load::read_bounded_text;
use crate::manifest::{ManifestKind, ProjectManifest, saved_code_path};
use crate::project::{FileIdx, Project};

/// Links each manifest to its model, then drops the `resources.yaml` files that are not
/// MLflow's: no log call names them and they have no `api_version` (Databricks asset bundles
/// use the name too).
pub(super) fn link_manifests(
    manifests: &mut Vec<ProjectManifest>,
    project: &Project<'_>,
    models: &Models,
    sources: &Sources,
) {
    let canonical = |p: &Path| project.canonical(p);
    // Made on first need, once: thousands of manifests each searched every file, or asked the
    // file system for every log call's `resources.yaml` again.
    let mut files: Option<rustc_hash::FxHashMap<&Path, FileIdx>> = None;
    let mut resources_files: Option<Vec<Option<std::path::PathBuf>>> = None;
    for manifest in manifests.iter_mut() {
        match manifest.manifest.kind {
            ManifestKind::MlModel => {
                manifest.entry =
                    saved_code_path(&manifest.path, &manifest.manifest, |p| project.is_file(p))
                        .and_then(|p| {
                            let files = files.get_or_insert_with(|| project.files_by_path());
                            files.get(canonical(&p).as_path()).copied()
                        });
            }
            ManifestKind::ResourcesYaml => {
                let path = canonical(&manifest.path);
                let declared = resources_files.get_or_insert_with(|| {
                    models
                        .log_calls
                        .iter()
                        .map(|call| call.declaration.resources_file().map(canonical))
                        .collect()
                });
                manifest.logged_by = declared
                    .iter()
                    .enumerate()
                    .filter(|(_, declared)| declared.as_ref() == Some(&path))
                    .map(|(i, _)| i)
                    .collect();
            }
        }
    }
    manifests.retain(|m| {
        m.manifest.kind == ManifestKind::MlModel
            || !m.logged_by.is_empty()
            || sources.db.get(m.id).text.contains("api_version")
    });
}

/// Where requirement files are read from: the project root (nothing outside it is read), unsaved
/// buffers first, and the `max-file-size` of files read from disk.
pub(super) struct RequirementFiles<'a> {
    pub root: &'a Path,
    pub buffers: &'a FxHashMap<PathBuf, String>,
    pub limit: u64,
    /// Every file asked for, with what was read (for the cache to check again).
    pub reads: &'a std::cell::RefCell<Vec<super::cache::Read>>,
}

/// A requirement file as the requirement stage reads it: from an unsaved buffer, else from disk
/// when its real path is inside the project, as a regular file up to `limit`.
pub(super) fn read_requirement_file(
    path: &Path,
    real_root: &Path,
    buffers: &FxHashMap<PathBuf, String>,
    limit: u64,
) -> Option<String> {
    match buffers.get(path) {
        Some(text) => Some(text.clone()),
        None if path
            .canonicalize()
            .unwrap_or_else(|_| path.to_path_buf())
            .starts_with(real_root) =>
        {
            read_bounded_text(path, limit).ok()
        }
        None => None,
    }
}

/// The hash the cache keeps of a requirement file's text.
pub(super) fn text_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// Every place requirements are written, with the models they apply to.
pub(super) fn requirement_sets(
    sources: &mut Sources,
    project: &Project<'_>,
    models: &Models,
    discovered: &[PathBuf],
    files: &RequirementFiles<'_>,
    python_cells: &FxHashMap<FileId, Vec<TextRange>>,
) -> Vec<RequirementSet> {
    let RequirementFiles {
        root,
        buffers,
        limit,
        reads,
    } = *files;
    let mut sets = Vec::new();
    let canonical = |p: &Path| project.canonical(p);
    let real_root = canonical(root);
    // Requirement files are read only inside the project (a log call may name any path), as
    // regular files up to `max-file-size`; what cannot be read adds no requirements.
    let read = |path: &Path| -> Option<String> {
        let text = read_requirement_file(path, &real_root, buffers, limit);
        reads.borrow_mut().push(super::cache::Read::Text {
            path: path.to_path_buf(),
            hash: text.as_deref().map(text_hash),
        });
        text
    };
    let mut loaded_files: FxHashMap<PathBuf, FileId> = FxHashMap::default();
    let mut file_set = |sources: &mut Sources, path: &Path| -> Option<(FileId, String)> {
        let key = canonical(path);
        if let Some(id) = loaded_files.get(&key) {
            return Some((*id, sources.db.get(*id).text.to_string()));
        }
        let text = read(path)?;
        let id = sources.add_file(path, text.clone());
        loaded_files.insert(key, id);
        Some((id, text))
    };
    let file_append = |text: &str| {
        Some(Append::Line(
            TextSize::of(text),
            !text.is_empty() && !text.ends_with('\n'),
        ))
    };
    // 1. Log calls.
    let mut referenced: Vec<PathBuf> = Vec::new();
    for call in &models.log_calls {
        let Some(entry) = call.entry else { continue };
        for (keyword, explicit) in [
            (&call.declaration.pip_requirements, true),
            (&call.declaration.extra_pip_requirements, false),
        ] {
            let Some(keyword) = keyword else { continue };
            match &keyword.value {
                Resolved::Known(PipRequirements::List(items, literal)) => {
                    if items.iter().any(|(_, f, _)| *f != keyword.file) {
                        continue;
                    }
                    let pairs: Vec<(String, TextRange)> =
                        items.iter().map(|(t, _, r)| (t.clone(), *r)).collect();
                    let list_end = items.last().map(|(_, _, r)| r.end());
                    sets.push(RequirementSet {
                        file: project.file(keyword.file).id,
                        whole: keyword.name,
                        requirements: crate::requirements::sources::from_list(&pairs),
                        explicit,
                        models: Some(vec![entry]),
                        append: list_end.filter(|_| *literal).map(Append::PythonList),
                    });
                }
                Resolved::Known(PipRequirements::File(_, Some(path))) => {
                    referenced.push(canonical(path));
                    if let Some((id, text)) = file_set(sources, path) {
                        sets.push(RequirementSet {
                            file: id,
                            whole: TextRange::default(),
                            requirements: crate::requirements::sources::from_requirements_txt(
                                &text,
                            ),
                            explicit,
                            models: Some(vec![entry]),
                            append: file_append(&text),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    // 2. Requirement files of the project no log call names, and 3. the root's
    // `pyproject.toml`: the models they are nearest to. Each model takes the files of the first
    // folder above its entry that has some, so that one repository can hold several agent
    // projects, each with its own requirements.
    let unnamed: Vec<&PathBuf> = discovered
        .iter()
        .filter(|path| !referenced.contains(&canonical(path)))
        .collect();
    let pyproject = root.join("pyproject.toml");
    let pyproject_text = read(&pyproject);
    let pyproject_found = pyproject_text
        .as_deref()
        .and_then(|text| crate::requirements::sources::from_pyproject(text).ok())
        .filter(|found| !found.dependencies.is_empty());
    let mut folders: Vec<&Path> = unnamed.iter().filter_map(|p| p.parent()).collect();
    if pyproject_found.is_some() {
        folders.push(root);
    }
    let mut nearest: FxHashMap<&Path, Vec<FileIdx>> = FxHashMap::default();
    for &entry in &models.entries {
        let found = project
            .file(entry)
            .path
            .ancestors()
            .skip(1)
            .take_while(|dir| dir.starts_with(root))
            .find(|dir| folders.contains(dir));
        if let Some(folder) = found {
            nearest.entry(folder).or_default().push(entry);
        }
    }
    let models_near = |folder: Option<&Path>| {
        let mut found = folder
            .and_then(|f| nearest.get(f))
            .cloned()
            .unwrap_or_default();
        found.sort();
        found.dedup();
        Some(found)
    };
    for path in unnamed {
        let is_conda = path.file_name().is_some_and(|n| n == "conda.yaml");
        let Some((id, text)) = file_set(sources, path) else {
            continue;
        };
        let requirements = if is_conda {
            crate::requirements::sources::from_conda_yaml(&text)
        } else {
            crate::requirements::sources::from_requirements_txt(&text)
        };
        sets.push(RequirementSet {
            file: id,
            whole: TextRange::default(),
            requirements,
            explicit: false,
            models: models_near(path.parent()),
            append: None,
        });
    }
    if let (Some(text), Some(found)) = (pyproject_text, pyproject_found) {
        let id = sources.add_file(&pyproject, text);
        sets.push(RequirementSet {
            file: id,
            whole: TextRange::default(),
            requirements: crate::requirements::Requirements {
                requirements: found.dependencies,
                ..Default::default()
            },
            explicit: false,
            models: models_near(Some(root)),
            append: None,
        });
    }
    // 4. `%pip install` in notebooks: the models the notebook writes, logs or is part of. The
    // files each notebook writes and the entries each file's log calls name are gathered once:
    // looking through every file and log call for each notebook took seconds for 40,000 small
    // notebooks that say `pip`.
    let mut writes: FxHashMap<FileId, Vec<FileIdx>> = FxHashMap::default();
    for other in project.file_indices() {
        if let Some(writer) = project.file(other).written_by {
            writes.entry(writer).or_default().push(other);
        }
    }
    let mut logs: FxHashMap<FileIdx, Vec<FileIdx>> = FxHashMap::default();
    for call in &models.log_calls {
        if let Some(entry) = call.entry {
            logs.entry(call.file).or_default().push(entry);
        }
    }
    for file in project.file_indices() {
        let f = project.file(file);
        if f.written_by.is_some() {
            continue;
        }
        let text = &sources.db.get(f.id).text;
        // A text not kept is a plain Python file's (`check::load`), not a notebook's: it is not
        // read again to be told so.
        if text.is_unread() {
            continue;
        }
        // Only notebooks: most files are not, which their first line tells; then only those
        // that say `pip` (this loop is serial and sees every file of the root).
        let whole;
        let (cells, databricks): (&[TextRange], bool) = match python_cells.get(&f.id) {
            Some(cells) => (cells, false),
            None if detect_kind(text) == SourceKind::DatabricksNotebook => {
                whole = [TextRange::up_to(TextSize::of(text.as_str()))];
                (&whole, true)
            }
            None => continue,
        };
        if memchr::memmem::find(text.as_bytes(), b"pip").is_none() {
            continue;
        }
        let spans = pip_command_spans(text, cells, databricks);
        if spans.is_empty() {
            continue;
        }
        let mut applies_to: Vec<FileIdx> = models.membership[file.0 as usize].clone();
        applies_to.extend(writes.get(&f.id).into_iter().flatten());
        applies_to.extend(logs.get(&file).into_iter().flatten());
        applies_to.sort();
        applies_to.dedup();
        for requirements in pip_requirements(text, &spans) {
            sets.push(RequirementSet {
                file: f.id,
                whole: TextRange::default(),
                requirements,
                explicit: false,
                models: Some(applies_to.clone()),
                append: None,
            });
        }
    }
    sets
}

#[cfg(test)]
mod tests {
    use rustc_hash::FxHashMap;

    use super::*;
    use crate::check::analyse::analyse;
    use crate::discover::Discovered;
    use crate::settings::Settings;

    #[test]
    fn manifests_and_requirement_files_are_linked_to_their_models() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let agent = write(
            "agent.py",
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        return None\n\nmlflow.models.set_model(Agent())\n",
        );
        let log = write(
            "log_model.py",
            "import mlflow\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", resources=\"resources.yaml\", pip_requirements=\"requirements.txt\")\n",
        );
        let named = write(
            "resources.yaml",
            "databricks:\n  serving_endpoint:\n  - name: llm\n",
        );
        std::fs::create_dir(dir.path().join("bundle")).expect("mkdir");
        let bundle = write("bundle/resources.yaml", "resources:\n  jobs: {}\n");
        write("requirements.txt", "mlflow>=3.1\n");
        let found = Discovered {
            python: vec![agent, log],
            manifests: vec![named.clone(), bundle],
            ..Discovered::default()
        };
        let (mut sources, mut loaded) = crate::check::load::load_for_test(dir.path(), &found);
        let mut manifests = std::mem::take(&mut loaded.manifests);
        let settings = Settings::default();
        let facts = std::mem::take(&mut loaded.facts);
        let analysed = analyse(dir.path(), &loaded, facts, &settings);
        link_manifests(
            &mut manifests,
            &analysed.project,
            &analysed.models,
            &sources,
        );
        // The bundle's `resources.yaml` is not MLflow's: no log call names it, no `api_version`.
        assert_eq!(manifests.len(), 1);
        assert_eq!(manifests[0].path, named);
        assert_eq!(manifests[0].logged_by, [0]);
        let sets = requirement_sets(
            &mut sources,
            &analysed.project,
            &analysed.models,
            &[],
            &RequirementFiles {
                root: dir.path(),
                buffers: &FxHashMap::default(),
                limit: u64::MAX,
                reads: &std::cell::RefCell::default(),
            },
            &FxHashMap::default(),
        );
        let entry = analysed.models.log_calls[0]
            .entry
            .expect("the log call's model");
        assert_eq!(sets.len(), 1);
        assert!(
            sets[0].explicit,
            "pip_requirements= is the model's explicit list"
        );
        assert_eq!(sets[0].models.as_deref(), Some(&[entry][..]));
        assert!(matches!(sets[0].append, Some(Append::Line(..))));
    }
}
