//! OBO205 nonexistent-obo-import.

use crate::context::{Check, FileContext, Grain};
use obolint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label};
use obolint_macros::rule;
use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
use ruff_python_ast::{Alias, Expr, Stmt, StmtImportFrom};
use ruff_text_size::Ranged;

/// ## What it does
/// Reports an OBO name imported from where no release provides it: `GenieAgent` from
/// `databricks_openai` (listed in the docs, never shipped), `ModelServingUserCredentials` from
/// any module but `databricks_ai_bridge`,
/// `databricks_ai_bridge.model_serving_obo_credential_strategy` and
/// `databricks.sdk.credentials_provider` (seen in real code: `databricks.sdk.oauth`,
/// `databricks_ai_bridge.utils.credentials`), and `databricks_ai_bridge.UserCredentials`.
///
/// ## Why is this bad?
/// The import fails on every start. Inside `try`/`except ImportError` it fails silently, the
/// fallback runs every time, and an agent whose fallback builds a plain client runs as the
/// deployer without anyone noticing.
///
/// ## Example
/// ```python
/// from databricks.sdk.oauth import ModelServingUserCredentials
/// ```
///
/// Use instead:
/// ```python
/// from databricks_ai_bridge import ModelServingUserCredentials
/// ```
///
/// ## Known problems
/// Only `import` statements are checked, not attribute chains on an imported module.
///
/// ## References
/// - [databricks-ai-bridge](https://pypi.org/project/databricks-ai-bridge/)
#[rule(
    code = "OBO205",
    name = "nonexistent-obo-import",
    severity = "error",
    default = true,
    fix = "sometimes",
    fix_safety = "safe"
)]
pub struct NonexistentOboImport;

const REAL_CREDENTIAL_MODULES: &[&str] = &[
    "databricks_ai_bridge",
    "databricks_ai_bridge.model_serving_obo_credential_strategy",
    "databricks.sdk.credentials_provider",
];

impl Check for NonexistentOboImport {
    const GRAIN: Grain = Grain::File;

    fn check_file(&self, ctx: &FileContext<'_, '_>) {
        let (project, file) = (ctx.project, ctx.file);
        // The semantic model saw every `from … import` while it was built.
        if !project.summary(file).imports_obo_names {
            return;
        }

        let mut finder = Finder {
            imports: Vec::new(),
            guarded: 0,
        };
        finder.visit_body(project.model(file).body);
        let id = project.file(file).id;
        let info = &NonexistentOboImport::INFO;
        for (import, alias, guarded) in finder.imports {
            let Some(module) = import.module.as_ref().map(|m| m.as_str()) else {
                continue;
            };
            if import.level > 0 {
                continue;
            }
            let name = alias.name.as_str();
            let single = import.names.len() == 1;
            let (problem, fix) = if name == "GenieAgent"
                && (module == "databricks_openai" || module.starts_with("databricks_openai."))
            {
                (
                    format!("`{module}` has no `GenieAgent` (no release ever shipped one)"),
                    single.then(|| rewrite_module(import, "databricks_langchain")),
                )
            } else if name == "ModelServingUserCredentials"
                && module.starts_with("databricks")
                && !REAL_CREDENTIAL_MODULES.contains(&module)
            {
                (
                    format!("`{module}` has no `ModelServingUserCredentials`"),
                    single.then(|| rewrite_module(import, "databricks_ai_bridge")),
                )
            } else if name == "UserCredentials" && module == "databricks_ai_bridge" {
                let replacement = match &alias.asname {
                    Some(_) => "ModelServingUserCredentials".to_string(),
                    None => "ModelServingUserCredentials as UserCredentials".to_string(),
                };
                (
                    "`databricks_ai_bridge` has no `UserCredentials` (the class is `ModelServingUserCredentials`)".to_string(),
                    Some(Fix {
                        message: "Import `ModelServingUserCredentials`".to_string(),
                        applicability: Applicability::Safe,
                        file: None,
                        edits: vec![Edit { range: alias.name.range(), content: replacement }],
                    }),
                )
            } else {
                continue;
            };
            let message = if guarded {
                format!(
                    "{problem}, so its `except ImportError` fallback runs on every start and the agent may silently run as the deployer"
                )
            } else {
                format!("{problem}, so this import fails on every start")
            };
            ctx.report(
                Diagnostic::new(
                    info.meta,
                    info.severity,
                    message,
                    Label::new(id, alias.name.range(), "no release provides this here"),
                )
                .with_fix(fix),
            );
        }
    }
}

fn rewrite_module(import: &StmtImportFrom, to: &str) -> Fix {
    let range = import.module.as_ref().map_or(import.range(), Ranged::range);
    Fix {
        message: format!("Import it from `{to}`"),
        applicability: Applicability::Safe,
        file: None,
        edits: vec![Edit {
            range,
            content: to.to_string(),
        }],
    }
}

/// Every `from ... import` with whether a `try` that catches `ImportError` surrounds it.
struct Finder<'a> {
    imports: Vec<(&'a StmtImportFrom, &'a Alias, bool)>,
    guarded: u32,
}

fn catches_import_error(handler_type: Option<&Expr>) -> bool {
    let Some(expr) = handler_type else {
        return true;
    };
    let names: Vec<&Expr> = match expr {
        Expr::Tuple(tuple) => tuple.elts.iter().collect(),
        other => vec![other],
    };
    names.iter().any(|e| {
        let name = match e {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => "",
        };
        matches!(
            name,
            "ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException"
        )
    })
}

impl<'a> StatementVisitor<'a> for Finder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    self.imports.push((import, alias, self.guarded > 0));
                }
            }
            Stmt::Try(try_stmt) => {
                let guards = try_stmt.handlers.iter().any(|h| {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                    catches_import_error(h.type_.as_deref())
                });
                if guards {
                    self.guarded += 1;
                }
                self.visit_body(&try_stmt.body);
                if guards {
                    self.guarded -= 1;
                }
                for handler in &try_stmt.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                    self.visit_body(&h.body);
                }
                self.visit_body(&try_stmt.orelse);
                self.visit_body(&try_stmt.finalbody);
            }
            _ => walk_stmt(self, stmt),
        }
    }
}
