//! OBO207 user-client-falls-back-to-deployer.

use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use obolint_python::semantic::statements::{child_bodies, flat_statements};
use obolint_python::semantic::{ModuleModel, ScopeId};
use ruff_python_ast::{CmpOp, Expr, Stmt, StmtTry, UnaryOp};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::shared::try_blocks::{exits, raises_somewhere};
use crate::analysis::call_time::Served;
use crate::analysis::client_argument::{ClientArgument, client_argument};
use crate::analysis::dataflow::{ClientValue, Dataflow, Origin};
use crate::clients::{self, IdentityKind};
use crate::context::{Check, FileContext, Grain};
use crate::project::{FileIdx, FnRef, Project, Symbol, all_calls};

/// ## What it does
/// Reports a user client built inside a `try` whose handler falls back to the deployer's client
/// (a plain `WorkspaceClient()`) or to `None`, when that fallback reaches Genie, vector search,
/// MCP or a service call, in the code an OBO model runs while serving (a provisioning script's
/// `main()` is not looked at). The fallback is found in the shapes real agents write:
///
/// - the handler assigns a plain `WorkspaceClient()` (or `None`) to the same name, or a factory's
///   handler returns one;
/// - the handler only logs, and a check right after the `try` (`if w is None:`, `if not w:`)
///   assigns a plain client;
/// - a `None` fallback counts when it is given to `GenieAgent`, `VectorSearchRetrieverTool`,
///   `DatabricksMCPClient` and the like, which build a default (deployer) client when given
///   none. A service call on `None` raises, which fails closed, so it is not reported.
///
/// Silent when the handler re-raises or raises another error, when it returns (an error)
/// without using the fallback, when a check after the `try` leaves on `None` (`if w is None:
/// return error`), and for a fallback chosen by an explicit test of where the code runs
/// (`WorkspaceClient(credentials_strategy=...) if in_serving else WorkspaceClient()`), which is
/// not a `try`.
///
/// ## Why is this bad?
/// On-behalf-of-user authorization exists so that each caller reaches only the data they may
/// read. Building the caller's client fails exactly when that guarantee is missing: the feature
/// is not enabled in the workspace, the model was logged without a `UserAuthPolicy`, the caller's
/// token is absent. A fallback to `WorkspaceClient()` then runs every request with the
/// deployer's (or the endpoint's service principal's) permissions: each user silently gets the
/// deployer's data, and nothing in the answers shows it. That is the data leak OBO exists to
/// prevent, triggered by a configuration slip instead of refusing to answer. Outside Model
/// Serving, `ModelServingUserCredentials` already uses the default credentials by itself, so the
/// fallback is not needed for notebooks or local runs either.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     try:
///         w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     except Exception:
///         w = WorkspaceClient()
///     genie = GenieAgent(genie_space_id="01ef", genie_agent_name="Sales", client=w)
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     try:
///         w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     except Exception as e:
///         raise RuntimeError("on-behalf-of-user authorization is not available") from e
///     genie = GenieAgent(genie_space_id="01ef", genie_agent_name="Sales", client=w)
/// ```
///
/// ## Known problems
/// The fallback is followed inside the function that builds the client (its closures
/// included) and, for a factory that returns it (`return WorkspaceClient()` in the handler, or
/// `return w` after the `try`), to the callers that use its result directly or through one
/// name, and into project functions it is passed to (three calls deep). A handler that raises
/// on some path only is taken as failing closed.
///
/// One mistake, one diagnostic: OBO201-OBO203 stay silent on the Genie, vector search or MCP
/// call the fallback reaches. A client that is the caller's on some paths only is a possible
/// user client for them, and `name = None` in a `try` or its handler is not read as a value of
/// the name (as for `except ImportError: GenieAgent = None`). OBO601 (opt-in) is about
/// guarding the calls themselves and is independent of this rule.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/authenticate-on-behalf-of-user)
/// - [Databricks: authentication for AI agents](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
/// - [databricks-ai-bridge: `ModelServingUserCredentials`](https://github.com/databricks/databricks-ai-bridge/blob/main/src/databricks_ai_bridge/model_serving_obo_credential_strategy.py)
#[rule(
    code = "OBO207",
    name = "user-client-falls-back-to-deployer",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct UserClientFallsBackToDeployer;

