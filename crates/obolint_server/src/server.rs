//! The main loop: documents in, diagnostics out.
//!
//! Every change marks the project of the changed file dirty. Before any check starts, the loop
//! drains the messages already waiting, so a burst of keystrokes costs one check; the check runs
//! on the worker thread ([`crate::worker`]) with every open buffer, and its report is accepted
//! only if no newer change to that project was made meanwhile (a revision counter). Requests that
//! need fresh findings (pull diagnostics, code actions) wait ("parked") until the report for the
//! current revision arrives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentDiagnosticParams,
    DocumentDiagnosticReport, DocumentDiagnosticReportResult, FileSystemWatcher,
    FullDocumentDiagnosticReport, GlobPattern, HoverParams, InitializeParams, InitializeResult,
    MessageType, PreviousResultId, PublishDiagnosticsParams, Registration, RegistrationParams,
    RelatedFullDocumentDiagnosticReport, RelatedUnchangedDocumentDiagnosticReport, ServerInfo,
    UnchangedDocumentDiagnosticReport, Uri, WorkspaceDiagnosticParams, WorkspaceDiagnosticReport,
    WorkspaceDiagnosticReportResult, WorkspaceDocumentDiagnosticReport,
    WorkspaceFullDocumentDiagnosticReport,
};
use lsp_types::{
    DidChangeNotebookDocumentParams, DidCloseNotebookDocumentParams, DidOpenNotebookDocumentParams,
};
use obolint_diagnostics::SourceDb;
use obolint_linter::CheckReport;
use obolint_linter::discover::project_root;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::capabilities::{ClientSupport, server_capabilities};
use crate::document::TextDocument;
use crate::notebook::Notebook;
use crate::outbox::Outbox;
use crate::to_lsp::FileView;
use crate::uri::{file_uri, uri_path};
use crate::worker::{self, Job, Outcome};
use crate::{actions, hover};

/// Names of the files obolint reads its settings from: a change to one re-checks everything.
const CONFIG_FILES: &[&str] = &["pyproject.toml", "obolint.toml", ".obolint.toml"];

pub(crate) struct OpenText {
    pub doc: TextDocument,
    /// Canonical path, for `file:` documents that exist on disk.
    pub path: Option<PathBuf>,
    pub root: Option<PathBuf>,
}

pub(crate) struct OpenNotebook {
    pub notebook: Notebook,
    pub path: Option<PathBuf>,
    pub root: Option<PathBuf>,
}

#[derive(Default)]
pub(crate) struct Project {
    /// Revision of the newest check asked for.
    wanted: u64,
    /// Revision of `report`.
    done: u64,
    pub report: Option<Arc<CheckReport>>,
    /// Diagnostics of the last report, by document (open documents always have an entry).
    by_uri: FxHashMap<Uri, Vec<lsp_types::Diagnostic>>,
    config_error: Option<String>,
}

impl Project {
    fn is_fresh(&self) -> bool {
        self.done == self.wanted
    }
}

enum Parked {
    Document {
        id: RequestId,
        uri: Uri,
        previous: Option<String>,
    },
    Workspace {
        id: RequestId,
        previous: Vec<PreviousResultId>,
    },
    CodeAction {
        id: RequestId,
        params: CodeActionParams,
    },
}

impl Parked {
    fn id(&self) -> &RequestId {
        match self {
            Parked::Document { id, .. }
            | Parked::Workspace { id, .. }
            | Parked::CodeAction { id, .. } => id,
        }
    }
}

pub(crate) struct Server {
    outbox: Outbox,
    pub client: ClientSupport,
    pub texts: FxHashMap<Uri, OpenText>,
    pub notebooks: FxHashMap<Uri, OpenNotebook>,
    /// Cell document to the notebook that holds it.
    cell_owner: FxHashMap<Uri, Uri>,
    pub projects: FxHashMap<PathBuf, Project>,
    /// What was last pushed to each document.
    published: FxHashMap<Uri, Vec<lsp_types::Diagnostic>>,
    dirty: FxHashSet<PathBuf>,
    revision: u64,
    parked: Vec<Parked>,
    jobs: Sender<Job>,
    shutdown: bool,
    /// Findings may change without an edit from the client (configuration, files on disk): pull
    /// clients are asked to pull again once the new findings are in.
    refresh_wanted: bool,
}

