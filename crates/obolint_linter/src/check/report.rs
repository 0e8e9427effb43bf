//! From the rules' findings to what is reported: configuration drops the rules a file disables
//! and applies severity overrides, suppression comments drop what they cover (and OBO901 reports
//! the ones that cover nothing), and findings in files that notebook cells write move into those
//! cells.

use obolint_diagnostics::{Diagnostic, FileId};
use obolint_python::notebook::WrittenFile;
use obolint_python::{ParsedSource, SourceKind};
use rayon::prelude::*;
use ruff_python_ast::Stmt;
use ruff_text_size::TextRange;
use rustc_hash::FxHashMap;

use super::sources::Sources;
use crate::config::RuleSettings;
use crate::project::Reparse;
use crate::registry::Rule;
use crate::rules::unused_suppression;
use crate::suppression;

/// Drops the findings of rules a file disables, and applies its severity overrides.
pub(super) fn apply_rule_settings(
    diagnostics: &mut Vec<Diagnostic>,
    rule_settings: &FxHashMap<FileId, RuleSettings>,
) {
    diagnostics.retain_mut(|d| {
        let (Some(rule), Some(settings)) = (
            Rule::from_code(d.rule.code),
            rule_settings.get(&d.primary.file),
        ) else {
            return true;
        };
        if !settings.is_enabled(rule) {
            return false;
        }
        let configured = settings.severity(rule);
        if configured != rule.info().severity {
            d.severity = configured;
        }
        true
    });
}

/// The files whose comments can hold suppressions, beyond parsed Python: manifests and
/// requirement files (YAML-style `#` comments).
pub(super) struct CommentFiles<'r> {
    /// Parsed Python files and notebooks, by id, with their trees (parsed again for a file
    /// whose tree was dropped, when it has a suppression comment).
    pub python: Vec<(FileId, &'r ParsedSource, Option<&'r Reparse>)>,
    pub other: Vec<FileId>,
    /// The suppression comments of the Python files whose texts were not kept, read while they
    /// were parsed.
    pub directives: &'r FxHashMap<FileId, Vec<suppression::Directive>>,
}

/// Applies every suppression comment; returns the findings by file, OBO901's included.
pub(super) fn apply_suppressions<'r>(
    diagnostics: Vec<Diagnostic>,
    sources: &Sources,
    files: &'r CommentFiles<'r>,
    rule_settings: &FxHashMap<FileId, RuleSettings>,
) -> FxHashMap<FileId, Vec<Diagnostic>> {
    let mut by_file: FxHashMap<FileId, Vec<Diagnostic>> = FxHashMap::default();
    for d in diagnostics {
        by_file.entry(d.primary.file).or_default().push(d);
    }
    let mut apply =
        |id: FileId, directives: Vec<suppression::Directive>, body: &dyn Fn() -> &'r [Stmt]| {
            if directives.is_empty() {
                return;
            }
            let Some(settings) = rule_settings.get(&id) else {
                return;
            };
            let file = sources.db.get(id);
            let enabled = |code: &str| Rule::from_code(code).map(|rule| settings.is_enabled(rule));
            let diagnostics = by_file.entry(id).or_default();
            let unused = unused_suppression::apply(
                id,
                || file.text.as_str(),
                || file.line_index(),
                body,
                &directives,
                diagnostics,
                &enabled,
            );
            diagnostics.extend(unused);
        };
    // The comments of every Python file are read in parallel (a file with a `noqa` comment
    // needs its line index, a pass over its text); they are applied in file order.
    let directives: Vec<Vec<suppression::Directive>> = files
        .python
        .par_iter()
        .map(|&(id, source, _)| {
            // Read while the file was parsed, if its text was not kept.
            if let Some(directives) = files.directives.get(&id) {
                return directives.clone();
            }
            // A check's parse keeps the comments of a file that says `noqa` somewhere, and no
            // other's: a file without them has no directive.
            if source.comments.is_empty() {
                return Vec::new();
            }
            let file = sources.db.get(id);
            let text = &file.text;
            // In a Databricks notebook, `# MAGIC` lines are another cell's code (a `%%writefile`
            // cell's, checked as the file it writes): their `# noqa` belong to that file.
            let comments: Vec<TextRange> = if source.kind == SourceKind::DatabricksNotebook {
                source
                    .comments
                    .iter()
                    .copied()
                    .filter(|c| !text[*c].starts_with("# MAGIC"))
                    .collect()
            } else {
                source.comments.clone()
            };
            suppression::directives(text, &comments)
        })
        .collect();
    for (&(id, source, reparse), directives) in files.python.iter().zip(directives) {
        // The tree is read only when the file has a directive.
        if directives.is_empty() {
            continue;
        }
        apply(id, directives, &|| {
            reparse.map_or(source.body(), Reparse::body)
        });
    }
    for &id in &files.other {
        let text = &sources.db.get(id).text;
        let comments = suppression::yaml_comments(text);
        let directives = suppression::directives(text, &comments);
        apply(id, directives, &|| &[]);
    }
    by_file
}

