//! The cheap first look: does a file mention anything obolint could care about?
//!
//! Every finding starts from a name imported from `databricks*` or `mlflow` (or a configured
//! user-client factory), so a file whose bytes contain none of those words is not parsed at all,
//! unless a file that does imports it (the linter then parses it on demand), or unless it spells
//! one with characters the parser reads as ASCII (names are read in NFKC). On a corpus of
//! ordinary Python this skips most of the parsing work.

use memchr::memmem;
use unicode_normalization::UnicodeNormalization;

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
        .any(|at| databricks_at(bytes, at))
        || MLFLOW.find(bytes).is_some()
}

/// Whether the `atabricks` at `at` is `databricks` or `Databricks`.
fn databricks_at(bytes: &[u8], at: usize) -> bool {
    at > 0 && matches!(bytes[at - 1], b'd' | b'D')
}

/// Whether `bytes` name the header a Databricks App receives its user's token in
/// (`x-forwarded-access-token` in any case, or FastAPI's `x_forwarded_access_token`): app code
/// that reads it may import nothing from Databricks (a token forwarded with `requests`).
fn mentions_forwarded_token(bytes: &[u8]) -> bool {
    ORWARDED.find_iter(bytes).any(|at| forwarded_at(bytes, at))
}

/// Whether the `orwarded` at `at` goes on as the forwarded token's header.
fn forwarded_at(bytes: &[u8], at: usize) -> bool {
    const REST: &[u8] = b"-access-token";
    let rest = bytes.get(at + 8..).unwrap_or_default();
    rest.len() >= REST.len()
        && rest[..REST.len()]
            .iter()
            .zip(REST)
            .all(|(a, b)| a.eq_ignore_ascii_case(b) || (*b == b'-' && *a == b'_'))
}

/// `atabricks`, `mlflow` and `orwarded` in one pass over the text (the packed "Teddy" search, on
/// processors with the vector instructions it needs; `None` elsewhere). No occurrence of one of
/// them can overlap another's, so a search that skips what it matched misses none.
static THREE: LazyLock<Option<aho_corasick::packed::Searcher>> =
    LazyLock::new(|| aho_corasick::packed::Searcher::new(["atabricks", "mlflow", "orwarded"]));

/// [`mentions_needles`] or [`mentions_forwarded_token`].
fn mentions_needles_or_token(bytes: &[u8]) -> bool {
    match &*THREE {
        Some(three) => three
            .find_iter(bytes)
            .any(|found| match found.pattern().as_usize() {
                0 => databricks_at(bytes, found.start()),
                1 => true,
                _ => forwarded_at(bytes, found.start()),
            }),
        None => mentions_needles(bytes) || mentions_forwarded_token(bytes),
    }
}

/// `extra` holds further words (the last segment of each configured user-client factory).
///
/// The words are names, and the parser reads a name in its NFKC form (`ｄatabricks` is
/// `databricks`, as for Python): a text with a character that can be part of a name and is ASCII
/// in NFKC may spell one of them without its bytes holding it, and is let through.
pub fn mentions_relevant_names(bytes: &[u8], extra: &[String]) -> bool {
    mentions_needles_or_token(bytes)
        || mentions_extra(bytes, extra)
        || read_as_names(bytes).is_some_and(|folded| {
            mentions_needles_or_token(folded.as_bytes()) || mentions_extra(folded.as_bytes(), extra)
        })
}

/// Whether `bytes` hold one of `extra`'s words.
fn mentions_extra(bytes: &[u8], extra: &[String]) -> bool {
    extra
        .iter()
        .any(|needle| !needle.is_empty() && memmem::find(bytes, needle.as_bytes()).is_some())
}

/// The text as the parser reads its names ([`folded_as_names_read`]), when that differs from its
/// bytes: it is UTF-8 and has a character that can be part of a name and is ASCII in NFKC.
fn read_as_names(bytes: &[u8]) -> Option<String> {
    if bytes.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    may_read_as_ascii(text).then(|| folded_as_names_read(text))
}

/// `text` with each character that can be part of a name and is ASCII in NFKC replaced by its
/// NFKC form (`ｄatabricks` reads `databricks`), as the parser reads names: what the words are
/// looked for in when [`may_read_as_ascii`].
fn folded_as_names_read(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if reads_as_ascii(c) {
            folded.extend(std::iter::once(c).nfkc());
        } else {
            folded.push(c);
        }
    }
    folded
}

/// Whether `c` is not ASCII, can be part of a name, and is ASCII in its NFKC form (`ｍ`, `ﬂ`,
/// `ℎ`): the parser reads it as ASCII in a name.
fn reads_as_ascii(c: char) -> bool {
    !c.is_ascii()
        && unicode_ident::is_xid_continue(c)
        && std::iter::once(c).nfkc().all(|d| d.is_ascii())
}

