//! Every rule's fixtures under `fixtures/rules/<CODE>/<case>/`: `fire_*` projects must report the
//! rule, `silent_*` projects must not. The rendered `full` output is snapshotted, and every fix
//! is applied to a copy of the project: the result must parse and no longer show that finding.

use std::fs;
use std::path::{Path, PathBuf};

use obolint_diagnostics::render::{full_to_string, unified_diff};
use obolint_linter::fix::{apply_edits, fix};
use obolint_linter::rules::FixAvailability;
use obolint_linter::{CheckReport, CheckRequest, Rule, check};

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
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Applies each fix in a copy of the project and checks the invariants; returns the changed
/// lines for the snapshot.
fn check_fixes(case: &Path, report: &CheckReport, code: &str) -> String {
    let mut shown = String::new();
    for diagnostic in &report.diagnostics {
        let Some(fix) = &diagnostic.fix else { continue };
        assert!(!fix.message.is_empty(), "every fix has a title");
        let file = report.db.get(diagnostic.primary.file);
        let fixed = apply_edits(&file.text, &fix.edits);
        shown.push_str(&format!(
            "\nfix ({}) {}: {}\n",
            fix.applicability.as_str(),
            file.display_path,
            fix.message
        ));
        shown.push_str(&unified_diff(&file.display_path, &file.text, &fixed));
        let temp = tempfile::tempdir().expect("tempdir");
        copy_dir(case, temp.path());
        let relative = file
            .path
            .strip_prefix(case.canonicalize().expect("canonical"))
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
            "{}: the fix for {code} breaks parsing",
            case.display()
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
            "{}: the fix for {code} does not remove the finding",
            case.display()
        );
    }
    shown
}

/// Fix availability declared by a rule matches what it emits.
fn check_declared_fixes(code: &str, report: &CheckReport, fixes_seen: &mut bool) {
    let Some(rule) = Rule::from_code(code) else {
        return;
    };
    for d in report.diagnostics.iter().filter(|d| d.rule.code == code) {
        match rule.info().fix {
            FixAvailability::None => {
                assert!(d.fix.is_none(), "{code} declares no fix but emits one")
            }
            FixAvailability::Always => assert!(
                d.fix.is_some(),
                "{code} declares a fix always but emits none"
            ),
            FixAvailability::Sometimes => {}
        }
        *fixes_seen |= d.fix.is_some();
    }
}

/// Applying every fix, unsafe ones too, settles within the bound and never breaks parsing.
fn check_convergence(case: &Path) {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_dir(case, temp.path());
    let before = run(temp.path());
    let outcome = fix(&request_for(temp.path()), true).expect("fix runs");
    assert!(
        outcome.converged,
        "{}: fixes do not converge",
        case.display()
    );
    assert!(
        outcome.dropped.is_empty(),
        "{}: a fix breaks parsing: {:?}",
        case.display(),
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
        "{}: fixing adds syntax errors",
        case.display()
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
    assert_eq!(
        again.applied(),
        0,
        "{}: fixes are not idempotent",
        case.display()
    );
}

#[test]
fn rule_fixtures() {
    let mut seen = 0;
    for code_dir in sorted_dirs(&fixtures()) {
        let code = code_dir.file_name().unwrap().to_string_lossy().into_owned();
        let (mut fire, mut silent) = (0, 0);
        let mut fixes_seen = false;
        for case in sorted_dirs(&code_dir) {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let report = run(&case);
            let count = report
                .diagnostics
                .iter()
                .filter(|d| d.rule.code == code)
                .count();
            if name.starts_with("fire") {
                fire += 1;
                assert!(
                    count > 0,
                    "{code}/{name} must report {code}:\n{}",
                    full_to_string(&report.diagnostics, &report.db)
                );
            } else if name.starts_with("silent") {
                silent += 1;
                assert_eq!(
                    count,
                    0,
                    "{code}/{name} must not report {code}:\n{}",
                    full_to_string(&report.diagnostics, &report.db)
                );
            } else {
                panic!("fixture {code}/{name} must start with fire_ or silent_");
            }
            check_declared_fixes(&code, &report, &mut fixes_seen);
            check_convergence(&case);
            let mut snapshot = full_to_string(&report.diagnostics, &report.db);
            snapshot.push_str(&check_fixes(&case, &report, &code));
            insta::assert_snapshot!(format!("{code}__{name}"), snapshot);
            seen += 1;
        }
        assert!(fire > 0, "{code} has no fixture that fires");
        if let Some(rule) = Rule::from_code(&code) {
            assert!(
                rule.info().fix == FixAvailability::None || fixes_seen,
                "{code} declares a fix, but no fixture shows one"
            );
        }
        // OBO900 is about files that do not parse: a silent case is any other fixture.
        assert!(
            silent > 0 || code == "OBO900",
            "{code} has no fixture that must stay silent"
        );
    }
    assert!(seen > 20, "fixtures were found");
}
