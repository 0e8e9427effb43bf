//! `--fix` on hostile repositories (the reproducers of 2026-11-30): files outside the project,
//! read-only files and leftovers of killed runs. The library's tests cover a file changed during
//! the run and the owner.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const AGENT: &str = "from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials

def predict():
    w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())
    return w
";

fn obolint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("obolint runs")
}

fn project(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
}

/// `fix_writes_through_symlink_outside_project`: a symlinked folder led `--fix` to rewrite a
/// file outside the project.
#[cfg(unix)]
#[test]
fn fix_writes_through_symlink_outside_project() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("outside_agent.py"), AGENT).unwrap();
    let project_dir = dir.path().join("project");
    project(&project_dir);
    fs::write(project_dir.join("agent.py"), AGENT).unwrap();
    std::os::unix::fs::symlink(&outside, project_dir.join("linkdir")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("outside_agent.py"),
        project_dir.join("linked_agent.py"),
    )
    .unwrap();

    let output = obolint(&project_dir, &["check", ".", "--fix"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        fs::read_to_string(outside.join("outside_agent.py")).unwrap(),
        AGENT,
        "{stderr}"
    );
    assert!(
        fs::read_to_string(project_dir.join("agent.py"))
            .unwrap()
            .contains("credentials_strategy="),
        "the file inside is fixed"
    );
    assert!(stderr.contains("is outside the project root"), "{stderr}");
    assert_ne!(output.status.code(), Some(2), "{stderr}");
}

/// A read-only file is refused, not replaced; the others are fixed; the findings shown are
/// those of the files as they are on disk.
#[cfg(unix)]
#[test]
fn fix_refuses_a_read_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    fs::write(dir.path().join("a.py"), AGENT).unwrap();
    fs::write(dir.path().join("b.py"), AGENT).unwrap();
    fs::set_permissions(dir.path().join("a.py"), fs::Permissions::from_mode(0o444)).unwrap();

    let output = obolint(
        dir.path(),
        &["check", "--fix", "--output-format", "concise"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stderr.contains("a.py: it is read-only; not fixed"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(dir.path().join("a.py")).unwrap(), AGENT);
    assert!(
        fs::read_to_string(dir.path().join("b.py"))
            .unwrap()
            .contains("credentials_strategy=")
    );
    assert!(stdout.contains("a.py:5:25: OBO104"), "{stdout}");
    assert!(stdout.contains("fixed 1 finding in 1 file"), "{stdout}");
    assert_eq!(output.status.code(), Some(0), "a warning remains: {stdout}");
}

/// `stale_temp_file_blocks_fix`: a leftover temporary file of a killed run with the same process
/// id (PID 1 in a container) made `--fix` fail with "File exists".
#[test]
fn stale_temp_file_blocks_fix() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    for pid in 1..=64 {
        fs::write(
            dir.path().join(format!(".agent.py.obolint-{pid}.tmp")),
            "junk",
        )
        .unwrap();
    }
    let output = obolint(dir.path(), &["check", "--fix"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        fs::read_to_string(dir.path().join("agent.py"))
            .unwrap()
            .contains("credentials_strategy=")
    );
    let temporaries = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(temporaries, 64, "no new temporary file is left");
}
