//! What every rule receives: one [`LintContext`] per project (the index, the analyses on it, the
//! manifests, requirement sets, scope table and settings), with the answers several rules and
//! `obolint scopes` share computed once, on first use. A rule sees it through a [`RuleContext`]
//! (project grain) or a [`FileContext`] (file grain), and reports through them: the context fills
//! in the rule's code and severity, so a rule cannot report under another rule's name.
//!
//! Rules implement [`Check`]; the registry (`registry.rs`) decides which run and calls them.

use std::cell::RefCell;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use obolint_diagnostics::{Diagnostic, Label, SourceDb};
use ruff_text_size::TextRange;
use rustc_hash::FxHashMap;

use crate::analysis::api_scopes::{ModelScopes, UseRef, scopes_of_uses};
use crate::analysis::app_scopes::{
    AppInputs, AppScopes, EndpointModel, app_scopes, endpoint_models,
};
use crate::analysis::apps::Apps;
use crate::analysis::call_time::TimeModel;
use crate::analysis::dataflow::Dataflow;
use crate::analysis::declared_lists::{DeclaredList, declared_lists, list_style};
use crate::analysis::model_requirements::{
    FeatureUse, RequirementSet, file_features, model_features,
};
use crate::analysis::models::Models;
use crate::analysis::scope_verdict::{ScopeVerdict, verdict};
use crate::analysis::uses::{ClientUse, uses_in};
use crate::app_manifest::ProjectAppManifest;
use crate::app_scope_table::AppScopeTable;
use crate::load::{LoadError, LoadErrorKind};
use crate::manifest::ProjectManifest;
use crate::project::{FileIdx, Project};
use crate::rule_info::RuleInfo;
use crate::scope_table::{ScopeStyle, ScopeTable};
use crate::settings::Settings;

/// Where a rule looks: once per project file (in parallel, with that file's dataflow), or once
/// for the whole project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    File,
    Project,
}

/// A rule's check. Implement the method of the rule's [`Grain`]; the other one is never called.
pub trait Check {
    const GRAIN: Grain;

    fn check_file(&self, _ctx: &FileContext<'_, '_>) {}

    fn check_project(&self, _ctx: &RuleContext<'_, '_>) {}
}

/// Everything the rules of one project read.
pub struct LintContext<'c> {
    pub project: &'c Project<'c>,
    pub models: &'c Models,
    pub time: &'c TimeModel,
    pub db: &'c SourceDb,
    pub manifests: &'c [ProjectManifest],
    pub requirement_sets: &'c [RequirementSet],
    pub table: &'c ScopeTable,
    pub settings: &'c Settings,
    /// Files that could not be read or parsed (OBO900).
    pub load_errors: &'c [LoadError],
    /// Databricks Apps: their code, their bundles, and the Apps scope table.
    pub apps: &'c Apps,
    pub app_manifests: &'c [ProjectAppManifest],
    pub app_table: &'c AppScopeTable,
    declared_lists: OnceLock<Vec<DeclaredList>>,
    model_uses: Mutex<FxHashMap<FileIdx, Arc<Vec<ClientUse>>>>,
    /// Each file's [`file_features`], as models ask (a file is part of many).
    file_features: Mutex<FxHashMap<FileIdx, Arc<[FeatureUse]>>>,
    app_uses: Mutex<FxHashMap<usize, Arc<AppScopes>>>,
    endpoint_models: OnceLock<Vec<EndpointModel>>,
}

/// No app at all (the default until [`LintContext::with_apps`]).
static NO_APPS: std::sync::LazyLock<Apps> = std::sync::LazyLock::new(Apps::default);

impl<'c> LintContext<'c> {
    #[allow(clippy::too_many_arguments)] // One field each: the context is built in one place.
    pub fn new(
        project: &'c Project<'c>,
        models: &'c Models,
        time: &'c TimeModel,
        db: &'c SourceDb,
        manifests: &'c [ProjectManifest],
        requirement_sets: &'c [RequirementSet],
        table: &'c ScopeTable,
        load_errors: &'c [LoadError],
    ) -> Self {
        Self {
            project,
            models,
            time,
            db,
            manifests,
            requirement_sets,
            table,
            settings: project.settings,
            load_errors,
            apps: &NO_APPS,
            app_manifests: &[],
            app_table: AppScopeTable::builtin(),
            declared_lists: OnceLock::new(),
            model_uses: Mutex::default(),
            file_features: Mutex::default(),
            app_uses: Mutex::default(),
            endpoint_models: OnceLock::new(),
        }
    }

    /// The project's Databricks Apps.
    pub fn with_apps(
        mut self,
        apps: &'c Apps,
        app_manifests: &'c [ProjectAppManifest],
        app_table: &'c AppScopeTable,
    ) -> Self {
        self.apps = apps;
        self.app_manifests = app_manifests;
        self.app_table = app_table;
        self
    }

