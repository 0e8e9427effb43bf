//! Load time and request time (the rule catalogue "Load time", "Request time"): the roots, the calls
//! between project functions, and which functions each kind of root reaches.

use std::sync::OnceLock;

use obolint_python::semantic::{
    BindingKind, ClassId, FunctionId, ModuleModel, ScopeId, ScopeKind, is_main_guard,
};
use rayon::prelude::*;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{TextRange, TextSize};
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
    /// The code that runs while the model serves.
    pub served: Served,
}

impl TimeModel {
    pub fn build(project: &Project<'_>, models: &Models) -> Self {
        let mut time = TimeModel::default();
        for file in project.file_indices() {
            if !models.is_model_code(file) {
                continue;
            }
            let summary = project.summary(file);
            time.load_roots.push(LoadRoot {
                file,
                scope: ModuleModel::MODULE_SCOPE,
                kind: LoadRootKind::Module,
            });
            for (class, info) in summary.classes.iter().enumerate() {
                let class = ClassId(class as u32);
                if info.runs_at_import {
                    time.load_roots.push(LoadRoot {
                        file,
                        scope: info.scope,
                        kind: LoadRootKind::ClassBody,
                    });
                }
                if project.agent_interface(ClassRef { file, class }).is_none() {
                    continue;
                }
                for (name, func) in project.outline(file).methods(class) {
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
                            scope: summary.function_scopes[func.0 as usize],
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
                .map(|&f| (f.file, project.function_scope(f))),
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
        time.served = Served::build(project, models, &time);
        time
    }

    /// The scopes of every load-time and request-time root.
    fn root_scopes(&self, project: &Project<'_>) -> Vec<(FileIdx, ScopeId)> {
        self.load_roots
            .iter()
            .map(|r| (r.file, r.scope))
            .chain(
                self.request_roots
                    .iter()
                    .map(|&f| (f.file, project.function_scope(f))),
            )
            .collect()
    }

    pub fn time_of(&self, function: FnRef) -> CallTime {
        self.times
            .get(&function)
            .copied()
            .unwrap_or(CallTime::Unreached)
    }
}

/// A level of served code at least this large is walked in two halves, one on a thread of its
/// own.
const SPLIT_LEVEL: usize = 256;

/// Served code (the rule catalogue "Served code"): every scope of model code that runs while
/// the model serves, and the `if __name__ == "__main__":` blocks of model files, which do not.
///
/// The scopes are found the first time a rule asks ([`Served::contains`]): in a project where
/// no rule meets a call it reports only in served code (a large package with nothing to report),
/// the walk of everything the roots reach is never made.
#[derive(Debug, Default)]
pub struct Served {
    /// The scopes of the load-time and request-time roots.
    roots: Vec<(FileIdx, ScopeId)>,
    scopes: OnceLock<FxHashSet<(FileIdx, ScopeId)>>,
    main_guards: FxHashMap<FileIdx, Vec<TextRange>>,
}

impl Served {
    /// Whether code at `range` of `scope` runs while the model serves. `project` is the one
    /// the time model was built on.
    pub fn contains(
        &self,
        project: &Project<'_>,
        file: FileIdx,
        scope: ScopeId,
        range: TextRange,
    ) -> bool {
        self.scopes(project).contains(&(file, scope)) && !self.in_main_guard(file, range)
    }

    /// `range` is inside a top-level `if __name__ == "__main__":` block of `file`.
    pub fn in_main_guard(&self, file: FileIdx, range: TextRange) -> bool {
        in_guards(&self.main_guards, file, range)
    }

    /// The roots and the `__main__` guards of model files; the scopes are left for
    /// [`Served::scopes`].
    fn build(project: &Project<'_>, models: &Models, time: &TimeModel) -> Self {
        let files: Vec<FileIdx> = project.file_indices().collect();
        let main_guards = files
            .par_iter()
            .filter(|&&file| models.is_model_code(file))
            .filter_map(|&file| {
                let guards = &project.summary(file).main_guards;
                (!guards.is_empty()).then(|| (file, guards.to_vec()))
            })
            .collect();
        Served {
            roots: time.root_scopes(project),
            scopes: OnceLock::new(),
            main_guards,
        }
    }

    /// From the load-time and request-time roots, every scope reached through calls the
    /// analyzer resolves, or through a function, method or class that reached code names as a
    /// value (a tool or node handed to a framework, a callback, a class it instantiates: all
    /// its methods), and the lambdas reached code defines. A call into code the analyzer cannot
    /// resolve reaches nothing: what runs only through it is not served (never guessed).
    ///
    /// Found by the asking thread and, for large levels, one scoped thread of its own: rules
    /// ask from the worker pool, and a parallel walk on the pool could, while it waits, pick
    /// up another file's rules, which would ask again (a deadlock on the cell being filled).
    /// What a scope reaches depends on nothing but the project, so the scopes are those of any
    /// order.
    fn scopes(&self, project: &Project<'_>) -> &FxHashSet<(FileIdx, ScopeId)> {
        self.scopes.get_or_init(|| {
            // The names of every project function and class: a name or attribute that is
            // none of them cannot name one, and is skipped without resolving it (most names in
            // code).
            let mut defined: FxHashSet<&str> = FxHashSet::default();
            for file in project.file_indices() {
                let model = project.model(file);
                defined.extend(model.functions.iter().map(|f| f.name));
                defined.extend(model.classes.iter().map(|c| c.name));
            }
            // And the aliases they are imported under (`from tools import search as lookup`),
            // and aliases of aliases, until none is added: the set does not depend on the order
            // in which the bindings are visited.
            let mut aliases: Vec<(&str, &str)> = Vec::new();
            for file in project.file_indices() {
                for scope in &project.model(file).scopes {
                    for (&alias, bindings) in &scope.bindings {
                        for binding in bindings {
                            if let BindingKind::FromImport { name, .. } = binding.kind
                                && !defined.contains(alias)
                            {
                                aliases.push((alias, name));
                            }
                        }
                    }
                }
            }
            loop {
                let before = defined.len();
                aliases.retain(|&(alias, name)| {
                    if defined.contains(alias) {
                        return false;
                    }
                    if defined.contains(name) {
                        defined.insert(alias);
                        return false;
                    }
                    true
                });
                if defined.len() == before {
                    break;
                }
            }
            let mut scopes: FxHashSet<(FileIdx, ScopeId)> = FxHashSet::default();
            // Breadth first, one level of newly reached scopes at a time; a large level is
            // split with one scoped thread of our own (not the pool's: see above). Each half
            // keeps its walker between levels.
            let (mut first, mut second) = (Walker::default(), Walker::default());
            let split = rayon::current_num_threads() > 1;
            let mut level = self.roots.clone();
            while !level.is_empty() {
                level.retain(|&scope| scopes.insert(scope));
                let known = &scopes;
                let guards = &self.main_guards;
                let reach = |walker: &mut Walker, part: &[(FileIdx, ScopeId)]| {
                    let mut found = Vec::new();
                    for &(file, scope) in part {
                        found.extend(
                            walker
                                .reached_from(project, &defined, guards, file, scope)
                                .into_iter()
                                .filter(|s| !known.contains(s)),
                        );
                    }
                    found
                };
                level = if split && level.len() >= SPLIT_LEVEL {
                    let (one, two) = level.split_at(level.len() / 2);
                    std::thread::scope(|threads| {
                        // The walk recurses once per nesting level, as the pool's workers do:
                        // the same stack. A thread the system refuses leaves the half to us.
                        let other = std::thread::Builder::new()
                            .name("obolint-served".into())
                            .stack_size(super::WORKER_STACK)
                            .spawn_scoped(threads, || reach(&mut second, two));
                        let mut found = reach(&mut first, one);
                        match other {
                            Ok(other) => match other.join() {
                                Ok(more) => found.extend(more),
                                Err(panic) => std::panic::resume_unwind(panic),
                            },
                            Err(_) => found.extend(reach(&mut Walker::default(), two)),
                        }
                        found
                    })
                } else {
                    reach(&mut first, &level)
                };
            }
            scopes
        })
    }
}

/// `range` of `file` is inside one of its `if __name__ == "__main__":` blocks.
fn in_guards(guards: &FxHashMap<FileIdx, Vec<TextRange>>, file: FileIdx, range: TextRange) -> bool {
    guards
        .get(&file)
        .is_some_and(|guards| guards.iter().any(|g| g.contains_range(range)))
}

/// What one worker of `Served::build` keeps between the scopes it walks.
#[derive(Default)]
struct Walker {
    symbols: SymbolMemo,
    /// Per file, the lambdas written directly in each scope.
    lambdas: FxHashMap<FileIdx, FxHashMap<ScopeId, Vec<ScopeId>>>,
    /// Per file, each function by where its `def` starts (for decorated functions).
    defs: FxHashMap<FileIdx, FxHashMap<TextSize, FunctionId>>,
}

impl Walker {
    /// The scopes that `scope`'s own code reaches: the project functions and classes it names
    /// as values or calls, and the lambdas written in it.
    fn reached_from(
        &mut self,
        project: &Project<'_>,
        defined: &FxHashSet<&str>,
        guards: &FxHashMap<FileIdx, Vec<TextRange>>,
        file: FileIdx,
        scope: ScopeId,
    ) -> Vec<(FileIdx, ScopeId)> {
        let model = project.model(file);
        let mut found = Vec::new();
        let defs = self.defs.entry(file).or_default();
        let mut named = NamedValues {
            project,
            file,
            scope,
            defined,
            symbols: &mut self.symbols,
            defs,
            found: &mut found,
        };
        match model.scope(scope).kind {
            ScopeKind::Module => {
                for stmt in model.body {
                    if !is_main_guard(stmt) {
                        named.visit_stmt(stmt);
                    }
                }
            }
            ScopeKind::Class(class) => named.visit_body(&model.class(class).def.body),
            ScopeKind::Function(func) => named.visit_body(&model.function(func).def.body),
            ScopeKind::Lambda => {
                if let Some(lambda) = lambda_of_scope(model, scope) {
                    named.visit_expr(&lambda.body);
                }
            }
        }
        // Calls the name walk cannot see (`self.helper()` resolved through the class).
        for &(_, range, f) in project.functions_called(file, scope) {
            if scope == ModuleModel::MODULE_SCOPE && in_guards(guards, file, range) {
                continue;
            }
            found.push((f.file, project.function_scope(f)));
        }
        // Lambdas written in this scope run when what they are handed to calls them.
        let lambdas = self.lambdas.entry(file).or_insert_with(|| {
            let mut children: FxHashMap<ScopeId, Vec<ScopeId>> = FxHashMap::default();
            for (index, s) in model.scopes.iter().enumerate() {
                if s.kind == ScopeKind::Lambda
                    && let Some(parent) = s.parent
                {
                    children
                        .entry(parent)
                        .or_default()
                        .push(ScopeId(index as u32));
                }
            }
            children
        });
        if let Some(children) = lambdas.get(&scope) {
            found.extend(children.iter().map(|&child| (file, child)));
        }
        found
    }
}

/// The lambda whose scope is `scope`: lambdas and their scopes are made in the same order.
fn lambda_of_scope<'a>(
    model: &ModuleModel<'a>,
    scope: ScopeId,
) -> Option<&'a ruff_python_ast::ExprLambda> {
    let index = model
        .scopes
        .iter()
        .take(scope.0 as usize)
        .filter(|s| s.kind == ScopeKind::Lambda)
        .count();
    model.lambdas.get(index).copied()
}

/// What names and dotted names mean, per file and per scope their first name is bound in.
///
/// [`Project::symbol`] of a name or dotted name depends on the scope it is seen from only
/// through the scope that binds its first name (bindings are not flow-sensitive; a receiver
/// `self` is bound in its method): served code names the same few things over and over
/// (`self.helper`, a module's functions in every method), and each is resolved once.
///
/// Two kinds are answered without resolving: `receiver.attr` is looked up once per class
/// (`self.helper` in every method), and a name or dotted name whose first name is unbound, or a
/// parameter other than the receiver (a local value, not a definition or an import), names
/// nothing.
#[derive(Default)]
struct SymbolMemo {
    by_scope: FxHashMap<(FileIdx, Option<ScopeId>), FxHashMap<String, Symbol>>,
    /// `receiver.attr`, by the receiver's class: [`Project::find_method`].
    methods: FxHashMap<ClassRef, FxHashMap<String, Option<FnRef>>>,
    path: String,
}

impl SymbolMemo {
    fn symbol(
        &mut self,
        project: &Project<'_>,
        file: FileIdx,
        scope: ScopeId,
        expr: &Expr,
    ) -> Symbol {
        self.path.clear();
        if !dotted_path(expr, &mut self.path) {
            return project.symbol(file, scope, expr);
        }
        let model = project.model(file);
        let first = self.path.split('.').next().unwrap_or(&self.path);
        // Unbound: a builtin, a star import, a typo. `Project::symbol` finds no receiver, no
        // instance and no meaning for it.
        let Some(bound_in) = model.lookup_scope(scope, first) else {
            return Symbol::Unknown;
        };
        let receiver = model
            .function_of_scope(bound_in)
            .map(|f| model.function(f))
            .filter(|info| info.receiver == Some(first));
        // `receiver.attr`, as `Project::symbol` resolves it first: a method of the class of
        // the method the receiver is bound in.
        if let Some(class) = receiver.and_then(|info| info.class)
            && let Expr::Attribute(attribute) = expr
            && matches!(attribute.value.as_ref(), Expr::Name(_))
        {
            let class = ClassRef { file, class };
            let attr = attribute.attr.as_str();
            let methods = self.methods.entry(class).or_default();
            let method = match methods.get(attr) {
                Some(method) => *method,
                None => {
                    let method = project.find_method(class, attr);
                    methods.insert(attr.to_string(), method);
                    method
                }
            };
            return method.map_or(Symbol::Unknown, Symbol::Function);
        }
        // A parameter (not the receiver) that no `def` or `class` of the same scope shadows:
        // resolving the name gives the parameter, which means nothing, names no instance of a
        // project class, and has no methods of its own.
        if receiver.is_none()
            && let Some(bindings) = model.scope(bound_in).bindings.get(first)
            && bindings
                .iter()
                .any(|b| matches!(b.kind, BindingKind::Parameter))
            && !bindings
                .iter()
                .any(|b| matches!(b.kind, BindingKind::Class(_) | BindingKind::Function(_)))
        {
            return Symbol::Unknown;
        }
        let in_scope = self.by_scope.entry((file, Some(bound_in))).or_default();
        if let Some(symbol) = in_scope.get(self.path.as_str()) {
            return *symbol;
        }
        let symbol = project.symbol(file, scope, expr);
        in_scope.insert(self.path.clone(), symbol);
        symbol
    }
}

/// `a.b.c` as a dotted name (false for anything else: a call, a subscript).
fn dotted_path(expr: &Expr, out: &mut String) -> bool {
    match expr {
        Expr::Name(name) => {
            out.push_str(name.id.as_str());
            true
        }
        Expr::Attribute(attribute) => {
            if !dotted_path(&attribute.value, out) {
                return false;
            }
            out.push('.');
            out.push_str(attribute.attr.as_str());
            true
        }
        _ => false,
    }
}

/// Walks one scope's own code (not the bodies of nested `def`s, classes and lambdas: their
/// decorators, defaults and bases run here) for project functions and classes named as values.
struct NamedValues<'p, 'a> {
    project: &'p Project<'a>,
    file: FileIdx,
    scope: ScopeId,
    defined: &'p FxHashSet<&'a str>,
    symbols: &'p mut SymbolMemo,
    /// The file's functions by where their `def` starts, filled as decorated ones are met.
    defs: &'p mut FxHashMap<TextSize, FunctionId>,
    found: &'p mut Vec<(FileIdx, ScopeId)>,
}

impl NamedValues<'_, '_> {
    /// The function `def` defines (the file's functions are indexed by where their `def`
    /// starts the first time one is asked for).
    fn function_of_def(&mut self, def: &ruff_python_ast::StmtFunctionDef) -> Option<FunctionId> {
        let model = self.project.model(self.file);
        if self.defs.is_empty() {
            self.defs.extend(
                model
                    .function_ids()
                    .map(|f| (model.function(f).def.range.start(), f)),
            );
        }
        self.defs
            .get(&def.range.start())
            .copied()
            .filter(|&f| std::ptr::eq(model.function(f).def, def))
            .or_else(|| {
                model
                    .function_ids()
                    .find(|&f| std::ptr::eq(model.function(f).def, def))
            })
    }