/// Runs the server on `connection` until the client says `exit` (or goes away). Returns whether
/// `shutdown` came first, as the protocol's exit code wants.
pub fn run(connection: &Connection) -> bool {
    let Some(client) = handshake(connection) else {
        return false;
    };
    let (jobs, outcomes) = worker::spawn();
    let mut server = Server {
        outbox: Outbox::new(connection.sender.clone()),
        client,
        texts: FxHashMap::default(),
        notebooks: FxHashMap::default(),
        cell_owner: FxHashMap::default(),
        projects: FxHashMap::default(),
        published: FxHashMap::default(),
        dirty: FxHashSet::default(),
        revision: 0,
        parked: Vec::new(),
        jobs,
        shutdown: false,
        refresh_wanted: false,
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

fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_FILES.contains(&n))
}

fn canonical(uri: &Uri) -> (Option<PathBuf>, Option<PathBuf>) {
    let path = uri_path(uri).and_then(|p| p.canonicalize().ok());
    let root = path.as_deref().map(project_root);
    (path, root)
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
                            return self.shutdown;
                        }
                    }
                    Err(_) => return self.shutdown,
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
                    return self.shutdown;
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
        if self.shutdown {
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
                self.shutdown = true;
                self.outbox.respond(id, ());
            }
            "textDocument/diagnostic" => match parse::<DocumentDiagnosticParams>(params) {
                Ok(params) => self.park(Parked::Document {
                    id,
                    uri: params.text_document.uri,
                    previous: params.previous_result_id,
                }),
                Err(error) => invalid(self, id, error),
            },
            "workspace/diagnostic" => match parse::<WorkspaceDiagnosticParams>(params) {
                Ok(params) => self.park(Parked::Workspace {
                    id,
                    previous: params.previous_result_ids,
                }),
                Err(error) => invalid(self, id, error),
            },
            "textDocument/codeAction" => match parse::<CodeActionParams>(params) {
                Ok(params) => self.park(Parked::CodeAction { id, params }),
                Err(error) => invalid(self, id, error),
            },
            "textDocument/hover" => match parse::<HoverParams>(params) {
                Ok(params) => {
                    let hover = hover::hover(self, &params);
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
                self.dirty_all();
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
        if !self.client.watch_files {
            return;
        }
        let watchers = [
            "**/{pyproject.toml,obolint.toml,.obolint.toml}",
            "**/*.py",
            "**/*.ipynb",
        ]
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

    fn mark_dirty(&mut self, root: Option<&PathBuf>) {
        if let Some(root) = root {
            self.projects.entry(root.clone()).or_default();
            self.dirty.insert(root.clone());
        }
    }

    /// A document of `root` was closed: check the project again if others are still open, else
    /// forget it.
    fn release(&mut self, root: Option<PathBuf>) {
        let Some(root) = root else { return };
        let in_use = self.texts.values().any(|t| t.root.as_ref() == Some(&root))
            || self
                .notebooks
                .values()
                .any(|n| n.root.as_ref() == Some(&root));
        if in_use {
            self.mark_dirty(Some(&root));
        } else {
            self.projects.remove(&root);
            self.dirty.remove(&root);
        }
    }

    fn dirty_all(&mut self) {
        self.refresh_wanted = true;
        let roots: Vec<PathBuf> = self.projects.keys().cloned().collect();
        self.dirty.extend(roots);
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let (path, root) = canonical(&item.uri);
        self.mark_dirty(root.as_ref());
        self.texts.insert(
            item.uri,
            OpenText {
                doc: TextDocument::new(item.text, item.version),
                path,
                root,
            },
        );
    }

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let encoding = self.client.encoding;
        let Some(open) = self.texts.get_mut(&params.text_document.uri) else {
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
        let root = open.root.clone();
        self.mark_dirty(root.as_ref());
    }

    fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        let uri = params.text_document.uri;
        if uri_path(&uri).is_some_and(|p| is_config_file(&p)) {
            self.dirty_all();
        }
        if let (Some(text), Some(open)) = (params.text, self.texts.get_mut(&uri)) {
            let version = open.doc.version;
            open.doc = TextDocument::new(text, version);
            let root = open.root.clone();
            self.mark_dirty(root.as_ref());
        }
    }

    fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if let Some(open) = self.texts.remove(&uri) {
            // The file on disk replaces the buffer: other files' findings may change.
            self.release(open.root);
        }
        self.clear(&uri);
    }

    fn notebook_open(&mut self, params: DidOpenNotebookDocumentParams) {
        let document = params.notebook_document;
        let (path, root) = canonical(&document.uri);
        let notebook = Notebook::open(
            document.version,
            document.metadata,
            document.cells,
            params.cell_text_documents,
        );
        for cell in &notebook.cells {
            self.cell_owner
                .insert(cell.uri.clone(), document.uri.clone());
        }
        self.mark_dirty(root.as_ref());
        self.notebooks.insert(
            document.uri,
            OpenNotebook {
                notebook,
                path,
                root,
            },
        );
    }

    fn notebook_change(&mut self, params: DidChangeNotebookDocumentParams) {
        let encoding = self.client.encoding;
        let uri = params.notebook_document.uri;
        let Some(open) = self.notebooks.get_mut(&uri) else {
            return;
        };
        let before: Vec<Uri> = open.notebook.cells.iter().map(|c| c.uri.clone()).collect();
        open.notebook
            .apply(params.notebook_document.version, params.change, encoding);
        let after: Vec<Uri> = open.notebook.cells.iter().map(|c| c.uri.clone()).collect();
        let root = open.root.clone();
        for gone in before.iter().filter(|u| !after.contains(u)) {
            self.cell_owner.remove(gone);
            self.clear(gone);
        }
        for cell in after {
            self.cell_owner.insert(cell, uri.clone());
        }
        self.mark_dirty(root.as_ref());
    }

    fn notebook_close(&mut self, params: DidCloseNotebookDocumentParams) {
        if let Some(open) = self.notebooks.remove(&params.notebook_document.uri) {
            for cell in &open.notebook.cells {
                self.cell_owner.remove(&cell.uri);
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
                self.dirty_all();
                continue;
            }
            // An open buffer wins over the disk; other files feed the project they are in.
            if self.texts.contains_key(&change.uri) {
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
            let roots: Vec<PathBuf> = self
                .projects
                .keys()
                .filter(|root| path.starts_with(root))
                .cloned()
                .collect();
            self.refresh_wanted |= !roots.is_empty();
            self.dirty.extend(roots);
        }
    }

    fn cancel(&mut self, params: lsp_types::CancelParams) {
        let id = match params.id {
            lsp_types::NumberOrString::Number(n) => RequestId::from(n),
            lsp_types::NumberOrString::String(s) => RequestId::from(s),
        };
        if let Some(at) = self.parked.iter().position(|p| p.id() == &id) {
            let parked = self.parked.remove(at);
            self.outbox.respond_err(
                parked.id().clone(),
                ErrorCode::RequestCanceled,
                "canceled".to_string(),
            );
        }
    }

    /// Forgets what was pushed to `uri`, telling the client when there was something.
    fn clear(&mut self, uri: &Uri) {
        if let Some(previous) = self.published.remove(uri)
            && !previous.is_empty()
        {
            self.outbox.notify(
                "textDocument/publishDiagnostics",
                PublishDiagnosticsParams::new(uri.clone(), Vec::new(), None),
            );
        }
    }

    /// The text the checker should read instead of the disk: every open buffer and notebook.
    pub(crate) fn sources(&self) -> FxHashMap<PathBuf, String> {
        let mut sources = FxHashMap::default();
        for open in self.texts.values() {
            if let Some(path) = &open.path {
                sources.insert(path.clone(), open.doc.text.clone());
            }
        }
        for open in self.notebooks.values() {
            if let Some(path) = &open.path {
                sources.insert(path.clone(), open.notebook.to_ipynb());
            }
        }
        sources
    }

    /// Starts a check of every dirty project.
    fn flush(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let sources = self.sources();
        let dirty: Vec<PathBuf> = self.dirty.drain().collect();
        for root in dirty {
            self.revision += 1;
            let revision = self.revision;
            self.projects.entry(root.clone()).or_default().wanted = revision;
            let job = Job {
                root,
                revision,
                sources: sources.clone(),
            };
            if self.jobs.send(job).is_err() {
                eprintln!("obolint server: the checking thread is gone");
            }
        }
    }

    fn accept(&mut self, outcome: Outcome) {
        let Some(project) = self.projects.get(&outcome.root) else {
            return;
        };
        if outcome.revision != project.wanted {
            // Overtaken by a newer edit: its findings describe text that no longer exists.
            return;
        }
        eprintln!(
            "obolint server: checked {} in {:.1} ms",
            outcome.root.display(),
            outcome.elapsed.as_secs_f64() * 1000.0
        );
        let previous_error = project.config_error.clone();
        if outcome.config_error != previous_error {
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
        let by_uri = self.diagnostics_by_uri(&outcome.root, report.as_deref());
        let Some(project) = self.projects.get_mut(&outcome.root) else {
            return;
        };
        project.done = outcome.revision;
        project.config_error = outcome.config_error;
        project.report = report;
        let previous = std::mem::replace(&mut project.by_uri, by_uri);
        let current = project.by_uri.clone();
        if self.client.pull_diagnostics {
            let changed = current
                .iter()
                .any(|(uri, items)| previous.get(uri) != Some(items));
            self.retry_parked();
            // After the client's own edits it re-pulls by itself (`interFileDependencies`).
            if changed && self.refresh_wanted && self.client.diagnostic_refresh {
                self.outbox.request("workspace/diagnostic/refresh", ());
            }
            if self.projects.values().all(Project::is_fresh) {
                self.refresh_wanted = false;
            }
        } else {
            self.publish(&current);
            self.retry_parked();
        }
    }

    /// Pushes the diagnostics of every open document that changed.
    fn publish(&mut self, by_uri: &FxHashMap<Uri, Vec<lsp_types::Diagnostic>>) {
        for (uri, items) in by_uri {
            if !self.is_open(uri) {
                continue;
            }
            let unchanged = match self.published.get(uri) {
                Some(previous) => previous == items,
                None => items.is_empty(),
            };
            if unchanged {
                continue;
            }
            let version = self.texts.get(uri).map(|t| t.doc.version);
            self.outbox.notify(
                "textDocument/publishDiagnostics",
                PublishDiagnosticsParams::new(uri.clone(), items.clone(), version),
            );
            self.published.insert(uri.clone(), items.clone());
        }
    }

    fn is_open(&self, uri: &Uri) -> bool {
        self.texts.contains_key(uri) || self.cell_owner.contains_key(uri)
    }

    /// The view of a checked file: its open notebook, its open buffer, or the file on disk.
    pub(crate) fn view<'a>(&'a self, db: &'a SourceDb, path: &Path) -> Option<FileView<'a>> {
        let id = db.find(path)?;
        let file = db.get(id);
        if let Some(open) = self
            .notebooks
            .values()
            .find(|n| n.path.as_deref() == Some(path))
        {
            return Some(FileView::notebook(file, &open.notebook));
        }
        let uri = self
            .texts
            .iter()
            .find(|(_, t)| t.path.as_deref() == Some(path))
            .map(|(uri, _)| uri.clone())
            .or_else(|| file_uri(path))?;
        Some(FileView::text(uri, file))
    }

    fn diagnostics_by_uri(
        &self,
        root: &Path,
        report: Option<&CheckReport>,
    ) -> FxHashMap<Uri, Vec<lsp_types::Diagnostic>> {
        let mut by_uri: FxHashMap<Uri, Vec<lsp_types::Diagnostic>> = FxHashMap::default();
        for (uri, open) in &self.texts {
            if open.root.as_deref() == Some(root) {
                by_uri.insert(uri.clone(), Vec::new());
            }
        }
        for open in self.notebooks.values() {
            if open.root.as_deref() == Some(root) {
                for cell in &open.notebook.cells {
                    by_uri.insert(cell.uri.clone(), Vec::new());
                }
            }
        }
        let Some(report) = report else {
            return by_uri;
        };
        let mut views: FxHashMap<PathBuf, Option<FileView<'_>>> = FxHashMap::default();
        for diagnostic in &report.diagnostics {
            let path = &report.db.get(diagnostic.primary.file).path;
            let view = views
                .entry(path.clone())
                .or_insert_with(|| self.view(&report.db, path));
            let Some(view) = view else { continue };
            if let Some((uri, item)) = view.to_lsp(diagnostic, &report.db, self.client.encoding) {
                by_uri.entry(uri).or_default().push(item);
            }
        }
        by_uri
    }

    /// The project an open document (or notebook cell) belongs to.
    pub(crate) fn root_of(&self, uri: &Uri) -> Option<&PathBuf> {
        if let Some(open) = self.texts.get(uri) {
            return open.root.as_ref();
        }
        let notebook = self.cell_owner.get(uri)?;
        self.notebooks.get(notebook)?.root.as_ref()
    }

    pub(crate) fn notebook_of_cell(&self, uri: &Uri) -> Option<&OpenNotebook> {
        self.notebooks.get(self.cell_owner.get(uri)?)
    }

    fn park(&mut self, request: Parked) {
        self.parked.push(request);
        self.retry_parked();
    }

    /// Answers the waiting requests whose projects are now fresh.
    fn retry_parked(&mut self) {
        let parked = std::mem::take(&mut self.parked);
        for request in parked {
            if let Some(request) = self.try_answer(request) {
                self.parked.push(request);
            }
        }
    }

    fn is_fresh(&self, root: Option<&PathBuf>) -> bool {
        root.is_none_or(|root| {
            !self.dirty.contains(root) && self.projects.get(root).is_none_or(Project::is_fresh)
        })
    }

    /// Answers `request`, or gives it back when its findings are not ready.
    fn try_answer(&mut self, request: Parked) -> Option<Parked> {
        match request {
            Parked::Document { id, uri, previous } => {
                let root = self.root_of(&uri).cloned();
                if !self.is_fresh(root.as_ref()) {
                    return Some(Parked::Document { id, uri, previous });
                }
                let items = root
                    .and_then(|r| self.projects.get(&r))
                    .and_then(|p| p.by_uri.get(&uri).cloned())
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
            Parked::Workspace { id, previous } => {
                if self.projects.keys().any(|r| !self.is_fresh(Some(r))) {
                    return Some(Parked::Workspace { id, previous });
                }
                let mut items = Vec::new();
                let mut seen = FxHashSet::default();
                for project in self.projects.values() {
                    for (uri, diagnostics) in &project.by_uri {
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
                    return Some(Parked::Workspace { id, previous });
                }
                let items = items
                    .into_iter()
                    .map(|(uri, result_id, diagnostics)| {
                        let version = self.texts.get(&uri).map(|t| i64::from(t.doc.version));
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
            Parked::CodeAction { id, params } => {
                let root = self.root_of(&params.text_document.uri).cloned();
                if !self.is_fresh(root.as_ref()) {
                    return Some(Parked::CodeAction { id, params });
                }
                let actions = actions::code_actions(self, &params);
                self.outbox.respond(id, actions);
                None
            }
        }
    }
}
