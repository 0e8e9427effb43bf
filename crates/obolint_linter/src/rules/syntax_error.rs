//! OBO900 syntax-error.

use obolint_diagnostics::Label;
use obolint_macros::rule;

use crate::context::{Check, Grain, RuleContext};
use crate::load::LoadErrorKind;
use crate::requirements::RequirementKind;

/// ## What it does
/// Reports a Python file, a notebook cell or a manifest that cannot be parsed, once per file (once
/// per cell in notebooks), at the first error, and a file that cannot be read (not UTF-8, larger
/// than `max-file-size`, not a regular file). Everything that parses is still checked. Also
/// reports a requirement that is not PEP 508 (`a-==1`): pip fails on it when the model's
/// environment is built.
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

impl Check for SyntaxError {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for error in ctx.load_errors {
            let (message, label) = match &error.kind {
                LoadErrorKind::Syntax { message, cell } => (
                    match cell {
                        Some(cell) => format!("syntax error in cell {}: {message}", cell + 1),
                        None => format!("syntax error: {message}"),
                    },
                    "here",
                ),
                LoadErrorKind::Unreadable(reason) => {
                    (format!("cannot read this file: {reason}"), "not checked")
                }
                LoadErrorKind::BrokenNotebook(reason) => (
                    format!("cannot read this notebook: {reason}"),
                    "not checked",
                ),
                LoadErrorKind::BrokenYaml(reason) => {
                    (format!("this YAML does not parse: {reason}"), "here")
                }
            };
            ctx.report(ctx.diagnostic(message, Label::new(error.file, error.range, label)));
        }
        // A requirement pip cannot read fails the model's environment at install time, and
        // tells nothing of what it would install.
        for set in ctx.requirement_sets {
            for requirement in &set.requirements.requirements {
                if let RequirementKind::Invalid { message } = &requirement.kind {
                    ctx.report(ctx.diagnostic(
                        format!("this requirement does not parse: {message}"),
                        Label::new(set.file, requirement.range, "not a PEP 508 requirement"),
                    ));
                }
            }
        }
    }
}
