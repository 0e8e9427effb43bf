//! Hostile repositories are normal input: no panic, output that cannot be written is an error
//! (never a panic or a silent loss), honest diagnostics, escaped user strings. Each test is built
//! from a reproducer of a reliability problem (named in the test's comment).

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn obolint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("obolint runs")
}

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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn no_panic(output: &Output) {
    assert_ne!(output.status.code(), Some(101), "{}", stderr(output));
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
}

const AGENT: &str = "import mlflow
from mlflow.pyfunc import ResponsesAgent
from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials


class Agent(ResponsesAgent):
    def predict(self, request):
        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
        return w.genie.start_conversation_and_wait(\"s\", \"q\")


mlflow.models.set_model(Agent())
";

/// Reproducer `pep508_invalid_name_panic`: pep508_rs panics on a name ending in `-`, `_` or `.`
/// (`a-==1`, `a-[x]`) or such an extra, from every place requirements are read.
#[test]
fn invalid_requirement_names_do_not_panic() {
    let dir = project(&[
        ("agent.py", AGENT),
        ("requirements.txt", "a-==1\nb_[x]\n"),
        (
            "conda.yaml",
            "dependencies:\n  - python=3.11\n  - pip:\n    - \"a-==1\"\n",
        ),
        (
            "log.py",
            "# Databricks notebook source\n# MAGIC %pip install -U mlfl- a-[x]\n\n# COMMAND ----------\nimport mlflow\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", pip_requirements=[\"a-==1\"])\nmlflow.pyfunc.log_model(name=\"b\", python_model=\"agent.py\", conda_env=\"conda.yaml\")\nmlflow.pyfunc.log_model(name=\"c\", python_model=\"agent.py\", pip_requirements=\"requirements.txt\")\n",
        ),
    ]);
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"t\"\ndependencies = [\"a-==1\", \"mlflow[x-]>=3\"]\n",
    )
    .expect("write");
    for format in ["concise", "json"] {
        let output = obolint(dir.path(), &["check", ".", "--output-format", format]);
        no_panic(&output);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            stderr(&output)
        );
    }
    no_panic(&obolint(dir.path(), &["scopes", "."]));
}

