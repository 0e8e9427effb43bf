//! Required-scope inference: which scope families a model's user-client uses need, each with the
//! use that needs it, and what keeps the analyzer from knowing for sure (opaque uses, code it
//! could not resolve). Compared with what the model declares by OBO401-OBO406 and shown by
//! `obolint scopes`.

use std::collections::BTreeMap;

use obolint_python::known::KnownSymbol;
use ruff_text_size::TextRange;

use super::uses::{ClientUse, Identity, UseKind};
use crate::clients::{self, ClientScopes};
use crate::project::FileIdx;
use crate::scope_table::{ScopeFamily, ScopeLookup, ScopeTable};

/// A use of the model's code, for messages and labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseRef {
    pub file: FileIdx,
    pub range: TextRange,
    pub what: String,
}

/// Why a family's scope is kept though no user-client use needs it yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excuse {
    pub first: UseRef,
    /// The rule that reports the mistake, or `None` when the client cannot be told.
    pub rule: Option<&'static str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelScopes {
    /// Each family the code needs, with the uses that need it (in file order).
    pub required: BTreeMap<ScopeFamily, Vec<UseRef>>,
    /// Uses whose scopes cannot be known (the token may reach APIs the analyzer cannot see).
    pub opaque: Vec<UseRef>,
    /// Families of resources reached without the user client because of a mistake a rule
    /// reports (OBO103, OBO201-203), or with a client the analyzer cannot tell: scopes for them
    /// are not "unneeded" (fixing the mistake makes them needed). A family reached with a plain
    /// client on purpose (the LLM for the system policy) is no excuse.
    pub excused: BTreeMap<ScopeFamily, Excuse>,
    /// The code reaches Genie at all, with any client (the SQL scopes are tolerated then).
    pub reaches_genie: bool,
}

impl ModelScopes {
    /// A scope is needed when one of its families is required.
    pub fn needs_any(&self, families: &[ScopeFamily]) -> bool {
        families.iter().any(|f| self.required.contains_key(f))
    }

    pub fn is_fully_known(&self) -> bool {
        self.opaque.is_empty()
    }
}

pub fn describe(kind: &UseKind) -> String {
    match kind {
        UseKind::Service {
            service,
            method: Some(method),
        } => format!("`.{service}.{method}(...)`"),
        UseKind::Service {
            service,
            method: None,
        } => format!("`.{service}(...)`"),
        UseKind::Constructor(known) => format!("`{}`", class_name(*known)),
        UseKind::Routed { class, how, .. } => format!("`{}` {how}", class_name(*class)),
        UseKind::Url {
            class,
            url: Some(url),
        } => format!("`{}` for `{url}`", class_name(*class)),
        UseKind::Url { class, url: None } => {
            format!("`{}` with a URL built at run time", class_name(*class))
        }
        UseKind::Mcp { url: Some(url) } => format!("the MCP server `{url}`"),
        UseKind::Mcp { url: None } => "an MCP server whose URL is built at run time".into(),
        UseKind::Opaque { what } => what.clone(),
    }
}

fn class_name(known: KnownSymbol) -> String {
    match clients::of_symbol(known) {
        Some(class) => class.class.clone(),
        None => known.display_name().to_string(),
    }
}

/// The families a use needs (`None`: it is opaque).
pub fn families_of(table: &ScopeTable, kind: &UseKind) -> Option<Vec<ScopeFamily>> {
    match kind {
        UseKind::Service { service, method } => match method {
            Some(method) => table
                .service_families(service, Some(method))
                .map(<[ScopeFamily]>::to_vec),
            // `w.<method>()` directly on a client: not a service of the table, and not one of
            // the services that reach data; nothing required.
            None => Some(
                table
                    .service_families(service, None)
                    .map(<[ScopeFamily]>::to_vec)
                    .unwrap_or_default(),
            ),
        },
        UseKind::Constructor(known) => match &clients::of_symbol(*known)?.scopes {
            ClientScopes::Families(families) => Some(families.clone()),
            ClientScopes::McpUrl => None,
            ClientScopes::Unsupported(_) => Some(Vec::new()),
        },
        UseKind::Routed { families, .. } => Some(families.clone()),
        // A URL the table knows (`/ai-gateway/...`), or the class's own path
        // (`/serving-endpoints`); anywhere else, the analyzer cannot tell.
        UseKind::Url { class, url } => {
            let url = url.as_deref()?;
            if let Some(families) = table.url_families(url) {
                return Some(families.to_vec());
            }
            let class = clients::of_symbol(*class)?;
            let own_path = class.route.as_ref()?.default_path.as_deref()?;
            let path = crate::scope_table::url_path(url)?;
            match &class.scopes {
                ClientScopes::Families(families)
                    if path == own_path || path.starts_with(&format!("{own_path}/")) =>
                {
                    Some(families.clone())
                }
                _ => None,
            }
        }
        UseKind::Mcp { url: Some(url) } => table.url_families(url).map(<[ScopeFamily]>::to_vec),
        UseKind::Mcp { url: None } | UseKind::Opaque { .. } => None,
    }
}

pub fn scopes_of_uses(table: &ScopeTable, uses: &[ClientUse]) -> ModelScopes {
    let mut out = ModelScopes::default();
    for u in uses {
        let reference = UseRef {
            file: u.file,
            range: u.range,
            what: describe(&u.kind),
        };
        if matches!(
            u.kind,
            UseKind::Constructor(KnownSymbol::GenieAgent | KnownSymbol::Genie)
        ) || matches!(&u.kind, UseKind::Service { service, .. } if service == "genie")
        {
            out.reaches_genie = true;
        }
        let families = families_of(table, &u.kind);
        match u.identity {
            Identity::User { .. } => match families {
                Some(families) => {
                    for family in families {
                        out.required
                            .entry(family)
                            .or_default()
                            .push(reference.clone());
                    }
                }
                None => out.opaque.push(reference),
            },
            Identity::NotUser if u.mistake.is_none() => {}
            Identity::NotUser | Identity::Unknown => {
                for family in families.into_iter().flatten() {
                    out.excused.entry(family).or_insert_with(|| Excuse {
                        first: reference.clone(),
                        rule: u.mistake,
                    });
                }
            }
        }
    }
    out
}

/// How a declared scope name reads against the table.
pub fn families_of_name(table: &ScopeTable, name: &str) -> Option<Vec<ScopeFamily>> {
    match table.lookup(name) {
        ScopeLookup::Known(found) => Some(found.families),
        _ => None,
    }
}
