//! Databricks Apps configuration files, read with spans by the YAML reader the `MLmodel`
//! manifests use (`manifest.rs`): bundles (`databricks.yml` and the files its `include:` names)
//! with their `resources.apps.<key>` (`source_code_path`, `user_api_scopes`,
//! `forward_user_access_token`, `config`), and an app folder's `app.yaml`/`app.yml`. Fields
//! follow the bundle schema of the Databricks CLI (`bundle/schema/jsonschema.json`,
//! `resources.App`) and the Apps runtime documentation (`app.yaml` takes `command` and `env`).

use std::path::{Path, PathBuf};

use ruff_text_size::{TextRange, TextSize};
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

/// `resources.apps.<key>` of a bundle file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleApp {
    pub key: String,
    pub key_range: TextRange,
    /// As written (relative to the YAML file's folder); `None` when absent or not a plain path.
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
            if let Some((_, resources)) = get(root, "resources")
                && let Some((_, apps)) = get(resources, "apps")
                && let Some(items) = entries(apps)
            {
                for (key, app) in items {
                    if let Some(app) = bundle_app(text, key, app, &offsets) {
                        out.apps.push(app);
                    }
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
        source_code_path: None,
        scopes: None,
        flow_list: None,
        forward: None,
        config_keys: Vec::new(),
        insert: None,
    };
    if let Some((_, path)) = get(app, "source_code_path") {
        out.source_code_path = as_str(path)
            .filter(|p| !p.contains("${"))
            .map(str::to_string);
    }
    if let Some((forward_key, value)) = get(app, "forward_user_access_token")
        && let YamlData::Value(Scalar::Boolean(b)) = &value.data
    {
        out.forward = Some((*b, offsets.span(forward_key)));
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

/// Whether `path` (relative to the bundle's folder, `/`-separated) matches an `include:` glob.
pub fn include_matches(globs: &[String], relative: &str) -> bool {
    globs.iter().any(|g| {
        let g = g.trim_start_matches("./");
        globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .is_ok_and(|glob| glob.compile_matcher().is_match(relative))
    })
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

    #[test]
    fn includes() {
        let globs = vec!["resources/*.yml".to_string()];
        assert!(include_matches(&globs, "resources/app.yml"));
        assert!(!include_matches(&globs, "resources/sub/app.yml"));
        assert!(!include_matches(&globs, "other.yml"));
    }
}
