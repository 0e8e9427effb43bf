//! `initialized`: the handshake is over, so the server may make requests of its own. It asks a
//! client that can to watch the files that change findings: configuration files, Python files,
//! notebooks, and YAML (Databricks Apps' bundles, the files they include, `app.yaml`).

use lsp_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, Registration,
    RegistrationParams,
};

use crate::outbox::Outbox;
use crate::session::{Session, config_glob};

pub(crate) fn initialized(session: &Session, outbox: &mut Outbox) {
    if !session.client.watch_files {
        return;
    }
    let watchers = [
        config_glob().as_str(),
        "**/*.py",
        "**/*.ipynb",
        "**/*.yml",
        "**/*.yaml",
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
    outbox.request(
        "client/registerCapability",
        RegistrationParams {
            registrations: vec![registration],
        },
    );
}
