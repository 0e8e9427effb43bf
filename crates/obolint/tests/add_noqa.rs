//! `obolint check --add-noqa`: a `# noqa: CODE` for each finding, in Python files, notebook cells
//! (outputs and metadata kept) and YAML manifests; existing codes and other tools' comments
//! kept; a second run adds nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn obolint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("obolint runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const AGENT: &str = "import mlflow
from mlflow.pyfunc import ResponsesAgent
from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials


class Agent(ResponsesAgent):
    def __init__(self):
        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())  # type: ignore
        self.v = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())  # noqa: E501 -- long
        self.u = WorkspaceClient(
            credentials_strategy=ModelServingUserCredentials())   

    def predict(self, request):
        return None
";

/// The notebook example, an agent with three findings, and an `MLmodel` with two.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let notebooks = repo().join("fixtures/example-notebooks");
    for name in ["01_agent.ipynb", "02_log_agent.py", "pyproject.toml"] {
        fs::copy(notebooks.join(name), dir.path().join(name)).unwrap();
    }
    fs::create_dir(dir.path().join("model")).unwrap();
    fs::copy(
        repo().join("fixtures/rules/OBO403/fire_mlmodel/model/MLmodel"),
        dir.path().join("model/MLmodel"),
    )
    .unwrap();
    fs::write(dir.path().join("other_agent.py"), AGENT).unwrap();
    // Outputs and metadata the rewrite must keep.
    let notebook = dir.path().join("01_agent.ipynb");
    let mut value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&notebook).unwrap()).unwrap();
    value["cells"][2]["outputs"] = serde_json::json!([{"output_type": "stream", "name": "stdout", "text": ["Writing agent.py\n"]}]);
    value["cells"][2]["execution_count"] = serde_json::json!(7);
    value["cells"][2]["metadata"] = serde_json::json!({"tags": ["keep"]});
    fs::write(
        &notebook,
        serde_json::to_string_pretty(&value).unwrap() + "\n",
    )
    .unwrap();
    dir
}

fn contents(dir: &Path) -> Vec<(String, String)> {
    [
        "01_agent.ipynb",
        "02_log_agent.py",
        "other_agent.py",
        "model/MLmodel",
    ]
    .iter()
    .map(|name| {
        (
            name.to_string(),
            fs::read_to_string(dir.join(name)).unwrap(),
        )
    })
    .collect()
}

#[test]
fn adds_noqa_everywhere_keeps_other_comments_and_is_idempotent() {
    let dir = project();
    let notebook_before: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("01_agent.ipynb")).unwrap())
            .unwrap();

    let output = obolint(dir.path(), &["check", "--add-noqa"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("added 8 `# noqa` codes in 4 files"),
        "{}",
        stderr(&output)
    );
    // The `%pip` line's finding cannot be suppressed by a comment there: said, not added.
    assert!(
        stderr(&output).contains(
            "warning: 01_agent.ipynb:cell 2:1: a `# noqa` comment there would not suppress `OBO502`; not added"
        ),
        "{}",
        stderr(&output)
    );

    let agent = fs::read_to_string(dir.path().join("other_agent.py")).unwrap();
    assert!(
        agent.contains("ModelServingUserCredentials())  # type: ignore  # noqa: OBO101\n"),
        "{agent}"
    );
    assert!(
        agent.contains("ModelServingUserCredentials())  # noqa: E501, OBO101 -- long\n"),
        "{agent}"
    );
    // A multi-line call: on its first line; trailing white space gives way to the comment.
    assert!(
        agent.contains("self.u = WorkspaceClient(  # noqa: OBO101\n            credentials_strategy=ModelServingUserCredentials())   \n"),
        "{agent}"
    );
    let log = fs::read_to_string(dir.path().join("02_log_agent.py")).unwrap();
    assert!(
        log.contains("\"serving.serving-endpoints\"]  # noqa: OBO401, OBO402\n"),
        "{log}"
    );
    let manifest = fs::read_to_string(dir.path().join("model/MLmodel")).unwrap();
    assert!(
        manifest
            .contains("- sql.statment-execution  # noqa: OBO403\n    - all-apis  # noqa: OBO403\n"),
        "{manifest}"
    );
    let notebook: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("01_agent.ipynb")).unwrap())
            .unwrap();
    for key in ["outputs", "execution_count", "metadata"] {
        assert_eq!(notebook["cells"][2][key], notebook_before["cells"][2][key]);
    }
    assert_eq!(notebook["metadata"], notebook_before["metadata"]);
    let cell: String = notebook["cells"][2]["source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        cell.contains(
            "VectorSearchRetrieverTool(index_name=\"main.sales.playbooks\")  # noqa: OBO202\n"
        ),
        "{cell}"
    );

    // Only the finding no comment can reach is left, and a second run changes nothing.
    let check = obolint(
        dir.path(),
        &["check", "--output-format", "concise", "--no-cache"],
    );
    let printed = String::from_utf8_lossy(&check.stdout);
    assert_eq!(printed.matches("[error]").count(), 1, "{printed}");
    assert!(printed.contains("OBO502"), "{printed}");
    let before = contents(dir.path());
    let again = obolint(dir.path(), &["check", "--add-noqa"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stderr(&again).contains("added 0 `# noqa` codes in 0 files"),
        "{}",
        stderr(&again)
    );
    assert_eq!(contents(dir.path()), before);
}

