//! `obolint scopes`: each OBO model's requirements against its declarations, read from the same
//! [`LintContext`] answers as OBO401 and OBO402 (`LintContext::verdict_with`), so the report and
//! the rules cannot disagree.

use std::path::{Path, PathBuf};

use crate::analysis::api_scopes::UseRef;
use crate::analysis::dataflow::Dataflow;
use crate::context::LintContext;
use crate::project::FileIdx;
use crate::scope_table::ScopeStyle;
use crate::scopes_report::{Declared, ModelReport, RequiredScope, UseSite};

use super::sources::Sources;

/// The report of every OBO model with a file (or a declaration) under one of `targets`.
pub(super) fn model_reports(
    ctx: &LintContext<'_>,
    sources: &Sources,
    targets: &[PathBuf],
) -> Vec<ModelReport> {
    let dataflow = Dataflow::new(ctx.project);
    let lists = ctx.declared_lists();
    let under_target = |p: &Path| targets.iter().any(|t| p.starts_with(t));
    let mut entries: Vec<FileIdx> = ctx.models.obo_entries.iter().copied().collect();
    entries.sort();
    let mut out = Vec::new();
    for entry in entries {
        let entry_id = ctx.project.file(entry).id;
        let writer = sources
            .written
            .get(&entry_id)
            .map(|(notebook, _)| sources.db.get(*notebook).path.as_path());
        let mine: Vec<_> = lists.iter().filter(|l| l.entry == Some(entry)).collect();
        if !under_target(&ctx.project.file(entry).path)
            && !writer.is_some_and(under_target)
            && !mine
                .iter()
                .any(|l| under_target(&sources.db.get(l.file).path))
        {
            continue;
        }
        let scopes = ctx.model_scopes_with(&dataflow, entry);
        let first = mine.first();
        let style = match first {
            Some(list) => ctx.list_style(list),
            None => ctx.settings.scope_style.unwrap_or(ScopeStyle::Dotted),
        };
        let site = |u: &UseRef| UseSite {
            what: u.what.clone(),
            location: sources.location(ctx.project.file(u.file).id, u.range.start()),
        };
        let required: Vec<RequiredScope> = scopes
            .required
            .iter()
            .map(|(family, uses)| RequiredScope {
                family: family.id().to_string(),
                scope: ctx.table.preferred_name(*family, style).to_string(),
                uses: uses.iter().map(site).collect(),
            })
            .collect();
        let declared: Vec<Declared> = mine
            .iter()
            .map(|l| Declared {
                scopes: l.scopes.iter().map(|s| s.value.clone()).collect(),
                location: sources.location(l.file, l.list.start()),
            })
            .collect();
        let mut names: Vec<String> = Vec::new();
        for r in &required {
            if !names.contains(&r.scope) {
                names.push(r.scope.clone());
            }
        }
        // Missing and unneeded are the first declaration's verdict; with none, all is missing.
        let (missing, unneeded) =
            match first.and_then(|list| Some((list, ctx.verdict_with(&dataflow, list)?))) {
                Some((list, verdict)) => (
                    verdict.missing.into_iter().map(|m| m.name).collect(),
                    verdict
                        .unneeded
                        .into_iter()
                        .map(|i| list.scopes[i].value.clone())
                        .collect(),
                ),
                None => (names.clone(), Vec::new()),
            };
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        out.push(ModelReport {
            entry: sources.described(entry_id),
            required,
            opaque: scopes.opaque.iter().map(site).collect(),
            declared,
            missing,
            unneeded,
            policy: format!("UserAuthPolicy(api_scopes=[{}])", quoted.join(", ")),
        });
    }
    out
}
