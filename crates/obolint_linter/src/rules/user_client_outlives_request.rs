//! OBO102 user-client-outlives-request.

use crate::context::{Check, Grain, RuleContext};
use obolint_diagnostics::{Diagnostic, Label};
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use obolint_python::semantic::statements::flat_statements;
use obolint_python::semantic::{ModuleModel, Resolution, ScopeId};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::analysis::call_time::CallTime;
use crate::analysis::dataflow::Dataflow;
use crate::project::{FileIdx, FnRef, Project, Symbol};

/// ## What it does
/// Reports a user client built at request time, or something made from one (an object built with
/// it, a credential snapshot such as `w.config.authenticate()`), stored where it outlives the
/// request: an attribute of `self`/`cls` or of a module, a `global`, a module-level container,
/// the result of a cached function (`functools.cache`, `lru_cache`, `cached_property`), or a
/// process-wide setter (`set_uc_function_client(...)`, openai-agents'
/// `agents.set_default_openai_client(...)`). The common real form is "build once on the first
/// request, keep it on `self`". Also a user client given to a library object that caches what it
/// builds from it for every caller: `AsyncDatabricksSession(..., workspace_client=<user>)`
/// without `use_cached_engine=False` (databricks-openai 0.18.0 keys its engine cache without
/// the client, so the first caller's credentials serve every later session).
///
/// ## Why is this bad?
/// Model Serving reuses one model instance for many users. A client kept after the request that
/// built it carries that first caller's identity into every later request: the next user reads
/// with someone else's permissions, until the token expires and every request fails.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     if self.client is None:
///         self.client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     return self.client.genie.list_spaces()
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     return client.genie.list_spaces()
/// ```
///
/// ## Known problems
/// Thread-local storage (`threading.local()`, attributes of `threading.current_thread()`) is not
/// reported: it does not outlive the request's thread. Library caches are known from the client
/// catalogue (`shared-cache` in `data/clients.toml`); others are not seen. Stores through containers the analyzer
/// cannot see (a dict passed to a library) are not followed.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO102",
    name = "user-client-outlives-request",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct UserClientOutlivesRequest;

const HELP: &str = "keep the client, and what you build with it, in locals of the request and pass them down: `self`, globals and module containers are shared by every request; keep only settings (space ids, endpoint names) there";

pub(crate) const CONTAINER_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "extend",
    "insert",
    "setdefault",
    "update",
];

impl Check for UserClientOutlivesRequest {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, dataflow) = (ctx.project, ctx.dataflow);
        // What outlives a request here is a user client or a forwarded token, or made from one:
        // a project that cannot hold one has none (debug builds check on, so that the dataflow's
        // assertion sees every value evaluated).
        if !cfg!(debug_assertions) && !project.may_hold_user_credentials() {
            return;
        }

        for file in project.file_indices() {
            // App code is OBO702's (the Apps twin of this rule).
            if ctx.is_app_code(file) {
                continue;
            }
            let model = project.model(file);
            let id = project.file(file).id;
            let report = |range: TextRange, message: String, label: &str| {
                let info = &UserClientOutlivesRequest::INFO;
                ctx.report(
                    Diagnostic::new(
                        info.meta,
                        info.severity,
                        message,
                        Label::new(id, range, label),
                    )
                    .with_help(HELP),
                );
            };
            for func in model.function_ids() {
                let info = model.function(func);
                // Cached functions: whatever they build is kept for every later caller.
                let cached = info.def.decorator_list.iter().any(|d| {
                    let callee = match &d.expression {
                        Expr::Call(call) => call.func.as_ref(),
                        other => other,
                    };
                    project.symbol(file, info.parent_scope, callee)
                        == Symbol::Known(KnownSymbol::CacheDecorator)
                });
                if cached {
                    for call in &model.scope(info.scope).calls {
                        if dataflow
                            .construction(file, info.scope, call)
                            .is_some_and(|v| v.is_possible_user())
                        {
                            report(
                                call.func.range(),
                                format!(
                                    "user client built in cached function `{}`: the first caller's identity is kept for everyone",
                                    info.name
                                ),
                                "cached across requests",
                            );
                        }
                    }
                }
                if ctx.time.time_of(FnRef { file, func }) != CallTime::Request {
                    continue;
                }
                // `self` outlives the request when it is the served model (an agent class); a helper
                // object built inside the request dies with it.
                let receiver = info
                    .class
                    .filter(|&class| {
                        project
                            .agent_interface(crate::project::ClassRef { file, class })
                            .is_some()
                    })
                    .and(info.receiver);
                let mut stores = Vec::new();
                collect_stores(&info.def.body, &mut stores);
                for store in stores {
                    match store {
                        Store::Assign { target, value } => {
                            if !outlives(project, dataflow, file, info.scope, value) {
                                continue;
                            }
                            if let Some((what, label)) =
                                lasting_target(project, model, file, info.scope, receiver, target)
                            {
                                report(
                                    target.range(),
                                    stored_message(dataflow, file, info.scope, value, &what),
                                    label,
                                );
                            }
                        }
                        Store::Call {
                            container,
                            method,
                            value,
                            call,
                        } => {
                            if CONTAINER_METHODS.contains(&method)
                                && let Some((what, label)) =
                                    lasting_container(model, info.scope, container)
                                && outlives(project, dataflow, file, info.scope, value)
                            {
                                report(
                                    call,
                                    stored_message(dataflow, file, info.scope, value, &what),
                                    label,
                                );
                            }
                        }
                    }
                }
            }
            // Process-wide setters and library caches, wherever they are called.
            for (scope, call) in crate::project::all_calls(model) {
                let symbol = dataflow.symbol(file, scope, &call.func);
                if symbol == Symbol::Known(KnownSymbol::GlobalClientSetter)
                    && let Some(arg) = call.arguments.args.first()
                    && outlives(project, dataflow, file, scope, arg)
                {
                    report(call.range(), "user client set process-wide: every later request uses the first caller's identity".to_string(), "process-wide setter");
                }
                if let Symbol::Known(known) = symbol
                    && let Some(class) = crate::clients::of_symbol(known)
                    && let Some(keyword) = &class.shared_cache
                    && caches_user_client(project, dataflow, file, scope, call, class, keyword)
                {
                    let info = &UserClientOutlivesRequest::INFO;
                    ctx.report(
                        Diagnostic::new(
                            info.meta,
                            info.severity,
                            format!(
                                "`{}` keeps what it builds from a user client in a cache shared by every caller: the first caller's credentials serve everyone",
                                class.class
                            ),
                            Label::new(
                                id,
                                call.func.range(),
                                format!("cached across requests unless `{keyword}=False`"),
                            ),
                        )
                        .with_help(format!(
                            "pass `{keyword}=False` so each object builds its own from the client it is given"
                        )),
                    );
                }
            }
        }
    }
}

