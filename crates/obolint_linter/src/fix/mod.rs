//! Applying fixes (`cli.md` "Fixes"): safe fixes with `--fix`, unsafe ones too with
//! `--unsafe-fixes`, display-only never. Fixes are applied in memory and the project is checked
//! again until nothing changes (at most [`MAX_ROUNDS`] times); a fix that would leave a file
//! unparseable is dropped and reported. Nothing is written here: the caller writes the result
//! with [`write_atomically`] or shows it as a diff.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use obolint_diagnostics::{Applicability, Diagnostic, Edit};
use obolint_python::notebook::{notebook_text, read_ipynb, rewrite_ipynb};
use obolint_python::{detect_kind, parse_notebook, parse_source};
use ruff_text_size::TextRange;
use rustc_hash::FxHashSet;

use crate::check::{CheckError, CheckReport, CheckRequest, check};

/// Enough for chains of fixes that enable each other; a fix that keeps producing new edits is a
/// bug in a rule, and stops here instead of looping forever.
pub const MAX_ROUNDS: usize = 10;

#[derive(Debug)]
pub struct FixedFile {
    pub path: PathBuf,
    pub display_path: String,
    pub original: String,
    pub fixed: String,
    /// Fixes applied to it, over every round.
    pub applied: usize,
}

#[derive(Debug)]
pub struct FixOutcome {
    /// The check of the fixed project: what remains.
    pub report: CheckReport,
    pub files: Vec<FixedFile>,
    /// Fixes that were not applied because the result did not parse.
    pub dropped: Vec<String>,
    pub rounds: usize,
    /// `false` when [`MAX_ROUNDS`] were not enough.
    pub converged: bool,
}

impl FixOutcome {
    pub fn applied(&self) -> usize {
        self.files.iter().map(|f| f.applied).sum()
    }
}

pub fn is_applicable(diagnostic: &Diagnostic, unsafe_fixes: bool) -> bool {
    match diagnostic.fix.as_ref().map(|f| f.applicability) {
        Some(Applicability::Safe) => true,
        Some(Applicability::Unsafe) => unsafe_fixes,
        _ => false,
    }
}

/// Applies `edits` (non-overlapping) to `text`.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    for edit in sorted {
        let start = usize::from(edit.range.start());
        if start < last {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push_str(&edit.content);
        last = usize::from(edit.range.end());
    }
    out.push_str(&text[last.min(text.len())..]);
    out
}

/// Two edits conflict when they share a byte, when both insert at one point, or when one inserts
/// strictly inside the other's range.
fn overlaps(a: TextRange, b: TextRange) -> bool {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => a.start() == b.start(),
        (true, false) => b.start() < a.start() && a.start() < b.end(),
        (false, true) => a.start() < b.start() && b.start() < a.end(),
        (false, false) => a.start() < b.end() && b.start() < a.end(),
    }
}

pub fn fix(request: &CheckRequest, unsafe_fixes: bool) -> Result<FixOutcome, CheckError> {
    // Re-parsing fixed files builds (and drops) syntax trees: on the big-stack workers, as in
    // `check`, so deeply nested files cannot overflow the main thread's stack.
    match rayon::ThreadPoolBuilder::new()
        .stack_size(crate::check::WORKER_STACK)
        .build()
    {
        Ok(pool) => pool.install(|| fix_in_pool(request, unsafe_fixes)),
        Err(_) => fix_in_pool(request, unsafe_fixes),
    }
}

