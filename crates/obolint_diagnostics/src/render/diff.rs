//! Unified diffs of fixes (`--diff`, fixture snapshots).

use similar::TextDiff;

/// A unified diff from `before` to `after`, with `a/`/`b/` headers naming `path`; empty when the
/// texts are equal.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    #[test]
    fn shows_changed_lines() {
        let diff = unified_diff("agent.py", "a\nb\nc\n", "a\nB\nc\n");
        assert!(
            diff.starts_with("--- a/agent.py\n+++ b/agent.py\n"),
            "{diff}"
        );
        assert!(diff.contains("-b\n+B\n"), "{diff}");
        assert!(unified_diff("x", "same", "same").is_empty());
    }
}
