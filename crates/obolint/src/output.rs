//! Writing findings in the chosen format, to the terminal or a file.

use std::io::{self, Write};
use std::process::ExitCode;

use obolint_diagnostics::render::{
    SarifRule, SarifTool, Summary, render_azure, render_concise, render_full, render_github,
    render_gitlab, render_json, render_json_lines, render_junit, render_sarif, termcolor_stream,
};
use obolint_diagnostics::{Diagnostic, SourceDb};
use obolint_linter::Rule;

use crate::args::OutputFormat;
use crate::errors::{report, tool_error};

pub const INFORMATION_URI: &str = "https://github.com/obolint/obolint";

/// The format when none is asked for: annotations inside GitHub Actions, excerpts elsewhere.
pub fn default_format() -> OutputFormat {
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        OutputFormat::Github
    } else {
        OutputFormat::Full
    }
}

fn sarif_rules() -> Vec<SarifRule> {
    Rule::ALL
        .iter()
        .map(|r| {
            let info = r.info();
            SarifRule {
                id: info.meta.code,
                name: info.meta.name,
                short_description: info.summary(),
                full_description: info.doc.trim().to_string(),
                default_severity: info.severity,
            }
        })
        .collect()
}

/// Writes `diagnostics` in `format` (machine formats; `full` goes through `write_full`).
pub fn write_machine(
    out: &mut dyn Write,
    format: OutputFormat,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    match format {
        OutputFormat::Full | OutputFormat::Concise => render_concise(out, diagnostics, db),
        OutputFormat::Json => render_json(out, diagnostics, db),
        OutputFormat::JsonLines => render_json_lines(out, diagnostics, db),
        OutputFormat::Github => render_github(out, diagnostics, db),
        OutputFormat::Junit => render_junit(out, diagnostics, db),
        OutputFormat::Azure => render_azure(out, diagnostics, db),
        OutputFormat::Gitlab => render_gitlab(out, diagnostics, db),
        OutputFormat::Sarif => {
            let rules = sarif_rules();
            let tool = SarifTool {
                version: env!("CARGO_PKG_VERSION"),
                information_uri: INFORMATION_URI,
                rules: &rules,
            };
            render_sarif(out, diagnostics, db, &tool)
        }
    }
}

/// The human formats on stdout, followed by the summary line unless quiet.
pub fn write_human(
    format: OutputFormat,
    color: bool,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
    trailer: &[String],
) -> io::Result<()> {
    if format == OutputFormat::Full {
        let mut out = termcolor_stream(color);
        render_full(&mut out, diagnostics, db)?;
        for line in trailer {
            writeln!(out, "{line}")?;
        }
        out.flush()
    } else {
        let mut out = io::stdout().lock();
        render_concise(&mut out, diagnostics, db)?;
        for line in trailer {
            writeln!(out, "{line}")?;
        }
        out.flush()
    }
}

/// `--statistics`: findings per rule, most first.
pub fn write_statistics(diagnostics: &[Diagnostic], json: bool) -> io::Result<()> {
    let mut counts: Vec<(&str, &str, usize, usize)> = Vec::new();
    for d in diagnostics {
        let fixable = usize::from(d.is_fixable());
        match counts.iter_mut().find(|(code, ..)| *code == d.rule.code) {
            Some(entry) => {
                entry.2 += 1;
                entry.3 += fixable;
            }
            None => counts.push((d.rule.code, d.rule.name, 1, fixable)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
    let mut out = io::stdout().lock();
    if json {
        let items: Vec<serde_json::Value> = counts
            .iter()
            .map(|(code, name, count, fixable)| serde_json::json!({"code": code, "name": name, "count": count, "fixable": fixable}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &items)?;
        writeln!(out)
    } else {
        for (code, name, count, fixable) in counts {
            let mark = if fixable > 0 { "[*] " } else { "" };
            writeln!(out, "{count:>5}\t{code}\t{mark}{name}")?;
        }
        Ok(())
    }
}

pub fn summary_line(diagnostics: &[Diagnostic]) -> String {
    Summary::of(diagnostics).to_string()
}

/// Writes `text` to stdout and gives `code`, or what [`write_failed`] makes of an error.
pub fn emit(text: &str, code: ExitCode) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(error) => write_failed(&error, code),
    }
}

/// The outcome of output that could not be written, the same for every subcommand: a closed
/// pipe (`obolint scopes | head -1`) is the reader's choice and keeps `code`; any other error
/// (a full disk) is a tool error, exit 2, never a panic or a silent loss.
pub fn write_failed(error: &io::Error, code: ExitCode) -> ExitCode {
    if error.kind() == io::ErrorKind::BrokenPipe {
        code
    } else {
        report(tool_error(
            format!("cannot write the output: {error}"),
            None,
        ))
    }
}
