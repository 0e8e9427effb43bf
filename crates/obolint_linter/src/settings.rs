//! The settings an analysis runs with, and their defaults. Configuration files fill them
//! (`config::settings`, documented in `docs/usage.md`); nothing here reads configuration, so
//! the analyses and rules that read settings do not depend on the configuration format.

use crate::scope_table::ScopeStyle;

/// Folder names never walked into, whatever the configuration adds (the CLI contract), plus Jupyter's
/// `.ipynb_checkpoints`, whose copies of notebooks would report every finding twice.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".ipynb_checkpoints",
];

#[derive(Clone, Debug)]
pub struct Settings {
    /// Further folder or file names to skip while walking.
    pub extend_exclude: Vec<String>,
    pub respect_gitignore: bool,
    /// Fully qualified functions that return a user client (`myproject.auth.get_user_client`).
    pub user_client_factories: Vec<String>,
    /// Method names that run at request time besides `predict` and `predict_stream`.
    pub request_methods: Vec<String>,
    /// Environment variables or functions whose test tells local development from a deployed
    /// Databricks App (`local-dev-guards`), besides `DATABRICKS_APP_NAME`/`DATABRICKS_APP_PORT`.
    pub local_dev_guards: Vec<String>,
    /// Scope names accepted beyond the built-in table (`extra-scopes`).
    pub extra_scopes: Vec<String>,
    /// How appended scopes are written (`scope-style`); `None` is `auto` (the list's own style).
    pub scope_style: Option<ScopeStyle>,
    /// The largest file read, in bytes (`max-file-size`): larger files are OBO900, larger
    /// ignore files are not read.
    pub max_file_size: u64,
    /// `cache-dir`: the cache folder, relative to the root (`.obolint_cache` when unset).
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            extend_exclude: Vec::new(),
            respect_gitignore: true,
            user_client_factories: Vec::new(),
            request_methods: Vec::new(),
            local_dev_guards: Vec::new(),
            extra_scopes: Vec::new(),
            scope_style: None,
            max_file_size: crate::load::DEFAULT_MAX_FILE_SIZE,
            cache_dir: None,
        }
    }
}

impl Settings {
    pub fn is_request_method(&self, name: &str) -> bool {
        matches!(name, "predict" | "predict_stream")
            || self.request_methods.iter().any(|m| m == name)
    }

    /// Extra words for the prescreen: a file calling a configured factory must be parsed.
    pub fn prescreen_words(&self) -> Vec<String> {
        self.user_client_factories
            .iter()
            .filter_map(|f| f.rsplit('.').next().map(str::to_string))
            .collect()
    }
}
