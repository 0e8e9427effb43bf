//! The models' environments (the rule catalogue OBO5xx): which requirements apply to which model (a log
//! call's `pip_requirements=`, the project's `requirements*.txt` and `pyproject.toml`, notebooks'
//! `%pip install` lines, an `MLmodel`'s sibling files), and which versioned features each model
//! uses.

use obolint_diagnostics::FileId;
use obolint_python::known::{AgentInterface, ResourceKind};
use obolint_python::semantic::ClassId;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::models::Models;
use crate::clients;
use crate::manifest::ProjectManifest;
use crate::project::{ClassRef, FeatureImport, FileIdx, Project};
use crate::requirements::{Feature, Requirements};

/// Requirements written in one place.
#[derive(Clone, Debug)]
pub struct RequirementSet {
    /// The file they are in (diagnostics point into it).
    pub file: FileId,
    /// The `pip_requirements=` value, or the file's start: where OBO501 points.
    pub whole: TextRange,
    pub requirements: Requirements,
    /// A log call's `pip_requirements=`: the model's whole environment, nothing inferred.
    pub explicit: bool,
    /// The model entries it applies to; `None`: every model of the project.
    pub models: Option<Vec<FileIdx>>,
    /// Where OBO501's fix appends, and how (`, "dist"` in a list, a line in a file).
    pub append: Option<Append>,
}

#[derive(Clone, Debug)]
pub enum Append {
    /// After this offset, as `, "name"`.
    PythonList(TextSize),
    /// At this offset, as a line (`"\n"` first when `.1`).
    Line(TextSize, bool),
}

/// `%pip install` lines of a notebook (`ranges` index the notebook's text).
pub fn pip_requirements(text: &str, lines: &[(TextSize, TextSize)]) -> Vec<Requirements> {
    let mut out = Vec::new();
    for &(start, end) in lines {
        let command = &text[usize::from(start)..usize::from(end)];
        if let Some(mut requirements) = crate::requirements::sources::from_pip_command(command) {
            for req in &mut requirements.requirements {
                req.range += start;
            }
            for include in &mut requirements.includes {
                include.range += start;
            }
            out.push(requirements);
        }
    }
    out
}

/// The `(start, end)` of each `%pip install ...` command (the `%`, `!` or `pip` included) in
/// the given ranges of `text`: in `.ipynb` code cells that run, lines starting with `%pip` or
/// `!pip` (with `\` continuation lines); in a Databricks notebook (`magic`), `# MAGIC %pip`
/// lines only. Strings and comments of plain modules are never read.
pub fn pip_command_spans(
    text: &str,
    ranges: &[TextRange],
    magic: bool,
) -> Vec<(TextSize, TextSize)> {
    let mut out = Vec::new();
    for range in ranges {
        let mut offset = usize::from(range.start());
        let mut lines = text[*range].split_inclusive('\n').peekable();
        while let Some(line) = lines.next() {
            let start = offset;
            offset += line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            let rest = if magic {
                match body.strip_prefix("# MAGIC") {
                    Some(rest) => rest,
                    None => continue,
                }
            } else {
                body
            };
            let trimmed = rest.trim_start();
            if !(trimmed.starts_with("%pip") || trimmed.starts_with("!pip")) {
                continue;
            }
            let command_start = start + (body.len() - trimmed.len());
            let mut end = start + body.len();
            // `\` continues the command on the next line (not across `# MAGIC` prefixes).
            let mut continued = body.ends_with('\\');
            while continued && !magic {
                let Some(next) = lines.next() else { break };
                let next_start = offset;
                offset += next.len();
                let next_body = next.trim_end_matches(['\n', '\r']);
                end = next_start + next_body.len();
                continued = next_body.ends_with('\\');
            }
            out.push((
                TextSize::new(command_start as u32),
                TextSize::new(end as u32),
            ));
        }
    }
    out
}

/// A versioned feature a model uses, and where.
#[derive(Clone, Debug)]
pub struct FeatureUse {
    pub feature: Feature,
    pub file: FileIdx,
    pub range: TextRange,
}

/// The features the model whose entry is `entry` uses in its code and its log calls;
/// `of_file` gives [`file_features`] (a file is part of many models: callers remember them).
pub fn model_features<F: std::ops::Deref<Target = [FeatureUse]>>(
    models: &Models,
    entry: FileIdx,
    mut of_file: impl FnMut(FileIdx) -> F,
) -> Vec<FeatureUse> {
    let mut out = Vec::new();
    for file in models.files_of(entry) {
        out.extend(of_file(file).iter().cloned());
    }
    log_call_features(models, entry, &mut out);
    out
}

