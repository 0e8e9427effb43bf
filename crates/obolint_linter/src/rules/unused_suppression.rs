//! OBO901 unused-suppression, and the application of suppressions to a file's findings.

use obolint_diagnostics::{Applicability, Diagnostic, Edit, FileId, Fix, Label, LineIndex};
use obolint_macros::rule;
use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};

use obolint_python::semantic::statements::child_bodies;

use super::syntax_error::SyntaxError;
use crate::context::{Check, Grain};
use crate::suppression::{Directive, SuppressedCode};

/// ## What it does
/// Reports an obolint code in a `# noqa:` comment (or a file-level `# obolint: noqa:`) that
/// suppressed nothing, or that is not a rule code at all.
///
/// ## Why is this bad?
/// A suppression outlives the finding it was written for: after the code is fixed, it silently
/// hides the next real finding on that line. A misspelt code suppresses nothing while looking as
/// if it did.
///
/// ## Example
/// ```python
/// w = WorkspaceClient()  # noqa: OBO101
/// ```
///
/// Use instead:
/// ```python
/// w = WorkspaceClient()
/// ```
///
/// ## Known problems
/// Codes of other tools in the same comment (`# noqa: E501, OBO101`) are left alone, and so is a
/// bare `# noqa`, which may be meant for another linter.
#[rule(
    code = "OBO901",
    name = "unused-suppression",
    severity = "warning",
    default = true,
    fix = "always",
    fix_safety = "safe"
)]
pub struct UnusedSuppression;

/// Its findings depend on every other rule's, after configuration: the report stage
/// (`check/report.rs`) calls [`apply`] once the others have run, so the registry runs nothing here.
impl Check for UnusedSuppression {
    const GRAIN: Grain = Grain::Project;
}

/// Drops the findings a suppression covers; returns OBO901 findings for what suppressed nothing.
/// `text`, `lines` and `body` (the file's statements) are asked for only when a finding of the
/// file or an OBO901 fix needs them (most files with a `noqa` comment have neither: another
/// tool's codes, no finding of ours), so a text the run did not keep is not read again, nor a
/// tree it dropped parsed again, for them.
pub fn apply<'l, 'b>(
    file: FileId,
    text: impl Fn() -> &'l str,
    lines: impl Fn() -> &'l LineIndex,
    body: impl Fn() -> &'b [Stmt],
    directives: &[Directive],
    diagnostics: &mut Vec<Diagnostic>,
    rule_enabled: &dyn Fn(&str) -> Option<bool>,
) -> Vec<Diagnostic> {
    // Which directive hides a finding is looked up rather than searched for: a file of 40,000
    // `# noqa` lines, each hiding one finding, took 11 s.
    let mut file_level = FirstCovering::default();
    let mut by_line: FxHashMap<usize, FirstCovering<'_>> = FxHashMap::default();
    for (i, directive) in directives.iter().enumerate() {
        if directive.file_level {
            file_level.add(i, directive);
        } else {
            by_line.entry(directive.line).or_default().add(i, directive);
        }
    }
    let on_line = |line: usize, code: &str| by_line.get(&line).and_then(|f| f.first(code));
    let mut used: FxHashSet<(usize, &'static str)> = FxHashSet::default();
    diagnostics.retain(|d| {
        if d.primary.file != file {
            return true;
        }
        let code = d.rule.code;
        let lines = lines();
        let start_line = lines.line_of(d.primary.range.start());
        let statement_end =
            statement_last_line(body(), d.primary.range.start(), lines).unwrap_or(start_line);
        // The first directive that covers the finding: one for the whole file, or one on its
        // line or on the last line of its statement.
        let hit = [
            file_level.first(code),
            on_line(start_line, code),
            on_line(statement_end, code),
        ]
        .into_iter()
        .flatten()
        .min();
        match hit {
            Some(i) => {
                used.insert((i, code));
                false
            }
            None => true,
        }
    });
    if rule_enabled(UnusedSuppression::INFO.meta.code) != Some(true) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, directive) in directives.iter().enumerate() {
        if directive.malformed {
            out.push(
                Diagnostic::new(
                    UnusedSuppression::INFO.meta,
                    UnusedSuppression::INFO.severity,
                    "this suppression lists no rule code obolint can read (codes are upper case, after `noqa:`), so it suppresses nothing",
                    Label::new(file, directive.directive, "suppresses nothing"),
                )
                .with_fix(Some(removal(text(), lines(), directive, None))),
            );
            continue;
        }
        for code in directive.obolint_codes() {
            if used.contains(&(i, code.code.as_str())) {
                continue;
            }
            let enabled = rule_enabled(&code.code);
            let message = if enabled.is_none() {
                format!("`{}` is not an obolint rule code", code.code)
            } else if enabled == Some(false) {
                format!(
                    "suppression of `{}` does nothing: the rule is not enabled",
                    code.code
                )
            } else {
                format!("suppression of `{}` suppressed nothing", code.code)
            };
            let label = if enabled.is_some() {
                "unused"
            } else {
                "unknown code"
            };
            out.push(
                Diagnostic::new(
                    UnusedSuppression::INFO.meta,
                    UnusedSuppression::INFO.severity,
                    message,
                    Label::new(file, code.range, label),
                )
                .with_fix(Some(removal(text(), lines(), directive, Some(code)))),
            );
        }
    }
    out
}

