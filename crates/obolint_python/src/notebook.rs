//! Notebooks: Jupyter `.ipynb` files read as text obolint can parse, the IPython magics that
//! matter (`%%writefile`, `%pip install`), and the `# MAGIC` cells of Databricks source notebooks.
//!
//! An `.ipynb` notebook is read as the sources of its code cells joined by `\n`, in order: offsets
//! into that text are what diagnostics carry, and [`NotebookText::cells`] turns them into a cell
//! and a row in it. Cells run on their own, so each is parsed on its own, in IPython mode (line
//! magics and shell escapes parse as what they are). Cells whose first line is a cell magic
//! (`%%sql`, `%%sh`, `%%writefile`, ...) are not Python the kernel runs and are not parsed as the
//! notebook's code; a `%%writefile path` cell becomes a [`WrittenFile`] instead.

use ruff_text_size::{TextRange, TextSize};
use serde_json::Value;

use crate::source::DATABRICKS_CELL_SEPARATOR;

/// A notebook's JSON could not be read as nbformat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotebookError {
    pub message: String,
    /// Byte offset of the error in the JSON text.
    pub offset: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotebookCell {
    pub kind: CellKind,
    pub source: String,
}

/// What obolint does with a code cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellRole {
    /// Python the kernel runs: parsed as part of the notebook.
    Python,
    /// A cell magic (`%%sql`, `%%sh`, `%%capture`...): not parsed.
    Magic,
    /// `%%writefile path`: written to `path` (relative to the notebook), not run.
    WriteFile(WrittenFile),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeCell {
    /// 1-based index among all the notebook's cells (markdown included), as the CLI contract counts.
    pub number: usize,
    /// 0-based index among all cells.
    pub index: usize,
    /// The cell's source in [`NotebookText::text`].
    pub range: TextRange,
    pub role: CellRole,
}

/// A `%%writefile` cell: a file the notebook writes, which the project then contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFile {
    /// The path as written after the magic.
    pub path: String,
    /// `-a`: appended to rather than replaced.
    pub append: bool,
    /// The file's text as obolint parses it. Its first line is the magic itself, made a comment
    /// of the same length, so rows and columns stay those of the cell.
    pub text: String,
    /// Piece by piece (a line of a `# MAGIC` cell, or a whole `.ipynb` cell): where it starts
    /// in `text`, where that content is in the notebook's text, and where the notebook's line
    /// holding it starts (before its `# MAGIC ` prefix).
    pub map: Vec<(TextSize, TextSize, TextSize)>,
    /// Text every line carries in the notebook (`# MAGIC `), empty for `.ipynb` cells.
    pub line_prefix: &'static str,
    /// The end of the magic line (after its line break) in `text`: nothing may be inserted
    /// before it.
    pub magic_end: TextSize,
}

impl WrittenFile {
    /// Maps an offset in [`Self::text`] to the notebook's text.
    pub fn to_notebook(&self, offset: TextSize) -> TextSize {
        let index = self.map.partition_point(|(start, ..)| *start <= offset);
        match index.checked_sub(1).and_then(|i| self.map.get(i)) {
            Some((start, original, _)) => *original + (offset - *start),
            None => offset,
        }
    }

    /// Maps a fix edit into the notebook: its range, and its text with `# MAGIC ` before each
    /// line it adds. `None` when it would touch the magic line.
    pub fn edit_to_notebook(&self, range: TextRange, content: &str) -> Option<(TextRange, String)> {
        let mut range = range;
        if range.start() < self.magic_end {
            // An import added at the top of the file goes just below the magic line.
            if range.is_empty() && self.text[..usize::from(range.start())].trim().is_empty() {
                range = TextRange::empty(self.magic_end);
            } else {
                return None;
            }
        }
        if self.line_prefix.is_empty() || !content.contains('\n') {
            return Some((self.range_to_notebook(range), content.to_string()));
        }
        // Whole lines inserted at a line start: each becomes a `# MAGIC ` line of its own.
        let at_line_start = self.map.iter().find(|(start, ..)| *start == range.start());
        if range.is_empty()
            && content.ends_with('\n')
            && let Some((_, _, line_start)) = at_line_start
        {
            let lines: String = content
                .split_inclusive('\n')
                .map(|line| format!("{}{line}", self.line_prefix))
                .collect();
            return Some((TextRange::empty(*line_start), lines));
        }
        // A line break inside a line: the rest of that line continues on a new `# MAGIC ` line.
        Some((
            self.range_to_notebook(range),
            content.replace('\n', &format!("\n{}", self.line_prefix)),
        ))
    }

