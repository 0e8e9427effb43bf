//! The declared scope lists the OBO4xx rules (and `obolint scopes`) compare with what the code requires: a log call's
//! `UserAuthPolicy(api_scopes=[...])` (following names to the list literal) and an `MLmodel`'s
//! `auth_policy.user_auth_policy.api_scopes`, with how to edit each.

use obolint_diagnostics::{Edit, FileId};
use ruff_text_size::{TextRange, TextSize};

use super::api_scopes::ModelScopes;
use super::models::Models;
use crate::manifest::{ManifestKind, ProjectManifest};
use crate::project::{FileIdx, Project};
use crate::scope_table::{ScopeFamily, ScopeStyle, ScopeTable};

#[derive(Clone, Debug)]
pub struct DeclaredScope {
    pub file: FileId,
    pub value: String,
    pub range: TextRange,
    /// The whole YAML line of the item (removing it removes the line).
    pub line: Option<TextRange>,
}

#[derive(Clone, Debug)]
pub struct DeclaredList {
    /// Where the list is: the list literal, or the `api_scopes:` key.
    pub file: FileId,
    pub list: TextRange,
    pub scopes: Vec<DeclaredScope>,
    /// The model it declares for, when the analyzer found its code.
    pub entry: Option<FileIdx>,
    pub edit: ListEdit,
}

#[derive(Clone, Debug)]
pub enum ListEdit {
    /// A Python list literal holding every scope: items can be appended and removed.
    Python,
    /// A YAML block list: a new item goes at `.0` written as `.1` + name.
    Yaml(Option<(TextSize, String)>),
    /// Built from names, `+` or appends: edited by hand.
    None,
}

/// Every declared scope list of the project, with the model it belongs to.
pub fn declared_lists(
    project: &Project<'_>,
    models: &Models,
    manifests: &[ProjectManifest],
) -> Vec<DeclaredList> {
    let mut out = Vec::new();
    for call in &models.log_calls {
        let Some(list) = call.declaration.user_scopes() else {
            continue;
        };
        out.push(DeclaredList {
            file: project.file(list.file).id,
            list: list.list,
            scopes: list
                .scopes
                .iter()
                .map(|s| DeclaredScope {
                    file: project.file(s.file).id,
                    value: s.value.clone(),
                    range: s.range,
                    line: None,
                })
                .collect(),
            entry: call.entry,
            edit: if list.literal {
                ListEdit::Python
            } else {
                ListEdit::None
            },
        });
    }
    for manifest in manifests {
        if manifest.manifest.kind != ManifestKind::MlModel {
            continue;
        }
        let Some(scopes) = manifest
            .manifest
            .auth_policy
            .as_ref()
            .and_then(|p| p.user_scopes.as_ref())
        else {
            continue;
        };
        if !scopes.valid {
            continue;
        }
        out.push(DeclaredList {
            file: manifest.id,
            list: scopes.key,
            scopes: scopes
                .scopes
                .iter()
                .enumerate()
                .map(|(i, (value, range))| DeclaredScope {
                    file: manifest.id,
                    value: value.clone(),
                    range: *range,
                    line: scopes.item_lines.get(i).copied(),
                })
                .collect(),
            entry: manifest.entry,
            edit: if scopes.item_lines.len() == scopes.scopes.len() {
                ListEdit::Yaml(scopes.append.clone())
            } else {
                ListEdit::None
            },
        });
    }
    out
}

/// The naming style of a list: short when any scope uses a short name, dotted otherwise (and
/// when empty), unless `scope-style` says.
pub fn list_style(
    table: &ScopeTable,
    list: &DeclaredList,
    configured: Option<ScopeStyle>,
) -> ScopeStyle {
    if let Some(style) = configured {
        return style;
    }
    let short = list.scopes.iter().any(|s| {
        ScopeStyle::of(&s.value) == ScopeStyle::Short
            && crate::analysis::api_scopes::families_of_name(table, &s.value)
                .is_some_and(|f| !f.is_empty())
    });
    if short {
        ScopeStyle::Short
    } else {
        ScopeStyle::Dotted
    }
}

