//! OBO704 silent-service-principal-fallback.

use obolint_diagnostics::Label;
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;
use obolint_python::semantic::ScopeId;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt, UnaryOp};
use ruff_text_size::{Ranged, TextRange};

use crate::analysis::dataflow::Dataflow;
use crate::analysis::forwarded::reads_token;
use crate::context::{Check, FileContext, Grain};
use crate::project::{FileIdx, Project, Symbol};

/// Environment variables the Apps runtime sets: a test on them tells a deployed app from a
/// laptop.
const APP_ENV: &[&str] = &[
    "DATABRICKS_APP_NAME",
    "DATABRICKS_APP_PORT",
    "DATABRICKS_APP_URL",
];

/// ## What it does
/// Reports, in a Databricks App, a plain `WorkspaceClient()`/`Config()` (the app's own service
/// principal) built where the user's forwarded token is missing or empty, when the code then goes
/// on instead of failing.
///
/// ## Why is this bad?
/// The token is missing whenever user authorization is misconfigured (no `user_api_scopes`,
/// forwarding off, an expired consent). The fallback then silently serves every user the
/// service principal's data, and nobody notices the app no longer acts as its users.
///
/// ## Example
/// ```python
/// token = st.context.headers.get("x-forwarded-access-token")
/// if token:
///     w = WorkspaceClient(token=token, auth_type="pat")
/// else:
///     w = WorkspaceClient()
/// ```
///
/// Use instead:
/// ```python
/// token = st.context.headers.get("x-forwarded-access-token")
/// if not token:
///     st.error("Sign-in is required")
///     st.stop()
/// w = WorkspaceClient(token=token, auth_type="pat")
/// ```
///
/// ## Known problems
/// A fallback guarded by a local-development test (`DATABRICKS_APP_NAME` or
/// `DATABRICKS_APP_PORT` unset: `databricks apps run-local` sends no header, or a name listed in
/// config `local-dev-guards`, such as `is_local()` or `"MY_APP_ENV"`) is fine and not reported,
/// nor a branch that raises or answers 401/403.
///
/// ## References
/// - [databricks/databricks-ai-bridge#603: fail closed instead of falling back to the app's service principal](https://github.com/databricks/databricks-ai-bridge/pull/603)
/// - [Databricks Apps: user authorization](https://docs.databricks.com/aws/en/dev-tools/databricks-apps/auth)
#[rule(
    code = "OBO704",
    name = "silent-service-principal-fallback",
    severity = "warning",
    default = true,
    fix = "none"
)]
pub struct SilentServicePrincipalFallback;

impl Check for SilentServicePrincipalFallback {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);
        if !ctx.is_app_code(file) {
            return;
        }
        let model = project.model(file);
        let id = project.file(file).id;
        let mut bodies: Vec<(ScopeId, &[Stmt])> = vec![(
            obolint_python::semantic::ModuleModel::MODULE_SCOPE,
            model.body,
        )];
        for func in model.function_ids() {
            let info = model.function(func);
            bodies.push((info.scope, &info.def.body));
        }
        let mut found: Vec<TextRange> = Vec::new();
        for (scope, body) in bodies {
            let mut walker = Fallbacks {
                project,
                dataflow,
                file,
                scope,
                guarded: 0,
                found: &mut found,
            };
            walker.body(body);
        }
        found.sort_by_key(|r| r.start());
        found.dedup();
        for range in found {
            ctx.report(
                ctx.diagnostic(
                    "without the user's token this falls back to the app's service principal and goes on: every user silently gets its data",
                    Label::new(id, range, "the app's own identity"),
                )
                .with_help("fail closed in a deployed app (raise, or answer 401); fall back only when `DATABRICKS_APP_NAME` is unset (local development)"),
            );
        }
    }
}

struct Fallbacks<'x, 'p, 'a, 'd> {
    project: &'p Project<'a>,
    dataflow: &'d Dataflow<'p, 'a>,
    file: FileIdx,
    scope: ScopeId,
    /// Depth of enclosing local-development tests.
    guarded: u32,
    found: &'x mut Vec<TextRange>,
}

