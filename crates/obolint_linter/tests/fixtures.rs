//! Every rule's fixtures under `fixtures/rules/<CODE>/<case>/`: `fire_*` projects must report the
//! rule, `silent_*` projects must not. The rendered `full` output is snapshotted, and every fix
//! is applied to a copy of the project: the result must parse and no longer show that finding.
//!
//! One test per case (`OBO101/fire_init`) and one per rule code (`[rule] OBO101`: the code has
//! fixtures that fire and that stay silent, and shows a fix if it declares one), found by walking
//! the folders: a new case folder needs no registration. `cargo test --test fixtures -- OBO101`
//! runs one rule's tests; the cases run in parallel (`libtest-mimic`, `harness = false`).
//!
//! Each case is checked in a temporary copy that is its own project root: the harness writes the
//! `pyproject.toml` root marker there when the case has no marker of its own, so cases carry a
//! `pyproject.toml` only when it says something (configuration, dependencies).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};
use obolint_diagnostics::render::{full_to_string, unified_diff};
use obolint_linter::fix::{apply_edits, fix};
use obolint_linter::rules::FixAvailability;
use obolint_linter::{CacheRequest, CheckReport, CheckRequest, ParseCache, Rule, check};
use tempfile::TempDir;

/// What the harness writes as `pyproject.toml` in a case without a root marker.
const ROOT_MARKER: &str = "[project]\nname = \"fixture\"\nversion = \"0.1.0\"\n";

