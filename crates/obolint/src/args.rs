//! Command-line arguments (the CLI contract "Commands", "`check` options").

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
    /// For each model that acts as its users: the API scopes its code requires (with the use
    /// that needs each), what it declares, and a ready-to-paste `UserAuthPolicy(...)`.
    Scopes(ScopesArgs),
    /// Show a rule's documentation.
    Rule(RuleArgs),
    /// List every rule: code, name, severity, default or opt-in, fix.
    Rules(RulesArgs),
    /// Run the language server (LSP over stdio), for editors.
    Server,
    /// What each configuration key means: its type, default and an example (every key, or one).
    Config(ConfigArgs),
    /// Print a completion script for a shell (bash, zsh, fish, powershell, elvish).
    GenerateShellCompletion(CompletionArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell, for instance `obolint generate-shell-completion bash > ~/.local/share/bash-completion/completions/obolint`.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("fixing").args(["fix", "fix_only"]).multiple(true)))]
pub struct CheckArgs {
    /// Files or folders to report on; the project around them is always analysed whole.
    pub paths: Vec<PathBuf>,
    /// How findings are printed (default: `full`, or `github` when `GITHUB_ACTIONS=true`).
    #[arg(long, value_enum)]
    pub output_format: Option<OutputFormat>,
    /// Write the findings in the chosen format to this file; people still see them on the terminal.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Check again whenever a file of the project changes (polled twice a second, debounced),
    /// until interrupted.
    #[arg(long, conflicts_with_all = ["fixing", "diff", "add_noqa", "stdin_filename", "show_settings", "show_files"])]
    pub watch: bool,
    /// Print how many findings each rule has, instead of the findings.
    #[arg(long)]
    pub statistics: bool,
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
    /// Apply safe fixes and report nothing else: no findings, and exit 0 whatever remains
    /// (exit 1 with `--exit-non-zero-on-fix` when a file changed).
    #[arg(long, conflicts_with_all = ["diff", "statistics", "output_file"])]
    pub fix_only: bool,
    /// List the fixes applied (with `--fix`, `--fix-only`), or those available, per file.
    #[arg(long)]
    pub show_fixes: bool,
    /// Also apply unsafe fixes (with `--fix` or `--diff`), and offer them.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// With `--fix` or `--fix-only`: exit 1 when a fix changed a file, even if no finding
    /// remains (so a hook or CI job that fixes still fails, and the change gets committed).
    #[arg(long, requires = "fixing", conflicts_with = "exit_zero")]
    pub exit_non_zero_on_fix: bool,
    /// Add a `# noqa: CODE` comment for each finding, on the line where it suppresses it
    /// (joining an existing `# noqa:` list, keeping other comments), then exit 0.
    #[arg(long, conflicts_with_all = ["fix", "fix_only", "diff", "stdin_filename", "statistics"])]
    pub add_noqa: bool,
    /// Print the fixes as a unified diff and write nothing (exit 1 when there is a diff).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// The lowest severity that makes the run fail (exit 1). Default: the configuration's, else `error`.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even when findings remain.
    #[arg(long)]
    pub exit_zero: bool,
    /// A configuration file for every checked file, or `KEY=VALUE`: a key of `[tool.obolint]`
    /// with a TOML value, over every configuration read (`--config "select = ['OBO1']"`;
    /// repeatable; `obolint config` lists the keys).
    #[arg(long, value_name = "FILE|KEY=VALUE")]
    pub config: Vec<String>,
    /// Ignore every configuration file (`--config KEY=VALUE` still applies).
    #[arg(long)]
    pub isolated: bool,
    /// Check files that `.gitignore` excludes too.
    #[arg(long)]
    pub no_respect_gitignore: bool,
    /// Neither read nor write the cache (`.obolint_cache/` at the project root).
    #[arg(long)]
    pub no_cache: bool,
    /// Keep the cache in this folder instead of `.obolint_cache/` at the project root.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print the settings that apply to the first path, and exit.
    #[arg(long)]
    pub show_settings: bool,
    /// Print the files that would be checked (sources, notebooks, manifests, requirement files), and exit.
    #[arg(long, conflicts_with = "show_settings")]
    pub show_files: bool,
    /// Read the source of this file from standard input (an editor's unsaved buffer); the
    /// project around it is still analysed, and only its findings are reported.
    #[arg(long, value_name = "NAME", conflicts_with = "fixing")]
    pub stdin_filename: Option<PathBuf>,
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
pub struct ScopesArgs {
    /// Files or folders whose models to show (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// `text`: per model, the required scopes with their uses, the declared ones, what is
    /// missing or unneeded, and the `UserAuthPolicy(...)` to paste; `json`: the same as objects.
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub output_format: DocFormat,
    /// A configuration file, or `KEY=VALUE`: a key of `[tool.obolint]` with a TOML value
    /// (`--config "extra-scopes = ['my-scope']"`; repeatable).
    #[arg(long, value_name = "FILE|KEY=VALUE")]
    pub config: Vec<String>,
    /// Ignore configuration files (`--config KEY=VALUE` still applies).
    #[arg(long)]
    pub isolated: bool,
}

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// The rule's code, such as `OBO101`.
    #[arg(required_unless_present = "all")]
    pub code: Option<String>,
    /// Every rule's documentation.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
    /// `text`: the documentation as markdown; `json`: with the rule's metadata.
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub output_format: DocFormat,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// A key of `[tool.obolint]`, such as `per-file-ignores`; without one, every key.
    pub key: Option<String>,
    /// `text`: every key with its summary, or one key's documentation; `json`: the same as
    /// objects (key, type, default, example, doc).
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub output_format: DocFormat,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// `text`: a table; `json`: one object per rule.
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub output_format: DocFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Source excerpts with labels and help, like rustc.
    Full,
    /// `path:line:col: CODE [severity] message`.
    Concise,
    /// A JSON array (fields named like Ruff's).
    Json,
    /// One JSON object per line.
    JsonLines,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// JUnit XML, one test case per finding.
    Junit,
    /// A GitLab Code Quality report (JSON), for merge requests.
    Gitlab,
    /// Azure Pipelines logging commands (`##vso[task.logissue ...]`).
    Azure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// For people (what each command's own help says).
    Text,
    /// For tools.
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
