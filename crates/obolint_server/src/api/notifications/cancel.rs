//! `$/cancelRequest`: a request still waiting for fresh findings is answered "canceled" and
//! dropped. Requests answered at once cannot be canceled; neither can a check already running.

use lsp_server::{ErrorCode, RequestId};
use lsp_types::{CancelParams, NumberOrString};

use crate::outbox::Outbox;
use crate::schedule::Scheduler;

pub(crate) fn cancel(scheduler: &mut Scheduler, outbox: &Outbox, params: CancelParams) {
    let id = match params.id {
        NumberOrString::Number(n) => RequestId::from(n),
        NumberOrString::String(s) => RequestId::from(s),
    };
    if let Some(request) = scheduler.cancel(&id) {
        outbox.respond_err(
            request.id().clone(),
            ErrorCode::RequestCanceled,
            "canceled".to_string(),
        );
    }
}