/// The first of some directives (by their index in the file) that covers each code.
#[derive(Default)]
struct FirstCovering<'d> {
    /// The first bare `# noqa`.
    blanket: Option<usize>,
    /// The first that lists each code.
    listing: FxHashMap<&'d str, usize>,
}

impl<'d> FirstCovering<'d> {
    fn add(&mut self, i: usize, directive: &'d Directive) {
        match &directive.codes {
            None => {
                self.blanket.get_or_insert(i);
            }
            Some(codes) => {
                for c in codes {
                    self.listing.entry(c.code.as_str()).or_insert(i);
                }
            }
        }
    }

    /// The first directive that covers `code`. A blanket `# noqa` does not hide a file that
    /// could not be checked (OBO900): only `# noqa: OBO900` does, as a choice.
    fn first(&self, code: &str) -> Option<usize> {
        let listed = self.listing.get(code).copied();
        let blanket = self.blanket.filter(|_| code != SyntaxError::INFO.meta.code);
        listed.into_iter().chain(blanket).min()
    }
}

/// Removes one code from its comment, or the whole comment when it is the last code.
fn removal(
    text: &str,
    lines: &LineIndex,
    directive: &Directive,
    code: Option<&SuppressedCode>,
) -> Fix {
    let codes = directive.codes.as_deref().unwrap_or_default();
    if let Some(code) = code
        && codes.len() > 1
    {
        let index = codes.iter().position(|c| c == code).unwrap_or(0);
        let range = if index > 0 {
            TextRange::new(codes[index - 1].range.end(), code.range.end())
        } else {
            TextRange::new(code.range.start(), codes[1].range.start())
        };
        return Fix {
            message: format!("Remove `{}`", code.code),
            applicability: Applicability::Safe,
            file: None,
            edits: vec![Edit {
                range,
                content: String::new(),
            }],
        };
    }
    Fix {
        message: "Remove the suppression".to_string(),
        applicability: Applicability::Safe,
        file: None,
        edits: vec![Edit {
            range: directive_removal(text, lines, directive),
            content: String::new(),
        }],
    }
}

/// What removing a whole suppression removes: its `# noqa...` part and its reason, keeping
/// other tools' comments on the line (`# type: ignore  # noqa: OBO101`).
fn directive_removal(text: &str, lines: &LineIndex, directive: &Directive) -> TextRange {
    let comment = directive.comment;
    let comment_text = &text[comment];
    let marker = usize::from(directive.directive.start() - comment.start());
    // The `#` that opens this directive (the comment may hold several).
    let hash = comment_text[..marker].rfind('#').unwrap_or(0);
    let mut end = usize::from(directive.directive.end() - comment.start());
    let rest = &comment_text[end..];
    if rest.trim_start().starts_with("--") {
        // The reason runs to the next comment on the line, or to the end.
        end += rest.find(" #").unwrap_or(rest.len());
    }
    let before = comment_text[..hash].trim_end();
    let after = comment_text[end..].trim();
    let absolute = |offset: usize| comment.start() + TextSize::new(offset as u32);
    if !before.is_empty() {
        // Other comments before it: drop from the end of those to the end of the directive.
        return TextRange::new(absolute(before.len()), absolute(end));
    }
    if !after.is_empty() {
        // Other comments after it: drop the directive and the space up to them.
        let next = end + (comment_text[end..].len() - comment_text[end..].trim_start().len());
        return TextRange::new(comment.start(), absolute(next));
    }
    // The comment is only this directive: it goes, with the line when it stands alone.
    let line = lines.line_range(directive.line, text);
    let code_before = &text[TextRange::new(line.start(), comment.start())];
    if code_before.trim().is_empty() {
        let next = if directive.line + 1 < lines.line_count() {
            lines.line_start(directive.line + 1)
        } else {
            TextSize::of(text)
        };
        TextRange::new(line.start(), next)
    } else {
        TextRange::new(
            line.start() + TextSize::new(code_before.trim_end().len() as u32),
            comment.end(),
        )
    }
}

/// The last line of the logical statement containing `offset`: the statement itself for a simple
/// statement, the header for a compound one (`def ...(` spanning lines, up to its `:`).
pub fn statement_last_line(body: &[Stmt], offset: TextSize, lines: &LineIndex) -> Option<usize> {
    // A body's statements are in source order and do not overlap, so the first that ends at or
    // after `offset` is the only one that can hold it (bisection: each finding of a module of
    // many statements asks).
    let after = body.partition_point(|s| s.end() < offset);
    let stmt = body
        .get(after)
        .filter(|s| s.range().contains_inclusive(offset))?;
    // Unlike a run of the code, the search for the innermost statement enters definitions too.
    let children: Vec<&[Stmt]> = match stmt {
        Stmt::FunctionDef(def) => vec![&def.body],
        Stmt::ClassDef(def) => vec![&def.body],
        other => child_bodies(other),
    };
    for child in &children {
        if let Some(line) = statement_last_line(child, offset, lines) {
            return Some(line);
        }
    }
    let first_child = children
        .iter()
        .filter_map(|b| b.first())
        .map(Ranged::start)
        .min();
    match first_child {
        Some(body_start) => {
            let header_start = lines.line_of(stmt.start());
            let body_line = lines.line_of(body_start);
            Some(if body_line > header_start {
                body_line - 1
            } else {
                body_line
            })
        }
        None => Some(lines.line_of(stmt.end())),
    }
}
