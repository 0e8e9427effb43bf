//! `MLmodel` and `resources.yaml` manifests (mlflow 3.18.0 `mlflow/models/model.py` and `resources.py`), read with a YAML parser that
//! keeps spans (saphyr, see `docs/design.md`): every key obolint understands, with the range of
//! each key and value so diagnostics point at lines, and what MLflow could not read (OBO306).

use std::path::{Path, PathBuf};

use obolint_python::known::ResourceKind;
use ruff_text_size::{TextRange, TextSize};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestKind {
    /// A saved model's `MLmodel`.
    MlModel,
    /// A `resources.yaml` given as `resources="resources.yaml"`.
    ResourcesYaml,
}

impl ManifestKind {
    pub fn of(path: &Path) -> Option<ManifestKind> {
        match path.file_name()?.to_str()? {
            "MLmodel" => Some(ManifestKind::MlModel),
            "resources.yaml" | "resources.yml" => Some(ManifestKind::ResourcesYaml),
            _ => None,
        }
    }
}

/// One resource entry (`- name: ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlResource {
    pub kind: ResourceKind,
    pub name: Option<String>,
    pub on_behalf_of_user: Option<bool>,
    pub range: TextRange,
}

/// A resources block: `api_version` and `databricks:` entries.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct YamlResources {
    /// The key that holds the block (`resources:`), or the file start for `resources.yaml`.
    pub key: TextRange,
    pub entries: Vec<YamlResource>,
}

/// `api_scopes:` and its strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlScopes {
    pub key: TextRange,
    /// The value (the list), or the key when the value is empty.
    pub value: TextRange,
    pub scopes: Vec<(String, TextRange)>,
    /// Whether every item is a plain string (the list can be fixed).
    pub valid: bool,
    /// For a block list (`- item` lines): each item's whole line, line break included.
    pub item_lines: Vec<TextRange>,
    /// Where and how a new item is written (`\n    - `), for a block list with items.
    pub append: Option<(TextSize, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct YamlPolicy {
    pub key: TextRange,
    pub system: Option<YamlResources>,
    pub user_scopes: Option<YamlScopes>,
    /// `user_auth_policy:` is there with content (not `{}`).
    pub has_user_policy: bool,
}

/// What MLflow cannot read (OBO306): where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub kind: ManifestKind,
    pub resources: Option<YamlResources>,
    pub auth_policy: Option<YamlPolicy>,
    pub mlflow_version: Option<(String, TextRange)>,
    /// `flavors.python_function.model_code_path`.
    pub model_code_path: Option<String>,
    pub invalid: Vec<Invalid>,
}

/// YAML that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub offset: TextSize,
    pub message: String,
}

/// Character index (saphyr's markers) to byte offset.
pub(crate) struct Offsets<'t> {
    text: &'t str,
    /// Byte offset of each char, for non-ASCII texts.
    map: Option<Vec<u32>>,
}

impl<'t> Offsets<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let map = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| i as u32)
                .chain([text.len() as u32])
                .collect()
        });
        Self { text, map }
    }

    pub(crate) fn at(&self, chars: usize) -> TextSize {
        let byte = match &self.map {
            Some(map) => map.get(chars).copied().unwrap_or(self.text.len() as u32),
            None => chars.min(self.text.len()) as u32,
        };
        TextSize::new(byte)
    }

    pub(crate) fn span(&self, node: &MarkedYaml<'_>) -> TextRange {
        let start = self.at(node.span.start.index());
        // A quoted scalar ends at its closing quote (saphyr's end can run past it, over a
        // trailing comment).
        if let Some(end) = quoted_end(self.text, usize::from(start)) {
            return TextRange::new(start, TextSize::new(end as u32));
        }
        let end = self.at(node.span.end.index()).max(start);
        // Collections' ends are not always known: keep the rest of the start's line.
        let end = if end == start || usize::from(end) > self.text.len() {
            let rest = &self.text[usize::from(start)..];
            start + TextSize::new(rest.find('\n').unwrap_or(rest.len()) as u32)
        } else {
            end
        };
        TextRange::new(start, end)
    }
}

