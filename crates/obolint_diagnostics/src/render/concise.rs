//! `--output-format concise`: `path:line:col: OBO101 [error] message`, one per line.

use std::io;

use crate::{Diagnostic, SourceDb};

pub fn render_concise(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    for d in diagnostics {
        let file = db.get(d.primary.file);
        let start = file.position(d.primary.range.start());
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            file.display_name(d.primary.range.start()),
            start.row,
            start.column,
            d.rule.code,
            d.severity.as_str(),
            d.message
        )?;
    }
    Ok(())
}
