//! `textDocument/didChange`: edits (whole or incremental) to an open buffer; its root is checked
//! again.

use lsp_types::DidChangeTextDocumentParams;

use crate::schedule::Scheduler;
use crate::session::Session;

pub(crate) fn did_change(
    session: &mut Session,
    scheduler: &mut Scheduler,
    params: DidChangeTextDocumentParams,
) {
    let encoding = session.client.encoding;
    let uri = &params.text_document.uri;
    let Some(open) = session.documents.text_mut(uri) else {
        eprintln!(
            "obolint server: change to a document that is not open: {}",
            uri.as_str()
        );
        return;
    };
    open.doc.apply(
        params.content_changes,
        params.text_document.version,
        encoding,
    );
    scheduler.mark_dirty(open.root.as_ref());
}
