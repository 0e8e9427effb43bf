//! OBO702 app-user-client-outlives-request.

use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::user_client_outlives_request::{
    CONTAINER_METHODS, Store, caches_user_client, collect_stores, lasting_container,
    lasting_target, outlives,
};
use super::user_credential_exposed::is_environ;
use crate::analysis::app_scopes::token_reads;
use crate::analysis::forwarded::{Handler, handler, qualified};
use crate::context::{Check, Grain, RuleContext};
use crate::project::{Symbol, all_calls};

/// ## What it does
/// Reports, in a Databricks App, an app user client (a client built from the user's forwarded
/// `x-forwarded-access-token`), the token itself, or something made from either, kept where it
/// outlives the request: a global, a module attribute or module-level container, a mutable
/// default argument, a cached function (`functools.cache`/`lru_cache`, `@st.cache_resource`,
/// `@st.cache_data` reading the token inside or receiving it through an unhashed `_parameter`),
/// `os.environ`, a process-wide setter (`set_default_openai_client`), or a library cache that
/// ignores the client (`AsyncDatabricksSession` without `use_cached_engine=False`).
///
/// ## Why is this bad?
/// An app serves every user from one process. Whatever is kept there after the first request is
/// used for the next ones: user B runs with user A's token, and sees A's data.
///
/// ## Example
/// ```python
/// import streamlit as st
/// from databricks.sdk import WorkspaceClient
///
/// @st.cache_resource
/// def get_client():
///     token = st.context.headers.get("x-forwarded-access-token")
///     return WorkspaceClient(token=token, auth_type="pat")
/// ```
///
/// Use instead:
/// ```python
/// def get_client():
///     token = st.context.headers.get("x-forwarded-access-token")
///     return WorkspaceClient(token=token, auth_type="pat")
/// ```
///
/// ## Known problems
/// `st.session_state`, `flask.g`, `contextvars` and `threading.local()` hold values per
/// session, request or thread and are not reported. Attributes of `self` are reported when the
/// object is built at an app module's top level (it lives as long as the process, so every
/// request shares it) and for `cls` in a classmethod; an object built inside a handler dies
/// with the request. A token passed to a Streamlit cache as a hashed argument gives one entry
/// per token and is not reported.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
/// - [Streamlit: caching (`st.cache_resource` is shared by every session)](https://docs.streamlit.io/develop/concepts/architecture/caching)
#[rule(
    code = "OBO702",
    name = "app-user-client-outlives-request",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct AppUserClientOutlivesRequest;

const HELP: &str = "build the user's client in each request (or keep it per session in `st.session_state`); never share it between users";

impl Check for AppUserClientOutlivesRequest {
    const GRAIN: Grain = Grain::Project;

