//! `--config KEY=VALUE`: a key of `[tool.obolint]` with a TOML value, over every configuration
//! file read (and the defaults); errors name the key; `--show-settings` shows it.

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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const AGENT: &str = "from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials
from mlflow.pyfunc import ResponsesAgent


class Agent(ResponsesAgent):
    def __init__(self):
        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())

    def predict(self, request):
        return None
";

/// The same agent at the root (whose `pyproject.toml` ignores OBO101) and in `sub/`, whose
/// own `obolint.toml` sets OBO101's severity to warning.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\n\n[tool.obolint]\nignore = [\"OBO101\"]\n",
    )
    .unwrap();
    fs::write(dir.path().join("agent.py"), AGENT).unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(
        dir.path().join("sub/obolint.toml"),
        "ignore = [\"OBO101\"]\n[severity]\nOBO101 = \"warning\"\n",
    )
    .unwrap();
    fs::write(dir.path().join("sub/agent.py"), AGENT).unwrap();
    dir
}

fn concise(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["check", "--output-format", "concise"];
    args.extend_from_slice(extra);
    let output = obolint(dir, &args);
    (output.status.code(), text(&output.stdout))
}

#[test]
fn overrides_apply_over_every_configuration_file() {
    let dir = project();
    let (code, out) = concise(dir.path(), &[]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "obolint: no problems found\n")
    );

    // `ignore = []` replaces both files' `ignore`; each file keeps its other keys.
    let (code, out) = concise(dir.path(), &["--config", "ignore = []"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("agent.py:8:18: OBO101 [error]"), "{out}");
    assert!(out.contains("sub/agent.py:8:18: OBO101 [warning]"), "{out}");

    // Several overrides, TOML dotted keys, and `fail-on` from the command line's config.
    let (code, out) = concise(
        dir.path(),
        &[
            "--config",
            "ignore=[]",
            "--config",
            "severity.OBO101 = 'warning'",
            "--config",
            "fail-on = \"warning\"",
        ],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("obolint: 2 warnings"),
        "both files take the override: {out}"
    );

    // The cache tells the runs apart: without the override, clean again.
    let (code, _) = concise(dir.path(), &[]);
    assert_eq!(code, Some(0));

    // With `--isolated` no file is read, and the override still applies (to the defaults).
    let (code, out) = concise(
        dir.path(),
        &["--isolated", "--config", "severity = {OBO101 = 'info'}"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OBO101 [info]"), "{out}");
}

#[test]
fn show_settings_reflects_overrides() {
    let dir = project();
    let output = obolint(
        dir.path(),
        &[
            "check",
            "--show-settings",
            "--config",
            "ignore = []",
            "--config",
            "extra-scopes = ['my-scope']",
            "sub/agent.py",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let out = text(&output.stdout);
    assert!(out.contains("configuration: "), "{out}");
    assert!(out.contains("sub/obolint.toml\n"), "{out}");
    assert!(out.contains("override (--config): ignore = []\n"), "{out}");
    assert!(
        out.contains("  OBO101 user-client-at-load-time (warning)\n"),
        "{out}"
    );
    assert!(out.contains("extra-scopes: [\"my-scope\"]\n"), "{out}");
}

#[test]
fn override_errors_name_the_key_and_exit_two() {
    let dir = project();
    for (value, expected) in [
        ("selct = ['OBO1']", "unknown key `selct`"),
        (
            "respect-gitignore = 'yes'",
            "invalid value for `respect-gitignore`",
        ),
        (
            "select = ['E501']",
            "invalid value for `select`: unknown rule selector `E501`",
        ),
        (
            "max-file-size = '12 parsecs'",
            "invalid value for `max-file-size`",
        ),
        ("select = [", "is not a TOML `KEY = VALUE`"),
    ] {
        let output = obolint(dir.path(), &["check", "--config", value]);
        assert_eq!(output.status.code(), Some(2), "{value}");
        let err = text(&output.stderr);
        assert!(err.contains(expected), "{value}: {err}");
        assert!(err.contains("--config"), "{value}: {err}");
    }
    // A configuration file and `--isolated` cannot go together; a missing file is named.
    let output = obolint(
        dir.path(),
        &["check", "--isolated", "--config", "pyproject.toml"],
    );
    assert_eq!(output.status.code(), Some(2));
    let output = obolint(dir.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("missing.toml"));
}

#[test]
fn config_command_explains_every_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = obolint(dir.path(), &["config"]);
    assert_eq!(output.status.code(), Some(0));
    let list = text(&output.stdout);
    // The same keys, in the same order, as the generated page.
    let page =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/settings.md"))
            .unwrap();
    let documented: Vec<&str> = page.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let listed: Vec<&str> = list
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(listed, documented);
    assert!(documented.contains(&"per-file-ignores"));

    let output = obolint(dir.path(), &["config", "fail-on"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        text(&output.stdout),
        "fail-on\n\nThe lowest severity that fails the run (exit 1). `--fail-on` wins over it.\n\nType: \"error\" | \"warning\"\nDefault: \"error\"\nExample:\n  [tool.obolint]\n  fail-on = \"warning\"\n"
    );
    let output = obolint(dir.path(), &["config", "--output-format", "json"]);
    let all: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(all.as_array().unwrap().len(), documented.len());
    assert_eq!(all[0]["key"], "select");
    // Each example works as an override.
    for option in all.as_array().unwrap() {
        let value = format!(
            "{} = {}",
            option["key"].as_str().unwrap(),
            option["example"].as_str().unwrap()
        );
        let output = obolint(
            dir.path(),
            &["check", "--show-settings", "--config", &value],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{value}: {}",
            text(&output.stderr)
        );
    }
    let output = obolint(dir.path(), &["config", "selct"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown configuration key `selct`"));
}

#[test]
fn scopes_takes_overrides_too() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/example-notebooks");
    let output = obolint(&example, &["scopes", "--config", "scope-style = 'short'"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        // The declared list as the rules want it: new scopes in the configured style.
        text(&output.stdout).contains(
            "policy: UserAuthPolicy(api_scopes=[\"dashboards.genie\", \"sql\", \"vector-search\"])"
        ),
        "{}",
        text(&output.stdout)
    );
    let output = obolint(&example, &["scopes", "--config", "scope-styl = 'short'"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown key `scope-styl`"));
}
