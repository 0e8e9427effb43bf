use ruff_text_size::{TextRange, TextSize};

/// A 1-based row and a 1-based column counted in characters (not bytes), as users and
/// `cli.md` count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourcePosition {
    pub row: usize,
    pub column: usize,
}

/// The start offset of every line of a text, to turn byte offsets into rows and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<TextSize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![TextSize::new(0)];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(TextSize::new((i + 1) as u32)),
                // A lone `\r` ends a line for Python too; `\r\n` is one line end.
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                    line_starts.push(TextSize::new((i + 1) as u32));
                }
                _ => {}
            }
            i += 1;
        }
        Self { line_starts }
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
        let column = text
            .get(start..end)
            .map_or(end - start, |prefix| prefix.chars().count());
        SourcePosition {
            row: line + 1,
            column: column + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn end_of_text_is_a_position() {
        let text = "abc\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(TextSize::of(text), text),
            SourcePosition { row: 2, column: 1 }
        );
    }
}
