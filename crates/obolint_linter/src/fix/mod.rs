//! Applying fixes (the CLI contract "Fixes"): safe fixes with `--fix`, unsafe ones too with
//! `--unsafe-fixes`, display-only never. Fixes are applied in memory and the project is checked
//! again until nothing changes (at most [`MAX_ROUNDS`] times); a fix that would leave a file
//! unparseable is dropped and reported. Nothing is written here: the caller writes the result
//! with [`write_atomically`] or shows it as a diff.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use obolint_diagnostics::{Applicability, Diagnostic, Edit, RuleMeta};
use obolint_python::notebook::{notebook_text, read_ipynb, rewrite_ipynb};
use obolint_python::{detect_kind, parse_notebook, parse_source};
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashSet;

use crate::check::{CheckError, CheckReport, CheckRequest, check};

pub mod add_noqa;

/// Enough for chains of fixes that enable each other; a fix that keeps producing new edits is a
/// bug in a rule, and stops here instead of looping forever.
pub const MAX_ROUNDS: usize = 10;

#[derive(Debug)]
pub struct FixedFile {
    pub path: PathBuf,
    /// The canonical project root the file was found under: [`write_fixed`] refuses a file
    /// whose real path is outside it.
    pub root: PathBuf,
    pub display_path: String,
    /// The text the fixes were computed from (as read from disk): [`write_fixed`] refuses a
    /// file that no longer holds it.
    pub original: String,
    pub fixed: String,
    /// Fixes applied to it, over every round.
    pub applied: usize,
    /// The rule of each fix applied, in the order applied (`--show-fixes` counts them).
    pub rules: Vec<RuleMeta>,
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
#[cfg(test)]
fn overlaps(a: TextRange, b: TextRange) -> bool {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => a.start() == b.start(),
        (true, false) => b.start() < a.start() && a.start() < b.end(),
        (false, true) => a.start() < b.start() && b.start() < a.end(),
        (false, false) => a.start() < b.end() && b.start() < a.end(),
    }
}

/// The ranges of the fixes accepted so far in one file, answering "does this range conflict
/// ([`overlaps`]) with any of them?" in logarithmic time (a list of them made the check
/// quadratic: 200,000 fixes took 27 s).
///
/// Insertion points are kept apart. Non-empty ranges that share a byte are merged: a range
/// shares a byte with the union exactly when it shares one with a part, and a point is strictly
/// inside the union exactly when it is strictly inside a part (two parts sharing a byte leave no
/// boundary inside the union). Ranges that only touch stay apart, so the kept ranges are
/// disjoint and sorted by start and end alike.
#[derive(Default)]
struct Taken {
    points: BTreeSet<TextSize>,
    /// start -> end of disjoint non-empty ranges.
    ranges: BTreeMap<TextSize, TextSize>,
}

impl Taken {
    /// The kept range with the greatest start below `before`: of those starting there, the one
    /// reaching furthest.
    fn last_starting_before(&self, before: TextSize) -> Option<(TextSize, TextSize)> {
        self.ranges
            .range(..before)
            .next_back()
            .map(|(start, end)| (*start, *end))
    }

    fn conflicts(&self, range: TextRange) -> bool {
        let (start, end) = (range.start(), range.end());
        if range.is_empty() {
            self.points.contains(&start)
                || self
                    .last_starting_before(start)
                    .is_some_and(|(_, e)| start < e)
        } else {
            self.points
                .range((
                    std::ops::Bound::Excluded(start),
                    std::ops::Bound::Excluded(end),
                ))
                .next()
                .is_some()
                || self
                    .last_starting_before(end)
                    .is_some_and(|(_, e)| start < e)
        }
    }

