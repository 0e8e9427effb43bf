//! `obolint check`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use obolint_diagnostics::render::escape_control;
use obolint_diagnostics::render::{full_to_string, unified_diff};
use obolint_diagnostics::{Diagnostic, Severity};
use obolint_linter::config::{CliOverrides, ConfigOverride, ConfigSource, SELECTOR_HELP, Selector};
use obolint_linter::fix::{FixOutcome, fix, write_fixed};
use obolint_linter::{CheckRequest, check, show_files, show_settings};

use crate::args::{CheckArgs, ColorChoice, FailOn, OutputFormat};
use crate::errors::{check_error, config_error, report, tool_error};
use crate::output::{
    default_format, emit, summary_line, write_failed, write_human, write_machine, write_statistics,
};
use crate::show_fixes;

fn selectors(values: &[String], option: &str) -> Result<Vec<Selector>, miette::Report> {
    values
        .iter()
        .map(|v| {
            Selector::parse(v.trim())
                .map_err(|m| tool_error(format!("{option}: {m}"), Some(SELECTOR_HELP.to_string())))
        })
        .collect()
}

/// The `--config` file, when it is a regular file; otherwise what it is instead (exit 2).
pub fn config_file(path: &std::path::Path) -> Result<PathBuf, miette::Report> {
    let problem = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => return Ok(path.to_path_buf()),
        Ok(meta) if meta.is_dir() => "is a folder, not a file",
        Ok(_) => "is not a regular file (a device, pipe or socket)",
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist",
        Err(_) => "cannot be read",
    };
    Err(tool_error(
        format!("configuration file `{}` {problem}", path.display()),
        Some(
            "give `--config` the path of an `obolint.toml` or `pyproject.toml`, or a setting as `KEY=VALUE`"
                .to_string(),
        ),
    ))
}

pub fn request(args: &CheckArgs) -> Result<CheckRequest, miette::Report> {
    let cwd = std::env::current_dir().map_err(|e| {
        tool_error(
            format!("cannot read the current folder: {e}"),
            Some("run obolint from a folder that exists".to_string()),
        )
    })?;
    let paths = match (&args.stdin_filename, args.paths.is_empty()) {
        // Only the named file is reported; the project around it is analysed as always.
        (Some(name), _) => vec![name.clone()],
        (None, true) => vec![PathBuf::from(".")],
        (None, false) => args.paths.clone(),
    };
    let mut request = CheckRequest::new(paths, cwd.clone());
    if let Some(name) = &args.stdin_filename {
        let path = cwd.join(name).canonicalize().map_err(|_| {
            tool_error(
                format!(
                    "`--stdin-filename {}` names no file of the project",
                    name.display()
                ),
                Some(
                    "give the path of the file the text on standard input is the new content of"
                        .to_string(),
                ),
            )
        })?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(|e| {
            tool_error(
                format!("cannot read standard input: {e}"),
                Some("send UTF-8 text on standard input".to_string()),
            )
        })?;
        request.sources.insert(path, text);
    }
    let (source, overrides) = config_source(&args.config, args.isolated, &cwd)?;
    request.config = source;
    request.overrides = CliOverrides {
        select: args
            .select
            .as_deref()
            .map(|s| selectors(s, "--select"))
            .transpose()?,
        extend_select: selectors(&args.extend_select, "--extend-select")?,
        ignore: selectors(&args.ignore, "--ignore")?,
        fail_on: args.fail_on.map(|f| match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        }),
        respect_gitignore: args.no_respect_gitignore.then_some(false),
        config: overrides,
    };
    Ok(request)
}

/// Which configuration files a run reads, and the `--config KEY=VALUE` overrides, from the
/// `--config` values and `--isolated` (`check` and `scopes` alike).
pub fn config_source(
    values: &[String],
    isolated: bool,
    cwd: &std::path::Path,
) -> Result<(ConfigSource, Vec<ConfigOverride>), miette::Report> {
    let (files, overrides) = config_arguments(values, cwd)?;
    let source = match (files.as_slice(), isolated) {
        ([], true) => ConfigSource::Isolated,
        ([], false) => ConfigSource::Discover,
        ([file], false) => ConfigSource::File(file.clone()),
        (_, true) => {
            return Err(tool_error(
                "`--isolated` reads no configuration file, and `--config` names one",
                Some("drop one of them (`--config KEY=VALUE` works with `--isolated`)".to_string()),
            ));
        }
        (_, false) => {
            return Err(tool_error(
                "`--config` names more than one configuration file",
                Some("give one file; add single settings with `--config KEY=VALUE`".to_string()),
            ));
        }
    };
    Ok((source, overrides))
}

