//! OBO101 user-client-at-load-time.

use obolint_diagnostics::{Diagnostic, Label};
use ruff_python_ast::ExprCall;
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::FxHashMap;
use std::cell::RefCell;

use crate::analysis::call_time::{LoadRoot, LoadRootKind, TimeModel, called_function};
use crate::analysis::dataflow::{Dataflow, Origin};
use crate::context::{Check, Grain, RuleContext};
use crate::project::{FnRef, Project};
use obolint_macros::rule;

/// ## What it does
/// Reports a user client (`WorkspaceClient(credentials_strategy=ModelServingUserCredentials())`,
/// the same `Config`, a `VectorSearchClient` with the OBO `credential_strategy`, or a configured
/// user-client factory) built at load time: at a model file's top level, in a class body, in
/// `__init__` or `load_context` of an agent, in a default argument value, or in any project
/// function those call. One diagnostic per call site inside the load-time code; when the client is
/// built in a helper, a second label shows where.
///
/// ## Why is this bad?
/// Model Serving loads the model once, when the container starts. No request exists then, so
/// there is no caller whose identity the client could carry: the client fails ("Unable to read
/// end user token") or, outside serving, silently carries whoever loaded the model. The user
/// identity is known only inside `predict()`.
///
/// ## Example
/// ```python
/// class Agent(ResponsesAgent):
///     def __init__(self):
///         self.client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///
///     def predict(self, request):
///         return self.client.genie.list_spaces()
/// ```
///
/// Use instead:
/// ```python
/// class Agent(ResponsesAgent):
///     def predict(self, request):
///         client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///         return client.genie.list_spaces()
/// ```
///
/// ## Known problems
/// Calls the analyzer cannot resolve (dynamic dispatch, functions passed around as values) are
/// not followed: a client built behind them is not reported. A bare
/// `ModelServingUserCredentials()` at load time is fine when only request-time code turns it
/// into a client.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO101",
    name = "user-client-at-load-time",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct UserClientAtLoadTime;

impl Check for UserClientAtLoadTime {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, dataflow) = (ctx.project, ctx.dataflow);
        // Only user clients are reported: a project that cannot hold a user credential builds
        // none (debug builds check on, so that the dataflow's assertion sees every value).
        if !cfg!(debug_assertions) && !project.may_hold_user_credentials() {
            return;
        }

        let builders = Builders {
            project,
            dataflow,
            time: ctx.time,
            memo: RefCell::default(),
        };
        for root in &ctx.time.load_roots {
            let model = project.model(root.file);
            for call in &model.scope(root.scope).calls {
                // `if __name__ == "__main__":` does not run when the model loads.
                if ctx.time.served.in_main_guard(root.file, call.range()) {
                    continue;
                }
                let direct = dataflow
                    .construction(root.file, root.scope, call)
                    .filter(|v| v.is_possible_user());
                if direct.is_some() {
                    ctx.report(diagnostic(project, root, call, None));
                    continue;
                }
                let Some(callee) = called_function(project, root.file, root.scope, &call.func)
                else {
                    continue;
                };
                // A call into another root (`AGENT = Agent()` running `__init__`) is reported there.
                if ctx.time.root_functions.contains(&callee) {
                    continue;
                }
                if let Some(site) = builders.user_client_built_by(callee) {
                    ctx.report(diagnostic(project, root, call, Some(site)));
                }
            }
        }
    }
}

/// Which non-root project functions build a user client when called, and where.
struct Builders<'p, 'a, 'd> {
    project: &'p Project<'a>,
    dataflow: &'d Dataflow<'p, 'a>,
    time: &'p TimeModel,
    memo: RefCell<FxHashMap<FnRef, Option<Origin>>>,
}

impl Builders<'_, '_, '_> {
    fn user_client_built_by(&self, function: FnRef) -> Option<Origin> {
        if let Some(known) = self.memo.borrow().get(&function) {
            return *known;
        }
        // Cycles end here: a function being explored builds nothing more than it already shows.
        self.memo.borrow_mut().insert(function, None);
        let model = self.project.model(function.file);
        let scope = model.function(function.func).scope;
        let mut found = None;
        for call in &model.scope(scope).calls {
            if let Some(value) = self.dataflow.construction(function.file, scope, call)
                && value.is_possible_user()
            {
                found = Some(Origin {
                    file: function.file,
                    range: call.func.range(),
                });
                break;
            }
            if let Some(callee) = called_function(self.project, function.file, scope, &call.func)
                && !self.time.root_functions.contains(&callee)
                && let Some(site) = self.user_client_built_by(callee)
            {
                found = Some(site);
                break;
            }
        }
        self.memo.borrow_mut().insert(function, found);
        found
    }
}

fn diagnostic(
    project: &Project<'_>,
    root: &LoadRoot,
    call: &ExprCall,
    via: Option<Origin>,
) -> Diagnostic {
    let file = project.file(root.file);
    let model = project.model(root.file);
    let (place, when) = if in_default_argument(model, root, call.range()) {
        (
            "in a default argument value".to_string(),
            "evaluated when the model loads",
        )
    } else {
        match root.kind {
            LoadRootKind::Init => ("in `__init__`".to_string(), "before any caller is known"),
            LoadRootKind::LoadContext => (
                "in `load_context`".to_string(),
                "before any caller is known",
            ),
            LoadRootKind::Module => ("at module level".to_string(), "when the model loads"),
            LoadRootKind::ClassBody => {
                let name = match model.scope(root.scope).kind {
                    obolint_python::semantic::ScopeKind::Class(class) => model.class(class).name,
                    _ => "?",
                };
                (
                    format!("in the body of class `{name}`"),
                    "when the model loads",
                )
            }
        }
    };
    let (message, label) = match via {
        None => (
            format!("user client built {place}, {when}"),
            "built at load time",
        ),
        Some(_) => (
            format!("user client built through this call {place}, {when}"),
            "builds a user client at load time",
        ),
    };
    let mut diagnostic = Diagnostic::new(
        UserClientAtLoadTime::INFO.meta,
        UserClientAtLoadTime::INFO.severity,
        message,
        Label::new(file.id, call.func.range(), label),
    )
    .with_help("build it inside `predict()` so each request runs as its caller");
    if let Some(site) = via {
        diagnostic = diagnostic.with_secondary(Label::new(
            project.file(site.file).id,
            site.range,
            "the user client is built here",
        ));
    }
    diagnostic
}

/// The call stands in a parameter's default value of a `def` in the root's scope.
fn in_default_argument(
    model: &obolint_python::semantic::ModuleModel<'_>,
    root: &LoadRoot,
    range: TextRange,
) -> bool {
    model.functions.iter().any(|f| {
        f.parent_scope == root.scope
            && f.def
                .parameters
                .iter_non_variadic_params()
                .filter_map(|p| p.default())
                .any(|d| d.range().contains_range(range))
    }) || model.lambdas.iter().any(|l| {
        l.parameters.as_ref().is_some_and(|p| {
            p.iter_non_variadic_params()
                .filter_map(|p| p.default())
                .any(|d| d.range().contains_range(range))
        })
    })
}
