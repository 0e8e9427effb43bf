//! Client uses (the rule catalogue "User-client use"): where a model's code reaches Databricks through a
//! client, with whose identity, which resource when its name is written in the code, and what
//! the use is (a service of the SDK client, a known constructor, a managed MCP URL), so scopes
//! can be inferred (OBO4xx) and resources compared with what the model declares (OBO301, OBO307).
//! Uses the analyzer cannot see through (a user client handed to a library function, credentials
//! taken out of it) are recorded as opaque.

use obolint_python::known::{KnownSymbol, ResourceKind};
use obolint_python::semantic::ScopeId;
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};

use super::client_argument::{ClientArgument, client_argument, dict_entries};
use super::dataflow::{ClientValue, Dataflow, Origin, overrides_obo};
use super::declaration::{Reader, Site};
use crate::clients::{self, ClientClass, ClientScopes};
use crate::project::all_calls;
use crate::project::{FileIdx, Project, Symbol};
use crate::scope_table::ScopeFamily;

/// Whose identity a use runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The caller's, on every path or on some (`definite: false`).
    User {
        definite: bool,
    },
    /// Known not to be the caller's (a deployer client, or none given).
    NotUser,
    Unknown,
}

impl Identity {
    fn of(value: &ClientValue) -> Identity {
        match value {
            ClientValue::User { definite, .. } => Identity::User {
                definite: *definite,
            },
            ClientValue::NotUser { .. } => Identity::NotUser,
            _ => Identity::Unknown,
        }
    }

    pub fn is_user(self) -> bool {
        matches!(self, Identity::User { .. })
    }
}