/// Whether `text` has a character that can be part of an identifier, is not ASCII, and is ASCII
/// in its NFKC form (`ｍ`, `ﬂ`, `ℎ`): only with one can an identifier written with non-ASCII
/// characters be read as an ASCII name. The parser's lexer takes the non-ASCII characters of
/// identifiers by `XID_Continue` (which holds `XID_Start`) and reads the identifier in NFKC; any
/// other non-ASCII character stays non-ASCII in NFKC, composed with its neighbours or not, and
/// characters that cannot be in identifiers (`…`, `“`) end them.
pub fn may_read_as_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // ASCII is skipped eight bytes at a time (the text is mostly ASCII).
        if let Some(word) = bytes
            .get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            && u64::from_ne_bytes(word) & 0x8080_8080_8080_8080 == 0
        {
            at += 8;
            continue;
        }
        // `at` is always where a character starts.
        let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
            return false;
        };
        if reads_as_ascii(c) {
            return true;
        }
        at += c.len_utf8();
    }
    false
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
///
/// As in [`mentions_relevant_names`], names are looked for as the parser reads them too (NFKC): a
/// file that spells `databricks` with a full-width letter mentions it.
pub fn mentions_only_mlflow(bytes: &[u8], extra: &[String]) -> bool {
    let only = |bytes: &[u8]| {
        !mentions_databricks_any_case(bytes)
            && !mentions_forwarded_token(bytes)
            && !mentions_extra(bytes, extra)
    };
    only(bytes) && read_as_names(bytes).is_none_or(|folded| only(folded.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name the parser reads as one of the words (in NFKC) lets the text through, whatever
    /// its bytes; other non-ASCII text, and bytes that are not UTF-8, do not.
    #[test]
    fn names_read_in_nfkc_let_the_text_through() {
        for through in [
            "from \u{ff44}atabricks_openai import GenieAgent\n",
            "import \u{ff4d}lflow\n",
            "def f(x_forwarded_access_\u{ff54}oken): ...\n",
            "import ml\u{fb02}ow  # a ligature\n",
        ] {
            assert!(
                mentions_relevant_names(through.as_bytes(), &[]),
                "{through}"
            );
        }
        for skipped in [
            "s = 'caf\u{e9} \u{2026} \u{201c}q\u{201d}'\n",
            "\u{3b1} = 1\n",
            // Read as ASCII, but as no word.
            "area = 3  # m\u{b2}\nx = \u{ff44}ata\n",
        ] {
            assert!(
                !mentions_relevant_names(skipped.as_bytes(), &[]),
                "{skipped}"
            );
        }
        assert!(!mentions_relevant_names(b"x = '\xef\xbd'\n", &[]));
        // Nor does such a text mention only `mlflow` (a file that may be left with its imports).
        assert!(!mentions_only_mlflow(
            "import mlflow\nfrom \u{ff44}atabricks.sdk import W\n".as_bytes(),
            &[]
        ));
        assert!(!mentions_only_mlflow(
            "import mlflow\ndef f(x_forwarded_access_\u{ff54}oken): ...\n".as_bytes(),
            &[]
        ));
        assert!(mentions_only_mlflow(
            "import mlflow\nx = 'caf\u{e9}'  # m\u{b2}\n".as_bytes(),
            &[]
        ));
        // A configured factory's name too.
        let factory = ["make_user_client".to_string()];
        assert!(mentions_relevant_names(
            "c = make_\u{ff55}ser_client()\n".as_bytes(),
            &factory
        ));
        assert!(!mentions_relevant_names(
            "c = make_\u{ff55}ser\n".as_bytes(),
            &factory
        ));
    }

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

    /// The one-pass search says what the searches for each word say, on texts made of the
    /// words, their parts and their neighbours.
    #[test]
    fn one_pass_equals_the_searches_for_each_word() {
        let parts: &[&[u8]] = &[
            b"atabricks",
            b"d",
            b"D",
            b"mlflo",
            b"w",
            b"orwarded",
            b"-access-token",
            b"_ACCESS_Token",
            b"-access-toke",
            b"x",
            b"\n",
            b"\xc3\xa9",
        ];
        // Every sequence of up to four parts (12^4), and longer ones by a fixed walk.
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .filter(|t| t.len() < 40)
                .flat_map(|t| {
                    parts.iter().map(move |p| {
                        let mut t = t.clone();
                        t.extend_from_slice(p);
                        t
                    })
                })
                .collect();
            texts.extend(longer);
        }
        let mut state = 7u64;
        for _ in 0..2_000 {
            let mut text = b"y".repeat((state % 50) as usize);
            for _ in 0..12 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.extend_from_slice(parts[(state >> 33) as usize % parts.len()]);
            }
            texts.push(text);
        }
        for text in &texts {
            assert_eq!(
                mentions_needles_or_token(text),
                mentions_needles(text) || mentions_forwarded_token(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        #[cfg(target_arch = "x86_64")]
        assert!(
            THREE.is_some(),
            "an x86-64 processor with SSSE3 runs the one-pass search"
        );
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
