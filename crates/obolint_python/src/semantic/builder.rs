//! One walk over a file's statements that fills a [`ModuleModel`].

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Parameters, Stmt};
use ruff_text_size::Ranged;
use rustc_hash::FxHashMap;

use super::{
    Binding, BindingKind, ClassId, ClassInfo, FunctionId, FunctionInfo, ModuleModel,
    OBO_IMPORTED_NAMES, Scope, ScopeId, ScopeKind, TOKEN_HEADER, TOKEN_PARAMETER, Value,
    is_main_guard, user_credential_word,
};

pub(super) fn build(body: &[Stmt], package: Vec<String>) -> ModuleModel<'_> {
    let mut builder = Builder {
        model: ModuleModel {
            package,
            body,
            scopes: vec![new_scope(ScopeKind::Module, None)],
            functions: Vec::new(),
            classes: Vec::new(),
            lambdas: Vec::new(),
            names_user_credentials: false,
            imports_obo_names: false,
            main_guards: body
                .iter()
                .filter(|s| is_main_guard(s))
                .map(Ranged::range)
                .collect(),
        },
        current: ModuleModel::MODULE_SCOPE,
        try_depth: 0,
        nesting: 0,
    };
    builder.visit_body(body);
    // The model lives as long as its root is analysed, beside every other file's: the room
    // its vectors grew into is given back (a quarter of the scopes' and functions' memory).
    let model = &mut builder.model;
    for scope in &mut model.scopes {
        scope.bindings.shrink_to_fit();
        scope.calls.shrink_to_fit();
    }
    for function in &mut model.functions {
        function.returns.shrink_to_fit();
    }
    model.scopes.shrink_to_fit();
    model.functions.shrink_to_fit();
    model.classes.shrink_to_fit();
    model.lambdas.shrink_to_fit();
    builder.model
}

fn new_scope<'a>(kind: ScopeKind, parent: Option<ScopeId>) -> Scope<'a> {
    Scope::new(kind, parent)
}

struct Builder<'a> {
    model: ModuleModel<'a>,
    current: ScopeId,
    try_depth: u32,
    /// How deep the walk is in nested statements and expressions.
    nesting: u32,
}

/// Deeper than this, the walk stops descending: CPython refuses far shallower code (its parser
/// and compiler limits are in the hundreds), and only generated files get here. What lies deeper
/// is not modelled, which makes the checks that would need it stay silent.
const MAX_NESTING: u32 = 1_000;

impl<'a> Builder<'a> {
    fn push_scope(&mut self, kind: ScopeKind) -> ScopeId {
        self.model.scopes.push(new_scope(kind, Some(self.current)));
        ScopeId((self.model.scopes.len() - 1) as u32)
    }

    fn bind(&mut self, name: &'a str, kind: BindingKind<'a>, range: ruff_text_size::TextRange) {
        let mut scope = self.current;
        if self.model.scope(scope).is_global(name) {
            scope = ModuleModel::MODULE_SCOPE;
        }
        let binding = Binding {
            kind,
            range,
            in_try: self.try_depth > 0,
        };
        self.model.scopes[scope.0 as usize]
            .bindings
            .push(name, binding);
    }

    /// The method this scope is the body of, with its class and receiver name.
    fn current_method(&self) -> Option<(ClassId, &'a str)> {
        let function = self.model.function_of_scope(self.current)?;
        let info = self.model.function(function);
        Some((info.class?, info.receiver?))
    }

