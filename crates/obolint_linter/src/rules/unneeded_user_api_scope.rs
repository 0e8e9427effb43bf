//! OBO712 unneeded-user-api-scope.

use obolint_diagnostics::{Applicability, Fix, Label};
use obolint_macros::rule;

use super::shared::apps::declared_app_lists;
use crate::analysis::app_scopes::app_verdict;
use crate::analysis::declared_lists::remove_edit;
use crate::context::{Check, Grain, RuleContext};

/// ## What it does
/// Reports a scope in a Databricks App's `user_api_scopes` that no use of the app's code as its
/// users needs (the Apps twin of OBO402).
///
/// ## Why is this bad?
/// Every user is asked to consent to every scope the app declares. A scope nothing uses grants
/// the app more of each user's privileges than it needs.
///
/// ## Example
/// ```yaml
/// # app.py runs SQL as the user, nothing else
/// user_api_scopes:
///   - sql
///   - files
/// ```
///
/// Use instead:
/// ```yaml
/// user_api_scopes:
///   - sql
/// ```
///
/// ## Fix safety
/// The fix removes the scope and is unsafe: code the analyzer cannot see (another service, a
/// front end calling the API with the same token) may need it.
///
/// ## Known problems
/// Silent for an app whose code hands the user's token somewhere the analyzer cannot follow (an
/// HTTP call with `Authorization: Bearer ...`, a library function): the scope may be used there.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO712",
    name = "unneeded-user-api-scope",
    severity = "warning",
    default = false,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct UnneededUserApiScope;

impl Check for UnneededUserApiScope {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        for (i, app, bundle, list) in declared_app_lists(ctx) {
            let scopes = ctx.app_scopes(i);
            let declared: Vec<String> = list.scopes.iter().map(|s| s.value.clone()).collect();
            for index in app_verdict(ctx.app_table, &declared, &scopes).unneeded {
                let scope = &list.scopes[index];
                let fix = remove_edit(&list, index).map(|edit| Fix {
                    message: format!("Remove `{}`", scope.value),
                    applicability: Applicability::Unsafe,
                    file: None,
                    edits: vec![edit],
                });
                ctx.report(
                    ctx.diagnostic(
                        format!(
                            "app `{}`: no use of the app's code as its users needs `{}`",
                            app.name, scope.value
                        ),
                        Label::new(bundle, scope.range, "not needed by the code"),
                    )
                    .with_help("remove it: every user is asked to grant each declared scope")
                    .with_fix(fix),
                );
            }
        }
    }
}
