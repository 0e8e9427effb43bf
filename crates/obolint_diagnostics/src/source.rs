use std::path::{Path, PathBuf};

use ruff_text_size::{TextRange, TextSize};

use crate::{LineIndex, SourcePosition, SourceText};

/// Index of a file in a [`SourceDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A file as the renderers see it: its path for display, its text and its lines.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory where possible).
    pub display_path: String,
    pub path: PathBuf,
    /// Kept, or read again when first asked for ([`SourceText`]).
    pub text: SourceText,
    /// Built on first use: most files read have no finding to place.
    line_index: std::sync::OnceLock<LineIndex>,
    /// The cells of an `.ipynb` notebook, in text order (empty for every other file): rows are
    /// counted from the start of each cell, as the CLI contract wants.
    pub cells: Vec<CellStart>,
    /// For an `.ipynb` notebook, its own bytes and where each character of `text` sits in them.
    pub notebook_json: Option<NotebookJson>,
}

/// An `.ipynb` file as it is on disk: the formats that annotate the raw file (GitHub, SARIF,
/// JUnit) point at the line of the JSON string that holds a source line, and SARIF's fixes edit
/// these bytes.
#[derive(Debug)]
pub struct NotebookJson {
    pub json: String,
    line_index: LineIndex,
    /// (offset in the file's `text`, byte offset in `json`), sorted, one per character of the
    /// code cells and one at each cell's end.
    offsets: Vec<(TextSize, TextSize)>,
}

impl NotebookJson {
    pub fn new(json: String, offsets: Vec<(TextSize, TextSize)>) -> Self {
        let line_index = LineIndex::new(&json);
        Self {
            json,
            line_index,
            offsets,
        }
    }

    /// Each (offset in the text, byte offset in the file) pair, sorted.
    pub fn offsets(&self) -> &[(TextSize, TextSize)] {
        &self.offsets
    }

    /// The byte of the file that holds `offset` of the text.
    pub fn file_offset(&self, offset: TextSize) -> Option<TextSize> {
        let at = self
            .offsets
            .binary_search_by_key(&offset, |&(text, _)| text)
            .ok()?;
        Some(self.offsets[at].1)
    }

    pub fn position(&self, file_offset: TextSize) -> SourcePosition {
        self.line_index.position(file_offset, &self.json)
    }
}

