//! Times `obolint check` on a corpus against Ruff's parse-only run and a parse floor, the way
//! `docs/design.md` ("Performance") measures: whole processes, CPU time (user + system) and peak
//! resident memory as the kernel reports them (`wait4`), the commands interleaved round by round
//! after a warm-up round, medians.
//!
//! ```text
//! cargo build --release
//! cargo run --release -p obolint --example bench -- CORPUS [ROUNDS]
//! ```
//!
//! It measures `obolint check --no-cache --output-format concise CORPUS` (the release binary
//! beside this example, or `OBOLINT_BENCH_BIN`), `ruff check --no-cache --isolated --select E9
//! CORPUS` when `ruff` is on the `PATH` (or `OBOLINT_BENCH_RUFF` names it), and the parse floor:
//! this example reading every `*.py` file under the corpus and parsing it with Ruff's parser on
//! every core, nothing else.
//!
//! The corpora the design's figures are measured on: "x1", the source distributions pinned in
//! `examples/bench-corpus.txt` (7,353 Python files, 80 MB), and "all", the same files each
//! starting with `import mlflow`, as in a Databricks monorepo where the prescreen skips nothing:
//!
//! ```text
//! pip download --no-deps --no-binary :all: --require-hashes -d sdists \
//!     -r crates/obolint/examples/bench-corpus.txt
//! mkdir x1 && for f in sdists/*.tar.gz; do tar -xzf "$f" -C x1; done
//! find x1 \( -name '*.pyi' -o -name '*.ipynb' \) -type f -delete
//! cp -a x1 all && python3 -c "import sys, pathlib; [p.write_bytes(b'import mlflow  # bench\n'
//!     + p.read_bytes()) for p in pathlib.Path(sys.argv[1]).rglob('*.py') if p.is_file()]" all
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rayon::prelude::*;

/// One run of a command: wall seconds, CPU seconds (user + system), peak resident MiB.
#[derive(Clone, Copy)]
struct Run {
    wall: f64,
    cpu: f64,
    peak: f64,
}

struct Measured {
    name: &'static str,
    argv: Vec<String>,
    runs: Vec<Run>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(first) = args.next() else {
        eprintln!("usage: bench CORPUS [ROUNDS]   (or: bench --parse-floor CORPUS)");
        std::process::exit(2);
    };
    if first == "--parse-floor" {
        let corpus = args.next().unwrap_or_else(|| ".".to_string());
        let (files, bytes) = parse_floor(Path::new(&corpus));
        println!("{files} files, {bytes} bytes parsed");
        return;
    }
    let corpus = first;
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let me = std::env::current_exe().expect("the example knows its own path");
    let ours = std::env::var_os("OBOLINT_BENCH_BIN")
        .map(PathBuf::from)
        .or_else(|| Some(me.parent()?.parent()?.join("obolint")))
        .filter(|p| p.is_file())
        .expect("build the command line first: cargo build --release (or set OBOLINT_BENCH_BIN)");
    let mut commands = vec![Measured {
        name: "obolint",
        argv: vec![
            ours.display().to_string(),
            "check".into(),
            "--no-cache".into(),
            "--output-format".into(),
            "concise".into(),
            corpus.clone(),
        ],
        runs: Vec::new(),
    }];
    let ruff = std::env::var("OBOLINT_BENCH_RUFF").unwrap_or_else(|_| "ruff".to_string());
    if Command::new(&ruff)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        commands.push(Measured {
            name: "ruff-E9",
            argv: [&ruff, "check", "--no-cache", "--isolated", "--select", "E9"]
                .iter()
                .map(|s| s.to_string())
                .chain([corpus.clone()])
                .collect(),
            runs: Vec::new(),
        });
    } else {
        eprintln!("(no `ruff` found: set OBOLINT_BENCH_RUFF to compare with Ruff E9)");
    }
    commands.push(Measured {
        name: "parse-floor",
        argv: vec![me.display().to_string(), "--parse-floor".into(), corpus],
        runs: Vec::new(),
    });
    for round in 0..=rounds {
        for command in &mut commands {
            let run = measure(&command.argv);
            // Round 0 warms the page cache and is not counted.
            if round > 0 {
                command.runs.push(run);
            }
        }
    }
    println!("command        wall s   cpu s   peak MiB   (medians of {rounds} rounds)");
    for command in &commands {
        let m = medians(&command.runs);
        println!(
            "{:<12} {:>8.3} {:>7.3} {:>10.1}",
            command.name, m.wall, m.cpu, m.peak
        );
    }
    let ours = medians(&commands[0].runs);
    for peer in &commands[1..] {
        let p = medians(&peer.runs);
        println!(
            "obolint / {:<12} wall {:.3}  cpu {:.3}  peak {:.3}",
            peer.name,
            ours.wall / p.wall,
            ours.cpu / p.cpu,
            ours.peak / p.peak
        );
    }
}

fn medians(runs: &[Run]) -> Run {
    let median = |f: fn(&Run) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
    };
    Run {
        wall: median(|r| r.wall),
        cpu: median(|r| r.cpu),
        peak: median(|r| r.peak),
    }
}

/// Runs `argv` to its end (its output discarded, its exit status ignored: a linter exits
/// non-zero when it reports findings) and reads what the kernel counted for it.
#[cfg(unix)]
// The child is waited for with `wait4`, which `Child` does not offer: it alone returns the
// child's counts.
#[allow(clippy::zombie_processes)]
fn measure(argv: &[String]) -> Run {
    let start = Instant::now();
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", argv[0]));
    let pid = libc::pid_t::try_from(child.id()).expect("a process id fits a pid_t");
    let mut status = 0;
    // SAFETY: `rusage` is plain data the kernel fills; zeroed is a valid value of it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose `Child` handle is never waited on again.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    // Linux reports the peak in KiB, macOS in bytes.
    let peak_kib = if cfg!(target_os = "macos") {
        usage.ru_maxrss as f64 / 1024.0
    } else {
        usage.ru_maxrss as f64
    };
    Run {
        wall: start.elapsed().as_secs_f64(),
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        peak: peak_kib / 1024.0,
    }
}

#[cfg(not(unix))]
fn measure(_argv: &[String]) -> Run {
    panic!("the benchmark reads the kernel's counts of a process (wait4): Unix only")
}

/// Reads every `*.py` file under `root` (symlinks not followed) and parses it with Ruff's
/// parser, in parallel: what any linter built on that parser pays at least.
fn parse_floor(root: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "py") {
                files.push(path);
            }
        }
    }
    let bytes = files
        .par_iter()
        .map(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return 0;
            };
            let parsed = ruff_python_parser::parse_module(&text);
            std::hint::black_box(&parsed);
            text.len()
        })
        .sum();
    (files.len(), bytes)
}
