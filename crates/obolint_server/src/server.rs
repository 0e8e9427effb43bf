//! The main loop: messages in, checks out, findings back.
//!
//! The loop waits for either a message from the client or a report from the checking thread
//! ([`crate::worker`]). Messages go to their handlers ([`crate::api`]), which update the
//! [`Session`] and mark roots dirty in the [`Scheduler`]; reports go to
//! [`api::check_finished()`]. Before any check starts, the loop applies every message already
//! waiting, so a burst of keystrokes costs one check ([`Scheduler::flush`]).

use crossbeam_channel::{Receiver, select};
use lsp_server::{Connection, ErrorCode, Message, Response};
use lsp_types::{InitializeParams, InitializeResult, ServerInfo};

use crate::api::{self, Flow};
use crate::capabilities::{ClientSupport, server_capabilities};
use crate::outbox::Outbox;
use crate::schedule::Scheduler;
use crate::session::Session;
use crate::worker::{self, Outcome};

struct Server {
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
                    Ok(outcome) => api::check_finished(
                        &mut self.session,
                        &mut self.scheduler,
                        &mut self.outbox,
                        outcome,
                    ),
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
            let documents = &self.session.documents;
            self.scheduler.flush(|| documents.sources());
        }
    }

    fn handle(&mut self, message: Message) -> Flow {
        let Server {
            session,
            scheduler,
            outbox,
        } = self;
        match message {
            Message::Request(request) => api::request(session, scheduler, outbox, request),
            Message::Notification(notification) => {
                return api::notification(session, scheduler, outbox, notification);
            }
            // Answers to our own requests (registration, refresh): nothing to do.
            Message::Response(_) => {}
        }
        Flow::Continue
    }
}
