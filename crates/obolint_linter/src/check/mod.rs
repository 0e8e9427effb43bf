//! `check`: from paths to sorted diagnostics, one project root at a time, in stages: discover,
//! load and parse (`load.rs`), index the project, analyse it, link manifests and requirements to
//! models (`link.rs`), run the rules through the registry, then configuration, suppressions and
//! notebook cells decide what is reported and where (`report.rs`).

mod analyse;
mod link;
mod load;
mod reach;
mod report;
mod request;
mod scopes;
mod show_settings;
mod sources;

use std::path::{Path, PathBuf};

use obolint_diagnostics::{Diagnostic, FileId, Severity};
use rustc_hash::FxHashMap;

pub use request::{CheckError, CheckReport, CheckRequest};
pub use show_settings::show_settings;

use crate::analysis::model_requirements::Append;
use crate::config::resolve::{ConfigResolver, root_config};
use crate::config::{CliOverrides, RuleSettings, settings};
use crate::context::LintContext;
use crate::discover::{WalkWarning, discover, project_root};
use crate::registry::{self, Rule};
use crate::scope_table::ScopeTable;
use sources::Sources;

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
    for root in roots_of(&targets) {
        let root_config = root_config(&root, &request.config)?;
        let settings = settings(root_config.as_ref(), &request.overrides);
        let found = discover(&root, &settings);
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
        targets: _,
        fail_on,
        mut models,
    } = run;
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
        let mut loaded = load::load_root(
            &mut self.sources,
            root,
            &found,
            &request.sources,
            &words,
            settings.max_file_size,
        );
        let mut manifests = std::mem::take(&mut loaded.manifests);

        // Index, then analyse the complete index.
        let analysed = analyse::analyse(root, &loaded, &settings);
        let (project, models, time) = (&analysed.project, &analysed.models, &analysed.time);

        // Link manifests and requirements to the models.
        link::link_manifests(&mut manifests, project, models, &self.sources);
        let requirement_sets = link::requirement_sets(
            &mut self.sources,
            project,
            models,
            &found.requirements,
            &link::RequirementFiles {
                root,
                buffers: &request.sources,
                limit: settings.max_file_size,
            },
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
            project,
            models,
            time,
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
        // What the given paths reach (`reach.rs`): labels under them, or their models' findings.
        let parts = reach::ModelParts {
            project,
            models,
            manifests: &manifests,
            requirement_sets: &requirement_sets,
        };
        let reach = reach::Reach::new(&self.targets, &parts, &self.sources);
        let reported = report::into_notebooks(by_file, &self.sources)
            .into_iter()
            .filter(|d| reach.reaches(d, &self.sources));
        self.diagnostics.extend(reported);
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

#[cfg(test)]
mod tests {
    use obolint_diagnostics::Diagnostic;

    use super::*;

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
}
