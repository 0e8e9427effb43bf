//! `--add-noqa` (Ruff's flag of that name): a `# noqa: CODE` comment for each reported finding, on
//! the line where the suppression takes effect (the CLI contract "Suppressions"). Codes join an
//! existing `# noqa: ...` list on that line (Ruff's codes in it stay); other comments on the line
//! (`# type: ignore`) stay and the directive goes after them. Running it twice adds nothing the
//! second time: a suppressed finding is no longer reported.
//!
//! Like [`super::fix`], nothing is written here: the caller writes each [`FixedFile`] with
//! [`super::write_fixed`] (atomically, refusing a file that changed since it was read).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use obolint_diagnostics::{Diagnostic, Edit, FileId, LineIndex, SourceFile};
use obolint_python::notebook::{notebook_text, read_ipynb, rewrite_ipynb};
use obolint_python::{ParsedSource, detect_kind, parse_notebook, parse_source};
use ruff_text_size::{TextRange, TextSize};

use super::{FixedFile, apply_edits};
use crate::check::{CheckError, CheckRequest, check};
use crate::registry::Rule;
use crate::rules::unused_suppression::statement_last_line;
use crate::suppression::{self, Directive};

/// What `--add-noqa` would write.
#[derive(Debug)]
pub struct NoqaOutcome {
    /// The files that change, with their new text.
    pub files: Vec<FixedFile>,
    /// Codes added, over every file.
    pub added: usize,
    /// Findings no comment could be put against (a line inside a multi-line string with no line
    /// of the statement that takes a comment, a malformed `# noqa` already on the line), and
    /// files left as they were, each with why.
    pub skipped: Vec<String>,
}

/// Codes `--add-noqa` never adds: a file that does not parse is not silenced line by line
/// (only `# noqa: OBO900`, written by a person, hides it), and a suppression that suppresses
/// nothing is removed, not suppressed.
fn never_added(code: &str) -> bool {
    code == Rule::SyntaxError.code() || code == Rule::UnusedSuppression.code()
}

pub fn add_noqa(request: &CheckRequest) -> Result<NoqaOutcome, CheckError> {
    let roots = crate::check::project_roots(request)?;
    let report = check(request)?;
    let mut by_file: BTreeMap<FileId, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        if !never_added(d.rule.code) {
            by_file.entry(d.primary.file).or_default().push(d);
        }
    }
    let mut skipped = Vec::new();
    let mut plans = Vec::new();
    for (id, diagnostics) in by_file {
        if let Some(plan) = plan_file(report.db.get(id), &diagnostics, request, &mut skipped) {
            plans.push(plan);
        }
    }

    // Where a comment is not read as one (an IPython `%pip` line, a `# MAGIC` line of a
    // Databricks notebook that is not another file's code), or is read but does not reach the
    // finding, the check of the commented text still reports it: that line's comment is not
    // added, so the run is idempotent and adds nothing that suppresses nothing.
    let mut trial = request.clone();
    trial.cache = None;
    for plan in &plans {
        if let Some(text) = plan.layout.apply(&plan.edits()) {
            trial.sources.insert(plan.path.clone(), text);
        }
    }
    let after = check(&trial)?;
    let mut still: BTreeSet<(&std::path::Path, &str, usize)> = BTreeSet::new();
    for d in &after.diagnostics {
        let file = after.db.get(d.primary.file);
        still.insert((
            file.path.as_path(),
            d.rule.code,
            file.line_index().line_of(d.primary.range.start()),
        ));
    }

    let mut outcome = NoqaOutcome {
        files: Vec::new(),
        added: 0,
        skipped,
    };
    for mut plan in plans {
        plan.lines.retain(|planned| {
            let reported = planned
                .findings
                .iter()
                .find(|(code, line)| still.contains(&(plan.path.as_path(), *code, *line)));
            match reported {
                Some((code, _)) => {
                    outcome.skipped.push(format!(
                        "{}: a `# noqa` comment there would not suppress `{code}`; not added",
                        planned.place
                    ));
                    false
                }
                None => true,
            }
        });
        if plan.lines.is_empty() {
            continue;
        }
        let Some(fixed) = plan.layout.apply(&plan.edits()) else {
            continue;
        };
        let added: usize = plan.lines.iter().map(|l| l.added).sum();
        outcome.added += added;
        outcome.files.push(FixedFile {
            root: roots
                .iter()
                .filter(|r| plan.path.starts_with(r))
                .max_by_key(|r| r.as_os_str().len())
                .cloned()
                .unwrap_or_default(),
            path: plan.path,
            display_path: plan.display_path,
            original: plan.layout.stored,
            fixed,
            applied: added,
            rules: Vec::new(),
        });
    }
    Ok(outcome)
}

