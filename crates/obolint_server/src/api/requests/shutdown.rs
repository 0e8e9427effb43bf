//! `shutdown`: the client is about to say `exit`. Every request after this one is refused, and
//! `exit` then ends the server with exit code 0.

use lsp_server::RequestId;

use crate::outbox::Outbox;
use crate::session::Session;

pub(crate) fn shutdown(session: &mut Session, outbox: &Outbox, id: RequestId) {
    session.shutdown = true;
    outbox.respond(id, ());
}