/// How many project functions deep a fallback handed on is followed.
const MAX_PASS_DEPTH: u32 = 3;

/// The calls looked at, at most, by all the questions about one file's fallbacks together
/// (see `Finder::steps`).
const MAX_REACH_STEPS: usize = 1_000_000;

const HELP: &str =
    "fail closed: re-raise (or return an error to the caller) instead of falling back";

impl Check for UserClientFallsBackToDeployer {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let file = ctx.file;
        if !ctx.models.in_obo_model(file) {
            return;
        }
        let finder = Finder {
            project: ctx.project,
            dataflow: ctx.dataflow,
            served: &ctx.time.served,
            file,
            reached: std::cell::RefCell::default(),
            steps: std::cell::Cell::new(MAX_REACH_STEPS),
        };
        let model = ctx.project.model(file);
        let mut found = Vec::new();
        finder.scan(model.body, ModuleModel::MODULE_SCOPE, None, &mut found);
        for func in model.function_ids() {
            let info = model.function(func);
            finder.scan(
                &info.def.body,
                info.scope,
                Some(FnRef { file, func }),
                &mut found,
            );
        }
        // A fallback statement inside nested `try`s is found once per `try`: reported once.
        let mut seen = rustc_hash::FxHashSet::default();
        found.retain(|f| seen.insert(f.range));
        let id = ctx.project.file(file).id;
        for fallback in found {
            let (what, label) = match fallback.kind {
                Kind::Plain => (
                    "the deployer's client".to_string(),
                    "falls back to the deployer's identity",
                ),
                Kind::None => (
                    format!(
                        "`None`, and {} given `None` builds the deployer's client",
                        fallback.reached.what
                    ),
                    "falls back to `None`, then to the deployer's identity",
                ),
            };
            let origin = fallback.origin;
            let reached = fallback.reached;
            ctx.report(
                ctx.diagnostic(
                    format!(
                        "when the caller's client cannot be built, this falls back to {what}: every user silently gets the deployer's data"
                    ),
                    Label::new(id, fallback.range, label),
                )
                .with_secondary(Label::new(
                    ctx.project.file(origin.file).id,
                    origin.range,
                    "the caller's client it replaces",
                ))
                .with_secondary(Label::new(
                    ctx.project.file(reached.file).id,
                    reached.range,
                    "reached with the deployer's identity",
                ))
                .with_help(HELP),
            );
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// `WorkspaceClient()` without the OBO strategy.
    Plain,
    /// `None`: the client classes build a default (deployer) client from it.
    None,
}

/// Where a fallback value is first used to reach a resource.
#[derive(Clone, Debug)]
struct Reached {
    file: FileIdx,
    range: TextRange,
    what: String,
}

struct Fallback {
    range: TextRange,
    kind: Kind,
    origin: Origin,
    reached: Reached,
}

/// What a user client built in a `try` is bound to.
#[derive(Clone, Copy)]
enum Target<'a> {
    Name(&'a str),
    /// The function returns it (a client factory).
    Return(FnRef),
}

struct Finder<'x, 'p, 'a> {
    project: &'p Project<'a>,
    dataflow: &'x Dataflow<'p, 'a>,
    /// Only what the model runs while serving is the agent acting (the rule catalogue "Served
    /// code"): a provisioning script's fallback is not.
    served: &'x Served,
    file: FileIdx,
    /// What [`Finder::name_reaches`] found, by its question: a function that passes the value
    /// to another several times over, level after level, is followed once per question, not
    /// once per call.
    reached: std::cell::RefCell<rustc_hash::FxHashMap<ReachQuestion, Option<Reached>>>,
    /// Calls [`Finder::first_reach`] may still look at in this file: each question reads the
    /// calls of the file after its fallback, so a file of many fallbacks and many calls
    /// (written to slow the analysis down) would cost their product. Past it, nothing is
    /// reached: no finding.
    steps: std::cell::Cell<usize>,
}

