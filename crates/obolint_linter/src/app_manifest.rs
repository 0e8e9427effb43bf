//! Databricks Apps configuration files, read with spans by the YAML reader the `MLmodel`
//! manifests use (`manifest.rs`): bundles (`databricks.yml` and the files its `include:` names)
//! with their `resources.apps.<key>` (`source_code_path`, `user_api_scopes`,
//! `forward_user_access_token`, `config`), also under `targets.<name>`, and their variables;
//! [`effective_apps`] merges a bundle's files over its targets. And an app folder's
//! `app.yaml`/`app.yml`. Fields
//! follow the bundle schema of the Databricks CLI (`bundle/schema/jsonschema.json`,
//! `resources.App`) and the Apps runtime documentation (`app.yaml` takes `command` and `env`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashMap;
use saphyr::{MarkedYaml, Scalar, YamlData};

use crate::manifest::{
    Offsets, YamlError, YamlScopes, as_str, block_layout, entries, get, load_yaml,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppYamlKind {
    /// `databricks.yml`/`databricks.yaml`: a bundle's root file.
    Bundle,
    /// A file a bundle's `include:` names.
    BundleInclude,
    /// `app.yaml`/`app.yml` in an app's source folder.
    AppYaml,
}

impl AppYamlKind {
    /// The kind a file has by its name alone (included files are known only from their bundle).
    pub fn of_name(path: &Path) -> Option<AppYamlKind> {
        match path.file_name()?.to_str()? {
            "databricks.yml" | "databricks.yaml" => Some(AppYamlKind::Bundle),
            "app.yml" | "app.yaml" => Some(AppYamlKind::AppYaml),
            _ => None,
        }
    }
}

/// The keys the Apps runtime reads in `app.yaml` (and in a bundle app's `config`).
pub const APP_YAML_KEYS: &[&str] = &["command", "env"];

/// `resources.apps.<key>` (or `targets.<target>.resources.apps.<key>`) of a bundle file: one
/// declaration, as written. What an app's settings are across the bundle is
/// [`effective_apps`]'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleApp {
    pub key: String,
    pub key_range: TextRange,
    /// The target whose `resources` declare it; `None` for the top-level `resources`.
    pub target: Option<String>,
    /// As written (relative to the YAML file's folder, `${...}` not substituted); `None` when
    /// absent or not a string.
    pub source_code_path: Option<String>,
    pub scopes: Option<YamlScopes>,
    /// `user_api_scopes` is a flow list (`[a, b]`): its range, for appending inside it.
    pub flow_list: Option<TextRange>,
    /// `forward_user_access_token`: its value and the key's range.
    pub forward: Option<(bool, TextRange)>,
    /// The keys of `config:` (the inline `app.yaml`).
    pub config_keys: Vec<(String, TextRange)>,
    /// Where a new key of the app goes: the end of the app key's line, and the indentation of
    /// its keys.
    pub insert: Option<(TextSize, String)>,
    /// Keys present with a value of a shape that cannot be read (`source_code_path: 3`,
    /// `forward_user_access_token: ${var.forward}`): set, to an unknown value.
    pub unreadable: Vec<&'static str>,
    /// The effective list is also written in another declaration (two targets that write the
    /// same list): an edit of this one would leave the other behind.
    pub shared_list: bool,
}