    fn insert(&mut self, range: TextRange) {
        if range.is_empty() {
            self.points.insert(range.start());
            return;
        }
        let (mut start, mut end) = (range.start(), range.end());
        // Kept ranges sharing a byte with this one: those starting before its end and ending
        // after its start; they are consecutive, ending at the last one starting before `end`.
        while let Some((s, e)) = self.last_starting_before(end) {
            if e <= range.start() {
                break;
            }
            self.ranges.remove(&s);
            start = start.min(s);
            end = end.max(e);
        }
        self.ranges.insert(start, end);
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
    let roots = crate::check::project_roots(&request)?;
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
        // Fixes are grouped by the file they edit, which is not always the one they point at.
        let mut ids: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.fix.is_some())
            .map(Diagnostic::fix_file)
            .collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let file = report.db.get(id);
            let mut accepted: Vec<&Diagnostic> = Vec::new();
            let mut taken = Taken::default();
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.fix_file() == id && is_applicable(d, unsafe_fixes))
            {
                let Some(fix) = &d.fix else { continue };
                if rejected.contains(&(file.path.clone(), d.rule.code, fix.message.clone())) {
                    continue;
                }
                if fix.edits.iter().any(|e| taken.conflicts(e.range)) {
                    continue;
                }
                for e in &fix.edits {
                    taken.insert(e.range);
                }
                accepted.push(d);
            }
            if accepted.is_empty() {
                continue;
            }
            // A notebook is checked as its cells' text but stored as JSON: the edits go into
            // the cells they touch, and the file's text becomes the new JSON.
            let is_notebook = file.path.extension().is_some_and(|e| e == "ipynb");
            let current = if is_notebook {
                let Some(json) = request
                    .sources
                    .get(&file.path)
                    .cloned()
                    .or_else(|| std::fs::read_to_string(&file.path).ok())
                else {
                    continue;
                };
                json
            } else {
                file.text.to_string()
            };
            let is_yaml = file
                .path
                .extension()
                .is_some_and(|e| e == "yml" || e == "yaml")
                || file.path.file_name().is_some_and(|n| n == "MLmodel");
            let errors = |text: &str| {
                if is_yaml {
                    usize::from(crate::manifest::load_yaml(text).is_err())
                } else if is_notebook {
                    read_ipynb(text).map_or(usize::MAX, |cells| {
                        parse_notebook(&notebook_text(&cells)).syntax_errors.len()
                    })
                } else {
                    parse_source(text, detect_kind(text)).syntax_errors.len()
                }
            };
            let errors_before = errors(&current);
            let rewrite = |accepted: &[&Diagnostic]| -> Result<String, String> {
                let edits: Vec<Edit> = accepted
                    .iter()
                    .flat_map(|d| d.fix.iter().flat_map(|f| f.edits.iter().cloned()))
                    .collect();
                if is_notebook {
                    let pairs: Vec<(TextRange, String)> =
                        edits.iter().map(|e| (e.range, e.content.clone())).collect();
                    rewrite_ipynb(&current, &pairs).map_err(|error| error.message)
                } else {
                    Ok(apply_edits(&current, &edits))
                }
            };
            let message_of = |d: &Diagnostic| {
                d.fix
                    .as_ref()
                    .map_or_else(String::new, |f| f.message.clone())
            };
            let fixed = loop {
                match rewrite(&accepted) {
                    Err(error) => {
                        for d in &accepted {
                            let message = message_of(d);
                            dropped.push(format!(
                                "{}: the fix for {} (\"{message}\") cannot be written into the notebook ({error}); not applied",
                                file.display_path, d.rule.code
                            ));
                            rejected.insert((file.path.clone(), d.rule.code, message));
                        }
                        break None;
                    }
                    Ok(fixed) if errors(&fixed) <= errors_before => break Some(fixed),
                    // Fixes that are right alone may not be together (removing a list's only
                    // item while another fix appends to it): one at a time then; the others
                    // get their turn in the next round, computed on the fixed text.
                    Ok(_) if accepted.len() > 1 => accepted.truncate(1),
                    Ok(_) => {
                        for d in &accepted {
                            let message = message_of(d);
                            dropped.push(format!("{}: the fix for {} (\"{message}\") would leave the file unparseable; not applied", file.display_path, d.rule.code));
                            rejected.insert((file.path.clone(), d.rule.code, message));
                        }
                        break None;
                    }
                }
            };
            let Some(fixed) = fixed else { continue };
            if fixed == current {
                continue;
            }
            let entry = files.entry(file.path.clone()).or_insert_with(|| FixedFile {
                path: file.path.clone(),
                root: roots
                    .iter()
                    .filter(|r| file.path.starts_with(r))
                    .max_by_key(|r| r.as_os_str().len())
                    .cloned()
                    .unwrap_or_default(),
                display_path: file.display_path.clone(),
                original: current.clone(),
                fixed: String::new(),
                applied: 0,
                rules: Vec::new(),
            });
            entry.fixed.clone_from(&fixed);
            entry.applied += accepted.len();
            entry.rules.extend(accepted.iter().map(|d| d.rule));
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

/// Why [`write_fixed`] left a file as it is.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file no longer holds the text the fixes were computed from (someone saved it during
    /// the run): writing would lose their edit.
    #[error("it changed since obolint read it; not fixed (run obolint again)")]
    Changed,
    /// Its real path (symbolic links resolved) is outside the project root.
    #[error("its real path `{}` is outside the project root `{}`; not fixed", .real.display(), .root.display())]
    OutsideRoot { real: PathBuf, root: PathBuf },
    /// The file is read-only (no write permission bit, or not writable by this user).
    #[error("it is read-only; not fixed")]
    ReadOnly,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl WriteError {
    /// A file obolint chose not to write (the run goes on), as opposed to a failed write.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Io(_))
    }
}

