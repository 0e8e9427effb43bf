//! Hostile repositories: the walk never leaves the project, and
//! every read is of a regular file, bounded in size. Each test is one reproducer; the ones that
//! used to hang or eat memory run under a timeout.

#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use obolint_linter::discover::{Discovered, discover};
use obolint_linter::{CheckError, CheckReport, CheckRequest, Settings, check};

/// Runs `f` on another thread and fails the test if it takes longer than `seconds` (the thread is
/// left behind; the test process ends with the harness).
fn within<T: Send + 'static>(seconds: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    receive
        .recv_timeout(Duration::from_secs(seconds))
        .unwrap_or_else(|_| panic!("did not finish within {seconds} s"))
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

fn run_check(root: &Path) -> Result<CheckReport, CheckError> {
    run_check_within(root, 60)
}

fn run_check_within(root: &Path, seconds: u64) -> Result<CheckReport, CheckError> {
    let root = root.to_path_buf();
    within(seconds, move || {
        check(&CheckRequest::new(vec![PathBuf::from(".")], root))
    })
}

fn walk(root: &Path) -> Discovered {
    let root = root.to_path_buf();
    within(60, move || discover(&root, &Settings::default()))
}

/// Each of `files` is OBO900 (not read) with a message that says `why`.
fn assert_not_read(report: &CheckReport, files: &[&str], why: &str) {
    let found = findings(report);
    for file in files {
        assert!(
            found.iter().any(|(code, path, message)| code == "OBO900"
                && path == file
                && message.contains(why)),
            "{file}: {found:#?}"
        );
    }
}

/// `(code, display path, message)` of each finding.
fn findings(report: &CheckReport) -> Vec<(String, String, String)> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.rule.code.to_string(),
                report.db.get(d.primary.file).display_path.clone(),
                d.message.clone(),
            )
        })
        .collect()
}

const PYPROJECT: (&str, &str) = ("pyproject.toml", "[project]\nname = \"x\"\n");
const AGENT: (&str, &str) = ("agent.py", "import mlflow\nx = 1\n");

/// `symlink_to_proc_walks_filesystem`: links to `/proc`, `/`, `..` are not followed (one warning
/// each); a link to a folder inside the project is; a loop ends with a warning.
#[test]
fn symlink_to_proc_walks_filesystem() {
    let dir = project(&[PYPROJECT, AGENT, ("pkg/mod.py", "y = 2\n")]);
    let root = dir.path().canonicalize().expect("canonical");
    for (link, target) in [
        ("procdir", PathBuf::from("/proc")),
        ("rootdir", PathBuf::from("/")),
        ("up", PathBuf::from("..")),
        ("inside", PathBuf::from("pkg")),
        ("pkg/loop", PathBuf::from("..")),
        ("environ.py", PathBuf::from("/proc/self/environ")),
    ] {
        std::os::unix::fs::symlink(target, root.join(link)).expect("symlink");
    }
    let found = walk(&root);
    let python: Vec<String> = found
        .python
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap_or_else(|_| panic!("{} is outside the project", p.display()))
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(python, ["agent.py", "inside/mod.py", "pkg/mod.py"]);
    let warned: Vec<String> = found
        .warnings
        .iter()
        .map(|w| {
            let path = w.path.as_deref().map(|p| p.display().to_string());
            format!("{}: {}", path.unwrap_or_default(), w.message)
        })
        .collect();
    for link in ["procdir", "rootdir", "up", "environ.py"] {
        assert!(
            warned.iter().any(|w| w.contains(link)),
            "no warning for {link}: {warned:#?}"
        );
    }
    assert!(warned.len() <= 6, "{warned:#?}");

    let report = run_check(&root).expect("check runs");
    for file in report.db.files().map(|(_, f)| f) {
        assert!(file.path.starts_with(&root), "{}", file.path.display());
    }
}

