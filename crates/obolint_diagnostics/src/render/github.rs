//! `--output-format github`: GitHub Actions workflow commands, which annotate the pull request.

use std::io;

use crate::{Diagnostic, Severity, SourceDb};

/// Workflow-command escaping of a message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping of a property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render_github(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    for d in diagnostics {
        let file = db.get(d.primary.file);
        // In a notebook: the lines of the `.ipynb` file, where the annotation is shown.
        let (start, end) = file.file_start_end(d.primary.range);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&file.display_path),
            start.row,
            start.column,
            end.row,
            end.column,
            escape_property(&format!("{} ({})", d.rule.code, d.rule.name)),
            escape_data(&format!(
                "{}: {}",
                d.rule.code,
                super::message_with_cell(d, db)
            )),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