/// The class is given a (possible) user client and its `keyword` is not literally `False`.
pub(crate) fn caches_user_client(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    call: &ruff_python_ast::ExprCall,
    class: &crate::clients::ClientClass,
    keyword: &str,
) -> bool {
    use crate::analysis::client_argument::{ClientArgument, client_argument};
    let model = project.model(file);
    let ClientArgument::Given(client) =
        client_argument(model, scope, call, &class.parameter, class.position)
    else {
        return false;
    };
    if !dataflow.eval(file, scope, client).is_possible_user() {
        return false;
    }
    match client_argument(model, scope, call, keyword, None) {
        ClientArgument::Given(Expr::BooleanLiteral(b)) => b.value,
        ClientArgument::Given(_) | ClientArgument::Unknowable => false,
        ClientArgument::Missing => true,
    }
}

pub(crate) enum Store<'a> {
    Assign {
        target: &'a Expr,
        value: &'a Expr,
    },
    Call {
        container: &'a Expr,
        method: &'a str,
        value: &'a Expr,
        call: TextRange,
    },
}

/// Stores in a function body (not in nested `def`s, classes or lambdas, which run elsewhere).
pub(crate) fn collect_stores<'a>(body: &'a [Stmt], out: &mut Vec<Store<'a>>) {
    for stmt in flat_statements(body) {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    out.push(Store::Assign {
                        target,
                        value: &assign.value,
                    });
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    out.push(Store::Assign {
                        target: &assign.target,
                        value,
                    });
                }
            }
            Stmt::Expr(expr) => {
                if let Expr::Call(call) = expr.value.as_ref()
                    && let Expr::Attribute(attribute) = call.func.as_ref()
                    && let Some(value) = call.arguments.args.last()
                {
                    out.push(Store::Call {
                        container: &attribute.value,
                        method: attribute.attr.as_str(),
                        value,
                        call: call.range(),
                    });
                }
            }
            _ => {}
        }
    }
}

/// The risk, said plainly: what outlives the request is shared by the requests that follow and
/// those running at the same time, so one caller's identity serves another.
fn stored_message(
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    value: &Expr,
    what: &str,
) -> String {
    let stored = if dataflow.eval(file, scope, value).is_possible_user() {
        "user client"
    } else {
        "value built from the caller's client"
    };
    format!(
        "{stored} stored {what}: later and concurrent requests share it, so one caller's identity serves another"
    )
}

/// The value is a (possible) user client, or made from one.
pub(crate) fn outlives(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    value: &Expr,
) -> bool {
    derived_from_user(
        project,
        dataflow,
        file,
        scope,
        value,
        0,
        &Derived::default(),
    )
}