/// A path argument that is not a regular file or a folder is refused (exit 2 in the CLI).
#[test]
fn special_path_arguments_are_refused() {
    let dir = project(&[PYPROJECT]);
    let fifo = dir.path().join("pipe.py");
    mkfifo(&fifo);
    for path in [PathBuf::from("/dev/zero"), fifo] {
        let cwd = dir.path().to_path_buf();
        let arg = path.clone();
        let result = within(60, move || check(&CheckRequest::new(vec![arg], cwd)));
        match result {
            Err(error @ CheckError::NotFileOrFolder(..)) => {
                assert!(error.to_string().contains("not a regular file"), "{error}");
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
}

fn alias_bomb(head: &str) -> String {
    let mut bomb = format!(
        "{head}a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    for (name, previous) in "bcdefghi".chars().zip("abcdefgh".chars()) {
        let aliases = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{aliases}]\n"));
    }
    bomb
}

const MLMODEL: &str = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nmlflow_version: 3.3.2\n";

/// `yaml_alias_bomb_mlmodel`: a 450-byte billion-laughs `MLmodel` (and `resources.yaml`) is
/// OBO900, fast, in bounded memory.
#[test]
fn yaml_alias_bomb_mlmodel() {
    let mlmodel = alias_bomb(MLMODEL);
    let resources = alias_bomb("api_version: \"1\"\n");
    let dir = project(&[
        PYPROJECT,
        ("model/MLmodel", &mlmodel),
        ("resources.yaml", &resources),
    ]);
    let report = run_check(dir.path()).expect("check runs");
    assert_not_read(&report, &["model/MLmodel", "resources.yaml"], "aliases");
}

/// One long string aliased many times: few nodes, but each alias copies the string (a 276 KB
/// `MLmodel` made 4 GB and aborted the run). The `MLmodel`, an `app.yaml` and a bundle are each
/// OBO900, not read.
#[test]
fn yaml_aliases_of_a_long_string() {
    let long = |head: &str, key: &str| {
        format!(
            "{head}x: &a \"{}\"\n{key}: [{}]\n",
            "A".repeat(100_000),
            vec!["*a"; 1_000].join(",")
        )
    };
    let mlmodel = long(MLMODEL, "l");
    let app = long("command: [python, app.py]\n", "env");
    let bundle = long("bundle: {name: b}\n", "variables");
    let dir = project(&[
        PYPROJECT,
        ("model/MLmodel", &mlmodel),
        ("app/app.yaml", &app),
        (
            "app/app.py",
            "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\n",
        ),
        ("databricks.yml", &bundle),
    ]);
    let report = run_check(dir.path()).expect("check runs");
    assert_not_read(
        &report,
        &["model/MLmodel", "app/app.yaml", "databricks.yml"],
        "MiB of text",
    );
}

/// Folders that each hold two symlinks to the next one: no loop, but two to the power of the
/// depth paths (20 levels, under 2 KB, were a walk of millions of folders and gigabytes). The
/// walk follows no more symlinked folders once it has listed a bound of entries inside them,
/// and says so once.
#[test]
fn a_dag_of_symlinks_is_walked_in_bounded_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let levels = 20;
    for level in 0..=levels {
        let folder = dir.path().join(format!("d{level}"));
        fs::create_dir_all(&folder).expect("mkdir");
        fs::write(folder.join("m.py"), "import mlflow\n").expect("write");
        if level < levels {
            for name in ["a", "b"] {
                std::os::unix::fs::symlink(format!("../d{}", level + 1), folder.join(name))
                    .expect("symlink");
            }
        }
    }
    let found = within(20, {
        let root = dir.path().to_path_buf();
        move || discover(&root, &Settings::default())
    });
    let refused: Vec<_> = found
        .warnings
        .iter()
        .filter(|w| w.message.contains("inside symlinked folders"))
        .collect();
    assert_eq!(refused.len(), 1, "{:#?}", found.warnings);
    assert!(found.python.len() < 100_000, "{}", found.python.len());
    // The folders themselves are all walked.
    for level in 0..=levels {
        let file = dir.path().join(format!("d{level}/m.py"));
        assert!(found.python.contains(&file), "{}", file.display());
    }
}

/// A chain of 1,800 folders, each in the last (a path of 3.6 KB): the walk lists the folders
/// near the root itself, on the stack of the thread, and leaves the deep ones to a walk whose
/// stack of folders is its own (listing every level itself overflowed the stack and aborted).
#[test]
fn a_chain_of_thousands_of_folders_is_walked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut deepest = dir.path().to_path_buf();
    for _ in 0..1800 {
        deepest.push("a");
    }
    fs::create_dir_all(&deepest).expect("mkdir");
    fs::write(deepest.join("x.py"), "import mlflow\n").expect("write");
    let found = walk(dir.path());
    assert_eq!(found.python, vec![deepest.join("x.py")]);
}