/// `targets.<name>` of a bundle file: its variable overrides (`variables.<name>: value`; `None`
/// when the value is not a plain string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleTarget {
    pub name: String,
    pub variables: Vec<(String, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppManifest {
    pub kind: AppYamlKind,
    /// A bundle's `include:` globs.
    pub includes: Vec<String>,
    pub apps: Vec<BundleApp>,
    /// The top-level keys of an `app.yaml`.
    pub keys: Vec<(String, TextRange)>,
    /// A bundle's `resources.model_serving_endpoints`: each endpoint's name and the Unity
    /// Catalog models it serves (`config.served_entities[].entity_name`, or the older
    /// `served_models[].model_name`).
    pub endpoints: Vec<(String, Vec<String>)>,
    /// A bundle's `variables.<name>.default` (`None` when absent or not a plain string).
    pub variables: Vec<(String, Option<String>)>,
    /// A bundle's `targets.<name>`.
    pub targets: Vec<BundleTarget>,
}

/// An Apps configuration file of the project.
#[derive(Debug)]
pub struct ProjectAppManifest {
    pub id: obolint_diagnostics::FileId,
    pub path: PathBuf,
    pub manifest: AppManifest,
}

/// Parses an Apps configuration file. Broken YAML is an error (OBO900); anything else is read
/// as far as it has the expected shape.
pub fn parse_app_manifest(text: &str, kind: AppYamlKind) -> Result<AppManifest, YamlError> {
    let offsets = Offsets::new(text);
    let lenient;
    let docs = match load_yaml(text) {
        Ok(docs) => docs,
        Err(error) => {
            // Databricks' own templates close a flow list at column 0 (`command: [\n  "a"\n]`):
            // PyYAML, which the Apps runtime reads it with, accepts that; a strict YAML 1.2
            // reader does not. Read it again with the line break before such a bracket turned
            // into a space: the same length, so every offset still points into `text`.
            lenient = closing_brackets_joined(text);
            match load_yaml(&lenient) {
                Ok(docs) if lenient != text => docs,
                _ => return Err(error),
            }
        }
    };
    let mut out = AppManifest {
        kind,
        includes: Vec::new(),
        apps: Vec::new(),
        keys: Vec::new(),
        endpoints: Vec::new(),
        variables: Vec::new(),
        targets: Vec::new(),
    };
    let Some(root) = docs.first() else {
        return Ok(out);
    };
    match kind {
        AppYamlKind::AppYaml => {
            out.keys = keys_of(root, &offsets);
        }
        AppYamlKind::Bundle | AppYamlKind::BundleInclude => {
            if kind == AppYamlKind::Bundle
                && let Some((_, include)) = get(root, "include")
            {
                match &include.data {
                    YamlData::Sequence(items) => {
                        out.includes = items
                            .iter()
                            .filter_map(as_str)
                            .map(str::to_string)
                            .collect();
                    }
                    _ => {
                        if let Some(one) = as_str(include) {
                            out.includes.push(one.to_string());
                        }
                    }
                }
            }
            if let Some((_, resources)) = get(root, "resources") {
                out.apps
                    .extend(resource_apps(text, resources, None, &offsets));
            }
            out.variables = variables_of(root, true);
            // `targets.<name>`: apps declared or overridden there, and variable overrides.
            if let Some((_, targets)) = get(root, "targets")
                && let Some(items) = entries(targets)
            {
                for (name, target) in items {
                    let Some(name) = as_str(name) else {
                        continue;
                    };
                    if let Some((_, resources)) = get(target, "resources") {
                        out.apps
                            .extend(resource_apps(text, resources, Some(name), &offsets));
                    }
                    out.targets.push(BundleTarget {
                        name: name.to_string(),
                        variables: variables_of(target, false),
                    });
                }
            }
            if let Some((_, resources)) = get(root, "resources")
                && let Some((_, endpoints)) = get(resources, "model_serving_endpoints")
                && let Some(items) = entries(endpoints)
            {
                for (_, endpoint) in items {
                    let Some(name) = get(endpoint, "name").and_then(|(_, n)| as_str(n)) else {
                        continue;
                    };
                    let mut models = Vec::new();
                    if let Some((_, config)) = get(endpoint, "config") {
                        for (list, key) in [
                            ("served_entities", "entity_name"),
                            ("served_models", "model_name"),
                        ] {
                            if let Some((_, served)) = get(config, list)
                                && let YamlData::Sequence(items) = &served.data
                            {
                                models.extend(
                                    items
                                        .iter()
                                        .filter_map(|i| get(i, key).and_then(|(_, v)| as_str(v)))
                                        .map(str::to_string),
                                );
                            }
                        }
                    }
                    out.endpoints.push((name.to_string(), models));
                }
            }
        }
    }
    Ok(out)
}

/// `text` with each line break that precedes a line starting with `]` or `}` replaced by a space.
fn closing_brackets_joined(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'\n' {
            continue;
        }
        let rest = &text[i + 1..];
        if rest.trim_start_matches(' ').starts_with([']', '}']) {
            out[i] = b' ';
            if i > 0 && bytes[i - 1] == b'\r' {
                out[i - 1] = b' ';
            }
            // The bracket joins the line before it: a comment there would swallow it
            // (`prod: {\n    # No overrides\n  }` in Databricks' bundle examples), so the
            // comment is blanked (comments carry nothing the reader keeps).
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            if let Some(hash) = comment_start(&text[line_start..i]) {
                for b in &mut out[line_start + hash..i] {
                    if *b != b'\r' {
                        *b = b' ';
                    }
                }
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Where a YAML comment starts in `line`: a `#` at the start or after a space or tab, outside
/// quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (previous == ' ' || previous == '\t') => return Some(i),
            None => {}
        }
        previous = c;
    }
    None
}

/// `resources.apps.<key>` of one `resources` mapping.
fn resource_apps(
    text: &str,
    resources: &MarkedYaml<'_>,
    target: Option<&str>,
    offsets: &Offsets<'_>,
) -> Vec<BundleApp> {
    let Some((_, apps)) = get(resources, "apps") else {
        return Vec::new();
    };
    entries(apps)
        .into_iter()
        .flatten()
        .filter_map(|(key, app)| {
            let mut app = bundle_app(text, key, app, offsets)?;
            app.target = target.map(str::to_string);
            Some(app)
        })
        .collect()
}

/// `variables.<name>` of the bundle's top level (`default:` of each) or of a target (the value
/// itself, or its `default:`): plain strings only.
fn variables_of(node: &MarkedYaml<'_>, top_level: bool) -> Vec<(String, Option<String>)> {
    let Some((_, variables)) = get(node, "variables") else {
        return Vec::new();
    };
    entries(variables)
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            let name = as_str(name)?.to_string();
            let value = match &value.data {
                YamlData::Mapping(_) => get(value, "default").and_then(|(_, d)| as_str(d)),
                _ if !top_level => as_str(value),
                _ => None,
            };
            Some((name, value.map(str::to_string)))
        })
        .collect()
}

