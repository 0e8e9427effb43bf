//! Loading a project root: read every discovered file (unsaved buffers first), read notebooks as
//! their code cells and add the files their `%%writefile` cells write, parse what the prescreen
//! wants and then the project modules those import, and read the manifests. What cannot be read
//! or parsed becomes [`LoadError`] data for OBO900; nothing here reports.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use obolint_diagnostics::{CellStart, FileId, NotebookJson, SourceFile, SourceText};
use obolint_python::inert::Inertness;
use obolint_python::notebook::{
    CellRole, NotebookError, NotebookText, WrittenFile, databricks_written_files, notebook_text,
    read_ipynb,
};
use obolint_python::parse::owned_import;
use obolint_python::semantic::ModuleModel;
use obolint_python::{
    Keep, ParsedSource, SourceKind, detect_kind, parse_notebook_keeping, parse_source,
    parse_source_keeping,
};
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};

use super::parses::ParseCache;
use super::sources::Sources;
use crate::analysis::models::normalize;
use crate::app_manifest::{AppYamlKind, ProjectAppManifest, parse_app_manifest};
use crate::discover::Discovered;
use crate::load::{LoadError, LoadErrorKind, Loaded, is_text, load, read_bounded, text_check};
use crate::manifest::{ManifestKind, ProjectManifest, parse_manifest};
use crate::project::{FileFacts, Reparse, module_names, package_of};
use crate::suppression::Directive;

/// Everything read from one project root.
pub(super) struct LoadedRoot {
    /// Every Python file and notebook, then the files notebook cells write.
    pub paths: Vec<PathBuf>,
    /// The parse of each path that was parsed (by index into `paths`); shared with the parses
    /// kept between checks, if any.
    pub parsed: Vec<Option<Arc<ParsedSource>>>,
    /// The facts of each parsed file whose tree was dropped once they were taken, for the
    /// index (taken by the analysis); its parse keeps its comments and errors only.
    pub facts: Vec<Option<FileFacts>>,
    /// How to read again and parse again each file whose tree was dropped, when asked for.
    pub reparse: Vec<Option<Reparse>>,
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
    /// The suppression comments of the parsed files whose texts were not kept, read while they
    /// were parsed.
    pub directives: FxHashMap<FileId, Vec<Directive>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
    /// The files parsed as they were read, by the same index.
    preparsed: Vec<Option<FileParse>>,
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
    matches!(loaded, Loaded::Text { text, relevant } if skippable_text(path, text, *relevant))
}

/// [`skippable`] of a file read as `text`, `relevant` to the prescreen.
fn skippable_text(path: &Path, text: &str, relevant: bool) -> bool {
    !relevant
        && !is_ipynb(path)
        && memchr::memchr(0, text.as_bytes()).is_none()
        && memchr::memmem::find(text.as_bytes(), b"%%writefile").is_none()
}

/// Whether a file read as `text` is a plain Python file the prescreen wants, loaded as
/// [`Loaded::Deferred`]: its text is dropped and read again by the task that parses it.
/// Notebooks (of either kind), files with `%%writefile` cells and files with a NUL byte keep
/// theirs (the loader reads them before any parse).
fn deferrable(path: &Path, text: &str, relevant: bool) -> bool {
    relevant
        && path.extension().is_some_and(|e| e == "py")
        && detect_kind(text) == SourceKind::Python
        && memchr::memchr(0, text.as_bytes()).is_none()
        && memchr::memmem::find(text.as_bytes(), b"%%writefile").is_none()
}

