//! The run's source database and how its positions are shown: display paths relative to the
//! working directory, and offsets in files that notebook cells write mapped back into those
//! cells.

use std::path::{Path, PathBuf};

use obolint_diagnostics::{FileId, SourceDb, SourceFile, SourceText};
use obolint_python::notebook::WrittenFile;
use ruff_text_size::TextSize;
use rustc_hash::FxHashMap;

use crate::scopes_report::Location;

pub(crate) struct Sources {
    pub cwd: PathBuf,
    pub db: SourceDb,
    /// Files written by notebook cells: the notebook, and how offsets map into it.
    pub written: FxHashMap<FileId, (FileId, WrittenFile)>,
}

impl Sources {
    pub fn new(cwd: PathBuf) -> Self {
        Self {
            cwd,
            db: SourceDb::new(),
            written: FxHashMap::default(),
        }
    }

    pub fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
    }

    pub fn add_file(&mut self, path: &Path, text: impl Into<SourceText>) -> FileId {
        let display = self.display_path(path);
        self.db
            .add(SourceFile::new(path.to_path_buf(), display, text))
    }

    /// Where `offset` of `file` is shown: in the notebook cell that writes the file, if one does.
    pub fn location(&self, file: FileId, offset: TextSize) -> Location {
        let (file, offset) = match self.written.get(&file) {
            Some((notebook, written)) => (*notebook, written.to_notebook(offset)),
            None => (file, offset),
        };
        let source = self.db.get(file);
        let position = source.position(offset);
        Location {
            filename: source.display_path.clone(),
            cell: source.cell(offset),
            row: position.row,
            column: position.column,
        }
    }

    /// The name a file is shown by, with the notebook that writes it.
    pub fn described(&self, file: FileId) -> String {
        match self.written.get(&file) {
            Some((notebook, _)) => format!(
                "{} (written by {})",
                self.db.get(file).display_path,
                self.db.get(*notebook).display_path
            ),
            None => self.db.get(file).display_path.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_relative_to_the_working_directory() {
        let mut sources = Sources::new(PathBuf::from("/work/project"));
        let id = sources.add_file(Path::new("/work/project/pkg/agent.py"), "x = 1\n");
        assert_eq!(sources.db.get(id).display_path, "pkg/agent.py");
        assert_eq!(
            sources.display_path(Path::new("/elsewhere/a.py")),
            "/elsewhere/a.py"
        );
        let location = sources.location(id, TextSize::new(4));
        assert_eq!((location.row, location.column, location.cell), (1, 5, None));
        assert_eq!(sources.described(id), "pkg/agent.py");
    }
}
