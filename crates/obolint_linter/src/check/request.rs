//! What `check` takes and gives: the request (paths, configuration, unsaved buffers), the
//! report, and the errors that stop a run.

use std::path::PathBuf;

use obolint_diagnostics::{Diagnostic, Severity, SourceDb};
use rustc_hash::FxHashMap;

use crate::config::{CliOverrides, ConfigError, ConfigSource};
use crate::discover::WalkWarning;

#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// Files and folders as the user gave them; they narrow what is reported, not what is
    /// understood (the whole project around them is analysed).
    pub paths: Vec<PathBuf>,
    /// Where relative paths start, and what displayed paths are relative to.
    pub cwd: PathBuf,
    pub config: ConfigSource,
    pub overrides: CliOverrides,
    /// Text that replaces a file's content on disk (fixes being applied, unsaved editor buffers),
    /// by canonical path.
    pub sources: FxHashMap<PathBuf, String>,
    /// Also report what each model requires and declares (`obolint scopes`).
    pub collect_models: bool,
    /// The process ends after this run (the command line's `check`): the syntax trees and
    /// analysis of the root checked last, and the trees of the root that parsed the most unless a
    /// later root parses much, are left to the operating system instead of being freed node by
    /// node (the others are freed while the remaining roots are checked: their memory is reused,
    /// and peak memory is that of the roots checked at the same time).
    pub exit_after: bool,
    /// Read and write the persistent cache (the command line's `check`; never with unsaved
    /// buffers or `collect_models`, whose results it does not hold).
    pub cache: Option<super::cache::CacheRequest>,
    /// Parsed files kept from one check to the next (the language server's, one per project): a
    /// file whose text, kind and cells are as when it was last parsed is not parsed again.
    pub parses: Option<std::sync::Arc<super::parses::ParseCache>>,
    /// Parse every file, as if the prescreen let everything through: only for the test that
    /// proves the prescreen changes no finding.
    #[doc(hidden)]
    pub parse_everything: bool,
}

impl CheckRequest {
    pub fn new(paths: Vec<PathBuf>, cwd: PathBuf) -> Self {
        Self {
            paths,
            cwd,
            config: ConfigSource::Discover,
            overrides: CliOverrides::default(),
            sources: FxHashMap::default(),
            collect_models: false,
            exit_after: false,
            cache: None,
            parses: None,
            parse_everything: false,
        }
    }
}

#[derive(Debug)]
pub struct CheckReport {
    pub db: SourceDb,
    /// Sorted by file name, row, column, code.
    pub diagnostics: Vec<Diagnostic>,
    pub warnings: Vec<WalkWarning>,
    /// Python files found in the reported paths.
    pub files_checked: usize,
    /// The lowest severity that fails the run (command line, then configuration, then `error`).
    pub fail_on: Severity,
    /// With [`CheckRequest::collect_models`]: each OBO model's scopes.
    pub models: Vec<crate::scopes_report::ModelReport>,
    /// Per Databricks App found (with `collect_models`): what `obolint scopes` prints.
    pub apps: Vec<crate::scopes_report::AppReport>,
    /// Why some checks stayed silent (for `--verbose`): apps whose scopes are unknown.
    pub notes: Vec<String>,
    /// Project roots whose findings came from the cache.
    pub cached_roots: usize,
    /// Project roots checked: those the paths name, and the projects nested in them.
    pub roots: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("path `{}` does not exist", .0.display())]
    PathNotFound(PathBuf),
    /// A FIFO, a device, a socket: reading it could block or never end.
    #[error("path `{}` is not a regular file or a folder (it is {})", .0.display(), .1)]
    NotFileOrFolder(PathBuf, &'static str),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file read again for its code was not the text read first, three times in a row.
    #[error("`{}` kept changing while it was checked; check again", .0.display())]
    ChangedWhileChecked(PathBuf),
}
