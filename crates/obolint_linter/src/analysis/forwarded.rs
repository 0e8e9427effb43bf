//! The forwarded token of Databricks Apps (the rule catalogue "Forwarded token", "Request scope
//! (Apps)"): where app code reads the `x-forwarded-access-token` header the Apps proxy sends,
//! and which functions run once per request in each web framework. The dataflow
//! (`dataflow.rs`) turns these reads into [`ClientValue::Token`](super::dataflow::ClientValue)
//! values; nothing here evaluates values itself.

use obolint_python::semantic::{ModuleModel, NameMeaning, Resolution, ScopeId, Value};
use ruff_python_ast::{Expr, ExprCall, Parameter, StmtFunctionDef};

pub use obolint_python::semantic::TOKEN_HEADER;

/// The qualified names `expr` means (empty when it is not an imported name).
pub fn qualified(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr) -> Vec<String> {
    match model.meaning(scope, expr) {
        NameMeaning::Qualified(names) => names,
        _ => Vec::new(),
    }
}

fn means(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr, wanted: &[&str]) -> bool {
    qualified(model, scope, expr)
        .iter()
        .any(|n| wanted.contains(&n.as_str()))
}

/// `get_request_headers()` of `mlflow.genai.agent_server` (a `ContextVar` set per request).
fn is_agent_server_headers(model: &ModuleModel<'_>, scope: ScopeId, call: &ExprCall) -> bool {
    qualified(model, scope, &call.func)
        .iter()
        .any(|n| n.starts_with("mlflow.genai.agent_server") && n.ends_with(".get_request_headers"))
}

/// `expr` is a whole request-headers mapping: `<request>.headers` (Flask, FastAPI/Starlette,
/// Gradio's `gr.Request`, `st.context.headers`, Shiny's `session.http_conn.headers`),
/// `get_request_headers()`, `dict(<headers>)`, or a name bound only to one of those.
pub fn is_headers(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr, depth: u32) -> bool {
    headers_within(
        model,
        scope,
        expr,
        depth,
        &mut rustc_hash::FxHashMap::default(),
    )
}

/// [`is_headers`], remembering each value's answer by scope, value and depth: a name bound
/// several times over to the previous name, level after level, is looked at once per depth,
/// not once per path to it.
fn headers_within(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    expr: &Expr,
    depth: u32,
    seen: &mut rustc_hash::FxHashMap<(ScopeId, usize, u32), bool>,
) -> bool {
    if depth > 6 {
        return false;
    }
    match expr {
        Expr::Attribute(attribute) => attribute.attr.as_str() == "headers",
        Expr::Call(call) => {
            if is_agent_server_headers(model, scope, call) {
                return true;
            }
            // `dict(headers)`
            matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "dict"
                && matches!(model.resolve_name(scope, "dict"), Resolution::Unbound))
                && call.arguments.args.len() == 1
                && call.arguments.keywords.is_empty()
                && headers_within(model, scope, &call.arguments.args[0], depth + 1, seen)
        }
        Expr::Name(name) => match model.resolve_name(scope, name.id.as_str()) {
            Resolution::Values(found, values) => {
                !values.is_empty()
                    && values.iter().all(|v| match v {
                        Value::Expr(e) => {
                            let key = (found, std::ptr::from_ref::<Expr>(e) as usize, depth + 1);
                            if let Some(&known) = seen.get(&key) {
                                return known;
                            }
                            let answer = headers_within(model, found, e, depth + 1, seen);
                            seen.insert(key, answer);
                            answer
                        }
                        _ => false,
                    })
            }
            _ => false,
        },
        _ => false,
    }
}

/// A header name: a string literal, or a name bound once to one (`TOKEN_HEADER = "..."`). A
/// form read here that is not a string literal must also set the semantic model's
/// `names_user_credentials` (a project without it skips the rules about user credentials).
pub fn header_name(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::Name(name) => match model.resolve_name(scope, name.id.as_str()) {
            Resolution::Values(found, values) => match values.as_slice() {
                [Value::Expr(e @ Expr::StringLiteral(_))] => header_name(model, found, e),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn is_token_header(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr) -> bool {
    header_name(model, scope, expr).is_some_and(|h| h.eq_ignore_ascii_case(TOKEN_HEADER))
}

/// `expr` reads the forwarded token from a headers mapping:
/// `<headers>.get("x-forwarded-access-token"[, default])` or `<headers>["x-forwarded-access-token"]`
/// (any case).
pub fn reads_token(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => {
            let Expr::Attribute(method) = call.func.as_ref() else {
                return false;
            };
            method.attr.as_str() == "get"
                && call
                    .arguments
                    .args
                    .first()
                    .or_else(|| call.arguments.find_keyword("key").map(|k| &k.value))
                    .is_some_and(|key| is_token_header(model, scope, key))
                && is_headers(model, scope, &method.value, 0)
        }
        Expr::Subscript(subscript) => {
            is_token_header(model, scope, &subscript.slice)
                && is_headers(model, scope, &subscript.value, 0)
        }
        _ => false,
    }
}

/// A FastAPI `Header(...)` call (`fastapi.Header`, `fastapi.params.Header`).
fn header_call<'e>(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    expr: &'e Expr,
) -> Option<&'e ExprCall> {
    let Expr::Call(call) = expr else { return None };
    means(
        model,
        scope,
        &call.func,
        &["fastapi.Header", "fastapi.params.Header"],
    )
    .then_some(call)
}