/// What a test says about the token: `Some(true)` when its true branch has the token
/// (`if token`), `Some(false)` when its true branch lacks it (`if not token`, `if token is None`).
fn token_test(f: &Fallbacks<'_, '_, '_, '_>, test: &Expr) -> Option<bool> {
    match test {
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => token_test(f, &u.operand).map(|b| !b),
        // `if debug and not token:`: the true branch lacks the token.
        Expr::BoolOp(b) if b.op == ruff_python_ast::BoolOp::And => b
            .values
            .iter()
            .any(|v| token_test(f, v) == Some(false))
            .then_some(false),
        Expr::Compare(c) if c.comparators.len() == 1 => {
            let is_none = matches!(c.comparators[0], Expr::NoneLiteral(_))
                || matches!(&c.comparators[0], Expr::StringLiteral(s) if s.value.to_str().is_empty());
            if !is_none || !f.is_token(&c.left) {
                return None;
            }
            match c.ops[0] {
                ruff_python_ast::CmpOp::Is | ruff_python_ast::CmpOp::Eq => Some(false),
                ruff_python_ast::CmpOp::IsNot | ruff_python_ast::CmpOp::NotEq => Some(true),
                _ => None,
            }
        }
        other => f.is_token(other).then_some(true),
    }
}

/// The test mentions an Apps runtime variable, or a configured `local-dev-guards` name (an
/// environment variable as a string, or a function or variable by its name): a
/// local-development guard.
fn mentions_app_env(expr: &Expr, guards: &[String]) -> bool {
    struct Finder<'g>(bool, &'g [String]);
    impl<'e> Visitor<'e> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            let configured = |name: &str| {
                self.1
                    .iter()
                    .any(|g| g == name || g.rsplit('.').next() == Some(name))
            };
            match expr {
                Expr::StringLiteral(s)
                    if APP_ENV.contains(&s.value.to_str()) || configured(s.value.to_str()) =>
                {
                    self.0 = true;
                }
                Expr::Name(n) if configured(n.id.as_str()) => self.0 = true,
                Expr::Attribute(a) if configured(a.attr.as_str()) => self.0 = true,
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder(false, guards);
    finder.visit_expr(expr);
    finder.0
}

