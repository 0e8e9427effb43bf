//! Parsed files kept from one check to the next, for the language server: a keystroke changes
//! one file, and every other file of the project parses to the same tree as before. A file's
//! parse is found again by its path, its kind and a hash of the text it was parsed from (with the
//! notebook cells that text was split into), never trusted by path alone; what a check did not
//! parse is forgotten when it ends, so the cache holds one check's trees at most.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use obolint_python::{ParsedSource, SourceKind};
use ruff_text_size::TextRange;
use rustc_hash::FxHashMap;

/// The parses of one project's files, shared by its checks ([`CheckRequest::parses`]).
///
/// [`CheckRequest::parses`]: super::CheckRequest::parses
#[derive(Default)]
pub struct ParseCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: FxHashMap<PathBuf, Entry>,
    /// The number of the check running (or the last one).
    check: u64,
    /// Parses found again since the cache was made, and parses made (for tests and the log).
    hits: u64,
    misses: u64,
}

struct Entry {
    key: blake3::Hash,
    tree: Arc<ParsedSource>,
    /// The check that last used it.
    used: u64,
}

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("ParseCache")
            .field("files", &inner.entries.len())
            .field("hits", &inner.hits)
            .field("misses", &inner.misses)
            .finish()
    }
}

/// What a parse depends on besides its path: the kind, the cells and the text.
fn key(kind: SourceKind, cells: &[TextRange], text: &str) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(format!("{kind:?}").as_bytes());
    hasher.update(&(cells.len() as u64).to_le_bytes());
    for cell in cells {
        hasher.update(&u32::from(cell.start()).to_le_bytes());
        hasher.update(&u32::from(cell.end()).to_le_bytes());
    }
    hasher.update(text.as_bytes());
    hasher.finalize()
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a check: what it parses or finds again is marked as its own.
    pub(super) fn begin(&self) -> u64 {
        let mut inner = self.lock();
        inner.check += 1;
        inner.check
    }

    /// Ends check `check`: the parses it did not use are forgotten (a later check's are kept).
    pub(super) fn end(&self, check: u64) {
        let mut forgotten = Vec::new();
        self.lock().entries.retain(|_, entry| {
            let keep = entry.used >= check;
            if !keep {
                forgotten.push(Arc::clone(&entry.tree));
            }
            keep
        });
        // Freed once the lock is given back.
        drop(forgotten);
    }

    /// The parse of `text` at `path`, found again or made by `parse` (and kept) for check
    /// `check`. `cells` are the ranges of the notebook cells `text` was split into (empty for a
    /// plain file).
    pub(super) fn parse(
        &self,
        check: u64,
        path: &Path,
        kind: SourceKind,
        cells: &[TextRange],
        text: &str,
        parse: impl FnOnce() -> ParsedSource,
    ) -> Arc<ParsedSource> {
        let key = key(kind, cells, text);
        {
            let mut inner = self.lock();
            if let Some(entry) = inner.entries.get_mut(path)
                && entry.key == key
            {
                entry.used = entry.used.max(check);
                let tree = Arc::clone(&entry.tree);
                inner.hits += 1;
                return tree;
            }
        }
        // Parsed without the lock: the other files of the check parse meanwhile.
        let tree = Arc::new(parse());
        let replaced = {
            let mut inner = self.lock();
            inner.misses += 1;
            inner.entries.insert(
                path.to_path_buf(),
                Entry {
                    key,
                    tree: Arc::clone(&tree),
                    used: check,
                },
            )
        };
        // The parse of the text before, freed once the lock is given back.
        drop(replaced);
        tree
    }

    /// How many files' parses are kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parses found again and parses made, since the cache was made.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.hits, inner.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::parse_source;

    #[test]
    fn a_parse_is_found_again_only_for_the_same_text_kind_and_cells() {
        let cache = ParseCache::new();
        let path = Path::new("/p/a.py");
        let check = cache.begin();
        fn parse(text: &'static str) -> impl FnOnce() -> ParsedSource {
            move || parse_source(text, SourceKind::Python)
        }
        let first = cache.parse(
            check,
            path,
            SourceKind::Python,
            &[],
            "x = 1\n",
            parse("x = 1\n"),
        );
        let again = cache.parse(check, path, SourceKind::Python, &[], "x = 1\n", || {
            panic!("found again, not parsed")
        });
        assert!(Arc::ptr_eq(&first, &again));
        // Another text, kind or cell split is another parse.
        let other = cache.parse(
            check,
            path,
            SourceKind::Python,
            &[],
            "x = 2\n",
            parse("x = 2\n"),
        );
        assert!(!Arc::ptr_eq(&first, &other));
        let cells = [TextRange::new(0.into(), 6.into())];
        let celled = cache.parse(
            check,
            path,
            SourceKind::Python,
            &cells,
            "x = 2\n",
            parse("x = 2\n"),
        );
        assert!(!Arc::ptr_eq(&other, &celled));
        let notebook = cache.parse(
            check,
            path,
            SourceKind::DatabricksNotebook,
            &cells,
            "x = 2\n",
            parse("x = 2\n"),
        );
        assert!(!Arc::ptr_eq(&celled, &notebook));
        assert_eq!(cache.hits_and_misses(), (1, 4));
        cache.end(check);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_check_forgets_what_it_did_not_parse() {
        let cache = ParseCache::new();
        let parse = || parse_source("y = 1\n", SourceKind::Python);
        let first = cache.begin();
        cache.parse(
            first,
            Path::new("/p/a.py"),
            SourceKind::Python,
            &[],
            "y = 1\n",
            parse,
        );
        cache.parse(
            first,
            Path::new("/p/b.py"),
            SourceKind::Python,
            &[],
            "y = 1\n",
            parse,
        );
        cache.end(first);
        assert_eq!(cache.len(), 2);
        let second = cache.begin();
        cache.parse(
            second,
            Path::new("/p/b.py"),
            SourceKind::Python,
            &[],
            "y = 1\n",
            parse,
        );
        cache.end(second);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.hits_and_misses(), (1, 2));
    }
}
