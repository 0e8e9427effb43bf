//! A model's explicit requirements (the rule catalogue's OBO5xx): read from requirements files, `%pip
//! install` lines, `pyproject.toml`, `pip_requirements=` lists and conda's `pip:` section, each
//! parsed as PEP 508 by `pep508_rs`, with its byte range in the source text so diagnostics point
//! at it. What a requirement provides, and whether its versions are new enough for a feature,
//! are answered from the tables in [`data`].

pub mod data;
pub mod sources;
pub mod specifiers;

use std::collections::BTreeSet;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName, VersionOrUrl};
use ruff_text_size::TextRange;

pub use data::{Feature, FeatureMinimum, Minimum, distribution_for_module};
pub use specifiers::{admits_version_after, admits_version_at_least};

/// One requirement as written, with its range in the source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    /// The requirement text (continuation lines joined, comment and options removed).
    pub text: String,
    pub range: TextRange,
    pub kind: RequirementKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RequirementKind {
    Named(NamedRequirement),
    /// A local path, an archive or URL without a name, or an editable install (`-e .`): which
    /// distribution it installs is unknown, and never guessed.
    Unnamed {
        editable: bool,
    },
    /// Not a valid requirement.
    Invalid {
        message: String,
    },
}

/// A PEP 508 requirement.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedRequirement {
    /// PEP 503 normalised (`Databricks_SDK` → `databricks-sdk`).
    pub name: String,
    pub extras: Vec<String>,
    pub versions: VersionConstraint,
    /// The environment marker as written after `;`. Markers are not evaluated (the serving
    /// environment is unknown): a requirement with a marker is taken to apply.
    pub marker: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VersionConstraint {
    /// Specifiers, possibly none (any version).
    Specifiers(VersionSpecifiers),
    /// `name @ url`: the version is unknown.
    Url(String),
}

/// What a requirements file or list refers to besides requirements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Requirements {
    pub requirements: Vec<Requirement>,
    /// `-r file` / `--requirement file`: the path as written and its range. The caller reads
    /// them (relative to the including file); unread, they may provide anything.
    pub includes: Vec<FileReference>,
    /// `-c file` / `--constraint file`: constraints restrict versions, they install nothing.
    pub constraints: Vec<FileReference>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FileReference {
    pub path: String,
    pub range: TextRange,
}

impl Requirement {
    /// Parses one requirement (no pip options).
    pub fn parse(text: &str, range: TextRange) -> Requirement {
        let text = text.trim();
        let kind = if is_unnamed(text) {
            RequirementKind::Unnamed { editable: false }
        } else if let Some(message) = invalid_name(text) {
            // pep508_rs 0.8.1 panics on a name its own parser accepts and `PackageName`
            // refuses (`a-==1`, `a-[x]`): such a name never reaches it.
            RequirementKind::Invalid { message }
        } else {
            match pep508_rs::Requirement::from_str(text) {
                Ok(req) => RequirementKind::Named(NamedRequirement {
                    name: req.name.to_string(),
                    extras: req.extras.iter().map(ToString::to_string).collect(),
                    versions: match req.version_or_url {
                        None => VersionConstraint::Specifiers(VersionSpecifiers::empty()),
                        Some(VersionOrUrl::VersionSpecifier(s)) => VersionConstraint::Specifiers(s),
                        Some(VersionOrUrl::Url(url)) => VersionConstraint::Url(
                            url.given().map_or_else(|| url.to_string(), str::to_string),
                        ),
                    },
                    marker: text
                        .split_once(';')
                        .map(|(_, m)| m.trim().to_string())
                        .filter(|_| req.marker.is_some()),
                }),
                Err(err) => RequirementKind::Invalid {
                    message: err.message.to_string(),
                },
            }
        };
        Requirement {
            text: text.to_string(),
            range,
            kind,
        }
    }

    pub fn named(&self) -> Option<&NamedRequirement> {
        match &self.kind {
            RequirementKind::Named(n) => Some(n),
            _ => None,
        }
    }
}

/// Whether `c` may be part of a name or an extra (what pep508_rs reads as one).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// The name at the start of `text`, or an extra in its `[...]`, when pep508_rs's parser would
/// read it and its name type refuse it (it must end with a letter or digit): pep508_rs 0.8.1
/// then panics instead of returning an error. `None` when the names are valid, or absent (an
/// ordinary parse error).
fn invalid_name(text: &str) -> Option<String> {
    let end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    if !name.is_empty() && PackageName::new(name.to_string()).is_err() {
        return Some(format!(
            "`{name}` is not a valid distribution name: it must start and end with a letter or digit"
        ));
    }
    let extras = rest.trim_start().strip_prefix('[')?;
    let extras = extras.split(']').next().unwrap_or(extras);
    extras
        .split(',')
        .map(str::trim)
        .find(|extra| {
            !extra.is_empty()
                && extra.chars().all(is_name_char)
                && ExtraName::new((*extra).to_string()).is_err()
        })
        .map(|extra| {
            format!(
                "`{extra}` is not a valid extra name: it must start and end with a letter or digit"
            )
        })
}

