//! `obolint check --watch`: started, a file changed, a new report seen, then stopped.

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CLEAN: &str = "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w\n";

/// Kills the watcher when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits up to `limit` for a line of `lines` containing `needle`; returns what was read.
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    let mut seen = String::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return Ok(()),
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => break,
        }
    }
    Err(seen)
}

#[test]
fn watch_checks_again_when_a_file_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\n",
    )
    .unwrap();
    fs::write(dir.path().join("agent.py"), CLEAN).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args([
            "check",
            "--watch",
            "--output-format",
            "concise",
            "--no-cache",
        ])
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("obolint starts");
    let mut child = Killed(child);
    let (sender, lines) = mpsc::channel();
    for stream in [
        Box::new(child.0.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.0.stderr.take().unwrap()),
    ] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let limit = Duration::from_secs(30);
    wait_for(&lines, "no problems found", limit).expect("the first check");
    wait_for(&lines, "watching for changes", limit).expect("then it watches");

    // The client moves to `__init__`: OBO101.
    let changed = CLEAN.replace(
        "    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w\n",
        "    def __init__(self):\n        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\n    def predict(self, request):\n        return self.w\n",
    );
    assert_ne!(changed, CLEAN);
    fs::write(dir.path().join("agent.py"), changed).unwrap();
    wait_for(&lines, "files changed, checking again", limit).expect("the change is seen");
    wait_for(&lines, "agent.py:9:18: OBO101", limit).expect("the new finding is reported");
    wait_for(&lines, "watching for changes", limit).expect("and it watches again");

    // A new configuration file is a change too.
    fs::write(dir.path().join("obolint.toml"), "ignore = [\"OBO101\"]\n").unwrap();
    wait_for(&lines, "no problems found", limit).expect("the configuration applies");
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "still running until stopped"
    );
}

#[test]
fn watch_cannot_be_combined_with_fixing() {
    let output = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(["check", "--watch", "--fix"])
        .output()
        .expect("obolint runs");
    assert_eq!(output.status.code(), Some(2));
}