/// `--config` values: configuration files (one that exists is a file, as with Ruff) and
/// `KEY=VALUE` overrides.
fn config_arguments(
    values: &[String],
    cwd: &std::path::Path,
) -> Result<(Vec<PathBuf>, Vec<ConfigOverride>), miette::Report> {
    let mut files = Vec::new();
    let mut overrides = Vec::new();
    for value in values {
        let path = cwd.join(value);
        if value.contains('=') && !path.is_file() {
            overrides.push(ConfigOverride::parse(value).map_err(|e| config_error(&e))?);
        } else {
            files.push(config_file(&path)?);
        }
    }
    Ok((files, overrides))
}

pub fn run(args: &CheckArgs) -> ExitCode {
    run_in(args, None)
}

/// What the checks of one `--watch` session share: the parsed files of the last check (a change
/// parses the changed files again, not the project) and the threads.
#[derive(Default)]
pub struct Session {
    pub parses: std::sync::Arc<obolint_linter::ParseCache>,
    pub pool: obolint_linter::CheckPool,
}

/// [`run`], as one check of a `--watch` `session` if given: the process does not end after it,
/// so what it analysed is freed, not left to the operating system.
pub fn run_in(args: &CheckArgs, session: Option<&Session>) -> ExitCode {
    let request = match request(args) {
        Ok(request) => request,
        Err(error) => return report(error),
    };
    if args.show_files {
        return match show_files(&request) {
            Ok(files) => {
                let cwd = request
                    .cwd
                    .canonicalize()
                    .unwrap_or_else(|_| request.cwd.clone());
                let mut text = String::new();
                for file in files {
                    let shown = file.strip_prefix(&cwd).unwrap_or(&file);
                    text.push_str(&format!("{}\n", shown.display()));
                }
                emit(&text, ExitCode::SUCCESS)
            }
            Err(error) => report(check_error(&error)),
        };
    }
    if args.show_settings {
        let file = request
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        return match show_settings(&request, &file) {
            Ok(text) => emit(&text, ExitCode::SUCCESS),
            Err(error) => report(check_error(&error)),
        };
    }

    if args.add_noqa {
        return crate::noqa::run(&request, args);
    }

    let fixing = args.fix || args.fix_only || args.diff;
    let (mut report_, mut outcome) = if fixing {
        match fix(&request, args.unsafe_fixes) {
            Ok(outcome) => {
                let FixOutcome {
                    report,
                    files,
                    dropped,
                    rounds,
                    converged,
                } = outcome;
                (report, Some((files, dropped, rounds, converged)))
            }
            Err(error) => return report(check_error(&error)),
        }
    } else {
        // `--verbose` explains what the analysis found (why an app's scope rules are silent):
        // a cached answer holds findings only, so a verbose run analyses.
        let cache = (!args.no_cache && !args.verbose)
            .then(|| {
                obolint_linter::CacheRequest::for_user(
                    args.cache_dir.as_ref().map(|d| request.cwd.join(d)),
                )
            })
            .flatten();
        let request = CheckRequest {
            exit_after: session.is_none(),
            cache,
            parses: session.map(|s| std::sync::Arc::clone(&s.parses)),
            ..request.clone()
        };
        let checked = match session {
            Some(session) => obolint_linter::check_in(&session.pool, &request),
            None => check(&request),
        };
        match checked {
            Ok(report) => (report, None),
            Err(error) => return report(check_error(&error)),
        }
    };

    if !args.quiet {
        for warning in &report_.warnings {
            match &warning.path {
                Some(path) => eprintln!("warning: {}: {}", path.display(), warning.message),
                None => eprintln!("warning: {}", warning.message),
            }
        }
    }
    if args.verbose {
        for note in &report_.notes {
            eprintln!("note: {}", escape_control(note));
        }
    }

    let mut diff_found = false;
    if let Some((files, dropped, rounds, converged)) = &mut outcome {
        for message in dropped {
            eprintln!("warning: {message}");
        }
        if !*converged {
            eprintln!(
                "warning: fixes did not settle after {rounds} rounds; the files hold the last round's result"
            );
        }
        if args.diff {
            let mut diff = String::new();
            for file in files.iter() {
                diff_found = true;
                diff.push_str(&unified_diff(
                    &file.display_path,
                    &file.original,
                    &file.fixed,
                ));
            }
            let code = ExitCode::from(u8::from(diff_found));
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = stdout
                .write_all(diff.as_bytes())
                .and_then(|()| stdout.flush())
            {
                return write_failed(&error, code);
            }
            let count: usize = files.iter().map(|f| f.applied).sum();
            if !args.quiet && count > 0 {
                eprintln!(
                    "obolint: would fix {count} finding{} in {} file{}",
                    plural(count),
                    files.len(),
                    plural(files.len())
                );
            }
            return code;
        }
        // A file changed since it was read, read-only, or outside the project is left as it
        // is (a warning says why) and the others are written.
        let mut refused = false;
        let mut written = Vec::with_capacity(files.len());
        for file in files.drain(..) {
            match write_fixed(&file) {
                Ok(()) => written.push(file),
                Err(error) if error.is_refusal() => {
                    eprintln!("warning: {}: {error}", file.display_path);
                    refused = true;
                }
                Err(error) => {
                    return report(tool_error(
                        format!("cannot write the fixed `{}`: {error}", file.display_path),
                        Some("check that the file and its folder are writable".to_string()),
                    ));
                }
            }
        }
        *files = written;
        // The report assumed every fix written: check again what the files now hold, so the
        // findings shown and the exit code are those of the files on disk.
        if refused {
            match check(&request) {
                Ok(report) => report_ = report,
                Err(error) => return report(check_error(&error)),
            }
        }
    }

    let fixed_a_file = outcome
        .as_ref()
        .is_some_and(|(files, ..)| !files.is_empty());
    if args.fix_only {
        // Ruff's `--fix-only`: what was fixed, nothing about what remains, and exit 0 (1 with
        // `--exit-non-zero-on-fix` when a file changed).
        let mut text = String::new();
        if let Some((files, ..)) = &outcome
            && !args.quiet
        {
            let lines = if args.show_fixes {
                show_fixes::applied(files)
            } else {
                fixed_line(files).into_iter().collect()
            };
            for line in lines {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let code = ExitCode::from(u8::from(args.exit_non_zero_on_fix && fixed_a_file));
        return emit(&text, code);
    }

    let format = args.output_format.unwrap_or_else(default_format);
    let color = use_color(args.color);
    let diagnostics = &report_.diagnostics;
    let fix_list = match (&outcome, args.show_fixes) {
        (_, false) => Vec::new(),
        (Some((files, ..)), true) => show_fixes::applied(files),
        (None, true) => show_fixes::available(diagnostics, &report_.db),
    };
    let written = (|| -> std::io::Result<()> {
        if args.statistics {
            return write_statistics(
                diagnostics,
                matches!(format, OutputFormat::Json | OutputFormat::JsonLines),
            );
        }
        let machine_on_stdout = args.output_file.is_none()
            && !matches!(format, OutputFormat::Full | OutputFormat::Concise);
        let mut trailer = Vec::new();
        if machine_on_stdout {
            // Standard output holds the report for a tool: the list goes to the terminal.
            for line in &fix_list {
                eprintln!("{line}");
            }
        } else {
            trailer.extend(fix_list.iter().cloned());
        }
        if !args.quiet {
            if let Some((files, ..)) = &outcome {
                trailer.extend(fixed_line(files));
            }
            let summary = summary_line(diagnostics);
            trailer.push(if args.verbose {
                format!("{summary} in {} files", report_.files_checked)
            } else {
                summary
            });
        }
        match &args.output_file {
            Some(path) => {
                let mut buffer = Vec::new();
                if format == OutputFormat::Full {
                    buffer.extend_from_slice(full_to_string(diagnostics, &report_.db).as_bytes());
                    for line in &trailer {
                        buffer.extend_from_slice(format!("{line}\n").as_bytes());
                    }
                } else {
                    write_machine(&mut buffer, format, diagnostics, &report_.db)?;
                }
                std::fs::write(path, buffer)?;
                if args.quiet {
                    Ok(())
                } else if default_format() == OutputFormat::Github {
                    // Inside GitHub Actions the log keeps the annotations the docs promise,
                    // whatever format the file takes.
                    let mut lock = std::io::stdout().lock();
                    write_machine(&mut lock, OutputFormat::Github, diagnostics, &report_.db)?;
                    for line in &trailer {
                        writeln!(lock, "{line}")?;
                    }
                    lock.flush()
                } else {
                    write_human(
                        OutputFormat::Full,
                        color,
                        diagnostics,
                        &report_.db,
                        &trailer,
                    )
                }
            }
            None => match format {
                OutputFormat::Full | OutputFormat::Concise => {
                    write_human(format, color, diagnostics, &report_.db, &trailer)
                }
                _ => {
                    let mut lock = std::io::stdout().lock();
                    write_machine(&mut lock, format, diagnostics, &report_.db)?;
                    lock.flush()
                }
            },
        }
    })();
    let code = if args.exit_non_zero_on_fix && fixed_a_file {
        ExitCode::from(1)
    } else {
        ExitCode::from(exit_code(&report_.diagnostics, args, report_.fail_on))
    };
    match written {
        Ok(()) => code,
        Err(error) => write_failed(&error, code),
    }
}

/// `obolint: fixed 3 findings in 2 files`, when a fix was applied.
fn fixed_line(files: &[obolint_linter::fix::FixedFile]) -> Option<String> {
    let count: usize = files.iter().map(|f| f.applied).sum();
    (count > 0).then(|| {
        format!(
            "obolint: fixed {count} finding{} in {} file{}",
            plural(count),
            files.len(),
            plural(files.len())
        )
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn exit_code(diagnostics: &[Diagnostic], args: &CheckArgs, fail_on: Severity) -> u8 {
    if args.exit_zero {
        return 0;
    }
    u8::from(diagnostics.iter().any(|d| d.severity >= fail_on))
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
