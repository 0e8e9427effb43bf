//! Databricks Apps (the rule catalogue "App code", "App config"): which files are an app's code,
//! and what its bundle declares. A source root is a folder holding `app.yaml`/`app.yml`, or the
//! `source_code_path` of a `resources.apps.<key>` in a bundle (`databricks.yml` and the files its
//! `include:` names), resolved relative to that YAML file. A file importing
//! `mlflow.genai.agent_server` is app code even without either. Files of a logged model belong to
//! the Model Serving rules, never to an app.

use std::path::{Path, PathBuf};

use ruff_text_size::TextRange;

use super::models::{Models, normalize};
use crate::app_manifest::{
    AppYamlKind, BundleApp, BundleFile, Declared, ProjectAppManifest, Setting, effective_apps,
    include_matcher,
};
use crate::project::{FileIdx, Project};

/// What an app's bundle declares for it, merged over the bundle's targets
/// ([`effective_apps`]).
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The manifest (index into the app manifests) its `user_api_scopes` are written in, else
    /// the one that declares it.
    pub manifest: usize,
    /// That declaration, holding the effective `user_api_scopes` (names with `${var.*}`
    /// substituted; `None` when no target sets them); its `forward` is not read (see
    /// [`AppConfig::forward`]).
    pub app: BundleApp,
    /// Why its `user_api_scopes` are unknown (targets disagree, a `${...}` obolint does not
    /// resolve): the scope rules are then silent.
    pub scopes_unknown: Option<String>,
    /// The effective `forward_user_access_token`: the manifest it is written in, its value and
    /// its key.
    pub forward: Setting<(usize, bool, TextRange)>,
}

#[derive(Clone, Debug)]
pub struct App {
    /// The bundle key, or the source folder's name.
    pub name: String,
    /// The source folder (absolute, normalised); `None` for a lone `agent_server` file.
    pub root: Option<PathBuf>,
    /// The bundle app that declares it; `None` when no bundle names its folder (its scopes are
    /// then unknown: they may be set in the workspace UI).
    pub config: Option<AppConfig>,
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
    /// Bundle apps whose source folder is unknown: key, the manifest declaring it, and why.
    pub unresolved: Vec<(String, usize, String)>,
}

