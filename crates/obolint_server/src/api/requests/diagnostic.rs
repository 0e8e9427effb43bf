//! `textDocument/diagnostic` (pull diagnostics): the findings of one open document, once its
//! root is fresh. A document whose findings did not change since the client's `previousResultId`
//! gets an "unchanged" report.

use lsp_server::RequestId;
use lsp_types::{
    DocumentDiagnosticReport, DocumentDiagnosticReportResult, FullDocumentDiagnosticReport,
    RelatedFullDocumentDiagnosticReport, RelatedUnchangedDocumentDiagnosticReport,
    UnchangedDocumentDiagnosticReport, Uri,
};

use crate::outbox::Outbox;
use crate::schedule::{Scheduler, WaitingRequest};
use crate::session::Session;

/// Answers the request, or gives it back when the document's findings are not fresh.
pub(super) fn answer(
    session: &Session,
    scheduler: &Scheduler,
    outbox: &Outbox,
    id: RequestId,
    uri: Uri,
    previous: Option<String>,
) -> Option<WaitingRequest> {
    let root = session.root_of(&uri);
    if !scheduler.is_fresh(root) {
        return Some(WaitingRequest::DocumentDiagnostic { id, uri, previous });
    }
    let items = root
        .and_then(|r| session.roots.get(r))
        .and_then(|r| r.by_uri.get(&uri).cloned())
        .unwrap_or_default();
    let result_id = result_id(&items);
    let report = if previous.as_deref() == Some(result_id.as_str()) {
        DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
            related_documents: None,
            unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport { result_id },
        })
    } else {
        DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: Some(result_id),
                items,
            },
        })
    };
    outbox.respond(id, DocumentDiagnosticReportResult::Report(report));
    None
}

/// A stable id of a list of diagnostics, for `resultId`.
pub(super) fn result_id(items: &[lsp_types::Diagnostic]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    serde_json::to_string(items)
        .unwrap_or_default()
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use lsp_types::{Diagnostic, Range};

    use super::*;

    #[test]
    fn result_ids_follow_the_findings() {
        let finding = |message: &str| Diagnostic::new_simple(Range::default(), message.into());
        assert_eq!(result_id(&[finding("a")]), result_id(&[finding("a")]));
        assert_ne!(result_id(&[finding("a")]), result_id(&[finding("b")]));
        assert_ne!(result_id(&[finding("a")]), result_id(&[]));
        assert_eq!(result_id(&[]).len(), 16);
    }
}