    /// `%%writefile -a`: `other` is appended to this file.
    pub fn append_file(&mut self, other: WrittenFile) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        let shift = TextSize::of(self.text.as_str());
        self.map.extend(
            other
                .map
                .into_iter()
                .map(|(start, original, line)| (start + shift, original, line)),
        );
        self.text.push_str(&other.text);
    }

    pub fn range_to_notebook(&self, range: TextRange) -> TextRange {
        let start = self.to_notebook(range.start());
        let end = self.to_notebook(range.end()).max(start);
        TextRange::new(start, end)
    }
}

/// A `%pip install ...` (or `!pip install`) line: its arguments and where they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipLine {
    pub arguments: String,
    pub range: TextRange,
}

/// An `.ipynb` notebook as obolint reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotebookText {
    /// The code cells' sources joined by `\n`.
    pub text: String,
    pub cells: Vec<CodeCell>,
}

impl NotebookText {
    /// The text the parser reads: cells that are not Python blanked out (spaces, line breaks
    /// kept), so offsets stay those of [`Self::text`].
    pub fn parse_text(&self) -> String {
        let mut out = self.text.clone();
        for cell in &self.cells {
            if cell.role != CellRole::Python {
                blank(&mut out, cell.range);
            }
        }
        out
    }

    pub fn cell_ranges(&self) -> Vec<TextRange> {
        self.cells.iter().map(|c| c.range).collect()
    }

    pub fn written_files(&self) -> impl Iterator<Item = &WrittenFile> {
        self.cells.iter().filter_map(|c| match &c.role {
            CellRole::WriteFile(file) => Some(file),
            _ => None,
        })
    }

    /// `%pip install` lines of the cells that run.
    pub fn pip_lines(&self) -> Vec<PipLine> {
        let mut out = Vec::new();
        for cell in &self.cells {
            if cell.role == CellRole::Python {
                out.extend(pip_lines_in(&self.text, cell.range, ""));
            }
        }
        out
    }
}

fn blank(text: &mut String, range: TextRange) {
    let slice = &text[range];
    let replaced: String = slice
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' {
                c.to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect();
    text.replace_range(std::ops::Range::<usize>::from(range), &replaced);
}

/// Reads nbformat JSON (v4; v3's `worksheets` too). Cell sources are strings or lists of lines.
pub fn read_ipynb(json: &str) -> Result<Vec<NotebookCell>, NotebookError> {
    let value: Value = serde_json::from_str(json).map_err(|error| NotebookError {
        message: error.to_string(),
        offset: offset_of(json, error.line(), error.column()),
    })?;
    let invalid = |message: &str| NotebookError {
        message: message.to_string(),
        offset: 0,
    };
    let cells = match value.get("cells") {
        Some(cells) => cells,
        None => value
            .get("worksheets")
            .and_then(|w| w.get(0))
            .and_then(|w| w.get("cells"))
            .ok_or_else(|| invalid("it has no `cells` list: not an nbformat notebook"))?,
    };
    let cells = cells
        .as_array()
        .ok_or_else(|| invalid("`cells` is not a list"))?;
    cells
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let kind = match cell.get("cell_type").and_then(Value::as_str) {
                Some("code") => CellKind::Code,
                Some(_) => CellKind::Other,
                None => {
                    return Err(invalid(&format!("cell {} has no `cell_type`", i + 1)));
                }
            };
            let source = match cell.get("source").or_else(|| cell.get("input")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(lines)) => {
                    let mut s = String::new();
                    for line in lines {
                        s.push_str(line.as_str().ok_or_else(|| {
                            invalid(&format!("cell {}'s `source` holds a non-string", i + 1))
                        })?);
                    }
                    s
                }
                None => String::new(),
                Some(_) => {
                    return Err(invalid(&format!(
                        "cell {}'s `source` is neither a string nor a list",
                        i + 1
                    )));
                }
            };
            Ok(NotebookCell { kind, source })
        })
        .collect()
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1).min(l.len());
        }
        offset += l.len();
    }
    text.len()
}

