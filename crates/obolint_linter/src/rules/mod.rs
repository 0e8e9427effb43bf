//! The rules, one file each. A rule is a pure function of the [`LintContext`]: it reads, it
//! reports, it never does I/O. Each declares its metadata and documentation with `#[rule(...)]`
//! (checked at compile time) and implements [`Check`]; the registry (`registry.rs`) lists them
//! once and runs them.
//!
//! [`LintContext`]: crate::context::LintContext
//! [`Check`]: crate::context::Check

pub mod app_scopes_miss_endpoint_scopes;
pub mod app_token_client_without_auth_type;
pub mod app_unsupported_user_api;
pub mod app_user_client_outlives_request;
pub mod app_user_token_exposed;
pub mod auth_policy_unsupported_flavor;
pub mod broad_serving_scope;
pub mod deprecated_credentials_provider;
pub mod deprecated_scope_name;
pub mod duplicate_api_scope;
pub mod forwarded_token_without_user_api_scopes;
pub mod forwarding_disabled;
pub mod genie_via_passthrough;
pub mod genie_without_user_client;
pub mod invalid_resources_block;
pub mod invalid_user_api_scope;
pub mod mcp_without_user_client;
pub mod misplaced_obo_strategy;
pub mod missing_api_scope;
pub mod missing_obo_requirement;
pub mod missing_user_api_scope;
pub mod missing_user_auth_policy;
pub mod model_serving_credentials_in_app;
pub mod nonexistent_obo_import;
pub mod obo_strategy_overridden;
pub mod obo_unsupported_resource;
pub mod requirement_too_old;
pub mod resources_and_auth_policy;
pub mod resources_instead_of_auth_policy;
pub mod scopes_in_app_yaml;
mod shared;
pub mod silent_service_principal_fallback;
pub mod syntax_error;
pub mod unguarded_obo_resource;
pub mod unknown_api_scope;
pub mod unneeded_api_scope;
pub mod unneeded_user_api_scope;
pub mod unused_suppression;
pub mod user_client_at_load_time;
pub mod user_client_falls_back_to_deployer;
pub mod user_client_outlives_request;
pub mod user_credential_exposed;
pub mod user_resource_in_system_policy;
pub mod user_scopes_without_user_client;
pub mod vector_search_without_user_client;

// Where the fixture harness found these before they had their own module.
pub use crate::rule_info::{FixAvailability, RuleInfo};
