//! Configuration files (the CLI contract "Configuration"): `obolint.toml`, `.obolint.toml`, or
//! `[tool.obolint]` in `pyproject.toml`, the nearest one above each checked file, or one given
//! with `--config`. Every mistake is an error that names the file, the place and the key, and
//! says what would be valid.

pub mod options;
pub mod resolve;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use obolint_diagnostics::Severity;
use serde::Deserialize;
use toml::Spanned;

use crate::registry::Rule;
use crate::scope_table::ScopeStyle;
use crate::settings::Settings;

pub const CONFIG_FILE_NAMES: &[&str] = &["obolint.toml", ".obolint.toml", "pyproject.toml"];

/// A rule selector: `ALL`, or a code or prefix of one (`OBO`, `OBO4`, `OBO401`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    All,
    Prefix(String),
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        if text == "ALL" {
            return Ok(Selector::All);
        }
        if text.len() >= 3 && Rule::ALL.iter().any(|rule| rule.code().starts_with(text)) {
            return Ok(Selector::Prefix(text.to_string()));
        }
        Err(format!("unknown rule selector `{text}`"))
    }

    pub fn matches(&self, rule: Rule) -> bool {
        match self {
            Selector::All => true,
            Selector::Prefix(prefix) => rule.code().starts_with(prefix.as_str()),
        }
    }
}

pub const SELECTOR_HELP: &str = "a selector is `ALL`, `OBO`, or a rule code or its prefix, such as `OBO4` or `OBO401`; `obolint rules` lists the codes";

/// `scope-style` as written; `auto` is no setting (each list keeps its own style).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum ScopeStyleName {
    Auto,
    Dotted,
    Short,
}