/// The byte after the closing quote of a quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let quote = text[start..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let mut chars = text[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            c if c == quote => {
                // `''` inside a single-quoted scalar is an escaped quote.
                if quote == '\'' && text[start + 1 + i + 1..].starts_with('\'') {
                    chars.next();
                    continue;
                }
                return Some(start + 1 + i + 1);
            }
            _ => {}
        }
    }
    None
}

pub(crate) fn as_str<'y>(node: &'y MarkedYaml<'_>) -> Option<&'y str> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.as_ref()),
        _ => None,
    }
}

pub(crate) fn entries<'y, 'i>(
    node: &'y MarkedYaml<'i>,
) -> Option<impl Iterator<Item = (&'y MarkedYaml<'i>, &'y MarkedYaml<'i>)>> {
    match &node.data {
        YamlData::Mapping(map) => Some(map.iter()),
        _ => None,
    }
}

pub(crate) fn get<'y, 'i>(
    node: &'y MarkedYaml<'i>,
    key: &str,
) -> Option<(&'y MarkedYaml<'i>, &'y MarkedYaml<'i>)> {
    entries(node)?.find(|(k, _)| as_str(k) == Some(key))
}

pub(crate) fn is_empty(node: &MarkedYaml<'_>) -> bool {
    match &node.data {
        YamlData::Mapping(map) => map.is_empty(),
        YamlData::Sequence(seq) => seq.is_empty(),
        YamlData::Value(Scalar::Null) => true,
        _ => false,
    }
}

/// How many nodes the YAML loader may copy for aliases and anchors in one file. saphyr expands
/// an alias by copying the anchored node (and copies each anchored node once more into its anchor
/// table), so a few hundred bytes of nested aliases ("billion laughs") would build billions of
/// nodes. Real manifests and conda files use a handful of anchors, if any.
pub const YAML_COPY_BUDGET: u64 = 100_000;

/// The most bytes of scalars that loading one YAML file may copy for anchors and aliases: each
/// alias copies its anchor's strings, so one long string aliased many times is gigabytes from
/// a file of a few hundred kilobytes, in few nodes.
pub const YAML_COPY_BYTES: u64 = 16 * 1024 * 1024;

/// Counts, with saphyr's event parser (nothing is built), the nodes and the bytes of scalars
/// loading `text` would copy for anchors and aliases; `Err` with the alias's character index
/// when that passes [`YAML_COPY_BUDGET`] or [`YAML_COPY_BYTES`]. YAML that does not parse
/// passes: the loader reports it.
fn check_alias_budget(text: &str) -> Result<(), (usize, String)> {
    use saphyr_parser::{Event, Parser};
    /// Nodes and bytes of scalars.
    type Size = (u64, u64);
    let add = |a: Size, b: Size| (a.0.saturating_add(b.0), a.1.saturating_add(b.1));
    let mut anchors: rustc_hash::FxHashMap<usize, Size> = rustc_hash::FxHashMap::default();
    // Open collections: anchor id, nodes and bytes so far (expanded).
    let mut open: Vec<(usize, Size)> = Vec::new();
    let mut copies: Size = (0, 0);
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, span))) = parser.next_event() {
        let done = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, (1, 0)));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            Event::Scalar(value, _, anchor, _) => Some((anchor, (1, value.len() as u64))),
            Event::Alias(id) => {
                let size = anchors.get(&id).copied().unwrap_or((1, 0));
                copies = add(copies, size);
                Some((0, size))
            }
            _ => None,
        };
        if let Some((anchor, size)) = done {
            if anchor > 0 {
                anchors.insert(anchor, size);
                copies = add(copies, size);
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = add(parent.1, size);
            }
        }
        if copies.0 > YAML_COPY_BUDGET {
            return Err((
                span.start.index(),
                format!(
                    "its anchors and aliases expand to more than {YAML_COPY_BUDGET} nodes; not read"
                ),
            ));
        }
        if copies.1 > YAML_COPY_BYTES {
            return Err((
                span.start.index(),
                format!(
                    "its anchors and aliases expand to more than {} MiB of text; not read",
                    YAML_COPY_BYTES / (1024 * 1024)
                ),
            ));
        }
    }
    Ok(())
}

