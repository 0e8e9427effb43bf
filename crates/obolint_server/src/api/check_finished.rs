//! A check finished on the checking thread. Its report is taken only if it is still the newest
//! for its root; it becomes the root's diagnostics by document, which are then pushed (push
//! clients) or handed to the requests waiting for them (pull clients, who are asked to pull again
//! when the change did not come from their own edits). A configuration that stops or starts
//! loading is shown as a message.

use std::sync::Arc;

use lsp_types::MessageType;

use super::publish::publish;
use super::requests::answer_waiting;
use crate::outbox::Outbox;
use crate::schedule::Scheduler;
use crate::session::Session;
use crate::worker::Outcome;

pub(crate) fn check_finished(
    session: &mut Session,
    scheduler: &mut Scheduler,
    outbox: &mut Outbox,
    outcome: Outcome,
) {
    if !scheduler.accept(&outcome.root, outcome.revision) {
        // Overtaken by a newer edit: its findings describe text that no longer exists.
        return;
    }
    eprintln!(
        "obolint server: checked {} in {:.1} ms",
        outcome.root.display(),
        outcome.elapsed.as_secs_f64() * 1000.0
    );
    let previous_error = session
        .roots
        .get(&outcome.root)
        .and_then(|r| r.config_error.as_ref());
    if outcome.config_error.as_ref() != previous_error {
        match &outcome.config_error {
            Some(message) => outbox.show_message(MessageType::ERROR, message.clone()),
            None => outbox.show_message(
                MessageType::INFO,
                "obolint: the configuration loads again".to_string(),
            ),
        }
    }
    let report = outcome.report.map(Arc::new);
    let by_uri = session.diagnostics_by_uri(&outcome.root, report.as_deref());
    let state = session.roots.entry(outcome.root).or_default();
    state.config_error = outcome.config_error;
    state.report = report;
    let previous = std::mem::replace(&mut state.by_uri, by_uri);
    let current = state.by_uri.clone();
    if session.client.pull_diagnostics {
        let changed = current
            .iter()
            .any(|(uri, items)| previous.get(uri) != Some(items));
        answer_waiting(session, scheduler, outbox);
        // After the client's own edits it re-pulls by itself (`interFileDependencies`).
        if changed && scheduler.refresh_wanted() && session.client.diagnostic_refresh {
            outbox.request("workspace/diagnostic/refresh", ());
        }
        scheduler.settle_refresh();
    } else {
        publish(session, outbox, &current);
        answer_waiting(session, scheduler, outbox);
    }
}
