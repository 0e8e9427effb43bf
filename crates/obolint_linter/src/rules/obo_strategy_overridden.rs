//! OBO105 obo-strategy-overridden.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Diagnostic, Label};
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use ruff_text_size::Ranged;

use crate::analysis::dataflow::{ClientValue, StrategyKind};

/// ## What it does
/// Reports `VectorSearchClient(credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS, ...)`
/// also given `personal_access_token=` or `service_principal_client_id=`/`service_principal_client_secret=`.
///
/// ## Why is this bad?
/// Explicit credentials win: the client silently ignores the OBO strategy and every query runs
/// with the token's or the service principal's identity, not the caller's.
///
/// ## Example
/// ```python
/// client = VectorSearchClient(
///     credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS,
///     personal_access_token=os.environ["DATABRICKS_TOKEN"],
/// )
/// ```
///
/// Use instead:
/// ```python
/// client = VectorSearchClient(credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS)
/// ```
///
/// ## Known problems
/// No fix: which identity was meant is the author's call.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO105",
    name = "obo-strategy-overridden",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct OboStrategyOverridden;

const OVERRIDING: &[&str] = &[
    "personal_access_token",
    "service_principal_client_id",
    "service_principal_client_secret",
];

impl Check for OboStrategyOverridden {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);

        let id = project.file(file).id;
        let info = &OboStrategyOverridden::INFO;
        for known in project.known_calls(file) {
            let (scope, call) = (known.scope, known.call);
            if known.symbol != KnownSymbol::VectorSearchClient {
                continue;
            }
            let Some(strategy) = call.arguments.find_keyword("credential_strategy") else {
                continue;
            };
            if !matches!(
                dataflow.eval(file, scope, &strategy.value),
                ClientValue::Strategy {
                    kind: StrategyKind::VectorSearchEnum,
                    ..
                }
            ) {
                continue;
            }
            // One diagnostic per call, at the first overriding keyword.
            if let Some(keyword) = call.arguments.keywords.iter().find(|k| {
                k.arg
                    .as_ref()
                    .is_some_and(|a| OVERRIDING.contains(&a.as_str()))
            }) {
                let name = keyword.arg.as_ref().map_or("", |a| a.as_str());
                ctx.report(
                    Diagnostic::new(
                        info.meta,
                        info.severity,
                        format!("`{name}` overrides the OBO `credential_strategy`: `VectorSearchClient` runs with it, not as the caller"),
                        Label::new(id, keyword.range(), "wins over the OBO strategy"),
                    )
                    .with_secondary(Label::new(id, strategy.range(), "silently ignored"))
                    .with_help(format!("remove `{name}` so the client acts as the end user")),
                );
            }
        }
    }
}
