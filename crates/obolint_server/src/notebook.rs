//! Notebook documents (`notebookDocument/*`): the editor sends a notebook as cells, each a text
//! document of its own. The checker reads `.ipynb` files, so the server writes the open notebook
//! back as nbformat 4 JSON (put in `CheckRequest::sources` under the notebook's path) and maps
//! each diagnostic back to the cell it falls in.

use lsp_types::{
    NotebookCell, NotebookCellKind, NotebookDocumentChangeEvent, TextDocumentItem, Uri,
};
use obolint_diagnostics::SourceFile;
use ruff_text_size::{TextRange, TextSize};
use serde_json::{Value, json};

use crate::document::TextDocument;
use crate::encoding::PositionEncoding;

#[derive(Clone, Debug)]
pub struct Cell {
    pub uri: Uri,
    pub kind: NotebookCellKind,
    pub document: TextDocument,
}

#[derive(Clone, Debug)]
pub struct Notebook {
    pub version: i32,
    pub metadata: Value,
    pub cells: Vec<Cell>,
}

impl Notebook {
    pub fn open(
        version: i32,
        metadata: Option<serde_json::Map<String, Value>>,
        cells: Vec<NotebookCell>,
        documents: Vec<TextDocumentItem>,
    ) -> Self {
        let mut notebook = Notebook {
            version,
            metadata: metadata.map_or_else(|| json!({}), Value::Object),
            cells: Vec::new(),
        };
        notebook.cells = cells
            .into_iter()
            .map(|cell| new_cell(cell, &documents))
            .collect();
        notebook
    }

    pub fn cell(&self, uri: &Uri) -> Option<&Cell> {
        self.cells.iter().find(|c| &c.uri == uri)
    }

    /// Applies a `notebookDocument/didChange` event: cell array splices (with the text of new
    /// cells), cell kinds, and text edits inside cells.
    pub fn apply(
        &mut self,
        version: i32,
        change: NotebookDocumentChangeEvent,
        encoding: PositionEncoding,
    ) {
        self.version = version;
        if let Some(metadata) = change.metadata {
            self.metadata = Value::Object(metadata);
        }
        let Some(cells) = change.cells else { return };
        if let Some(structure) = cells.structure {
            let opened = structure.did_open.unwrap_or_default();
            let start = (structure.array.start as usize).min(self.cells.len());
            let end = (start + structure.array.delete_count as usize).min(self.cells.len());
            let inserted: Vec<Cell> = structure
                .array
                .cells
                .unwrap_or_default()
                .into_iter()
                .map(|cell| {
                    // A cell moved within the notebook keeps its document.
                    let existing = self.cells.iter().find(|c| c.uri == cell.document);
                    match existing {
                        Some(old) if !opened.iter().any(|d| d.uri == cell.document) => Cell {
                            kind: cell.kind,
                            ..old.clone()
                        },
                        _ => new_cell(cell, &opened),
                    }
                })
                .collect();
            self.cells.splice(start..end, inserted);
        }
        for cell in cells.data.unwrap_or_default() {
            if let Some(existing) = self.cells.iter_mut().find(|c| c.uri == cell.document) {
                existing.kind = cell.kind;
            }
        }
        for content in cells.text_content.unwrap_or_default() {
            if let Some(cell) = self
                .cells
                .iter_mut()
                .find(|c| c.uri == content.document.uri)
            {
                cell.document
                    .apply(content.changes, content.document.version, encoding);
            }
        }
    }

    /// The notebook as nbformat 4 JSON, cells in order, without outputs (the checker reads
    /// sources only).
    pub fn to_ipynb(&self) -> String {
        let cells: Vec<Value> = self
            .cells
            .iter()
            .map(|cell| match cell.kind {
                NotebookCellKind::Code => json!({
                    "cell_type": "code",
                    "source": cell.document.text,
                    "metadata": {},
                    "outputs": [],
                    "execution_count": null,
                }),
                NotebookCellKind::Markup => json!({
                    "cell_type": "markdown",
                    "source": cell.document.text,
                    "metadata": {},
                }),
            })
            .collect();
        json!({
            "cells": cells,
            "metadata": self.metadata,
            "nbformat": 4,
            "nbformat_minor": 5,
        })
        .to_string()
    }

