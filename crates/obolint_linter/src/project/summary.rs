//! What the project-wide analyses read of every file, owned: taken from the file's model when it
//! is built, so that finding a project's models, its load and request times and its apps reads
//! no file's syntax tree (only the files those analyses single out are read further).

use obolint_python::semantic::{BindingKind, ModuleModel, ScopeId, ScopeKind};
use ruff_text_size::{TextRange, TextSize};

/// One file's summary ([`FileSummary::of`]).
#[derive(Debug, Default)]
pub struct FileSummary {
    /// [`ModuleModel::imports_obo_names`].
    pub imports_obo_names: bool,
    /// [`ModuleModel::names_user_credentials`].
    pub names_user_credentials: bool,
    /// It imports the Agent Framework's server (`mlflow.genai.agent_server`) at its top level.
    pub imports_agent_server: bool,
    /// [`ModuleModel::main_guards`].
    pub main_guards: Box<[TextRange]>,
    /// Each function's own scope, by [`FunctionId`](obolint_python::semantic::FunctionId).
    pub function_scopes: Box<[ScopeId]>,
    /// Each class, by [`ClassId`](obolint_python::semantic::ClassId).
    pub classes: Box<[ClassSummary]>,
    /// The imports of versioned features, in the order of the scopes and their bindings.
    pub feature_imports: Box<[(FeatureImport, TextRange)]>,
    /// The absolute names of the modules it imports, anywhere in its code
    /// ([`imported_modules`](obolint_python::imports::imported_modules)).
    pub imported_modules: Box<[String]>,
}

#[derive(Clone, Copy, Debug)]
pub struct ClassSummary {
    /// The class body's scope.
    pub scope: ScopeId,
    /// Where its `class` statement starts (decorators aside).
    pub start: TextSize,
    /// Its body runs when the module is imported (a class at the top level, or in one).
    pub runs_at_import: bool,
}

/// An import that needs a version of a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureImport {
    /// `mlflow.genai.agent_server` or a module under it.
    AgentServer,
    /// `ModelServingUserCredentials` from `databricks_ai_bridge…`.
    BridgeUserCredentials,
    /// `ModelServingUserCredentials` from `databricks.sdk…`.
    SdkUserCredentials,
}

impl FileSummary {
    pub fn of(model: &ModuleModel<'_>) -> Self {
        let modules = obolint_python::imports::imported_modules(model.body, &model.package);
        Self::with_imported_modules(model, modules)
    }

    /// [`FileSummary::of`], given the modules the file imports (what
    /// [`imported_modules`](obolint_python::imports::imported_modules) gives), found already.
    pub fn with_imported_modules(model: &ModuleModel<'_>, modules: Vec<String>) -> Self {
        FileSummary {
            imports_obo_names: model.imports_obo_names,
            names_user_credentials: model.names_user_credentials,
            imports_agent_server: imports_agent_server(model),
            main_guards: model.main_guards.as_slice().into(),
            function_scopes: model.functions.iter().map(|f| f.scope).collect(),
            classes: model
                .classes
                .iter()
                .map(|info| ClassSummary {
                    scope: info.scope,
                    start: info.def.range.start(),
                    runs_at_import: runs_at_import(model, info.parent_scope),
                })
                .collect(),
            feature_imports: feature_imports(model).into_boxed_slice(),
            imported_modules: modules.into_boxed_slice(),
        }
    }
}

/// A scope that runs when its module is imported: the module, or class bodies nested only in
/// class bodies.
pub fn runs_at_import(model: &ModuleModel<'_>, mut scope: ScopeId) -> bool {
    loop {
        let s = model.scope(scope);
        match s.kind {
            ScopeKind::Module => return true,
            ScopeKind::Class(_) => match s.parent {
                Some(parent) => scope = parent,
                None => return false,
            },
            ScopeKind::Function(_) | ScopeKind::Lambda => return false,
        }
    }
}

/// The file imports the Agent Framework's server (`mlflow.genai.agent_server`) at its top level.
pub fn imports_agent_server(model: &ModuleModel<'_>) -> bool {
    let scope = model.scope(ModuleModel::MODULE_SCOPE);
    scope.bindings.values().flatten().any(|b| match &b.kind {
        BindingKind::Import { qualified } => qualified.starts_with("mlflow.genai.agent_server"),
        BindingKind::FromImport { module, .. } => module.starts_with("mlflow.genai.agent_server"),
        _ => false,
    }) || imports_mlflow_genai_agent_server(model)
}

