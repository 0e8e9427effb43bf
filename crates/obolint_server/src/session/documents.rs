//! The open documents: text buffers, notebooks, and which notebook each cell belongs to. Each
//! open document remembers the file it stands for and the root it is checked under, so that
//! a change knows which root to re-check and a report knows which documents it speaks for.
//!
//! Only bookkeeping lives here: handlers decide what a change means for checking
//! ([`crate::schedule`]) and for the client.

use std::path::{Path, PathBuf};

use lsp_types::{NotebookDocumentChangeEvent, Uri};
use obolint_linter::discover::project_root;
use rustc_hash::FxHashMap;

use crate::document::TextDocument;
use crate::encoding::PositionEncoding;
use crate::notebook::Notebook;
use crate::uri::uri_path;

pub(crate) struct OpenText {
    pub doc: TextDocument,
    /// Canonical path, for `file:` documents that exist on disk.
    pub path: Option<PathBuf>,
    pub root: Option<PathBuf>,
}

pub(crate) struct OpenNotebook {
    pub notebook: Notebook,
    pub path: Option<PathBuf>,
    pub root: Option<PathBuf>,
}

/// The canonical path of a document and the root it is checked under: both `None` for documents
/// that are not files on disk (untitled buffers, other schemes, deleted files).
pub(crate) fn locate(uri: &Uri) -> (Option<PathBuf>, Option<PathBuf>) {
    let path = uri_path(uri).and_then(|p| p.canonicalize().ok());
    let root = path.as_deref().map(project_root);
    (path, root)
}

/// What a `notebookDocument/didChange` did to the open documents.
pub(crate) struct NotebookChange {
    /// The root of the notebook, to check again.
    pub root: Option<PathBuf>,
    /// Cells the change removed: they are no longer open documents.
    pub removed_cells: Vec<Uri>,
}

#[derive(Default)]
pub(crate) struct Documents {
    texts: FxHashMap<Uri, OpenText>,
    notebooks: FxHashMap<Uri, OpenNotebook>,
    /// Cell document to the notebook that holds it.
    cell_owner: FxHashMap<Uri, Uri>,
}

impl Documents {
    pub(crate) fn open_text(&mut self, uri: Uri, open: OpenText) {
        self.texts.insert(uri, open);
    }

    pub(crate) fn text(&self, uri: &Uri) -> Option<&OpenText> {
        self.texts.get(uri)
    }

    pub(crate) fn text_mut(&mut self, uri: &Uri) -> Option<&mut OpenText> {
        self.texts.get_mut(uri)
    }

    pub(crate) fn close_text(&mut self, uri: &Uri) -> Option<OpenText> {
        self.texts.remove(uri)
    }

    /// The open text document of the file at `path`, with its URI.
    pub(crate) fn text_at(&self, path: &Path) -> Option<(&Uri, &OpenText)> {
        self.texts
            .iter()
            .find(|(_, t)| t.path.as_deref() == Some(path))
    }

    pub(crate) fn open_notebook(&mut self, uri: Uri, open: OpenNotebook) {
        for cell in &open.notebook.cells {
            self.cell_owner.insert(cell.uri.clone(), uri.clone());
        }
        self.notebooks.insert(uri, open);
    }

    /// Applies a change to the open notebook `uri` (`None` when it is not open), keeping track of
    /// the cells it adds and removes.
    pub(crate) fn change_notebook(
        &mut self,
        uri: &Uri,
        version: i32,
        change: NotebookDocumentChangeEvent,
        encoding: PositionEncoding,
    ) -> Option<NotebookChange> {
        let open = self.notebooks.get_mut(uri)?;
        let before: Vec<Uri> = open.notebook.cells.iter().map(|c| c.uri.clone()).collect();
        open.notebook.apply(version, change, encoding);
        let after: Vec<Uri> = open.notebook.cells.iter().map(|c| c.uri.clone()).collect();
        let root = open.root.clone();
        let removed_cells: Vec<Uri> = before.into_iter().filter(|u| !after.contains(u)).collect();
        for gone in &removed_cells {
            self.cell_owner.remove(gone);
        }
        for cell in after {
            self.cell_owner.insert(cell, uri.clone());
        }
        Some(NotebookChange {
            root,
            removed_cells,
        })
    }

