//! The `obolint` binary: arguments in, findings out, and an exit code that means one thing
//! (0 clean, 1 findings at or above `--fail-on`, 2 obolint could not do its job).

mod args;
mod check;
mod errors;
mod output;
mod rules;
mod scopes;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match cli.command {
        args::Command::Check(args) => check::run(&args),
        args::Command::Scopes(args) => scopes::run(&args),
        args::Command::Rule(args) => rules::rule(&args),
        args::Command::Rules(args) => rules::rules(&args),
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