/// The file, scope, name, window, kind and depth of a [`Finder::name_reaches`] question.
type ReachQuestion = (FileIdx, ScopeId, String, TextRange, Kind, u32);

impl<'a> Finder<'_, '_, 'a> {
    /// Every `try` in `body` (nested ones too, not those of nested functions).
    fn scan(
        &self,
        body: &'a [Stmt],
        scope: ScopeId,
        function: Option<FnRef>,
        out: &mut Vec<Fallback>,
    ) {
        for (i, stmt) in body.iter().enumerate() {
            if let Stmt::Try(try_stmt) = stmt
                && self
                    .served
                    .contains(self.project, self.file, scope, try_stmt.range())
            {
                self.check_try(try_stmt, &body[..i], &body[i + 1..], scope, function, out);
            }
            for child in child_bodies(stmt) {
                self.scan(child, scope, function, out);
            }
        }
    }

    fn check_try(
        &self,
        try_stmt: &'a StmtTry,
        before: &'a [Stmt],
        after: &'a [Stmt],
        scope: ScopeId,
        function: Option<FnRef>,
        out: &mut Vec<Fallback>,
    ) {
        let mut targets: Vec<(Target<'a>, Origin)> = Vec::new();
        for stmt in flat_statements(&try_stmt.body) {
            let (target, value) = match stmt {
                Stmt::Assign(assign) => match assign.targets.as_slice() {
                    [Expr::Name(name)] => (Target::Name(name.id.as_str()), &*assign.value),
                    _ => continue,
                },
                Stmt::AnnAssign(assign) => match (assign.target.as_ref(), &assign.value) {
                    (Expr::Name(name), Some(value)) => (Target::Name(name.id.as_str()), &**value),
                    _ => continue,
                },
                Stmt::Return(ret) => match (function, &ret.value) {
                    (Some(function), Some(value)) => (Target::Return(function), &**value),
                    _ => continue,
                },
                _ => continue,
            };
            if let ClientValue::User { origin, .. } = self.dataflow.eval(self.file, scope, value)
                && !targets.iter().any(|(t, _)| same_target(*t, target))
            {
                targets.push((target, origin));
            }
        }
        for (target, origin) in targets {
            let candidates = match target {
                Target::Name(name) => self.name_fallbacks(try_stmt, before, after, scope, name),
                Target::Return(_) => self.return_fallbacks(try_stmt, scope),
            };
            for (range, kind, window) in candidates {
                let reached = match target {
                    Target::Name(name) => self
                        .name_reaches(self.file, scope, name, window, kind, 0)
                        .or_else(|| self.returned_reaches(function?, name, window, kind)),
                    Target::Return(function) => self.result_reaches(function, kind),
                };
                if let Some(reached) = reached {
                    out.push(Fallback {
                        range,
                        kind,
                        origin,
                        reached,
                    });
                }
            }
        }
    }

    /// The fallbacks of a name bound to a user client in the `try`: what the handlers assign it,
    /// what it held before when a handler only swallows the error, and a plain client assigned
    /// by a `None`/falsy check right after. Each with the part of the code where its value is
    /// used: after it, or only the rest of its handler when the handler returns.
    fn name_fallbacks(
        &self,
        try_stmt: &'a StmtTry,
        before: &'a [Stmt],
        after: &'a [Stmt],
        scope: ScopeId,
        name: &str,
    ) -> Vec<(TextRange, Kind, TextRange)> {
        let mut found = Vec::new();
        let mut swallowed = false;
        let after_try = onwards(try_stmt.end());
        for handler in &try_stmt.handlers {
            let ruff_python_ast::ExceptHandler::ExceptHandler(handler) = handler;
            if raises_somewhere(&handler.body) {
                continue;
            }
            let returns = exits(&handler.body);
            let assigned: Vec<&Stmt> = flat_statements(&handler.body)
                .into_iter()
                .filter(|s| assigned_value(s, name).is_some())
                .collect();
            match assigned.last() {
                Some(stmt) => {
                    if let Some(kind) = assigned_value(stmt, name)
                        .and_then(|value| self.fallback_kind(scope, value))
                    {
                        // A handler that returns uses the fallback only before it leaves.
                        let window = if returns {
                            TextRange::new(stmt.end(), handler.end())
                        } else {
                            onwards(stmt.end())
                        };
                        found.push((stmt.range(), kind, window));
                    }
                }
                None if returns => {}
                None => {
                    swallowed = true;
                    // It keeps what it held before the `try`.
                    if let Some(stmt) = before
                        .iter()
                        .rev()
                        .find(|s| assigned_value(s, name).is_some())
                        && let Some(kind) = assigned_value(stmt, name)
                            .and_then(|value| self.fallback_kind(scope, value))
                    {
                        found.push((stmt.range(), kind, after_try));
                    }
                }
            }
        }
        // Two handlers that both swallow the error leave the same earlier value: one finding.
        let mut seen = rustc_hash::FxHashSet::default();
        found.retain(|(range, _, _)| seen.insert(*range));
        if found.is_empty() && !swallowed {
            return found;
        }
        // A check right after the `try`: the first `if` testing the name, unless it is
        // reassigned before.
        for stmt in after {
            if assigned_value(stmt, name).is_some() {
                break;
            }
            let Stmt::If(check) = stmt else { continue };
            if test_of(&check.test, name) != Some(Test::Falsy) {
                continue;
            }
            if exits(&check.body) || raises_somewhere(&check.body) {
                // `None` never gets past it (a handler that returns never gets to it).
                found.retain(|(_, kind, window)| {
                    *kind == Kind::Plain || window.end() != after_try.end()
                });
            } else if let Some(assign) = check.body.iter().find(|s| {
                assigned_value(s, name).and_then(|value| self.fallback_kind(scope, value))
                    == Some(Kind::Plain)
            }) {
                // The `None` the handler left becomes this plain client: one fallback.
                found.retain(|(_, kind, window)| {
                    *kind == Kind::Plain || window.end() != after_try.end()
                });
                found.push((assign.range(), Kind::Plain, onwards(assign.end())));
            }
            break;
        }
        found
    }

    /// A factory's handlers that return a plain client or `None`.
    fn return_fallbacks(
        &self,
        try_stmt: &'a StmtTry,
        scope: ScopeId,
    ) -> Vec<(TextRange, Kind, TextRange)> {
        let mut found = Vec::new();
        for handler in &try_stmt.handlers {
            let ruff_python_ast::ExceptHandler::ExceptHandler(handler) = handler;
            if raises_somewhere(&handler.body) {
                continue;
            }
            for stmt in flat_statements(&handler.body) {
                let Stmt::Return(ret) = stmt else { continue };
                let kind = match &ret.value {
                    None => Some(Kind::None),
                    Some(value) => self.fallback_kind(scope, value),
                };
                if let Some(kind) = kind {
                    found.push((stmt.range(), kind, onwards(try_stmt.end())));
                }
            }
        }
        found
    }

    /// `None`, or a client known not to be the caller's that the code builds.
    fn fallback_kind(&self, scope: ScopeId, value: &Expr) -> Option<Kind> {
        if value.is_none_literal_expr() {
            return Some(Kind::None);
        }
        match self.dataflow.eval(self.file, scope, value) {
            ClientValue::NotUser { origin: Some(_) } => Some(Kind::Plain),
            _ => None,
        }
    }

    /// The first use, after `from`, of the value `name` holds in `scope` (its closures included)
    /// that reaches a resource: a service call, or a Genie, vector search or MCP class given it
    /// as its client, here or in a project function it is passed to. A `None` reaches only the
    /// classes, outside a test that it is set.
    fn name_reaches(
        &self,
        file: FileIdx,
        scope: ScopeId,
        name: &str,
        window: TextRange,
        kind: Kind,
        depth: u32,
    ) -> Option<Reached> {
        let question = (file, scope, name.to_string(), window, kind, depth);
        if let Some(known) = self.reached.borrow().get(&question) {
            return known.clone();
        }
        let found = self.first_reach(file, scope, name, window, kind, depth);
        self.reached.borrow_mut().insert(question, found.clone());
        found
    }

    /// [`Finder::name_reaches`], looked for.
    fn first_reach(
        &self,
        file: FileIdx,
        scope: ScopeId,
        name: &str,
        window: TextRange,
        kind: Kind,
        depth: u32,
    ) -> Option<Reached> {
        let model = self.project.model(file);
        let guarded = if kind == Kind::None {
            set_guards(model, scope, name)
        } else {
            Vec::new()
        };
        all_calls(model)
            .take_while(|_| {
                let left = self.steps.get();
                self.steps.set(left.saturating_sub(1));
                left > 0
            })
            .filter(|(call_scope, call)| {
                window.contains(call.start())
                    && model.lookup_scope(*call_scope, name) == Some(scope)
                    && self
                        .served
                        .contains(self.project, file, *call_scope, call.range())
            })
            .filter(|(_, call)| !guarded.iter().any(|g| g.contains_range(call.range())))
            .find_map(|(call_scope, call)| {
                let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
                if kind == Kind::Plain
                    && let Some(service) = service_call(&call.func, &is_name)
                {
                    return Some(Reached {
                        file,
                        range: call.func.range(),
                        what: service,
                    });
                }
                if let Some(class) = self.resource_class(file, call_scope, call) {
                    return match client_argument(
                        model,
                        call_scope,
                        call,
                        &class.parameter,
                        class.position,
                    ) {
                        ClientArgument::Given(value) if is_name(value) => Some(Reached {
                            file,
                            range: call.func.range(),
                            what: format!("`{}`", class.class),
                        }),
                        _ => None,
                    };
                }
                // Handed to a project function (`tools = make_tools(w)`): its uses of the
                // parameter.
                if depth >= MAX_PASS_DEPTH {
                    return None;
                }
                let Symbol::Function(callee) = self.dataflow.symbol(file, call_scope, &call.func)
                else {
                    return None;
                };
                let parameter = self.parameter_given(callee, call, &is_name)?;
                let info = self.project.model(callee.file).function(callee.func);
                self.name_reaches(
                    callee.file,
                    info.scope,
                    parameter,
                    onwards(TextSize::default()),
                    kind,
                    depth + 1,
                )
            })
    }

    /// The parameter of `callee` that `call` fills with the value `is_value` matches, by
    /// keyword or position (after the receiver of a bound method call).
    fn parameter_given<'c>(
        &self,
        callee: FnRef,
        call: &'c ruff_python_ast::ExprCall,
        is_value: &dyn Fn(&Expr) -> bool,
    ) -> Option<&'c str>
    where
        'a: 'c,
    {
        if let Some(keyword) = call.arguments.keywords.iter().find(|k| is_value(&k.value)) {
            return keyword.arg.as_ref().map(|a| a.as_str());
        }
        let args = &call.arguments.args;
        let index = args.iter().position(is_value)?;
        if args[..index].iter().any(Expr::is_starred_expr) {
            return None;
        }
        let info = self.project.model(callee.file).function(callee.func);
        let bound = self
            .project
            .callers(callee)
            .find(|site| std::ptr::eq(site.call, call))?
            .bound;
        let offset = usize::from(bound && info.receiver.is_some());
        let parameters = &info.def.parameters;
        parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .nth(index + offset)
            .map(|p| p.parameter.name.as_str())
    }