#[test]
fn add_noqa_reports_only_the_given_paths_and_says_nothing_when_quiet() {
    let dir = project();
    let output = obolint(dir.path(), &["check", "--add-noqa", "-q", "other_agent.py"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr(&output), "");
    assert!(
        fs::read_to_string(dir.path().join("other_agent.py"))
            .unwrap()
            .contains("# noqa: OBO101")
    );
    assert!(
        !fs::read_to_string(dir.path().join("02_log_agent.py"))
            .unwrap()
            .contains("# noqa")
    );
    // It writes files, so it cannot be combined with what only shows them.
    let output = obolint(dir.path(), &["check", "--add-noqa", "--diff"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Copies `from` (a fixture folder) into a new temporary project.
fn copy_fixture(from: &Path) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        for entry in fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                fs::create_dir_all(&target).unwrap();
                copy(&entry.path(), &target);
            } else if kind.is_file() {
                fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    copy(from, dir.path());
    if !dir.path().join("pyproject.toml").exists() {
        fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"t\"\n",
        )
        .unwrap();
    }
    dir
}

/// The files of a folder with their bytes, to compare two states.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == ".obolint_cache") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// On every rule fixture: after `--add-noqa`, each finding left is one it said it could not
/// suppress (or OBO900/OBO901, which it never adds), and a second run changes nothing.
#[test]
fn add_noqa_on_every_fixture_suppresses_what_it_says_and_settles() {
    let mut folders: Vec<PathBuf> = Vec::new();
    for rule in fs::read_dir(repo().join("fixtures/rules"))
        .unwrap()
        .flatten()
    {
        for case in fs::read_dir(rule.path()).unwrap().flatten() {
            if case.path().is_dir() {
                folders.push(case.path());
            }
        }
    }
    folders.sort();
    assert!(folders.len() > 100, "{}", folders.len());
    let mut added = 0;
    for folder in &folders {
        let dir = copy_fixture(folder);
        let first = obolint(dir.path(), &["check", "--no-cache", "--add-noqa"]);
        assert_eq!(first.status.code(), Some(0), "{}", folder.display());
        let said = stderr(&first);
        added += said
            .split("added ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{}: {said}", folder.display()));
        let check = obolint(
            dir.path(),
            &["check", "--no-cache", "--output-format", "json"],
        );
        let left: Vec<serde_json::Value> = serde_json::from_slice(&check.stdout).unwrap();
        for finding in &left {
            let code = finding["code"].as_str().unwrap();
            assert!(
                matches!(code, "OBO900" | "OBO901")
                    || said.contains(&format!("would not suppress `{code}`"))
                    || said.contains(&format!("`# noqa: {code}` not added")),
                "{}: {finding}\n{said}",
                folder.display()
            );
        }
        let before = snapshot(dir.path());
        let second = obolint(dir.path(), &["check", "--no-cache", "--add-noqa"]);
        assert!(
            stderr(&second).contains("added 0 "),
            "{}: {}",
            folder.display(),
            stderr(&second)
        );
        assert!(snapshot(dir.path()) == before, "{}", folder.display());
    }
    assert!(added > 100, "{added}");
}
