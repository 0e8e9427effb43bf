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
    /// Its servers' (each server is a use of its own): the class itself requires nothing known.
    PerServer,
    /// A resource Model Serving OBO cannot grant (OBO204): no family.
    Unsupported,
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
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    client: Vec<RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
enum RawScopes {
    Families,
    McpUrl,
    PerServer,
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
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    kind: String,
    keywords: Vec<String>,
}

/// Every client class, in file order.
pub fn catalogue() -> &'static [ClientClass] {
    static CATALOGUE: OnceLock<Vec<ClientClass>> = OnceLock::new();
    CATALOGUE.get_or_init(|| match parse(CLIENTS_TOML) {
        Ok(classes) => classes,
        // The file is compiled in and checked by the tests: this cannot happen in a release.
        Err(error) => panic!("data/clients.toml: {error}"),
    })
}

fn parse(text: &str) -> Result<Vec<ClientClass>, String> {
    let raw: RawCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut takers: u16 = 0;
    raw.client
        .into_iter()
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
                RawScopes::PerServer => ClientScopes::PerServer,
                RawScopes::Unsupported => ClientScopes::Unsupported,
            };
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
                source: c.source,
            })
        })
        .collect()
}

/// The class a fully qualified name is exported as.
pub fn by_path(qualified: &str) -> Option<&'static ClientClass> {
    catalogue()
        .iter()
        .find(|c| c.paths.iter().any(|p| p == qualified))
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
            ClientScopes::PerServer => "each server's, by its MCP URL".to_string(),
            ClientScopes::Unsupported => "none: not supported by Model Serving OBO".into(),
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
        // A lookalike package, or a name no release exports (research notes F20), is not a class.
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
        assert!(parse(&row("scopes = \"mcp-url\"")).is_ok());
    }
}
