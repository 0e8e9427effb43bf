//! `--show-fixes` and `--fix-only` (Ruff's flags of those names).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn obolint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("obolint runs")
}

fn notebooks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/example-notebooks");
    for name in ["01_agent.ipynb", "02_log_agent.py", "pyproject.toml"] {
        fs::copy(source.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const AVAILABLE: &str = "Fixes available (0 with --fix, 3 more with --unsafe-fixes):
- 01_agent.ipynb:
    cell 3:15:16 OBO202 (vector-search-without-user-client) [unsafe] Pass `workspace_client=user`
- 02_log_agent.py:
    11:10 OBO401 (missing-api-scope) [unsafe] Add `sql.statement-execution`
    11:31 OBO402 (unneeded-api-scope) [unsafe] Remove `serving.serving-endpoints`
";

const FIXED: &str = "Fixed 4 findings:
- 01_agent.ipynb:
    1 × OBO202 (vector-search-without-user-client)
- 02_log_agent.py:
    2 × OBO401 (missing-api-scope)
    1 × OBO402 (unneeded-api-scope)
";

#[test]
fn show_fixes_lists_what_is_available_or_what_was_fixed() {
    let dir = notebooks();
    let output = obolint(
        dir.path(),
        &["check", "--show-fixes", "--output-format", "concise"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("{AVAILABLE}obolint: 3 errors, 1 warning")),
        "{stdout}"
    );
    // A report for tools keeps standard output to itself: the list goes to standard error.
    let output = obolint(
        dir.path(),
        &["check", "--show-fixes", "--output-format", "json"],
    );
    serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("JSON alone on stdout");
    assert_eq!(text(&output.stderr), AVAILABLE);

    let output = obolint(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "--show-fixes", "-q"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "OBO502 has no fix and remains"
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains(FIXED), "{stdout}");
    assert!(stdout.contains("OBO502"), "{stdout}");
}

#[test]
fn fix_only_fixes_reports_nothing_else_and_exits_zero() {
    let dir = notebooks();
    let before = fs::read_to_string(dir.path().join("02_log_agent.py")).unwrap();
    let output = obolint(dir.path(), &["check", "--fix-only", "--unsafe-fixes"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "obolint: fixed 4 findings in 2 files\n"
    );
    assert_eq!(text(&output.stderr), "");
    assert_ne!(
        fs::read_to_string(dir.path().join("02_log_agent.py")).unwrap(),
        before
    );
    // Nothing left to fix: silent, still 0 though OBO502 remains.
    let output = obolint(dir.path(), &["check", "--fix-only", "--unsafe-fixes"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "");

    let dir = notebooks();
    let output = obolint(
        dir.path(),
        &[
            "check",
            "--fix-only",
            "--unsafe-fixes",
            "--show-fixes",
            "--exit-non-zero-on-fix",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "a file changed");
    assert_eq!(text(&output.stdout), FIXED);
    let output = obolint(
        dir.path(),
        &[
            "check",
            "--fix-only",
            "--unsafe-fixes",
            "--exit-non-zero-on-fix",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "nothing changed this time");

    // Only with a fix flag, and never with what only shows fixes.
    for args in [
        &["check", "--exit-non-zero-on-fix"][..],
        &["check", "--fix-only", "--diff"],
        &["check", "--fix-only", "--stdin-filename", "x.py"],
    ] {
        let output = obolint(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
