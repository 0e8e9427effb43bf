//! `obolint check --add-noqa`: writes the comments that suppress today's findings.

use std::process::ExitCode;

use obolint_linter::CheckRequest;
use obolint_linter::fix::add_noqa::add_noqa;
use obolint_linter::fix::write_fixed;

use crate::args::CheckArgs;
use crate::errors::{check_error, report, tool_error};

pub fn run(request: &CheckRequest, args: &CheckArgs) -> ExitCode {
    let outcome = match add_noqa(request) {
        Ok(outcome) => outcome,
        Err(error) => return report(check_error(&error)),
    };
    for why in &outcome.skipped {
        eprintln!("warning: {why}");
    }
    let mut added = 0;
    let mut files = 0;
    for file in &outcome.files {
        match write_fixed(file) {
            Ok(()) => {
                added += file.applied;
                files += 1;
            }
            // Changed since it was read, read-only, or outside the project: left as it is.
            Err(error) if error.is_refusal() => {
                eprintln!("warning: {}: {error}", file.display_path);
            }
            Err(error) => {
                return report(tool_error(
                    format!("cannot write `{}`: {error}", file.display_path),
                    Some("check that the file and its folder are writable".to_string()),
                ));
            }
        }
    }
    if !args.quiet {
        eprintln!(
            "obolint: added {added} `# noqa` code{} in {files} file{}",
            plural(added),
            plural(files)
        );
    }
    ExitCode::SUCCESS
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
