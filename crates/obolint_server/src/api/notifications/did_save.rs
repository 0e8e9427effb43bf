//! `textDocument/didSave`: saving a configuration file re-checks every root; a save that carries
//! the text replaces the buffer with it.

use lsp_types::DidSaveTextDocumentParams;

use crate::document::TextDocument;
use crate::schedule::Scheduler;
use crate::session::{Session, is_config_file};
use crate::uri::uri_path;

pub(crate) fn did_save(
    session: &mut Session,
    scheduler: &mut Scheduler,
    params: DidSaveTextDocumentParams,
) {
    let uri = params.text_document.uri;
    if uri_path(&uri).is_some_and(|p| is_config_file(&p)) {
        scheduler.mark_all_dirty();
    }
    if let (Some(text), Some(open)) = (params.text, session.documents.text_mut(&uri)) {
        let version = open.doc.version;
        open.doc = TextDocument::new(text, version);
        scheduler.mark_dirty(open.root.as_ref());
    }
}