/// Lays the code cells out as one text and decides what each is.
pub fn notebook_text(cells: &[NotebookCell]) -> NotebookText {
    let mut text = String::new();
    let mut code_cells = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        if cell.kind != CellKind::Code {
            continue;
        }
        if !code_cells.is_empty() {
            text.push('\n');
        }
        let start = TextSize::of(text.as_str());
        text.push_str(&cell.source);
        let range = TextRange::new(start, TextSize::of(text.as_str()));
        let role = cell_role(&cell.source, start);
        code_cells.push(CodeCell {
            number: index + 1,
            index,
            range,
            role,
        });
    }
    NotebookText {
        text,
        cells: code_cells,
    }
}

/// Cell magics whose body is still Python the kernel runs.
const PYTHON_CELL_MAGICS: &[&str] = &["time", "timeit", "capture", "python", "python3"];

fn cell_role(source: &str, start: TextSize) -> CellRole {
    // The first line that is not blank decides (IPython wants the magic on the first line, but
    // editors often leave an empty line above it).
    let mut offset = 0usize;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            offset += line.len();
            continue;
        }
        let Some(magic) = trimmed.strip_prefix("%%") else {
            return CellRole::Python;
        };
        let name = magic.split_whitespace().next().unwrap_or("");
        if PYTHON_CELL_MAGICS.contains(&name) {
            return CellRole::Python;
        }
        if name == "writefile"
            && let Some((path, append)) = writefile_target(magic)
        {
            let mut text = source.to_string();
            // `%%writefile` becomes `#%writefile`: a comment of the same length.
            let percent = offset + line.find('%').unwrap_or(0);
            text.replace_range(percent..percent + 1, "#");
            return CellRole::WriteFile(WrittenFile {
                path,
                append,
                text,
                map: vec![(TextSize::new(0), start, start)],
                line_prefix: "",
                magic_end: TextSize::new((offset + line.len()) as u32),
            });
        }
        return CellRole::Magic;
    }
    CellRole::Python
}

/// `writefile [-a|--append] path` → the path (quotes removed) and whether it appends.
fn writefile_target(magic: &str) -> Option<(String, bool)> {
    let mut append = false;
    let mut path = None;
    for word in magic.split_whitespace().skip(1) {
        match word {
            "-a" | "--append" => append = true,
            w if w.starts_with('-') => {}
            w => {
                path = Some(w.trim_matches(|c| c == '"' || c == '\'').to_string());
                break;
            }
        }
    }
    path.filter(|p| !p.is_empty()).map(|p| (p, append))
}

/// `%pip install ...`, `!pip install ...` and `%pip install` after a `# MAGIC ` prefix, in `range`
/// of `text`.
pub fn pip_lines_in(text: &str, range: TextRange, prefix: &str) -> Vec<PipLine> {
    let mut out = Vec::new();
    let mut offset = usize::from(range.start());
    for line in text[range].split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let Some(rest) = body.strip_prefix(prefix) else {
            continue;
        };
        let trimmed = rest.trim_start();
        let command = trimmed
            .strip_prefix("%pip")
            .or_else(|| trimmed.strip_prefix("!pip3"))
            .or_else(|| trimmed.strip_prefix("!pip"))
            .or_else(|| trimmed.strip_prefix("%pip3"));
        let Some(command) = command else { continue };
        let Some(arguments) = command.trim_start().strip_prefix("install") else {
            continue;
        };
        let args_start = start + (body.len() - arguments.len());
        out.push(PipLine {
            arguments: arguments.to_string(),
            range: TextRange::new(
                TextSize::new(args_start as u32),
                TextSize::new((start + body.len()) as u32),
            ),
        });
    }
    out
}

