//! The main loop: documents in, diagnostics out.
//!
//! Every change marks the project of the changed file dirty. Before any check starts, the loop
//! drains the messages already waiting, so a burst of keystrokes costs one check; the check runs
//! on the worker thread ([`crate::worker`]) with every open buffer, and its report is accepted
//! only if no newer change to that project was made meanwhile (a revision counter). Requests that
//! need fresh findings (pull diagnostics, code actions) wait ("parked") until the report for the
//! current revision arrives.

use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::{Receiver, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentDiagnosticParams,
    DocumentDiagnosticReport, DocumentDiagnosticReportResult, FileSystemWatcher,
    FullDocumentDiagnosticReport, GlobPattern, HoverParams, InitializeParams, InitializeResult,
    MessageType, PublishDiagnosticsParams, Registration, RegistrationParams,
    RelatedFullDocumentDiagnosticReport, RelatedUnchangedDocumentDiagnosticReport, ServerInfo,
    UnchangedDocumentDiagnosticReport, Uri, WorkspaceDiagnosticParams, WorkspaceDiagnosticReport,
    WorkspaceDiagnosticReportResult, WorkspaceDocumentDiagnosticReport,
    WorkspaceFullDocumentDiagnosticReport,
};
use lsp_types::{
    DidChangeNotebookDocumentParams, DidCloseNotebookDocumentParams, DidOpenNotebookDocumentParams,
};
use rustc_hash::FxHashSet;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::capabilities::{ClientSupport, server_capabilities};
use crate::document::TextDocument;
use crate::notebook::Notebook;
use crate::outbox::Outbox;
use crate::schedule::{Scheduler, WaitingRequest};
use crate::session::{
    DiagnosticsByUri, OpenNotebook, OpenText, Session, config_glob, is_config_file, locate,
};
use crate::uri::uri_path;
use crate::worker::{self, Outcome};
use crate::{actions, hover};

pub(crate) struct Server {
    session: Session,
    scheduler: Scheduler,
    outbox: Outbox,
}

/// Runs the server on `connection` until the client says `exit` (or goes away). Returns whether
/// `shutdown` came first, as the protocol's exit code wants.
pub fn run(connection: &Connection) -> bool {
    let Some(client) = handshake(connection) else {
        return false;
    };
    let (jobs, outcomes) = worker::spawn();
    let mut server = Server {
        session: Session::new(client),
        scheduler: Scheduler::new(jobs),
        outbox: Outbox::new(connection.sender.clone()),
    };
    server.main_loop(&connection.receiver, &outcomes)
}