    /// The serving endpoints a bundle declares whose model this project logs with user scopes.
    pub fn endpoint_models(&self) -> &[EndpointModel] {
        self.endpoint_models.get_or_init(|| {
            endpoint_models(
                self.project,
                self.models,
                self.declared_lists(),
                self.app_manifests,
            )
        })
    }

    /// The file is app code (and so not the Model Serving rules' business).
    pub fn is_app_code(&self, file: FileIdx) -> bool {
        self.apps.is_app_code(file)
    }

    /// What app `app`'s code needs as its users, evaluated with `dataflow` the first time any
    /// caller asks. OBO706, OBO707, OBO712 and `obolint scopes` read this one answer.
    pub fn app_scopes_with(&self, dataflow: &Dataflow<'c, 'c>, app: usize) -> Arc<AppScopes> {
        if let Some(found) = self
            .app_uses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&app)
        {
            return Arc::clone(found);
        }
        let inputs = AppInputs {
            project: self.project,
            models: self.models,
            apps: self.apps,
            table: self.table,
            app_table: self.app_table,
            endpoints: self.endpoint_models(),
        };
        let mut scopes = app_scopes(&inputs, dataflow, app);
        if let Some(files) = self.apps.apps.get(app).map(|a| &a.files) {
            for &file in files {
                let id = self.project.file(file).id;
                if let Some(error) = self
                    .load_errors
                    .iter()
                    .find(|e| e.file == id && matches!(e.kind, LoadErrorKind::Syntax { .. }))
                {
                    scopes.opaque.push(UseRef {
                        file,
                        range: error.range,
                        what: "the code after this syntax error".to_string(),
                    });
                }
            }
        }
        let scopes = Arc::new(scopes);
        self.app_uses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(app, Arc::clone(&scopes));
        scopes
    }

    /// The text of a project file.
    pub fn text(&self, file: FileIdx) -> &'c str {
        &self.db.get(self.project.file(file).id).text
    }

    /// Every declared scope list (log calls' `UserAuthPolicy(api_scopes=...)`, MLmodels'
    /// `api_scopes:`), with the model each belongs to.
    pub fn declared_lists(&self) -> &[DeclaredList] {
        self.declared_lists
            .get_or_init(|| declared_lists(self.project, self.models, self.manifests))
    }

    /// Every client use in the code of the model whose entry is `entry`, evaluated with
    /// `dataflow` the first time any caller asks (the dataflow's memo is not `Sync`, so each
    /// thread brings its own).
    pub fn model_uses_with(
        &self,
        dataflow: &Dataflow<'c, 'c>,
        entry: FileIdx,
    ) -> Arc<Vec<ClientUse>> {
        if let Some(found) = self.lock_uses().get(&entry) {
            return Arc::clone(found);
        }
        // Only served code needs scopes (the rule catalogue "Served code").
        let served = &self.time.served;
        let uses: Vec<ClientUse> = self
            .models
            .files_of(entry)
            .flat_map(|file| uses_in(self.project, dataflow, file))
            .filter(|u| served.contains(self.project, u.file, u.scope, u.range))
            .collect();
        let uses = Arc::new(uses);
        self.lock_uses().insert(entry, Arc::clone(&uses));
        uses
    }

    fn lock_uses(&self) -> std::sync::MutexGuard<'_, FxHashMap<FileIdx, Arc<Vec<ClientUse>>>> {
        self.model_uses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// What the model whose entry is `entry` requires.
    pub fn model_scopes_with(&self, dataflow: &Dataflow<'c, 'c>, entry: FileIdx) -> ModelScopes {
        let mut scopes = scopes_of_uses(self.table, &self.model_uses_with(dataflow, entry));
        // The code after a syntax error is unknown, not absent: it may use the token anywhere.
        if let Some((file, range)) = self.unparsed_code(entry) {
            scopes.opaque.push(UseRef {
                file,
                range,
                what: "the code after this syntax error".to_string(),
            });
        }
        scopes
    }

    /// The first syntax error in the code of the model whose entry is `entry`. What follows it
    /// was not parsed: it is unknown, not absent, so checks that need the whole code (a user
    /// client that is never built, a scope that nothing needs) stay silent.
    pub fn unparsed_code(&self, entry: FileIdx) -> Option<(FileIdx, TextRange)> {
        self.models.files_of(entry).find_map(|file| {
            let id = self.project.file(file).id;
            self.load_errors
                .iter()
                .find(|e| e.file == id && matches!(e.kind, LoadErrorKind::Syntax { .. }))
                .map(|e| (file, e.range))
        })
    }

    /// How a finding names a model: its entry file, as the user reads it (`agent_a/agent.py`).
    pub fn model_name(&self, entry: FileIdx) -> String {
        self.db
            .get(self.project.file(entry).id)
            .display_path
            .clone()
    }

    /// "the model in `a.py`" / "the models in `a.py`, `b.py`", for messages about several
    /// agent projects in one repository.
    pub fn models_named(&self, entries: &[FileIdx]) -> String {
        let names: Vec<String> = entries
            .iter()
            .map(|&e| format!("`{}`", self.model_name(e)))
            .collect();
        match names.as_slice() {
            [] => "the model".to_string(),
            [one] => format!("the model in {one}"),
            several => format!("the models in {}", several.join(", ")),
        }
    }

    /// The versioned features the model whose entry is `entry` uses.
    pub fn model_features(&self, entry: FileIdx) -> Vec<FeatureUse> {
        model_features(self.models, entry, |file| {
            let known = self
                .file_features
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&file)
                .cloned();
            known.unwrap_or_else(|| {
                let features: Arc<[FeatureUse]> = Arc::from(file_features(self.project, file));
                self.file_features
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(file, Arc::clone(&features));
                features
            })
        })
    }

    /// The model's code builds a user client, or shows it meant to (`ModelServingUserCredentials`
    /// anywhere in its files).
    pub fn builds_user_client(&self, entry: FileIdx) -> bool {
        self.models.files_of(entry).any(|f| {
            self.models.user_client_site[f.0 as usize].is_some()
                || self.models.mentions_strategy[f.0 as usize]
        })
    }

    /// The naming style new scopes get in `list`.
    pub fn list_style(&self, list: &DeclaredList) -> ScopeStyle {
        list_style(self.table, list, self.settings.scope_style)
    }

    /// The one verdict on a declared list: what is missing and what is unneeded. OBO401, OBO402
    /// and `obolint scopes` all read this; `None` when the list belongs to no model the analyzer
    /// found.
    pub fn verdict_with(
        &self,
        dataflow: &Dataflow<'c, 'c>,
        list: &DeclaredList,
    ) -> Option<ScopeVerdict> {
        let entry = list.entry?;
        let scopes = self.model_scopes_with(dataflow, entry);
        Some(verdict(
            self.table,
            list,
            &scopes,
            self.list_style(list),
            self.builds_user_client(entry),
        ))
    }
}