/// Writes a fixed file, refusing (see [`WriteError`]) one whose real path is outside its
/// project root, one that is read-only, and one that changed since it was read: the file is
/// read again just before the fixed text replaces it. The write itself is [`write_atomically`]'s.
pub fn write_fixed(file: &FixedFile) -> Result<(), WriteError> {
    let real = std::fs::canonicalize(&file.path)?;
    let root = std::fs::canonicalize(&file.root).unwrap_or_else(|_| file.root.clone());
    if file.root.as_os_str().is_empty() || !real.starts_with(&root) {
        return Err(WriteError::OutsideRoot { real, root });
    }
    replace(&real, Some(file.original.as_bytes()), file.fixed.as_bytes())
}

/// Replaces `path`'s content with `contents` atomically: a temporary file in the same folder
/// (randomly named `.NAME.obolint-XXXXXX.tmp`, so a leftover of a killed run cannot collide),
/// flushed, given the original's owner, group (best effort: only root may give a file away) and
/// permissions, then renamed over it. Readers see the old file or the new one, never a
/// half-written one; the temporary file is deleted when anything fails. A symbolic link is
/// followed (the link stays); a file with several hard links gets a new inode, so the other
/// links keep the old content. A read-only file is refused.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), WriteError> {
    // Through a symbolic link, the file it points to is the one to replace: the link stays.
    let resolved = std::fs::canonicalize(path)?;
    replace(&resolved, None, contents.as_bytes())
}

/// [`write_atomically`] on a resolved path; with `expected`, only while the file still holds it.
fn replace(path: &Path, expected: Option<&[u8]>, contents: &[u8]) -> Result<(), WriteError> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("it is not a regular file").into());
    }
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly);
    }
    // The permission bits are not the whole answer (another user's file, ACLs): opening it for
    // writing, without truncating, asks the system and changes nothing.
    if let Err(error) = std::fs::OpenOptions::new().write(true).open(path) {
        return Err(if error.kind() == std::io::ErrorKind::PermissionDenied {
            WriteError::ReadOnly
        } else {
            error.into()
        });
    }
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    // Deleted on drop: on every early return below, and when a panic unwinds through here.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.obolint-"))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, fchown};
        // Best effort: a user who does not own the file cannot give the copy away; then at
        // least its group, when the user belongs to it.
        if fchown(temp.as_file(), Some(metadata.uid()), Some(metadata.gid())).is_err() {
            let _ = fchown(temp.as_file(), None, Some(metadata.gid()));
        }
    }
    // After the change of owner, which clears set-user-ID and set-group-ID bits.
    temp.as_file().set_permissions(metadata.permissions())?;
    // The last look before replacing: an edit saved since the file was read is kept, not lost.
    // (What is saved between this read and the rename, microseconds later, is still lost.)
    if let Some(expected) = expected
        && std::fs::read(path)? != expected
    {
        return Err(WriteError::Changed);
    }
    temp.persist(path).map_err(|e| WriteError::Io(e.error))?;
    Ok(())
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

    /// A small linear congruential generator: reproducible test data without a dependency.
    fn generator(mut state: u64) -> impl FnMut(u32) -> u32 {
        move |bound| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % u64::from(bound)) as u32
        }
    }

    #[test]
    fn taken_agrees_with_pairwise_overlaps() {
        let mut next = generator(7);
        for _ in 0..2_000 {
            let mut taken = Taken::default();
            let mut list: Vec<TextRange> = Vec::new();
            for _ in 0..next(30) {
                // A fix of one to three edits, some empty, on a short text to force conflicts.
                let edits: Vec<TextRange> = (0..1 + next(3))
                    .map(|_| {
                        let start = next(40);
                        let len = if next(3) == 0 { 0 } else { next(8) };
                        TextRange::new(TextSize::new(start), TextSize::new(start + len))
                    })
                    .collect();
                let expected = edits.iter().any(|e| list.iter().any(|t| overlaps(*t, *e)));
                let got = edits.iter().any(|e| taken.conflicts(*e));
                assert_eq!(got, expected, "{edits:?} against {list:?}");
                if !expected {
                    list.extend(edits.iter().copied());
                    for e in edits {
                        taken.insert(e);
                    }
                }
            }
        }
    }

    #[test]
    fn two_hundred_thousand_fixes_are_quick() {
        let started = std::time::Instant::now();
        let mut taken = Taken::default();
        let mut accepted = 0;
        for i in 0..200_000u32 {
            // Every other one overlaps the one before it.
            let range = TextRange::new(TextSize::new(i * 3), TextSize::new(i * 3 + 4));
            if !taken.conflicts(range) {
                taken.insert(range);
                accepted += 1;
            }
        }
        assert_eq!(accepted, 100_000);
        let elapsed = started.elapsed();
        // The quadratic check took 27 s; a bound a loaded CI machine cannot flake on.
        assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    }

    const AGENT: &str = "from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials

def predict():
    w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())
    return w
";

    /// A project with one fixable file, and the outcome of fixing it (nothing written yet).
    fn fixed_project() -> (tempfile::TempDir, FixOutcome) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"t\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("agent.py"), AGENT).unwrap();
        let request = CheckRequest::new(vec![dir.path().to_path_buf()], dir.path().to_path_buf());
        let outcome = fix(&request, false).unwrap();
        assert_eq!(outcome.files.len(), 1);
        (dir, outcome)
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_the_fixed_file() {
        let (dir, outcome) = fixed_project();
        write_fixed(&outcome.files[0]).unwrap();
        let after = std::fs::read_to_string(dir.path().join("agent.py")).unwrap();
        assert!(after.contains("credentials_strategy="), "{after}");
        assert_eq!(entries(dir.path()), ["agent.py", "pyproject.toml"]);
    }

    /// `fix_overwrites_concurrent_edit`: an edit saved during the run was lost.
    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let (dir, outcome) = fixed_project();
        let path = dir.path().join("agent.py");
        let edited = format!("{AGENT}USER_EDIT = 1\n");
        std::fs::write(&path, &edited).unwrap();
        let error = write_fixed(&outcome.files[0]).unwrap_err();
        assert!(matches!(error, WriteError::Changed), "{error}");
        assert!(error.is_refusal());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
        assert_eq!(
            entries(dir.path()),
            ["agent.py", "pyproject.toml"],
            "the temporary file is deleted"
        );
    }

    /// `stale_temp_file_blocks_fix`: a leftover named after this process's id (as a killed run
    /// with the same id, PID 1 in a container, leaves it) made the write fail.
    #[test]
    fn a_leftover_temporary_file_does_not_block_the_write() {
        let (dir, outcome) = fixed_project();
        let leftovers = [
            format!(".agent.py.obolint-{}.tmp", std::process::id()),
            ".agent.py.obolint-1.tmp".to_string(),
        ];
        for name in &leftovers {
            std::fs::write(dir.path().join(name), "junk").unwrap();
        }
        write_fixed(&outcome.files[0]).unwrap();
        let mut expected = vec!["agent.py".to_string(), "pyproject.toml".to_string()];
        expected.extend(leftovers.iter().cloned());
        expected.sort();
        assert_eq!(entries(dir.path()), expected, "leftovers are not touched");
    }

    /// `fix_writes_through_symlink_outside_project`.
    #[cfg(unix)]
    #[test]
    fn a_file_outside_the_project_root_is_not_written() {
        let (dir, outcome) = fixed_project();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("outside_agent.py");
        std::fs::write(&target, AGENT).unwrap();
        let mut file = FixedFile {
            path: dir.path().join("linked.py"),
            ..outcome.files.into_iter().next().unwrap()
        };
        std::os::unix::fs::symlink(&target, &file.path).unwrap();
        let error = write_fixed(&file).unwrap_err();
        assert!(matches!(error, WriteError::OutsideRoot { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), AGENT);
        // No root at all: refused too.
        file.root = PathBuf::new();
        assert!(matches!(
            write_fixed(&file),
            Err(WriteError::OutsideRoot { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_not_written() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, outcome) = fixed_project();
        let path = dir.path().join("agent.py");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let error = write_fixed(&outcome.files[0]).unwrap_err();
        assert!(matches!(error, WriteError::ReadOnly), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), AGENT);
        assert_eq!(entries(dir.path()), ["agent.py", "pyproject.toml"]);
    }

    /// `fix_changes_file_owner`: the temporary file was the writer's, so the fixed file became
    /// root's. Only root can give a file away: elsewhere this checks that the owner stays.
    #[cfg(unix)]
    #[test]
    fn atomic_write_keeps_owner_and_group() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.py");
        std::fs::write(&path, "old").unwrap();
        let is_root = std::fs::metadata(dir.path()).unwrap().uid() == 0
            && std::os::unix::fs::chown(&path, Some(1234), Some(5678)).is_ok();
        let before = std::fs::metadata(&path).unwrap();
        write_atomically(&path, "new").unwrap();
        let after = std::fs::metadata(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        if is_root {
            assert_eq!((after.uid(), after.gid()), (1234, 5678));
        }
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
