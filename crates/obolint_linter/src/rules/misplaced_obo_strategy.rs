//! OBO103 misplaced-obo-strategy.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label};
use obolint_macros::rule;
use obolint_python::known::KnownSymbol;

use crate::clients;
use ruff_python_ast::{ExprCall, Keyword};
use ruff_text_size::Ranged;

use crate::analysis::dataflow::{ClientValue, Dataflow, StrategyKind};
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
///   `GenieAgent`, `DatabricksMCPClient`): it is ignored or rejected;
/// - `WorkspaceClient`/`Config(credentials_strategy=<OBO strategy>, group_id=...)`: since
///   databricks-sdk 0.162.0 the strategy raises `ValueError` in Model Serving when a group is set
///   (group role assumption is not supported there).
///
/// In every case the object made does not act as the user.
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
/// strategy into a client (`workspace_client=WorkspaceClient(...)`), replacing a strategy object
/// by the vector search enum, and removing a keyword (`group_id=`, or the strategy given to
/// `DatabricksFunctionClient`, whose Unity Catalog functions cannot run as the user in Model
/// Serving) are only shown (display-only): they need an import or the author's look.
///
/// ## Known problems
/// The help fits the class: for a class Model Serving cannot reach as the user at all
/// (`DatabricksFunctionClient`), it does not advise a user client, which would then draw
/// OBO204. The keywords are those of databricks-sdk 0.162.0 and the libraries listed in
/// `docs/scopes.md`.
///
/// ## References
/// - [Databricks SDK for Python: authentication](https://databricks-sdk-py.readthedocs.io/en/latest/authentication.html)
/// - [databricks-sdk 0.162.0 (`ModelServingUserCredentials` and `group_id`)](https://pypi.org/project/databricks-sdk/0.162.0/)
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
        file: None,
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
        file: None,
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
        // Every finding is a call of a library symbol (the index lists them) given one of three
        // keywords; evaluating a keyword's value is the expensive part, so it comes last.
        for known in project.known_calls(file) {
            let (scope, call, symbol) = (known.scope, known.call, Symbol::Known(known.symbol));
            for keyword in &call.arguments.keywords {
                let Some(arg) = keyword.arg.as_ref().map(|a| a.as_str()) else {
                    continue;
                };
                if !matches!(
                    arg,
                    "credential_strategy" | "credentials_strategy" | "credentials_provider"
                ) {
                    continue;
                }
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
                            .map(|c| client_instead(call, keyword, c))
                    }
                    _ => None,
                };
                if let Some((message, label, fix)) = found {
                    // The class's own advice when it has one (`DatabricksFunctionClient`).
                    let help = match symbol {
                        Symbol::Known(known) => {
                            clients::of_symbol(known).and_then(|c| c.help.clone())
                        }
                        _ => None,
                    };
                    let mut diagnostic = Diagnostic::new(
                        info.meta,
                        info.severity,
                        message,
                        Label::new(id, keyword.range(), label),
                    )
                    .with_fix(fix);
                    if let Some(help) = help {
                        diagnostic = diagnostic.with_help(help);
                    }
                    ctx.report(diagnostic);
                }
            }
            // `WorkspaceClient(credentials_strategy=<OBO>, group_id=...)`: raises in serving.
            if matches!(
                symbol,
                Symbol::Known(KnownSymbol::WorkspaceClient | KnownSymbol::Config)
            ) && call.arguments.keywords.iter().any(|k| {
                k.arg.as_ref().is_some_and(|a| {
                    matches!(a.as_str(), "credentials_strategy" | "credentials_provider")
                }) && strategy_kind(dataflow, file, scope, k) == Some(StrategyKind::Credentials)
            }) {
                for conflict in clients::strategy_conflicts() {
                    let Some(keyword) = call.arguments.find_keyword(&conflict.keyword) else {
                        continue;
                    };
                    ctx.report(
                        Diagnostic::new(
                            info.meta,
                            info.severity,
                            format!(
                                "`{}` with an OBO strategy: {} ({})",
                                conflict.keyword, conflict.effect, conflict.since
                            ),
                            Label::new(id, keyword.range(), "raises in Model Serving"),
                        )
                        .with_help("build the user client without it: the caller's token already carries the caller's groups")
                        .with_fix(Some(remove_keyword(
                            call,
                            keyword,
                            format!("Remove `{}=`", conflict.keyword),
                        ))),
                    );
                }
            }
        }
    }
}

/// Display-only: the call without `keyword` (and the comma that joined it).
fn remove_keyword(call: &ExprCall, keyword: &Keyword, message: String) -> Fix {
    let mut arguments: Vec<ruff_text_size::TextRange> = call
        .arguments
        .args
        .iter()
        .map(Ranged::range)
        .chain(call.arguments.keywords.iter().map(Ranged::range))
        .collect();
    arguments.sort_by_key(|r| r.start());
    let at = arguments.iter().position(|r| *r == keyword.range());
    let range = match at {
        Some(i) if i > 0 => ruff_text_size::TextRange::new(arguments[i - 1].end(), keyword.end()),
        Some(i) if i + 1 < arguments.len() => {
            ruff_text_size::TextRange::new(keyword.start(), arguments[i + 1].start())
        }
        _ => keyword.range(),
    };
    Fix {
        message,
        applicability: Applicability::DisplayOnly,
        file: None,
        edits: vec![Edit {
            range,
            content: String::new(),
        }],
    }
}

fn client_instead(
    call: &ExprCall,
    keyword: &Keyword,
    class: &clients::ClientClass,
) -> (String, &'static str, Option<Fix>) {
    let (name, parameter) = (&class.class, &class.parameter);
    // A class Model Serving cannot reach as the user: a user client would only draw OBO204.
    if let clients::ClientScopes::Unsupported(reason) = &class.scopes {
        return (
            format!("`{name}` takes no credentials strategy: {reason}, so it runs as the deployer"),
            "ignored: it cannot act as the user here",
            Some(remove_keyword(
                call,
                keyword,
                format!(
                    "Remove `{}=`",
                    keyword.arg.as_ref().map_or("", |a| a.as_str())
                ),
            )),
        );
    }
    // Display-only: shown, never applied, so a name stands for itself and anything else for the
    // usual strategy object.
    let strategy = match &keyword.value {
        ruff_python_ast::Expr::Name(name) => name.id.to_string(),
        _ => "ModelServingUserCredentials()".to_string(),
    };
    (
        format!(
            "`{name}` takes the caller through `{parameter}=`, not a credentials strategy: it runs as the deployer"
        ),
        "ignored: not how this class takes the caller",
        Some(display_only(
            keyword,
            format!("Pass `{parameter}=WorkspaceClient(credentials_strategy=...)` instead"),
            format!("{parameter}=WorkspaceClient(credentials_strategy={strategy})"),
        )),
    )
}