/// The context as one rule sees it: the shared analyses, the dataflow of the thread it runs
/// on, and where its findings go.
pub struct RuleContext<'x, 'c> {
    lint: &'x LintContext<'c>,
    pub dataflow: &'x Dataflow<'c, 'c>,
    info: &'static RuleInfo,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl<'x, 'c> RuleContext<'x, 'c> {
    pub(crate) fn new(
        lint: &'x LintContext<'c>,
        dataflow: &'x Dataflow<'c, 'c>,
        info: &'static RuleInfo,
    ) -> Self {
        Self {
            lint,
            dataflow,
            info,
            diagnostics: RefCell::default(),
        }
    }

    /// Every client use in the code of the model whose entry is `entry`.
    pub fn model_uses(&self, entry: FileIdx) -> Arc<Vec<ClientUse>> {
        self.lint.model_uses_with(self.dataflow, entry)
    }

    /// What the model whose entry is `entry` requires.
    pub fn model_scopes(&self, entry: FileIdx) -> ModelScopes {
        self.lint.model_scopes_with(self.dataflow, entry)
    }

    /// [`LintContext::verdict_with`] on this rule's dataflow.
    pub fn verdict(&self, list: &DeclaredList) -> Option<ScopeVerdict> {
        self.lint.verdict_with(self.dataflow, list)
    }

    /// [`LintContext::app_scopes_with`] on this rule's dataflow.
    pub fn app_scopes(&self, app: usize) -> Arc<AppScopes> {
        self.lint.app_scopes_with(self.dataflow, app)
    }

    /// The code of the rule this context runs (`OBO201`).
    pub fn code(&self) -> &'static str {
        self.info.meta.code
    }

    /// A finding of this rule, at its default severity; add help, secondary labels and a fix,
    /// then [`report`](Self::report) it.
    pub fn diagnostic(&self, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic::new(self.info.meta, self.info.severity, message, primary)
    }

    pub fn report(&self, diagnostic: Diagnostic) {
        debug_assert_eq!(diagnostic.rule, self.info.meta, "a rule reports as itself");
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    pub(crate) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics.into_inner()
    }
}

impl<'c> Deref for RuleContext<'_, 'c> {
    type Target = LintContext<'c>;

    fn deref(&self) -> &LintContext<'c> {
        self.lint
    }
}

/// The context of a file-grain rule: one project file (the dataflow is that file's thread's).
pub struct FileContext<'x, 'c> {
    rule: RuleContext<'x, 'c>,
    pub file: FileIdx,
}

impl<'x, 'c> FileContext<'x, 'c> {
    pub(crate) fn new(rule: RuleContext<'x, 'c>, file: FileIdx) -> Self {
        Self { rule, file }
    }

    pub(crate) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.rule.into_diagnostics()
    }
}

impl<'x, 'c> Deref for FileContext<'x, 'c> {
    type Target = RuleContext<'x, 'c>;

    fn deref(&self) -> &RuleContext<'x, 'c> {
        &self.rule
    }
}
