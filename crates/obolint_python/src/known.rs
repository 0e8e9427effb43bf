//! The Databricks and MLflow names obolint understands, as data: every import path under which a
//! library really exports them (and, for OBO strategies, the wrong paths seen in real code, which
//! still show the author's intent). Sources: the wheels of mlflow-skinny 3.18.0, databricks-sdk
//! 0.162.0, databricks-ai-bridge 0.22.0, databricks-langchain 0.22.0, databricks-openai 0.18.0 (their
//! `__all__` and module paths).

/// A library symbol a qualified name can resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KnownSymbol {
    /// `databricks.sdk.WorkspaceClient`
    WorkspaceClient,
    /// `databricks.sdk.core.Config` (also `databricks.sdk.config.Config`)
    Config,
    /// `databricks.vector_search.client.VectorSearchClient` (also the `ai_search` package)
    VectorSearchClient,
    /// `ModelServingUserCredentials`, from a real module or one that lacks it (OBO205 reports
    /// those; every other rule treats them as the author's OBO intent).
    ModelServingUserCredentials,
    /// `CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS` of the vector search packages.
    ModelServingUserCredentialsEnum,
    /// `databricks_langchain.GenieAgent`: a function that builds a `Genie` right away.
    GenieAgent,
    /// `databricks_ai_bridge.genie.Genie`
    Genie,
    /// An MLflow agent interface a model class derives from.
    AgentBase(AgentInterface),
    /// `mlflow.models.set_model`: the file is a models-from-code entry, executed at load.
    SetModel,
    /// A call that logs or saves a model (the rule catalogue "Log calls").
    LogModel(LogFlavor),
    /// `mlflow.models.auth_policy.UserAuthPolicy`
    UserAuthPolicy,
    /// `mlflow.models.auth_policy.AuthPolicy`
    AuthPolicy,
    /// `mlflow.models.auth_policy.SystemAuthPolicy`
    SystemAuthPolicy,
    /// A resource class of `mlflow.models.resources` (mlflow 3.18.0 `mlflow/models/resources.py`).
    Resource(ResourceKind),
    /// `functools.cache`, `functools.lru_cache`, `functools.cached_property`: results outlive
    /// the call that made them.
    CacheDecorator,
    /// `set_uc_function_client(...)`, `agents.set_default_openai_client(...)` (openai-agents,
    /// as Databricks' `agent-openai-agents-sdk` template calls it): a process-wide client for
    /// every later request.
    GlobalClientSetter,
    /// A library object that reaches a Databricks resource with the client it is given, or with
    /// the deployer's `WorkspaceClient()` when it gets none (the client catalogue of `obolint_linter`, `data/clients.toml`).
    ClientTaker(ClientTaker),
}

/// The resource types of `mlflow.models.resources` (mlflow 3.18.0 `mlflow/models/resources.py`): the Python class, the
/// key `MLmodel` files use, and the keyword that names the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    UcConnection,
    ServingEndpoint,
    VectorSearchIndex,
    SqlWarehouse,
    Function,
    GenieSpace,
    Table,
    App,
    Lakebase,
    UcModelService,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 10] = [
        ResourceKind::UcConnection,
        ResourceKind::ServingEndpoint,
        ResourceKind::VectorSearchIndex,
        ResourceKind::SqlWarehouse,
        ResourceKind::Function,
        ResourceKind::GenieSpace,
        ResourceKind::Table,
        ResourceKind::App,
        ResourceKind::Lakebase,
        ResourceKind::UcModelService,
    ];

    pub const fn class_name(self) -> &'static str {
        match self {
            ResourceKind::UcConnection => "DatabricksUCConnection",
            ResourceKind::ServingEndpoint => "DatabricksServingEndpoint",
            ResourceKind::VectorSearchIndex => "DatabricksVectorSearchIndex",
            ResourceKind::SqlWarehouse => "DatabricksSQLWarehouse",
            ResourceKind::Function => "DatabricksFunction",
            ResourceKind::GenieSpace => "DatabricksGenieSpace",
            ResourceKind::Table => "DatabricksTable",
            ResourceKind::App => "DatabricksApp",
            ResourceKind::Lakebase => "DatabricksLakebase",
            ResourceKind::UcModelService => "DatabricksUCModelService",
        }
    }

    /// The key under `databricks:` in an `MLmodel` or `resources.yaml`.
    pub const fn yaml_key(self) -> &'static str {
        match self {
            ResourceKind::UcConnection => "uc_connection",
            ResourceKind::ServingEndpoint => "serving_endpoint",
            ResourceKind::VectorSearchIndex => "vector_search_index",
            ResourceKind::SqlWarehouse => "sql_warehouse",
            ResourceKind::Function => "function",
            ResourceKind::GenieSpace => "genie_space",
            ResourceKind::Table => "table",
            ResourceKind::App => "app",
            ResourceKind::Lakebase => "lakebase",
            ResourceKind::UcModelService => "uc_model_service",
        }
    }

    /// The constructor's keyword for the resource's name.
    pub const fn name_keyword(self) -> &'static str {
        match self {
            ResourceKind::UcConnection => "connection_name",
            ResourceKind::ServingEndpoint => "endpoint_name",
            ResourceKind::VectorSearchIndex => "index_name",
            ResourceKind::SqlWarehouse => "warehouse_id",
            ResourceKind::Function => "function_name",
            ResourceKind::GenieSpace => "genie_space_id",
            ResourceKind::Table => "table_name",
            ResourceKind::App => "app_name",
            ResourceKind::Lakebase => "database_instance_name",
            ResourceKind::UcModelService => "model_service_name",
        }
    }

    pub fn from_yaml_key(key: &str) -> Option<ResourceKind> {
        Self::ALL.into_iter().find(|k| k.yaml_key() == key)
    }

    pub fn from_class_name(name: &str) -> Option<ResourceKind> {
        Self::ALL.into_iter().find(|k| k.class_name() == name)
    }
}

