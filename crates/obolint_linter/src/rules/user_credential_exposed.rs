//! OBO106 user-credential-exposed.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Diagnostic, Label};
use obolint_macros::rule;
use obolint_python::semantic::{ModuleModel, Resolution, ScopeId, Value};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{ExceptHandler, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::analysis::dataflow::{ClientValue, Dataflow};
use crate::project::{FileIdx, FnRef, Project, Symbol};

/// ## What it does
/// Reports the caller's token or auth headers (from `w.config.authenticate()` or `w.config.token`
/// on a user client, or anything called on an OBO strategy object, such as `creds(cfg)` or
/// `creds.token()`) written to `os.environ`, printed or logged (`print`, `logging`, a
/// `logging.getLogger(...)` logger), put into an exception message, or returned from a request
/// method.
///
/// ## Why is this bad?
/// The token acts as the end user for its whole lifetime. In the environment it is inherited by
/// every later request and subprocess; in logs and error messages it is readable by whoever reads
/// the serving endpoint's logs; in a response it leaves the service.
///
/// ## Example
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     os.environ["DATABRICKS_TOKEN"] = w.config.token
/// ```
///
/// Use instead:
/// ```python
/// def predict(self, request):
///     w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
///     answer = GenieAgent(genie_space_id="01ef", client=w).invoke(...)
/// ```
///
/// ## Known problems
/// The token is followed through names, subscripts, f-strings and concatenations within a
/// function, not through calls into other functions.
///
/// ## References
/// - [Databricks: on-behalf-of-user authentication](https://docs.databricks.com/aws/en/generative-ai/agent-framework/agent-authentication)
#[rule(
    code = "OBO106",
    name = "user-credential-exposed",
    severity = "error",
    default = true,
    fix = "none"
)]
pub struct UserCredentialExposed;

pub(crate) const LOG_METHODS: &[&str] = &[
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "log",
];

impl Check for UserCredentialExposed {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
        // App code is OBO705's (the Apps twin of this rule). Every credential this rule finds
        // is a user client's or an OBO strategy's: a project that cannot hold one has none
        // (debug builds check on, so that the dataflow's assertion sees every value evaluated).
        if ctx.is_app_code(file)
            || (!cfg!(debug_assertions) && !project.may_hold_user_credentials())
        {
            return;
        }

