//! Finding the project root and the files to read: a gitignore-aware walk that never follows a
//! symlink loop, never stops at an unreadable folder, and never leaves the project: a symlinked
//! folder is followed only when its real path is inside the root, a symlinked file only when it is
//! not in `/proc`, `/sys` or `/dev`, and ignore files are checked to be regular files within
//! `max-file-size` before they are read (bounded). The folders near the root are listed here, in
//! parallel parts (`walk_part`); the `ignore` crate walks the deeper ones, and the whole tree
//! on one thread when the parts cannot tell what one walk would (symlinks to folders, loops,
//! errors). The ignore files are read and matched here, as that crate would (see `Ignores`),
//! from the same `stat`s that check them, or from the folder's listing that shows none.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder, Glob as IgnoreGlob};
use ignore::{Match, WalkBuilder};
use rayon::prelude::*;

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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WalkWarning {
    pub path: Option<PathBuf>,
    pub message: String,
}

#[derive(Clone, Debug, Default)]
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
    /// Folders the walk listed that hold no entry named like a configuration file
    /// ([`crate::config::CONFIG_FILE_NAMES`], of any type, ignored or not): the configuration of
    /// their files is found without looking for one there. Empty when the walk listed none
    /// itself (the `ignore` crate's walk, 16 or more levels down or as one serial walk).
    pub config_free: Arc<rustc_hash::FxHashSet<PathBuf>>,
}

/// How many projects deep a project may be nested in others and still be a project of its
/// own; those nested deeper are part of the one at this depth (see [`discover_nested`]).
pub const MAX_NESTING: usize = 8;

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
            // No path pattern by default: the path is not made relative for nothing (a
            // comparison of components, for every entry of the walk).
            || (!self.paths.is_empty()
                && path
                    .strip_prefix(root)
                    .is_ok_and(|relative| self.paths.is_match(relative)))
    }
}

/// What the probes of one folder found: which of its ignore files exist (each a regular file
/// within the limit), and the type of its `.git`.
#[derive(Clone, Copy, Debug, Default)]
struct IgnoreFiles {
    ignore: bool,
    git_ignore: bool,
    /// The metadata of `.git` (symlinks followed), when there is one.
    git: Option<std::fs::FileType>,
    /// `.git/info/exclude` exists (only looked at when `.git` is a folder).
    git_exclude: bool,
}

/// The ignore files of `dir` (`.ignore`, `.gitignore`, and the `info/exclude` of its `.git`):
/// which exist, or the first that is not a regular file within `limit`, and why. A missing file
/// is fine; a `.git` file (a worktree) is followed to its git folder.
fn probe_ignore_files(dir: &Path, limit: u64) -> Result<IgnoreFiles, (PathBuf, String)> {
    probe_ignore_files_in(dir, limit, |_| true)
}

/// [`probe_ignore_files`] of a folder whose entries were listed: a name `present` does not
/// hold is not there, and is not looked for (most folders have none of the three; the walk in
/// parts lists each folder anyway, and a lookup costs about a listing's share of a file).
fn probe_ignore_files_in(
    dir: &Path,
    limit: u64,
    present: impl Fn(&str) -> bool,
) -> Result<IgnoreFiles, (PathBuf, String)> {
    // `Ok(true)`: a regular file within the limit; `Ok(false)`: none (or not one we can look at).
    let check = |path: PathBuf| -> Result<bool, (PathBuf, String)> {
        match check_readable(&path, limit) {
            Ok(_) => Ok(true),
            Err(crate::load::ReadError::Io(_)) => Ok(false),
            Err(error) => Err((path, error.to_string())),
        }
    };
    let check_in = |name: &str| -> Result<bool, (PathBuf, String)> {
        if present(name) {
            check(dir.join(name))
        } else {
            Ok(false)
        }
    };
    let mut files = IgnoreFiles {
        ignore: check_in(".ignore")?,
        git_ignore: check_in(".gitignore")?,
        ..IgnoreFiles::default()
    };
    if !present(".git") {
        return Ok(files);
    }
    let git = dir.join(".git");
    let Ok(metadata) = std::fs::metadata(&git) else {
        return Ok(files);
    };
    files.git = Some(metadata.file_type());
    if metadata.is_dir() {
        files.git_exclude = check(git.join("info").join("exclude"))?;
        return Ok(files);
    }
    // `.git` as a file: `gitdir: PATH`, then that folder's `commondir` and `info/exclude`.
    check(git.clone())?;
    let Ok(text) = crate::load::read_bounded_text(&git, limit) else {
        return Ok(files);
    };
    let Some(gitdir) = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("gitdir: "))
        .map(PathBuf::from)
    else {
        return Ok(files);
    };
    let commondir = gitdir.join("commondir");
    check(commondir.clone())?;
    let common = match crate::load::read_bounded_text(&commondir, limit) {
        Ok(text) => gitdir.join(text.trim()),
        Err(_) => gitdir,
    };
    check(common.join("info").join("exclude"))?;
    Ok(files)
}

/// The rules of one folder's ignore files, read by us: the `ignore` crate would probe every
/// folder for them again (four more failing `stat`s a folder) and read them unbounded.
struct IgnoreLevel {
    ignore: Gitignore,
    git_ignore: Gitignore,
    git_exclude: Gitignore,
}

impl IgnoreLevel {
    /// The rules of `dir`'s ignore files, as the `ignore` crate builds them (`.ignore` and
    /// `.gitignore` rooted at `dir`, and the `info/exclude` of its git folder, also rooted at
    /// `dir`); `None` when it has none.
    fn read(dir: &Path, files: IgnoreFiles, limit: u64) -> Option<Self> {
        let read = |present: bool, file: PathBuf| {
            if present {
                gitignore(dir, &file, limit)
            } else {
                Gitignore::empty()
            }
        };
        let level = Self {
            ignore: read(files.ignore, dir.join(".ignore")),
            git_ignore: read(files.git_ignore, dir.join(".gitignore")),
            git_exclude: match files.git {
                Some(kind) if kind.is_file() => git_common_dir(dir, limit)
                    .map_or_else(Gitignore::empty, |common| {
                        read(true, common.join("info").join("exclude"))
                    }),
                Some(_) => read(
                    files.git_exclude,
                    dir.join(".git").join("info").join("exclude"),
                ),
                None => Gitignore::empty(),
            },
        };
        (!level.ignore.is_empty() || !level.git_ignore.is_empty() || !level.git_exclude.is_empty())
            .then_some(level)
    }

    /// Fills each of `found` (`.ignore`, `.gitignore`, `info/exclude`) not yet decided by a
    /// nearer folder with this folder's verdict.
    fn decide<'a>(&'a self, found: &mut [Match<&'a IgnoreGlob>; 3], path: &Path, is_dir: bool) {
        for (slot, rules) in
            found
                .iter_mut()
                .zip([&self.ignore, &self.git_ignore, &self.git_exclude])
        {
            if slot.is_none() {
                *slot = rules.matched(path, is_dir);
            }
        }
    }
}

/// The first line of `bytes` as `BufRead::lines` reads it (without its `\n` or `\r\n`), if it is
/// UTF-8.
fn first_line(bytes: &[u8]) -> Option<&str> {
    lines(bytes).next().and_then(Result::ok)
}

/// The lines of `bytes` as `BufRead::lines` reads them: each without its `\n` or `\r\n`, an
/// error for one that is not UTF-8.
fn lines(bytes: &[u8]) -> impl Iterator<Item = Result<&str, std::str::Utf8Error>> {
    bytes.split_inclusive(|&b| b == b'\n').map(|line| {
        let line = match line.strip_suffix(b"\n") {
            Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
            None => line,
        };
        std::str::from_utf8(line)
    })
}

/// The git folder holding a worktree's `info/exclude`, found as the `ignore` crate finds it:
/// the first line of `.git` is `gitdir: PATH`, and the first line of `PATH/commondir` is that
/// folder, relative to `PATH` when it starts with `.`. Read bounded.
fn git_common_dir(dir: &Path, limit: u64) -> Option<PathBuf> {
    let git = crate::load::read_bounded(&dir.join(".git"), limit).ok()?;
    let gitdir = PathBuf::from(first_line(&git)?.strip_prefix("gitdir: ")?);
    let common = crate::load::read_bounded(&gitdir.join("commondir"), limit).ok()?;
    let common = first_line(&common)?;
    Some(if common.starts_with('.') {
        gitdir.join(common)
    } else {
        PathBuf::from(common)
    })
}

