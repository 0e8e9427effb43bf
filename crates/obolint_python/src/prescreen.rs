//! The cheap first look: does a file mention anything obolint could care about?
//!
//! Every finding starts from a name imported from `databricks*` or `mlflow` (or a configured
//! user-client factory), so a file whose bytes contain none of those words is not parsed at all,
//! unless a file that does imports it (the linter then parses it on demand). On a corpus of
//! ordinary Python this skips most of the parsing work.

use memchr::memmem;

use std::sync::LazyLock;

/// The words, as the contract states them: `databricks`, `Databricks` and `mlflow`.
pub const NEEDLES: &[&str] = &["databricks", "mlflow", "Databricks"];

/// `atabricks` finds both spellings of `databricks` in one pass (checking the byte before).
static ATABRICKS: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"atabricks"));
static MLFLOW: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"mlflow"));

static ORWARDED: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"orwarded"));

/// Whether `bytes` contain one of [`NEEDLES`]: two prebuilt searches instead of three.
fn mentions_needles(bytes: &[u8]) -> bool {
    ATABRICKS
        .find_iter(bytes)
        .any(|at| at > 0 && matches!(bytes[at - 1], b'd' | b'D'))
        || MLFLOW.find(bytes).is_some()
}

/// Whether `bytes` name the header a Databricks App receives its user's token in
/// (`x-forwarded-access-token` in any case, or FastAPI's `x_forwarded_access_token`): app code
/// that reads it may import nothing from Databricks (a token forwarded with `requests`).
fn mentions_forwarded_token(bytes: &[u8]) -> bool {
    const REST: &[u8] = b"-access-token";
    ORWARDED.find_iter(bytes).any(|at| {
        let rest = &bytes[at + 8..];
        rest.len() >= REST.len()
            && rest[..REST.len()]
                .iter()
                .zip(REST)
                .all(|(a, b)| a.eq_ignore_ascii_case(b) || (*b == b'-' && *a == b'_'))
    })
}

/// `extra` holds further words (the last segment of each configured user-client factory).
pub fn mentions_relevant_names(bytes: &[u8], extra: &[String]) -> bool {
    mentions_needles(bytes)
        || mentions_forwarded_token(bytes)
        || extra
            .iter()
            .any(|needle| !needle.is_empty() && memmem::find(bytes, needle.as_bytes()).is_some())
}

/// Whether `bytes` mention `databricks` in any case (`DATABRICKS_HOST`, `DataBricks`): found
/// from each `k`, the rarest of its letters.
pub fn mentions_databricks_any_case(bytes: &[u8]) -> bool {
    const WORD: &[u8] = b"databricks";
    memchr::memchr2_iter(b'k', b'K', bytes).any(|at| {
        at >= 8 && at + 2 <= bytes.len() && bytes[at - 8..at + 2].eq_ignore_ascii_case(WORD)
    })
}

/// Whether the only word of the prescreen `bytes` may mention is `mlflow`: no `databricks` in any
/// case, no forwarded user token, no word of `extra`. Such a file is analysed only if its syntax
/// tree uses `mlflow` for more than tracking ([`crate::inert`]) or imports connect it to a file
/// that is analysed.
pub fn mentions_only_mlflow(bytes: &[u8], extra: &[String]) -> bool {
    !mentions_databricks_any_case(bytes)
        && !mentions_forwarded_token(bytes)
        && !extra
            .iter()
            .any(|needle| !needle.is_empty() && memmem::find(bytes, needle.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-pass search says exactly what a search for each word says.
    #[test]
    fn one_pass_equals_each_word_searched() {
        let samples: &[&[u8]] = &[
            b"",
            b"atabricks",
            b"xatabricks",
            b"Databricks",
            b"databricks",
            b"datab",
            b"x = DATABRICKS",
            b"import mlflo\nw",
            b"aatabricks databricks",
            b"from mlflow import pyfunc",
            b"ddatabricks",
            b"\xffdatabricks",
        ];
        for sample in samples {
            let expected = NEEDLES
                .iter()
                .any(|n| memmem::find(sample, n.as_bytes()).is_some());
            assert_eq!(mentions_needles(sample), expected, "{sample:?}");
        }
    }

    #[test]
    fn databricks_in_any_case() {
        for (text, expected) in [
            (&b"DATABRICKS_HOST"[..], true),
            (b"x = DataBricks()", true),
            (b"databricks", true),
            (b"kdatabricks", true),
            (b"databrick", false),
            (b"atabricks", false),
            (b"k", false),
            (b"Databrickz Kdatabricks", true),
            (b"import mlflow", false),
        ] {
            let slow = text
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"databricks"));
            assert_eq!(slow, expected, "{text:?}");
            assert_eq!(mentions_databricks_any_case(text), expected, "{text:?}");
        }
        assert!(mentions_only_mlflow(b"import mlflow\n", &[]));
        assert!(!mentions_only_mlflow(
            b"import mlflow\nos.environ['DATABRICKS_TOKEN']",
            &[]
        ));
        assert!(!mentions_only_mlflow(b"h['x-forwarded-access-token']", &[]));
        assert!(!mentions_only_mlflow(
            b"get_user_client()",
            &["get_user_client".into()]
        ));
    }

    #[test]
    fn finds_imports_of_interest() {
        assert!(mentions_relevant_names(
            b"from databricks.sdk import WorkspaceClient",
            &[]
        ));
        assert!(mentions_relevant_names(b"import mlflow\n", &[]));
        assert!(!mentions_relevant_names(b"import os\nprint(1)\n", &[]));
        assert!(mentions_relevant_names(
            b"h.get('X-Forwarded-Access-Token')",
            &[]
        ));
        assert!(mentions_relevant_names(
            b"x_forwarded_access_token: str",
            &[]
        ));
        assert!(!mentions_relevant_names(b"X-Forwarded-For", &[]));
        assert!(mentions_relevant_names(
            b"x = get_user_client()",
            &["get_user_client".into()]
        ));
    }
}
