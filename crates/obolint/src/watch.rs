//! `obolint check --watch`: check, then check again whenever a file the findings depend on
//! changes, until interrupted.
//!
//! Changes are found by polling, not by file-system events: twice a second the project's files
//! are listed (the walk `check` does) and each one's modification time and size compared with
//! the last look. That costs a walk per poll, and needs no watcher thread, no platform
//! notification library, and nothing to configure for network drives or containers, where
//! events are unreliable. A burst of writes (an editor saving several files, a `git checkout`)
//! is one re-check: after a change, the listing must stay the same for [`SETTLE`] first.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::CheckArgs;
use crate::check;

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(500);
/// How long the files must stay unchanged before the re-check (the debounce).
const SETTLE: Duration = Duration::from_millis(300);

/// What a file looked like: `None` when it did not exist (a configuration file may appear).
type Stamp = Option<(SystemTime, u64)>;

pub fn run(args: &CheckArgs) -> ExitCode {
    // Each check frees what it analysed (the process goes on) and keeps the files it parsed for
    // the next one, which parses again only what changed.
    let session = check::Session::default();
    loop {
        // The stamps before the check: a file saved while it runs is a change, checked next.
        let mut last = look(args);
        check::run_in(args, Some(&session));
        if !args.quiet {
            eprintln!(
                "[{}] obolint: watching for changes (Ctrl-C to stop)",
                clock()
            );
        }
        loop {
            std::thread::sleep(POLL);
            let now = look(args);
            if now != last {
                last = now;
                break;
            }
        }
        // Debounce: wait for the writes to settle.
        loop {
            std::thread::sleep(SETTLE);
            let now = look(args);
            if now == last {
                break;
            }
            last = now;
        }
        if !args.quiet {
            eprintln!("[{}] obolint: files changed, checking again", clock());
        }
    }
}

/// Each watched file with its stamp. A request that cannot be made (a path that vanished) is an
/// empty listing: the next poll that can list again sees a change.
fn look(args: &CheckArgs) -> Vec<(PathBuf, Stamp)> {
    let Ok(request) = check::request(args) else {
        return Vec::new();
    };
    let files = obolint_linter::watched_files(&request).unwrap_or_default();
    files
        .into_iter()
        .map(|path| {
            let stamp = std::fs::metadata(&path)
                .ok()
                .map(|m| (m.modified().unwrap_or(UNIX_EPOCH), m.len()));
            (path, stamp)
        })
        .collect()
}

/// `HH:MM:SS UTC`, for the log lines (no time zone database needed).
fn clock() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = seconds % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}
