//! Loading a project root: read every discovered file (unsaved buffers first), read notebooks as
//! their code cells and add the files their `%%writefile` cells write, parse what the prescreen
//! wants and then the project modules those import, and read the manifests. What cannot be read
//! or parsed becomes [`LoadError`] data for OBO900; nothing here reports.

use std::path::{Path, PathBuf};

use obolint_diagnostics::{CellStart, FileId, NotebookJson, SourceFile};
use obolint_python::notebook::{
    CellRole, NotebookError, NotebookText, WrittenFile, databricks_written_files, notebook_text,
    read_ipynb,
};
use obolint_python::{ParsedSource, SourceKind, detect_kind, parse_notebook, parse_source};
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashMap;

use super::sources::Sources;
use crate::analysis::models::normalize;
use crate::app_manifest::{AppYamlKind, ProjectAppManifest, parse_app_manifest};
use crate::discover::Discovered;
use crate::load::{LoadError, LoadErrorKind, Loaded, load};
use crate::manifest::{ManifestKind, ProjectManifest, parse_manifest};
use crate::project::{module_names, package_of};

/// Everything read from one project root.
pub(super) struct LoadedRoot {
    /// Every Python file and notebook, then the files notebook cells write.
    pub paths: Vec<PathBuf>,
    /// The parse of each path that was parsed (by index into `paths`).
    pub parsed: Vec<Option<ParsedSource>>,
    /// The parsed paths, with their ids.
    pub files: Vec<(usize, FileId)>,
    /// Files written by a notebook cell (by index): the notebook's index, and the file.
    pub origins: FxHashMap<usize, (usize, WrittenFile)>,
    pub file_ids: FxHashMap<usize, FileId>,
    pub manifests: Vec<ProjectManifest>,
    /// Databricks Apps configuration files (bundles, their includes, `app.yaml`).
    pub app_manifests: Vec<ProjectAppManifest>,
    /// The source folders of Databricks Apps (modules there import each other by short name).
    pub app_roots: Vec<PathBuf>,
    pub load_errors: Vec<LoadError>,
    /// The Python cells of each `.ipynb` (for its `%pip` lines).
    pub python_cells: FxHashMap<FileId, Vec<TextRange>>,
    /// A file read twice (skipped, then imported) changed in between.
    pub changed_while_read: bool,
}

fn is_ipynb(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "ipynb")
}

fn read(path: &Path, sources: &FxHashMap<PathBuf, String>, words: &[String], limit: u64) -> Loaded {
    match sources.get(path) {
        Some(text) => Loaded::from_text(text.clone(), words),
        None => load(path, words, limit),
    }
}

/// The bytes of a root, as read: every Python file and notebook, every manifest.
pub(super) struct ReadRoot<'b> {
    /// In the order of `Discovered::python`.
    pub python: Vec<Loaded>,
    /// In the order of `Discovered::manifests`.
    pub manifests: Vec<Loaded>,
    /// With [`ReadOptions::hash`]: the hash of each Python file and notebook as read (before its
    /// text is dropped), then of each manifest.
    pub python_hashes: Vec<blake3::Hash>,
    pub manifest_hashes: Vec<blake3::Hash>,
    /// Parse every file, whatever the prescreen says.
    pub parse_everything: bool,
    /// Where to read a skipped file again.
    buffers: &'b FxHashMap<PathBuf, String>,
    limit: u64,
}

/// How to read a root.
#[derive(Clone, Copy, Default)]
pub(super) struct ReadOptions {
    /// Hash every file as read (for the cache).
    pub hash: bool,
    /// Keep and parse every file (the test that proves the prescreen changes no finding).
    pub parse_everything: bool,
}

/// Whether a file's text can be dropped once read: the prescreen rejected it, and it is not a
/// notebook, writes no file (`%%writefile`) and holds no NUL byte (always a syntax error).
fn skippable(path: &Path, loaded: &Loaded) -> bool {
    matches!(loaded, Loaded::Text { text, relevant: false }
        if !is_ipynb(path)
            && !text.contains('\0')
            && memchr::memmem::find(text.as_bytes(), b"%%writefile").is_none())
}

