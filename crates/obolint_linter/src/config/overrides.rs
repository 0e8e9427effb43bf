//! `--config KEY=VALUE` (Ruff's `--config "lint.select = ['E']"`): a key of `[tool.obolint]`
//! with a TOML value, applied over every configuration file the run reads (and over the
//! defaults where there is none). The key's value replaces the file's.

use std::path::Path;

use super::{ConfigError, Options, RawOptions, validate};

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
mod tests {
    use super::*;
    use crate::config::Selector;
    use obolint_diagnostics::Severity;

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
