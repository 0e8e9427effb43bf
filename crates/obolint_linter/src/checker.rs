//! `check`: from paths to sorted diagnostics. The flow is the pipeline of `style.md`: discover,
//! load, parse (in parallel), semantic models, project model, rules, then configuration and
//! suppressions decide what is reported.

use std::path::{Path, PathBuf};

use obolint_diagnostics::{CellStart, Diagnostic, FileId, Severity, SourceDb, SourceFile};
use obolint_python::notebook::{
    NotebookError, NotebookText, WrittenFile, databricks_written_files, notebook_text, read_ipynb,
};
use obolint_python::semantic::ModuleModel;
use obolint_python::{ParsedSource, SourceKind, detect_kind, parse_notebook, parse_source};
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashMap;

use crate::config::{
    CliOverrides, ConfigError, ConfigFile, ConfigSource, RuleSettings, config_in_dir, read_config,
};
use crate::dataflow::Dataflow;
use crate::discover::{WalkWarning, discover, project_root};
use crate::load::{Loaded, load};
use crate::manifest::{ManifestKind, ProjectManifest, parse_manifest, saved_code_path};
use crate::project::models::normalize;
use crate::project::{FileIdx, Project, ProjectFile, module_names, package_of};
use crate::rules::{self, Rule};
use crate::scope_table::ScopeTable;
use crate::settings::Settings;
use crate::suppression;

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
    pub models: Vec<crate::report::ModelReport>,
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

fn check_in_pool(request: &CheckRequest) -> Result<CheckReport, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let targets = canonical_targets(request, &cwd)?;
    let roots = roots_of(&targets);
    let mut run = Run {
        cwd,
        targets,
        db: SourceDb::new(),
        diagnostics: Vec::new(),
        warnings: Vec::new(),
        files_checked: 0,
        fail_on: None,
        models: Vec::new(),
        written: FxHashMap::default(),
    };
    for root in &roots {
        run.check_root(root, request)?;
    }
    let Run {
        db,
        mut diagnostics,
        warnings,
        files_checked,
        targets,
        fail_on,
        mut models,
        ..
    } = run;
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

/// The configuration that governs the whole project (analysis settings, `fail-on`): the file
/// given with `--config`, or the one in the project root.
pub fn root_config(root: &Path, source: &ConfigSource) -> Result<Option<ConfigFile>, ConfigError> {
    match source {
        ConfigSource::Isolated => Ok(None),
        ConfigSource::File(path) => Ok(Some(read_config(path)?.unwrap_or_else(|| {
            ConfigFile {
                path: path.clone(),
                dir: path
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                options: Default::default(),
            }
        }))),
        ConfigSource::Discover => config_in_dir(root),
    }
}

/// The configuration for the files of each folder: the nearest file at or above it, up to the
/// project root (or the single `--config` file).
struct ConfigResolver<'r> {
    root: &'r Path,
    source: &'r ConfigSource,
    root_config: Option<ConfigFile>,
    by_dir: FxHashMap<PathBuf, Option<ConfigFile>>,
}

impl ConfigResolver<'_> {
    fn for_file(&mut self, path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
        if !matches!(self.source, ConfigSource::Discover) {
            return Ok(self.root_config.clone());
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if !d.starts_with(self.root) || d == self.root {
                break;
            }
            if !self.by_dir.contains_key(d) {
                let found = config_in_dir(d)?;
                self.by_dir.insert(d.to_path_buf(), found);
            }
            if let Some(Some(config)) = self.by_dir.get(d) {
                return Ok(Some(config.clone()));
            }
            dir = d.parent();
        }
        Ok(self.root_config.clone())
    }
}

/// The resolved settings for one file, as `--show-settings` prints them.
pub fn show_settings(request: &CheckRequest, file: &Path) -> Result<String, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let path = cwd
        .join(file)
        .canonicalize()
        .map_err(|_| CheckError::PathNotFound(file.to_path_buf()))?;
    let root = project_root(&path);
    let root_config = root_config(&root, &request.config)?;
    let settings = Settings::resolve(root_config.as_ref(), &request.overrides);
    let mut resolver = ConfigResolver {
        root: &root,
        source: &request.config,
        root_config: root_config.clone(),
        by_dir: FxHashMap::default(),
    };
    let config = resolver.for_file(&path)?;
    let rules = RuleSettings::resolve(config.as_ref(), &request.overrides, Some(&path));
    let fail_on = request
        .overrides
        .fail_on
        .or(root_config.as_ref().and_then(|c| c.options.fail_on))
        .unwrap_or(Severity::Error);
    let mut out = String::new();
    out.push_str(&format!("file: {}\n", path.display()));
    out.push_str(&format!("project root: {}\n", root.display()));
    out.push_str(&format!(
        "configuration: {}\n",
        config.as_ref().map_or_else(
            || "none (defaults)".to_string(),
            |c| c.path.display().to_string()
        )
    ));
    out.push_str(&format!("fail-on: {}\n", fail_on.as_str()));
    out.push_str("rules:\n");
    for rule in rules.enabled_rules() {
        out.push_str(&format!(
            "  {} {} ({})\n",
            rule.code(),
            rule.info().meta.name,
            rules.severity(rule).as_str()
        ));
    }
    out.push_str(&format!(
        "respect-gitignore: {}\n",
        settings.respect_gitignore
    ));
    out.push_str(&format!("extend-exclude: {:?}\n", settings.extend_exclude));
    out.push_str(&format!(
        "user-client-factories: {:?}\n",
        settings.user_client_factories
    ));
    out.push_str(&format!(
        "request-methods: {:?}\n",
        settings.request_methods
    ));
    Ok(out)
}