/// Reads every file `load_root` needs (unsaved buffers first), in parallel; the text of a
/// file the prescreen rejects is dropped at once (read again if an import asks for it), and so
/// is that of a plain Python file it wants ([`deferred`]: read again to be parsed).
///
/// Without the cache (which looks the root's files up before anything is parsed), such a file is
/// parsed as soon as it is read, by the task that read it, and its text is never read twice; a
/// file that cannot start a finding is cut to its imports at once while no file read so far can
/// ([`after_parse`]: one cut too early is parsed again if it turns out to be needed).
pub(super) fn read_root<'b>(
    root: &Path,
    found: &Discovered,
    buffers: &'b FxHashMap<PathBuf, String>,
    words: &[String],
    limit: u64,
    options: ReadOptions,
    parses: Option<(&ParseCache, u64)>,
) -> ReadRoot<'b> {
    let allowed = !options.parse_everything;
    // Whether a file read so far can start a finding, by its text or its tree.
    let seen_relevant = AtomicBool::new(!allowed);
    let in_app = |p: &Path| found.app_roots.iter().any(|r| p.starts_with(r));
    // Without the cache, nothing is hashed (the hashes are dropped below).
    let unhashed = blake3::Hash::from_bytes([0; 32]);
    let hash_of = |loaded: &Loaded| {
        if options.hash {
            super::cache::hash_loaded(loaded)
        } else {
            unhashed
        }
    };
    let read_hashed = |p: &PathBuf| {
        let loaded = read(p, buffers, words, limit);
        let hash = hash_of(&loaded);
        (loaded, hash)
    };
    let read_python = |p: &PathBuf| -> (Loaded, blake3::Hash, Option<FileParse>) {
        if buffers.contains_key(p) {
            let (loaded, hash) = read_hashed(p);
            // Files of a Databricks App are parsed whatever the prescreen says.
            if allowed && skippable(p, &loaded) && !in_app(p) {
                return (Loaded::Skipped, hash, None);
            }
            return (loaded, hash, None);
        }
        // Read into the thread's buffer: only a text that is kept is copied out of it.
        crate::load::with_found_text(p, limit, |read| {
            let text = match read {
                Ok(text) => text,
                Err(loaded) => {
                    if in_app(p) {
                        seen_relevant.store(true, Ordering::Relaxed);
                    }
                    let hash = hash_of(&loaded);
                    return (loaded, hash, None);
                }
            };
            let relevant =
                obolint_python::prescreen::mentions_relevant_names(text.as_bytes(), words);
            let hash = if options.hash {
                super::cache::hash_text(text)
            } else {
                unhashed
            };
            // Files of a Databricks App are parsed whatever the prescreen says.
            if allowed && skippable_text(p, text, relevant) && !in_app(p) {
                return (Loaded::Skipped, hash, None);
            }
            if !deferrable(p, text, relevant) {
                // Any other file the prescreen wants can start a finding (or is a notebook).
                if relevant || in_app(p) {
                    seen_relevant.store(true, Ordering::Relaxed);
                }
                let loaded = Loaded::Text {
                    text: text.to_owned(),
                    relevant,
                };
                return (loaded, hash, None);
            }
            let only_mlflow =
                obolint_python::prescreen::mentions_only_mlflow(text.as_bytes(), words);
            let check = text_check(text);
            let loaded = Loaded::Deferred {
                len: text.len(),
                check,
                only_mlflow,
            };
            let may_be_inert = allowed && only_mlflow && !in_app(p);
            if !may_be_inert {
                seen_relevant.store(true, Ordering::Relaxed);
            }
            if options.hash {
                return (loaded, hash, None);
            }
            let kind = SourceKind::Python;
            let source = parse_kept(parses, p, kind, None, text, || {
                parse_source_keeping(text, kind, Keep::Suppressions)
            });
            let directives = noqa_directives(text, &source);
            let mut parsed = after_parse(
                root,
                p,
                source,
                Texts {
                    may_be_inert: may_be_inert.then_some(text),
                    deferred: Some(Deferred { text, check, limit }),
                },
                allowed,
                &seen_relevant,
                parses,
            );
            parsed.directives = Some(directives);
            (loaded, hash, Some(parsed))
        })
    };
    let mut python = Vec::with_capacity(found.python.len());
    let mut python_hashes = Vec::with_capacity(found.python.len());
    let mut preparsed = Vec::with_capacity(found.python.len());
    for (loaded, hash, parsed) in found.python.par_iter().map(read_python).collect::<Vec<_>>() {
        python.push(loaded);
        python_hashes.push(hash);
        preparsed.push(parsed);
    }
    let (manifests, mut manifest_hashes): (Vec<Loaded>, Vec<blake3::Hash>) =
        found.manifests.par_iter().map(read_hashed).unzip();
    if !options.hash {
        python_hashes.clear();
        manifest_hashes.clear();
    }
    ReadRoot {
        python,
        preparsed,
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
    parses: Option<(&ParseCache, u64)>,
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
        preparsed,
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
        } else if detect_kind(text) == SourceKind::DatabricksNotebook
            // The first line first: the search reads the whole of every file.
            && memchr::memmem::find(text.as_bytes(), b"%%writefile").is_some()
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

    // Named in parallel, entered in path order (the first path to claim a name keeps it).
    let names: Vec<Vec<String>> = paths.par_iter().map(|p| module_names(root, p)).collect();
    let mut module_index: FxHashMap<String, usize> = FxHashMap::default();
    for (i, names) in names.into_iter().enumerate() {
        for name in names {
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
    // A deferred file's text, read again by the task that parses it, and whether it is what was
    // read first: when it is not, the run saw two versions of the project and is not cached.
    let changed_deferred = AtomicBool::new(false);
    let read_deferred = |path: &Path, len: usize, check: u64| -> (Loaded, bool) {
        let again = crate::load::load_again(path, limit);
        let same = matches!(&again, Loaded::Text { text, .. } if is_text(text, len, check));
        if !same {
            changed_deferred.store(true, Ordering::Relaxed);
        }
        (again, same)
    };
    let OnDemand {
        parsed,
        mut noqa,
        lazy,
    } = parse_on_demand(
        root,
        &paths,
        &mut loaded,
        reread,
        &read_deferred,
        preparsed,
        &notebooks,
        &origins,
        &module_index,
        Unanalysed {
            allowed: !parse_everything,
            words,
            mlmodels: found
                .manifests
                .iter()
                .any(|m| ManifestKind::of(m) == Some(ManifestKind::MlModel)),
            app_roots: &found.app_roots,
        },
        parses,
        limit,
    );

    let mut files: Vec<(usize, FileId)> = Vec::new();
    let mut file_ids: FxHashMap<usize, FileId> = FxHashMap::default();
    let mut directives: FxHashMap<FileId, Vec<Directive>> = FxHashMap::default();
    for (i, slot) in loaded.iter_mut().enumerate() {
        match std::mem::replace(slot, Loaded::Unreadable(String::new())) {
            // Parsed, and read again only if something asks for it.
            Loaded::Deferred { len, check, .. } => {
                if let Some(source) = &parsed[i] {
                    let id = out.add_file(&paths[i], read_again(&paths[i], len, check, limit));
                    if let Some(found) = noqa[i].take() {
                        directives.insert(id, found);
                    }
                    for error in &source.syntax_errors {
                        load_errors.push(syntax_error(id, error, error.cell));
                    }
                    files.push((i, id));
                    file_ids.insert(i, id);
                }
            }
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
    // A set: a bundle may include thousands of files.
    let included: rustc_hash::FxHashSet<&PathBuf> = found.bundle_includes.iter().collect();
    for (path, loaded) in found.manifests.iter().cloned().zip(manifest_loads) {
        let app_kind = if included.contains(&path) {
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

    let (facts, reparse) = lazy
        .into_iter()
        .map(|lazy| match lazy {
            Some(lazy) => {
                let (facts, reparse) = *lazy;
                (Some(facts), Some(reparse))
            }
            None => (None, None),
        })
        .unzip();
    LoadedRoot {
        directives,
        changed_while_read: changed_while_read || changed_deferred.into_inner(),
        paths,
        parsed,
        facts,
        reparse,
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

impl LoadedRoot {
    /// The tree of path `i`: its parse's, or, when that was dropped once its facts were taken,
    /// the tree parsed again.
    pub fn body(&self, i: usize) -> &[ruff_python_ast::Stmt] {
        match (&self.reparse[i], &self.parsed[i]) {
            (Some(reparse), _) => reparse.body(),
            (None, Some(parsed)) => parsed.body(),
            (None, None) => &[],
        }
    }
}

/// The text of a deferred file for the run's sources: read again when first asked for, and
/// blank (with [`SourceText::changed`]) unless it is still the text parsed.
fn read_again(path: &Path, len: usize, check: u64, limit: u64) -> SourceText {
    let path = path.to_path_buf();
    SourceText::read_again(
        len,
        Box::new(move || {
            #[cfg(test)]
            crate::project::rewrite_before_read_again(&path);
            let text = String::from_utf8(read_bounded(&path, limit).ok()?).ok()?;
            is_text(&text, len, check).then_some(text)
        }),
    )
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
        Loaded::Text { .. } | Loaded::Skipped | Loaded::Deferred { .. } => {}
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
        root,
        found,
        &no_buffers,
        &[],
        crate::load::DEFAULT_MAX_FILE_SIZE,
        ReadOptions::default(),
        None,
    );
    let loaded = load_root(&mut sources, root, found, read, &[], None);
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
    // Where each notebook's file is in `combined`: a notebook of many `%%writefile` cells looked
    // through all the files before it for each one (20,000 cells took 20 s).
    let mut at: FxHashMap<(usize, PathBuf), usize> = FxHashMap::default();
    for (notebook, file) in written {
        if !file.path.ends_with(".py") {
            continue;
        }
        let Some(dir) = paths[notebook].parent() else {
            continue;
        };
        let path = normalize(&dir.join(&file.path));
        match at
            .get(&(notebook, path.clone()))
            .and_then(|&i| combined.get_mut(i))
        {
            Some((_, _, existing)) if file.append => existing.append_file(file),
            Some((_, _, existing)) => *existing = file,
            None => {
                at.insert((notebook, path.clone()), combined.len());
                combined.push((notebook, path, file));
            }
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

/// Per path (by index into `paths`), what some of them have.
type ByIndex<T> = Vec<Option<T>>;

/// Which parsed files may be left unanalysed (see [`unanalysed_files`]).
struct Unanalysed<'u> {
    /// Off when every file is parsed and analysed (the prescreen's proof).
    allowed: bool,
    /// The prescreen's extra words (configured factories).
    words: &'u [String],
    /// The root holds an `MLmodel` file (a model whose code it names by path).
    mlmodels: bool,
    app_roots: &'u [PathBuf],
}

/// Parses what the prescreen wants (and every notebook that writes files), then, until nothing
/// changes, the project modules that parsed files import. Files that cannot start a finding and
/// that imports do not connect to one that can keep only their imports ([`unanalysed_files`]).
#[allow(clippy::too_many_arguments)]
fn parse_on_demand(
    root: &Path,
    paths: &[PathBuf],
    loaded: &mut [Loaded],
    mut reread: impl FnMut(usize) -> Loaded,
    read_deferred: &(dyn Fn(&Path, usize, u64) -> (Loaded, bool) + Sync),
    mut preparsed: Vec<Option<FileParse>>,
    notebooks: &FxHashMap<usize, Result<NotebookText, NotebookError>>,
    origins: &FxHashMap<usize, (usize, WrittenFile)>,
    module_index: &FxHashMap<String, usize>,
    unanalysed: Unanalysed<'_>,
    parses: Option<(&ParseCache, u64)>,
    limit: u64,
) -> OnDemand {
    let mut parsed: Vec<Option<Arc<ParsedSource>>> = (0..paths.len()).map(|_| None).collect();
    let mut lazy: Vec<Lazy> = (0..paths.len()).map(|_| None).collect();
    let mut cut: Vec<Option<Vec<ruff_python_ast::Stmt>>> = (0..paths.len()).map(|_| None).collect();
    let mut noqa: ByIndex<Vec<Directive>> = (0..paths.len()).map(|_| None).collect();
    // The notebooks that write files, gathered once rather than looked for per file (a notebook
    // of thousands of `%%writefile` cells made that quadratic).
    let writers: FxHashSet<usize> = origins.values().map(|(n, _)| *n).collect();
    let mut batch: Vec<usize> = loaded
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            preparsed.get(*i).is_none_or(Option::is_none)
                && matches!(
                    l,
                    Loaded::Text { relevant: true, .. } | Loaded::Deferred { .. }
                )
                || writers.contains(i)
                // A NUL byte is a syntax error wherever it is (never a clean file).
                || matches!(l, Loaded::Text { text, .. } if text.contains('\0'))
        })
        .map(|(i, _)| i)
        .collect();
    // Whether a file is in the batch being parsed or the next one (instead of searching them).
    let mut queued = vec![false; paths.len()];
    // For each parsed file: whether it may be left unanalysed on its own, and where its imports
    // can lead.
    let mut inert = vec![Inertness::Relevant; paths.len()];
    let mut reach: Vec<Vec<String>> = vec![Vec::new(); paths.len()];
    let written = |i: usize| origins.contains_key(&i) || writers.contains(&i);
    // Whether a file's text and kind allow it to be inert (its syntax tree decides).
    let may_be_inert_at = |i: usize, kind: SourceKind| {
        unanalysed.allowed
            && kind == SourceKind::Python
            && !notebooks.contains_key(&i)
            && !written(i)
            && !unanalysed.app_roots.iter().any(|r| paths[i].starts_with(r))
    };
    let may_be_inert = |i: usize, text: &str, kind: SourceKind| {
        may_be_inert_at(i, kind)
            && obolint_python::prescreen::mentions_only_mlflow(text.as_bytes(), unanalysed.words)
    };
    // When no text says that a file can start a finding (a repository of ordinary Python where
    // every file imports `mlflow` to track runs), an inert file keeps only its imports as soon as
    // it is parsed, so that the trees of a root that turns out to have nothing to analyse never
    // add up. Once a file that can start a finding is parsed, the trees are kept; an inert file
    // dropped early that ends up connected to one is parsed again.
    // What `may_be_inert` says of each file of the first batch, asked once (its parse task reads
    // it here).
    let mut first = vec![None; paths.len()];
    if unanalysed.allowed {
        let found: Vec<(usize, bool)> = batch
            .par_iter()
            .filter_map(|&i| match &loaded[i] {
                Loaded::Text { text, .. } => Some((i, may_be_inert(i, text, detect_kind(text)))),
                Loaded::Deferred { only_mlflow, .. } => {
                    Some((i, *only_mlflow && may_be_inert_at(i, SourceKind::Python)))
                }
                _ => None,
            })
            .collect();
        for (i, may) in found {
            first[i] = Some(may);
        }
    }
    let early = unanalysed.allowed && first.iter().all(|may| may.is_none_or(|m| m));
    let seen_relevant = std::sync::atomic::AtomicBool::new(!early);
    let mut dropped = vec![false; paths.len()];
    // Each parsed file's package, dotted.
    let mut packages = vec![String::new(); paths.len()];
    for (i, p) in preparsed.iter().enumerate() {
        queued[i] |= p.is_some();
    }
    while !batch.is_empty() || preparsed.iter().any(Option::is_some) {
        for &i in &batch {
            queued[i] = true;
        }
        // Each file's imports are found by the task that parsed it, while its tree is fresh.
        type Parsed = (usize, FileParse);
        // Deferred files whose text, read again, is not the one read first: what they are now.
        let rewritten: Mutex<Vec<(usize, Loaded)>> = Mutex::default();
        let parse_python = |i: usize, text: &str| {
            let kind = detect_kind(text);
            let source = parse_kept(parses, &paths[i], kind, None, text, || {
                parse_source_keeping(text, kind, Keep::Suppressions)
            });
            (
                source,
                first[i].unwrap_or_else(|| may_be_inert(i, text, kind)),
            )
        };
        let results: Vec<Parsed> = batch
            .par_iter()
            .filter_map(|&i| {
                // A deferred file's text, read again (dropped when the task ends, unless its
                // tree is: see `after_parse`).
                let mut read_again = String::new();
                let deferred = matches!(loaded[i], Loaded::Deferred { .. });
                // Its check (that of the text read again, should it have changed).
                let mut again_check = 0;
                let mut directives = None;
                // The text of a file that may be inert.
                let (source, may_be_inert) = match (&loaded[i], notebooks.get(&i)) {
                    (_, Some(Ok(layout))) => (
                        parse_kept(
                            parses,
                            &paths[i],
                            SourceKind::Jupyter,
                            Some(layout),
                            "",
                            || parse_notebook_keeping(layout, Keep::Suppressions),
                        ),
                        None,
                    ),
                    (_, Some(Err(_))) => return None,
                    (Loaded::Text { text, .. }, None) => {
                        let (source, may) = parse_python(i, text);
                        (source, may.then_some(text.as_str()))
                    }
                    (&Loaded::Deferred { len, check, .. }, None) => {
                        let (again, same) = read_deferred(&paths[i], len, check);
                        let Loaded::Text { text, .. } = again else {
                            lock(&rewritten).push((i, again));
                            return None;
                        };
                        again_check = check;
                        if !same {
                            let only_mlflow = obolint_python::prescreen::mentions_only_mlflow(
                                text.as_bytes(),
                                unanalysed.words,
                            );
                            again_check = text_check(&text);
                            let now = Loaded::Deferred {
                                len: text.len(),
                                check: again_check,
                                only_mlflow,
                            };
                            lock(&rewritten).push((i, now));
                        }
                        read_again = text;
                        let (source, may) = parse_python(i, &read_again);
                        directives = Some(noqa_directives(&read_again, &source));
                        (source, may.then_some(read_again.as_str()))
                    }
                    _ => return None,
                };
                let mut parsed = after_parse(
                    root,
                    &paths[i],
                    source,
                    Texts {
                        may_be_inert,
                        deferred: deferred.then_some(Deferred {
                            text: &read_again,
                            check: again_check,
                            limit,
                        }),
                    },
                    unanalysed.allowed,
                    &seen_relevant,
                    parses,
                );
                parsed.directives = directives;
                Some((i, parsed))
            })
            .collect();
        // Files parsed as they were read (`read_root`) join the first batch's.
        let results = results.into_iter().chain(
            preparsed
                .iter_mut()
                .enumerate()
                .filter_map(|(i, p)| Some((i, p.take()?))),
        );
        for (i, now) in rewritten
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            loaded[i] = now;
        }
        let mut next = Vec::new();
        for (
            i,
            FileParse {
                source,
                package,
                modules,
                reach: file_reach,
                directives,
                lazy: file_lazy,
                cut: file_cut,
            },
        ) in results
        {
            noqa[i] = directives;
            lazy[i] = file_lazy;
            cut[i] = file_cut;
            if let Some(file_reach) = file_reach {
                inert[i] = file_reach.inertness;
                reach[i] = file_reach.names;
                dropped[i] = file_reach.dropped;
                packages[i] = package.join(".");
            }
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
    if unanalysed.allowed && inert.iter().any(|&i| i != Inertness::Relevant) {
        let names = parsed_module_names(root, paths, &parsed, unanalysed.app_roots);
        let skip = unanalysed_files(
            &names,
            &reach,
            &packages,
            &inert,
            unanalysed.mlmodels,
            |i| parsed[i].is_some(),
        );
        let loaded = &*loaded;
        parsed
            .par_iter_mut()
            .zip(lazy.par_iter_mut())
            .zip(cut.par_iter_mut())
            .enumerate()
            .for_each(
                |(i, ((slot, lazy), cut))| match (skip[i], dropped[i], slot) {
                    (true, false, Some(source)) => match cut.take() {
                        // Its tree was dropped for its facts: it keeps the imports its tree had.
                        Some(imports) => {
                            *lazy = None;
                            keep_only(source, imports, parses, &paths[i]);
                        }
                        None => keep_imports(source, parses, &paths[i]),
                    },
                    // Dropped early, yet connected to a file that can start a finding: parsed again
                    // (the same text, so the same syntax errors and comments).
                    (false, true, Some(source)) => {
                        let reparse = |text: &str| {
                            let kind = detect_kind(text);
                            parse_kept(parses, &paths[i], kind, None, text, || {
                                parse_source_keeping(text, kind, Keep::Suppressions)
                            })
                        };
                        match &loaded[i] {
                            Loaded::Text { text, .. } => *source = reparse(text),
                            // Read again: should it have changed since it was parsed, its text is
                            // shown blank, with a warning, and the run is not cached. Its text is
                            // not kept: unchanged, its facts are taken and its tree dropped, as in
                            // its first parse had it come after a file that can start a finding.
                            &Loaded::Deferred { len, check, .. } => {
                                if let (Loaded::Text { text, .. }, same) =
                                    read_deferred(&paths[i], len, check)
                                {
                                    *source = reparse(&text);
                                    if same {
                                        let path = &paths[i];
                                        let package = package_of(root, path);
                                        let modules = obolint_python::imports::imported_modules(
                                            source.body(),
                                            &package,
                                        );
                                        let text = Deferred {
                                            text: &text,
                                            check,
                                            limit,
                                        };
                                        *lazy = take_facts(
                                            path,
                                            source,
                                            &package,
                                            &modules,
                                            parses,
                                            Some(text),
                                        );
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                },
            );
    }
    OnDemand { parsed, noqa, lazy }
}

/// What [`parse_on_demand`] gives: each path's parse (if parsed), the suppression comments
/// read while a deferred file's text was at hand, and the facts of each file whose tree was
/// dropped, with how to read its text again.
struct OnDemand {
    parsed: Vec<Option<Arc<ParsedSource>>>,
    noqa: ByIndex<Vec<Directive>>,
    lazy: Vec<Lazy>,
}

/// Drops a parsed file's code but its import statements (hoisted to the top level, in order).
fn keep_imports(source: &mut Arc<ParsedSource>, parses: Option<(&ParseCache, u64)>, path: &Path) {
    let imports = obolint_python::imports::import_statements(source.body())
        .into_iter()
        .filter_map(owned_import)
        .collect();
    // Freed here, by the thread that parsed it or in parallel, not later with the root's trees.
    keep_only(source, imports, parses, path);
}

/// [`ParsedSource::keep_only`]. A parse kept between checks is forgotten by the cache first (a
/// file cut to its imports must not hold its whole tree between checks: a repository of files
/// that only track runs would keep them all); should another check still share it, the cut
/// is a copy ([`ParsedSource::with_only`]).
fn keep_only(
    source: &mut Arc<ParsedSource>,
    imports: Vec<ruff_python_ast::Stmt>,
    parses: Option<(&ParseCache, u64)>,
    path: &Path,
) {
    if let Some((cache, _)) = parses {
        cache.forget(path, source);
    }
    match Arc::get_mut(source) {
        Some(own) => own.keep_only(imports),
        None => *source = Arc::new(source.with_only(imports)),
    }
}

/// `parse()` (through [`parse_or_report`]), or the parse an earlier check kept of the same
/// input: `text` of `kind`, or the cells of `notebook` (an `.ipynb`, whose text is its own).
fn parse_kept(
    parses: Option<(&ParseCache, u64)>,
    path: &Path,
    kind: SourceKind,
    notebook: Option<&NotebookText>,
    text: &str,
    parse: impl FnOnce() -> ParsedSource,
) -> Arc<ParsedSource> {
    let Some((cache, check)) = parses else {
        return Arc::new(parse_or_report(kind, parse));
    };
    let (text, cells) = match notebook {
        Some(layout) => (
            std::borrow::Cow::Owned(layout.parse_text()),
            layout.cell_ranges(),
        ),
        None => (std::borrow::Cow::Borrowed(text), Vec::new()),
    };
    cache.parse(check, path, kind, &cells, &text, || {
        parse_or_report(kind, parse)
    })
}

/// A parsed file, with what the task that parsed it found out while its tree was fresh.
pub(super) struct FileParse {
    source: Arc<ParsedSource>,
    /// The package it is in.
    package: Vec<String>,
    /// The project modules it imports.
    modules: Vec<String>,
    /// Where its imports lead and whether it can start a finding (unless every file is
    /// analysed).
    reach: Option<Reach>,
    /// Its suppression comments, read while its text was at hand, when the run does not keep
    /// the text ([`Loaded::Deferred`]).
    directives: Option<Vec<Directive>>,
    /// Its facts and how to read its text again, when its tree was dropped ([`take_facts`]).
    lazy: Lazy,
    /// The import statements it keeps should it be left unanalysed ([`unanalysed_files`]),
    /// when it cannot start a finding and its tree was dropped.
    cut: Option<Vec<ruff_python_ast::Stmt>>,
}

/// A file's facts and how to read its text again, when its tree was dropped ([`take_facts`]).
type Lazy = Option<Box<(FileFacts, Reparse)>>;

/// The texts [`after_parse`] reads: that of a file that may be inert (which its tree decides),
/// and that of a deferred file, whose tree may be dropped ([`take_facts`]).
#[derive(Clone, Copy, Default)]
struct Texts<'t> {
    may_be_inert: Option<&'t str>,
    deferred: Option<Deferred<'t>>,
}

/// The text of a deferred file (not kept by the run), its [`text_check`], and the read limit:
/// what reads it again from disk when its tree was dropped and is asked for ([`Reparse`]).
#[derive(Clone, Copy)]
struct Deferred<'t> {
    text: &'t str,
    check: u64,
    limit: u64,
}

/// The suppression comments of a plain Python file, read from its text and its parse's comments
/// (which a check's parse keeps only when the text says `noqa`).
fn noqa_directives(text: &str, source: &ParsedSource) -> Vec<Directive> {
    if source.comments.is_empty() {
        return Vec::new();
    }
    crate::suppression::directives(text, &source.comments)
}

/// The work of a parse task after the parse: the file's imports, and whether it can start a
/// finding (`may_be_inert`: its text, when its text does not say). A file that cannot is cut
/// to its imports at once while no parsed file that can has been seen (`seen_relevant`); one
/// that can says so.
fn after_parse(
    root: &Path,
    path: &Path,
    mut source: Arc<ParsedSource>,
    texts: Texts<'_>,
    allowed: bool,
    seen_relevant: &AtomicBool,
    parses: Option<(&ParseCache, u64)>,
) -> FileParse {
    let Texts {
        may_be_inert,
        deferred,
    } = texts;
    let package = package_of(root, path);
    if !allowed {
        let modules = obolint_python::imports::imported_modules(source.body(), &package);
        let lazy = take_facts(path, &mut source, &package, &modules, parses, deferred);
        return FileParse {
            source,
            package,
            modules,
            reach: None,
            directives: None,
            lazy,
            cut: None,
        };
    }
    let imports = obolint_python::imports::import_statements(source.body());
    let (modules, names) = obolint_python::imports::imports_and_reach(&imports, &package);
    let inertness = match may_be_inert {
        Some(text) => obolint_python::inert::inertness(&imports, source.body(), text),
        None => Inertness::Relevant,
    };
    if inertness == Inertness::Relevant {
        seen_relevant.store(true, Ordering::Relaxed);
    }
    let dropped = inertness != Inertness::Relevant && !seen_relevant.load(Ordering::Relaxed);
    let mut lazy = None;
    let mut cut = None;
    if dropped {
        let imports = imports.into_iter().filter_map(owned_import).collect();
        keep_only(&mut source, imports, parses, path);
    } else if inertness == Inertness::Relevant {
        drop(imports);
        // A file that can start a finding is analysed whatever the other files are.
        lazy = take_facts(path, &mut source, &package, &modules, parses, deferred);
    } else {
        // One that cannot may yet be cut to its imports (`unanalysed_files`): should its tree
        // be dropped, the imports it would keep are kept beside its facts, as its tree says
        // them now.
        let imports: Vec<_> = imports.into_iter().filter_map(owned_import).collect();
        lazy = take_facts(path, &mut source, &package, &modules, parses, deferred);
        cut = lazy.is_some().then_some(imports);
    }
    FileParse {
        source,
        package,
        modules,
        reach: Some(Reach {
            inertness,
            names,
            dropped,
        }),
        directives: None,
        lazy,
        cut,
    }
}

/// A deferred file's facts ([`FileFacts`]), taken from its model while its tree is fresh, and
/// its tree dropped (its parse keeps its comments): the index and the analyses read the facts,
/// and the few files whose code they read further are read again from disk and parsed again
/// (when the text is still the one parsed: [`Reparse`]).
/// Only a file whose text is not kept (`deferred`, the text it was parsed from) that parsed as
/// plain Python without an error (a deferred file read again may have become a notebook since
/// its first read), and not in a check that shares its parses (the language server keeps
/// them): parsed again, the same text of the same kind gives the same tree. `modules` are the
/// modules it imports, which the task found already.
fn take_facts(
    path: &Path,
    source: &mut Arc<ParsedSource>,
    package: &[String],
    modules: &[String],
    parses: Option<(&ParseCache, u64)>,
    deferred: Option<Deferred<'_>>,
) -> Lazy {
    let Deferred { text, check, limit } = deferred?;
    if parses.is_some() || source.kind != SourceKind::Python || !source.syntax_errors.is_empty() {
        return None;
    }
    let own = Arc::get_mut(source)?;
    let model = ModuleModel::build(own.body(), package.to_vec());
    let facts = FileFacts::of(&model, modules.to_vec());
    drop(model);
    own.keep_only(Vec::new());
    let reparse = Reparse::from_disk(path.to_path_buf(), text.len(), check, limit, own.kind);
    Some(Box::new((facts, reparse)))
}

/// What the parse task found out for [`unanalysed_files`].
struct Reach {
    /// Whether the file can start a finding ([`Inertness::Relevant`]) or not.
    inertness: Inertness,
    /// Where its imports can lead ([`obolint_python::imports::imports_and_reach`]).
    names: Vec<String>,
    /// It kept only its imports as soon as it was parsed.
    dropped: bool,
}

/// Every module name of every parsed file (relative to the root, and to a Databricks App's
/// source folder for its files, as `Project` names them), sorted.
fn parsed_module_names(
    root: &Path,
    paths: &[PathBuf],
    parsed: &[Option<Arc<ParsedSource>>],
    app_roots: &[PathBuf],
) -> Vec<(String, usize)> {
    let mut names: Vec<(String, usize)> = paths
        .par_iter()
        .enumerate()
        .filter(|(i, _)| parsed[*i].is_some())
        .flat_map_iter(|(i, path)| {
            let mut names: Vec<(String, usize)> = module_names(root, path)
                .into_iter()
                .map(|n| (n, i))
                .collect();
            for source in app_roots.iter().filter(|r| path.starts_with(r)) {
                names.extend(module_names(source, path).into_iter().map(|n| (n, i)));
            }
            names
        })
        .collect();
    names.par_sort_unstable();
    names
}

/// Which parsed files are left unanalysed: those that imports, followed either way, connect to
/// no file that can start a finding (one that is not inert). Followed forward, because the
/// analysis reads the code an analysed file's imports lead to; backward, because a file that
/// imports an analysed one may start a finding through it, and its calls are call sites of the
/// analysed functions (what their parameters may hold). The others keep only their import
/// statements, so that they are still part of the code of a model whose entry they are, with the
/// modules they import; a model that names one by path (`code_paths=[...]`) reads nothing else in
/// it that can matter: it is inert (no client), and a file with dynamic code (an opaque use in a
/// model's code) counts as one that can start a finding wherever there can be a model (a file
/// that can start a finding, or an `MLmodel`, which `mlmodels` says). `names` are the parsed
/// files' module names, sorted; `reach[i]` are the names file `i`'s imports bind
/// ([`obolint_python::imports::imports_and_reach`]), also looked up in its own folder
/// (`Project::resolve_sibling`), whose `package` is `packages[i]`.
fn unanalysed_files(
    names: &[(String, usize)],
    reach: &[Vec<String>],
    packages: &[String],
    inert: &[Inertness],
    mlmodels: bool,
    is_parsed: impl Fn(usize) -> bool,
) -> Vec<bool> {
    let n = inert.len();
    // Nodes: the files, then one node per name with modules under it, which leads to them.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut groups: FxHashMap<String, Option<usize>> = FxHashMap::default();
    let is_module = |name: &str| {
        let start = names.partition_point(|(m, _)| m.as_str() < name);
        names.get(start).is_some_and(|(m, _)| m == name)
    };
    // `shortest`: the length of the shortest module name the fallback may take.
    let mut targets =
        |edges: &mut Vec<Vec<usize>>, name: &str, shortest: usize, out: &mut Vec<usize>| {
            let group = match groups.get(name) {
                Some(group) => *group,
                None => {
                    let under = |m: &str| {
                        m == name
                            || (m.starts_with(name) && m.as_bytes().get(name.len()) == Some(&b'.'))
                    };
                    // Names under `name` sort right after it, among names that merely start with
                    // it (`name_x`): all of them are contiguous.
                    let start = names.partition_point(|(m, _)| m.as_str() < name);
                    let members: Vec<usize> = names[start..]
                        .iter()
                        .take_while(|(m, _)| m.starts_with(name))
                        .filter(|(m, _)| under(m))
                        .map(|(_, i)| *i)
                        .collect();
                    let group = (!members.is_empty()).then(|| {
                        edges.push(members);
                        edges.len() - 1
                    });
                    groups.insert(name.to_string(), group);
                    group
                }
            };
            if let Some(group) = group {
                out.push(group);
                if is_module(name) {
                    return;
                }
            }
            // And the longest module that begins `name`: a name that is no module (a folder
            // without `__init__.py`, a member) may name a member of it, even with modules under
            // it (`a/b/__init__.py` defines `c`, and `a/b/c/` holds modules).
            let mut end = name.len();
            while let Some(dot) = name[..end].rfind('.') {
                end = dot;
                if end < shortest {
                    return;
                }
                let prefix = &name[..end];
                let start = names.partition_point(|(m, _)| m.as_str() < prefix);
                let before = out.len();
                out.extend(
                    names[start..]
                        .iter()
                        .take_while(|(m, _)| m == prefix)
                        .map(|(_, i)| *i),
                );
                if out.len() > before {
                    return;
                }
            }
        };
    // The same names are imported by many files: each is looked up once.
    let mut plain: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut beside: FxHashMap<(&str, &str), Vec<usize>> = FxHashMap::default();
    let mut found = Vec::new();
    for i in (0..n).filter(|&i| is_parsed(i)) {
        found.clear();
        // A name next to the file, when its folder is no module: only a module named by the
        // folder and the name's first part, or under it.
        let folder = packages[i].as_str();
        let siblings = !folder.is_empty() && !is_module(folder);
        for name in &reach[i] {
            let name = name.as_str();
            found.extend_from_slice(plain.entry(name).or_insert_with(|| {
                let mut out = Vec::new();
                targets(&mut edges, name, 0, &mut out);
                out
            }));
            if siblings {
                found.extend_from_slice(beside.entry((folder, name)).or_insert_with(|| {
                    let first = name.split('.').next().unwrap_or(name);
                    let shortest = folder.len() + 1 + first.len();
                    let mut out = Vec::new();
                    targets(&mut edges, &format!("{folder}.{name}"), shortest, &mut out);
                    out
                }));
            }
        }
        edges[i].extend_from_slice(&found);
    }
    // Edges both ways, then everything connected to a file that is not inert.
    let nodes = edges.len();
    let mut both: Vec<Vec<usize>> = edges.clone();
    for (from, to) in edges.iter().enumerate() {
        for &t in to {
            both[t].push(from);
        }
    }
    let mut analysed = vec![false; nodes];
    // Dynamic code matters only in a model's code: where some file can start a finding (a log
    // call, an agent class, `set_model`) or an `MLmodel` names an entry.
    let models = mlmodels || (0..n).any(|i| is_parsed(i) && inert[i] == Inertness::Relevant);
    let mut stack: Vec<usize> = (0..n)
        .filter(|&i| {
            is_parsed(i)
                && (inert[i] == Inertness::Relevant || (models && inert[i] == Inertness::Dynamic))
        })
        .collect();
    for &s in &stack {
        analysed[s] = true;
    }
    while let Some(node) = stack.pop() {
        for &t in &both[node] {
            if !analysed[t] {
                analysed[t] = true;
                stack.push(t);
            }
        }
    }
    (0..n).map(|i| is_parsed(i) && !analysed[i]).collect()
}

#[cfg(test)]
mod tests {
    use ruff_python_ast::Stmt;

    use super::*;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Discovered) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut found = Discovered::default();
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&path, text).expect("write");
            found.python.push(path);
        }
        (dir, found)
    }

    /// The text of a plain Python file the prescreen wants is not kept: it is read again when
    /// asked for, once. Notebooks, files imported after being skipped and files that write other
    /// files keep theirs.
    #[test]
    fn a_parsed_python_files_text_is_read_again_when_asked_for() {
        let (dir, found) = project(&[
            ("agent.py", "import mlflow\nfrom helpers import f\n"),
            ("helpers.py", "def f(): pass\n"),
            ("nb.py", "# Databricks notebook source\nimport mlflow\n"),
            (
                "writes.py",
                "# Databricks notebook source\n# MAGIC %%writefile w.py\n# MAGIC import mlflow\n",
            ),
            ("noqa.py", "import os\nimport databricks  # noqa: F401\n"),
        ]);
        let no_buffers = FxHashMap::default();
        let options = ReadOptions::default();
        let read_first = read_root(dir.path(), &found, &no_buffers, &[], 1 << 20, options, None);
        let deferred: Vec<bool> = read_first
            .python
            .iter()
            .map(|l| matches!(l, Loaded::Deferred { .. }))
            .collect();
        assert_eq!(deferred, [true, false, false, false, true]);
        let mut sources = Sources::new(dir.path().to_path_buf());
        let loaded = load_root(&mut sources, dir.path(), &found, read_first, &[], None);
        assert!(!loaded.changed_while_read);
        let text = |name: &str| {
            let id = sources.db.find(&dir.path().join(name)).expect("a file");
            &sources.db.get(id).text
        };
        let agent = text("agent.py");
        assert!(agent.is_unread());
        assert_eq!(agent.len(), 36);
        for kept in ["helpers.py", "nb.py", "writes.py", "w.py"] {
            assert!(!text(kept).is_unread(), "{kept}");
        }
        // Its suppression comments were read while it was parsed.
        let noqa_id = sources
            .db
            .find(&dir.path().join("noqa.py"))
            .expect("a file");
        assert!(sources.db.get(noqa_id).text.is_unread());
        let directives = &loaded.directives[&noqa_id];
        assert_eq!(directives.len(), 1);
        assert_eq!(directives[0].line, 1);
        let agent_id = sources
            .db
            .find(&dir.path().join("agent.py"))
            .expect("a file");
        assert!(loaded.directives[&agent_id].is_empty());
        // Read once, then kept.
        assert_eq!(agent, "import mlflow\nfrom helpers import f\n");
        std::fs::write(dir.path().join("agent.py"), "changed = 1\n").expect("write");
        assert_eq!(agent, "import mlflow\nfrom helpers import f\n");
        assert!(!agent.changed());
    }

    /// With the cache (a deferred file is read again to be parsed), one changed between the
    /// first read and its parse is parsed as it is now, and the run is not cached; one changed
    /// after its parse is blank when asked for, and says so. Without the cache, a file is parsed
    /// as it is read (`preparsed_files_are_the_files_parsed_later`).
    #[test]
    fn a_deferred_file_changed_during_the_run_is_never_shown_as_another_text() {
        let (dir, found) = project(&[("agent.py", "import databricks\nx = 1\n")]);
        let no_buffers = FxHashMap::default();
        let load = |found: &Discovered, between: &dyn Fn()| {
            let options = ReadOptions {
                hash: true,
                ..ReadOptions::default()
            };
            let read = read_root(dir.path(), found, &no_buffers, &[], 1 << 20, options, None);
            assert!(read.preparsed.iter().all(Option::is_none));
            between();
            let mut sources = Sources::new(dir.path().to_path_buf());
            let loaded = load_root(&mut sources, dir.path(), found, read, &[], None);
            (sources, loaded)
        };
        let path = dir.path().join("agent.py");

        // Changed before its parse: parsed as it is now, and shown so.
        let now = "import databricks\nimport os\ny = 22\n";
        let (sources, loaded) = load(&found, &|| std::fs::write(&path, now).expect("write"));
        assert!(loaded.changed_while_read);
        assert!(loaded.parsed[0].is_some(), "parsed");
        assert_eq!(loaded.body(0).len(), 3);
        let text = &sources.db.get(loaded.files[0].1).text;
        assert_eq!(text, now);
        assert!(!text.changed());

        // Made a notebook before its parse: parsed as one, and its tree kept (parsed again as
        // plain Python, its `%pip` line would be a syntax error, and its tree another).
        let notebook = "# Databricks notebook source\n%pip install databricks-sdk\n\n# COMMAND ----------\n\nimport databricks\n\ndef make():\n    return databricks.f()\n";
        let (_, loaded) = load(&found, &|| std::fs::write(&path, notebook).expect("write"));
        let parsed = loaded.parsed[0].as_ref().expect("parsed");
        assert_eq!(parsed.kind, SourceKind::DatabricksNotebook);
        assert!(loaded.reparse[0].is_none() && loaded.facts[0].is_none());
        assert_eq!(
            loaded.body(0).len(),
            3,
            "`%pip`, `import databricks`, `def make`"
        );
        std::fs::write(&path, now).expect("write");

        // Gone before its parse: unreadable (OBO900), not parsed.
        let (_, loaded) = load(&found, &|| std::fs::remove_file(&path).expect("remove"));
        assert!(loaded.changed_while_read);
        assert!(loaded.parsed[0].is_none());
        assert!(matches!(
            loaded.load_errors.as_slice(),
            [LoadError {
                kind: LoadErrorKind::Unreadable(_),
                ..
            }]
        ));

        // Changed after its parse: blank, the same length (every range stays in bounds).
        std::fs::write(&path, "import databricks\nx = 1\n").expect("write");
        let (sources, loaded) = load(&found, &|| {});
        assert!(!loaded.changed_while_read);
        std::fs::write(&path, "import databricks\nx = 2\n").expect("write");
        let text = &sources.db.get(loaded.files[0].1).text;
        assert_eq!(text, " ".repeat(24).as_str());
        assert!(text.changed());
    }

    /// Files parsed as they are read (without the cache) are the files, trees, errors and
    /// texts that parsing them later (with the cache) gives, whichever is read first: an inert
    /// file cut to its imports too early is parsed again when it is needed.
    #[test]
    fn preparsed_files_are_the_files_parsed_later() {
        let files = [
            ("a_inert_connected.py", "import mlflow\nSPACE = '01ef'\n"),
            (
                "b_inert_alone.py",
                "import mlflow\nimport os\nmlflow.log_metric('m', 1)\n",
            ),
            ("c_broken.py", "import databricks\ndef f(:\n"),
            (
                "d_agent.py",
                "from databricks.sdk import WorkspaceClient\nfrom a_inert_connected import SPACE\nfrom e_helpers import h\n",
            ),
            ("e_helpers.py", "def h(): pass\n"),
            ("f_other.py", "x = 1\n"),
            (
                "g_tracking.py",
                "import mlflow\nfrom b_inert_alone import os\n",
            ),
        ];
        let (dir, found) = project(&files);
        let no_buffers = FxHashMap::default();
        let shown = |hash: bool| {
            let options = ReadOptions {
                hash,
                ..ReadOptions::default()
            };
            let read = read_root(dir.path(), &found, &no_buffers, &[], 1 << 20, options, None);
            let preparsed = read.preparsed.iter().filter(|p| p.is_some()).count();
            let mut sources = Sources::new(dir.path().to_path_buf());
            let loaded = load_root(&mut sources, dir.path(), &found, read, &[], None);
            let parsed: Vec<String> = loaded
                .parsed
                .iter()
                .map(|p| match p {
                    Some(p) => format!("{:?} {:?} {:?}", p.body(), p.syntax_errors, p.comments),
                    None => "not parsed".to_string(),
                })
                .collect();
            let texts: Vec<String> = sources
                .db
                .files()
                .map(|(_, f)| f.text.to_string())
                .collect();
            let errors: Vec<String> = loaded
                .load_errors
                .iter()
                .map(|e| format!("{e:?}"))
                .collect();
            (preparsed, (parsed, texts, errors))
        };
        let (none, later) = shown(true);
        assert_eq!(none, 0);
        // Parsed in the read tasks, in any order: the same every time.
        for _ in 0..20 {
            let (preparsed, now) = shown(false);
            assert_eq!(preparsed, 5);
            assert!(now == later, "{now:#?}\n{later:#?}");
        }
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

    /// The shapes of `check::tests::files_left_unanalysed_change_no_finding`, file by file.
    #[test]
    fn only_files_imports_connect_to_nothing_that_can_start_a_finding_are_left_unanalysed() {
        let (dir, found) = project(&[
            // Not inert: names Databricks.
            (
                "tools.py",
                "from databricks_langchain.genie import GenieAgent\n",
            ),
            // Inert, imports a file that is not: analysed.
            (
                "agent.py",
                "import mlflow\nfrom tools import GenieAgent\nmlflow.log_metric('m', 1)\ng = GenieAgent()\n",
            ),
            // Inert, imported by a file that is not: analysed.
            ("config.py", "import mlflow\nSPACE = '01ef77'\n"),
            (
                "uses_config.py",
                "import mlflow\nfrom config import SPACE\nmlflow.pyfunc.log_model(SPACE)\n",
            ),
            // Inert, and connected to nothing that is not: only their imports are kept.
            (
                "metrics.py",
                "import mlflow\nimport os\ndef f():\n    import json\n    mlflow.log_metric('x', 1)\n",
            ),
            ("report.py", "import mlflow\nfrom metrics import f\nf()\n"),
            // An `mlflow` name other than tracking: analysed.
            ("serve.py", "import mlflow\nmlflow.models.set_model(None)\n"),
            // Dynamic code: analysed.
            ("dynamic.py", "import mlflow\nexec('x = 1')\n"),
            // `DATABRICKS_HOST` names Databricks too.
            (
                "env.py",
                "import mlflow, os\nos.environ['DATABRICKS_HOST']\n",
            ),
            // `c` is a function of `ns/__init__.py`, and `ns/c/` a folder of modules: importing
            // `c` reaches both.
            (
                "ns/__init__.py",
                "import mlflow\ndef c(client):\n    return client\n",
            ),
            ("ns/c/d.py", "import mlflow\nX = 1\n"),
            (
                "use_ns.py",
                "from databricks.sdk import WorkspaceClient\nfrom ns import c\n",
            ),
            // A package whose `__init__` re-exports a module that is not inert: every file
            // imports connect to it is analysed, `use_other.py` through `pkg/other.py`.
            (
                "pkg/__init__.py",
                "import mlflow\nfrom .impl import GenieAgent\n__all__ = ['GenieAgent']\n",
            ),
            (
                "pkg/impl.py",
                "from databricks_langchain.genie import GenieAgent\n",
            ),
            ("pkg/other.py", "import mlflow\nX = 1\n"),
            (
                "use_pkg.py",
                "import mlflow\nimport pkg.other\nprint(pkg.other.X)\n",
            ),
            (
                "use_other.py",
                "import mlflow\nfrom pkg.other import X\nprint(X)\n",
            ),
        ]);
        let (_, loaded) = load_for_test(dir.path(), &found);
        let names = |keep_all: bool| -> Vec<String> {
            let mut names: Vec<String> = loaded
                .paths
                .iter()
                .enumerate()
                .filter_map(|(i, path)| {
                    loaded.parsed[i].as_ref()?;
                    let only_imports = loaded
                        .body(i)
                        .iter()
                        .all(|s| matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)));
                    let name = path.strip_prefix(dir.path()).ok()?.display().to_string();
                    (only_imports != keep_all).then_some(name)
                })
                .collect();
            names.sort();
            names
        };
        // `tools.py` and `pkg/impl.py` hold imports only anyway.
        assert_eq!(
            names(true),
            [
                "agent.py",
                "config.py",
                "dynamic.py",
                "env.py",
                "ns/__init__.py",
                "ns/c/d.py",
                "pkg/__init__.py",
                "pkg/other.py",
                "serve.py",
                "use_other.py",
                "use_pkg.py",
                "uses_config.py",
            ]
        );
        let metrics = loaded
            .paths
            .iter()
            .position(|p| p.ends_with("metrics.py"))
            .and_then(|i| loaded.parsed[i].as_ref())
            .expect("parsed");
        // Nested imports are kept, hoisted.
        assert_eq!(metrics.body().len(), 3);
        assert!(names(false).contains(&"report.py".to_string()));
    }

    /// Without a file that can start a finding nor an `MLmodel`, there is no model: dynamic code
    /// is left unanalysed with the rest; an `MLmodel` makes it count.
    #[test]
    fn dynamic_code_counts_only_where_there_can_be_models() {
        let files = [
            (
                "loader.py",
                "import mlflow\nimport importlib\nimportlib.import_module('x')\n",
            ),
            ("user.py", "import mlflow\nfrom loader import y\nprint(y)\n"),
        ];
        let analysed = |found: &Discovered, root: &Path| -> usize {
            let (_, loaded) = load_for_test(root, found);
            // A file analysed has its code, or its facts when its tree was dropped.
            loaded
                .parsed
                .iter()
                .zip(&loaded.facts)
                .filter(|(p, facts)| {
                    facts.is_some()
                        || p.as_ref().is_some_and(|p| {
                            p.body()
                                .iter()
                                .any(|s| !matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)))
                        })
                })
                .count()
        };
        let (dir, found) = project(&files);
        assert_eq!(analysed(&found, dir.path()), 0);
        let (dir, mut found) = project(&files);
        std::fs::write(dir.path().join("MLmodel"), "flavors: {}\n").expect("write");
        found.manifests.push(dir.path().join("MLmodel"));
        assert_eq!(analysed(&found, dir.path()), 2);
    }

    /// With no text naming Databricks, inert files keep only their imports as soon as parsed;
    /// one that a file parsed after it (with an `mlflow` model) connects to is parsed again.
    #[test]
    fn inert_files_dropped_early_are_parsed_again_when_connected() {
        let (dir, found) = project(&[
            (
                "a_helpers.py",
                "import mlflow\nNAME = 'agent'\ndef f():\n    import os\n    return os\n",
            ),
            ("b_alone.py", "import mlflow\nmlflow.log_metric('m', 1)\n"),
            (
                "z_log.py",
                "import mlflow\nfrom a_helpers import NAME\nmlflow.pyfunc.log_model(name=NAME)\n",
            ),
        ]);
        // One thread: files are parsed in path order, so both inert files are parsed (and
        // dropped) before the file that can start a finding.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let (_, loaded) = pool.install(|| load_for_test(dir.path(), &found));
        let body = |name: &str| {
            let i = loaded
                .paths
                .iter()
                .position(|p| p.ends_with(name))
                .expect("path");
            assert!(loaded.parsed[i].is_some(), "parsed");
            loaded.body(i).to_vec()
        };
        let text = std::fs::read_to_string(dir.path().join("a_helpers.py")).expect("read");
        assert_eq!(
            body("a_helpers.py"),
            parse_source(&text, SourceKind::Python).body(),
            "parsed again, in full"
        );
        assert_eq!(body("b_alone.py").len(), 1, "only `import mlflow`");
        assert_eq!(body("z_log.py").len(), 3);
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
