use std::path::{Path, PathBuf};

use ruff_text_size::TextRange;

use crate::{LineIndex, SourcePosition};

/// Index of a file in a [`SourceDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A file as the renderers see it: its path for display, its text and its lines.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory where possible).
    pub display_path: String,
    pub path: PathBuf,
    pub text: String,
    pub line_index: LineIndex,
}

impl SourceFile {
    pub fn new(path: PathBuf, display_path: String, text: String) -> Self {
        let line_index = LineIndex::new(&text);
        Self {
            display_path,
            path,
            text,
            line_index,
        }
    }

    pub fn position(&self, offset: ruff_text_size::TextSize) -> SourcePosition {
        self.line_index.position(offset, &self.text)
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