/// The branch fails closed: it raises, or answers 401/403 (`abort(401)`, `HTTPException(403)`,
/// `st.stop()` after an error).
fn fails_closed(body: &[Stmt]) -> bool {
    struct Finder(bool);
    impl<'e> Visitor<'e> for Finder {
        fn visit_stmt(&mut self, stmt: &'e Stmt) {
            if matches!(stmt, Stmt::Raise(_)) {
                self.0 = true;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'e Expr) {
            if let Expr::NumberLiteral(n) = expr
                && let ruff_python_ast::Number::Int(i) = &n.value
                && matches!(i.as_u16(), Some(401 | 403))
            {
                self.0 = true;
            }
            if let Expr::Call(call) = expr
                && let Expr::Attribute(a) = call.func.as_ref()
                && a.attr.as_str() == "stop"
            {
                self.0 = true;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder(false);
    for stmt in body {
        finder.visit_stmt(stmt);
    }
    finder.0
}

impl Fallbacks<'_, '_, '_, '_> {
    fn is_token(&self, expr: &Expr) -> bool {
        reads_token(self.project.model(self.file), self.scope, expr)
            || matches!(expr, Expr::Name(_))
                && self
                    .dataflow
                    .eval(self.file, self.scope, expr)
                    .is_possible_token()
    }

    /// A plain client: `WorkspaceClient()`/`Config()` given no token and no credentials.
    fn plain_client(&self, call: &ExprCall) -> bool {
        matches!(
            self.dataflow.symbol(self.file, self.scope, &call.func),
            Symbol::Known(KnownSymbol::WorkspaceClient | KnownSymbol::Config)
        ) && call.arguments.find_keyword("token").is_none()
            && self
                .dataflow
                .construction(self.file, self.scope, call)
                .is_some_and(|v| {
                    matches!(v, crate::analysis::dataflow::ClientValue::NotUser { .. })
                })
    }

    /// Plain clients built in `body` (not in nested functions).
    fn clients_in(&mut self, body: &[Stmt]) -> Vec<TextRange> {
        struct Finder<'f, 'x, 'p, 'a, 'd>(&'f Fallbacks<'x, 'p, 'a, 'd>, Vec<TextRange>);
        impl<'e> Visitor<'e> for Finder<'_, '_, '_, '_, '_> {
            fn visit_stmt(&mut self, stmt: &'e Stmt) {
                if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                    return;
                }
                visitor::walk_stmt(self, stmt);
            }
            fn visit_expr(&mut self, expr: &'e Expr) {
                if let Expr::Call(call) = expr
                    && self.0.plain_client(call)
                {
                    self.1.push(call.func.range());
                }
                if !matches!(expr, Expr::Lambda(_)) {
                    visitor::walk_expr(self, expr);
                }
            }
        }
        let mut finder = Finder(self, Vec::new());
        for stmt in body {
            finder.visit_stmt(stmt);
        }
        finder.1
    }

    fn fallback(&mut self, branch: &[Stmt]) {
        if self.guarded > 0 || fails_closed(branch) {
            return;
        }
        let found = self.clients_in(branch);
        self.found.extend(found);
    }

    fn body(&mut self, body: &[Stmt]) {
        // What the rest of `body` after an `if token: return` is: each rest holds the later
        // ones, so once one is taken as a fallback the later ones add nothing; and a rest fails
        // closed when one of its statements does, so the last such statement tells it for every
        // rest (each rest read again would cost the number of `if`s times the body's length).
        let mut rest_taken = false;
        let mut last_closed: Option<Option<usize>> = None;
        for (index, stmt) in body.iter().enumerate() {
            match stmt {
                Stmt::If(if_stmt) => {
                    let guard =
                        mentions_app_env(&if_stmt.test, &self.project.settings.local_dev_guards);
                    if guard {
                        self.guarded += 1;
                    }
                    match token_test(self, &if_stmt.test) {
                        // `if token: ... else: <fallback>`
                        Some(true) => {
                            if let Some(clause) = if_stmt.elif_else_clauses.first()
                                && clause.test.is_none()
                            {
                                self.fallback(&clause.body);
                            } else if if_stmt.elif_else_clauses.is_empty()
                                && matches!(if_stmt.body.last(), Some(Stmt::Return(_)))
                            {
                                // `if token: return <user client>` then the rest of the body
                                // runs without it.
                                if !guard && !rest_taken && self.guarded == 0 {
                                    let last = *last_closed.get_or_insert_with(|| {
                                        body.iter()
                                            .rposition(|s| fails_closed(std::slice::from_ref(s)))
                                    });
                                    if last.is_none_or(|last| last <= index) {
                                        let found = self.clients_in(&body[index + 1..]);
                                        self.found.extend(found);
                                        rest_taken = true;
                                    }
                                }
                            }
                        }
                        // `if not token: <fallback>` (then the rest of the body has it).
                        Some(false) => self.fallback(&if_stmt.body),
                        None => {}
                    }
                    self.body(&if_stmt.body);
                    for clause in &if_stmt.elif_else_clauses {
                        // `elif not token: <fallback>`
                        if let Some(test) = &clause.test
                            && !mentions_app_env(test, &self.project.settings.local_dev_guards)
                            && token_test(self, test) == Some(false)
                        {
                            self.fallback(&clause.body);
                        }
                        self.body(&clause.body);
                    }
                    if guard {
                        self.guarded -= 1;
                    }
                }
                Stmt::With(with) => self.body(&with.body),
                Stmt::Try(t) => {
                    self.body(&t.body);
                    for handler in &t.handlers {
                        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                        self.body(&h.body);
                    }
                    self.body(&t.orelse);
                    self.body(&t.finalbody);
                }
                Stmt::For(f) => self.body(&f.body),
                Stmt::While(w) => self.body(&w.body),
                _ => {}
            }
            // `w = WorkspaceClient(token=t, auth_type="pat") if t else WorkspaceClient()`
            self.conditional_expressions(stmt);
        }
    }

    fn conditional_expressions(&mut self, stmt: &Stmt) {
        let value = match stmt {
            Stmt::Assign(a) => &a.value,
            Stmt::Return(r) => match &r.value {
                Some(v) => v,
                None => return,
            },
            Stmt::AnnAssign(a) => match &a.value {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
        let Expr::If(if_expr) = value.as_ref() else {
            return;
        };
        if self.guarded > 0
            || mentions_app_env(&if_expr.test, &self.project.settings.local_dev_guards)
        {
            return;
        }
        let branch = match token_test(self, &if_expr.test) {
            Some(true) => &if_expr.orelse,
            Some(false) => &if_expr.body,
            None => return,
        };
        if let Expr::Call(call) = branch.as_ref()
            && self.plain_client(call)
        {
            self.found.push(call.func.range());
        }
    }
}