    /// Where each code cell's text sits in the text the checker made of the notebook: the cell
    /// starts the checker recorded, or else the cells' sources found in that text.
    pub fn cell_map(&self, checked: &SourceFile) -> CellMap {
        if !checked.cells.is_empty() {
            return CellMap::from_starts(
                checked
                    .cells
                    .iter()
                    .map(|c| (c.number.saturating_sub(1), c.offset)),
                TextSize::of(checked.text.as_str()),
            );
        }
        CellMap::locate(
            &checked.text,
            self.cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.kind == NotebookCellKind::Code)
                .map(|(i, c)| (i, c.document.text.as_str())),
        )
    }
}

fn new_cell(cell: NotebookCell, documents: &[TextDocumentItem]) -> Cell {
    let document = documents
        .iter()
        .find(|d| d.uri == cell.document)
        .map_or_else(
            || TextDocument::new(String::new(), 0),
            |d| TextDocument::new(d.text.clone(), d.version),
        );
    Cell {
        uri: cell.document,
        kind: cell.kind,
        document,
    }
}

/// The start of each code cell in the checked text of a notebook, found by looking for the cells'
/// sources in order. This keeps the server independent of how the loader joins cells (a
/// separator line, a `%%writefile` prefix): a diagnostic's offset maps to the cell whose text
/// holds it, and offsets between cells map to nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellMap {
    /// (index of the cell among all cells, start of its text, its length), in text order.
    spans: Vec<(usize, TextSize, TextSize)>,
}

impl CellMap {
    pub fn locate<'a>(
        checked_text: &str,
        code_cells: impl IntoIterator<Item = (usize, &'a str)>,
    ) -> Self {
        let mut spans = Vec::new();
        let mut from = 0usize;
        for (index, text) in code_cells {
            if let Some(found) = checked_text.get(from..).and_then(|rest| rest.find(text)) {
                let start = from + found;
                spans.push((index, TextSize::new(start as u32), TextSize::of(text)));
                from = start + text.len();
            }
        }
        Self { spans }
    }

    /// From the start of each code cell (index among all cells, offset), in text order; the
    /// checker joins cells with one `\n`, which belongs to no cell.
    pub fn from_starts(
        starts: impl IntoIterator<Item = (usize, TextSize)>,
        text_len: TextSize,
    ) -> Self {
        let starts: Vec<(usize, TextSize)> = starts.into_iter().collect();
        let spans = starts
            .iter()
            .enumerate()
            .map(|(i, &(index, start))| {
                let end = starts
                    .get(i + 1)
                    .map_or(text_len, |&(_, next)| next - TextSize::new(1))
                    .max(start);
                (index, start, end - start)
            })
            .collect();
        Self { spans }
    }

    /// The cell (index among all cells) and the range within it of a range of the checked text;
    /// a range that runs past its cell's end is cut at the end.
    pub fn to_cell(&self, range: TextRange) -> Option<(usize, TextRange)> {
        let &(index, start, len) =
            self.spans.iter().rev().find(|(_, start, len)| {
                *start <= range.start() && range.start() <= *start + *len
            })?;
        let local_start = range.start() - start;
        let local_end = (range.end().min(start + len)) - start;
        Some((index, TextRange::new(local_start, local_end)))
    }