/// pip installs these from a path or URL, not by name: `.`, `./pkg`, `/abs/pkg`, `C:\pkg`,
/// `pkg.whl`, `https://host/pkg.tar.gz`, `git+https://...`.
fn is_unnamed(text: &str) -> bool {
    // `name @ url` names its distribution.
    let head = text.split(';').next().unwrap_or(text).trim();
    if head.contains(" @") || head.contains("@ ") {
        return false;
    }
    let lower = head.to_ascii_lowercase();
    head.starts_with('.')
        || head.starts_with('~')
        || head.contains('/')
        || head.contains('\\')
        || [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// PEP 503 normalisation of a distribution name; `None` when it is not a valid name.
pub fn normalize_name(name: &str) -> Option<String> {
    PackageName::new(name.to_string())
        .ok()
        .map(|n| n.to_string())
}

/// The distributions a set of requirements installs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provided {
    /// Each named requirement's distribution and what it is known to bring ([`data::BRINGS`]).
    pub distributions: BTreeSet<String>,
    /// An unnamed or invalid requirement is present: it may install anything, so "missing"
    /// must not be reported.
    pub unknown: bool,
}

impl Provided {
    pub fn contains(&self, distribution: &str) -> bool {
        self.distributions.contains(distribution)
    }
}

/// What `requirements` install (OBO501). Includes (`-r`) are not followed here: the caller adds
/// the included files' requirements, or treats them as unknown.
pub fn provides<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> Provided {
    let mut provided = Provided::default();
    for req in requirements {
        match &req.kind {
            RequirementKind::Named(named) => {
                provided.distributions.insert(named.name.clone());
            }
            RequirementKind::Unnamed { .. } | RequirementKind::Invalid { .. } => {
                provided.unknown = true;
            }
        }
    }
    // What a distribution brings may bring more: close over the table.
    loop {
        let more: Vec<&str> = data::BRINGS
            .iter()
            .filter(|row| provided.distributions.contains(row.distribution))
            .flat_map(|row| row.brings.iter().copied())
            .filter(|d| !provided.distributions.contains(*d))
            .collect();
        if more.is_empty() {
            return provided;
        }
        provided
            .distributions
            .extend(more.into_iter().map(str::to_string));
    }
}

/// Whether `requirement` admits a release with `feature` (OBO502): `Some(false)` when its
/// versions are all too old, `None` when it does not concern the feature's distributions or its
/// version is unknown (a URL).
pub fn admits_feature(requirement: &NamedRequirement, feature: Feature) -> Option<bool> {
    let minimum = feature.minimum();
    if !minimum.distributions.contains(&requirement.name.as_str()) {
        return None;
    }
    let VersionConstraint::Specifiers(specifiers) = &requirement.versions else {
        return None;
    };
    Some(match minimum.minimum {
        Minimum::AtLeast(v) => admits_version_at_least(specifiers, &Version::from_str(v).ok()?),
        Minimum::After(v) => admits_version_after(specifiers, &Version::from_str(v).ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextSize;

    fn parse(text: &str) -> Requirement {
        Requirement::parse(text, TextRange::default())
    }

    fn named(text: &str) -> NamedRequirement {
        parse(text)
            .named()
            .cloned()
            .unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(named("Databricks_SDK>=0.44").name, "databricks-sdk");
        assert_eq!(named("databricks.ai...bridge").name, "databricks-ai-bridge");
        assert_eq!(
            normalize_name("MLflow_Skinny"),
            Some("mlflow-skinny".into())
        );
        assert_eq!(normalize_name("-bad"), None);
    }

    #[test]
    fn extras_and_markers() {
        let r = named("mlflow[databricks,genai] >= 2.22.1 ; python_version >= '3.10'");
        assert_eq!(r.name, "mlflow");
        assert_eq!(r.extras, vec!["databricks", "genai"]);
        assert_eq!(r.marker.as_deref(), Some("python_version >= '3.10'"));
        let VersionConstraint::Specifiers(s) = &r.versions else {
            panic!()
        };
        assert_eq!(s.to_string(), ">=2.22.1");
        assert_eq!(named("mlflow").marker, None);
    }

    #[test]
    fn urls_name_their_distribution_but_not_a_version() {
        let r =
            named("databricks-sdk @ https://example.com/databricks_sdk-0.50.0-py3-none-any.whl");
        assert_eq!(r.name, "databricks-sdk");
        assert!(matches!(r.versions, VersionConstraint::Url(_)));
        assert_eq!(
            admits_feature(
                &named("mlflow @ https://x/mlflow-2.0.whl"),
                Feature::AuthPolicy
            ),
            None
        );
    }

    #[test]
    fn local_paths_are_unnamed() {
        for text in [
            ".",
            "./dist/pkg",
            "../pkg",
            "/abs/pkg",
            "C:\\pkg",
            "pkg-1.0-py3-none-any.whl",
            "https://host/pkg.tar.gz",
            "git+https://github.com/o/r.git#egg=databricks-sdk",
        ] {
            assert_eq!(
                parse(text).kind,
                RequirementKind::Unnamed { editable: false },
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_requirements() {
        assert!(matches!(
            parse("mlflow>=>2").kind,
            RequirementKind::Invalid { .. }
        ));
        assert!(matches!(
            parse("mlflow==2.*.1").kind,
            RequirementKind::Invalid { .. }
        ));
    }

    #[test]
    fn names_pep508_rs_would_panic_on_are_invalid() {
        // Reproducer `pep508_invalid_name_panic`: pep508_rs 0.8.1 panics on these.
        for text in [
            "a-==1",
            "a-[x]",
            "a- >=1",
            "a_ ; python_version>'3'",
            "mlfl-",
            "a.",
            "a[x-]",
            "a[x, y_]>=1",
        ] {
            assert!(
                matches!(parse(text).kind, RequirementKind::Invalid { .. }),
                "{text}"
            );
        }
        assert!(provides(&[parse("a-==1")]).unknown);
        assert_eq!(named("a-b==1").name, "a-b");
        assert_eq!(named("a").name, "a");
        assert_eq!(named("a[x-y, z]").extras, vec!["x-y", "z"]);
    }

    #[test]
    fn provides_closes_over_the_table() {
        let reqs = [parse("databricks-langchain>=0.7"), parse("mlflow")];
        let p = provides(&reqs);
        assert!(p.contains("databricks-langchain"));
        assert!(p.contains("databricks-ai-bridge"));
        assert!(p.contains("databricks-sdk"));
        assert!(p.contains("mlflow"));
        assert!(!p.contains("databricks-openai"));
        assert!(!p.unknown);
        let p = provides(&[parse("databricks-mcp")]);
        assert!(p.contains("databricks-sdk"));
        assert!(!p.contains("databricks-ai-bridge"));
        let p = provides(&[parse("Databricks_OpenAI[memory]; python_version>'3.9'")]);
        assert!(p.contains("databricks-ai-bridge"));
        assert!(provides(&[parse("./wheels/x.whl")]).unknown);
        assert!(provides(&[parse("bad>=>1")]).unknown);
    }

    #[test]
    fn feature_minimums() {
        let check = |text: &str, f: Feature| admits_feature(&named(text), f);
        assert_eq!(check("mlflow==2.22.0", Feature::AuthPolicy), Some(false));
        assert_eq!(check("mlflow>=2.22.1", Feature::AuthPolicy), Some(true));
        assert_eq!(
            check("mlflow-skinny<2.21", Feature::AuthPolicy),
            Some(false)
        );
        assert_eq!(check("mlflow==2.22.0", Feature::ResponsesAgent), Some(true));
        assert_eq!(
            check("databricks-ai-bridge<0.6", Feature::BridgeUserCredentials),
            Some(false)
        );
        assert_eq!(
            check("databricks-sdk==0.44.0", Feature::SdkUserCredentials),
            Some(false)
        );
        assert_eq!(
            check("databricks-sdk~=0.44.0", Feature::SdkUserCredentials),
            Some(true)
        );
        assert_eq!(
            check(
                "databricks-langchain==0.6.*",
                Feature::ChatDatabricksWorkspaceClient
            ),
            Some(false)
        );
        assert_eq!(check("mlflow==3.0.0", Feature::ResourceApp), Some(false));
        assert_eq!(
            check("mlflow~=3.3.0", Feature::ResourceLakebase),
            Some(false)
        );
        assert_eq!(
            check("mlflow==3.15.0", Feature::ResourceUcModelService),
            Some(false)
        );
        assert_eq!(
            check("mlflow==3.17.2", Feature::ResourceUcModelService),
            Some(true)
        );
        assert_eq!(
            check("mlflow==2.19.0", Feature::OnBehalfOfUserKey),
            Some(false)
        );
        assert_eq!(check("mlflow", Feature::AuthPolicy), Some(true));
        // Another distribution: not this feature's business.
        assert_eq!(check("databricks-sdk==0.1", Feature::AuthPolicy), None);
    }

    #[test]
    fn ranges_are_kept() {
        let range = TextRange::new(TextSize::new(4), TextSize::new(10));
        assert_eq!(Requirement::parse(" mlflow ", range).range, range);
        assert_eq!(Requirement::parse(" mlflow ", range).text, "mlflow");
    }
}
