//! `check`: from paths to sorted diagnostics, project roots in parallel, each in stages: discover,
//! load and parse (`load.rs`), index the project, analyse it, link manifests and requirements to
//! models (`link.rs`), run the rules through the registry, then configuration, suppressions and
//! notebook cells decide what is reported and where (`report.rs`).

mod analyse;
pub mod cache;
mod link;
mod load;
pub mod parses;
mod reach;
mod report;
mod request;
mod scopes;
mod show_settings;
mod sources;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use obolint_diagnostics::{Diagnostic, FileId, Severity};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

pub use request::{CheckError, CheckReport, CheckRequest};
pub use show_settings::show_settings;

use crate::analysis::apps::Apps;
use crate::analysis::model_requirements::Append;
use crate::app_scope_table::AppScopeTable;
use crate::config::resolve::{ConfigResolver, root_config};
use crate::config::{CliOverrides, RuleSettings, settings};
use crate::context::LintContext;
use crate::discover::{MAX_NESTING, WalkWarning, discover_nesting, project_root};
use crate::registry::{self, Rule};
use crate::scope_table::ScopeTable;
use sources::Sources;

pub(crate) use crate::analysis::WORKER_STACK;

/// Checks what `request` names, in a thread pool of its own.
pub fn check(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    check_in(&CheckPool::new(), request)
}

/// The threads checks run in ([`check_in`]): one per core, each with the stack the analysis
/// needs. A caller that checks again and again (the language server) keeps one instead of
/// starting and stopping threads for each check.
#[derive(Debug)]
pub struct CheckPool(Option<rayon::ThreadPool>);

impl CheckPool {
    /// The threads, or none when the system starts none (checks then run on the calling
    /// thread alone).
    pub fn new() -> Self {
        Self(
            rayon::ThreadPoolBuilder::new()
                .stack_size(WORKER_STACK)
                .thread_name(|i| format!("obolint-worker-{i}"))
                .build()
                .ok(),
        )
    }
}

impl Default for CheckPool {
    fn default() -> Self {
        Self::new()
    }
}

/// [`check`] in `pool`. One check at a time per pool: the thread of a check that waits may take
/// up work of another check in the same pool.
pub fn check_in(pool: &CheckPool, request: &CheckRequest) -> Result<CheckReport, CheckError> {
    match &pool.0 {
        Some(pool) => pool.install(|| check_in_pool(request)),
        None => check_in_pool(request),
    }
}

fn canonical_targets(request: &CheckRequest, cwd: &Path) -> Result<Vec<PathBuf>, CheckError> {
    request
        .paths
        .iter()
        .map(|path| {
            let real = cwd
                .join(path)
                .canonicalize()
                .map_err(|_| CheckError::PathNotFound(path.clone()))?;
            let metadata =
                std::fs::metadata(&real).map_err(|_| CheckError::PathNotFound(path.clone()))?;
            if metadata.is_file() || metadata.is_dir() {
                Ok(real)
            } else {
                Err(CheckError::NotFileOrFolder(
                    path.clone(),
                    crate::load::kind_name(metadata.file_type()),
                ))
            }
        })
        .collect()
}

fn roots_of(targets: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = targets.iter().map(|t| project_root(t)).collect();
    roots.sort();
    roots.dedup();
    // A project inside another one given too is analysed as part of the outer one.
    let all = roots.clone();
    roots.retain(|r| !all.iter().any(|o| o != r && r.starts_with(o)));
    roots
}

/// The projects nested in a root that a run covers: those under a target, or holding one.
fn nested_in_targets<'n>(
    nested: &'n [PathBuf],
    targets: &'n [PathBuf],
) -> impl DoubleEndedIterator<Item = PathBuf> + 'n {
    nested
        .iter()
        .filter(|n| targets.iter().any(|t| n.starts_with(t) || t.starts_with(n)))
        .cloned()
}

/// The canonical project roots a request covers (as `check` finds them): `--fix` writes only
/// files whose real path is inside one of them.
pub(crate) fn project_roots(request: &CheckRequest) -> Result<Vec<PathBuf>, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let targets = canonical_targets(request, &cwd)?;
    Ok(roots_of(&targets))
}