impl ScopeStyleName {
    fn style(self) -> Option<ScopeStyle> {
        match self {
            ScopeStyleName::Auto => None,
            ScopeStyleName::Dotted => Some(ScopeStyle::Dotted),
            ScopeStyleName::Short => Some(ScopeStyle::Short),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum FailOnName {
    Error,
    Warning,
}

/// The keys of a configuration, as written (`deny_unknown_fields`: a typo is an error).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOptions {
    select: Option<Vec<Spanned<String>>>,
    extend_select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    extend_exclude: Option<Vec<Spanned<String>>>,
    respect_gitignore: Option<bool>,
    fail_on: Option<FailOnName>,
    user_client_factories: Option<Vec<String>>,
    request_methods: Option<Vec<String>>,
    local_dev_guards: Option<Vec<String>>,
    extra_scopes: Option<Vec<String>>,
    scope_style: Option<ScopeStyleName>,
    max_file_size: Option<Spanned<FileSize>>,
    cache_dir: Option<Spanned<String>>,
    per_file_ignores: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    severity: Option<BTreeMap<Spanned<String>, Severity>>,
}

/// `max-file-size` as written: bytes, or a string with a unit (`"64MiB"`, `"512 KiB"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileSize {
    Bytes(u64),
    Text(String),
}

impl FileSize {
    fn bytes(&self) -> Option<u64> {
        match self {
            FileSize::Bytes(n) => Some(*n),
            FileSize::Text(text) => parse_size(text),
        }
    }
}

/// `"64MiB"`, `"512 KiB"`, `"1GiB"`, `"1000"`: binary units (`KB`, `MB`, `GB` count the same).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let unit = text[digits..].trim().to_ascii_lowercase();
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[derive(Debug, Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTool>,
}

#[derive(Debug, Deserialize)]
struct PyprojectTool {
    obolint: Option<RawOptions>,
}

/// The project-wide analysis settings: the root configuration, then the command line.
pub fn settings(config: Option<&ConfigFile>, cli: &CliOverrides) -> Settings {
    let mut settings = Settings::default();
    if let Some(config) = config {
        let o = &config.options;
        settings.extend_exclude = o.exclude.clone();
        if let Some(respect) = o.respect_gitignore {
            settings.respect_gitignore = respect;
        }
        settings.user_client_factories = o.user_client_factories.clone();
        settings.request_methods = o.request_methods.clone();
        settings.local_dev_guards = o.local_dev_guards.clone();
        settings.extra_scopes = o.extra_scopes.clone();
        settings.scope_style = o.scope_style;
        if let Some(limit) = o.max_file_size {
            settings.max_file_size = limit;
        }
        settings.cache_dir = o.cache_dir.clone();
    }
    if let Some(respect) = cli.respect_gitignore {
        settings.respect_gitignore = respect;
    }
    settings
}

/// A configuration file, read and checked.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// The folder globs in it are relative to.
    pub dir: PathBuf,
    pub options: Options,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
    pub per_file_ignores: Vec<PerFileIgnore>,
    pub severity: Vec<(Selector, Severity)>,
    pub fail_on: Option<Severity>,
    pub exclude: Vec<String>,
    pub respect_gitignore: Option<bool>,
    pub user_client_factories: Vec<String>,
    pub request_methods: Vec<String>,
    pub local_dev_guards: Vec<String>,
    pub extra_scopes: Vec<String>,
    pub scope_style: Option<ScopeStyle>,
    /// `max-file-size`, in bytes.
    pub max_file_size: Option<u64>,
    /// `cache-dir`, relative to the configuration's folder (never leaving it).
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct PerFileIgnore {
    pub pattern: String,
    matcher: GlobMatcher,
    pub selectors: Vec<Selector>,
}

impl PerFileIgnore {
    /// `relative` is the file's path relative to the configuration's folder. A pattern without a
    /// `/` also matches the file name alone.
    pub fn matches(&self, relative: &Path) -> bool {
        self.matcher.is_match(relative)
            || (!self.pattern.contains('/')
                && relative
                    .file_name()
                    .is_some_and(|name| self.matcher.is_match(name)))
    }
}

/// A configuration that cannot be used: where, what, and what would be valid.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub path: PathBuf,
    /// The file's text, to show the excerpt (empty when it could not be read).
    pub text: String,
    /// Byte range of the offending key or value.
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: Option<String>,
}

impl ConfigError {
    fn at(
        path: &Path,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            text: text.to_string(),
            span,
            message: message.into(),
            help,
        }
    }

    /// 1-based line of the error, for plain-text reports.
    pub fn line(&self) -> Option<usize> {
        let span = self.span.as_ref()?;
        Some(
            self.text[..span.start.min(self.text.len())]
                .matches('\n')
                .count()
                + 1,
        )
    }
}

/// Reads a configuration file. `Ok(None)` for a `pyproject.toml` without `[tool.obolint]`.
/// Configuration files are read like any file (regular files only), up to the default
/// `max-file-size`: the key is in the file being read.
pub fn read_config(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let text =
        crate::load::read_bounded_text(path, crate::load::DEFAULT_MAX_FILE_SIZE).map_err(|e| {
            ConfigError::at(
                path,
                "",
                None,
                format!("cannot read configuration file: {e}"),
                None,
            )
        })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let raw = if is_pyproject {
        let pyproject: Pyproject =
            toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        match pyproject.tool.and_then(|t| t.obolint) {
            Some(raw) => raw,
            None => return Ok(None),
        }
    } else {
        toml::from_str::<RawOptions>(&text).map_err(|e| toml_error(path, &text, &e))?
    };
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let options = validate(raw, path, &text)?;
    Ok(Some(ConfigFile {
        path: path.to_path_buf(),
        dir,
        options,
    }))
}