/// The edit that appends `name` to the list.
pub fn append_edit(list: &DeclaredList, name: &str) -> Option<Edit> {
    match &list.edit {
        ListEdit::Python => Some(match list.scopes.last() {
            Some(last) => Edit::insertion(last.range.end(), format!(", \"{name}\"")),
            None => Edit::insertion(list.list.start() + TextSize::new(1), format!("\"{name}\"")),
        }),
        ListEdit::Yaml(Some((at, prefix))) => Some(Edit::insertion(
            *at,
            if prefix.starts_with('\n') {
                format!("{prefix}{name}")
            } else {
                format!("{prefix}{name}\n")
            },
        )),
        _ => None,
    }
}

/// The edit that removes scope `index` from the list (with its separator).
pub fn remove_edit(list: &DeclaredList, index: usize) -> Option<Edit> {
    let item = list.scopes.get(index)?;
    let range = match &list.edit {
        ListEdit::Python => {
            if let Some(next) = list.scopes.get(index + 1) {
                TextRange::new(item.range.start(), next.range.start())
            } else if let Some(previous) = index.checked_sub(1).and_then(|i| list.scopes.get(i)) {
                TextRange::new(previous.range.end(), item.range.end())
            } else {
                item.range
            }
        }
        ListEdit::Yaml(_) => item.line?,
        ListEdit::None => return None,
    };
    Some(Edit {
        range,
        content: String::new(),
    })
}

/// The edit that replaces a scope's text, keeping its quotes.
pub fn rename_edit(scope: &DeclaredScope, name: &str) -> Edit {
    let len = u32::from(scope.range.len()) as usize;
    let extra = len.saturating_sub(scope.value.len());
    let range = if extra.is_multiple_of(2) && extra <= 6 {
        let q = TextSize::new((extra / 2) as u32);
        TextRange::new(scope.range.start() + q, scope.range.end() - q)
    } else {
        scope.range
    };
    let content = if range == scope.range && extra > 0 {
        format!("\"{name}\"")
    } else {
        name.to_string()
    };
    Edit { range, content }
}

