//! The registry: every rule, once, in code order. The [`Rule`] enum, its metadata, selection
//! (`--select` prefixes), `obolint rules`, the docs and the README table all come from the one
//! list below, and [`run`] is the only place rules are called. Adding a rule is its file in
//! `rules/` and one line here.

use std::panic::AssertUnwindSafe;

use obolint_diagnostics::{Diagnostic, FileId, Label};
use rayon::prelude::*;
use ruff_text_size::TextRange;

use crate::analysis::dataflow::Dataflow;
use crate::context::{Check, FileContext, Grain, LintContext, RuleContext};
use crate::project::{ChangedWhileChecked, FileIdx};
use crate::rule_info::RuleInfo;
use crate::rules::*;

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

            pub const fn grain(self) -> Grain {
                match self {
                    $(Rule::$variant => <$module::$rule as Check>::GRAIN),*
                }
            }

            fn check_project(self, ctx: &RuleContext<'_, '_>) {
                match self {
                    $(Rule::$variant => $module::$rule.check_project(ctx)),*
                }
            }

            fn check_file(self, ctx: &FileContext<'_, '_>) {
                match self {
                    $(Rule::$variant => $module::$rule.check_file(ctx)),*
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
    GenieViaPassthrough => genie_via_passthrough::GenieViaPassthrough,
    UserClientFallsBackToDeployer => user_client_falls_back_to_deployer::UserClientFallsBackToDeployer,
    ResourcesInsteadOfAuthPolicy => resources_instead_of_auth_policy::ResourcesInsteadOfAuthPolicy,
    ResourcesAndAuthPolicy => resources_and_auth_policy::ResourcesAndAuthPolicy,
    MissingUserAuthPolicy => missing_user_auth_policy::MissingUserAuthPolicy,
    AuthPolicyUnsupportedFlavor => auth_policy_unsupported_flavor::AuthPolicyUnsupportedFlavor,
    UserScopesWithoutUserClient => user_scopes_without_user_client::UserScopesWithoutUserClient,
    InvalidResourcesBlock => invalid_resources_block::InvalidResourcesBlock,
    UserResourceInSystemPolicy => user_resource_in_system_policy::UserResourceInSystemPolicy,
    MissingApiScope => missing_api_scope::MissingApiScope,
    UnneededApiScope => unneeded_api_scope::UnneededApiScope,
    UnknownApiScope => unknown_api_scope::UnknownApiScope,
    DuplicateApiScope => duplicate_api_scope::DuplicateApiScope,
    DeprecatedScopeName => deprecated_scope_name::DeprecatedScopeName,
    BroadServingScope => broad_serving_scope::BroadServingScope,
    MissingOboRequirement => missing_obo_requirement::MissingOboRequirement,
    RequirementTooOld => requirement_too_old::RequirementTooOld,
    UnguardedOboResource => unguarded_obo_resource::UnguardedOboResource,
    AppTokenClientWithoutAuthType => app_token_client_without_auth_type::AppTokenClientWithoutAuthType,
    AppUserClientOutlivesRequest => app_user_client_outlives_request::AppUserClientOutlivesRequest,
    ModelServingCredentialsInApp => model_serving_credentials_in_app::ModelServingCredentialsInApp,
    SilentServicePrincipalFallback => silent_service_principal_fallback::SilentServicePrincipalFallback,
    AppUserTokenExposed => app_user_token_exposed::AppUserTokenExposed,
    MissingUserApiScope => missing_user_api_scope::MissingUserApiScope,
    AppUnsupportedUserApi => app_unsupported_user_api::AppUnsupportedUserApi,
    InvalidUserApiScope => invalid_user_api_scope::InvalidUserApiScope,
    ScopesInAppYaml => scopes_in_app_yaml::ScopesInAppYaml,
    ForwardedTokenWithoutUserApiScopes => forwarded_token_without_user_api_scopes::ForwardedTokenWithoutUserApiScopes,
    ForwardingDisabled => forwarding_disabled::ForwardingDisabled,
    UnneededUserApiScope => unneeded_user_api_scope::UnneededUserApiScope,
    AppScopesMissEndpointScopes => app_scopes_miss_endpoint_scopes::AppScopesMissEndpointScopes,
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

/// Runs the `enabled` rules on one project: project-grain rules once each, file-grain rules on
/// every file in parallel (one dataflow per file, shared by the rules of that file).
pub fn run(ctx: &LintContext<'_>, enabled: &[Rule]) -> Vec<Diagnostic> {
    // The project rules (one thread, one after another) beside the file rules (the pool): they
    // share nothing that depends on order (each side has its own dataflow; served code is
    // filled once, off the pool, by whichever asks first), and the project rules were a serial
    // stretch of every root's run. Their findings come first, as when they ran first.
    let (project_found, file_found) = rayon::join(
        || run_project_rules(ctx, enabled),
        || run_file_rules(ctx, enabled),
    );
    let mut out = project_found;
    out.extend(file_found);
    debug_assert!(
        out.iter().all(|d| d.fix.as_ref().is_none_or(|fix| {
            Rule::from_code(d.rule.code)
                .is_some_and(|r| r.info().fix_safety.allows(fix.applicability))
        })),
        "every fix has the safety its rule documents"
    );
    out
}

/// The project-grain rules, one after another, sharing one dataflow (and with it its memo).
fn run_project_rules(ctx: &LintContext<'_>, enabled: &[Rule]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let dataflow = Dataflow::new(ctx.project);
    for &rule in enabled.iter().filter(|r| r.grain() == Grain::Project) {
        let rule_ctx = RuleContext::new(ctx, &dataflow, rule.info());
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| rule.check_project(&rule_ctx)));
        match ran {
            Ok(()) => out.extend(rule_ctx.into_diagnostics()),
            Err(payload) if payload.is::<ChangedWhileChecked>() => {
                std::panic::resume_unwind(payload)
            }
            // A project rule has no file of its own: the finding goes on the first file.
            Err(payload) => out.extend(ctx.project.files.first().map(|first| {
                internal_error(
                    first.id,
                    &format!("in {}: {}", rule.code(), panic_message(payload.as_ref())),
                )
            })),
        }
    }
    out
}

