//! The user-client dataflow (the rule catalogue "User client"): what an expression evaluates to as far as
//! the caller's identity goes, followed through assignments, tuple unpacking, conditional
//! expressions, `self` attributes and the returns of project functions, across files.
//!
//! Unknown is a real answer: a parameter, a call into a library, anything the analyzer cannot
//! follow. Rules that need "never a user client" fire only on a definite [`ClientValue::NotUser`].

use std::cell::RefCell;

use obolint_python::known::KnownSymbol;
use obolint_python::semantic::{Resolution, ScopeId, Value};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use super::forwarded;
use crate::project::{FileIdx, FnRef, Project, Symbol};

/// Where a value was made: the callee of the constructor call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: FileIdx,
    pub range: TextRange,
}

/// Which OBO strategy a value is: the SDK's credentials strategy object, or the vector search
/// enum member. Each is right for one kind of client only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyKind {
    Credentials,
    VectorSearchEnum,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientValue {
    /// Carries the caller's identity on every path (`definite`) or on some.
    User {
        definite: bool,
        origin: Origin,
    },
    /// An OBO strategy, on every path or on some.
    Strategy {
        definite: bool,
        kind: StrategyKind,
    },
    /// Known not to carry the caller's identity (a default `WorkspaceClient()`, `None`, a literal).
    NotUser {
        origin: Option<Origin>,
    },
    Tuple(Vec<ClientValue>),
    /// The Databricks Apps forwarded token (`x-forwarded-access-token`), on every path or on
    /// some; a client built with it is an app user client.
    Token {
        definite: bool,
        origin: Origin,
    },
    Unknown,
}

impl ClientValue {
    pub fn is_possible_user(&self) -> bool {
        matches!(self, ClientValue::User { .. })
    }

    pub fn is_definite_user(&self) -> bool {
        matches!(self, ClientValue::User { definite: true, .. })
    }

    /// The forwarded token of a Databricks App, on some path at least.
    pub fn is_possible_token(&self) -> bool {
        matches!(self, ClientValue::Token { .. })
    }

    /// The value on either of two paths.
    pub fn join(self, other: ClientValue) -> ClientValue {
        use ClientValue::*;
        match (self, other) {
            (
                User {
                    definite: a,
                    origin,
                },
                User { definite: b, .. },
            ) => User {
                definite: a && b,
                origin,
            },
            (User { origin, .. }, _) | (_, User { origin, .. }) => User {
                definite: false,
                origin,
            },
            (
                Strategy {
                    definite: a,
                    kind: ka,
                },
                Strategy {
                    definite: b,
                    kind: kb,
                },
            ) if ka == kb => Strategy {
                definite: a && b,
                kind: ka,
            },
            (Strategy { kind, .. }, NotUser { .. } | Unknown)
            | (NotUser { .. } | Unknown, Strategy { kind, .. }) => Strategy {
                definite: false,
                kind,
            },
            (
                Token {
                    definite: a,
                    origin,
                },
                Token { definite: b, .. },
            ) => Token {
                definite: a && b,
                origin,
            },
            (Token { origin, .. }, NotUser { .. } | Unknown)
            | (NotUser { .. } | Unknown, Token { origin, .. }) => Token {
                definite: false,
                origin,
            },
            (NotUser { origin: a }, NotUser { origin: b }) => NotUser { origin: a.or(b) },
            (Tuple(a), Tuple(b)) if a.len() == b.len() => {
                Tuple(a.into_iter().zip(b).map(|(x, y)| x.join(y)).collect())
            }
            _ => Unknown,
        }
    }
}

const MAX_DEPTH: u32 = 32;

/// `VectorSearchClient(...)` given credentials that take precedence over `credential_strategy`.
pub fn overrides_obo(call: &ExprCall) -> bool {
    [
        "personal_access_token",
        "service_principal_client_id",
        "service_principal_client_secret",
    ]
    .iter()
    .any(|k| call.arguments.find_keyword(k).is_some())
}