fn full_disk() -> fs::File {
    fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

/// Reproducer `scopes_broken_pipe_panic`: every subcommand reports a full disk on stdout as a
/// tool error (exit 2), never a panic.
#[test]
fn every_subcommand_reports_a_full_disk() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = project(&[("agent.py", AGENT)]);
    let commands: &[&[&str]] = &[
        &["check", "."],
        &["check", ".", "--output-format", "json"],
        &["check", ".", "--show-settings"],
        &["scopes", "."],
        &["scopes", ".", "--output-format", "json"],
        &["rule", "--all"],
        &["rule", "OBO101"],
        &["rule", "--all", "--output-format", "json"],
        &["rules"],
        &["rules", "--output-format", "json"],
    ];
    for args in commands {
        let output = Command::new(env!("CARGO_BIN_EXE_obolint"))
            .args(*args)
            .current_dir(dir.path())
            .stdout(full_disk())
            .output()
            .expect("obolint runs");
        no_panic(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("cannot write the output"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

/// Reproducer `scopes_broken_pipe_panic`: `--diff` to a full disk lost the diff and exited 1.
#[test]
fn diff_to_a_full_disk_is_an_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let agent = "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())\n        return w\n\n\nmlflow.models.set_model(Agent())\n";
    let dir = project(&[("agent.py", agent)]);
    let diff = obolint(dir.path(), &["check", "--diff"]);
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    assert!(
        stdout(&diff).contains("+++ b/agent.py"),
        "{}",
        stdout(&diff)
    );
    let output = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(["check", "--diff"])
        .current_dir(dir.path())
        .stdout(full_disk())
        .output()
        .expect("obolint runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot write the output"));
}

/// Reproducer `scopes_broken_pipe_panic`: a reader that closes the pipe early (`| head -1`) ends
/// the output quietly, with no panic, once the output exceeds the pipe's buffer.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let dir = project(&[("agent.py", AGENT)]);
    for args in [&["rule", "--all"][..], &["rules"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_obolint"))
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("obolint runs");
        // Close the read end at once: every write fails with EPIPE.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("obolint ends");
        no_panic(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

/// Reproducers `nul_byte_hides_rest` (with its `syntax_error_variant`) and `nul_only_file_clean`.
#[test]
fn syntax_errors_and_nul_bytes_are_honest() {
    let log = "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"genie\"])))\n";
    let broken = AGENT.replacen("\n\nclass", "\nx = = 1\nclass", 1);
    let with_nul = AGENT.replacen("import mlflow\n", "import mlflow\0\n", 1);
    for agent in [broken.as_str(), with_nul.as_str()] {
        let dir = project(&[("agent.py", agent), ("log.py", log)]);
        let output = obolint(dir.path(), &["check", ".", "--output-format", "concise"]);
        let text = stdout(&output);
        assert!(
            text.contains("agent.py:") && text.contains("OBO900"),
            "{text}"
        );
        assert!(
            !text.contains("OBO305"),
            "code after a syntax error is unknown: {text}"
        );
        assert!(!text.contains("OBO402"), "{text}");
        assert!(!output.stdout.contains(&0), "no raw NUL: {text}");
        let full = obolint(dir.path(), &["check", "."]);
        assert!(!full.stdout.contains(&0), "{}", stdout(&full));
    }
    // A file of NUL bytes only is not clean.
    let dir = project(&[("agent.py", &"\0".repeat(1000))]);
    let output = obolint(dir.path(), &["check", ".", "--output-format", "concise"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(
            "agent.py:1:1: OBO900 [error] syntax error: source code cannot contain null bytes"
        ),
        "{}",
        stdout(&output)
    );
    assert!(!output.stdout.contains(&0));
}

/// Reproducer `terminal_escape_injection`: a scope string with escape sequences and a newline
/// neither drives the terminal nor starts a `::error` workflow command line in human outputs.
#[test]
fn user_strings_are_escaped_in_human_outputs() {
    let log = "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\nmlflow.pyfunc.log_model(\n    name=\"agent\",\n    python_model=\"agent.py\",\n    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"x\\x1b[2J\\x1b]0;owned\\x07\\n::error file=PWNED.py::injected\"])),\n)\n# raw \x1b[31m in a comment\n";
    let dir = project(&[("agent.py", AGENT), ("log.py", log)]);
    for args in [
        &["check", ".", "--output-format", "concise"][..],
        &["check", ".", "--output-format", "full"][..],
        &["scopes", "."][..],
    ] {
        let output = obolint(dir.path(), args);
        let text = stdout(&output);
        assert!(text.contains("PWNED"), "{args:?}: {text}");
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{args:?}: {text}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("::")),
            "{args:?}: {text}"
        );
    }
}

/// Reproducers `config_bad_exclude_glob_only_warning` and `config_dev_null_message`.
#[test]
fn configuration_problems_say_what_and_where() {
    let dir = project(&[("agent.py", "x = 1\n")]);
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname=\"x\"\n[tool.obolint]\nexclude = [\"{a,b\"]\n",
    )
    .expect("write");
    let output = obolint(dir.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("pyproject.toml:4") && stderr(&output).contains("{a,b"),
        "{}",
        stderr(&output)
    );
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname=\"x\"\n[tool.obolint]\nextend-exclude = [\"src/[\"]\n",
    )
    .expect("write");
    let output = obolint(dir.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("pyproject.toml:4"),
        "{}",
        stderr(&output)
    );

    let dir = project(&[("agent.py", "x = 1\n")]);
    if Path::new("/dev/null").exists() {
        for command in ["check", "scopes"] {
            let output = obolint(dir.path(), &[command, "--config", "/dev/null", "."]);
            assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
            assert!(
                stderr(&output).contains("is not a regular file"),
                "{}",
                stderr(&output)
            );
        }
    }
    let output = obolint(dir.path(), &["check", "--config", ".", "."]);
    assert!(
        stderr(&output).contains("is a folder"),
        "{}",
        stderr(&output)
    );
    let output = obolint(dir.path(), &["check", "--config", "nope.toml", "."]);
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
}

/// A class whose base is an attribute of itself (`class A(A.y)`), directly, through a module or
/// through another file's class: resolving the bases looked the attribute up among the bases
/// being resolved, and recursed until the stack overflowed (found by a helper that tried to
/// break the rules' scheduling; older than it).
#[test]
fn classes_based_on_their_own_attributes_do_not_overflow_the_stack() {
    for files in [
        &[("m.py", "import databricks\nclass A(A.y):\n    pass\n")][..],
        &[(
            "m.py",
            "import databricks\nimport m\nclass A(m.A.y):\n    pass\n",
        )],
        &[
            (
                "a.py",
                "import databricks\nimport b\nclass A(b.B.x):\n    pass\n",
            ),
            (
                "b.py",
                "import databricks\nimport a\nclass B(a.A.y):\n    pass\n",
            ),
        ],
        &[(
            "m.py",
            "import databricks\nclass A(B.y):\n    pass\nclass B(A.x):\n    pass\nA().y()\n",
        )],
    ] {
        let dir = project(files);
        for args in [
            &["check", "--no-cache", "--output-format", "concise", "."][..],
            &["scopes"],
        ] {
            let out = obolint(dir.path(), args);
            no_panic(&out);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{files:?} {args:?}: {:?}\n{}",
                out.status,
                stderr(&out)
            );
        }
    }
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

/// `check` and `scopes` end within 20 s, without a panic, with a findings exit code.
fn checks_in_time(dir: &Path) {
    for args in [
        &["check", "--no-cache", "--output-format", "concise", "."][..],
        &["scopes"],
    ] {
        let out = obolint_within(dir, args, 20);
        no_panic(&out);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {:?}\n{}",
            out.status,
            stderr(&out)
        );
    }
}

/// Values built from the one before, several times over, level after level: a list extended
/// with the previous list (`log_model`'s scopes), an f-string URL interpolating the previous URL
/// (an MCP server's), a `python_model` path (an f-string, `os.path.join`), lists of lists (an
/// `auth_policy`, what is printed next to a credential), functions that call the previous one
/// several times (OBO601's guards, OBO207's uses of a fallback): each level multiplied the work
/// (and the list or text) of the one before, so a file of 1-3 KB took from seconds to minutes
/// and gigabytes (found by helpers that looked for them).
#[test]
fn values_that_double_at_every_level_take_no_time() {
    let chain = |first: &str, line: &dyn Fn(usize) -> String| -> String {
        let mut text = first.to_string();
        for level in 1..=12 {
            text.push_str(&line(level));
        }
        text
    };
    let lists = |first: &str| {
        chain(first, &|level| {
            format!("s{level} = []\n") + &format!("s{level}.extend(s{})\n", level - 1).repeat(5)
        })
    };
    let urls = |first: &str| {
        chain(first, &|level| {
            format!(
                "u{level} = f'{}'\n",
                format!("{{u{}}}", level - 1).repeat(10)
            )
        })
    };
    let log_model = |scopes: &str| {
        format!(
            "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n{scopes}mlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=s12)))\n"
        )
    };
    let mcp_agent = |urls: &str| {
        format!(
            "import mlflow\nfrom databricks_mcp import DatabricksMCPClient\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n{urls}class Agent(mlflow.pyfunc.ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return DatabricksMCPClient(server_url=u12, workspace_client=w).list_tools()\nmlflow.models.set_model(Agent())\n"
        )
    };
    let plain_log_model = "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"sql\"])))\n";
    // `name{level} = <the previous level's name, `times` times, joined as `each` says>`.
    let levels = |first: &str, name: &str, top: usize, each: &dyn Fn(&str) -> String| {
        let mut text = first.to_string();
        for level in 1..=top {
            text.push_str(&format!(
                "{name}{level} = {}\n",
                each(&format!("{name}{}", level - 1))
            ));
        }
        text
    };
    let repeated = |what: &str, times: usize, separator: &str| vec![what; times].join(separator);
    // A `python_model` path: an f-string of the previous path, or `os.path.join` of it.
    let path_log_model = |paths: String, top: usize| {
        format!(
            "import mlflow\nimport os\n{paths}mlflow.pyfunc.log_model(name=\"a\", python_model=p{top})\n"
        )
    };
    let fstring_paths = levels("p0 = 'a'\n", "p", 5, &|previous| {
        format!("f'{}'", repeated(&format!("{{{previous}}}"), 30, ""))
    });
    let joined_paths = levels("p0 = 'a'\n", "p", 5, &|previous| {
        format!("os.path.join({})", repeated(previous, 40, ", "))
    });
    // Lists of lists of the previous name: an `auth_policy`, an argument printed next to a
    // credential.
    let nested = |times: usize| {
        levels("p0 = 1\n", "p", 4, &|previous| {
            format!("[{}]", repeated(previous, times, ", "))
        })
    };
    let policy_log_model = format!(
        "import mlflow\n{}mlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", auth_policy=[{}])\n",
        nested(40),
        repeated("p4", 40, ", ")
    );
    let printed_agent = format!(
        "{AGENT}w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n{}print({})\n",
        nested(60),
        repeated("p4", 60, ", ")
    );
    // Functions that call the previous one several times, the last called with a user client:
    // inside a `try` (OBO601, opt-in), or after a fallback to the deployer (OBO207).
    let calls = |times: usize, top: usize, first: &str| {
        let mut text = first.to_string();
        for level in 1..=top {
            text.push_str(&format!(
                "def f{level}(c):\n{}",
                format!("    f{}(c)\n", level - 1).repeat(times)
            ));
        }
        text
    };
    let guarded_agent = format!(
        "import mlflow\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks_langchain import GenieAgent\n{}class Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        try:\n{}        except Exception:\n            pass\n        return 1\nmlflow.models.set_model(Agent())\n",
        calls(
            10,
            7,
            "def f0(c):\n    return GenieAgent(genie_space_id=\"01ef77\", genie_agent_name=\"Costs\", client=c)\n"
        ),
        "            f7(w)\n".repeat(10)
    );
    let fallback_agent = format!(
        "import mlflow\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\nfrom mlflow.pyfunc import ResponsesAgent\n{}class Agent(ResponsesAgent):\n    def predict(self, request):\n        try:\n            w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        except Exception:\n            w = WorkspaceClient()\n{}        return 1\nmlflow.models.set_model(Agent())\n",
        calls(120, 3, "def f0(c):\n    return 1\n"),
        "        f3(w)\n".repeat(120)
    );
    let opt_in = "[project]\nname = \"t\"\n[tool.obolint]\nextend-select = [\"OBO601\"]\n";
    let plain = "[project]\nname = \"t\"\n";
    for (log, agent, pyproject) in [
        (
            log_model(&lists("s0 = ['sql']\n")),
            AGENT.to_string(),
            plain,
        ),
        (log_model(&lists("s0 = []\n")), AGENT.to_string(), plain),
        (
            plain_log_model.to_string(),
            mcp_agent(&urls("u0 = 'https://h/api/2.0/mcp/genie/x'\n")),
            plain,
        ),
        (
            plain_log_model.to_string(),
            mcp_agent(&urls("u0 = ''\n")),
            plain,
        ),
        (path_log_model(fstring_paths, 5), AGENT.to_string(), plain),
        (path_log_model(joined_paths, 5), AGENT.to_string(), plain),
        (policy_log_model, AGENT.to_string(), plain),
        (plain_log_model.to_string(), printed_agent, plain),
        (plain_log_model.to_string(), guarded_agent, opt_in),
        (plain_log_model.to_string(), fallback_agent, plain),
    ] {
        let dir = project(&[
            ("log_model.py", &log),
            ("agent.py", &agent),
            ("pyproject.toml", pyproject),
        ]);
        checks_in_time(dir.path());
    }
    // A name bound several times over to the previous name, level after level: the forwarded
    // headers of a Streamlit app, a value in a request handler (and a dict filled with it).
    let rebound = |first: &str, indent: &str, times: usize, each: &dyn Fn(usize) -> String| {
        let mut text = first.to_string();
        for level in 1..=5 {
            text.push_str(&format!("{indent}{}", each(level)).repeat(times));
        }
        text
    };
    let headers_app = rebound(
        "import streamlit as st\nfrom databricks.sdk import WorkspaceClient\nh0 = st.context.headers\n",
        "",
        30,
        &|level| format!("h{level} = h{}\n", level - 1),
    ) + "def tok():\n    return h5.get(\"x-forwarded-access-token\")\nw = WorkspaceClient(token=tok())\nst.write(w.current_user.me())\n";
    let handler = |each: &dyn Fn(usize) -> String| {
        rebound(
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        h0 = 1\n",
            "        ",
            40,
            each,
        ) + "        return 1\nmlflow.models.set_model(Agent())\n"
    };
    let rebinding_agent = handler(&|level| format!("h{level} = h{}\n", level - 1));
    let filling_agent = handler(&|level| {
        format!(
            "h{level} = {{}}\n        h{level}[\"a\"] = h{}\n",
            level - 1
        )
    });
    for files in [
        vec![
            (
                "app/app.yaml",
                "command: [\"streamlit\", \"run\", \"app.py\"]\n".to_string(),
            ),
            ("app/app.py", headers_app),
        ],
        vec![("agent.py", rebinding_agent)],
        vec![("agent.py", filling_agent)],
    ] {
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let dir = project(&files);
        checks_in_time(dir.path());
    }
}

