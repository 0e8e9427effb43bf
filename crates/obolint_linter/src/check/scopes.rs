//! `obolint scopes`: each OBO model's requirements against its declarations, read from the same
//! [`LintContext`] answers as OBO401 and OBO402 (`LintContext::verdict_with`), so the report and
//! the rules cannot disagree.

use std::path::{Path, PathBuf};

use crate::analysis::api_scopes::{Excuse, UseRef, families_of_name};
use crate::analysis::app_scopes::app_verdict;
use crate::analysis::dataflow::Dataflow;
use crate::context::LintContext;
use crate::project::FileIdx;
use crate::scope_table::ScopeStyle;
use crate::scopes_report::{AppReport, Declared, KeptScope, ModelReport, RequiredScope, UseSite};

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
        // The policy is the first declaration as its verdict wants it (what it drops is exactly
        // what OBO402/OBO403/OBO404 report, what it adds what OBO401 asks for); with none, the
        // required scopes plus those a reported mistake will need once fixed.
        let verdict = first.and_then(|list| Some((list, ctx.verdict_with(&dataflow, list)?)));
        let excuse_of = |name: &str| {
            families_of_name(ctx.table, name)
                .into_iter()
                .flatten()
                .find_map(|f| scopes.excused.get(&f))
        };
        let kept_scope = |name: String, excuse: &Excuse| KeptScope {
            scope: name,
            needed_by: site(&excuse.first),
            rule: excuse.rule.unwrap_or_default().to_string(),
        };
        let (missing, unneeded, kept, names) = match verdict {
            Some((list, verdict)) => {
                let kept = verdict
                    .excused
                    .iter()
                    .filter_map(|&i| {
                        let name = list.scopes[i].value.clone();
                        let excuse = excuse_of(&name).filter(|e| e.rule.is_some())?;
                        Some(kept_scope(name, excuse))
                    })
                    .collect();
                (
                    verdict.missing.iter().map(|m| m.name.clone()).collect(),
                    verdict
                        .unneeded
                        .iter()
                        .map(|&i| list.scopes[i].value.clone())
                        .collect(),
                    kept,
                    verdict.policy(list),
                )
            }
            None => {
                let mut names: Vec<String> = Vec::new();
                for r in &required {
                    if !names.contains(&r.scope) {
                        names.push(r.scope.clone());
                    }
                }
                (names.clone(), Vec::new(), Vec::new(), names)
            }
        };
        // A mistake that keeps a resource from the caller's client needs its scope once fixed:
        // the policy carries it already, said why.
        let (mut kept, mut names) = (kept, names);
        for (family, excuse) in &scopes.excused {
            let met = names.iter().any(|n| {
                families_of_name(ctx.table, n).is_some_and(|families| families.contains(family))
            });
            if excuse.rule.is_some() && !met {
                let name = ctx.table.preferred_name(*family, style).to_string();
                names.push(name.clone());
                kept.push(kept_scope(name, excuse));
            }
        }
        let lower_bound = !scopes.is_fully_known();
        let policy = (!names.is_empty()).then(|| {
            let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            format!("UserAuthPolicy(api_scopes=[{}])", quoted.join(", "))
        });
        out.push(ModelReport {
            entry: sources.described(entry_id),
            required,
            opaque: scopes.opaque.iter().map(site).collect(),
            declared,
            missing,
            unneeded,
            kept,
            lower_bound,
            policy,
        });
    }
    out
}

/// The report of every Databricks App with a file (or its bundle) under one of `targets`, from
/// the same [`LintContext::app_scopes_with`] answer and [`app_verdict`] as OBO706 and OBO712.
pub(super) fn app_reports(
    ctx: &LintContext<'_>,
    sources: &Sources,
    targets: &[PathBuf],
) -> Vec<AppReport> {
    let dataflow = Dataflow::new(ctx.project);
    let under_target = |p: &Path| targets.iter().any(|t| p.starts_with(t));
    let mut out = Vec::new();
    for (i, app) in ctx.apps.apps.iter().enumerate() {
        let config = ctx.apps.config(i, ctx.app_manifests);
        if app.files.is_empty() {
            continue;
        }
        if !app
            .files
            .iter()
            .any(|&f| under_target(&ctx.project.file(f).path))
            && !config.is_some_and(|(m, _)| under_target(&m.path))
        {
            continue;
        }
        let scopes = ctx.app_scopes_with(&dataflow, i);
        let site = |u: &UseRef| UseSite {
            what: u.what.clone(),
            location: sources.location(ctx.project.file(u.file).id, u.range.start()),
        };
        let required: Vec<RequiredScope> = scopes
            .required
            .iter()
            .map(|(family, uses)| RequiredScope {
                family: ctx.app_table.families[*family].id.clone(),
                scope: ctx.app_table.short(*family).to_string(),
                uses: uses.iter().map(site).collect(),
            })
            .collect();
        // What the agents behind the endpoints the app calls need (OBO713).
        let mut required = required;
        for (family, (first, endpoint)) in &scopes.endpoint_needs {
            if scopes.required.contains_key(family) {
                continue;
            }
            required.push(RequiredScope {
                family: ctx.app_table.families[*family].id.clone(),
                scope: ctx.app_table.short(*family).to_string(),
                uses: vec![UseSite {
                    what: format!(
                        "serving endpoint `{endpoint}`, whose agent needs it as the user"
                    ),
                    location: sources
                        .location(ctx.project.file(first.file).id, first.range.start()),
                }],
            });
        }
        let names: Vec<String> = required.iter().map(|r| r.scope.clone()).collect();
        let declared: Option<Vec<String>> = config.map(|(_, a)| {
            a.scopes
                .as_ref()
                .map(|s| s.scopes.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default()
        });
        let (missing, unneeded) =
            match &declared {
                Some(list) => {
                    let verdict = app_verdict(ctx.app_table, list, &scopes);
                    let met: Vec<usize> = list
                        .iter()
                        .filter_map(|n| ctx.app_table.families_of_name(n))
                        .flatten()
                        .collect();
                    (
                        verdict
                            .missing
                            .iter()
                            .map(|(f, _)| *f)
                            .chain(
                                scopes.endpoint_needs.keys().copied().filter(|f| {
                                    !met.contains(f) && !scopes.required.contains_key(f)
                                }),
                            )
                            .map(|f| ctx.app_table.short(f).to_string())
                            .collect(),
                        verdict.unneeded.iter().map(|&i| list[i].clone()).collect(),
                    )
                }
                None => (names.clone(), Vec::new()),
            };
        let block = (!names.is_empty()).then(|| {
            let mut block = String::from("user_api_scopes:\n");
            for name in &names {
                block.push_str(&format!("  - {name}\n"));
            }
            block
        });
        out.push(AppReport {
            app: app.name.clone(),
            source: app.root.as_ref().map(|r| sources.display_path(r)),
            bundle: config.map(|(m, _)| sources.described(m.id)),
            required,
            opaque: scopes.opaque.iter().map(site).collect(),
            unsupported: scopes.unsupported.iter().map(|(u, _)| site(u)).collect(),
            declared,
            declared_unknown: app.config.as_ref().and_then(|c| c.scopes_unknown.clone()),
            missing,
            unneeded,
            lower_bound: !scopes.is_fully_known(),
            user_api_scopes: block,
        });
    }
    out
}