/// Where one notebook cell starts in the text obolint reads the notebook as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellStart {
    pub offset: ruff_text_size::TextSize,
    /// 1-based index of the cell among all cells of the notebook.
    pub number: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, display_path: String, text: impl Into<SourceText>) -> Self {
        Self {
            display_path,
            path,
            text: text.into(),
            line_index: std::sync::OnceLock::new(),
            cells: Vec::new(),
            notebook_json: None,
        }
    }

    #[must_use]
    pub fn with_notebook_json(mut self, json: NotebookJson) -> Self {
        self.notebook_json = Some(json);
        self
    }

    /// Start and end of `range` on the lines of the file as it is on disk: for an `.ipynb`
    /// notebook, the lines of its JSON (where a cell's row is not a line of the file); for every
    /// other file, [`SourceFile::start_end`].
    pub fn file_start_end(&self, range: TextRange) -> (SourcePosition, SourcePosition) {
        if let Some(json) = &self.notebook_json
            && let (Some(start), Some(end)) = (
                json.file_offset(range.start()),
                json.file_offset(range.end()),
            )
        {
            return (json.position(start), json.position(end));
        }
        self.start_end(range)
    }

    /// An edit of the text as an edit of the file's bytes: in a notebook, the range in the JSON
    /// and the content as JSON string text (escaped); elsewhere unchanged. `None` when a notebook
    /// position cannot be mapped (a cell without source).
    pub fn file_edit(&self, range: TextRange, content: &str) -> Option<(TextRange, String)> {
        let Some(json) = &self.notebook_json else {
            return Some((range, content.to_string()));
        };
        let start = json.file_offset(range.start())?;
        let end = json.file_offset(range.end())?;
        let quoted = serde_json::to_string(content).ok()?;
        Some((
            TextRange::new(start, end.max(start)),
            quoted[1..quoted.len() - 1].to_string(),
        ))
    }

    /// The row and column of a byte of the file on disk (see [`SourceFile::file_edit`]).
    pub fn file_position(&self, file_offset: TextSize) -> SourcePosition {
        match &self.notebook_json {
            Some(json) => json.position(file_offset),
            None => self.line_index().position(file_offset, &self.text),
        }
    }

    #[must_use]
    pub fn with_cells(mut self, cells: Vec<CellStart>) -> Self {
        self.cells = cells;
        self
    }

    /// Where each line starts.
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }

    fn cell_start(&self, offset: ruff_text_size::TextSize) -> Option<&CellStart> {
        let index = self.cells.partition_point(|c| c.offset <= offset);
        self.cells.get(index.checked_sub(1)?)
    }

    /// The 1-based notebook cell `offset` is in, for `.ipynb` notebooks.
    pub fn cell(&self, offset: ruff_text_size::TextSize) -> Option<usize> {
        self.cell_start(offset).map(|c| c.number)
    }

    /// Row and column of `offset`; in a notebook, the row counts from the start of its cell.
    pub fn position(&self, offset: ruff_text_size::TextSize) -> SourcePosition {
        let mut position = self.line_index().position(offset, &self.text);
        if let Some(cell) = self.cell_start(offset) {
            position.row -= self.line_index().line_of(cell.offset);
        }
        position
    }

    /// The 1-based row shown for 0-based `line` (rows restart in each notebook cell).
    pub fn display_row(&self, line: usize) -> usize {
        let start = self.line_index().line_start(line);
        match self.cell_start(start) {
            Some(cell) => line + 1 - self.line_index().line_of(cell.offset),
            None => line + 1,
        }
    }

    /// `path`, or `path:cell N` for a position in a notebook cell.
    pub fn display_name(&self, offset: ruff_text_size::TextSize) -> String {
        match self.cell(offset) {
            Some(cell) => format!("{}:cell {cell}", self.display_path),
            None => self.display_path.clone(),
        }
    }

    pub fn start_end(&self, range: TextRange) -> (SourcePosition, SourcePosition) {
        (self.position(range.start()), self.position(range.end()))
    }
}

/// Every file a diagnostic may point into, by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Frees the text (and notebook bytes, and line index) of every file `keep` says no to: the
    /// file stays, with its path, for the ids that point to it, but nothing can be shown from it.
    /// For the files no finding points into, once a root's findings are final.
    pub fn release_texts(&mut self, keep: impl Fn(FileId) -> bool) {
        for (i, file) in self.files.iter_mut().enumerate() {
            if !keep(FileId(i as u32)) {
                file.text = SourceText::default();
                file.notebook_json = None;
                file.line_index = std::sync::OnceLock::new();
            }
        }
    }

    /// Adds every file of `other` after this database's, in order: a file of `other` whose id
    /// was `FileId(n)` is `FileId(n + offset)` here, where `offset` is the returned value.
    pub fn append(&mut self, other: SourceDb) -> u32 {
        let offset = self.files.len() as u32;
        self.files.extend(other.files);
        offset
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_files_keep_their_order_and_released_texts_keep_their_paths() {
        let file = |name: &str| SourceFile::new(name.into(), name.into(), format!("{name}\n"));
        let mut db = SourceDb::new();
        db.add(file("a.py"));
        let mut other = SourceDb::new();
        other.add(file("b.py"));
        let c = other.add(file("c.py"));
        other.release_texts(|id| id == c);
        assert_eq!(db.append(other), 1);
        let shown: Vec<(&str, &str)> = db
            .files()
            .map(|(_, f)| (f.display_path.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(
            shown,
            [("a.py", "a.py\n"), ("b.py", ""), ("c.py", "c.py\n")]
        );
        assert_eq!(db.len(), 3);
    }
}
