//! `notebookDocument/didOpen`: the notebook and its cells are open documents from now on; the
//! checker reads the notebook as `.ipynb` JSON in place of its file.

use lsp_types::DidOpenNotebookDocumentParams;

use crate::notebook::Notebook;
use crate::schedule::Scheduler;
use crate::session::{OpenNotebook, Session, locate};

pub(crate) fn did_open_notebook(
    session: &mut Session,
    scheduler: &mut Scheduler,
    params: DidOpenNotebookDocumentParams,
) {
    let document = params.notebook_document;
    let (path, root) = locate(&document.uri);
    let notebook = Notebook::open(
        document.version,
        document.metadata,
        document.cells,
        params.cell_text_documents,
    );
    scheduler.mark_dirty(root.as_ref());
    session.documents.open_notebook(
        document.uri,
        OpenNotebook {
            notebook,
            path,
            root,
        },
    );
}
