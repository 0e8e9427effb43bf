//! `--stdin-filename` (an editor's or a hook's unsaved text, checked in its project) and
//! `--show-files` (what a run would read).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const ON_DISK: &str = "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w.current_user.me()\n\n\nmlflow.models.set_model(Agent())\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("pyproject.toml", "[project]\nname = \"p\"\n");
    write("agent.py", ON_DISK);
    write(
        "other.py",
        "import mlflow\nfrom databricks.sdk import WorkspaceClient\n",
    );
    write("model/MLmodel", "artifact_path: model\n");
    write("requirements.txt", "mlflow>=3.1\n");
    write("node_modules/x.py", "import mlflow\n");
    dir
}

fn obolint(cwd: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("obolint runs");
    let mut input = child.stdin.take().expect("stdin");
    // obolint may refuse its arguments and exit before it reads standard input.
    if let Err(e) = input.write_all(stdin.unwrap_or("").as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    drop(input);
    let output = child.wait_with_output().expect("obolint ends");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn stdin_text_is_checked_as_the_named_file_in_its_project() {
    let dir = project();
    // The unsaved text builds the user client in `__init__`: OBO101, reported under the name.
    let buffer = ON_DISK.replace(
        "    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w.current_user.me()\n",
        "    def __init__(self):\n        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\n    def predict(self, request):\n        return self.w.current_user.me()\n",
    );
    let (code, stdout, _) = obolint(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "--stdin-filename",
            "agent.py",
        ],
        Some(&buffer),
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("agent.py:9:"), "{stdout}");
    assert!(stdout.contains("OBO101"), "{stdout}");
    // The file on disk is unchanged, and is clean.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("agent.py")).expect("read"),
        ON_DISK
    );
    let (code, stdout, _) = obolint(
        dir.path(),
        &["check", "--output-format", "concise", "agent.py"],
        None,
    );
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn stdin_filename_must_name_a_file_of_the_project() {
    let dir = project();
    let (code, _, stderr) = obolint(
        dir.path(),
        &["check", "--stdin-filename", "missing.py"],
        Some("import mlflow\n"),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.py"), "{stderr}");
    let (code, _, _) = obolint(
        dir.path(),
        &["check", "--fix", "--stdin-filename", "agent.py"],
        Some(ON_DISK),
    );
    assert_eq!(
        code, 2,
        "--fix would write the file on disk, not the text on stdin"
    );
}

#[test]
fn show_files_lists_what_a_run_reads() {
    let dir = project();
    let (code, stdout, _) = obolint(dir.path(), &["check", "--show-files"], None);
    assert_eq!(code, 0);
    let files: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        files,
        ["agent.py", "model/MLmodel", "other.py", "requirements.txt"],
        "{stdout}"
    );
    let (_, stdout, _) = obolint(dir.path(), &["check", "--show-files", "agent.py"], None);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["agent.py"]);
}
