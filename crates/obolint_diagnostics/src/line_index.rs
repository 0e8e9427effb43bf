use ruff_text_size::{TextRange, TextSize};

/// A 1-based row and a 1-based column counted in characters (not bytes), as users and
/// the CLI contract count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourcePosition {
    pub row: usize,
    pub column: usize,
}

/// The start offset of every line of a text, to turn byte offsets into rows and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<TextSize>,
    /// Every character longer than one byte: its offset, and the bytes beyond the first of it
    /// and of all such characters before it. A column is then a subtraction and two binary
    /// searches, not a count of the line's characters (a count made a hostile one-line list of
    /// 50,000 findings quadratic).
    wide: Vec<(TextSize, u32)>,
}

/// The length of the UTF-8 sequence `byte` starts (1 for ASCII and continuation bytes).
fn utf8_width(byte: u8) -> u32 {
    match byte {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![TextSize::new(0)];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // A lone `\r` ends a line for Python too; `\r\n` is one line end.
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                line_starts.push(TextSize::new((i + 1) as u32));
            }
        }
        let mut wide = Vec::new();
        let mut extra = 0u32;
        let mut i = 0;
        while i < bytes.len() {
            // Eight ASCII bytes at a time (most text is ASCII).
            if let Some(word) = bytes.get(i..i + 8)
                && let Ok(word) = <[u8; 8]>::try_from(word)
                && u64::from_ne_bytes(word) & 0x8080_8080_8080_8080 == 0
            {
                i += 8;
                continue;
            }
            let width = utf8_width(bytes[i]);
            if width > 1 {
                extra += width - 1;
                wide.push((TextSize::new(i as u32), extra));
            }
            i += 1;
        }
        Self { line_starts, wide }
    }

    /// The bytes beyond the first of the characters before `offset`.
    fn extra_before(&self, offset: usize) -> usize {
        let index = self
            .wide
            .partition_point(|(at, _)| usize::from(*at) < offset);
        index
            .checked_sub(1)
            .and_then(|i| self.wide.get(i))
            .map_or(0, |(_, extra)| *extra as usize)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line of `offset`.
    pub fn line_of(&self, offset: TextSize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> TextSize {
        self.line_starts[line.min(self.line_starts.len() - 1)]
    }

    /// The range of 0-based `line`, without its line ending.
    pub fn line_range(&self, line: usize, text: &str) -> TextRange {
        let start = self.line_start(line);
        let mut end = if line + 1 < self.line_starts.len() {
            self.line_starts[line + 1]
        } else {
            TextSize::of(text)
        };
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[usize::from(end) - 1], b'\n' | b'\r') {
            end -= TextSize::new(1);
        }
        TextRange::new(start, end)
    }

    pub fn position(&self, offset: TextSize, text: &str) -> SourcePosition {
        let line = self.line_of(offset);
        let start = usize::from(self.line_start(line));
        let end = usize::from(offset).min(text.len()).max(start);
        // As `text[start..end].chars().count()`, and the byte count off character boundaries.
        let column = if text.get(start..end).is_some() {
            (end - start) - (self.extra_before(end) - self.extra_before(start))
        } else {
            end - start
        };
        SourcePosition {
            row: line + 1,
            column: column + 1,
        }
    }
}

/// The line of offsets asked in increasing order, counted forward from the last one asked:
/// what [`LineIndex::line_of`] and [`LineIndex::line_start`] say, without building the index
/// (its pass for wide characters, its vector). For the few offsets a file's `noqa` comments
/// stand at.
#[derive(Clone, Debug)]
pub struct LineCursor<'t> {
    bytes: &'t [u8],
    /// Line ends before `at` are counted.
    at: usize,
    line: usize,
    line_start: usize,
}

impl<'t> LineCursor<'t> {
    pub fn new(text: &'t str) -> Self {
        Self {
            bytes: text.as_bytes(),
            at: 0,
            line: 0,
            line_start: 0,
        }
    }

