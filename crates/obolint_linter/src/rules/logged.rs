//! What the logging rules (OBO3xx) share: the models' log calls and manifests, and where a
//! model's code acts as the user.

use obolint_diagnostics::Label;
use ruff_text_size::TextRange;

use crate::manifest::{ManifestKind, ProjectManifest};
use crate::project::{FileIdx, Project};

/// The entry's model shows OBO intent (`rules.md` "OBO model").
pub fn is_obo_model(project: &Project<'_>, entry: FileIdx) -> bool {
    project.models.obo_entries.contains(&entry)
}

/// A label on the first user client the model of `entry` builds, for "acts as the user here".
pub fn user_client_label(project: &Project<'_>, entry: FileIdx) -> Option<Label> {
    let models = &project.models;
    let mut files: Vec<FileIdx> = models.files_of(entry).collect();
    // The entry first, then the others in file order.
    files.sort_by_key(|&f| (f != entry, f));
    files.into_iter().find_map(|file| {
        models.user_client_site[file.0 as usize].map(|range| {
            Label::new(
                project.file(file).id,
                range,
                "the model's code acts as the user here",
            )
        })
    })
}

/// The model of a manifest is an OBO model: its saved code builds a user client, or it declares
/// a user policy.
pub fn manifest_is_obo(project: &Project<'_>, manifest: &ProjectManifest) -> bool {
    manifest.entry.is_some_and(|e| is_obo_model(project, e))
        || manifest
            .manifest
            .auth_policy
            .as_ref()
            .is_some_and(|p| p.has_user_policy)
}

pub fn mlmodels(manifests: &[ProjectManifest]) -> impl Iterator<Item = &ProjectManifest> {
    manifests
        .iter()
        .filter(|m| m.manifest.kind == ManifestKind::MlModel)
}

pub fn file_start() -> TextRange {
    TextRange::default()
}

/// What the OBO301 and OBO303 fixes need to write an `auth_policy=`: the texts, the scopes each
/// model requires, and the client uses (to leave resources the code reaches as the user out of
/// the system policy).
pub struct PolicyFixer<'x, 'a> {
    pub project: &'x Project<'a>,
    pub db: &'x obolint_diagnostics::SourceDb,
    pub table: &'x crate::scope_table::ScopeTable,
    pub scopes: &'x dyn Fn(FileIdx) -> crate::project::scopes::ModelScopes,
    pub uses: &'x dyn Fn(FileIdx) -> Vec<crate::project::uses::ClientUse>,
    pub style: crate::scope_table::ScopeStyle,
}

impl PolicyFixer<'_, '_> {
    pub fn text(&self, file: FileIdx) -> &str {
        &self.db.get(self.project.file(file).id).text
    }

    /// The scope names the model of `entry` requires, in the configured style; `None` when it
    /// requires none the analyzer can name.
    pub fn scope_names(&self, entry: FileIdx) -> Option<Vec<String>> {
        let scopes = (self.scopes)(entry);
        let mut names: Vec<String> = Vec::new();
        for family in scopes.required.keys() {
            let name = self.table.preferred_name(*family, self.style).to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        (!names.is_empty()).then_some(names)
    }

    /// Imports `members` of `mlflow.models.auth_policy` into the log call's file.
    pub fn imports(
        &self,
        call: &crate::project::LogCall,
        members: &[&str],
    ) -> Option<(Vec<String>, Vec<obolint_diagnostics::Edit>)> {
        crate::fix::imports::import_members(
            self.project.model(call.file),
            self.text(call.file),
            "mlflow.models.auth_policy",
            members,
            call.range.start(),
        )
        .ok()
    }
}

/// `["a", "b"]` in Python.
pub fn python_list(names: &[String]) -> String {
    let items: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("[{}]", items.join(", "))
}
