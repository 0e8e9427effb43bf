//! `check`: from paths to sorted diagnostics, one project root at a time, in stages: discover,
//! load and parse (`load.rs`), index the project, analyse it, link manifests and requirements to
//! models (`link.rs`), run the rules through the registry, then configuration, suppressions and
//! notebook cells decide what is reported and where (`report.rs`).

mod link;
mod load;
mod report;
mod scopes;
mod show_settings;
mod sources;

use std::path::{Path, PathBuf};

use obolint_diagnostics::{Diagnostic, FileId, Severity, SourceDb};
use obolint_python::semantic::ModuleModel;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

pub use show_settings::show_settings;

use crate::analysis::call_time::TimeModel;
use crate::analysis::model_requirements::Append;
use crate::analysis::models::Models;
use crate::config::resolve::{ConfigResolver, root_config};
use crate::config::{CliOverrides, ConfigError, ConfigSource, RuleSettings, settings};
use crate::context::LintContext;
use crate::discover::{WalkWarning, discover, project_root};
use crate::project::{Project, ProjectFile, package_of};
use crate::registry::{self, Rule};
use crate::scope_table::ScopeTable;
use sources::Sources;

#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// Files and folders as the user gave them; they narrow what is reported, not what is
    /// understood (the whole project around them is analysed).
    pub paths: Vec<PathBuf>,
    /// Where relative paths start, and what displayed paths are relative to.
    pub cwd: PathBuf,
    pub config: ConfigSource,
    pub overrides: CliOverrides,
    /// Text that replaces a file's content on disk (fixes being applied, unsaved editor buffers),
    /// by canonical path.
    pub sources: FxHashMap<PathBuf, String>,
    /// Also report what each model requires and declares (`obolint scopes`).
    pub collect_models: bool,
}

impl CheckRequest {
    pub fn new(paths: Vec<PathBuf>, cwd: PathBuf) -> Self {
        Self {
            paths,
            cwd,
            config: ConfigSource::Discover,
            overrides: CliOverrides::default(),
            sources: FxHashMap::default(),
            collect_models: false,
        }
    }
}

#[derive(Debug)]
pub struct CheckReport {
    pub db: SourceDb,
    /// Sorted by file name, row, column, code.
    pub diagnostics: Vec<Diagnostic>,
    pub warnings: Vec<WalkWarning>,
    /// Python files found in the reported paths.
    pub files_checked: usize,
    /// The lowest severity that fails the run (command line, then configuration, then `error`).
    pub fail_on: Severity,
    /// With [`CheckRequest::collect_models`]: each OBO model's scopes.
    pub models: Vec<crate::scopes_report::ModelReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("path `{}` does not exist", .0.display())]
    PathNotFound(PathBuf),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Stack size of the threads that parse and walk syntax trees. Parsing, visiting and dropping a
/// tree recurse once per nesting level; CPython itself gives up long before this is reached, but a
/// generated or hostile file must not crash the run. Stacks are reserved, not committed, so this
/// costs address space only.
pub(crate) const WORKER_STACK: usize = 512 * 1024 * 1024;

pub fn check(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    match rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK)
        .build()
    {
        Ok(pool) => pool.install(|| check_in_pool(request)),
        Err(_) => check_in_pool(request),
    }
}

