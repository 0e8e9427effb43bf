//! What each configuration key means: its type, default and an example, with a paragraph of
//! documentation. `obolint config [KEY]` prints it and `docs/settings.md` is generated from it
//! (a test fails when the page drifts); tests below check that every key the configuration
//! reader accepts is described here, and that every example and default is accepted by it.

use crate::settings::DEFAULT_EXCLUDES;

/// One key of `[tool.obolint]` (the top level of `obolint.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionInfo {
    pub key: &'static str,
    /// The value's type, in words.
    pub kind: &'static str,
    /// The default as a TOML value, or in words between parentheses when it is no value.
    pub default: String,
    /// A TOML value for the example.
    pub example: &'static str,
    /// What it does: the first sentence is its summary.
    pub doc: String,
}

impl OptionInfo {
    /// The first sentence of its documentation.
    pub fn summary(&self) -> &str {
        self.doc
            .split_once(". ")
            .map_or(self.doc.as_str(), |(first, _)| first)
            .trim_end_matches('.')
    }

    /// `obolint config KEY`.
    pub fn text(&self) -> String {
        format!(
            "{key}\n\n{doc}\n\nType: {kind}\nDefault: {default}\nExample:\n  [tool.obolint]\n  {key} = {example}\n",
            key = self.key,
            doc = wrap(&self.doc, 92),
            kind = self.kind,
            default = self.default,
            example = self.example,
        )
    }
}

/// Every key, in the order of `docs/settings.md`.
pub fn options() -> Vec<OptionInfo> {
    let excludes = DEFAULT_EXCLUDES.join(", ");
    let option = |key, kind, default: &str, example, doc: &str| OptionInfo {
        key,
        kind,
        default: default.to_string(),
        example,
        doc: doc.to_string(),
    };
    vec![
        option(
            "select",
            "list of rule selectors",
            "(the rules `obolint rules` marks default)",
            r#"["OBO"]"#,
            "The rules to run, replacing the default set. A selector is `ALL`, `OBO`, a rule code, or a prefix of one (`OBO4`); `obolint rules` lists the codes.",
        ),
        option(
            "extend-select",
            "list of rule selectors",
            "[]",
            r#"["OBO405"]"#,
            "Rules to run besides `select` (or the default set), such as opt-in rules.",
        ),
        option(
            "ignore",
            "list of rule selectors",
            "[]",
            r#"["OBO402"]"#,
            "Rules not to run, applied after `select` and `extend-select`. OBO900 (a file that does not parse) cannot be turned off.",
        ),
        option(
            "exclude",
            "list of names or globs",
            "[]",
            r#"["legacy/"]"#,
            &format!(
                "Folders and files the walk skips, besides those it always skips ({excludes}). A name without `/` matches at any depth; a pattern with `/` is a glob relative to the project root."
            ),
        ),
        option(
            "extend-exclude",
            "list of names or globs",
            "[]",
            r#"["generated_*.py"]"#,
            "More patterns to skip, added to `exclude`.",
        ),
        option(
            "respect-gitignore",
            "boolean",
            "true",
            "false",
            "Whether files that `.gitignore`, `.ignore` and `.git/info/exclude` exclude are skipped. `--no-respect-gitignore` sets it to false for a run.",
        ),
        option(
            "fail-on",
            r#""error" | "warning""#,
            r#""error""#,
            r#""warning""#,
            "The lowest severity that fails the run (exit 1). `--fail-on` wins over it.",
        ),
        option(
            "user-client-factories",
            "list of qualified function names",
            "[]",
            r#"["myproject.auth.get_user_client"]"#,
            "Functions of your own that return a user client (a `WorkspaceClient` acting as the caller), by their full dotted path: their results are treated as user clients.",
        ),
        option(
            "request-methods",
            "list of method names",
            "[]",
            r#"["handle"]"#,
            "Method names that run at request time, besides `predict` and `predict_stream`: a user client built in them is built per request.",
        ),
        option(
            "local-dev-guards",
            "list of dotted names or environment variables",
            "[]",
            r#"["myapp.settings.is_local", "MY_APP_ENV"]"#,
            "Local-development tests of your own, besides `DATABRICKS_APP_NAME`/`DATABRICKS_APP_PORT` being unset: a Databricks App's fallback to its own identity under one of them is not OBO704's.",
        ),
        option(
            "extra-scopes",
            "list of scope names",
            "[]",
            r#"["my-new-scope"]"#,
            "Scope names accepted as known beyond obolint's table (docs/scopes.md): OBO403 stays silent on them, and OBO402 cannot judge them.",
        ),
        option(
            "scope-style",
            r#""auto" | "dotted" | "short""#,
            r#""auto""#,
            r#""short""#,
            "How the fixes of OBO401, OBO301 and OBO303 write new scopes. `auto` follows the list being edited (dotted for an empty list).",
        ),
        option(
            "max-file-size",
            r#"bytes, or a string with a unit ("512KiB", "64MiB", "1GiB")"#,
            &format!(
                "\"{}\"",
                crate::load::size_text(crate::load::DEFAULT_MAX_FILE_SIZE).replace(' ', "")
            ),
            r#""16MiB""#,
            "The largest file read. A larger source or manifest is reported as OBO900; a larger ignore file is not read.",
        ),
        option(
            "cache-dir",
            "relative path inside the project",
            &format!("\"{}\"", crate::check::cache::DEFAULT_DIR),
            r#"".cache/obolint""#,
            "The folder of the cache, relative to the project root and inside it (no `..`). `--cache-dir` on the command line may name any folder; `--no-cache` turns the cache off.",
        ),
        option(
            "per-file-ignores",
            "table: glob → list of rule selectors",
            "{}",
            r#"{ "tests/**" = ["OBO101"] }"#,
            "Rules not to run on the files each glob matches. Globs are relative to the configuration file's folder; a glob without `/` also matches file names at any depth.",
        ),
        option(
            "severity",
            r#"table: rule selector → "error" | "warning" | "info""#,
            "{}",
            r#"{ OBO402 = "error" }"#,
            "Each selected rule's severity, instead of its default.",
        ),
    ]
}