/// What a use does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseKind {
    /// `w.<service>.<method>(...)` on an SDK client (`w.genie.start_conversation(...)`).
    Service {
        service: String,
        method: Option<String>,
    },
    /// A client given to a known constructor (`GenieAgent(client=w)`).
    Constructor(KnownSymbol),
    /// A known constructor whose arguments decide its families (the catalogue's `route` and
    /// `also-when`): `DatabricksOpenAI(use_ai_gateway=True)` needs `ai-gateway`, not serving.
    Routed {
        class: KnownSymbol,
        families: Vec<ScopeFamily>,
        how: String,
    },
    /// A known constructor given a URL that decides its families (`DatabricksOpenAI(base_url=)`):
    /// its text when the analyzer can read it.
    Url {
        class: KnownSymbol,
        url: Option<String>,
    },
    /// An MCP client or server for a URL: its path when the analyzer can read it.
    Mcp { url: Option<String> },
    /// The client or its credentials went where the analyzer cannot follow.
    Opaque { what: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientUse {
    pub file: FileIdx,
    /// The scope the use is written in (served code is decided per scope).
    pub scope: ScopeId,
    pub range: TextRange,
    pub kind: UseKind,
    pub identity: Identity,
    /// The resource it reaches, when its name is written in the code.
    pub resource: Option<(ResourceKind, String)>,
    /// The kind of resource it reaches, even when its name is a run-time value.
    pub resource_kind: Option<ResourceKind>,
    /// Reached without the user client because of a mistake a rule reports (OBO103, OBO201-203):
    /// the rule's code. Fixing it makes the use a user-client use, so its scopes are not
    /// "unneeded" meanwhile.
    pub mistake: Option<&'static str>,
}

/// Every client use in `file`.
pub fn uses_in<'a>(
    project: &Project<'a>,
    dataflow: &Dataflow<'_, 'a>,
    file: FileIdx,
) -> Vec<ClientUse> {
    let model = project.model(file);
    let reader = Reader::new(project);
    let mut out = Vec::new();
    // Whether the client made at an origin was meant to act as the user (OBO103), once each.
    let mut misplaced: rustc_hash::FxHashMap<Origin, bool> = rustc_hash::FxHashMap::default();
    for (scope, call) in all_calls(model) {
        let symbol = dataflow.symbol(file, scope, &call.func);
        match symbol {
            Symbol::Known(known @ (KnownSymbol::GenieAgent | KnownSymbol::Genie)) => {
                let (keyword, position) = if symbol == Symbol::Known(KnownSymbol::Genie) {
                    ("client", Some(1))
                } else {
                    ("client", Some(5))
                };
                let identity =
                    argument_identity(project, dataflow, file, scope, call, keyword, position);
                let name_keyword = if symbol == Symbol::Known(KnownSymbol::Genie) {
                    "space_id"
                } else {
                    "genie_space_id"
                };
                let name = string_argument(&reader, file, scope, call, name_keyword, Some(0));
                out.push(ClientUse {
                    file,
                    scope,
                    range: call.func.range(),
                    kind: UseKind::Constructor(known),
                    identity,
                    resource: name.map(|n| (ResourceKind::GenieSpace, n)),
                    resource_kind: Some(ResourceKind::GenieSpace),
                    mistake: taker_mistake(dataflow, file, scope, call, known, identity),
                });
            }
            Symbol::Known(KnownSymbol::VectorSearchClient) => {
                let Some(value) = dataflow.construction(file, scope, call) else {
                    continue;
                };
                // A deployer `VectorSearchClient` in an OBO model is OBO202's finding (or
                // OBO103's, given the wrong keyword); one given overriding credentials runs as
                // their owner on purpose (OBO105): not a mistake that excuses a scope.
                let mistake = match &value {
                    ClientValue::NotUser { .. }
                        if call
                            .arguments
                            .find_keyword("credentials_strategy")
                            .is_some() =>
                    {
                        Some("OBO103")
                    }
                    ClientValue::NotUser { .. } if !overrides_obo(call) => Some("OBO202"),
                    _ => None,
                };
                if value.is_possible_user() || mistake.is_some() {
                    out.push(ClientUse {
                        file,
                        scope,
                        range: call.func.range(),
                        kind: UseKind::Constructor(KnownSymbol::VectorSearchClient),
                        identity: Identity::of(&value),
                        resource: None,
                        resource_kind: Some(ResourceKind::VectorSearchIndex),
                        mistake,
                    });
                }
            }
            Symbol::Known(symbol @ KnownSymbol::ClientTaker(_)) => {
                let Some(class) = clients::of_symbol(symbol) else {
                    continue;
                };
                let identity = argument_identity(
                    project,
                    dataflow,
                    file,
                    scope,
                    call,
                    &class.parameter,
                    class.position,
                );
                let resource = class_resource(&reader, file, scope, call, class);
                let kind = match class.scopes {
                    ClientScopes::McpUrl => UseKind::Mcp {
                        url: mcp_url(&reader, file, scope, call, class),
                    },
                    _ => constructor_kind(&reader, file, scope, call, symbol, class),
                };
                let resource_kind =
                    class
                        .resource
                        .as_ref()
                        .map(|(kind, _)| *kind)
                        .or_else(|| match &kind {
                            UseKind::Mcp { url: Some(url) } => mcp_resource_kind(url),
                            _ => None,
                        });
                out.push(ClientUse {
                    file,
                    scope,
                    range: call.func.range(),
                    kind,
                    identity,
                    resource,
                    resource_kind,
                    mistake: taker_mistake(dataflow, file, scope, call, symbol, identity),
                });
            }
            _ => {}
        }
        // Dynamic code (the rule catalogue): what it runs is unknown, so are the scopes it needs.
        if is_dynamic(model, scope, call) {
            out.push(ClientUse {
                file,
                scope,
                range: call.func.range(),
                kind: UseKind::Opaque {
                    what: "dynamic code (`importlib`, `exec`...) the analyzer cannot follow".into(),
                },
                identity: Identity::User { definite: false },
                resource: None,
                resource_kind: None,
                mistake: None,
            });
            continue;
        }
        // `w.<service>.<method>(...)` and `w.<method>(...)` on a client.
        if let Expr::Attribute(method) = call.func.as_ref() {
            let (receiver, service) = match method.value.as_ref() {
                Expr::Attribute(service) => (service.value.as_ref(), Some(service.attr.as_str())),
                other => (other, None),
            };
            if !matches!(receiver, Expr::Name(_) | Expr::Attribute(_) | Expr::Call(_)) {
                continue;
            }
            let value = dataflow.eval(file, scope, receiver);
            if !value.is_possible_user()
                && !matches!(value, ClientValue::NotUser { origin: Some(_) })
            {
                continue;
            }
            // Only SDK clients (`WorkspaceClient`, `Config`, `VectorSearchClient`) have services.
            let identity = Identity::of(&value);
            let kind = match service {
                Some("config") => match method.attr.as_str() {
                    "authenticate" => UseKind::Opaque {
                        what: "`config.authenticate()` takes the user's token out of the client"
                            .into(),
                    },
                    _ => continue,
                },
                Some(service) => UseKind::Service {
                    service: service.to_string(),
                    method: Some(method.attr.to_string()),
                },
                None => UseKind::Service {
                    service: method.attr.to_string(),
                    method: None,
                },
            };
            let resource =
                service_resource(&reader, file, scope, call, service, method.attr.as_str());
            let mistake = match &value {
                ClientValue::NotUser {
                    origin: Some(origin),
                } if *misplaced
                    .entry(*origin)
                    .or_insert_with(|| misplaced_strategy_at(project, dataflow, *origin)) =>
                {
                    Some("OBO103")
                }
                _ => None,
            };
            out.push(ClientUse {
                file,
                scope,
                range: call.func.range(),
                kind,
                identity,
                resource,
                resource_kind: service_resource_kind(service, method.attr.as_str()),
                mistake,
            });
            continue;
        }
        // A user client handed to a function outside the project and outside the table.
        if matches!(symbol, Symbol::Unknown) {
            let passes_user = call
                .arguments
                .args
                .iter()
                .chain(call.arguments.keywords.iter().map(|k| &k.value))
                .any(|arg| {
                    matches!(arg, Expr::Name(_) | Expr::Attribute(_))
                        && dataflow.eval(file, scope, arg).is_possible_user()
                });
            if passes_user {
                out.push(ClientUse {
                    file,
                    scope,
                    range: call.func.range(),
                    kind: UseKind::Opaque {
                        what: "a user client is passed to a function the analyzer cannot follow"
                            .into(),
                    },
                    identity: Identity::User { definite: false },
                    resource: None,
                    resource_kind: None,
                    mistake: None,
                });
            }
        }
    }
    out
}