/// The rules of the ignore file `file`, rooted at `dir`, read bounded and parsed line by line
/// as `GitignoreBuilder::add` does (a line that is not UTF-8 is skipped, a byte-order mark
/// before the first is dropped).
fn gitignore(dir: &Path, file: &Path, limit: u64) -> Gitignore {
    let mut builder = GitignoreBuilder::new(dir);
    if let Ok(bytes) = crate::load::read_bounded(file, limit) {
        for (i, line) in lines(&bytes).enumerate() {
            let Ok(line) = line else { continue };
            let line = if i == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            // An invalid pattern is left out, as the `ignore` crate leaves it out.
            let _ = builder.add_line(Some(file.to_path_buf()), line);
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

/// `path` without the bytes of `prefix`, unless that would cut a name in two (the `ignore`
/// crate's `pathutil::strip_prefix`).
fn strip_prefix<'a>(prefix: &Path, path: &'a Path) -> Option<&'a Path> {
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let prefix = prefix.as_os_str().as_bytes();
        let rest = path.as_os_str().as_bytes().strip_prefix(prefix)?;
        if prefix.last().is_some_and(|&b| b != b'/') && rest.first().is_some_and(|&b| b != b'/') {
            return None;
        }
        Some(Path::new(OsStr::from_bytes(rest)))
    }
    #[cfg(not(unix))]
    {
        path.strip_prefix(prefix).ok()
    }
}

/// `path.starts_with(folder)`: whether `folder`'s components begin `path`'s. Comparing
/// components costs a walk of both paths for each of the many questions a walk asks; when both are
/// written plainly (as their components would write them: no `//`, no `.` but a leading one, no
/// trailing `/`), as every path of a walk from a plain root is, their bytes tell the same.
fn under(path: &Path, folder: &Path) -> bool {
    under_any(path, std::slice::from_ref(&folder))
}

/// Whether `path` is [`under`] one of `folders`, its bytes looked at once.
fn under_any(path: &Path, folders: &[impl AsRef<Path>]) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let p = path.as_os_str().as_bytes();
        if is_plain(p) {
            return folders.iter().any(|folder| {
                let f = folder.as_ref().as_os_str().as_bytes();
                if is_plain(f) {
                    p.starts_with(f) && (p.len() == f.len() || p[f.len()] == b'/' || f == b"/")
                } else {
                    path.starts_with(folder)
                }
            });
        }
    }
    folders.iter().any(|folder| path.starts_with(folder))
}

/// Whether a path's bytes are what its components would write: not empty, no empty component
/// (`a//b`, a trailing `/`), no `.` component but a leading one (`./a` is `.` then `a`).
#[cfg(unix)]
fn is_plain(path: &[u8]) -> bool {
    path == b"/"
        || (!path.is_empty()
            && !path
                .split(|&b| b == b'/')
                .skip(1)
                .any(|name| name.is_empty() || name == b"."))
}

fn strip_if_prefix<'a>(prefix: &Path, path: &'a Path) -> &'a Path {
    strip_prefix(prefix, path).unwrap_or(path)
}

/// Gitignore matching as the `ignore` crate does it with our options (`.ignore`, `.gitignore`,
/// `info/exclude`, the root's parents' too, no git repository required): for each kind of file
/// the nearest folder with a verdict on the path decides, `.ignore` before `.gitignore` before
/// `info/exclude`; the root's parents match the path joined to the canonical root. The
/// differential test `ignore_matching_is_the_ignore_crates` holds us to it.
#[derive(Clone)]
struct Ignores {
    /// The folders of the walk from the root down to the folder being listed, by depth, with
    /// their rules.
    stack: Vec<(PathBuf, Option<Arc<IgnoreLevel>>)>,
    /// The root as given (the walk's paths start with it).
    root: PathBuf,
    /// The canonical root, and the rules of its parents, nearest first (only those with rules).
    parents: Option<Arc<(PathBuf, Vec<IgnoreLevel>)>>,
}

impl Ignores {
    /// Whether the rules of the folders above `depth` (and the root's parents) ignore `path`.
    fn ignored(&self, path: &Path, is_dir: bool, depth: usize) -> bool {
        let path = strip_if_prefix(Path::new("./"), path);
        let mut found = [Match::None, Match::None, Match::None];
        for (_, level) in self.stack.iter().take(depth).rev() {
            if let Some(level) = level {
                level.decide(&mut found, path, is_dir);
            }
        }
        if let Some((base, parents)) = self.parents.as_deref() {
            let relative = if self.root == Path::new(".") {
                path
            } else {
                let root = strip_if_prefix(Path::new("./"), &self.root);
                strip_if_prefix(Path::new("/"), strip_if_prefix(root, path))
            };
            let path = base.join(relative);
            for level in parents {
                level.decide(&mut found, &path, is_dir);
            }
        }
        let [ignore, git_ignore, git_exclude] = found;
        ignore.or(git_ignore).or(git_exclude).is_ignore()
    }
}

/// Why the walk must not descend into `path`, if it must not: a symlinked folder whose real path
/// is outside `root` (or in `/proc`, `/sys`, `/dev`), a symlinked file in those, or a folder
/// whose ignore files are not regular files. Otherwise a folder's ignore files, when they are read.
fn refuse(
    entry: &Entry,
    root: &Path,
    read_ignore_files: bool,
    probes: &mut Probes<'_>,
) -> Result<Option<IgnoreFiles>, String> {
    let is_dir = entry.is_dir();
    if entry.symlink
        && let Ok(real) = entry.path.canonicalize()
    {
        if is_dir && (!real.starts_with(root) || is_system_path(&real)) {
            return Err(format!(
                "symlinked folder resolves to {}, outside the project; not followed",
                real.display()
            ));
        }
        if !is_dir && is_system_path(&real) {
            return Err(format!(
                "symlinked file resolves to {}; not read",
                real.display()
            ));
        }
    }
    if !(is_dir && read_ignore_files) {
        return Ok(None);
    }
    match probes.probe(&entry.path) {
        Ok(files) => Ok(Some(files)),
        Err((file, why)) => Err(format!(
            "folder skipped: its ignore file {} cannot be read safely ({why})",
            file.display()
        )),
    }
}

/// What `probe_ignore_files` says of a folder.
type Probe = Result<IgnoreFiles, (PathBuf, String)>;

/// The probes of a walk: each folder's taken from the walk of an outer root when it probed the
/// folder with the same limit, else made; all kept for the walks of the roots nested in this one.
struct Probes<'a> {
    outer: Option<&'a WalkRecord>,
    own: rustc_hash::FxHashMap<PathBuf, Probe>,
    limit: u64,
    /// The folder the walk in parts is about to ask about: when it is probed, it is listed
    /// first, and the probe looks only for the names the listing holds.
    want: Option<PathBuf>,
    /// That folder's listing, once a probe made it, for its walk (`walk_part`).
    listed: Option<(PathBuf, Vec<Listed>)>,
}

impl Probes<'_> {
    fn new(outer: Option<&WalkRecord>, limit: u64) -> Probes<'_> {
        Probes {
            outer,
            own: rustc_hash::FxHashMap::default(),
            limit,
            want: None,
            listed: None,
        }
    }

    fn probe(&mut self, dir: &Path) -> Probe {
        if let Some(probe) = self.own.get(dir) {
            return probe.clone();
        }
        let probe = self
            .outer
            .filter(|outer| outer.limit == self.limit)
            .and_then(|outer| outer.probes.get(dir).cloned())
            .unwrap_or_else(|| {
                if self.want.as_deref() == Some(dir)
                    && let Some(entries) = list(dir)
                {
                    let present = |name: &str| {
                        entries
                            .iter()
                            .any(|e| e.path.file_name() == Some(std::ffi::OsStr::new(name)))
                    };
                    let probe = probe_ignore_files_in(dir, self.limit, present);
                    self.listed = Some((dir.to_path_buf(), entries));
                    probe
                } else {
                    probe_ignore_files(dir, self.limit)
                }
            });
        self.own.insert(dir.to_path_buf(), probe.clone());
        probe
    }
}

/// An entry of a listed folder, as the walk's filter sees it.
#[derive(Clone, Debug)]
struct Entry {
    path: PathBuf,
    depth: usize,
    /// Its type, symlinks followed.
    kind: Option<std::fs::FileType>,
    /// Whether the path itself is a symlink.
    symlink: bool,
}

impl Entry {
    fn is_dir(&self) -> bool {
        self.kind.is_some_and(|t| t.is_dir())
    }
}

/// An error the walk yielded, with what `discover` needs of it.
#[derive(Clone, Debug)]
struct WalkError {
    path: Option<PathBuf>,
    depth: Option<usize>,
    /// For a symlink loop, the folder it points back to.
    loop_ancestor: Option<PathBuf>,
    message: String,
}

impl WalkError {
    fn of(error: &ignore::Error) -> Self {
        Self {
            path: error_path(error),
            depth: error.depth(),
            loop_ancestor: loop_ancestor(error),
            message: error_message(error),
        }
    }
}

/// One step of a walk, in the order the `ignore` crate's walk takes them: an entry its filter
/// was asked about (and whether the filter kept it), or an error it yielded.
#[derive(Clone, Debug)]
enum Step {
    Entry(Entry, bool),
    Error(WalkError),
}

