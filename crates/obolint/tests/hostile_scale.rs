//! Hostile repositories at scale: shapes whose cost grew faster than their size (a search of
//! every target, file, cell or comment for each of its kind), each checked at a size where the
//! quadratic or cubic cost took minutes and a linear one takes seconds, in a debug build.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\n",
    )
    .expect("write");
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn no_panic(output: &Output) {
    assert_ne!(output.status.code(), Some(101), "{}", stderr(output));
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
}

/// Runs obolint, killed after `seconds` (a failure of the test).
fn obolint_within(cwd: &Path, args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("obolint runs");
    // Read while it runs: a report larger than a pipe's buffer would block it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed().as_secs() >= seconds {
            let _ = child.kill();
            panic!("obolint {args:?} did not finish within {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

/// `args` end within 20 s, without a panic, with a findings exit code.
fn runs_in_time(dir: &Path, args: &[&str]) {
    let out = obolint_within(dir, args, 20);
    no_panic(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {:?}\n{}",
        out.status,
        stderr(&out)
    );
}

const CHECK: &[&str] = &["check", "--no-cache", "--output-format", "concise", "."];

const APP: &str = "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\n";

/// A bundle of a thousand variables, a thousand targets and an app whose thousand scopes are each
/// a `${var.x}`: every scope in every target searched every target and variable (cubic, 12 s in
/// a release build for 57 KB). And one anchored list of scopes shared by many apps.
#[test]
fn bundle_variables_are_substituted_in_time() {
    let n = 1000;
    let mut yaml = String::from("bundle: {name: b}\nvariables:\n");
    for i in 0..n {
        yaml.push_str(&format!("  v{i}: {{default: s{i}}}\n"));
    }
    yaml.push_str(
        "resources:\n  apps:\n    a:\n      source_code_path: ./app\n      user_api_scopes:\n",
    );
    for _ in 0..n {
        yaml.push_str(&format!("        - ${{var.v{}}}\n", n - 1));
    }
    yaml.push_str("targets:\n");
    for i in 0..n {
        yaml.push_str(&format!("  t{i}: {{}}\n"));
    }
    let dir = project(&[("databricks.yml", &yaml), ("app/app.py", APP)]);
    runs_in_time(dir.path(), CHECK);

    let (apps, targets, scopes, variables) = (40, 300, 300, 300);
    let mut yaml = String::from("bundle: {name: b}\nvariables:\n");
    for i in 0..variables {
        yaml.push_str(&format!("  v{i}: {{default: s{i}}}\n"));
    }
    yaml.push_str(
        "resources:\n  apps:\n    a0:\n      source_code_path: ./app\n      user_api_scopes: &s\n",
    );
    for _ in 0..scopes {
        yaml.push_str(&format!("        - ${{var.v{}}}\n", variables - 1));
    }
    for k in 1..apps {
        yaml.push_str(&format!(
            "    a{k}: {{source_code_path: ./app, user_api_scopes: *s}}\n"
        ));
    }
    yaml.push_str("targets:\n");
    for i in 0..targets {
        yaml.push_str(&format!("  t{i}: {{}}\n"));
    }
    let dir = project(&[("databricks.yml", &yaml), ("app/app.py", APP)]);
    runs_in_time(dir.path(), CHECK);
}

/// Many small Databricks notebooks that each `%pip install`: each looked through every file of
/// the project for those it writes (40,000 took 8 s in a release build).
#[test]
fn pip_notebooks_are_linked_in_time() {
    let n = 40_000;
    let dir = project(&[]);
    let body = "# Databricks notebook source\n# MAGIC %pip install mlflow\n\n# COMMAND ----------\n\nx = 1\n";
    for i in 0..n {
        fs::write(dir.path().join(format!("nb{i}.py")), body).expect("write");
    }
    runs_in_time(dir.path(), CHECK);
}

/// One `.ipynb` of many `%%writefile` cells, each writing its own file: each file written looked
/// through all those before it (20,000 cells took 20 s in a release build).
#[test]
fn writefile_cells_are_gathered_in_time() {
    let n = 20_000;
    let cells: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"cell_type": "code", "source": "%%writefile f{i}.py\nx = {i}\n", "metadata": {{}}, "outputs": [], "execution_count": null}}"#
            )
        })
        .collect();
    let notebook = format!(
        r#"{{"cells": [{}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#,
        cells.join(", ")
    );
    let dir = project(&[("nb.ipynb", &notebook)]);
    runs_in_time(dir.path(), CHECK);
}

/// Many findings each hidden by its own `# noqa`: each finding looked through every directive and
/// every statement of the file (40,000 took 11 s in a release build). And `--add-noqa` on a
/// `%%writefile` cell of many fixable functions in a Databricks notebook, whose `# MAGIC` lines
/// are all comments: each finding looked through every comment (32,000 took 8 s).
#[test]
fn suppressions_are_matched_in_time() {
    let mut agent = String::from(
        "from databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials as M\n",
    );
    for i in 0..40_000 {
        agent.push_str(&format!(
            "w{i} = WorkspaceClient(credentials_provider=M())  # noqa: OBO104\n"
        ));
    }
    let dir = project(&[("agent.py", &agent)]);
    runs_in_time(dir.path(), CHECK);

    let mut notebook = String::from(
        "# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\n# MAGIC %%writefile agent.py\n# MAGIC from databricks.sdk import WorkspaceClient\n# MAGIC from databricks_ai_bridge import ModelServingUserCredentials\n",
    );
    for i in 0..32_000 {
        notebook.push_str(&format!(
            "# MAGIC def predict{i}():\n# MAGIC     w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())\n# MAGIC     return w\n"
        ));
    }
    let dir = project(&[("nb.py", &notebook)]);
    runs_in_time(dir.path(), CHECK);
    // `--add-noqa` rewrites the notebook: on a copy of its own.
    let copy = project(&[("nb.py", &notebook)]);
    runs_in_time(
        copy.path(),
        &[
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            "--add-noqa",
            ".",
        ],
    );
}