/// `--show-files`: every file `check` would read under the requested paths (Python files and
/// notebooks, manifests, requirement files), sorted, as absolute paths.
pub fn show_files(request: &CheckRequest) -> Result<Vec<PathBuf>, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let targets = canonical_targets(request, &cwd)?;
    let mut out = Vec::new();
    let mut queue: Vec<(PathBuf, usize)> = roots_of(&targets).into_iter().map(|r| (r, 0)).collect();
    while let Some((root, depth)) = queue.pop() {
        let root_config = root_config(&root, &request.config, &request.overrides.config)?;
        let settings = settings(root_config.as_ref(), &request.overrides);
        let found = discover_nesting(&root, &settings, depth < MAX_NESTING);
        queue.extend(nested_in_targets(&found.nested_roots, &targets).map(|n| (n, depth + 1)));
        out.extend(
            found
                .python
                .into_iter()
                .chain(found.manifests)
                .chain(found.requirements)
                .filter(|p| targets.iter().any(|t| p.starts_with(t))),
        );
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `--watch`: every file whose change can change a finding of the request (each file of its
/// project roots that `check` reads, whatever the paths narrow the report to, and the
/// configuration and ignore files of their folders, present or not), sorted.
pub fn watched_files(request: &CheckRequest) -> Result<Vec<PathBuf>, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let targets = canonical_targets(request, &cwd)?;
    let mut out = Vec::new();
    let mut queue: Vec<(PathBuf, usize)> = roots_of(&targets).into_iter().map(|r| (r, 0)).collect();
    while let Some((root, depth)) = queue.pop() {
        // A configuration that does not parse is watched with the defaults: its fix is a change.
        let root_config = root_config(&root, &request.config, &request.overrides.config)
            .ok()
            .flatten();
        let settings = settings(root_config.as_ref(), &request.overrides);
        let found = discover_nesting(&root, &settings, depth < MAX_NESTING);
        queue.extend(nested_in_targets(&found.nested_roots, &targets).map(|n| (n, depth + 1)));
        let mut folders: Vec<PathBuf> = vec![root.clone()];
        for file in found
            .python
            .into_iter()
            .chain(found.manifests)
            .chain(found.requirements)
        {
            let mut dir = file.parent();
            while let Some(d) = dir.filter(|d| d.starts_with(&root)) {
                folders.push(d.to_path_buf());
                dir = d.parent();
            }
            out.push(file);
        }
        folders.sort();
        folders.dedup();
        for folder in folders {
            for name in crate::config::CONFIG_FILE_NAMES
                .iter()
                .chain(&[".gitignore", ".ignore"])
            {
                out.push(folder.join(name));
            }
        }
    }
    if let crate::config::ConfigSource::File(path) = &request.config {
        out.push(path.clone());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn check_in_pool(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let targets = canonical_targets(request, &cwd)?;
    let roots = roots_of(&targets);
    let run = Run {
        request,
        cwd: &cwd,
        targets: &targets,
        unfinished: AtomicUsize::new(0),
        parses: request
            .parses
            .as_deref()
            .map(|cache| (cache, cache.begin())),
    };
    // Projects nested in a root (their own `pyproject.toml`/`obolint.toml`) are checked as
    // projects of their own, when a target covers them. First every root is prepared (its
    // configuration read, its folder walked, in parallel), which finds the nested ones; then they
    // are checked in waves (`waves`), one wave after another, the roots of a wave in parallel, so
    // that two large projects are never analysed at the same time (peak memory is that of the
    // roots being checked together). The results are added up in one fixed order, depth first,
    // as if the roots had been checked one after another: the first root's position first, and
    // each file's id is the one it would have had.
    let prepared: Vec<(PathBuf, Result<Prepared, CheckError>)> = roots
        .par_iter()
        .map(|root| run.prepare_with_nested(root, None, 0))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    // Each root's weight: the size of its Python files and notebooks (what its checking holds
    // in memory grows with it, about ten times the bytes parsed). One `stat` per file, in
    // parallel; a file that cannot be read weighs nothing (loading reports it). A run of one
    // root (most runs) schedules nothing, and looks at no file for it.
    let weights: Vec<u64> = if prepared.len() > 1 {
        prepared
            .par_iter()
            .map(|(_, p)| {
                p.as_ref().map_or(0, |p| {
                    p.found
                        .python
                        .par_iter()
                        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
                        .sum()
                })
            })
            .collect()
    } else {
        vec![0; prepared.len()]
    };
    let to_check = prepared.iter().filter(|(_, p)| p.is_ok()).count();
    run.unfinished.store(to_check, Ordering::Release);
    let mut outputs: Vec<Option<Result<RootOutput, CheckError>>> = Vec::new();
    let mut waiting: Vec<Option<Prepared>> = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (root, p) in prepared {
        paths.push(root);
        match p {
            Ok(p) => {
                outputs.push(None);
                waiting.push(Some(p));
            }
            Err(error) => {
                outputs.push(Some(Err(error)));
                waiting.push(None);
            }
        }
    }
    // Per thread of the pool: more threads keep more roots busy at once.
    let floor = WAVE_FLOOR_PER_THREAD.saturating_mul(rayon::current_num_threads().max(1) as u64);
    for wave in waves(&weights, floor) {
        let wave: Vec<(usize, Prepared)> = wave
            .into_iter()
            .filter_map(|i| Some((i, waiting[i].take()?)))
            .collect();
        let checked: Vec<(usize, Result<RootOutput, CheckError>)> = wave
            .into_par_iter()
            .map(|(i, p)| {
                let output = run.check_root_anew(p);
                run.unfinished.fetch_sub(1, Ordering::AcqRel);
                (i, output)
            })
            .collect();
        for (i, output) in checked {
            outputs[i] = Some(output);
        }
    }
    if let Some((cache, check)) = run.parses {
        cache.end(check);
    }
    let checked = paths
        .into_iter()
        .zip(outputs)
        .filter_map(|(root, output)| Some((root, output?)));
    let mut sources = Sources::new(cwd.clone());
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut warnings: Vec<WalkWarning> = Vec::new();
    let mut files_checked = 0;
    let mut fail_on = None;
    let mut models = Vec::new();
    let mut apps = Vec::new();
    let mut notes = Vec::new();
    let mut cached_roots = 0;
    let mut done: rustc_hash::FxHashSet<PathBuf> = rustc_hash::FxHashSet::default();
    let mut seen_warnings: rustc_hash::FxHashSet<WalkWarning> = rustc_hash::FxHashSet::default();
    for (root, output) in checked {
        // A set: a repository may hold thousands of projects.
        if done.contains(&root) {
            continue;
        }
        let output = output?;
        fail_on = fail_on
            .or(request.overrides.fail_on)
            .or(output.config_fail_on);
        // A folder of a nested project is walked by the outer root too: what the walk says of it
        // is said once.
        warnings.extend(
            output
                .warnings
                .into_iter()
                .filter(|w| seen_warnings.insert(w.clone())),
        );
        files_checked += output.files_checked;
        let offset = sources.db.append(output.sources.db);
        diagnostics.extend(output.diagnostics.into_iter().map(|mut d| {
            shift_files(&mut d, offset);
            d
        }));
        models.extend(output.models);
        apps.extend(output.apps);
        notes.extend(output.notes);
        cached_roots += usize::from(output.cached);
        done.insert(root);
    }
    apps.sort_by(|a, b| a.app.cmp(&b.app));
    let db = sources.db;
    models.sort_by(|a, b| a.entry.cmp(&b.entry));
    obolint_diagnostics::render::sort(&mut diagnostics, &db);
    diagnostics.dedup();
    Ok(CheckReport {
        db,
        diagnostics,
        warnings,
        files_checked,
        fail_on: fail_on.unwrap_or(Severity::Error),
        models,
        apps,
        notes,
        cached_roots,
        roots: done.len(),
    })
}

/// A diagnostic of one root's database, in the run's: its files' ids moved by `offset`.
fn shift_files(diagnostic: &mut Diagnostic, offset: u32) {
    diagnostic.primary.file.0 += offset;
    for label in &mut diagnostic.secondary {
        label.file.0 += offset;
    }
}

/// Source bytes per thread up to which roots share a wave (8 MiB on two threads: about 90 MiB
/// of syntax trees and analysis when every file is parsed).
const WAVE_FLOOR_PER_THREAD: u64 = 4 << 20;

/// The order in which the roots of a run are checked, from their weights (the bytes of their
/// Python files): waves, checked one after another, the roots of a wave in parallel. A wave
/// weighs at most `floor` (4 MiB of source per thread of the pool); a root heavier than that is
/// checked alone. What a root holds per byte of source varies fivefold (how much of it is parsed
/// and kept: on the benchmark corpus `sqlalchemy`'s 21 MB peak at 55 MB, `langchain_community`'s
/// 11 MB at 122 MB), so bytes cannot tell whether two large roots fit together; a root that large
/// keeps the threads busy on its own (its files are parsed and analysed in parallel), and small
/// roots fill waves of their own, their overlap keeping the threads busy. Packed largest first,
/// each root into the wave it fills best (best fit decreasing); the heaviest wave comes last, so
/// the root left to the operating system at exit (`exit_after`) is likely a large one. Each wave
/// lists its roots in order.
fn waves(weights: &[u64], floor: u64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(weights[i]), i));
    let mut waves: Vec<Vec<usize>> = Vec::new();
    // Each wave's room left, smallest first.
    let mut room: std::collections::BTreeSet<(u64, usize)> = std::collections::BTreeSet::new();
    for i in order {
        let weight = weights[i];
        if let Some(&(left, wave)) = room.range((weight, 0)..).next() {
            room.remove(&(left, wave));
            room.insert((left - weight, wave));
            waves[wave].push(i);
        } else {
            room.insert((floor.saturating_sub(weight), waves.len()));
            waves.push(vec![i]);
        }
    }
    for wave in &mut waves {
        wave.sort_unstable();
    }
    waves.reverse();
    waves
}

/// What every root of one run shares.
struct Run<'r> {
    request: &'r CheckRequest,
    cwd: &'r Path,
    targets: &'r [PathBuf],
    /// Roots prepared and not yet checked (the one that sees 1 is the last).
    unfinished: AtomicUsize,
    /// The request's parses kept between checks, with this check's number.
    parses: Option<(&'r parses::ParseCache, u64)>,
}

/// Reads again the texts not kept of the files `shown` marks, and warns of each text read again
/// (now, or earlier by a rule or a suppression) that is no longer the text parsed: it is shown
/// blank, and the findings' fixes in it are dropped (they were computed from the blank text, or
/// would be written over another). Whether one was.
fn read_shown_again(out: &mut RootOutput, shown: &[bool]) -> bool {
    let changed: Vec<(FileId, PathBuf)> = out
        .sources
        .db
        .files()
        .collect::<Vec<_>>()
        .par_iter()
        .filter_map(|(id, file)| {
            if shown[id.0 as usize] && file.text.is_unread() {
                let _ = file.text.as_str();
            }
            file.text.changed().then(|| (*id, file.path.clone()))
        })
        .collect();
    if changed.is_empty() {
        return false;
    }
    let ids: rustc_hash::FxHashSet<FileId> = changed.iter().map(|(id, _)| *id).collect();
    for d in &mut out.diagnostics {
        if ids.contains(&d.primary.file) || ids.contains(&d.fix_file()) {
            d.fix = None;
        }
    }
    for (_, path) in changed {
        out.warnings.push(WalkWarning {
            message: "changed while it was checked: its findings are shown without its text, \
                      and nothing in it is fixed; check again"
                .to_string(),
            path: Some(path),
        });
    }
    true
}

/// What one root adds to the run (its files are numbered from 0 in its own database).
struct RootOutput {
    sources: Sources,
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<WalkWarning>,
    files_checked: usize,
    /// The root configuration's `fail-on`.
    config_fail_on: Option<Severity>,
    models: Vec<crate::scopes_report::ModelReport>,
    apps: Vec<crate::scopes_report::AppReport>,
    notes: Vec<String>,
    /// Its findings came from the cache.
    cached: bool,
    /// A text shown was no longer the one parsed (`read_shown_again`): its findings are shown
    /// without it, and the root is worth checking again.
    changed: bool,
}

/// A root with its configuration read and its files found: where checking it starts.
#[derive(Clone)]
struct Prepared {
    root: PathBuf,
    root_config: Option<crate::config::ConfigFile>,
    settings: crate::Settings,
    found: crate::discover::Discovered,
}

impl Run<'_> {
    /// `root` prepared, then the projects nested in it that the run covers, depth first (each
    /// root before its nested projects), all prepared in parallel. A root whose configuration
    /// cannot be read has no nested projects (its walk needs its settings).
    /// The walk of a nested project takes the listings of its folders from the walk of the root
    /// holding it (`outer`), which read them: each folder is read once in a run.
    fn prepare_with_nested(
        &self,
        root: &Path,
        outer: Option<&crate::discover::WalkRecord>,
        depth: usize,
    ) -> Vec<(PathBuf, Result<Prepared, CheckError>)> {
        let nests = depth < crate::discover::MAX_NESTING;
        let (prepared, record) = match self.prepare(root, outer, nests) {
            Ok(prepared) => prepared,
            Err(error) => return vec![(root.to_path_buf(), Err(error))],
        };
        let nested: Vec<PathBuf> =
            nested_in_targets(&prepared.found.nested_roots, self.targets).collect();
        let nested: Vec<_> = nested
            .par_iter()
            .map(|n| self.prepare_with_nested(n, Some(&record), depth + 1))
            .collect();
        drop(record);
        std::iter::once((root.to_path_buf(), Ok(prepared)))
            .chain(nested.into_iter().flatten())
            .collect()
    }

    /// Reads the configuration of `root` and finds its files.
    fn prepare(
        &self,
        root: &Path,
        outer: Option<&crate::discover::WalkRecord>,
        nests: bool,
    ) -> Result<(Prepared, crate::discover::WalkRecord), CheckError> {
        let request = self.request;
        let root_config = root_config(root, &request.config, &request.overrides.config)?;
        let settings = settings(root_config.as_ref(), &request.overrides);
        let (found, record) = match outer {
            Some(outer) => crate::discover::discover_nested(root, &settings, outer, nests),
            None => crate::discover::discover_recorded(root, &settings),
        };
        Ok((
            Prepared {
                root: root.to_path_buf(),
                root_config,
                settings,
                found,
            },
            record,
        ))
    }

    /// [`Self::check_root`], from its reads again should a file whose tree was dropped no longer
    /// be the text its facts were taken from when it is read again for its tree
    /// ([`crate::project::ChangedWhileChecked`]): no tree of it is what the facts say. A file that
    /// keeps changing (a third time) is an error of the run. Checked again too, but for the
    /// third time, is a root a text of which, shown, was no longer the one parsed: its findings
    /// would be shown without it, and its suppressions read on lines of another text (not in a
    /// check that keeps its parses: the language server checks again when a file changes).
    fn check_root_anew(&self, prepared: Prepared) -> Result<RootOutput, CheckError> {
        const ATTEMPTS: usize = 3;
        let mut attempt = 1;
        loop {
            let again = attempt < ATTEMPTS;
            attempt += 1;
            let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.check_root(prepared.clone())
            }));
            match checked {
                Ok(Ok(output)) if again && output.changed && self.parses.is_none() => {}
                Ok(output) => return output,
                Err(payload) => match payload.downcast::<crate::project::ChangedWhileChecked>() {
                    Ok(_) if again => {}
                    Ok(changed) => return Err(CheckError::ChangedWhileChecked(changed.0)),
                    Err(payload) => std::panic::resume_unwind(payload),
                },
            }
        }
    }

    /// The stages, in order, for one project root.
    fn check_root(&self, prepared: Prepared) -> Result<RootOutput, CheckError> {
        let request = self.request;
        let Prepared {
            root,
            root_config,
            settings,
            found,
        } = prepared;
        let root = root.as_path();
        let mut out = RootOutput {
            sources: Sources::new(self.cwd.to_path_buf()),
            diagnostics: Vec::new(),
            warnings: found.warnings.clone(),
            files_checked: found
                .python
                .iter()
                .filter(|p| self.targets.iter().any(|t| p.starts_with(t)))
                .count(),
            config_fail_on: root_config.as_ref().and_then(|c| c.options.fail_on),
            models: Vec::new(),
            apps: Vec::new(),
            notes: Vec::new(),
            cached: false,
            changed: false,
        };
        // Configuration: the root's governs the analysis; each file's nearest governs its rules.
        let mut resolver = ConfigResolver::new(
            root,
            &request.config,
            &request.overrides.config,
            root_config,
        )
        .with_config_free(Arc::clone(&found.config_free));
        let words = settings.prescreen_words();

        // The cache: the findings of the last run that read the same bytes. First by the files'
        // stamps, without reading them; then by their contents.
        let cached = self.root_cache(root, &settings, &found);
        let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let reread = |path: &Path| {
            link::read_requirement_file(path, &real_root, &request.sources, settings.max_file_size)
                .map(|text| link::text_hash(&text))
        };
        if let Some((cache, listing)) = &cached
            && let Some(diagnostics) = cache.lookup_stamped(listing, &mut out.sources, reread)
        {
            out.diagnostics.extend(diagnostics);
            out.cached = true;
            return Ok(out);
        }
        let read = load::read_root(
            root,
            &found,
            &request.sources,
            &words,
            settings.max_file_size,
            load::ReadOptions {
                hash: cached.is_some(),
                parse_everything: request.parse_everything,
            },
            self.parses,
        );
        let inputs = cached
            .as_ref()
            .map(|(_, listing)| Self::inputs(listing, &found, &read));
        if let (Some((cache, _)), Some(inputs)) = (&cached, inputs)
            && let Some(diagnostics) = cache.lookup(inputs, &mut out.sources, reread)
        {
            out.diagnostics.extend(diagnostics);
            out.cached = true;
            if let Some((cache, listing)) = cached {
                cache.restamp(listing);
            }
            return Ok(out);
        }

        let mut loaded = load::load_root(&mut out.sources, root, &found, read, &words, self.parses);
        let mut manifests = std::mem::take(&mut loaded.manifests);

        // Index, then analyse the complete index.
        let facts = std::mem::take(&mut loaded.facts);
        let analysed = analyse::analyse(root, &loaded, facts, &settings);
        let (project, models, time) = (&analysed.project, &analysed.models, &analysed.time);

        // Link manifests and requirements to the models.
        link::link_manifests(&mut manifests, project, models, &out.sources);
        let requirement_reads = std::cell::RefCell::default();
        let requirement_sets = link::requirement_sets(
            &mut out.sources,
            project,
            models,
            &found.requirements,
            &link::RequirementFiles {
                root,
                buffers: &request.sources,
                limit: settings.max_file_size,
                reads: &requirement_reads,
            },
            &loaded.python_cells,
        );

        // Which rules run where: the nearest configuration of each file of this root.
        let rule_settings = rule_settings(&out.sources, root, &mut resolver, &request.overrides)?;
        let enabled: Vec<Rule> = Rule::ALL
            .iter()
            .copied()
            .filter(|&rule| rule_settings.values().any(|s| s.is_enabled(rule)))
            .collect();

        // Databricks Apps: which files are an app's code, and what its bundle declares.
        let apps = Apps::build(project, models, &loaded.app_manifests);
        out.notes.extend(
            (0..apps.apps.len())
                .filter(|&i| !apps.apps[i].files.is_empty())
                .filter_map(|i| apps.why_scopes_unknown(i, |p| out.sources.display_path(p))),
        );
        out.notes
            .extend(apps.unresolved_notes(&loaded.app_manifests, |p| out.sources.display_path(p)));

        // The rules.
        let table = ScopeTable::with_extra_scopes(&settings.extra_scopes);
        let app_table = AppScopeTable::with_extra_scopes(&settings.extra_scopes);
        let ctx = LintContext::new(
            project,
            models,
            time,
            &out.sources.db,
            &manifests,
            &requirement_sets,
            &table,
            &loaded.load_errors,
        )
        .with_apps(&apps, &loaded.app_manifests, &app_table);
        let mut diagnostics = registry::run(&ctx, &enabled);
        if request.collect_models {
            out.models
                .extend(scopes::model_reports(&ctx, &out.sources, self.targets));
            out.apps
                .extend(scopes::app_reports(&ctx, &out.sources, self.targets));
        }
        drop(ctx);

        // What is reported, and where.
        report::apply_rule_settings(&mut diagnostics, &rule_settings);
        let mut other: Vec<FileId> = manifests.iter().map(|m| m.id).collect();
        other.extend(loaded.app_manifests.iter().map(|m| m.id));
        other.extend(
            requirement_sets
                .iter()
                .filter(|r| matches!(r.append, Some(Append::Line(..))))
                .map(|r| r.file),
        );
        other.sort();
        other.dedup();
        let comment_files = report::CommentFiles {
            python: loaded
                .files
                .iter()
                .filter_map(|&(i, id)| {
                    Some((id, loaded.parsed[i].as_deref()?, loaded.reparse[i].as_ref()))
                })
                .collect(),
            other,
            directives: &loaded.directives,
        };
        let by_file =
            report::apply_suppressions(diagnostics, &out.sources, &comment_files, &rule_settings);
        // What the given paths reach (`reach.rs`): labels under them, or their models' findings.
        let parts = reach::ModelParts {
            project,
            models,
            manifests: &manifests,
            requirement_sets: &requirement_sets,
        };
        let reach = reach::Reach::new(self.targets, &parts, &out.sources);
        let reported: Vec<Diagnostic> = report::into_notebooks(by_file, &out.sources)
            .into_iter()
            .filter(|d| reach.reaches(d, &out.sources))
            .collect();
        out.diagnostics = reported;
        drop(comment_files);
        // From here on only the files findings point into or fix are read (output, fixes,
        // `--add-noqa`).
        let mut shown = vec![false; out.sources.db.len()];
        for d in &out.diagnostics {
            for label in std::iter::once(&d.primary).chain(&d.secondary) {
                shown[label.file.0 as usize] = true;
            }
            shown[d.fix_file().0 as usize] = true;
        }
        // The texts not kept that findings point into are read again now, in parallel: a file
        // changed since it was parsed (found now, or when a rule or a suppression read it) is
        // shown blank, with a warning, nothing is fixed in it, and the run is not cached.
        let changed = read_shown_again(&mut out, &shown);
        out.changed = changed;
        out.sources.db.release_texts(|id| shown[id.0 as usize]);
        // The entry holds what these paths reach: the paths are part of its key.
        if let (Some((cache, listing)), Some(inputs)) = (cached, inputs)
            && !loaded.changed_while_read
            && !changed
        {
            let mut reads = requirement_reads.into_inner();
            reads.extend(analysed.project.probes().into_iter().map(cache::Read::from));
            cache.store(inputs, listing, reads, &out.diagnostics, &out.sources);
        }
        // Freed as soon as the report is built, while other roots are checked (their trees
        // reuse the memory: peak memory is that of the roots checked at the same time, not the
        // sum of all); the last root's are left to the operating system when the process ends.
        let last = self.unfinished.load(Ordering::Acquire) == 1;
        // (Not a root that may be checked again.)
        if request.exit_after && last && !changed {
            std::mem::forget(analysed);
            std::mem::forget(loaded);
        } else if self.parses.is_some() {
            // Kept between checks: dropping them here gives back only what no later check uses.
            drop(analysed);
            drop(loaded);
        } else {
            drop(analysed);
            parses::free_beside(std::mem::take(&mut loaded.parsed));
        }
        Ok(out)
    }

    /// Whether the request reads and writes the cache: not with unsaved buffers, `obolint
    /// scopes` (the cache does not hold models) or a run that parses everything.
    fn wants_cache(&self) -> bool {
        let request = self.request;
        request.cache.is_some()
            && !request.collect_models
            && request.sources.is_empty()
            && !request.parse_everything
    }

    /// The cache entry of `root` and what can be known before reading a file: the listing
    /// (every path found, and the configuration files' contents) and each file's stamp.
    fn root_cache(
        &self,
        root: &Path,
        settings: &crate::Settings,
        found: &crate::discover::Discovered,
    ) -> Option<(cache::RootCache, cache::Listing)> {
        let request = self.request;
        let wanted = request.cache.as_ref().filter(|_| self.wants_cache())?;
        let dir = cache::folder(root, wanted, settings.cache_dir.as_deref())?;
        let key = cache::Key {
            root: root.to_path_buf(),
            // The working folder too: messages name files as they are shown, relative to it.
            setup: format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                request.config, request.overrides, settings, self.targets, self.cwd
            ),
        };
        let entry = cache::RootCache::new(dir, wanted.secret, key);
        // Configuration files are read per folder, from each file's folder up to the root.
        let mut configs: Vec<PathBuf> = Vec::new();
        if let crate::config::ConfigSource::File(path) = &request.config {
            configs.push(path.clone());
        }
        let mut folders: Vec<&Path> = Vec::new();
        let mut seen: rustc_hash::FxHashSet<&Path> = rustc_hash::FxHashSet::default();
        for file in found.python.iter().chain(&found.manifests) {
            // Up from the file's folder to the root, stopping at a folder already seen (files
            // come folder by folder, so most files stop at once).
            for folder in file.parent().into_iter().flat_map(Path::ancestors) {
                if !folder.starts_with(root) || !seen.insert(folder) {
                    break;
                }
                folders.push(folder);
            }
        }
        // A folder the walk listed without one holds none (a file added since changes its
        // listing, and so this key, next time).
        for folder in folders {
            if found.config_free.contains(folder) {
                continue;
            }
            for name in crate::config::CONFIG_FILE_NAMES {
                configs.push(folder.join(name));
            }
        }
        let config_hashes = cache::hash_files(&configs, settings.max_file_size);
        let none = blake3::Hash::from_bytes([0; 32]);
        let listing = cache::fingerprint(
            found
                .python
                .iter()
                .chain(&found.manifests)
                .chain(&found.requirements)
                .map(|p| (p.as_path(), none))
                .chain(config_hashes.iter().map(|(p, h)| (p.as_path(), *h)))
                .chain(
                    found
                        .unreadable
                        .iter()
                        .map(|(p, why)| (p.as_path(), blake3::hash(why.as_bytes()))),
                ),
        );
        let files: Vec<PathBuf> = found
            .python
            .iter()
            .chain(&found.manifests)
            .cloned()
            .collect();
        Some((
            entry,
            cache::Listing {
                hash: listing,
                stamps: cache::stamps(&files),
            },
        ))
    }

    /// The fingerprint of every byte read: the listing, then each file's content.
    fn inputs(
        listing: &cache::Listing,
        found: &crate::discover::Discovered,
        read: &load::ReadRoot<'_>,
    ) -> blake3::Hash {
        let contents = read
            .python_hashes
            .iter()
            .chain(&read.manifest_hashes)
            .copied();
        cache::fingerprint(
            std::iter::once((Path::new(""), listing.hash)).chain(
                found
                    .python
                    .iter()
                    .chain(&found.manifests)
                    .map(PathBuf::as_path)
                    .zip(contents),
            ),
        )
    }
}