impl Step {
    fn path(&self) -> Option<&Path> {
        match self {
            Step::Entry(entry, _) => Some(&entry.path),
            Step::Error(error) => error.path.as_deref(),
        }
    }
}

/// What one walk read from the file system: every entry of every folder it listed (kept by its
/// filter or not), the errors, in walk order, and the probes of folders' ignore files. Owned by
/// the run (`check`): the walks of the projects nested in the root take their listings and
/// probes from it instead of reading them again (`discover_nested`), each applying its own
/// filters. Never kept between runs: the language server's walks read the file system.
#[derive(Debug, Default)]
pub struct WalkRecord {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    limit: u64,
    steps: Vec<Step>,
    probes: rustc_hash::FxHashMap<PathBuf, Probe>,
    /// The step of each folder the walk entered (not through a symlink), by its path's bytes:
    /// where the walk of a project nested there starts (a search of the steps for each of
    /// thousands of nested projects was quadratic).
    folders: rustc_hash::FxHashMap<std::ffi::OsString, usize>,
    /// [`Discovered::config_free`] of the walk.
    config_free: Arc<rustc_hash::FxHashSet<PathBuf>>,
}

/// The walk's filter and what it keeps between entries.
struct Filter<'a> {
    /// `None` when ignore files are not read.
    ignores: Option<Ignores>,
    refused: Vec<WalkWarning>,
    excludes: Arc<Excludes>,
    root: PathBuf,
    real_root: PathBuf,
    respect_gitignore: bool,
    limit: u64,
    probes: Probes<'a>,
    /// The steps of the walk, in order, when they are recorded.
    steps: Vec<Step>,
    /// Whether they are: not in a replayed walk that can find no nested project.
    record: bool,
    /// The depths of the symlinked folders the walk is in, outermost first.
    linked: Vec<usize>,
    /// Entries seen inside symlinked folders so far (see [`MAX_LINKED_ENTRIES`]).
    linked_entries: usize,
    /// Whether a symlinked folder was refused for them (said once).
    links_refused: bool,
    /// Whether the walk finds projects nested in its root (see [`discover_nested`]).
    nests: bool,
}

/// The most entries a walk lists inside symlinked folders before it follows no more of them:
/// links that each lead to the next folder twice over are as many paths as two to the power of
/// their depth (a loop is found by the walk; such a DAG is not), so 2 KB of folders and links
/// were a walk of millions of entries.
const MAX_LINKED_ENTRIES: usize = 20_000;

impl Filter<'_> {
    /// Whether the walk keeps `entry` (and descends into it, for a folder).
    fn keep(&mut self, entry: Entry) -> bool {
        let kept = self.decide(&entry);
        if self.record {
            self.steps.push(Step::Entry(entry, kept));
        }
        kept
    }

    /// A filter for the walk of a folder this one has entered (`walk_part`): the same rules and
    /// the same ignore files above it, with nothing yet recorded.
    fn fork(&self) -> Filter<'static> {
        Filter {
            ignores: self.ignores.clone(),
            refused: Vec::new(),
            excludes: Arc::clone(&self.excludes),
            root: self.root.clone(),
            real_root: self.real_root.clone(),
            respect_gitignore: self.respect_gitignore,
            limit: self.limit,
            probes: Probes::new(None, self.limit),
            steps: Vec::new(),
            record: self.record,
            linked: self.linked.clone(),
            linked_entries: self.linked_entries,
            links_refused: self.links_refused,
            nests: self.nests,
        }
    }

    /// [`Filter::keep`] of an entry the caller goes on using.
    fn keep_ref(&mut self, entry: &Entry) -> bool {
        let kept = self.decide(entry);
        if self.record {
            self.steps.push(Step::Entry(entry.clone(), kept));
        }
        kept
    }

    fn decide(&mut self, entry: &Entry) -> bool {
        let depth = entry.depth;
        let is_dir = entry.is_dir();
        while self.linked.last().is_some_and(|&d| d >= depth) {
            self.linked.pop();
        }
        if !self.linked.is_empty() {
            self.linked_entries += 1;
        }
        if let Some(ignores) = &mut self.ignores {
            ignores.stack.truncate(depth);
            if ignores.ignored(&entry.path, is_dir, depth) {
                return false;
            }
        }
        if self.excludes.excludes(&self.root, &entry.path) {
            return false;
        }
        match refuse(
            entry,
            &self.real_root,
            self.respect_gitignore,
            &mut self.probes,
        ) {
            Err(message) => {
                self.refused.push(WalkWarning {
                    path: Some(entry.path.clone()),
                    message,
                });
                false
            }
            Ok(files) => {
                if entry.symlink && is_dir {
                    if self.linked_entries >= MAX_LINKED_ENTRIES {
                        // Said once: every later link is refused for the same reason.
                        if !std::mem::replace(&mut self.links_refused, true) {
                            self.refused.push(WalkWarning {
                                path: Some(entry.path.clone()),
                                message: format!(
                                    "symlinked folder not followed, nor any after it: the walk has listed {MAX_LINKED_ENTRIES} entries inside symlinked folders"
                                ),
                            });
                        }
                        return false;
                    }
                    self.linked.push(depth);
                }
                if let (Some(files), Some(ignores)) = (files, &mut self.ignores) {
                    let level = IgnoreLevel::read(&entry.path, files, self.limit).map(Arc::new);
                    ignores.stack.push((entry.path.clone(), level));
                }
                true
            }
        }
    }

    /// Whether the walk error for `path` is a symlink that cannot be followed and that the
    /// ignore files ignore: the `ignore` crate does not report those.
    fn ignored_link(&self, path: &Path, error: &WalkError) -> bool {
        let Some(depth) = error.depth.filter(|&d| d > 0) else {
            return false;
        };
        if error.loop_ancestor.is_some()
            || !std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        {
            return false;
        }
        let Some(ignores) = &self.ignores else {
            return false;
        };
        // The folder being listed is the last one entered, unless the error is that folder's own.
        let levels = if ignores.stack.get(depth).is_some_and(|(dir, _)| dir == path) {
            depth + 1
        } else {
            depth
        };
        ignores.ignored(path, false, levels)
    }
}

pub fn discover(root: &Path, settings: &Settings) -> Discovered {
    discover_recorded(root, settings).0
}

/// `discover`, with what the walk read from the file system, for the walks of the projects
/// nested in `root` (`discover_nested`).
pub fn discover_recorded(root: &Path, settings: &Settings) -> (Discovered, WalkRecord) {
    walk_root(root, settings, true)
}

/// [`discover`], finding the projects nested in `root` only when `nests` (see
/// [`discover_nested`]).
pub fn discover_nesting(root: &Path, settings: &Settings, nests: bool) -> Discovered {
    walk_root(root, settings, nests).0
}

/// [`discover_recorded`], finding the projects nested in `root` when `nests`.
fn walk_root(root: &Path, settings: &Settings, nests: bool) -> (Discovered, WalkRecord) {
    let (mut found, mut filter) = start(root, settings, None);
    filter.nests = nests;
    // A folder's subfolders are walked in parallel, when the parts tell what one walk would.
    if std::fs::symlink_metadata(root).is_ok_and(|m| m.is_dir())
        && let Some(part) = walk_part(root, root, 0, filter.fork(), None, &Stop::default())
    {
        let Part {
            found: walked,
            yaml,
            steps,
            refused,
            probes,
            config_free,
        } = part;
        found.append(walked);
        found.config_free = Arc::new(config_free.into_iter().collect());
        filter.steps = steps;
        filter.refused = refused;
        filter.probes.own.extend(probes);
        return finish(found, yaml, root, settings, &mut filter);
    }
    walk_serially(root, settings, found, filter)
}

/// The `ignore` crate's walk of `path` with our options, without a filter.
fn walk_builder(path: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(path);
    // The `ignore` crate reads no ignore file: the filter matches them (see `Ignores`), read
    // from the probes that check them anyway.
    builder
        .hidden(false)
        .follow_links(true)
        .git_ignore(false)
        .git_exclude(false)
        .git_global(false)
        .ignore(false)
        .parents(false)
        .require_git(false)
        // Entries of one folder, by name. Their paths are the folder's path joined to their
        // names, the same bytes up to the name, so comparing the paths' bytes orders them by
        // name; asking each for its name (`sort_by_file_name`) parsed the path from its end on
        // every comparison, a sixth of the walk's instructions.
        .sort_by_file_path(|a, b| a.as_os_str().cmp(b.as_os_str()));
    builder
}

