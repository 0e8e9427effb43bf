//! Requests: the client asks, the server answers. Hover and shutdown are answered at once.
//! Pull diagnostics and code actions need the findings of the current text: they wait in the
//! [`Scheduler`] and [`answer_waiting`] answers each one whose roots are fresh, after every
//! accepted report and whenever a new one arrives.

mod code_action;
mod diagnostic;
mod hover;
mod shutdown;
mod workspace_diagnostic;

use crate::outbox::Outbox;
use crate::schedule::{Scheduler, WaitingRequest};
use crate::session::Session;

pub(super) use hover::hover;
pub(super) use shutdown::shutdown;

/// Holds `request` until its findings are fresh, answering it now if they already are.
pub(super) fn wait(
    session: &Session,
    scheduler: &mut Scheduler,
    outbox: &Outbox,
    request: WaitingRequest,
) {
    scheduler.wait(request);
    answer_waiting(session, scheduler, outbox);
}

/// Answers the waiting requests whose findings are fresh; the others keep waiting, in order.
pub(super) fn answer_waiting(session: &Session, scheduler: &mut Scheduler, outbox: &Outbox) {
    for request in scheduler.take_waiting() {
        let unanswered = match request {
            WaitingRequest::DocumentDiagnostic { id, uri, previous } => {
                diagnostic::answer(session, scheduler, outbox, id, uri, previous)
            }
            WaitingRequest::WorkspaceDiagnostic { id, previous } => {
                workspace_diagnostic::answer(session, scheduler, outbox, id, previous)
            }
            WaitingRequest::CodeAction { id, params } => {
                code_action::answer(session, scheduler, outbox, id, params)
            }
        };
        if let Some(request) = unanswered {
            scheduler.wait(request);
        }
    }
}