/// Loads YAML with spans, after [`check_alias_budget`].
pub(crate) fn load_yaml(text: &str) -> Result<Vec<MarkedYaml<'_>>, YamlError> {
    let offsets = Offsets::new(text);
    check_alias_budget(text).map_err(|(at, message)| YamlError {
        offset: offsets.at(at),
        message,
    })?;
    MarkedYaml::load_from_str(text).map_err(|error| YamlError {
        offset: offsets.at(error.marker().index()),
        message: error.info().to_string(),
    })
}

/// Parses a manifest. Broken YAML is an error (OBO900); YAML MLflow cannot use is a manifest
/// with `invalid` entries.
pub fn parse_manifest(text: &str, kind: ManifestKind) -> Result<Manifest, YamlError> {
    let offsets = Offsets::new(text);
    let docs = load_yaml(text)?;
    let mut manifest = Manifest {
        kind,
        resources: None,
        auth_policy: None,
        mlflow_version: None,
        model_code_path: None,
        invalid: Vec::new(),
    };
    let Some(root) = docs.first() else {
        return Ok(manifest);
    };
    match kind {
        ManifestKind::ResourcesYaml => {
            manifest.resources = Some(resources_block(
                root,
                TextRange::empty(TextSize::new(0)),
                &offsets,
                &mut manifest.invalid,
            ));
        }
        ManifestKind::MlModel => {
            if entries(root).is_none() {
                if !is_empty(root) {
                    manifest.invalid.push(Invalid {
                        range: offsets.span(root),
                        message: "an `MLmodel` file is a mapping of keys".into(),
                    });
                }
                return Ok(manifest);
            }
            if let Some((key, value)) = get(root, "resources") {
                manifest.resources = Some(resources_block(
                    value,
                    offsets.span(key),
                    &offsets,
                    &mut manifest.invalid,
                ));
            }
            if let Some((key, value)) = get(root, "auth_policy") {
                manifest.auth_policy = Some(policy(
                    value,
                    offsets.span(key),
                    &offsets,
                    &mut manifest.invalid,
                ));
            }
            if let Some((_, value)) = get(root, "mlflow_version") {
                let version = match &value.data {
                    YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
                    YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
                    YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
                    _ => None,
                };
                manifest.mlflow_version = version.map(|v| (v, offsets.span(value)));
            }
            manifest.model_code_path = get(root, "flavors")
                .and_then(|(_, flavors)| get(flavors, "python_function"))
                .and_then(|(_, pyfunc)| get(pyfunc, "model_code_path"))
                .and_then(|(_, path)| as_str(path))
                .map(str::to_string);
        }
    }
    Ok(manifest)
}

fn policy(
    node: &MarkedYaml<'_>,
    key: TextRange,
    offsets: &Offsets<'_>,
    invalid: &mut Vec<Invalid>,
) -> YamlPolicy {
    let mut out = YamlPolicy {
        key,
        ..YamlPolicy::default()
    };
    if let Some((system_key, system)) = get(node, "system_auth_policy")
        && let Some((resources_key, resources)) = get(system, "resources")
    {
        let _ = system_key;
        out.system = Some(resources_block(
            resources,
            offsets.span(resources_key),
            offsets,
            invalid,
        ));
    }
    if let Some((_, user)) = get(node, "user_auth_policy") {
        out.has_user_policy = !is_empty(user);
        if let Some((scopes_key, scopes)) = get(user, "api_scopes") {
            let key_range = offsets.span(scopes_key);
            let mut list = YamlScopes {
                key: key_range,
                value: if is_empty(scopes) {
                    key_range
                } else {
                    offsets.span(scopes)
                },
                scopes: Vec::new(),
                valid: true,
                item_lines: Vec::new(),
                append: None,
            };
            match &scopes.data {
                YamlData::Sequence(items) => {
                    for item in items {
                        match as_str(item) {
                            Some(s) => list.scopes.push((s.to_string(), offsets.span(item))),
                            None => {
                                list.valid = false;
                                invalid.push(Invalid {
                                    range: offsets.span(item),
                                    message: "`api_scopes` holds something that is not a string"
                                        .into(),
                                });
                            }
                        }
                    }
                }
                YamlData::Value(Scalar::Null) => {}
                _ => {
                    list.valid = false;
                    invalid.push(Invalid {
                        range: key_range,
                        message: "`api_scopes` is not a list of strings".into(),
                    });
                }
            }
            block_layout(offsets.text, &mut list);
            out.user_scopes = Some(list);
        }
    }
    out
}