    /// The checked-text offset of `offset` in cell `index`.
    pub fn from_cell(&self, index: usize, offset: TextSize) -> Option<TextSize> {
        let &(_, start, len) = self.spans.iter().find(|(i, ..)| *i == index)?;
        Some(start + offset.min(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{
        NotebookCellArrayChange, NotebookDocumentCellChange, NotebookDocumentCellChangeStructure,
        NotebookDocumentChangeTextContent,
    };
    use lsp_types::{
        Position, Range, TextDocumentContentChangeEvent, VersionedTextDocumentIdentifier,
    };
    use std::str::FromStr;

    fn uri(cell: &str) -> Uri {
        Uri::from_str(&format!("vscode-notebook-cell:/nb.ipynb#{cell}")).unwrap()
    }

    fn cell(name: &str, kind: NotebookCellKind) -> NotebookCell {
        NotebookCell {
            kind,
            document: uri(name),
            metadata: None,
            execution_summary: None,
        }
    }

    fn item(name: &str, text: &str) -> TextDocumentItem {
        TextDocumentItem::new(uri(name), "python".to_string(), 1, text.to_string())
    }

    fn sample() -> Notebook {
        Notebook::open(
            1,
            None,
            vec![
                cell("a", NotebookCellKind::Markup),
                cell("b", NotebookCellKind::Code),
            ],
            vec![item("a", "# Title"), item("b", "import mlflow\n")],
        )
    }

    #[test]
    fn builds_nbformat_4_json() {
        let json: Value = serde_json::from_str(&sample().to_ipynb()).unwrap();
        assert_eq!(json["nbformat"], 4);
        assert_eq!(json["nbformat_minor"], 5);
        assert_eq!(json["cells"][0]["cell_type"], "markdown");
        assert_eq!(json["cells"][1]["cell_type"], "code");
        assert_eq!(json["cells"][1]["source"], "import mlflow\n");
        assert_eq!(json["cells"][1]["outputs"], json!([]));
        assert_eq!(json["cells"][1]["execution_count"], Value::Null);
    }

    #[test]
    fn cell_changes_and_text_edits_apply() {
        let mut notebook = sample();
        notebook.apply(
            2,
            NotebookDocumentChangeEvent {
                metadata: None,
                cells: Some(NotebookDocumentCellChange {
                    structure: Some(NotebookDocumentCellChangeStructure {
                        array: NotebookCellArrayChange {
                            start: 0,
                            delete_count: 1,
                            cells: Some(vec![cell("c", NotebookCellKind::Code)]),
                        },
                        did_open: Some(vec![item("c", "x = 1\n")]),
                        did_close: None,
                    }),
                    data: None,
                    text_content: Some(vec![NotebookDocumentChangeTextContent {
                        document: VersionedTextDocumentIdentifier::new(uri("b"), 2),
                        changes: vec![TextDocumentContentChangeEvent {
                            range: Some(Range::new(Position::new(0, 7), Position::new(0, 13))),
                            range_length: None,
                            text: "os".to_string(),
                        }],
                    }]),
                }),
            },
            PositionEncoding::Utf16,
        );
        let texts: Vec<&str> = notebook
            .cells
            .iter()
            .map(|c| c.document.text.as_str())
            .collect();
        assert_eq!(texts, ["x = 1\n", "import os\n"]);
    }

    #[test]
    fn cell_map_finds_cells_in_the_checked_text() {
        let checked = "x = 1\n\n# separator\nimport os\n";
        let map = CellMap::locate(checked, [(1, "x = 1\n"), (3, "import os\n")]);
        let os = TextSize::new(checked.find("os").unwrap() as u32);
        assert_eq!(
            map.to_cell(TextRange::new(os, os + TextSize::new(2))),
            Some((3, TextRange::new(TextSize::new(7), TextSize::new(9))))
        );
        assert_eq!(map.from_cell(3, TextSize::new(7)), Some(os));
        let separator = TextSize::new(checked.find("# sep").unwrap() as u32);
        assert_eq!(map.to_cell(TextRange::empty(separator)), None);
    }

    #[test]
    fn cell_map_from_the_checker_cell_starts() {
        // Cells 2 and 4 (1-based) of a notebook, joined by `\n`.
        let checked = "x = 1\nimport os\n";
        let map = CellMap::from_starts(
            [(1, TextSize::new(0)), (3, TextSize::new(6))],
            TextSize::of(checked),
        );
        let os = TextSize::new(checked.find("os").unwrap() as u32);
        assert_eq!(
            map.to_cell(TextRange::new(os, os + TextSize::new(2))),
            Some((3, TextRange::new(TextSize::new(7), TextSize::new(9))))
        );
        assert_eq!(
            map.to_cell(TextRange::empty(TextSize::new(2))),
            Some((1, TextRange::empty(TextSize::new(2))))
        );
        assert_eq!(map.from_cell(1, TextSize::new(99)), Some(TextSize::new(5)));
    }
}
