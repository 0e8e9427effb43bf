//! `textDocument/didClose`: the file on disk replaces the buffer. The document's pushed findings
//! are cleared, and its root is checked again, or forgotten when nothing of it is open any more
//! ([`release`], shared with `notebookDocument/didClose`).

use std::path::PathBuf;

use lsp_types::DidCloseTextDocumentParams;

use crate::api::publish::clear;
use crate::outbox::Outbox;
use crate::schedule::Scheduler;
use crate::session::Session;

pub(crate) fn did_close(
    session: &mut Session,
    scheduler: &mut Scheduler,
    outbox: &Outbox,
    params: DidCloseTextDocumentParams,
) {
    let uri = params.text_document.uri;
    if let Some(open) = session.documents.close_text(&uri) {
        // The file on disk replaces the buffer: other files' findings may change.
        release(session, scheduler, open.root);
    }
    clear(session, outbox, &uri);
}

/// A document of `root` was closed: check the root again if other documents of it are still
/// open, else forget it (a report still on its way is dropped).
pub(super) fn release(session: &mut Session, scheduler: &mut Scheduler, root: Option<PathBuf>) {
    let Some(root) = root else { return };
    if session.documents.in_use(&root) {
        scheduler.mark_dirty(Some(&root));
    } else {
        scheduler.forget(&root);
        session.roots.remove(&root);
    }
}
