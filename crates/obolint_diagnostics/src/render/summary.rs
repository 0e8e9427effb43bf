use std::fmt;

use crate::{Applicability, Diagnostic, Severity};

/// The closing line of human output: `obolint: 2 errors, 1 warning (1 fixable with --fix, ...)`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut summary = Self::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
            match d.fix.as_ref().map(|f| f.applicability) {
                Some(Applicability::Safe) => summary.safe_fixes += 1,
                Some(Applicability::Unsafe) => summary.unsafe_fixes += 1,
                _ => {}
            }
        }
        summary
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.errors > 0 {
            parts.push(plural(self.errors, "error"));
        }
        if self.warnings > 0 {
            parts.push(plural(self.warnings, "warning"));
        }
        if self.infos > 0 {
            parts.push(format!("{} info", self.infos));
        }
        if parts.is_empty() {
            return write!(f, "obolint: no problems found");
        }
        write!(f, "obolint: {}", parts.join(", "))?;
        match (self.safe_fixes, self.unsafe_fixes) {
            (0, 0) => Ok(()),
            (s, 0) => write!(f, " ({s} fixable with --fix)"),
            (0, u) => write!(f, " ({u} fixable with --unsafe-fixes)"),
            (s, u) => write!(f, " ({s} fixable with --fix, {u} more with --unsafe-fixes)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn wording() {
        let s = Summary {
            errors: 2,
            warnings: 1,
            infos: 0,
            safe_fixes: 1,
            unsafe_fixes: 1,
        };
        assert_eq!(
            s.to_string(),
            "obolint: 2 errors, 1 warning (1 fixable with --fix, 1 more with --unsafe-fixes)"
        );
        assert_eq!(Summary::default().to_string(), "obolint: no problems found");
        let s = Summary {
            errors: 1,
            unsafe_fixes: 1,
            ..Summary::default()
        };
        assert_eq!(
            s.to_string(),
            "obolint: 1 error (1 fixable with --unsafe-fixes)"
        );
    }
}