const MAGIC: &str = "# MAGIC";

/// The `# MAGIC %%writefile path` cells of a Databricks source notebook, given its cell ranges.
pub fn databricks_written_files(text: &str, cells: &[TextRange]) -> Vec<WrittenFile> {
    let mut out = Vec::new();
    for &cell in cells {
        let mut lines = Vec::new();
        let mut offset = usize::from(cell.start());
        for line in text[cell].split_inclusive('\n') {
            lines.push((offset, line));
            offset += line.len();
        }
        // Skip the separator and blank lines; the first other line must be the magic.
        let Some(first) = lines.iter().position(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && t != DATABRICKS_CELL_SEPARATOR && t != crate::source::DATABRICKS_HEADER
        }) else {
            continue;
        };
        let (_, head) = lines[first];
        let Some(magic) = head
            .trim_end()
            .strip_prefix(MAGIC)
            .map(str::trim_start)
            .and_then(|m| m.strip_prefix("%%"))
        else {
            continue;
        };
        if !magic.starts_with("writefile") {
            continue;
        }
        let Some((path, append)) = writefile_target(magic) else {
            continue;
        };
        let mut file_text = String::new();
        let mut map = Vec::new();
        for (i, &(line_offset, line)) in lines[first..].iter().enumerate() {
            let Some(rest) = line.strip_prefix(MAGIC) else {
                // The cell's code ends at the first line that is not `# MAGIC`.
                break;
            };
            let (skip, content) = match rest.strip_prefix(' ') {
                Some(content) => (MAGIC.len() + 1, content),
                None => (MAGIC.len(), rest),
            };
            map.push((
                TextSize::of(file_text.as_str()),
                TextSize::new((line_offset + skip) as u32),
                TextSize::new(line_offset as u32),
            ));
            if i == 0 {
                // `%%writefile` → `#%writefile`, the same length.
                let content = content.replacen('%', "#", 1);
                file_text.push_str(&content);
            } else {
                file_text.push_str(content);
            }
        }
        let magic_end = map
            .get(1)
            .map_or(TextSize::of(file_text.as_str()), |(start, ..)| *start);
        out.push(WrittenFile {
            path,
            append,
            text: file_text,
            map,
            line_prefix: "# MAGIC ",
            magic_end,
        });
    }
    out
}