    fn visit_body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.visit_stmt(stmt);
        }
    }

    fn named(&mut self, expr: &Expr) {
        let last = match expr {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.as_str(),
            _ => return,
        };
        if !self.defined.contains(last) {
            return;
        }
        match self
            .symbols
            .symbol(self.project, self.file, self.scope, expr)
        {
            Symbol::Function(f) => {
                self.found
                    .push((f.file, self.project.model(f.file).function(f.func).scope));
            }
            Symbol::Class(class) => {
                let model = self.project.model(class.file);
                let info = model.class(class.class);
                self.found.push((class.file, info.scope));
                for &func in info.methods.values() {
                    self.found.push((class.file, model.function(func).scope));
                }
            }
            _ => {}
        }
    }
}

impl<'e> Visitor<'e> for NamedValues<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'e Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                // A decorator is handed the function: a registry (`@tool`, `@app.route`) keeps
                // it to call later.
                if !def.decorator_list.is_empty()
                    && let Some(f) = self.function_of_def(def)
                {
                    self.found
                        .push((self.file, self.project.model(self.file).function(f).scope));
                }
                for parameter in def.parameters.iter_non_variadic_params() {
                    if let Some(default) = &parameter.default {
                        self.visit_expr(default);
                    }
                }
            }
            Stmt::ClassDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                if let Some(arguments) = &def.arguments {
                    for arg in arguments.args.iter() {
                        self.visit_expr(arg);
                    }
                    for keyword in arguments.keywords.iter() {
                        self.visit_expr(&keyword.value);
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'e Expr) {
        match expr {
            Expr::Name(_) => self.named(expr),
            Expr::Attribute(attribute) => {
                self.named(expr);
                self.visit_expr(&attribute.value);
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    for parameter in parameters.iter_non_variadic_params() {
                        if let Some(default) = &parameter.default {
                            self.visit_expr(default);
                        }
                    }
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The project function a call runs: a function, a method, or a class's `__init__`. `callee` is
/// the callee of one of `scope`'s calls, whose symbol the index resolved once
/// ([`Project::callee`]); anything else is resolved here.
pub fn called_function(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    callee: &ruff_python_ast::Expr,
) -> Option<FnRef> {
    let symbol = project
        .callee(file, callee)
        .unwrap_or_else(|| project.symbol(file, scope, callee));
    match symbol {
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
        let guards = &project.summary(file).main_guards;
        for &(_, range, f) in project.functions_called(file, scope) {
            // `if __name__ == "__main__":` does not run when the module is loaded.
            if scope == ModuleModel::MODULE_SCOPE && guards.iter().any(|g| g.contains_range(range))
            {
                continue;
            }
            if reached.insert(f) {
                stack.push((f.file, project.function_scope(f)));
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

    /// A project of one file, `/p/agent.py`.
    /// The names of a one-file project's functions and classes (what `Served` resolves).
    fn defined_names<'a>(model: &ModuleModel<'a>) -> FxHashSet<&'a str> {
        let mut defined: FxHashSet<&str> = FxHashSet::default();
        defined.extend(model.functions.iter().map(|f| f.name));
        defined.extend(model.classes.iter().map(|c| c.name));
        defined
    }

    fn agent_file(parsed: &obolint_python::ParsedSource) -> Vec<ProjectFile<'_>> {
        vec![ProjectFile::new(
            FileId(0),
            PathBuf::from("/p/agent.py"),
            ModuleModel::build(parsed.body(), Vec::new()),
            None,
        )]
    }

    #[test]
    fn classifies_load_and_request_time() {
        let parsed = parse_source(AGENT, SourceKind::Python);
        let files = agent_file(&parsed);
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

    const SERVED: &str = r#"
import mlflow
from mlflow.pyfunc import ResponsesAgent

def tool(f):
    return f

@tool
def search(query):
    return level_one(query)

def level_one(x):
    return level_two(x)

def level_two(x):
    return sorted([x], key=lambda v: level_three(v))

def level_three(v):
    return Helper()

class Helper:
    def __init__(self):
        self.v = 1

    def run(self):
        return level_four()

def level_four():
    return 4

def offline():
    return 0

class Agent(ResponsesAgent):
    def predict(self, request):
        return search(request)

mlflow.models.set_model(Agent())

if __name__ == "__main__":
    offline()
"#;

    #[test]
    fn served_code_is_found_on_first_use_as_the_closure_of_the_roots() {
        let parsed = parse_source(SERVED, SourceKind::Python);
        let files = agent_file(&parsed);
        let settings = Settings::default();
        let project = Project::new(PathBuf::from("/p"), files, &settings);
        let models = Models::build(&project);
        let time = TimeModel::build(&project, &models);
        assert!(
            time.served.scopes.get().is_none(),
            "not found before it is asked"
        );
        // The closure by levels, breadth first, the same walk scope by scope.
        let guards: FxHashMap<FileIdx, Vec<TextRange>> =
            [(FileIdx(0), project.model(FileIdx(0)).main_guards.clone())]
                .into_iter()
                .collect();
        let model = project.model(FileIdx(0));
        let defined = defined_names(model);
        let mut walker = Walker::default();
        let mut closure: FxHashSet<(FileIdx, ScopeId)> = FxHashSet::default();
        let mut level = time.root_scopes(&project);
        while !level.is_empty() {
            level.retain(|&scope| closure.insert(scope));
            level = level
                .iter()
                .flat_map(|&(file, scope)| {
                    walker.reached_from(&project, &defined, &guards, file, scope)
                })
                .collect();
        }
        assert_eq!(time.served.scopes(&project), &closure);
        let served = |name: &str| {
            let func = model
                .function_ids()
                .find(|&f| model.function(f).name == name)
                .expect(name);
            time.served
                .scopes(&project)
                .contains(&(FileIdx(0), model.function(func).scope))
        };
        // Reached through a decorator, four levels of calls, a lambda and a class named as a
        // value (all its methods).
        for name in [
            "search",
            "level_one",
            "level_two",
            "level_three",
            "run",
            "level_four",
        ] {
            assert!(served(name), "{name} is served");
        }
        assert!(!served("offline"), "called only under the __main__ guard");
    }

    /// Levels large enough to be split over two threads, asked by many rules at once from a
    /// pool of two: the same scopes as a plain depth-first closure over the roots, for every
    /// asker.
    #[test]
    fn served_code_split_and_asked_at_once_is_the_closure() {
        use rayon::prelude::*;
        let mut source =
            String::from("import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\n\n");
        for i in 0..600 {
            source.push_str(&format!(
                "def leaf_{i}():\n    pass\n\ndef f_{i}():\n    leaf_{i}()\n\n"
            ));
            source.push_str(&format!("def unused_{i}():\n    leaf_{i}()\n\n"));
        }
        source.push_str("class Agent(ResponsesAgent):\n    def predict(self, request):\n");
        for i in 0..600 {
            source.push_str(&format!("        f_{i}()\n"));
        }
        source.push_str("\nmlflow.models.set_model(Agent())\n");
        let parsed = parse_source(&source, SourceKind::Python);
        let files = agent_file(&parsed);
        let settings = Settings::default();
        let project = Project::new(PathBuf::from("/p"), files, &settings);
        let models = Models::build(&project);
        let time = TimeModel::build(&project, &models);
        // Depth first, one walker, no levels.
        let guards: FxHashMap<FileIdx, Vec<TextRange>> = FxHashMap::default();
        let model = project.model(FileIdx(0));
        let defined = defined_names(model);
        let mut walker = Walker::default();
        let mut closure: FxHashSet<(FileIdx, ScopeId)> = FxHashSet::default();
        let mut stack = time.root_scopes(&project);
        while let Some(scope) = stack.pop() {
            if closure.insert(scope) {
                stack.extend(walker.reached_from(&project, &defined, &guards, scope.0, scope.1));
            }
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool");
        let asked: Vec<usize> = pool.install(|| {
            (0..16)
                .into_par_iter()
                .map(|_| time.served.scopes(&project).len())
                .collect()
        });
        assert_eq!(time.served.scopes(&project), &closure);
        assert!(asked.iter().all(|&n| n == closure.len()));
        // `predict`, 600 `f_`, 600 `leaf_` and the module and class roots; no `unused_`.
        assert!(closure.len() > 1_200, "{}", closure.len());
        let scope_of = |name: &str| {
            let func = model
                .function_ids()
                .find(|&f| model.function(f).name == name)
                .expect(name);
            (FileIdx(0), model.function(func).scope)
        };
        assert!(closure.contains(&scope_of("leaf_599")));
        assert!(!closure.contains(&scope_of("unused_0")));
    }
}
