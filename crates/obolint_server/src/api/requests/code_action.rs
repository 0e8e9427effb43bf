//! `textDocument/codeAction`: each diagnostic's fix (safe fixes preferred, unsafe ones labelled,
//! display-only ones never offered as edits), "suppress OBOxxx on this line", and
//! `source.fixAll.obolint` (every safe fix of the file, the same fixes `obolint check --fix`
//! applies). The actions come from the root's last report, so the request waits until it is fresh.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use lsp_server::RequestId;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Range, TextEdit, Uri,
    WorkspaceEdit,
};
use obolint_diagnostics::{Applicability, Edit};
use obolint_linter::fix::fix;
use obolint_linter::{CheckRequest, Rule};
use ruff_text_size::{TextRange, TextSize};

use crate::capabilities::FIX_ALL;
use crate::encoding::PositionEncoding;
use crate::outbox::Outbox;
use crate::schedule::{Scheduler, WaitingRequest};
use crate::session::{OpenNotebook, Session};
use crate::suppress::noqa_edit;
use crate::to_lsp::FileView;

/// Answers the request, or gives it back when the document's findings are not fresh.
pub(super) fn answer(
    session: &Session,
    scheduler: &Scheduler,
    outbox: &Outbox,
    id: RequestId,
    params: CodeActionParams,
) -> Option<WaitingRequest> {
    if !scheduler.is_fresh(session.root_of(&params.text_document.uri)) {
        return Some(WaitingRequest::CodeAction { id, params });
    }
    outbox.respond(id, code_actions(session, &params));
    None
}

/// Whether the client asked for `kind` (no `only`: everything but source actions' children).
fn wanted(only: Option<&[CodeActionKind]>, kind: &str) -> bool {
    match only {
        None => true,
        Some(kinds) => kinds.iter().any(|k| {
            let k = k.as_str();
            kind == k
                || kind
                    .strip_prefix(k)
                    .is_some_and(|rest| rest.starts_with('.'))
        }),
    }
}

fn lines_overlap(a: Range, b: Range) -> bool {
    a.start.line <= b.end.line && b.start.line <= a.end.line
}

/// The edits of one file as a workspace edit; `None` when some edit falls outside the documents
/// (between notebook cells).
fn workspace_edit(
    view: &FileView<'_>,
    edits: &[Edit],
    encoding: PositionEncoding,
) -> Option<WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for edit in edits {
        let (uri, range) = view.locate(edit.range, encoding)?;
        changes
            .entry(uri)
            .or_default()
            .push(TextEdit::new(range, edit.content.clone()));
    }
    Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })
}

fn code_actions(session: &Session, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let uri = &params.text_document.uri;
    let only = params.context.only.as_deref();
    let encoding = session.client.encoding;
    let mut actions = Vec::new();
    let (path, is_text) = match (
        session.documents.text(uri),
        session.documents.notebook_of_cell(uri),
    ) {
        (Some(open), _) => (open.path.clone(), true),
        (None, Some(notebook)) => (notebook.path.clone(), false),
        (None, None) => return actions,
    };
    let Some(path) = path else { return actions };
    let Some(report) = session
        .root_of(uri)
        .and_then(|root| session.roots.get(root))
        .and_then(|r| r.report.clone())
    else {
        return actions;
    };
    let Some(view) = session.view(&report.db, &path) else {
        return actions;
    };
    let file = view.file();
    let mut any_safe_fix = false;
    for diagnostic in report
        .diagnostics
        .iter()
        .filter(|d| report.db.get(d.primary.file).path == path)
    {
        let Some((at, lsp)) = view.to_lsp(diagnostic, &report.db, encoding) else {
            continue;
        };
        if &at != uri || !lines_overlap(lsp.range, params.range) {
            continue;
        }
        let code = diagnostic.rule.code;
        if let Some(fix) = &diagnostic.fix {
            any_safe_fix |= fix.applicability == Applicability::Safe;
        }
        if !wanted(only, CodeActionKind::QUICKFIX.as_str()) {
            continue;
        }
        // A fix may edit another file than the one it points at (the bundle that configures
        // the app whose code this is): the edit is made in that file's view.
        let fix_view = match diagnostic.fix.as_ref().and_then(|f| f.file) {
            Some(other) if other != diagnostic.primary.file => {
                session.view(&report.db, &report.db.get(other).path)
            }
            _ => None,
        };
        if let Some(fix) = diagnostic
            .fix
            .as_ref()
            .filter(|f| f.applicability != Applicability::DisplayOnly)
            && let Some(edit) =
                workspace_edit(fix_view.as_ref().unwrap_or(&view), &fix.edits, encoding)
        {
            let safe = fix.applicability == Applicability::Safe;
            let title = if safe {
                format!("{} ({code})", fix.message)
            } else {
                format!("{} ({code}, unsafe fix: review the change)", fix.message)
            };
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp.clone()]),
                edit: Some(edit),
                is_preferred: Some(safe),
                ..CodeAction::default()
            }));
        }
        // Files that do not parse and unused suppressions are fixed, not suppressed.
        let suppressible = Rule::from_code(code)
            .is_some_and(|r| !r.is_always_on() && r != Rule::UnusedSuppression);
        if suppressible
            && let Some(noqa) = noqa_edit(
                &file.text,
                file.line_index(),
                diagnostic.primary.range.start(),
                code,
            )
            && let Some(edit) = workspace_edit(&view, &[noqa], encoding)
        {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Suppress {code} on this line"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp]),
                edit: Some(edit),
                ..CodeAction::default()
            }));
        }
    }
    let fix_all_wanted = match only {
        Some(_) => wanted(only, FIX_ALL),
        None => any_safe_fix,
    };
    if fix_all_wanted {
        let action = match session.documents.notebook_of_cell(uri) {
            Some(notebook) if !is_text => fix_all_notebook(session, notebook),
            _ => fix_all(session, uri, &path),
        };
        actions.extend(action);
    }
    actions
}

