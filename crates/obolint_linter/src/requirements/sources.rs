//! Where requirements are written: requirements files, pip command lines, `pyproject.toml`,
//! and lists of strings (`pip_requirements=[...]`, conda's `pip:`). Every range is a byte range
//! in the text given (lists: the item's range, as given).

use std::collections::BTreeMap;

use ruff_text_size::{TextRange, TextSize};
use serde::Deserialize;

use super::{FileReference, Requirement, RequirementKind, Requirements};

/// Options of a requirements file line that take a value (pip's `req_file.py`, and `pip
/// install`'s own options for command lines).
const OPTIONS_WITH_VALUE: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--no-binary",
    "--only-binary",
    "--trusted-host",
    "--use-feature",
    "--hash",
    "--config-settings",
    "-C",
    "--global-option",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--upgrade-strategy",
    "--progress-bar",
    "--log",
    "--cache-dir",
    "--report",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--python",
    "--cert",
    "--client-cert",
    "--root-user-action",
    "--group",
];

/// Short options (one letter) that take a value: in a cluster such as `-qUr file` or
/// `-rreqs.txt` the rest of the cluster, or the next word, is the value.
const SHORT_WITH_VALUE: &[char] = &['r', 'c', 'e', 'i', 'f', 'C', 't'];

/// A requirements file (`requirements.txt`, MLflow's `requirements.txt`).
pub fn from_requirements_txt(text: &str) -> Requirements {
    let mut out = Requirements::default();
    for line in logical_lines(text) {
        let content = strip_comment(&line.text);
        parse_line(&line, content.trim_end().len(), &mut out);
    }
    out
}

/// A list of requirement strings, each as one requirements-file line (MLflow writes
/// `pip_requirements=[...]` into a `requirements.txt`, so `-r file` and options are valid items).
pub fn from_list(items: &[(String, TextRange)]) -> Requirements {
    let mut out = Requirements::default();
    for (text, range) in items {
        let line = LogicalLine {
            text: text.clone(),
            offsets: Offsets::Fixed(*range),
        };
        let content = strip_comment(text);
        parse_line(&line, content.trim_end().len(), &mut out);
    }
    out
}

/// The strings of a conda environment's `dependencies: - pip: [...]` (the YAML is parsed
/// elsewhere). They are requirements-file lines, as for [`from_list`].
pub fn from_conda_pip(items: &[(String, TextRange)]) -> Requirements {
    from_list(items)
}

/// The requirements of a pip command line: `%pip install -U -qqq mlflow "databricks-sdk>=0.44"`,
/// `!pip install`, `pip3 install`, `python -m pip install`, `uv pip install`, with `\` line
/// continuations. `None` when `text` is not a pip install command. A word with shell or IPython
/// interpolation (`$VAR`, `{var}`) is an unnamed requirement (unknown).
/// The `pip:` entries of a conda environment file. A file that does not parse, or whose aliases
/// expand past the manifest budget, gives none.
pub fn from_conda_yaml(text: &str) -> Requirements {
    use saphyr::{Scalar, YamlData};
    let Ok(docs) = crate::manifest::load_yaml(text) else {
        return Requirements::default();
    };
    let mut items: Vec<(String, TextRange)> = Vec::new();
    let Some(YamlData::Mapping(root)) = docs.first().map(|d| &d.data) else {
        return Requirements::default();
    };
    let offsets = crate::manifest::Offsets::new(text);
    for (key, value) in root {
        if !matches!(&key.data, YamlData::Value(Scalar::String(k)) if k == "dependencies") {
            continue;
        }
        let YamlData::Sequence(deps) = &value.data else {
            continue;
        };
        for dep in deps {
            let YamlData::Mapping(map) = &dep.data else {
                continue;
            };
            for (k, v) in map {
                if !matches!(&k.data, YamlData::Value(Scalar::String(k)) if k == "pip") {
                    continue;
                }
                let YamlData::Sequence(pips) = &v.data else {
                    continue;
                };
                for pip in pips {
                    if let YamlData::Value(Scalar::String(s)) = &pip.data {
                        items.push((s.to_string(), offsets.span(pip)));
                    }
                }
            }
        }
    }
    from_conda_pip(&items)
}

