//! OBO103 misplaced-obo-strategy.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label};
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;

use crate::clients;
use ruff_python_ast::Keyword;
use ruff_text_size::Ranged;

use crate::analysis::dataflow::{ClientValue, Dataflow, StrategyKind};
use crate::project::all_calls;
use crate::project::{FileIdx, Symbol};

/// ## What it does
/// Reports an OBO strategy given where it does not set the identity:
/// - a misspelt keyword: `WorkspaceClient(credential_strategy=...)` (a `TypeError`),
///   `Config(credential_strategy=...)` (silently ignored: the client runs as the deployer),
///   `VectorSearchClient(credentials_strategy=...)`;
/// - a `ModelServingUserCredentials()` instance given to `VectorSearchClient`, which takes the
///   `CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS` enum instead;
/// - `credentials_strategy=`/`credentials_provider=` given to a class that takes the caller
///   through a client (`ChatDatabricks`, `DatabricksFunctionClient`, `VectorSearchRetrieverTool`,
///   `GenieAgent`, `DatabricksMCPClient`): it is ignored or rejected.
///
/// In every case the object made is not a user client.
///
/// ## Why is this bad?
/// The author meant the object to act as the end user, and it does not: it fails at request time
/// or, worse, silently runs with the deployer's identity.
///
/// ## Example
/// ```python
/// config = Config(credential_strategy=ModelServingUserCredentials())
/// llm = ChatDatabricks(endpoint="databricks-claude-sonnet-4", credentials_strategy=ModelServingUserCredentials())
/// ```
///
/// Use instead:
/// ```python
/// config = Config(credentials_strategy=ModelServingUserCredentials())
/// llm = ChatDatabricks(
///     endpoint="databricks-claude-sonnet-4",
///     workspace_client=WorkspaceClient(credentials_strategy=ModelServingUserCredentials()),
/// )
/// ```
///
/// ## Fix safety
/// Renaming a misspelt keyword is safe: it is what the author wrote, spelt right. Moving a
/// strategy into a client (`workspace_client=WorkspaceClient(...)`) or replacing a strategy object
/// by the vector search enum is only shown (display-only): it needs an import and the author's
/// look.
///
/// ## References
/// - [Databricks SDK for Python: authentication](https://databricks-sdk-py.readthedocs.io/en/latest/authentication.html)
#[rule(
    code = "OBO103",
    name = "misplaced-obo-strategy",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "mixed"
)]
pub struct MisplacedOboStrategy;

fn strategy_kind(
    dataflow: &Dataflow<'_, '_>,
    file: FileIdx,
    scope: obolint_python::semantic::ScopeId,
    keyword: &Keyword,
) -> Option<StrategyKind> {
    match dataflow.eval(file, scope, &keyword.value) {
        ClientValue::Strategy { kind, .. } => Some(kind),
        _ => None,
    }
}

fn rename(keyword: &Keyword, to: &str) -> Option<Fix> {
    let arg = keyword.arg.as_ref()?;
    Some(Fix {
        message: format!("Rename to `{to}`"),
        applicability: Applicability::Safe,
        edits: vec![Edit {
            range: arg.range(),
            content: to.to_string(),
        }],
    })
}

fn display_only(keyword: &Keyword, message: String, content: String) -> Fix {
    Fix {
        message,
        applicability: Applicability::DisplayOnly,
        edits: vec![Edit {
            range: keyword.range(),
            content,
        }],
    }
}

impl Check for MisplacedOboStrategy {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, dataflow, file) = (ctx.project, ctx.dataflow, ctx.file);

        let id = project.file(file).id;
        let info = &MisplacedOboStrategy::INFO;
        for (scope, call) in all_calls(project.model(file)) {
            let symbol = dataflow.symbol(file, scope, &call.func);
            for keyword in &call.arguments.keywords {
                let Some(arg) = keyword.arg.as_ref().map(|a| a.as_str()) else {
                    continue;
                };
                let Some(kind) = strategy_kind(dataflow, file, scope, keyword) else {
                    continue;
                };
                let found = match (symbol, arg) {
                    (Symbol::Known(k @ (KnownSymbol::WorkspaceClient | KnownSymbol::Config)), "credential_strategy")
                        if kind == StrategyKind::Credentials =>
                    {
                        let effect = if k == KnownSymbol::Config {
                            "`Config` silently ignores it, so the client runs as the deployer"
                        } else {
                            "`WorkspaceClient` raises `TypeError` on it"
                        };
                        Some((format!("misspelt keyword `credential_strategy`: {effect}"), "did you mean `credentials_strategy`?", rename(keyword, "credentials_strategy")))
                    }
                    (Symbol::Known(KnownSymbol::VectorSearchClient), "credentials_strategy") if kind == StrategyKind::VectorSearchEnum => Some((
                        "`VectorSearchClient` takes `credential_strategy`, not `credentials_strategy`".to_string(),
                        "did you mean `credential_strategy`?",
                        rename(keyword, "credential_strategy"),
                    )),
                    (Symbol::Known(KnownSymbol::VectorSearchClient), "credentials_strategy" | "credential_strategy")
                        if kind == StrategyKind::Credentials =>
                    {
                        Some((
                            "`VectorSearchClient` takes the `CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS` enum, not a `ModelServingUserCredentials()` object".to_string(),
                            "not a vector search credential strategy",
                            Some(display_only(
                                keyword,
                                "Use `credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS`".to_string(),
                                "credential_strategy=CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS".to_string(),
                            )),
                        ))
                    }
                    (Symbol::Known(known), "credentials_strategy" | "credentials_provider") => {
                        clients::of_symbol(known)
                            .filter(|c| c.rejects_strategy)
                            .map(|c| client_instead(keyword, &c.class, &c.parameter))
                    }
                    _ => None,
                };
                if let Some((message, label, fix)) = found {
                    ctx.report(
                        Diagnostic::new(
                            info.meta,
                            info.severity,
                            message,
                            Label::new(id, keyword.range(), label),
                        )
                        .with_fix(fix),
                    );
                }
            }
        }
    }
}

fn client_instead(
    keyword: &Keyword,
    class: &str,
    parameter: &str,
) -> (String, &'static str, Option<Fix>) {
    // Display-only: shown, never applied, so a name stands for itself and anything else for the
    // usual strategy object.
    let strategy = match &keyword.value {
        ruff_python_ast::Expr::Name(name) => name.id.to_string(),
        _ => "ModelServingUserCredentials()".to_string(),
    };
    (
        format!(
            "`{class}` takes the caller through `{parameter}=`, not a credentials strategy: it runs as the deployer"
        ),
        "ignored: not how this class takes the caller",
        Some(display_only(
            keyword,
            format!("Pass `{parameter}=WorkspaceClient(credentials_strategy=...)` instead"),
            format!("{parameter}=WorkspaceClient(credentials_strategy={strategy})"),
        )),
    )
}
