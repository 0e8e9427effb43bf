//! Parsed files kept from one check to the next, for the language server and `check --watch`: a
//! keystroke or a save changes one file, and every other file of the project parses to the same
//! tree as before. A file's
//! parse is found again by its path, its kind and a hash of the text it was parsed from (with the
//! notebook cells that text was split into), never trusted by path alone; what a check did not
//! parse is forgotten when it ends, so the cache holds one check's trees at most, and no more
//! than the trees of [`ParseCache::DEFAULT_BUDGET`] bytes of text: a check of a monorepo frees
//! each nested project's trees once that project is analysed, and a cache holding them all
//! would hold the sum of them instead (what parses past the budget is not kept).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use obolint_python::{ParsedSource, SourceKind};
use ruff_text_size::TextRange;
use rustc_hash::FxHashMap;

/// The parses of one project's files, shared by its checks ([`CheckRequest::parses`]).
///
/// [`CheckRequest::parses`]: super::CheckRequest::parses
pub struct ParseCache {
    inner: Mutex<Inner>,
    /// The most bytes of text whose parses are kept.
    budget: usize,
}

#[derive(Default)]
struct Inner {
    entries: FxHashMap<PathBuf, Entry>,
    /// The bytes of text of the parses kept.
    bytes: usize,
    /// The number of the check running (or the last one).
    check: u64,
    /// Parses found again since the cache was made, and parses made (for tests and the log).
    hits: u64,
    misses: u64,
}

struct Entry {
    key: blake3::Hash,
    /// The bytes of text it was parsed from.
    len: usize,
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

impl Drop for ParseCache {
    /// The trees are freed on a thread with a worker's stack (`free_beside`): a tree not
    /// in an arena is freed a node at a time, recursing as deep as it nests, and the thread
    /// dropping the cache may have a small stack (the language server's checking thread).
    fn drop(&mut self) {
        let inner = std::mem::take(self.inner.get_mut().unwrap_or_else(PoisonError::into_inner));
        let trees: Vec<Option<Arc<ParsedSource>>> = inner
            .entries
            .into_values()
            .map(|entry| Some(entry.tree))
            .collect();
        free_beside(trees);
    }
}

impl Default for ParseCache {
    fn default() -> Self {
        Self::with_budget(Self::DEFAULT_BUDGET)
    }
}

impl ParseCache {
    /// 32 MiB of source: a large package (`mlflow`, 16 MB) whole, its trees about 4-5 times that.
    pub const DEFAULT_BUDGET: usize = 32 << 20;

    pub fn new() -> Self {
        Self::default()
    }

    /// A cache that keeps the parses of at most `budget` bytes of text.
    pub fn with_budget(budget: usize) -> Self {
        Self {
            inner: Mutex::default(),
            budget,
        }
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
        let mut inner = self.lock();
        let mut bytes = inner.bytes;
        inner.entries.retain(|_, entry| {
            let keep = entry.used >= check;
            if !keep {
                bytes -= entry.len;
                forgotten.push(Some(Arc::clone(&entry.tree)));
            }
            keep
        });
        inner.bytes = bytes;
        drop(inner);
        // Freed once the lock is given back, with a worker's stack (see `Drop`).
        free_beside(forgotten);
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
            let before = inner.entries.get(path).map_or(0, |entry| entry.len);
            if inner.bytes - before + text.len() > self.budget {
                // Past the budget: this parse is not kept, and neither is the one it replaces.
                inner.bytes -= before;
                inner.entries.remove(path)
            } else {
                inner.bytes = inner.bytes - before + text.len();
                inner.entries.insert(
                    path.to_path_buf(),
                    Entry {
                        key,
                        len: text.len(),
                        tree: Arc::clone(&tree),
                        used: check,
                    },
                )
            }
        };
        // The parse of the text before, freed once the lock is given back.
        drop(replaced);
        tree
    }

    /// Forgets the parse of `path` if it is `tree` (a file cut to its imports: its whole tree is
    /// not worth keeping).
    pub(super) fn forget(&self, path: &Path, tree: &Arc<ParsedSource>) {
        let forgotten = {
            let mut inner = self.lock();
            match inner.entries.get(path) {
                Some(entry) if Arc::ptr_eq(&entry.tree, tree) => {
                    inner.bytes -= entry.len;
                    inner.entries.remove(path)
                }
                _ => None,
            }
        };
        drop(forgotten);
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

/// Frees syntax trees, most of what a root frees (a serial pass over every node of a tree not
/// freed whole: see `obolint_python::arena`), by a thread of their own, beside the next roots'
/// work instead of before it; not by a task of the pool,
/// which the thread waiting for a wave would run itself. Where no thread can be started, they are
/// freed here. Its stack is a worker's: freeing a deeply nested tree recurses as deep as building
/// it did.
pub(super) fn free_beside(parsed: Vec<Option<Arc<ParsedSource>>>) {
    if parsed.is_empty() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("obolint-free".into())
        .stack_size(crate::analysis::WORKER_STACK)
        .spawn(move || drop(parsed));
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::parse_source;

    fn parse(text: &'static str) -> impl FnOnce() -> ParsedSource {
        move || parse_source(text, SourceKind::Python)
    }

    #[test]
    fn a_parse_is_found_again_only_for_the_same_text_kind_and_cells() {
        let cache = ParseCache::new();
        let path = Path::new("/p/a.py");
        let check = cache.begin();
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
    fn parses_past_the_budget_are_not_kept() {
        let cache = ParseCache::with_budget(12);
        let check = cache.begin();
        let kept = |path: &str, text: &'static str| {
            cache.parse(
                check,
                Path::new(path),
                SourceKind::Python,
                &[],
                text,
                parse(text),
            );
        };
        kept("/p/a.py", "a = 1\n");
        kept("/p/b.py", "b = 22\n");
        assert_eq!(cache.len(), 1, "7 bytes more than 12 with a's 6");
        kept("/p/c.py", "c = 3\n");
        assert_eq!(cache.len(), 2);
        // a's new text does not fit: neither it nor its old parse stays.
        kept("/p/a.py", "a = 111111\n");
        assert_eq!(cache.len(), 1);
        kept("/p/a.py", "a = 1\n");
        assert_eq!(cache.len(), 2);
        cache.end(check);
        assert_eq!(cache.len(), 2);
        let next = cache.begin();
        cache.end(next);
        assert!(cache.is_empty());
        let again = cache.begin();
        cache.parse(
            again,
            Path::new("/p/d.py"),
            SourceKind::Python,
            &[],
            "d = 444\n",
            parse("d = 444\n"),
        );
        assert_eq!(
            cache.len(),
            1,
            "the budget is free again once parses are forgotten"
        );
    }

    /// Dropping a cache frees its trees with a worker's stack: a tree not in an arena (every
    /// tree here: tests run without `TreeAlloc`) is freed a node at a time, as deep as it nests,
    /// and the thread that drops the cache may have a small stack.
    #[test]
    fn a_cache_dropped_on_a_small_stack_frees_deep_trees() {
        let cache = ParseCache::new();
        let text = format!("x = 1{}\n", " + 1".repeat(60_000));
        let check = cache.begin();
        cache.parse(
            check,
            Path::new("/p/deep.py"),
            SourceKind::Python,
            &[],
            &text,
            || parse_source(&text, SourceKind::Python),
        );
        cache.end(check);
        assert_eq!(cache.len(), 1);
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || drop(cache))
            .expect("a thread")
            .join()
            .expect("dropped without overflowing its stack");
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