        let model = project.model(file);
        let id = project.file(file).id;
        let finder = Credentials {
            project,
            dataflow,
            file,
            held: std::cell::RefCell::default(),
        };
        let report = |range: TextRange, sink: &str, source: Option<TextRange>| {
            let info = &UserCredentialExposed::INFO;
            let mut d = Diagnostic::new(
                info.meta,
                info.severity,
                format!("the caller's credentials are {sink}"),
                Label::new(id, range, "exposes the end user's token"),
            )
            .with_help("pass the user client to the library that needs it instead of its token");
            if let Some(source) = source {
                d = d.with_secondary(Label::new(id, source, "the caller's credentials"));
            }
            ctx.report(d);
        };
        // One walk of the file's statements finds its imports and the statements that can be
        // sinks, in the order they are checked below (after the calls).
        let mut imports_sinks = false;
        let mut statements: Vec<(ScopeId, &Stmt, bool)> = Vec::new();
        let bodies = std::iter::once((ModuleModel::MODULE_SCOPE, model.body, false)).chain(
            model.function_ids().map(|func| {
                let info = model.function(func);
                // Request roots are sorted.
                let request_root = ctx
                    .time
                    .request_roots
                    .binary_search(&FnRef { file, func })
                    .is_ok();
                (info.scope, &info.def.body[..], request_root)
            }),
        );
        for (scope, body, request_root) in bodies {
            for_each_statement(body, &mut |stmt| {
                imports_sinks = imports_sinks || imports_logging_or_os(model, stmt);
                let sink = match stmt {
                    Stmt::Assign(assign) => assign
                        .targets
                        .iter()
                        .any(|t| matches!(t, Expr::Subscript(_))),
                    Stmt::Raise(raise) => raise.exc.is_some(),
                    Stmt::Return(ret) => request_root && ret.value.is_some(),
                    _ => false,
                };
                if sink {
                    statements.push((scope, stmt, request_root));
                }
            });
        }
        // Class bodies hold no sink this rule checks, but can import.
        if !imports_sinks {
            for class in model.class_ids() {
                for_each_statement(&model.class(class).def.body, &mut |stmt| {
                    imports_sinks = imports_sinks || imports_logging_or_os(model, stmt);
                });
            }
        }
        // Every sink but `print` is named through `logging` or `os` (a logger, `os.environ`,
        // `os.putenv`): in a file that imports neither, only calls of `print` can be sinks.
        // Calls: print, logging, os.environ.update/setdefault, os.putenv.
        for (scope, call) in crate::project::all_calls(model) {
            if !imports_sinks
                && !matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "print")
            {
                continue;
            }
            // Every sink called through an attribute ends in one of these names (what a dotted
            // callee means ends in its attribute): the others are skipped before resolving.
            if let Expr::Attribute(a) = call.func.as_ref()
                && !is_sink_attribute(a.attr.as_str())
            {
                continue;
            }
            let sink = match dataflow.symbol(file, scope, &call.func) {
                Symbol::Unknown if matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "print" && matches!(model.resolve_name(scope, "print"), Resolution::Unbound)) => {
                    Some("printed")
                }
                Symbol::Unknown => match call.func.as_ref() {
                    Expr::Attribute(a)
                        if LOG_METHODS.contains(&a.attr.as_str())
                            && is_logger(project, model, file, scope, &a.value) =>
                    {
                        Some("logged")
                    }
                    Expr::Attribute(a)
                        if matches!(a.attr.as_str(), "update" | "setdefault")
                            && is_environ(project, file, scope, &a.value) =>
                    {
                        Some("written to `os.environ`")
                    }
                    _ => None,
                },
                _ => None,
            };
            let sink = sink.or_else(|| qualified_sink(project, file, scope, &call.func));
            let Some(sink) = sink else { continue };
            let arguments = call
                .arguments
                .args
                .iter()
                .chain(call.arguments.keywords.iter().map(|k| &k.value));
            for argument in arguments {
                if let Some(source) = finder.find(scope, argument, 0) {
                    report(call.range(), sink, Some(source));
                    break;
                }
            }
        }
        // Statements: `os.environ[...] = token`, `raise X(token)`, `return token` from a request method.
        for (scope, stmt, request_root) in statements {
            match stmt {
                Stmt::Assign(assign) => {
                    // `os.environ` is named through an import of `os`.
                    let to_environ = imports_sinks && assign.targets.iter().any(|t| matches!(t, Expr::Subscript(s) if is_environ(project, file, scope, &s.value)));
                    if to_environ && let Some(source) = finder.find(scope, &assign.value, 0) {
                        report(assign.range(), "written to `os.environ`", Some(source));
                    }
                }
                Stmt::Raise(raise) => {
                    if let Some(exc) = &raise.exc
                        && let Some(source) = finder.find(scope, exc, 0)
                    {
                        report(exc.range(), "put into an exception message", Some(source));
                    }
                }
                Stmt::Return(ret) if request_root => {
                    if let Some(value) = &ret.value
                        && let Some(source) = finder.find(scope, value, 0)
                    {
                        report(value.range(), "returned in the response", Some(source));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Every statement of `body` that runs when the body runs, in source order, as
/// [`flat_statements`](obolint_python::semantic::statements::flat_statements) lists them (into
/// compound statements, not into nested `def`s and classes), without collecting them.
fn for_each_statement<'a>(body: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for stmt in body {
        f(stmt);
        match stmt {
            Stmt::If(s) => {
                for_each_statement(&s.body, f);
                for clause in &s.elif_else_clauses {
                    for_each_statement(&clause.body, f);
                }
            }
            Stmt::For(s) => {
                for_each_statement(&s.body, f);
                for_each_statement(&s.orelse, f);
            }
            Stmt::While(s) => {
                for_each_statement(&s.body, f);
                for_each_statement(&s.orelse, f);
            }
            Stmt::With(s) => for_each_statement(&s.body, f),
            Stmt::Try(s) => {
                for_each_statement(&s.body, f);
                for handler in &s.handlers {
                    let ExceptHandler::ExceptHandler(h) = handler;
                    for_each_statement(&h.body, f);
                }
                for_each_statement(&s.orelse, f);
                for_each_statement(&s.finalbody, f);
            }
            Stmt::Match(s) => {
                for case in &s.cases {
                    for_each_statement(&case.body, f);
                }
            }
            _ => {}
        }
    }
}

/// Whether `stmt` imports `logging` or `os` or something in them. Every qualified name a name
/// or dotted name of a file means starts with what one of its import statements binds (then
/// `.attribute`s), and every statement of the file is in the body of its module, a function or
/// a class: in a file none of whose statements does, no name means `logging.*`, `os.environ`
/// or `os.putenv`.
fn imports_logging_or_os(model: &ModuleModel<'_>, stmt: &Stmt) -> bool {
    // A qualified name is `logging` or `logging.*` exactly when its first dotted part is.
    let sink_module = |q: &str| matches!(q.split('.').next(), Some("logging" | "os"));
    match stmt {
        // `import a.b` binds `a` to `a`, `import a.b as c` binds `c` to `a.b`.
        Stmt::Import(import) => import.names.iter().any(|a| sink_module(a.name.as_str())),
        // An absolute import's name is `module.name` (or `name`): its first part is the
        // module's. A relative one is made as resolving makes it.
        Stmt::ImportFrom(import) => {
            let module = import.module.as_ref().map_or("", |m| m.as_str());
            if import.level == 0 {
                if module.is_empty() {
                    import.names.iter().any(|a| sink_module(a.name.as_str()))
                } else {
                    sink_module(module)
                }
            } else {
                import.names.iter().any(|a| {
                    model
                        .absolute_import(import.level, module, a.name.as_str())
                        .is_some_and(|q| sink_module(&q))
                })
            }
        }
        _ => false,
    }
}

/// The last name of every sink reached through an attribute: a logging method,
/// `os.environ.update`/`setdefault`, `os.putenv`.
fn is_sink_attribute(attr: &str) -> bool {
    LOG_METHODS.contains(&attr) || matches!(attr, "update" | "setdefault" | "putenv")
}

pub(crate) fn qualified_sink(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    callee: &Expr,
) -> Option<&'static str> {
    let model = project.model(file);
    match model.meaning(scope, callee) {
        obolint_python::semantic::NameMeaning::Qualified(names) => {
            let name = names.first()?;
            if let Some(method) = name.strip_prefix("logging.")
                && LOG_METHODS.contains(&method)
            {
                return Some("logged");
            }
            matches!(
                name.as_str(),
                "os.putenv" | "os.environ.update" | "os.environ.setdefault"
            )
            .then_some("written to `os.environ`")
        }
        _ => None,
    }
}

pub(crate) fn is_environ(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    expr: &Expr,
) -> bool {
    matches!(project.model(file).meaning(scope, expr), obolint_python::semantic::NameMeaning::Qualified(names) if names.iter().any(|n| n == "os.environ"))
}

/// A name bound to `logging.getLogger(...)`.
pub(crate) fn is_logger(
    project: &Project<'_>,
    model: &ModuleModel<'_>,
    file: FileIdx,
    scope: ScopeId,
    expr: &Expr,
) -> bool {
    let Expr::Name(name) = expr else { return false };
    match model.resolve_name(scope, name.id.as_str()) {
        Resolution::Values(found, values) => values.iter().any(|v| match v {
            Value::Expr(Expr::Call(call)) => matches!(
                model.meaning(found, &call.func),
                obolint_python::semantic::NameMeaning::Qualified(names) if names.iter().any(|n| n == "logging.getLogger")
            ),
            _ => false,
        }),
        _ => {
            let _ = (project, file);
            false
        }
    }
}

/// A value computed from credentials that is not one: a count, a length, a boolean, a type, a
/// name (`len(token)`, `token is None`, `bool(headers)`, `tool.name`, `headers.keys()`).
fn not_a_credential(expr: &Expr) -> bool {
    match expr {
        Expr::Compare(_) | Expr::BooleanLiteral(_) | Expr::NumberLiteral(_) => true,
        Expr::UnaryOp(op) => op.op == ruff_python_ast::UnaryOp::Not,
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Name(name) => matches!(
                name.id.as_str(),
                "len"
                    | "bool"
                    | "int"
                    | "float"
                    | "isinstance"
                    | "type"
                    | "id"
                    | "hash"
                    | "callable"
                    | "hasattr"
                    | "any"
                    | "all"
                    | "sum"
            ),
            Expr::Attribute(method) => matches!(
                method.attr.as_str(),
                "keys" | "startswith" | "endswith" | "count" | "isalnum" | "isdigit"
            ),
            _ => false,
        },
        Expr::Attribute(attribute) => matches!(
            attribute.attr.as_str(),
            "name" | "__name__" | "__class__" | "description" | "host"
        ),
        _ => false,
    }
}