    /// The 0-based line of `offset` and where that line starts. An offset before the last one
    /// asked is counted again from the start of the text.
    pub fn line_of(&mut self, offset: TextSize) -> (usize, TextSize) {
        let offset = usize::from(offset).min(self.bytes.len());
        if offset < self.at {
            (self.at, self.line, self.line_start) = (0, 0, 0);
        }
        for i in memchr::memchr2_iter(b'\n', b'\r', &self.bytes[self.at..offset]) {
            let i = self.at + i;
            // As `LineIndex::new`: a lone `\r` ends a line, `\r\n` is one line end.
            if self.bytes[i] == b'\n' || self.bytes.get(i + 1) != Some(&b'\n') {
                self.line += 1;
                self.line_start = i + 1;
            }
        }
        self.at = offset;
        (self.line, TextSize::new(self.line_start as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_agrees_with_the_index() {
        for text in [
            "a = 1\nb = \"é\" + x\r\nc\rd",
            "",
            "\n\n\r\r\n\r",
            "x\r\n\r\ny  # noqa\rz",
        ] {
            let index = LineIndex::new(text);
            let offsets: Vec<TextSize> = (0..=text.len() as u32).map(TextSize::new).collect();
            let mut cursor = LineCursor::new(text);
            for &offset in &offsets {
                let line = index.line_of(offset);
                assert_eq!(
                    cursor.line_of(offset),
                    (line, index.line_start(line)),
                    "{text:?} at {offset:?}"
                );
            }
            // Backwards, the cursor starts again.
            for &offset in offsets.iter().rev() {
                let line = index.line_of(offset);
                assert_eq!(
                    cursor.line_of(offset),
                    (line, index.line_start(line)),
                    "{text:?} at {offset:?}"
                );
            }
        }
    }

    #[test]
    fn rows_and_character_columns() {
        let text = "a = 1\nb = \"é\" + x\r\nc\rd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let x = TextSize::new(text.find('x').unwrap() as u32);
        assert_eq!(
            index.position(x, text),
            SourcePosition { row: 2, column: 11 }
        );
        let d = TextSize::new(text.find('d').unwrap() as u32);
        assert_eq!(
            index.position(d, text),
            SourcePosition { row: 4, column: 1 }
        );
        assert_eq!(&text[index.line_range(1, text)], "b = \"é\" + x");
    }

    #[test]
    fn columns_count_characters_of_every_width() {
        let text = "aé€😀b\nx€y\n😀😀z";
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let line = index.line_of(TextSize::new(offset as u32));
            let start = usize::from(index.line_start(line));
            assert_eq!(
                index.position(TextSize::new(offset as u32), text).column,
                text[start..offset].chars().count() + 1,
                "at {offset}"
            );
        }
        // Inside a character: counted in bytes, as before.
        assert_eq!(index.position(TextSize::new(2), text).column, 3);
    }

    /// The index as it was first written: one byte at a time.
    fn naive(text: &str) -> LineIndex {
        let mut line_starts = vec![TextSize::new(0)];
        let mut wide = Vec::new();
        let mut extra = 0u32;
        let bytes = text.as_bytes();
        for (i, &byte) in bytes.iter().enumerate() {
            let width = utf8_width(byte);
            if width > 1 {
                extra += width - 1;
                wide.push((TextSize::new(i as u32), extra));
            }
            match byte {
                b'\n' => line_starts.push(TextSize::new((i + 1) as u32)),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                    line_starts.push(TextSize::new((i + 1) as u32));
                }
                _ => {}
            }
        }
        LineIndex { line_starts, wide }
    }

    #[test]
    fn the_word_at_a_time_index_is_the_byte_at_a_time_one() {
        let pieces = [
            "a", "bc", "\n", "\r", "\r\n", "é", "€", "😀", "        ", "x = 1\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for length in 0..400 {
            let mut text = String::new();
            for _ in 0..length {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let (fast, slow) = (LineIndex::new(&text), naive(&text));
            assert_eq!(fast.line_starts, slow.line_starts, "{text:?}");
            assert_eq!(fast.wide, slow.wide, "{text:?}");
        }
    }

    #[test]
    fn end_of_text_is_a_position() {
        let text = "abc\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(TextSize::of(text), text),
            SourcePosition { row: 2, column: 1 }
        );
    }
}
