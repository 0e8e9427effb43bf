//! `workspace/diagnostic` (pull diagnostics): the findings of every document of every checked
//! root, once all of them are fresh. Documents whose findings match the client's previous result
//! ids are left out, and documents the client knew that have no findings now are cleared. When
//! nothing changed the request keeps waiting (a long poll), so the client does not ask again in a
//! busy loop.

use lsp_server::RequestId;
use lsp_types::{
    FullDocumentDiagnosticReport, PreviousResultId, WorkspaceDiagnosticReport,
    WorkspaceDiagnosticReportResult, WorkspaceDocumentDiagnosticReport,
    WorkspaceFullDocumentDiagnosticReport,
};
use rustc_hash::FxHashSet;

use super::diagnostic::result_id;
use crate::outbox::Outbox;
use crate::schedule::{Scheduler, WaitingRequest};
use crate::session::Session;

/// Answers the request, or gives it back when some root is not fresh or nothing is new.
pub(super) fn answer(
    session: &Session,
    scheduler: &Scheduler,
    outbox: &Outbox,
    id: RequestId,
    previous: Vec<PreviousResultId>,
) -> Option<WaitingRequest> {
    if !scheduler.all_fresh() {
        return Some(WaitingRequest::WorkspaceDiagnostic { id, previous });
    }
    let mut items = Vec::new();
    let mut seen = FxHashSet::default();
    for state in session.roots.values() {
        for (uri, diagnostics) in &state.by_uri {
            seen.insert(uri.clone());
            let result_id = result_id(diagnostics);
            if previous
                .iter()
                .any(|p| &p.uri == uri && p.value == result_id)
            {
                continue;
            }
            items.push((uri.clone(), result_id, diagnostics.clone()));
        }
    }
    // Files that had findings before and have none now are cleared.
    for gone in previous.iter().filter(|p| !seen.contains(&p.uri)) {
        items.push((gone.uri.clone(), result_id(&[]), Vec::new()));
    }
    if items.is_empty() {
        // Nothing new: hold the request until something changes.
        return Some(WaitingRequest::WorkspaceDiagnostic { id, previous });
    }
    let items = items
        .into_iter()
        .map(|(uri, result_id, diagnostics)| {
            let version = session
                .documents
                .text(&uri)
                .map(|t| i64::from(t.doc.version));
            WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                uri,
                version,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(result_id),
                    items: diagnostics,
                },
            })
        })
        .collect();
    outbox.respond(
        id,
        WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items }),
    );
    None
}
