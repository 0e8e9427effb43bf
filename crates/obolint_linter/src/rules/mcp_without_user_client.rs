//! OBO203 mcp-without-user-client.

use crate::context::{Check, FileContext, Grain};
use obolint_macros::rule;

use super::shared::client_takers::check_client_takers;

/// ## What it does
/// In a model that acts on behalf of its users, reports an MCP client or server object
/// (`DatabricksMCPClient`, `DatabricksMCPServer`, `McpServerToolkit`, `McpServer`, and their
/// `from_uc_function`/`from_vector_search` constructors) given no user client on any path: no
/// `workspace_client=`, or one that is never a user client.
///
/// `DatabricksMultiServerMCPClient([...])` is never reported: it takes no client (its keywords
/// go to langchain-mcp-adapters' `MultiServerMCPClient`, which has no such parameter). The
/// identity is on each `DatabricksMCPServer` in its list, and each of those is checked on its
/// own.
///
/// ## Why is this bad?
/// Without the caller's client, the object builds `WorkspaceClient()` with the deployer's
/// credentials, and every tool of the MCP server (Genie spaces, UC functions, vector indexes) runs
/// as the deployer for every user.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     mcp = DatabricksMCPClient(server_url=f"{w.config.host}/api/2.0/mcp/genie/01ef")
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     mcp = DatabricksMCPClient(server_url=f"{w.config.host}/api/2.0/mcp/genie/01ef", workspace_client=w)
/// ```
///
/// ## Fix safety
/// The fix adds `workspace_client=<name>` when exactly one name bound before the call holds a
/// user client. It is unsafe: the tools then run with the end user's permissions.
///
/// ## Known problems
/// A client the analyzer cannot follow (a parameter, a library call) is given the benefit of the
/// doubt. The classes and their parameters are those of databricks-langchain 0.22.0,
/// databricks-openai 0.18.0 and databricks-mcp 0.9.2 (see the client classes in
/// `docs/scopes.md`).
///
/// ## References
/// - [Databricks: managed MCP servers](https://docs.databricks.com/aws/en/generative-ai/mcp/managed-mcp)
#[rule(
    code = "OBO203",
    name = "mcp-without-user-client",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "unsafe"
)]
pub struct McpWithoutUserClient;

impl Check for McpWithoutUserClient {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        check_client_takers(ctx);
    }
}