/// Files that make a folder a project root (`discover::project_root`); a case holding one is
/// copied as it is.
const ROOT_MARKERS: &[&str] = &["pyproject.toml", "obolint.toml", ".obolint.toml"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules")
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

fn run(dir: &Path) -> CheckReport {
    check(&request_for(dir)).expect("fixture projects exist")
}

fn request_for(dir: &Path) -> CheckRequest {
    CheckRequest::new(vec![PathBuf::from(".")], dir.to_path_buf())
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create");
    for entry in fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        // A run of obolint on the repository's fixtures leaves its cache there, written as
        // other tests copy: not part of any fixture.
        if entry.file_name() == ".obolint_cache" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A copy of the case that is a project of its own, whatever folders hold the fixtures.
fn project_copy(case: &Path) -> TempDir {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_dir(case, temp.path());
    if !ROOT_MARKERS.iter().any(|m| case.join(m).exists()) {
        fs::write(temp.path().join("pyproject.toml"), ROOT_MARKER).expect("root marker");
    }
    temp
}

/// Applies each fix in a copy of the project and checks the invariants; returns the changed
/// lines for the snapshot.
fn check_fixes(label: &str, project: &Path, report: &CheckReport, code: &str) -> String {
    let mut shown = String::new();
    for diagnostic in &report.diagnostics {
        let Some(fix) = &diagnostic.fix else { continue };
        assert!(!fix.message.is_empty(), "every fix has a title");
        let file = report.db.get(diagnostic.fix_file());
        // The text a fix is computed on is the file's: never one released after the check.
        if file.notebook_json.is_none() && file.path.extension().is_none_or(|e| e != "ipynb") {
            assert_eq!(
                Some(file.text.as_str()),
                fs::read_to_string(&file.path).ok().as_deref(),
                "{label}: the text of the file {code}'s fix edits is kept"
            );
        }
        let fixed = apply_edits(&file.text, &fix.edits);
        shown.push_str(&format!(
            "\nfix ({}) {}: {}\n",
            fix.applicability.as_str(),
            file.display_path,
            fix.message
        ));
        shown.push_str(&unified_diff(&file.display_path, &file.text, &fixed));
        let temp = tempfile::tempdir().expect("tempdir");
        copy_dir(project, temp.path());
        let relative = file
            .path
            .strip_prefix(project.canonicalize().expect("canonical"))
            .expect("inside the case");
        // A notebook is stored as JSON: the edits go into its cells.
        let written = if file.path.extension().is_some_and(|e| e == "ipynb") {
            let json = fs::read_to_string(&file.path).expect("notebook");
            let pairs: Vec<_> = fix
                .edits
                .iter()
                .map(|e| (e.range, e.content.clone()))
                .collect();
            obolint_python::notebook::rewrite_ipynb(&json, &pairs).expect("fix fits the cells")
        } else {
            fixed.clone()
        };
        fs::write(temp.path().join(relative), &written).expect("write");
        let after = run(temp.path());
        assert!(
            after.diagnostics.iter().all(|d| d.rule.code != "OBO900"),
            "{label}: the fix for {code} breaks parsing"
        );
        let before_count = report
            .diagnostics
            .iter()
            .filter(|d| d.rule.code == diagnostic.rule.code)
            .count();
        let after_count = after
            .diagnostics
            .iter()
            .filter(|d| d.rule.code == diagnostic.rule.code)
            .count();
        assert!(
            after_count < before_count,
            "{label}: the fix for {code} does not remove the finding"
        );
    }
    shown
}

/// Fix availability declared by a rule matches what it emits, and every fix of every rule has
/// the safety its rule declares (`#[rule(fix_safety = ...)]`, documented in `## Fix safety`).
fn check_declared_fixes(code: &str, report: &CheckReport) {
    for d in &report.diagnostics {
        let (Some(fix), Some(rule)) = (&d.fix, Rule::from_code(d.rule.code)) else {
            continue;
        };
        let declared = rule.info().fix_safety;
        assert!(
            declared.allows(fix.applicability),
            "{} declares `{}` fixes but emits a {} one",
            d.rule.code,
            declared.as_str(),
            fix.applicability.as_str()
        );
    }
    let Some(rule) = Rule::from_code(code) else {
        return;
    };
    for d in report.diagnostics.iter().filter(|d| d.rule.code == code) {
        match rule.info().fix {
            FixAvailability::None => {
                assert!(d.fix.is_none(), "{code} declares no fix but emits one")
            }
            // "Always" means a fix `--fix` or `--unsafe-fixes` applies, as `obolint rules`
            // and the summary count it: a display-only fix is not one.
            FixAvailability::Always => assert!(
                d.is_fixable(),
                "{code} declares a fix always but emits none it can apply"
            ),
            FixAvailability::Sometimes => {}
        }
    }
}

/// `obolint scopes` and OBO401/OBO402 agree: for each model with one declared list (outside
/// notebooks, whose positions are per cell), the scopes the report calls missing are the ones
/// OBO401 asks to add to that list, and those it calls unneeded are the ones OBO402 reports in it.
fn check_scope_verdict(label: &str, project: &Path, report: &CheckReport) {
    let scopes = check(&CheckRequest {
        collect_models: true,
        ..request_for(project)
    })
    .expect("scopes runs");
    let at = |d: &obolint_diagnostics::Diagnostic| {
        let file = report.db.get(d.primary.file);
        let position = file.position(d.primary.range.start());
        (file.display_path.clone(), position.row, position.column)
    };
    for model in &scopes.models {
        let [declared] = model.declared.as_slice() else {
            continue;
        };
        if declared.location.cell.is_some() {
            continue;
        }
        let list = (
            declared.location.filename.clone(),
            declared.location.row,
            declared.location.column,
        );
        let mut missing: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule.code == "OBO401" && at(d) == list)
            .filter_map(|d| {
                d.message
                    .rsplit_once("add `")
                    .map(|(_, n)| n.trim_end_matches('`').to_string())
            })
            .collect();
        let mut unneeded: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule.code == "OBO402")
            .filter(|d| {
                let (file, row, column) = at(d);
                file == list.0 && (row, column) >= (list.1, list.2)
            })
            .filter_map(|d| d.message.split('`').nth(1).map(str::to_string))
            .filter(|value| declared.scopes.contains(value))
            .collect();
        let (mut want_missing, mut want_unneeded) = (model.missing.clone(), model.unneeded.clone());
        for v in [
            &mut missing,
            &mut unneeded,
            &mut want_missing,
            &mut want_unneeded,
        ] {
            v.sort();
        }
        assert_eq!(
            missing, want_missing,
            "{label}: OBO401 and `obolint scopes` disagree on what is missing"
        );
        assert_eq!(
            unneeded, want_unneeded,
            "{label}: OBO402 and `obolint scopes` disagree on what is unneeded"
        );
    }
}

