//! Suppression comments (the CLI contract "Suppressions"): `# noqa: OBO101, OBO201 -- reason` at the end
//! of the line where a finding starts or of the last line of its logical statement, a bare
//! `# noqa`, and `# obolint: noqa: CODES` on a line of its own for the whole file. Codes of other
//! tools (`E501`) in the same comment are left alone.

use obolint_diagnostics::LineCursor;
use ruff_text_size::{TextRange, TextSize};

/// One code named in a suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressedCode {
    pub code: String,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The whole comment.
    pub comment: TextRange,
    /// From the `noqa` (or `obolint:`) marker to the end of the last code: what a fix removes
    /// when every code goes.
    pub directive: TextRange,
    /// 0-based line of the comment.
    pub line: usize,
    /// `None`: a bare `# noqa`, for every code.
    pub codes: Option<Vec<SuppressedCode>>,
    pub file_level: bool,
    /// Written as a suppression but lists no code it can read (`# noqa: obo101`,
    /// `# noqa OBO101`): it suppresses nothing.
    pub malformed: bool,
}

impl Directive {
    /// The obolint codes it names (`OBO` and three digits, or anything that starts with `OBO`).
    pub fn obolint_codes(&self) -> impl Iterator<Item = &SuppressedCode> {
        self.codes
            .iter()
            .flatten()
            .filter(|c| c.code.starts_with("OBO"))
    }

    pub fn covers(&self, code: &str) -> bool {
        match &self.codes {
            None => true,
            Some(codes) => codes.iter().any(|c| c.code == code),
        }
    }
}