/// Reads every file `load_root` needs (unsaved buffers first), in parallel; the text of a
/// file the prescreen rejects is dropped at once (read again if an import asks for it).
pub(super) fn read_root<'b>(
    found: &Discovered,
    buffers: &'b FxHashMap<PathBuf, String>,
    words: &[String],
    limit: u64,
    options: ReadOptions,
) -> ReadRoot<'b> {
    let read_all = |paths: &[PathBuf], may_skip: bool| -> (Vec<Loaded>, Vec<blake3::Hash>) {
        paths
            .par_iter()
            .map(|p| {
                let loaded = read(p, buffers, words, limit);
                let hash = if options.hash {
                    super::cache::hash_loaded(&loaded)
                } else {
                    blake3::Hash::from_bytes([0; 32])
                };
                // Files of a Databricks App are parsed whatever the prescreen says.
                if may_skip
                    && !options.parse_everything
                    && skippable(p, &loaded)
                    && !found.app_roots.iter().any(|r| p.starts_with(r))
                {
                    (Loaded::Skipped, hash)
                } else {
                    (loaded, hash)
                }
            })
            .unzip()
    };
    let (python, mut python_hashes) = read_all(&found.python, true);
    let (manifests, mut manifest_hashes) = read_all(&found.manifests, false);
    if !options.hash {
        python_hashes.clear();
        manifest_hashes.clear();
    }
    ReadRoot {
        python,
        manifests,
        python_hashes,
        manifest_hashes,
        parse_everything: options.parse_everything,
        buffers,
        limit,
    }
}

