//! `workspace/didChangeWatchedFiles`: files changed on disk (the watchers are registered on
//! `initialized`). A configuration file re-checks every root; any other file re-checks the roots
//! that hold it, unless an open buffer stands in for it.

use lsp_types::DidChangeWatchedFilesParams;

use crate::schedule::Scheduler;
use crate::session::{Session, is_config_file};
use crate::uri::uri_path;

pub(crate) fn did_change_watched_files(
    session: &Session,
    scheduler: &mut Scheduler,
    params: DidChangeWatchedFilesParams,
) {
    for change in params.changes {
        let Some(path) = uri_path(&change.uri) else {
            continue;
        };
        if is_config_file(&path) {
            scheduler.mark_all_dirty();
            continue;
        }
        // An open buffer wins over the disk; other files feed the root they are in.
        if session.documents.text(&change.uri).is_some() {
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
        scheduler.mark_dirty_holding(&path);
    }
}
