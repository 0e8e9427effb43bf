//! Which kind of Python source a file is, and where its cells are.

use ruff_text_size::{TextRange, TextSize};

/// The header Databricks writes as the first line of a notebook exported as source.
pub const DATABRICKS_HEADER: &str = "# Databricks notebook source";
/// The line Databricks writes between two cells.
pub const DATABRICKS_CELL_SEPARATOR: &str = "# COMMAND ----------";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A plain `.py` module.
    Python,
    /// A `.py` file exported by Databricks: cells split on `# COMMAND ----------`, each parsed on
    /// its own as it runs on its own; rows stay the file's own lines.
    DatabricksNotebook,
    /// A Jupyter `.ipynb` notebook, read as its code cells (see `notebook`).
    Jupyter,
}

pub fn detect_kind(text: &str) -> SourceKind {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    if first.trim_end() == DATABRICKS_HEADER {
        SourceKind::DatabricksNotebook
    } else {
        SourceKind::Python
    }
}

/// The ranges of the cells of `text`, in order, for `ruff_python_parser::parse_cells_unchecked`.
///
/// Each cell but the first starts at its `# COMMAND ----------` line (a comment, so it parses
/// away) and ends just before the `\n` that ends the previous line, so consecutive ranges are
/// separated by exactly one `\n`, as the parser requires. A plain module is one cell.
pub fn cell_ranges(text: &str, kind: SourceKind) -> Vec<TextRange> {
    let end = TextSize::of(text);
    if kind != SourceKind::DatabricksNotebook {
        return vec![TextRange::new(TextSize::new(0), end)];
    }
    let bytes = text.as_bytes();
    let mut starts = vec![0usize];
    let mut line_start = 0usize;
    for line in text.split_inclusive('\n') {
        let is_separator = line.trim_end() == DATABRICKS_CELL_SEPARATOR;
        // Only a separator that follows a `\n` can be split on (see above); one after a lone
        // `\r` stays inside its cell, where it is a comment.
        if is_separator && line_start > 0 && bytes[line_start - 1] == b'\n' {
            starts.push(line_start);
        }
        line_start += line.len();
    }
    let mut ranges = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let stop = starts.get(i + 1).map_or(text.len(), |next| next - 1);
        ranges.push(TextRange::new(
            TextSize::new(start as u32),
            TextSize::new(stop as u32),
        ));
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_databricks_notebooks() {
        assert_eq!(
            detect_kind("# Databricks notebook source\nx = 1\n"),
            SourceKind::DatabricksNotebook
        );
        assert_eq!(
            detect_kind("\u{feff}# Databricks notebook source\r\n"),
            SourceKind::DatabricksNotebook
        );
        assert_eq!(
            detect_kind("import os\n# Databricks notebook source\n"),
            SourceKind::Python
        );
    }

    #[test]
    fn splits_cells_on_separators() {
        let text = "# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\ny = 2\n# COMMAND ----------\nz\n";
        let ranges = cell_ranges(text, SourceKind::DatabricksNotebook);
        assert_eq!(ranges.len(), 3);
        assert_eq!(&text[ranges[0]], "# Databricks notebook source\nx = 1\n");
        assert_eq!(&text[ranges[1]], "# COMMAND ----------\n\ny = 2");
        assert_eq!(&text[ranges[2]], "# COMMAND ----------\nz\n");
        for pair in ranges.windows(2) {
            assert_eq!(&text[TextRange::new(pair[0].end(), pair[1].start())], "\n");
        }
    }

    #[test]
    fn separator_after_lone_carriage_return_is_not_split() {
        let text = "# Databricks notebook source\rx = 1\r# COMMAND ----------\ry = 2\r";
        assert_eq!(cell_ranges(text, SourceKind::DatabricksNotebook).len(), 1);
    }
}
