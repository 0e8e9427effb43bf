//! The catalogue of client classes (`data/clients.toml`): every library class that reaches
//! Databricks with the client or credential strategy it is given, with the parameter that
//! carries it, the scope families it needs, the rule that owns it and where each fact comes
//! from. Symbol resolution, client uses, required scopes, the OBO2xx rules and OBO103 all read
//! this one table; nothing else lists client classes.

use std::fmt::Write as _;
use std::sync::OnceLock;

use obolint_python::known::{ClientTaker, KnownSymbol, ResourceKind};
use serde::Deserialize;

use crate::scope_table::{ScopeFamily, family_list};

const CLIENTS_TOML: &str = include_str!("../data/clients.toml");

/// What the scopes of a use of the class depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientScopes {
    /// The listed families, whatever the arguments.
    Families(Vec<ScopeFamily>),
    /// The families of the managed MCP server its URL names.
    McpUrl,
    /// A resource Model Serving OBO cannot grant (OBO204): no family. The reason, in words.
    Unsupported(String),
}

/// How the identity is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    /// A `WorkspaceClient` (a user client when built with the OBO strategy).
    Client,
    /// A credential strategy (`VectorSearchClient(credential_strategy=...)`).
    CredentialStrategy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientClass {
    pub class: String,
    pub symbol: KnownSymbol,
    pub paths: Vec<String>,
    /// The keyword that carries the identity, and its position when it can be positional.
    pub parameter: String,
    pub position: Option<usize>,
    pub identity: IdentityKind,
    pub scopes: ClientScopes,
    /// The rule that reports it without a user client in an OBO model (`OBO201`...).
    pub rule: Option<String>,
    /// A `credentials_strategy=` given to it is ignored or rejected (OBO103).
    pub rejects_strategy: bool,
    /// The resource type it reaches and the keywords that may name it.
    pub resource: Option<(ResourceKind, Vec<String>)>,
    /// Keywords that send it elsewhere than `scopes` (AI Gateway).
    pub route: Option<Route>,
    /// A keyword that, when given, makes it require more families.
    pub also_when: Option<(String, Vec<ScopeFamily>)>,
    /// A dict keyword whose `url` key may carry the MCP URL (`McpServer(params={"url": ...})`).
    pub url_in: Option<String>,
    /// A keyword that must be literally `False`, or what it builds from the client is cached
    /// for every caller (OBO102).
    pub shared_cache: Option<String>,
    /// What to do instead (OBO103, OBO204).
    pub help: Option<String>,
    pub source: String,
}

/// Keywords that route a client class elsewhere than its own families.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Route {
    /// A literal `True` on any of these sends the use to `families`.
    pub flags: Vec<String>,
    pub families: Vec<ScopeFamily>,
    /// A URL whose path picks the families (`[[url]]` of the scope table).
    pub url_keyword: Option<String>,
    /// The path of the class's own families under `url_keyword` (`/serving-endpoints`).
    pub default_path: Option<String>,
}

/// A keyword that makes `WorkspaceClient`/`Config` fail when given with an OBO strategy.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StrategyConflict {
    pub keyword: String,
    pub effect: String,
    pub since: String,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "kebab-case")]
struct RawCatalogue {
    client: Vec<RawClient>,
    #[serde(default)]
    strategy_conflict: Vec<StrategyConflict>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAlsoWhen {
    keyword: String,
    families: Vec<ScopeFamily>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
enum RawScopes {
    Families,
    McpUrl,
    Unsupported,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawClient {
    class: String,
    symbol: Option<String>,
    paths: Vec<String>,
    parameter: String,
    position: Option<usize>,
    identity: IdentityKind,
    scopes: RawScopes,
    #[serde(default)]
    families: Vec<ScopeFamily>,
    rule: Option<String>,
    #[serde(default)]
    rejects_strategy: bool,
    resource: Option<RawResource>,
    route: Option<Route>,
    also_when: Option<RawAlsoWhen>,
    url_in: Option<String>,
    shared_cache: Option<String>,
    unsupported: Option<String>,
    help: Option<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    kind: String,
    keywords: Vec<String>,
}

struct Catalogue {
    classes: Vec<ClientClass>,
    strategy_conflicts: Vec<StrategyConflict>,
}

fn parsed() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| match parse_catalogue(CLIENTS_TOML) {
        Ok(catalogue) => catalogue,
        // The file is compiled in and checked by the tests: this cannot happen in a release.
        Err(error) => panic!("data/clients.toml: {error}"),
    })
}

/// Every client class, in file order.
pub fn catalogue() -> &'static [ClientClass] {
    &parsed().classes
}

/// The keywords that make `WorkspaceClient`/`Config` fail with an OBO strategy (OBO103).
pub fn strategy_conflicts() -> &'static [StrategyConflict] {
    &parsed().strategy_conflicts
}

