//! The Databricks Apps user API scope table, kept as data in `data/app_scopes.toml` beside Model
//! Serving's (`scope_table.rs`): which names an app may declare in `user_api_scopes`, which
//! family each meets, which names Apps rejects, and which uses of an app user client need which
//! family. A use is first read through Model Serving's table (MCP URLs, AI Gateway routing and
//! client classes are decided once, there), then mapped to the Apps family here.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::scope_table::{ScopeFamily, levenshtein_within};

const APP_SCOPES_TOML: &str = include_str!("../data/app_scopes.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFamilyRow {
    pub id: String,
    pub short: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub also: Vec<String>,
    #[serde(default)]
    pub serving: Vec<ScopeFamily>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub classes: Vec<String>,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameList {
    pub names: Vec<String>,
    #[serde(default)]
    pub serving: Vec<ScopeFamily>,
    #[serde(default)]
    pub services: Vec<String>,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsupportedRow {
    pub services: Vec<String>,
    pub what: String,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTable {
    family: Vec<AppFamilyRow>,
    allowed: NameList,
    always_granted: NameList,
    serving_only: NameList,
    not_scopes: NameList,
    unsupported: Vec<UnsupportedRow>,
}

/// An Apps family, by its index in the table.
pub type AppFamily = usize;

/// How a declared name reads against the Apps table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppScopeLookup {
    /// Meets these families (empty for an allowed name that meets none).
    Known(Vec<AppFamily>),
    /// A dotted alias Apps still accepts: meets the family; the short name is preferred.
    Alias {
        family: AppFamily,
        short: String,
    },
    /// Always granted; the API rejects it when declared.
    AlwaysGranted,
    /// A Model Serving name that Apps rejects.
    ServingOnly,
    /// No user API scope anywhere.
    NotAScope,
    Unknown,
}

/// What an app user client's use needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppNeed {
    Families(Vec<AppFamily>),
    /// Always granted: nothing to declare.
    Nothing,
    /// No Apps scope grants it (OBO707): the reason, in words.
    Unsupported(String),
    /// Not in the table: the token may reach APIs the analyzer cannot see.
    Unknown,
}

#[derive(Debug)]
pub struct AppScopeTable {
    pub families: Vec<AppFamilyRow>,
    allowed: NameList,
    always_granted: NameList,
    serving_only: NameList,
    not_scopes: NameList,
    unsupported: Vec<UnsupportedRow>,
    extra: Vec<String>,
}

impl AppScopeTable {
    fn parse() -> AppScopeTable {
        match toml::from_str::<RawTable>(APP_SCOPES_TOML) {
            Ok(raw) => AppScopeTable {
                families: raw.family,
                allowed: raw.allowed,
                always_granted: raw.always_granted,
                serving_only: raw.serving_only,
                not_scopes: raw.not_scopes,
                unsupported: raw.unsupported,
                extra: Vec::new(),
            },
            // Compiled in and checked by the tests: this cannot happen in a release.
            Err(error) => panic!("data/app_scopes.toml: {error}"),
        }
    }

    pub fn builtin() -> &'static AppScopeTable {
        static TABLE: OnceLock<AppScopeTable> = OnceLock::new();
        TABLE.get_or_init(AppScopeTable::parse)
    }

    /// The table with the names of config `extra-scopes` accepted as known (they meet no family).
    pub fn with_extra_scopes(extra: &[String]) -> AppScopeTable {
        let mut table = AppScopeTable::parse();
        table.extra = extra.to_vec();
        table
    }

    pub fn short(&self, family: AppFamily) -> &str {
        self.families
            .get(family)
            .map_or("", |row| row.short.as_str())
    }

    pub fn lookup(&self, name: &str) -> AppScopeLookup {
        if self.extra.iter().any(|e| e == name) {
            return AppScopeLookup::Known(Vec::new());
        }
        let mut meets = Vec::new();
        for (i, row) in self.families.iter().enumerate() {
            if row.short == name || row.also.iter().any(|a| a == name) {
                meets.push(i);
            } else if row.aliases.iter().any(|a| a == name) {
                return AppScopeLookup::Alias {
                    family: i,
                    short: row.short.clone(),
                };
            }
        }
        if !meets.is_empty() {
            return AppScopeLookup::Known(meets);
        }
        if self.allowed.names.iter().any(|n| n == name) {
            return AppScopeLookup::Known(Vec::new());
        }
        if self.always_granted.names.iter().any(|n| n == name) {
            return AppScopeLookup::AlwaysGranted;
        }
        if self.serving_only.names.iter().any(|n| n == name) {
            return AppScopeLookup::ServingOnly;
        }
        if self.not_scopes.names.iter().any(|n| n == name) {
            return AppScopeLookup::NotAScope;
        }
        AppScopeLookup::Unknown
    }

    /// The families a declared name meets (aliases included); `None` when Apps does not accept it.
    pub fn families_of_name(&self, name: &str) -> Option<Vec<AppFamily>> {
        match self.lookup(name) {
            AppScopeLookup::Known(families) => Some(families),
            AppScopeLookup::Alias { family, .. } => Some(vec![family]),
            _ => None,
        }
    }

    /// Every name Apps accepts, short names first (for "did you mean").
    pub fn accepted_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.families.iter().map(|r| r.short.as_str()).collect();
        for row in &self.families {
            out.extend(row.also.iter().map(String::as_str));
        }
        out.extend(self.allowed.names.iter().map(String::as_str));
        out.extend(self.extra.iter().map(String::as_str));
        out
    }

    /// The unique accepted name within edit distance 2 of `name` (not `name` itself).
    pub fn nearest(&self, name: &str) -> Option<&str> {
        let mut found: Option<&str> = None;
        for candidate in self.accepted_names() {
            match levenshtein_within(name, candidate, 2) {
                Some(0) => return None,
                Some(_) if found.is_some_and(|f| f != candidate) => return None,
                Some(_) => found = Some(candidate),
                None => {}
            }
        }
        found
    }

    /// What `w.<service>...` on an app user client needs, when this table decides it.
    pub fn service_need(&self, service: &str) -> Option<AppNeed> {
        if let Some(row) = self
            .unsupported
            .iter()
            .find(|r| r.services.iter().any(|s| s == service))
        {
            return Some(AppNeed::Unsupported(row.what.clone()));
        }
        if self.always_granted.services.iter().any(|s| s == service) {
            return Some(AppNeed::Nothing);
        }
        let families: Vec<AppFamily> = self
            .families
            .iter()
            .enumerate()
            .filter(|(_, r)| r.services.iter().any(|s| s == service))
            .map(|(i, _)| i)
            .collect();
        (!families.is_empty()).then_some(AppNeed::Families(families))
    }

    /// The family a client class (by its class name, or a qualified function name) needs.
    pub fn class_need(&self, class: &str) -> Option<AppNeed> {
        let families: Vec<AppFamily> = self
            .families
            .iter()
            .enumerate()
            .filter(|(_, r)| r.classes.iter().any(|c| c == class))
            .map(|(i, _)| i)
            .collect();
        (!families.is_empty()).then_some(AppNeed::Families(families))
    }

    /// The Apps families that meet what Model Serving's table says a use needs. `None` when a
    /// Model Serving family has no Apps equivalent.
    pub fn from_serving(&self, needed: &[ScopeFamily]) -> AppNeed {
        let mut out: Vec<AppFamily> = Vec::new();
        for family in needed {
            if self.always_granted.serving.contains(family) {
                continue;
            }
            if *family == ScopeFamily::Apps {
                return AppNeed::Unsupported("the Apps API".into());
            }
            match self
                .families
                .iter()
                .position(|r| r.serving.contains(family))
            {
                Some(i) => {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
                None => return AppNeed::Unknown,
            }
        }
        if out.is_empty() {
            AppNeed::Nothing
        } else {
            AppNeed::Families(out)
        }
    }

    /// Every row's sources, for the citation test.
    pub fn row_sources(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = self
            .families
            .iter()
            .map(|r| (format!("app family {}", r.id), r.source.as_str()))
            .collect();
        out.push(("[allowed]".into(), &self.allowed.source));
        out.push(("[always-granted]".into(), &self.always_granted.source));
        out.push(("[serving-only]".into(), &self.serving_only.source));
        out.push(("[not-scopes]".into(), &self.not_scopes.source));
        for row in &self.unsupported {
            out.push((format!("unsupported {}", row.what), &row.source));
        }
        out
    }

    /// The table as a markdown page section (for `docs/apps.md`).
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from(
            "| family | declare | also accepted | needed by (app user client) | sources |\n| --- | --- | --- | --- | --- |\n",
        );
        for row in &self.families {
            let mut needed: Vec<String> =
                row.services.iter().map(|s| format!("`w.{s}.*`")).collect();
            needed.extend(row.classes.iter().map(|c| format!("`{c}`")));
            needed.extend(
                row.serving
                    .iter()
                    .map(|f| format!("what Model Serving's family `{}` covers", f.id())),
            );
            let mut also: Vec<String> = row
                .aliases
                .iter()
                .map(|a| format!("`{a}` (alias)"))
                .collect();
            also.extend(row.also.iter().map(|a| format!("`{a}`")));
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                row.id,
                row.short,
                also.join(", "),
                needed.join(", "),
                row.source
            );
        }
        let list = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = write!(
            out,
            "\nAlways granted (rejected when declared): {} ({}).\n\nModel Serving names Apps rejects: {} ({}).\n\nNo user API scope anywhere: {} ({}).\n\nAccepted, meeting no family: {} ({}).\n\nReached by no Apps user scope (OBO707):\n\n",
            list(&self.always_granted.names),
            self.always_granted.source,
            list(&self.serving_only.names),
            self.serving_only.source,
            list(&self.not_scopes.names),
            self.not_scopes.source,
            list(&self.allowed.names),
            self.allowed.source,
        );
        for row in &self.unsupported {
            let services: Vec<String> = row.services.iter().map(|s| format!("`w.{s}`")).collect();
            let _ = writeln!(
                out,
                "- {}: {} ({})",
                row.what,
                services.join(", "),
                row.source
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_cites_a_source() {
        for (row, text) in AppScopeTable::builtin().row_sources() {
            if let Err(e) = crate::sources::check_citation(&row, text) {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn names() {
        let t = AppScopeTable::builtin();
        assert!(matches!(t.lookup("sql"), AppScopeLookup::Known(f) if f.len() == 1));
        assert!(matches!(
            t.lookup("dashboards.genie"),
            AppScopeLookup::Alias { ref short, .. } if short == "genie"
        ));
        assert_eq!(t.lookup("apps"), AppScopeLookup::ServingOnly);
        assert_eq!(t.lookup("jobs.jobs"), AppScopeLookup::NotAScope);
        assert_eq!(
            t.lookup("iam.current-user:read"),
            AppScopeLookup::AlwaysGranted
        );
        assert_eq!(t.lookup("genei"), AppScopeLookup::Unknown);
        assert_eq!(t.nearest("genei"), Some("genie"));
        assert_eq!(t.nearest("sql"), None);
    }

    #[test]
    fn uses() {
        let t = AppScopeTable::builtin();
        assert!(matches!(
            t.service_need("jobs"),
            Some(AppNeed::Unsupported(_))
        ));
        assert!(matches!(
            t.service_need("files"),
            Some(AppNeed::Families(_))
        ));
        assert_eq!(
            t.from_serving(&[ScopeFamily::SqlStatements, ScopeFamily::SqlWarehouses]),
            AppNeed::Families(vec![1])
        );
        assert_eq!(
            t.from_serving(&[ScopeFamily::CurrentUser]),
            AppNeed::Nothing
        );
        assert!(t.class_need("LakebasePool").is_some());
    }
}
