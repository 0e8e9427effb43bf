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
    for (family, uses) in &scopes.required {
        let Some(first) = uses.first() else { continue };
        let met = list.scopes.iter().any(|s| {
            families_of_name(table, &s.value).is_some_and(|families| families.contains(family))
        });
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
    if !scopes.is_fully_known() || !builds_user_client {
        return out;
    }
    let duplicated: Vec<usize> = duplicates(table, list, Some(scopes))
        .into_iter()
        .map(|(later, _)| later)
        .collect();
    for (index, scope) in list.scopes.iter().enumerate() {
        if duplicated.contains(&index) {
            continue;
        }
        let Some(families) = families_of_name(table, &scope.value) else {
            continue;
        };
        let needed = families.is_empty()
            || scopes.needs_any(&families)
            || families
                .iter()
                .any(|f| scopes.reached_otherwise.contains(f))
            || (scopes.reaches_genie && table.is_tolerated_with_genie(&scope.value));
        if !needed {
            out.unneeded.push(index);
        }
    }
    out
}
