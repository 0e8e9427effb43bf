//! Finding the project root and the files to read: a gitignore-aware walk that never follows a
//! symlink loop and never stops at an unreadable folder.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use crate::settings::{DEFAULT_EXCLUDES, Settings};

/// Files that mark the root of a project (`cli.md`: the project model is always built from it).
const ROOT_MARKERS: &[&str] = &["pyproject.toml", "obolint.toml", ".obolint.toml", ".git"];

/// The nearest folder at or above `path` holding a root marker; the folder of `path` itself when
/// none does.
pub fn project_root(path: &Path) -> PathBuf {
    let start = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    start
        .ancestors()
        .find(|dir| ROOT_MARKERS.iter().any(|marker| dir.join(marker).exists()))
        .map_or(start.clone(), Path::to_path_buf)
}

/// Something the walk could not do, told to the user without stopping the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkWarning {
    pub path: Option<PathBuf>,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    /// Python sources and notebooks, in a stable order.
    pub python: Vec<PathBuf>,
    /// `MLmodel` and `resources.yaml` files.
    pub manifests: Vec<PathBuf>,
    /// Entries whose path is known but whose content cannot be read (a dangling symlink).
    pub unreadable: Vec<(PathBuf, String)>,
    pub warnings: Vec<WalkWarning>,
}

/// Python modules, Databricks source notebooks (`.py`) and Jupyter notebooks.
fn is_python(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "py" || ext == "ipynb")
}

/// Exclusion patterns: a pattern without `/` matches a file or folder name anywhere (`build`,
/// `*_test.py`); one with `/` matches a path relative to the root (`src/legacy`, `tests/**`).
struct Excludes {
    names: GlobSet,
    paths: GlobSet,
}

impl Excludes {
    fn new(settings: &Settings, warnings: &mut Vec<WalkWarning>) -> Self {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        let patterns = DEFAULT_EXCLUDES
            .iter()
            .map(|s| (*s).to_string())
            .chain(settings.extend_exclude.iter().cloned());
        for pattern in patterns {
            let pattern = pattern.trim_end_matches('/');
            let built = if pattern.contains('/') {
                Glob::new(pattern)
                    .map(|g| paths.add(g))
                    .and_then(|_| Glob::new(&format!("{pattern}/**")))
                    .map(|g| {
                        paths.add(g);
                    })
            } else {
                Glob::new(pattern).map(|g| {
                    names.add(g);
                })
            };
            if let Err(error) = built {
                warnings.push(WalkWarning {
                    path: None,
                    message: format!("exclude pattern `{pattern}` is not a valid glob: {error}"),
                });
            }
        }
        Self {
            names: names.build().unwrap_or_else(|_| GlobSet::empty()),
            paths: paths.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    fn excludes(&self, root: &Path, path: &Path) -> bool {
        path.file_name()
            .is_some_and(|name| self.names.is_match(name))
            || path
                .strip_prefix(root)
                .is_ok_and(|relative| self.paths.is_match(relative))
    }
}

pub fn discover(root: &Path, settings: &Settings) -> Discovered {
    let mut found = Discovered::default();
    let excludes = Excludes::new(settings, &mut found.warnings);
    let root_for_filter = root.to_path_buf();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .follow_links(true)
        .git_ignore(settings.respect_gitignore)
        .git_exclude(settings.respect_gitignore)
        .git_global(false)
        .ignore(settings.respect_gitignore)
        .parents(settings.respect_gitignore)
        .require_git(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .filter_entry(move |entry| !excludes.excludes(&root_for_filter, entry.path()));
    for entry in builder.build() {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if is_file && is_python(path) {
                    found.python.push(entry.into_path());
                } else if is_file && crate::manifest::ManifestKind::of(path).is_some() {
                    found.manifests.push(entry.into_path());
                }
            }
            Err(error) => {
                let path = error_path(&error);
                // A dangling link to a `.py` file is a file we were meant to check: its own
                // diagnostic. Anything else (a loop, an unreadable folder) is a warning.
                match path {
                    Some(p) if is_python(&p) && !is_loop(&error) => {
                        found.unreadable.push((p, error_message(&error)));
                    }
                    _ => found.warnings.push(WalkWarning {
                        path,
                        message: error_message(&error),
                    }),
                }
            }
        }
    }
    found
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn is_loop(error: &ignore::Error) -> bool {
    match error {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

fn error_message(error: &ignore::Error) -> String {
    match error {
        ignore::Error::Loop { ancestor, child } => format!(
            "symlink loop: {} points back to {}; not followed",
            child.display(),
            ancestor.display()
        ),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        ignore::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}
