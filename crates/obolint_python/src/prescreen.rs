//! The cheap first look: does a file mention anything obolint could care about?
//!
//! Every finding starts from a name imported from `databricks*` or `mlflow` (or a configured
//! user-client factory), so a file whose bytes contain none of those words is not parsed at all,
//! unless a file that does imports it (the linter then parses it on demand). On a corpus of
//! ordinary Python this skips most of the parsing work.

use memchr::memmem;

const NEEDLES: &[&str] = &["databricks", "mlflow", "Databricks"];

/// `extra` holds further words (the last segment of each configured user-client factory).
pub fn mentions_relevant_names(bytes: &[u8], extra: &[String]) -> bool {
    NEEDLES
        .iter()
        .map(|n| n.as_bytes())
        .chain(extra.iter().map(String::as_bytes))
        .any(|needle| !needle.is_empty() && memmem::find(bytes, needle).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_imports_of_interest() {
        assert!(mentions_relevant_names(
            b"from databricks.sdk import WorkspaceClient",
            &[]
        ));
        assert!(mentions_relevant_names(b"import mlflow\n", &[]));
        assert!(!mentions_relevant_names(b"import os\nprint(1)\n", &[]));
        assert!(mentions_relevant_names(
            b"x = get_user_client()",
            &["get_user_client".into()]
        ));
    }
}
