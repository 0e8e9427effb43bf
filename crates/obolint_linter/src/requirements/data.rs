//! The dependency facts of rules.md OBO5xx, as tables: what a distribution pulls in, which
//! distribution provides an imported module, and the first version with each OBO feature.
//! Each row names its source in the facts file. They are Rust tables, not a data file, because
//! users cannot extend them and each row is one line a reader audits here.

/// A distribution and the distributions it is known to install with it (OBO501).
pub struct Brings {
    pub distribution: &'static str,
    pub brings: &'static [&'static str],
}

/// rules.md OBO501; BRIDGE (the wheels' dependencies).
pub const BRINGS: &[Brings] = &[
    Brings {
        distribution: "databricks-langchain",
        brings: &["databricks-ai-bridge", "databricks-sdk"],
    },
    Brings {
        distribution: "databricks-openai",
        brings: &["databricks-ai-bridge", "databricks-sdk"],
    },
    Brings {
        distribution: "databricks-ai-bridge",
        brings: &["databricks-sdk"],
    },
    Brings {
        distribution: "databricks-mcp",
        brings: &["databricks-sdk"],
    },
];

/// An importable module (and its submodules) and the distribution that provides it.
pub struct ModuleDistribution {
    pub module: &'static str,
    pub distribution: &'static str,
}

/// rules.md OBO501; `databricks.ai_search`: obo-facts VS (the renamed client, which rules.md's
/// OBO strategy definition also imports from).
pub const MODULE_DISTRIBUTIONS: &[ModuleDistribution] = &[
    ModuleDistribution {
        module: "databricks_ai_bridge",
        distribution: "databricks-ai-bridge",
    },
    ModuleDistribution {
        module: "databricks.sdk",
        distribution: "databricks-sdk",
    },
    ModuleDistribution {
        module: "databricks_langchain",
        distribution: "databricks-langchain",
    },
    ModuleDistribution {
        module: "databricks_openai",
        distribution: "databricks-openai",
    },
    ModuleDistribution {
        module: "databricks_mcp",
        distribution: "databricks-mcp",
    },
    ModuleDistribution {
        module: "databricks.vector_search",
        distribution: "databricks-vectorsearch",
    },
    ModuleDistribution {
        module: "databricks.ai_search",
        distribution: "databricks-ai-search",
    },
];

/// The distribution that provides `module` (`databricks.sdk.credentials_provider` →
/// `databricks-sdk`), for the modules OBO501 checks; `None` for any other module.
pub fn distribution_for_module(module: &str) -> Option<&'static str> {
    MODULE_DISTRIBUTIONS
        .iter()
        .find(|row| {
            module == row.module
                || module
                    .strip_prefix(row.module)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|row| row.distribution)
}

/// A feature a model may use that needs a minimum release (OBO502).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

/// The first release that has a feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Minimum {
    /// This version and later.
    AtLeast(&'static str),
    /// Some release after this version's release line; which one is unverified. A requirement
    /// is too old only when it admits nothing after it (PEP 440 `>`).
    After(&'static str),
}

pub struct FeatureMinimum {
    pub feature: Feature,
    /// How messages name it.
    pub name: &'static str,
    /// The distributions that carry it; a requirement on any of them is checked.
    pub distributions: &'static [&'static str],
    pub minimum: Minimum,
}

/// `mlflow-skinny` carries the same `mlflow` package (obo-facts took every MLflow version from
/// the `mlflow-skinny` wheels), so its pins are checked too.
const MLFLOW: &[&str] = &["mlflow", "mlflow-skinny"];

