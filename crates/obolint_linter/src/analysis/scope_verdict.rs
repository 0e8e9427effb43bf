//! The verdict on one declared scope list against what its model requires: which scopes are
//! missing and which are unneeded. It is computed here once, so that OBO401, OBO402 and
//! `obolint scopes` cannot disagree.

use super::api_scopes::{ModelScopes, UseRef, families_of_name};
use super::declared_lists::{DeclaredList, duplicates};
use crate::scope_table::{ScopeFamily, ScopeStyle, ScopeTable};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeVerdict {
    /// One entry per scope to add, in the list's naming style (`sql` alone meets three SQL
    /// families), in the order the families are required.
    pub missing: Vec<MissingScope>,
    /// Declared scopes (indices into the list) that no user-client use needs.
    pub unneeded: Vec<usize>,
    /// Declared scopes (indices) kept only because a mistake another rule reports reaches their
    /// resource without the user client (or with a client the analyzer cannot tell).
    pub excused: Vec<usize>,
    /// Declared scopes (indices) another rule replaces or removes: unknown (OBO403) or
    /// duplicated (OBO404).
    pub dropped: Vec<usize>,
}

impl ScopeVerdict {
    /// The list as it should read: the declared names that stay, in order, then the missing
    /// ones. `obolint scopes` prints it, so that what it leaves out is exactly what OBO402,
    /// OBO403 and OBO404 report.
    pub fn policy(&self, list: &DeclaredList) -> Vec<String> {
        let mut out: Vec<String> = list
            .scopes
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.unneeded.contains(i) && !self.dropped.contains(i))
            .map(|(_, s)| s.value.clone())
            .collect();
        for missing in &self.missing {
            if !out.contains(&missing.name) {
                out.push(missing.name.clone());
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingScope {
    pub name: String,
    pub families: Vec<ScopeFamily>,
    /// The first use that needs it.
    pub first: UseRef,
}

/// `list` against `scopes`, the requirements of its model. `builds_user_client`: the model's
/// code builds (or means to build) a user client; when it does not, every scope is OBO305's
/// business and none is called unneeded.
pub fn verdict(
    table: &ScopeTable,
    list: &DeclaredList,
    scopes: &ModelScopes,
    style: ScopeStyle,
    builds_user_client: bool,
) -> ScopeVerdict {
    let mut out = ScopeVerdict::default();
    // Each distinct name is looked up once (a list may be long: 50,000 scopes in a hostile one).
    let mut lookups: std::collections::HashMap<&str, Option<Vec<ScopeFamily>>> =
        std::collections::HashMap::with_capacity(list.scopes.len());
    for scope in &list.scopes {
        lookups
            .entry(scope.value.as_str())
            .or_insert_with(|| families_of_name(table, &scope.value));
    }
    let mut declared: std::collections::BTreeSet<ScopeFamily> = std::collections::BTreeSet::new();
    for found in lookups.values().flatten() {
        declared.extend(found.iter().copied());
    }
    for (family, uses) in &scopes.required {
        let Some(first) = uses.first() else { continue };
        let met = declared.contains(family);
        if met {
            continue;
        }
        let name = table.preferred_name(*family, style);
        match out.missing.iter_mut().find(|m| m.name == name) {
            Some(missing) => missing.families.push(*family),
            None => out.missing.push(MissingScope {
                name: name.to_string(),
                families: vec![*family],
                first: first.clone(),
            }),
        }
    }
    // A scope is unneeded only when everything the code does is known, and not when it is a
    // duplicate (OBO404's finding) or unknown (OBO403's).
    let mut duplicated = vec![false; list.scopes.len()];
    for (later, _) in duplicates(table, list, Some(scopes)) {
        duplicated[later] = true;
    }
    for (index, scope) in list.scopes.iter().enumerate() {
        if duplicated[index] || !matches!(lookups.get(scope.value.as_str()), Some(Some(_))) {
            out.dropped.push(index);
        }
    }
    if !scopes.is_fully_known() || !builds_user_client {
        return out;
    }
    for (index, scope) in list.scopes.iter().enumerate() {
        if duplicated[index] {
            continue;
        }
        let Some(Some(families)) = lookups.get(scope.value.as_str()) else {
            continue;
        };
        let needed = families.is_empty()
            || scopes.needs_any(families)
            || (scopes.reaches_genie && table.is_tolerated_with_genie(&scope.value));
        if needed {
            continue;
        }
        if families.iter().any(|f| scopes.excused.contains_key(f)) {
            out.excused.push(index);
        } else {
            out.unneeded.push(index);
        }
    }
    out
}
