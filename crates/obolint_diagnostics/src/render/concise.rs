//! `--output-format concise`: `path:line:col: OBO101 [error] message`, one per line.

use std::io;

use super::escape_control;
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
            escape_control(&file.display_name(d.primary.range.start())),
            start.row,
            start.column,
            d.rule.code,
            d.severity.as_str(),
            escape_control(&d.message)
        )?;
    }
    Ok(())
}