/// The features one file's code uses (whichever model it is part of).
pub fn file_features(project: &Project<'_>, file: FileIdx) -> Vec<FeatureUse> {
    let mut out = Vec::new();
    let summary = project.summary(file);
    for (class, info) in summary.classes.iter().enumerate() {
        let class = ClassId(class as u32);
        if project.agent_interface(ClassRef { file, class }) == Some(AgentInterface::ResponsesAgent)
        {
            out.push(FeatureUse {
                feature: Feature::ResponsesAgent,
                file,
                range: TextRange::empty(info.start),
            });
        }
    }
    for &(import, range) in &summary.feature_imports {
        let feature = match import {
            FeatureImport::AgentServer => Feature::AgentServer,
            FeatureImport::BridgeUserCredentials => Feature::BridgeUserCredentials,
            FeatureImport::SdkUserCredentials => Feature::SdkUserCredentials,
        };
        out.push(FeatureUse {
            feature,
            file,
            range,
        });
    }
    for known in project.known_calls(file) {
        if clients::of_symbol(known.symbol).is_some_and(|c| c.class == "ChatDatabricks")
            && known
                .call
                .arguments
                .find_keyword("workspace_client")
                .is_some()
        {
            out.push(FeatureUse {
                feature: Feature::ChatDatabricksWorkspaceClient,
                file,
                range: known.call.func.range(),
            });
        }
    }
    out
}

/// The features the log calls of the model whose entry is `entry` declare.
fn log_call_features(models: &Models, entry: FileIdx, out: &mut Vec<FeatureUse>) {
    for call in &models.log_calls {
        if call.entry != Some(entry) {
            continue;
        }
        if let Some(policy) = &call.declaration.auth_policy {
            out.push(FeatureUse {
                feature: Feature::AuthPolicy,
                file: policy.file,
                range: policy.name,
            });
        }
        let mut resources: Vec<&crate::analysis::declaration::Resource> = Vec::new();
        if let Some(crate::analysis::declaration::Resources::List(list)) = call
            .declaration
            .resources
            .as_ref()
            .and_then(|k| k.value.known())
        {
            resources.extend(list);
        }
        if let Some(system) = call
            .declaration
            .auth_policy
            .as_ref()
            .and_then(|k| k.value.known())
            .and_then(|p| p.system.as_ref())
            .and_then(|s| s.known())
        {
            resources.extend(system);
        }
        for resource in resources {
            if let Some(feature) = resource_feature(resource.kind) {
                out.push(FeatureUse {
                    feature,
                    file: resource.file,
                    range: resource.range,
                });
            }
            if resource.on_behalf_of_user.is_some() {
                out.push(FeatureUse {
                    feature: Feature::OnBehalfOfUserKey,
                    file: resource.file,
                    range: resource.range,
                });
            }
        }
    }
}

pub fn resource_feature(kind: ResourceKind) -> Option<Feature> {
    match kind {
        ResourceKind::App => Some(Feature::ResourceApp),
        ResourceKind::Lakebase => Some(Feature::ResourceLakebase),
        ResourceKind::UcModelService => Some(Feature::ResourceUcModelService),
        _ => None,
    }
}

/// The features an `MLmodel` itself shows: `auth_policy:`, resource types, `on_behalf_of_user`.
pub fn manifest_features(manifest: &ProjectManifest) -> Vec<(Feature, TextRange)> {
    let m = &manifest.manifest;
    let mut out = Vec::new();
    if let Some(policy) = &m.auth_policy {
        out.push((Feature::AuthPolicy, policy.key));
    }
    let blocks = m
        .resources
        .iter()
        .chain(m.auth_policy.as_ref().and_then(|p| p.system.as_ref()));
    for block in blocks {
        for entry in &block.entries {
            if let Some(feature) = resource_feature(entry.kind) {
                out.push((feature, entry.range));
            }
            if entry.on_behalf_of_user.is_some() {
                out.push((Feature::OnBehalfOfUserKey, entry.range));
            }
        }
    }
    out
}

/// The requirement the OBO501 fix appends, for a missing distribution.
pub fn append_edit(set: &RequirementSet, distribution: &str) -> Option<obolint_diagnostics::Edit> {
    match set.append.clone()? {
        Append::PythonList(at) => Some(obolint_diagnostics::Edit::insertion(
            at,
            format!(", \"{distribution}\""),
        )),
        Append::Line(at, newline_first) => Some(obolint_diagnostics::Edit::insertion(
            at,
            if newline_first {
                format!("\n{distribution}\n")
            } else {
                format!("{distribution}\n")
            },
        )),
    }
}
