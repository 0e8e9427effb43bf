//! OBO705 app-user-token-exposed.

use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::semantic::statements::flat_statements;
use obolint_python::semantic::{Resolution, ScopeId};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::user_credential_exposed::{LOG_METHODS, is_logger, qualified_sink};
use crate::analysis::dataflow::Dataflow;
use crate::analysis::forwarded::{Handler, handler, is_headers, qualified, reads_token};
use crate::context::{Check, FileContext, Grain};
use crate::project::{FileIdx, Project, Symbol, all_calls};

/// ## What it does
/// Reports, in a Databricks App, the user's forwarded token (`x-forwarded-access-token`), an app
/// user client's `config.token` or `config.authenticate()` headers, or a whole request-headers
/// mapping (`request.headers`, `st.context.headers`, `dict(headers)`, `headers.to_dict()`,
/// `headers.items()`) printed, logged, shown on the page (`st.write`, `st.json`, `st.code`...),
/// returned in a response, or put into an exception message.
///
/// ## Why is this bad?
/// The token acts as the user for its whole lifetime. In the app's logs it is readable by
/// everyone who can read them; on a page or in a response it leaves the server. Once user
/// authorization is on, every request's headers include the token, so dumping all headers
/// exposes it too.
///
/// ## Example
/// ```python
/// import streamlit as st
///
/// st.json(st.context.headers.to_dict())
/// ```
///
/// Use instead:
/// ```python
/// st.write(st.context.headers.get("x-forwarded-email"))
/// ```
///
/// ## Known problems
/// Header names (`headers.keys()`, `list(headers)`) and single non-secret headers
/// (`x-forwarded-email`, `x-forwarded-user`) are fine and not reported. The token is followed
/// through names, f-strings and concatenation within a function. Writing it to `os.environ` is
/// OBO702's finding.
///
/// ## References
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO705",
    name = "app-user-token-exposed",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct AppUserTokenExposed;

const STREAMLIT_SINKS: &[&str] = &[
    "write",
    "json",
    "code",
    "text",
    "markdown",
    "caption",
    "info",
    "error",
    "warning",
    "success",
    "exception",
    "dataframe",
    "table",
    "text_area",
    "text_input",
];

const RESPONSE_SINKS: &[&str] = &[
    "flask.jsonify",
    "flask.make_response",
    "flask.Response",
    "fastapi.responses.JSONResponse",
    "fastapi.responses.PlainTextResponse",
    "fastapi.responses.HTMLResponse",
    "starlette.responses.JSONResponse",
    "starlette.responses.PlainTextResponse",
];

/// Builtins whose result still holds their argument's text.
const PASS_ON: &[&str] = &["str", "repr", "dict", "format", "tuple"];

