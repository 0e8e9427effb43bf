//! `check`: from paths to sorted diagnostics. The flow is the pipeline of `style.md`: discover,
//! load, parse (in parallel), semantic models, project model, rules.

use std::path::{Path, PathBuf};

use obolint_diagnostics::{Diagnostic, SourceDb, SourceFile};
use obolint_python::semantic::ModuleModel;
use obolint_python::{ParsedSource, detect_kind, parse_source};
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashMap;

use crate::dataflow::Dataflow;
use crate::discover::{WalkWarning, discover, project_root};
use crate::load::{Loaded, load};
use crate::project::{Project, ProjectFile, module_names, package_of};
use crate::rules;
use crate::settings::Settings;

#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// Files and folders as the user gave them; they narrow what is reported, not what is
    /// understood (the whole project around them is analysed).
    pub paths: Vec<PathBuf>,
    pub settings: Settings,
    /// Where relative paths start, and what displayed paths are relative to.
    pub cwd: PathBuf,
}

#[derive(Debug)]
pub struct CheckReport {
    pub db: SourceDb,
    /// Sorted by file name, row, column, code.
    pub diagnostics: Vec<Diagnostic>,
    pub warnings: Vec<WalkWarning>,
    /// Python files found in the reported paths.
    pub files_checked: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("path `{}` does not exist", .0.display())]
    PathNotFound(PathBuf),
}

/// Stack size of the threads that parse and walk syntax trees. Parsing, visiting and dropping a
/// tree recurse once per nesting level; CPython itself gives up long before this is reached, but a
/// generated or hostile file must not crash the run. Stacks are reserved, not committed, so this
/// costs address space only.
const WORKER_STACK: usize = 512 * 1024 * 1024;

pub fn check(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    match rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK)
        .build()
    {
        Ok(pool) => pool.install(|| check_in_pool(request)),
        Err(_) => check_in_pool(request),
    }
}

fn check_in_pool(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let mut targets = Vec::new();
    for path in &request.paths {
        let absolute = cwd.join(path);
        let canonical = absolute
            .canonicalize()
            .map_err(|_| CheckError::PathNotFound(path.clone()))?;
        targets.push(canonical);
    }
    let mut roots: Vec<PathBuf> = targets.iter().map(|t| project_root(t)).collect();
    roots.sort();
    roots.dedup();
    // A project inside another one given too is analysed as part of the outer one.
    let all_roots = roots.clone();
    roots.retain(|r| !all_roots.iter().any(|o| o != r && r.starts_with(o)));

    let mut run = Run {
        cwd,
        targets,
        db: SourceDb::new(),
        diagnostics: Vec::new(),
        warnings: Vec::new(),
        files_checked: 0,
    };
    for root in &roots {
        run.check_root(root, &request.settings);
    }
    let Run {
        db,
        mut diagnostics,
        warnings,
        files_checked,
        targets,
        ..
    } = run;
    diagnostics.retain(|d| {
        let path = &db.get(d.primary.file).path;
        targets.iter().any(|t| path.starts_with(t))
    });
    obolint_diagnostics::render::sort(&mut diagnostics, &db);
    diagnostics.dedup();
    Ok(CheckReport {
        db,
        diagnostics,
        warnings,
        files_checked,
    })
}

struct Run {
    cwd: PathBuf,
    targets: Vec<PathBuf>,
    db: SourceDb,
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<WalkWarning>,
    files_checked: usize,
}