fn parse_catalogue(text: &str) -> Result<Catalogue, String> {
    let raw: RawCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(Catalogue {
        classes: parse_classes(raw.client)?,
        strategy_conflicts: raw.strategy_conflict,
    })
}

#[cfg(test)]
fn parse(text: &str) -> Result<Vec<ClientClass>, String> {
    let raw: RawCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
    parse_classes(raw.client)
}

fn parse_classes(raw: Vec<RawClient>) -> Result<Vec<ClientClass>, String> {
    let mut takers: u16 = 0;
    raw.into_iter()
        .map(|c| {
            let symbol = match c.symbol.as_deref() {
                Some("GenieAgent") => KnownSymbol::GenieAgent,
                Some("Genie") => KnownSymbol::Genie,
                Some("VectorSearchClient") => KnownSymbol::VectorSearchClient,
                Some(other) => return Err(format!("{}: unknown symbol `{other}`", c.class)),
                None => {
                    takers += 1;
                    KnownSymbol::ClientTaker(ClientTaker(takers - 1))
                }
            };
            let scopes = match c.scopes {
                RawScopes::Families if c.families.is_empty() => {
                    return Err(format!("{}: `families` scopes with no family", c.class));
                }
                RawScopes::Families => ClientScopes::Families(c.families),
                RawScopes::McpUrl => ClientScopes::McpUrl,
                RawScopes::Unsupported => {
                    ClientScopes::Unsupported(c.unsupported.clone().ok_or_else(|| {
                        format!("{}: `unsupported` scopes need the reason", c.class)
                    })?)
                }
            };
            if c.unsupported.is_some() && !matches!(scopes, ClientScopes::Unsupported(_)) {
                return Err(format!(
                    "{}: a reason for a class that is supported",
                    c.class
                ));
            }
            let resource = match c.resource {
                Some(r) => Some((
                    ResourceKind::from_yaml_key(&r.kind)
                        .ok_or_else(|| format!("{}: unknown resource `{}`", c.class, r.kind))?,
                    r.keywords,
                )),
                None => None,
            };
            Ok(ClientClass {
                class: c.class,
                symbol,
                paths: c.paths,
                parameter: c.parameter,
                position: c.position,
                identity: c.identity,
                scopes,
                rule: c.rule,
                rejects_strategy: c.rejects_strategy,
                resource,
                route: c.route,
                also_when: c.also_when.map(|a| (a.keyword, a.families)),
                url_in: c.url_in,
                shared_cache: c.shared_cache,
                help: c.help,
                source: c.source,
            })
        })
        .collect()
}

/// The class a fully qualified name is exported as.
pub fn by_path(qualified: &str) -> Option<&'static ClientClass> {
    // Asked of every dotted name the project resolves: a map, not a walk of every path.
    static BY_PATH: OnceLock<rustc_hash::FxHashMap<&'static str, &'static ClientClass>> =
        OnceLock::new();
    BY_PATH
        .get_or_init(|| {
            let mut map = rustc_hash::FxHashMap::default();
            for class in catalogue() {
                for path in &class.paths {
                    // The first class to list a path wins, as in file order.
                    map.entry(path.as_str()).or_insert(class);
                }
            }
            map
        })
        .get(qualified)
        .copied()
}

/// The class of a resolved symbol, when it is a client class.
pub fn of_symbol(symbol: KnownSymbol) -> Option<&'static ClientClass> {
    catalogue().iter().find(|c| c.symbol == symbol)
}

/// The classes `rule` reports, given by a client argument.
pub fn owned_by(symbol: KnownSymbol, rule: &str) -> Option<&'static ClientClass> {
    of_symbol(symbol).filter(|c| c.rule.as_deref() == Some(rule))
}