/// The text of `path` after every safe fix (the open buffers standing in for their files).
fn fixed_text(session: &Session, root: PathBuf, path: &Path) -> Option<(String, String)> {
    let mut request = CheckRequest::new(vec![path.to_path_buf()], root);
    request.sources = session.documents.sources();
    let outcome = match catch_unwind(AssertUnwindSafe(|| fix(&request, false))) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            eprintln!("obolint server: cannot fix {}: {error}", path.display());
            return None;
        }
        Err(_) => {
            eprintln!("obolint server: fixing {} panicked", path.display());
            return None;
        }
    };
    let fixed = outcome.files.into_iter().find(|f| f.path == path)?;
    Some((fixed.original, fixed.fixed))
}

fn fix_all_action(changes: HashMap<Uri, Vec<TextEdit>>) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: "Fix all safely fixable obolint findings".to_string(),
        kind: Some(CodeActionKind::from(FIX_ALL)),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// Every safe fix of a text document, as one edit of the whole text.
fn fix_all(session: &Session, uri: &Uri, path: &Path) -> Option<CodeActionOrCommand> {
    let open = session.documents.text(uri)?;
    let (original, fixed) = fixed_text(session, open.root.clone()?, path)?;
    if original != open.doc.text {
        return None;
    }
    let whole = TextRange::up_to(TextSize::of(&open.doc.text));
    let range = open.doc.lines().range(whole, session.client.encoding);
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), vec![TextEdit::new(range, fixed)]);
    Some(fix_all_action(changes))
}

/// Every safe fix of a notebook: the checker rewrites the notebook's JSON cell by cell; each
/// cell whose source changed gets one edit of its whole text.
fn fix_all_notebook(session: &Session, open: &OpenNotebook) -> Option<CodeActionOrCommand> {
    let path = open.path.as_deref()?;
    let (_, fixed) = fixed_text(session, open.root.clone()?, path)?;
    let json: serde_json::Value = serde_json::from_str(&fixed).ok()?;
    let cells = json.get("cells")?.as_array()?;
    if cells.len() != open.notebook.cells.len() {
        return None;
    }
    let mut changes = HashMap::new();
    for (cell, fixed) in open.notebook.cells.iter().zip(cells) {
        let source = match fixed.get("source")? {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Array(lines) => {
                lines.iter().filter_map(serde_json::Value::as_str).collect()
            }
            _ => return None,
        };
        if source != cell.document.text {
            let whole = TextRange::up_to(TextSize::of(&cell.document.text));
            let range = cell.document.lines().range(whole, session.client.encoding);
            changes.insert(cell.uri.clone(), vec![TextEdit::new(range, source)]);
        }
    }
    (!changes.is_empty()).then(|| fix_all_action(changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_by_prefix() {
        let only = [CodeActionKind::SOURCE_FIX_ALL];
        assert!(wanted(Some(&only), FIX_ALL));
        assert!(!wanted(Some(&only), "quickfix"));
        let only = [CodeActionKind::from("source.fix")];
        assert!(!wanted(Some(&only), FIX_ALL));
        assert!(wanted(None, "quickfix"));
    }
}