/// Applies `edits` (offsets into [`NotebookText::text`], non-overlapping) to the notebook's JSON,
/// cell by cell: only the `source` of the cells they touch changes; outputs, metadata and the
/// rest of the file stay byte for byte. An edit that crosses a cell boundary is refused.
pub fn rewrite_ipynb(json: &str, edits: &[(TextRange, String)]) -> Result<String, NotebookError> {
    use serde_json::value::RawValue;
    use std::collections::HashMap;

    let error = |message: &str| NotebookError {
        message: message.to_string(),
        offset: 0,
    };
    let layout = notebook_text(&read_ipynb(json)?);
    let top: HashMap<&str, &RawValue> =
        serde_json::from_str(json).map_err(|e| error(&e.to_string()))?;
    let cells_raw = top.get("cells").ok_or_else(|| {
        error("only nbformat 4 notebooks (a top-level `cells` list) are rewritten")
    })?;
    let cells: Vec<&RawValue> =
        serde_json::from_str(cells_raw.get()).map_err(|e| error(&e.to_string()))?;
    let offset_in = |raw: &RawValue| raw.get().as_ptr() as usize - json.as_ptr() as usize;

    // The new source of each touched cell.
    let mut by_cell: std::collections::BTreeMap<usize, Vec<(TextRange, &str)>> =
        std::collections::BTreeMap::new();
    for (range, content) in edits {
        let cell = layout
            .cells
            .iter()
            .position(|c| c.range.start() <= range.start() && range.end() <= c.range.end())
            .ok_or_else(|| error("an edit crosses a cell boundary"))?;
        by_cell.entry(cell).or_default().push((*range, content));
    }
    let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for (cell_position, mut cell_edits) in by_cell {
        let cell = &layout.cells[cell_position];
        cell_edits.sort_by_key(|(r, _)| (r.start(), r.end()));
        let source = &layout.text[cell.range];
        let mut new_source = String::new();
        let mut last = 0usize;
        for (range, content) in cell_edits {
            let start = usize::from(range.start() - cell.range.start());
            let end = usize::from(range.end() - cell.range.start());
            if start < last {
                return Err(error("overlapping edits"));
            }
            new_source.push_str(&source[last..start]);
            new_source.push_str(content);
            last = end;
        }
        new_source.push_str(&source[last..]);

        let raw_cell = cells
            .get(cell.index)
            .ok_or_else(|| error("cell index out of range"))?;
        let fields: HashMap<&str, &RawValue> =
            serde_json::from_str(raw_cell.get()).map_err(|e| error(&e.to_string()))?;
        let raw_source = fields
            .get("source")
            .ok_or_else(|| error("a cell without `source`"))?;
        let start = offset_in(raw_source);
        let old = raw_source.get();
        let rendered = if old.starts_with('[') {
            source_lines_json(&new_source, old, json, start)
        } else {
            serde_json::to_string(&new_source).map_err(|e| error(&e.to_string()))?
        };
        replacements.push((start..start + old.len(), rendered));
    }
    replacements.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(json.len());
    let mut last = 0usize;
    for (range, text) in replacements {
        out.push_str(&json[last..range.start]);
        out.push_str(&text);
        last = range.end;
    }
    out.push_str(&json[last..]);
    Ok(out)
}

/// Where each character of the code cells' sources sits in the notebook file's own bytes: pairs
/// (offset in [`NotebookText::text`], byte offset in `json`), sorted, one per character plus one
/// at the end of each cell (just before the closing quote of its last string), so that the
/// formats that annotate lines of the raw file (GitHub, SARIF, JUnit) can point at the line of
/// the JSON string that holds a source line, and SARIF's fixes can edit the file's bytes. `None`
/// for a notebook this reader cannot map (nbformat 3, or sources it cannot walk).
pub fn file_offsets(json: &str, layout: &NotebookText) -> Option<Vec<(TextSize, TextSize)>> {
    use serde_json::value::RawValue;
    use std::collections::HashMap;

    let top: HashMap<&str, &RawValue> = serde_json::from_str(json).ok()?;
    let cells: Vec<&RawValue> = serde_json::from_str(top.get("cells")?.get()).ok()?;
    let offset_in = |raw: &RawValue| raw.get().as_ptr() as usize - json.as_ptr() as usize;
    let mut out = Vec::with_capacity(layout.text.len() + layout.cells.len());
    for cell in &layout.cells {
        let fields: HashMap<&str, &RawValue> =
            serde_json::from_str(cells.get(cell.index)?.get()).ok()?;
        let Some(source) = fields.get("source") else {
            // No `source`: an empty cell, nothing to point at.
            continue;
        };
        let strings: Vec<&RawValue> = if source.get().starts_with('[') {
            serde_json::from_str(source.get()).ok()?
        } else {
            vec![*source]
        };
        let mut decoded = usize::from(cell.range.start());
        let mut end = None;
        for string in strings {
            let start = offset_in(string);
            decoded = walk_json_string(string.get(), start, decoded, &mut out)?;
            end = Some(start + string.get().len() - 1);
        }
        if decoded != usize::from(cell.range.end()) {
            return None;
        }
        if let Some(end) = end {
            out.push((cell.range.end(), TextSize::try_from(end).ok()?));
        }
    }
    Some(out)
}