/// Line ranges of a block list's items, and where a new item goes: after the last item's line,
/// with its indentation and dash. Flow lists (`[a, b]`) get neither.
pub(crate) fn block_layout(text: &str, list: &mut YamlScopes) {
    let mut lines = Vec::new();
    for (_, range) in &list.scopes {
        let start = usize::from(range.start());
        let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
        let prefix = &text[line_start..start];
        let dash = prefix.trim_start();
        // `- item` or `- 'item'` alone on its line.
        if !(dash == "- " || dash == "- '" || dash == "- \"" || dash == "-  ") {
            return;
        }
        let line_end = text[start..]
            .find('\n')
            .map_or(text.len(), |n| start + n + 1);
        lines.push(TextRange::new(
            TextSize::new(line_start as u32),
            TextSize::new(line_end as u32),
        ));
    }
    let Some(last) = lines.last() else {
        return;
    };
    let last_text = &text[*last];
    let indent: String = last_text.chars().take_while(|c| *c == ' ').collect();
    let end = usize::from(last.end());
    let (at, content) = if text[..end].ends_with('\n') {
        (end, format!("{indent}- "))
    } else {
        (end, format!("\n{indent}- "))
    };
    list.append = Some((TextSize::new(at as u32), content));
    list.item_lines = lines;
}

/// A resources block (mlflow 3.18.0 `_ResourceBuilder.from_dict`).
fn resources_block(
    node: &MarkedYaml<'_>,
    key: TextRange,
    offsets: &Offsets<'_>,
    invalid: &mut Vec<Invalid>,
) -> YamlResources {
    let mut out = YamlResources {
        key,
        entries: Vec::new(),
    };
    let Some(items) = entries(node) else {
        if !is_empty(node) {
            invalid.push(Invalid {
                range: offsets.span(node),
                message: "a resources block is a mapping (`api_version`, `databricks`)".into(),
            });
        }
        return out;
    };
    let mut has_version = false;
    for (k, v) in items {
        let name = as_str(k).unwrap_or("");
        match name {
            "api_version" => {
                has_version = true;
                if as_str(v) != Some("1") {
                    invalid.push(Invalid {
                        range: offsets.span(v),
                        message: "`api_version` must be the string '1' (MLflow raises \"Unsupported API version\")".into(),
                    });
                }
            }
            "databricks" => resource_types(v, offsets, invalid, &mut out.entries),
            _ => invalid.push(Invalid {
                range: offsets.span(k),
                message: format!(
                    "`{name}` is not a resource target MLflow knows (only `databricks`): \"Unsupported target URI\""
                ),
            }),
        }
    }
    if !has_version {
        invalid.push(Invalid {
            range: if key.is_empty() {
                offsets.span(node)
            } else {
                key
            },
            message: "the resources block has no `api_version: '1'`, which MLflow requires".into(),
        });
    }
    out
}