/// Waits for `initialize`, answering anything else with "not initialized".
fn handshake(connection: &Connection) -> Option<ClientSupport> {
    loop {
        let message = connection.receiver.recv().ok()?;
        match message {
            Message::Request(request) if request.method == "initialize" => {
                let raw = request.params.get("capabilities").cloned();
                match serde_json::from_value::<InitializeParams>(request.params) {
                    Ok(params) => {
                        let client = ClientSupport::new(&params.capabilities, raw.as_ref());
                        let result = InitializeResult {
                            capabilities: server_capabilities(&client),
                            server_info: Some(ServerInfo {
                                name: "obolint".to_string(),
                                version: Some(env!("CARGO_PKG_VERSION").to_string()),
                            }),
                        };
                        let response = Response::new_ok(request.id, result);
                        connection.sender.send(response.into()).ok()?;
                        return Some(client);
                    }
                    Err(error) => {
                        let response = Response::new_err(
                            request.id,
                            ErrorCode::InvalidParams as i32,
                            format!("invalid initialize parameters: {error}"),
                        );
                        connection.sender.send(response.into()).ok()?;
                    }
                }
            }
            Message::Request(request) => {
                let response = Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet".to_string(),
                );
                connection.sender.send(response.into()).ok()?;
            }
            Message::Notification(n) if n.method == "exit" => return None,
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Exit,
}

fn parse<P: DeserializeOwned>(value: Value) -> Result<P, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// A stable id of a list of diagnostics, for `resultId`.
fn result_id(items: &[lsp_types::Diagnostic]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    serde_json::to_string(items)
        .unwrap_or_default()
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

impl Server {
    fn main_loop(&mut self, messages: &Receiver<Message>, outcomes: &Receiver<Outcome>) -> bool {
        let mut outcomes = outcomes.clone();
        loop {
            select! {
                recv(messages) -> message => match message {
                    Ok(message) => {
                        if self.handle(message) == Flow::Exit {
                            return self.session.shutdown;
                        }
                    }
                    Err(_) => return self.session.shutdown,
                },
                recv(outcomes) -> outcome => match outcome {
                    Ok(outcome) => self.accept(outcome),
                    Err(_) => {
                        // The checking thread is gone (it could not start): keep serving
                        // documents and requests rather than spin on a closed channel.
                        eprintln!("obolint server: no checking thread; diagnostics are off");
                        outcomes = crossbeam_channel::never();
                    }
                },
            }
            // Coalesce: whatever else the client already sent is applied before checking.
            while let Ok(message) = messages.try_recv() {
                if self.handle(message) == Flow::Exit {
                    return self.session.shutdown;
                }
            }
            self.flush();
        }
    }

    fn handle(&mut self, message: Message) -> Flow {
        match message {
            Message::Request(request) => self.on_request(request),
            Message::Notification(notification) => return self.on_notification(notification),
            // Answers to our own requests (registration, refresh): nothing to do.
            Message::Response(_) => {}
        }
        Flow::Continue
    }

    fn on_request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        if self.session.shutdown {
            self.outbox.respond_err(
                id,
                ErrorCode::InvalidRequest,
                "the server is shutting down".to_string(),
            );
            return;
        }
        let invalid = |server: &Self, id: RequestId, error: String| {
            server.outbox.respond_err(
                id,
                ErrorCode::InvalidParams,
                format!("invalid parameters for {method}: {error}"),
            );
        };
        match method.as_str() {
            "shutdown" => {
                self.session.shutdown = true;
                self.outbox.respond(id, ());
            }
            "textDocument/diagnostic" => match parse::<DocumentDiagnosticParams>(params) {
                Ok(params) => self.park(WaitingRequest::DocumentDiagnostic {
                    id,
                    uri: params.text_document.uri,
                    previous: params.previous_result_id,
                }),
                Err(error) => invalid(self, id, error),
            },
            "workspace/diagnostic" => match parse::<WorkspaceDiagnosticParams>(params) {
                Ok(params) => self.park(WaitingRequest::WorkspaceDiagnostic {
                    id,
                    previous: params.previous_result_ids,
                }),
                Err(error) => invalid(self, id, error),
            },
            "textDocument/codeAction" => match parse::<CodeActionParams>(params) {
                Ok(params) => self.park(WaitingRequest::CodeAction { id, params }),
                Err(error) => invalid(self, id, error),
            },
            "textDocument/hover" => match parse::<HoverParams>(params) {
                Ok(params) => {
                    let hover = hover::hover(&self.session, &params);
                    self.outbox.respond(id, hover);
                }
                Err(error) => invalid(self, id, error),
            },
            "initialize" => self.outbox.respond_err(
                id,
                ErrorCode::InvalidRequest,
                "the server is already initialized".to_string(),
            ),
            _ => self.outbox.respond_err(
                id,
                ErrorCode::MethodNotFound,
                format!("obolint does not handle {method}"),
            ),
        }
    }

    fn on_notification(&mut self, notification: Notification) -> Flow {
        let Notification { method, params } = notification;
        let result = match method.as_str() {
            "exit" => return Flow::Exit,
            "initialized" => {
                self.register_watchers();
                Ok(())
            }
            "textDocument/didOpen" => parse(params).map(|p| self.did_open(p)),
            "textDocument/didChange" => parse(params).map(|p| self.did_change(p)),
            "textDocument/didSave" => parse(params).map(|p| self.did_save(p)),
            "textDocument/didClose" => parse(params).map(|p| self.did_close(p)),
            "notebookDocument/didOpen" => parse(params).map(|p| self.notebook_open(p)),
            "notebookDocument/didChange" => parse(params).map(|p| self.notebook_change(p)),
            "notebookDocument/didClose" => parse(params).map(|p| self.notebook_close(p)),
            "workspace/didChangeWatchedFiles" => parse(params).map(|p| self.watched(p)),
            // Settings come from the configuration files; any change re-reads them.
            "workspace/didChangeConfiguration" => {
                self.scheduler.mark_all_dirty();
                Ok(())
            }
            "$/cancelRequest" => parse::<lsp_types::CancelParams>(params).map(|p| self.cancel(p)),
            _ => Ok(()),
        };
        if let Err(error) = result {
            eprintln!("obolint server: ignored {method}: invalid parameters: {error}");
        }
        Flow::Continue
    }

    fn register_watchers(&mut self) {
        if !self.session.client.watch_files {
            return;
        }
        let watchers = [config_glob().as_str(), "**/*.py", "**/*.ipynb"]
            .into_iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String(glob.to_string()),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "obolint-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        self.outbox.request(
            "client/registerCapability",
            RegistrationParams {
                registrations: vec![registration],
            },
        );
    }

    /// A document of `root` was closed: check the root again if others are still open, else
    /// forget it.
    fn release(&mut self, root: Option<PathBuf>) {
        let Some(root) = root else { return };
        if self.session.documents.in_use(&root) {
            self.scheduler.mark_dirty(Some(&root));
        } else {
            self.scheduler.forget(&root);
            self.session.roots.remove(&root);
        }
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let (path, root) = locate(&item.uri);
        self.scheduler.mark_dirty(root.as_ref());
        self.session.documents.open_text(
            item.uri,
            OpenText {
                doc: TextDocument::new(item.text, item.version),
                path,
                root,
            },
        );
    }

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let encoding = self.session.client.encoding;
        let Some(open) = self.session.documents.text_mut(&params.text_document.uri) else {
            eprintln!(
                "obolint server: change to a document that is not open: {}",
                params.text_document.uri.as_str()
            );
            return;
        };
        open.doc.apply(
            params.content_changes,
            params.text_document.version,
            encoding,
        );
        self.scheduler.mark_dirty(open.root.as_ref());
    }

    fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        let uri = params.text_document.uri;
        if uri_path(&uri).is_some_and(|p| is_config_file(&p)) {
            self.scheduler.mark_all_dirty();
        }
        if let (Some(text), Some(open)) = (params.text, self.session.documents.text_mut(&uri)) {
            let version = open.doc.version;
            open.doc = TextDocument::new(text, version);
            self.scheduler.mark_dirty(open.root.as_ref());
        }
    }

    fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if let Some(open) = self.session.documents.close_text(&uri) {
            // The file on disk replaces the buffer: other files' findings may change.
            self.release(open.root);
        }
        self.clear(&uri);
    }

    fn notebook_open(&mut self, params: DidOpenNotebookDocumentParams) {
        let document = params.notebook_document;
        let (path, root) = locate(&document.uri);
        let notebook = Notebook::open(
            document.version,
            document.metadata,
            document.cells,
            params.cell_text_documents,
        );
        self.scheduler.mark_dirty(root.as_ref());
        self.session.documents.open_notebook(
            document.uri,
            OpenNotebook {
                notebook,
                path,
                root,
            },
        );
    }

    fn notebook_change(&mut self, params: DidChangeNotebookDocumentParams) {
        let encoding = self.session.client.encoding;
        let Some(change) = self.session.documents.change_notebook(
            &params.notebook_document.uri,
            params.notebook_document.version,
            params.change,
            encoding,
        ) else {
            return;
        };
        for gone in &change.removed_cells {
            self.clear(gone);
        }
        self.scheduler.mark_dirty(change.root.as_ref());
    }

    fn notebook_close(&mut self, params: DidCloseNotebookDocumentParams) {
        let uri = params.notebook_document.uri;
        if let Some(open) = self.session.documents.close_notebook(&uri) {
            for cell in &open.notebook.cells {
                self.clear(&cell.uri);
            }
            self.release(open.root);
        }
    }

    fn watched(&mut self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            let Some(path) = uri_path(&change.uri) else {
                continue;
            };
            if is_config_file(&path) {
                self.scheduler.mark_all_dirty();
                continue;
            }
            // An open buffer wins over the disk; other files feed the root they are in.
            if self.session.documents.text(&change.uri).is_some() {
                continue;
            }
            // Roots are canonical; a deleted file's folder still is.
            let path = path.canonicalize().unwrap_or_else(|_| {
                match (
                    path.parent().and_then(|p| p.canonicalize().ok()),
                    path.file_name(),
                ) {
                    (Some(parent), Some(name)) => parent.join(name),
                    _ => path.clone(),
                }
            });
            self.scheduler.mark_dirty_holding(&path);
        }
    }

    fn cancel(&mut self, params: lsp_types::CancelParams) {
        let id = match params.id {
            lsp_types::NumberOrString::Number(n) => RequestId::from(n),
            lsp_types::NumberOrString::String(s) => RequestId::from(s),
        };
        if let Some(request) = self.scheduler.cancel(&id) {
            self.outbox.respond_err(
                request.id().clone(),
                ErrorCode::RequestCanceled,
                "canceled".to_string(),
            );
        }
    }

    /// Forgets what was pushed to `uri`, telling the client when there was something.
    fn clear(&mut self, uri: &Uri) {
        if self.session.published.forget(uri) {
            self.outbox.notify(
                "textDocument/publishDiagnostics",
                PublishDiagnosticsParams::new(uri.clone(), Vec::new(), None),
            );
        }
    }

    /// Starts a check of every dirty root.
    fn flush(&mut self) {
        let documents = &self.session.documents;
        self.scheduler.flush(|| documents.sources());
    }

    fn accept(&mut self, outcome: Outcome) {
        if !self.scheduler.accept(&outcome.root, outcome.revision) {
            // Overtaken by a newer edit: its findings describe text that no longer exists.
            return;
        }
        eprintln!(
            "obolint server: checked {} in {:.1} ms",
            outcome.root.display(),
            outcome.elapsed.as_secs_f64() * 1000.0
        );
        let previous_error = self
            .session
            .roots
            .get(&outcome.root)
            .and_then(|r| r.config_error.as_ref());
        if outcome.config_error.as_ref() != previous_error {
            match &outcome.config_error {
                Some(message) => self
                    .outbox
                    .show_message(MessageType::ERROR, message.clone()),
                None => self.outbox.show_message(
                    MessageType::INFO,
                    "obolint: the configuration loads again".to_string(),
                ),
            }
        }
        let report = outcome.report.map(Arc::new);
        let by_uri = self
            .session
            .diagnostics_by_uri(&outcome.root, report.as_deref());
        let state = self.session.roots.entry(outcome.root).or_default();
        state.config_error = outcome.config_error;
        state.report = report;
        let previous = std::mem::replace(&mut state.by_uri, by_uri);
        let current = state.by_uri.clone();
        if self.session.client.pull_diagnostics {
            let changed = current
                .iter()
                .any(|(uri, items)| previous.get(uri) != Some(items));
            self.retry_parked();
            // After the client's own edits it re-pulls by itself (`interFileDependencies`).
            if changed && self.scheduler.refresh_wanted() && self.session.client.diagnostic_refresh
            {
                self.outbox.request("workspace/diagnostic/refresh", ());
            }
            self.scheduler.settle_refresh();
        } else {
            self.publish(&current);
            self.retry_parked();
        }
    }

    /// Pushes the diagnostics of every open document that changed.
    fn publish(&mut self, by_uri: &DiagnosticsByUri) {
        for (uri, items) in by_uri {
            if !self.session.documents.is_open(uri) || !self.session.published.record(uri, items) {
                continue;
            }
            let version = self.session.documents.text(uri).map(|t| t.doc.version);
            self.outbox.notify(
                "textDocument/publishDiagnostics",
                PublishDiagnosticsParams::new(uri.clone(), items.clone(), version),
            );
        }
    }

    fn park(&mut self, request: WaitingRequest) {
        self.scheduler.wait(request);
        self.retry_parked();
    }

    /// Answers the waiting requests whose roots are now fresh.
    fn retry_parked(&mut self) {
        for request in self.scheduler.take_waiting() {
            if let Some(request) = self.try_answer(request) {
                self.scheduler.wait(request);
            }
        }
    }

    /// Answers `request`, or gives it back when its findings are not ready.
    fn try_answer(&mut self, request: WaitingRequest) -> Option<WaitingRequest> {
        match request {
            WaitingRequest::DocumentDiagnostic { id, uri, previous } => {
                let root = self.session.root_of(&uri).cloned();
                if !self.scheduler.is_fresh(root.as_ref()) {
                    return Some(WaitingRequest::DocumentDiagnostic { id, uri, previous });
                }
                let items = root
                    .and_then(|r| self.session.roots.get(&r))
                    .and_then(|r| r.by_uri.get(&uri).cloned())
                    .unwrap_or_default();
                let result_id = result_id(&items);
                let report = if previous.as_deref() == Some(result_id.as_str()) {
                    DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                        related_documents: None,
                        unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                            result_id,
                        },
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
                self.outbox
                    .respond(id, DocumentDiagnosticReportResult::Report(report));
                None
            }
            WaitingRequest::WorkspaceDiagnostic { id, previous } => {
                if !self.scheduler.all_fresh() {
                    return Some(WaitingRequest::WorkspaceDiagnostic { id, previous });
                }
                let mut items = Vec::new();
                let mut seen = FxHashSet::default();
                for state in self.session.roots.values() {
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
                    // Nothing new: hold the request until something changes (a long poll), so
                    // the client does not ask again in a busy loop.
                    return Some(WaitingRequest::WorkspaceDiagnostic { id, previous });
                }
                let items = items
                    .into_iter()
                    .map(|(uri, result_id, diagnostics)| {
                        let version = self
                            .session
                            .documents
                            .text(&uri)
                            .map(|t| i64::from(t.doc.version));
                        WorkspaceDocumentDiagnosticReport::Full(
                            WorkspaceFullDocumentDiagnosticReport {
                                uri,
                                version,
                                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                                    result_id: Some(result_id),
                                    items: diagnostics,
                                },
                            },
                        )
                    })
                    .collect();
                self.outbox.respond(
                    id,
                    WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items }),
                );
                None
            }
            WaitingRequest::CodeAction { id, params } => {
                let root = self.session.root_of(&params.text_document.uri).cloned();
                if !self.scheduler.is_fresh(root.as_ref()) {
                    return Some(WaitingRequest::CodeAction { id, params });
                }
                let actions = actions::code_actions(&self.session, &params);
                self.outbox.respond(id, actions);
                None
            }
        }
    }
}