/// The rule settings of every file of `root` loaded so far.
fn rule_settings(
    sources: &Sources,
    root: &Path,
    resolver: &mut ConfigResolver<'_>,
    overrides: &CliOverrides,
) -> Result<FxHashMap<FileId, RuleSettings>, CheckError> {
    let mut out = FxHashMap::default();
    for (id, file) in sources.db.files() {
        if !file.path.starts_with(root) {
            continue;
        }
        let config = resolver.for_file(&file.path)?;
        out.insert(
            id,
            RuleSettings::resolve(config.as_deref(), overrides, Some(&file.path)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use obolint_diagnostics::Diagnostic;

    use super::*;

    /// The texts not kept of the files findings point into are read again before the root's
    /// findings are cached or shown; one that changed since its parse is warned of (and the
    /// run is not cached), and the files no finding points into are not read.
    #[test]
    fn shown_texts_are_read_again_and_a_changed_one_is_warned_of() {
        let root = PathBuf::from("/project");
        let mut sources = Sources::new(root.clone());
        let text = |same: bool| {
            obolint_diagnostics::SourceText::read_again(
                6,
                Box::new(move || same.then(|| "x = 1\n".to_string())),
            )
        };
        sources.add_file(&root.join("same.py"), text(true));
        sources.add_file(&root.join("changed.py"), text(false));
        sources.add_file(&root.join("unshown.py"), text(false));
        sources.add_file(&root.join("kept.py"), "y = 2\n");
        let output = |sources| RootOutput {
            sources,
            diagnostics: Vec::new(),
            warnings: Vec::new(),
            files_checked: 0,
            config_fail_on: None,
            models: Vec::new(),
            apps: Vec::new(),
            notes: Vec::new(),
            cached: false,
            changed: false,
        };
        let mut out = output(sources);
        // Read by a rule before, and changed: warned of too, though no finding points there.
        let read_early = out
            .sources
            .add_file(&root.join("read_early.py"), text(false));
        assert_eq!(out.sources.db.get(read_early).text, "      ");
        // Findings with a fix in each file.
        let info = crate::Rule::UserClientAtLoadTime.info();
        let fixed = |file: u32| {
            let label = obolint_diagnostics::Label::new(
                FileId(file),
                ruff_text_size::TextRange::default(),
                "",
            );
            Diagnostic::new(info.meta, info.severity, "m", label).with_fix(Some(
                obolint_diagnostics::Fix {
                    message: String::new(),
                    applicability: obolint_diagnostics::Applicability::Safe,
                    file: None,
                    edits: Vec::new(),
                },
            ))
        };
        out.diagnostics = (0..5).map(fixed).collect();
        assert!(read_shown_again(
            &mut out,
            &[true, true, false, true, false]
        ));
        let warned: Vec<&Path> = out
            .warnings
            .iter()
            .filter_map(|w| w.path.as_deref())
            .collect();
        assert_eq!(
            warned,
            [root.join("changed.py"), root.join("read_early.py")]
        );
        let fixes: Vec<bool> = out.diagnostics.iter().map(|d| d.fix.is_some()).collect();
        assert_eq!(fixes, [true, false, true, true, false]);
        let db = &out.sources.db;
        assert_eq!(db.get(FileId(0)).text, "x = 1\n");
        assert_eq!(db.get(FileId(1)).text, "      ");
        assert!(db.get(FileId(2)).text.is_unread());
        let mut stable = output(Sources::new(root.clone()));
        stable.sources.add_file(&root.join("same.py"), text(true));
        stable
            .sources
            .add_file(&root.join("unshown.py"), text(false));
        assert!(!read_shown_again(&mut stable, &[true, false]));
        assert!(stable.warnings.is_empty());
    }

    /// Writes `text` at `name` under `root`, creating its folders.
    fn write_in(root: &Path, name: &str, text: &str) {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    const AGENT: &str = "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\n\nclass Agent(ResponsesAgent):\n    def __init__(self):\n        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\n    def predict(self, request):\n        return None\n\n\nmlflow.models.set_model(Agent())\n";

    /// Kept parses hold no file cut to its imports (a repository of files that only track runs
    /// would otherwise keep every whole tree between checks), and keep the others.
    #[test]
    fn kept_parses_hold_no_file_cut_to_its_imports() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_in(dir.path(), "pyproject.toml", "[project]\nname = \"t\"\n");
        for i in 0..3 {
            write_in(
                dir.path(),
                &format!("track{i}.py"),
                "import mlflow\n\ndef f(x):\n    return x\n\nmlflow.log_metric(\"m\", 1)\n",
            );
        }
        let kept = Arc::new(parses::ParseCache::new());
        let request = CheckRequest {
            parses: Some(Arc::clone(&kept)),
            ..CheckRequest::new(vec![PathBuf::from(".")], dir.path().to_path_buf())
        };
        for _ in 0..2 {
            check(&request).expect("a project");
            assert!(kept.is_empty(), "{kept:?}");
        }
        write_in(dir.path(), "agent.py", AGENT);
        check(&request).expect("a project");
        assert_eq!(kept.len(), 1, "the agent alone is analysed: {kept:?}");
        write_in(
            dir.path(),
            "agent.py",
            &format!("import track0\nimport track1\nimport track2\n{AGENT}"),
        );
        check(&request).expect("a project");
        assert_eq!(
            kept.len(),
            4,
            "imported by the agent, all are analysed: {kept:?}"
        );
    }

    /// A file whose tree was dropped, changed before it is read again for its tree: no tree of
    /// it is what its facts say, so its root is checked anew, from its reads (and the run says
    /// what it found in the file as it is now); one that keeps changing is an error.
    #[test]
    fn a_root_is_checked_anew_when_a_file_changes_between_its_reads() {
        use crate::project::REWRITE_BEFORE_READ_AGAIN;
        let dir = tempfile::tempdir().expect("tempdir");
        write_in(dir.path(), "pyproject.toml", "[project]\nname = \"t\"\n");
        write_in(dir.path(), "agent.py", AGENT);
        let agent = dir.path().join("agent.py");
        // Another text, of another length, where the findings are elsewhere.
        let moved = format!("import os\n\n\n{AGENT}");
        let request = CheckRequest::new(vec![PathBuf::from(".")], dir.path().to_path_buf());
        let findings = |report: &CheckReport| -> Vec<(String, ruff_text_size::TextRange)> {
            report
                .diagnostics
                .iter()
                .map(|d| (d.rule.code.to_string(), d.primary.range))
                .collect()
        };
        let first = findings(&check(&request).expect("a project"));
        assert!(!first.is_empty(), "the agent has findings");
        let rewrites = |texts: &[&str]| {
            *REWRITE_BEFORE_READ_AGAIN.lock().expect("lock") = texts
                .iter()
                .map(|t| (agent.clone(), t.to_string()))
                .collect();
        };
        let left = || {
            REWRITE_BEFORE_READ_AGAIN
                .lock()
                .expect("lock")
                .iter()
                .filter(|(p, _)| *p == agent)
                .count()
        };

        // Changed once: checked again, as it is now.
        rewrites(&[&moved]);
        let again = findings(&check(&request).expect("a project"));
        assert_eq!(left(), 0, "the agent's tree was read again");
        write_in(dir.path(), "agent.py", &moved);
        assert_eq!(again, findings(&check(&request).expect("a project")));
        assert_ne!(again, first);

        // Changed once after its tree was read again, before its text is shown: checked again
        // too (else its findings would be shown without it, and its `noqa` read on the lines of
        // a blank text).
        write_in(dir.path(), "agent.py", AGENT);
        rewrites(&[AGENT, &moved]);
        let report = check(&request).expect("a project");
        assert_eq!(left(), 0, "the agent was read again twice");
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(findings(&report), again);

        // Changing at every read: an error of the run, which names the file.
        write_in(dir.path(), "agent.py", AGENT);
        rewrites(&[&moved, AGENT, &moved]);
        match check(&request) {
            Err(CheckError::ChangedWhileChecked(path)) => assert_eq!(path, agent),
            other => panic!("{:?}", other.map(|r| findings(&r))),
        }
        assert_eq!(left(), 0);
    }

    /// Each kind of input, changed, is a miss; unchanged, a hit.
    #[test]
    fn the_cache_is_used_only_for_the_same_inputs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |name: &str, text: &str| write_in(root, name, text);
        write("pyproject.toml", "[project]\nname = \"t\"\n");
        write("agent.py", AGENT);
        write(
            "log.py",
            "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\nmlflow.pyfunc.log_model(\n    name=\"agent\",\n    python_model=\"agent.py\",\n    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"genie\"])),\n    pip_requirements=\"reqs.txt\",\n)\n",
        );
        let request = CheckRequest {
            cache: Some(cache::CacheRequest {
                dir: None,
                secret: [3; 32],
            }),
            ..CheckRequest::new(vec![".".into()], root.to_path_buf())
        };
        let run = || {
            let report = check(&request).expect("runs");
            let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.code).collect();
            (report.cached_roots, codes.join(","))
        };
        let (cached, first) = run();
        assert_eq!(cached, 0);
        assert!(first.contains("OBO101"), "{first}");
        assert!(root.join(".obolint_cache/.gitignore").is_file());
        assert_eq!(run(), (1, first.clone()), "unchanged: a hit");

        // A requirement file the run read on demand, created: a miss.
        write("reqs.txt", "mlflow==3.1.0\n");
        assert_eq!(run().0, 0, "a new requirement file");
        assert_eq!(run().0, 1);
        // A source file.
        write("agent.py", &AGENT.replace("self.w =", "self.w2 ="));
        assert_eq!(run().0, 0, "a changed source");
        assert_eq!(run().0, 1);
        // A new file anywhere in the project.
        write("pkg/other.py", "x = 1\n");
        assert_eq!(run().0, 0, "a new file");
        // The configuration of a folder.
        write("pyproject.toml", "[tool.obolint]\nignore = [\"OBO101\"]\n");
        let (cached, codes) = run();
        assert_eq!(cached, 0, "a changed configuration");
        assert!(!codes.contains("OBO101"), "{codes}");
        // A nested configuration makes `pkg/` a project of its own: both miss, then both hit.
        write("pkg/obolint.toml", "select = [\"OBO\"]\n");
        assert_eq!(run().0, 0, "a new nested project");
        assert_eq!(run().0, 2, "two projects, both unchanged");
        write("pkg/obolint.toml", "select = [\"OBO1\"]\n");
        assert_eq!(run().0, 1, "the nested project's configuration changed");
        // Another command line: its own entry.
        let other = CheckRequest {
            overrides: CliOverrides {
                fail_on: Some(Severity::Warning),
                ..CliOverrides::default()
            },
            ..request.clone()
        };
        assert_eq!(check(&other).expect("runs").cached_roots, 0);
        assert_eq!(
            run().0,
            2,
            "the first command line's entries are still there"
        );
        // Unsaved buffers and `obolint scopes` never use it.
        let buffers = CheckRequest {
            sources: [(
                root.join("agent.py").canonicalize().expect("real"),
                AGENT.to_string(),
            )]
            .into_iter()
            .collect(),
            ..request.clone()
        };
        assert_eq!(check(&buffers).expect("runs").cached_roots, 0);
        let scopes = CheckRequest {
            collect_models: true,
            ..request.clone()
        };
        assert_eq!(check(&scopes).expect("runs").cached_roots, 0);
    }

    /// A project of one agent, and a request that uses the cache at its default place.
    fn cached_agent_project() -> (tempfile::TempDir, CheckRequest) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"t\"\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("agent.py"), AGENT).expect("write");
        let request = CheckRequest {
            cache: Some(cache::CacheRequest {
                dir: None,
                secret: [3; 32],
            }),
            ..CheckRequest::new(vec![".".into()], dir.path().to_path_buf())
        };
        (dir, request)
    }

    /// The messages of a report's findings, in order.
    fn messages(report: &CheckReport) -> Vec<String> {
        report
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect()
    }

    /// A cache folder that holds anything obolint did not write (the project itself with
    /// `cache-dir = "."`, a package's folder, a `.obolint_cache` a repository ships with files
    /// in it) is not used: its `.gitignore` of `*` would hide those files from the next walk.
    #[test]
    fn a_cache_folder_holding_other_files_is_not_used() {
        for (config, folder) in [
            ("cache-dir = \".\"\n", "."),
            ("cache-dir = \"pkg\"\n", "pkg"),
            ("", ".obolint_cache"),
        ] {
            let (dir, request) = cached_agent_project();
            std::fs::write(
                dir.path().join("pyproject.toml"),
                format!("[project]\nname = \"t\"\n[tool.obolint]\n{config}"),
            )
            .expect("write");
            write_in(dir.path(), &format!("{folder}/other.py"), AGENT);
            let uncached = check(&CheckRequest {
                cache: None,
                ..request.clone()
            })
            .expect("runs");
            assert!(uncached.diagnostics.len() >= 2, "{:?}", messages(&uncached));
            for _ in 0..2 {
                let report = check(&request).expect("runs");
                assert_eq!(report.cached_roots, 0, "{folder}");
                assert_eq!(messages(&report), messages(&uncached), "{folder}");
            }
            let folder = dir.path().join(folder);
            assert!(!folder.join(".gitignore").exists(), "{}", folder.display());
            assert!(
                !folder.join("CACHEDIR.TAG").exists(),
                "{}",
                folder.display()
            );
        }
    }

    /// Messages name files as they are shown, relative to the working folder ("the model in
    /// `agent.py`" or "the model in `project/agent.py`"): an entry written from one folder is
    /// not read from another.
    #[test]
    fn the_cache_is_per_working_folder() {
        fn copy(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).expect("mkdir");
            for entry in std::fs::read_dir(from).expect("read") {
                let entry = entry.expect("entry");
                let path = entry.path();
                if path.file_name().is_some_and(|n| n == ".obolint_cache") {
                    continue;
                }
                if path.is_dir() {
                    copy(&path, &to.join(entry.file_name()));
                } else {
                    std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
                }
            }
        }
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let dir = tempfile::tempdir().expect("tempdir");
        let project = dir.path().join("project");
        copy(&fixtures.join("example-notebooks"), &project);
        copy(
            &fixtures.join("example-agent/sales_agent"),
            &project.join("sales_agent"),
        );
        let cache = Some(cache::CacheRequest {
            dir: None,
            secret: [3; 32],
        });
        check(&CheckRequest {
            cache: cache.clone(),
            ..CheckRequest::new(vec![".".into()], project.clone())
        })
        .expect("runs");
        let from_parent = CheckRequest::new(vec!["project".into()], dir.path().to_path_buf());
        let uncached = check(&from_parent).expect("runs");
        assert!(
            messages(&uncached).iter().any(|m| m.contains("`project/")),
            "{:#?}",
            messages(&uncached)
        );
        let cached = check(&CheckRequest {
            cache,
            ..from_parent
        })
        .expect("runs");
        assert_eq!(messages(&cached), messages(&uncached));
    }

    /// The texts of files with findings are stored with an entry: past `MAX_STORED_TEXT` there
    /// is no entry (ten files of 50 MB made one of gigabytes in memory, and an abort).
    #[test]
    fn large_files_are_not_cached() {
        let (dir, request) = cached_agent_project();
        let large = format!("{AGENT}# {}\n", "x".repeat(33 * 1024 * 1024));
        std::fs::write(dir.path().join("agent.py"), large).expect("write");
        for _ in 0..2 {
            let report = check(&request).expect("runs");
            assert_eq!(report.cached_roots, 0);
            assert!(!report.diagnostics.is_empty());
        }
        let entries = std::fs::read_dir(dir.path().join(".obolint_cache"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .count()
            })
            .unwrap_or(0);
        assert_eq!(entries, 0);
    }

    /// A dangling symlink where the cache writes its `.gitignore` is not written through.
    #[cfg(unix)]
    #[test]
    fn the_cache_never_writes_through_a_symlink() {
        let outside = tempfile::tempdir().expect("tempdir");
        let (dir, request) = cached_agent_project();
        let cache = dir.path().join(".obolint_cache");
        std::fs::create_dir(&cache).expect("mkdir");
        let target = outside.path().join("planted");
        std::os::unix::fs::symlink(&target, cache.join(".gitignore")).expect("symlink");
        std::os::unix::fs::symlink(&target, cache.join("CACHEDIR.TAG")).expect("symlink");
        for _ in 0..2 {
            check(&request).expect("runs");
        }
        assert!(!target.exists(), "nothing written outside the project");
    }

    /// A cache folder that is a symlink out of the project is neither read nor written.
    #[cfg(unix)]
    #[test]
    fn a_symlinked_cache_folder_is_not_used() {
        let outside = tempfile::tempdir().expect("tempdir");
        let (dir, request) = cached_agent_project();
        std::os::unix::fs::symlink(outside.path(), dir.path().join(".obolint_cache"))
            .expect("symlink");
        for _ in 0..2 {
            assert_eq!(check(&request).expect("runs").cached_roots, 0);
        }
        assert_eq!(
            std::fs::read_dir(outside.path()).expect("read").count(),
            0,
            "nothing written outside the project"
        );
    }

    /// The outer root walks a nested project's folders too; a warning about them is said once.
    #[test]
    #[cfg(unix)]
    fn a_walk_warning_in_a_nested_project_is_said_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write_in(root, "pyproject.toml", "");
        write_in(root, "sub/pyproject.toml", "");
        write_in(root, "sub/pkg/agent.py", AGENT);
        std::os::unix::fs::symlink("..", root.join("sub/pkg/loop")).expect("symlink");
        let request = CheckRequest::new(vec![".".into()], root.to_path_buf());
        let report = check(&request).expect("runs");
        assert_eq!(report.roots, 2);
        let loops: Vec<&WalkWarning> = report
            .warnings
            .iter()
            .filter(|w| w.message.contains("symlink loop"))
            .collect();
        assert_eq!(loops.len(), 1, "{:?}", report.warnings);
    }

    /// Nested projects are checked in parallel and added up depth first: each finding points
    /// into its own project's file, files are numbered as if the roots had been checked one
    /// after another, and `fail-on` comes from the outermost configuration.
    #[test]
    fn nested_projects_checked_in_parallel_add_up_in_one_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |name: &str, text: &str| write_in(root, name, text);
        write("pyproject.toml", "[tool.obolint]\nfail-on = \"warning\"\n");
        write("top.py", AGENT);
        for project in ["b", "a/inner", "c", "a"] {
            write(
                &format!("{project}/pyproject.toml"),
                "[tool.obolint]\nfail-on = \"error\"\n",
            );
            write(&format!("{project}/agent.py"), AGENT);
        }
        let request = CheckRequest::new(vec![".".into()], root.to_path_buf());
        let report = check(&request).expect("runs");
        assert_eq!(report.roots, 5);
        assert_eq!(report.fail_on, Severity::Warning);
        let shown: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| {
                let file = report.db.get(d.primary.file);
                assert!(file.path.ends_with(&file.display_path), "{file:?}");
                format!("{}:{}", file.display_path, d.rule.code)
            })
            .collect();
        for project in ["a/inner/", "a/", "b/", "c/", ""] {
            assert!(
                shown.contains(&format!("{project}agent.py:OBO101"))
                    || shown.contains(&format!("{project}top.py:OBO101")),
                "{project}: {shown:?}"
            );
        }
        // Depth first, as one after another: the root, `a`, `a/inner`, `b`, `c`.
        let order: Vec<String> = report
            .db
            .files()
            .map(|(_, f)| f.display_path.clone())
            .filter(|p| p.ends_with(".py"))
            .collect();
        assert_eq!(
            order,
            [
                "top.py",
                "a/agent.py",
                "a/inner/agent.py",
                "b/agent.py",
                "c/agent.py"
            ]
        );
        let again = check(&request).expect("runs");
        assert_eq!(again.diagnostics, report.diagnostics);
        // Of two broken configurations, the run stops at the first in that order.
        write("c/pyproject.toml", "[tool.obolint]\nfail-on = 1\n");
        write("b/pyproject.toml", "[tool.obolint]\nfail-on = 2\n");
        match check(&request) {
            Err(CheckError::Config(error)) => {
                assert!(error.path.ends_with("b/pyproject.toml"), "{error:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// A root heavier than the floor is checked alone; small ones fill waves up to the floor;
    /// every root is in exactly one wave; the heaviest wave is last.
    #[test]
    fn roots_are_checked_in_waves_by_weight() {
        assert!(waves(&[], 8).is_empty());
        assert_eq!(waves(&[0], 8), [[0]]);
        // Small roots together, up to the floor.
        assert_eq!(waves(&[1, 2, 3], 8), [[0, 1, 2]]);
        assert_eq!(waves(&[4, 4, 4], 8), [vec![2], vec![0, 1]]);
        // Heavier than the floor: alone, whatever the others weigh.
        assert_eq!(waves(&[9, 10, 1], 8), [vec![2], vec![0], vec![1]]);
        // The benchmark corpus, in KiB of Python source: the outer root (no file of its own),
        // then its eight packages in path order.
        let corpus = [0, 195, 182, 7_780, 17_704, 10_625, 4_573, 15_818, 20_846];
        let planned = waves(&corpus, 8 << 10);
        assert_eq!(
            planned,
            [
                vec![6],
                vec![1, 2, 3],
                vec![5],
                vec![7],
                vec![4],
                vec![0, 8]
            ],
            "core alone; the SDK with the two small ones; community, mlflow and django alone; \
             sqlalchemy (the largest) last, with the outer root"
        );
        // Ten copies: no wave of two roots with files weighs more than the floor.
        let copies: Vec<u64> = std::iter::once(0)
            .chain((0..10).flat_map(|_| corpus[1..].iter().copied()))
            .collect();
        let planned = waves(&copies, 8 << 10);
        let mut seen: Vec<usize> = planned.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..copies.len()).collect::<Vec<_>>());
        for wave in &planned {
            let weight: u64 = wave.iter().map(|&i| copies[i]).sum();
            let weighing = wave.iter().filter(|&&i| copies[i] > 0).count();
            assert!(weighing == 1 || weight <= 8 << 10, "{wave:?}");
            assert!(wave.is_sorted(), "{wave:?}");
        }
        // Forty roots heavier than the floor, each in a wave of its own.
        let alone = |w: &&Vec<usize>| w.iter().any(|&i| copies[i] > 8 << 10);
        assert_eq!(planned.iter().filter(alone).count(), 40);
        assert!(planned.last().is_some_and(|w| w.contains(&8)));
    }

    #[test]
    fn a_panicking_rule_is_one_finding_for_its_file_not_a_lost_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"t\"\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("bad.py"),
            format!("import mlflow  # noqa\n# {}\n", crate::registry::TEST_PANIC),
        )
        .expect("write");
        std::fs::write(
            dir.path().join("good.py"),
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\n\nclass Agent(ResponsesAgent):\n    def __init__(self):\n        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\n    def predict(self, request):\n        return None\n",
        )
        .expect("write");
        let request = CheckRequest::new(vec![".".into()], dir.path().to_path_buf());
        let report = check(&request).expect("the run completes");
        let internal: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("internal error"))
            .collect();
        assert_eq!(internal.len(), 1, "{:?}", report.diagnostics);
        assert_eq!(internal[0].rule.code, "OBO900");
        assert!(internal[0].message.contains("please report"));
        assert!(
            report.diagnostics.iter().any(|d| d.rule.code == "OBO101"),
            "the other file is still checked: {:?}",
            report.diagnostics
        );
    }

    /// A file found changed while a rule reads it again is not a bug of the rule: the rules pass
    /// it on, and the root is checked anew (here it changes at every check: an error).
    #[test]
    fn a_file_changed_under_a_rule_is_no_internal_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_in(dir.path(), "pyproject.toml", "[project]\nname = \"t\"\n");
        let text = format!(
            "import mlflow  # noqa\n# {}\n",
            crate::registry::TEST_CHANGED
        );
        write_in(dir.path(), "changing.py", &text);
        write_in(dir.path(), "agent.py", AGENT);
        let request = CheckRequest::new(vec![".".into()], dir.path().to_path_buf());
        match check(&request) {
            Err(CheckError::ChangedWhileChecked(path)) => {
                assert!(path.ends_with("changing.py"), "{}", path.display())
            }
            other => panic!("{:?}", other.map(|r| r.diagnostics)),
        }
    }

    /// Files that use `mlflow` only to track runs are left unanalysed unless imports connect
    /// them to a file that can start a finding (`load::unanalysed_files`; which files, in
    /// `load`'s test): the whole project and each file given alone report exactly what they
    /// report with every file analysed.
    #[test]
    fn files_left_unanalysed_change_no_finding() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |name: &str, text: &str| write_in(root, name, text);
        write("pyproject.toml", "[project]\nname = \"t\"\n");
        write(
            "log_model.py",
            "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\npolicy = AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"genie\"]))\nmlflow.pyfunc.log_model(name=\"agent\", python_model=\"agent.py\", auth_policy=policy)\nmlflow.pyfunc.log_model(\n    name=\"plain\",\n    python_model=\"plain_agent.py\",\n    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"no-such-scope\"])),\n)\nmlflow.pyfunc.log_model(\n    name=\"genie\",\n    python_model=\"genie_agent.py\",\n    code_paths=[\"dynamic.py\"],\n    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"genie\", \"model-serving\"])),\n)\n",
        );
        // Names Databricks and `mlflow` models: analysed.
        write(
            "tools.py",
            "from databricks_langchain.genie import GenieAgent\nfrom mlflow.pyfunc import ResponsesAgent\nfrom mlflow.models import set_model\n",
        );
        // Tracks only, but imports `tools`: analysed, and its Genie agent runs as the deployer.
        write(
            "agent.py",
            "import mlflow\nfrom tools import GenieAgent, ResponsesAgent, set_model\n\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        mlflow.log_metric(\"asks\", 1)\n        genie = GenieAgent(genie_space_id=\"01ef77\")\n        return genie.invoke({\"messages\": []})\n\n\nset_model(Agent())\n",
        );
        // Tracks only, connected to nothing that can start a finding: left unanalysed, yet
        // still the code of the model logged with it.
        write(
            "plain_agent.py",
            "import mlflow\nfrom helpers import answer\n\n\nclass Plain:\n    def predict(self, request):\n        mlflow.log_metric(\"n\", 1)\n        return answer(request)\n",
        );
        write(
            "helpers.py",
            "import mlflow\n\n\ndef answer(request):\n    return request  # noqa: OBO201\n",
        );
        // Dynamic code in a model's code (named by path, not imported): any scope may be used,
        // so `model-serving` is not reported as unneeded.
        write(
            "genie_agent.py",
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\n\nclass GenieUser(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return w.genie.start_conversation_and_wait(\"01ef77\", \"hi\")\n\n\nmlflow.models.set_model(GenieUser())\n",
        );
        write("dynamic.py", "import mlflow\n\nexec(\"x = 1\")\n");
        // `script.py` tracks only and imports only `jobs.py`, which does too, but `jobs.py` is
        // imported by an agent: `script.py`'s call is one more call site of `run_jobs`, and
        // `client` is no definite user client (no OBO204 for `jobs`).
        write(
            "jobs_agent.py",
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\nfrom jobs import run_jobs\n\n\nclass JobsAgent(ResponsesAgent):\n    def predict(self, request):\n        w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n        return run_jobs(w)\n\n\nmlflow.models.set_model(JobsAgent())\n",
        );
        write(
            "jobs.py",
            "import mlflow\n\n\ndef run_jobs(client):\n    return client.jobs.list()\n",
        );
        write(
            "script.py",
            "import mlflow\nfrom jobs import run_jobs\n\nrun_jobs(None)\n",
        );
        write(
            "metrics.py",
            "import mlflow\n\nmlflow.log_metric(\"x\", 1)  # noqa: OBO101\n",
        );
        write("broken.py", "import mlflow\ndef (:\n");
        let report = |paths: Vec<PathBuf>, parse_everything: bool| {
            let report = check(&CheckRequest {
                parse_everything,
                ..CheckRequest::new(paths, root.to_path_buf())
            })
            .expect("runs");
            report
                .diagnostics
                .iter()
                .map(|d| {
                    let file = report.db.get(d.primary.file);
                    format!(
                        "{} {} {:?} {}",
                        file.display_path, d.rule.code, d.primary.range, d.message
                    )
                })
                .collect::<Vec<_>>()
        };
        let whole = report(vec![".".into()], false);
        for expected in ["agent.py OBO201", "broken.py OBO900", "log_model.py OBO403"] {
            assert!(
                whole.iter().any(|d| d.starts_with(expected)),
                "{expected}: {whole:?}"
            );
        }
        for unexpected in ["log_model.py OBO402", "jobs.py OBO204"] {
            assert!(
                !whole.iter().any(|d| d.starts_with(unexpected)),
                "{unexpected}: {whole:?}"
            );
        }
        assert_eq!(whole, report(vec![".".into()], true));
        // The unanalysed entry's import keeps `helpers.py` in its model's code: given alone, it
        // reports that model's findings.
        let helpers = report(vec!["helpers.py".into()], false);
        assert!(
            helpers.iter().any(|d| d.starts_with("log_model.py OBO403")),
            "{helpers:?}"
        );
        for file in [
            "log_model.py",
            "tools.py",
            "agent.py",
            "plain_agent.py",
            "helpers.py",
            "metrics.py",
            "broken.py",
            "dynamic.py",
            "genie_agent.py",
            "jobs_agent.py",
            "jobs.py",
            "script.py",
        ] {
            assert_eq!(
                report(vec![file.into()], false),
                report(vec![file.into()], true),
                "{file} given alone"
            );
        }
    }
}