fn toml_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let message = error.message().trim().to_string();
    let help = if message.contains("unknown field `tool`") {
        // `[tool.obolint]` copied from a pyproject.toml example into obolint.toml.
        Some(
            "in `obolint.toml` and `.obolint.toml` the keys sit at the top level: drop the \
             `[tool.obolint]` header (and write `[per-file-ignores]`, `[severity]`)"
                .to_string(),
        )
    } else if message.contains("unknown field") {
        Some(format!(
            "the keys obolint reads are listed at {}",
            obolint_diagnostics::render::docs_url("settings.md")
        ))
    } else {
        None
    };
    ConfigError::at(
        path,
        text,
        error.span(),
        format!("invalid configuration: {message}"),
        help,
    )
}

fn selectors(
    values: &[Spanned<String>],
    path: &Path,
    text: &str,
) -> Result<Vec<Selector>, ConfigError> {
    values
        .iter()
        .map(|v| {
            Selector::parse(v.get_ref()).map_err(|message| {
                ConfigError::at(
                    path,
                    text,
                    Some(v.span()),
                    message,
                    Some(SELECTOR_HELP.to_string()),
                )
            })
        })
        .collect()
}

/// `exclude` / `extend-exclude` patterns, each a glob as the walk builds it (`discover.rs`:
/// without its trailing `/`, and with `/**` added when it holds a `/`): an invalid one is a
/// configuration error at its line, like an invalid `per-file-ignores` key.
fn exclude_patterns(
    values: Vec<Spanned<String>>,
    path: &Path,
    text: &str,
) -> Result<Vec<String>, ConfigError> {
    values
        .into_iter()
        .map(|value| {
            let span = value.span();
            let pattern = value.into_inner();
            let trimmed = pattern.trim_end_matches('/');
            let built = Glob::new(trimmed).and_then(|_| {
                if trimmed.contains('/') {
                    Glob::new(&format!("{trimmed}/**")).map(|_| ())
                } else {
                    Ok(())
                }
            });
            match built {
                Ok(()) => Ok(pattern),
                Err(e) => Err(ConfigError::at(
                    path,
                    text,
                    Some(span),
                    format!("invalid glob `{pattern}` in `exclude`: {e}"),
                    Some(
                        "exclude patterns are folder or file names (`legacy`), or globs such as `src/legacy/**` or `*_test.py`"
                            .to_string(),
                    ),
                )),
            }
        })
        .collect()
}