/// The rule that reports a client-taking constructor reached without the user client: OBO103
/// when it was given a strategy where a client belongs, else the class's own rule (OBO201-203).
fn taker_mistake(
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    call: &ExprCall,
    symbol: KnownSymbol,
    identity: Identity,
) -> Option<&'static str> {
    if identity != Identity::NotUser {
        return None;
    }
    if given_strategy(dataflow, file, scope, call) {
        return Some("OBO103");
    }
    let rule = clients::of_symbol(symbol)?.rule.as_deref()?;
    ["OBO201", "OBO202", "OBO203"]
        .into_iter()
        .find(|code| *code == rule)
}

/// A call given an OBO strategy under a credentials keyword (`credentials_strategy=`,
/// `credential_strategy=`, `credentials_provider=`).
fn given_strategy(
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    call: &ExprCall,
) -> bool {
    call.arguments.keywords.iter().any(|k| {
        k.arg.as_ref().is_some_and(|a| {
            matches!(
                a.as_str(),
                "credentials_strategy" | "credential_strategy" | "credentials_provider"
            )
        }) && matches!(
            dataflow.eval(file, scope, &k.value),
            ClientValue::Strategy { .. }
        )
    })
}

/// The deployer client made at `origin` was meant to act as the user: its constructor was given
/// an OBO strategy it does not apply (OBO103's finding, e.g. `credential_strategy=` misspelt).
/// Also through `WorkspaceClient(config=cfg)` when `cfg` is such a `Config`.
fn misplaced_strategy_at(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    origin: Origin,
) -> bool {
    let mut origin = origin;
    for _ in 0..4 {
        let Some((scope, call)) = all_calls(project.model(origin.file))
            .find(|(_, call)| call.func.range() == origin.range)
        else {
            return false;
        };
        if given_strategy(dataflow, origin.file, scope, call) {
            return true;
        }
        let Some(config) = call.arguments.find_keyword("config") else {
            return false;
        };
        match dataflow.eval(origin.file, scope, &config.value) {
            ClientValue::NotUser { origin: Some(next) } if next != origin => origin = next,
            _ => return false,
        }
    }
    false
}