fn keys_of(node: &MarkedYaml<'_>, offsets: &Offsets<'_>) -> Vec<(String, TextRange)> {
    entries(node)
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| Some((as_str(k)?.to_string(), offsets.span(k))))
        .collect()
}

fn bundle_app(
    text: &str,
    key: &MarkedYaml<'_>,
    app: &MarkedYaml<'_>,
    offsets: &Offsets<'_>,
) -> Option<BundleApp> {
    let name = as_str(key)?.to_string();
    let key_range = offsets.span(key);
    let mut out = BundleApp {
        key: name,
        key_range,
        target: None,
        source_code_path: None,
        scopes: None,
        flow_list: None,
        forward: None,
        config_keys: Vec::new(),
        insert: None,
        unreadable: Vec::new(),
        shared_list: false,
    };
    if let Some((_, path)) = get(app, "source_code_path") {
        out.source_code_path = as_str(path).map(str::to_string);
        if out.source_code_path.is_none() {
            out.unreadable.push("source_code_path");
        }
    }
    if let Some((forward_key, value)) = get(app, "forward_user_access_token") {
        match &value.data {
            YamlData::Value(Scalar::Boolean(b)) => {
                out.forward = Some((*b, offsets.span(forward_key)));
            }
            _ => out.unreadable.push("forward_user_access_token"),
        }
    }
    if let Some((_, config)) = get(app, "config") {
        out.config_keys = keys_of(config, offsets);
    }
    if let Some((scopes_key, scopes)) = get(app, "user_api_scopes") {
        let key_range = offsets.span(scopes_key);
        let mut list = YamlScopes {
            key: key_range,
            value: key_range,
            scopes: Vec::new(),
            valid: true,
            item_lines: Vec::new(),
            append: None,
        };
        match &scopes.data {
            YamlData::Sequence(items) => {
                list.value = offsets.span(scopes);
                for item in items {
                    match as_str(item) {
                        Some(s) => list.scopes.push((s.to_string(), offsets.span(item))),
                        None => list.valid = false,
                    }
                }
                if text[usize::from(list.value.start())..].starts_with('[') {
                    // A flow list ends at its `]`.
                    let start = usize::from(list.value.start());
                    if let Some(end) = text[start..].find(']') {
                        out.flow_list = Some(TextRange::new(
                            list.value.start(),
                            TextSize::new((start + end + 1) as u32),
                        ));
                    }
                } else {
                    block_layout(text, &mut list);
                }
            }
            YamlData::Value(Scalar::Null) => {}
            _ => list.valid = false,
        }
        out.scopes = Some(list);
    }
    // A new key goes after the app key's line, indented like the app's first key.
    if let Some((first, _)) = entries(app).and_then(|mut e| e.next()) {
        let first = usize::from(offsets.span(first).start());
        let line_start = text[..first].rfind('\n').map_or(0, |n| n + 1);
        let indent = &text[line_start..first];
        let key_end = usize::from(key_range.end());
        if indent.chars().all(|c| c == ' ')
            && let Some(eol) = text[key_end..].find('\n')
            && line_start > key_end
        {
            out.insert = Some((TextSize::new((key_end + eol) as u32), indent.to_string()));
        }
    }
    Some(out)
}

/// One file of a bundle (its root file or a file its `include:` names), for [`effective_apps`].
#[derive(Clone, Copy, Debug)]
pub struct BundleFile<'m> {
    pub manifest: &'m AppManifest,
    /// The file's folder: paths it writes are relative to it.
    pub folder: &'m Path,
}

/// A declaration of an app: the index of its file among the bundle's files, and its index in
/// that file's [`AppManifest::apps`].
pub type Declared = (usize, usize);

/// The value a setting of an app takes in every target the app is deployed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting<T> {
    /// Set by no declaration, in any target.
    Absent,
    /// The same in every target.
    Known(T),
    /// Why it is unknown: targets disagree, or a `${...}` obolint does not resolve.
    Unknown(String),
}

/// An app's effective `user_api_scopes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveScopes {
    /// The declaration whose list it is (the first, when several targets write the same list).
    pub at: Declared,
    /// The list's names, `${var.*}` substituted.
    pub names: Vec<String>,
    /// Another declaration writes the same list too.
    pub shared: bool,
}