/// `from mlflow.genai import agent_server`.
fn imports_mlflow_genai_agent_server(model: &ModuleModel<'_>) -> bool {
    let scope = model.scope(ModuleModel::MODULE_SCOPE);
    scope.bindings.values().flatten().any(|b| {
        matches!(&b.kind, BindingKind::FromImport { module, name, .. } if *module == "mlflow.genai" && *name == "agent_server")
    })
}

/// The imports of versioned features anywhere in the file: `mlflow.genai.agent_server` (or a
/// module under it) imported absolutely, and `ModelServingUserCredentials` imported from the
/// bridge or the SDK.
fn feature_imports(model: &ModuleModel<'_>) -> Vec<(FeatureImport, TextRange)> {
    let mut out = Vec::new();
    for scope in &model.scopes {
        for (name, bindings) in &scope.bindings {
            // `from mlflow.genai.agent_server import invoke`, `import mlflow.genai.agent_server`.
            for binding in bindings {
                let module = match &binding.kind {
                    BindingKind::FromImport {
                        level: 0, module, ..
                    } => *module,
                    BindingKind::Import { qualified } => qualified,
                    _ => continue,
                };
                let agent_server = "mlflow.genai.agent_server";
                if module == agent_server
                    || module
                        .strip_prefix(agent_server)
                        .is_some_and(|rest| rest.starts_with('.'))
                {
                    out.push((FeatureImport::AgentServer, binding.range));
                }
            }
            if *name != "ModelServingUserCredentials" {
                continue;
            }
            for binding in bindings {
                if let BindingKind::FromImport {
                    level: 0, module, ..
                } = &binding.kind
                {
                    let feature = if module.starts_with("databricks_ai_bridge") {
                        FeatureImport::BridgeUserCredentials
                    } else if module.starts_with("databricks.sdk") {
                        FeatureImport::SdkUserCredentials
                    } else {
                        continue;
                    };
                    out.push((feature, binding.range));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::{SourceKind, parse_source};

    #[test]
    fn a_summary_is_what_the_analyses_read_of_the_model() {
        let source = r#"
import mlflow.genai.agent_server.server as server
from databricks_ai_bridge import ModelServingUserCredentials
from pkg import tools


class Top:
    class Inner:
        pass

    def method(self):
        class Local:
            pass


def later():
    from mlflow.genai.agent_server import invoke
    from databricks.sdk.credentials_provider import ModelServingUserCredentials
    from elsewhere import ModelServingUserCredentials
    import mlflow.genai.agent_serverless


if __name__ == "__main__":
    later()
"#;
        let parsed = parse_source(source, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), vec!["pkg".to_string()]);
        let summary = FileSummary::of(&model);
        assert!(summary.imports_agent_server);
        assert!(
            summary.imports_obo_names,
            "`ModelServingUserCredentials` is a checked name"
        );
        assert_eq!(summary.main_guards.len(), 1);
        let runs: Vec<bool> = summary.classes.iter().map(|c| c.runs_at_import).collect();
        assert_eq!(runs, [true, true, false], "`Top`, `Top.Inner`, `Local`");
        for (class, info) in model.classes.iter().zip(&summary.classes) {
            assert_eq!(info.scope, class.scope);
            assert_eq!(info.start, class.def.range.start());
        }
        let scopes: Vec<ScopeId> = model.functions.iter().map(|f| f.scope).collect();
        assert_eq!(*summary.function_scopes, *scopes);
        let text = |range: TextRange| &source[usize::from(range.start())..usize::from(range.end())];
        let imports: Vec<(FeatureImport, &str)> = summary
            .feature_imports
            .iter()
            .map(|&(import, range)| (import, text(range)))
            .collect();
        assert_eq!(
            imports,
            [
                (FeatureImport::AgentServer, "server"),
                (
                    FeatureImport::BridgeUserCredentials,
                    "ModelServingUserCredentials"
                ),
                (FeatureImport::AgentServer, "invoke"),
                (
                    FeatureImport::SdkUserCredentials,
                    "ModelServingUserCredentials"
                ),
            ]
        );
        assert!(
            summary
                .imported_modules
                .iter()
                .any(|m| m == "pkg.tools" || m == "pkg")
        );
    }
}
