//! `--output-format azure`: Azure Pipelines logging commands, which annotate the build.

use std::io;

use crate::{Diagnostic, Severity, SourceDb};

/// Escaping of a logging command's message (Azure's `%AZP25` for `%`, then CR and LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value (also `;` and `]`, which end a property and the command).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(';', "%3B").replace(']', "%5D")
}

pub fn render_azure(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    for d in diagnostics {
        let file = db.get(d.primary.file);
        // In a notebook: the line of the `.ipynb` file, and the cell in the message.
        let (start, _) = file.file_start_end(d.primary.range);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning | Severity::Info => "warning",
        };
        let message = super::message_with_cell(d, db);
        writeln!(
            out,
            "##vso[task.logissue type={kind};sourcepath={};linenumber={};columnnumber={};code={};]{}",
            escape_property(&file.display_path),
            start.row,
            start.column,
            d.rule.code,
            escape_data(&message),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\nnext"), "50%AZP25%0Anext");
        assert_eq!(escape_property("a;b]c"), "a%3Bb%5Dc");
    }
}
