//! `obolint server`: the language server. It runs the checker the CLI runs, on the same project
//! model, with the editor's unsaved buffers in place of the files on disk.
//!
//! The flow: `transport` reads framed messages from stdio; `server` runs the main loop and
//! hands each message to its handler in `api` (one file per LSP method). Handlers keep the
//! `session` (open `document`s and `notebook`s, each root's findings) and tell the
//! `schedule` which roots to check again; `worker` runs `check` off the main loop; only a
//! report of the current text is accepted, and the requests that waited for it are answered then.
//! `to_lsp` turns findings into LSP diagnostics in the negotiated `encoding`; replies
//! leave through the `outbox`. Modules depend downwards only: `server` on `api`, `api` on
//! `session`, `schedule` and `outbox`, never the other way. Nothing here executes user code or
//! opens a network connection: the only I/O is stdio and reading the project's files.

// `lsp_types::Uri` caches parsed parts in cells, so clippy calls it a mutable key; its `Hash`
// and `Eq` read only the URI's text, which never changes once parsed.
#![allow(clippy::mutable_key_type)]

mod api;
mod capabilities;
pub mod document;
pub mod encoding;
pub mod notebook;
mod outbox;
mod schedule;
mod server;
mod session;
mod suppress;
mod to_lsp;
pub mod transport;
pub mod uri;
mod worker;

pub use lsp_server::Connection;

/// Serves one client on stdin and stdout. `true` when the client asked to shut down before it
/// exited (exit code 0), `false` otherwise (exit code 1).
pub fn run_stdio() -> bool {
    let (connection, threads) = transport::stdio();
    let clean = server::run(&connection);
    drop(connection);
    threads.join();
    clean
}

/// Serves one client on `connection` (in-memory connections in tests).
pub fn run(connection: &Connection) -> bool {
    server::run(connection)
}