    /// Closes the notebook `uri` and its cells.
    pub(crate) fn close_notebook(&mut self, uri: &Uri) -> Option<OpenNotebook> {
        let open = self.notebooks.remove(uri)?;
        for cell in &open.notebook.cells {
            self.cell_owner.remove(&cell.uri);
        }
        Some(open)
    }

    pub(crate) fn notebook_of_cell(&self, uri: &Uri) -> Option<&OpenNotebook> {
        self.notebooks.get(self.cell_owner.get(uri)?)
    }

    /// The open notebook of the file at `path`.
    pub(crate) fn notebook_at(&self, path: &Path) -> Option<&OpenNotebook> {
        self.notebooks
            .values()
            .find(|n| n.path.as_deref() == Some(path))
    }

    /// Whether `uri` is an open text document or a cell of an open notebook (notebooks
    /// themselves get no diagnostics: their cells do).
    pub(crate) fn is_open(&self, uri: &Uri) -> bool {
        self.texts.contains_key(uri) || self.cell_owner.contains_key(uri)
    }

    /// The root an open document (or notebook cell) is checked under.
    pub(crate) fn root_of(&self, uri: &Uri) -> Option<&PathBuf> {
        if let Some(open) = self.texts.get(uri) {
            return open.root.as_ref();
        }
        let notebook = self.cell_owner.get(uri)?;
        self.notebooks.get(notebook)?.root.as_ref()
    }

    /// Whether any open document is checked under `root`.
    pub(crate) fn in_use(&self, root: &Path) -> bool {
        self.texts.values().any(|t| t.root.as_deref() == Some(root))
            || self
                .notebooks
                .values()
                .any(|n| n.root.as_deref() == Some(root))
    }

    /// The documents of `root` that show diagnostics: its text documents, then its notebooks'
    /// cells.
    pub(crate) fn showing(&self, root: &Path) -> impl Iterator<Item = &Uri> {
        let texts = self
            .texts
            .iter()
            .filter(move |(_, t)| t.root.as_deref() == Some(root))
            .map(|(uri, _)| uri);
        let cells = self
            .notebooks
            .values()
            .filter(move |n| n.root.as_deref() == Some(root))
            .flat_map(|n| n.notebook.cells.iter().map(|c| &c.uri));
        texts.chain(cells)
    }

