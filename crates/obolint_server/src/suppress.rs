//! The text of `# noqa` comments, for the "suppress on this line" action and for hover. Both
//! read comments with the checker's own parser ([`suppression::parse_comment`]), so the server
//! and the checker agree on what a suppression says.

use obolint_diagnostics::{Edit, LineIndex};
use obolint_linter::suppression::{self, Directive};
use ruff_text_size::{TextRange, TextSize};

/// The line suppression on the 0-based `line`, if there is one.
fn directive_on_line(text: &str, index: &LineIndex, line: usize) -> Option<Directive> {
    let line_range = index.line_range(line, text);
    let line_text = &text[line_range];
    line_text
        .char_indices()
        .filter(|&(_, c)| c == '#')
        .find_map(|(i, _)| {
            let comment = TextRange::new(
                line_range.start() + TextSize::new(i as u32),
                line_range.end(),
            );
            let own_line = line_text[..i].trim().is_empty();
            suppression::parse_comment(text, comment, own_line, line)
        })
}

/// The edit that suppresses `code` on the line where `at` is: the code added to the line's
/// `# noqa:` list, or a new `# noqa: CODE` comment at the end of the line. `None` when a bare
/// `# noqa` already covers every code.
pub fn noqa_edit(text: &str, index: &LineIndex, at: TextSize, code: &str) -> Option<Edit> {
    let line = index.line_of(at);
    match directive_on_line(text, index, line) {
        Some(directive) if !directive.file_level && !directive.malformed => {
            directive.codes.as_ref()?;
            if directive.covers(code) {
                return None;
            }
            Some(Edit::insertion(
                directive.directive.end(),
                format!(", {code}"),
            ))
        }
        _ => {
            let end = index.line_range(line, text).end();
            Some(Edit::insertion(end, format!("  # noqa: {code}")))
        }
    }
}

/// The code under `offset` in a `# noqa:` or `# obolint: noqa:` comment, with its range.
pub fn code_at(text: &str, index: &LineIndex, offset: TextSize) -> Option<(String, TextRange)> {
    let directive = directive_on_line(text, index, index.line_of(offset))?;
    directive
        .codes?
        .into_iter()
        .find(|c| c.range.contains_inclusive(offset))
        .map(|c| (c.code, c.range))
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_linter::fix::apply_edits;

    fn suppressed(text: &str, line: usize, code: &str) -> Option<String> {
        let index = LineIndex::new(text);
        let at = index.line_start(line);
        noqa_edit(text, &index, at, code).map(|edit| apply_edits(text, &[edit]))
    }

    #[test]
    fn adds_a_comment_or_extends_the_list() {
        assert_eq!(
            suppressed("x = f()\ny = 1\n", 0, "OBO101").as_deref(),
            Some("x = f()  # noqa: OBO101\ny = 1\n")
        );
        assert_eq!(
            suppressed("x = f()  # noqa: E501 -- long\n", 0, "OBO101").as_deref(),
            Some("x = f()  # noqa: E501, OBO101 -- long\n")
        );
        assert_eq!(
            suppressed("x = f()  # why\n", 0, "OBO101").as_deref(),
            Some("x = f()  # why  # noqa: OBO101\n")
        );
        assert_eq!(suppressed("x = f()  # noqa\n", 0, "OBO101"), None);
    }

    #[test]
    fn finds_the_code_under_the_cursor() {
        let text = "x = f()  # noqa: E501, OBO201\n";
        let index = LineIndex::new(text);
        let at = TextSize::new(text.find("OBO2").unwrap() as u32 + 2);
        assert_eq!(
            code_at(text, &index, at).map(|c| c.0).as_deref(),
            Some("OBO201")
        );
        assert_eq!(code_at(text, &index, TextSize::new(1)), None);
    }
}