/// The walk of `root` as one walk, on one thread.
fn walk_serially(
    root: &Path,
    settings: &Settings,
    mut found: Discovered,
    filter: Filter<'static>,
) -> (Discovered, WalkRecord) {
    let filter = Arc::new(Mutex::new(filter));
    let filter_in_walk = Arc::clone(&filter);
    let mut builder = walk_builder(root);
    builder.filter_entry(move |entry| {
        let entry = Entry {
            path: entry.path().to_path_buf(),
            depth: entry.depth(),
            kind: entry.file_type(),
            symlink: entry.path_is_symlink(),
        };
        filter_in_walk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keep(entry)
    });
    let mut yaml: Vec<PathBuf> = Vec::new();
    for entry in builder.build() {
        let mut filter = filter.lock().unwrap_or_else(PoisonError::into_inner);
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                take_file(&mut found, &mut yaml, root, entry.into_path(), is_file);
            }
            Err(error) => {
                let error = WalkError::of(&error);
                take_error(&mut found, &filter, &error);
                filter.steps.push(Step::Error(error));
            }
        }
    }
    drop(builder);
    let mut filter = filter.lock().unwrap_or_else(PoisonError::into_inner);
    finish(found, yaml, root, settings, &mut filter)
}

/// What the walk of one folder found, in walk order: the lists `Discovered` fills while
/// walking, the YAML files for bundles' includes, and the filter's record.
#[derive(Default)]
struct Part {
    found: Discovered,
    yaml: Vec<PathBuf>,
    steps: Vec<Step>,
    refused: Vec<WalkWarning>,
    probes: rustc_hash::FxHashMap<PathBuf, Probe>,
    /// The folders listed with no configuration file's name (`Discovered::config_free`).
    config_free: Vec<PathBuf>,
}

impl Part {
    /// `next`, walked after this part, added after it.
    fn append(&mut self, mut next: Part) {
        self.found.append(next.found);
        self.yaml.append(&mut next.yaml);
        self.steps.append(&mut next.steps);
        self.refused.append(&mut next.refused);
        self.probes.extend(next.probes);
        self.config_free.append(&mut next.config_free);
    }
}

impl Discovered {
    /// `next`'s files and warnings, found after these, added after them (the lists a walk fills
    /// while walking; the others are filled at its end).
    fn append(&mut self, mut next: Discovered) {
        self.python.append(&mut next.python);
        self.manifests.append(&mut next.manifests);
        self.requirements.append(&mut next.requirements);
        self.unreadable.append(&mut next.unreadable);
        self.warnings.append(&mut next.warnings);
        self.nested_roots.append(&mut next.nested_roots);
    }
}

/// Folders this many levels below the root are walked by the `ignore` crate, each as one walk
/// (whose stack of folders is its own, not the thread's: a chain of thousands of folders is
/// normal input); above them, each folder is listed by [`walk_part`] and its subfolders are
/// walked in parallel.
const SPLIT_DEPTH: usize = 16;

/// An entry of a folder as the walk in parts lists it: its type (a symlink's followed) and
/// whether it is a symlink.
struct Listed {
    path: PathBuf,
    kind: std::fs::FileType,
    symlink: bool,
}

/// `dir`'s entries in walk order (by their paths' bytes, as `walk_builder` sorts them), or
/// `None` when a walk in parts cannot take them: an error (the one walk reports it), or a
/// symlink to anything but a file (a walk finds a symlink loop by the folders it entered, and
/// a part did not enter those above it).
fn list(dir: &Path) -> Option<Vec<Listed>> {
    let mut entries: Vec<Listed> = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let kind = entry.file_type().ok()?;
        let path = entry.path();
        if kind.is_symlink() {
            let target = std::fs::metadata(&path).ok()?;
            if !target.is_file() {
                return None;
            }
            entries.push(Listed {
                path,
                kind: target.file_type(),
                symlink: true,
            });
        } else {
            entries.push(Listed {
                path,
                kind,
                symlink: false,
            });
        }
    }
    entries.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    Some(entries)
}

/// Whether a lookup of a configuration file's name in a folder may find the entry `name`: the
/// same name in any case of its ASCII letters (a case-insensitive file system, macOS's and
/// Windows' by default, finds `PyProject.toml` when asked for `pyproject.toml`; no other
/// character folds to the letters of those names).
fn may_be_config_file(name: &std::ffi::OsStr) -> bool {
    crate::config::CONFIG_FILE_NAMES
        .iter()
        .any(|c| name.as_encoded_bytes().eq_ignore_ascii_case(c.as_bytes()))
}

/// The walk of the folder `dir`, `depth` levels below `root`, already entered (its entry kept)
/// by `filter`: what the walk of the root finds from the moment it enters `dir` until it
/// leaves it. Above [`SPLIT_DEPTH`], `dir` is listed here (`listed`, when its probe listed it already), as the
/// `ignore` crate's walk lists a folder, and each subfolder the filter keeps is walked as a
/// part of its own, in parallel; the parts are put together in walk order. A subfolder is
/// listed when its ignore files are probed (the filter asks before it keeps it): the probe
/// looks only for the names the listing holds, and its walk takes the listing.
///
/// `None` when the parts may not tell what one walk would (see [`list`]). The caller then
/// walks serially.
fn walk_part(
    root: &Path,
    dir: &Path,
    depth: usize,
    filter: Filter<'static>,
    listed: Option<Vec<Listed>>,
    stop: &Stop,
) -> Option<Part> {
    if stop.load(Ordering::Relaxed) {
        return None;
    }
    let part = if depth >= SPLIT_DEPTH {
        walk_below(root, dir, depth, filter, stop)
    } else {
        walk_listed(root, dir, depth, filter, listed, stop)
    };
    if part.is_none() {
        stop.store(true, Ordering::Relaxed);
    }
    part
}

/// Set when a part of a walk cannot tell what one walk would: the walk is done again on one
/// thread, so the other parts stop (a symlink or an unreadable folder found late made the walk
/// of a large tree twice as long).
type Stop = Arc<std::sync::atomic::AtomicBool>;