pub(super) fn load_root(
    out: &mut Sources,
    root: &Path,
    found: &Discovered,
    files_read: ReadRoot<'_>,
    words: &[String],
) -> LoadedRoot {
    let mut load_errors: Vec<LoadError> = Vec::new();
    for (path, reason) in &found.unreadable {
        unreadable(
            out,
            &mut load_errors,
            path,
            String::new(),
            TextSize::default(),
            reason,
        );
    }

    let mut paths = found.python.clone();
    let ReadRoot {
        python: mut loaded,
        manifests: manifest_loads,
        python_hashes,
        parse_everything,
        buffers,
        limit,
        ..
    } = files_read;

    // Notebooks: `.ipynb` files read as their code cells, and the files that `%%writefile`
    // cells (in both kinds of notebook) write, added to the project at their paths.
    let mut notebooks: FxHashMap<usize, Result<NotebookText, NotebookError>> = FxHashMap::default();
    let mut written: Vec<(usize, WrittenFile)> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let Loaded::Text { text, .. } = &loaded[i] else {
            continue;
        };
        if is_ipynb(path) {
            let layout = read_ipynb(text).map(|cells| notebook_text(&cells));
            if let Ok(layout) = &layout {
                written.extend(layout.written_files().map(|w| (i, w.clone())));
            }
            notebooks.insert(i, layout);
        } else if memchr::memmem::find(text.as_bytes(), b"%%writefile").is_some()
            && detect_kind(text) == SourceKind::DatabricksNotebook
        {
            let cells = obolint_python::cell_ranges(text, SourceKind::DatabricksNotebook);
            written.extend(
                databricks_written_files(text, &cells)
                    .into_iter()
                    .map(|w| (i, w)),
            );
        }
    }
    let origins = add_written_files(&mut paths, &mut loaded, written, words);
    for (slot, path) in loaded.iter_mut().zip(&paths) {
        if let Loaded::Text { relevant, .. } = slot
            && (parse_everything || found.app_roots.iter().any(|r| path.starts_with(r)))
        {
            *relevant = true;
        }
    }

    let mut module_index: FxHashMap<String, usize> = FxHashMap::default();
    for (i, path) in paths.iter().enumerate() {
        for name in module_names(root, path) {
            module_index.entry(name).or_insert(i);
        }
    }
    // A skipped file an import asks for is read again; when its bytes changed since the first
    // read, the run saw two versions of the project and is not cached.
    let mut changed_while_read = false;
    let reread = |i: usize| -> Loaded {
        let again = read(&paths[i], buffers, words, limit);
        if python_hashes
            .get(i)
            .is_some_and(|h| *h != super::cache::hash_loaded(&again))
        {
            changed_while_read = true;
        }
        again
    };
    let parsed = parse_on_demand(
        root,
        &paths,
        &mut loaded,
        reread,
        &notebooks,
        &origins,
        &module_index,
    );

    let mut files: Vec<(usize, FileId)> = Vec::new();
    let mut file_ids: FxHashMap<usize, FileId> = FxHashMap::default();
    for (i, slot) in loaded.iter_mut().enumerate() {
        match std::mem::replace(slot, Loaded::Unreadable(String::new())) {
            Loaded::Text { text, .. } => match notebooks.get(&i) {
                Some(Err(error)) => {
                    let at = TextSize::new(error.offset.min(text.len()) as u32);
                    let id = out.add_file(&paths[i], text);
                    load_errors.push(LoadError {
                        file: id,
                        range: TextRange::empty(at),
                        kind: LoadErrorKind::BrokenNotebook(error.message.clone()),
                    });
                }
                Some(Ok(layout)) => {
                    if let Some(source) = &parsed[i] {
                        let cells = layout
                            .cells
                            .iter()
                            .map(|c| CellStart {
                                offset: c.range.start(),
                                number: c.number,
                            })
                            .collect();
                        let display = out.display_path(&paths[i]);
                        let mut file =
                            SourceFile::new(paths[i].clone(), display, layout.text.clone())
                                .with_cells(cells);
                        // Where the cells sit in the file's own bytes, for the formats that
                        // annotate lines of the `.ipynb` file.
                        if let Some(offsets) = obolint_python::notebook::file_offsets(&text, layout)
                        {
                            file = file.with_notebook_json(NotebookJson::new(text, offsets));
                        }
                        let id = out.db.add(file);
                        for error in &source.syntax_errors {
                            // The parser counts the parsed cells; users count every cell.
                            let cell = error
                                .cell
                                .and_then(|c| layout.cells.get(c))
                                .map(|c| c.number - 1);
                            load_errors.push(syntax_error(id, error, cell));
                        }
                        files.push((i, id));
                        file_ids.insert(i, id);
                    }
                }
                None => {
                    if let Some(source) = &parsed[i] {
                        let id = out.add_file(&paths[i], text);
                        for error in &source.syntax_errors {
                            load_errors.push(syntax_error(id, error, error.cell));
                        }
                        files.push((i, id));
                        file_ids.insert(i, id);
                    }
                }
            },
            other => not_loaded(out, &mut load_errors, &paths[i], other),
        }
    }

    // Manifests: `MLmodel` files, and `resources.yaml` files that look like MLflow's (or that a
    // log call names; see `link.rs`).
    let mut manifests: Vec<ProjectManifest> = Vec::new();
    let mut app_manifests: Vec<ProjectAppManifest> = Vec::new();
    for (path, loaded) in found.manifests.iter().cloned().zip(manifest_loads) {
        let app_kind = if found.bundle_includes.contains(&path) {
            Some(AppYamlKind::BundleInclude)
        } else {
            AppYamlKind::of_name(&path)
        };
        if let Some(kind) = app_kind {
            match loaded {
                Loaded::Text { text, .. } => match parse_app_manifest(&text, kind) {
                    Ok(manifest) => {
                        let id = out.add_file(&path, text);
                        app_manifests.push(ProjectAppManifest { id, path, manifest });
                    }
                    Err(error) => {
                        let id = out.add_file(&path, text);
                        load_errors.push(LoadError {
                            file: id,
                            range: TextRange::empty(error.offset),
                            kind: LoadErrorKind::BrokenYaml(error.message),
                        });
                    }
                },
                other => not_loaded(out, &mut load_errors, &path, other),
            }
            continue;
        }
        let Some(kind) = ManifestKind::of(&path) else {
            continue;
        };
        match loaded {
            Loaded::Text { text, .. } => match parse_manifest(&text, kind) {
                Ok(manifest) => {
                    let id = out.add_file(&path, text);
                    manifests.push(ProjectManifest {
                        id,
                        path,
                        manifest,
                        entry: None,
                        logged_by: Vec::new(),
                    });
                }
                Err(error) => {
                    let id = out.add_file(&path, text);
                    load_errors.push(LoadError {
                        file: id,
                        range: TextRange::empty(error.offset),
                        kind: LoadErrorKind::BrokenYaml(error.message),
                    });
                }
            },
            other => not_loaded(out, &mut load_errors, &path, other),
        }
    }

    // Files written by notebook cells report in those cells.
    out.written = origins
        .iter()
        .filter_map(|(i, (notebook, file))| {
            Some((*file_ids.get(i)?, (*file_ids.get(notebook)?, file.clone())))
        })
        .collect();

    let python_cells: FxHashMap<FileId, Vec<TextRange>> = notebooks
        .iter()
        .filter_map(|(i, layout)| {
            let layout = layout.as_ref().ok()?;
            let cells = layout
                .cells
                .iter()
                .filter(|c| c.role == CellRole::Python)
                .map(|c| c.range)
                .collect();
            Some((*file_ids.get(i)?, cells))
        })
        .collect();

    LoadedRoot {
        changed_while_read,
        paths,
        parsed,
        files,
        origins,
        file_ids,
        manifests,
        app_manifests,
        app_roots: found.app_roots.clone(),
        load_errors,
        python_cells,
    }
}

