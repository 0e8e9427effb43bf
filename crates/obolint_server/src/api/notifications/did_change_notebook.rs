//! `notebookDocument/didChange`: cells added, removed, moved or edited. Removed cells are no
//! longer documents (their pushed findings are cleared); the notebook's root is checked again.

use lsp_types::DidChangeNotebookDocumentParams;

use crate::api::publish::clear;
use crate::outbox::Outbox;
use crate::schedule::Scheduler;
use crate::session::Session;

pub(crate) fn did_change_notebook(
    session: &mut Session,
    scheduler: &mut Scheduler,
    outbox: &Outbox,
    params: DidChangeNotebookDocumentParams,
) {
    let encoding = session.client.encoding;
    let Some(change) = session.documents.change_notebook(
        &params.notebook_document.uri,
        params.notebook_document.version,
        params.change,
        encoding,
    ) else {
        return;
    };
    for gone in &change.removed_cells {
        clear(session, outbox, gone);
    }
    scheduler.mark_dirty(change.root.as_ref());
}
