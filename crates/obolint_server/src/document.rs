//! Open text documents: the editor's buffer, kept in step with `didChange` (full or incremental).

use lsp_types::TextDocumentContentChangeEvent;
use obolint_diagnostics::LineIndex;

use crate::encoding::{Lines, PositionEncoding};

#[derive(Clone, Debug)]
pub struct TextDocument {
    pub text: String,
    pub version: i32,
    pub index: LineIndex,
}

impl TextDocument {
    pub fn new(text: String, version: i32) -> Self {
        let index = LineIndex::new(&text);
        Self {
            text,
            version,
            index,
        }
    }

    pub fn lines(&self) -> Lines<'_> {
        Lines::new(&self.text, &self.index)
    }

    /// Applies the changes in order, as the protocol requires (each range is in the text the
    /// previous change left).
    pub fn apply(
        &mut self,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        encoding: PositionEncoding,
    ) {
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let range = self.lines().text_range(range, encoding);
                    self.text
                        .replace_range(std::ops::Range::<usize>::from(range), &change.text);
                }
            }
            self.index = LineIndex::new(&self.text);
        }
        self.version = version;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    fn change(range: Option<(u32, u32, u32, u32)>, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|(a, b, c, d)| Range::new(Position::new(a, b), Position::new(c, d))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut doc = TextDocument::new("x = \"é\"\ny = 2\n".to_string(), 1);
        doc.apply(
            vec![
                change(Some((1, 4, 1, 5)), "3"),
                change(Some((0, 5, 0, 6)), "ü"),
                change(Some((2, 0, 2, 0)), "z = 4\n"),
            ],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(doc.text, "x = \"ü\"\ny = 3\nz = 4\n");
        assert_eq!(doc.version, 2);
        doc.apply(vec![change(None, "new")], 3, PositionEncoding::Utf16);
        assert_eq!(doc.text, "new");
    }

    #[test]
    fn ranges_past_the_end_are_clamped() {
        let mut doc = TextDocument::new("ab".to_string(), 1);
        doc.apply(
            vec![change(Some((0, 1, 7, 0)), "!")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(doc.text, "a!");
    }
}
