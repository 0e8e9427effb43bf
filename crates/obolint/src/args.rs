//! Command-line arguments (`cli.md` "Commands", "`check` options").

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "obolint",
    version,
    about = "A fast static analyzer for Databricks on-behalf-of-user agents and MLflow models",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files and folders (default: the current folder).
    Check(CheckArgs),
    /// Show a rule's documentation.
    Rule(RuleArgs),
    /// List every rule: code, name, severity, default or opt-in, fix.
    Rules(RulesArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or folders to report on; the project around them is always analysed whole.
    pub paths: Vec<PathBuf>,
    /// How findings are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub output_format: OutputFormat,
    /// Rules to run instead of the configured ones (codes or prefixes: `OBO1`, `OBO101`, `ALL`).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Option<Vec<String>>,
    /// Rules to run besides the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_select: Vec<String>,
    /// Rules not to run.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// Apply safe fixes.
    #[arg(long)]
    pub fix: bool,
    /// Also apply unsafe fixes (with `--fix` or `--diff`), and offer them.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff and write nothing (exit 1 when there is a diff).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// The lowest severity that makes the run fail (exit 1). Default: the configuration's, else `error`.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even when findings remain.
    #[arg(long)]
    pub exit_zero: bool,
    /// Use this configuration file for every checked file.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
    /// Check files that `.gitignore` excludes too.
    #[arg(long)]
    pub no_respect_gitignore: bool,
    /// Print the settings that apply to the first path, and exit.
    #[arg(long)]
    pub show_settings: bool,
    /// When to colour the output (`NO_COLOR` is honoured under `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only the findings, without the summary line or warnings.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also say how many files were checked.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// The rule's code, such as `OBO101`.
    #[arg(required_unless_present = "all")]
    pub code: Option<String>,
    /// Every rule's documentation.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub output_format: DocFormat,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub output_format: DocFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Full,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// Markdown (`rule`) or a table (`rules`).
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
