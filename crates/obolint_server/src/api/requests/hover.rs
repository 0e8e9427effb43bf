//! `textDocument/hover` on a code in a `# noqa:` comment: the rule's documentation, the same page
//! as `obolint rule CODE`. It reads only the document's text, so it is answered at once.

use lsp_server::RequestId;
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};
use obolint_linter::Rule;
use obolint_linter::docs::rule_markdown;

use crate::document::TextDocument;
use crate::outbox::Outbox;
use crate::session::Session;
use crate::suppress::code_at;

pub(crate) fn hover(session: &Session, outbox: &Outbox, id: RequestId, params: &HoverParams) {
    outbox.respond(id, rule_doc(session, params));
}

/// The documentation of the rule whose code is under the cursor.
fn rule_doc(session: &Session, params: &HoverParams) -> Option<Hover> {
    let position = &params.text_document_position_params;
    let uri = &position.text_document.uri;
    let doc: &TextDocument = match session.documents.text(uri) {
        Some(open) => &open.doc,
        None => {
            &session
                .documents
                .notebook_of_cell(uri)?
                .notebook
                .cell(uri)?
                .document
        }
    };
    let encoding = session.client.encoding;
    let offset = doc.lines().offset(position.position, encoding);
    let (code, range) = code_at(&doc.text, &doc.index, offset)?;
    let rule = Rule::from_code(&code)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: rule_markdown(rule),
        }),
        range: Some(doc.lines().range(range, encoding)),
    })
}