/// Files that are large but not deep, where a reader ran once per mention, per call or per
/// statement and each time read something that grows with the file: a name bound thousands
/// of times and mentioned thousands of times (printed next to a credential, an app's headers,
/// an instance's attribute), thousands of resource calls each looking for a `try` among
/// thousands of statements (OBO601, opt-in), thousands of fallbacks each reading every call
/// after it (OBO207), thousands of `if token: return` each reading the rest of the function
/// (OBO704), a diamond of classes 900 levels deep (each method lookup walked every class above
/// it and searched those it had seen), a notebook of 5,000 cells each with a syntax error. Each
/// took from seconds to minutes for 15-100 KB (found by a helper that looked for
/// them); each now takes a fraction of a second.
#[test]
fn files_that_repeat_one_shape_take_no_time() {
    const LOG: &str = "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\nmlflow.pyfunc.log_model(name=\"a\", python_model=\"agent.py\", auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"dashboards.genie\"])))\n";
    const HEAD: &str = "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n";
    const SERVE: &str = "class Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w.genie.start_conversation_and_wait('s', 'q')\nmlflow.models.set_model(Agent())\n";
    // OBO601: resource calls reached through callers that call each other, after many
    // statements.
    let mut guard = format!(
        "{HEAD}from databricks.sdk.errors import PermissionDenied\n{}def f0(c):\n{}",
        "x = 1\n".repeat(1000),
        " c.genie.start_conversation_and_wait('s', 'q')\n".repeat(100)
    );
    for level in 1..8 {
        guard.push_str(&format!(
            "def f{level}(c):\n{}",
            format!(" f{}(c)\n", level - 1).repeat(10)
        ));
    }
    guard.push_str("class Agent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        try:\n            f7(w)\n        except PermissionDenied:\n            pass\n        return 1\nmlflow.models.set_model(Agent())\n");
    // OBO106: a name bound many times, printed many times.
    let printed = format!(
        "{HEAD}{}print({})\n{SERVE}",
        "x = 1\n".repeat(5000),
        "x, ".repeat(12000)
    );
    // An app's headers: a name bound many times to them, mentioned many times.
    let headers = format!(
        "import streamlit as st\nfrom databricks.sdk import WorkspaceClient\n{}h = 1\nprint({})\nw = WorkspaceClient(token=st.context.headers.get('x-forwarded-access-token'))\nst.write(w.current_user.me())\n",
        "h = st.context.headers\n".repeat(2000),
        "h, ".repeat(24000)
    );
    // OBO207: many fallbacks, many calls after them.
    let fallbacks = format!(
        "{HEAD}class Agent(ResponsesAgent):\n    def predict(self, request):\n{}        x = [{}]\n        return 1\nmlflow.models.set_model(Agent())\n",
        "        try:\n            w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        except Exception:\n            w = WorkspaceClient()\n".repeat(700),
        "g(), ".repeat(12500)
    );
    // An instance bound many times, its attribute read many times.
    let instances = format!(
        "{HEAD}from databricks_langchain import GenieAgent\nclass C:\n    def __init__(self):\n        self.c = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n{}class Agent(ResponsesAgent):\n    def predict(self, request):\n{}        return 1\nmlflow.models.set_model(Agent())\n",
        "x = C()\n".repeat(4000),
        "        GenieAgent(client=x.c)\n".repeat(4000)
    );
    // OBO704: many `if token: return`, each followed by the rest of the function.
    let returns = format!(
        "import flask\nfrom databricks.sdk import WorkspaceClient\ndef f():\n    t = flask.request.headers.get('X-Forwarded-Access-Token')\n{}    x = [{}]\n    return WorkspaceClient()\n",
        "    if t: return\n".repeat(4000),
        "g(), ".repeat(10000)
    );
    let opt_in = "[project]\nname = \"t\"\n[tool.obolint]\nextend-select = [\"OBO601\"]\n";
    let app_yaml = "command: [\"python\", \"app.py\"]\n";
    // A diamond of classes, level after level, each calling a method none of them has: each
    // lookup walks every class above.
    let mut diamond = format!("{HEAD}class B0(ResponsesAgent):\n    pass\n");
    for level in 1..=900 {
        let before = level - 1;
        diamond.push_str(&format!(
            "class L{level}(B{before}):\n    pass\nclass R{level}(B{before}):\n    pass\nclass B{level}(L{level}, R{level}):\n    def m{level}(self):\n        return self.z()\n"
        ));
    }
    diamond.push_str("class Agent(B900):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w.genie.start_conversation_and_wait('s', 'q')\nmlflow.models.set_model(Agent())\n");
    // A Databricks notebook of many cells, each with a syntax error: each error looked for its
    // cell among all the cells, and for an error of that cell among all the errors.
    let cells: Vec<String> = (0..5000).map(|i| format!("x{i} = (\n")).collect();
    let broken = format!(
        "# Databricks notebook source\nimport mlflow\n\n# COMMAND ----------\n{}",
        cells.join("\n# COMMAND ----------\n")
    );
    let cases: [&[(&str, &str)]; 8] = [
        &[
            ("agent.py", &guard),
            ("log.py", LOG),
            ("pyproject.toml", opt_in),
        ],
        &[("agent.py", &printed), ("log.py", LOG)],
        &[("app/app.py", &headers), ("app/app.yaml", app_yaml)],
        &[("agent.py", &fallbacks)],
        &[("agent.py", &instances), ("log.py", LOG)],
        &[("app/app.py", &returns), ("app/app.yaml", app_yaml)],
        &[("agent.py", &diamond), ("log.py", LOG)],
        &[("nb.py", &broken)],
    ];
    for files in cases {
        let dir = project(files);
        let out = obolint_within(
            dir.path(),
            &["check", "--no-cache", "--output-format", "concise", "."],
            20,
        );
        no_panic(&out);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{:?}\n{}",
            out.status,
            stderr(&out)
        );
    }
}

// Hostile repositories at scale: shapes whose cost grew faster than their size (a search of
// every target, file, cell or comment for each of its kind), each checked at a size where the
// quadratic or cubic cost took minutes and a linear one takes seconds, in a debug build.

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
