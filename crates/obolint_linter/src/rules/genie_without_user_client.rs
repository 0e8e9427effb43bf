//! OBO201 genie-without-user-client.

use super::shared::client_takers::check_client_takers;
use crate::context::{Check, FileContext, Grain};
use obolint_macros::rule;

/// ## What it does
/// In a model that acts on behalf of its users (its code builds a user client, or it is logged
/// with a `UserAuthPolicy`), reports `GenieAgent(...)` or `Genie(...)` given no user client on
/// any path: no `client=` (by keyword or position, nor in a `**` dict that may hold one), or a
/// client that is never a user client, such as a plain `WorkspaceClient()`.
///
/// ## Why is this bad?
/// Without a client, Genie builds its own `WorkspaceClient()` with the deployer's credentials.
/// Nothing fails: every user silently sees the deployer's data, which is exactly what
/// on-behalf-of-user authentication was meant to prevent.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     genie = GenieAgent(genie_space_id="01ef77", genie_agent_name="Costs")
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     genie = GenieAgent(genie_space_id="01ef77", genie_agent_name="Costs", client=w)
/// ```
///
/// ## Fix safety
/// The fix adds `client=<name>` when exactly one name bound before the call holds a user client.
/// It is unsafe: it changes whose identity Genie runs with, and the end user may lack access the
/// deployer had.
///
/// ## Known problems
/// A client the analyzer cannot follow (a parameter, a value from a library call) is given the
/// benefit of the doubt. Models without OBO intent use Genie with the deployer's identity on
/// purpose (automatic passthrough) and are not reported.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO201",
    name = "genie-without-user-client",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct GenieWithoutUserClient;

impl Check for GenieWithoutUserClient {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        check_client_takers(ctx);
    }
}
