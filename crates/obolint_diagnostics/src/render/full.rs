//! `--output-format full`: rustc/cargo style excerpts through codespan-reporting.

use std::borrow::Cow;
use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor::WriteColor};

use super::{escape_control, visible_source};
use crate::{Diagnostic, FileId, Severity, SourceDb};

/// The files as codespan sees them. `primary` is the diagnostic being rendered: in a notebook,
/// its cell joins the file name (`nb.ipynb:cell 2:13:5`) and rows count from the cell's start.
struct Db<'a> {
    db: &'a SourceDb,
    names: std::collections::HashMap<FileId, String>,
    /// Texts with control characters made visible (see [`visible_source`]), by file.
    sources: std::collections::HashMap<FileId, String>,
}

impl<'a> Files<'a> for Db<'a> {
    type FileId = FileId;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<String, FilesError> {
        Ok(self
            .names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| escape_control(&self.db.get(id).display_path).into_owned()))
    }

    fn line_number(&'a self, id: FileId, line_index: usize) -> Result<usize, FilesError> {
        Ok(self.db.get(id).display_row(line_index))
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(self
            .sources
            .get(&id)
            .map_or(self.db.get(id).text.as_str(), String::as_str))
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let offset = u32::try_from(byte_index).unwrap_or(u32::MAX);
        Ok(self.db.get(id).line_index().line_of(offset.into()))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.db.get(id);
        let count = file.line_index().line_count();
        if line_index >= count {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: count - 1,
            });
        }
        let start = usize::from(file.line_index().line_start(line_index));
        let end = if line_index + 1 < count {
            usize::from(file.line_index().line_start(line_index + 1))
        } else {
            file.text.len()
        };
        Ok(start..end)
    }
}

fn severity(s: Severity) -> CsSeverity {
    match s {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    }
}

/// Writes every diagnostic as an excerpt with labels and `help:`; the caller prints the summary.
pub fn render_full(
    out: &mut dyn WriteColor,
    diagnostics: &[Diagnostic],
    db: &SourceDb,
) -> io::Result<()> {
    // ASCII frames (`-->`, `|`), as rustc and cargo print them.
    let config = term::Config {
        chars: term::Chars::ascii(),
        ..term::Config::default()
    };
    let mut files = Db {
        db,
        names: std::collections::HashMap::new(),
        sources: std::collections::HashMap::new(),
    };
    for d in diagnostics {
        files.names.clear();
        for label in std::iter::once(&d.primary).chain(&d.secondary) {
            let file = db.get(label.file);
            if !file.cells.is_empty() {
                files.names.entry(label.file).or_insert_with(|| {
                    escape_control(&file.display_name(label.range.start())).into_owned()
                });
            }
            if !files.sources.contains_key(&label.file)
                && let Cow::Owned(visible) = visible_source(&file.text)
            {
                files.sources.insert(label.file, visible);
            }
        }
        let mut labels = vec![
            CsLabel::primary(d.primary.file, d.primary.range)
                .with_message(escape_control(&d.primary.message)),
        ];
        labels.extend(
            d.secondary.iter().map(|l| {
                CsLabel::secondary(l.file, l.range).with_message(escape_control(&l.message))
            }),
        );
        let mut notes = Vec::new();
        if let Some(help) = &d.help {
            notes.push(format!("help: {}", escape_control(help)));
        }
        if let Some(fix) = &d.fix {
            notes.push(format!(
                "fix ({}): {}",
                fix.applicability.as_str(),
                escape_control(&fix.message)
            ));
        }
        let cs = CsDiagnostic::new(severity(d.severity))
            .with_code(d.rule.code)
            .with_message(escape_control(&d.message))
            .with_labels(labels)
            .with_notes(notes);
        term::emit(out, &config, &files, &cs).map_err(|e| match e {
            FilesError::Io(io) => io,
            other => io::Error::other(other.to_string()),
        })?;
    }
    Ok(())
}

/// A stdout writer that colours only when asked to (the caller decides: terminal, `NO_COLOR`).
pub fn termcolor_stream(color: bool) -> term::termcolor::StandardStream {
    let choice = if color {
        term::termcolor::ColorChoice::Always
    } else {
        term::termcolor::ColorChoice::Never
    };
    term::termcolor::StandardStream::stdout(choice)
}

/// The `full` rendering without colour, as a string (snapshots, tests, the language server).
pub fn full_to_string(diagnostics: &[Diagnostic], db: &SourceDb) -> String {
    let mut buffer = term::termcolor::NoColor::new(Vec::new());
    // Writing into memory cannot fail.
    let _ = render_full(&mut buffer, diagnostics, db);
    String::from_utf8_lossy(&buffer.into_inner()).into_owned()
}