/// At most this many app declarations, and as many targets, in one bundle (its files together)
/// are read.
pub const MAX_BUNDLE_APPS: usize = 1000;
/// At most this many app declarations times targets (plus one) in one bundle are merged.
pub const MAX_BUNDLE_APP_TARGETS: usize = 100_000;

/// One app of a bundle, its settings merged over the targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveApp {
    pub key: String,
    /// Where it is declared: its top-level declaration, else its first one under a target.
    pub declared: Declared,
    /// Its source folder (the path joined to the folder of the file that writes it).
    pub source: Setting<PathBuf>,
    pub scopes: Setting<EffectiveScopes>,
    /// The declaration whose `forward_user_access_token` applies, and its value.
    pub forward: Setting<(Declared, bool)>,
}

/// The apps of one bundle with their settings as deployed. In a target, an app's setting is
/// the target's (`targets.<t>.resources.apps.<key>`) when it sets the key, else the top-level
/// one (`resources.apps.<key>`). The app's targets are every target when it is declared at the
/// top level (or the top level alone when the bundle has no targets), else the targets that
/// declare it. A setting is known when it is the same in all of them; otherwise, and when it
/// holds a `${...}` other than a `${var.<name>}` whose value is a plain string in that target
/// (its override in `targets.<t>.variables`, else `variables.<name>.default`), it is unknown.
/// Substitution is one level: a variable whose value holds `${` is unknown.
///
/// A bundle is hostile input: one with more than [`MAX_BUNDLE_APPS`] app declarations or
/// targets, or more
/// declarations times targets than [`MAX_BUNDLE_APP_TARGETS`], is not read (its apps are not
/// known, so their rules stay silent) rather than merged at a cost that grows with their product.
pub fn effective_apps(files: &[BundleFile<'_>]) -> Vec<EffectiveApp> {
    let declarations: usize = files.iter().map(|f| f.manifest.apps.len()).sum();
    let target_count: usize = files.iter().map(|f| f.manifest.targets.len()).sum();
    if declarations > MAX_BUNDLE_APPS
        || target_count > MAX_BUNDLE_APPS
        || declarations.saturating_mul(target_count + 1) > MAX_BUNDLE_APP_TARGETS
    {
        return Vec::new();
    }
    // Where each app is declared, by key and target: the first file and position.
    let mut index: FxHashMap<(&str, Option<&str>), Declared> = FxHashMap::default();
    for (f, file) in files.iter().enumerate() {
        for (a, app) in file.manifest.apps.iter().enumerate() {
            index
                .entry((app.key.as_str(), app.target.as_deref()))
                .or_insert((f, a));
        }
    }
    let mut targets: Vec<&str> = Vec::new();
    for file in files {
        for target in &file.manifest.targets {
            if !targets.contains(&target.name.as_str()) {
                targets.push(&target.name);
            }
        }
    }
    let mut keys: Vec<&str> = Vec::new();
    for file in files {
        for app in &file.manifest.apps {
            if !keys.contains(&app.key.as_str()) {
                keys.push(&app.key);
            }
        }
    }
    let declaration = |key: &str, target: Option<&str>| -> Option<Declared> {
        index.get(&(key, target)).copied()
    };
    let app_at = |(f, a): Declared| &files[f].manifest.apps[a];
    let variables = Variables::new(files);
    let mut out = Vec::new();
    for key in keys {
        let top = declaration(key, None);
        // Each target the app is deployed to, with its own declaration there.
        let contexts: Vec<(Option<&str>, Option<Declared>)> = if targets.is_empty() {
            top.map(|_| (None, None)).into_iter().collect()
        } else {
            targets
                .iter()
                .map(|&t| (Some(t), declaration(key, Some(t))))
                .filter(|(_, own)| top.is_some() || own.is_some())
                .collect()
        };
        let Some(declared) = top.or_else(|| contexts.iter().find_map(|(_, own)| *own)) else {
            continue;
        };
        // The declaration whose value of a key applies in a target.
        let pick = |own: Option<Declared>, sets: &dyn Fn(&BundleApp) -> bool| {
            own.filter(|&d| sets(app_at(d)))
                .or(top.filter(|&d| sets(app_at(d))))
        };
        let source = agree(
            "source_code_path",
            contexts.iter().map(|&(target, own)| {
                let at = pick(own, &|a| {
                    a.source_code_path.is_some() || a.unreadable.contains(&"source_code_path")
                });
                let value = at.map(|d| match &app_at(d).source_code_path {
                    Some(path) => variables
                        .substitute(target, path)
                        .map(|p| files[d.0].folder.join(p)),
                    None => Err("is not a string".to_string()),
                });
                (target, at, value)
            }),
        )
        .map(|(path, _, _)| path);
        let scopes = agree(
            "user_api_scopes",
            contexts.iter().map(|&(target, own)| {
                let at = pick(own, &|a| a.scopes.is_some());
                let value = at.and_then(|d| app_at(d).scopes.as_ref()).map(|list| {
                    let names = list
                        .scopes
                        .iter()
                        .map(|(n, _)| variables.substitute(target, n))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((names, list.valid))
                });
                (target, at, value)
            }),
        )
        .map(|((names, _), at, shared)| EffectiveScopes { at, names, shared });
        let forward = agree(
            "forward_user_access_token",
            contexts.iter().map(|&(target, own)| {
                let at = pick(own, &|a| {
                    a.forward.is_some() || a.unreadable.contains(&"forward_user_access_token")
                });
                let value = at.map(|d| {
                    app_at(d)
                        .forward
                        .map(|(b, _)| b)
                        .ok_or_else(|| "is not `true` or `false`".to_string())
                });
                (target, at, value)
            }),
        )
        .map(|(b, at, _)| (at, b));
        out.push(EffectiveApp {
            key: key.to_string(),
            declared,
            source,
            scopes,
            forward,
        });
    }
    out
}

impl<T> Setting<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        match self {
            Setting::Absent => Setting::Absent,
            Setting::Known(v) => Setting::Known(f(v)),
            Setting::Unknown(why) => Setting::Unknown(why),
        }
    }
}

