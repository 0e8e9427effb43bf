//! The `obolint` binary: arguments in, findings out, and an exit code that means one thing
//! (0 clean, 1 findings at or above `--fail-on`, 2 obolint could not do its job).

mod args;
mod check;
mod config;
mod errors;
mod noqa;
mod output;
mod rules;
mod scopes;
mod show_fixes;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

/// mimalloc, with the parser's small blocks in arenas that are freed with their file
/// (`obolint_python::arena`).
#[global_allocator]
static GLOBAL: obolint_python::arena::TreeAlloc<mimalloc::MiMalloc> =
    obolint_python::arena::TreeAlloc(mimalloc::MiMalloc);

/// `mi_option_purge_delay` in mimalloc's option enum (`mimalloc.h`; the Rust binding does not
/// name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // A run lives seconds: memory freed by one stage is reused by the next, so it is never
    // handed back to the system (purging it and faulting it in again doubled the system time on a
    // large corpus).
    // SAFETY: sets an option of the allocator; any value is valid, -1 means never purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // Before anything is parsed (the language server and `--fix` parse too).
    obolint_python::arena::enable();
    let cli = args::Cli::parse();
    match cli.command {
        args::Command::Check(args) if args.watch => watch::run(&args),
        args::Command::Check(args) => check::run(&args),
        args::Command::Scopes(args) => scopes::run(&args),
        args::Command::Rule(args) => rules::rule(&args),
        args::Command::Rules(args) => rules::rules(&args),
        args::Command::Config(args) => config::run(&args),
        // The protocol's exit code: 0 after `shutdown`, 1 when the client exits without it.
        args::Command::Server => ExitCode::from(u8::from(!obolint_server::run_stdio())),
        args::Command::GenerateShellCompletion(args) => {
            // Generated from the same definition as the parser, so it cannot drift.
            let mut script = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut args::Cli::command(),
                "obolint",
                &mut script,
            );
            output::emit(&String::from_utf8_lossy(&script), ExitCode::SUCCESS)
        }
    }
}