/// Walks one JSON string literal (`raw`, quotes included, at byte `at` of the file), pushing
/// (decoded offset, file offset) for each character; returns the decoded offset after it.
fn walk_json_string(
    raw: &str,
    at: usize,
    mut decoded: usize,
    out: &mut Vec<(TextSize, TextSize)>,
) -> Option<usize> {
    let bytes = raw.as_bytes();
    let hex = |i: usize| u32::from_str_radix(raw.get(i..i + 4)?, 16).ok();
    let mut i = 1; // after the opening quote
    while i < bytes.len() - 1 {
        out.push((
            TextSize::try_from(decoded).ok()?,
            TextSize::try_from(at + i).ok()?,
        ));
        let (c, len) = if bytes[i] == b'\\' {
            match bytes.get(i + 1)? {
                b'u' => {
                    let high = hex(i + 2)?;
                    if (0xD800..0xDC00).contains(&high) {
                        let low = hex(i + 8)?;
                        let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
                        (c, 12)
                    } else {
                        (char::from_u32(high)?, 6)
                    }
                }
                b'n' => ('\n', 2),
                b't' => ('\t', 2),
                b'r' => ('\r', 2),
                b'b' => ('\u{8}', 2),
                b'f' => ('\u{c}', 2),
                &other => (char::from(other), 2),
            }
        } else {
            let c = raw[i..].chars().next()?;
            (c, c.len_utf8())
        };
        decoded += c.len_utf8();
        i += len;
    }
    Some(decoded)
}