/// A user client, an OBO strategy or a forwarded token, on some path at least (in a tuple too).
fn carries_identity(value: &ClientValue) -> bool {
    match value {
        ClientValue::User { .. } | ClientValue::Strategy { .. } | ClientValue::Token { .. } => true,
        ClientValue::Tuple(values) => values.iter().any(carries_identity),
        ClientValue::NotUser { .. } | ClientValue::Unknown => false,
    }
}

/// Evaluates expressions of a project; remembers what project functions return.
pub struct Dataflow<'p, 'a> {
    project: &'p Project<'a>,
    returns: RefCell<FxHashMap<FnRef, ClientValue>>,
    in_progress: RefCell<FxHashSet<FnRef>>,
    parameters_in_progress: RefCell<FxHashSet<(FnRef, String)>>,
    names: RefCell<FxHashMap<(FileIdx, ScopeId, String), ClientValue>>,
    names_in_progress: RefCell<FxHashSet<(FileIdx, ScopeId, String)>>,
    parameters: RefCell<FxHashMap<(FnRef, String), ClientValue>>,
    /// Resolved names by expression address: every per-file rule asks about the same calls.
    symbols: RefCell<FxHashMap<usize, Symbol>>,
    /// What `self.<attr>` holds in a class and its bases: chains of attribute stores are
    /// followed once each.
    attributes: RefCell<FxHashMap<(crate::project::ClassRef, String), ClientValue>>,
    attributes_in_progress: RefCell<FxHashSet<(crate::project::ClassRef, String)>>,
}

impl<'p, 'a> Dataflow<'p, 'a> {
    pub fn new(project: &'p Project<'a>) -> Self {
        Self {
            project,
            returns: RefCell::default(),
            in_progress: RefCell::default(),
            parameters_in_progress: RefCell::default(),
            symbols: RefCell::default(),
            names: RefCell::default(),
            names_in_progress: RefCell::default(),
            parameters: RefCell::default(),
            attributes: RefCell::default(),
            attributes_in_progress: RefCell::default(),
        }
    }

    /// [`Project::symbol`], remembered per expression.
    pub fn symbol(&self, file: FileIdx, scope: ScopeId, expr: &Expr) -> Symbol {
        let key = std::ptr::from_ref(expr) as usize;
        if let Some(symbol) = self.symbols.borrow().get(&key) {
            return *symbol;
        }
        // Callees were resolved once when the index was built.
        if let Some(symbol) = self.project.callee(file, expr) {
            return symbol;
        }
        let symbol = self.project.symbol_unindexed(file, scope, expr);
        self.symbols.borrow_mut().insert(key, symbol);
        symbol
    }

    pub fn eval(&self, file: FileIdx, scope: ScopeId, expr: &Expr) -> ClientValue {
        self.checked(self.eval_depth(file, scope, expr, 0))
    }

    /// `value`, held in debug builds to [`Project::may_hold_user_credentials`]: rules skip a
    /// project that it says cannot hold a caller's identity.
    fn checked(&self, value: ClientValue) -> ClientValue {
        debug_assert!(
            self.project.may_hold_user_credentials() || !carries_identity(&value),
            "{value:?} in a project that names no user credential"
        );
        value
    }

    /// The value a name holds, seen from `scope`.
    pub fn eval_name(&self, file: FileIdx, scope: ScopeId, name: &str) -> ClientValue {
        let value = match self.project.model(file).resolve_name(scope, name) {
            Resolution::Values(found, values) => self.join_values(file, found, &values, 0),
            Resolution::Parameter(found, _)
                if forwarded::token_parameter(self.project.model(file), found, name) =>
            {
                self.token_parameter(file, found, name)
            }
            Resolution::Parameter(found, values) => {
                self.parameter_with_values(file, found, name, &values, 0)
            }
            _ => ClientValue::Unknown,
        };
        self.checked(value)
    }