/// A client class that is not one of the symbols the dataflow itself knows: an index into the
/// linter's catalogue of client classes (`obolint_linter/data/clients.toml`), which holds
/// everything about it (paths, parameter, scopes, rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTaker(pub u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogFlavor {
    Pyfunc,
    PyfuncSave,
    Langchain,
    Openai,
    LlamaIndex,
    Dspy,
    ModelLog,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgentInterface {
    PythonModel,
    ChatModel,
    ChatAgent,
    ResponsesAgent,
}

impl KnownSymbol {
    /// The name users write, for messages.
    pub const fn display_name(self) -> &'static str {
        match self {
            KnownSymbol::WorkspaceClient => "WorkspaceClient",
            KnownSymbol::Config => "Config",
            KnownSymbol::VectorSearchClient => "VectorSearchClient",
            KnownSymbol::ModelServingUserCredentials => "ModelServingUserCredentials",
            KnownSymbol::ModelServingUserCredentialsEnum => {
                "CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS"
            }
            KnownSymbol::GenieAgent => "GenieAgent",
            KnownSymbol::Genie => "Genie",
            KnownSymbol::AgentBase(AgentInterface::PythonModel) => "PythonModel",
            KnownSymbol::AgentBase(AgentInterface::ChatModel) => "ChatModel",
            KnownSymbol::AgentBase(AgentInterface::ChatAgent) => "ChatAgent",
            KnownSymbol::AgentBase(AgentInterface::ResponsesAgent) => "ResponsesAgent",
            KnownSymbol::SetModel => "set_model",
            KnownSymbol::LogModel(LogFlavor::PyfuncSave) => "save_model",
            KnownSymbol::LogModel(LogFlavor::ModelLog) => "Model.log",
            KnownSymbol::LogModel(_) => "log_model",
            KnownSymbol::UserAuthPolicy => "UserAuthPolicy",
            KnownSymbol::AuthPolicy => "AuthPolicy",
            KnownSymbol::SystemAuthPolicy => "SystemAuthPolicy",
            KnownSymbol::Resource(kind) => kind.class_name(),
            // Its name is in the client catalogue; messages read it there.
            KnownSymbol::ClientTaker(_) => "client class",
            KnownSymbol::CacheDecorator => "functools.cache",
            KnownSymbol::GlobalClientSetter => "set_uc_function_client",
        }
    }
}

/// Resolves a fully qualified name (`databricks.sdk.WorkspaceClient`) to the symbol it names.
/// Client classes (`GenieAgent`, `VectorSearchClient`, the MCP clients...) are resolved by the
/// linter's catalogue of client classes first.
pub fn known_symbol(qualified: &str) -> Option<KnownSymbol> {
    use AgentInterface::*;
    use KnownSymbol::*;
    let symbol = match qualified {
        "databricks.sdk.WorkspaceClient" => WorkspaceClient,
        "databricks.sdk.core.Config" | "databricks.sdk.config.Config" | "databricks.sdk.Config" => {
            Config
        }
        "databricks.vector_search.utils.CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS"
        | "databricks.ai_search.utils.CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS" => {
            ModelServingUserCredentialsEnum
        }
        "mlflow.pyfunc.PythonModel" | "mlflow.pyfunc.model.PythonModel" => AgentBase(PythonModel),
        "mlflow.pyfunc.ChatModel" | "mlflow.pyfunc.model.ChatModel" => AgentBase(ChatModel),
        "mlflow.pyfunc.ChatAgent" | "mlflow.pyfunc.model.ChatAgent" => AgentBase(ChatAgent),
        "mlflow.pyfunc.ResponsesAgent" | "mlflow.pyfunc.model.ResponsesAgent" => {
            AgentBase(ResponsesAgent)
        }
        "mlflow.models.set_model" | "mlflow.models.model.set_model" => SetModel,
        "mlflow.pyfunc.log_model" => LogModel(LogFlavor::Pyfunc),
        "mlflow.pyfunc.save_model" => LogModel(LogFlavor::PyfuncSave),
        "mlflow.langchain.log_model" => LogModel(LogFlavor::Langchain),
        "mlflow.openai.log_model" => LogModel(LogFlavor::Openai),
        "mlflow.llama_index.log_model" => LogModel(LogFlavor::LlamaIndex),
        "mlflow.dspy.log_model" => LogModel(LogFlavor::Dspy),
        "mlflow.models.Model.log" | "mlflow.models.model.Model.log" | "mlflow.Model.log" => {
            LogModel(LogFlavor::ModelLog)
        }
        "mlflow.models.auth_policy.UserAuthPolicy" | "mlflow.models.UserAuthPolicy" => {
            UserAuthPolicy
        }
        "mlflow.models.auth_policy.AuthPolicy" | "mlflow.models.AuthPolicy" => AuthPolicy,
        "mlflow.models.auth_policy.SystemAuthPolicy" | "mlflow.models.SystemAuthPolicy" => {
            SystemAuthPolicy
        }
        other if other.starts_with("mlflow.models.resources.") => {
            let class = &other["mlflow.models.resources.".len()..];
            Resource(ResourceKind::from_class_name(class)?)
        }
        "functools.cache" | "functools.lru_cache" | "functools.cached_property" => CacheDecorator,
        "databricks_langchain.set_uc_function_client"
        | "databricks_openai.set_uc_function_client"
        | "unitycatalog.ai.core.base.set_uc_function_client"
        | "agents.set_default_openai_client" => GlobalClientSetter,
        _ => return obo_strategy_by_intent(qualified),
    };
    Some(symbol)
}

