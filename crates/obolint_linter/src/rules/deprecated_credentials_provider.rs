//! OBO104 deprecated-credentials-provider.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use ruff_text_size::Ranged;

use crate::analysis::dataflow::{ClientValue, StrategyKind};

/// ## What it does
/// Reports `credentials_provider=<OBO strategy>` on `WorkspaceClient(...)` or `Config(...)`. When
/// the same call also passes `credentials_strategy=`, it is an error: the SDK raises `ValueError`.
///
/// ## Why is this bad?
/// `credentials_provider` is the deprecated name of `credentials_strategy`: it still works but
/// logs a deprecation warning on every request, and it will stop working when the SDK drops it.
/// Passing both makes the client constructor fail on every request.
///
/// ## Example
/// ```python
/// w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())
/// ```
///
/// Use instead:
/// ```python
/// w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
/// ```
///
/// ## Known problems
/// The error variant (both keywords) has no fix: which of the two strategies was meant is the
/// author's call.
///
/// ## References
/// - [Databricks SDK for Python: `Config`](https://databricks-sdk-py.readthedocs.io/en/latest/authentication.html)
#[rule(
    code = "OBO104",
    name = "deprecated-credentials-provider",
    severity = "warning",
    default = true,
    fix = "sometimes",
    fix_safety = "safe"
)]
pub struct DeprecatedCredentialsProvider;

impl Check for DeprecatedCredentialsProvider {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);

        let id = project.file(file).id;
        for known in project.known_calls(file) {
            let (scope, call) = (known.scope, known.call);
            let class = match known.symbol {
                k @ (KnownSymbol::WorkspaceClient | KnownSymbol::Config) => k.display_name(),
                _ => continue,
            };
            let Some(provider) = call.arguments.find_keyword("credentials_provider") else {
                continue;
            };
            let is_obo = matches!(
                dataflow.eval(file, scope, &provider.value),
                ClientValue::Strategy {
                    kind: StrategyKind::Credentials,
                    ..
                }
            );
            if !is_obo {
                continue;
            }
            let Some(keyword) = provider.arg.as_ref() else {
                continue;
            };
            let info = DeprecatedCredentialsProvider::INFO;
            if call
                .arguments
                .find_keyword("credentials_strategy")
                .is_some()
            {
                ctx.report(
                    Diagnostic::new(
                        info.meta,
                        Severity::Error,
                        format!("`{class}` gets both `credentials_provider` and `credentials_strategy`: it raises `ValueError`"),
                        Label::new(id, keyword.range(), "remove one of the two"),
                    )
                    .with_help("keep only `credentials_strategy=ModelServingUserCredentials()`"),
                );
            } else {
                ctx.report(
                    Diagnostic::new(
                        info.meta,
                        info.severity,
                        format!("`credentials_provider` is deprecated on `{class}`; use `credentials_strategy`"),
                        Label::new(id, keyword.range(), "deprecated keyword"),
                    )
                    .with_fix(Some(Fix {
                        message: "Rename to `credentials_strategy`".to_string(),
                        applicability: Applicability::Safe,
                        file: None,
                        edits: vec![Edit { range: keyword.range(), content: "credentials_strategy".to_string() }],
                    })),
                );
            }
        }
    }
}
