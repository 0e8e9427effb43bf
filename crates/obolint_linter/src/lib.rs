//! obolint's checker: discovery, loading, the project model, the dataflow and the rules, behind
//! one function, [`check`], that the CLI, the language server and the pre-commit hook all call.

mod checker;
pub mod config;
pub mod dataflow;
pub mod discover;
pub mod docs;
pub mod fix;
mod load;
pub mod manifest;
pub mod project;
pub mod requirements;
pub mod rules;
pub mod scope_table;
pub mod settings;
pub mod suppression;

pub use checker::{CheckError, CheckReport, CheckRequest, check, show_settings};
pub use rules::{Rule, RuleInfo};
pub use settings::Settings;