fn validate(raw: RawOptions, path: &Path, text: &str) -> Result<Options, ConfigError> {
    let mut options = Options {
        select: raw
            .select
            .as_deref()
            .map(|s| selectors(s, path, text))
            .transpose()?,
        extend_select: selectors(raw.extend_select.as_deref().unwrap_or_default(), path, text)?,
        ignore: selectors(raw.ignore.as_deref().unwrap_or_default(), path, text)?,
        fail_on: raw.fail_on.map(|f| match f {
            FailOnName::Error => Severity::Error,
            FailOnName::Warning => Severity::Warning,
        }),
        exclude: exclude_patterns(raw.exclude.unwrap_or_default(), path, text)?,
        respect_gitignore: raw.respect_gitignore,
        user_client_factories: raw.user_client_factories.unwrap_or_default(),
        request_methods: raw.request_methods.unwrap_or_default(),
        local_dev_guards: raw.local_dev_guards.unwrap_or_default(),
        extra_scopes: raw.extra_scopes.unwrap_or_default(),
        scope_style: raw.scope_style.and_then(ScopeStyleName::style),
        ..Options::default()
    };
    if let Some(size) = &raw.max_file_size {
        match size.get_ref().bytes() {
            Some(bytes) if bytes > 0 => options.max_file_size = Some(bytes),
            _ => {
                return Err(ConfigError::at(
                    path,
                    text,
                    Some(size.span()),
                    "invalid max-file-size",
                    Some(
                        "write a number of bytes (`1048576`) or a size with a unit (`\"64MiB\"`, `\"512KiB\"`), more than zero"
                            .to_string(),
                    ),
                ));
            }
        }
    }
    if let Some(dir) = &raw.cache_dir {
        let relative = Path::new(dir.get_ref());
        let inside = !dir.get_ref().is_empty()
            && relative.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            });
        if !inside {
            return Err(ConfigError::at(
                path,
                text,
                Some(dir.span()),
                "cache-dir must stay inside the project",
                Some(
                    "write a relative path without `..` (`\".obolint_cache\"`); `--cache-dir` on the command line may name any folder"
                        .to_string(),
                ),
            ));
        }
        options.cache_dir = Some(relative.to_path_buf());
    }
    options.exclude.extend(exclude_patterns(
        raw.extend_exclude.unwrap_or_default(),
        path,
        text,
    )?);
    for (pattern, codes) in raw.per_file_ignores.unwrap_or_default() {
        let glob = Glob::new(pattern.get_ref()).map_err(|e| {
            ConfigError::at(
                path,
                text,
                Some(pattern.span()),
                format!("invalid glob `{}`: {e}", pattern.get_ref()),
                Some(
                    "per-file-ignores keys are globs such as `tests/**` or `*_test.py`".to_string(),
                ),
            )
        })?;
        options.per_file_ignores.push(PerFileIgnore {
            pattern: pattern.get_ref().clone(),
            matcher: glob.compile_matcher(),
            selectors: selectors(&codes, path, text)?,
        });
    }
    for (selector, severity) in raw.severity.unwrap_or_default() {
        let parsed = Selector::parse(selector.get_ref()).map_err(|message| {
            ConfigError::at(
                path,
                text,
                Some(selector.span()),
                message,
                Some(SELECTOR_HELP.to_string()),
            )
        })?;
        options.severity.push((parsed, severity));
    }
    for factory in &options.user_client_factories {
        if !factory.contains('.') {
            return Err(ConfigError::at(path, text, None, format!("user-client-factories entry `{factory}` is not a qualified name"), Some("write the function's full dotted path, such as `myproject.auth.get_user_client`".to_string())));
        }
    }
    Ok(options)
}

/// The configuration file in `dir` itself, if any (`obolint.toml` first, then `.obolint.toml`,
/// then a `pyproject.toml` with `[tool.obolint]`).
pub fn config_in_dir(dir: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    for name in CONFIG_FILE_NAMES {
        let candidate = dir.join(name);
        if candidate.is_file()
            && let Some(config) = read_config(&candidate)?
        {
            return Ok(Some(config));
        }
    }
    Ok(None)
}

/// Settings given on the command line; they win over configuration files.
#[derive(Clone, Debug, Default)]
pub struct CliOverrides {
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
    pub fail_on: Option<Severity>,
    pub respect_gitignore: Option<bool>,
    /// `--config KEY=VALUE`, in order: applied over every configuration file (and the defaults).
    pub config: Vec<ConfigOverride>,
}

/// Which configuration files a run reads.
#[derive(Clone, Debug, Default)]
pub enum ConfigSource {
    /// The nearest file above each checked file.
    #[default]
    Discover,
    /// This file, for every checked file (`--config`).
    File(PathBuf),
    /// None at all (`--isolated`).
    Isolated,
}

/// The rules that run on one file and their severities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSettings {
    enabled: Vec<bool>,
    severity: Vec<Severity>,
}