impl Check for AppUserTokenExposed {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
        if !ctx.is_app_code(file) {
            return;
        }
        let model = project.model(file);
        let id = project.file(file).id;
        let finder = Exposed {
            project,
            dataflow,
            file,
        };
        let report = |range: TextRange, sink: &str, source: TextRange| {
            let mut diagnostic = ctx
                .diagnostic(
                    format!("the user's forwarded token is {sink}"),
                    Label::new(id, range, "exposes the user's token"),
                )
                .with_help("show or log only what is not a credential (header names, `x-forwarded-email`); pass the token only to the client that needs it");
            if source != range {
                diagnostic = diagnostic.with_secondary(Label::new(id, source, "the user's token"));
            }
            ctx.report(diagnostic);
        };
        for (scope, call) in all_calls(model) {
            let sink = match dataflow.symbol(file, scope, &call.func) {
                Symbol::Unknown => {
                    let names = qualified(model, scope, &call.func);
                    if matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "print" && matches!(model.resolve_name(scope, "print"), Resolution::Unbound))
                    {
                        Some("printed")
                    } else if names.iter().any(|n| {
                        n.strip_prefix("streamlit.")
                            .map(|rest| rest.strip_prefix("sidebar.").unwrap_or(rest))
                            .is_some_and(|m| STREAMLIT_SINKS.contains(&m))
                    }) {
                        Some("shown on the page")
                    } else if names.iter().any(|n| RESPONSE_SINKS.contains(&n.as_str())) {
                        Some("sent in a response")
                    } else {
                        match call.func.as_ref() {
                            Expr::Attribute(a)
                                if LOG_METHODS.contains(&a.attr.as_str())
                                    && is_logger(project, model, file, scope, &a.value) =>
                            {
                                Some("logged")
                            }
                            _ => qualified_sink(project, file, scope, &call.func)
                                .filter(|s| *s == "logged"),
                        }
                    }
                }
                _ => None,
            };
            let Some(sink) = sink else { continue };
            for argument in call
                .arguments
                .args
                .iter()
                .chain(call.arguments.keywords.iter().map(|k| &k.value))
            {
                if let Some(source) = finder.find(scope, argument) {
                    report(call.range(), sink, source);
                    break;
                }
            }
        }
        // `raise X(token)`, and `return token` from a request handler.
        for func in model.function_ids() {
            let info = model.function(func);
            let request = handler(model, info.parent_scope, info.def) == Some(Handler::Request);
            for stmt in flat_statements(&info.def.body) {
                match stmt {
                    Stmt::Raise(raise) => {
                        if let Some(exc) = &raise.exc
                            && let Some(source) = finder.find(info.scope, exc)
                        {
                            report(exc.range(), "put into an exception message", source);
                        }
                    }
                    Stmt::Return(ret) if request => {
                        if let Some(value) = &ret.value
                            && let Some(source) = finder.find(info.scope, value)
                        {
                            report(value.range(), "returned in the response", source);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Finds the user's token, or a whole headers mapping, inside an expression.
struct Exposed<'p, 'a, 'd> {
    project: &'p Project<'a>,
    dataflow: &'d Dataflow<'p, 'a>,
    file: FileIdx,
}

impl Exposed<'_, '_, '_> {
    fn find(&self, scope: ScopeId, expr: &Expr) -> Option<TextRange> {
        struct Walker<'x, 'p, 'a, 'd> {
            exposed: &'x Exposed<'p, 'a, 'd>,
            scope: ScopeId,
            found: Option<TextRange>,
        }
        impl<'e> Visitor<'e> for Walker<'_, '_, '_, '_> {
            fn visit_expr(&mut self, expr: &'e Expr) {
                if self.found.is_some() {
                    return;
                }
                match self.exposed.source(self.scope, expr) {
                    Some(Some(range)) => self.found = Some(range),
                    // Not a credential, and nothing inside it is.
                    Some(None) => {}
                    None if matches!(expr, Expr::Lambda(_) | Expr::Compare(_)) => {}
                    None => visitor::walk_expr(self, expr),
                }
            }
        }
        let mut walker = Walker {
            exposed: self,
            scope,
            found: None,
        };
        walker.visit_expr(expr);
        walker.found
    }

    /// `Some(Some(range))`: `expr` is a credential; `Some(None)`: it is not and holds none;
    /// `None`: look inside.
    fn source(&self, scope: ScopeId, expr: &Expr) -> Option<Option<TextRange>> {
        let model = self.project.model(self.file);
        let user = |e: &Expr| self.dataflow.eval(self.file, scope, e).is_possible_user();
        match expr {
            Expr::Name(_) => {
                if self
                    .dataflow
                    .eval(self.file, scope, expr)
                    .is_possible_token()
                    || is_headers(model, scope, expr, 0)
                {
                    Some(Some(expr.range()))
                } else {
                    Some(None)
                }
            }
            // `"ok" if token else "none"`: the test is not shown.
            Expr::If(if_expr) => Some(
                self.find(scope, &if_expr.body)
                    .or_else(|| self.find(scope, &if_expr.orelse)),
            ),
            Expr::Subscript(_) if reads_token(model, scope, expr) => Some(Some(expr.range())),
            Expr::Subscript(s) if is_headers(model, scope, &s.value, 0) => Some(None),
            Expr::Call(call) => {
                if reads_token(model, scope, expr) {
                    return Some(Some(expr.range()));
                }
                if is_headers(model, scope, expr, 0) {
                    return Some(Some(expr.range()));
                }
                if let Expr::Attribute(method) = call.func.as_ref() {
                    if is_headers(model, scope, &method.value, 0) {
                        return Some(
                            matches!(
                                method.attr.as_str(),
                                "items" | "to_dict" | "copy" | "values" | "raw"
                            )
                            .then(|| expr.range()),
                        );
                    }
                    // `w.config.authenticate()` on an app user client.
                    if method.attr.as_str() == "authenticate"
                        && let Expr::Attribute(config) = method.value.as_ref()
                        && config.attr.as_str() == "config"
                        && user(&config.value)
                    {
                        return Some(Some(expr.range()));
                    }
                }
                // Only calls that pass the text on are looked into (`str(token)`,
                // `json.dumps(...)`, `"...".format(token)`); any other call makes something else
                // of its arguments.
                let passes_on = match call.func.as_ref() {
                    Expr::Name(n) => {
                        PASS_ON.contains(&n.id.as_str())
                            && matches!(
                                model.resolve_name(scope, n.id.as_str()),
                                Resolution::Unbound
                            )
                    }
                    Expr::Attribute(a) => {
                        matches!(a.attr.as_str(), "format" | "join" | "encode" | "dumps")
                    }
                    _ => false,
                };
                if !passes_on {
                    return Some(None);
                }
                None
            }
            Expr::Attribute(attribute) => {
                if attribute.attr.as_str() == "headers" {
                    return Some(Some(expr.range()));
                }
                if attribute.attr.as_str() == "token"
                    && let Expr::Attribute(config) = attribute.value.as_ref()
                    && config.attr.as_str() == "config"
                    && user(&config.value)
                {
                    return Some(Some(expr.range()));
                }
                Some(None)
            }
            _ => None,
        }
    }
}