/// One value per target (`None` when the target leaves the key unset): the value when they
/// all agree, with the first declaration writing it and whether another writes it too.
fn agree<'t, T: PartialEq>(
    what: &str,
    values: impl Iterator<Item = (Option<&'t str>, Option<Declared>, Option<Result<T, String>>)>,
) -> Setting<(T, Declared, bool)> {
    let in_target = |t: Option<&str>| match t {
        Some(t) => format!(" in target `{t}`"),
        None => String::new(),
    };
    let mut first: Option<(Option<&str>, T, Declared)> = None;
    let mut unset: Option<Option<&str>> = None;
    let mut shared = false;
    for (target, at, value) in values {
        match (value, at) {
            (None, _) | (_, None) => {
                if let Some((set, _, _)) = &first {
                    return Setting::Unknown(format!(
                        "`{what}` is set{} but not{}",
                        in_target(*set),
                        in_target(target)
                    ));
                }
                unset = unset.or(Some(target));
            }
            (Some(Err(why)), _) => {
                return Setting::Unknown(format!("`{what}`{} {why}", in_target(target)));
            }
            (Some(Ok(value)), Some(at)) => {
                if let Some(none) = unset {
                    return Setting::Unknown(format!(
                        "`{what}` is set{} but not{}",
                        in_target(target),
                        in_target(none)
                    ));
                }
                match &first {
                    None => first = Some((target, value, at)),
                    Some((other, known, first_at)) => {
                        if *known != value {
                            return Setting::Unknown(format!(
                                "`{what}` differs between targets `{}` and `{}`",
                                other.unwrap_or("(top level)"),
                                target.unwrap_or("(top level)")
                            ));
                        }
                        shared |= *first_at != at;
                    }
                }
            }
        }
    }
    match first {
        Some((_, value, at)) => Setting::Known((value, at, shared)),
        None => Setting::Absent,
    }
}

/// Texts by target (`None`: the top level) and what substituting their variables made of them.
type Substituted<'f> = FxHashMap<(Option<&'f str>, &'f str), Result<String, String>>;

/// The bundle's variables, read once: every target of every app substitutes its settings, and
/// a hostile bundle (a thousand targets, variables and scopes, or one anchored list of scopes
/// shared by many apps) made a search of every target and variable per `${var.x}` take seconds.
struct Variables<'f> {
    /// `targets.<target>.variables.<name>`: the first in the files' order, as a search finds it.
    overrides: FxHashMap<(&'f str, &'f str), &'f Option<String>>,
    /// `variables.<name>`: the first in the files' order.
    defaults: FxHashMap<&'f str, &'f Option<String>>,
    /// Each text with `${` already substituted in a target: apps that share a list of scopes (a
    /// YAML anchor) ask for the same texts in every target.
    done: RefCell<Substituted<'f>>,
}