    /// A FastAPI parameter declared as the forwarded-token header.
    fn token_parameter(&self, file: FileIdx, scope: ScopeId, name: &str) -> ClientValue {
        let model = self.project.model(file);
        let range = model
            .function_of_scope(scope)
            .and_then(|f| {
                model
                    .function(f)
                    .def
                    .parameters
                    .iter_non_variadic_params()
                    .find(|p| p.parameter.name.as_str() == name)
                    .map(|p| p.parameter.range())
            })
            .unwrap_or_default();
        ClientValue::Token {
            definite: true,
            origin: Origin { file, range },
        }
    }

    /// A parameter: what every resolved call passes for it, joined with what the body
    /// reassigns it to.
    fn parameter_with_values(
        &self,
        file: FileIdx,
        scope: ScopeId,
        name: &str,
        values: &[Value<'_>],
        depth: u32,
    ) -> ClientValue {
        let passed = self.parameter_value(file, scope, name, depth);
        if values.is_empty() {
            return passed;
        }
        passed.join(self.join_values(file, scope, values, depth))
    }

    /// The join of the arguments every resolved call site passes for parameter `name` of the
    /// function whose scope is `scope`. Unknown when there is no call site, or one the analyzer
    /// cannot match (`*args`, `**kwargs`).
    fn parameter_value(
        &self,
        file: FileIdx,
        scope: ScopeId,
        name: &str,
        depth: u32,
    ) -> ClientValue {
        if depth > MAX_DEPTH {
            return ClientValue::Unknown;
        }
        let model = self.project.model(file);
        let Some(func) = model.function_of_scope(scope) else {
            return ClientValue::Unknown;
        };
        let function = FnRef { file, func };
        let key = (function, name.to_string());
        if let Some(value) = self.parameters.borrow().get(&key) {
            return value.clone();
        }
        if !self.parameters_in_progress.borrow_mut().insert(key.clone()) {
            return ClientValue::Unknown;
        }
        let value = self.arguments_for(function, name, depth);
        self.parameters_in_progress.borrow_mut().remove(&key);
        self.parameters.borrow_mut().insert(key, value.clone());
        value
    }

    fn arguments_for(&self, function: FnRef, name: &str, depth: u32) -> ClientValue {
        let model = self.project.model(function.file);
        let info = model.function(function.func);
        let parameters = &info.def.parameters;
        let positional: Vec<_> = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .collect();
        let position = positional
            .iter()
            .position(|p| p.parameter.name.as_str() == name);
        let keyword_only = parameters
            .kwonlyargs
            .iter()
            .find(|p| p.parameter.name.as_str() == name);
        let Some(parameter) = position.map(|i| positional[i]).or(keyword_only) else {
            return ClientValue::Unknown; // `*args` or `**kwargs`
        };
        let by_keyword = position.is_none_or(|i| i >= parameters.posonlyargs.len());
        let sites = self.project.callers(function);
        if sites.len() == 0 {
            return ClientValue::Unknown;
        }
        let mut result: Option<ClientValue> = None;
        for site in sites {
            let arguments = &site.call.arguments;
            if arguments.args.iter().any(Expr::is_starred_expr)
                || arguments.keywords.iter().any(|k| k.arg.is_none())
            {
                return ClientValue::Unknown;
            }
            let offset = usize::from(site.bound && info.receiver.is_some());
            let given = arguments
                .find_keyword(name)
                .filter(|_| by_keyword)
                .map(|k| &k.value)
                .or_else(|| {
                    position
                        .and_then(|i| i.checked_sub(offset))
                        .and_then(|i| arguments.args.get(i))
                });
            let value = match (given, parameter.default()) {
                (Some(argument), _) => self.eval_depth(site.file, site.scope, argument, depth + 1),
                (None, Some(default)) => {
                    self.eval_depth(function.file, info.parent_scope, default, depth + 1)
                }
                (None, None) => ClientValue::Unknown,
            };
            result = Some(match result {
                Some(acc) => acc.join(value),
                None => value,
            });
        }
        result.unwrap_or(ClientValue::Unknown)
    }

    /// For a call to a client constructor (`WorkspaceClient`, `Config`, `VectorSearchClient`) or
    /// a configured factory: whether it makes a user client. `None` for any other call.
    pub fn construction(
        &self,
        file: FileIdx,
        scope: ScopeId,
        call: &ExprCall,
    ) -> Option<ClientValue> {
        self.construction_depth(file, scope, call, 0)
            .map(|value| self.checked(value))
    }

    fn construction_depth(
        &self,
        file: FileIdx,
        scope: ScopeId,
        call: &ExprCall,
        depth: u32,
    ) -> Option<ClientValue> {
        let origin = Origin {
            file,
            range: call.func.range(),
        };
        let keyword = |name: &str| call.arguments.find_keyword(name).map(|k| &k.value);
        let has_kwargs = call.arguments.keywords.iter().any(|k| k.arg.is_none());
        let value = match self.symbol(file, scope, &call.func) {
            Symbol::UserClientFactory => ClientValue::User {
                definite: true,
                origin,
            },
            Symbol::Known(KnownSymbol::WorkspaceClient | KnownSymbol::Config) => {
                if let Some(strategy) =
                    keyword("credentials_strategy").or_else(|| keyword("credentials_provider"))
                {
                    match self.eval_depth(file, scope, strategy, depth + 1) {
                        ClientValue::Strategy {
                            definite,
                            kind: StrategyKind::Credentials,
                        } => ClientValue::User { definite, origin },
                        ClientValue::Unknown => ClientValue::Unknown,
                        _ => ClientValue::NotUser {
                            origin: Some(origin),
                        },
                    }
                } else if let Some(config) = keyword("config") {
                    match self.eval_depth(file, scope, config, depth + 1) {
                        ClientValue::User { definite, .. } => {
                            ClientValue::User { definite, origin }
                        }
                        ClientValue::NotUser { .. } => ClientValue::NotUser {
                            origin: Some(origin),
                        },
                        _ => ClientValue::Unknown,
                    }
                } else if let Some(ClientValue::Token { definite, .. }) =
                    keyword("token").map(|token| self.eval_depth(file, scope, token, depth + 1))
                {
                    // An app user client: `WorkspaceClient(token=<forwarded token>, ...)`.
                    ClientValue::User { definite, origin }
                } else if has_kwargs {
                    ClientValue::Unknown
                } else {
                    ClientValue::NotUser {
                        origin: Some(origin),
                    }
                }
            }
            Symbol::Known(KnownSymbol::VectorSearchClient)
                if let Some(ClientValue::Token { definite, .. }) =
                    keyword("personal_access_token")
                        .map(|token| self.eval_depth(file, scope, token, depth + 1)) =>
            {
                ClientValue::User { definite, origin }
            }
            // A personal access token or service principal wins over the OBO strategy (OBO105):
            // the client is the deployer's.
            Symbol::Known(KnownSymbol::VectorSearchClient) if overrides_obo(call) => {
                ClientValue::NotUser {
                    origin: Some(origin),
                }
            }
            Symbol::Known(KnownSymbol::VectorSearchClient) => {
                match keyword("credential_strategy") {
                    Some(strategy) => match self.eval_depth(file, scope, strategy, depth + 1) {
                        ClientValue::Strategy {
                            definite,
                            kind: StrategyKind::VectorSearchEnum,
                        } => ClientValue::User { definite, origin },
                        ClientValue::Unknown => ClientValue::Unknown,
                        _ => ClientValue::NotUser {
                            origin: Some(origin),
                        },
                    },
                    None if has_kwargs => ClientValue::Unknown,
                    None => ClientValue::NotUser {
                        origin: Some(origin),
                    },
                }
            }
            // `databricks.sql.connect(access_token=<forwarded token>)`: an app user's connection.
            _ if forwarded::qualified(self.project.model(file), scope, &call.func)
                .iter()
                .any(|n| n == "databricks.sql.connect") =>
            {
                match keyword("access_token")
                    .map(|token| self.eval_depth(file, scope, token, depth + 1))
                {
                    Some(ClientValue::Token { definite, .. }) => {
                        ClientValue::User { definite, origin }
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(value)
    }

    fn eval_depth(&self, file: FileIdx, scope: ScopeId, expr: &Expr, depth: u32) -> ClientValue {
        if depth > MAX_DEPTH {
            return ClientValue::Unknown;
        }
        let not_user = ClientValue::NotUser { origin: None };
        match expr {
            Expr::Call(call) => {
                if let Some(value) = self.construction_depth(file, scope, call, depth) {
                    return value;
                }
                if forwarded::reads_token(self.project.model(file), scope, expr) {
                    return ClientValue::Token {
                        definite: true,
                        origin: Origin {
                            file,
                            range: expr.range(),
                        },
                    };
                }
                // `str(token)`, `token.strip()`: still the token.
                if let Expr::Attribute(method) = call.func.as_ref()
                    && matches!(method.attr.as_str(), "strip" | "lstrip" | "rstrip")
                    && let token @ ClientValue::Token { .. } =
                        self.eval_depth(file, scope, &method.value, depth + 1)
                {
                    return token;
                }
                match self.symbol(file, scope, &call.func) {
                    Symbol::Known(KnownSymbol::ModelServingUserCredentials) => {
                        ClientValue::Strategy {
                            definite: true,
                            kind: StrategyKind::Credentials,
                        }
                    }
                    Symbol::Function(function) => self.returns_of(function, depth),
                    _ => ClientValue::Unknown,
                }
            }
            Expr::Name(name) => self.name_value(file, scope, name.id.as_str(), expr, depth),
            Expr::Attribute(attribute) => {
                let model = self.project.model(file);
                if let Expr::Name(base) = attribute.value.as_ref()
                    && let Some(class) = model.receiver_class(scope, base.id.as_str())
                {
                    return self.attribute_value(
                        crate::project::ClassRef { file, class },
                        attribute.attr.as_str(),
                        depth,
                    );
                }
                // `service.client`, where `service` is bound to an instance of a project class.
                if let Some(class) = self
                    .project
                    .instance_class(file, scope, &attribute.value, 0)
                {
                    return self.attribute_value(class, attribute.attr.as_str(), depth);
                }
                self.symbol_value(file, scope, expr)
            }
            Expr::If(if_expr) => self
                .eval_depth(file, scope, &if_expr.body, depth + 1)
                .join(self.eval_depth(file, scope, &if_expr.orelse, depth + 1)),
            Expr::BoolOp(bool_op) => bool_op
                .values
                .iter()
                .map(|v| self.eval_depth(file, scope, v, depth + 1))
                .reduce(ClientValue::join)
                .unwrap_or(ClientValue::Unknown),
            Expr::Named(named) => self.eval_depth(file, scope, &named.value, depth + 1),
            Expr::Await(await_expr) => self.eval_depth(file, scope, &await_expr.value, depth + 1),
            Expr::Tuple(tuple) => ClientValue::Tuple(
                tuple
                    .elts
                    .iter()
                    .map(|e| self.eval_depth(file, scope, e, depth + 1))
                    .collect(),
            ),
            Expr::Subscript(_) if forwarded::reads_token(self.project.model(file), scope, expr) => {
                ClientValue::Token {
                    definite: true,
                    origin: Origin {
                        file,
                        range: expr.range(),
                    },
                }
            }
            // `f"Bearer {token}"`, `"Bearer " + token`: the token still.
            Expr::FString(fstring) => fstring
                .value
                .elements()
                .filter_map(|e| match e {
                    ruff_python_ast::InterpolatedStringElement::Interpolation(part) => {
                        match self.eval_depth(file, scope, &part.expression, depth + 1) {
                            token @ ClientValue::Token { .. } => Some(token),
                            _ => None,
                        }
                    }
                    ruff_python_ast::InterpolatedStringElement::Literal(_) => None,
                })
                .next()
                .unwrap_or(not_user),
            Expr::BinOp(binop) if binop.op == ruff_python_ast::Operator::Add => {
                match (
                    self.eval_depth(file, scope, &binop.left, depth + 1),
                    self.eval_depth(file, scope, &binop.right, depth + 1),
                ) {
                    (token @ ClientValue::Token { .. }, _)
                    | (_, token @ ClientValue::Token { .. }) => token,
                    _ => ClientValue::Unknown,
                }
            }
            // `{"Authorization": f"Bearer {token}"}`: a header mapping that acts as the app's user.
            Expr::Dict(dict) => {
                for item in &dict.items {
                    if let Some(Expr::StringLiteral(key)) = &item.key
                        && key.value.to_str().eq_ignore_ascii_case("authorization")
                        && let ClientValue::Token { definite, .. } =
                            self.eval_depth(file, scope, &item.value, depth + 1)
                    {
                        return ClientValue::User {
                            definite,
                            origin: Origin {
                                file,
                                range: expr.range(),
                            },
                        };
                    }
                }
                not_user
            }
            Expr::NoneLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::List(_)
            | Expr::Set(_) => not_user,
            _ => ClientValue::Unknown,
        }
    }

    /// What a name holds, remembered per (file, scope, name): every assignment of a name is
    /// evaluated once, so chains of self-referencing assignments (`w = w or ...`) stay linear.
    fn name_value(
        &self,
        file: FileIdx,
        scope: ScopeId,
        name: &str,
        expr: &Expr,
        depth: u32,
    ) -> ClientValue {
        let key = (file, scope, name.to_string());
        if let Some(value) = self.names.borrow().get(&key) {
            return value.clone();
        }
        if !self.names_in_progress.borrow_mut().insert(key.clone()) {
            return ClientValue::Unknown;
        }
        let value = match self.project.model(file).resolve_name(scope, name) {
            Resolution::Values(found, values) => self.join_values(file, found, &values, depth),
            Resolution::Parameter(found, _)
                if forwarded::token_parameter(self.project.model(file), found, name) =>
            {
                self.token_parameter(file, found, name)
            }
            // A FastAPI dependency: what its provider returns.
            Resolution::Parameter(found, _)
                if let Some((at, provider)) =
                    forwarded::dependency(self.project.model(file), found, name) =>
            {
                match self.symbol(file, at, provider) {
                    Symbol::Function(function) => self.returns_of(function, depth + 1),
                    _ => ClientValue::Unknown,
                }
            }
            Resolution::Parameter(found, values) => {
                self.parameter_with_values(file, found, name, &values, depth + 1)
            }
            Resolution::Imported(_) => self.symbol_value(file, scope, expr),
            _ => ClientValue::Unknown,
        };
        self.names_in_progress.borrow_mut().remove(&key);
        self.names.borrow_mut().insert(key, value.clone());
        value
    }

    /// A dotted name that is itself a strategy (the vector search enum member).
    fn symbol_value(&self, file: FileIdx, scope: ScopeId, expr: &Expr) -> ClientValue {
        match self.symbol(file, scope, expr) {
            Symbol::Known(KnownSymbol::ModelServingUserCredentialsEnum) => ClientValue::Strategy {
                definite: true,
                kind: StrategyKind::VectorSearchEnum,
            },
            _ => ClientValue::Unknown,
        }
    }

    fn join_values(
        &self,
        file: FileIdx,
        scope: ScopeId,
        values: &[Value<'_>],
        depth: u32,
    ) -> ClientValue {
        values
            .iter()
            .map(|value| match value {
                Value::Expr(e) => self.eval_depth(file, scope, e, depth + 1),
                Value::Element(e, index) => match self.eval_depth(file, scope, e, depth + 1) {
                    ClientValue::Tuple(mut items) if *index < items.len() => {
                        items.swap_remove(*index)
                    }
                    _ => ClientValue::Unknown,
                },
                Value::Unknown => ClientValue::Unknown,
            })
            .reduce(ClientValue::join)
            .unwrap_or(ClientValue::Unknown)
    }

    /// `self.attr`: every value any method of the class (or a project base) stores there.
    fn attribute_value(
        &self,
        class: crate::project::ClassRef,
        attr: &str,
        depth: u32,
    ) -> ClientValue {
        let key = (class, attr.to_string());
        if let Some(value) = self.attributes.borrow().get(&key) {
            return value.clone();
        }
        if !self.attributes_in_progress.borrow_mut().insert(key.clone()) {
            return ClientValue::Unknown;
        }
        let value = self.attribute_value_uncached(class, attr, depth);
        self.attributes_in_progress.borrow_mut().remove(&key);
        self.attributes.borrow_mut().insert(key, value.clone());
        value
    }

    fn attribute_value_uncached(
        &self,
        class: crate::project::ClassRef,
        attr: &str,
        depth: u32,
    ) -> ClientValue {
        let mut result: Option<ClientValue> = None;
        let mut seen = Vec::new();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if seen.contains(&c) {
                continue;
            }
            seen.push(c);
            let model = self.project.model(c.file);
            let info = model.class(c.class);
            if let Some(stores) = info.attribute_stores.get(attr) {
                for (scope, value) in stores {
                    let v =
                        self.join_values(c.file, *scope, std::slice::from_ref(value), depth + 1);
                    result = Some(match result {
                        Some(r) => r.join(v),
                        None => v,
                    });
                }
            }
            for base in info.bases() {
                if let Symbol::Class(b) = self.symbol(c.file, info.parent_scope, base) {
                    stack.push(b);
                }
            }
        }
        result.unwrap_or(ClientValue::Unknown)
    }

    /// What a project function returns: the join of its `return` values (`None` when it has a
    /// bare `return` or none at all).
    pub fn returns_of(&self, function: FnRef, depth: u32) -> ClientValue {
        if let Some(value) = self.returns.borrow().get(&function) {
            return value.clone();
        }
        if !self.in_progress.borrow_mut().insert(function) {
            return ClientValue::Unknown;
        }
        let model = self.project.model(function.file);
        let info = model.function(function.func);
        let mut value: Option<ClientValue> = None;
        for ret in &info.returns {
            let v = self.eval_depth(function.file, info.scope, ret, depth + 1);
            value = Some(match value {
                Some(acc) => acc.join(v),
                None => v,
            });
        }
        if info.has_bare_return || value.is_none() {
            let none = ClientValue::NotUser { origin: None };
            value = Some(match value {
                Some(acc) => acc.join(none),
                None => none,
            });
        }
        let value = value.unwrap_or(ClientValue::Unknown);
        self.in_progress.borrow_mut().remove(&function);
        // Remembered even when a recursive call was cut short (that path is unknown): computing
        // it again could take exponential time on chains of calls.
        self.returns.borrow_mut().insert(function, value.clone());
        value
    }
}

#[cfg(test)]
mod tests {
    use super::ClientValue::*;
    use super::*;

    fn origin() -> Origin {
        Origin {
            file: FileIdx(0),
            range: TextRange::default(),
        }
    }

    #[test]
    fn joins_paths() {
        let user = User {
            definite: true,
            origin: origin(),
        };
        let plain = NotUser { origin: None };
        assert_eq!(user.clone().join(user.clone()), user);
        assert_eq!(
            user.clone().join(plain.clone()),
            User {
                definite: false,
                origin: origin()
            }
        );
        assert_eq!(plain.clone().join(plain.clone()), plain);
        assert_eq!(plain.join(Unknown), Unknown);
        assert_eq!(
            Strategy {
                definite: true,
                kind: StrategyKind::Credentials
            }
            .join(NotUser { origin: None }),
            Strategy {
                definite: false,
                kind: StrategyKind::Credentials
            }
        );
    }
}