/// The "Client classes" section of `docs/scopes.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "\n## Client classes\n\n\
         | class | exported as | identity parameter | families | rule | source |\n\
         |---|---|---|---|---|---|\n",
    );
    for c in catalogue() {
        let families = match &c.scopes {
            ClientScopes::Families(f) => family_list(f),
            ClientScopes::McpUrl => "by MCP URL".to_string(),
            ClientScopes::Unsupported(_) => "none: not supported by Model Serving OBO".into(),
        };
        let families = match (&c.route, &c.also_when) {
            (Some(route), _) => format!(
                "{families}; {} with {}",
                family_list(&route.families),
                route
                    .flags
                    .iter()
                    .map(|f| format!("`{f}=True`"))
                    .chain(
                        route
                            .url_keyword
                            .iter()
                            .map(|k| format!("a `{k}` under `/ai-gateway/`"))
                    )
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            (None, Some((keyword, more))) => {
                format!("{families}; + {} with `{keyword}=`", family_list(more))
            }
            (None, None) => families,
        };
        let paths: Vec<String> = c.paths.iter().map(|p| format!("`{p}`")).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | `{}` | {} | {} | {} |",
            c.class,
            paths.join(", "),
            c.parameter,
            families,
            c.rule.as_deref().unwrap_or("-"),
            c.source
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses() {
        // That each `rule` is a registered rule is tested in `registry.rs` (above this module).
        let all = catalogue();
        assert!(all.len() >= 13);
        for c in all {
            assert!(!c.paths.is_empty(), "{}", c.class);
        }
        // Every path names one class only.
        let mut paths: Vec<&String> = all.iter().flat_map(|c| &c.paths).collect();
        let before = paths.len();
        paths.sort();
        paths.dedup();
        assert_eq!(before, paths.len());
    }

    #[test]
    fn every_row_cites_a_public_source() {
        for c in catalogue() {
            if let Err(e) = crate::sources::check_citation(&c.class, &c.source) {
                panic!("data/clients.toml: {e}");
            }
        }
        assert!(!strategy_conflicts().is_empty());
        for c in strategy_conflicts() {
            if let Err(e) = crate::sources::check_citation(&c.keyword, &c.source) {
                panic!("data/clients.toml: {e}");
            }
        }
    }

    #[test]
    fn the_catalogue_has_todays_classes() {
        // Takes no client (LC-MCP): not a client class, so never reported or given a keyword.
        assert_eq!(
            by_path("databricks_langchain.DatabricksMultiServerMCPClient"),
            None
        );
        let tool = by_path("databricks_openai.VectorSearchRetrieverTool").expect("openai tool");
        assert_eq!(
            tool.also_when,
            Some((
                "embedding_model_name".to_string(),
                vec![ScopeFamily::Serving]
            ))
        );
        let langchain_tool =
            by_path("databricks_langchain.VectorSearchRetrieverTool").expect("langchain tool");
        assert_eq!(langchain_tool.also_when, None);
        let openai = by_path("databricks_openai.AsyncDatabricksOpenAI").expect("async client");
        let route = openai.route.as_ref().expect("AI Gateway route");
        assert_eq!(route.families, vec![ScopeFamily::AiGateway]);
        assert_eq!(route.url_keyword.as_deref(), Some("base_url"));
        for path in [
            "databricks_langchain.CheckpointSaver",
            "databricks_langchain.AsyncDatabricksStore",
            "databricks_openai.agents.AsyncDatabricksSession",
            "databricks_ai_bridge.lakebase.LakebaseClient",
        ] {
            let class = by_path(path).expect(path);
            assert!(
                matches!(class.scopes, ClientScopes::Unsupported(_)),
                "{path}"
            );
            assert_eq!(class.rule.as_deref(), Some("OBO204"), "{path}");
        }
        assert_eq!(
            by_path("databricks_openai.agents.McpServer").and_then(|c| c.url_in.as_deref()),
            Some("params")
        );
    }

    #[test]
    fn lookups() {
        let genie = by_path("databricks_langchain.genie.GenieAgent").expect("GenieAgent");
        assert_eq!(genie.symbol, KnownSymbol::GenieAgent);
        assert_eq!(
            (genie.parameter.as_str(), genie.position),
            ("client", Some(5))
        );
        assert_eq!(
            genie.scopes,
            ClientScopes::Families(vec![ScopeFamily::Genie])
        );
        let mcp = by_path("databricks_mcp.DatabricksMCPClient").expect("MCP client");
        assert_eq!(of_symbol(mcp.symbol), Some(mcp));
        assert!(owned_by(mcp.symbol, "OBO203").is_some());
        assert!(owned_by(mcp.symbol, "OBO202").is_none());
        assert_eq!(
            by_path("databricks.ai_search.client.AISearchClient").map(|c| c.symbol),
            Some(KnownSymbol::VectorSearchClient)
        );
        // A lookalike package, or a name no release exports (`databricks_openai.GenieAgent`: no release of databricks-openai has it), is not a class.
        assert_eq!(by_path("databricks_openai.GenieAgent"), None);
        assert_eq!(by_path("agent.GenieAgent"), None);
    }

    #[test]
    fn broken_rows_are_refused() {
        let row = |extra: &str| {
            format!(
                "[[client]]\nclass = \"X\"\npaths = [\"a.X\"]\nparameter = \"client\"\nidentity = \"client\"\nsource = \"s\"\n{extra}"
            )
        };
        assert!(parse(&row("scopes = \"families\"")).is_err(), "no family");
        assert!(parse(&row("scopes = \"mcp-url\"\nsymbol = \"Nope\"")).is_err());
        assert!(
            parse(&row(
                "scopes = \"mcp-url\"\nresource = { kind = \"x\", keywords = [] }"
            ))
            .is_err()
        );
        assert!(
            parse(&row("scopes = \"mcp-url\"\ncolour = 1")).is_err(),
            "unknown key"
        );
        assert!(
            parse(&row("scopes = \"unsupported\"")).is_err(),
            "no reason"
        );
        assert!(
            parse(&row("scopes = \"mcp-url\"\nunsupported = \"why\"")).is_err(),
            "a reason for a supported class"
        );
        assert!(parse(&row("scopes = \"mcp-url\"")).is_ok());
    }
}