impl Run {
    fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
    }

    fn add_file(&mut self, path: &Path, text: String) -> obolint_diagnostics::FileId {
        let display = self.display_path(path);
        self.db
            .add(SourceFile::new(path.to_path_buf(), display, text))
    }

    fn check_root(&mut self, root: &Path, settings: &Settings) {
        let found = discover(root, settings);
        self.warnings.extend(found.warnings);
        self.files_checked += found
            .python
            .iter()
            .filter(|p| self.targets.iter().any(|t| p.starts_with(t)))
            .count();
        for (path, reason) in found.unreadable {
            let id = self.add_file(&path, String::new());
            self.diagnostics.push(rules::syntax_error::unreadable(
                id,
                TextRange::default(),
                &reason,
            ));
        }

        let paths = found.python;
        let words = settings.prescreen_words();
        let mut loaded: Vec<Loaded> = paths.par_iter().map(|p| load(p, &words)).collect();

        let mut module_index: FxHashMap<String, usize> = FxHashMap::default();
        for (i, path) in paths.iter().enumerate() {
            for name in module_names(root, path) {
                module_index.entry(name).or_insert(i);
            }
        }

        // Parse what the prescreen wants, then, until nothing changes, the project modules that
        // parsed files import.
        let mut parsed: Vec<Option<ParsedSource>> = (0..paths.len()).map(|_| None).collect();
        let mut batch: Vec<usize> = loaded
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, Loaded::Text { relevant: true, .. }))
            .map(|(i, _)| i)
            .collect();
        while !batch.is_empty() {
            let results: Vec<(usize, ParsedSource)> = batch
                .par_iter()
                .filter_map(|&i| match &loaded[i] {
                    Loaded::Text { text, .. } => Some((i, parse_source(text, detect_kind(text)))),
                    _ => None,
                })
                .collect();
            let mut next = Vec::new();
            for (i, source) in results {
                let package = package_of(root, &paths[i]);
                for module in obolint_python::imports::imported_modules(source.body(), &package) {
                    if let Some(&j) = module_index.get(&module)
                        && parsed[j].is_none()
                        && !batch.contains(&j)
                        && !next.contains(&j)
                    {
                        next.push(j);
                    }
                }
                parsed[i] = Some(source);
            }
            batch = next;
        }

        let mut files: Vec<(usize, obolint_diagnostics::FileId)> = Vec::new();
        for (i, slot) in loaded.iter_mut().enumerate() {
            match std::mem::replace(slot, Loaded::Unreadable(String::new())) {
                Loaded::Text { text, .. } => {
                    if let Some(source) = &parsed[i] {
                        let id = self.add_file(&paths[i], text);
                        for error in &source.syntax_errors {
                            self.diagnostics
                                .push(rules::syntax_error::from_parse_error(id, error));
                        }
                        files.push((i, id));
                    }
                }
                Loaded::NotUtf8 { lossy, offset } => {
                    let start = lossy_offset(&lossy, offset);
                    let range = TextRange::new(start, start);
                    let id = self.add_file(&paths[i], lossy);
                    self.diagnostics.push(rules::syntax_error::unreadable(
                        id,
                        range,
                        "it is not valid UTF-8",
                    ));
                }
                Loaded::Unreadable(reason) => {
                    let id = self.add_file(&paths[i], String::new());
                    self.diagnostics.push(rules::syntax_error::unreadable(
                        id,
                        TextRange::default(),
                        &reason,
                    ));
                }
            }
        }

        let project_files: Vec<ProjectFile<'_>> = files
            .par_iter()
            .map(|&(i, id)| {
                let source = parsed[i].as_ref().expect("only parsed files are listed");
                ProjectFile {
                    id,
                    path: paths[i].clone(),
                    model: ModuleModel::build(source.body(), package_of(root, &paths[i])),
                }
            })
            .collect();
        let project = Project::new(root.to_path_buf(), project_files, settings);

        let dataflow = Dataflow::new(&project);
        rules::user_client_at_load_time::check(&project, &dataflow, &mut self.diagnostics);
        let per_file: Vec<Vec<Diagnostic>> = project
            .file_indices()
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&file| {
                let dataflow = Dataflow::new(&project);
                let mut out = Vec::new();
                rules::genie_without_user_client::check(&project, &dataflow, file, &mut out);
                out
            })
            .collect();
        self.diagnostics.extend(per_file.into_iter().flatten());
    }
}

/// The offset in the lossy text of the byte at `offset` in the original: everything before it was
/// valid UTF-8, so it is the same.
fn lossy_offset(lossy: &str, offset: usize) -> TextSize {
    TextSize::new(offset.min(lossy.len()) as u32)
}