/// A file that was not read as text (not UTF-8, or unreadable): OBO900 says why.
fn not_loaded(out: &mut Sources, errors: &mut Vec<LoadError>, path: &Path, loaded: Loaded) {
    match loaded {
        Loaded::NotUtf8 { lossy, offset } => {
            let start = TextSize::new(offset.min(lossy.len()) as u32);
            unreadable(out, errors, path, lossy, start, "it is not valid UTF-8");
        }
        Loaded::Unreadable(reason) => {
            unreadable(
                out,
                errors,
                path,
                String::new(),
                TextSize::default(),
                &reason,
            );
        }
        Loaded::Text { .. } | Loaded::Skipped => {}
    }
}

/// A file whose content is not checked: adds it (for the finding's location) and says why.
fn unreadable(
    out: &mut Sources,
    errors: &mut Vec<LoadError>,
    path: &Path,
    text: String,
    at: TextSize,
    reason: &str,
) {
    let id = out.add_file(path, text);
    errors.push(LoadError {
        file: id,
        range: TextRange::empty(at),
        kind: LoadErrorKind::Unreadable(reason.to_string()),
    });
}

/// `load_root` with no unsaved buffers, no extra prescreen words and the default size limit: the
/// stage tests' way in.
#[cfg(test)]
pub(super) fn load_for_test(root: &Path, found: &Discovered) -> (Sources, LoadedRoot) {
    let mut sources = Sources::new(root.to_path_buf());
    let no_buffers = FxHashMap::default();
    let read = read_root(
        found,
        &no_buffers,
        &[],
        crate::load::DEFAULT_MAX_FILE_SIZE,
        ReadOptions::default(),
    );
    let loaded = load_root(&mut sources, root, found, read, &[]);
    (sources, loaded)
}

fn syntax_error(
    file: FileId,
    error: &obolint_python::SyntaxError,
    cell: Option<usize>,
) -> LoadError {
    LoadError {
        file,
        range: error.range,
        kind: LoadErrorKind::Syntax {
            message: error.message.clone(),
            cell,
        },
    }
}

/// Adds the `.py` files notebook cells write to `paths`, in cell order: a plain `%%writefile`
/// replaces what the notebook wrote to that path before, `-a` appends to it. Returns, for each
/// added path (by index), the notebook that writes it and how.
fn add_written_files(
    paths: &mut Vec<PathBuf>,
    loaded: &mut Vec<Loaded>,
    written: Vec<(usize, WrittenFile)>,
    words: &[String],
) -> FxHashMap<usize, (usize, WrittenFile)> {
    let mut combined: Vec<(usize, PathBuf, WrittenFile)> = Vec::new();
    for (notebook, file) in written {
        if !file.path.ends_with(".py") {
            continue;
        }
        let Some(dir) = paths[notebook].parent() else {
            continue;
        };
        let path = normalize(&dir.join(&file.path));
        match combined
            .iter_mut()
            .find(|(n, p, _)| *n == notebook && *p == path)
        {
            Some((_, _, existing)) if file.append => existing.append_file(file),
            Some((_, _, existing)) => *existing = file,
            None => combined.push((notebook, path, file)),
        }
    }
    let mut origins: FxHashMap<usize, (usize, WrittenFile)> = FxHashMap::default();
    for (notebook, path, file) in combined {
        origins.insert(paths.len(), (notebook, file.clone()));
        paths.push(path);
        loaded.push(Loaded::from_text(file.text, words));
    }
    origins
}

/// `parse()`, or, when the parser panics (a bug, ours or its), an empty file whose one syntax
/// error says so: the file is reported and the run goes on.
fn parse_or_report(kind: SourceKind, parse: impl FnOnce() -> ParsedSource) -> ParsedSource {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|payload| {
        let mut empty = parse_source("", kind);
        empty.syntax_errors.push(obolint_python::SyntaxError {
            range: TextRange::default(),
            message: format!(
                "internal error: the parser failed on this file, which is not checked ({}); please report it",
                crate::registry::panic_message(payload.as_ref())
            ),
            cell: None,
        });
        empty
    })
}

