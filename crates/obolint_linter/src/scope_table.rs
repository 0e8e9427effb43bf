//! The OBO API scope table, kept as data in `data/scopes.toml`: which
//! scope names Model Serving knows, which *family* of requirements each name meets, and which
//! user-client uses (SDK services, known constructors, managed MCP URLs) require which families.
//! `docs/scopes.md` is generated from the same data, so the two cannot drift.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Deserialize;

/// The embedded table. A malformed file is a bug caught by the unit tests, never a user error.
const SCOPES_TOML: &str = include_str!("../data/scopes.toml");

/// A family of requirements: it is met when any of its names is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeFamily {
    Genie,
    Serving,
    AiGateway,
    VsIndexes,
    VsEndpoints,
    SqlWarehouses,
    SqlStatements,
    Connections,
    Apps,
    CurrentUser,
    McpGenie,
    McpFunctions,
    McpVectorsearch,
    McpSql,
    McpExternal,
}

impl ScopeFamily {
    pub const ALL: &[ScopeFamily] = &[
        Self::Genie,
        Self::Serving,
        Self::AiGateway,
        Self::VsIndexes,
        Self::VsEndpoints,
        Self::SqlWarehouses,
        Self::SqlStatements,
        Self::Connections,
        Self::Apps,
        Self::CurrentUser,
        Self::McpGenie,
        Self::McpFunctions,
        Self::McpVectorsearch,
        Self::McpSql,
        Self::McpExternal,
    ];

    /// The id used in `scopes.toml` and in messages (`vs-indexes`).
    pub fn id(self) -> &'static str {
        match self {
            Self::Genie => "genie",
            Self::Serving => "serving",
            Self::AiGateway => "ai-gateway",
            Self::VsIndexes => "vs-indexes",
            Self::VsEndpoints => "vs-endpoints",
            Self::SqlWarehouses => "sql-warehouses",
            Self::SqlStatements => "sql-statements",
            Self::Connections => "connections",
            Self::Apps => "apps",
            Self::CurrentUser => "current-user",
            Self::McpGenie => "mcp-genie",
            Self::McpFunctions => "mcp-functions",
            Self::McpVectorsearch => "mcp-vectorsearch",
            Self::McpSql => "mcp-sql",
            Self::McpExternal => "mcp-external",
        }
    }
}

/// The two naming styles: the documented dotted names (`dashboards.genie`) and the current short
/// ones (`genie`). A name is dotted when it has a `.` in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeStyle {
    Dotted,
    Short,
}

impl ScopeStyle {
    pub fn of(name: &str) -> Self {
        if name.contains('.') {
            Self::Dotted
        } else {
            Self::Short
        }
    }
}

/// Where a known name comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeOrigin {
    /// A name of one or more families.
    Family,
    /// Accepted by Model Serving, required by no use (`workspace.workspace`).
    Allowed,
    /// Config `extra-scopes`.
    Extra,
}

/// What the table knows about one declared, known scope name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeName {
    pub name: String,
    /// The families the name meets, in table order (`sql` meets three). Empty for allowed and
    /// extra names.
    pub families: Vec<ScopeFamily>,
    pub style: ScopeStyle,
    /// A dotted name whose family has a current short name (OBO405).
    pub deprecated: bool,
    pub origin: ScopeOrigin,
}

/// The answer for one scope string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeLookup {
    Known(ScopeName),
    /// Databricks Apps accept it; Model Serving rejects it at deploy time (OBO403's message).
    AppsOnly,
    /// A user API scope nowhere: neither Model Serving nor Apps accepts it (`jobs`, `mlflow`).
    NotAScope,
    Unknown,
}