/// The option named `key`.
pub fn option(key: &str) -> Option<OptionInfo> {
    options().into_iter().find(|o| o.key == key)
}

/// `docs/settings.md`.
pub fn options_markdown() -> String {
    let mut page = String::from(
        "# Settings\n\n\
         <!-- Generated from the settings' definitions (`obolint config` prints the same); edit those, then run `OBOLINT_UPDATE_DOCS=1 cargo test -p obolint_linter --test docs`. -->\n\n\
         Every key obolint reads, in `[tool.obolint]` of `pyproject.toml` or at the top level of\n\
         `obolint.toml` and `.obolint.toml` (see [usage](usage.md#configuration) for where\n\
         configuration is read, and `--config KEY=VALUE` for setting a key on the command line).\n\
         `obolint config KEY` prints the same text.\n\n\
         | key | type | default |\n| --- | --- | --- |\n",
    );
    for o in options() {
        page.push_str(&format!(
            "| [`{key}`](#{key}) | {kind} | {default} |\n",
            key = o.key,
            kind = o.kind.replace('|', "\\|"),
            default = cell(&o.default),
        ));
    }
    for o in options() {
        page.push_str(&format!(
            "\n## {key}\n\n{doc}\n\n- Type: {kind}\n- Default: {default}\n\n```toml\n[tool.obolint]\n{key} = {example}\n```\n",
            key = o.key,
            doc = wrap(&o.doc, 100),
            kind = o.kind,
            default = cell(&o.default).replace("\\|", "|"),
            example = o.example,
        ));
    }
    page
}

/// A default in a table cell: TOML in code, words as they are.
fn cell(default: &str) -> String {
    if default.starts_with('(') {
        default.trim_matches(['(', ')']).to_string()
    } else {
        format!("`{default}`")
    }
}

/// `text` in lines of at most `width` characters (words are never split).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigOverride;

    #[test]
    fn every_key_the_reader_accepts_is_described_in_its_order() {
        // The reader's own list of keys, from the error it gives for an unknown one.
        let message = ConfigOverride::parse("no-such-key = 1")
            .unwrap_err()
            .message;
        let accepted: Vec<&str> = message
            .split("expected one of ")
            .nth(1)
            .expect("the error lists the keys")
            .split(", ")
            .map(|k| k.trim_matches(|c: char| c == '`' || c == ')'))
            .collect();
        let described: Vec<&str> = options().iter().map(|o| o.key).collect();
        assert_eq!(described, accepted);
    }

    #[test]
    fn every_example_and_default_is_accepted() {
        for o in options() {
            let example = format!("{} = {}", o.key, o.example);
            assert!(ConfigOverride::parse(&example).is_ok(), "{example}");
            if !o.default.starts_with('(') {
                let default = format!("{} = {}", o.key, o.default);
                assert!(ConfigOverride::parse(&default).is_ok(), "{default}");
            }
        }
    }

    #[test]
    fn text_and_summary() {
        let select = option("select").unwrap();
        assert_eq!(
            select.summary(),
            "The rules to run, replacing the default set"
        );
        assert!(select.text().starts_with("select\n\nThe rules to run"));
        assert!(
            select
                .text()
                .contains("\nExample:\n  [tool.obolint]\n  select = [\"OBO\"]\n")
        );
        assert!(option("max-file-size").unwrap().default == "\"64MiB\"");
        assert_eq!(wrap("aa bb cc", 5), "aa bb\ncc");
    }
}