struct Run {
    cwd: PathBuf,
    targets: Vec<PathBuf>,
    db: SourceDb,
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<WalkWarning>,
    files_checked: usize,
    fail_on: Option<Severity>,
    models: Vec<crate::report::ModelReport>,
    /// Files written by notebook cells: the notebook, and how offsets map into it.
    written: FxHashMap<FileId, (FileId, WrittenFile)>,
}

impl Run {
    /// Every place requirements are written, with the models they apply to.
    fn requirement_sets(
        &mut self,
        project: &Project<'_>,
        discovered: &[PathBuf],
        root: &Path,
        request: &CheckRequest,
        python_cells: &FxHashMap<FileId, Vec<TextRange>>,
    ) -> Vec<crate::environment::RequirementSet> {
        use crate::environment::{Append, RequirementSet, pip_command_spans, pip_requirements};
        use crate::project::declaration::{PipRequirements, Resolved};
        let mut sets = Vec::new();
        let read = |path: &Path| -> Option<String> {
            match request.sources.get(path) {
                Some(text) => Some(text.clone()),
                None => std::fs::read_to_string(path).ok(),
            }
        };
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let mut loaded_files: FxHashMap<PathBuf, FileId> = FxHashMap::default();
        let mut file_set = |run: &mut Run, path: &Path| -> Option<(FileId, String)> {
            let key = canonical(path);
            if let Some(id) = loaded_files.get(&key) {
                return Some((*id, run.db.get(*id).text.clone()));
            }
            let text = read(path)?;
            let id = run.add_file(path, text.clone());
            loaded_files.insert(key, id);
            Some((id, text))
        };
        let file_append = |text: &str| {
            Some(Append::Line(
                TextSize::of(text),
                !text.is_empty() && !text.ends_with('\n'),
            ))
        };
        // 1. Log calls.
        let mut referenced: Vec<PathBuf> = Vec::new();
        for call in &project.models.log_calls {
            let Some(entry) = call.entry else { continue };
            for (keyword, explicit) in [
                (&call.declaration.pip_requirements, true),
                (&call.declaration.extra_pip_requirements, false),
            ] {
                let Some(keyword) = keyword else { continue };
                match &keyword.value {
                    Resolved::Known(PipRequirements::List(items, literal)) => {
                        if items.iter().any(|(_, f, _)| *f != keyword.file) {
                            continue;
                        }
                        let pairs: Vec<(String, TextRange)> =
                            items.iter().map(|(t, _, r)| (t.clone(), *r)).collect();
                        let list_end = items.last().map(|(_, _, r)| r.end());
                        sets.push(RequirementSet {
                            file: project.file(keyword.file).id,
                            whole: keyword.name,
                            requirements: crate::requirements::from_list(&pairs),
                            explicit,
                            models: Some(vec![entry]),
                            append: list_end.filter(|_| *literal).map(Append::PythonList),
                        });
                    }
                    Resolved::Known(PipRequirements::File(_, Some(path))) => {
                        referenced.push(canonical(path));
                        if let Some((id, text)) = file_set(self, path) {
                            sets.push(RequirementSet {
                                file: id,
                                whole: TextRange::default(),
                                requirements: crate::requirements::from_requirements_txt(&text),
                                explicit,
                                models: Some(vec![entry]),
                                append: file_append(&text),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        // 2. Requirement files of the project no log call names: every model's.
        for path in discovered {
            if referenced.contains(&canonical(path)) {
                continue;
            }
            let is_conda = path.file_name().is_some_and(|n| n == "conda.yaml");
            let Some((id, text)) = file_set(self, path) else {
                continue;
            };
            let requirements = if is_conda {
                conda_pip(&text)
            } else {
                crate::requirements::from_requirements_txt(&text)
            };
            sets.push(RequirementSet {
                file: id,
                whole: TextRange::default(),
                requirements,
                explicit: false,
                models: None,
                append: None,
            });
        }
        // 3. pyproject.toml at the root.
        let pyproject = root.join("pyproject.toml");
        if let Some(text) = read(&pyproject)
            && let Ok(found) = crate::requirements::from_pyproject(&text)
            && !found.dependencies.is_empty()
        {
            let id = self.add_file(&pyproject, text);
            sets.push(RequirementSet {
                file: id,
                whole: TextRange::default(),
                requirements: crate::requirements::Requirements {
                    requirements: found.dependencies,
                    ..Default::default()
                },
                explicit: false,
                models: None,
                append: None,
            });
        }
        // 4. `%pip install` in notebooks: the models the notebook writes, logs or is part of.
        for file in project.file_indices() {
            let f = project.file(file);
            if f.written_by.is_some() {
                continue;
            }
            let text = &self.db.get(f.id).text;
            if !text.contains("pip") {
                continue;
            }
            let spans = match python_cells.get(&f.id) {
                Some(cells) => pip_command_spans(text, cells, false),
                None if detect_kind(text) == SourceKind::DatabricksNotebook => {
                    pip_command_spans(text, &[TextRange::up_to(TextSize::of(text.as_str()))], true)
                }
                None => continue,
            };
            if spans.is_empty() {
                continue;
            }
            let mut models: Vec<FileIdx> = project.models.membership[file.0 as usize].clone();
            for other in project.file_indices() {
                if project.file(other).written_by == Some(f.id) {
                    models.push(other);
                }
            }
            models.extend(
                project
                    .models
                    .log_calls
                    .iter()
                    .filter(|c| c.file == file)
                    .filter_map(|c| c.entry),
            );
            models.sort();
            models.dedup();
            for requirements in pip_requirements(text, &spans) {
                sets.push(RequirementSet {
                    file: f.id,
                    whole: TextRange::default(),
                    requirements,
                    explicit: false,
                    models: Some(models.clone()),
                    append: None,
                });
            }
        }
        sets
    }

    fn location(&self, file: FileId, offset: TextSize) -> crate::report::Location {
        let (file, offset) = match self.written.get(&file) {
            Some((notebook, written)) => (*notebook, written.to_notebook(offset)),
            None => (file, offset),
        };
        let source = self.db.get(file);
        let position = source.position(offset);
        crate::report::Location {
            filename: source.display_path.clone(),
            cell: source.cell(offset),
            row: position.row,
            column: position.column,
        }
    }

    /// `obolint scopes`: each OBO model's requirements against its declarations.
    fn model_reports(
        &self,
        project: &Project<'_>,
        manifests: &[ProjectManifest],
        table: &ScopeTable,
        scopes_of: &dyn Fn(FileIdx) -> crate::project::scopes::ModelScopes,
        configured: Option<crate::config::ScopeStyle>,
    ) -> Vec<crate::report::ModelReport> {
        use crate::report::{Declared, ModelReport, RequiredScope, UseSite};
        let lists = rules::declared_lists(project, manifests);
        let mut out = Vec::new();
        let mut entries: Vec<FileIdx> = project.models.obo_entries.iter().copied().collect();
        entries.sort();
        for entry in entries {
            let path = &project.file(entry).path;
            let writer = self
                .written
                .get(&project.file(entry).id)
                .map(|(notebook, _)| self.db.get(*notebook).path.clone());
            let under_target = |p: &Path| self.targets.iter().any(|t| p.starts_with(t));
            if !under_target(path)
                && !writer.as_deref().is_some_and(under_target)
                && !lists.iter().any(|l| {
                    l.entry == Some(entry)
                        && self
                            .targets
                            .iter()
                            .any(|t| self.db.get(l.file).path.starts_with(t))
                })
            {
                continue;
            }
            let scopes = scopes_of(entry);
            let mine: Vec<&rules::DeclaredList> =
                lists.iter().filter(|l| l.entry == Some(entry)).collect();
            let style = match mine.first() {
                Some(list) => rules::list_style(table, list, configured),
                None => match configured {
                    Some(crate::config::ScopeStyle::Short) => crate::scope_table::ScopeStyle::Short,
                    _ => crate::scope_table::ScopeStyle::Dotted,
                },
            };
            let site = |u: &crate::project::scopes::UseRef| UseSite {
                what: u.what.clone(),
                location: self.location(project.file(u.file).id, u.range.start()),
            };
            let required: Vec<RequiredScope> = scopes
                .required
                .iter()
                .map(|(family, uses)| RequiredScope {
                    family: family.id().to_string(),
                    scope: table.preferred_name(*family, style).to_string(),
                    uses: uses.iter().map(site).collect(),
                })
                .collect();
            let declared: Vec<Declared> = mine
                .iter()
                .map(|l| Declared {
                    scopes: l.scopes.iter().map(|s| s.value.clone()).collect(),
                    location: self.location(l.file, l.list.start()),
                })
                .collect();
            let first = mine.first();
            let meets = |family: crate::scope_table::ScopeFamily| {
                first.is_some_and(|l| {
                    l.scopes.iter().any(|s| {
                        crate::project::scopes::families_of_name(table, &s.value)
                            .is_some_and(|f| f.contains(&family))
                    })
                })
            };
            let mut missing: Vec<String> = Vec::new();
            for family in scopes.required.keys() {
                let name = table.preferred_name(*family, style).to_string();
                if !meets(*family) && !missing.contains(&name) {
                    missing.push(name);
                }
            }
            let unneeded: Vec<String> = match first {
                Some(list) if scopes.is_fully_known() => list
                    .scopes
                    .iter()
                    .filter(|s| {
                        crate::project::scopes::families_of_name(table, &s.value).is_some_and(|f| {
                            let needed = f.is_empty()
                                || scopes.needs_any(&f)
                                || f.iter().any(|x| scopes.reached_otherwise.contains(x))
                                || (scopes.reaches_genie
                                    && table.is_tolerated_with_genie(&s.value));
                            !needed
                        })
                    })
                    .map(|s| s.value.clone())
                    .collect(),
                _ => Vec::new(),
            };
            let mut names: Vec<String> = Vec::new();
            for r in &required {
                if !names.contains(&r.scope) {
                    names.push(r.scope.clone());
                }
            }
            let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            let entry_id = project.file(entry).id;
            let entry_name = match self.written.get(&entry_id) {
                Some((notebook, _)) => format!(
                    "{} (written by {})",
                    self.db.get(entry_id).display_path,
                    self.db.get(*notebook).display_path
                ),
                None => self.db.get(entry_id).display_path.clone(),
            };
            out.push(ModelReport {
                entry: entry_name,
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
    fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
    }

    fn add_file(&mut self, path: &Path, text: String) -> FileId {
        let display = self.display_path(path);
        self.db
            .add(SourceFile::new(path.to_path_buf(), display, text))
    }

    fn check_root(&mut self, root: &Path, request: &CheckRequest) -> Result<(), CheckError> {
        let root_config = root_config(root, &request.config)?;
        let settings = Settings::resolve(root_config.as_ref(), &request.overrides);
        self.fail_on = self
            .fail_on
            .or(request.overrides.fail_on)
            .or(root_config.as_ref().and_then(|c| c.options.fail_on));
        let mut resolver = ConfigResolver {
            root,
            source: &request.config,
            root_config,
            by_dir: FxHashMap::default(),
        };

        let found = discover(root, &settings);
        self.warnings.extend(found.warnings);
        self.files_checked += found
            .python
            .iter()
            .filter(|p| self.targets.iter().any(|t| p.starts_with(t)))
            .count();
        let mut file_diagnostics: Vec<Diagnostic> = Vec::new();
        for (path, reason) in found.unreadable {
            let id = self.add_file(&path, String::new());
            file_diagnostics.push(rules::syntax_error::unreadable(
                id,
                TextRange::default(),
                &reason,
            ));
        }

        let mut paths = found.python;
        let words = settings.prescreen_words();
        let mut loaded: Vec<Loaded> = paths
            .par_iter()
            .map(|p| match request.sources.get(p) {
                Some(text) => Loaded::from_text(text.clone(), &words),
                None => load(p, &words),
            })
            .collect();

        // Notebooks: `.ipynb` files read as their code cells, and the files that `%%writefile`
        // cells (in both kinds of notebook) write, added to the project at their paths.
        let mut notebooks: FxHashMap<usize, Result<NotebookText, NotebookError>> =
            FxHashMap::default();
        let mut written: Vec<(usize, WrittenFile)> = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let Loaded::Text { text, .. } = &loaded[i] else {
                continue;
            };
            if is_ipynb(path) {
                let layout = read_ipynb(text).map(|cells| notebook_text(&cells));
                if let Ok(layout) = &layout {
                    written.extend(layout.written_files().map(|w| (i, w.clone())));
                }
                notebooks.insert(i, layout);
            } else if memchr::memmem::find(text.as_bytes(), b"%%writefile").is_some()
                && detect_kind(text) == SourceKind::DatabricksNotebook
            {
                let cells = obolint_python::cell_ranges(text, SourceKind::DatabricksNotebook);
                written.extend(
                    databricks_written_files(text, &cells)
                        .into_iter()
                        .map(|w| (i, w)),
                );
            }
        }
        // In cell order: a plain `%%writefile` replaces what the notebook wrote to that path
        // before, `-a` appends to it.
        let mut combined: Vec<(usize, PathBuf, WrittenFile)> = Vec::new();
        for (notebook, file) in written {
            if !file.path.ends_with(".py") {
                continue;
            }
            let Some(dir) = paths[notebook].parent() else {
                continue;
            };
            let path = normalize(&dir.join(&file.path));
            match combined
                .iter_mut()
                .find(|(n, p, _)| *n == notebook && *p == path)
            {
                Some((_, _, existing)) if file.append => existing.append_file(file),
                Some((_, _, existing)) => *existing = file,
                None => combined.push((notebook, path, file)),
            }
        }
        let mut origins: FxHashMap<usize, (usize, WrittenFile)> = FxHashMap::default();
        for (notebook, path, file) in combined {
            origins.insert(paths.len(), (notebook, file.clone()));
            paths.push(path);
            loaded.push(Loaded::from_text(file.text, &words));
        }

        let mut module_index: FxHashMap<String, usize> = FxHashMap::default();
        for (i, path) in paths.iter().enumerate() {
            for name in module_names(root, path) {
                module_index.entry(name).or_insert(i);
            }
        }

        // Parse what the prescreen wants, then, until nothing changes, the project modules that
        // parsed files import.
        let mut parsed: Vec<Option<ParsedSource>> = (0..paths.len()).map(|_| None).collect();
        let mut batch: Vec<usize> = loaded
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                matches!(l, Loaded::Text { relevant: true, .. })
                    || origins.values().any(|(notebook, _)| notebook == i)
            })
            .map(|(i, _)| i)
            .collect();
        while !batch.is_empty() {
            let results: Vec<(usize, ParsedSource)> = batch
                .par_iter()
                .filter_map(|&i| match (&loaded[i], notebooks.get(&i)) {
                    (_, Some(Ok(layout))) => Some((i, parse_notebook(layout))),
                    (_, Some(Err(_))) => None,
                    (Loaded::Text { text, .. }, None) => {
                        Some((i, parse_source(text, detect_kind(text))))
                    }
                    _ => None,
                })
                .collect();
            let mut next = Vec::new();
            for (i, source) in results {
                let package = package_of(root, &paths[i]);
                for module in obolint_python::imports::imported_modules(source.body(), &package) {
                    if let Some(&j) = module_index.get(&module)
                        && parsed[j].is_none()
                        && !batch.contains(&j)
                        && !next.contains(&j)
                    {
                        next.push(j);
                    }
                }
                parsed[i] = Some(source);
            }
            batch = next;
        }

        let mut files: Vec<(usize, FileId)> = Vec::new();
        let mut file_ids: FxHashMap<usize, FileId> = FxHashMap::default();
        for (i, slot) in loaded.iter_mut().enumerate() {
            match std::mem::replace(slot, Loaded::Unreadable(String::new())) {
                Loaded::Text { text, .. } => match notebooks.get(&i) {
                    Some(Err(error)) => {
                        let at = TextSize::new(error.offset.min(text.len()) as u32);
                        let id = self.add_file(&paths[i], text);
                        file_diagnostics.push(rules::syntax_error::broken_notebook(
                            id,
                            TextRange::empty(at),
                            &error.message,
                        ));
                    }
                    Some(Ok(layout)) => {
                        if let Some(source) = &parsed[i] {
                            let cells = layout
                                .cells
                                .iter()
                                .map(|c| CellStart {
                                    offset: c.range.start(),
                                    number: c.number,
                                })
                                .collect();
                            let display = self.display_path(&paths[i]);
                            let id = self.db.add(
                                SourceFile::new(paths[i].clone(), display, layout.text.clone())
                                    .with_cells(cells),
                            );
                            for error in &source.syntax_errors {
                                let mut error = error.clone();
                                error.cell = error
                                    .cell
                                    .and_then(|c| layout.cells.get(c))
                                    .map(|c| c.number - 1);
                                file_diagnostics
                                    .push(rules::syntax_error::from_parse_error(id, &error));
                            }
                            files.push((i, id));
                            file_ids.insert(i, id);
                        }
                    }
                    None => {
                        if let Some(source) = &parsed[i] {
                            let id = self.add_file(&paths[i], text);
                            for error in &source.syntax_errors {
                                file_diagnostics
                                    .push(rules::syntax_error::from_parse_error(id, error));
                            }
                            files.push((i, id));
                            file_ids.insert(i, id);
                        }
                    }
                },
                Loaded::NotUtf8 { lossy, offset } => {
                    let start = TextSize::new(offset.min(lossy.len()) as u32);
                    let id = self.add_file(&paths[i], lossy);
                    file_diagnostics.push(rules::syntax_error::unreadable(
                        id,
                        TextRange::empty(start),
                        "it is not valid UTF-8",
                    ));
                }
                Loaded::Unreadable(reason) => {
                    let id = self.add_file(&paths[i], String::new());
                    file_diagnostics.push(rules::syntax_error::unreadable(
                        id,
                        TextRange::default(),
                        &reason,
                    ));
                }
            }
        }

        // Manifests: `MLmodel` files, and `resources.yaml` files that look like MLflow's (or
        // that a log call names; see below).
        let manifest_loads: Vec<(PathBuf, Loaded)> = found
            .manifests
            .par_iter()
            .map(|p| {
                let loaded = match request.sources.get(p) {
                    Some(text) => Loaded::from_text(text.clone(), &words),
                    None => load(p, &words),
                };
                (p.clone(), loaded)
            })
            .collect();
        let mut manifests: Vec<ProjectManifest> = Vec::new();
        let mut manifest_diagnostics: Vec<(usize, Diagnostic)> = Vec::new();
        for (path, loaded) in manifest_loads {
            let Some(kind) = ManifestKind::of(&path) else {
                continue;
            };
            match loaded {
                Loaded::Text { text, .. } => match parse_manifest(&text, kind) {
                    Ok(manifest) => {
                        let id = self.add_file(&path, text);
                        manifests.push(ProjectManifest {
                            id,
                            path,
                            manifest,
                            entry: None,
                            logged_by: Vec::new(),
                        });
                    }
                    Err(error) => {
                        let id = self.add_file(&path, text);
                        file_diagnostics.push(rules::syntax_error::broken_yaml(
                            id,
                            TextRange::empty(error.offset),
                            &error.message,
                        ));
                    }
                },
                Loaded::NotUtf8 { lossy, offset } => {
                    let start = TextSize::new(offset.min(lossy.len()) as u32);
                    let id = self.add_file(&path, lossy);
                    manifest_diagnostics.push((
                        0,
                        rules::syntax_error::unreadable(
                            id,
                            TextRange::empty(start),
                            "it is not valid UTF-8",
                        ),
                    ));
                }
                Loaded::Unreadable(reason) => {
                    let id = self.add_file(&path, String::new());
                    manifest_diagnostics.push((
                        0,
                        rules::syntax_error::unreadable(id, TextRange::default(), &reason),
                    ));
                }
            }
        }
        file_diagnostics.extend(manifest_diagnostics.into_iter().map(|(_, d)| d));

        // Files written by notebook cells report in those cells.
        self.written = origins
            .iter()
            .filter_map(|(i, (notebook, file))| {
                Some((*file_ids.get(i)?, (*file_ids.get(notebook)?, file.clone())))
            })
            .collect();

        // Which rules run where: the nearest configuration of each file.
        let mut rule_settings: FxHashMap<FileId, RuleSettings> = FxHashMap::default();
        let ids: Vec<(FileId, PathBuf)> = self
            .db
            .files()
            .map(|(id, f)| (id, f.path.clone()))
            .filter(|(_, p)| p.starts_with(root))
            .collect();
        for (id, path) in ids {
            let config = resolver.for_file(&path)?;
            rule_settings.insert(
                id,
                RuleSettings::resolve(config.as_ref(), &request.overrides, Some(&path)),
            );
        }
        let runs = |rule: Rule| rule_settings.values().any(|s| s.is_enabled(rule));

        let project_files: Vec<ProjectFile<'_>> = files
            .par_iter()
            .filter_map(|&(i, id)| {
                let source = parsed[i].as_ref()?;
                Some(ProjectFile {
                    id,
                    path: paths[i].clone(),
                    model: ModuleModel::build(source.body(), package_of(root, &paths[i])),
                    written_by: origins
                        .get(&i)
                        .and_then(|(notebook, _)| file_ids.get(notebook).copied()),
                })
            })
            .collect();
        let project = Project::new(root.to_path_buf(), project_files, &settings);

        // Link the manifests to their models: the code saved next to an `MLmodel`, the log
        // calls that name a `resources.yaml`.
        for manifest in &mut manifests {
            match manifest.manifest.kind {
                ManifestKind::MlModel => {
                    manifest.entry = saved_code_path(&manifest.path, &manifest.manifest)
                        .and_then(|p| project.find_file(&p.canonicalize().unwrap_or(p)));
                }
                ManifestKind::ResourcesYaml => {
                    let canonical = manifest
                        .path
                        .canonicalize()
                        .unwrap_or_else(|_| manifest.path.clone());
                    manifest.logged_by = project
                        .models
                        .log_calls
                        .iter()
                        .enumerate()
                        .filter(|(_, call)| {
                            call.declaration.resources_file().is_some_and(|p| {
                                p.canonicalize().unwrap_or_else(|_| p.to_path_buf()) == canonical
                            })
                        })
                        .map(|(i, _)| i)
                        .collect();
                }
            }
        }
        // A `resources.yaml` that no log call names and that has no `api_version` is not
        // MLflow's (Databricks asset bundles use the name too).
        manifests.retain(|m| {
            m.manifest.kind == ManifestKind::MlModel
                || !m.logged_by.is_empty()
                || self.db.get(m.id).text.contains("api_version")
        });

        // Requirements: log calls' `pip_requirements=`, requirement files, pyproject.toml,
        // notebooks' `%pip install` lines.
        let python_cells: FxHashMap<FileId, Vec<TextRange>> = notebooks
            .iter()
            .filter_map(|(i, layout)| {
                let layout = layout.as_ref().ok()?;
                let cells = layout
                    .cells
                    .iter()
                    .filter(|c| c.role == obolint_python::notebook::CellRole::Python)
                    .map(|c| c.range)
                    .collect();
                Some((*file_ids.get(i)?, cells))
            })
            .collect();
        let requirement_sets =
            self.requirement_sets(&project, &found.requirements, root, request, &python_cells);

        let dataflow = Dataflow::new(&project);
        let table = ScopeTable::with_extra_scopes(&settings.extra_scopes);
        let model_uses = |entry: FileIdx| {
            project
                .models
                .files_of(entry)
                .flat_map(|f| crate::project::uses::uses_in(&project, &dataflow, f))
                .collect::<Vec<_>>()
        };
        let model_scopes = |entry: FileIdx| {
            crate::project::scopes::model_scopes(&project, &dataflow, &table, entry)
        };
        let fixer = rules::PolicyFixer {
            project: &project,
            db: &self.db,
            table: &table,
            scopes: &model_scopes,
            uses: &model_uses,
            style: match settings.scope_style {
                Some(crate::config::ScopeStyle::Short) => crate::scope_table::ScopeStyle::Short,
                _ => crate::scope_table::ScopeStyle::Dotted,
            },
        };
        if runs(Rule::ResourcesInsteadOfAuthPolicy) {
            rules::resources_instead_of_auth_policy::check(
                &project,
                &manifests,
                &fixer,
                &mut file_diagnostics,
            );
        }
        if runs(Rule::ResourcesAndAuthPolicy) {
            rules::resources_and_auth_policy::check(&project, &manifests, &mut file_diagnostics);
        }
        if runs(Rule::MissingUserAuthPolicy) {
            rules::missing_user_auth_policy::check(
                &project,
                &manifests,
                &fixer,
                &mut file_diagnostics,
            );
        }
        if runs(Rule::AuthPolicyUnsupportedFlavor) {
            rules::auth_policy_unsupported_flavor::check(&project, &mut file_diagnostics);
        }
        if runs(Rule::UserScopesWithoutUserClient) {
            rules::user_scopes_without_user_client::check(
                &project,
                &manifests,
                &mut file_diagnostics,
            );
        }
        if runs(Rule::InvalidResourcesBlock) {
            rules::invalid_resources_block::check(&manifests, &mut file_diagnostics);
        }
        let scope_rules = [
            Rule::MissingApiScope,
            Rule::UnneededApiScope,
            Rule::UnknownApiScope,
            Rule::DuplicateApiScope,
            Rule::DeprecatedScopeName,
            Rule::BroadServingScope,
        ];
        if scope_rules.iter().any(|&r| runs(r)) {
            let lists = rules::declared_lists(&project, &manifests);
            let mut models = FxHashMap::default();
            for entry in lists.iter().filter_map(|l| l.entry) {
                models.entry(entry).or_insert_with(|| {
                    crate::project::scopes::model_scopes(&project, &dataflow, &table, entry)
                });
            }
            let context = rules::ScopeContext {
                table: &table,
                lists,
                models,
                style: settings.scope_style,
            };
            if runs(Rule::MissingApiScope) {
                rules::missing_api_scope::check(&project, &context, &mut file_diagnostics);
            }
            if runs(Rule::UnneededApiScope) {
                rules::unneeded_api_scope::check(&project, &context, &mut file_diagnostics);
            }
            if runs(Rule::UnknownApiScope) {
                rules::unknown_api_scope::check(&context, &mut file_diagnostics);
            }
            if runs(Rule::DuplicateApiScope) {
                rules::duplicate_api_scope::check(&context, &mut file_diagnostics);
            }
            if runs(Rule::DeprecatedScopeName) {
                rules::deprecated_scope_name::check(&context, &mut file_diagnostics);
            }
            if runs(Rule::BroadServingScope) {
                rules::broad_serving_scope::check(&context, &mut file_diagnostics);
            }
        }
        if request.collect_models {
            let reports = self.model_reports(
                &project,
                &manifests,
                &table,
                &model_scopes,
                settings.scope_style,
            );
            self.models.extend(reports);
        }
        if runs(Rule::MissingOboRequirement) {
            rules::missing_obo_requirement::check(
                &project,
                &requirement_sets,
                &mut file_diagnostics,
            );
        }
        if runs(Rule::RequirementTooOld) {
            let features = |entry: FileIdx| crate::environment::model_features(&project, entry);
            rules::requirement_too_old::check(
                &project,
                &requirement_sets,
                &manifests,
                &features,
                &mut file_diagnostics,
            );
        }
        if runs(Rule::UserResourceInSystemPolicy) {
            rules::user_resource_in_system_policy::check(
                &project,
                &manifests,
                &model_uses,
                &mut file_diagnostics,
            );
        }
        if runs(Rule::UserClientAtLoadTime) {
            rules::user_client_at_load_time::check(&project, &dataflow, &mut file_diagnostics);
        }
        if runs(Rule::UserClientOutlivesRequest) {
            rules::user_client_outlives_request::check(&project, &dataflow, &mut file_diagnostics);
        }
        let per_file_rules = [
            Rule::MisplacedOboStrategy,
            Rule::DeprecatedCredentialsProvider,
            Rule::OboStrategyOverridden,
            Rule::GenieWithoutUserClient,
            Rule::VectorSearchWithoutUserClient,
            Rule::McpWithoutUserClient,
            Rule::NonexistentOboImport,
            Rule::OboUnsupportedResource,
            Rule::UserCredentialExposed,
        ];
        let enabled: Vec<Rule> = per_file_rules.into_iter().filter(|&r| runs(r)).collect();
        let per_file: Vec<Vec<Diagnostic>> = project
            .file_indices()
            .collect::<Vec<FileIdx>>()
            .par_iter()
            .map(|&file| {
                let dataflow = Dataflow::new(&project);
                let mut out = Vec::new();
                for rule in &enabled {
                    match rule {
                        Rule::DeprecatedCredentialsProvider => {
                            rules::deprecated_credentials_provider::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::GenieWithoutUserClient => {
                            rules::genie_without_user_client::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::VectorSearchWithoutUserClient => {
                            rules::vector_search_without_user_client::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::MisplacedOboStrategy => {
                            rules::misplaced_obo_strategy::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::OboStrategyOverridden => {
                            rules::obo_strategy_overridden::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::OboUnsupportedResource => {
                            rules::obo_unsupported_resource::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::UserCredentialExposed => {
                            rules::user_credential_exposed::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        Rule::NonexistentOboImport => {
                            rules::nonexistent_obo_import::check(&project, file, &mut out);
                        }
                        Rule::McpWithoutUserClient => {
                            rules::mcp_without_user_client::check(
                                &project, &dataflow, file, &mut out,
                            );
                        }
                        _ => {}
                    }
                }
                out
            })
            .collect();
        file_diagnostics.extend(per_file.into_iter().flatten());
        drop(project);

        // Configuration: drop disabled rules, apply severity overrides.
        file_diagnostics.retain_mut(|d| {
            let (Some(rule), Some(settings)) = (
                Rule::from_code(d.rule.code),
                rule_settings.get(&d.primary.file),
            ) else {
                return true;
            };
            if !settings.is_enabled(rule) {
                return false;
            }
            let configured = settings.severity(rule);
            if configured != rule.info().severity {
                d.severity = configured;
            }
            true
        });

        // Suppressions, file by file.
        let mut by_file: FxHashMap<FileId, Vec<Diagnostic>> = FxHashMap::default();
        for d in file_diagnostics {
            by_file.entry(d.primary.file).or_default().push(d);
        }
        for &(i, id) in &files {
            let Some(source) = parsed[i].as_ref() else {
                continue;
            };
            let file = self.db.get(id);
            // In a Databricks notebook, `# MAGIC` lines are another cell's code (a `%%writefile`
            // cell's, checked as the file it writes): their `# noqa` belong to that file.
            let comments: Vec<TextRange> = if source.kind == SourceKind::DatabricksNotebook {
                source
                    .comments
                    .iter()
                    .copied()
                    .filter(|c| !file.text[*c].starts_with("# MAGIC"))
                    .collect()
            } else {
                source.comments.clone()
            };
            let directives = suppression::directives(&file.text, &comments, &file.line_index);
            if directives.is_empty() {
                continue;
            }
            let Some(settings) = rule_settings.get(&id) else {
                continue;
            };
            let diagnostics = by_file.entry(id).or_default();
            let unused = rules::unused_suppression::apply(
                id,
                &file.text,
                &file.line_index,
                source.body(),
                &directives,
                diagnostics,
                settings,
            );
            diagnostics.extend(unused);
        }
        let mut comment_files: Vec<FileId> = manifests.iter().map(|m| m.id).collect();
        comment_files.extend(
            requirement_sets
                .iter()
                .filter(|r| {
                    r.append
                        .as_ref()
                        .is_some_and(|a| matches!(a, crate::environment::Append::Line(..)))
                })
                .map(|r| r.file),
        );
        comment_files.sort();
        comment_files.dedup();
        for id in comment_files {
            let file = self.db.get(id);
            let comments = suppression::yaml_comments(&file.text);
            let directives = suppression::directives(&file.text, &comments, &file.line_index);
            let Some(settings) = rule_settings.get(&id) else {
                continue;
            };
            if directives.is_empty() {
                continue;
            }
            let diagnostics = by_file.entry(id).or_default();
            let unused = rules::unused_suppression::apply(
                id,
                &file.text,
                &file.line_index,
                &[],
                &directives,
                diagnostics,
                settings,
            );
            diagnostics.extend(unused);
        }

        // What was found in the files that notebooks write is reported in the notebooks.
        let written_ids: FxHashMap<FileId, (FileId, &WrittenFile)> = self
            .written
            .iter()
            .map(|(id, (notebook, file))| (*id, (*notebook, file)))
            .collect();
        for (_, mut diagnostics) in by_file {
            if !written_ids.is_empty() {
                for d in &mut diagnostics {
                    to_notebook(d, &written_ids);
                }
            }
            self.diagnostics.extend(diagnostics);
        }
        Ok(())
    }
}

/// The `pip:` entries of a conda environment file.
fn conda_pip(text: &str) -> crate::requirements::Requirements {
    use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
    let Ok(docs) = MarkedYaml::load_from_str(text) else {
        return Default::default();
    };
    let mut items: Vec<(String, TextRange)> = Vec::new();
    let Some(YamlData::Mapping(root)) = docs.first().map(|d| &d.data) else {
        return Default::default();
    };
    let offsets = crate::manifest::Offsets::new(text);
    for (key, value) in root {
        if !matches!(&key.data, YamlData::Value(Scalar::String(k)) if k == "dependencies") {
            continue;
        }
        let YamlData::Sequence(deps) = &value.data else {
            continue;
        };
        for dep in deps {
            let YamlData::Mapping(map) = &dep.data else {
                continue;
            };
            for (k, v) in map {
                if !matches!(&k.data, YamlData::Value(Scalar::String(k)) if k == "pip") {
                    continue;
                }
                let YamlData::Sequence(pips) = &v.data else {
                    continue;
                };
                for pip in pips {
                    if let YamlData::Value(Scalar::String(s)) = &pip.data {
                        items.push((s.to_string(), offsets.span(pip)));
                    }
                }
            }
        }
    }
    crate::requirements::from_conda_pip(&items)
}

fn is_ipynb(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "ipynb")
}

/// Moves a diagnostic found in a file written by a notebook cell into that cell: its labels,
/// and its fix's edits (see `WrittenFile::edit_to_notebook`); a fix that cannot be mapped is
/// dropped.
fn to_notebook(d: &mut Diagnostic, written: &FxHashMap<FileId, (FileId, &WrittenFile)>) {
    if let Some((_, file)) = written.get(&d.primary.file)
        && let Some(fix) = &mut d.fix
    {
        let mapped: Option<Vec<(TextRange, String)>> = fix
            .edits
            .iter()
            .map(|edit| file.edit_to_notebook(edit.range, &edit.content))
            .collect();
        match mapped {
            Some(mapped) => {
                for (edit, (range, content)) in fix.edits.iter_mut().zip(mapped) {
                    edit.range = range;
                    edit.content = content;
                }
            }
            None => d.fix = None,
        }
    }
    let labels = std::iter::once(&mut d.primary).chain(d.secondary.iter_mut());
    for label in labels {
        if let Some((notebook, file)) = written.get(&label.file) {
            label.file = *notebook;
            label.range = file.range_to_notebook(label.range);
        }
    }
}
