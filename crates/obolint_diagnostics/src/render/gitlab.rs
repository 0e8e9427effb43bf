//! `--output-format gitlab`: a GitLab Code Quality report (a JSON array of Code Climate issues)
//! for the merge request widget: `description`, `check_name`, `fingerprint`, `severity`,
//! `location.path` (relative to the repository, no `./`) and `location.lines.begin`.

use std::io;

use serde_json::{Value, json};

use crate::{Diagnostic, Severity, SourceDb, SourceFile};

/// GitLab's scale is `info`, `minor`, `major`, `critical`, `blocker`: errors rank above
/// warnings, and advice stays advice.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// The path as GitLab resolves it: relative to `CI_PROJECT_DIR` (the clone, in a GitLab job),
/// else to the git repository holding it, else as shown, without a leading `./`.
fn report_path(file: &SourceFile) -> String {
    let project = std::env::var_os("CI_PROJECT_DIR")
        .map(std::path::PathBuf::from)
        .and_then(|dir| dir.canonicalize().ok());
    if let Some(relative) = project
        .as_deref()
        .and_then(|dir| file.path.strip_prefix(dir).ok())
    {
        return super::sarif::forward_slashes(&relative.to_string_lossy());
    }
    if let Some(relative) = super::sarif::repo_relative(&file.path) {
        return relative;
    }
    let shown = super::sarif::forward_slashes(&file.display_path);
    match shown.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

pub fn render_gitlab(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    // GitLab keeps one issue per fingerprint: the same finding twice on one line is counted.
    let mut seen: Vec<(String, usize)> = Vec::new();
    let issues: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let file = db.get(d.primary.file);
            let base = super::sarif::fingerprint(d, file);
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
            // In a notebook: the lines of the `.ipynb` file, and the cell in the description.
            let (start, end) = file.file_start_end(d.primary.range);
            json!({
                "type": "issue",
                "description": format!("{}: {}", d.rule.code, super::message_with_cell(d, db)),
                "check_name": d.rule.code,
                "fingerprint": format!("{:016x}", super::sarif::fnv1a(&format!("{base}:{count}"))),
                "severity": severity(d.severity),
                "categories": ["Bug Risk"],
                "location": {
                    "path": report_path(file),
                    "lines": { "begin": start.row, "end": end.row.max(start.row) },
                },
                "content": { "body": super::rule_url(d.rule.code) },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &Value::Array(issues))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn severities_keep_their_order() {
        assert_eq!(severity(Severity::Error), "major");
        assert_eq!(severity(Severity::Warning), "minor");
        assert_eq!(severity(Severity::Info), "info");
    }

    #[test]
    fn paths_lose_a_leading_dot_slash() {
        let file = SourceFile::new(
            Path::new("/nonexistent/obolint-test/agent.py").to_path_buf(),
            "./agent.py".to_string(),
            String::new(),
        );
        assert_eq!(report_path(&file), "agent.py");
    }
}
