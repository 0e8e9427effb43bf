//! `textDocument/didOpen`: the buffer stands in for its file from now on, and its root is
//! checked with it.

use lsp_types::DidOpenTextDocumentParams;

use crate::document::TextDocument;
use crate::schedule::Scheduler;
use crate::session::{OpenText, Session, locate};

pub(crate) fn did_open(
    session: &mut Session,
    scheduler: &mut Scheduler,
    params: DidOpenTextDocumentParams,
) {
    let item = params.text_document;
    let (path, root) = locate(&item.uri);
    scheduler.mark_dirty(root.as_ref());
    session.documents.open_text(
        item.uri,
        OpenText {
            doc: TextDocument::new(item.text, item.version),
            path,
            root,
        },
    );
}
