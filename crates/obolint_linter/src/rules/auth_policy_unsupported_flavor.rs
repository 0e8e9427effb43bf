//! OBO304 auth-policy-unsupported-flavor.

use obolint_diagnostics::{Diagnostic, Label, Severity};
use obolint_python::known::LogFlavor;

use crate::context::{Check, Grain, RuleContext};
use obolint_macros::rule;

/// ## What it does
/// Reports `auth_policy=` given to a flavor's `log_model` that does not take it:
/// `mlflow.langchain.log_model` and `mlflow.dspy.log_model` (an error: they raise `TypeError`),
/// and, as a warning, `mlflow.openai.log_model` and `mlflow.llama_index.log_model`, which accept it
/// only through `**kwargs`, undocumented.
///
/// ## Why is this bad?
/// The model cannot be logged at all (`TypeError: log_model() got an unexpected keyword argument
/// 'auth_policy'`), or it relies on an undocumented path that a new MLflow release may close.
///
/// ## Example
/// ```python
/// mlflow.langchain.log_model(
///     lc_model="agent.py",
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["genie"])),
/// )
/// ```
///
/// Use instead:
/// ```python
/// mlflow.pyfunc.log_model(
///     python_model="agent.py",
///     auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["genie"])),
/// )
/// ```
///
/// ## References
/// - [MLflow: `mlflow.pyfunc.log_model`](https://mlflow.org/docs/latest/api_reference/python_api/mlflow.pyfunc.html)
#[rule(
    code = "OBO304",
    name = "auth-policy-unsupported-flavor",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct AuthPolicyUnsupportedFlavor;

impl Check for AuthPolicyUnsupportedFlavor {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let project = ctx.project;

        for call in &ctx.models.log_calls {
            let Some(policy) = &call.declaration.auth_policy else {
                continue;
            };
            let (flavor, severity, message) = match call.flavor {
                LogFlavor::Langchain => (
                    "mlflow.langchain",
                    Severity::Error,
                    "`mlflow.langchain.log_model` takes no `auth_policy=`: it raises `TypeError` and the model is not logged",
                ),
                LogFlavor::Dspy => (
                    "mlflow.dspy",
                    Severity::Error,
                    "`mlflow.dspy.log_model` takes no `auth_policy=`: it raises `TypeError` and the model is not logged",
                ),
                LogFlavor::Openai => (
                    "mlflow.openai",
                    Severity::Warning,
                    "`mlflow.openai.log_model` accepts `auth_policy=` only through `**kwargs`, undocumented: a later MLflow may drop it",
                ),
                LogFlavor::LlamaIndex => (
                    "mlflow.llama_index",
                    Severity::Warning,
                    "`mlflow.llama_index.log_model` accepts `auth_policy=` only through `**kwargs`, undocumented: a later MLflow may drop it",
                ),
                _ => continue,
            };
            let mut diagnostic = Diagnostic::new(
                AuthPolicyUnsupportedFlavor::INFO.meta,
                severity,
                message,
                Label::new(project.file(policy.file).id, policy.name, format!("not a parameter of `{flavor}.log_model`")),
            )
            .with_help("log the model with `mlflow.pyfunc.log_model` (models from code: `python_model=\"agent.py\"`), which takes `auth_policy=`");
            diagnostic.severity = severity;
            ctx.report(diagnostic);
        }
    }
}
