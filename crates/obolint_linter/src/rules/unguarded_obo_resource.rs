//! OBO601 unguarded-obo-resource.

use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::semantic::{ScopeId, ScopeKind};
use ruff_python_ast::ExprCall;
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};

use super::obo_unsupported_resource::UNSUPPORTED_SERVICES;
use super::shared::try_blocks::{catches_permission_error, enclosing_tries};
use crate::analysis::uses::{Identity, UseKind, uses_in};
use crate::clients;
use crate::context::{Check, FileContext, Grain};
use crate::project::{FileIdx, FnRef, Project, Symbol, all_calls};

/// ## What it does
/// Reports a resource built or called with a user client outside any `try` whose handlers
/// would catch a permission error: Genie, vector search, MCP and the other client classes given
/// a user client (`GenieAgent(client=w)`, `VectorSearchRetrieverTool(workspace_client=w)`,
/// `DatabricksMCPClient(url, workspace_client=w)`), and service calls on a user client
/// (`w.genie.start_conversation_and_wait(...)`, `w.serving_endpoints.query(...)`). A handler
/// catches when it is a bare `except`, `except Exception`, `except BaseException`, or names
/// `DatabricksError`, `PermissionDenied` or `Unauthenticated` from `databricks.sdk.errors`;
/// `except KeyError` alone does not. A call inside a function counts as guarded when every
/// project call of that function is. Only the code an OBO model runs while serving is looked
/// at. Opt-in: it is advice on robustness, not a mistake.
///
/// ## Why is this bad?
/// With on-behalf-of-user authorization the agent can reach only what each caller may reach.
/// One user without access to the Genie space or the index makes that call raise a permission
/// error, and an unguarded error fails the whole request, even when the agent could have
/// answered with its other tools. Databricks advises wrapping the initialisation of tools that
/// act on behalf of the user in `try`/`except` so that a missing grant turns into a clear
/// message instead of a failed agent.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     genie = GenieAgent(genie_space_id="01ef", genie_agent_name="Sales", client=w)
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     tools = []
///     try:
///         tools.append(GenieAgent(genie_space_id="01ef", genie_agent_name="Sales", client=w))
///     except PermissionDenied:
///         logger.warning("this user cannot use the Sales space; answering without it")
/// ```
///
/// ## Known problems
/// Only definite user clients are checked. A handler counts whatever it does with the error
/// (re-raising a clearer one is a fine way to handle it). Guards the analyzer does not model are
/// not seen: `contextlib.suppress(...)`, a framework that catches tool errors for you (LangGraph's
/// `ToolNode(handle_tool_errors=True)`), or a caller outside the project. Uses that OBO204
/// reports (resources no scope grants) are left to it.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication (handle permission errors when initialising tools)](https://docs.databricks.com/aws/en/generative-ai/agent-framework/authenticate-on-behalf-of-user)
/// - [Databricks: authentication for AI agents](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO601",
    name = "unguarded-obo-resource",
    severity = "info",
    default = false,
    fix = "none"
)]
pub struct UnguardedOboResource;

/// How many project callers deep a guard is looked for.
const MAX_CALLER_DEPTH: u32 = 8;

/// The call sites looked at, at most, to tell whether one call is guarded.
const MAX_GUARD_STEPS: usize = 10_000;

/// The call sites looked at, at most, for all the calls of one file: a file of many calls, each
/// reached through callers that call each other several times over, would otherwise cost its
/// number of calls times [`MAX_GUARD_STEPS`].
const MAX_FILE_GUARD_STEPS: usize = 100_000;

