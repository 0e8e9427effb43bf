//! The dependency facts of OBO501 and OBO502, kept as data in `data/requirements.toml`: what a
//! distribution pulls in, which distribution provides an imported module, and the first release
//! with each OBO feature. Each row names its public sources (keys of `data/sources.toml`), so a
//! library release that changes them is a data change.

use std::sync::OnceLock;

use serde::Deserialize;

const REQUIREMENTS_TOML: &str = include_str!("../../data/requirements.toml");

/// A distribution and the distributions it is known to install with it (OBO501).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brings {
    pub distribution: String,
    pub brings: Vec<String>,
    pub source: String,
}

/// An importable module (and its submodules) and the distribution that provides it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleDistribution {
    pub module: String,
    pub distribution: String,
    pub source: String,
}

/// A feature a model may use that needs a minimum release (OBO502).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    /// `auth_policy=` on a log call, or `auth_policy:` in an MLmodel.
    AuthPolicy,
    /// `mlflow.pyfunc.ResponsesAgent`.
    ResponsesAgent,
    /// `ModelServingUserCredentials` from `databricks_ai_bridge`.
    BridgeUserCredentials,
    /// `ModelServingUserCredentials` from `databricks.sdk.credentials_provider`.
    SdkUserCredentials,
    /// `ChatDatabricks(workspace_client=...)`.
    ChatDatabricksWorkspaceClient,
    /// MLmodel resource type `app`.
    ResourceApp,
    /// MLmodel resource type `lakebase`.
    ResourceLakebase,
    /// MLmodel resource type `uc_model_service`.
    ResourceUcModelService,
    /// The `on_behalf_of_user` key of an MLmodel resource.
    OnBehalfOfUserKey,
    /// An import of `mlflow.genai.agent_server` (an agent served as a Databricks App).
    AgentServer,
}

impl Feature {
    pub const ALL: &[Feature] = &[
        Feature::AuthPolicy,
        Feature::ResponsesAgent,
        Feature::BridgeUserCredentials,
        Feature::SdkUserCredentials,
        Feature::ChatDatabricksWorkspaceClient,
        Feature::ResourceApp,
        Feature::ResourceLakebase,
        Feature::ResourceUcModelService,
        Feature::OnBehalfOfUserKey,
        Feature::AgentServer,
    ];
}

/// The first release that has a feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Minimum {
    /// This version and later.
    AtLeast(String),
    /// Some release after this version's release line; which one is unverified. A requirement
    /// is too old only when it admits nothing after it (PEP 440 `>`).
    After(String),
}

