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

/// The lines of both streams, as they come: the two reader threads interleave them in any
/// order, so a wait looks at every line not yet taken, not only at the next one.
struct Lines {
    receiver: mpsc::Receiver<String>,
    pending: Vec<String>,
}

impl Lines {
    /// Takes the first line containing `needle`, waiting up to `limit` for it; `Err` holds
    /// the lines not taken.
    fn take(&mut self, needle: &str, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(i) = self.pending.iter().position(|l| l.contains(needle)) {
                self.pending.remove(i);
                return Ok(());
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .ok_or_else(|| self.pending.join("\n"))?;
            match self.receiver.recv_timeout(left) {
                Ok(line) => self.pending.push(line),
                Err(_) => return Err(self.pending.join("\n")),
            }
        }
    }
}

/// `obolint check --watch` started in `dir`, with the lines of both its streams.
fn start_watch(dir: &std::path::Path) -> (Killed, Lines) {
    let child = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args([
            "check",
            "--watch",
            "--output-format",
            "concise",
            "--no-cache",
        ])
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("obolint starts");
    let mut child = Killed(child);
    let (sender, receiver) = mpsc::channel();
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
    let lines = Lines {
        receiver,
        pending: Vec::new(),
    };
    (child, lines)
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
    let (mut child, mut lines) = start_watch(dir.path());
    let limit = Duration::from_secs(30);
    let mut step = |needle: &str| {
        if let Err(seen) = lines.take(needle, limit) {
            panic!(
                "`{needle}` not seen; lines not taken: {seen:?}; obolint: {:?}",
                child.0.try_wait()
            );
        }
    };
    step("no problems found");
    step("watching for changes");

    // The client moves to `__init__`: OBO101.
    let changed = CLEAN.replace(
        "    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w\n",
        "    def __init__(self):\n        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\n    def predict(self, request):\n        return self.w\n",
    );
    assert_ne!(changed, CLEAN);
    fs::write(dir.path().join("agent.py"), changed).unwrap();
    step("files changed, checking again");
    step("agent.py:9:18: OBO101");
    step("watching for changes");

    // A new configuration file is a change too.
    fs::write(dir.path().join("obolint.toml"), "ignore = [\"OBO101\"]\n").unwrap();
    step("no problems found");
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

/// The resident memory of process `pid`, in KiB (Linux).
#[cfg(target_os = "linux")]
fn resident_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("the process's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("a VmRSS line")
}

/// Each check of a watch frees what it analysed: the process goes on, so nothing may be left to
/// the operating system as at the end of a plain `check` (which, done at every change, grew by
/// the whole project's syntax trees and models per check).
#[cfg(target_os = "linux")]
#[test]
fn watch_frees_what_each_check_analysed() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\n",
    )
    .unwrap();
    // 120 modules of about 40 KB, each analysed (they name Databricks): about 5 MB of code.
    for module in 0..120 {
        let mut text =
            String::from("import mlflow\nfrom databricks.sdk import WorkspaceClient\n\n");
        for function in 0..200 {
            text.push_str(&format!(
                "def f{function}(x, y=None):\n    client = WorkspaceClient()\n    values = [client.jobs.get(i) for i in range(x)]\n    return {{\"k{function}\": values, \"y\": y}}\n\n"
            ));
        }
        fs::write(dir.path().join(format!("m{module}.py")), text).unwrap();
    }
    let (child, mut lines) = start_watch(dir.path());
    let pid = child.0.id();
    let limit = Duration::from_secs(120);
    let mut step = |needle: &str| {
        if let Err(seen) = lines.take(needle, limit) {
            panic!("`{needle}` not seen; lines not taken: {seen:?}");
        }
    };
    step("watching for changes");
    let after_first = resident_kib(pid);
    for change in 0..6 {
        let path = dir.path().join(format!("m{change}.py"));
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("{text}# change {change}\n")).unwrap();
        step("files changed, checking again");
        step("watching for changes");
    }
    let after_changes = resident_kib(pid);
    // One check's trees and models are tens of MiB here; six kept would be well over 100.
    assert!(
        after_changes < after_first + 40 * 1024,
        "resident memory grew from {after_first} KiB after the first check to {after_changes} KiB after six more"
    );
}
