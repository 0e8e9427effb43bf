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
    // OBO201 in agent.py, OBO305 (scopes, no user client) in log_model.py, OBO101 in other.py.
    assert_eq!(whole.len(), 3, "{whole:?}");
    let narrowed = findings(&obolint(
        dir.path(),
        &["check", "--output-format", "json", "agent.py"],
    ));
    // OBO305 is about the model agent.py belongs to: it is reported with agent.py too.
    assert_eq!(
        narrowed,
        [
            ("OBO201".to_string(), "agent.py".to_string(), 8),
            ("OBO305".to_string(), "log_model.py".to_string(), 4)
        ]
    );
    let narrowed = findings(&obolint(
        dir.path(),
        &["check", "--output-format", "json", "other.py"],
    ));
    assert_eq!(
        narrowed,
        [("OBO101".to_string(), "other.py".to_string(), 9)]
    );
}

/// pre-commit passes only the changed files: a change to `agent.py` that needs a scope the
/// unchanged `log_model.py` does not declare must fail, through OBO401's secondary label (the
/// use) and through the model (OBO402 has no label in `agent.py`).
#[test]
fn cross_file_findings_reach_the_files_that_caused_them() {
    let agent = format!(
        "{AGENT_HEADER}\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return client.genie.get_space(\"x\")\n\n\nmlflow.models.set_model(Agent())\n"
    );
    let dir = project(&[
        ("agent.py", &agent),
        (
            "log_model.py",
            "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\nmlflow.pyfunc.log_model(\n    name=\"a\",\n    python_model=\"agent.py\",\n    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"model-serving\"])),\n)\n",
        ),
        ("unrelated.py", "import os\n"),
        ("other_agent.py", &agent_with_init_client()),
    ]);
    let expected = [
        ("OBO401".to_string(), "log_model.py".to_string(), 7),
        ("OBO402".to_string(), "log_model.py".to_string(), 7),
    ];
    let given = |paths: &[&str]| {
        let mut args = vec!["check", "--output-format", "json"];
        args.extend(paths);
        findings(&obolint(dir.path(), &args))
    };
    assert_eq!(given(&["agent.py"]), expected);
    assert_eq!(given(&["log_model.py"]), expected);
    // A file of no model with a finding, and one with none: the model's findings stay out.
    assert_eq!(given(&["unrelated.py"]), []);
    assert_eq!(
        given(&["other_agent.py"]),
        [("OBO101".to_string(), "other_agent.py".to_string(), 9)]
    );
    let output = obolint(dir.path(), &["check", "agent.py"]);
    assert_eq!(output.status.code(), Some(1));
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

fn genie_project() -> tempfile::TempDir {
    project(&[(
        "agent.py",
        &format!(
            "{AGENT_HEADER}from databricks_langchain import GenieAgent\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())\n        return GenieAgent(\"01ef\", \"Sales\")  # noqa: OBO999\n"
        ),
    )])
}

fn codes(output: &Output) -> Vec<String> {
    findings(output).into_iter().map(|(c, _, _)| c).collect()
}

#[test]
fn selection_from_flags_and_configuration() {
    let dir = genie_project();
    assert_eq!(
        codes(&obolint(dir.path(), &["check", "--output-format", "json"])),
        ["OBO104", "OBO201", "OBO901"]
    );
    assert_eq!(
        codes(&obolint(
            dir.path(),
            &["check", "--output-format", "json", "--select", "OBO2"]
        )),
        ["OBO201"]
    );
    assert_eq!(
        codes(&obolint(
            dir.path(),
            &[
                "check",
                "--output-format",
                "json",
                "--ignore",
                "OBO104,OBO9"
            ]
        )),
        ["OBO201"]
    );
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\n\n[tool.obolint]\nignore = [\"OBO901\"]\nfail-on = \"warning\"\n\n[tool.obolint.severity]\nOBO201 = \"warning\"\n\n[tool.obolint.per-file-ignores]\n\"agent.py\" = [\"OBO104\"]\n",
    )
    .unwrap();
    let output = obolint(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(codes(&output), ["OBO201"]);
    assert_eq!(json(&output)[0]["severity"], "warning");
    assert_eq!(
        output.status.code(),
        Some(1),
        "fail-on = warning from the configuration"
    );
    assert_eq!(
        obolint(dir.path(), &["check", "--fail-on", "error"])
            .status
            .code(),
        Some(0),
        "the flag wins"
    );
    assert_eq!(
        codes(&obolint(
            dir.path(),
            &["check", "--output-format", "json", "--isolated"]
        )),
        ["OBO104", "OBO201", "OBO901"]
    );
    fs::write(dir.path().join("other.toml"), "select = [\"OBO1\"]\n").unwrap();
    assert_eq!(
        codes(&obolint(
            dir.path(),
            &["check", "--output-format", "json", "--config", "other.toml"]
        )),
        ["OBO104"]
    );
    let settings = obolint(dir.path(), &["check", "--show-settings", "agent.py"]);
    let text = String::from_utf8_lossy(&settings.stdout);
    assert!(
        text.contains("pyproject.toml")
            && text.contains("OBO201 genie-without-user-client (warning)")
            && !text.contains("OBO104")
            && text.contains("max-file-size: 64 MiB")
            && text.contains("scope-style: auto")
            && text.contains(".obolint_cache"),
        "{text}"
    );
}

#[test]
fn nearest_configuration_wins() {
    let dir = project(&[
        ("sub/agent.py", &agent_with_init_client()),
        ("agent.py", &agent_with_init_client()),
    ]);
    fs::write(
        dir.path().join("sub/obolint.toml"),
        "ignore = [\"OBO101\"]\n",
    )
    .unwrap();
    assert_eq!(
        findings(&obolint(dir.path(), &["check", "--output-format", "json"])),
        [("OBO101".into(), "agent.py".into(), 9)]
    );
}

/// A configuration file the ignore files hide is no nested project, but still its folder's
/// configuration, for files in folders below it that hold none (the walk lists those and does not
/// look in them again); in a nested project too; with and without the cache, and after one
/// appears lower down.
#[test]
fn an_ignored_configuration_governs_the_folders_below_it() {
    let dir = project(&[
        ("sub/a/b/agent.py", &agent_with_init_client()),
        ("agent.py", &agent_with_init_client()),
        (".gitignore", "obolint.toml\n"),
        ("sub/obolint.toml", "ignore = [\"OBO101\"]\n"),
        // The same in a nested project, whose walk replays the outer one's.
        ("inner/pyproject.toml", "[project]\nname = \"i\"\n"),
        ("inner/.gitignore", "obolint.toml\n"),
        ("inner/sub/a/b/agent.py", &agent_with_init_client()),
        ("inner/sub/obolint.toml", "ignore = [\"OBO101\"]\n"),
    ]);
    let only_root = [("OBO101".to_string(), "agent.py".to_string(), 9)];
    assert_eq!(
        findings(&obolint(
            dir.path(),
            &["check", "--no-cache", "--output-format", "json"]
        )),
        only_root
    );
    for _ in 0..2 {
        assert_eq!(
            findings(&obolint(dir.path(), &["check", "--output-format", "json"])),
            only_root
        );
    }
    // A configuration added in a folder the last run saw without one: read this time.
    fs::write(
        dir.path().join("sub/a/obolint.toml"),
        "select = [\"OBO1\"]\n",
    )
    .unwrap();
    let both = [
        ("OBO101".to_string(), "agent.py".to_string(), 9),
        ("OBO101".to_string(), "sub/a/b/agent.py".to_string(), 9),
    ];
    assert_eq!(
        findings(&obolint(dir.path(), &["check", "--output-format", "json"])),
        both
    );
    assert_eq!(
        findings(&obolint(
            dir.path(),
            &["check", "--no-cache", "--output-format", "json"]
        )),
        both
    );
}

#[test]
fn configuration_errors_name_file_line_and_key() {
    let dir = project(&[("agent.py", "x = 1\n")]);
    fs::write(dir.path().join("pyproject.toml"), "[project]\nname = \"t\"\n\n[tool.obolint]\nselect = [\"OBO\"]\nextend-selct = [\"OBO405\"]\n").unwrap();
    let output = obolint(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pyproject.toml:6")
            && stderr.contains("extend-selct")
            && stderr.contains("extend-select"),
        "{stderr}"
    );
    fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.obolint]\nignore = [\"OBO9999\"]\n",
    )
    .unwrap();
    let stderr = String::from_utf8_lossy(&obolint(dir.path(), &["check"]).stderr).into_owned();
    assert!(
        stderr.contains("unknown rule selector `OBO9999`"),
        "{stderr}"
    );
    fs::write(dir.path().join("pyproject.toml"), "[tool.obolint\n").unwrap();
    assert_eq!(obolint(dir.path(), &["check"]).status.code(), Some(2));
    let output = obolint(dir.path(), &["check", "--isolated", "--select", "E501"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--select: unknown rule selector `E501`")
    );
}

#[test]
fn fix_diff_and_unsafe_fixes() {
    let dir = genie_project();
    let agent = dir.path().join("agent.py");
    let original = fs::read_to_string(&agent).unwrap();

    let diff = obolint(dir.path(), &["check", "--diff"]);
    assert_eq!(diff.status.code(), Some(1), "a diff exits 1");
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(
        text.contains("--- a/agent.py")
            && text.contains("+        w = WorkspaceClient(credentials_strategy="),
        "{text}"
    );
    assert!(
        !text.contains("client=w"),
        "unsafe fixes need --unsafe-fixes"
    );
    assert_eq!(
        fs::read_to_string(&agent).unwrap(),
        original,
        "--diff writes nothing"
    );

    let fixed = obolint(dir.path(), &["check", "--fix", "--output-format", "json"]);
    assert_eq!(fixed.status.code(), Some(1), "OBO201 remains");
    assert_eq!(codes(&fixed), ["OBO201"]);
    let after = fs::read_to_string(&agent).unwrap();
    assert!(
        after.contains("credentials_strategy=") && !after.contains("noqa"),
        "{after}"
    );

    let unsafe_fixed = obolint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(
        unsafe_fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&unsafe_fixed.stdout)
    );
    assert!(
        String::from_utf8_lossy(&unsafe_fixed.stdout)
            .contains("obolint: fixed 1 finding in 1 file")
    );
    assert!(
        fs::read_to_string(&agent)
            .unwrap()
            .contains("GenieAgent(\"01ef\", \"Sales\", client=w)")
    );
    assert_eq!(
        obolint(dir.path(), &["check", "--diff", "--unsafe-fixes"])
            .status
            .code(),
        Some(0),
        "nothing left to fix"
    );
}

#[test]
fn exit_non_zero_on_fix_fails_a_run_that_changed_a_file() {
    // OBO104 (a warning, below the default `--fail-on error`) with a safe fix.
    let agent = format!(
        "{AGENT_HEADER}\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())\n        return w.current_user.me()\n\n\nmlflow.models.set_model(Agent())\n"
    );
    let run = |args: &[&str]| {
        let dir = project(&[("agent.py", &agent)]);
        let code = obolint(dir.path(), args).status.code();
        let fixed = fs::read_to_string(dir.path().join("agent.py")).unwrap();
        (code, fixed.contains("credentials_strategy="), dir)
    };
    assert_eq!(run(&["check", "--fix"]).0, Some(0));
    let (code, fixed, dir) = run(&["check", "--fix", "--exit-non-zero-on-fix"]);
    assert_eq!((code, fixed), (Some(1), true));
    // Nothing left to fix: 0 again.
    let again = obolint(dir.path(), &["check", "--fix", "--exit-non-zero-on-fix"]);
    assert_eq!(again.status.code(), Some(0));
    // It needs `--fix`, and contradicts `--exit-zero`.
    assert_eq!(run(&["check", "--exit-non-zero-on-fix"]).0, Some(2));
    assert_eq!(
        run(&["check", "--fix", "--exit-zero", "--exit-non-zero-on-fix"]).0,
        Some(2)
    );
}

#[test]
fn shell_completions_come_from_the_argument_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = obolint(dir.path(), &["generate-shell-completion", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for word in [
            "obolint",
            "check",
            "scopes",
            // fish writes long options as `-l output-format`.
            "output-format",
            "exit-non-zero-on-fix",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let output = obolint(dir.path(), &["generate-shell-completion", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn each_command_help_describes_that_command() {
    let dir = tempfile::tempdir().unwrap();
    let help = |command: &str| {
        String::from_utf8(obolint(dir.path(), &[command, "--help"]).stdout).unwrap()
    };
    let scopes = help("scopes");
    assert!(scopes.contains("UserAuthPolicy"), "{scopes}");
    assert!(!scopes.contains("Markdown"), "{scopes}");
    assert!(help("rules").contains("a table"));
    assert!(help("rule").contains("markdown"));
}

#[test]
fn rules_and_rule_commands() {
    let dir = project(&[]);
    let output = obolint(dir.path(), &["rules"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("OBO101") && text.contains("user-client-at-load-time"),
        "{text}"
    );
    let output = obolint(dir.path(), &["rules", "--output-format", "json"]);
    let rules: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r["code"] == "OBO201" && r["fix"] == "sometimes")
    );
    let output = obolint(dir.path(), &["rule", "OBO101"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with("# OBO101: user-client-at-load-time")
            && text.contains("## Why is this bad?"),
        "{text}"
    );
    let output = obolint(dir.path(), &["rule", "OBO201", "--output-format", "json"]);
    let rule: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rule["name"], "genie-without-user-client");
    let output = obolint(dir.path(), &["rule", "--all"]);
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .matches("## What it does")
            .count()
            >= 5
    );
    let output = obolint(dir.path(), &["rule", "OBO999"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown rule code `OBO999`"));
}

#[test]
fn a_fix_that_would_break_parsing_is_dropped() {
    // `f(x for x in y, client=w)` is a syntax error: the generator must be parenthesized.
    let dir = project(&[(
        "agent.py",
        &format!(
            "{AGENT_HEADER}from databricks_langchain import GenieAgent\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return GenieAgent(s for s in request.spaces)\n"
        ),
    )]);
    let before = fs::read_to_string(dir.path().join("agent.py")).unwrap();
    let output = obolint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("would leave the file unparseable; not applied"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("agent.py")).unwrap(),
        before
    );
}

#[test]
fn a_notebook_that_logs_the_agent_is_understood_when_only_the_agent_is_checked() {
    let dir = project(&[
        (
            "agent.py",
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks_langchain import GenieAgent\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        return GenieAgent(\"01ef\", \"Sales\").invoke({})\n\n\nmlflow.models.set_model(Agent())\n",
        ),
        (
            "driver.py",
            "# Databricks notebook source\n# MAGIC %pip install mlflow\n\n# COMMAND ----------\n\nimport mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\n# COMMAND ----------\n\npolicy = AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"genie\"]))\nmlflow.pyfunc.log_model(name=\"agent\", python_model=\"agent.py\", auth_policy=policy)\n",
        ),
    ]);
    let whole = findings(&obolint(dir.path(), &["check", "--output-format", "json"]));
    let narrowed = findings(&obolint(
        dir.path(),
        &["check", "--output-format", "json", "agent.py"],
    ));
    assert_eq!(
        whole,
        [
            ("OBO201".to_string(), "agent.py".to_string(), 8),
            ("OBO305".to_string(), "driver.py".to_string(), 11),
        ]
    );
    assert_eq!(narrowed, whole[..1]);
}

#[test]
fn output_file_statistics_and_github_default() {
    let dir = genie_project();
    let output = obolint(
        dir.path(),
        &[
            "check",
            "--output-format",
            "sarif",
            "--output-file",
            "out.sarif",
            "--color",
            "never",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("error[OBO201]"),
        "people still see the findings"
    );
    let sarif: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);

    let output = obolint(dir.path(), &["check", "--statistics"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("1\tOBO104\t[*] deprecated-credentials-provider"),
        "{text}"
    );

    let in_actions = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_obolint"))
            .args(args)
            .current_dir(dir.path())
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            text.starts_with("::warning file=agent.py,line=10,"),
            "{text}"
        );
        text
    };
    let text = in_actions(&["check"]);
    assert!(text.contains("::error file=agent.py,line=11,"), "{text}");

    // Inside GitHub Actions, `--output-file` with another format keeps the annotations in the
    // log, and the file gets its own format.
    let text = in_actions(&[
        "check",
        "--output-format",
        "json",
        "--output-file",
        "out.json",
    ]);
    assert!(
        text.trim_end().ends_with("more with --unsafe-fixes)"),
        "{text}"
    );
    let written: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(written.as_array().unwrap().len(), 3);
}

/// "Fixable" means one thing everywhere: a fix `--fix` or `--unsafe-fixes` applies. A
/// display-only fix (OBO103 on a client that takes the caller another way) is shown, not counted.
#[test]
fn display_only_fixes_are_not_counted_as_fixable() {
    let dir = project(&[(
        "agent.py",
        &format!(
            "{AGENT_HEADER}from databricks_langchain import GenieAgent\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        return GenieAgent(\"01ef\", \"Sales\", credentials_provider=ModelServingUserCredentials())\n\n\nmlflow.models.set_model(Agent())\n"
        ),
    )]);
    let json = json(&obolint(dir.path(), &["check", "--output-format", "json"]));
    let obo103: Vec<&Value> = json.iter().filter(|d| d["code"] == "OBO103").collect();
    assert_eq!(obo103.len(), 1, "{json:?}");
    assert_eq!(obo103[0]["fix"]["applicability"], "display-only");
    let output = obolint(dir.path(), &["check", "--statistics", "--select", "OBO103"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("1\tOBO103\tmisplaced-obo-strategy"), "{text}");
    let output = obolint(
        dir.path(),
        &[
            "check",
            "--statistics",
            "--output-format",
            "json",
            "--select",
            "OBO103",
        ],
    );
    let stats: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(stats[0]["fixable"], 0, "{stats}");
    let output = obolint(
        dir.path(),
        &["check", "--select", "OBO103", "--color", "never"],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.trim_end().ends_with("obolint: 1 error"), "{text}");
    // `obolint rules`: OBO103's applicable fix (a misspelt keyword) is there only sometimes.
    let output = obolint(dir.path(), &["rules", "--output-format", "json"]);
    let rules: Value = serde_json::from_slice(&output.stdout).unwrap();
    let obo103 = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "OBO103")
        .unwrap();
    assert_eq!(obo103["fix"], "sometimes");
}

#[test]
fn self_referencing_assignments_and_call_chains_stay_fast() {
    // Each of these took exponential time before names and returns were remembered.
    let mut chain =
        String::from("import mlflow\nfrom databricks.sdk import WorkspaceClient\nc = None\n");
    chain.push_str(&"c = c\n".repeat(40));
    chain.push_str("def g(w=None):\n");
    chain.push_str(&"    w = w or WorkspaceClient()\n".repeat(40));
    chain.push_str("    return w\ndef f0():\n    return None\n");
    for i in 1..40 {
        chain.push_str(&format!(
            "def f{i}():\n    return f{p}() or f{p}() or f{p}() or f{p}()\n",
            p = i - 1
        ));
    }
    chain.push_str("mlflow.log_param(key=c, value=g(), other=f39())\n");
    let dir = project(&[("agent.py", &chain)]);
    let started = std::time::Instant::now();
    let output = obolint(dir.path(), &["check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn suppression_edge_cases_fix_cleanly() {
    let text = "import mlflow\nx: int = \"a\"  # type: ignore  # noqa: OBO101\n# pylint: disable=foo  # noqa: OBO102 -- why\ny = 1  # noqa: OBO101  # pylint: disable=bar\nz = 2  # noqa:\u{a0}OBO101,\u{3000}OBO102\nw = 3  # noqa: obo101\ndef f(:\n    pass\n";
    let dir = project(&[("a.py", text)]);
    // A code the parser cannot read is not a blanket suppression: the syntax error still shows.
    let output = obolint(dir.path(), &["check", "--output-format", "json"]);
    assert!(codes(&output).contains(&"OBO900".to_string()));
    let output = obolint(dir.path(), &["check", "--fix"]);
    assert!(
        output.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("a.py")).unwrap(),
        "import mlflow\nx: int = \"a\"  # type: ignore\n# pylint: disable=foo\ny = 1  # pylint: disable=bar\nz = 2\nw = 3\ndef f(:\n    pass\n"
    );
}

#[test]
fn deep_nesting_survives_fixing() {
    let deep = format!(
        "import mlflow  # noqa: OBO101\nx = {}1\n",
        "-".repeat(200_000)
    );
    let dir = project(&[("deep.py", deep.as_str())]);
    let output = obolint(dir.path(), &["check", "--diff"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(unix)]
#[test]
fn fixing_through_a_symlink_keeps_the_link() {
    let dir = project(&[("shared/util.py", "import mlflow  # noqa: OBO101\n")]);
    fs::create_dir_all(dir.path().join("proj")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("shared/util.py"),
        dir.path().join("proj/util.py"),
    )
    .unwrap();
    let output = obolint(dir.path(), &["check", "--fix", "proj"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        fs::symlink_metadata(dir.path().join("proj/util.py"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("shared/util.py")).unwrap(),
        "import mlflow\n"
    );
}

#[test]
fn sarif_paths_are_relative_to_the_repository() {
    let output = obolint(
        &repo().join("fixtures/example-agent"),
        &["check", "--output-format", "sarif"],
    );
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(uri, "fixtures/example-agent/sales_agent/agent.py");
}

#[test]
fn scopes_on_the_notebook_example_human_and_json() {
    let dir = repo().join("fixtures/example-notebooks");
    let human = obolint(&dir, &["scopes"]);
    assert_eq!(human.status.code(), Some(0));
    insta::assert_snapshot!(
        "scopes_human",
        String::from_utf8_lossy(&human.stdout).into_owned()
    );
    // The README shows this output: it must stay what obolint prints.
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let shown = String::from_utf8_lossy(&human.stdout).into_owned();
    assert!(
        readme.contains(&shown),
        "README's `obolint scopes` example is stale; it should read:\n{shown}"
    );
    let json_out = obolint(&dir, &["scopes", "--output-format", "json"]);
    assert_eq!(json_out.status.code(), Some(0));
    let models: serde_json::Value = serde_json::from_slice(&json_out.stdout).expect("json");
    let model = &models[0];
    assert_eq!(
        model["missing"],
        serde_json::json!(["sql.statement-execution"])
    );
    assert_eq!(
        model["unneeded"],
        serde_json::json!(["serving.serving-endpoints"])
    );
    assert_eq!(
        model["policy"],
        "UserAuthPolicy(api_scopes=[\"dashboards.genie\", \"sql.statement-execution\", \"vectorsearch.vector-search-indexes\"])"
    );
    assert_eq!(
        model["kept"][0]["scope"],
        "vectorsearch.vector-search-indexes"
    );
    assert_eq!(model["kept"][0]["rule"], "OBO202");
    assert_eq!(model["lower_bound"], false);
    let genie = &model["required"][0];
    assert_eq!(genie["scope"], "dashboards.genie");
    assert_eq!(genie["uses"][0]["location"]["filename"], "01_agent.ipynb");
    assert_eq!(genie["uses"][0]["location"]["cell"], 3);
    insta::assert_snapshot!(
        "scopes_json",
        String::from_utf8_lossy(&json_out.stdout).into_owned()
    );
}

/// `obolint scopes` on the AI Gateway fixture: the LLM calls routed through AI Gateway need
/// `ai-gateway`, and no serving scope.
#[test]
fn scopes_on_the_ai_gateway_fixture() {
    let fixture = repo().join("fixtures/rules/OBO401/silent_ai_gateway_routes");
    let texts: Vec<(&str, String)> = ["agent.py", "log_model.py"]
        .into_iter()
        .map(|name| (name, fs::read_to_string(fixture.join(name)).unwrap()))
        .collect();
    let files: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let dir = project(&files);
    let human = obolint(dir.path(), &["scopes"]);
    assert_eq!(human.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&human.stdout).into_owned();
    assert!(
        shown.contains("UserAuthPolicy(api_scopes=[\"ai-gateway\"])"),
        "{shown}"
    );
    assert!(!shown.contains("model-serving"), "{shown}");
    assert!(!shown.contains("serving.serving-endpoints"), "{shown}");
    let json_out = obolint(dir.path(), &["scopes", "--output-format", "json"]);
    let models: Value = serde_json::from_slice(&json_out.stdout).expect("json");
    assert_eq!(
        models[0]["policy"],
        "UserAuthPolicy(api_scopes=[\"ai-gateway\"])"
    );
    assert_eq!(models[0]["missing"], serde_json::json!([]));
    assert_eq!(models[0]["unneeded"], serde_json::json!([]));
}

/// `obolint scopes` is honest about what it cannot see: with an opaque use the policy is a
/// lower bound, and it never offers `api_scopes=[]` as ready to paste.
#[test]
fn scopes_with_opaque_uses_is_a_lower_bound() {
    let agent = "import mlflow\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\nfrom mlflow.pyfunc import ResponsesAgent\nfrom some_library import run_tools\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return run_tools(w, request)\n\n\nmlflow.models.set_model(Agent())\n";
    let log = "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\")\n";
    let dir = project(&[("agent.py", agent), ("log_model.py", log)]);
    let human = obolint(dir.path(), &["scopes"]);
    assert_eq!(human.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&human.stdout).into_owned();
    assert!(shown.contains("opaque uses"), "{shown}");
    assert!(shown.contains("policy: none to suggest"), "{shown}");
    assert!(!shown.contains("api_scopes=[]"), "{shown}");
    let json_out = obolint(dir.path(), &["scopes", "--output-format", "json"]);
    let models: Value = serde_json::from_slice(&json_out.stdout).expect("json");
    assert_eq!(models[0]["policy"], Value::Null);
    assert_eq!(models[0]["lower_bound"], true);

    // With a use it can name too, the policy is offered as a lower bound.
    let agent = agent.replace(
        "        return run_tools(w, request)",
        "        w.genie.start_conversation_and_wait(\"space\", \"hi\")\n        return run_tools(w, request)",
    );
    let dir = project(&[("agent.py", &agent), ("log_model.py", log)]);
    let shown = String::from_utf8_lossy(&obolint(dir.path(), &["scopes"]).stdout).into_owned();
    assert!(
        shown.contains("policy (a lower bound: the opaque uses above may need more): UserAuthPolicy(api_scopes=[\"dashboards.genie\"])"),
        "{shown}"
    );
}

#[test]
fn notebook_example_reports_across_notebooks() {
    let dir = repo().join("fixtures/example-notebooks");
    let output = obolint(&dir, &["check", "--output-format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let found: Vec<(String, String, Option<u64>, u64)> = json(&output)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["filename"].as_str().unwrap().to_string(),
                d["cell"].as_u64(),
                d["location"]["row"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("OBO502".into(), "01_agent.ipynb".into(), Some(2), 1),
            ("OBO202".into(), "01_agent.ipynb".into(), Some(3), 15),
            ("OBO401".into(), "02_log_agent.py".into(), None, 11),
            ("OBO402".into(), "02_log_agent.py".into(), None, 11),
        ]
    );
}

#[test]
fn fixing_a_notebook_keeps_its_outputs_and_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = repo().join("fixtures/example-notebooks");
    for name in ["01_agent.ipynb", "02_log_agent.py", "pyproject.toml"] {
        fs::copy(source.join(name), dir.path().join(name)).unwrap();
    }
    let notebook = dir.path().join("01_agent.ipynb");
    let mut value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&notebook).unwrap()).unwrap();
    value["cells"][2]["outputs"] = serde_json::json!([{"output_type": "stream", "name": "stdout", "text": ["Writing agent.py\n"]}]);
    value["cells"][2]["execution_count"] = serde_json::json!(7);
    fs::write(
        &notebook,
        serde_json::to_string_pretty(&value).unwrap() + "\n",
    )
    .unwrap();
    let output = obolint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("fixed 4 findings in 2 files"), "{printed}");
    let after: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&notebook).unwrap()).unwrap();
    assert_eq!(after["cells"][2]["outputs"], value["cells"][2]["outputs"]);
    assert_eq!(after["cells"][2]["execution_count"], 7);
    assert_eq!(after["metadata"], value["metadata"]);
    let source: String = after["cells"][2]["source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        source.contains(
            "VectorSearchRetrieverTool(index_name=\"main.sales.playbooks\", workspace_client=user)"
        ),
        "{source}"
    );
    // The OBO202 fix makes vector search run as the user, so its scope becomes required too.
    let log = fs::read_to_string(dir.path().join("02_log_agent.py")).unwrap();
    assert!(
        log.contains("SCOPES = [\"dashboards.genie\", \"sql.statement-execution\", \"vectorsearch.vector-search-indexes\"]"),
        "{log}"
    );
    // Fixed once, nothing more to fix: a second run changes nothing.
    let before = fs::read_to_string(&notebook).unwrap();
    let again = obolint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(fs::read_to_string(&notebook).unwrap(), before);
    let _ = again;
}

/// The bundled Databricks App: a bundle that includes the app's resource file, an `app.yaml`,
/// and two Python files with user-authorization mistakes. Findings land in Python and YAML, and
/// `obolint scopes` prints the app's block.
#[test]
fn example_app_reports_findings_across_files() {
    let output = obolint(
        &repo(),
        &["check", "--output-format", "json", "fixtures/example-app"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let app = |f: &str| format!("fixtures/example-app/{f}");
    assert_eq!(
        findings(&output),
        [
            ("OBO705".into(), app("app/app.py"), 18),
            ("OBO709".into(), app("app/app.yaml"), 5),
            ("OBO704".into(), app("app/clients.py"), 15),
            ("OBO701".into(), app("app/clients.py"), 16),
            ("OBO702".into(), app("app/clients.py"), 19),
            ("OBO706".into(), app("resources/sales_assistant.app.yml"), 7),
        ]
    );
    // OBO701's fix is safe, OBO706's appends to the included file's list.
    let all = json(&output);
    let auth = all.iter().find(|d| d["code"] == "OBO701").unwrap();
    assert_eq!(auth["fix"]["applicability"], "safe");
    assert_eq!(auth["fix"]["edits"][0]["content"], ", auth_type=\"pat\"");
    let scope = all.iter().find(|d| d["code"] == "OBO706").unwrap();
    assert_eq!(scope["fix"]["edits"][0]["content"], "        - genie\n");

    let dir = repo().join("fixtures/example-app");
    let human = obolint(&dir, &["scopes"]);
    assert_eq!(human.status.code(), Some(0));
    let text = String::from_utf8_lossy(&human.stdout).into_owned();
    assert!(text.contains("app sales_assistant (app)"), "{text}");
    assert!(text.contains("  missing: genie\n"), "{text}");
    assert!(
        text.contains("    user_api_scopes:\n      - genie\n      - sql\n"),
        "{text}"
    );
    let json_out = obolint(&dir, &["scopes", "--output-format", "json"]);
    let items: serde_json::Value = serde_json::from_slice(&json_out.stdout).expect("json");
    assert_eq!(items[0]["app"], "sales_assistant");
    assert_eq!(items[0]["declared"], serde_json::json!(["sql"]));
    assert_eq!(items[0]["missing"], serde_json::json!(["genie"]));

    // `--verbose` says why an app without a bundle gets no scope findings.
    let lone = project(&[
        ("dash/app.yaml", "command: [\"python\", \"app.py\"]\n"),
        (
            "dash/app.py",
            "import flask\nfrom databricks.sdk import WorkspaceClient\n\ndef client():\n    return WorkspaceClient(token=flask.request.headers.get(\"X-Forwarded-Access-Token\"), auth_type=\"pat\")\n",
        ),
    ]);
    let verbose = obolint(lone.path(), &["check", "--verbose"]);
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        stderr.contains("note: app `dash` (dash): no bundle"),
        "{stderr}"
    );
}

/// A fix may edit another file than the one its finding points at: OBO710 points at the header
/// read in Python and declares the scopes in the bundle. `--diff` shows the bundle's change,
/// JSON names the file the fix edits, `--fix` writes the bundle and leaves the Python as it is.
#[test]
fn a_fix_edits_the_bundle_of_the_python_finding() {
    let app = "from databricks.sdk import WorkspaceClient\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.route(\"/ask\")\ndef ask():\n    token = request.headers.get(\"x-forwarded-access-token\")\n    w = WorkspaceClient(host=\"https://x.cloud.databricks.com\", token=token, auth_type=\"pat\")\n    return str(w.genie.start_conversation_and_wait(\"space\", \"q\"))\n";
    let bundle = "bundle:\n  name: ask\n\nresources:\n  apps:\n    ask:\n      name: ask\n      source_code_path: ./app\n";
    let dir = project(&[("databricks.yml", bundle), ("app/app.py", app)]);

    let json_out = obolint(dir.path(), &["check", "--output-format", "json"]);
    let all = json(&json_out);
    let finding = all.iter().find(|d| d["code"] == "OBO710").expect("OBO710");
    assert_eq!(finding["filename"], "app/app.py");
    assert_eq!(finding["fix"]["filename"], "databricks.yml");
    assert_eq!(finding["fix"]["edits"][0]["location"]["row"], 6);

    let diff = obolint(dir.path(), &["check", "--diff", "--unsafe-fixes"]);
    let text = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert!(text.contains("+++ b/databricks.yml"), "{text}");
    assert!(
        text.contains("+      user_api_scopes:\n+        - genie\n"),
        "{text}"
    );
    assert!(!text.contains("app/app.py"), "{text}");
    assert_eq!(
        fs::read_to_string(dir.path().join("databricks.yml")).unwrap(),
        bundle
    );

    let fixed = obolint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stdout)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("databricks.yml")).unwrap(),
        "bundle:\n  name: ask\n\nresources:\n  apps:\n    ask:\n      user_api_scopes:\n        - genie\n      name: ask\n      source_code_path: ./app\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("app/app.py")).unwrap(),
        app
    );
    let again = obolint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(again.status.code(), Some(0));
}

/// A run over a repository holding several projects reports for each what that project alone
/// reports: the nested projects' walks take the outer root's listings of their folders (or
/// walk again where the outer root did not enter, here `a/data`, excluded by the outer root
/// only), under their own ignore files and configuration.
#[test]
fn nested_projects_report_what_each_reports_alone() {
    let agent = agent_with_init_client();
    let dir = project(&[
        ("top.py", &agent),
        ("a/pyproject.toml", "[project]\nname = \"a\"\n"),
        ("a/.gitignore", "ignored.py\n"),
        ("a/agent.py", &agent),
        ("a/ignored.py", &agent),
        ("a/data/agent.py", &agent),
        ("b/pyproject.toml", "[project]\nname = \"b\"\n"),
        ("b/agent.py", &agent),
        ("b/c/obolint.toml", "ignore = [\"OBO101\"]\n"),
        ("b/c/agent.py", &agent),
        ("b/c/pkg/agent.py", &agent),
    ]);
    let top = dir.path();
    fs::write(
        top.join("pyproject.toml"),
        "[project]\nname = \"t\"\n[tool.obolint]\nextend-exclude = [\"data\"]\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", top.join("b/c/pkg/loop")).unwrap();
    let all = obolint(top, &["check", "--output-format", "json", "."]);
    let mut alone = Vec::new();
    for target in ["top.py", "a", "b"] {
        let output = obolint(top, &["check", "--output-format", "json", target]);
        assert_eq!(output.status.code(), Some(1), "{target}");
        alone.extend(findings(&output));
    }
    let mut every = findings(&all);
    every.sort();
    alone.sort();
    assert_eq!(every, alone);
    assert!(
        every.iter().any(|(_, f, _)| f == "a/data/agent.py"),
        "{every:?}"
    );
    assert!(
        !every.iter().any(|(_, f, _)| f == "a/ignored.py"),
        "{every:?}"
    );
    assert!(
        !every.iter().any(|(_, f, _)| f.starts_with("b/c/")),
        "{every:?}"
    );
    let stderr = String::from_utf8_lossy(&all.stderr);
    assert_eq!(stderr.matches("symlink loop").count(), 1, "{stderr}");
}
