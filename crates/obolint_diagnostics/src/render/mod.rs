//! Renderers: one small file per output format, all fed the same sorted diagnostics.

mod azure;
mod concise;
mod diff;
mod full;
mod github;
mod gitlab;
mod json;
mod json_lines;
mod junit;
mod sarif;
mod summary;

pub use azure::render_azure;
pub use concise::render_concise;
pub use diff::unified_diff;
pub use full::{full_to_string, render_full, termcolor_stream};
pub use github::render_github;
pub use gitlab::render_gitlab;
pub use json::{JsonDiagnostic, render_json, to_json_diagnostics};
pub use json_lines::render_json_lines;
pub use junit::render_junit;
pub use sarif::{SarifRule, SarifTool, percent_encode_path, render_sarif};
pub use summary::Summary;

use std::borrow::Cow;

use crate::{Diagnostic, SourceDb};

/// Where the documentation lives, for people who installed only the binary or the wheel: messages
/// that point at a page point here (a test checks that each page named exists under `docs/`).
pub const DOCS_URL: &str = "https://github.com/obolint/obolint/blob/main/docs";

/// Where the rule documentation lives; `url` fields and SARIF `helpUri` point here.
pub const DOCS_BASE_URL: &str = "https://github.com/obolint/obolint/blob/main/docs/rules";

pub fn rule_url(code: &str) -> String {
    format!("{DOCS_BASE_URL}/{code}.md")
}

/// The address of a page of `docs/` (`page` is its path there, with an optional `#anchor`).
pub fn docs_url(page: &str) -> String {
    format!("{DOCS_URL}/{page}")
}

/// The message as the formats that point at lines of the file on disk show it: in a notebook,
/// prefixed with its cell (`cell 3: ...`), since their line is not the cell's row.
pub(crate) fn message_with_cell(d: &Diagnostic, db: &SourceDb) -> String {
    match db.get(d.primary.file).cell(d.primary.range.start()) {
        Some(cell) => format!("cell {cell}: {}", d.message),
        None => d.message.clone(),
    }
}

/// The one order every format uses: file name, row, column, code (as the CLI contract sorts JSON).
pub fn sort(diagnostics: &mut [Diagnostic], db: &SourceDb) {
    diagnostics.sort_by(|a, b| {
        let fa = db.get(a.primary.file);
        let fb = db.get(b.primary.file);
        fa.display_path
            .cmp(&fb.display_path)
            .then_with(|| {
                fa.cell(a.primary.range.start())
                    .cmp(&fb.cell(b.primary.range.start()))
            })
            .then_with(|| {
                fa.position(a.primary.range.start())
                    .cmp(&fb.position(b.primary.range.start()))
            })
            .then_with(|| a.rule.code.cmp(b.rule.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// `text` made safe for a terminal or a CI log: control characters (escape sequences, a newline
/// that would start a forged `::error` workflow command, NUL, C1 controls) are written as Rust
/// escapes (`\u{1b}`, `\n`); tabs stay. The human formats pass every string that can come from
/// the checked files (messages, labels, paths, scopes) through this.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// Source text for an excerpt: each control character but line ends and tabs replaced by a
/// visible character of the same UTF-8 length (`?` for C0 and DEL, `¿` for C1), so offsets,
/// rows and columns are unchanged and nothing in the file drives the terminal.
pub(crate) fn visible_source(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                c if !hidden(c) => c,
                c if c.len_utf8() == 1 => '?',
                _ => '\u{bf}',
            })
            .collect(),
    )
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        // Reproducer `terminal_escape_injection`.
        let hostile = "x\u{1b}[2J\u{1b}]0;owned\u{7}\n::error file=PWNED.py::injected\0\u{9b}";
        let escaped = escape_control(hostile);
        assert!(!escaped.chars().any(|c| c.is_control()), "{escaped}");
        assert_eq!(
            escaped,
            r"x\u{1b}[2J\u{1b}]0;owned\u{7}\n::error file=PWNED.py::injected\u{0}\u{9b}"
        );
        assert!(matches!(
            escape_control("plain `text`\tok"),
            Cow::Borrowed(_)
        ));
        let visible = visible_source(hostile);
        assert_eq!(visible.len(), hostile.len());
        assert_eq!(visible.chars().count(), hostile.chars().count());
        assert!(!visible.chars().any(|c| c.is_control() && c != '\n'));
    }
}