/// Finds the caller's credentials inside an expression.
struct Credentials<'p, 'a, 'd> {
    project: &'p Project<'a>,
    dataflow: &'d Dataflow<'p, 'a>,
    file: FileIdx,
    /// What each value a name holds was found to hold, by scope, value and depth: a value that
    /// names another several times, level after level, is searched once per depth, not once
    /// per mention.
    held: std::cell::RefCell<rustc_hash::FxHashMap<(ScopeId, usize, u32), Option<TextRange>>>,
}

impl Credentials<'_, '_, '_> {
    fn is_user(&self, scope: ScopeId, expr: &Expr) -> bool {
        self.dataflow
            .eval(self.file, scope, expr)
            .is_possible_user()
    }

    /// The range of a credential source in `expr`, if any.
    fn find(&self, scope: ScopeId, expr: &Expr, depth: u32) -> Option<TextRange> {
        struct Walker<'c, 'p, 'a, 'd> {
            credentials: &'c Credentials<'p, 'a, 'd>,
            scope: ScopeId,
            depth: u32,
            found: Option<TextRange>,
        }
        impl<'e> Visitor<'e> for Walker<'_, '_, '_, '_> {
            fn visit_expr(&mut self, expr: &'e Expr) {
                if self.found.is_some() {
                    return;
                }
                if not_a_credential(expr) {
                    return;
                }
                if let Some(range) = self.credentials.source(self.scope, expr, self.depth) {
                    self.found = Some(range);
                    return;
                }
                match expr {
                    Expr::Lambda(_) => {}
                    // What a comprehension makes is its element: `[t.name for t in tools]` holds
                    // names, whatever `tools` holds.
                    Expr::ListComp(c) if not_a_credential(&c.elt) => {}
                    Expr::SetComp(c) if not_a_credential(&c.elt) => {}
                    Expr::Generator(c) if not_a_credential(&c.elt) => {}
                    _ => visitor::walk_expr(self, expr),
                }
            }
        }
        let mut walker = Walker {
            credentials: self,
            scope,
            depth,
            found: None,
        };
        walker.visit_expr(expr);
        walker.found
    }

    /// `expr` itself is a credential: `w.config.authenticate()`, `w.config.token`, a call on an
    /// OBO strategy, or a name holding one of those.
    fn source(&self, scope: ScopeId, expr: &Expr, depth: u32) -> Option<TextRange> {
        match expr {
            Expr::Call(call) => {
                if let Expr::Attribute(method) = call.func.as_ref()
                    && method.attr.as_str() == "authenticate"
                    && let Expr::Attribute(config) = method.value.as_ref()
                    && config.attr.as_str() == "config"
                    && self.is_user(scope, &config.value)
                {
                    return Some(expr.range());
                }
                // `creds(cfg)`, `creds.token()`: anything called on the strategy object itself.
                let target = match call.func.as_ref() {
                    Expr::Attribute(a) => a.value.as_ref(),
                    other => other,
                };
                if matches!(target, Expr::Name(_))
                    && matches!(
                        self.dataflow.eval(self.file, scope, target),
                        ClientValue::Strategy { .. }
                    )
                {
                    return Some(expr.range());
                }
                None
            }
            Expr::Attribute(attribute)
                if attribute.attr.as_str() == "token"
                    && matches!(attribute.value.as_ref(), Expr::Attribute(config) if config.attr.as_str() == "config" && self.is_user(scope, &config.value)) =>
            {
                Some(expr.range())
            }
            Expr::Name(name) if depth < 4 => match self
                .project
                .model(self.file)
                .resolve_name(scope, name.id.as_str())
            {
                Resolution::Values(found, values) => values.iter().find_map(|v| match v {
                    Value::Expr(e) => {
                        let key = (found, std::ptr::from_ref::<Expr>(e) as usize, depth + 1);
                        if let Some(known) = self.held.borrow().get(&key) {
                            return *known;
                        }
                        let range = self.find(found, e, depth + 1);
                        self.held.borrow_mut().insert(key, range);
                        range
                    }
                    _ => None,
                }),
                _ => None,
            },
            _ => None,
        }
    }
}
