//! End-to-end tests of the `obolint` binary: exit codes, JSON, bad input, narrowed paths.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn obolint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("obolint runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn json(output: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap_or_else(|e| {
            panic!(
                "invalid JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
        .as_array()
        .expect("an array")
        .clone()
}

/// `(code, filename, row)` of each finding.
fn findings(output: &Output) -> Vec<(String, String, u64)> {
    json(output)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["filename"].as_str().unwrap().to_string(),
                d["location"]["row"].as_u64().unwrap(),
            )
        })
        .collect()
}

const AGENT_HEADER: &str = "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\n",
    )
    .unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn agent_with_init_client() -> String {
    format!(
        "{AGENT_HEADER}\n\nclass Agent(ResponsesAgent):\n    def __init__(self):\n        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\n    def predict(self, request):\n        return None\n"
    )
}

#[test]
fn example_project_reports_findings_as_json() {
    let output = obolint(
        &repo(),
        &["check", "--output-format", "json", "fixtures/example-agent"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        findings(&output),
        [
            (
                "OBO101".into(),
                "fixtures/example-agent/sales_agent/agent.py".into(),
                15
            ),
            (
                "OBO201".into(),
                "fixtures/example-agent/sales_agent/agent.py".into(),
                20
            ),
        ]
    );
    let first = &json(&output)[0];
    for key in [
        "code",
        "name",
        "severity",
        "message",
        "filename",
        "cell",
        "location",
        "end_location",
        "fix",
        "url",
    ] {
        assert!(first.get(key).is_some(), "field {key} is missing");
    }
    assert_eq!(first["name"], "user-client-at-load-time");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["location"]["column"], 28);
    assert_eq!(first["end_location"]["column"], 41);
    assert!(
        first["url"]
            .as_str()
            .unwrap()
            .ends_with("/docs/rules/OBO101.md")
    );
    let fix = &json(&output)[1]["fix"];
    assert_eq!(fix["applicability"], "unsafe");
    assert_eq!(fix["edits"][0]["content"], ", client=user");
}

#[test]
fn full_output_is_rustc_style_with_summary() {
    let output = obolint(
        &repo(),
        &["check", "--color", "never", "fixtures/example-agent"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("error[OBO101]: user client built through this call in `__init__`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--> fixtures/example-agent/sales_agent/agent.py:15:28"),
        "{stdout}"
    );
    assert!(
        stdout.contains("= help: build it inside `predict()`"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("obolint: 2 errors (1 fixable with --unsafe-fixes)"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "no colour unless asked");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let output = obolint(
        &repo(),
        &["check", "--color", "always", "fixtures/example-agent"],
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
    // Not a terminal: `auto` means no colour.
    let output = obolint(&repo(), &["check", "fixtures/example-agent"]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
}

#[test]
fn clean_project_exits_zero() {
    let dir = project(&[(
        "agent.py",
        &format!(
            "{AGENT_HEADER}\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w.current_user.me()\n"
        ),
    )]);
    let output = obolint(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("obolint: no problems found"));
    let output = obolint(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(json(&output).len(), 0);
}

#[test]
fn exit_zero_and_fail_on() {
    let dir = project(&[("agent.py", &agent_with_init_client())]);
    assert_eq!(obolint(dir.path(), &["check"]).status.code(), Some(1));
    assert_eq!(
        obolint(dir.path(), &["check", "--exit-zero"]).status.code(),
        Some(0)
    );
    assert_eq!(
        obolint(dir.path(), &["check", "--fail-on", "warning"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn missing_path_is_a_tool_error() {
    let dir = project(&[]);
    let output = obolint(dir.path(), &["check", "no_such_dir"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no_such_dir") && stderr.contains("does not exist"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_exit_two() {
    let dir = project(&[]);
    assert_eq!(
        obolint(dir.path(), &["check", "--output-format", "yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(obolint(dir.path(), &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn syntax_errors_and_bad_bytes_are_findings_and_the_rest_is_checked() {
    let dir = project(&[
        ("broken.py", "import mlflow\ndef f(:\n"),
        ("agent.py", &agent_with_init_client()),
    ]);
    fs::write(
        dir.path().join("latin1.py"),
        b"import mlflow\nname = '\xe9t\xe9'\n",
    )
    .unwrap();
    let output = obolint(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        findings(&output),
        [
            ("OBO101".into(), "agent.py".into(), 9),
            ("OBO900".into(), "broken.py".into(), 2),
            ("OBO900".into(), "latin1.py".into(), 2),
        ]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_do_not_stop_the_run() {
    let dir = project(&[
        ("agent.py", &agent_with_init_client()),
        ("pkg/mod.py", "x = 1\n"),
    ]);
    std::os::unix::fs::symlink(dir.path().join("pkg"), dir.path().join("pkg/loop")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.py"),
        dir.path().join("dangling.py"),
    )
    .unwrap();
    let output = obolint(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("symlink loop"), "{stderr}");
    let codes: Vec<_> = findings(&output)
        .into_iter()
        .map(|(c, f, _)| format!("{c} {f}"))
        .collect();
    assert_eq!(codes, ["OBO101 agent.py", "OBO900 dangling.py"]);
}

#[test]
fn paths_narrow_reports_not_understanding() {
    // agent.py shows no OBO intent itself; the script that logs it declares a UserAuthPolicy.
    let dir = project(&[
        (
            "agent.py",
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks_langchain import GenieAgent\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        return GenieAgent(\"01ef\", \"Sales\").invoke({})\n\n\nmlflow.models.set_model(Agent())\n",
        ),
        (
            "log_model.py",
            "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"genie\"])))\n",
        ),
        ("other.py", &agent_with_init_client()),
    ]);
    let whole = findings(&obolint(dir.path(), &["check", "--output-format", "json"]));
    assert_eq!(whole.len(), 2);
    let narrowed = findings(&obolint(
        dir.path(),
        &["check", "--output-format", "json", "agent.py"],
    ));
    assert_eq!(
        narrowed,
        [("OBO201".to_string(), "agent.py".to_string(), 8)]
    );
}

#[test]
fn project_root_is_found_above_the_paths() {
    let dir = project(&[
        ("src/pkg/__init__.py", ""),
        ("src/pkg/agent.py", &agent_with_init_client()),
    ]);
    let output = obolint(
        &dir.path().join("src/pkg"),
        &["check", "--output-format", "json", "agent.py"],
    );
    assert_eq!(
        findings(&output),
        [("OBO101".to_string(), "agent.py".to_string(), 9)]
    );
}

#[test]
fn version() {
    let output = obolint(&repo(), &["--version"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("obolint "));
}

#[test]
fn deeply_nested_and_long_files_do_not_crash() {
    let nested = format!(
        "import mlflow\nx = {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let chain = format!("import mlflow\nx = {}\n", vec!["a"; 300_000].join(" + "));
    let dir = project(&[
        ("nested.py", nested.as_str()),
        ("chain.py", chain.as_str()),
        ("empty.py", ""),
        (
            "crlf_notebook.py",
            "# Databricks notebook source\r\nimport mlflow\r\n# COMMAND ----------\r\n# COMMAND ----------\r\n",
        ),
        ("bom.py", "\u{feff}import mlflow\r\nx = 1\r\n"),
    ]);
    let output = obolint(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(json(&output).is_empty());
}
