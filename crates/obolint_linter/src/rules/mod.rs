//! The rules, one file each, and the registry that names them. A rule is a pure function of the
//! project model: it reads, it reports, it never does I/O.

pub mod genie_without_user_client;
pub mod syntax_error;
pub mod user_client_at_load_time;

use obolint_diagnostics::{RuleMeta, Severity};

/// Whether a rule can offer a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

/// A rule's public identity and defaults (`rules.md`). Codes and names are public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub meta: RuleMeta,
    pub severity: Severity,
    /// Runs unless deselected (`false`: opt-in).
    pub default: bool,
    pub fix: FixAvailability,
    /// One line for `obolint rules`.
    pub summary: &'static str,
}

pub const SYNTAX_ERROR: RuleInfo = RuleInfo {
    meta: RuleMeta {
        code: "OBO900",
        name: "syntax-error",
    },
    severity: Severity::Error,
    default: true,
    fix: FixAvailability::None,
    summary: "a file, notebook cell or manifest cannot be parsed",
};

pub const USER_CLIENT_AT_LOAD_TIME: RuleInfo = RuleInfo {
    meta: RuleMeta {
        code: "OBO101",
        name: "user-client-at-load-time",
    },
    severity: Severity::Error,
    default: true,
    fix: FixAvailability::None,
    summary: "a user client is built when the model loads, before any caller is known",
};

pub const GENIE_WITHOUT_USER_CLIENT: RuleInfo = RuleInfo {
    meta: RuleMeta {
        code: "OBO201",
        name: "genie-without-user-client",
    },
    severity: Severity::Error,
    default: true,
    fix: FixAvailability::Sometimes,
    summary: "Genie gets no user client in an OBO model and runs as the deployer",
};

/// Every rule, in code order.
pub const ALL: &[RuleInfo] = &[
    USER_CLIENT_AT_LOAD_TIME,
    GENIE_WITHOUT_USER_CLIENT,
    SYNTAX_ERROR,
];

pub fn by_code(code: &str) -> Option<&'static RuleInfo> {
    ALL.iter().find(|r| r.meta.code == code)
}
