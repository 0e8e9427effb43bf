//! What a rule declares about itself with `#[rule(...)]`: its public identity, defaults, fix
//! availability and safety, and its documentation. The macro fills [`RuleInfo`]; the registry, the
//! docs generator and the fix-safety check read it. Nothing here knows any particular rule.

use obolint_diagnostics::{Applicability, RuleMeta, Severity};

/// Whether a rule can offer a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

impl FixAvailability {
    pub const fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        }
    }
}

/// How safe the fixes a rule offers are, as its `## Fix safety` section documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixSafety {
    /// The rule has no fix.
    None,
    Safe,
    Unsafe,
    DisplayOnly,
    /// Some fixes are safe and others are not (each variant's safety is documented).
    Mixed,
}

impl FixSafety {
    pub const fn as_str(self) -> &'static str {
        match self {
            FixSafety::None => "none",
            FixSafety::Safe => "safe",
            FixSafety::Unsafe => "unsafe",
            FixSafety::DisplayOnly => "display-only",
            FixSafety::Mixed => "mixed",
        }
    }

    /// A fix of this applicability is what the rule documents.
    pub fn allows(self, applicability: Applicability) -> bool {
        match self {
            FixSafety::None => false,
            FixSafety::Safe => applicability == Applicability::Safe,
            FixSafety::Unsafe => applicability == Applicability::Unsafe,
            FixSafety::DisplayOnly => applicability == Applicability::DisplayOnly,
            FixSafety::Mixed => true,
        }
    }
}

/// A rule's public identity, defaults and documentation. Codes and names are public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub meta: RuleMeta,
    pub severity: Severity,
    /// Runs unless deselected (`false`: opt-in).
    pub default: bool,
    pub fix: FixAvailability,
    pub fix_safety: FixSafety,
    /// The user documentation, markdown, from the rule's doc comment.
    pub doc: &'static str,
}

impl RuleInfo {
    /// The first sentence of "What it does", for tables.
    pub fn summary(&self) -> String {
        let what = self
            .doc
            .split("## What it does")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or("");
        let paragraph: Vec<&str> = what
            .trim()
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .collect();
        let text = paragraph.join(" ");
        match text.find(". ") {
            Some(end) => text[..=end].trim().to_string(),
            None => text.trim().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_safety_allows_only_what_is_documented() {
        assert!(FixSafety::Safe.allows(Applicability::Safe));
        assert!(!FixSafety::Safe.allows(Applicability::Unsafe));
        assert!(!FixSafety::Unsafe.allows(Applicability::Safe));
        assert!(FixSafety::DisplayOnly.allows(Applicability::DisplayOnly));
        assert!(FixSafety::Mixed.allows(Applicability::Unsafe));
        assert!(!FixSafety::None.allows(Applicability::Safe));
    }
}