#[derive(Clone, Debug)]
pub struct FeatureMinimum {
    pub feature: Feature,
    /// How messages name it.
    pub name: String,
    /// The distributions that carry it; a requirement on any of them is checked.
    pub distributions: Vec<String>,
    pub minimum: Minimum,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFeature {
    feature: Feature,
    name: String,
    distributions: Vec<String>,
    at_least: Option<String>,
    after: Option<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTables {
    brings: Vec<Brings>,
    module: Vec<ModuleDistribution>,
    feature: Vec<RawFeature>,
}

pub struct Tables {
    pub brings: Vec<Brings>,
    pub modules: Vec<ModuleDistribution>,
    pub features: Vec<FeatureMinimum>,
}

fn parse(text: &str) -> Result<Tables, String> {
    let raw: RawTables = toml::from_str(text).map_err(|e| e.to_string())?;
    let features = raw
        .feature
        .into_iter()
        .map(|f| {
            let minimum = match (f.at_least, f.after) {
                (Some(v), None) => Minimum::AtLeast(v),
                (None, Some(v)) => Minimum::After(v),
                _ => return Err(format!("{}: one of `at-least` and `after`", f.name)),
            };
            Ok(FeatureMinimum {
                feature: f.feature,
                name: f.name,
                distributions: f.distributions,
                minimum,
                source: f.source,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Tables {
        brings: raw.brings,
        modules: raw.module,
        features,
    })
}

/// The tables, parsed once.
pub fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| match parse(REQUIREMENTS_TOML) {
        Ok(tables) => tables,
        // The file is compiled in and checked by the tests: this cannot happen in a release.
        Err(error) => panic!("data/requirements.toml: {error}"),
    })
}

/// The distribution that provides `module` (`databricks.sdk.credentials_provider` →
/// `databricks-sdk`), for the modules OBO501 checks; `None` for any other module.
pub fn distribution_for_module(module: &str) -> Option<&'static str> {
    tables()
        .modules
        .iter()
        .find(|row| {
            module == row.module
                || module
                    .strip_prefix(row.module.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|row| row.distribution.as_str())
}

impl Feature {
    pub fn minimum(self) -> &'static FeatureMinimum {
        tables()
            .features
            .iter()
            .find(|row| row.feature == self)
            .expect("every feature has a row (tested)")
    }
}

/// The dependency section of `docs/scopes.md`.
pub fn markdown() -> String {
    use std::fmt::Write as _;
    let t = tables();
    let mut out = String::from(
        "\n## Dependencies (OBO501, OBO502)\n\n\
         What each distribution installs with it (applied transitively), from its wheel:\n\n\
         | distribution | brings | source |\n|---|---|---|\n",
    );
    for b in &t.brings {
        let brings: Vec<String> = b.brings.iter().map(|d| format!("`{d}`")).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            b.distribution,
            brings.join(", "),
            b.source
        );
    }
    out.push_str(
        "\nThe distribution that provides each module the OBO code imports:\n\n\
         | module | distribution | source |\n|---|---|---|\n",
    );
    for m in &t.modules {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} |",
            m.module, m.distribution, m.source
        );
    }
    out.push_str(
        "\nThe first release with each feature:\n\n\
         | feature | distributions | first release | source |\n|---|---|---|---|\n",
    );
    for f in &t.features {
        let distributions: Vec<String> = f.distributions.iter().map(|d| format!("`{d}`")).collect();
        let minimum = match &f.minimum {
            Minimum::AtLeast(v) => v.clone(),
            Minimum::After(v) => format!("after {v}"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {minimum} | {} |",
            f.name,
            distributions.join(", "),
            f.source
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pep440_rs::Version;
    use std::str::FromStr;

    #[test]
    fn every_row_cites_a_public_source() {
        let t = tables();
        let rows = t
            .brings
            .iter()
            .map(|b| (format!("brings {}", b.distribution), &b.source))
            .chain(
                t.modules
                    .iter()
                    .map(|m| (format!("module {}", m.module), &m.source)),
            )
            .chain(t.features.iter().map(|f| (f.name.clone(), &f.source)));
        for (row, source) in rows {
            if let Err(e) = crate::sources::check_citation(&row, source) {
                panic!("data/requirements.toml: {e}");
            }
        }
    }

    #[test]
    fn broken_rows_are_refused() {
        let row = |extra: &str| {
            format!(
                "brings = []\nmodule = []\n[[feature]]\nfeature = \"agent-server\"\nname = \"n\"\ndistributions = []\nsource = \"MLFLOW\"\n{extra}"
            )
        };
        assert!(parse(&row("")).is_err(), "no minimum");
        assert!(
            parse(&row("at-least = \"1\"\nafter = \"1\"")).is_err(),
            "two"
        );
        assert!(parse(&row("at-least = \"1\"")).is_ok());
    }

    #[test]
    fn modules_map_to_distributions() {
        assert_eq!(
            distribution_for_module("databricks_ai_bridge"),
            Some("databricks-ai-bridge")
        );
        assert_eq!(
            distribution_for_module("databricks_ai_bridge.model_serving_obo_credential_strategy"),
            Some("databricks-ai-bridge")
        );
        assert_eq!(
            distribution_for_module("databricks.sdk.credentials_provider"),
            Some("databricks-sdk")
        );
        assert_eq!(
            distribution_for_module("databricks.vector_search.client"),
            Some("databricks-vectorsearch")
        );
        assert_eq!(
            distribution_for_module("databricks.ai_search.utils"),
            Some("databricks-ai-search")
        );
        assert_eq!(
            distribution_for_module("databricks_mcp"),
            Some("databricks-mcp")
        );
        assert_eq!(distribution_for_module("databricks"), None);
        assert_eq!(distribution_for_module("databricks.sdkx"), None);
        assert_eq!(distribution_for_module("mlflow"), None);
    }

    #[test]
    fn every_feature_has_one_row_with_a_valid_version() {
        assert_eq!(Feature::ALL.len(), tables().features.len());
        for &f in Feature::ALL {
            let (Minimum::AtLeast(v) | Minimum::After(v)) = &f.minimum().minimum;
            assert!(Version::from_str(v).is_ok(), "{f:?}");
        }
        let at_least = |v: &str| Minimum::AtLeast(v.to_string());
        assert_eq!(Feature::AuthPolicy.minimum().minimum, at_least("2.22.1"));
        assert_eq!(
            Feature::ResourceUcModelService.minimum().minimum,
            at_least("3.17.0")
        );
        assert_eq!(Feature::AgentServer.minimum().minimum, at_least("3.6.0"));
    }
}
