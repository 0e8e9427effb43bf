//! From a checked file to editor documents: a diagnostic's byte range in the text the checker
//! read becomes a URI and an LSP range: the document itself for a text file, the right cell for
//! a notebook.

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Range, Uri,
};
use obolint_diagnostics::render::rule_url;
use obolint_diagnostics::{Diagnostic, Severity, SourceDb, SourceFile};
use ruff_text_size::TextRange;

use crate::encoding::{Lines, PositionEncoding};
use crate::notebook::{CellMap, Notebook};
use crate::uri::file_uri;

pub enum FileView<'a> {
    Text {
        uri: Uri,
        file: &'a SourceFile,
    },
    Notebook {
        file: &'a SourceFile,
        notebook: &'a Notebook,
        map: CellMap,
    },
}

impl<'a> FileView<'a> {
    pub fn text(uri: Uri, file: &'a SourceFile) -> Self {
        FileView::Text { uri, file }
    }

    pub fn notebook(file: &'a SourceFile, notebook: &'a Notebook) -> Self {
        FileView::Notebook {
            file,
            notebook,
            map: notebook.cell_map(file),
        }
    }

    pub fn file(&self) -> &'a SourceFile {
        match self {
            FileView::Text { file, .. } | FileView::Notebook { file, .. } => file,
        }
    }

    /// Where `range` of the checked text is in the editor; `None` for text no document shows
    /// (the lines a loader adds between notebook cells).
    pub fn locate(&self, range: TextRange, encoding: PositionEncoding) -> Option<(Uri, Range)> {
        match self {
            FileView::Text { uri, file } => Some((
                uri.clone(),
                Lines::new(&file.text, file.line_index()).range(range, encoding),
            )),
            FileView::Notebook { notebook, map, .. } => {
                let (index, local) = map.to_cell(range)?;
                let cell = notebook.cells.get(index)?;
                Some((
                    cell.uri.clone(),
                    cell.document.lines().range(local, encoding),
                ))
            }
        }
    }

    /// The LSP diagnostic for `diagnostic`, with the document it belongs to.
    pub fn to_lsp(
        &self,
        diagnostic: &Diagnostic,
        db: &SourceDb,
        encoding: PositionEncoding,
    ) -> Option<(Uri, lsp_types::Diagnostic)> {
        let (uri, range) = self.locate(diagnostic.primary.range, encoding)?;
        let related: Vec<DiagnosticRelatedInformation> = diagnostic
            .secondary
            .iter()
            .filter_map(|label| {
                let location = if label.file == diagnostic.primary.file {
                    self.locate(label.range, encoding)
                } else {
                    let file = db.get(label.file);
                    file_uri(&file.path).map(|uri| {
                        (
                            uri,
                            Lines::new(&file.text, file.line_index()).range(label.range, encoding),
                        )
                    })
                }?;
                Some(DiagnosticRelatedInformation {
                    location: Location::new(location.0, location.1),
                    message: label.message.clone(),
                })
            })
            .collect();
        let message = match &diagnostic.help {
            Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
            None => diagnostic.message.clone(),
        };
        let code_description = rule_url(diagnostic.rule.code)
            .parse::<Uri>()
            .ok()
            .map(|href| CodeDescription { href });
        Some((
            uri,
            lsp_types::Diagnostic {
                range,
                severity: Some(match diagnostic.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                    Severity::Info => DiagnosticSeverity::INFORMATION,
                }),
                code: Some(NumberOrString::String(diagnostic.rule.code.to_string())),
                code_description,
                source: Some("obolint".to_string()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                // An unused suppression is dead text: editors grey it out.
                tags: (diagnostic.rule.code == "OBO901").then(|| vec![DiagnosticTag::UNNECESSARY]),
                data: None,
            },
        ))
    }
}