/// [`walk_part`] of a folder above [`SPLIT_DEPTH`]: listed here.
fn walk_listed(
    root: &Path,
    dir: &Path,
    depth: usize,
    mut filter: Filter<'static>,
    listed: Option<Vec<Listed>>,
    stop: &Stop,
) -> Option<Part> {
    let entries = match listed {
        Some(entries) => entries,
        None => list(dir)?,
    };
    let config_free = !entries
        .iter()
        .any(|entry| entry.path.file_name().is_some_and(may_be_config_file));
    // Parts in walk order: this folder's own, each kept subfolder's (walked later, in
    // parallel), this folder's again after it, and so on.
    enum Piece {
        Walked(Part),
        Folder(PathBuf, Filter<'static>, Option<Vec<Listed>>),
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut part = Part::default();
    for Listed {
        path,
        kind,
        symlink,
    } in entries
    {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        if kind.is_dir() {
            filter.probes.want = Some(path.clone());
        }
        let kept = filter.keep_ref(&Entry {
            path: path.clone(),
            depth: depth + 1,
            kind: Some(kind),
            symlink,
        });
        filter.probes.want = None;
        let listed = filter
            .probes
            .listed
            .take()
            .filter(|(listed, _)| *listed == path)
            .map(|(_, entries)| entries);
        if kind.is_dir() {
            if kept {
                // Its walk comes right after its own step.
                part.steps.append(&mut filter.steps);
                part.refused.append(&mut filter.refused);
                pieces.push(Piece::Walked(std::mem::take(&mut part)));
                pieces.push(Piece::Folder(path, filter.fork(), listed));
            } else if listed.is_none() {
                // The crate's walk opens a folder before asking the filter about it: one that
                // cannot be opened is an error even when it is skipped.
                std::fs::read_dir(&path).ok()?;
            }
        } else if kept {
            take_file(&mut part.found, &mut part.yaml, root, path, kind.is_file());
        }
    }
    part.steps.append(&mut filter.steps);
    part.refused.append(&mut filter.refused);
    part.probes = std::mem::take(&mut filter.probes.own);
    if config_free {
        part.config_free.push(dir.to_path_buf());
    }
    pieces.push(Piece::Walked(part));
    let parts: Option<Vec<Part>> = pieces
        .into_par_iter()
        .map(|piece| match piece {
            Piece::Walked(part) => Some(part),
            Piece::Folder(folder, filter, listed) => {
                walk_part(root, &folder, depth + 1, filter, listed, stop)
            }
        })
        .collect();
    let mut parts = parts?.into_iter();
    let mut whole = parts.next().unwrap_or_default();
    for part in parts {
        whole.append(part);
    }
    Some(whole)
}

/// [`walk_part`] of a folder [`SPLIT_DEPTH`] levels down: one walk by the `ignore` crate.
fn walk_below(
    root: &Path,
    dir: &Path,
    depth: usize,
    filter: Filter<'static>,
    stop: &Stop,
) -> Option<Part> {
    let filter = Arc::new(Mutex::new((filter, false)));
    let filter_in_walk = Arc::clone(&filter);
    let stop_in_walk = Arc::clone(stop);
    let mut builder = walk_builder(dir);
    builder.filter_entry(move |entry| {
        let mut state = filter_in_walk
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (filter, unsure) = &mut *state;
        if stop_in_walk.load(Ordering::Relaxed)
            || (entry.path_is_symlink() && !entry.file_type().is_some_and(|t| t.is_file()))
        {
            *unsure = true;
            return false;
        }
        filter.keep(Entry {
            path: entry.path().to_path_buf(),
            depth: depth + entry.depth(),
            kind: entry.file_type(),
            symlink: entry.path_is_symlink(),
        })
    });
    let mut part = Part::default();
    for entry in builder.build() {
        let entry = entry.ok()?;
        // The folder itself: its parent's part took it.
        if entry.depth() == 0 {
            continue;
        }
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        take_file(
            &mut part.found,
            &mut part.yaml,
            root,
            entry.into_path(),
            is_file,
        );
    }
    drop(builder);
    let (mut filter, unsure) = Arc::into_inner(filter)?
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if unsure {
        return None;
    }
    part.steps = std::mem::take(&mut filter.steps);
    part.refused = std::mem::take(&mut filter.refused);
    part.probes = std::mem::take(&mut filter.probes.own);
    Some(part)
}

/// `discover` of `nested`, a project found by the walk `outer` recorded: the listings and probes
/// of its folders are taken from that walk when it read every folder this one enters, the
/// walk's steps replayed under this root's own ignore files, excludes and settings; else its
/// folder is walked. Both give the same result. Unless `nests`, the projects nested in it are
/// part of it (projects nested too deep: each walk of a nested project replays what is below
/// it, so a chain of them costs its length squared).
pub fn discover_nested(
    nested: &Path,
    settings: &Settings,
    outer: &WalkRecord,
    nests: bool,
) -> (Discovered, WalkRecord) {
    replay(nested, settings, outer, nests).unwrap_or_else(|| walk_root(nested, settings, nests))
}

/// The walk of `root` from the steps of `outer`'s walk, or `None` when they cannot tell it: a
/// folder this walk enters that `outer`'s did not, a symlink loop back to a folder above
/// `root` (this walk may not see it as one), an error without a path, or a root reached
/// through a symlink.
fn replay(
    root: &Path,
    settings: &Settings,
    outer: &WalkRecord,
    nests: bool,
) -> Option<(Discovered, WalkRecord)> {
    let first = *outer.folders.get(root.as_os_str())?;
    let Step::Entry(at, _) = &outer.steps[first] else {
        return None;
    };
    let base = at.depth;
    let canonical = root.canonicalize().ok()?;
    let outer_canonical = outer.canonical_root.as_ref()?;
    if canonical != outer_canonical.join(root.strip_prefix(&outer.root).ok()?) {
        return None;
    }
    let (mut found, mut filter) = start(root, settings, Some(outer));
    // Its steps are recorded only when a project may be nested in it: a marker below its root.
    filter.nests = nests;
    filter.record = nests
        && outer.steps[first + 1..]
            .iter()
            .map_while(|step| step.path().filter(|p| under(p, root) && *p != root))
            .any(|p| {
                p.parent().is_some_and(|folder| folder != root)
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| NESTED_ROOT_MARKERS.contains(&n))
            });
    let mut yaml: Vec<PathBuf> = Vec::new();
    // A folder this walk does not enter: the outer walk's steps inside it are skipped.
    let mut skipped: Option<PathBuf> = None;
    for step in &outer.steps[first + 1..] {
        let path = step.path()?;
        // An error of the root itself (after its marker was listed): its own walk tells it.
        if path == root {
            return None;
        }
        if !under(path, root) {
            break;
        }
        if let Some(folder) = &skipped {
            if under(path, folder) {
                continue;
            }
            skipped = None;
        }
        match step {
            Step::Entry(entry, outer_kept) => {
                let entry = Entry {
                    depth: entry.depth.checked_sub(base)?,
                    ..entry.clone()
                };
                let kept = filter.keep_ref(&entry);
                if entry.is_dir() {
                    if kept && !outer_kept {
                        return None;
                    }
                    if !kept {
                        skipped = Some(entry.path.clone());
                        continue;
                    }
                }
                if kept {
                    let is_file = entry.kind.is_some_and(|t| t.is_file());
                    take_file(&mut found, &mut yaml, root, entry.path, is_file);
                }
            }
            Step::Error(error) => {
                if error
                    .loop_ancestor
                    .as_ref()
                    .is_some_and(|ancestor| !ancestor.starts_with(root))
                {
                    return None;
                }
                let error = WalkError {
                    depth: match error.depth {
                        Some(depth) => Some(depth.checked_sub(base)?),
                        None => None,
                    },
                    ..error.clone()
                };
                take_error(&mut found, &filter, &error);
                if filter.record {
                    filter.steps.push(Step::Error(error));
                }
            }
        }
    }
    Some(finish(found, yaml, root, settings, &mut filter))
}

/// The start of a walk of `root`: its excludes and the ignore files of it and its parents.
fn start<'a>(
    root: &Path,
    settings: &Settings,
    outer: Option<&'a WalkRecord>,
) -> (Discovered, Filter<'a>) {
    let mut found = Discovered::default();
    // What a folder holds is the same for every walk that lists it.
    if let Some(outer) = outer {
        found.config_free = Arc::clone(&outer.config_free);
    }
    let excludes = Excludes::new(settings, &mut found.warnings);
    let canonical_root = root.canonicalize().ok();
    let real_root = canonical_root.clone().unwrap_or_else(|| root.to_path_buf());
    let limit = settings.max_file_size;
    let mut probes = Probes::new(outer, limit);
    let ignores = if settings.respect_gitignore {
        root_ignores(root, canonical_root, &mut probes, &mut found.warnings)
    } else {
        None
    };
    let filter = Filter {
        respect_gitignore: ignores.is_some(),
        ignores,
        refused: Vec::new(),
        excludes: Arc::new(excludes),
        root: root.to_path_buf(),
        real_root,
        limit,
        probes,
        steps: Vec::new(),
        record: true,
        linked: Vec::new(),
        linked_entries: 0,
        links_refused: false,
        nests: true,
    };
    (found, filter)
}

/// A file the walk yields.
fn take_file(
    found: &mut Discovered,
    yaml: &mut Vec<PathBuf>,
    root: &Path,
    path: PathBuf,
    is_file: bool,
) {
    if !is_file {
        return;
    }
    // The name, found once (each question of the path finds it again from the path's end).
    let Some(name) = path.file_name() else {
        return;
    };
    if name
        .to_str()
        .is_some_and(|n| NESTED_ROOT_MARKERS.contains(&n))
        && let Some(folder) = path.parent()
        && folder != root
    {
        found.nested_roots.push(folder.to_path_buf());
    }
    if is_python(Path::new(name)) {
        found.python.push(path);
    } else if crate::manifest::ManifestKind::of(&path).is_some() {
        if is_yaml(&path) {
            yaml.push(path.clone());
        }
        found.manifests.push(path);
    } else if crate::app_manifest::AppYamlKind::of_name(&path).is_some() {
        found.manifests.push(path);
    } else if is_yaml(&path) {
        yaml.push(path);
    } else if is_requirements(&path) {
        found.requirements.push(path);
    }
}

/// An error the walk yields.
fn take_error(found: &mut Discovered, filter: &Filter<'_>, error: &WalkError) {
    if let Some(p) = &error.path
        && filter.ignored_link(p, error)
    {
        return;
    }
    // A dangling link to a `.py` file is a file we were meant to check: its own
    // diagnostic. Anything else (a loop, an unreadable folder) is a warning.
    match &error.path {
        Some(p) if is_python(p) && error.loop_ancestor.is_none() => {
            found.unreadable.push((p.clone(), error.message.clone()));
        }
        _ => found.warnings.push(WalkWarning {
            path: error.path.clone(),
            message: error.message.clone(),
        }),
    }
}

