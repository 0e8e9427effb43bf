//! From LSP messages to their handlers: one function per method, in [`notifications`] and
//! [`requests`], and [`check_finished()`] for the reports of the checking thread. Each handler
//! takes only the parts of the state it touches: the [`Session`] (documents and findings), the
//! [`Scheduler`] (what to check, which requests wait) and the [`Outbox`] (what to tell the
//! client). The main loop ([`crate::server`]) owns all three.

mod check_finished;
mod notifications;
mod publish;
mod requests;

use lsp_server::{ErrorCode, Notification, Request, RequestId};
use lsp_types::{DocumentDiagnosticParams, WorkspaceDiagnosticParams};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::outbox::Outbox;
use crate::schedule::{Scheduler, WaitingRequest};
use crate::session::Session;

pub(crate) use check_finished::check_finished;

/// Whether the main loop goes on after a message.
#[derive(PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Exit,
}

fn parse<P: DeserializeOwned>(value: Value) -> Result<P, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// The parameters of request `id`, or `None` once the request is answered "invalid parameters".
fn request_params<P: DeserializeOwned>(
    outbox: &Outbox,
    id: &RequestId,
    method: &str,
    params: Value,
) -> Option<P> {
    match parse(params) {
        Ok(params) => Some(params),
        Err(error) => {
            outbox.respond_err(
                id.clone(),
                ErrorCode::InvalidParams,
                format!("invalid parameters for {method}: {error}"),
            );
            None
        }
    }
}

/// Answers `request`, now or once its findings are fresh. After `shutdown` every request is an
/// error.
pub(crate) fn request(
    session: &mut Session,
    scheduler: &mut Scheduler,
    outbox: &mut Outbox,
    request: Request,
) {
    let Request { id, method, params } = request;
    if session.shutdown {
        outbox.respond_err(
            id,
            ErrorCode::InvalidRequest,
            "the server is shutting down".to_string(),
        );
        return;
    }
    match method.as_str() {
        "shutdown" => requests::shutdown(session, outbox, id),
        "textDocument/diagnostic" => {
            if let Some(params) =
                request_params::<DocumentDiagnosticParams>(outbox, &id, &method, params)
            {
                let waiting = WaitingRequest::DocumentDiagnostic {
                    id,
                    uri: params.text_document.uri,
                    previous: params.previous_result_id,
                };
                requests::wait(session, scheduler, outbox, waiting);
            }
        }
        "workspace/diagnostic" => {
            if let Some(params) =
                request_params::<WorkspaceDiagnosticParams>(outbox, &id, &method, params)
            {
                let waiting = WaitingRequest::WorkspaceDiagnostic {
                    id,
                    previous: params.previous_result_ids,
                };
                requests::wait(session, scheduler, outbox, waiting);
            }
        }
        "textDocument/codeAction" => {
            if let Some(params) = request_params(outbox, &id, &method, params) {
                let waiting = WaitingRequest::CodeAction { id, params };
                requests::wait(session, scheduler, outbox, waiting);
            }
        }
        "textDocument/hover" => {
            if let Some(params) = request_params(outbox, &id, &method, params) {
                requests::hover(session, outbox, id, &params);
            }
        }
        "initialize" => outbox.respond_err(
            id,
            ErrorCode::InvalidRequest,
            "the server is already initialized".to_string(),
        ),
        _ => outbox.respond_err(
            id,
            ErrorCode::MethodNotFound,
            format!("obolint does not handle {method}"),
        ),
    }
}

/// Applies `notification`. Notifications with invalid parameters are logged and ignored (there
/// is no one to answer); unknown ones are ignored.
pub(crate) fn notification(
    session: &mut Session,
    scheduler: &mut Scheduler,
    outbox: &mut Outbox,
    notification: Notification,
) -> Flow {
    use notifications as n;

    let Notification { method, params } = notification;
    let result = match method.as_str() {
        "exit" => return Flow::Exit,
        "initialized" => {
            n::initialized(session, outbox);
            Ok(())
        }
        "textDocument/didOpen" => parse(params).map(|p| n::did_open(session, scheduler, p)),
        "textDocument/didChange" => parse(params).map(|p| n::did_change(session, scheduler, p)),
        "textDocument/didSave" => parse(params).map(|p| n::did_save(session, scheduler, p)),
        "textDocument/didClose" => {
            parse(params).map(|p| n::did_close(session, scheduler, outbox, p))
        }
        "notebookDocument/didOpen" => {
            parse(params).map(|p| n::did_open_notebook(session, scheduler, p))
        }
        "notebookDocument/didChange" => {
            parse(params).map(|p| n::did_change_notebook(session, scheduler, outbox, p))
        }
        "notebookDocument/didClose" => {
            parse(params).map(|p| n::did_close_notebook(session, scheduler, outbox, p))
        }
        "workspace/didChangeWatchedFiles" => {
            parse(params).map(|p| n::did_change_watched_files(session, scheduler, p))
        }
        "workspace/didChangeConfiguration" => {
            n::did_change_configuration(scheduler);
            Ok(())
        }
        "$/cancelRequest" => parse(params).map(|p| n::cancel(scheduler, outbox, p)),
        _ => Ok(()),
    };
    if let Err(error) = result {
        eprintln!("obolint server: ignored {method}: invalid parameters: {error}");
    }
    Flow::Continue
}