pub const FEATURE_MINIMUMS: &[FeatureMinimum] = &[
    // obo-facts §2.1: the class shipped in 2.21.0; 2.22.1 is Databricks' documented minimum
    // (DOC-OBO), and rules.md asks for the documented one.
    FeatureMinimum {
        feature: Feature::AuthPolicy,
        name: "`auth_policy`",
        distributions: MLFLOW,
        minimum: Minimum::AtLeast("2.22.1"),
    },
    // obo-facts §2.4: absent in 2.21.3, present in 2.22.0.
    FeatureMinimum {
        feature: Feature::ResponsesAgent,
        name: "`ResponsesAgent`",
        distributions: MLFLOW,
        minimum: Minimum::AtLeast("2.22.0"),
    },
    // obo-facts §4.1: absent in 0.5.1, added in 0.6.0.
    FeatureMinimum {
        feature: Feature::BridgeUserCredentials,
        name: "`ModelServingUserCredentials` from `databricks_ai_bridge`",
        distributions: &["databricks-ai-bridge"],
        minimum: Minimum::AtLeast("0.6.0"),
    },
    // obo-facts §4.1: SDK CHANGELOG, 0.44.1.
    FeatureMinimum {
        feature: Feature::SdkUserCredentials,
        name: "`ModelServingUserCredentials` from `databricks.sdk.credentials_provider`",
        distributions: &["databricks-sdk"],
        minimum: Minimum::AtLeast("0.44.1"),
    },
    // obo-facts §4.3: absent in 0.6.0, added in 0.7.0.
    FeatureMinimum {
        feature: Feature::ChatDatabricksWorkspaceClient,
        name: "`ChatDatabricks(workspace_client=...)`",
        distributions: &["databricks-langchain"],
        minimum: Minimum::AtLeast("0.7.0"),
    },
    // obo-facts §1.2: absent in 3.0.0.
    FeatureMinimum {
        feature: Feature::ResourceApp,
        name: "resource type `app`",
        distributions: MLFLOW,
        minimum: Minimum::AtLeast("3.1.0"),
    },
    // obo-facts §1.2: absent in 3.3.0.
    FeatureMinimum {
        feature: Feature::ResourceLakebase,
        name: "resource type `lakebase`",
        distributions: MLFLOW,
        minimum: Minimum::AtLeast("3.4.0"),
    },
    // obo-facts §1.2: absent in 3.15.0, present in 3.17.2, 3.16.x not checked.
    FeatureMinimum {
        feature: Feature::ResourceUcModelService,
        name: "resource type `uc_model_service`",
        distributions: MLFLOW,
        minimum: Minimum::After("3.15.0"),
    },
    // obo-facts §1.2: absent in 2.19.0, present in 2.20.0.
    FeatureMinimum {
        feature: Feature::OnBehalfOfUserKey,
        name: "the `on_behalf_of_user` resource key",
        distributions: MLFLOW,
        minimum: Minimum::AtLeast("2.20.0"),
    },
];

impl Feature {
    pub fn minimum(self) -> &'static FeatureMinimum {
        FEATURE_MINIMUMS
            .iter()
            .find(|row| row.feature == self)
            .expect("every feature has a row (tested)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pep440_rs::Version;
    use std::str::FromStr;

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
        let features = [
            Feature::AuthPolicy,
            Feature::ResponsesAgent,
            Feature::BridgeUserCredentials,
            Feature::SdkUserCredentials,
            Feature::ChatDatabricksWorkspaceClient,
            Feature::ResourceApp,
            Feature::ResourceLakebase,
            Feature::ResourceUcModelService,
            Feature::OnBehalfOfUserKey,
        ];
        assert_eq!(features.len(), FEATURE_MINIMUMS.len());
        for f in features {
            let (Minimum::AtLeast(v) | Minimum::After(v)) = f.minimum().minimum;
            assert!(Version::from_str(v).is_ok(), "{f:?}");
        }
        assert_eq!(
            Feature::AuthPolicy.minimum().minimum,
            Minimum::AtLeast("2.22.1")
        );
        assert_eq!(
            Feature::ResourceUcModelService.minimum().minimum,
            Minimum::After("3.15.0")
        );
    }
}