    /// A factory that returns the name after the fallback (`return w`): where its result is used.
    fn returned_reaches(
        &self,
        function: FnRef,
        name: &str,
        window: TextRange,
        kind: Kind,
    ) -> Option<Reached> {
        let info = self.project.model(function.file).function(function.func);
        info.returns
            .iter()
            .any(|r| {
                window.contains(r.start()) && matches!(r, Expr::Name(n) if n.id.as_str() == name)
            })
            .then(|| self.result_reaches(function, kind))
            .flatten()
    }

    /// Where a factory's result is used: given directly to a class or a service call, or bound
    /// to a name that is.
    fn result_reaches(&self, function: FnRef, kind: Kind) -> Option<Reached> {
        let callers = self.project.callers(function);
        let mut served = callers.filter(|site| {
            self.served
                .contains(self.project, site.file, site.scope, site.call.range())
        });
        served.find_map(|site| {
            let model = self.project.model(site.file);
            let call_range = site.call.range();
            let is_result = |e: &Expr| e.range() == call_range && e.is_call_expr();
            // Used right where it is called.
            let direct = model.scope(site.scope).calls.iter().find_map(|call| {
                if kind == Kind::Plain
                    && let Some(service) = service_call(&call.func, &is_result)
                {
                    return Some(Reached {
                        file: site.file,
                        range: call.func.range(),
                        what: service,
                    });
                }
                let class = self.resource_class(site.file, site.scope, call)?;
                match client_argument(model, site.scope, call, &class.parameter, class.position) {
                    ClientArgument::Given(value) if is_result(value) => Some(Reached {
                        file: site.file,
                        range: call.func.range(),
                        what: format!("`{}`", class.class),
                    }),
                    _ => None,
                }
            });
            direct.or_else(|| {
                // `w = get_client()` (or `w = v = get_client()`: each name, and the use
                // that comes first in the file), then used.
                model
                    .scope(site.scope)
                    .bindings
                    .iter()
                    .filter(|(_, bindings)| {
                        bindings.iter().any(|b| {
                            matches!(
                                b.kind,
                                obolint_python::semantic::BindingKind::Assignment(
                                    obolint_python::semantic::Value::Expr(e)
                                ) if e.range() == call_range
                            )
                        })
                    })
                    .filter_map(|(name, _)| {
                        self.name_reaches(
                            site.file,
                            site.scope,
                            name,
                            onwards(site.call.end()),
                            kind,
                            0,
                        )
                    })
                    .min_by_key(|reached| (reached.file, reached.range.start()))
            })
        })
    }