/// Applying every fix, unsafe ones too, settles within the bound and never breaks parsing.
fn check_convergence(label: &str, project: &Path) {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_dir(project, temp.path());
    let before = run(temp.path());
    let outcome = fix(&request_for(temp.path()), true).expect("fix runs");
    assert!(outcome.converged, "{label}: fixes do not converge");
    assert!(
        outcome.dropped.is_empty(),
        "{label}: a fix breaks parsing: {:?}",
        outcome.dropped
    );
    let syntax = |r: &CheckReport| {
        r.diagnostics
            .iter()
            .filter(|d| d.rule.code == "OBO900")
            .count()
    };
    assert!(
        syntax(&outcome.report) <= syntax(&before),
        "{label}: fixing adds syntax errors"
    );
    // Idempotent: fixing the fixed project changes nothing more.
    let again = fix(
        &CheckRequest {
            sources: outcome
                .files
                .iter()
                .map(|f| (f.path.clone(), f.fixed.clone()))
                .collect(),
            ..request_for(temp.path())
        },
        true,
    )
    .expect("fix runs");
    assert_eq!(again.applied(), 0, "{label}: fixes are not idempotent");
}

/// Everything a report says, independent of file ids: the rendered findings, then each fix.
fn canonical(report: &CheckReport) -> String {
    let mut out = full_to_string(&report.diagnostics, &report.db);
    for d in &report.diagnostics {
        let file = report.db.get(d.primary.file);
        // The file a fix edits, by path (ids differ between a fresh and a cached report).
        let fix = d.fix.as_ref().map(|f| {
            (
                f.file.map(|id| report.db.get(id).display_path.clone()),
                f.message.clone(),
                f.applicability,
                f.edits.clone(),
            )
        });
        out.push_str(&format!(
            "\n{} {} {:?} {:?} {:?} {:?}",
            file.display_path,
            d.rule.code,
            d.primary.range,
            fix,
            file.cells,
            // Where the formats that annotate the raw `.ipynb` point.
            file.notebook_json
                .as_ref()
                .map(|n| n.file_offset(d.primary.range.start()))
        ));
        for label in &d.secondary {
            out.push_str(&format!(
                "\n  {} {:?}",
                report.db.get(label.file).display_path,
                label.range
            ));
        }
    }
    out
}

/// The persistent cache changes nothing: a run that writes it and a run that reads it report
/// exactly what a run without it does, and the second run is a hit.
fn check_cache(label: &str, project: &Path, report: &CheckReport) {
    let folder = tempfile::tempdir().expect("tempdir");
    let request = CheckRequest {
        cache: Some(CacheRequest {
            dir: Some(folder.path().to_path_buf()),
            secret: [7; 32],
        }),
        ..request_for(project)
    };
    let expected = canonical(report);
    let cold = check(&request).expect("fixture projects exist");
    assert_eq!(cold.cached_roots, 0, "{label}: an empty cache has no entry");
    assert_eq!(
        canonical(&cold),
        expected,
        "{label}: writing the cache changes the report"
    );
    let warm = check(&request).expect("fixture projects exist");
    assert_eq!(
        warm.cached_roots, warm.roots,
        "{label}: the second run reads the cache for every project root"
    );
    assert_eq!(
        canonical(&warm),
        expected,
        "{label}: the cached report differs"
    );
}