pub fn from_pip_command(text: &str) -> Option<Requirements> {
    let line = logical_lines(text).into_iter().next()?;
    let words = shell_words(&line.text);
    let mut iter = words.iter().peekable();
    // The command: an optional `%`/`!`, then `pip`, `pip3`, `python -m pip` or `uv pip`.
    let first = iter.next()?;
    let command = first.text.trim_start_matches(['%', '!']);
    let is_python = command.starts_with("python");
    if is_python {
        if iter.next()?.text != "-m" {
            return None;
        }
        iter.next().filter(|w| w.text.starts_with("pip"))?;
    } else if command == "uv" {
        iter.next().filter(|w| w.text == "pip")?;
    } else if !matches!(command, "pip" | "pip3") {
        return None;
    }
    iter.next().filter(|w| w.text == "install")?;

    let mut out = Requirements::default();
    while let Some(word) = iter.next() {
        let w = word.text.as_str();
        if matches!(w, ";" | "&&" | "||" | "|" | "&") || w.starts_with('#') || w.starts_with('>') {
            break;
        }
        if let Some(option) = w.strip_prefix("--") {
            let (name, inline) = match option.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (option, None),
            };
            let name = format!("--{name}");
            if OPTIONS_WITH_VALUE.contains(&name.as_str()) && inline.is_none() {
                let value = iter.next();
                if let Some(value) = value {
                    note_option(&name, value, &line, &mut out);
                }
            } else if let Some(v) = inline {
                let value = Word {
                    text: v.to_string(),
                    start: word.start + word.text.len() - v.len(),
                    end: word.end,
                };
                note_option(&name, &value, &line, &mut out);
            }
            continue;
        }
        if let Some(cluster) = w.strip_prefix('-') {
            // `-qqq`, `-U`, `-qU`, `-r file`, `-rfile`.
            if let Some(at) = cluster.find(SHORT_WITH_VALUE) {
                let name = format!("-{}", &cluster[at..=at]);
                let rest = &cluster[at + 1..];
                if rest.is_empty() {
                    if let Some(value) = iter.next() {
                        note_option(&name, value, &line, &mut out);
                    }
                } else {
                    let value = Word {
                        text: rest.to_string(),
                        start: word.end - rest.len(),
                        end: word.end,
                    };
                    note_option(&name, &value, &line, &mut out);
                }
            }
            continue;
        }
        let range = line.range(word.start, word.end);
        let mut req = Requirement::parse(w, range);
        if w.contains('$') || w.contains('{') {
            req.kind = RequirementKind::Unnamed { editable: false };
        }
        out.requirements.push(req);
    }
    Some(out)
}

fn note_option(name: &str, value: &Word, line: &LogicalLine, out: &mut Requirements) {
    let range = line.range(value.start, value.end);
    match name {
        "-r" | "--requirement" => out.includes.push(FileReference {
            path: value.text.clone(),
            range,
        }),
        "-c" | "--constraint" => out.constraints.push(FileReference {
            path: value.text.clone(),
            range,
        }),
        "-e" | "--editable" => out.requirements.push(Requirement {
            text: value.text.clone(),
            range,
            kind: RequirementKind::Unnamed { editable: true },
        }),
        _ => {}
    }
}

/// One requirements-file line (comment removed: `content_len` bytes of `line.text`).
fn parse_line(line: &LogicalLine, content_len: usize, out: &mut Requirements) {
    let content = &line.text[..content_len];
    let start = content.len() - content.trim_start().len();
    let body = &content[start..];
    if body.is_empty() {
        return;
    }
    if body.starts_with('-') {
        // An options line: reuse the command-line reader on its words.
        let words = shell_words(content);
        let mut iter = words.iter();
        while let Some(word) = iter.next() {
            let w = word.text.as_str();
            let (name, inline) = if let Some(o) = w.strip_prefix("--") {
                match o.split_once('=') {
                    Some((n, v)) => (format!("--{n}"), Some(v)),
                    None => (w.to_string(), None),
                }
            } else if w.starts_with('-') && w.len() > 2 && w.is_char_boundary(2) {
                (w[..2].to_string(), Some(&w[2..]))
            } else {
                (w.to_string(), None)
            };
            match inline {
                Some(v) => {
                    let value = Word {
                        text: v.to_string(),
                        start: word.end - v.len(),
                        end: word.end,
                    };
                    note_option(&name, &value, line, out);
                }
                None if OPTIONS_WITH_VALUE.contains(&name.as_str()) => {
                    if let Some(value) = iter.next() {
                        note_option(&name, value, line, out);
                    }
                }
                None => {}
            }
        }
        return;
    }
    // A requirement, maybe followed by per-requirement options (`--hash=...`): they start at the
    // first word beginning with `-` after whitespace.
    let mut end = body.len();
    let bytes = body.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'-' && bytes[i - 1].is_ascii_whitespace() {
            end = i;
            break;
        }
    }
    let req_text = body[..end].trim_end();
    let range = line.range(start, start + req_text.len());
    out.requirements.push(Requirement::parse(req_text, range));
}

