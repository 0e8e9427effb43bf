//! Load time and request time (the rule catalogue "Load time", "Request time"): the roots, the calls
//! between project functions, and which functions each kind of root reaches.

use obolint_python::semantic::{ModuleModel, ScopeId, ScopeKind};
use rustc_hash::{FxHashMap, FxHashSet};

use super::models::Models;
use crate::project::{ClassRef, FileIdx, FnRef, Project, Symbol};

/// When a function's code runs, as far as calls the analyzer can resolve tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallTime {
    /// Reached from a load-time root (also when request code reaches it too).
    Load,
    /// Reached only from request methods.
    Request,
    /// Reached from neither: a tool function handed to a framework, dead code, code outside
    /// every model.
    Unreached,
}

/// A scope whose code runs when the model loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoadRoot {
    pub file: FileIdx,
    pub scope: ScopeId,
    pub kind: LoadRootKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadRootKind {
    /// A model file's top level (a models-from-code file is executed when the model loads).
    Module,
    /// A class body at a model file's top level.
    ClassBody,
    /// `__init__` of an agent class.
    Init,
    /// `load_context` of an agent class.
    LoadContext,
}

#[derive(Debug, Default)]
pub struct TimeModel {
    pub load_roots: Vec<LoadRoot>,
    /// Functions that are load roots themselves (`__init__`, `load_context` of agents).
    pub root_functions: FxHashSet<FnRef>,
    pub request_roots: Vec<FnRef>,
    times: FxHashMap<FnRef, CallTime>,
}

impl TimeModel {
    pub fn build(project: &Project<'_>, models: &Models) -> Self {
        let mut time = TimeModel::default();
        for file in project.file_indices() {
            if !models.is_model_code(file) {
                continue;
            }
            let model = project.model(file);
            time.load_roots.push(LoadRoot {
                file,
                scope: ModuleModel::MODULE_SCOPE,
                kind: LoadRootKind::Module,
            });
            for class in model.class_ids() {
                let info = model.class(class);
                if runs_at_import(model, info.parent_scope) {
                    time.load_roots.push(LoadRoot {
                        file,
                        scope: info.scope,
                        kind: LoadRootKind::ClassBody,
                    });
                }
                if project.agent_interface(ClassRef { file, class }).is_none() {
                    continue;
                }
                for (&name, &func) in &info.methods {
                    let fn_ref = FnRef { file, func };
                    let kind = match name {
                        "__init__" => Some(LoadRootKind::Init),
                        "load_context" => Some(LoadRootKind::LoadContext),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        time.root_functions.insert(fn_ref);
                        time.load_roots.push(LoadRoot {
                            file,
                            scope: model.function(func).scope,
                            kind,
                        });
                    } else if project.settings.is_request_method(name) {
                        time.request_roots.push(fn_ref);
                    }
                }
            }
        }
        time.load_roots.sort_by_key(|r| (r.file, r.scope));
        time.request_roots.sort();

        let load_reached = reach(project, time.load_roots.iter().map(|r| (r.file, r.scope)));
        let request_reached = reach(
            project,
            time.request_roots
                .iter()
                .map(|f| (f.file, project.model(f.file).function(f.func).scope)),
        );
        for &f in request_reached.iter().chain(&time.request_roots) {
            time.times.insert(f, CallTime::Request);
        }
        for &f in &load_reached {
            time.times.insert(f, CallTime::Load);
        }
        for root in &time.root_functions {
            time.times.insert(*root, CallTime::Load);
        }
        time
    }

    pub fn time_of(&self, function: FnRef) -> CallTime {
        self.times
            .get(&function)
            .copied()
            .unwrap_or(CallTime::Unreached)
    }
}

/// A scope that runs when its module is imported: the module, or class bodies nested only in
/// class bodies.
fn runs_at_import(model: &ModuleModel<'_>, mut scope: ScopeId) -> bool {
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

/// The project function a call runs: a function, a method, or a class's `__init__`.
pub fn called_function(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    callee: &ruff_python_ast::Expr,
) -> Option<FnRef> {
    match project.symbol(file, scope, callee) {
        Symbol::Function(f) => Some(f),
        Symbol::Class(class) => project.find_method(class, "__init__"),
        _ => None,
    }
}

/// Every project function reached from the given scopes through resolvable calls.
fn reach(
    project: &Project<'_>,
    starts: impl Iterator<Item = (FileIdx, ScopeId)>,
) -> FxHashSet<FnRef> {
    let mut reached: FxHashSet<FnRef> = FxHashSet::default();
    let mut stack: Vec<(FileIdx, ScopeId)> = starts.collect();
    while let Some((file, scope)) = stack.pop() {
        let model = project.model(file);
        for call in &model.scope(scope).calls {
            if let Some(f) = called_function(project, file, scope, &call.func)
                && reached.insert(f)
            {
                stack.push((f.file, project.model(f.file).function(f.func).scope));
            }
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use obolint_diagnostics::FileId;
    use obolint_python::semantic::ModuleModel;
    use obolint_python::{SourceKind, parse_source};

    use super::*;
    use crate::project::ProjectFile;
    use crate::settings::Settings;

    const AGENT: &str = r#"
import mlflow
from mlflow.pyfunc import ResponsesAgent

def shared():
    pass

def only_request():
    pass

def never():
    pass

class Agent(ResponsesAgent):
    def __init__(self):
        self.x = shared()
        def closure():
            never()

    def load_context(self, context):
        pass

    def helper(self):
        only_request()
        shared()

    def predict(self, request):
        self.helper()

    def handle(self, request):
        pass

mlflow.models.set_model(Agent())
"#;

    #[test]
    fn classifies_load_and_request_time() {
        let parsed = parse_source(AGENT, SourceKind::Python);
        let files = vec![ProjectFile {
            id: FileId(0),
            path: PathBuf::from("/p/agent.py"),
            model: ModuleModel::build(parsed.body(), Vec::new()),
            written_by: None,
        }];
        let settings = Settings {
            request_methods: vec!["handle".into()],
            ..Settings::default()
        };
        let project = Project::new(PathBuf::from("/p"), files, &settings);
        let models = Models::build(&project);
        let time = TimeModel::build(&project, &models);
        let model = project.model(FileIdx(0));
        let time_of = |name: &str| {
            let func = model
                .function_ids()
                .find(|&f| model.function(f).name == name)
                .expect(name);
            time.time_of(FnRef {
                file: FileIdx(0),
                func,
            })
        };
        assert_eq!(
            time_of("shared"),
            CallTime::Load,
            "reached from both is load time"
        );
        assert_eq!(time_of("__init__"), CallTime::Load);
        assert_eq!(time_of("load_context"), CallTime::Load);
        assert_eq!(time_of("only_request"), CallTime::Request);
        assert_eq!(time_of("helper"), CallTime::Request);
        assert_eq!(time_of("predict"), CallTime::Request);
        assert_eq!(
            time_of("handle"),
            CallTime::Request,
            "configured request methods"
        );
        assert_eq!(
            time_of("closure"),
            CallTime::Unreached,
            "only defined in a root"
        );
        assert_eq!(time_of("never"), CallTime::Unreached);
        assert_eq!(
            time.load_roots.len(),
            4,
            "module, class body, __init__, load_context"
        );
        assert!(models.is_model_code(FileIdx(0)));
        assert!(
            !models.in_obo_model(FileIdx(0)),
            "no user client, no user policy"
        );
    }
}