// ---- the file's shape -----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTable {
    family: Vec<RawFamily>,
    allowed: RawNames,
    apps_only: RawNames,
    not_scopes: RawNames,
    genie_tolerance: RawNames,
    service: Vec<RawService>,
    url: Vec<RawUrl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFamily {
    id: ScopeFamily,
    dotted: Option<String>,
    short: Option<String>,
    #[serde(default)]
    also: Vec<String>,
    required_by: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    names: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    attribute: String,
    families: Vec<ScopeFamily>,
    #[serde(default)]
    method: Vec<RawMethod>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    name: String,
    families: Vec<ScopeFamily>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUrl {
    paths: Vec<String>,
    families: Vec<ScopeFamily>,
    source: String,
}

// ---- the table ------------------------------------------------------------------------------

/// The parsed table, plus the names of config `extra-scopes`.
#[derive(Clone, Debug)]
pub struct ScopeTable {
    families: Vec<FamilyRow>,
    /// Each name of a family row, with the families of the rows naming it (in table order):
    /// [`ScopeTable::lookup`] runs once per declared scope, and a hostile list holds 50,000.
    family_index: std::collections::HashMap<String, Vec<ScopeFamily>>,
    allowed: Names,
    apps_only: Names,
    not_scopes: Names,
    genie_tolerance: Names,
    services: Vec<ServiceRow>,
    urls: Vec<UrlRow>,
    extra: Vec<String>,
}

#[derive(Clone, Debug)]
struct Names {
    names: Vec<String>,
    source: String,
}

impl Names {
    fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

impl From<RawNames> for Names {
    fn from(raw: RawNames) -> Self {
        Names {
            names: raw.names,
            source: raw.source,
        }
    }
}

#[derive(Clone, Debug)]
struct FamilyRow {
    family: ScopeFamily,
    /// The documented dotted name; `ai-gateway` has none.
    dotted: Option<String>,
    short: Option<String>,
    also: Vec<String>,
    required_by: String,
    source: String,
}

impl FamilyRow {
    fn names(&self) -> impl Iterator<Item = &str> {
        self.dotted
            .as_deref()
            .into_iter()
            .chain(self.short.as_deref())
            .chain(self.also.iter().map(String::as_str))
    }
}

#[derive(Clone, Debug)]
struct ServiceRow {
    attribute: String,
    families: Vec<ScopeFamily>,
    methods: Vec<MethodRow>,
    source: String,
}

#[derive(Clone, Debug)]
struct MethodRow {
    name: String,
    families: Vec<ScopeFamily>,
    source: String,
}

#[derive(Clone, Debug)]
struct UrlRow {
    paths: Vec<String>,
    families: Vec<ScopeFamily>,
    source: String,
}

impl ScopeTable {
    /// The built-in table, parsed once.
    pub fn builtin() -> &'static ScopeTable {
        static TABLE: OnceLock<ScopeTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The file is part of the binary and checked by the tests: failing here is a bug.
            Self::parse(SCOPES_TOML).expect("data/scopes.toml is valid")
        })
    }

    /// The built-in table plus config `extra-scopes` (accepted as known, in no family).
    pub fn with_extra_scopes(extra: &[String]) -> ScopeTable {
        let mut table = Self::builtin().clone();
        table.extra = extra.to_vec();
        table
    }

    fn parse(text: &str) -> Result<ScopeTable, String> {
        let raw: RawTable = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(f) = raw
            .family
            .iter()
            .find(|f| f.dotted.is_none() && f.short.is_none())
        {
            return Err(format!("family {}: no name", f.id.id()));
        }
        let mut table = ScopeTable {
            family_index: std::collections::HashMap::new(),
            families: raw
                .family
                .into_iter()
                .map(|f| FamilyRow {
                    family: f.id,
                    dotted: f.dotted,
                    short: f.short,
                    also: f.also,
                    required_by: f.required_by,
                    source: f.source,
                })
                .collect(),
            allowed: raw.allowed.into(),
            apps_only: raw.apps_only.into(),
            not_scopes: raw.not_scopes.into(),
            genie_tolerance: raw.genie_tolerance.into(),
            services: raw
                .service
                .into_iter()
                .map(|s| ServiceRow {
                    attribute: s.attribute,
                    families: s.families,
                    methods: s
                        .method
                        .into_iter()
                        .map(|m| MethodRow {
                            name: m.name,
                            families: m.families,
                            source: m.source,
                        })
                        .collect(),
                    source: s.source,
                })
                .collect(),
            urls: raw
                .url
                .into_iter()
                .map(|m| UrlRow {
                    paths: m.paths,
                    families: m.families,
                    source: m.source,
                })
                .collect(),
            extra: Vec::new(),
        };
        for row in &table.families {
            let mut names: Vec<&str> = row.names().collect();
            names.sort_unstable();
            names.dedup();
            for name in names {
                table
                    .family_index
                    .entry(name.to_string())
                    .or_default()
                    .push(row.family);
            }
        }
        Ok(table)
    }

    /// What `name` is. Scope names are compared exactly (case-sensitive, no trimming): Model
    /// Serving compares them as strings.
    pub fn lookup(&self, name: &str) -> ScopeLookup {
        let families: Vec<ScopeFamily> = self.family_index.get(name).cloned().unwrap_or_default();
        let style = ScopeStyle::of(name);
        if !families.is_empty() {
            let deprecated = style == ScopeStyle::Dotted
                && self
                    .families
                    .iter()
                    .any(|row| row.dotted.as_deref() == Some(name) && row.short.is_some());
            return ScopeLookup::Known(ScopeName {
                name: name.to_string(),
                families,
                style,
                deprecated,
                origin: ScopeOrigin::Family,
            });
        }
        let origin = if self.allowed.contains(name) {
            ScopeOrigin::Allowed
        } else if self.extra.iter().any(|n| n == name) {
            ScopeOrigin::Extra
        } else if self.apps_only.contains(name) {
            return ScopeLookup::AppsOnly;
        } else if self.not_scopes.contains(name) {
            return ScopeLookup::NotAScope;
        } else {
            return ScopeLookup::Unknown;
        };
        ScopeLookup::Known(ScopeName {
            name: name.to_string(),
            families: Vec::new(),
            style,
            deprecated: false,
            origin,
        })
    }

    /// The names of `family` in `style`, preferred first: the dotted name, or the current short
    /// name then the other accepted short names. Empty when the family has no name in that style
    /// (`catalog.connections` has no short name).
    pub fn family_names(&self, family: ScopeFamily, style: ScopeStyle) -> Vec<&str> {
        let Some(row) = self.family_row(family) else {
            return Vec::new();
        };
        row.names().filter(|n| ScopeStyle::of(n) == style).collect()
    }

    /// The name a fix adds for `family` in `style`, falling back to the other style's name
    /// when the family has none in this one (`catalog.connections`, `ai-gateway`).
    pub fn preferred_name(&self, family: ScopeFamily, style: ScopeStyle) -> &str {
        let row = self
            .family_row(family)
            .expect("every family has a row (tested)");
        let (first, second) = match style {
            ScopeStyle::Short => (&row.short, &row.dotted),
            ScopeStyle::Dotted => (&row.dotted, &row.short),
        };
        first
            .as_deref()
            .or(second.as_deref())
            .expect("every family has a name (checked when parsed)")
    }

    /// The current short name a deprecated dotted name is renamed to (OBO405).
    pub fn current_name(&self, deprecated: &str) -> Option<&str> {
        self.families
            .iter()
            .find(|row| row.dotted.as_deref() == Some(deprecated))
            .and_then(|row| row.short.as_deref())
    }

    /// Whether `name` is tolerated in a model whose code reaches Genie (not unneeded, OBO402).
    pub fn is_tolerated_with_genie(&self, name: &str) -> bool {
        self.genie_tolerance.contains(name)
    }

    /// The unique known name within Levenshtein distance 2 of `name` (OBO403's fix); `None` when
    /// no known name or more than one is that close, or when `name` is itself known.
    pub fn nearest_known(&self, name: &str) -> Option<&str> {
        let mut found = None;
        for candidate in self.known_names() {
            match levenshtein_within(name, candidate, 2) {
                Some(0) => return None,
                Some(_) if found.is_some_and(|f| f != candidate) => return None,
                Some(_) => found = Some(candidate),
                None => {}
            }
        }
        found
    }

    /// Every known name, deduplicated, in table order.
    pub fn known_names(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.families
            .iter()
            .flat_map(FamilyRow::names)
            .chain(self.allowed.names.iter().map(String::as_str))
            .chain(self.extra.iter().map(String::as_str))
            .filter(|n| seen.insert(*n))
            .collect()
    }

    /// The families a user-client method chain requires: `service` is the attribute read on the
    /// client (`genie` in `w.genie.start_conversation(...)`), `method` the next one if known.
    /// `None` for a service outside the table (an opaque use).
    pub fn service_families(&self, service: &str, method: Option<&str>) -> Option<&[ScopeFamily]> {
        let row = self.services.iter().find(|s| s.attribute == service)?;
        let specific = method.and_then(|m| row.methods.iter().find(|r| r.name == m));
        Some(specific.map_or(&row.families, |r| &r.families))
    }

    /// The families a URL requires (a managed MCP server, an AI Gateway route), matched on its
    /// path: the host may be missing or unknown (`f"{host}/api/2.0/mcp/genie/{space_id}"`: pass
    /// interpolated parts as any non-empty text). A query, a fragment and a trailing `/` are
    /// ignored. `None` when the table knows no such path.
    pub fn url_families(&self, url: &str) -> Option<&[ScopeFamily]> {
        let path = url_path(url)?;
        self.urls
            .iter()
            .find(|row| row.paths.iter().any(|p| path_matches(p, path)))
            .map(|row| row.families.as_slice())
    }

    fn family_row(&self, family: ScopeFamily) -> Option<&FamilyRow> {
        self.families.iter().find(|row| row.family == family)
    }

    /// `docs/scopes.md`, generated from the table, with `clients` (the client classes' section,
    /// from the client catalogue) before the MCP URLs.
    pub fn markdown(&self, clients: &str) -> String {
        let mut out = String::new();
        out.push_str(
            "# API scopes\n\n\
             <!-- Generated from crates/obolint_linter/data/scopes.toml and clients.toml; do not edit. \
             Regenerate: OBOLINT_UPDATE_DOCS=1 cargo test -p obolint_linter --test docs -->\n\n\
             The scopes a model declares in `UserAuthPolicy(api_scopes=[...])` are compared with \
             what its user-client uses require (OBO401-OBO406). A requirement belongs to a \
             *family* and is met when any name of that family is declared. A dotted name whose \
             family has a current short name is deprecated (OBO405). Each row names its sources by \
             the keys of the [Sources](#sources) table at the end, which also says which library \
             versions the tables describe. Names Model Serving accepts that this table \
             does not know yet can be added with the `extra-scopes` setting.\n\n\
             ## Families\n\n\
             | family | dotted name | current short name | also accepted | required by (user-client use) | source |\n\
             |---|---|---|---|---|---|\n",
        );
        for row in &self.families {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                row.family.id(),
                row.dotted
                    .as_deref()
                    .map_or_else(|| "-".to_string(), |s| format!("`{s}`")),
                row.short
                    .as_deref()
                    .map_or_else(|| "-".to_string(), |s| format!("`{s}`")),
                code_list(&row.also),
                row.required_by,
                row.source
            );
        }
        out.push_str(
            "\n## Other names\n\n\
             | kind | names | source |\n|---|---|---|\n",
        );
        for (kind, names) in [
            (
                "accepted by Model Serving, required by no use",
                &self.allowed,
            ),
            (
                "rejected by Model Serving (Databricks Apps only)",
                &self.apps_only,
            ),
            (
                "a user API scope nowhere (neither Model Serving nor Apps)",
                &self.not_scopes,
            ),
            (
                "tolerated in a model that reaches Genie",
                &self.genie_tolerance,
            ),
        ] {
            let _ = writeln!(
                out,
                "| {kind} | {} | {} |",
                code_list(&names.names),
                names.source
            );
        }
        out.push_str(
            "\n## SDK services on a user client\n\n\
             Any other service (`w.api_client`, `w.mcp`, ...) is an opaque use.\n\n\
             | `w.<service>` | families | source |\n|---|---|---|\n",
        );
        for s in &self.services {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                s.attribute,
                family_list(&s.families),
                s.source
            );
            for m in &s.methods {
                let _ = writeln!(
                    out,
                    "| `{}.{}(...)` | {} | {} |",
                    s.attribute,
                    m.name,
                    family_list(&m.families),
                    m.source
                );
            }
        }
        out.push_str(clients);
        out.push_str(
            "\n## URLs\n\n\
             Managed MCP servers and AI Gateway routes, matched on the URL path; `*` is one \
             segment, `**` one or more.\n\n\
             | path | families | source |\n|---|---|---|\n",
        );
        for m in &self.urls {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code_list(&m.paths),
                family_list(&m.families),
                m.source
            );
        }
        out
    }

    /// Every row's `source`, named for messages: the data test checks each cites a source key.
    pub fn row_sources(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        for f in &self.families {
            out.push((format!("family {}", f.family.id()), &f.source));
        }
        for (kind, names) in [
            ("allowed", &self.allowed),
            ("apps-only", &self.apps_only),
            ("not-scopes", &self.not_scopes),
            ("genie-tolerance", &self.genie_tolerance),
        ] {
            out.push((kind.to_string(), &names.source));
        }
        for s in &self.services {
            out.push((format!("service {}", s.attribute), &s.source));
            for m in &s.methods {
                out.push((format!("service {}.{}", s.attribute, m.name), &m.source));
            }
        }
        for u in &self.urls {
            out.push((format!("url {}", u.paths.join(", ")), &u.source));
        }
        out
    }
}