/// pip's comment rule: `#` at the start or after whitespace starts a comment (`#egg=` in a URL
/// does not).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// A logical line: physical lines joined where one ends with `\`, with a map back to the
/// source's byte offsets.
struct LogicalLine {
    text: String,
    offsets: Offsets,
}

enum Offsets {
    /// `pieces[i] = (start in text, start in source)`, in order.
    Pieces(Vec<(usize, usize)>),
    /// Every range is this one (a list item).
    Fixed(TextRange),
}

impl LogicalLine {
    fn source_offset(&self, at: usize, pieces: &[(usize, usize)]) -> usize {
        let index = pieces.partition_point(|(s, _)| *s <= at).saturating_sub(1);
        let (text_start, source_start) = pieces.get(index).copied().unwrap_or((0, 0));
        source_start + (at - text_start)
    }

    /// The source range of `text[start..end]`.
    fn range(&self, start: usize, end: usize) -> TextRange {
        match &self.offsets {
            Offsets::Fixed(range) => *range,
            Offsets::Pieces(pieces) => {
                let s = self.source_offset(start, pieces);
                // The end belongs to the piece holding the last byte.
                let e = if end > start {
                    self.source_offset(end - 1, pieces) + 1
                } else {
                    s
                };
                TextRange::new(to_size(s), to_size(e))
            }
        }
    }
}

fn to_size(offset: usize) -> TextSize {
    TextSize::try_from(offset).unwrap_or(TextSize::new(u32::MAX))
}

fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut pieces = Vec::new();
    let mut offset = 0;
    for physical in text.split_inclusive('\n') {
        let start = offset;
        offset += physical.len();
        let content = physical.trim_end_matches(['\n', '\r']);
        pieces.push((current.len(), start));
        if let Some(joined) = content.strip_suffix('\\') {
            current.push_str(joined);
            continue;
        }
        current.push_str(content);
        lines.push(LogicalLine {
            text: std::mem::take(&mut current),
            offsets: Offsets::Pieces(std::mem::take(&mut pieces)),
        });
    }
    if !pieces.is_empty() {
        lines.push(LogicalLine {
            text: current,
            offsets: Offsets::Pieces(pieces),
        });
    }
    lines
}

/// A word of a command line, unquoted, with its byte range in the logical line (quotes
/// included).
struct Word {
    text: String,
    start: usize,
    end: usize,
}

/// Splits on whitespace, honouring single and double quotes (no other shell syntax).
fn shell_words(line: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => push_char(&mut current, i, c),
            (None, '"' | '\'') => {
                quote = Some(c);
                current.get_or_insert(Word {
                    text: String::new(),
                    start: i,
                    end: i,
                });
            }
            (None, c) if c.is_whitespace() => {
                if let Some(word) = current.take() {
                    words.push(word);
                }
                continue;
            }
            (None, c) => push_char(&mut current, i, c),
        }
        if let Some(word) = current.as_mut() {
            word.end = i + c.len_utf8();
        }
    }
    words.extend(current);
    words
}

fn push_char(current: &mut Option<Word>, at: usize, c: char) {
    current
        .get_or_insert(Word {
            text: String::new(),
            start: at,
            end: at,
        })
        .text
        .push(c);
}

/// `pyproject.toml`'s `[project] dependencies` and `[project.optional-dependencies]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PyprojectRequirements {
    pub dependencies: Vec<Requirement>,
    /// Per extra, in name order.
    pub optional: BTreeMap<String, Vec<Requirement>>,
}

#[derive(Debug, thiserror::Error)]
#[error("pyproject.toml is not valid TOML: {message}")]
pub struct PyprojectError {
    pub message: String,
    pub range: Option<TextRange>,
}

