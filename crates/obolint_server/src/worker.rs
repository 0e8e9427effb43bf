//! The checking thread: the scheduler ([`crate::schedule`]) hands it a root and the open buffers,
//! it runs the same `check` as the CLI, and sends the report back. Jobs for a root that wait in
//! the queue are coalesced (only the newest runs); a result that a newer job has overtaken is
//! dropped by the scheduler, which compares revisions.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, unbounded};
use obolint_linter::config::{ConfigError, ConfigSource};
use obolint_linter::{CheckError, CheckPool, CheckReport, CheckRequest, ParseCache, check_in};
use rustc_hash::FxHashMap;

/// Check the project at `root`, reading open buffers from `sources` instead of the disk.
#[derive(Debug)]
pub struct Job {
    pub root: PathBuf,
    pub revision: u64,
    pub sources: FxHashMap<PathBuf, String>,
}

#[derive(Debug)]
pub struct Outcome {
    pub root: PathBuf,
    pub revision: u64,
    /// `None` when the project could not be checked at all (its folder is gone).
    pub report: Option<CheckReport>,
    /// The configuration did not load: the report used the default settings.
    pub config_error: Option<String>,
    pub elapsed: Duration,
}

/// How many projects keep their parsed files between checks.
const KEPT_PROJECTS: usize = 2;

pub fn spawn() -> (Sender<Job>, Receiver<Outcome>) {
    let (job_sender, jobs) = unbounded::<Job>();
    let (outcome_sender, outcomes) = unbounded::<Outcome>();
    let spawned = thread::Builder::new()
        .name("obolint-check".to_string())
        .spawn(move || {
            // Each project's parsed files, kept from one of its checks to the next: a keystroke
            // parses the edited file again, not the project.
            // At most `KEPT_PROJECTS`, those checked last (each holds a project's trees).
            let mut parses: Vec<(PathBuf, Arc<ParseCache>)> = Vec::new();
            // One pool for every check, not threads started and stopped per keystroke.
            let pool = CheckPool::new();
            while let Ok(first) = jobs.recv() {
                let mut queue = vec![first];
                // Coalesce: of several jobs for one project, only the newest is worth running.
                while let Ok(job) = jobs.try_recv() {
                    queue.retain(|j| j.root != job.root);
                    queue.push(job);
                }
                for job in queue {
                    let kept = match parses.iter().position(|(root, _)| *root == job.root) {
                        Some(at) => parses.remove(at).1,
                        None => Arc::default(),
                    };
                    parses.push((job.root.clone(), Arc::clone(&kept)));
                    if parses.len() > KEPT_PROJECTS {
                        parses.remove(0);
                    }
                    if outcome_sender.send(run(job, Some(kept), &pool)).is_err() {
                        return;
                    }
                }
            }
        });
    if let Err(error) = spawned {
        eprintln!("obolint server: cannot start the checking thread: {error}");
    }
    (job_sender, outcomes)
}

/// Runs one job, with the project's parsed files kept from its last check if given. A
/// configuration that does not load is reported, and the project is checked with the default
/// settings so that the editor keeps showing findings.
pub fn run(job: Job, parses: Option<Arc<ParseCache>>, pool: &CheckPool) -> Outcome {
    let started = Instant::now();
    let mut request = CheckRequest::new(vec![job.root.clone()], job.root.clone());
    request.sources = job.sources;
    request.parses = parses;
    let mut config_error = None;
    let mut report = guarded_check(&request, pool);
    if let Err(CheckError::Config(error)) = &report {
        config_error = Some(describe_config_error(error));
        request.config = ConfigSource::Isolated;
        report = guarded_check(&request, pool);
    }
    let report = match report {
        Ok(report) => Some(report),
        Err(error) => {
            eprintln!(
                "obolint server: cannot check {}: {error}",
                job.root.display()
            );
            None
        }
    };
    Outcome {
        root: job.root,
        revision: job.revision,
        report,
        config_error,
        elapsed: started.elapsed(),
    }
}

fn guarded_check(request: &CheckRequest, pool: &CheckPool) -> Result<CheckReport, CheckError> {
    // A bug in a rule must cost one check, not the server.
    match catch_unwind(AssertUnwindSafe(|| check_in(pool, request))) {
        Ok(result) => result,
        Err(_) => Err(CheckError::PathNotFound(PathBuf::from(
            "(internal error: the checker panicked)",
        ))),
    }
}

pub fn describe_config_error(error: &ConfigError) -> String {
    let location = match error.line() {
        Some(line) => format!("{}:{line}", error.path.display()),
        None => error.path.display().to_string(),
    };
    let help = error
        .help
        .as_ref()
        .map_or_else(String::new, |h| format!(" ({h})"));
    format!(
        "obolint: {location}: {}{help}. Checking with the default settings until it is fixed.",
        error.message
    )
}