/// A FastAPI parameter that receives the forwarded token: `Header(alias="X-Forwarded-Access-Token")`
/// as its default or in `Annotated[..., Header(...)]`, or named `x_forwarded_access_token` with a
/// `Header(...)` (FastAPI turns `_` into `-` in the name).
pub fn is_token_parameter(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    parameter: &Parameter,
    default: Option<&Expr>,
) -> bool {
    let mut headers: Vec<&ExprCall> = Vec::new();
    if let Some(default) = default
        && let Some(call) = header_call(model, scope, default)
    {
        headers.push(call);
    }
    if let Some(Expr::Subscript(annotated)) = parameter.annotation.as_deref()
        && let Expr::Tuple(items) = annotated.slice.as_ref()
    {
        headers.extend(
            items
                .elts
                .iter()
                .filter_map(|e| header_call(model, scope, e)),
        );
    }
    headers
        .iter()
        .any(|call| match call.arguments.find_keyword("alias") {
            Some(alias) => is_token_header(model, scope, &alias.value),
            None => parameter
                .name
                .as_str()
                .eq_ignore_ascii_case(obolint_python::semantic::TOKEN_PARAMETER),
        })
}

/// The parameter `name` of the function whose body is `scope` receives the forwarded token.
pub fn token_parameter(model: &ModuleModel<'_>, scope: ScopeId, name: &str) -> bool {
    let Some(func) = model.function_of_scope(scope) else {
        return false;
    };
    let info = model.function(func);
    info.def
        .parameters
        .iter_non_variadic_params()
        .find(|p| p.parameter.name.as_str() == name)
        .is_some_and(|p| is_token_parameter(model, info.parent_scope, &p.parameter, p.default()))
}

const ROUTE_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "route",
    "websocket",
    "api_route",
];

const APP_CLASSES: &[&str] = &[
    "flask.Flask",
    "flask.Blueprint",
    "fastapi.FastAPI",
    "fastapi.APIRouter",
    "starlette.applications.Starlette",
    "dash.Dash",
];