/// `ModelServingUserCredentials` under any `databricks*` module (the three real ones and the
/// wrong ones seen in real code, such as `databricks.sdk.oauth`), and
/// `databricks_ai_bridge.UserCredentials`.
fn obo_strategy_by_intent(qualified: &str) -> Option<KnownSymbol> {
    let (module, name) = qualified.rsplit_once('.')?;
    let databricks_module = module.starts_with("databricks");
    let obo = (name == "ModelServingUserCredentials" && databricks_module)
        || qualified == "databricks_ai_bridge.UserCredentials";
    obo.then_some(KnownSymbol::ModelServingUserCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_real_and_intended_paths() {
        assert_eq!(
            known_symbol("databricks.sdk.WorkspaceClient"),
            Some(KnownSymbol::WorkspaceClient)
        );
        for path in [
            "databricks_ai_bridge.ModelServingUserCredentials",
            "databricks_ai_bridge.model_serving_obo_credential_strategy.ModelServingUserCredentials",
            "databricks.sdk.credentials_provider.ModelServingUserCredentials",
            "databricks.sdk.oauth.ModelServingUserCredentials",
        ] {
            assert_eq!(
                known_symbol(path),
                Some(KnownSymbol::ModelServingUserCredentials),
                "{path}"
            );
        }
        assert_eq!(known_symbol("myproject.ModelServingUserCredentials"), None);
        assert_eq!(
            known_symbol("databricks_ai_bridge.UserCredentials"),
            Some(KnownSymbol::ModelServingUserCredentials)
        );
        assert_eq!(known_symbol("databricks_openai.GenieAgent"), None);
        // Client classes are the linter's catalogue (`obolint_linter::clients`), not known here.
        assert_eq!(known_symbol("databricks_mcp.DatabricksMCPClient"), None);
    }

    /// Whatever qualified name resolves to the OBO strategy or the vector search enum member
    /// ends in one of `USER_CREDENTIAL_NAMES` (a project that names none of them skips the rules
    /// about user credentials): every identifier of this file, under many module paths, is
    /// tried.
    #[test]
    fn every_user_credential_name_is_listed() {
        use crate::semantic::USER_CREDENTIAL_NAMES;
        let source = include_str!("known.rs");
        let mut words: Vec<&str> = source
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        words.sort_unstable();
        words.dedup();
        let modules = [
            "databricks",
            "databricks.sdk",
            "databricks.sdk.credentials_provider",
            "databricks.sdk.oauth",
            "databricks_ai_bridge",
            "databricks_ai_bridge.model_serving_obo_credential_strategy",
            "databricks.vector_search.utils.CredentialStrategy",
            "databricks.ai_search.utils.CredentialStrategy",
            "databricks_langchain",
            "mlflow",
            "other",
        ];
        let mut found: Vec<&str> = Vec::new();
        for module in modules {
            for word in &words {
                let qualified = format!("{module}.{word}");
                if matches!(
                    known_symbol(&qualified),
                    Some(
                        KnownSymbol::ModelServingUserCredentials
                            | KnownSymbol::ModelServingUserCredentialsEnum
                    )
                ) {
                    found.push(word);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        let mut listed = USER_CREDENTIAL_NAMES.to_vec();
        listed.sort_unstable();
        // Every name that resolves is listed, and every listed name still resolves.
        assert_eq!(found, listed);
        // Both kinds, under their real modules.
        assert_eq!(
            known_symbol(
                "databricks.vector_search.utils.CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS"
            ),
            Some(KnownSymbol::ModelServingUserCredentialsEnum)
        );
    }
}