    /// A Genie, vector search or MCP class that takes the caller's identity as a client.
    fn resource_class(
        &self,
        file: FileIdx,
        scope: ScopeId,
        call: &ruff_python_ast::ExprCall,
    ) -> Option<&'static clients::ClientClass> {
        let Symbol::Known(symbol) = self.dataflow.symbol(file, scope, &call.func) else {
            return None;
        };
        if symbol == KnownSymbol::VectorSearchClient {
            return None;
        }
        clients::of_symbol(symbol).filter(|c| {
            c.identity == IdentityKind::Client
                && matches!(c.rule.as_deref(), Some("OBO201" | "OBO202" | "OBO203"))
        })
    }
}

/// The code from `start` to the end of the file.
fn onwards(start: TextSize) -> TextRange {
    TextRange::new(start, TextSize::new(u32::MAX))
}

fn same_target(a: Target<'_>, b: Target<'_>) -> bool {
    match (a, b) {
        (Target::Name(x), Target::Name(y)) => x == y,
        (Target::Return(x), Target::Return(y)) => x == y,
        _ => false,
    }
}

/// The value `stmt` assigns to `name` (`name = value`, `name: T = value`).
fn assigned_value<'s>(stmt: &'s Stmt, name: &str) -> Option<&'s Expr> {
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
    match stmt {
        Stmt::Assign(assign) if assign.targets.iter().any(is_name) => Some(&assign.value),
        Stmt::AnnAssign(assign) if is_name(&assign.target) => assign.value.as_deref(),
        _ => None,
    }
}