/// The end of a walk: refused folders, nested projects, bundles' includes, apps.
fn finish(
    mut found: Discovered,
    yaml: Vec<PathBuf>,
    root: &Path,
    settings: &Settings,
    filter: &mut Filter<'_>,
) -> (Discovered, WalkRecord) {
    let limit = settings.max_file_size;
    found.warnings.append(&mut filter.refused);
    if !filter.nests && !found.nested_roots.is_empty() {
        found.nested_roots.sort();
        found.warnings.push(WalkWarning {
            path: found.nested_roots.first().cloned(),
            message: format!(
                "a project nested more than {MAX_NESTING} projects deep is checked as part of the project holding it"
            ),
        });
        found.nested_roots.clear();
    }
    // Only the outermost nested projects: those inside them are theirs to find.
    // In the order of their components, a folder comes right before the folders it holds: each
    // is compared with the last one kept (comparing every pair was quadratic in their number).
    found.nested_roots.sort();
    found.nested_roots.dedup();
    let mut outermost: Vec<PathBuf> = Vec::with_capacity(found.nested_roots.len());
    for root in std::mem::take(&mut found.nested_roots) {
        if !outermost.last().is_some_and(|kept| root.starts_with(kept)) {
            outermost.push(root);
        }
    }
    found.nested_roots = outermost;
    if !found.nested_roots.is_empty() {
        let nested = found.nested_roots.clone();
        // Only the last of them that sorts before a path can hold it (no other is between).
        let outside = |p: &PathBuf| {
            let before = nested.partition_point(|root| root <= p);
            !before
                .checked_sub(1)
                .is_some_and(|last| under(p, &nested[last]))
        };
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
    let normal_root = crate::analysis::models::normalize(root);
    found.app_roots.retain(|r| r.starts_with(&normal_root));
    // An app of a nested project is that project's.
    found
        .app_roots
        .retain(|r| !found.nested_roots.iter().any(|n| r.starts_with(n)));
    found.app_roots.sort();
    found.app_roots.dedup();
    // What the nested projects' walks need: none when there are none.
    let record = if found.nested_roots.is_empty() {
        WalkRecord::default()
    } else {
        let steps = std::mem::take(&mut filter.steps);
        let mut folders = rustc_hash::FxHashMap::default();
        for (i, step) in steps.iter().enumerate() {
            if let Step::Entry(entry, true) = step
                && entry.is_dir()
                && !entry.symlink
            {
                folders
                    .entry(entry.path.clone().into_os_string())
                    .or_insert(i);
            }
        }
        WalkRecord {
            root: root.to_path_buf(),
            canonical_root: root.canonicalize().ok(),
            limit,
            steps,
            probes: std::mem::take(&mut filter.probes.own),
            folders,
            config_free: Arc::clone(&found.config_free),
        }
    };
    (found, record)
}

/// The rules of the root and its parents, unless one of their ignore files cannot be read
/// safely: then none is read in this run (the root's and its parents' are read before any
/// filter runs in the `ignore` crate's walk, so they are checked first).
fn root_ignores(
    root: &Path,
    canonical_root: Option<PathBuf>,
    probes: &mut Probes<'_>,
    warnings: &mut Vec<WalkWarning>,
) -> Option<Ignores> {
    let limit = probes.limit;
    for dir in root.ancestors() {
        if let Err((file, why)) = probes.probe(dir) {
            warnings.push(WalkWarning {
                path: Some(file),
                message: format!(
                    "this ignore file cannot be read safely ({why}); no ignore file is read in this run"
                ),
            });
            return None;
        }
    }
    let mut ignores = Ignores {
        stack: Vec::new(),
        root: root.to_path_buf(),
        parents: None,
    };
    // Like the `ignore` crate: the root's rules and its parents' only when it is a folder, the
    // parents' only when it has a canonical path (they match paths joined to it).
    if !root.is_dir() {
        return Some(ignores);
    }
    let mut files_of = |dir: &Path| probes.probe(dir).unwrap_or_default();
    ignores.stack.push((
        root.to_path_buf(),
        IgnoreLevel::read(root, files_of(root), limit).map(Arc::new),
    ));
    if let Some(base) = canonical_root {
        let parents: Vec<IgnoreLevel> = base
            .ancestors()
            .skip(1)
            .filter_map(|dir| IgnoreLevel::read(dir, files_of(dir), limit))
            .collect();
        if !parents.is_empty() {
            ignores.parents = Some(Arc::new((base, parents)));
        }
    }
    Some(ignores)
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
        AppManifest, AppYamlKind, BundleFile, Setting, effective_apps, include_matcher,
        parse_app_manifest,
    };
    let bundles: Vec<PathBuf> = found
        .manifests
        .iter()
        .filter(|p| AppYamlKind::of_name(p) == Some(AppYamlKind::Bundle))
        .cloned()
        .collect();
    if bundles.is_empty() {
        return;
    }
    // Sets beside the lists, and each included file read once for all the bundles that
    // include it: thousands of included files, or bundles nested in each other that include
    // the same files, were a search of the lists per file and a parse per bundle and file.
    let mut includes_seen: rustc_hash::FxHashSet<PathBuf> =
        found.bundle_includes.iter().cloned().collect();
    let mut manifests_seen: rustc_hash::FxHashSet<PathBuf> =
        found.manifests.iter().cloned().collect();
    let mut parsed: rustc_hash::FxHashMap<PathBuf, Option<(AppManifest, PathBuf)>> =
        rustc_hash::FxHashMap::default();
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
        let mut included: Vec<&PathBuf> = Vec::new();
        for path in yaml {
            let Ok(relative) = path.strip_prefix(folder) else {
                continue;
            };
            let relative = relative.to_string_lossy().replace('\\', "/");
            if includes.is_match(&relative) {
                if includes_seen.insert(path.clone()) {
                    found.bundle_includes.push(path.clone());
                }
                if manifests_seen.insert(path.clone()) {
                    found.manifests.push(path.clone());
                }
                parsed.entry(path.clone()).or_insert_with(|| {
                    let text = crate::load::read_bounded_text(path, limit).ok()?;
                    let included = parse_app_manifest(&text, AppYamlKind::BundleInclude).ok()?;
                    Some((included, path.parent()?.to_path_buf()))
                });
                included.push(path);
            }
        }
        let mut files = vec![BundleFile {
            manifest: &manifest,
            folder,
        }];
        files.extend(included.into_iter().filter_map(|path| {
            let (manifest, folder) = parsed.get(path)?.as_ref()?;
            Some(BundleFile { manifest, folder })
        }));
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

/// For a symlink loop, the folder it points back to.
fn loop_ancestor(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::Loop { ancestor, .. } => Some(ancestor.clone()),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => loop_ancestor(err),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, files: &[(&str, &[u8])]) {
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    /// The `.py` files (and failed entries) the `ignore` crate's walk yields when it reads the
    /// ignore files itself, as `discover` had it do: what our matching must reproduce.
    fn crate_walk(root: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let (mut files, mut errors) = (Vec::new(), Vec::new());
        let walk = WalkBuilder::new(root)
            .hidden(false)
            .follow_links(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .ignore(true)
            .parents(true)
            .require_git(false)
            .sort_by_file_path(|a, b| a.cmp(b))
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walk {
            match entry {
                Ok(entry) if is_python(entry.path()) => files.push(entry.into_path()),
                Ok(_) => {}
                Err(error) => errors.extend(error_path(&error)),
            }
        }
        (files, errors)
    }

    /// `.ignore` over `.gitignore` over `info/exclude`, nearer folders over farther ones,
    /// whitelists, folder-only patterns, anchored patterns, the root's parents' files (matched
    /// against the canonical path), a worktree's `commondir`, a byte-order mark, CRLF, a line
    /// that is not UTF-8, ignored dangling links: `discover` keeps and reports exactly what the
    /// `ignore` crate's own reading of the ignore files kept and reported.
    #[test]
    fn ignore_matching_is_the_ignore_crates() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        let common = top.join("gitstore/common");
        let gitdir = top.join("gitstore/worktrees/wt");
        write(
            top,
            &[
                (".gitignore", b"parent_ignored.py\nproj/pa/*.py\n!proj/pa/back.py\n"),
                ("proj/.gitignore", b"\xef\xbb\xbfbom.py\r\n*.log\nignored_*.py\n/anchored.py\ndironly/\n\xff\xfe.py\nafter_bad.py\nwhite.py\nlinked_gone.py\n"),
                ("proj/.ignore", b"from_ignore.py\n!white.py\n"),
                ("proj/.git/info/exclude", b"excluded.py\n!from_ignore.py\n"),
                ("proj/sub/.gitignore", b"!ignored_again.py\nsubonly.py\n"),
                ("proj/sub/deeper/.ignore", b"!subonly.py\n"),
                ("proj/wt/.git", format!("gitdir: {}\n", gitdir.display()).as_bytes()),
                ("gitstore/worktrees/wt/commondir", b"../../common\n"),
                ("gitstore/common/info/exclude", b"wt_excluded.py\n"),
            ],
        );
        assert!(common.join("info/exclude").is_file());
        let py = [
            "bom.py",
            "anchored.py",
            "ignored_x.py",
            "from_ignore.py",
            "white.py",
            "excluded.py",
            "after_bad.py",
            "kept.py",
            "parent_ignored.py",
            "dironly",
            "dironly.py",
        ];
        for folder in [
            "proj",
            "proj/sub",
            "proj/sub/deeper",
            "proj/wt",
            "proj/pa",
            "proj/x/dironly",
        ] {
            for name in py.iter().chain(&[
                "ignored_again.py",
                "subonly.py",
                "wt_excluded.py",
                "back.py",
            ]) {
                let path = top.join(folder).join(name);
                if *name == "dironly" {
                    fs::write(&path, "").unwrap();
                } else {
                    write(&top.join(folder), &[(name, b"x = 1\n")]);
                }
            }
        }
        #[cfg(unix)]
        for (link, target) in [
            ("proj/linked_gone.py", "nowhere.py"),
            ("proj/sub/ignored_gone.py", "nowhere.py"),
            ("proj/sub/kept_gone.py", "nowhere.py"),
            ("proj/sub/linked_sub", "deeper"),
        ] {
            std::os::unix::fs::symlink(target, top.join(link)).unwrap();
        }
        let settings = Settings::default();
        for root in [
            top.join("proj"),
            top.join("proj/../proj"),
            top.join("proj/sub"),
        ] {
            let found = discover(&root, &settings);
            let (files, errors) = crate_walk(&root);
            assert_eq!(found.python, files, "{}", root.display());
            let unreadable: Vec<PathBuf> =
                found.unreadable.iter().map(|(p, _)| p.clone()).collect();
            assert_eq!(unreadable, errors, "{}", root.display());
            assert!(found.warnings.is_empty(), "{:#?}", found.warnings);
            assert!(found.python.len() > 10, "{:#?}", found.python);
            assert!(found.python.len() < 60, "{:#?}", found.python);
        }
    }

    /// `under` says what `Path::starts_with` says, plain paths or not.
    #[test]
    fn under_is_starts_with() {
        let parts = [
            "", "/", ".", "..", "a", "ab", "b", "a/b", "//", "./", "a/", "/.",
        ];
        let mut paths: Vec<String> = Vec::new();
        for x in parts {
            for y in parts {
                for z in parts {
                    paths.push(format!("{x}{y}{z}"));
                }
            }
        }
        for p in &paths {
            for f in &paths {
                let (p, f) = (Path::new(p), Path::new(f));
                assert_eq!(under(p, f), p.starts_with(f), "{p:?} under {f:?}");
            }
            let folders = [Path::new("a"), Path::new("b//"), Path::new("./a/b")];
            let p = Path::new(p);
            assert_eq!(
                under_any(p, &folders),
                folders.iter().any(|f| p.starts_with(f)),
                "{p:?}"
            );
        }
    }

    /// A pattern with `/` matches paths from the root; one without, names anywhere; none but
    /// the defaults, neither.
    #[test]
    fn excludes_match_paths_from_the_root_and_names_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("src/legacy/a.py", b""),
                ("src/new/b.py", b""),
                ("other/src/legacy/c.py", b""),
                ("pkg/d_test.py", b""),
                ("build/e.py", b""),
            ],
        );
        let found = |exclude: &[&str]| {
            let settings = Settings {
                extend_exclude: exclude.iter().map(|p| (*p).to_string()).collect(),
                ..Settings::default()
            };
            let mut python: Vec<String> = discover(dir.path(), &settings)
                .python
                .iter()
                .filter_map(|p| p.strip_prefix(dir.path()).ok())
                .map(|p| p.display().to_string())
                .collect();
            python.sort();
            python
        };
        assert_eq!(
            found(&[]),
            [
                "other/src/legacy/c.py",
                "pkg/d_test.py",
                "src/legacy/a.py",
                "src/new/b.py"
            ]
        );
        assert_eq!(
            found(&["src/legacy", "*_test.py"]),
            ["other/src/legacy/c.py", "src/new/b.py"]
        );
        assert_eq!(
            found(&["src/**"]),
            ["other/src/legacy/c.py", "pkg/d_test.py"]
        );
    }

    /// An ignored folder is never probed: a FIFO `.gitignore` inside it is no warning.
    #[cfg(unix)]
    #[test]
    fn an_ignored_folder_is_not_probed() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (".gitignore", b"skipped/\n"),
                ("a.py", b""),
                ("skipped/b.py", b""),
            ],
        );
        let status = std::process::Command::new("mkfifo")
            .arg(dir.path().join("skipped/.gitignore"))
            .status()
            .unwrap();
        assert!(status.success());
        let found = discover(dir.path(), &Settings::default());
        assert_eq!(found.python, [dir.path().join("a.py")]);
        assert!(found.warnings.is_empty(), "{:#?}", found.warnings);
    }

    /// Every project nested in `root` (depth first), with what `discover_nested` found for it
    /// and whether it took the outer walk's listings, each under `settings_of` its folder.
    fn nested_walks(
        root: &Path,
        settings_of: &dyn Fn(&Path) -> Settings,
        outer: Option<&WalkRecord>,
        out: &mut Vec<(PathBuf, String, String, bool)>,
    ) {
        let settings = settings_of(root);
        let (found, record) = match outer {
            Some(outer) => {
                let replayed = replay(root, &settings, outer, true).is_some();
                let (mut found, record) = discover_nested(root, &settings, outer, true);
                let mut alone = discover(root, &settings);
                // What is known of folders' configuration files is the outer walk's, or none
                // (`folders_listed_without_a_configuration_file`): not compared.
                let known = std::mem::take(&mut found.config_free);
                alone.config_free = Arc::default();
                out.push((
                    root.to_path_buf(),
                    format!("{found:#?}"),
                    format!("{alone:#?}"),
                    replayed,
                ));
                found.config_free = known;
                (found, record)
            }
            None => discover_recorded(root, &settings),
        };
        for nested in &found.nested_roots {
            nested_walks(nested, settings_of, Some(&record), out);
        }
    }

    /// A nested project's walk from the outer walk's listings finds exactly what its own walk
    /// finds: its own ignore files and excludes, a folder the outer root ignores or excludes
    /// (read again), symlinks inside it, out of it and back to a folder above it, a dangling
    /// link, an ignore file that is not a file, projects nested twice.
    #[cfg(unix)]
    #[test]
    fn a_nested_walk_from_the_outer_listings_is_its_own_walk() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().canonicalize().unwrap();
        write(
            &top,
            &[
                ("pyproject.toml", b""),
                (".gitignore", b"outer_only.py\n"),
                ("a.py", b""),
                ("common/s.py", b""),
                ("plain/pyproject.toml", b""),
                ("plain/p.py", b""),
                ("plain/deep/q.py", b""),
                ("plain/deep/bundle.yml", b""),
                ("plain/outer_only.py", b""),
                ("mine/pyproject.toml", b""),
                ("mine/.gitignore", b"mine_ignored.py\nskipme/\n"),
                ("mine/m.py", b""),
                ("mine/mine_ignored.py", b""),
                ("mine/skipme/x.py", b""),
                ("mine/data/d.py", b""),
                ("mine/sub/obolint.toml", b""),
                ("mine/sub/t.py", b""),
                ("mine/sub/inner/u.py", b""),
                ("links/pyproject.toml", b""),
                ("links/l.py", b""),
                ("links/real/r.py", b""),
                ("fifo/pyproject.toml", b""),
                ("fifo/f.py", b""),
                ("fifo/bad/g.py", b""),
                ("up/pyproject.toml", b""),
                ("up/u.py", b""),
            ],
        );
        let link =
            |target: &str, at: &str| std::os::unix::fs::symlink(target, top.join(at)).unwrap();
        link("real", "links/again");
        link("..", "links/real/loop");
        link("../common", "links/out");
        link("nowhere.py", "links/gone.py");
        link("..", "up/loop");
        let status = std::process::Command::new("mkfifo")
            .arg(top.join("fifo/bad/.gitignore"))
            .status()
            .unwrap();
        assert!(status.success());
        // The outer root excludes `data`, which `mine` walks.
        let outer = top.clone();
        let settings_of = |root: &Path| Settings {
            extend_exclude: if root == outer {
                vec!["data".to_string()]
            } else {
                Vec::new()
            },
            ..Settings::default()
        };
        let mut walks = Vec::new();
        nested_walks(&top, &settings_of, None, &mut walks);
        let names: Vec<&Path> = walks
            .iter()
            .map(|(root, ..)| root.strip_prefix(&top).unwrap())
            .collect();
        assert_eq!(
            names,
            ["fifo", "links", "mine", "mine/sub", "plain", "up"].map(Path::new)
        );
        for (root, nested, alone, _) in &walks {
            assert_eq!(nested, alone, "{}", root.display());
        }
        // Which walks took the outer listings: not `mine` (the outer root did not enter its
        // `data`), not `up` (its loop points above it).
        let replayed: Vec<bool> = walks.iter().map(|(.., replayed)| *replayed).collect();
        assert_eq!(replayed, [true, true, false, true, true, false]);
        assert!(walks[1].1.contains("symlink loop"), "{}", walks[1].1);
        assert!(walks[1].1.contains("outside the project"), "{}", walks[1].1);
        assert!(
            walks[0].1.contains("cannot be read safely"),
            "{}",
            walks[0].1
        );
        // The outer root's `.gitignore` is a parent's of `plain`: it ignores there too.
        assert!(!walks[4].1.contains("outer_only.py"), "{}", walks[4].1);
    }

    /// What a walk found and recorded, to compare walks (its probes in path order). Not the
    /// folders known to hold no configuration file: only a walk in parts lists folders itself
    /// (`folders_listed_without_a_configuration_file` tests them).
    fn walk_summary((mut found, record): (Discovered, WalkRecord)) -> (String, String, String) {
        found.config_free = Arc::default();
        let mut probes: Vec<_> = record.probes.iter().collect();
        probes.sort_by(|a, b| a.0.cmp(b.0));
        (
            format!("{found:#?}"),
            format!("{:#?}", record.steps),
            format!("{probes:#?}"),
        )
    }

    /// A folder the walk lists is known to hold no configuration file when no entry has the
    /// name of one, in any case (a case-insensitive file system finds `PyProject.toml` by that
    /// name), of any type, ignored or not; a nested project takes the outer walk's knowledge;
    /// a serial walk knows nothing.
    #[cfg(unix)]
    #[test]
    fn folders_listed_without_a_configuration_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            &[
                ("pyproject.toml", b"[project]\n"),
                (".gitignore", b"obolint.toml\n"),
                ("a/x.py", b""),
                ("b/PyProject.toml", b""),
                ("b/y.py", b""),
                ("c/OBOLINT.TOML", b""),
                ("d/.obolint.toml/z.py", b""),
                ("e/obolint.toml", b""),
                ("e/deep/w.py", b""),
                ("n/pyproject.toml", b"[project]\n"),
                ("n/m/v.py", b""),
            ],
        );
        std::os::unix::fs::symlink("a/x.py", root.join("f")).unwrap();
        fs::create_dir(root.join("g")).unwrap();
        std::os::unix::fs::symlink("../a/x.py", root.join("g/obolint.toml")).unwrap();
        let settings = Settings::default();
        let (found, record) = discover_recorded(root, &settings);
        let free = |found: &Discovered| {
            let mut free: Vec<String> = found
                .config_free
                .iter()
                .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
                .collect();
            free.sort();
            free
        };
        assert_eq!(
            free(&found),
            ["a", "d/.obolint.toml", "e/deep", "n/m"],
            "{found:#?}"
        );
        // The nested project replays the outer walk, and knows what it knew.
        let (nested, _) = discover_nested(&root.join("n"), &settings, &record, true);
        assert_eq!(nested.python, [root.join("n/m/v.py")]);
        assert_eq!(free(&nested), free(&found));
        // One walk on one thread lists no folder itself.
        let (found, filter) = start(root, &settings, None);
        let (serial, _) = walk_serially(root, &settings, found, filter);
        assert!(serial.config_free.is_empty());
    }

    /// The walk of `root` on one thread.
    fn serial_walk(root: &Path, settings: &Settings) -> (String, String, String) {
        let (found, filter) = start(root, settings, None);
        walk_summary(walk_serially(root, settings, found, filter))
    }

    /// A walk in parts (subfolders in parallel) finds and records exactly what one walk does:
    /// ignore files at every level (negations, folder patterns, `.ignore` over `.gitignore`, a
    /// git folder's `info/exclude`), excludes, an ignore file that is not a file, nested
    /// projects, bundles and their includes, deep folders, symlinks to files. With a symlink to
    /// a folder or an unreadable folder, the parts cannot tell: the walk is serial.
    #[cfg(unix)]
    #[test]
    fn a_walk_in_parts_is_one_walk() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().canonicalize().unwrap();
        write(
            &top,
            &[
                ("pyproject.toml", b""),
                (".gitignore", b"*.log\nbuild/\n!keep.log\nsecret*.py\n"),
                ("a.py", b""),
                ("z.py", b""),
                ("keep.log", b""),
                ("secret1.py", b""),
                ("databricks.yml", b"include:\n  - resources/*.yml\n"),
                ("resources/app.yml", b"resources: {}\n"),
                ("resources/deep/more.yml", b""),
                ("build/gone.py", b""),
                ("src/pkg/__init__.py", b""),
                ("src/pkg/.gitignore", b"!secret2.py\nlocal_*.py\n"),
                ("src/pkg/secret2.py", b""),
                ("src/pkg/local_x.py", b""),
                ("src/pkg/.ignore", b"!local_y.py\n"),
                ("src/pkg/local_y.py", b""),
                ("src/pkg/sub/deeper/d.py", b""),
                ("src/pkg/sub/deeper/requirements.txt", b"mlflow\n"),
                ("src/pkg/sub/deeper/evenmore/e.py", b""),
                ("src/pkg/sub/build/no.py", b""),
                ("src/model/MLmodel", b"flavors: {}\n"),
                ("src/model/conda.yaml", b""),
                ("src/model/requirements-dev.txt", b""),
                ("src/excluded_name/x.py", b""),
                ("src/legacy/old.py", b""),
                ("src/legacy/keep/also_old.py", b""),
                ("repo/.git/info/exclude", b"ex_*.py\n"),
                ("repo/ex_1.py", b""),
                ("repo/in_1.py", b""),
                ("repo/nested/pyproject.toml", b""),
                ("repo/nested/n.py", b""),
                ("repo/nested/inner/obolint.toml", b""),
                ("repo/nested/inner/i.py", b""),
                ("apps/one/app.yaml", b"command: [python, app.py]\n"),
                ("apps/one/app.py", b""),
                ("fifo/deep/f.py", b""),
                ("fifo/deep/bad/g.py", b""),
                ("node_modules/m.py", b""),
                ("w/x/y/z/1.py", b""),
                ("w/x/y/z/2.py", b""),
            ],
        );
        let status = std::process::Command::new("mkfifo")
            .arg(top.join("fifo/deep/bad/.gitignore"))
            .status()
            .unwrap();
        assert!(status.success());
        let settings = Settings {
            extend_exclude: vec!["excluded_name".to_string(), "src/legacy".to_string()],
            ..Settings::default()
        };
        let (found, filter) = start(&top, &settings, None);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert!(
            walk_part(&top, &top, 0, filter.fork(), None, &Stop::default()).is_some(),
            "the walk is split"
        );
        let parts = walk_summary(discover_recorded(&top, &settings));
        assert_eq!(parts, serial_walk(&top, &settings));
        assert!(parts.0.contains("cannot be read safely"), "{}", parts.0);
        assert!(parts.0.contains("secret2.py"), "{}", parts.0);
        assert!(!parts.0.contains("local_x.py"), "{}", parts.0);
        assert!(!parts.0.contains("old.py"), "{}", parts.0);
        // A subfolder's walk does not find nested projects twice, nor what they hold.
        assert!(parts.0.contains("nested_roots: [\n"), "{}", parts.0);
        // Settings that read no ignore file, and a root given as a relative path.
        let plain = Settings {
            respect_gitignore: false,
            ..Settings::default()
        };
        assert_eq!(
            walk_summary(discover_recorded(&top, &plain)),
            serial_walk(&top, &plain)
        );
        let cwd = std::env::current_dir().unwrap();
        let relative = pathdiff(&top, &cwd);
        assert_eq!(
            walk_summary(discover_recorded(&relative, &settings)),
            serial_walk(&relative, &settings)
        );

        // A symlink to a folder, anywhere: the parts cannot tell a loop; serial.
        std::os::unix::fs::symlink("../..", top.join("src/pkg/sub/up")).unwrap();
        let (_, filter) = start(&top, &settings, None);
        assert!(walk_part(&top, &top, 0, filter.fork(), None, &Stop::default()).is_none());
        let walked = walk_summary(discover_recorded(&top, &settings));
        assert_eq!(walked, serial_walk(&top, &settings));
        assert!(walked.0.contains("symlink loop"), "{}", walked.0);
        std::fs::remove_file(top.join("src/pkg/sub/up")).unwrap();
        // A symlink in a listed folder, even to a folder inside the project: serial.
        std::os::unix::fs::symlink("src/pkg", top.join("again")).unwrap();
        let (_, filter) = start(&top, &settings, None);
        assert!(walk_part(&top, &top, 0, filter.fork(), None, &Stop::default()).is_none());
        let walked = walk_summary(discover_recorded(&top, &settings));
        assert_eq!(walked, serial_walk(&top, &settings));
        assert!(walked.0.contains("again/secret2.py"), "{}", walked.0);
        std::fs::remove_file(top.join("again")).unwrap();
        // A symlink to a file is no reason, in the root or below.
        std::os::unix::fs::symlink("../../../a.py", top.join("w/x/y/linked.py")).unwrap();
        std::os::unix::fs::symlink("a.py", top.join("linked.py")).unwrap();
        let (_, filter) = start(&top, &settings, None);
        assert!(walk_part(&top, &top, 0, filter.fork(), None, &Stop::default()).is_some());
        assert_eq!(
            walk_summary(discover_recorded(&top, &settings)),
            serial_walk(&top, &settings)
        );
    }

    /// `path` relative to `base` (both absolute), through `..` where needed.
    fn pathdiff(path: &Path, base: &Path) -> PathBuf {
        let common = path
            .components()
            .zip(base.components())
            .take_while(|(a, b)| a == b)
            .count();
        let mut out = PathBuf::new();
        for _ in base.components().skip(common) {
            out.push("..");
        }
        for part in path.components().skip(common) {
            out.push(part);
        }
        out
    }
}
