//! `obolint check`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use miette::{Diagnostic as MietteDiagnostic, miette};
use obolint_diagnostics::render::termcolor_stream;
use obolint_diagnostics::render::{Summary, render_full, render_json};
use obolint_diagnostics::{Diagnostic, Severity};
use obolint_linter::{CheckError, CheckRequest, Settings, check};

use crate::args::{CheckArgs, ColorChoice, FailOn, OutputFormat};

/// Exit code when obolint itself could not do its job (`cli.md` "Exit codes").
pub const TOOL_ERROR: u8 = 2;

pub fn run(args: &CheckArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            return tool_error(miette!(
                help = "run obolint from a folder that exists and can be read",
                "cannot read the current folder: {error}"
            ));
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let request = CheckRequest {
        paths,
        settings: Settings::default(),
        cwd,
    };
    let report = match check(&request) {
        Ok(report) => report,
        Err(error) => return tool_error(check_error(error)),
    };

    if !args.quiet {
        for warning in &report.warnings {
            match &warning.path {
                Some(path) => eprintln!("warning: {}: {}", path.display(), warning.message),
                None => eprintln!("warning: {}", warning.message),
            }
        }
    }

    let written = match args.output_format {
        OutputFormat::Full => {
            let color = use_color(args.color);
            let mut out = termcolor_stream(color);
            render_full(&mut out, &report.diagnostics, &report.db).and_then(|()| {
                if !args.quiet {
                    let summary = Summary::of(&report.diagnostics);
                    if args.verbose {
                        writeln!(out, "{summary} in {} files", report.files_checked)?;
                    } else {
                        writeln!(out, "{summary}")?;
                    }
                }
                out.flush()
            })
        }
        OutputFormat::Json => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            render_json(&mut lock, &report.diagnostics, &report.db).and_then(|()| lock.flush())
        }
    };
    if let Err(error) = written {
        // A closed pipe (`obolint check | head`) is not an error worth a report.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return tool_error(miette!("cannot write the output: {error}"));
        }
    }
    ExitCode::from(exit_code(&report.diagnostics, args))
}

fn exit_code(diagnostics: &[Diagnostic], args: &CheckArgs) -> u8 {
    if args.exit_zero {
        return 0;
    }
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    u8::from(diagnostics.iter().any(|d| d.severity >= threshold))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

#[derive(Debug, thiserror::Error, MietteDiagnostic)]
#[error("{message}")]
#[diagnostic(code(obolint::check))]
struct ToolError {
    message: String,
    #[help]
    help: Option<String>,
}

fn check_error(error: CheckError) -> miette::Report {
    match &error {
        CheckError::PathNotFound(path) => miette::Report::new(ToolError {
            message: error.to_string(),
            help: Some(format!(
                "check the spelling of `{}`, or run obolint from the folder it is relative to",
                path.display()
            )),
        }),
    }
}

fn tool_error(report: miette::Report) -> ExitCode {
    eprintln!("{report:?}");
    ExitCode::from(TOOL_ERROR)
}