/// `w.<service>.<method>(...)` or `w.<method>(...)` on the value `is_base` matches: the service
/// call, in words. `w.config...` reads settings or takes credentials out: not a service.
fn service_call(func: &Expr, is_base: &dyn Fn(&Expr) -> bool) -> Option<String> {
    let Expr::Attribute(method) = func else {
        return None;
    };
    match method.value.as_ref() {
        Expr::Attribute(service) if is_base(&service.value) => (service.attr.as_str() != "config")
            .then(|| format!("`{}.{}(...)`", service.attr.as_str(), method.attr.as_str())),
        base if is_base(base) => Some(format!("`{}(...)`", method.attr.as_str())),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Test {
    /// `if w:`, `if w is not None:`
    Truthy,
    /// `if not w:`, `if w is None:`
    Falsy,
}

/// What an `if` test says about `name`.
fn test_of(test: &Expr, name: &str) -> Option<Test> {
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
    match test {
        e if is_name(e) => Some(Test::Truthy),
        Expr::UnaryOp(unary) if unary.op == UnaryOp::Not => {
            test_of(&unary.operand, name).map(|t| match t {
                Test::Truthy => Test::Falsy,
                Test::Falsy => Test::Truthy,
            })
        }
        Expr::Compare(compare)
            if is_name(&compare.left)
                && compare.ops.len() == 1
                && compare
                    .comparators
                    .first()
                    .is_some_and(Expr::is_none_literal_expr) =>
        {
            match compare.ops[0] {
                CmpOp::Is | CmpOp::Eq => Some(Test::Falsy),
                CmpOp::IsNot | CmpOp::NotEq => Some(Test::Truthy),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The ranges of the function (or module) whose scope is `scope` where `name` was tested to be
/// set: the body of `if w:`, the `else` of `if w is None:`.
fn set_guards(model: &ModuleModel<'_>, scope: ScopeId, name: &str) -> Vec<TextRange> {
    let body = match model.function_of_scope(scope) {
        Some(func) => &model.function(func).def.body[..],
        None => model.body,
    };
    let range_of = |stmts: &[Stmt]| match (stmts.first(), stmts.last()) {
        (Some(first), Some(last)) => Some(TextRange::new(first.start(), last.end())),
        _ => None,
    };
    let mut out = Vec::new();
    for stmt in flat_statements(body) {
        let Stmt::If(check) = stmt else { continue };
        match test_of(&check.test, name) {
            Some(Test::Truthy) => out.extend(range_of(&check.body)),
            Some(Test::Falsy) => out.extend(
                check
                    .elif_else_clauses
                    .iter()
                    .filter_map(|clause| range_of(&clause.body)),
            ),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::{SourceKind, parse_source};

    fn test_in(source: &str) -> Option<Test> {
        let parsed = parse_source(source, SourceKind::Python);
        let Some(Stmt::If(check)) = parsed.body().first() else {
            panic!("an if");
        };
        test_of(&check.test, "w")
    }

    #[test]
    fn reads_none_and_truthiness_tests() {
        assert_eq!(test_in("if w:\n    pass\n"), Some(Test::Truthy));
        assert_eq!(test_in("if not w:\n    pass\n"), Some(Test::Falsy));
        assert_eq!(test_in("if w is None:\n    pass\n"), Some(Test::Falsy));
        assert_eq!(test_in("if w is not None:\n    pass\n"), Some(Test::Truthy));
        assert_eq!(
            test_in("if not w is not None:\n    pass\n"),
            Some(Test::Falsy)
        );
        assert_eq!(test_in("if v is None:\n    pass\n"), None);
        assert_eq!(test_in("if w.ok:\n    pass\n"), None);
    }

    #[test]
    fn finds_service_calls_on_a_base() {
        let parsed = parse_source(
            "w.genie.start_conversation('x')\nw.config.authenticate()\nw.get_workspace_id()\nv.genie.x()\n",
            SourceKind::Python,
        );
        let is_w = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "w");
        let found: Vec<Option<String>> = parsed
            .body()
            .iter()
            .map(|s| match s {
                Stmt::Expr(e) => match e.value.as_ref() {
                    Expr::Call(call) => service_call(&call.func, &is_w),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(
            found,
            [
                Some("`genie.start_conversation(...)`".to_string()),
                None,
                Some("`get_workspace_id(...)`".to_string()),
                None
            ]
        );
    }
}