    /// The text the checker should read instead of the disk: every open buffer and notebook.
    pub(crate) fn sources(&self) -> FxHashMap<PathBuf, String> {
        let mut sources = FxHashMap::default();
        for open in self.texts.values() {
            if let Some(path) = &open.path {
                sources.insert(path.clone(), open.doc.text.clone());
            }
        }
        for open in self.notebooks.values() {
            if let Some(path) = &open.path {
                sources.insert(path.clone(), open.notebook.to_ipynb());
            }
        }
        sources
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use lsp_types::{
        NotebookCell, NotebookCellArrayChange, NotebookCellKind, NotebookDocumentCellChange,
        NotebookDocumentCellChangeStructure, TextDocumentItem,
    };

    use super::*;

    fn uri(text: &str) -> Uri {
        Uri::from_str(text).unwrap()
    }

    fn text(path: &str, root: &str, content: &str) -> OpenText {
        OpenText {
            doc: TextDocument::new(content.to_string(), 1),
            path: Some(PathBuf::from(path)),
            root: Some(PathBuf::from(root)),
        }
    }

    fn cell_uri(name: &str) -> Uri {
        uri(&format!("vscode-notebook-cell:/p/nb.ipynb#{name}"))
    }

    fn notebook(cells: &[&str]) -> OpenNotebook {
        let notebook = Notebook::open(
            1,
            None,
            cells
                .iter()
                .map(|name| NotebookCell {
                    kind: NotebookCellKind::Code,
                    document: cell_uri(name),
                    metadata: None,
                    execution_summary: None,
                })
                .collect(),
            cells
                .iter()
                .map(|name| {
                    TextDocumentItem::new(cell_uri(name), "python".into(), 1, format!("{name}\n"))
                })
                .collect(),
        );
        OpenNotebook {
            notebook,
            path: Some(PathBuf::from("/p/nb.ipynb")),
            root: Some(PathBuf::from("/p")),
        }
    }

    /// A change that deletes `delete` cells at `start`.
    fn delete_cells(start: u32, delete: u32) -> NotebookDocumentChangeEvent {
        NotebookDocumentChangeEvent {
            metadata: None,
            cells: Some(NotebookDocumentCellChange {
                structure: Some(NotebookDocumentCellChangeStructure {
                    array: NotebookCellArrayChange {
                        start,
                        delete_count: delete,
                        cells: None,
                    },
                    did_open: None,
                    did_close: None,
                }),
                data: None,
                text_content: None,
            }),
        }
    }

    #[test]
    fn text_documents_open_and_close() {
        let mut documents = Documents::default();
        let a = uri("file:///p/a.py");
        documents.open_text(a.clone(), text("/p/a.py", "/p", "x = 1\n"));
        assert!(documents.is_open(&a));
        assert_eq!(documents.root_of(&a), Some(&PathBuf::from("/p")));
        assert!(documents.in_use(Path::new("/p")));
        assert!(!documents.in_use(Path::new("/q")));
        assert_eq!(
            documents.text_at(Path::new("/p/a.py")).map(|(u, _)| u),
            Some(&a)
        );
        assert!(documents.close_text(&a).is_some());
        assert!(!documents.is_open(&a));
        assert!(!documents.in_use(Path::new("/p")));
        assert!(documents.close_text(&a).is_none());
    }

    #[test]
    fn cells_belong_to_their_notebook_until_removed_or_closed() {
        let mut documents = Documents::default();
        let nb = uri("file:///p/nb.ipynb");
        documents.open_notebook(nb.clone(), notebook(&["a", "b", "c"]));
        assert!(!documents.is_open(&nb), "the notebook shows nothing itself");
        assert!(documents.is_open(&cell_uri("b")));
        assert_eq!(
            documents.root_of(&cell_uri("b")),
            Some(&PathBuf::from("/p"))
        );
        assert!(documents.notebook_of_cell(&cell_uri("c")).is_some());
        assert!(documents.notebook_at(Path::new("/p/nb.ipynb")).is_some());

        let change = documents
            .change_notebook(&nb, 2, delete_cells(1, 1), PositionEncoding::Utf16)
            .expect("the notebook is open");
        assert_eq!(change.removed_cells, vec![cell_uri("b")]);
        assert_eq!(change.root, Some(PathBuf::from("/p")));
        assert!(!documents.is_open(&cell_uri("b")));
        assert!(documents.is_open(&cell_uri("c")));

        let closed = documents.close_notebook(&nb).expect("open");
        assert_eq!(closed.notebook.cells.len(), 2);
        assert!(!documents.is_open(&cell_uri("a")));
        assert!(documents.notebook_of_cell(&cell_uri("c")).is_none());
        assert!(!documents.in_use(Path::new("/p")));
    }

    #[test]
    fn a_change_to_a_notebook_that_is_not_open_does_nothing() {
        let mut documents = Documents::default();
        let change = documents.change_notebook(
            &uri("file:///p/nb.ipynb"),
            2,
            delete_cells(0, 1),
            PositionEncoding::Utf16,
        );
        assert!(change.is_none());
    }

    #[test]
    fn a_root_shows_its_texts_and_cells_and_lends_their_text_to_the_checker() {
        let mut documents = Documents::default();
        documents.open_text(uri("file:///p/a.py"), text("/p/a.py", "/p", "a = 1\n"));
        documents.open_text(uri("file:///q/b.py"), text("/q/b.py", "/q", "b = 2\n"));
        documents.open_text(
            uri("untitled:Untitled-1"),
            OpenText {
                doc: TextDocument::new("u = 3\n".to_string(), 1),
                path: None,
                root: None,
            },
        );
        documents.open_notebook(uri("file:///p/nb.ipynb"), notebook(&["a"]));

        let showing: Vec<&Uri> = documents.showing(Path::new("/p")).collect();
        assert_eq!(showing, vec![&uri("file:///p/a.py"), &cell_uri("a")]);

        let sources = documents.sources();
        assert_eq!(sources.len(), 3, "documents without a path are not files");
        assert_eq!(sources[Path::new("/q/b.py")], "b = 2\n");
        assert!(sources[Path::new("/p/nb.ipynb")].contains("\"nbformat\":4"));
    }

    #[test]
    fn documents_that_are_not_files_have_no_root() {
        assert_eq!(locate(&uri("untitled:Untitled-1")), (None, None));
        assert_eq!(locate(&uri("file:///no/such/file.py")), (None, None));
    }
}