impl<'f> Variables<'f> {
    fn new(files: &[BundleFile<'f>]) -> Self {
        let mut overrides = FxHashMap::default();
        let mut defaults = FxHashMap::default();
        for file in files {
            for target in &file.manifest.targets {
                for (name, value) in &target.variables {
                    overrides
                        .entry((target.name.as_str(), name.as_str()))
                        .or_insert(value);
                }
            }
            for (name, value) in &file.manifest.variables {
                defaults.entry(name.as_str()).or_insert(value);
            }
        }
        Variables {
            overrides,
            defaults,
            done: RefCell::new(FxHashMap::default()),
        }
    }

    /// `value` in `target`, with each `${var.<name>}` substituted (see [`substitute`]).
    fn substitute(&self, target: Option<&'f str>, value: &'f str) -> Result<String, String> {
        if !value.contains("${") {
            return Ok(value.to_string());
        }
        if let Some(known) = self.done.borrow().get(&(target, value)) {
            return known.clone();
        }
        let result = substitute(value, &|name| self.variable(target, name));
        self.done
            .borrow_mut()
            .insert((target, value), result.clone());
        result
    }

    /// `${var.<name>}` in `target`: its override in `targets.<target>.variables`, else
    /// `variables.<name>.default`; a plain string only.
    fn variable(&self, target: Option<&str>, name: &str) -> Result<String, String> {
        let overridden = target.and_then(|t| self.overrides.get(&(t, name)));
        let value = match overridden {
            Some(value) => value,
            None => self.defaults.get(name).ok_or_else(|| {
                format!("uses variable `{name}`, which the bundle does not declare")
            })?,
        };
        match value {
            Some(v) if !v.contains("${") => Ok(v.clone()),
            _ => Err(format!(
                "uses variable `{name}`, whose value is not a plain string"
            )),
        }
    }
}

/// `value` with each `${var.<name>}` (or `${variables.<name>.value}`) replaced by `var(name)`;
/// any other `${...}` is an error saying which.
fn substitute(value: &str, var: &dyn Fn(&str) -> Result<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("holds an unclosed `${{` (`{value}`)"));
        };
        let reference = &after[..end];
        let name = reference.strip_prefix("var.").or_else(|| {
            reference
                .strip_prefix("variables.")
                .and_then(|r| r.strip_suffix(".value"))
        });
        match name {
            Some(name)
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                out.push_str(&var(name)?);
            }
            _ => {
                return Err(format!(
                    "holds `${{{reference}}}`, which obolint does not resolve"
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether `path` (relative to the bundle's folder, `/`-separated) matches an `include:` glob.
pub fn include_matches(globs: &[String], relative: &str) -> bool {
    include_matcher(globs).is_match(relative)
}

/// A bundle's `include:` globs compiled once (a glob that does not compile matches nothing), for
/// matching many paths.
pub fn include_matcher(globs: &[String]) -> globset::GlobSet {
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = globset::GlobBuilder::new(g.trim_start_matches("./"))
            .literal_separator(true)
            .build()
        {
            set.add(glob);
        }
    }
    set.build().unwrap_or_else(|_| globset::GlobSet::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_bundle() {
        let text = "bundle:\n  name: x\ninclude:\n  - resources/*.yml\nresources:\n  apps:\n    my_app:\n      name: my-app\n      source_code_path: ./app\n      user_api_scopes:\n        - sql\n      forward_user_access_token: false\n      config:\n        command: [python, app.py]\n        user_api_scopes: [sql]\n";
        let m = parse_app_manifest(text, AppYamlKind::Bundle).expect("parses");
        assert_eq!(m.includes, vec!["resources/*.yml"]);
        let with_endpoint = parse_app_manifest(
            "resources:\n  model_serving_endpoints:\n    ep:\n      name: sales-agent\n      config:\n        served_entities:\n          - entity_name: main.agents.sales\n            entity_version: \"3\"\n",
            AppYamlKind::BundleInclude,
        )
        .expect("parses");
        assert_eq!(
            with_endpoint.endpoints,
            vec![(
                "sales-agent".to_string(),
                vec!["main.agents.sales".to_string()]
            )]
        );
        let app = &m.apps[0];
        assert_eq!(app.key, "my_app");
        assert_eq!(app.source_code_path.as_deref(), Some("./app"));
        let scopes = app.scopes.as_ref().expect("scopes");
        assert_eq!(scopes.scopes[0].0, "sql");
        assert!(scopes.append.is_some());
        assert_eq!(app.forward.map(|f| f.0), Some(false));
        assert_eq!(app.config_keys.len(), 2);
        let (at, indent) = app.insert.clone().expect("insert");
        assert_eq!(indent, "      ");
        assert_eq!(&text[usize::from(at)..usize::from(at) + 1], "\n");
    }

    /// A flow mapping closed at its key's indentation after a comment line, as Databricks'
    /// bundle examples write an empty target: the Databricks CLI reads it, so obolint does.
    #[test]
    fn a_closing_bracket_after_a_comment_line() {
        let text = "targets:\n  dev:\n    default: true\n  prod: {\n    # No overrides\n  }\nresources:\n  apps:\n    a:\n      source_code_path: ./app # \"x\" ]\n";
        let m = parse_app_manifest(text, AppYamlKind::Bundle).expect("parses");
        assert_eq!(m.apps[0].source_code_path.as_deref(), Some("./app"));
        assert_eq!(&text[m.apps[0].key_range], "a");
        assert_eq!(comment_start("  a: '#x' # c"), Some(10));
        assert_eq!(comment_start("  a: b#c"), None);
    }

    #[test]
    fn flow_lists_and_bad_shapes() {
        let text = "resources:\n  apps:\n    a:\n      user_api_scopes: [sql, genie]\n    b: 3\n";
        let m = parse_app_manifest(text, AppYamlKind::BundleInclude).expect("parses");
        assert_eq!(m.apps.len(), 2);
        let flow = m.apps[0].flow_list.expect("flow");
        assert_eq!(&text[flow], "[sql, genie]");
        assert!(parse_app_manifest("a: [", AppYamlKind::Bundle).is_err());
        // The templates' `command: [` list closed at column 0 reads as PyYAML reads it.
        let template =
            "command: [\n  \"streamlit\",\n  \"run\"\n]\n\nenv:\n  - name: A\n    value: b\n";
        let m = parse_app_manifest(template, AppYamlKind::AppYaml).expect("lenient");
        let keys: Vec<&str> = m.keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["command", "env"]);
        assert_eq!(&template[m.keys[1].1], "env");
        assert!(parse_app_manifest("- 1\n- 2\n", AppYamlKind::Bundle).is_ok());
    }

    fn merged(files: &[(&str, &str)]) -> Vec<EffectiveApp> {
        let parsed: Vec<(AppManifest, PathBuf)> = files
            .iter()
            .enumerate()
            .map(|(i, (folder, text))| {
                let kind = if i == 0 {
                    AppYamlKind::Bundle
                } else {
                    AppYamlKind::BundleInclude
                };
                (
                    parse_app_manifest(text, kind).expect("parses"),
                    PathBuf::from(folder),
                )
            })
            .collect();
        let files: Vec<BundleFile<'_>> = parsed
            .iter()
            .map(|(manifest, folder)| BundleFile { manifest, folder })
            .collect();
        effective_apps(&files)
    }

    fn names(app: &EffectiveApp) -> Vec<String> {
        match &app.scopes {
            Setting::Known(s) => s.names.clone(),
            other => panic!("scopes not known: {other:?}"),
        }
    }

    #[test]
    fn reads_targets_and_variables() {
        let text = "variables:\n  app_path:\n    default: ./app\n  scope:\n    default: genie\ntargets:\n  dev:\n    variables:\n      scope: genie\n    resources:\n      apps:\n        a:\n          user_api_scopes: [sql]\n  prod:\n    default: true\n";
        let m = parse_app_manifest(text, AppYamlKind::Bundle).expect("parses");
        assert_eq!(
            m.variables,
            vec![
                ("app_path".to_string(), Some("./app".to_string())),
                ("scope".to_string(), Some("genie".to_string()))
            ]
        );
        assert_eq!(m.targets.len(), 2);
        assert_eq!(
            m.targets[0].variables,
            vec![("scope".to_string(), Some("genie".to_string()))]
        );
        assert_eq!(m.apps.len(), 1);
        assert_eq!(m.apps[0].target.as_deref(), Some("dev"));
    }

    #[test]
    fn an_app_only_under_a_target() {
        let apps = merged(&[(
            "/b",
            "targets:\n  dev:\n    resources:\n      apps:\n        a:\n          source_code_path: ./app\n          user_api_scopes:\n            - sql\n  prod: {}\n",
        )]);
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0].source, Setting::Known(PathBuf::from("/b/./app")));
        assert_eq!(names(&apps[0]), ["sql"]);
        assert_eq!(apps[0].declared, (0, 0));
    }

    /// A bundle with more apps, or apps times targets, than obolint merges is not read: the
    /// merge would cost their product (hostile input), and unknown apps keep their rules silent.
    #[test]
    fn a_bundle_too_large_to_merge_is_not_read() {
        let mut text = String::from("resources:\n  apps:\n");
        for i in 0..=MAX_BUNDLE_APPS {
            text.push_str(&format!("    a{i}:\n      source_code_path: ./a{i}\n"));
        }
        assert!(merged(&[("/b", &text)]).is_empty());
        let mut text = String::from("resources:\n  apps:\n");
        for i in 0..200 {
            text.push_str(&format!("    a{i}:\n      source_code_path: ./a{i}\n"));
        }
        text.push_str("targets:\n");
        for t in 0..600 {
            text.push_str(&format!("  t{t}: {{}}\n"));
        }
        assert!(merged(&[("/b", &text)]).is_empty());
        let mut text =
            String::from("resources:\n  apps:\n    a:\n      source_code_path: ./a\ntargets:\n");
        for t in 0..=MAX_BUNDLE_APPS {
            text.push_str(&format!("  t{t}: {{}}\n"));
        }
        assert!(merged(&[("/b", &text)]).is_empty());
        // Within the bounds, read.
        let small =
            "resources:\n  apps:\n    a:\n      source_code_path: ./a\ntargets:\n  dev: {}\n";
        assert_eq!(merged(&[("/b", small)]).len(), 1);
    }

    #[test]
    fn targets_override_the_top_level_and_must_agree() {
        let top = "resources:\n  apps:\n    a:\n      source_code_path: ./app\n      user_api_scopes: [sql]\n      forward_user_access_token: false\n";
        // No targets: the top level.
        let apps = merged(&[("/b", top)]);
        assert_eq!(names(&apps[0]), ["sql"]);
        assert!(matches!(apps[0].forward, Setting::Known(((0, 0), false))));
        // A target that does not mention the app keeps the top-level value; one that sets
        // the same list agrees (written twice: no single place to fix).
        let same = format!(
            "{top}targets:\n  dev: {{}}\n  prod:\n    resources:\n      apps:\n        a:\n          user_api_scopes: [sql]\n"
        );
        let apps = merged(&[("/b", &same)]);
        match &apps[0].scopes {
            Setting::Known(s) => {
                assert_eq!(s.at, (0, 0));
                assert!(s.shared);
            }
            other => panic!("{other:?}"),
        }
        // Disagreeing scopes are unknown; the rest stays known.
        let differ = format!(
            "{top}targets:\n  dev: {{}}\n  prod:\n    resources:\n      apps:\n        a:\n          user_api_scopes: [sql, genie]\n"
        );
        let apps = merged(&[("/b", &differ)]);
        assert!(
            matches!(&apps[0].scopes, Setting::Unknown(why) if why.contains("differs between targets `dev` and `prod`")),
            "{:?}",
            apps[0].scopes
        );
        assert_eq!(apps[0].source, Setting::Known(PathBuf::from("/b/./app")));
        // A target of an included file overrides an app of the root file, and the value is
        // written there.
        let included = "targets:\n  dev:\n    resources:\n      apps:\n        a:\n          user_api_scopes: [genie]\n";
        let apps = merged(&[("/b", top), ("/b/resources", included)]);
        match &apps[0].scopes {
            Setting::Known(s) => {
                assert_eq!(s.names, ["genie"]);
                assert_eq!(s.at, (1, 0));
                assert!(!s.shared);
            }
            other => panic!("{other:?}"),
        }
        // Set in one target only, with no top-level value: unknown.
        let one = "targets:\n  dev:\n    resources:\n      apps:\n        a:\n          source_code_path: ./app\n          user_api_scopes: [sql]\n  prod:\n    resources:\n      apps:\n        a:\n          source_code_path: ./app\n";
        let apps = merged(&[("/b", one)]);
        assert!(
            matches!(&apps[0].scopes, Setting::Unknown(why) if why.contains("set in target `dev` but not in target `prod`"))
        );
        assert_eq!(apps[0].forward, Setting::Absent);
    }

    #[test]
    fn substitutes_plain_string_variables_only() {
        let with = |source: &str, extra: &str| {
            merged(&[(
                "/b",
                &format!(
                    "variables:\n  app_path:\n    default: ./app\n  scope:\n    default: genie\n  complex:\n    type: complex\n    default:\n      a: b\n  nested:\n    default: ${{var.app_path}}\nresources:\n  apps:\n    a:\n      source_code_path: {source}\n      user_api_scopes: [sql, \"${{var.scope}}\"]\n{extra}"
                ),
            )])
            .remove(0)
        };
        let app = with("${var.app_path}", "");
        assert_eq!(app.source, Setting::Known(PathBuf::from("/b/./app")));
        assert_eq!(names(&app), ["sql", "genie"]);
        let app = with("${variables.app_path.value}/src", "");
        assert_eq!(app.source, Setting::Known(PathBuf::from("/b/./app/src")));
        for (path, why) in [
            ("${workspace.file_path}", "`${workspace.file_path}`"),
            ("${bundle.target}", "`${bundle.target}`"),
            ("${var.complex}", "not a plain string"),
            ("${var.nested}", "not a plain string"),
            ("${var.missing}", "does not declare"),
            ("${var.app_path", "unclosed"),
        ] {
            assert!(
                matches!(&with(path, "").source, Setting::Unknown(w) if w.contains(why)),
                "{path}"
            );
        }
        // A target override that agrees keeps the value; one that differs makes it unknown.
        let agrees = "targets:\n  dev:\n    variables:\n      scope: genie\n  prod: {}\n";
        assert_eq!(names(&with("./app", agrees)), ["sql", "genie"]);
        let differs = "targets:\n  dev:\n    variables:\n      scope: sql\n  prod: {}\n";
        assert!(matches!(with("./app", differs).scopes, Setting::Unknown(_)));
        assert_eq!(
            with("./app", differs).source,
            Setting::Known(PathBuf::from("/b/./app"))
        );
    }

    #[test]
    fn includes() {
        let globs = vec!["resources/*.yml".to_string()];
        assert!(include_matches(&globs, "resources/app.yml"));
        assert!(!include_matches(&globs, "resources/sub/app.yml"));
        assert!(!include_matches(&globs, "other.yml"));
    }
}