/// Reads the suppression in one comment, if it holds one.
pub fn parse_comment(
    text: &str,
    comment: TextRange,
    own_line: bool,
    line: usize,
) -> Option<Directive> {
    let body = &text[comment];
    let lower = body.to_ascii_lowercase();
    let (marker_at, after_marker, file_level) = if let Some(at) = find_file_marker(&lower) {
        (at.0, at.1, true)
    } else {
        let at = find_marker(&lower, "noqa")?;
        (at, at + "noqa".len(), false)
    };
    if file_level && !own_line {
        return None;
    }
    let base = usize::from(comment.start());
    let rest = &body[after_marker..];
    let mut directive_end = base + after_marker;
    let mut malformed = false;
    let codes = if let Some(list) = rest.strip_prefix(':') {
        let list_start = after_marker + 1;
        let list = list.split(" -- ").next().unwrap_or(list);
        let mut codes = Vec::new();
        // Pieces between separators, by byte offset (separators may be multi-byte white space).
        let mut pieces: Vec<(usize, &str)> = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in list.char_indices() {
            let separator = c == ',' || c.is_whitespace();
            match (separator, start) {
                (true, Some(s)) => {
                    pieces.push((s, &list[s..i]));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if let Some(s) = start {
            pieces.push((s, &list[s..]));
        }
        for (offset, piece) in pieces {
            let is_code = piece.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && piece.chars().all(|c| c.is_ascii_alphanumeric())
                && piece.chars().any(|c| c.is_ascii_digit());
            if !is_code {
                break;
            }
            let at = base + list_start + offset;
            codes.push(SuppressedCode {
                code: piece.to_string(),
                range: TextRange::new(
                    TextSize::new(at as u32),
                    TextSize::new((at + piece.len()) as u32),
                ),
            });
            directive_end = at + piece.len();
        }
        // `# noqa: obo101`: a list with no code is a mistake, not a blanket suppression. A list
        // of another tool's names (`# noqa: FlagLocalImports`) is that tool's business: no
        // directive at all.
        if codes.is_empty() {
            if !list.to_ascii_lowercase().contains("obo") {
                return None;
            }
            malformed = true;
            directive_end = base + list_start + list.trim_end().len();
        }
        Some(codes)
    } else {
        match rest.chars().next() {
            // `# noqavoid`: some other word, not a suppression.
            Some(c) if c.is_ascii_alphanumeric() => return None,
            // `# noqa OBO101`: codes without the colon suppress nothing (and are reported).
            Some(c) if c.is_whitespace() && rest.trim_start().starts_with("OBO") => {
                malformed = true;
                let listed = rest.split(" -- ").next().unwrap_or(rest).trim_end();
                directive_end = base + after_marker + listed.len();
                Some(Vec::new())
            }
            _ => None,
        }
    };
    Some(Directive {
        malformed,
        comment,
        directive: TextRange::new(
            TextSize::new((base + marker_at) as u32),
            TextSize::new(directive_end as u32),
        ),
        line,
        codes,
        file_level,
    })
}

/// `noqa` right after a `#` and optional spaces (`# noqa`, `#noqa`, `# type: ignore # noqa`).
fn find_marker(lower: &str, word: &str) -> Option<usize> {
    let mut search = 0;
    while let Some(found) = lower[search..].find(word) {
        let at = search + found;
        let before = lower[..at].trim_end_matches(' ');
        if before.ends_with('#') {
            return Some(at);
        }
        search = at + word.len();
    }
    None
}

/// `# obolint: noqa` → (start of `obolint`, end of `noqa`).
fn find_file_marker(lower: &str) -> Option<(usize, usize)> {
    let at = find_marker(lower, "obolint:")?;
    let rest = &lower[at + "obolint:".len()..];
    let trimmed = rest.trim_start();
    let skipped = rest.len() - trimmed.len();
    trimmed
        .starts_with("noqa")
        .then_some((at, at + "obolint:".len() + skipped + "noqa".len()))
}

/// Every suppression of a file, from its comments (in text order).
///
/// Every directive holds `noqa` (`# noqa`, `# obolint: noqa`): comments without it are skipped
/// before their line is counted, and lines are counted forward from one such comment to the
/// next, so no file builds its line index for its suppressions.
pub fn directives(text: &str, comments: &[TextRange]) -> Vec<Directive> {
    let mut lines = LineCursor::new(text);
    comments
        .iter()
        .filter(|&&comment| {
            text[comment]
                .as_bytes()
                .windows(4)
                .any(|w| w.eq_ignore_ascii_case(b"noqa"))
        })
        .filter_map(|&comment| {
            let (line, line_start) = lines.line_of(comment.start());
            let own_line = text[TextRange::new(line_start, comment.start())]
                .trim()
                .is_empty();
            parse_comment(text, comment, own_line, line)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<Directive> {
        let start = text.find('#').unwrap();
        let range = TextRange::new(TextSize::new(start as u32), TextSize::of(text));
        parse_comment(text, range, start == 0, 0)
    }

    fn codes(d: &Directive) -> Vec<&str> {
        d.codes.iter().flatten().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn reads_codes_and_reasons() {
        let d = parse("x = 1  # noqa: OBO101, E501 -- built on purpose").unwrap();
        assert_eq!(codes(&d), ["OBO101", "E501"]);
        assert_eq!(d.obolint_codes().count(), 1);
        assert!(!d.file_level);
        let d = parse("x  #NOQA:OBO101,OBO201").unwrap();
        assert_eq!(codes(&d), ["OBO101", "OBO201"]);
        assert!(parse("x  # noqa").unwrap().codes.is_none());
        assert!(parse("x  # type: ignore # noqa: OBO101").is_some());
        assert!(parse("x  # this is not noqa").is_none());
        assert!(parse("x  # noqavoid").is_none());
        // Multi-byte white space between codes keeps the ranges on the codes.
        let text = "x  # noqa:\u{a0}OBO101,\u{3000}OBO102";
        let d = parse(text).unwrap();
        let ranges: Vec<&str> = d.codes.iter().flatten().map(|c| &text[c.range]).collect();
        assert_eq!(ranges, ["OBO101", "OBO102"]);
        // A list with no readable code suppresses nothing.
        let d = parse("x  # noqa: obo101").unwrap();
        assert!(d.malformed && !d.covers("OBO101"));
        // Another tool's names: not ours to judge, and no blanket suppression either.
        assert!(parse("import grpc  # noqa: FlagLocalImports - lazy").is_none());
        assert!(parse("x  # noqa OBO101").unwrap().malformed);
        assert!(!parse("x  # noqa  -- reason").unwrap().malformed);
    }

    #[test]
    fn file_level_only_on_its_own_line() {
        let d = parse("# obolint: noqa: OBO101").unwrap();
        assert!(d.file_level);
        assert_eq!(codes(&d), ["OBO101"]);
        assert!(parse("x = 1  # obolint: noqa: OBO101").is_none());
    }

    #[test]
    fn ranges_point_at_codes() {
        let text = "x  # noqa: OBO101, OBO201";
        let d = parse(text).unwrap();
        let second = &d.codes.as_ref().unwrap()[1];
        assert_eq!(&text[second.range], "OBO201");
        assert_eq!(&text[d.directive], "noqa: OBO101, OBO201");
    }
}

/// The `#` comments of a YAML document (manifests take the same suppression comments as Python):
/// a `#` at the start of a line or after white space, outside quoted scalars.
pub fn yaml_comments(text: &str) -> Vec<TextRange> {
    let mut comments = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let mut quote: Option<char> = None;
        let mut previous: Option<char> = None;
        for (i, c) in content.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                // A quote opens a scalar only where a value can start.
                None if (c == '\'' || c == '"')
                    && previous.is_none_or(|p| {
                        p.is_whitespace() || matches!(p, ':' | '-' | '[' | '{' | ',')
                    }) =>
                {
                    quote = Some(c);
                }
                None if c == '#' && previous.is_none_or(char::is_whitespace) => {
                    let start = offset + i;
                    comments.push(TextRange::new(
                        TextSize::new(start as u32),
                        TextSize::new((offset + content.len()) as u32),
                    ));
                    break;
                }
                None => {}
            }
            previous = Some(c);
        }
        offset += line.len();
    }
    comments
}

#[cfg(test)]
mod yaml_tests {
    use super::*;

    #[test]
    fn finds_yaml_comments_outside_strings() {
        let text = "# top\napi_scopes:\n- files  # noqa: OBO403\n- 'a # b'\nurl: http://x/#frag\n";
        let found: Vec<&str> = yaml_comments(text).iter().map(|r| &text[*r]).collect();
        assert_eq!(found, ["# top", "# noqa: OBO403"]);
        let d = directives(text, &yaml_comments(text));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 2);
        assert!(d[0].covers("OBO403"));
    }
}