    fn check_project(&self, ctx: &RuleContext<'_, '_>) {
        let (project, dataflow) = (ctx.project, ctx.dataflow);
        // Objects an app builds at module level live as long as its process: every request
        // shares them, and so their attributes (`service = ChatService()`, then
        // `self.client = ...` in a method a handler calls).
        let mut long_lived: Vec<crate::project::ClassRef> = Vec::new();
        for file in project.file_indices() {
            if !ctx.is_app_code(file) {
                continue;
            }
            let module = obolint_python::semantic::ModuleModel::MODULE_SCOPE;
            for call in &project.model(file).scope(module).calls {
                if let Symbol::Class(class) = project.symbol(file, module, &call.func)
                    && !long_lived.contains(&class)
                {
                    long_lived.push(class);
                }
            }
        }
        for file in project.file_indices() {
            if !ctx.is_app_code(file) {
                continue;
            }
            let model = project.model(file);
            let id = project.file(file).id;
            let report = |range: TextRange, message: String, label: &str| {
                ctx.report(
                    ctx.diagnostic(message, Label::new(id, range, label))
                        .with_help(HELP),
                );
            };
            let reads = token_reads(project, file);
            for func in model.function_ids() {
                let info = model.function(func);
                // Cached functions: what they build from the user's token is kept for everyone.
                let streamlit =
                    handler(model, info.parent_scope, info.def) == Some(Handler::StreamlitCache);
                let cache = info.def.decorator_list.iter().find(|d| {
                    let callee = match &d.expression {
                        Expr::Call(call) => call.func.as_ref(),
                        other => other,
                    };
                    streamlit
                        && qualified(model, info.parent_scope, callee)
                            .iter()
                            .any(|n| n.starts_with("streamlit."))
                        || project.symbol(file, info.parent_scope, callee)
                            == Symbol::Known(KnownSymbol::CacheDecorator)
                });
                if let Some(decorator) = cache {
                    let body = info.def.range();
                    // A token or client passed as a (hashed) argument gives one entry per user.
                    let from_parameters = info.def.parameters.iter_non_variadic_params().any(|p| {
                        let v = dataflow.eval_name(file, info.scope, p.parameter.name.as_str());
                        v.is_possible_user() || v.is_possible_token()
                    });
                    let reads_inside = reads.iter().any(|r| body.contains_range(r.range))
                        || !from_parameters
                            && model.scope(info.scope).calls.iter().any(|call| {
                                dataflow
                                    .construction(file, info.scope, call)
                                    .is_some_and(|v| v.is_possible_user())
                            });
                    let unhashed = streamlit
                        && info.def.parameters.iter_non_variadic_params().any(|p| {
                            let name = p.parameter.name.as_str();
                            name.starts_with('_') && {
                                let v = dataflow.eval_name(file, info.scope, name);
                                v.is_possible_user() || v.is_possible_token()
                            }
                        });
                    if reads_inside || unhashed {
                        let how = if unhashed && !reads_inside {
                            "receives the user's client or token through an unhashed `_` parameter"
                        } else {
                            "builds from the user's forwarded token"
                        };
                        report(
                            decorator.range(),
                            format!(
                                "cached function `{}` {how}: the first caller's identity is kept for every user",
                                info.name
                            ),
                            "shared by every session",
                        );
                    }
                }
                let mut stores = Vec::new();
                collect_stores(&info.def.body, &mut stores);
                for store in stores {
                    match store {
                        Store::Assign { target, value } => {
                            if !outlives(project, dataflow, file, info.scope, value) {
                                continue;
                            }
                            if let Expr::Subscript(s) = target
                                && is_environ(project, file, info.scope, &s.value)
                            {
                                report(
                                    target.range(),
                                    "the user's token is written to `os.environ`, where every later request and subprocess reads it".into(),
                                    "process-wide",
                                );
                                continue;
                            }
                            // `flask.g` lives for one request.
                            if let Expr::Attribute(a) = target
                                && qualified(model, info.scope, &a.value)
                                    .iter()
                                    .any(|n| n == "flask.g")
                            {
                                continue;
                            }
                            // `self` of a module-level object, or `cls` of a classmethod.
                            let receiver = info.receiver.filter(|_| {
                                info.class.is_some_and(|class| {
                                    long_lived
                                        .contains(&crate::project::ClassRef { file, class })
                                        || info.def.decorator_list.iter().any(|d| {
                                            matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "classmethod")
                                        })
                                })
                            });
                            if let Some((what, label)) =
                                lasting_target(project, model, file, info.scope, receiver, target)
                            {
                                report(
                                    target.range(),
                                    format!(
                                        "the user's client or token stored {what}, where it outlives the request"
                                    ),
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
                                    format!(
                                        "the user's client or token stored {what}, where it outlives the request"
                                    ),
                                    label,
                                );
                            }
                        }
                    }
                }
                // `os.environ.update(...)`, `os.putenv(...)` with the token.
                for stmt in obolint_python::semantic::statements::flat_statements(&info.def.body) {
                    let Stmt::Expr(expr) = stmt else { continue };
                    let Expr::Call(call) = expr.value.as_ref() else {
                        continue;
                    };
                    let to_environ = matches!(call.func.as_ref(), Expr::Attribute(a)
                        if matches!(a.attr.as_str(), "update" | "setdefault")
                            && is_environ(project, file, info.scope, &a.value))
                        || qualified(model, info.scope, &call.func)
                            .iter()
                            .any(|n| n == "os.putenv");
                    if to_environ
                        && call
                            .arguments
                            .args
                            .iter()
                            .chain(call.arguments.keywords.iter().map(|k| &k.value))
                            .any(|a| outlives(project, dataflow, file, info.scope, a))
                    {
                        report(
                            call.range(),
                            "the user's token is written to `os.environ`, where every later request and subprocess reads it".into(),
                            "process-wide",
                        );
                    }
                }
            }
            // Process-wide setters and library caches, wherever they are called.
            for (scope, call) in all_calls(model) {
                let symbol = dataflow.symbol(file, scope, &call.func);
                if symbol == Symbol::Known(KnownSymbol::GlobalClientSetter)
                    && let Some(arg) = call.arguments.args.first()
                    && outlives(project, dataflow, file, scope, arg)
                {
                    report(
                        call.range(),
                        "the user's client is set process-wide: every later request runs as the first caller".into(),
                        "process-wide setter",
                    );
                }
                if let Symbol::Known(known) = symbol
                    && let Some(class) = crate::clients::of_symbol(known)
                    && let Some(keyword) = &class.shared_cache
                    && caches_user_client(project, dataflow, file, scope, call, class, keyword)
                {
                    report(
                        call.func.range(),
                        format!(
                            "`{}` keeps what it builds from the user's client in a cache shared by every caller: pass `{keyword}=False`",
                            class.class
                        ),
                        "cached across requests",
                    );
                }
            }
        }
    }
}