/// What [`derived_from_user`] answered, by file, scope, value and depth, for one question of
/// [`outlives`]: a name bound several times over to the previous name, level after level, is
/// followed once per depth, not once per path to it.
type Derived = std::cell::RefCell<rustc_hash::FxHashMap<(FileIdx, ScopeId, usize, u32), bool>>;

fn derived_from_user(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    value: &Expr,
    depth: u32,
    memo: &Derived,
) -> bool {
    let key = (file, scope, std::ptr::from_ref(value) as usize, depth);
    if let Some(&known) = memo.borrow().get(&key) {
        return known;
    }
    let answer = derived_uncached(project, dataflow, file, scope, value, depth, memo);
    memo.borrow_mut().insert(key, answer);
    answer
}

fn derived_uncached(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    value: &Expr,
    depth: u32,
    memo: &Derived,
) -> bool {
    if depth > 4 {
        return false;
    }
    let value_is = dataflow.eval(file, scope, value);
    // A Databricks App's forwarded token is the user's credential as much as a client is.
    if value_is.is_possible_user() || value_is.is_possible_token() {
        return true;
    }
    let derived = |e: &Expr| derived_from_user(project, dataflow, file, scope, e, depth + 1, memo);
    let model = project.model(file);
    match value {
        Expr::Call(call) => {
            // A credential snapshot: `w.config.authenticate()`.
            if let Expr::Attribute(method) = call.func.as_ref()
                && method.attr.as_str() == "authenticate"
                && let Expr::Attribute(config) = method.value.as_ref()
                && config.attr.as_str() == "config"
            {
                return dataflow.eval(file, scope, &config.value).is_possible_user();
            }
            // An object built with it: a library class or a project class given the client
            // (`GenieAgent(client=w)`, `MyTool(w)`, `functools.partial(f, w)`). Builtins
            // (`str(w)`, `len(...)`) make no such object.
            let builds_object = match dataflow.symbol(file, scope, &call.func) {
                Symbol::Known(_) | Symbol::Class(_) => true,
                Symbol::Unknown => matches!(
                    model.meaning(scope, &call.func),
                    obolint_python::semantic::NameMeaning::Qualified(_)
                ),
                // A project function given the client that returns what it builds with it
                // (`tools = make_tools(workspace_client=w)`: tool objects, closures over the
                // client, a dict of them): its parameters hold the client, as its callers pass it.
                Symbol::Function(function) => {
                    let given = call.arguments.args.iter().any(&derived)
                        || call.arguments.keywords.iter().any(|k| derived(&k.value));
                    let info = project.model(function.file).function(function.func);
                    return given
                        && info.returns.iter().any(|r| {
                            derived_from_user(
                                project,
                                dataflow,
                                function.file,
                                info.scope,
                                r,
                                depth + 1,
                                memo,
                            )
                        });
                }
                _ => false,
            };
            builds_object
                && (call.arguments.args.iter().any(&derived)
                    || call.arguments.keywords.iter().any(|k| derived(&k.value)))
        }
        // `w.config.token`
        Expr::Attribute(attribute) if attribute.attr.as_str() == "token" => {
            matches!(attribute.value.as_ref(), Expr::Attribute(config) if config.attr.as_str() == "config"
                && dataflow.eval(file, scope, &config.value).is_possible_user())
        }
        // Containers holding it.
        Expr::List(list) => list.elts.iter().any(derived),
        Expr::Tuple(tuple) => tuple.elts.iter().any(derived),
        Expr::Set(set) => set.elts.iter().any(derived),
        Expr::Dict(dict) => dict.items.iter().any(|item| derived(&item.value)),
        // A closure capturing it.
        Expr::Lambda(lambda) => captures_user(project, dataflow, file, scope, &lambda.body),
        Expr::Name(name) => match model.resolve_name(scope, name.id.as_str()) {
            Resolution::Values(found, values) => {
                values.iter().any(|v| match v {
                    obolint_python::semantic::Value::Expr(e) => {
                        derived_from_user(project, dataflow, file, found, e, depth + 1, memo)
                    }
                    _ => false,
                }) || filled_with_user(
                    project,
                    dataflow,
                    file,
                    found,
                    name.id.as_str(),
                    depth,
                    memo,
                )
            }
            // A nested `def` that captures it.
            Resolution::Function(func) => {
                let info = model.function(func);
                info.parent_scope == scope
                    && info.def.body.iter().any(|stmt| {
                        let mut names = NameCollector::default();
                        ruff_python_ast::visitor::Visitor::visit_stmt(&mut names, stmt);
                        names.names.iter().any(|n| {
                            model.lookup_scope(info.scope, n) != Some(info.scope)
                                && dataflow.eval_name(file, info.scope, n).is_possible_user()
                        })
                    })
            }
            _ => false,
        },
        _ => false,
    }
}