fn canonical_targets(request: &CheckRequest, cwd: &Path) -> Result<Vec<PathBuf>, CheckError> {
    request
        .paths
        .iter()
        .map(|path| {
            cwd.join(path)
                .canonicalize()
                .map_err(|_| CheckError::PathNotFound(path.clone()))
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

fn check_in_pool(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let targets = canonical_targets(request, &cwd)?;
    let roots = roots_of(&targets);
    let mut run = RootChecks {
        sources: Sources::new(cwd),
        targets,
        diagnostics: Vec::new(),
        warnings: Vec::new(),
        files_checked: 0,
        fail_on: None,
        models: Vec::new(),
    };
    for root in &roots {
        run.check_root(root, request)?;
    }
    let RootChecks {
        sources,
        mut diagnostics,
        warnings,
        files_checked,
        targets,
        fail_on,
        mut models,
    } = run;
    let db = sources.db;
    models.sort_by(|a, b| a.entry.cmp(&b.entry));
    diagnostics.retain(|d| {
        let path = &db.get(d.primary.file).path;
        targets.iter().any(|t| path.starts_with(t))
    });
    obolint_diagnostics::render::sort(&mut diagnostics, &db);
    diagnostics.dedup();
    Ok(CheckReport {
        db,
        diagnostics,
        warnings,
        files_checked,
        fail_on: fail_on.unwrap_or(Severity::Error),
        models,
    })
}

/// What the roots of one run add up to.
struct RootChecks {
    sources: Sources,
    targets: Vec<PathBuf>,
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<WalkWarning>,
    files_checked: usize,
    fail_on: Option<Severity>,
    models: Vec<crate::scopes_report::ModelReport>,
}

impl RootChecks {
    /// The stages, in order, for one project root.
    fn check_root(&mut self, root: &Path, request: &CheckRequest) -> Result<(), CheckError> {
        // Configuration: the root's governs the analysis; each file's nearest governs its rules.
        let root_config = root_config(root, &request.config)?;
        let settings = settings(root_config.as_ref(), &request.overrides);
        self.fail_on = self
            .fail_on
            .or(request.overrides.fail_on)
            .or(root_config.as_ref().and_then(|c| c.options.fail_on));
        let mut resolver = ConfigResolver::new(root, &request.config, root_config);

        // Discover and load.
        let found = discover(root, &settings);
        self.warnings.extend(found.warnings.iter().cloned());
        self.files_checked += found
            .python
            .iter()
            .filter(|p| self.targets.iter().any(|t| p.starts_with(t)))
            .count();
        let words = settings.prescreen_words();
        let loaded = load::load_root(&mut self.sources, root, &found, &request.sources, &words);
        let mut manifests = loaded.manifests;

        // Index, then analyse the complete index.
        let project_files: Vec<ProjectFile<'_>> = loaded
            .files
            .par_iter()
            .filter_map(|&(i, id)| {
                let source = loaded.parsed[i].as_ref()?;
                Some(ProjectFile {
                    id,
                    path: loaded.paths[i].clone(),
                    model: ModuleModel::build(source.body(), package_of(root, &loaded.paths[i])),
                    written_by: loaded
                        .origins
                        .get(&i)
                        .and_then(|(notebook, _)| loaded.file_ids.get(notebook).copied()),
                })
            })
            .collect();
        let project = Project::new(root.to_path_buf(), project_files, &settings);
        let models = Models::build(&project);
        let time = TimeModel::build(&project, &models);

        // Link manifests and requirements to the models.
        link::link_manifests(&mut manifests, &project, &models, &self.sources);
        let requirement_sets = link::requirement_sets(
            &mut self.sources,
            &project,
            &models,
            &found.requirements,
            root,
            &request.sources,
            &loaded.python_cells,
        );

        // Which rules run where: the nearest configuration of each file of this root.
        let rule_settings = self.rule_settings(root, &mut resolver, &request.overrides)?;
        let enabled: Vec<Rule> = Rule::ALL
            .iter()
            .copied()
            .filter(|&rule| rule_settings.values().any(|s| s.is_enabled(rule)))
            .collect();

        // The rules.
        let table = ScopeTable::with_extra_scopes(&settings.extra_scopes);
        let ctx = LintContext::new(
            &project,
            &models,
            &time,
            &self.sources.db,
            &manifests,
            &requirement_sets,
            &table,
            &loaded.load_errors,
        );
        let mut diagnostics = registry::run(&ctx, &enabled);
        if request.collect_models {
            self.models
                .extend(scopes::model_reports(&ctx, &self.sources, &self.targets));
        }
        drop(ctx);

        // What is reported, and where.
        report::apply_rule_settings(&mut diagnostics, &rule_settings);
        let mut other: Vec<FileId> = manifests.iter().map(|m| m.id).collect();
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
                .filter_map(|&(i, id)| Some((id, loaded.parsed[i].as_ref()?)))
                .collect(),
            other,
        };
        let by_file =
            report::apply_suppressions(diagnostics, &self.sources, &comment_files, &rule_settings);
        self.diagnostics
            .extend(report::into_notebooks(by_file, &self.sources));
        Ok(())
    }

    /// The rule settings of every file of `root` loaded so far.
    fn rule_settings(
        &self,
        root: &Path,
        resolver: &mut ConfigResolver<'_>,
        overrides: &CliOverrides,
    ) -> Result<FxHashMap<FileId, RuleSettings>, CheckError> {
        let mut out = FxHashMap::default();
        for (id, file) in self.sources.db.files() {
            if !file.path.starts_with(root) {
                continue;
            }
            let config = resolver.for_file(&file.path)?;
            out.insert(
                id,
                RuleSettings::resolve(config.as_ref(), overrides, Some(&file.path)),
            );
        }
        Ok(out)
    }
}