/// Parses kept between checks (the language server's) change nothing: the check that makes them,
/// the next one (which parses nothing again), and one with a file edited in an unsaved buffer
/// (which parses that file again) each report exactly what a check without them does.
fn check_kept_parses(label: &str, project: &Path, report: &CheckReport) {
    let kept = std::sync::Arc::new(ParseCache::new());
    let request = CheckRequest {
        parses: Some(std::sync::Arc::clone(&kept)),
        ..request_for(project)
    };
    let expected = canonical(report);
    // (hits, misses, parses kept) after each check.
    let mut counts = Vec::new();
    for round in ["the first", "the second"] {
        let report = check(&request).expect("fixture projects exist");
        assert_eq!(
            canonical(&report),
            expected,
            "{label}: {round} check with kept parses differs"
        );
        let (hits, misses) = kept.hits_and_misses();
        counts.push((hits, misses, kept.len() as u64));
    }
    let [(hits, misses, first_kept), (hits_after, misses_after, _)] = counts[..] else {
        unreachable!("two rounds")
    };
    // The second check finds every parse the first kept, and parses again only the others
    // (files cut to their imports are not kept).
    assert_eq!(
        (hits_after - hits, misses_after - misses),
        (first_kept, misses - hits - first_kept),
        "{label}: the second check's hits and parses"
    );
    // An edit: a comment added to the first Python file, as an unsaved buffer.
    let mut files = Vec::new();
    python_files(project, &mut files);
    let Some(first) = files.first() else {
        return;
    };
    let path = first.canonicalize().expect("a fixture file");
    let text = fs::read_to_string(&path).expect("fixture text");
    let edited = |request: CheckRequest| CheckRequest {
        sources: [(
            path.clone(),
            format!(
                "{text}
# edited
"
            ),
        )]
        .into_iter()
        .collect(),
        ..request
    };
    let fresh = check(&edited(request_for(project))).expect("fixture projects exist");
    let again = check(&edited(request)).expect("fixture projects exist");
    assert_eq!(
        canonical(&again),
        canonical(&fresh),
        "{label}: an edited file with kept parses differs"
    );
}

/// The prescreen changes nothing: parsing every file finds exactly what parsing the files it
/// lets through (and the modules they import) finds.
fn check_prescreen(label: &str, project: &Path, report: &CheckReport) {
    let everything = check(&CheckRequest {
        parse_everything: true,
        ..request_for(project)
    })
    .expect("fixture projects exist");
    assert_eq!(
        canonical(&everything),
        canonical(report),
        "{label}: the prescreen hides a finding"
    );
}

/// Files that use `mlflow` only to track runs, and that imports connect to no file that can
/// start a finding, are not analysed (`check::load`): what is reported must be what analysing
/// them reports. Every plain `.py` file of a copy of the case gets `import mlflow` and a tracking
/// call first, as on a monorepo where every file logs metrics, so that any of them may be left
/// unanalysed; the whole project, and each file given alone (findings of the models it belongs
/// to), report exactly what they report with every file parsed and analysed.
fn check_unanalysed(label: &str, case: &Path) {
    let project = project_copy(case);
    let mut files = Vec::new();
    python_files(project.path(), &mut files);
    for file in &files {
        let text = fs::read_to_string(file).expect("fixture text");
        if !text.starts_with("# Databricks notebook source") {
            fs::write(
                file,
                format!("import mlflow\nmlflow.log_metric(\"m\", 1)\n{text}"),
            )
            .expect("write");
        }
    }
    // The parses are kept from one request to the next, so that trees of files left with their
    // imports alone are shared with the cache (and copied, not cut).
    let kept = std::sync::Arc::new(ParseCache::new());
    let whole = request_for(project.path());
    let alone = files.iter().map(|f| {
        let relative = f
            .strip_prefix(project.path())
            .expect("inside")
            .to_path_buf();
        CheckRequest::new(vec![relative], project.path().to_path_buf())
    });
    for request in std::iter::once(whole).chain(alone) {
        let report = check(&request).expect("fixture projects exist");
        let with_kept = check(&CheckRequest {
            parses: Some(std::sync::Arc::clone(&kept)),
            ..request.clone()
        })
        .expect("fixture projects exist");
        assert_eq!(
            canonical(&with_kept),
            canonical(&report),
            "{label}, tracking everywhere, paths {:?}: kept parses change the report",
            request.paths
        );
        let everything = check(&CheckRequest {
            parse_everything: true,
            ..request.clone()
        })
        .expect("fixture projects exist");
        assert_eq!(
            canonical(&report),
            canonical(&everything),
            "{label}, tracking everywhere, paths {:?}: a file left unanalysed changes the report",
            request.paths
        );
    }
}

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for path in sorted_entries(dir) {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != ".obolint_cache") {
                python_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    entries
}

