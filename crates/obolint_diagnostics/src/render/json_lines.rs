//! `--output-format json-lines`: the JSON objects of `json`, one per line.

use std::io;

use crate::{Diagnostic, SourceDb};

pub fn render_json_lines(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    for item in super::to_json_diagnostics(diagnostics, db) {
        serde_json::to_writer(&mut *out, &item)?;
        writeln!(out)?;
    }
    Ok(())
}