    fn bind_target(&mut self, target: &'a Expr, value: Value<'a>) {
        match target {
            Expr::Name(name) => {
                self.bind(name.id.as_str(), BindingKind::Assignment(value), name.range)
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                let starred = elts.iter().any(Expr::is_starred_expr);
                for (index, element) in elts.iter().enumerate() {
                    let element_value = match value {
                        Value::Expr(expr) if !starred => Value::Element(expr, index),
                        _ => Value::Unknown,
                    };
                    self.bind_target(element, element_value);
                }
            }
            Expr::Starred(starred) => self.bind_target(&starred.value, Value::Unknown),
            Expr::Subscript(subscript) => {
                if let (Expr::Name(container), Value::Expr(value)) =
                    (subscript.value.as_ref(), value)
                {
                    let key = match subscript.slice.as_ref() {
                        Expr::StringLiteral(literal) => Some(literal.value.to_str()),
                        _ => None,
                    };
                    let scope = self.current;
                    self.model.scopes[scope.0 as usize]
                        .add_item_store(container.id.as_str(), super::ItemStore { key, value });
                }
            }
            Expr::Attribute(attribute) => {
                if let (Expr::Name(receiver), Some((class, self_name))) =
                    (attribute.value.as_ref(), self.current_method())
                    && receiver.id.as_str() == self_name
                {
                    self.model.classes[class.0 as usize]
                        .attribute_stores
                        .entry(attribute.attr.as_str())
                        .or_default()
                        .push((self.current, value));
                }
            }
            _ => {}
        }
    }

    fn bind_parameters(&mut self, parameters: &'a Parameters) {
        for parameter in parameters.iter() {
            let name = parameter.name();
            if name.as_str().eq_ignore_ascii_case(TOKEN_PARAMETER) {
                self.model.names_user_credentials = true;
            }
            self.bind(name.as_str(), BindingKind::Parameter, name.range);
        }
    }

    /// Default values and annotations run where the `def`/`lambda` stands.
    fn visit_parameter_defaults(&mut self, parameters: &'a Parameters) {
        for parameter in parameters.iter_non_variadic_params() {
            if let Some(default) = parameter.default() {
                self.visit_expr(default);
            }
            if let Some(annotation) = parameter.parameter.annotation() {
                self.visit_annotation(annotation);
            }
        }
    }

    fn visit_function_def(&mut self, def: &'a ast::StmtFunctionDef) {
        for decorator in &def.decorator_list {
            self.visit_decorator(decorator);
        }
        self.visit_parameter_defaults(&def.parameters);
        if let Some(returns) = &def.returns {
            self.visit_annotation(returns);
        }
        let class = match self.model.scope(self.current).kind {
            ScopeKind::Class(class) => Some(class),
            _ => None,
        };
        let receiver = class
            .and_then(|_| {
                def.parameters
                    .posonlyargs
                    .iter()
                    .chain(&def.parameters.args)
                    .next()
            })
            .map(|p| p.parameter.name.as_str());
        let id = FunctionId(self.model.functions.len() as u32);
        let parent_scope = self.current;
        let scope = self.push_scope(ScopeKind::Function(id));
        self.model.functions.push(FunctionInfo {
            def,
            name: def.name.as_str(),
            scope,
            parent_scope,
            class,
            receiver,
            returns: Vec::new(),
            has_bare_return: false,
        });
        if let Some(class) = class {
            self.model.classes[class.0 as usize]
                .methods
                .insert(def.name.as_str(), id);
        }
        self.bind(def.name.as_str(), BindingKind::Function(id), def.name.range);

        let saved = (self.current, self.try_depth);
        self.current = scope;
        self.try_depth = 0;
        self.bind_parameters(&def.parameters);
        self.visit_body(&def.body);
        (self.current, self.try_depth) = saved;
    }

    fn visit_class_def(&mut self, def: &'a ast::StmtClassDef) {
        for decorator in &def.decorator_list {
            self.visit_decorator(decorator);
        }
        if let Some(arguments) = &def.arguments {
            self.visit_arguments(arguments);
        }
        let id = ClassId(self.model.classes.len() as u32);
        let parent_scope = self.current;
        let scope = self.push_scope(ScopeKind::Class(id));
        self.model.classes.push(ClassInfo {
            def,
            name: def.name.as_str(),
            scope,
            parent_scope,
            methods: FxHashMap::default(),
            attribute_stores: FxHashMap::default(),
        });
        self.bind(def.name.as_str(), BindingKind::Class(id), def.name.range);
        let saved = self.current;
        self.current = scope;
        self.visit_body(&def.body);
        self.current = saved;
    }

