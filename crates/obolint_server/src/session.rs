//! The server's state between messages: what the client can do, the open documents, the latest
//! findings of each root, and what was last pushed to the client.
//!
//! A *root* is the project folder a file is checked under ([`project_root`] of the file): the
//! checker runs once per root, with every open buffer standing in for its file. The per-root
//! state here is [`RootState`] (the report and its diagnostics by document); whether those
//! findings are current, and when the next check runs, is [`crate::schedule`]'s business.
//!
//! [`project_root`]: obolint_linter::discover::project_root

mod documents;
mod published;
mod settings;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::Uri;
use obolint_diagnostics::SourceDb;
use obolint_linter::CheckReport;
use rustc_hash::FxHashMap;

use crate::capabilities::ClientSupport;
use crate::to_lsp::FileView;
use crate::uri::file_uri;

pub(crate) use documents::{Documents, OpenNotebook, OpenText, locate};
pub(crate) use published::Published;
pub(crate) use settings::{config_glob, is_config_file};

/// Diagnostics by document, as the client receives them.
pub(crate) type DiagnosticsByUri = FxHashMap<Uri, Vec<lsp_types::Diagnostic>>;

/// The findings of one root: the last report accepted for it.
#[derive(Default)]
pub(crate) struct RootState {
    pub report: Option<Arc<CheckReport>>,
    /// Diagnostics of the last report, by document (open documents always have an entry).
    pub by_uri: DiagnosticsByUri,
    /// Why the configuration did not load, when it did not (the report used the defaults).
    pub config_error: Option<String>,
}

pub(crate) struct Session {
    pub client: ClientSupport,
    pub documents: Documents,
    /// Findings of each root whose check has reported; forgotten once no document of the root is
    /// open.
    pub roots: FxHashMap<PathBuf, RootState>,
    pub published: Published,
    /// The client asked to shut down: every request is refused from now on.
    pub shutdown: bool,
}

impl Session {
    pub(crate) fn new(client: ClientSupport) -> Self {
        Self {
            client,
            documents: Documents::default(),
            roots: FxHashMap::default(),
            published: Published::default(),
            shutdown: false,
        }
    }

    /// The root an open document (or notebook cell) is checked under.
    pub(crate) fn root_of(&self, uri: &Uri) -> Option<&PathBuf> {
        self.documents.root_of(uri)
    }

    /// The view of a checked file: its open notebook, its open buffer, or the file on disk.
    pub(crate) fn view<'a>(&'a self, db: &'a SourceDb, path: &Path) -> Option<FileView<'a>> {
        let id = db.find(path)?;
        let file = db.get(id);
        if let Some(open) = self.documents.notebook_at(path) {
            return Some(FileView::notebook(file, &open.notebook));
        }
        let uri = self
            .documents
            .text_at(path)
            .map(|(uri, _)| uri.clone())
            .or_else(|| file_uri(path))?;
        Some(FileView::text(uri, file))
    }

    /// The diagnostics of `report` (a check of `root`) by document: every open document of the
    /// root has an entry, empty when it has no findings.
    pub(crate) fn diagnostics_by_uri(
        &self,
        root: &Path,
        report: Option<&CheckReport>,
    ) -> DiagnosticsByUri {
        let mut by_uri: DiagnosticsByUri = self
            .documents
            .showing(root)
            .map(|uri| (uri.clone(), Vec::new()))
            .collect();
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
}
