//! `--output-format junit`: one test case per finding, grouped by file, for CI test reports.

use std::collections::BTreeMap;
use std::io;

use crate::{Diagnostic, SourceDb};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render_junit(
    out: &mut dyn io::Write,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    let mut by_file: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        by_file
            .entry(db.get(d.primary.file).display_path.as_str())
            .or_default()
            .push(d);
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let total = diagnostics.len().max(1);
    writeln!(
        out,
        r#"<testsuites name="obolint" tests="{total}" failures="{}">"#,
        diagnostics.len()
    )?;
    if diagnostics.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="obolint" tests="1" failures="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="no findings" classname="obolint"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for (path, findings) in by_file {
        let path = escape(path);
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{n}" failures="{n}">"#,
            n = findings.len()
        )?;
        for d in findings {
            let file = db.get(d.primary.file);
            // The line of the file on disk (of its JSON, in a notebook), and the cell.
            let (start, _) = file.file_start_end(d.primary.range);
            let message = super::message_with_cell(d, db);
            writeln!(
                out,
                r#"    <testcase name="{code} {name}" classname="{path}" file="{path}" line="{row}">"#,
                code = d.rule.code,
                name = d.rule.name,
                row = start.row,
            )?;
            writeln!(
                out,
                r#"      <failure message="{message}" type="{severity}">{path}:{row}:{column}: {code} {message}</failure>"#,
                message = escape(&message),
                severity = d.severity.as_str(),
                row = start.row,
                column = start.column,
                code = d.rule.code,
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_xml() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