/// The class an expression's name was built from (`app = Flask(__name__)` → `flask.Flask`).
fn built_from(model: &ModuleModel<'_>, scope: ScopeId, expr: &Expr) -> Vec<String> {
    let Expr::Name(name) = expr else {
        return Vec::new();
    };
    match model.resolve_name(scope, name.id.as_str()) {
        Resolution::Values(found, values) => values
            .iter()
            .filter_map(|v| match v {
                Value::Expr(Expr::Call(call)) => Some(qualified(model, found, &call.func)),
                _ => None,
            })
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

/// How a function is run by its framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler {
    /// Once per request: a route, an `@invoke()`/`@stream()` agent function, a Dash callback,
    /// a Gradio handler, Shiny's `server`.
    Request,
    /// `@st.cache_resource`/`@st.cache_data`: once for every session (per hashed arguments).
    StreamlitCache,
}

/// What runs `def` (whose enclosing scope is `scope`), when a framework does.
pub fn handler(model: &ModuleModel<'_>, scope: ScopeId, def: &StmtFunctionDef) -> Option<Handler> {
    for decorator in &def.decorator_list {
        let (callee, is_call) = match &decorator.expression {
            Expr::Call(call) => (call.func.as_ref(), true),
            other => (other, false),
        };
        let names = qualified(model, scope, callee);
        if names.iter().any(|n| {
            n == "streamlit.cache_resource"
                || n == "streamlit.cache_data"
                || n == "streamlit.experimental_singleton"
                || n == "streamlit.experimental_memo"
        }) {
            return Some(Handler::StreamlitCache);
        }
        if names.iter().any(|n| {
            n.starts_with("mlflow.genai.agent_server")
                && (n.ends_with(".invoke") || n.ends_with(".stream"))
        }) || names
            .iter()
            .any(|n| n == "dash.callback" || n == "dash.clientside_callback")
        {
            return Some(Handler::Request);
        }
        if is_call
            && let Expr::Attribute(attribute) = callee
            && (ROUTE_METHODS.contains(&attribute.attr.as_str())
                || attribute.attr.as_str() == "callback")
            && built_from(model, scope, &attribute.value)
                .iter()
                .any(|n| APP_CLASSES.contains(&n.as_str()))
        {
            return Some(Handler::Request);
        }
    }
    // Starlette-style route tables: the function is the endpoint of a `Route(...)` /
    // `WebSocketRoute(...)` (`routes=[Route("/chat", chat)]`), or is given to an app's
    // `add_route`/`add_api_route`/`add_websocket_route`.
    if is_route_endpoint(model, def) {
        return Some(Handler::Request);
    }
    // Gradio: a parameter annotated `gr.Request`.
    if def.parameters.iter_non_variadic_params().any(|p| {
        p.parameter
            .annotation
            .as_deref()
            .is_some_and(|a| means(model, scope, a, &["gradio.Request"]))
    }) {
        return Some(Handler::Request);
    }
    // Shiny: `def server(input, output, session)`.
    let names: Vec<&str> = def
        .parameters
        .iter_non_variadic_params()
        .map(|p| p.parameter.name.as_str())
        .collect();
    if def.name.as_str() == "server" && names == ["input", "output", "session"] {
        return Some(Handler::Request);
    }
    None
}

/// Route classes whose endpoint runs once per request.
const ROUTE_CLASSES: &[&str] = &[
    "starlette.routing.Route",
    "starlette.routing.WebSocketRoute",
    "fastapi.routing.APIRoute",
    "fastapi.routing.APIWebSocketRoute",
];

/// `def` (by its name, in the module that defines it) is the endpoint of a route built in that
/// module: `Route("/chat", chat)`, `Route("/chat", endpoint=chat)`, or
/// `app.add_route("/chat", chat)` on a Flask/FastAPI/Starlette app.
fn is_route_endpoint(model: &ModuleModel<'_>, def: &StmtFunctionDef) -> bool {
    let name = def.name.as_str();
    let names_def = |e: Option<&Expr>| matches!(e, Some(Expr::Name(n)) if n.id.as_str() == name);
    model.scopes.iter().enumerate().any(|(index, scope)| {
        let scope_id = ScopeId(index as u32);
        scope.calls.iter().any(|call| {
            // `Route(path, endpoint)`, `add_route(path, endpoint)`; Flask's
            // `add_url_rule(rule, endpoint_name, view_func)`.
            let given = [
                call.arguments.find_keyword("endpoint").map(|k| &k.value),
                call.arguments.find_keyword("view_func").map(|k| &k.value),
                call.arguments.args.get(1),
                call.arguments.args.get(2),
            ];
            if !given.into_iter().any(names_def) {
                return false;
            }
            if means(model, scope_id, &call.func, ROUTE_CLASSES) {
                return true;
            }
            matches!(call.func.as_ref(), Expr::Attribute(attribute)
                if matches!(
                    attribute.attr.as_str(),
                    "add_route" | "add_api_route" | "add_websocket_route" | "add_url_rule"
                ) && built_from(model, scope_id, &attribute.value)
                    .iter()
                    .any(|n| APP_CLASSES.contains(&n.as_str())))
        })
    })
}

/// For parameter `name` of the function whose body is `scope`, declared as a FastAPI
/// dependency (`w = Depends(provider)` or `Annotated[..., Depends(provider)]`): the provider
/// expression, and the scope it is named in. FastAPI calls the provider per request and passes
/// what it returns.
pub fn dependency<'a>(
    model: &ModuleModel<'a>,
    scope: ScopeId,
    name: &str,
) -> Option<(ScopeId, &'a Expr)> {
    let func = model.function_of_scope(scope)?;
    let info = model.function(func);
    let parameter = info
        .def
        .parameters
        .iter_non_variadic_params()
        .find(|p| p.parameter.name.as_str() == name)?;
    let is_depends = |e: &'a Expr| -> Option<&'a ExprCall> {
        let Expr::Call(call) = e else { return None };
        means(
            model,
            info.parent_scope,
            &call.func,
            &["fastapi.Depends", "fastapi.params.Depends"],
        )
        .then_some(call)
    };
    let mut calls: Vec<&'a ExprCall> = Vec::new();
    if let Some(default) = parameter.default() {
        calls.extend(is_depends(default));
    }
    if let Some(Expr::Subscript(annotated)) = parameter.parameter.annotation.as_deref()
        && let Expr::Tuple(items) = annotated.slice.as_ref()
    {
        calls.extend(items.elts.iter().filter_map(is_depends));
    }
    let call = calls.first()?;
    let provider = call
        .arguments
        .args
        .first()
        .or_else(|| call.arguments.find_keyword("dependency").map(|k| &k.value))?;
    Some((info.parent_scope, provider))
}