/// One case: fires or stays silent as named, fixes as declared, and matches its snapshot.
fn check_case(code: &str, case: &Path) {
    let name = name_of(case);
    let label = format!("{code}/{name}");
    let project = project_copy(case);
    let report = run(project.path());
    let count = report
        .diagnostics
        .iter()
        .filter(|d| d.rule.code == code)
        .count();
    if name.starts_with("fire") {
        assert!(
            count > 0,
            "{label} must report {code}:\n{}",
            full_to_string(&report.diagnostics, &report.db)
        );
    } else if name.starts_with("silent") {
        assert_eq!(
            count,
            0,
            "{label} must not report {code}:\n{}",
            full_to_string(&report.diagnostics, &report.db)
        );
    } else {
        panic!("fixture {label} must start with fire_ or silent_");
    }
    check_declared_fixes(code, &report);
    check_scope_verdict(&label, project.path(), &report);
    check_convergence(&label, project.path());
    check_cache(&label, project.path(), &report);
    check_kept_parses(&label, project.path(), &report);
    check_prescreen(&label, project.path(), &report);
    check_unanalysed(&label, case);
    let mut snapshot = full_to_string(&report.diagnostics, &report.db);
    snapshot.push_str(&check_fixes(&label, project.path(), &report, code));
    insta::assert_snapshot!(format!("{code}__{name}"), snapshot);
}

/// What a rule's fixtures must show together.
fn check_code(code: &str, cases: &[PathBuf]) {
    let any_named = |prefix: &str| cases.iter().any(|c| name_of(c).starts_with(prefix));
    assert!(any_named("fire"), "{code} has no fixture that fires");
    // OBO900 is about files that do not parse: a silent case is any other fixture.
    assert!(
        any_named("silent") || code == "OBO900",
        "{code} has no fixture that must stay silent"
    );
    if let Some(rule) = Rule::from_code(code)
        && rule.info().fix != FixAvailability::None
    {
        let fixes_seen = cases.iter().any(|case| {
            let project = project_copy(case);
            run(project.path())
                .diagnostics
                .iter()
                .any(|d| d.rule.code == code && d.fix.is_some())
        });
        assert!(
            fixes_seen,
            "{code} declares a fix, but no fixture shows one"
        );
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let mut cases_found = 0;
    for code_dir in sorted_dirs(&fixtures()) {
        let code = name_of(&code_dir);
        let cases = sorted_dirs(&code_dir);
        cases_found += cases.len();
        for case in &cases {
            let (code, case) = (code.clone(), case.clone());
            trials.push(Trial::test(
                format!("{code}/{}", name_of(&case)),
                move || {
                    check_case(&code, &case);
                    Ok(())
                },
            ));
        }
        trials.push(
            Trial::test(code.clone(), move || {
                check_code(&code, &cases);
                Ok(())
            })
            .with_kind("rule"),
        );
    }
    assert!(cases_found > 20, "fixtures were found");
    libtest_mimic::run(&args, trials).exit_code()
}
