//! What the server last pushed to each document (`textDocument/publishDiagnostics`, for clients
//! that do not pull). A document is pushed to only when its findings change, and cleared on close
//! only when it showed something.

use lsp_types::{Diagnostic, Uri};
use rustc_hash::FxHashMap;

#[derive(Default)]
pub(crate) struct Published {
    by_uri: FxHashMap<Uri, Vec<Diagnostic>>,
}

impl Published {
    /// Records `items` as what `uri` shows. `false` when the client already shows exactly that (a
    /// document never pushed to shows nothing), so there is nothing to send.
    pub(crate) fn record(&mut self, uri: &Uri, items: &[Diagnostic]) -> bool {
        let unchanged = match self.by_uri.get(uri) {
            Some(previous) => previous == items,
            None => items.is_empty(),
        };
        if unchanged {
            return false;
        }
        self.by_uri.insert(uri.clone(), items.to_vec());
        true
    }

    /// Forgets `uri`. `true` when it showed findings, which the client must now be told to clear.
    pub(crate) fn forget(&mut self, uri: &Uri) -> bool {
        self.by_uri
            .remove(uri)
            .is_some_and(|previous| !previous.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use lsp_types::Range;

    use super::*;

    fn finding(message: &str) -> Diagnostic {
        Diagnostic::new_simple(Range::default(), message.to_string())
    }

    #[test]
    fn only_changes_are_pushed() {
        let uri = Uri::from_str("file:///p/a.py").unwrap();
        let mut published = Published::default();
        assert!(!published.record(&uri, &[]), "nothing shown, nothing found");
        assert!(published.record(&uri, &[finding("a")]));
        assert!(!published.record(&uri, &[finding("a")]));
        assert!(published.record(&uri, &[finding("b")]));
        assert!(published.record(&uri, &[]));
        assert!(!published.record(&uri, &[]));
    }

    #[test]
    fn closing_clears_only_documents_that_show_something() {
        let shown = Uri::from_str("file:///p/a.py").unwrap();
        let clean = Uri::from_str("file:///p/b.py").unwrap();
        let mut published = Published::default();
        published.record(&shown, &[finding("a")]);
        published.record(&clean, &[finding("b")]);
        published.record(&clean, &[]);
        assert!(published.forget(&shown));
        assert!(!published.forget(&shown), "already forgotten");
        assert!(!published.forget(&clean));
    }
}