/// `source` as a list of lines, laid out as the original list was (Jupyter writes one line per
/// element, indented one step deeper than the key).
fn source_lines_json(source: &str, old: &str, json: &str, start: usize) -> String {
    let lines: Vec<String> = source
        .split_inclusive('\n')
        .map(|l| serde_json::to_string(l).unwrap_or_else(|_| "\"\"".to_string()))
        .collect();
    if lines.is_empty() {
        return "[]".to_string();
    }
    // Indentation of the line the list starts on, and of its elements.
    let line_start = json[..start].rfind('\n').map_or(0, |n| n + 1);
    let key_indent: String = json[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let element_indent = match old.find('\n') {
        Some(n) => old[n + 1..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect::<String>(),
        None if !old.contains('"') => format!("{key_indent} "),
        None => return format!("[{}]", lines.join(", ")),
    };
    let mut out = String::from("[\n");
    for (i, line) in lines.iter().enumerate() {
        out.push_str(&element_indent);
        out.push_str(line);
        if i + 1 < lines.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(&key_indent);
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(cells: &[(&str, &str)]) -> String {
        let cells: Vec<Value> = cells
            .iter()
            .map(|(kind, source)| {
                serde_json::json!({"cell_type": kind, "source": source, "metadata": {}})
            })
            .collect();
        serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
            .to_string()
    }

    #[test]
    fn lays_out_code_cells_and_numbers_all_cells() {
        let json = nb(&[
            ("markdown", "# Title"),
            ("code", "%pip install -U mlflow databricks-sdk"),
            ("code", "import os\nx = 1"),
            ("code", "%%sql\nSELECT 1"),
        ]);
        let cells = read_ipynb(&json).unwrap();
        let layout = notebook_text(&cells);
        assert_eq!(
            layout.text,
            "%pip install -U mlflow databricks-sdk\nimport os\nx = 1\n%%sql\nSELECT 1"
        );
        let numbers: Vec<usize> = layout.cells.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [2, 3, 4]);
        assert_eq!(layout.cells[2].role, CellRole::Magic);
        assert!(!layout.parse_text().contains("SELECT"));
        assert_eq!(layout.parse_text().len(), layout.text.len());
        let pips = layout.pip_lines();
        assert_eq!(pips.len(), 1);
        assert_eq!(&layout.text[pips[0].range], " -U mlflow databricks-sdk");
    }

    #[test]
    fn writefile_cells_become_files() {
        let json = nb(&[
            ("code", "print(1)"),
            ("code", "%%writefile agent.py\nimport mlflow\n"),
        ]);
        let layout = notebook_text(&read_ipynb(&json).unwrap());
        let written: Vec<&WrittenFile> = layout.written_files().collect();
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].path, "agent.py");
        assert_eq!(written[0].text, "#%writefile agent.py\nimport mlflow\n");
        let offset = TextSize::new(written[0].text.find("mlflow").unwrap() as u32);
        let mapped = written[0].to_notebook(offset);
        assert_eq!(&layout.text[usize::from(mapped)..][..6], "mlflow");
    }

    #[test]
    fn list_sources_and_broken_json() {
        let json = r#"{"cells":[{"cell_type":"code","source":["a = 1\n","b = 2"]}]}"#;
        assert_eq!(read_ipynb(json).unwrap()[0].source, "a = 1\nb = 2");
        let error = read_ipynb("{\"cells\": [\n  {]").unwrap_err();
        assert!(error.offset > 0);
        assert!(read_ipynb("[1, 2]").is_err());
        assert!(read_ipynb(r#"{"cells":[{"source":"x"}]}"#).is_err());
    }

    #[test]
    fn databricks_magic_writefile() {
        let text = "# Databricks notebook source\n# MAGIC %pip install mlflow\n\n# COMMAND ----------\n\n# MAGIC %%writefile agent.py\n# MAGIC import mlflow\n# MAGIC\n# MAGIC def f():\n# MAGIC     return 1\n\n# COMMAND ----------\nx = 1\n";
        let cells = crate::source::cell_ranges(text, crate::source::SourceKind::DatabricksNotebook);
        let files = databricks_written_files(text, &cells);
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].text,
            "#%writefile agent.py\nimport mlflow\n\ndef f():\n    return 1\n"
        );
        let offset = TextSize::new(files[0].text.find("return").unwrap() as u32);
        assert_eq!(
            &text[usize::from(files[0].to_notebook(offset))..][..6],
            "return"
        );
        let pips = pip_lines_in(text, cells[0], "# MAGIC ");
        assert_eq!(&text[pips[0].range], " mlflow");
    }

    #[test]
    fn rewrites_only_the_sources_it_edits() {
        let json = "{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 3,\n   \"metadata\": {\"tags\": [\"x\"]},\n   \"outputs\": [{\"output_type\": \"stream\", \"text\": [\"hi\\n\"]}],\n   \"source\": [\n    \"import os\\n\",\n    \"x = 1\"\n   ]\n  },\n  {\n   \"cell_type\": \"code\",\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": \"y = 2\"\n  }\n ],\n \"metadata\": {\"kernelspec\": {\"name\": \"python3\"}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n";
        let layout = notebook_text(&read_ipynb(json).unwrap());
        assert_eq!(layout.text, "import os\nx = 1\ny = 2");
        let x = TextSize::new(layout.text.find("x = 1").unwrap() as u32);
        let y = TextSize::new(layout.text.find("2").unwrap() as u32);
        let out = rewrite_ipynb(
            json,
            &[
                (TextRange::empty(x), "z = 0\n".to_string()),
                (TextRange::at(y, TextSize::new(1)), "3".to_string()),
            ],
        )
        .unwrap();
        let again = notebook_text(&read_ipynb(&out).unwrap());
        assert_eq!(again.text, "import os\nz = 0\nx = 1\ny = 3");
        assert!(
            out.contains("\"outputs\": [{\"output_type\": \"stream\", \"text\": [\"hi\\n\"]}]")
        );
        assert!(out.contains(
            "   \"source\": [\n    \"import os\\n\",\n    \"z = 0\\n\",\n    \"x = 1\"\n   ]"
        ));
        assert!(out.ends_with("}\n"));
        let first = layout.cells[0].range;
        let crossing = TextRange::new(
            first.end() - TextSize::new(1),
            first.end() + TextSize::new(1),
        );
        assert!(rewrite_ipynb(json, &[(crossing, String::new())]).is_err());
    }

    #[test]
    fn file_offsets_point_into_the_json_strings() {
        let json = "{\n \"cells\": [\n  {\"cell_type\": \"markdown\", \"source\": \"# T\"},\n  {\n   \"cell_type\": \"code\",\n   \"source\": [\n    \"import os\\n\",\n    \"s = \\\"\\u00e9\\ud83d\\ude00\\\"\"\n   ]\n  },\n  {\"cell_type\": \"code\", \"source\": \"a\\tb\\nc\"}\n ]\n}\n";
        let layout = notebook_text(&read_ipynb(json).unwrap());
        assert_eq!(layout.text, "import os\ns = \"\u{e9}\u{1f600}\"\na\tb\nc");
        let map = file_offsets(json, &layout).unwrap();
        let at = |needle: &str| {
            let offset = TextSize::new(layout.text.find(needle).unwrap() as u32);
            let (_, raw) = map.iter().find(|(o, _)| *o == offset).unwrap();
            usize::from(*raw)
        };
        assert!(json[at("os")..].starts_with("os\\n\","));
        assert!(json[at("s = ")..].starts_with("s = \\\""));
        assert!(json[at("\u{1f600}")..].starts_with("\\ud83d\\ude00"));
        assert!(json[at("\"\na")..].starts_with("\\\"\"\n"));
        assert!(json[at("c")..].starts_with("c\"}"));
        // Each cell's end sits on the closing quote of its last string.
        let first_end = layout.cells[0].range.end();
        let (_, raw) = map.iter().find(|(o, _)| *o == first_end).unwrap();
        assert!(json[usize::from(*raw)..].starts_with("\"\n   ]"));
    }

    #[test]
    fn edits_in_magic_cells_keep_every_line_in_the_cell() {
        let text = "# Databricks notebook source\n# MAGIC %%writefile agent.py\n# MAGIC import os\n# MAGIC\n# MAGIC x = 1\n";
        let cells = crate::source::cell_ranges(text, crate::source::SourceKind::DatabricksNotebook);
        let file = &databricks_written_files(text, &cells)[0];
        let apply = |range: TextRange, content: &str| {
            let (r, c) = file.edit_to_notebook(range, content).unwrap();
            let mut out = text.to_string();
            out.replace_range(std::ops::Range::<usize>::from(r), &c);
            out
        };
        // Whole lines before `x = 1`, before the bare `# MAGIC` line, at the top of the file.
        let x = TextSize::new(file.text.find("x = 1").unwrap() as u32);
        assert!(
            apply(TextRange::empty(x), "import y\n").contains("# MAGIC import y\n# MAGIC x = 1\n")
        );
        let blank = TextSize::new(file.text.find("\n\n").unwrap() as u32 + 1);
        assert!(
            apply(TextRange::empty(blank), "import y\n").contains("# MAGIC import y\n# MAGIC\n")
        );
        let top = apply(TextRange::empty(TextSize::new(0)), "import y\n");
        assert!(
            top.contains("# MAGIC %%writefile agent.py\n# MAGIC import y\n# MAGIC import os"),
            "{top}"
        );
        // A break inside a line.
        let one = TextSize::new(file.text.find("1").unwrap() as u32);
        assert!(apply(TextRange::empty(one), "(\n    ").contains("# MAGIC x = (\n# MAGIC     1"));
        // The magic line itself is never edited.
        assert!(
            file.edit_to_notebook(TextRange::new(TextSize::new(1), TextSize::new(3)), "")
                .is_none()
        );
    }

    #[test]
    fn magic_after_blank_lines_and_appended_cells() {
        let json = nb(&[
            ("code", "\n%%writefile agent.py\nimport os\n"),
            ("code", "%%writefile -a agent.py\nx = 1"),
        ]);
        let layout = notebook_text(&read_ipynb(&json).unwrap());
        let mut files: Vec<WrittenFile> = layout.written_files().cloned().collect();
        assert!(files[1].append);
        let second = files.remove(1);
        files[0].append_file(second);
        let file = &files[0];
        let (range, _) = file
            .edit_to_notebook(TextRange::empty(TextSize::new(0)), "import y\n")
            .unwrap();
        assert_eq!(&layout.text[usize::from(range.start())..][..9], "import os");
        let x = TextSize::new(file.text.find("x = 1").unwrap() as u32);
        assert_eq!(
            &layout.text[usize::from(file.to_notebook(x))..][..5],
            "x = 1"
        );
    }
}
