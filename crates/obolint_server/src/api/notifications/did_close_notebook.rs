//! `notebookDocument/didClose`: the notebook and its cells close; as for a text document, the
//! file on disk takes their place.

use lsp_types::DidCloseNotebookDocumentParams;

use super::did_close::release;
use crate::api::publish::clear;
use crate::outbox::Outbox;
use crate::schedule::Scheduler;
use crate::session::Session;

pub(crate) fn did_close_notebook(
    session: &mut Session,
    scheduler: &mut Scheduler,
    outbox: &Outbox,
    params: DidCloseNotebookDocumentParams,
) {
    if let Some(open) = session
        .documents
        .close_notebook(&params.notebook_document.uri)
    {
        for cell in &open.notebook.cells {
            clear(session, outbox, &cell.uri);
        }
        release(session, scheduler, open.root);
    }
}
