//! The rules, one file each, and the registry that names them. A rule is a pure function of the
//! project model: it reads, it reports, it never does I/O.
//!
//! Each rule declares its metadata and documentation with `#[rule(...)]` (checked at compile
//! time); [`Rule`] lists them once, and everything else (selection, `obolint rules`, the docs,
//! the README table) is generated from that list.

pub mod auth_policy_unsupported_flavor;
pub(crate) mod client_argument;
pub mod deprecated_credentials_provider;
pub mod genie_without_user_client;
pub mod invalid_resources_block;
mod logged;
pub mod mcp_without_user_client;
pub mod misplaced_obo_strategy;
pub mod missing_user_auth_policy;
pub mod nonexistent_obo_import;
pub mod obo_strategy_overridden;
pub mod obo_unsupported_resource;
pub mod resources_and_auth_policy;
pub mod resources_instead_of_auth_policy;
pub mod syntax_error;
pub mod unused_suppression;
pub mod user_client_at_load_time;
pub mod user_client_outlives_request;
pub mod user_credential_exposed;
pub mod user_resource_in_system_policy;
pub mod user_scopes_without_user_client;
pub mod vector_search_without_user_client;

use obolint_diagnostics::{RuleMeta, Severity};

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

/// A rule's public identity, defaults and documentation (`rules.md`). Codes and names are
/// public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub meta: RuleMeta,
    pub severity: Severity,
    /// Runs unless deselected (`false`: opt-in).
    pub default: bool,
    pub fix: FixAvailability,
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

macro_rules! registry {
    ($($variant:ident => $module:ident :: $rule:ident),* $(,)?) => {
        /// Every rule, in code order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($variant),*
        }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            pub const fn info(self) -> &'static RuleInfo {
                match self {
                    $(Rule::$variant => &$module::$rule::INFO),*
                }
            }
        }
    };
}

registry! {
    UserClientAtLoadTime => user_client_at_load_time::UserClientAtLoadTime,
    UserClientOutlivesRequest => user_client_outlives_request::UserClientOutlivesRequest,
    MisplacedOboStrategy => misplaced_obo_strategy::MisplacedOboStrategy,
    DeprecatedCredentialsProvider => deprecated_credentials_provider::DeprecatedCredentialsProvider,
    OboStrategyOverridden => obo_strategy_overridden::OboStrategyOverridden,
    UserCredentialExposed => user_credential_exposed::UserCredentialExposed,
    GenieWithoutUserClient => genie_without_user_client::GenieWithoutUserClient,
    VectorSearchWithoutUserClient => vector_search_without_user_client::VectorSearchWithoutUserClient,
    McpWithoutUserClient => mcp_without_user_client::McpWithoutUserClient,
    OboUnsupportedResource => obo_unsupported_resource::OboUnsupportedResource,
    NonexistentOboImport => nonexistent_obo_import::NonexistentOboImport,
    ResourcesInsteadOfAuthPolicy => resources_instead_of_auth_policy::ResourcesInsteadOfAuthPolicy,
    ResourcesAndAuthPolicy => resources_and_auth_policy::ResourcesAndAuthPolicy,
    MissingUserAuthPolicy => missing_user_auth_policy::MissingUserAuthPolicy,
    AuthPolicyUnsupportedFlavor => auth_policy_unsupported_flavor::AuthPolicyUnsupportedFlavor,
    UserScopesWithoutUserClient => user_scopes_without_user_client::UserScopesWithoutUserClient,
    InvalidResourcesBlock => invalid_resources_block::InvalidResourcesBlock,
    UserResourceInSystemPolicy => user_resource_in_system_policy::UserResourceInSystemPolicy,
    SyntaxError => syntax_error::SyntaxError,
    UnusedSuppression => unused_suppression::UnusedSuppression,
}

impl Rule {
    pub fn code(self) -> &'static str {
        self.info().meta.code
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// `always`, `yes` or `opt-in`, for tables.
    pub fn default_label(self) -> &'static str {
        if self.is_always_on() {
            "always"
        } else if self.info().default {
            "yes"
        } else {
            "opt-in"
        }
    }

    /// Rules that cannot be turned off: a file that does not parse is never silently skipped.
    pub fn is_always_on(self) -> bool {
        self == Rule::SyntaxError
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_code_order_and_unique() {
        let codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        for rule in Rule::ALL {
            assert!(!rule.info().summary().is_empty(), "{rule:?} has a summary");
        }
        assert_eq!(Rule::from_code("OBO101"), Some(Rule::UserClientAtLoadTime));
    }
}
