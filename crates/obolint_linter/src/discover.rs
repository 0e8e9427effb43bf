//! Finding the project root and the files to read: a gitignore-aware walk that never follows a
//! symlink loop, never stops at an unreadable folder, and never leaves the project: a symlinked
//! folder is followed only when its real path is inside the root, a symlinked file only when it is
//! not in `/proc`, `/sys` or `/dev`, and ignore files (which the `ignore` crate opens itself) are
//! checked to be regular files within `max-file-size` before it reads them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use crate::load::{check_readable, is_system_path};
use crate::settings::{DEFAULT_EXCLUDES, Settings};

/// Files that mark the root of a project (the CLI contract: the project model is always built from it).
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
    /// `requirements*.txt` files, and `conda.yaml` next to an `MLmodel`.
    pub requirements: Vec<PathBuf>,
    /// Databricks Apps configuration files (`databricks.yml`, the files its `include:` names,
    /// `app.yaml`) are in `manifests` too; these are the included ones (known by their bundle,
    /// not by their name).
    pub bundle_includes: Vec<PathBuf>,
    /// Source folders of Databricks Apps (folders of `app.yaml`, bundles' `source_code_path`):
    /// every Python file under them is parsed, whatever the prescreen says (an app's entry
    /// script may import only its own helpers).
    pub app_roots: Vec<PathBuf>,
    /// Entries whose path is known but whose content cannot be read (a dangling symlink).
    pub unreadable: Vec<(PathBuf, String)>,
    pub warnings: Vec<WalkWarning>,
    /// Folders below the root with their own `pyproject.toml` or `obolint.toml`: projects of
    /// their own (one repository may hold several agent projects), walked and analysed apart.
    /// Their files are not in the lists above.
    pub nested_roots: Vec<PathBuf>,
}

/// Files that make a folder below the root a project of its own.
const NESTED_ROOT_MARKERS: &[&str] = &["pyproject.toml", "obolint.toml", ".obolint.toml"];

/// Python modules, Databricks source notebooks (`.py`) and Jupyter notebooks.
fn is_python(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "py" || ext == "ipynb")
}