/// The kind of resource a service call reaches, whatever its name.
fn service_resource_kind(service: Option<&str>, method: &str) -> Option<ResourceKind> {
    match (service, method) {
        (Some("genie"), _) => Some(ResourceKind::GenieSpace),
        (Some("serving_endpoints"), _) => Some(ResourceKind::ServingEndpoint),
        (Some("statement_execution" | "warehouses"), _) => Some(ResourceKind::SqlWarehouse),
        (Some("vector_search_indexes"), _) | (None, "get_index") => {
            Some(ResourceKind::VectorSearchIndex)
        }
        _ => None,
    }
}

/// The kind of resource a managed MCP server reaches, from its URL's path.
fn mcp_resource_kind(url: &str) -> Option<ResourceKind> {
    let path = crate::scope_table::url_path(url)?;
    if path.starts_with("/api/2.0/mcp/genie") {
        Some(ResourceKind::GenieSpace)
    } else if path.starts_with("/api/2.0/mcp/vector-search")
        || path.starts_with("/api/2.0/mcp/ai-search")
    {
        Some(ResourceKind::VectorSearchIndex)
    } else {
        None
    }
}

fn argument_identity(
    project: &Project<'_>,
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: ScopeId,
    call: &ExprCall,
    keyword: &str,
    position: Option<usize>,
) -> Identity {
    match client_argument(project.model(file), scope, call, keyword, position) {
        ClientArgument::Given(value) => Identity::of(&dataflow.eval(file, scope, value)),
        ClientArgument::Missing => Identity::NotUser,
        ClientArgument::Unknowable => Identity::Unknown,
    }
}

fn string_argument<'a>(
    reader: &Reader<'_, 'a>,
    file: FileIdx,
    scope: ScopeId,
    call: &'a ExprCall,
    keyword: &str,
    position: Option<usize>,
) -> Option<String> {
    let expr = call
        .arguments
        .find_keyword(keyword)
        .map(|k| &k.value)
        .or_else(|| position.and_then(|p| call.arguments.args.get(p)))?;
    reader.string(Site { file, scope, expr }, 0)
}

/// The resource a client class is given by name (`index_name="..."`), when the code writes it.
fn class_resource<'a>(
    reader: &Reader<'_, 'a>,
    file: FileIdx,
    scope: ScopeId,
    call: &'a ExprCall,
    class: &ClientClass,
) -> Option<(ResourceKind, String)> {
    let (kind, keywords) = class.resource.as_ref()?;
    keywords
        .iter()
        .find_map(|k| string_argument(reader, file, scope, call, k, None))
        .map(|name| (*kind, name))
}

fn service_resource<'a>(
    reader: &Reader<'_, 'a>,
    file: FileIdx,
    scope: ScopeId,
    call: &'a ExprCall,
    service: Option<&str>,
    method: &str,
) -> Option<(ResourceKind, String)> {
    match (service, method) {
        (Some("genie"), _) => string_argument(reader, file, scope, call, "space_id", Some(0))
            .map(|n| (ResourceKind::GenieSpace, n)),
        (Some("serving_endpoints"), "query" | "get" | "query_stream") => {
            string_argument(reader, file, scope, call, "name", Some(0))
                .map(|n| (ResourceKind::ServingEndpoint, n))
        }
        (Some("statement_execution"), "execute_statement") => {
            string_argument(reader, file, scope, call, "warehouse_id", None)
                .map(|n| (ResourceKind::SqlWarehouse, n))
        }
        (None, "get_index") => string_argument(reader, file, scope, call, "index_name", Some(1))
            .map(|n| (ResourceKind::VectorSearchIndex, n)),
        _ => None,
    }
}