/// Scopes of the list that another scope before it already declares: the same name, a name
/// whose families the earlier one all meets, or the other name of the same family row when the
/// extra families it meets are not needed. Each is paired with the first such earlier scope.
///
/// Whether one name covers another depends on the names only, so the earliest scope covering
/// each distinct name is found once, comparing the distinct names the table knows (a set bounded
/// by the table, however long the list): linear in the list, where comparing every pair of scopes
/// took minutes on a hostile list of 50,000.
pub fn duplicates(
    table: &ScopeTable,
    list: &DeclaredList,
    scopes: Option<&ModelScopes>,
) -> Vec<(usize, usize)> {
    use std::collections::HashMap;
    use std::collections::hash_map::Entry;

    // The first index of each distinct name, and the families of the names the table knows.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(list.scopes.len());
    let mut first_of_name: Vec<usize> = Vec::with_capacity(list.scopes.len());
    let mut known: Vec<(usize, Vec<ScopeFamily>)> = Vec::new();
    for (index, scope) in list.scopes.iter().enumerate() {
        let entry = first.entry(scope.value.as_str());
        first_of_name.push(match &entry {
            Entry::Occupied(entry) => *entry.get(),
            Entry::Vacant(_) => index,
        });
        if let Entry::Vacant(entry) = entry {
            entry.insert(index);
            // Names in no family (unknown, allowed, `extra-scopes`) cover nothing and are
            // covered by nothing: what remains is bounded by the table's family rows.
            if let Some(families) =
                crate::analysis::api_scopes::families_of_name(table, &scope.value)
                && !families.is_empty()
            {
                known.push((index, families));
            }
        }
    }
    let covers = |fa: &[ScopeFamily], fb: &[ScopeFamily]| {
        if fb.is_empty() {
            return false;
        }
        let extra: Vec<_> = fb.iter().filter(|f| !fa.contains(f)).collect();
        let same_row = fa.first() == fb.first();
        extra.is_empty()
            || (same_row
                && fa.len() == 1
                && extra
                    .iter()
                    .all(|f| scopes.is_none_or(|s| !s.required.contains_key(f))))
    };
    // For each known name (by its first index), the first index of the earliest name covering
    // it; `known` is in list order, so the first match is the earliest.
    let mut earliest_cover: Vec<Option<usize>> = vec![None; list.scopes.len()];
    for (b, fb) in &known {
        if let Some((a, _)) = known.iter().find(|(_, fa)| covers(fa, fb)) {
            earliest_cover[*b] = Some(*a);
        }
    }
    let mut out = Vec::new();
    for (later, &first_of_name) in first_of_name.iter().enumerate() {
        // The same name declared before, or a name covering it declared before: the earliest.
        let same = (first_of_name < later).then_some(first_of_name);
        let covered = earliest_cover[first_of_name].filter(|a| *a < later);
        let earlier = match (same, covered) {
            (Some(s), Some(c)) => Some(s.min(c)),
            (s, c) => s.or(c),
        };
        if let Some(earlier) = earlier {
            out.push((later, earlier));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::api_scopes::families_of_name;

    fn list(names: &[String]) -> DeclaredList {
        let scopes = names
            .iter()
            .enumerate()
            .map(|(i, value)| DeclaredScope {
                file: FileId(0),
                value: value.clone(),
                range: TextRange::empty(TextSize::new(i as u32)),
                line: None,
            })
            .collect();
        DeclaredList {
            file: FileId(0),
            list: TextRange::default(),
            scopes,
            entry: None,
            edit: ListEdit::Python,
        }
    }

    /// The definition, pair by pair (quadratic): what [`duplicates`] must answer.
    fn duplicates_by_pairs(
        table: &ScopeTable,
        list: &DeclaredList,
        scopes: Option<&ModelScopes>,
    ) -> Vec<(usize, usize)> {
        let families = |name: &str| families_of_name(table, name);
        let mut out = Vec::new();
        for (later, b) in list.scopes.iter().enumerate() {
            for (earlier, a) in list.scopes[..later].iter().enumerate() {
                let same = a.value == b.value;
                let covered = match (families(&a.value), families(&b.value)) {
                    (Some(fa), Some(fb)) if !fb.is_empty() => {
                        let extra: Vec<_> = fb.iter().filter(|f| !fa.contains(f)).collect();
                        extra.is_empty()
                            || (fa.first() == fb.first()
                                && fa.len() == 1
                                && extra
                                    .iter()
                                    .all(|f| scopes.is_none_or(|s| !s.required.contains_key(f))))
                    }
                    _ => false,
                };
                if same || covered {
                    out.push((later, earlier));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn duplicates_agree_with_the_pairwise_definition() {
        let table = ScopeTable::builtin();
        let mut pool: Vec<String> = table.known_names().iter().map(|n| n.to_string()).collect();
        pool.extend(["unknown-a".to_string(), "unknown-b".to_string()]);
        let mut required = ModelScopes::default();
        for family in ScopeFamily::ALL.iter().step_by(2) {
            required.required.insert(*family, Vec::new());
        }
        // A small linear congruential generator: reproducible lists of 0 to 40 names.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % bound
        };
        for _ in 0..400 {
            let len = next(41);
            let names: Vec<String> = (0..len).map(|_| pool[next(pool.len())].clone()).collect();
            let list = list(&names);
            for scopes in [None, Some(&required), Some(&ModelScopes::default())] {
                assert_eq!(
                    duplicates(table, &list, scopes),
                    duplicates_by_pairs(table, &list, scopes),
                    "{names:?}"
                );
            }
        }
    }

    /// `quadratic_scope_list`: 50,000 scopes took more than ten minutes.
    #[test]
    fn a_list_of_50000_scopes_is_quick() {
        let table = ScopeTable::builtin();
        let known = table.known_names();
        let names: Vec<String> = (0..50_000)
            .map(|i| match i % 3 {
                0 => format!("scope{i}"),
                1 => known[i % known.len()].to_string(),
                _ => "scope0".to_string(),
            })
            .collect();
        let list = list(&names);
        let started = std::time::Instant::now();
        let found = duplicates(table, &list, None);
        let duplicates_took = started.elapsed();
        assert!(found.len() > 33_000);
        // About 0.2 s in a debug build on a busy machine; the pairwise check took more than ten
        // minutes, so this generous bound (no flakes on a loaded CI machine) still tells them apart.
        assert!(
            duplicates_took < std::time::Duration::from_secs(10),
            "{duplicates_took:?}"
        );
    }
}
