//! What the server offers, and what it learned the client can do.

use lsp_types::{
    ClientCapabilities, CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    DiagnosticOptions, DiagnosticServerCapabilities, HoverProviderCapability, Notebook,
    NotebookCellSelector, NotebookDocumentSyncOptions, NotebookSelector, OneOf, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use crate::encoding::PositionEncoding;

/// `source.fixAll.obolint`: every safe fix of a file at once (editors run it on save).
pub const FIX_ALL: &str = "source.fixAll.obolint";

#[derive(Clone, Copy, Debug)]
pub struct ClientSupport {
    pub encoding: PositionEncoding,
    /// `textDocument/diagnostic`: the client pulls, so the server does not push.
    pub pull_diagnostics: bool,
    /// `workspace/diagnostic/refresh`: the server may ask the client to pull again.
    pub diagnostic_refresh: bool,
    /// `client/registerCapability` for `workspace/didChangeWatchedFiles`.
    pub watch_files: bool,
}

impl ClientSupport {
    /// `raw` is the capabilities object as sent: `lsp-types` 0.97 reads the workspace diagnostic
    /// capabilities from `workspace.diagnostic`, where the protocol (and VS Code) says
    /// `workspace.diagnostics`.
    pub fn new(capabilities: &ClientCapabilities, raw: Option<&serde_json::Value>) -> Self {
        let workspace = capabilities.workspace.as_ref();
        let refresh_as_specified = raw
            .and_then(|r| r.pointer("/workspace/diagnostics/refreshSupport"))
            .and_then(serde_json::Value::as_bool);
        Self {
            encoding: PositionEncoding::negotiate(capabilities),
            pull_diagnostics: capabilities
                .text_document
                .as_ref()
                .is_some_and(|t| t.diagnostic.is_some()),
            diagnostic_refresh: refresh_as_specified
                .or_else(|| {
                    workspace
                        .and_then(|w| w.diagnostic.as_ref())
                        .and_then(|d| d.refresh_support)
                })
                .unwrap_or(false),
            watch_files: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
        }
    }
}

pub fn server_capabilities(client: &ClientSupport) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(client.encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            },
        )),
        notebook_document_sync: Some(OneOf::Left(NotebookDocumentSyncOptions {
            notebook_selector: vec![NotebookSelector::ByCells {
                notebook: Some(Notebook::String("jupyter-notebook".to_string())),
                cells: vec![NotebookCellSelector {
                    language: "python".to_string(),
                }],
            }],
            save: Some(true),
        })),
        diagnostic_provider: client.pull_diagnostics.then(|| {
            DiagnosticServerCapabilities::Options(DiagnosticOptions {
                identifier: Some("obolint".to_string()),
                // An edit to one file changes the findings of others (the notebook that logs
                // the agent): clients re-pull open documents after any change.
                inter_file_dependencies: true,
                workspace_diagnostics: true,
                work_done_progress_options: Default::default(),
            })
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::SOURCE_FIX_ALL,
                CodeActionKind::from(FIX_ALL),
            ]),
            work_done_progress_options: Default::default(),
            resolve_provider: Some(false),
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}
