//! OBO202 vector-search-without-user-client.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use ruff_text_size::Ranged;

use super::shared::client_takers::check_client_takers;
use crate::analysis::dataflow::{ClientValue, StrategyKind, overrides_obo};
use crate::project::Symbol;
use crate::project::all_calls;

/// ## What it does
/// In a model that acts on behalf of its users, reports `VectorSearchRetrieverTool(...)` or
/// `DatabricksVectorSearch(...)` given no user client on any path (no `workspace_client=`, or one
/// that is never a user client), and `VectorSearchClient(...)` built without
/// `credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS`.
///
/// ## Why is this bad?
/// Without the caller's client, the index is queried with the deployer's credentials: every user
/// retrieves what the deployer may read, and the index's access controls do nothing.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     tool = VectorSearchRetrieverTool(index_name="main.hr.handbook_idx")
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     tool = VectorSearchRetrieverTool(index_name="main.hr.handbook_idx", workspace_client=w)
/// ```
///
/// ## Fix safety
/// The fix adds `workspace_client=<name>` when exactly one name bound before the call holds a
/// user client. It is unsafe: the index is then read with the end user's permissions.
///
/// ## Known problems
/// A `VectorSearchClient` with a misspelt keyword or a `ModelServingUserCredentials()` instance is
/// OBO103's, and one whose strategy a token overrides is OBO105's: they are not reported twice.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO202",
    name = "vector-search-without-user-client",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct VectorSearchWithoutUserClient;

impl Check for VectorSearchWithoutUserClient {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);

        check_client_takers(ctx);
        if !ctx.models.in_obo_model(file) {
            return;
        }
        let id = project.file(file).id;
        for (scope, call) in all_calls(project.model(file)) {
            if !ctx.time.served.contains(project, file, scope, call.range()) {
                continue;
            }
            if dataflow.symbol(file, scope, &call.func)
                != Symbol::Known(KnownSymbol::VectorSearchClient)
            {
                continue;
            }
            // OBO103 (wrong keyword or strategy type) and OBO105 (overridden) own these.
            if call
                .arguments
                .find_keyword("credentials_strategy")
                .is_some()
                || overrides_obo(call)
            {
                continue;
            }
            if let Some(strategy) = call.arguments.find_keyword("credential_strategy")
                && matches!(
                    dataflow.eval(file, scope, &strategy.value),
                    ClientValue::Strategy {
                        kind: StrategyKind::Credentials,
                        ..
                    }
                )
            {
                continue;
            }
            if let Some(ClientValue::NotUser { .. }) = dataflow.construction(file, scope, call) {
                ctx.report(
                    ctx.diagnostic(
                        "`VectorSearchClient` is built without the OBO `credential_strategy`, so it runs as the deployer",
                        Label::new(id, call.func.range(), "no `credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS`"),
                    )
                    .with_help("pass `credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS` (from `databricks.vector_search.utils`)"),
                );
            }
        }
    }
}