impl Check for UnguardedOboResource {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, file) = (ctx.project, ctx.file);
        if !ctx.models.in_obo_model(file) {
            return;
        }
        let id = project.file(file).id;
        let mut file_steps = MAX_FILE_GUARD_STEPS;
        // The calls of the file by their callee's range, on first need.
        let mut calls: Option<FxHashMap<TextRange, (ScopeId, &ExprCall)>> = None;
        for found in uses_in(project, ctx.dataflow, file) {
            if found.identity != (Identity::User { definite: true }) {
                continue;
            }
            let what = match &found.kind {
                UseKind::Service { service, method } => {
                    // A service no scope grants is OBO204's finding: one mistake, one diagnostic.
                    if UNSUPPORTED_SERVICES.contains(&service.as_str()) {
                        continue;
                    }
                    match method {
                        Some(method) => format!("`{service}.{method}(...)`"),
                        None => format!("`{service}(...)`"),
                    }
                }
                UseKind::Constructor(symbol)
                | UseKind::Routed { class: symbol, .. }
                | UseKind::Url { class: symbol, .. } => {
                    let Some(class) = clients::of_symbol(*symbol) else {
                        continue;
                    };
                    if class.rule.as_deref() == Some("OBO204") {
                        continue;
                    }
                    format!("`{}`", class.class)
                }
                UseKind::Opaque { .. } => continue,
                UseKind::Mcp { .. } => String::new(),
            };
            let calls = calls.get_or_insert_with(|| calls_by_callee(project, file));
            let Some(&(scope, call)) = calls.get(&found.range) else {
                continue;
            };
            // A provisioning helper the served model never runs is not the agent failing.
            if !ctx.time.served.contains(project, file, scope, call.range()) {
                continue;
            }
            let what = if what.is_empty() {
                match ctx.dataflow.symbol(file, scope, &call.func) {
                    Symbol::Known(symbol) => clients::of_symbol(symbol).map_or_else(
                        || "the MCP client".to_string(),
                        |c| format!("`{}`", c.class),
                    ),
                    _ => "the MCP client".to_string(),
                }
            } else {
                what
            };
            let mut seen = FxHashSet::default();
            let mut steps = MAX_GUARD_STEPS.min(file_steps);
            let is_guarded = guarded(project, file, scope, call.start(), 0, &mut seen, &mut steps);
            file_steps -= MAX_GUARD_STEPS.min(file_steps) - steps;
            if is_guarded {
                continue;
            }
            ctx.report(
                ctx.diagnostic(
                    format!(
                        "{what} acts as the caller outside any `try` that catches a permission error: one user without access fails the whole request"
                    ),
                    Label::new(id, found.range, "raises when this user lacks access"),
                )
                .with_help(
                    "wrap it in `try`/`except PermissionDenied` (from `databricks.sdk.errors`) and answer without this tool for that user",
                ),
            );
        }
    }
}

/// The calls of `file` by the range of their callee, with the scope each runs in (the first
/// call for a range).
fn calls_by_callee<'a>(
    project: &Project<'a>,
    file: FileIdx,
) -> FxHashMap<TextRange, (ScopeId, &'a ExprCall)> {
    let mut calls = FxHashMap::default();
    for (scope, call) in all_calls(project.model(file)) {
        calls.entry(call.func.range()).or_insert((scope, call));
    }
    calls
}

/// The call at `offset` (in `scope`) runs inside a `try` that catches a permission error: in its
/// own function, or at every project call of that function (and so on up the callers).
#[allow(clippy::too_many_arguments)]
fn guarded(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    offset: TextSize,
    depth: u32,
    seen: &mut FxHashSet<FnRef>,
    steps: &mut usize,
) -> bool {
    // Past the budget, unknown: taken as guarded (no finding). Callers that call each other
    // several times over, level after level, multiply the paths to walk at every level.
    if *steps == 0 {
        return true;
    }
    *steps -= 1;
    let model = project.model(file);
    let tries = enclosing_tries(model.body, offset);
    if tries.iter().any(|t| {
        t.handlers
            .iter()
            .any(|h| catches_permission_error(model, scope, h))
    }) {
        return true;
    }
    if depth >= MAX_CALLER_DEPTH {
        return false;
    }
    let ScopeKind::Function(func) = model.scope(scope).kind else {
        return false;
    };
    let function = FnRef { file, func };
    if !seen.insert(function) {
        return false; // recursion: this path adds no guard
    }
    let mut sites = project.callers(function);
    let all_guarded = sites.len() > 0
        && sites.all(|site| {
            guarded(
                project,
                site.file,
                site.scope,
                site.call.start(),
                depth + 1,
                seen,
                steps,
            )
        });
    seen.remove(&function);
    all_guarded
}