/// A container filled with something made from a user client after it is built:
/// `tools.append(GenieAgent(client=w))`, `tools["genie"] = ...` in the scope that binds it.
fn filled_with_user(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    name: &str,
    depth: u32,
    memo: &Derived,
) -> bool {
    let model = project.model(file);
    let scope_info = model.scope(scope);
    let derived = |e: &Expr| derived_from_user(project, dataflow, file, scope, e, depth + 1, memo);
    scope_info.calls.iter().any(|call| {
        matches!(call.func.as_ref(), Expr::Attribute(method)
            if CONTAINER_METHODS.contains(&method.attr.as_str())
                && matches!(method.value.as_ref(), Expr::Name(n) if n.id.as_str() == name))
            && (call.arguments.args.iter().any(&derived)
                || call.arguments.keywords.iter().any(|k| derived(&k.value)))
    }) || scope_info
        .item_stores(name)
        .iter()
        .any(|store| derived(store.value))
}

/// A lambda body refers to a user client of the enclosing scope.
fn captures_user(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    body: &Expr,
) -> bool {
    let mut names = NameCollector::default();
    ruff_python_ast::visitor::Visitor::visit_expr(&mut names, body);
    let _ = project;
    names
        .names
        .iter()
        .any(|n| dataflow.eval_name(file, scope, n).is_possible_user())
}

#[derive(Default)]
struct NameCollector {
    names: Vec<String>,
}

impl<'e> ruff_python_ast::visitor::Visitor<'e> for NameCollector {
    fn visit_expr(&mut self, expr: &'e Expr) {
        if let Expr::Name(name) = expr {
            self.names.push(name.id.to_string());
        }
        ruff_python_ast::visitor::walk_expr(self, expr);
    }
}

/// Where a store lasts beyond the request: `self.x`/`cls.x`, a module's attribute, a `global`,
/// a module-level container item.
pub(crate) fn lasting_target(
    project: &Project<'_>,
    model: &ModuleModel<'_>,
    file: FileIdx,
    scope: ScopeId,
    receiver: Option<&str>,
    target: &Expr,
) -> Option<(String, &'static str)> {
    match target {
        Expr::Attribute(attribute) => {
            let Expr::Name(base) = attribute.value.as_ref() else {
                return None;
            };
            let base = base.id.as_str();
            if receiver == Some(base) {
                return Some((
                    format!("on `{base}.{}`", attribute.attr),
                    "kept on the instance across requests",
                ));
            }
            if let Symbol::Module(_) = project.symbol(file, scope, &attribute.value) {
                return Some((
                    format!("on module attribute `{base}.{}`", attribute.attr),
                    "kept on the module across requests",
                ));
            }
            if matches!(model.resolve_name(scope, base), Resolution::Imported(_)) {
                return Some((
                    format!("on module attribute `{base}.{}`", attribute.attr),
                    "kept on the module across requests",
                ));
            }
            None
        }
        Expr::Name(name) => {
            let name = name.id.as_str();
            model.scope(scope).is_global(name).then(|| {
                (
                    format!("in global `{name}`"),
                    "kept in a global across requests",
                )
            })
        }
        Expr::Subscript(subscript) => lasting_container(model, scope, &subscript.value),
        _ => None,
    }
}

/// A container every request shares: a module-level variable, or a parameter whose default is
/// a mutable literal (evaluated once, when the `def` runs).
pub(crate) fn lasting_container(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    expr: &Expr,
) -> Option<(String, &'static str)> {
    let Expr::Name(name) = expr else { return None };
    let name = name.id.as_str();
    match model.resolve_name(scope, name) {
        Resolution::Values(..)
            if model.lookup_scope(scope, name) == Some(ModuleModel::MODULE_SCOPE) =>
        {
            Some((
                "in a module-level container".to_string(),
                "kept across requests",
            ))
        }
        Resolution::Parameter(found, _) => {
            let function = model.function_of_scope(found)?;
            let default = model
                .function(function)
                .def
                .parameters
                .iter_non_variadic_params()
                .find(|p| p.parameter.name.as_str() == name)?
                .default()?;
            let mutable = matches!(default, Expr::Dict(_) | Expr::List(_) | Expr::Set(_))
                || matches!(default, Expr::Call(c) if matches!(c.func.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "dict" | "list" | "set")));
            mutable.then(|| {
                (
                    format!("in the default argument `{name}`"),
                    "a default is shared by every call",
                )
            })
        }
        _ => None,
    }
}