/// `yaml_alias_bomb_conda`: a billion-laughs `conda.yaml` next to an `MLmodel` ends the run fast
/// and gives no requirements.
#[test]
fn yaml_alias_bomb_conda() {
    let conda = alias_bomb("dependencies:\n- pip:\n  - mlflow\n");
    let dir = project(&[
        PYPROJECT,
        ("model/MLmodel", MLMODEL),
        ("model/conda.yaml", &conda),
    ]);
    run_check(dir.path()).expect("check runs");
}

/// `pyproject_symlink_dev_zero`: a `pyproject.toml` linked to `/dev/zero` is not read (it used to
/// grow until the OOM killer came); `--config` naming it is an error, not a hang.
#[test]
fn pyproject_symlink_dev_zero() {
    let dir = project(&[AGENT]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("pyproject.toml")).expect("symlink");
    let report = run_check(dir.path()).expect("check runs");
    assert_eq!(report.files_checked, 1);
    let config = obolint_linter::config::read_config(&dir.path().join("pyproject.toml"));
    let error = config.expect_err("not a configuration");
    assert!(
        error.message.contains("not a regular file"),
        "{}",
        error.message
    );
}

/// `pyproject_fifo`: a FIFO `pyproject.toml` is never opened (opening blocked forever).
#[test]
fn pyproject_fifo() {
    let dir = project(&[AGENT]);
    mkfifo(&dir.path().join("pyproject.toml"));
    let report = run_check(dir.path()).expect("check runs");
    assert_eq!(report.files_checked, 1);
}

/// `gitignore_fifo`: a FIFO `.gitignore` at the root turns ignore files off for the run (with a
/// warning); one in a subfolder skips that folder (with a warning); nothing blocks.
#[test]
fn gitignore_fifo() {
    let dir = project(&[
        PYPROJECT,
        AGENT,
        ("ignored.py", "x = 1\n"),
        (".ignore", "ignored.py\n"),
        ("sub/mod.py", "y = 1\n"),
    ]);
    mkfifo(&dir.path().join("sub/.gitignore"));
    let found = walk(dir.path());
    let names: Vec<_> = found
        .python
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .collect();
    assert_eq!(names, ["agent.py"]);
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.message.contains("a FIFO") && w.message.contains("folder skipped")),
        "{:#?}",
        found.warnings
    );

    mkfifo(&dir.path().join(".gitignore"));
    let found = walk(dir.path());
    assert_eq!(found.python.len(), 3, "{:#?}", found.python);
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.message.contains("no ignore file is read")),
        "{:#?}",
        found.warnings
    );
    run_check(dir.path()).expect("check runs");
}

/// `max-file-size` applies to sources and manifests: larger ones are OBO900, the rest is checked.
#[test]
fn max_file_size_makes_larger_files_obo900() {
    let big = format!("import mlflow\n{}", "x = 1\n".repeat(100));
    let dir = project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n[tool.obolint]\nmax-file-size = \"512\"\n",
        ),
        ("big.py", &big),
        ("small.py", "import mlflow\n"),
    ]);
    let report = run_check(dir.path()).expect("check runs");
    assert_eq!(
        findings(&report),
        [(
            "OBO900".to_string(),
            "big.py".to_string(),
            "cannot read this file: larger than 512 bytes (`max-file-size`)".to_string()
        )]
    );
    fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.obolint]\nmax-file-size = \"lots\"\n",
    )
    .expect("write");
    match run_check(dir.path()) {
        Err(CheckError::Config(error)) => assert!(error.message.contains("max-file-size")),
        other => panic!("{other:?}"),
    }
}