impl Apps {
    pub fn build(project: &Project<'_>, models: &Models, manifests: &[ProjectAppManifest]) -> Apps {
        let root = normalize(&project.root);
        let mut apps: Vec<App> = Vec::new();
        let mut unresolved = Vec::new();
        for (m, manifest) in manifests.iter().enumerate() {
            if manifest.manifest.kind != AppYamlKind::Bundle {
                continue;
            }
            let group = bundle_group(manifests, m);
            let folders: Vec<&Path> = group
                .iter()
                .map(|&i| manifests[i].path.parent().unwrap_or(Path::new("")))
                .collect();
            let files: Vec<BundleFile<'_>> = group
                .iter()
                .zip(&folders)
                .map(|(&i, folder)| BundleFile {
                    manifest: &manifests[i].manifest,
                    folder,
                })
                .collect();
            for effective in effective_apps(&files) {
                let source = match effective.source {
                    Setting::Known(path) => normalize(&path),
                    Setting::Absent => continue,
                    Setting::Unknown(why) => {
                        unresolved.push((effective.key, group[effective.declared.0], why));
                        continue;
                    }
                };
                // Never a path out of the project.
                if !source.starts_with(&root) {
                    continue;
                }
                if apps.iter().any(|x| x.root.as_ref() == Some(&source)) {
                    continue;
                }
                let declared = |(f, a): Declared| (group[f], &manifests[group[f]].manifest.apps[a]);
                let (scopes_at, scopes_unknown, scopes) = match &effective.scopes {
                    Setting::Known(s) => (s.at, None, Some(s)),
                    Setting::Absent => (effective.declared, None, None),
                    Setting::Unknown(why) => (effective.declared, Some(why.clone()), None),
                };
                let (manifest_index, base) = declared(scopes_at);
                let mut app = base.clone();
                app.forward = None;
                match scopes {
                    Some(s) => {
                        if let Some(list) = &mut app.scopes {
                            for (item, name) in list.scopes.iter_mut().zip(&s.names) {
                                item.0.clone_from(name);
                            }
                        }
                        app.shared_list = s.shared;
                    }
                    None => {
                        app.scopes = None;
                        app.flow_list = None;
                        // Declared under several targets and not at the top level: a list
                        // added to one declaration would leave the others without one.
                        let declarations = files
                            .iter()
                            .flat_map(|file| &file.manifest.apps)
                            .filter(|other| other.key == effective.key)
                            .count();
                        app.shared_list = app.target.is_some() && declarations > 1;
                    }
                }
                // Scopes written in any declaration's `config:` silence OBO710.
                for (f, file) in files.iter().enumerate() {
                    for (a, other) in file.manifest.apps.iter().enumerate() {
                        if other.key == effective.key && (f, a) != scopes_at {
                            app.config_keys.extend(other.config_keys.iter().cloned());
                        }
                    }
                }
                let forward = match effective.forward {
                    Setting::Known((at, value)) => {
                        let (i, written) = declared(at);
                        match written.forward {
                            Some((_, key)) => Setting::Known((i, value, key)),
                            None => Setting::Absent,
                        }
                    }
                    Setting::Absent => Setting::Absent,
                    Setting::Unknown(why) => Setting::Unknown(why),
                };
                apps.push(App {
                    name: effective.key,
                    root: Some(source),
                    config: Some(AppConfig {
                        manifest: manifest_index,
                        app,
                        scopes_unknown,
                        forward,
                    }),
                    app_yaml: None,
                    files: Vec::new(),
                });
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
                project.summary(file).imports_agent_server.then(|| {
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
        Apps {
            apps,
            app_of,
            unresolved,
        }
    }

    /// The app whose code `file` is.
    pub fn app_of(&self, file: FileIdx) -> Option<usize> {
        self.app_of.get(file.0 as usize).copied().flatten()
    }

    pub fn is_app_code(&self, file: FileIdx) -> bool {
        self.app_of(file).is_some()
    }

    /// The bundle app declaring app `app` as it applies (its effective `user_api_scopes`), with
    /// the manifest those scopes are written in; `None` when no bundle declares the app or its
    /// scopes are unknown.
    pub fn config<'s, 'm: 's>(
        &'s self,
        app: usize,
        manifests: &'m [ProjectAppManifest],
    ) -> Option<(&'m ProjectAppManifest, &'s BundleApp)> {
        let config = self.apps.get(app)?.config.as_ref()?;
        if config.scopes_unknown.is_some() {
            return None;
        }
        Some((manifests.get(config.manifest)?, &config.app))
    }

    /// App `app`'s effective `forward_user_access_token`, with the manifest it is written in and
    /// its key; `None` when it is not set or unknown.
    pub fn forward<'m>(
        &self,
        app: usize,
        manifests: &'m [ProjectAppManifest],
    ) -> Option<(&'m ProjectAppManifest, bool, TextRange)> {
        match self.apps.get(app)?.config.as_ref()?.forward {
            Setting::Known((m, value, key)) => Some((manifests.get(m)?, value, key)),
            _ => None,
        }
    }

    /// Why an app's scope rules are silent, for `--verbose`; `None` when its scopes are known.
    pub fn why_scopes_unknown(&self, app: usize, show: impl Fn(&Path) -> String) -> Option<String> {
        let app = self.apps.get(app)?;
        if let Some(config) = &app.config {
            let mut why = Vec::new();
            if let Some(scopes) = &config.scopes_unknown {
                why.push(format!(
                    "{scopes}, so its scopes are unknown; the scope rules (OBO706, OBO710, OBO712, OBO713) are silent for it"
                ));
            }
            if let Setting::Unknown(forward) = &config.forward {
                why.push(format!("{forward}, so OBO711 is silent for it"));
            }
            if why.is_empty() {
                return None;
            }
            return Some(format!(
                "app `{}`{}: {}",
                app.name,
                app.root
                    .as_ref()
                    .map(|r| format!(" ({})", show(r)))
                    .unwrap_or_default(),
                why.join("; ")
            ));
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

    /// For `--verbose`: the bundle apps whose source folder is unknown.
    pub fn unresolved_notes<'s>(
        &'s self,
        manifests: &'s [ProjectAppManifest],
        show: impl Fn(&Path) -> String + 's,
    ) -> impl Iterator<Item = String> + 's {
        self.unresolved.iter().map(move |(key, m, why)| {
            format!(
                "bundle app `{key}` ({}): {why}, so its source folder is unknown; the Apps rules do not read its settings",
                manifests.get(*m).map(|x| show(&x.path)).unwrap_or_default()
            )
        })
    }
}

/// A bundle's files: its root file `bundle` (index into the app manifests) and the files its
/// `include:` globs name.
fn bundle_group(manifests: &[ProjectAppManifest], bundle: usize) -> Vec<usize> {
    let mut group = vec![bundle];
    let root = &manifests[bundle];
    let Some(folder) = root.path.parent() else {
        return group;
    };
    let includes = include_matcher(&root.manifest.includes);
    for (i, other) in manifests.iter().enumerate() {
        if other.manifest.kind == AppYamlKind::BundleInclude
            && let Ok(relative) = other.path.strip_prefix(folder)
            && includes.is_match(relative.to_string_lossy().replace('\\', "/"))
        {
            group.push(i);
        }
    }
    group
}