impl RuleSettings {
    pub fn resolve(config: Option<&ConfigFile>, cli: &CliOverrides, file: Option<&Path>) -> Self {
        let options = config.map(|c| &c.options);
        let select = cli
            .select
            .as_ref()
            .or(options.and_then(|o| o.select.as_ref()));
        let mut enabled: Vec<bool> = Rule::ALL
            .iter()
            .map(|&rule| match select {
                Some(selectors) => selectors.iter().any(|s| s.matches(rule)),
                None => rule.info().default,
            })
            .collect();
        let extend = options
            .map_or(&[][..], |o| &o.extend_select[..])
            .iter()
            .chain(&cli.extend_select);
        for selector in extend {
            for (i, &rule) in Rule::ALL.iter().enumerate() {
                enabled[i] |= selector.matches(rule);
            }
        }
        let mut ignored: Vec<&Selector> = options
            .map_or(&[][..], |o| &o.ignore[..])
            .iter()
            .chain(&cli.ignore)
            .collect();
        if let (Some(config), Some(file)) = (config, file)
            && let Ok(relative) = file.strip_prefix(&config.dir)
        {
            for pfi in &config.options.per_file_ignores {
                if pfi.matches(relative) {
                    ignored.extend(&pfi.selectors);
                }
            }
        }
        for selector in ignored {
            for (i, &rule) in Rule::ALL.iter().enumerate() {
                if selector.matches(rule) {
                    enabled[i] = false;
                }
            }
        }
        let mut severity: Vec<Severity> = Rule::ALL.iter().map(|r| r.info().severity).collect();
        if let Some(options) = options {
            for (selector, s) in &options.severity {
                for (i, &rule) in Rule::ALL.iter().enumerate() {
                    if selector.matches(rule) {
                        severity[i] = *s;
                    }
                }
            }
        }
        for (i, rule) in Rule::ALL.iter().enumerate() {
            if rule.is_always_on() {
                enabled[i] = true;
            }
        }
        Self { enabled, severity }
    }

    fn index(rule: Rule) -> usize {
        Rule::ALL.iter().position(|&r| r == rule).unwrap_or(0)
    }

    pub fn is_enabled(&self, rule: Rule) -> bool {
        self.enabled[Self::index(rule)]
    }

    pub fn severity(&self, rule: Rule) -> Severity {
        self.severity[Self::index(rule)]
    }

    pub fn enabled_rules(&self) -> impl Iterator<Item = Rule> + '_ {
        Rule::ALL.iter().copied().filter(|&r| self.is_enabled(r))
    }
}

// `--config KEY=VALUE` (Ruff's `--config "lint.select = ['E']"`): a key of `[tool.obolint]`
// with a TOML value, applied over every configuration file the run reads (and over the
// defaults where there is none). The key's value replaces the file's. It lives here, beside
// the reader it shares (`RawOptions`, `validate`), which `CliOverrides` above depends on.
/// One `--config KEY=VALUE`, read and checked.
#[derive(Clone, Debug)]
pub struct ConfigOverride {
    /// As given: `select = ["OBO1"]`.
    pub text: String,
    /// The top-level key it sets (`severity` for `severity.OBO402 = "error"`).
    pub key: String,
    options: Options,
}

/// Where override errors point: the command line, not a file.
const ORIGIN: &str = "--config";

