//! `--output-format json`: an array of objects named like Ruff's JSON fields (keys sorted).

use std::io;

use serde::Serialize;

use crate::{Diagnostic, SourceDb, SourceFile};

#[derive(Serialize, Debug, Clone, Copy)]
pub struct JsonLocation {
    pub column: usize,
    pub row: usize,
}

#[derive(Serialize, Debug)]
pub struct JsonEdit {
    pub content: String,
    pub end_location: JsonLocation,
    pub location: JsonLocation,
}

#[derive(Serialize, Debug)]
pub struct JsonFix {
    pub applicability: &'static str,
    pub edits: Vec<JsonEdit>,
    /// The file the edits change, when it is not the diagnostic's `filename` (a fix in the
    /// YAML that configures the Python code the finding is in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    pub message: String,
}

/// One diagnostic as tools read it. Field order is alphabetical, as Ruff writes them.
#[derive(Serialize, Debug)]
pub struct JsonDiagnostic {
    /// 1-based cell index in `.ipynb` notebooks; `null` elsewhere.
    pub cell: Option<usize>,
    pub code: &'static str,
    pub end_location: JsonLocation,
    pub filename: String,
    pub fix: Option<JsonFix>,
    pub location: JsonLocation,
    pub message: String,
    pub name: &'static str,
    pub severity: &'static str,
    pub url: String,
}

fn location(file: &SourceFile, offset: ruff_text_size::TextSize) -> JsonLocation {
    let p = file.position(offset);
    JsonLocation {
        row: p.row,
        column: p.column,
    }
}

pub fn to_json_diagnostics(diagnostics: &[Diagnostic], db: &SourceDb) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let file = db.get(d.primary.file);
            JsonDiagnostic {
                cell: file.cell(d.primary.range.start()),
                code: d.rule.code,
                end_location: location(file, d.primary.range.end()),
                filename: file.display_path.clone(),
                fix: d.fix.as_ref().map(|fix| {
                    let target = db.get(d.fix_file());
                    JsonFix {
                        applicability: fix.applicability.as_str(),
                        message: fix.message.clone(),
                        filename: (d.fix_file() != d.primary.file)
                            .then(|| target.display_path.clone()),
                        edits: fix
                            .edits
                            .iter()
                            .map(|e| JsonEdit {
                                content: e.content.clone(),
                                location: location(target, e.range.start()),
                                end_location: location(target, e.range.end()),
                            })
                            .collect(),
                    }
                }),
                location: location(file, d.primary.range.start()),
                message: d.message.clone(),
                name: d.rule.name,
                severity: d.severity.as_str(),
                url: super::rule_url(d.rule.code),
            }
        })
        .collect()
}

pub fn render_json(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    let items = to_json_diagnostics(diagnostics, db);
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}