fn resource_types(
    node: &MarkedYaml<'_>,
    offsets: &Offsets<'_>,
    invalid: &mut Vec<Invalid>,
    out: &mut Vec<YamlResource>,
) {
    let Some(types) = entries(node) else {
        if !is_empty(node) {
            invalid.push(Invalid {
                range: offsets.span(node),
                message: "`databricks:` maps resource types to lists of resources".into(),
            });
        }
        return;
    };
    for (k, v) in types {
        let type_name = as_str(k).unwrap_or("");
        let Some(kind) = ResourceKind::from_yaml_key(type_name) else {
            invalid.push(Invalid {
                range: offsets.span(k),
                message: format!(
                    "`{type_name}` is not a resource type MLflow knows (\"Unsupported resource type\"); known: {}",
                    ResourceKind::ALL.map(ResourceKind::yaml_key).join(", ")
                ),
            });
            continue;
        };
        let YamlData::Sequence(items) = &v.data else {
            if !is_empty(v) {
                invalid.push(Invalid {
                    range: offsets.span(v),
                    message: format!("`{type_name}` must be a list of `- name: ...` entries"),
                });
            }
            continue;
        };
        for item in items {
            let range = offsets.span(item);
            let Some(fields) = entries(item) else {
                invalid.push(Invalid {
                    range,
                    message: format!("each `{type_name}` entry is a mapping with a `name`"),
                });
                continue;
            };
            let mut resource = YamlResource {
                kind,
                name: None,
                on_behalf_of_user: None,
                range,
            };
            let mut has_name = false;
            for (fk, fv) in fields {
                match as_str(fk).unwrap_or("") {
                    "name" => {
                        has_name = true;
                        resource.name = as_str(fv).map(str::to_string);
                    }
                    "on_behalf_of_user" => {
                        resource.on_behalf_of_user = match &fv.data {
                            YamlData::Value(Scalar::Boolean(b)) => Some(*b),
                            _ => {
                                invalid.push(Invalid {
                                    range: offsets.span(fv),
                                    message: "`on_behalf_of_user` must be `true` or `false`".into(),
                                });
                                None
                            }
                        };
                    }
                    other => invalid.push(Invalid {
                        range: offsets.span(fk),
                        message: format!(
                            "`{other}` is not a key MLflow writes for a resource (only `name` and `on_behalf_of_user`)"
                        ),
                    }),
                }
            }
            if !has_name {
                invalid.push(Invalid {
                    range,
                    message: format!(
                        "this `{type_name}` entry has no `name` (MLflow fails with a KeyError)"
                    ),
                });
            }
            out.push(resource);
        }
    }
}

/// A manifest of the project, with what it belongs to.
#[derive(Debug)]
pub struct ProjectManifest {
    pub id: obolint_diagnostics::FileId,
    pub path: PathBuf,
    pub manifest: Manifest,
    /// The entry file of the model it describes (the code saved next to an `MLmodel`).
    pub entry: Option<crate::project::FileIdx>,
    /// The log calls that name it (`resources="resources.yaml"`), by index.
    pub logged_by: Vec<usize>,
}

