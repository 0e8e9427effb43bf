//! obolint's checker: discovery, loading, the project index, the analyses on it and the rules,
//! behind one function, [`check`], that the CLI, the language server and the pre-commit hook all
//! call.
//!
//! Layers, each importing only those below it (`docs/design.md` "Layers"):
//! `check` (the pipeline) → `registry` → `rules` → `context` → `analysis` → `project` (the
//! index), with `config` above `registry`, and `manifest`, `requirements`, `scope_table`,
//! `settings`, `clients`, `load`, `suppression`, `edits` at the bottom.

pub mod analysis;
pub mod app_manifest;
pub mod app_scope_table;
mod check;
pub mod clients;
pub mod config;
pub mod context;
pub mod discover;
pub mod docs;
pub mod edits;
pub mod fix;
mod load;
pub mod manifest;
pub mod project;
pub mod registry;
pub mod requirements;
pub mod rule_info;
pub mod rules;
pub mod scope_table;
pub mod scopes_report;
pub mod settings;
pub mod sources;
pub mod suppression;

pub use check::cache::CacheRequest;
pub use check::parses::ParseCache;
pub use check::{
    CheckError, CheckPool, CheckReport, CheckRequest, check, check_in, show_files, show_settings,
    watched_files,
};
pub use registry::Rule;
pub use rule_info::RuleInfo;
pub use settings::Settings;