/// The path of a URL: what follows the host (`https://h/p`, `{…}/p`), or the text itself when
/// it starts with `/`; without query, fragment and trailing `/`.
pub fn url_path(url: &str) -> Option<&str> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = &after_scheme[after_scheme.find('/')?..];
    // `HOST + "/api/..."` with a `HOST` ending in `/` gives `//api/...`.
    let path = &path[path.len() - path.trim_start_matches('/').len() - 1..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    Some(path.trim_end_matches('/'))
}

fn code_list(items: &[String]) -> String {
    if items.is_empty() {
        return "-".to_string();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn family_list(families: &[ScopeFamily]) -> String {
    families
        .iter()
        .map(|f| f.id())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// `pattern` segments: literal, `*` (one segment) or a final `**` (one or more).
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some("**"), Some(seg)) => return !seg.is_empty() && have.all(|s| !s.is_empty()),
            (Some("*"), Some(seg)) if !seg.is_empty() => {}
            (Some(w), Some(seg)) if w != "*" && w == seg => {}
            _ => return false,
        }
    }
}

/// The Levenshtein distance of `a` and `b` (in chars) when it is at most `limit`.
pub(crate) fn levenshtein_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        prev = row;
    }
    let distance = prev[b.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScopeFamily as F;

    fn table() -> &'static ScopeTable {
        ScopeTable::builtin()
    }

    fn known(name: &str) -> ScopeName {
        match table().lookup(name) {
            ScopeLookup::Known(s) => s,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn every_family_has_exactly_one_row() {
        for &family in ScopeFamily::ALL {
            let rows = table()
                .families
                .iter()
                .filter(|r| r.family == family)
                .count();
            assert_eq!(rows, 1, "{family:?}");
        }
        assert_eq!(table().families.len(), ScopeFamily::ALL.len());
    }

    #[test]
    fn the_families_are_the_rules_table() {
        let rows: Vec<(F, &str, Vec<&str>)> = table()
            .families
            .iter()
            .map(|r| {
                let names: Vec<&str> = r.names().collect();
                (r.family, names[0], names[1..].to_vec())
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (F::Genie, "dashboards.genie", vec!["genie"]),
                (
                    F::Serving,
                    "serving.serving-endpoints",
                    vec!["model-serving"]
                ),
                (F::AiGateway, "ai-gateway", vec![]),
                (
                    F::VsIndexes,
                    "vectorsearch.vector-search-indexes",
                    vec!["vector-search", "ai-search"]
                ),
                (
                    F::VsEndpoints,
                    "vectorsearch.vector-search-endpoints",
                    vec!["vector-search", "ai-search"]
                ),
                (F::SqlWarehouses, "sql.warehouses", vec!["sql"]),
                (F::SqlStatements, "sql.statement-execution", vec!["sql"]),
                (F::Connections, "catalog.connections", vec![]),
                (F::Apps, "apps.apps", vec!["apps"]),
                (F::CurrentUser, "iam.current-user:read", vec![]),
                (F::McpGenie, "mcp.genie", vec!["genie"]),
                (F::McpFunctions, "mcp.functions", vec!["unity-catalog"]),
                (
                    F::McpVectorsearch,
                    "mcp.vectorsearch",
                    vec!["vector-search", "ai-search"]
                ),
                (F::McpSql, "mcp.sql", vec!["sql"]),
                (F::McpExternal, "mcp.external", vec![]),
            ]
        );
    }

    #[test]
    fn dotted_names_meet_one_family() {
        let s = known("dashboards.genie");
        assert_eq!(s.families, vec![F::Genie]);
        assert_eq!(s.style, ScopeStyle::Dotted);
        assert!(s.deprecated);
        assert_eq!(s.origin, ScopeOrigin::Family);
    }

    #[test]
    fn short_names_may_meet_several_families() {
        let s = known("sql");
        assert_eq!(
            s.families,
            vec![F::SqlWarehouses, F::SqlStatements, F::McpSql]
        );
        assert_eq!(s.style, ScopeStyle::Short);
        assert!(!s.deprecated);
        assert_eq!(known("genie").families, vec![F::Genie, F::McpGenie]);
        assert_eq!(
            known("vector-search").families,
            vec![F::VsIndexes, F::VsEndpoints, F::McpVectorsearch]
        );
        assert_eq!(known("unity-catalog").families, vec![F::McpFunctions]);
        assert_eq!(known("model-serving").families, vec![F::Serving]);
    }

    #[test]
    fn deprecated_is_a_dotted_name_with_a_short_sibling() {
        for name in [
            "dashboards.genie",
            "serving.serving-endpoints",
            "vectorsearch.vector-search-indexes",
            "sql.warehouses",
            "apps.apps",
            "mcp.genie",
            "mcp.sql",
        ] {
            assert!(known(name).deprecated, "{name}");
        }
        for name in [
            "catalog.connections",
            "iam.current-user:read",
            "mcp.external",
            "genie",
        ] {
            assert!(!known(name).deprecated, "{name}");
        }
        assert_eq!(table().current_name("dashboards.genie"), Some("genie"));
        assert_eq!(
            table().current_name("serving.serving-endpoints"),
            Some("model-serving")
        );
        assert_eq!(table().current_name("catalog.connections"), None);
    }

    #[test]
    fn allowed_names_are_known_without_a_family() {
        for name in ["workspace.workspace", "iam.access-control:read"] {
            let s = known(name);
            assert!(s.families.is_empty(), "{name}");
            assert_eq!(s.origin, ScopeOrigin::Allowed);
        }
        // Also allowed, and in a family.
        assert_eq!(known("ai-search").origin, ScopeOrigin::Family);
    }

    #[test]
    fn apps_only_names_are_rejected() {
        for name in [
            "catalog.catalogs:read",
            "catalog.schemas:read",
            "catalog.tables:read",
            "files",
            "files.files",
            "postgres",
            "sql:restricted-query",
            "sql.warehouses:read",
            "all-apis",
        ] {
            assert_eq!(table().lookup(name), ScopeLookup::AppsOnly, "{name}");
        }
    }

    #[test]
    fn names_that_are_no_scope_anywhere() {
        for name in [
            "mlflow",
            "jobs",
            "jobs.jobs",
            "catalog.volumes",
            "vector-search.search",
            "workspace",
        ] {
            assert_eq!(table().lookup(name), ScopeLookup::NotAScope, "{name}");
        }
        // `workspace.workspace` is a scope; only the bare name is not.
        assert!(matches!(
            table().lookup("workspace.workspace"),
            ScopeLookup::Known(_)
        ));
    }

    #[test]
    fn ai_gateway_is_a_family_without_a_dotted_name() {
        let s = known("ai-gateway");
        assert_eq!(s.families, vec![F::AiGateway]);
        assert_eq!(s.origin, ScopeOrigin::Family);
        assert!(!s.deprecated);
        let t = table();
        assert_eq!(
            t.preferred_name(F::AiGateway, ScopeStyle::Dotted),
            "ai-gateway"
        );
        assert_eq!(
            t.preferred_name(F::AiGateway, ScopeStyle::Short),
            "ai-gateway"
        );
        assert!(t.family_names(F::AiGateway, ScopeStyle::Dotted).is_empty());
    }

    #[test]
    fn every_row_cites_a_public_source() {
        let rows = table().row_sources();
        assert!(rows.len() > 20);
        for (row, source) in rows {
            if let Err(e) = crate::sources::check_citation(&row, source) {
                panic!("data/scopes.toml: {e}");
            }
        }
    }

    #[test]
    fn unknown_names_and_exact_matching() {
        for name in ["vectorsearch.vector-search-index", "Genie", " genie", ""] {
            assert_eq!(table().lookup(name), ScopeLookup::Unknown, "{name:?}");
        }
    }

    #[test]
    fn extra_scopes_are_known() {
        let t = ScopeTable::with_extra_scopes(&["my-new-scope".to_string()]);
        match t.lookup("my-new-scope") {
            ScopeLookup::Known(s) => {
                assert_eq!(s.origin, ScopeOrigin::Extra);
                assert!(s.families.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(table().lookup("my-new-scope"), ScopeLookup::Unknown);
        assert_eq!(t.nearest_known("my-new-scop"), Some("my-new-scope"));
        // An extra name never turns an Apps-only name into a family name, but it is accepted.
        let t = ScopeTable::with_extra_scopes(&["files".to_string()]);
        assert!(matches!(t.lookup("files"), ScopeLookup::Known(_)));
    }

    #[test]
    fn family_names_by_style() {
        let t = table();
        assert_eq!(
            t.family_names(F::Genie, ScopeStyle::Dotted),
            vec!["dashboards.genie"]
        );
        assert_eq!(t.family_names(F::Genie, ScopeStyle::Short), vec!["genie"]);
        assert_eq!(
            t.family_names(F::McpVectorsearch, ScopeStyle::Short),
            vec!["vector-search", "ai-search"]
        );
        assert!(t.family_names(F::Connections, ScopeStyle::Short).is_empty());
        assert_eq!(
            t.preferred_name(F::Connections, ScopeStyle::Short),
            "catalog.connections"
        );
        assert_eq!(
            t.preferred_name(F::Serving, ScopeStyle::Short),
            "model-serving"
        );
        assert_eq!(
            t.preferred_name(F::Serving, ScopeStyle::Dotted),
            "serving.serving-endpoints"
        );
    }

    #[test]
    fn nearest_known_name() {
        let t = table();
        assert_eq!(
            t.nearest_known("vectorsearch.vector-search-index"),
            Some("vectorsearch.vector-search-indexes")
        );
        assert_eq!(t.nearest_known("Genie"), Some("genie"));
        assert_eq!(t.nearest_known("model-servin"), Some("model-serving"));
        assert_eq!(t.nearest_known("dashboard.genie"), Some("dashboards.genie"));
        // Already known: nothing to suggest.
        assert_eq!(t.nearest_known("genie"), None);
        // Nothing close.
        assert_eq!(t.nearest_known("completely-unrelated"), None);
        assert_eq!(t.nearest_known("mcp.sq"), Some("mcp.sql"));
        // Two known names within distance 2: no safe choice.
        assert_eq!(levenshtein_within("apql", "apps", 2), Some(2));
        assert_eq!(levenshtein_within("apql", "sql", 2), Some(2));
        assert_eq!(t.nearest_known("apql"), None);
    }

    #[test]
    fn levenshtein() {
        assert_eq!(levenshtein_within("kitten", "sitting", 3), Some(3));
        assert_eq!(levenshtein_within("kitten", "sitting", 2), None);
        assert_eq!(levenshtein_within("", "ab", 2), Some(2));
        assert_eq!(levenshtein_within("é", "e", 2), Some(1));
    }

    #[test]
    fn genie_tolerance() {
        let t = table();
        for name in ["sql.warehouses", "sql.statement-execution", "sql"] {
            assert!(t.is_tolerated_with_genie(name), "{name}");
        }
        assert!(!t.is_tolerated_with_genie("mcp.sql"));
        assert!(!t.is_tolerated_with_genie("model-serving"));
    }

    #[test]
    fn service_chains() {
        let t = table();
        assert_eq!(
            t.service_families("genie", Some("start_conversation_and_wait")),
            Some(&[F::Genie][..])
        );
        assert_eq!(
            t.service_families("serving_endpoints", Some("query")),
            Some(&[F::Serving][..])
        );
        assert_eq!(
            t.service_families("serving_endpoints", Some("get_open_ai_client")),
            Some(&[F::Serving][..])
        );
        assert_eq!(
            t.service_families("serving_endpoints", Some("http_request")),
            Some(&[F::Connections, F::Serving][..])
        );
        assert_eq!(
            t.service_families("statement_execution", None),
            Some(&[F::SqlStatements][..])
        );
        assert_eq!(
            t.service_families("warehouses", Some("get")),
            Some(&[F::SqlWarehouses][..])
        );
        assert_eq!(
            t.service_families("vector_search_indexes", None),
            Some(&[F::VsIndexes][..])
        );
        assert_eq!(
            t.service_families("vector_search_endpoints", None),
            Some(&[F::VsEndpoints][..])
        );
        assert_eq!(
            t.service_families("connections", None),
            Some(&[F::Connections][..])
        );
        assert_eq!(t.service_families("apps", None), Some(&[F::Apps][..]));
        assert_eq!(
            t.service_families("current_user", Some("me")),
            Some(&[F::CurrentUser][..])
        );
        // Opaque uses.
        assert_eq!(t.service_families("api_client", Some("do")), None);
        assert_eq!(t.service_families("mcp", None), None);
        assert_eq!(t.service_families("tables", None), None);
    }

    #[test]
    fn mcp_urls() {
        let t = table();
        let f = |u: &str| t.url_families(u).map(<[ScopeFamily]>::to_vec);
        assert_eq!(f("https://host/api/2.0/mcp/genie"), Some(vec![F::McpGenie]));
        assert_eq!(f("{}/api/2.0/mcp/genie/01ef"), Some(vec![F::McpGenie]));
        assert_eq!(f("/api/2.0/mcp/genie/01ef/"), Some(vec![F::McpGenie]));
        assert_eq!(f("/api/2.0/mcp/genie/01ef/extra"), None);
        assert_eq!(
            f("/api/2.0/mcp/functions/main/default"),
            Some(vec![F::McpFunctions])
        );
        assert_eq!(
            f("/api/2.0/mcp/functions/main/default/fn"),
            Some(vec![F::McpFunctions])
        );
        assert_eq!(f("/api/2.0/mcp/functions"), None);
        assert_eq!(
            f("https://h/api/2.0/mcp/vector-search/main/default"),
            Some(vec![F::McpVectorsearch])
        );
        assert_eq!(
            f("/api/2.0/mcp/ai-search/main/default/idx"),
            Some(vec![F::McpVectorsearch])
        );
        assert_eq!(
            f("https://h/api/2.0/mcp/sql?x=1"),
            Some(vec![F::McpSql, F::SqlWarehouses, F::SqlStatements])
        );
        assert_eq!(f("/api/2.0/mcp/sql/extra"), None);
        assert_eq!(
            f("/api/2.0/mcp/external/my_conn"),
            Some(vec![F::McpExternal, F::Connections])
        );
        assert_eq!(f("/api/2.0/mcp/external"), None);
        assert_eq!(f("https://my-app.databricksapps.com/mcp"), None);
        assert_eq!(f("/api/2.0/mcp/unknown/x"), None);
        assert_eq!(
            f("https://h//api/2.0/mcp/sql").map(|f| f[0]),
            Some(F::McpSql)
        );
        // AI Gateway routes: any path under `/ai-gateway/`.
        assert_eq!(f("{…}/ai-gateway/mlflow/v1"), Some(vec![F::AiGateway]));
        assert_eq!(
            f("https://h/ai-gateway/openai/v1/"),
            Some(vec![F::AiGateway])
        );
        assert_eq!(f("https://h/ai-gateway"), None);
        assert_eq!(f("https://h/serving-endpoints"), None);
        assert_eq!(f("https://h/x/ai-gateway/mlflow"), None);
    }
}
