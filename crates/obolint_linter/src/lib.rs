//! obolint's checker: discovery, loading, the project model, the dataflow and the rules, behind
//! one function, [`check`], that the CLI, the language server and the pre-commit hook all call.

mod checker;
pub mod dataflow;
pub mod discover;
mod load;
pub mod project;
pub mod rules;
pub mod settings;

pub use checker::{CheckError, CheckReport, CheckRequest, check};
pub use settings::Settings;