/// The file-grain rules, on every file in parallel (one dataflow per file, shared by the rules
/// of that file), in file order.
fn run_file_rules(ctx: &LintContext<'_>, enabled: &[Rule]) -> Vec<Diagnostic> {
    let per_file: Vec<Rule> = enabled
        .iter()
        .copied()
        .filter(|r| r.grain() == Grain::File)
        .collect();
    if per_file.is_empty() {
        return Vec::new();
    }
    let files: Vec<FileIdx> = ctx.project.file_indices().collect();
    let found: Vec<Vec<Diagnostic>> = files
        .par_iter()
        .map(|&file| {
            // A bug in a rule must not lose the run: it becomes one finding for this file.
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                #[cfg(test)]
                if ctx.text(file).contains(TEST_PANIC) {
                    panic!("a test asked this rule to panic");
                }
                #[cfg(test)]
                if ctx.text(file).contains(TEST_CHANGED) {
                    let path = ctx.project.file(file).path.clone();
                    std::panic::resume_unwind(Box::new(ChangedWhileChecked(path)));
                }
                let dataflow = Dataflow::new(ctx.project);
                let mut out = Vec::new();
                for &rule in &per_file {
                    let rule_ctx = RuleContext::new(ctx, &dataflow, rule.info());
                    let file_ctx = FileContext::new(rule_ctx, file);
                    rule.check_file(&file_ctx);
                    out.extend(file_ctx.into_diagnostics());
                }
                out
            }))
            .unwrap_or_else(|payload| {
                if payload.is::<ChangedWhileChecked>() {
                    std::panic::resume_unwind(payload);
                }
                vec![internal_error(
                    ctx.project.file(file).id,
                    &panic_message(payload.as_ref()),
                )]
            })
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// A file whose text holds this makes the file-grain rules panic, in this crate's tests only.
#[cfg(test)]
pub(crate) const TEST_PANIC: &str = "obolint-test-panic-in-rules";

/// A file whose text holds this makes the file-grain rules unwind as a file read again for its
/// tree that changed does ([`ChangedWhileChecked`]), in this crate's tests only.
#[cfg(test)]
pub(crate) const TEST_CHANGED: &str = "obolint-test-changed-under-rules";

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// A bug of obolint's met while checking `file` (a panic, caught): reported as OBO900, which
/// is always on and which no blanket `# noqa` hides, so a run never ends silently incomplete.
pub(crate) fn internal_error(file: FileId, message: &str) -> Diagnostic {
    let info = Rule::SyntaxError.info();
    Diagnostic::new(
        info.meta,
        info.severity,
        format!(
            "internal error: obolint failed while checking this file, which is not fully checked ({message}); please report it"
        ),
        Label::new(file, TextRange::default(), "not fully checked"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule_info::{FixAvailability, FixSafety};

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

    #[test]
    fn client_classes_name_registered_rules() {
        for class in crate::clients::catalogue() {
            if let Some(rule) = &class.rule {
                assert!(Rule::from_code(rule).is_some(), "{}: {rule}", class.class);
            }
        }
    }

    #[test]
    fn fix_safety_is_declared_exactly_for_rules_with_a_fix() {
        for rule in Rule::ALL {
            let info = rule.info();
            assert_eq!(
                info.fix == FixAvailability::None,
                info.fix_safety == FixSafety::None,
                "{rule:?}"
            );
        }
    }
}