/// Parses what the prescreen wants (and every notebook that writes files), then, until nothing
/// changes, the project modules that parsed files import.
fn parse_on_demand(
    root: &Path,
    paths: &[PathBuf],
    loaded: &mut [Loaded],
    mut reread: impl FnMut(usize) -> Loaded,
    notebooks: &FxHashMap<usize, Result<NotebookText, NotebookError>>,
    origins: &FxHashMap<usize, (usize, WrittenFile)>,
    module_index: &FxHashMap<String, usize>,
) -> Vec<Option<ParsedSource>> {
    let mut parsed: Vec<Option<ParsedSource>> = (0..paths.len()).map(|_| None).collect();
    let mut batch: Vec<usize> = loaded
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            matches!(l, Loaded::Text { relevant: true, .. })
                || origins.values().any(|(notebook, _)| notebook == i)
                // A NUL byte is a syntax error wherever it is (never a clean file).
                || matches!(l, Loaded::Text { text, .. } if text.contains('\0'))
        })
        .map(|(i, _)| i)
        .collect();
    // Whether a file is in the batch being parsed or the next one (instead of searching them).
    let mut queued = vec![false; paths.len()];
    while !batch.is_empty() {
        for &i in &batch {
            queued[i] = true;
        }
        // Each file's imports are found by the task that parsed it, while its tree is fresh.
        let results: Vec<(usize, ParsedSource, Vec<String>, Vec<String>)> = batch
            .par_iter()
            .filter_map(|&i| {
                let source = match (&loaded[i], notebooks.get(&i)) {
                    (_, Some(Ok(layout))) => {
                        parse_or_report(SourceKind::Jupyter, || parse_notebook(layout))
                    }
                    (_, Some(Err(_))) => return None,
                    (Loaded::Text { text, .. }, None) => {
                        let kind = detect_kind(text);
                        parse_or_report(kind, || parse_source(text, kind))
                    }
                    _ => return None,
                };
                let package = package_of(root, &paths[i]);
                let modules = obolint_python::imports::imported_modules(source.body(), &package);
                Some((i, source, package, modules))
            })
            .collect();
        let mut next = Vec::new();
        for (i, source, package, modules) in results {
            for module in modules {
                // A script's sibling imported absolutely (`Project::resolve_sibling`).
                let sibling = || {
                    let folder = package.join(".");
                    (!package.is_empty() && !module_index.contains_key(&folder))
                        .then(|| module_index.get(&format!("{folder}.{module}")))
                        .flatten()
                };
                if let Some(&j) = module_index.get(&module).or_else(sibling)
                    && parsed[j].is_none()
                    && !queued[j]
                {
                    queued[j] = true;
                    next.push(j);
                }
            }
            parsed[i] = Some(source);
        }
        for &j in &next {
            if matches!(loaded[j], Loaded::Skipped) {
                loaded[j] = reread(j);
            }
        }
        batch = next;
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Discovered) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut found = Discovered::default();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            found.python.push(path);
        }
        (dir, found)
    }

    #[test]
    fn parses_relevant_files_and_the_modules_they_import() {
        let (dir, found) = project(&[
            ("agent.py", "import mlflow\nfrom helpers import f\n"),
            ("helpers.py", "def f(): pass\n"),
            ("other.py", "x = 1\n"),
        ]);
        let (_, loaded) = load_for_test(dir.path(), &found);
        let parsed: Vec<bool> = loaded.parsed.iter().map(Option::is_some).collect();
        assert_eq!(parsed, [true, true, false]);
        assert!(loaded.load_errors.is_empty());
    }

    #[test]
    fn unreadable_and_broken_files_are_load_errors() {
        let (dir, mut found) = project(&[("broken.py", "import mlflow\ndef (:\n")]);
        found.python.push(dir.path().join("missing.py"));
        let (_, loaded) = load_for_test(dir.path(), &found);
        let kinds: Vec<&LoadErrorKind> = loaded.load_errors.iter().map(|e| &e.kind).collect();
        assert!(
            matches!(kinds[0], LoadErrorKind::Syntax { cell: None, .. }),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|k| matches!(k, LoadErrorKind::Unreadable(_))),
            "{kinds:?}"
        );
    }

    #[test]
    fn a_parser_panic_is_a_syntax_error_of_that_file() {
        let parsed = parse_or_report(SourceKind::Python, || panic!("boom"));
        assert!(parsed.body().is_empty());
        assert_eq!(parsed.syntax_errors.len(), 1);
        assert!(
            parsed.syntax_errors[0].message.contains("internal error")
                && parsed.syntax_errors[0].message.contains("boom")
        );
    }

    #[test]
    fn notebook_cells_write_files_into_the_project() {
        let notebook = r#"{"cells": [{"cell_type": "code", "source": ["%%writefile agent.py\n", "import mlflow\n"], "metadata": {}, "outputs": [], "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;
        let (dir, found) = project(&[("nb.ipynb", notebook)]);
        let (sources, loaded) = load_for_test(dir.path(), &found);
        assert_eq!(loaded.paths.len(), 2);
        assert!(loaded.paths[1].ends_with("agent.py"));
        assert_eq!(loaded.origins.get(&1).map(|(n, _)| *n), Some(0));
        assert_eq!(sources.written.len(), 1);
    }
}