impl ConfigOverride {
    /// Reads `text` as one TOML `KEY = VALUE` line whose key is one of the configuration's.
    pub fn parse(text: &str) -> Result<ConfigOverride, ConfigError> {
        let error = |message: String, help: Option<String>| ConfigError {
            path: ORIGIN.into(),
            text: text.to_string(),
            span: None,
            message,
            help,
        };
        let help = Some(
            "give a key of `[tool.obolint]` and a TOML value, as one argument: `--config \"select = ['OBO1']\"`, `--config 'fail-on = \"warning\"'`; `obolint config` lists the keys"
                .to_string(),
        );
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            error(
                format!(
                    "`{}` is not a TOML `KEY = VALUE`: {}",
                    text.trim(),
                    e.message().trim()
                ),
                help.clone(),
            )
        })?;
        let mut keys = table.keys();
        let (Some(key), None) = (keys.next(), keys.next()) else {
            return Err(error(
                format!("`{}` must set exactly one key", text.trim()),
                help,
            ));
        };
        let key = key.clone();
        let raw: RawOptions = toml::from_str(text).map_err(|e| {
            let message = e.message().trim();
            let message = if message.contains("unknown field") {
                format!("unknown key `{key}` ({message})")
            } else {
                format!("invalid value for `{key}`: {message}")
            };
            error(message, help.clone())
        })?;
        let options = validate(raw, Path::new(ORIGIN), text).map_err(|mut e| {
            e.message = format!("invalid value for `{key}`: {}", e.message);
            e.span = None;
            e
        })?;
        Ok(ConfigOverride {
            text: text.trim().to_string(),
            key,
            options,
        })
    }

    /// Sets its key in `options`.
    pub fn apply(&self, options: &mut Options) {
        let from = &self.options;
        match self.key.as_str() {
            "select" => options.select.clone_from(&from.select),
            "extend-select" => options.extend_select.clone_from(&from.extend_select),
            "ignore" => options.ignore.clone_from(&from.ignore),
            "exclude" => options.exclude.clone_from(&from.exclude),
            // The file's `exclude` and `extend-exclude` are one list: these patterns join it.
            "extend-exclude" => options.exclude.extend(from.exclude.iter().cloned()),
            "respect-gitignore" => options.respect_gitignore = from.respect_gitignore,
            "fail-on" => options.fail_on = from.fail_on,
            "user-client-factories" => options
                .user_client_factories
                .clone_from(&from.user_client_factories),
            "request-methods" => options.request_methods.clone_from(&from.request_methods),
            "extra-scopes" => options.extra_scopes.clone_from(&from.extra_scopes),
            "scope-style" => options.scope_style = from.scope_style,
            "max-file-size" => options.max_file_size = from.max_file_size,
            "cache-dir" => options.cache_dir.clone_from(&from.cache_dir),
            "per-file-ignores" => options.per_file_ignores.clone_from(&from.per_file_ignores),
            "severity" => options.severity.clone_from(&from.severity),
            // `parse` accepts only the keys above (`RawOptions` denies the others).
            _ => {}
        }
    }
}

#[cfg(test)]
mod override_tests {
    use super::*;

    #[test]
    fn a_key_and_a_toml_value_replace_the_files_value() {
        let mut options = Options {
            select: Some(vec![Selector::All]),
            fail_on: Some(Severity::Error),
            ..Options::default()
        };
        ConfigOverride::parse("select = ['OBO1', \"OBO2\"]")
            .unwrap()
            .apply(&mut options);
        ConfigOverride::parse("fail-on=\"warning\"")
            .unwrap()
            .apply(&mut options);
        ConfigOverride::parse("severity.OBO402 = \"error\"")
            .unwrap()
            .apply(&mut options);
        assert_eq!(
            options.select,
            Some(vec![
                Selector::Prefix("OBO1".into()),
                Selector::Prefix("OBO2".into())
            ])
        );
        assert_eq!(options.fail_on, Some(Severity::Warning));
        assert_eq!(options.severity.len(), 1);
        assert_eq!(options.severity[0].1, Severity::Error);
    }