fn fix_in_pool(request: &CheckRequest, unsafe_fixes: bool) -> Result<FixOutcome, CheckError> {
    let mut request = request.clone();
    let mut files: BTreeMap<PathBuf, FixedFile> = BTreeMap::new();
    let mut dropped = Vec::new();
    let mut rejected: FxHashSet<(PathBuf, &'static str, String)> = FxHashSet::default();
    let mut rounds = 0;
    loop {
        let report = check(&request)?;
        if rounds == MAX_ROUNDS {
            return Ok(outcome(report, files, dropped, rounds, false));
        }
        let mut changed = false;
        let mut ids: Vec<_> = report.diagnostics.iter().map(|d| d.primary.file).collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let file = report.db.get(id);
            let mut accepted: Vec<&Diagnostic> = Vec::new();
            let mut taken: Vec<TextRange> = Vec::new();
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.primary.file == id && is_applicable(d, unsafe_fixes))
            {
                let Some(fix) = &d.fix else { continue };
                if rejected.contains(&(file.path.clone(), d.rule.code, fix.message.clone())) {
                    continue;
                }
                if fix
                    .edits
                    .iter()
                    .any(|e| taken.iter().any(|t| overlaps(*t, e.range)))
                {
                    continue;
                }
                taken.extend(fix.edits.iter().map(|e| e.range));
                accepted.push(d);
            }
            if accepted.is_empty() {
                continue;
            }
            let edits: Vec<Edit> = accepted
                .iter()
                .flat_map(|d| d.fix.iter().flat_map(|f| f.edits.iter().cloned()))
                .collect();
            // A notebook is checked as its cells' text but stored as JSON: the edits go into
            // the cells they touch, and the file's text becomes the new JSON.
            let is_notebook = file.path.extension().is_some_and(|e| e == "ipynb");
            let (current, fixed) = if is_notebook {
                let Some(json) = request
                    .sources
                    .get(&file.path)
                    .cloned()
                    .or_else(|| std::fs::read_to_string(&file.path).ok())
                else {
                    continue;
                };
                let pairs: Vec<(TextRange, String)> =
                    edits.iter().map(|e| (e.range, e.content.clone())).collect();
                match rewrite_ipynb(&json, &pairs) {
                    Ok(fixed) => (json, fixed),
                    Err(error) => {
                        for d in &accepted {
                            let message = d
                                .fix
                                .as_ref()
                                .map_or_else(String::new, |f| f.message.clone());
                            dropped.push(format!(
                                "{}: the fix for {} (\"{message}\") cannot be written into the notebook ({}); not applied",
                                file.display_path, d.rule.code, error.message
                            ));
                            rejected.insert((file.path.clone(), d.rule.code, message));
                        }
                        continue;
                    }
                }
            } else {
                (file.text.clone(), apply_edits(&file.text, &edits))
            };
            if fixed == current {
                continue;
            }
            let errors = |text: &str| {
                if is_notebook {
                    read_ipynb(text).map_or(usize::MAX, |cells| {
                        parse_notebook(&notebook_text(&cells)).syntax_errors.len()
                    })
                } else {
                    parse_source(text, detect_kind(text)).syntax_errors.len()
                }
            };
            let errors_before = errors(&current);
            let errors_after = errors(&fixed);
            if errors_after > errors_before {
                for d in &accepted {
                    let message = d
                        .fix
                        .as_ref()
                        .map_or_else(String::new, |f| f.message.clone());
                    dropped.push(format!("{}: the fix for {} (\"{message}\") would leave the file unparseable; not applied", file.display_path, d.rule.code));
                    rejected.insert((file.path.clone(), d.rule.code, message));
                }
                continue;
            }
            let entry = files.entry(file.path.clone()).or_insert_with(|| FixedFile {
                path: file.path.clone(),
                display_path: file.display_path.clone(),
                original: current.clone(),
                fixed: String::new(),
                applied: 0,
            });
            entry.fixed.clone_from(&fixed);
            entry.applied += accepted.len();
            request.sources.insert(file.path.clone(), fixed);
            changed = true;
        }
        if !changed {
            return Ok(outcome(report, files, dropped, rounds, true));
        }
        rounds += 1;
    }
}

fn outcome(
    report: CheckReport,
    files: BTreeMap<PathBuf, FixedFile>,
    dropped: Vec<String>,
    rounds: usize,
    converged: bool,
) -> FixOutcome {
    let files = files
        .into_values()
        .filter(|f| f.fixed != f.original)
        .collect();
    FixOutcome {
        report,
        files,
        dropped,
        rounds,
        converged,
    }
}

/// Replaces `path`'s content with `contents` atomically: a temporary file in the same folder,
/// flushed, given the original's permissions, then renamed over it. Readers see the old file or
/// the new one, never a half-written one. A symbolic link is followed (the link stays); a file
/// with several hard links gets a new inode, so the other links keep the old content.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    // Through a symbolic link, the file it points to is the one to replace: the link stays.
    let resolved = std::fs::canonicalize(path)?;
    let path = resolved.as_path();
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.obolint-{}.tmp", std::process::id()));
    let permissions = std::fs::metadata(path)?.permissions();
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextSize;

    fn edit(start: u32, end: u32, content: &str) -> Edit {
        Edit {
            range: TextRange::new(TextSize::new(start), TextSize::new(end)),
            content: content.to_string(),
        }
    }

    #[test]
    fn applies_edits_in_order() {
        assert_eq!(
            apply_edits(
                "abcdef",
                &[edit(4, 5, "E"), edit(0, 1, "A"), edit(3, 3, "+")]
            ),
            "Abc+dEf"
        );
    }

    #[test]
    fn overlapping_ranges_conflict() {
        let r = |a: u32, b: u32| TextRange::new(TextSize::new(a), TextSize::new(b));
        assert!(overlaps(r(0, 4), r(2, 6)));
        assert!(overlaps(r(3, 3), r(3, 3)));
        assert!(!overlaps(r(0, 2), r(2, 4)));
        assert!(!overlaps(r(2, 2), r(0, 2)));
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.py");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o754)).unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o754
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
