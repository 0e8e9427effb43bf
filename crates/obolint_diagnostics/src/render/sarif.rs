//! `--output-format sarif`: SARIF 2.1.0, as GitHub code scanning reads it.

use std::io;
use std::path::Path;

use serde_json::{Value, json};

use crate::{Diagnostic, Severity, SourceDb, SourceFile};

/// What SARIF says about a rule in `tool.driver.rules[]`.
#[derive(Clone, Debug)]
pub struct SarifRule {
    pub id: &'static str,
    pub name: &'static str,
    pub short_description: String,
    pub full_description: String,
    pub default_severity: Severity,
}

pub struct SarifTool<'a> {
    pub version: &'a str,
    pub information_uri: &'a str,
    pub rules: &'a [SarifRule],
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes a relative path for a URI reference, keeping `/` and unreserved characters.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in forward_slashes(path).bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The file's path relative to the root of the git repository holding it, as code scanning wants
/// it; `None` outside any repository.
pub(super) fn repo_relative(path: &Path) -> Option<String> {
    let root = path
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())?;
    let relative = path.strip_prefix(root).ok()?;
    Some(forward_slashes(&relative.to_string_lossy()))
}

/// A path with `/` between its names: Windows' `\` is a separator there; elsewhere it is a
/// character of a name (`a\b.py` is one file), kept as it is.
pub(super) fn forward_slashes(path: &str) -> String {
    if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    }
}

fn artifact_location(file: &SourceFile) -> Value {
    if let Some(relative) = repo_relative(&file.path) {
        return json!({ "uri": percent_encode_path(&relative), "uriBaseId": "%SRCROOT%" });
    }
    if file.display_path.starts_with('/') {
        json!({ "uri": format!("file://{}", percent_encode_path(&file.display_path)) })
    } else {
        json!({ "uri": percent_encode_path(&file.display_path), "uriBaseId": "%SRCROOT%" })
    }
}

/// A region on the lines of the file on disk: in a notebook, of its JSON.
fn region(file: &SourceFile, range: ruff_text_size::TextRange) -> Value {
    let (start, end) = file.file_start_end(range);
    json!({ "startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column })
}

/// The fix's edits as replacements of the file's bytes (in a notebook, of its JSON); `None`
/// when one cannot be mapped.
fn replacements(file: &SourceFile, fix: &crate::Fix) -> Option<Vec<Value>> {
    fix.edits
        .iter()
        .map(|e| {
            let (range, content) = file.file_edit(e.range, &e.content)?;
            let start = file.file_position(range.start());
            let end = file.file_position(range.end());
            Some(json!({
                "deletedRegion": { "startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column },
                "insertedContent": { "text": content },
            }))
        })
        .collect()
}

/// FNV-1a: a stable hash (no seed), so fingerprints match across runs and machines.
pub(super) fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Identifies a finding across runs even when lines move: rule, file, and the text of its line.
pub(super) fn fingerprint(d: &Diagnostic, file: &SourceFile) -> String {
    let line = file.line_index().line_of(d.primary.range.start());
    let text = &file.text[file.line_index().line_range(line, &file.text)];
    let key = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}",
        d.rule.code,
        file.display_path,
        text.trim(),
        d.message
    );
    format!("{:016x}", fnv1a(&key))
}

pub fn render_sarif(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
    tool: &SarifTool<'_>,
) -> io::Result<()> {
    let rules: Vec<Value> = tool
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.short_description },
                "fullDescription": { "text": r.full_description },
                "help": { "text": r.full_description, "markdown": r.full_description },
                "helpUri": super::rule_url(r.id),
                "defaultConfiguration": { "level": level(r.default_severity) },
            })
        })
        .collect();
    let mut seen: Vec<(String, usize)> = Vec::new();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let file = db.get(d.primary.file);
            let base = fingerprint(d, file);
            // The same finding twice on one line gets its own fingerprint.
            let count = match seen.iter_mut().find(|(k, _)| *k == base) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((base.clone(), 0));
                    0
                }
            };
            let cell = file.cell(d.primary.range.start());
            let message = super::message_with_cell(d, db);
            let mut result = json!({
                "ruleId": d.rule.code,
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_location(file),
                        "region": region(file, d.primary.range),
                    }
                }],
                "partialFingerprints": { "obolintFindingHash/v1": format!("{base}:{count}") },
            });
            if let Some(cell) = cell {
                // The cell and the row and column in it, as `json` and the editors count them.
                let at = file.position(d.primary.range.start());
                result["properties"] = json!({ "cell": cell, "cellRow": at.row, "cellColumn": at.column });
            }
            if let Some(index) = tool.rules.iter().position(|r| r.id == d.rule.code) {
                result["ruleIndex"] = json!(index);
            }
            if !d.secondary.is_empty() {
                result["relatedLocations"] = Value::Array(
                    d.secondary
                        .iter()
                        .enumerate()
                        .map(|(i, label)| {
                            let f = db.get(label.file);
                            json!({
                                "id": i,
                                "message": { "text": label.message },
                                "physicalLocation": { "artifactLocation": artifact_location(f), "region": region(f, label.range) },
                            })
                        })
                        .collect(),
                );
            }
            let target = db.get(d.fix_file());
            if let Some(fix) = &d.fix
                && let Some(replacements) = replacements(target, fix)
            {
                result["fixes"] = json!([{
                    "description": { "text": format!("{} ({})", fix.message, fix.applicability.as_str()) },
                    "artifactChanges": [{
                        "artifactLocation": artifact_location(target),
                        "replacements": replacements,
                    }],
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "obolint",
                    "version": tool.version,
                    "semanticVersion": tool.version,
                    "informationUri": tool.information_uri,
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The root of the repository (or, outside one, the folder obolint ran in)" } } },
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_paths() {
        assert_eq!(
            percent_encode_path("src/my agent/é.py"),
            "src/my%20agent/%C3%A9.py"
        );
        assert_eq!(fnv1a("obolint"), fnv1a("obolint"));
    }

    /// A backslash is a character of a name outside Windows: `a\b.py` is one file, not `b.py`
    /// in `a`.
    #[cfg(unix)]
    #[test]
    fn backslashes_are_kept_outside_windows() {
        assert_eq!(percent_encode_path("src/a\\b.py"), "src/a%5Cb.py");
        assert_eq!(forward_slashes("a\\b.py"), "a\\b.py");
    }
}