#[derive(Deserialize)]
struct Pyproject {
    project: Option<Project>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Project {
    #[serde(default)]
    dependencies: Vec<toml::Spanned<String>>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<toml::Spanned<String>>>,
}

/// The requirements of a `pyproject.toml`; each range is the string's contents (quotes
/// excluded).
pub fn from_pyproject(text: &str) -> Result<PyprojectRequirements, PyprojectError> {
    let parsed: Pyproject = toml::from_str(text).map_err(|e| PyprojectError {
        message: e.message().to_string(),
        range: e
            .span()
            .map(|s| TextRange::new(to_size(s.start), to_size(s.end))),
    })?;
    let Some(project) = parsed.project else {
        return Ok(PyprojectRequirements::default());
    };
    let read = |items: Vec<toml::Spanned<String>>| -> Vec<Requirement> {
        items
            .into_iter()
            .map(|item| {
                let span = item.span();
                let literal = &text[span.clone()];
                let quote = if literal.starts_with("\"\"\"") || literal.starts_with("'''") {
                    3
                } else {
                    1
                };
                let range = TextRange::new(
                    to_size(span.start + quote),
                    to_size(span.end.saturating_sub(quote).max(span.start + quote)),
                );
                Requirement::parse(item.get_ref(), range)
            })
            .collect()
    };
    Ok(PyprojectRequirements {
        dependencies: read(project.dependencies),
        optional: project
            .optional_dependencies
            .into_iter()
            .map(|(extra, items)| (extra, read(items)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(reqs: &Requirements) -> Vec<String> {
        reqs.requirements
            .iter()
            .map(|r| match &r.kind {
                RequirementKind::Named(n) => n.name.clone(),
                RequirementKind::Unnamed { editable } => format!("<unnamed editable={editable}>"),
                RequirementKind::Invalid { .. } => "<invalid>".into(),
            })
            .collect()
    }

    /// `yaml_alias_bomb_conda`: a billion-laughs `conda.yaml` gives no requirements, fast, and
    /// a normal one still does.
    #[test]
    fn conda_alias_bomb_reads_nothing() {
        let mut bomb =
            String::from("dependencies:\n- pip:\n  - mlflow\na: &a [1,1,1,1,1,1,1,1,1]\n");
        for (name, prev) in "bcdefghi".chars().zip("abcdefgh".chars()) {
            let aliases = vec![format!("*{prev}"); 9].join(",");
            bomb.push_str(&format!("{name}: &{name} [{aliases}]\n"));
        }
        let started = std::time::Instant::now();
        assert!(from_conda_yaml(&bomb).requirements.is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(
            names(&from_conda_yaml("dependencies:\n- pip:\n  - mlflow\n")),
            ["mlflow"]
        );
    }

    fn slice(text: &str, range: TextRange) -> &str {
        &text[range.start().to_usize()..range.end().to_usize()]
    }

    #[test]
    fn non_ascii_options_do_not_panic() {
        let reqs = from_requirements_txt("mlflow>=3\n-\u{e9}\n-\u{e9}x\n");
        assert_eq!(reqs.requirements[0].text, "mlflow>=3");
        assert!(
            from_list(&[("-\u{e9}".to_string(), TextRange::default())])
                .includes
                .is_empty()
        );
    }

    #[test]
    fn requirements_file() {
        let text = "\
# a comment
mlflow[databricks]>=2.22.1  # inline comment
databricks-sdk==0.50.0 \\
    --hash=sha256:abc
-r other.txt
--requirement=more.txt
-c constraints.txt
-e ./local_pkg
--index-url https://pypi.example/simple
--pre
databricks-langchain ; python_version >= \"3.10\"
pkg @ https://example.com/pkg.whl#sha256=1
./wheels/x.whl

";
        let reqs = from_requirements_txt(text);
        assert_eq!(
            names(&reqs),
            vec![
                "mlflow",
                "databricks-sdk",
                "<unnamed editable=true>",
                "databricks-langchain",
                "pkg",
                "<unnamed editable=false>",
            ]
        );
        let r = &reqs.requirements;
        assert_eq!(slice(text, r[0].range), "mlflow[databricks]>=2.22.1");
        assert_eq!(slice(text, r[1].range), "databricks-sdk==0.50.0");
        assert_eq!(slice(text, r[2].range), "./local_pkg");
        assert_eq!(
            slice(text, r[3].range),
            "databricks-langchain ; python_version >= \"3.10\""
        );
        assert_eq!(
            slice(text, r[4].range),
            "pkg @ https://example.com/pkg.whl#sha256=1"
        );
        let includes: Vec<_> = reqs.includes.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(includes, vec!["other.txt", "more.txt"]);
        assert_eq!(slice(text, reqs.includes[0].range), "other.txt");
        assert_eq!(slice(text, reqs.includes[1].range), "more.txt");
        assert_eq!(reqs.constraints[0].path, "constraints.txt");
    }

    #[test]
    fn continuation_inside_a_requirement() {
        let text = "databricks-sdk>=0.44.1,\\\n<1\nmlflow\n";
        let reqs = from_requirements_txt(text);
        assert_eq!(names(&reqs), vec!["databricks-sdk", "mlflow"]);
        assert_eq!(reqs.requirements[0].text, "databricks-sdk>=0.44.1,<1");
        // The range spans both physical lines.
        assert_eq!(
            slice(text, reqs.requirements[0].range),
            "databricks-sdk>=0.44.1,\\\n<1"
        );
        assert_eq!(slice(text, reqs.requirements[1].range), "mlflow");
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let text = "mlflow\r\ndatabricks-sdk";
        let reqs = from_requirements_txt(text);
        assert_eq!(names(&reqs), vec!["mlflow", "databricks-sdk"]);
        assert_eq!(slice(text, reqs.requirements[1].range), "databricks-sdk");
    }

    #[test]
    fn pip_commands() {
        let text = "%pip install -U -qqq mlflow>=3 \"databricks-sdk>=0.44.1\" databricks-langchain";
        let reqs = from_pip_command(text).unwrap();
        assert_eq!(
            names(&reqs),
            vec!["mlflow", "databricks-sdk", "databricks-langchain"]
        );
        assert_eq!(slice(text, reqs.requirements[0].range), "mlflow>=3");
        assert_eq!(
            slice(text, reqs.requirements[1].range),
            "\"databricks-sdk>=0.44.1\""
        );
        assert_eq!(reqs.requirements[1].text, "databricks-sdk>=0.44.1");

        let reqs = from_pip_command("!pip install --upgrade --quiet -r requirements.txt").unwrap();
        assert!(reqs.requirements.is_empty());
        assert_eq!(reqs.includes[0].path, "requirements.txt");

        let reqs = from_pip_command("%pip install -qUrreqs.txt -e . mlflow").unwrap();
        assert_eq!(reqs.includes[0].path, "reqs.txt");
        assert_eq!(names(&reqs), vec!["<unnamed editable=true>", "mlflow"]);

        let reqs = from_pip_command(
            "python -m pip install --index-url https://x/simple --no-deps 'mlflow[databricks]==3.1.0'",
        )
        .unwrap();
        assert_eq!(names(&reqs), vec!["mlflow"]);

        let text = "%pip install mlflow \\\n    databricks-agents && echo done";
        let reqs = from_pip_command(text).unwrap();
        assert_eq!(names(&reqs), vec!["mlflow", "databricks-agents"]);
        assert_eq!(slice(text, reqs.requirements[1].range), "databricks-agents");

        assert_eq!(
            names(&from_pip_command("%pip install $PKG {pkg}").unwrap()),
            vec!["<unnamed editable=false>", "<unnamed editable=false>"]
        );
        assert!(from_pip_command("uv pip install mlflow").is_some());
        assert!(from_pip_command("%pip list").is_none());
        assert!(from_pip_command("%conda install mlflow").is_none());
        assert!(from_pip_command("print('pip install x')").is_none());
        assert!(from_pip_command("").is_none());
    }

    #[test]
    fn lists_keep_the_given_ranges() {
        let r = |a: u32, b: u32| TextRange::new(TextSize::new(a), TextSize::new(b));
        let items = vec![
            ("mlflow>=2.22.1".to_string(), r(10, 26)),
            ("-r requirements.txt".to_string(), r(28, 49)),
            ("--extra-index-url https://x".to_string(), r(50, 60)),
            ("databricks-ai-bridge  # why".to_string(), r(61, 90)),
            ("-e .".to_string(), r(91, 97)),
        ];
        let reqs = from_list(&items);
        assert_eq!(
            names(&reqs),
            vec!["mlflow", "databricks-ai-bridge", "<unnamed editable=true>"]
        );
        assert_eq!(reqs.requirements[0].range, r(10, 26));
        assert_eq!(reqs.requirements[1].range, r(61, 90));
        assert_eq!(reqs.includes[0].path, "requirements.txt");
        assert_eq!(from_conda_pip(&items), reqs);
    }

    #[test]
    fn pyproject() {
        let text = r#"
[project]
name = "agent"
dependencies = [
  "mlflow>=2.22.1",
  'databricks-sdk',
]

[project.optional-dependencies]
lc = ["databricks-langchain>=0.7"]
"#;
        let p = from_pyproject(text).unwrap();
        assert_eq!(p.dependencies.len(), 2);
        assert_eq!(slice(text, p.dependencies[0].range), "mlflow>=2.22.1");
        assert_eq!(slice(text, p.dependencies[1].range), "databricks-sdk");
        let lc = &p.optional["lc"];
        assert_eq!(slice(text, lc[0].range), "databricks-langchain>=0.7");
        assert_eq!(lc[0].named().unwrap().name, "databricks-langchain");

        assert_eq!(
            from_pyproject("[tool.x]\na = 1\n").unwrap(),
            PyprojectRequirements::default()
        );
        let err = from_pyproject("[project\n").unwrap_err();
        assert!(err.range.is_some());
    }
}
