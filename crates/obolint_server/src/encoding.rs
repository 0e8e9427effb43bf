//! Positions: obolint counts bytes, LSP counts lines and code units of the negotiated encoding
//! (UTF-16 unless the client offers UTF-8 or UTF-32 in `general.positionEncodings`).

use lsp_types::{ClientCapabilities, Position, PositionEncodingKind, Range};
use obolint_diagnostics::LineIndex;
use ruff_text_size::{TextRange, TextSize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    Utf16,
    Utf32,
}

impl PositionEncoding {
    /// UTF-8 first (our offsets are bytes: no conversion at all), then UTF-32, then the
    /// protocol's default, UTF-16.
    pub fn negotiate(capabilities: &ClientCapabilities) -> Self {
        let offered = capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref())
            .unwrap_or_default();
        if offered.contains(&PositionEncodingKind::UTF8) {
            PositionEncoding::Utf8
        } else if offered.contains(&PositionEncodingKind::UTF32) {
            PositionEncoding::Utf32
        } else {
            PositionEncoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
            PositionEncoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, c: char) -> u32 {
        match self {
            PositionEncoding::Utf8 => c.len_utf8() as u32,
            PositionEncoding::Utf16 => c.len_utf16() as u32,
            PositionEncoding::Utf32 => 1,
        }
    }
}

/// A text with its line starts, to convert between byte offsets and LSP positions.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str, index: &'a LineIndex) -> Self {
        Self { text, index }
    }

    pub fn position(&self, offset: TextSize, encoding: PositionEncoding) -> Position {
        let offset = offset.min(TextSize::of(self.text));
        let line = self.index.line_of(offset);
        let start = usize::from(self.index.line_start(line));
        let end = usize::from(offset).max(start);
        let prefix = self.text.get(start..end).unwrap_or_default();
        let character = match encoding {
            PositionEncoding::Utf8 => prefix.len() as u32,
            _ => prefix.chars().map(|c| encoding.units(c)).sum(),
        };
        Position::new(line as u32, character)
    }

    pub fn range(&self, range: TextRange, encoding: PositionEncoding) -> Range {
        Range::new(
            self.position(range.start(), encoding),
            self.position(range.end(), encoding),
        )
    }

    /// The byte offset of `position`; a line past the end is the end of the text, a character
    /// past the end of its line is the line's end (the protocol says to clamp), and a position
    /// inside a character is that character's start.
    pub fn offset(&self, position: Position, encoding: PositionEncoding) -> TextSize {
        let line = position.line as usize;
        if line >= self.index.line_count() {
            return TextSize::of(self.text);
        }
        let line_range = self.index.line_range(line, self.text);
        let line_text = &self.text[line_range];
        let mut units = 0u32;
        for (i, c) in line_text.char_indices() {
            if units >= position.character {
                return line_range.start() + TextSize::new(i as u32);
            }
            units += encoding.units(c);
            if units > position.character {
                return line_range.start() + TextSize::new(i as u32);
            }
        }
        line_range.end()
    }

    pub fn text_range(&self, range: Range, encoding: PositionEncoding) -> TextRange {
        let start = self.offset(range.start, encoding);
        let end = self.offset(range.end, encoding).max(start);
        TextRange::new(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_round_trip_in_every_encoding() {
        let text = "a = \"é𝄞\"\r\nb = 1\nc";
        let index = LineIndex::new(text);
        let lines = Lines::new(text, &index);
        let b = TextSize::new(text.find('b').unwrap() as u32);
        let quote = TextSize::new(text.rfind('"').unwrap() as u32);
        for encoding in [
            PositionEncoding::Utf8,
            PositionEncoding::Utf16,
            PositionEncoding::Utf32,
        ] {
            for offset in [TextSize::new(0), b, quote, TextSize::of(text)] {
                let position = lines.position(offset, encoding);
                assert_eq!(lines.offset(position, encoding), offset, "{encoding:?}");
            }
        }
        assert_eq!(
            lines.position(quote, PositionEncoding::Utf16),
            Position::new(0, 8)
        );
        assert_eq!(
            lines.position(quote, PositionEncoding::Utf8),
            Position::new(0, 11)
        );
        assert_eq!(
            lines.position(quote, PositionEncoding::Utf32),
            Position::new(0, 7)
        );
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        let lines = Lines::new(text, &index);
        assert_eq!(
            lines.offset(Position::new(0, 99), PositionEncoding::Utf16),
            TextSize::new(2)
        );
        assert_eq!(
            lines.offset(Position::new(9, 0), PositionEncoding::Utf16),
            TextSize::of(text)
        );
    }

    #[test]
    fn negotiation_prefers_utf8() {
        let mut capabilities = ClientCapabilities::default();
        assert_eq!(
            PositionEncoding::negotiate(&capabilities),
            PositionEncoding::Utf16
        );
        capabilities.general = Some(lsp_types::GeneralClientCapabilities {
            position_encodings: Some(vec![
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8,
            ]),
            ..Default::default()
        });
        assert_eq!(
            PositionEncoding::negotiate(&capabilities),
            PositionEncoding::Utf8
        );
    }
}