/// The code file an `MLmodel` was saved with, when its directory holds it.
pub fn saved_code_path(
    manifest_path: &Path,
    manifest: &Manifest,
    is_file: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let code = manifest.model_code_path.as_ref()?;
    let name = Path::new(code).file_name()?;
    let dir = manifest_path.parent()?;
    [dir.join(name), dir.join("code").join(name)]
        .into_iter()
        .find(|p| is_file(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "artifact_path: model\nauth_policy:\n  system_auth_policy: {}\n  user_auth_policy:\n    api_scopes:\n    - sql.warehouses\n    - sql.statement-execution\nflavors:\n  python_function:\n    model_code_path: /tmp/x/agent.py\nmlflow_version: 3.3.2\n";

    #[test]
    fn reads_policy_scopes_with_spans() {
        let manifest = parse_manifest(POLICY, ManifestKind::MlModel).unwrap();
        let policy = manifest.auth_policy.unwrap();
        assert!(policy.has_user_policy);
        let scopes = policy.user_scopes.unwrap();
        let texts: Vec<&str> = scopes.scopes.iter().map(|(_, r)| &POLICY[*r]).collect();
        assert_eq!(texts, ["sql.warehouses", "sql.statement-execution"]);
        assert_eq!(&POLICY[scopes.key], "api_scopes");
        assert_eq!(manifest.mlflow_version.unwrap().0, "3.3.2");
        assert_eq!(manifest.model_code_path.as_deref(), Some("/tmp/x/agent.py"));
        assert!(manifest.invalid.is_empty());
    }

    #[test]
    fn reports_what_mlflow_cannot_read() {
        let text = "resources:\n  api_version: 2\n  azure: {}\n  databricks:\n    genie_spaces:\n    - name: x\n    serving_endpoint:\n    - endpoint: y\n      name: z\n    table:\n    - on_behalf_of_user: true\nauth_policy:\n  user_auth_policy:\n    api_scopes: sql\n";
        let manifest = parse_manifest(text, ManifestKind::MlModel).unwrap();
        let at: Vec<&str> = manifest.invalid.iter().map(|i| &text[i.range]).collect();
        assert_eq!(at.len(), 6, "{at:?}");
        assert!(at.contains(&"2"));
        assert!(at.contains(&"azure"));
        assert!(at.contains(&"genie_spaces"));
        assert!(at.contains(&"endpoint"));
        assert!(at.contains(&"api_scopes"));
        assert_eq!(manifest.resources.unwrap().entries.len(), 2);
    }

    #[test]
    fn resources_yaml_and_non_ascii() {
        let text = "# é\napi_version: '1'\ndatabricks:\n  genie_space:\n  - name: 01ef\n    on_behalf_of_user: true\n";
        let manifest = parse_manifest(text, ManifestKind::ResourcesYaml).unwrap();
        let resources = manifest.resources.unwrap();
        assert_eq!(resources.entries[0].name.as_deref(), Some("01ef"));
        assert_eq!(resources.entries[0].on_behalf_of_user, Some(true));
        assert!(text[resources.entries[0].range].starts_with("name: 01ef"));
        assert!(manifest.invalid.is_empty());
    }

    #[test]
    fn quoted_scalars_end_at_their_quote() {
        let text = "auth_policy:\n  user_auth_policy:\n    api_scopes:\n    - \"dashboards.genie\"  # keep me\n    - 'it''s'  # x\n";
        let manifest = parse_manifest(text, ManifestKind::MlModel).unwrap();
        let scopes = manifest.auth_policy.unwrap().user_scopes.unwrap();
        let at: Vec<&str> = scopes.scopes.iter().map(|(_, r)| &text[*r]).collect();
        assert_eq!(at, ["\"dashboards.genie\"", "'it''s'"]);
    }

    /// `yaml_alias_bomb_mlmodel`: 450 bytes of nested aliases (9^9 nodes) are refused before
    /// anything is built, fast.
    #[test]
    fn alias_bomb_is_broken_yaml() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip("abcdefgh".chars())
        {
            let alias = format!("*{prev}");
            bomb.push_str(&format!("{name}: &{name} [{}]\n", vec![alias; 9].join(",")));
        }
        bomb.push_str("artifact_path: model\n");
        let started = std::time::Instant::now();
        let error = parse_manifest(&bomb, ManifestKind::MlModel).unwrap_err();
        assert!(error.message.contains("aliases"), "{}", error.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Deep anchors without aliases copy quadratically: also bounded.
        let deep = format!("{}1{}", "- &x [".repeat(2000), "]".repeat(2000));
        assert!(parse_manifest(&deep, ManifestKind::MlModel).is_err());
        // A few anchors, as people write them, are fine.
        let ok = "base: &base {a: 1, b: 2}\nx: *base\ny: *base\nartifact_path: model\n";
        assert!(parse_manifest(ok, ManifestKind::MlModel).is_ok());
    }

    #[test]
    fn broken_yaml_is_an_error() {
        let error = parse_manifest("a: [1, 2\nb: c\n", ManifestKind::MlModel).unwrap_err();
        assert!(!error.message.is_empty());
        assert!(parse_manifest("", ManifestKind::MlModel).is_ok());
        assert!(
            parse_manifest("- 1\n", ManifestKind::MlModel)
                .unwrap()
                .invalid
                .len()
                == 1
        );
    }
}