/// What a known constructor that is not an MCP client does with its arguments: its own
/// families, or those its `route` (a literal flag, a URL) or `also-when` keyword gives. A flag
/// the analyzer cannot read makes the use opaque: it never guesses where the calls go.
fn constructor_kind<'a>(
    reader: &Reader<'_, 'a>,
    file: FileIdx,
    scope: ScopeId,
    call: &'a ExprCall,
    symbol: KnownSymbol,
    class: &ClientClass,
) -> UseKind {
    let model = reader.model(file);
    let name = &class.class;
    if let Some(route) = &class.route {
        for flag in &route.flags {
            match client_argument(model, scope, call, flag, None) {
                ClientArgument::Missing => {}
                ClientArgument::Given(value) => {
                    match literal_flag(
                        reader,
                        Site {
                            file,
                            scope,
                            expr: value,
                        },
                    ) {
                        Some(true) => {
                            return UseKind::Routed {
                                class: symbol,
                                families: route.families.clone(),
                                how: format!("with `{flag}=True`"),
                            };
                        }
                        Some(false) => {}
                        None => {
                            return UseKind::Opaque {
                                what: format!(
                                    "`{name}` with a `{flag}=` the analyzer cannot read (AI Gateway or a serving endpoint)"
                                ),
                            };
                        }
                    }
                }
                ClientArgument::Unknowable => {
                    return UseKind::Opaque {
                        what: format!(
                            "`{name}` with arguments the analyzer cannot read (`{flag}=` may route it through AI Gateway)"
                        ),
                    };
                }
            }
        }
        if let Some(keyword) = &route.url_keyword {
            match client_argument(model, scope, call, keyword, None) {
                ClientArgument::Missing => {}
                ClientArgument::Given(expr) => {
                    return UseKind::Url {
                        class: symbol,
                        url: url_text(reader, Site { file, scope, expr }, 0),
                    };
                }
                ClientArgument::Unknowable => {
                    return UseKind::Url {
                        class: symbol,
                        url: None,
                    };
                }
            }
        }
    }
    if let Some((keyword, more)) = &class.also_when {
        let given = match client_argument(model, scope, call, keyword, None) {
            ClientArgument::Given(value) => {
                literal_flag(
                    reader,
                    Site {
                        file,
                        scope,
                        expr: value,
                    },
                ) != Some(false)
            }
            ClientArgument::Missing => false,
            // It may carry it: require the extra families rather than call them unneeded.
            ClientArgument::Unknowable => true,
        };
        if given && let ClientScopes::Families(own) = &class.scopes {
            let mut families = own.clone();
            families.extend(more.iter().copied());
            return UseKind::Routed {
                class: symbol,
                families,
                how: format!("with `{keyword}=`"),
            };
        }
    }
    UseKind::Constructor(symbol)
}

/// A literal flag: `True`, or `False`/`None` (off); also through a name bound once to one.
/// `None` when the analyzer cannot read it.
fn literal_flag<'a>(reader: &Reader<'_, 'a>, site: Site<'a>) -> Option<bool> {
    let value = reader.value(site, 0).unwrap_or(site);
    match value.expr {
        Expr::BooleanLiteral(b) => Some(b.value),
        Expr::NoneLiteral(_) => Some(false),
        _ => None,
    }
}

/// The URL of an MCP client or server: literals, f-strings (the host part may be unknown) and
/// concatenations; what is known of the path is enough to match managed MCP servers. A class
/// with `url-in` may take it as the `url` key of that dict (`McpServer(params={"url": ...})`).
fn mcp_url<'a>(
    reader: &Reader<'_, 'a>,
    file: FileIdx,
    scope: ScopeId,
    call: &'a ExprCall,
    class: &ClientClass,
) -> Option<String> {
    let direct = call
        .arguments
        .find_keyword("server_url")
        .or_else(|| call.arguments.find_keyword("url"))
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.first());
    let expr = match (direct, &class.url_in) {
        (Some(expr), _) => expr,
        (None, Some(dict)) => {
            let model = reader.model(file);
            let ClientArgument::Given(params) = client_argument(model, scope, call, dict, None)
            else {
                return None;
            };
            dict_entries(model, scope, params)?
                .into_iter()
                .find_map(|(key, value)| (key == "url").then_some(value))?
        }
        (None, None) => return None,
    };
    url_text(reader, Site { file, scope, expr }, 0)
}

