//! Databricks Apps (the rule catalogue "App code", "App config"): which files are an app's code,
//! and what its bundle declares. A source root is a folder holding `app.yaml`/`app.yml`, or the
//! `source_code_path` of a `resources.apps.<key>` in a bundle (`databricks.yml` and the files its
//! `include:` names), resolved relative to that YAML file. A file importing
//! `mlflow.genai.agent_server` is app code even without either. Files of a logged model belong to
//! the Model Serving rules, never to an app.

use std::path::{Path, PathBuf};

use obolint_python::semantic::{BindingKind, ModuleModel};

use super::models::{Models, normalize};
use crate::app_manifest::{AppYamlKind, BundleApp, ProjectAppManifest};
use crate::project::{FileIdx, Project};

/// Where an app's bundle declares it: the manifest (index into the app manifests) and the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigRef {
    pub manifest: usize,
    pub app: usize,
}

#[derive(Clone, Debug)]
pub struct App {
    /// The bundle key, or the source folder's name.
    pub name: String,
    /// The source folder (absolute, normalised); `None` for a lone `agent_server` file.
    pub root: Option<PathBuf>,
    /// The bundle app that declares it; `None` when no bundle names its folder (its scopes are
    /// then unknown: they may be set in the workspace UI).
    pub config: Option<ConfigRef>,
    /// Its `app.yaml`/`app.yml` (index into the app manifests).
    pub app_yaml: Option<usize>,
    /// Its Python files (never files of a logged model).
    pub files: Vec<FileIdx>,
}

#[derive(Debug, Default)]
pub struct Apps {
    pub apps: Vec<App>,
    /// For each project file, the app whose code it is.
    pub app_of: Vec<Option<usize>>,
}

impl Apps {
    pub fn build(project: &Project<'_>, models: &Models, manifests: &[ProjectAppManifest]) -> Apps {
        let root = normalize(&project.root);
        let mut apps: Vec<App> = Vec::new();
        for (m, manifest) in manifests.iter().enumerate() {
            let Some(folder) = manifest.path.parent() else {
                continue;
            };
            match manifest.manifest.kind {
                AppYamlKind::Bundle | AppYamlKind::BundleInclude => {
                    for (a, app) in manifest.manifest.apps.iter().enumerate() {
                        let Some(path) = &app.source_code_path else {
                            continue;
                        };
                        let source = normalize(&folder.join(path));
                        // Never a path out of the project.
                        if !source.starts_with(&root) {
                            continue;
                        }
                        if apps.iter().any(|x| x.root.as_ref() == Some(&source)) {
                            continue;
                        }
                        apps.push(App {
                            name: app.key.clone(),
                            root: Some(source),
                            config: Some(ConfigRef {
                                manifest: m,
                                app: a,
                            }),
                            app_yaml: None,
                            files: Vec::new(),
                        });
                    }
                }
                AppYamlKind::AppYaml => {}
            }
        }
        for (m, manifest) in manifests.iter().enumerate() {
            if manifest.manifest.kind != AppYamlKind::AppYaml {
                continue;
            }
            let Some(folder) = manifest.path.parent().map(normalize) else {
                continue;
            };
            match apps.iter_mut().find(|a| a.root.as_ref() == Some(&folder)) {
                Some(app) => app.app_yaml = app.app_yaml.or(Some(m)),
                None => apps.push(App {
                    name: folder
                        .file_name()
                        .map_or_else(|| "app".to_string(), |n| n.to_string_lossy().into_owned()),
                    root: Some(folder),
                    config: None,
                    app_yaml: Some(m),
                    files: Vec::new(),
                }),
            }
        }
        let mut app_of = vec![None; project.files.len()];
        for file in project.file_indices() {
            if models.is_model_code(file) {
                continue;
            }
            let path = normalize(&project.file(file).path);
            let found = apps
                .iter()
                .enumerate()
                .filter(|(_, a)| a.root.as_ref().is_some_and(|r| path.starts_with(r)))
                .max_by_key(|(_, a)| a.root.as_ref().map_or(0, |r| r.components().count()))
                .map(|(i, _)| i);
            let found = found.or_else(|| {
                imports_agent_server(project.model(file)).then(|| {
                    apps.push(App {
                        name: path.file_stem().map_or_else(
                            || "app".to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        ),
                        root: None,
                        config: None,
                        app_yaml: None,
                        files: Vec::new(),
                    });
                    apps.len() - 1
                })
            });
            if let Some(i) = found {
                apps[i].files.push(file);
                app_of[file.0 as usize] = Some(i);
            }
        }
        Apps { apps, app_of }
    }

    /// The app whose code `file` is.
    pub fn app_of(&self, file: FileIdx) -> Option<usize> {
        self.app_of.get(file.0 as usize).copied().flatten()
    }

    pub fn is_app_code(&self, file: FileIdx) -> bool {
        self.app_of(file).is_some()
    }

    /// The bundle app declaring app `app`, with its manifest.
    pub fn config<'m>(
        &self,
        app: usize,
        manifests: &'m [ProjectAppManifest],
    ) -> Option<(&'m ProjectAppManifest, &'m BundleApp)> {
        let config = self.apps.get(app)?.config?;
        let manifest = manifests.get(config.manifest)?;
        Some((manifest, manifest.manifest.apps.get(config.app)?))
    }

    /// Why an app's scope rules are silent, for `--verbose`; `None` when its scopes are known.
    pub fn why_scopes_unknown(&self, app: usize, show: impl Fn(&Path) -> String) -> Option<String> {
        let app = self.apps.get(app)?;
        if app.config.is_some() {
            return None;
        }
        Some(match &app.root {
            Some(root) => format!(
                "app `{}` ({}): no bundle (`databricks.yml` `resources.apps.<key>.source_code_path`) names this folder, so its `user_api_scopes` are unknown (they may be set in the workspace); the scope rules (OBO706, OBO710, OBO711, OBO712, OBO713) are silent for it",
                app.name,
                show(root)
            ),
            None => format!(
                "app `{}`: it imports `mlflow.genai.agent_server` but no bundle names its folder, so its `user_api_scopes` are unknown; the scope rules are silent for it",
                app.name
            ),
        })
    }
}

/// The file imports `mlflow.genai.agent_server` (or something from it).
pub fn imports_agent_server(model: &ModuleModel<'_>) -> bool {
    let scope = model.scope(ModuleModel::MODULE_SCOPE);
    scope.bindings.values().flatten().any(|b| match &b.kind {
        BindingKind::Import { qualified } => qualified.starts_with("mlflow.genai.agent_server"),
        BindingKind::FromImport { module, .. } => module.starts_with("mlflow.genai.agent_server"),
        _ => false,
    }) || model_imports_mlflow_genai(model)
}

/// `from mlflow.genai import agent_server`.
fn model_imports_mlflow_genai(model: &ModuleModel<'_>) -> bool {
    let scope = model.scope(ModuleModel::MODULE_SCOPE);
    scope.bindings.values().flatten().any(|b| {
        matches!(&b.kind, BindingKind::FromImport { module, name, .. } if *module == "mlflow.genai" && *name == "agent_server")
    })
}
