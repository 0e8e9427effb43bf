//! OBO204 obo-unsupported-resource.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Diagnostic, Label};
use obolint_macros::rule;

use crate::clients::{self, ClientScopes};
use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::analysis::client_argument::{ClientArgument, client_argument};
use crate::project::Symbol;
use crate::project::all_calls;

/// ## What it does
/// Reports a user client that reaches something Model Serving's on-behalf-of-user tokens cannot
/// be granted: `DatabricksFunctionClient(client=<user client>)` (Unity Catalog functions); the
/// Lakebase classes given a user client (`CheckpointSaver`, `AsyncCheckpointSaver`,
/// `DatabricksStore`, `AsyncDatabricksStore` from `databricks_langchain`;
/// `AsyncDatabricksSession` from `databricks_openai.agents`; `LakebasePool`,
/// `AsyncLakebasePool`, `AsyncLakebaseSQLAlchemy`, `LakebaseClient` from
/// `databricks_ai_bridge.lakebase`); and the `tables`, `functions`, `catalogs`, `schemas`,
/// `files`, `dbfs`, `jobs`, `database` and `postgres` services of a user client.
///
/// ## Why is this bad?
/// No API scope of Model Serving covers these services: the calls fail with a permission error at
/// request time, for every user, however the model is logged. Model Serving rejects the
/// `postgres` scope that Lakebase needs (Databricks Apps accept it).
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     rows = w.tables.get("main.sales.orders")
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     genie = GenieAgent(genie_space_id="01ef", genie_agent_name="Sales", client=w)
/// ```
///
/// ## Known problems
/// Only definite user clients are checked: a client that is the caller's on some paths only is
/// not reported. The classes and their parameters are those of databricks-langchain 0.22.0,
/// databricks-openai 0.18.0, databricks-ai-bridge 0.22.0 and unitycatalog-ai 0.4.0 (see the
/// client classes in `docs/scopes.md`).
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication, supported resources](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
/// - [databricks-ai-bridge (the Lakebase classes)](https://github.com/databricks/databricks-ai-bridge)
#[rule(
    code = "OBO204",
    name = "obo-unsupported-resource",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct OboUnsupportedResource;

/// Services of `WorkspaceClient` no Model Serving OBO scope covers (the rule catalogue OBO204).
pub(crate) const UNSUPPORTED_SERVICES: &[&str] = &[
    "tables",
    "functions",
    "catalogs",
    "schemas",
    "files",
    "dbfs",
    "jobs",
    "database",
    "postgres",
];

const HELP: &str =
    "reach the data through Genie or a managed MCP server with the user client instead";

impl Check for OboUnsupportedResource {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
        // What an app user client reaches is OBO707's business (Apps grant other scopes). A
        // project that cannot hold a user client has nothing to report (debug builds check on,
        // so that the dataflow's assertion sees every value this rule would evaluate).
        if ctx.is_app_code(file)
            || (!cfg!(debug_assertions) && !project.may_hold_user_credentials())
        {
            return;
        }

        let id = project.file(file).id;
        let info = &OboUnsupportedResource::INFO;
        for (scope, call) in all_calls(project.model(file)) {
            let class = match dataflow.symbol(file, scope, &call.func) {
                Symbol::Known(symbol) => clients::owned_by(symbol, ctx.code()),
                _ => None,
            };
            // Only a client class of the catalogue, or a service no scope covers named in the
            // callee, can be reported. Neither needs a value: no value is evaluated before
            // served-ness is asked (the dataflow remembers what it gave up on at its depth
            // limit, so evaluating unserved code first would change what served code gives).
            if class.is_none() && !names_unsupported_service(&call.func) {
                continue;
            }
            // What the model does while serving (the rule catalogue "Served code"), found on
            // first use: asked before any value is evaluated.
            if !ctx.time.served.contains(project, file, scope, call.range()) {
                continue;
            }
            if let Some(class) = class {
                if let ClientArgument::Given(value) = client_argument(
                    project.model(file),
                    scope,
                    call,
                    &class.parameter,
                    class.position,
                ) && dataflow.eval(file, scope, value).is_definite_user()
                {
                    let reason = match &class.scopes {
                        ClientScopes::Unsupported(reason) => reason.as_str(),
                        _ => "no API scope of Model Serving grants it",
                    };
                    ctx.report(
                        Diagnostic::new(
                            info.meta,
                            info.severity,
                            reason,
                            Label::new(
                                id,
                                call.func.range(),
                                format!("`{}` with a user client", class.class),
                            ),
                        )
                        .with_help(class.help.as_deref().unwrap_or(HELP)),
                    );
                }
                continue;
            }
            // `w.tables.get(...)`: the service attribute right on a user client.
            let mut expr = call.func.as_ref();
            while let Expr::Attribute(attribute) = expr {
                if UNSUPPORTED_SERVICES.contains(&attribute.attr.as_str())
                    && dataflow
                        .eval(file, scope, &attribute.value)
                        .is_definite_user()
                {
                    ctx.report(
                        Diagnostic::new(
                            info.meta,
                            info.severity,
                            format!("`{}` cannot be reached on behalf of the user in Model Serving: no API scope grants it", attribute.attr),
                            Label::new(id, attribute.range(), "a user client's service no scope covers"),
                        )
                        .with_help(HELP),
                    );
                    break;
                }
                expr = &attribute.value;
            }
        }
    }
}

/// Some attribute of the dotted callee `func` is a service no scope covers.
fn names_unsupported_service(mut func: &Expr) -> bool {
    while let Expr::Attribute(attribute) = func {
        if UNSUPPORTED_SERVICES.contains(&attribute.attr.as_str()) {
            return true;
        }
        func = &attribute.value;
    }
    false
}
