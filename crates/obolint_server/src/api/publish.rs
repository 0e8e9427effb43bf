//! Pushing diagnostics (`textDocument/publishDiagnostics`) to clients that do not pull: new
//! findings of open documents after a check, and an empty list for a document that closes while
//! it shows findings.

use lsp_types::{PublishDiagnosticsParams, Uri};

use crate::outbox::Outbox;
use crate::session::{DiagnosticsByUri, Session};

/// Pushes the diagnostics of every open document whose findings changed.
pub(super) fn publish(session: &mut Session, outbox: &Outbox, by_uri: &DiagnosticsByUri) {
    for (uri, items) in by_uri {
        if !session.documents.is_open(uri) || !session.published.record(uri, items) {
            continue;
        }
        let version = session.documents.text(uri).map(|t| t.doc.version);
        outbox.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams::new(uri.clone(), items.clone(), version),
        );
    }
}

/// Forgets what was pushed to `uri`, telling the client when there was something.
pub(super) fn clear(session: &mut Session, outbox: &Outbox, uri: &Uri) {
    if session.published.forget(uri) {
        outbox.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams::new(uri.clone(), Vec::new(), None),
        );
    }
}