/// A requirements file a log call names outside the project is not read.
#[test]
fn requirement_files_outside_the_project_are_not_read() {
    let outside = project(&[("requirements.txt", "secret-package==1.0\n")]);
    let target = outside.path().join("requirements.txt");
    let agent = format!(
        "import mlflow\nmlflow.pyfunc.log_model(name=\"m\", python_model=\"agent.py\", pip_requirements={:?})\n",
        target.display().to_string()
    );
    let dir = project(&[PYPROJECT, ("agent.py", &agent)]);
    let report = run_check(dir.path()).expect("check runs");
    for (_, file) in report.db.files() {
        assert!(
            !file.path.starts_with(outside.path()),
            "{}",
            file.path.display()
        );
    }
}

/// Repositories of many projects and files, each once read per pair of them: thousands of
/// files a bundle includes, thousands of nested projects side by side or a chain of them each
/// inside the one before, `per-file-ignores` of thousands of patterns over thousands of files.
/// Each took from seconds to minutes (found by a helper that looked for them); each now takes
/// a fraction of a second in a release build.
#[test]
fn repositories_of_many_projects_and_files_take_no_time() {
    // A bundle including 8,000 YAML files.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("databricks.yml"),
        "bundle: {name: b}\ninclude: ['r/*.yml']\n",
    )
    .expect("write");
    fs::create_dir_all(dir.path().join("r")).expect("mkdir");
    for i in 0..8_000 {
        fs::write(dir.path().join(format!("r/f{i}.yml")), "x: 1\n").expect("write");
    }
    let started = std::time::Instant::now();
    run_check_within(dir.path(), 10).expect("check runs");
    eprintln!("includes {:?}", started.elapsed());

    // 3,000 projects side by side.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("pyproject.toml"), "").expect("write");
    for i in 0..3_000 {
        let project = dir.path().join(format!("p{i}"));
        fs::create_dir_all(&project).expect("mkdir");
        fs::write(project.join("pyproject.toml"), "[tool.obolint]\n").expect("write");
    }
    let started = std::time::Instant::now();
    let report = run_check_within(dir.path(), 10).expect("check runs");
    eprintln!("side by side {:?}", started.elapsed());
    assert_eq!(report.roots, 3_001);

    // 200 projects, each inside the one before: past the eighth, part of the eighth.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut folder = dir.path().to_path_buf();
    for _ in 0..200 {
        fs::create_dir_all(&folder).expect("mkdir");
        fs::write(folder.join("pyproject.toml"), "[tool.obolint]\n").expect("write");
        fs::write(folder.join("a.py"), "import mlflow\n").expect("write");
        folder.push("p");
    }
    let started = std::time::Instant::now();
    let report = run_check_within(dir.path(), 10).expect("check runs");
    eprintln!("chain {:?}", started.elapsed());
    assert_eq!(report.roots, 9);
    assert_eq!(report.files_checked, 200);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("nested more than 8 projects deep")),
        "{:#?}",
        report.warnings
    );

    // 1,000 `per-file-ignores` patterns over 1,000 files.
    let patterns: String = (0..1_000)
        .map(|i| format!("\"src/**/*q{i}*.py\" = [\"OBO101\"]\n"))
        .collect();
    let pyproject = format!("[project]\nname = \"x\"\n[tool.obolint.per-file-ignores]\n{patterns}");
    let dir = project(&[("pyproject.toml", &pyproject)]);
    fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    for i in 0..1_000 {
        fs::write(
            dir.path().join(format!("src/m{i}.py")),
            "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\n",
        )
        .expect("write");
    }
    let started = std::time::Instant::now();
    run_check_within(dir.path(), 10).expect("check runs");
    eprintln!("per-file-ignores {:?}", started.elapsed());
}
