//! Reading files: bytes to text, undecodable and unreadable files as findings, and the
//! prescreen that decides which files are worth parsing.

use std::path::Path;

use obolint_diagnostics::FileId;
use obolint_python::prescreen::mentions_relevant_names;
use ruff_text_size::TextRange;

/// A file that could not be read or parsed, kept as data for OBO900 (`rules/syntax_error.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: FileId,
    pub range: TextRange,
    pub kind: LoadErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// Python that does not parse; `cell` is the 0-based notebook cell number.
    Syntax {
        message: String,
        cell: Option<usize>,
    },
    /// Not readable, or not UTF-8: nothing in it is checked.
    Unreadable(String),
    /// A `.ipynb` that is not a notebook.
    BrokenNotebook(String),
    /// An `MLmodel` or `resources.yaml` that does not parse.
    BrokenYaml(String),
}

pub enum Loaded {
    Text {
        text: String,
        relevant: bool,
    },
    /// Not UTF-8: the text with replacement characters, and the byte offset of the first bad byte.
    NotUtf8 {
        lossy: String,
        offset: usize,
    },
    Unreadable(String),
}

impl Loaded {
    /// Text given in memory (an unsaved buffer, a file being fixed).
    pub fn from_text(text: String, extra_words: &[String]) -> Loaded {
        let relevant = mentions_relevant_names(text.as_bytes(), extra_words);
        Loaded::Text { text, relevant }
    }
}

pub fn load(path: &Path, extra_words: &[String]) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => return Loaded::Unreadable(error.to_string()),
    };
    // Offsets are 32-bit (Ruff's `TextSize`): larger files cannot be parsed.
    if u32::try_from(bytes.len()).is_err() {
        return Loaded::Unreadable(format!("it is larger than 4 GiB ({} bytes)", bytes.len()));
    }
    let relevant = mentions_relevant_names(&bytes, extra_words);
    match String::from_utf8(bytes) {
        Ok(text) => Loaded::Text { text, relevant },
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
            Loaded::NotUtf8 { lossy, offset }
        }
    }
}
