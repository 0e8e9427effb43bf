//! Hostile input at the command line: path arguments that are not regular files or folders.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output};

fn obolint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("obolint runs")
}

/// `/dev/zero` and a FIFO given as paths are exit 2 with a message naming them, not a hang.
#[test]
fn special_path_arguments_exit_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n",
    )
    .expect("write");
    let status = Command::new("mkfifo")
        .arg(dir.path().join("pipe.py"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    for path in ["/dev/zero", "pipe.py"] {
        let output = obolint(dir.path(), &["check", path]);
        assert_eq!(output.status.code(), Some(2), "{path}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(path) && stderr.contains("not a regular file or a folder"),
            "{stderr}"
        );
    }
}