    #[test]
    fn errors_name_the_key() {
        let message = |text: &str| ConfigOverride::parse(text).unwrap_err().message;
        assert!(message("selct = ['OBO1']").starts_with("unknown key `selct`"));
        assert!(
            message("respect-gitignore = 'yes'")
                .starts_with("invalid value for `respect-gitignore`"),
            "{}",
            message("respect-gitignore = 'yes'")
        );
        assert_eq!(
            message("select = ['E501']"),
            "invalid value for `select`: unknown rule selector `E501`"
        );
        assert!(message("select").contains("is not a TOML `KEY = VALUE`"));
        assert!(message("select = [").contains("is not a TOML `KEY = VALUE`"));
        assert!(message("a = 1\nb = 2").contains("exactly one key"));
        assert!(message("cache-dir = '../x'").contains("`cache-dir`"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "pyproject.toml",
            r#"
[project]
name = "x"

[tool.obolint]
select = ["OBO"]
extend-select = ["OBO405"]
ignore = ["OBO402"]
exclude = ["legacy/"]
respect-gitignore = false
fail-on = "warning"
user-client-factories = ["myproject.auth.get_user_client"]
request-methods = ["handle"]
extra-scopes = ["my-new-scope"]
scope-style = "short"

[tool.obolint.per-file-ignores]
"tests/**" = ["OBO101"]

[tool.obolint.severity]
OBO201 = "warning"
"#,
        );
        let config = read_config(&path).unwrap().unwrap();
        assert_eq!(config.options.fail_on, Some(Severity::Warning));
        assert_eq!(config.options.scope_style, Some(ScopeStyle::Short));
        let settings = RuleSettings::resolve(
            Some(&config),
            &CliOverrides::default(),
            Some(&dir.path().join("tests/test_agent.py")),
        );
        assert!(
            !settings.is_enabled(Rule::UserClientAtLoadTime),
            "per-file ignore"
        );
        assert_eq!(
            settings.severity(Rule::GenieWithoutUserClient),
            Severity::Warning
        );
        let elsewhere = RuleSettings::resolve(
            Some(&config),
            &CliOverrides::default(),
            Some(&dir.path().join("agent.py")),
        );
        assert!(elsewhere.is_enabled(Rule::UserClientAtLoadTime));
    }

    #[test]
    fn pyproject_without_section_is_no_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "pyproject.toml",
            "[project]\nname = \"x\"\n[tool.ruff]\nline-length = 100\n",
        );
        assert!(read_config(&path).unwrap().is_none());
    }

    #[test]
    fn errors_name_the_place_and_what_is_valid() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "obolint.toml",
            "select = [\"OBO\"]\nignor = [\"OBO402\"]\n",
        );
        let error = read_config(&path).unwrap_err();
        assert_eq!(error.line(), Some(2));
        assert!(
            error.message.contains("unknown field `ignor`"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("ignore"),
            "lists valid keys: {}",
            error.message
        );

        let path = write(dir.path(), "obolint.toml", "select = [\"OBO\", \"E501\"]\n");
        let error = read_config(&path).unwrap_err();
        assert_eq!(error.message, "unknown rule selector `E501`");
        assert_eq!(&error.text[error.span.clone().unwrap()], "\"E501\"");

        // The pyproject.toml example copied into obolint.toml: the help says where keys go.
        let path = write(
            dir.path(),
            "obolint.toml",
            "[tool.obolint]\nselect = [\"OBO\"]\n",
        );
        let error = read_config(&path).unwrap_err();
        assert!(
            error
                .help
                .as_deref()
                .is_some_and(|h| h.contains("top level")),
            "{:?}",
            error.help
        );

        let path = write(dir.path(), "obolint.toml", "respect-gitignore = \"yes\"\n");
        let error = read_config(&path).unwrap_err();
        assert!(error.message.contains("invalid type"), "{}", error.message);
        assert_eq!(error.line(), Some(1));
    }

    #[test]
    fn cli_overrides_win_and_always_on_rules_stay() {
        let cli = CliOverrides {
            select: Some(vec![Selector::parse("OBO2").unwrap()]),
            ..CliOverrides::default()
        };
        let settings = RuleSettings::resolve(None, &cli, None);
        assert!(!settings.is_enabled(Rule::UserClientAtLoadTime));
        assert!(settings.is_enabled(Rule::GenieWithoutUserClient));
        let cli = CliOverrides {
            ignore: vec![Selector::All],
            ..CliOverrides::default()
        };
        let settings = RuleSettings::resolve(None, &cli, None);
        assert_eq!(
            settings.enabled_rules().collect::<Vec<_>>(),
            [Rule::SyntaxError]
        );
    }

    #[test]
    fn selectors() {
        assert_eq!(Selector::parse("ALL"), Ok(Selector::All));
        assert!(
            Selector::parse("OBO4").is_ok(),
            "catalog prefixes are valid before their rules exist"
        );
        assert!(Selector::parse("OBO999").is_err());
        assert!(Selector::parse("O").is_err());
        assert!(Selector::parse("E9").is_err());
    }
}
