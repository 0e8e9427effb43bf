use ruff_text_size::TextRange;

use crate::FileId;

/// How serious a finding is. `Error` fails a run by default; `Warning` only under
/// `--fail-on warning`; `Info` is advice and never fails a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The public identity of a rule as a diagnostic carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RuleMeta {
    /// `OBO101`
    pub code: &'static str,
    /// `user-client-at-load-time`
    pub name: &'static str,
}

/// A place in a file with a short text, shown under the excerpt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
}

impl Label {
    pub fn new(file: FileId, range: TextRange, message: impl Into<String>) -> Self {
        Self {
            file,
            range,
            message: message.into(),
        }
    }
}

/// Whether a fix may be applied without a person looking at it (Ruff's model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Shown, never applied: the right edit needs a decision only the author can make.
    DisplayOnly,
    /// Applied with `--unsafe-fixes`: it may change behaviour (for instance whose identity runs a call).
    Unsafe,
    /// Applied with `--fix`: keeps the meaning of the code.
    Safe,
}

impl Applicability {
    pub const fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }

    /// Whether `--fix` (safe) or `--fix --unsafe-fixes` (unsafe) applies it: what "fixable"
    /// means everywhere (the summary, `--statistics`, `obolint rules`, the rule pages).
    pub const fn is_fixable(self) -> bool {
        matches!(self, Applicability::Safe | Applicability::Unsafe)
    }
}

/// Replace `range` of the diagnostic's file by `content` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn insertion(at: ruff_text_size::TextSize, content: impl Into<String>) -> Self {
        Self {
            range: TextRange::empty(at),
            content: content.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, as a title for a quick-fix menu: "Pass `client=w`".
    pub message: String,
    pub applicability: Applicability,
    /// The file the edits change when it is not the one the diagnostic points at: a finding in
    /// Python code whose fix is in the YAML that configures it. `None`: the primary file.
    pub file: Option<FileId>,
    pub edits: Vec<Edit>,
}

/// One finding: a rule, a message, the smallest range that shows it, and what helps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: RuleMeta,
    pub severity: Severity,
    /// One sentence, no trailing period; the variant of the rule speaks here, not in the code.
    pub message: String,
    pub primary: Label,
    /// The other end of the finding: where a client was built, the use that needs a scope.
    pub secondary: Vec<Label>,
    /// How to make it right, shown as `= help: ...`.
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// It has a fix that `--fix` or `--unsafe-fixes` applies (a display-only fix is shown only).
    pub fn is_fixable(&self) -> bool {
        self.fix
            .as_ref()
            .is_some_and(|f| f.applicability.is_fixable())
    }

    /// The file its fix edits: the fix's own file, else the primary one.
    pub fn fix_file(&self) -> FileId {
        self.fix
            .as_ref()
            .and_then(|f| f.file)
            .unwrap_or(self.primary.file)
    }
}

impl Diagnostic {
    pub fn new(
        rule: RuleMeta,
        severity: Severity,
        message: impl Into<String>,
        primary: Label,
    ) -> Self {
        Self {
            rule,
            severity,
            message: message.into(),
            primary,
            secondary: Vec::new(),
            help: None,
            fix: None,
        }
    }

    #[must_use]
    pub fn with_secondary(mut self, label: Label) -> Self {
        self.secondary.push(label);
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}
