//! Messages to the client: responses to its requests, notifications, and the server's own
//! requests (watcher registration, diagnostic refresh). Everything the server says goes through
//! [`Outbox`], so handlers get the one thing they need to talk without the rest of the state.

use crossbeam_channel::Sender;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{MessageType, ShowMessageParams};
use serde::Serialize;

pub(crate) struct Outbox {
    sender: Sender<Message>,
    /// Number of the last request the server sent to the client.
    next_id: i32,
}

impl Outbox {
    pub(crate) fn new(sender: Sender<Message>) -> Self {
        Self { sender, next_id: 0 }
    }

    fn send(&self, message: impl Into<Message>) {
        if self.sender.send(message.into()).is_err() {
            eprintln!("obolint server: the client connection is closed");
        }
    }

    pub(crate) fn respond<R: Serialize>(&self, id: RequestId, result: R) {
        self.send(Response::new_ok(id, result));
    }

    pub(crate) fn respond_err(&self, id: RequestId, code: ErrorCode, message: String) {
        self.send(Response::new_err(id, code as i32, message));
    }

    pub(crate) fn notify<P: Serialize>(&self, method: &str, params: P) {
        self.send(Notification::new(method.to_string(), params));
    }

    /// Sends a request to the client. Its answer is not waited for: the main loop ignores
    /// responses.
    pub(crate) fn request<P: Serialize>(&mut self, method: &str, params: P) {
        self.next_id += 1;
        let id = RequestId::from(format!("obolint-{}", self.next_id));
        self.send(Request::new(id, method.to_string(), params));
    }

    pub(crate) fn show_message(&self, typ: MessageType, message: String) {
        self.notify("window/showMessage", ShowMessageParams { typ, message });
    }
}