/// A URL's text, with `{…}` standing for parts the analyzer cannot read.
pub fn url_text<'a>(reader: &Reader<'_, 'a>, site: Site<'a>, depth: u32) -> Option<String> {
    let mut budget = UrlBudget {
        parts: MAX_URL_PARTS,
        exhausted: false,
    };
    let text = url_text_within(reader, site, depth, &mut budget);
    if budget.exhausted { None } else { text }
}

/// The parts a URL's text is read from, at most, and its length: a name interpolated several
/// times over, level after level (`u2 = f"{u1}{u1}"`), doubles both at every level. A text
/// past either is unknown, as one that cannot be read.
const MAX_URL_PARTS: usize = 10_000;
const MAX_URL_LEN: usize = 64 * 1024;

/// What is left of [`MAX_URL_PARTS`] for one URL, and whether it ran out.
struct UrlBudget {
    parts: usize,
    exhausted: bool,
}

fn url_text_within<'a>(
    reader: &Reader<'_, 'a>,
    site: Site<'a>,
    depth: u32,
    budget: &mut UrlBudget,
) -> Option<String> {
    if budget.exhausted || budget.parts == 0 {
        budget.exhausted = true;
        return None;
    }
    budget.parts -= 1;
    if depth > 8 {
        return None;
    }
    let text = url_part(reader, site, depth, budget)?;
    if text.len() > MAX_URL_LEN {
        budget.exhausted = true;
        return None;
    }
    Some(text)
}

fn url_part<'a>(
    reader: &Reader<'_, 'a>,
    site: Site<'a>,
    depth: u32,
    budget: &mut UrlBudget,
) -> Option<String> {
    let value = reader.value(site, depth).unwrap_or(site);
    match value.expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        Expr::FString(fstring) => {
            let mut text = String::new();
            for element in fstring.value.elements() {
                match element {
                    ruff_python_ast::InterpolatedStringElement::Literal(literal) => {
                        text.push_str(&literal.value);
                    }
                    ruff_python_ast::InterpolatedStringElement::Interpolation(part) => {
                        let inner = Site {
                            expr: &part.expression,
                            ..value
                        };
                        text.push_str(
                            &url_text_within(reader, inner, depth + 1, budget)
                                .unwrap_or_else(|| "{…}".into()),
                        );
                    }
                }
            }
            Some(text)
        }
        Expr::BinOp(binop) if binop.op == ruff_python_ast::Operator::Add => {
            let left = url_text_within(
                reader,
                Site {
                    expr: &binop.left,
                    ..value
                },
                depth + 1,
                budget,
            )
            .unwrap_or_else(|| "{…}".into());
            let right = url_text_within(
                reader,
                Site {
                    expr: &binop.right,
                    ..value
                },
                depth + 1,
                budget,
            )
            .unwrap_or_else(|| "{…}".into());
            Some(left + &right)
        }
        _ => None,
    }
}

/// `importlib.import_module(...)`, `pkgutil...`, `exec`, `eval`, `__import__`.
fn is_dynamic(
    model: &obolint_python::semantic::ModuleModel<'_>,
    scope: ScopeId,
    call: &ExprCall,
) -> bool {
    use obolint_python::semantic::{NameMeaning, Resolution};
    match model.meaning(scope, &call.func) {
        NameMeaning::Qualified(names) => names.iter().any(|n| {
            n.starts_with("importlib.") || n.starts_with("pkgutil.") || n == "runpy.run_path"
        }),
        _ => matches!(call.func.as_ref(), Expr::Name(n)
            if matches!(n.id.as_str(), "exec" | "eval" | "__import__")
                && matches!(model.resolve_name(scope, n.id.as_str()), Resolution::Unbound)),
    }
}