    fn record_return(&mut self, value: Option<&'a Expr>) {
        // Returns inside a lambda scope cannot happen; inside a class body they are syntax errors.
        if let Some(function) = self.model.function_of_scope(self.current) {
            let info = &mut self.model.functions[function.0 as usize];
            match value {
                Some(value) => info.returns.push(value),
                None => info.has_bare_return = true,
            }
        }
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.nesting >= MAX_NESTING {
            // What is not seen may name anything.
            self.model.names_user_credentials = true;
            self.model.imports_obo_names = true;
            return;
        }
        self.nesting += 1;
        self.visit_stmt_inner(stmt);
        self.nesting -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.nesting >= MAX_NESTING {
            self.model.names_user_credentials = true;
            self.model.imports_obo_names = true;
            return;
        }
        self.nesting += 1;
        self.visit_expr_inner(expr);
        self.nesting -= 1;
    }
}

impl<'a> Builder<'a> {
    fn visit_stmt_inner(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => self.visit_function_def(def),
            Stmt::ClassDef(def) => self.visit_class_def(def),
            Stmt::Import(import) => {
                for alias in &import.names {
                    let full = alias.name.as_str();
                    if full.split('.').any(user_credential_word) {
                        self.model.names_user_credentials = true;
                    }
                    let (name, qualified) = match &alias.asname {
                        Some(asname) => (asname.as_str(), full),
                        None => {
                            let first = full.split('.').next().unwrap_or(full);
                            (first, first)
                        }
                    };
                    let range = alias.asname.as_ref().map_or(alias.range, |a| a.range);
                    self.bind(name, BindingKind::Import { qualified }, range);
                }
            }
            Stmt::ImportFrom(import) => {
                let module = import.module.as_ref().map_or("", |m| m.as_str());
                if module.split('.').any(user_credential_word)
                    || import
                        .names
                        .iter()
                        .any(|alias| user_credential_word(alias.name.as_str()))
                {
                    self.model.names_user_credentials = true;
                }
                if import
                    .names
                    .iter()
                    .any(|alias| OBO_IMPORTED_NAMES.contains(&alias.name.as_str()))
                {
                    self.model.imports_obo_names = true;
                }
                for alias in &import.names {
                    if alias.name.as_str() == "*" {
                        continue;
                    }
                    let name = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind(
                        name.as_str(),
                        BindingKind::FromImport {
                            level: import.level,
                            module,
                            name: alias.name.as_str(),
                        },
                        alias.range,
                    );
                }
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    let scope = self.current;
                    self.model.scopes[scope.0 as usize].declare_global(name.as_str());
                }
            }
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value);
                for target in &assign.targets {
                    self.bind_target(target, Value::Expr(&assign.value));
                    self.visit_target_subexpressions(target);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.visit_expr(value);
                    self.bind_target(&assign.target, Value::Expr(value));
                }
                self.visit_annotation(&assign.annotation);
                self.visit_target_subexpressions(&assign.target);
            }
            Stmt::AugAssign(assign) => {
                self.visit_expr(&assign.value);
                self.bind_target(&assign.target, Value::Unknown);
                self.visit_target_subexpressions(&assign.target);
            }
            Stmt::For(for_stmt) => {
                self.visit_expr(&for_stmt.iter);
                self.bind_target(&for_stmt.target, Value::Unknown);
                self.visit_body(&for_stmt.body);
                self.visit_body(&for_stmt.orelse);
            }
            Stmt::With(with) => {
                for item in &with.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(target) = &item.optional_vars {
                        self.bind_target(target, Value::Unknown);
                    }
                }
                self.visit_body(&with.body);
            }
            Stmt::Try(try_stmt) => {
                self.try_depth += 1;
                self.visit_body(&try_stmt.body);
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(type_) = &handler.type_ {
                        self.visit_expr(type_);
                    }
                    if let Some(name) = &handler.name {
                        self.bind(
                            name.as_str(),
                            BindingKind::Assignment(Value::Unknown),
                            name.range,
                        );
                    }
                    self.visit_body(&handler.body);
                }
                self.try_depth -= 1;
                self.visit_body(&try_stmt.orelse);
                self.visit_body(&try_stmt.finalbody);
            }
            Stmt::Return(ret) => {
                self.record_return(ret.value.as_deref());
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr_inner(&mut self, expr: &'a Expr) {
        let names = match expr {
            Expr::Name(name) => user_credential_word(name.id.as_str()),
            Expr::Attribute(attribute) => user_credential_word(attribute.attr.as_str()),
            Expr::StringLiteral(literal) => {
                literal.value.len() == TOKEN_HEADER.len()
                    && literal.value.to_str().eq_ignore_ascii_case(TOKEN_HEADER)
            }
            _ => false,
        };
        if names {
            self.model.names_user_credentials = true;
        }
        match expr {
            Expr::Call(call) => {
                let scope = self.current;
                self.model.scopes[scope.0 as usize].calls.push(call);
                visitor::walk_expr(self, expr);
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                self.bind_target(&named.target, Value::Expr(&named.value));
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameter_defaults(parameters);
                }
                self.model.lambdas.push(lambda);
                let saved = self.current;
                self.current = self.push_scope(ScopeKind::Lambda);
                if let Some(parameters) = &lambda.parameters {
                    self.bind_parameters(parameters);
                }
                self.visit_expr(&lambda.body);
                self.current = saved;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

impl<'a> Builder<'a> {
    /// Calls inside an assignment target (`x[f()] = ...`, `g().attr = ...`) still run.
    fn visit_target_subexpressions(&mut self, target: &'a Expr) {
        match target {
            Expr::Name(_) => {}
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for element in elts {
                    self.visit_target_subexpressions(element);
                }
            }
            Expr::Starred(starred) => self.visit_target_subexpressions(&starred.value),
            Expr::Attribute(attribute) => self.visit_expr(&attribute.value),
            other => self.visit_expr(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::semantic::{BindingKind, ModuleModel, ScopeKind};
    use crate::{SourceKind, parse_source};

    /// What `flag` says of code nested deeper than the walk goes (parsed on a thread with room
    /// for the parser's recursion in a debug build).
    fn too_deep_for_the_walk(flag: fn(&str) -> bool) -> bool {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                flag(&format!(
                    "x = {}1{}\n",
                    "[".repeat(1_100),
                    "]".repeat(1_100)
                ))
            })
            .expect("thread")
            .join()
            .expect("no panic")
    }

    /// Every `from … import` of a name OBO205 checks sets the flag, wherever it stands; other
    /// imports of those names do not.
    #[test]
    fn imports_obo_names_at_any_depth() {
        let imports = |source: &str| {
            let parsed = parse_source(source, SourceKind::Python);
            ModuleModel::build(parsed.body(), Vec::new()).imports_obo_names
        };
        for source in [
            "from databricks_openai import GenieAgent\n",
            "try:\n    from databricks.sdk.oauth import ModelServingUserCredentials as M\nexcept ImportError:\n    pass\n",
            "class A:\n    def f(self):\n        if x:\n            from databricks_ai_bridge import (a, UserCredentials)\n",
            "match x:\n    case 1:\n        with y:\n            from m import GenieAgent\n",
        ] {
            assert!(imports(source), "{source}");
        }
        for source in [
            "import GenieAgent\n",
            "from databricks_langchain import genie_agent, GenieAgentX\n",
            "x = GenieAgent()\n",
            "from m import *\n",
        ] {
            assert!(!imports(source), "{source}");
        }
        // Code nested deeper than the walk goes may hold one.
        assert!(too_deep_for_the_walk(imports));
    }

    /// Every way a file can name what a user credential starts from sets the flag; a comment, a
    /// docstring about it or a near miss does not.
    #[test]
    fn names_user_credentials_in_every_form() {
        let names = |source: &str| {
            let parsed = parse_source(source, SourceKind::Python);
            ModuleModel::build(parsed.body(), Vec::new()).names_user_credentials
        };
        for source in [
            "from databricks_ai_bridge import ModelServingUserCredentials as C\n",
            "import databricks_ai_bridge as b\nx = b.ModelServingUserCredentials()\n",
            "from databricks.sdk.credentials_provider import *\nx = ModelServingUserCredentials()\n",
            "from databricks.vector_search.utils import CredentialStrategy\ns = CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS\n",
            "import pkg.ModelServingUserCredentials\n",
            "t = request.headers.get('X-Forwarded-Access-Token')\n",
            "t = headers['x-forwarded-' 'access-token']\n",
            "t = headers['x-\\x66orwarded-access-token']\n",
            "def f(x_forwarded_access_token: str = Header(None)):\n    pass\n",
            "def f(X_Forwarded_Access_Token=None):\n    pass\n",
            "def f(t: Annotated[str, Header(alias='x-forwarded-access-token')]):\n    pass\n",
            "class A:\n    def f(self):\n        return [lambda: ModelServingUserCredentials]\n",
        ] {
            assert!(names(source), "{source}");
        }
        for source in [
            "# x-forwarded-access-token, ModelServingUserCredentials\nx = 1\n",
            "\"\"\"Build ModelServingUserCredentials() in predict.\"\"\"\n",
            "t = headers['x-forwarded-access-tokens']\n",
            "ModelServingUserCredentialsX = 1\nx = a.MODEL_SERVING\n",
        ] {
            assert!(!names(source), "{source}");
        }
        // Code nested deeper than the walk goes may name anything.
        assert!(too_deep_for_the_walk(names));
    }

    #[test]
    fn scopes_calls_and_attribute_stores() {
        let source = r#"
import databricks_ai_bridge as bridge
from databricks.sdk import WorkspaceClient as WC

class Agent:
    def __init__(self, w=WC()):
        self.client = WC(credentials_strategy=bridge.ModelServingUserCredentials())
        make = lambda: WC()

    def predict(self, request):
        a, b = self.pair()
        return [helper(x) for x in request]
"#;
        let parsed = parse_source(source, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), Vec::new());
        assert_eq!(model.classes.len(), 1);
        let class = &model.classes[0];
        assert_eq!(class.methods.len(), 2);
        assert_eq!(class.attribute_stores["client"].len(), 1);
        // The default `WC()` runs in the class body; the lambda's call is its own.
        let class_scope = model.scope(class.scope);
        assert_eq!(class_scope.calls.len(), 1);
        let init = model.function(class.methods["__init__"]);
        assert_eq!(model.scope(init.scope).calls.len(), 2);
        let lambda_scopes = model
            .scopes
            .iter()
            .filter(|s| s.kind == ScopeKind::Lambda)
            .count();
        assert_eq!(lambda_scopes, 1);
        let predict = model.function(class.methods["predict"]);
        assert_eq!(predict.returns.len(), 1);
        assert_eq!(predict.receiver, Some("self"));
        assert!(matches!(
            model.scope(ModuleModel::MODULE_SCOPE).bindings["bridge"][0].kind,
            BindingKind::Import { qualified } if qualified == "databricks_ai_bridge"
        ));
    }

    #[test]
    fn a_name_bound_again_keeps_every_binding_in_source_order() {
        let parsed = ruff_python_parser::parse_module(
            "import a.b\nimport x.y as z\nv = 1\nv = 2\nfor v in w: pass\n",
        )
        .expect("valid Python");
        let model = ModuleModel::build(&parsed.syntax().body, Vec::new());
        let scope = model.scope(ModuleModel::MODULE_SCOPE);
        assert!(matches!(
            scope.bindings["a"][..],
            [super::Binding {
                kind: BindingKind::Import { qualified: "a" },
                ..
            }]
        ));
        assert!(matches!(
            scope.bindings["z"][..],
            [super::Binding {
                kind: BindingKind::Import { qualified: "x.y" },
                ..
            }]
        ));
        let v: Vec<&str> = scope.bindings["v"]
            .iter()
            .map(|b| match &b.kind {
                BindingKind::Assignment(super::Value::Expr(_)) => "value",
                BindingKind::Assignment(super::Value::Unknown) => "loop",
                _ => "other",
            })
            .collect();
        assert_eq!(v, ["value", "value", "loop"]);
        let starts: Vec<u32> = scope.bindings["v"]
            .iter()
            .map(|b| b.range.start().to_u32())
            .collect();
        assert!(starts.is_sorted());
    }
}
