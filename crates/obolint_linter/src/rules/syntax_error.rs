//! OBO900 syntax-error.

use obolint_diagnostics::{Diagnostic, FileId, Label};
use obolint_python::SyntaxError as ParseError;
use ruff_text_size::TextRange;

use obolint_macros::rule;

/// ## What it does
/// Reports a Python file, a notebook cell or a manifest that cannot be parsed, once per file (once
/// per cell in notebooks), at the first error. Everything that parses is still checked.
///
/// ## Why is this bad?
/// Code that does not parse cannot be served, and obolint cannot tell what it would do: every
/// other check is blind to it.
///
/// ## Example
/// ```python
/// def predict(self, request:
///     ...
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     ...
/// ```
///
/// ## Known problems
/// Files that mention neither `databricks` nor `mlflow` and that no such file imports are not
/// parsed at all (obolint has nothing to find in them), so their syntax errors are not reported.
#[rule(
    code = "OBO900",
    name = "syntax-error",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct SyntaxError;

pub fn from_parse_error(file: FileId, error: &ParseError) -> Diagnostic {
    let message = match error.cell {
        Some(cell) => format!("syntax error in cell {}: {}", cell + 1, error.message),
        None => format!("syntax error: {}", error.message),
    };
    Diagnostic::new(
        SyntaxError::INFO.meta,
        SyntaxError::INFO.severity,
        message,
        Label::new(file, error.range, "here"),
    )
}

/// A file that could not be read or decoded.
pub fn unreadable(file: FileId, range: TextRange, reason: &str) -> Diagnostic {
    Diagnostic::new(
        SyntaxError::INFO.meta,
        SyntaxError::INFO.severity,
        format!("cannot read this file: {reason}"),
        Label::new(file, range, "not checked"),
    )
}

/// A notebook whose JSON cannot be read.
pub fn broken_notebook(file: FileId, range: TextRange, reason: &str) -> Diagnostic {
    Diagnostic::new(
        SyntaxError::INFO.meta,
        SyntaxError::INFO.severity,
        format!("cannot read this notebook: {reason}"),
        Label::new(file, range, "not checked"),
    )
}

/// A manifest whose YAML does not parse.
pub fn broken_yaml(file: FileId, range: TextRange, reason: &str) -> Diagnostic {
    Diagnostic::new(
        SyntaxError::INFO.meta,
        SyntaxError::INFO.severity,
        format!("this YAML does not parse: {reason}"),
        Label::new(file, range, "here"),
    )
}