/// `requirements*.txt`, and `conda.yaml` saved next to an `MLmodel`.
fn is_requirements(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    (name.starts_with("requirements") && name.ends_with(".txt"))
        || (name == "conda.yaml" && path.with_file_name("MLmodel").is_file())
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

/// The ignore files the `ignore` crate would open in `dir` (`.ignore`, `.gitignore`, and the
/// `info/exclude` of its `.git`), with the first that is not a regular file within `limit`, and
/// why. A missing file is fine; a `.git` file (a worktree) is followed to its git folder.
fn unsafe_ignore_file(dir: &Path, limit: u64) -> Option<(PathBuf, String)> {
    let check = |path: PathBuf| -> Option<(PathBuf, String)> {
        match check_readable(&path, limit) {
            Ok(_) => None,
            Err(crate::load::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(crate::load::ReadError::Io(_)) => None,
            Err(error) => Some((path, error.to_string())),
        }
    };
    for name in [".ignore", ".gitignore"] {
        if let Some(found) = check(dir.join(name)) {
            return Some(found);
        }
    }
    let git = dir.join(".git");
    let Ok(metadata) = std::fs::metadata(&git) else {
        return None;
    };
    if metadata.is_dir() {
        return check(git.join("info").join("exclude"));
    }
    // `.git` as a file: `gitdir: PATH`, then that folder's `commondir` and `info/exclude`.
    if let Some(found) = check(git.clone()) {
        return Some(found);
    }
    let text = crate::load::read_bounded_text(&git, limit).ok()?;
    let gitdir = PathBuf::from(text.lines().next()?.strip_prefix("gitdir: ")?);
    let commondir = gitdir.join("commondir");
    if let Some(found) = check(commondir.clone()) {
        return Some(found);
    }
    let common = match crate::load::read_bounded_text(&commondir, limit) {
        Ok(text) => gitdir.join(text.trim()),
        Err(_) => gitdir,
    };
    check(common.join("info").join("exclude"))
}

/// Why the walk must not descend into `entry`, if it must not: a symlinked folder whose real path
/// is outside `root` (or in `/proc`, `/sys`, `/dev`), a symlinked file in those, or a folder
/// whose ignore files are not regular files.
fn refuse(
    entry: &ignore::DirEntry,
    root: &Path,
    read_ignore_files: bool,
    limit: u64,
) -> Option<String> {
    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
    if entry.path_is_symlink()
        && let Ok(real) = entry.path().canonicalize()
    {
        if is_dir && (!real.starts_with(root) || is_system_path(&real)) {
            return Some(format!(
                "symlinked folder resolves to {}, outside the project; not followed",
                real.display()
            ));
        }
        if !is_dir && is_system_path(&real) {
            return Some(format!(
                "symlinked file resolves to {}; not read",
                real.display()
            ));
        }
    }
    if is_dir
        && read_ignore_files
        && let Some((file, why)) = unsafe_ignore_file(entry.path(), limit)
    {
        return Some(format!(
            "folder skipped: its ignore file {} cannot be read safely ({why})",
            file.display()
        ));
    }
    None
}

pub fn discover(root: &Path, settings: &Settings) -> Discovered {
    let mut found = Discovered::default();
    let excludes = Excludes::new(settings, &mut found.warnings);
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let limit = settings.max_file_size;
    // The root's ignore files (and its parents') are read before any filter runs: when one is not
    // a regular file, no ignore file is read at all.
    let mut respect_gitignore = settings.respect_gitignore;
    if respect_gitignore
        && let Some((file, why)) = root
            .ancestors()
            .find_map(|dir| unsafe_ignore_file(dir, limit))
    {
        respect_gitignore = false;
        found.warnings.push(WalkWarning {
            path: Some(file),
            message: format!(
                "this ignore file cannot be read safely ({why}); no ignore file is read in this run"
            ),
        });
    }
    let refused: Arc<Mutex<Vec<WalkWarning>>> = Arc::default();
    let refused_in_filter = Arc::clone(&refused);
    let root_for_filter = root.to_path_buf();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .follow_links(true)
        .git_ignore(respect_gitignore)
        .git_exclude(respect_gitignore)
        .git_global(false)
        .ignore(respect_gitignore)
        .parents(respect_gitignore)
        .require_git(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            if excludes.excludes(&root_for_filter, entry.path()) {
                return false;
            }
            match refuse(entry, &real_root, respect_gitignore, limit) {
                Some(message) => {
                    refused_in_filter
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(WalkWarning {
                            path: Some(entry.path().to_path_buf()),
                            message,
                        });
                    false
                }
                None => true,
            }
        });
    let mut yaml: Vec<PathBuf> = Vec::new();
    for entry in builder.build() {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if is_file
                    && path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| NESTED_ROOT_MARKERS.contains(&n))
                    && let Some(folder) = path.parent()
                    && folder != root
                {
                    found.nested_roots.push(folder.to_path_buf());
                }
                if is_file && is_python(path) {
                    found.python.push(entry.into_path());
                } else if is_file && crate::manifest::ManifestKind::of(path).is_some() {
                    if is_yaml(path) {
                        yaml.push(path.to_path_buf());
                    }
                    found.manifests.push(entry.into_path());
                } else if is_file && crate::app_manifest::AppYamlKind::of_name(path).is_some() {
                    found.manifests.push(entry.into_path());
                } else if is_file && is_yaml(path) {
                    yaml.push(entry.into_path());
                } else if is_file && is_requirements(path) {
                    found.requirements.push(entry.into_path());
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
    let refused = std::mem::take(&mut *refused.lock().unwrap_or_else(PoisonError::into_inner));
    found.warnings.extend(refused);
    // Only the outermost nested projects: those inside them are theirs to find.
    found.nested_roots.sort();
    found.nested_roots.dedup();
    let all = found.nested_roots.clone();
    found
        .nested_roots
        .retain(|r| !all.iter().any(|o| o != r && r.starts_with(o)));
    if !found.nested_roots.is_empty() {
        let nested = found.nested_roots.clone();
        let outside = |p: &PathBuf| !nested.iter().any(|n| p.starts_with(n));
        found.python.retain(outside);
        found.manifests.retain(outside);
        found.requirements.retain(outside);
        found.unreadable.retain(|(p, _)| outside(p));
    }
    bundle_includes(&mut found, &yaml, limit);
    let app_yaml: Vec<PathBuf> = found
        .manifests
        .iter()
        .filter(|p| {
            crate::app_manifest::AppYamlKind::of_name(p)
                == Some(crate::app_manifest::AppYamlKind::AppYaml)
        })
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    found.app_roots.extend(app_yaml);
    // Never a folder outside the project.
    let root = crate::analysis::models::normalize(root);
    found.app_roots.retain(|r| r.starts_with(&root));
    // An app of a nested project is that project's.
    found
        .app_roots
        .retain(|r| !found.nested_roots.iter().any(|n| r.starts_with(n)));
    found.app_roots.sort();
    found.app_roots.dedup();
    found
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "yml" || ext == "yaml")
}

/// The YAML files found by the walk that a bundle's `include:` names (globs relative to the
/// bundle's folder). Bundles are read here, bounded, only for their `include:`; a bundle that
/// cannot be read or parsed includes nothing (loading reports it).
fn bundle_includes(found: &mut Discovered, yaml: &[PathBuf], limit: u64) {
    use crate::app_manifest::{
        AppYamlKind, BundleFile, Setting, effective_apps, include_matcher, parse_app_manifest,
    };
    let bundles: Vec<PathBuf> = found
        .manifests
        .iter()
        .filter(|p| AppYamlKind::of_name(p) == Some(AppYamlKind::Bundle))
        .cloned()
        .collect();
    for bundle in bundles {
        let Ok(text) = crate::load::read_bounded_text(&bundle, limit) else {
            continue;
        };
        let Ok(manifest) = parse_app_manifest(&text, AppYamlKind::Bundle) else {
            continue;
        };
        let Some(folder) = bundle.parent() else {
            continue;
        };
        // The bundle's files, each with its folder: its apps' source folders are known only
        // once the targets and variables of all of them are read.
        let includes = include_matcher(&manifest.includes);
        let mut files = vec![(manifest, folder.to_path_buf())];
        for path in yaml {
            let Ok(relative) = path.strip_prefix(folder) else {
                continue;
            };
            let relative = relative.to_string_lossy().replace('\\', "/");
            if includes.is_match(&relative) {
                if !found.bundle_includes.contains(path) {
                    found.bundle_includes.push(path.clone());
                }
                if !found.manifests.contains(path) {
                    found.manifests.push(path.clone());
                }
                if let Ok(text) = crate::load::read_bounded_text(path, limit)
                    && let Ok(included) = parse_app_manifest(&text, AppYamlKind::BundleInclude)
                    && let Some(parent) = path.parent()
                {
                    files.push((included, parent.to_path_buf()));
                }
            }
        }
        let files: Vec<BundleFile<'_>> = files
            .iter()
            .map(|(manifest, folder)| BundleFile { manifest, folder })
            .collect();
        for app in effective_apps(&files) {
            if let Setting::Known(path) = app.source {
                found
                    .app_roots
                    .push(crate::analysis::models::normalize(&path));
            }
        }
    }
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
