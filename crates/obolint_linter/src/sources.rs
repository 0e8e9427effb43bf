//! The public sources of obolint's data files (`data/sources.toml`): documentation pages,
//! library versions and repositories, each under a key that the rows of `scopes.toml`,
//! `clients.toml` and `requirements.toml` cite. `docs/scopes.md` prints them, so the page says
//! which library versions its tables describe; the data files' tests check that every row cites
//! at least one key, and only keys listed here.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Deserialize;

const SOURCES_TOML: &str = include_str!("../data/sources.toml");

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub key: String,
    pub what: String,
    pub version: String,
    pub url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSources {
    source: Vec<Source>,
}

/// Every source, in file order.
pub fn sources() -> &'static [Source] {
    static SOURCES: OnceLock<Vec<Source>> = OnceLock::new();
    SOURCES.get_or_init(|| match toml::from_str::<RawSources>(SOURCES_TOML) {
        Ok(raw) => raw.source,
        // The file is compiled in and checked by the tests: this cannot happen in a release.
        Err(error) => panic!("data/sources.toml: {error}"),
    })
}

/// The words of a `source` text that look like source keys (`DOC-API`, `BRIDGE`): runs of
/// capital letters, digits and `-` that start with a capital and are at least 2 long.
fn cited_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| w.len() >= 2 && w.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// A word shaped like a key (`DOC-XYZ`: capital letters, then `-` and capitals or digits).
fn key_shaped(word: &str) -> bool {
    let mut parts = word.split('-');
    let first = parts.next().unwrap_or_default();
    first.len() >= 2
        && first.chars().all(|c| c.is_ascii_uppercase())
        && word.contains('-')
        && parts.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

/// Checks one data row's `source` text: it must cite at least one key of `sources.toml`, and
/// every word shaped like a key (`DOC-MPC`) must be one: a typo in a key is an unsourced fact.
pub fn check_citation(row: &str, text: &str) -> Result<(), String> {
    let known = |w: &str| sources().iter().any(|s| s.key == w);
    let mut cites = false;
    for word in cited_words(text) {
        if known(word) {
            cites = true;
        } else if key_shaped(word) {
            return Err(format!(
                "{row}: `{word}` in its source is not a key of data/sources.toml"
            ));
        }
    }
    if cites {
        Ok(())
    } else {
        Err(format!(
            "{row}: its source cites no key of data/sources.toml: {text:?}"
        ))
    }
}

/// The "Sources" section of `docs/scopes.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "\n## Sources\n\n\
         Each row above cites these keys. The tables describe the libraries at the versions \
         listed here; when a library changes, the data files change with it.\n\n\
         | key | what | version read | where |\n|---|---|---|---|\n",
    );
    for s in sources() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | <{}> |",
            s.key, s.what, s.version, s.url
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sources_parse_and_are_public() {
        let all = sources();
        assert!(all.len() >= 10);
        let mut keys: Vec<&str> = all.iter().map(|s| s.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "duplicate key");
        for s in all {
            assert!(s.url.starts_with("https://"), "{}: {}", s.key, s.url);
            assert!(!s.version.is_empty() && !s.what.is_empty(), "{}", s.key);
            assert!(
                cited_words(&s.key).eq([s.key.as_str()]),
                "{}: keys are capitals, digits and `-`",
                s.key
            );
        }
    }

    #[test]
    fn citations() {
        assert!(check_citation("r", "DOC-MCP (Genie), BRIDGE").is_ok());
        assert!(check_citation("r", "SDK: `WarehousesAPI`").is_ok());
        assert!(check_citation("r", "").is_err(), "no source");
        assert!(check_citation("r", "the docs").is_err(), "no key");
        assert!(
            check_citation("r", "DOC-MPC, BRIDGE").is_err(),
            "a typo in a key"
        );
        assert!(check_citation("r", "BRIDGE; MCP URL, OBO204, L101-106, CAN USE").is_ok());
    }
}