/// Moves what was found in the files that notebooks write into the notebooks' cells.
pub(super) fn into_notebooks(
    by_file: FxHashMap<FileId, Vec<Diagnostic>>,
    sources: &Sources,
) -> Vec<Diagnostic> {
    let written: FxHashMap<FileId, (FileId, &WrittenFile)> = sources
        .written
        .iter()
        .map(|(id, (notebook, file))| (*id, (*notebook, file)))
        .collect();
    let mut out = Vec::new();
    for (_, mut diagnostics) in by_file {
        if !written.is_empty() {
            for d in &mut diagnostics {
                to_notebook(d, &written);
            }
        }
        out.extend(diagnostics);
    }
    out
}

/// Moves a diagnostic found in a file written by a notebook cell into that cell: its labels,
/// and its fix's edits (see `WrittenFile::edit_to_notebook`); a fix that cannot be mapped is
/// dropped.
fn to_notebook(d: &mut Diagnostic, written: &FxHashMap<FileId, (FileId, &WrittenFile)>) {
    let fix_file = d.fix_file();
    if let Some((notebook, file)) = written.get(&fix_file)
        && let Some(fix) = &mut d.fix
    {
        if fix.file.is_some() {
            fix.file = Some(*notebook);
        }
        let mapped: Option<Vec<(TextRange, String)>> = fix
            .edits
            .iter()
            .map(|edit| file.edit_to_notebook(edit.range, &edit.content))
            .collect();
        match mapped {
            Some(mapped) => {
                for (edit, (range, content)) in fix.edits.iter_mut().zip(mapped) {
                    edit.range = range;
                    edit.content = content;
                }
            }
            None => d.fix = None,
        }
    }
    let labels = std::iter::once(&mut d.primary).chain(d.secondary.iter_mut());
    for label in labels {
        if let Some((notebook, file)) = written.get(&label.file) {
            label.file = *notebook;
            label.range = file.range_to_notebook(label.range);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use obolint_diagnostics::{Label, Severity};
    use obolint_python::parse_source;
    use ruff_text_size::TextSize;

    use super::*;
    use crate::config::CliOverrides;

    fn finding(rule: Rule, file: FileId, at: u32) -> Diagnostic {
        let info = rule.info();
        Diagnostic::new(
            info.meta,
            info.severity,
            "found",
            Label::new(file, TextRange::empty(TextSize::new(at)), "here"),
        )
    }

    #[test]
    fn settings_drop_disabled_rules_and_override_severity() {
        let file = FileId(0);
        let cli = CliOverrides {
            ignore: vec![crate::config::Selector::parse("OBO201").expect("selector")],
            ..CliOverrides::default()
        };
        let settings: FxHashMap<FileId, RuleSettings> =
            [(file, RuleSettings::resolve(None, &cli, None))]
                .into_iter()
                .collect();
        let mut found = vec![
            finding(Rule::GenieWithoutUserClient, file, 0),
            finding(Rule::UserClientAtLoadTime, file, 0),
        ];
        apply_rule_settings(&mut found, &settings);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule.code, "OBO101");
        assert_eq!(found[0].severity, Severity::Error);
    }

    #[test]
    fn noqa_drops_the_finding_and_an_unused_one_is_obo901() {
        let mut sources = Sources::new(Path::new("/p").to_path_buf());
        let text = "import mlflow\nx = 1  # noqa: OBO101\ny = 2  # noqa: OBO201\n";
        let id = sources.add_file(Path::new("/p/a.py"), text.to_string());
        let parsed = parse_source(text, SourceKind::Python);
        let settings: FxHashMap<FileId, RuleSettings> = [(
            id,
            RuleSettings::resolve(None, &CliOverrides::default(), None),
        )]
        .into_iter()
        .collect();
        let none = FxHashMap::default();
        let files = CommentFiles {
            python: vec![(id, &parsed, None)],
            other: Vec::new(),
            directives: &none,
        };
        let found = vec![finding(Rule::UserClientAtLoadTime, id, 14)];
        let by_file = apply_suppressions(found, &sources, &files, &settings);
        let codes: Vec<&str> = by_file[&id].iter().map(|d| d.rule.code).collect();
        assert_eq!(codes, ["OBO901"]);
    }

    /// A file whose tree was dropped is parsed again for its suppressions only when one of its
    /// findings needs the statement it is in: a `noqa` of another tool's codes needs nothing.
    #[test]
    fn a_dropped_tree_is_parsed_again_only_for_a_finding_under_a_noqa() {
        let mut sources = Sources::new(Path::new("/p").to_path_buf());
        let text = "import mlflow\nx = (1,\n  2)  # noqa: OBO101, E501\n";
        let quiet = sources.add_file(Path::new("/p/quiet.py"), text.to_string());
        let found = sources.add_file(Path::new("/p/found.py"), text.to_string());
        let mut dropped = parse_source(text, SourceKind::Python);
        dropped.keep_only(Vec::new());
        let directives: FxHashMap<FileId, Vec<suppression::Directive>> = [quiet, found]
            .into_iter()
            .map(|id| {
                let parsed = parse_source(text, SourceKind::Python);
                (id, suppression::directives(text, &parsed.comments))
            })
            .collect();
        let settings: FxHashMap<FileId, RuleSettings> = [quiet, found]
            .into_iter()
            .map(|id| {
                (
                    id,
                    RuleSettings::resolve(None, &CliOverrides::default(), None),
                )
            })
            .collect();
        let reparse = |id| (id, Reparse::new(text.to_string(), SourceKind::Python));
        let (quiet_text, found_text) = (reparse(quiet), reparse(found));
        let files = CommentFiles {
            python: vec![
                (quiet, &dropped, Some(&quiet_text.1)),
                (found, &dropped, Some(&found_text.1)),
            ],
            other: Vec::new(),
            directives: &directives,
        };
        // A finding on the statement's first line, hidden by the `noqa` on its last.
        let by_file = apply_suppressions(
            vec![finding(Rule::UserClientAtLoadTime, found, 14)],
            &sources,
            &files,
            &settings,
        );
        assert!(by_file[&found].is_empty(), "{:?}", by_file[&found]);
        assert!(found_text.1.was_parsed());
        let codes: Vec<&str> = by_file[&quiet].iter().map(|d| d.rule.code).collect();
        assert_eq!(codes, ["OBO901"]);
        assert!(!quiet_text.1.was_parsed());
    }

    #[test]
    fn findings_in_a_written_file_move_into_the_notebook_cell() {
        let dir = tempfile::tempdir().expect("tempdir");
        let notebook = dir.path().join("nb.ipynb");
        std::fs::write(
            &notebook,
            r#"{"cells": [{"cell_type": "code", "source": ["%%writefile agent.py\n", "import mlflow\n"], "metadata": {}, "outputs": [], "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#,
        )
        .expect("write");
        let found = crate::discover::Discovered {
            python: vec![notebook],
            ..Default::default()
        };
        let (sources, loaded) = super::super::load::load_for_test(dir.path(), &found);
        let (written, notebook_id) = sources
            .written
            .iter()
            .next()
            .map(|(id, (notebook, _))| (*id, *notebook))
            .expect("the written file");
        drop(loaded);
        let by_file: FxHashMap<FileId, Vec<Diagnostic>> = [(
            written,
            vec![finding(Rule::UserClientAtLoadTime, written, 0)],
        )]
        .into_iter()
        .collect();
        let moved = into_notebooks(by_file, &sources);
        assert_eq!(moved.len(), 1);
        assert_eq!(
            moved[0].primary.file, notebook_id,
            "reported in the notebook"
        );
        let text = &sources.db.get(notebook_id).text;
        assert!(
            usize::from(moved[0].primary.range.end()) <= text.len(),
            "a range of the notebook"
        );
    }

    #[test]
    fn a_blanket_noqa_does_not_hide_obo900() {
        let mut sources = Sources::new(Path::new("/p").to_path_buf());
        let text = "import mlflow  # noqa\nx = = 1  # noqa\ny = 2  # obolint: noqa\nz = 3  # noqa: OBO900\n";
        let id = sources.add_file(Path::new("/p/a.py"), text.to_string());
        let parsed = parse_source(text, SourceKind::Python);
        let settings: FxHashMap<FileId, RuleSettings> = [(
            id,
            RuleSettings::resolve(None, &CliOverrides::default(), None),
        )]
        .into_iter()
        .collect();
        let none = FxHashMap::default();
        let files = CommentFiles {
            python: vec![(id, &parsed, None)],
            other: Vec::new(),
            directives: &none,
        };
        // OBO900 on line 1 and line 2 (blanket `# noqa`, and a blanket file-level one), on
        // line 4 (`# noqa: OBO900`: asked for by name, so dropped); OBO101 on line 1 is dropped.
        let found = vec![
            finding(Rule::SyntaxError, id, 0),
            finding(Rule::SyntaxError, id, 22),
            finding(Rule::SyntaxError, id, 61),
            finding(Rule::UserClientAtLoadTime, id, 0),
        ];
        let by_file = apply_suppressions(found, &sources, &files, &settings);
        let codes: Vec<&str> = by_file[&id].iter().map(|d| d.rule.code).collect();
        assert_eq!(codes, ["OBO900", "OBO900"], "{:?}", by_file[&id]);
    }
}
