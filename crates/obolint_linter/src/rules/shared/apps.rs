//! What the Databricks Apps scope rules share: an app's `user_api_scopes` as a declared list,
//! and the edits that append to it or remove from it in the style it is written in.

use obolint_diagnostics::{Edit, FileId};
use ruff_text_size::TextSize;

use crate::analysis::apps::App;
use crate::analysis::declared_lists::{DeclaredList, DeclaredScope, ListEdit};
use crate::app_manifest::BundleApp;
use crate::context::LintContext;

/// Every app with code whose bundle declares its `user_api_scopes` as a list: its index, the
/// app, the bundle file, and the list. What OBO706, OBO712 and OBO713 each look at.
pub fn declared_app_lists<'c>(
    ctx: &LintContext<'c>,
) -> impl Iterator<Item = (usize, &'c App, FileId, DeclaredList)> + 'c {
    let (apps, manifests) = (ctx.apps, ctx.app_manifests);
    apps.apps
        .iter()
        .enumerate()
        .filter(|(_, app)| !app.files.is_empty())
        .filter_map(move |(i, app)| {
            let (manifest, bundle_app) = apps.config(i, manifests)?;
            let list = app_list(manifest.id, bundle_app)?;
            Some((i, app, manifest.id, list))
        })
}

/// The app's `user_api_scopes` as a declared list (its items, and how to edit it); `None` when
/// the key is absent or holds something that is not a list of strings.
pub fn app_list(file: FileId, app: &BundleApp) -> Option<DeclaredList> {
    let scopes = app.scopes.as_ref()?;
    if !scopes.valid {
        return None;
    }
    // A list written the same in two targets: editing one would leave the other behind.
    let edit = if app.shared_list {
        ListEdit::None
    } else if app.flow_list.is_some() {
        ListEdit::Python
    } else if scopes.item_lines.len() == scopes.scopes.len() {
        ListEdit::Yaml(scopes.append.clone())
    } else {
        ListEdit::None
    };
    Some(DeclaredList {
        file,
        list: app.flow_list.unwrap_or(scopes.key),
        scopes: scopes
            .scopes
            .iter()
            .enumerate()
            .map(|(i, (value, range))| DeclaredScope {
                file,
                value: value.clone(),
                range: *range,
                line: scopes.item_lines.get(i).copied(),
            })
            .collect(),
        entry: None,
        edit,
    })
}

/// The quote the list's items are written with (`"`, `'` or none).
fn quote_of(text: &str, list: &DeclaredList) -> &'static str {
    match list
        .scopes
        .first()
        .and_then(|s| text.get(usize::from(s.range.start())..))
        .and_then(|t| t.chars().next())
    {
        Some('"') => "\"",
        Some('\'') => "'",
        _ => "",
    }
}

/// The edit that appends `name` to the list, quoted like its items.
pub fn append_to(text: &str, list: &DeclaredList, name: &str) -> Option<Edit> {
    let q = quote_of(text, list);
    match &list.edit {
        ListEdit::Python => Some(match list.scopes.last() {
            Some(last) => Edit::insertion(last.range.end(), format!(", {q}{name}{q}")),
            None => Edit::insertion(
                list.list.start() + TextSize::new(1),
                format!("{q}{name}{q}"),
            ),
        }),
        ListEdit::Yaml(Some((at, prefix))) => Some(Edit::insertion(
            *at,
            if prefix.starts_with('\n') {
                format!("{prefix}{q}{name}{q}")
            } else {
                format!("{prefix}{q}{name}{q}\n")
            },
        )),
        _ => None,
    }
}