/// The comments planned for one file.
struct FilePlan {
    path: PathBuf,
    display_path: String,
    layout: FileLayout,
    lines: Vec<PlannedLine>,
}

impl FilePlan {
    fn edits(&self) -> Vec<Edit> {
        self.lines.iter().map(|l| l.edit.clone()).collect()
    }
}

/// One line's new or extended `# noqa:` comment.
struct PlannedLine {
    /// The line as messages name it (`path:row`, `path:cell N:row`).
    place: String,
    edit: Edit,
    /// Codes it adds.
    added: usize,
    /// The findings it is for: code and 0-based line where each starts.
    findings: Vec<(&'static str, usize)>,
}

fn plan_file(
    file: &SourceFile,
    diagnostics: &[&Diagnostic],
    request: &CheckRequest,
    skipped: &mut Vec<String>,
) -> Option<FilePlan> {
    let Some(layout) = FileLayout::read(file, request) else {
        skipped.push(format!(
            "{}: cannot be read again; no `# noqa` added",
            file.display_path
        ));
        return None;
    };
    let lines = LineIndex::new(&layout.text);
    let mut wanted: BTreeMap<usize, Vec<(&'static str, usize)>> = BTreeMap::new();
    for d in diagnostics {
        let start = lines.line_of(d.primary.range.start());
        match layout.comment_line(&lines, d.primary.range.start()) {
            Some(line) => wanted.entry(line).or_default().push((d.rule.code, start)),
            None => skipped.push(format!(
                "{}: no line of the statement can take a comment; `# noqa: {}` not added",
                place(file, start),
                d.rule.code
            )),
        }
    }
    let directives = suppression::directives(&layout.text, &layout.comments);
    let mut planned = Vec::new();
    for (line, findings) in wanted {
        let codes: BTreeSet<&'static str> = findings.iter().map(|(code, _)| *code).collect();
        match noqa_edit(&layout.text, &lines, &directives, line, &codes) {
            Ok(Some((edit, added))) => planned.push(PlannedLine {
                place: place(file, line),
                edit,
                added,
                findings,
            }),
            Ok(None) => {}
            Err(why) => skipped.push(format!("{}: {why}", place(file, line))),
        }
    }
    if planned.is_empty() {
        return None;
    }
    let plan = FilePlan {
        path: file.path.clone(),
        display_path: file.display_path.clone(),
        layout,
        lines: planned,
    };
    let broken = match plan.layout.apply(&plan.edits()) {
        None => Some("the comments cannot be written into the notebook"),
        Some(fixed)
            if plan.layout.syntax_errors(&fixed)
                > plan.layout.syntax_errors(&plan.layout.stored) =>
        {
            Some("the comments would leave the file unparseable")
        }
        Some(_) => None,
    };
    if let Some(why) = broken {
        skipped.push(format!("{}: {why}; no `# noqa` added", file.display_path));
        return None;
    }
    Some(plan)
}

/// `path:row` of a 0-based line, `path:cell N:row` in a notebook.
fn place(file: &SourceFile, line: usize) -> String {
    format!(
        "{}:{}",
        file.display_name(file.line_index().line_start(line)),
        file.display_row(line)
    )
}

/// The edit that makes `line` suppress `codes`, and how many codes it adds; `Err` says why the
/// line cannot take them.
fn noqa_edit(
    text: &str,
    lines: &LineIndex,
    directives: &[Directive],
    line: usize,
    codes: &BTreeSet<&'static str>,
) -> Result<Option<(Edit, usize)>, String> {
    let existing = directives.iter().find(|d| d.line == line && !d.file_level);
    if let Some(directive) = existing {
        if directive.malformed {
            return Err(format!(
                "the `# noqa` on this line lists no code obolint can read; `{}` not added (fix the comment first)",
                codes.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        let Some(present) = &directive.codes else {
            // A bare `# noqa` already covers every code.
            return Ok(None);
        };
        let new: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|c| !present.iter().any(|p| p.code == *c))
            .collect();
        if new.is_empty() {
            return Ok(None);
        }
        return Ok(Some((
            Edit {
                range: TextRange::empty(directive.directive.end()),
                content: format!(", {}", new.join(", ")),
            },
            new.len(),
        )));
    }
    let range = lines.line_range(line, text);
    let content = &text[range];
    let kept = content.trim_end();
    let start = range.start() + TextSize::of(kept);
    let separator = if kept.is_empty() { "" } else { "  " };
    Ok(Some((
        Edit {
            // The trailing white space goes: the comment takes its place.
            range: TextRange::new(start, range.end()),
            content: format!(
                "{separator}# noqa: {}",
                codes.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        },
        codes.len(),
    )))
}

/// A file as `--add-noqa` edits it: the text findings point into (a notebook's cells joined),
/// what is stored on disk (a notebook's JSON), and where comments are.
struct FileLayout {
    text: String,
    stored: String,
    notebook: bool,
    /// `None` for manifests and requirement files (YAML-style comments, any line takes one).
    parsed: Option<ParsedSource>,
    comments: Vec<TextRange>,
}

impl FileLayout {
    fn read(file: &SourceFile, request: &CheckRequest) -> Option<FileLayout> {
        let extension = file.path.extension().and_then(|e| e.to_str());
        let stored = request.sources.get(&file.path).cloned().or_else(|| {
            match (extension, &file.notebook_json) {
                (Some("ipynb"), Some(json)) => Some(json.json.clone()),
                (Some("ipynb"), None) => std::fs::read_to_string(&file.path).ok(),
                _ => Some(file.text.to_string()),
            }
        })?;
        match extension {
            Some("ipynb") => {
                let layout = notebook_text(&read_ipynb(&stored).ok()?);
                // The findings' offsets are those of the text the check read.
                (layout.text == *file.text).then_some(())?;
                let parsed = parse_notebook(&layout);
                Some(FileLayout {
                    comments: parsed.comments.clone(),
                    text: layout.text,
                    stored,
                    notebook: true,
                    parsed: Some(parsed),
                })
            }
            Some("py") => {
                (stored == *file.text).then_some(())?;
                let parsed = parse_source(&stored, detect_kind(&stored));
                Some(FileLayout {
                    comments: parsed.comments.clone(),
                    text: stored.clone(),
                    stored,
                    notebook: false,
                    parsed: Some(parsed),
                })
            }
            _ => {
                (stored == *file.text).then_some(())?;
                Some(FileLayout {
                    comments: suppression::yaml_comments(&stored),
                    text: stored.clone(),
                    stored,
                    notebook: false,
                    parsed: None,
                })
            }
        }
    }

    /// The 0-based line whose comment suppresses a finding starting at `offset`: its own line,
    /// or, when that line cannot take a comment (it ends inside a multi-line string, or with a
    /// `\` continuation), the last line of its logical statement.
    fn comment_line(&self, lines: &LineIndex, offset: TextSize) -> Option<usize> {
        let start = lines.line_of(offset);
        let Some(parsed) = &self.parsed else {
            return Some(start);
        };
        if self.takes_comment(parsed, lines, start) {
            return Some(start);
        }
        let end = statement_last_line(parsed.body(), offset, lines)?;
        (end != start && self.takes_comment(parsed, lines, end)).then_some(end)
    }

    fn takes_comment(&self, parsed: &ParsedSource, lines: &LineIndex, line: usize) -> bool {
        let range = lines.line_range(line, &self.text);
        let end = range.end();
        let tokens = &parsed.multiline_tokens;
        let before = tokens.partition_point(|t| t.start() < end);
        let in_string = before > 0 && tokens[before - 1].end() > end;
        // Comments are tokens too, in source order: the first that starts on the line is the
        // one to look at (a search of all of them per finding was quadratic in a `%%writefile`
        // cell of thousands of `# MAGIC` lines).
        let comments = &parsed.comments;
        let first = comments.partition_point(|c| c.start() < range.start());
        let has_comment = comments
            .get(first)
            .is_some_and(|c| range.contains_range(*c));
        !in_string && (has_comment || !self.text[range].trim_end().ends_with('\\'))
    }

    /// The stored text with `edits` (in [`Self::text`]'s offsets) made.
    fn apply(&self, edits: &[Edit]) -> Option<String> {
        if self.notebook {
            let pairs: Vec<(TextRange, String)> =
                edits.iter().map(|e| (e.range, e.content.clone())).collect();
            rewrite_ipynb(&self.stored, &pairs).ok()
        } else {
            Some(apply_edits(&self.stored, edits))
        }
    }

    fn syntax_errors(&self, stored: &str) -> usize {
        match (&self.parsed, self.notebook) {
            (None, _) => 0,
            (Some(_), true) => read_ipynb(stored).map_or(usize::MAX, |cells| {
                parse_notebook(&notebook_text(&cells)).syntax_errors.len()
            }),
            (Some(_), false) => parse_source(stored, detect_kind(stored))
                .syntax_errors
                .len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives_of(text: &str) -> Vec<Directive> {
        let parsed = parse_source(text, detect_kind(text));
        suppression::directives(text, &parsed.comments)
    }

    fn edit_line(text: &str, line: usize, codes: &[&'static str]) -> String {
        let lines = LineIndex::new(text);
        let directives = directives_of(text);
        let codes: BTreeSet<&'static str> = codes.iter().copied().collect();
        match noqa_edit(text, &lines, &directives, line, &codes) {
            Ok(Some((edit, _))) => apply_edits(text, &[edit]),
            Ok(None) => text.to_string(),
            Err(why) => format!("error: {why}"),
        }
    }

    #[test]
    fn appends_a_comment_or_joins_the_existing_list() {
        assert_eq!(
            edit_line("x = f()   \ny = 2\n", 0, &["OBO101"]),
            "x = f()  # noqa: OBO101\ny = 2\n"
        );
        // Ruff's code stays, and the reason stays after the list.
        assert_eq!(
            edit_line("x = f()  # noqa: E501 -- long\n", 0, &["OBO101"]),
            "x = f()  # noqa: E501, OBO101 -- long\n"
        );
        // Other tools' comments stay; the directive goes after them.
        assert_eq!(
            edit_line("x = f()  # type: ignore\n", 0, &["OBO101", "OBO201"]),
            "x = f()  # type: ignore  # noqa: OBO101, OBO201\n"
        );
        // Already there, or covered by a bare `# noqa`: nothing changes.
        assert_eq!(
            edit_line("x = f()  # noqa: OBO101\n", 0, &["OBO101"]),
            "x = f()  # noqa: OBO101\n"
        );
        assert_eq!(
            edit_line("x = f()  # noqa\n", 0, &["OBO101"]),
            "x = f()  # noqa\n"
        );
        assert!(edit_line("x = f()  # noqa: obo101\n", 0, &["OBO101"]).starts_with("error: "));
        // The last line, without a line break.
        assert_eq!(
            edit_line("x = f()", 0, &["OBO101"]),
            "x = f()  # noqa: OBO101"
        );
    }

    #[test]
    fn a_line_inside_a_string_or_continued_moves_to_the_statement_end() {
        let text = "x = f('''a\nb''', g())\ny = h(1, \\\n  2)\nz = i(\n  3)\n";
        let parsed = parse_source(text, detect_kind(text));
        let layout = FileLayout {
            text: text.to_string(),
            stored: text.to_string(),
            notebook: false,
            comments: parsed.comments.clone(),
            parsed: Some(parsed),
        };
        let lines = LineIndex::new(text);
        let at = |needle: &str| TextSize::new(text.find(needle).unwrap() as u32);
        // `f(` starts on a line that ends inside the string: the comment goes after `)`.
        assert_eq!(layout.comment_line(&lines, at("f(")), Some(1));
        // A `\` continuation cannot take a comment.
        assert_eq!(layout.comment_line(&lines, at("h(")), Some(3));
        // An open parenthesis can.
        assert_eq!(layout.comment_line(&lines, at("i(")), Some(4));
    }
}
