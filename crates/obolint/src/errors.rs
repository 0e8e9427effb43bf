//! Tool errors (exit 2), reported through miette: what went wrong, where, and how to fix it.

use miette::{Diagnostic, NamedSource, SourceSpan};
use obolint_linter::CheckError;
use obolint_linter::config::ConfigError;

/// Exit code when obolint itself could not do its job (the CLI contract "Exit codes").
pub const TOOL_ERROR: u8 = 2;

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(obolint::error))]
pub struct ToolError {
    pub message: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(obolint::config))]
struct ConfigReport {
    message: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("here")]
    span: Option<SourceSpan>,
    #[help]
    help: Option<String>,
}

pub fn tool_error(message: impl Into<String>, help: Option<String>) -> miette::Report {
    miette::Report::new(ToolError {
        message: message.into(),
        help,
    })
}

pub fn config_error(error: &ConfigError) -> miette::Report {
    let location = match error.line() {
        Some(line) => format!("{}:{line}", error.path.display()),
        None => error.path.display().to_string(),
    };
    miette::Report::new(ConfigReport {
        message: format!("{location}: {}", error.message),
        source_code: NamedSource::new(error.path.display().to_string(), error.text.clone()),
        span: error.span.clone().map(|s| SourceSpan::from(s.start..s.end)),
        help: error.help.clone(),
    })
}

pub fn check_error(error: &CheckError) -> miette::Report {
    match error {
        CheckError::PathNotFound(path) => tool_error(
            error.to_string(),
            Some(format!(
                "check the spelling of `{}`, or run obolint from the folder it is relative to",
                path.display()
            )),
        ),
        CheckError::NotFileOrFolder(..) => tool_error(
            error.to_string(),
            Some("obolint checks regular files and folders; give the project folder".to_string()),
        ),
        CheckError::Config(config) => config_error(config),
        CheckError::ChangedWhileChecked(_) => tool_error(
            error.to_string(),
            Some(
                "a file whose code was read twice was not the same file the second time; \
                 check again once nothing writes to the project"
                    .to_string(),
            ),
        ),
    }
}

/// Prints the report on stderr and gives the exit code for tool errors.
pub fn report(error: miette::Report) -> std::process::ExitCode {
    eprintln!("{error:?}");
    std::process::ExitCode::from(TOOL_ERROR)
}
