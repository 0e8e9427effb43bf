//! Models (the rule catalogue "Model"): the code one served agent runs, found from its entry files, and
//! whether it shows OBO intent.

use obolint_python::known::{KnownSymbol, LogFlavor};
use obolint_python::semantic::ScopeId;
use rayon::prelude::*;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use super::declaration::{Declaration, PathValue, Reader, Site};
use crate::analysis::dataflow::Dataflow;
use crate::project::{FileIdx, Project, Symbol, all_calls};

/// A call that logs or saves a model.
#[derive(Clone, Debug)]
pub struct LogCall {
    pub file: FileIdx,
    pub scope: ScopeId,
    pub callee: TextRange,
    /// The whole call.
    pub range: TextRange,
    /// Where a new keyword goes: after the last argument.
    pub last_argument_end: Option<ruff_text_size::TextSize>,
    pub flavor: LogFlavor,
    /// The entry file it logs, when the analyzer can tell.
    pub entry: Option<FileIdx>,
    /// It passes an `auth_policy` holding a `UserAuthPolicy(...)`.
    pub declares_user_policy: bool,
    /// What its `resources=` and `auth_policy=` declare.
    pub declaration: Declaration,
    /// Project files given in `code_paths=[...]` (files, or every file under a folder).
    pub code_paths: Vec<FileIdx>,
}

#[derive(Debug, Default)]
pub struct Models {
    /// Entry files: define an agent class, call `set_model`, or are logged by a log call.
    pub entries: Vec<FileIdx>,
    pub log_calls: Vec<LogCall>,
    /// For each file (by index), the entries of the models it belongs to.
    pub membership: Vec<Vec<FileIdx>>,
    /// Entries whose model shows OBO intent.
    pub obo_entries: FxHashSet<FileIdx>,
    /// For each file, the first (possible) user client it builds.
    pub user_client_site: Vec<Option<TextRange>>,
    /// For each file, whether it uses `ModelServingUserCredentials` at all (the author's intent,
    /// even where the client it builds is not a user client: OBO103, OBO205).
    pub mentions_strategy: Vec<bool>,
}

impl Models {
    /// Built on the complete index, so a strategy that reaches a constructor through a
    /// parameter is followed to its call sites here as it is in the rules.
    pub fn build(project: &Project<'_>) -> Self {
        let n = project.files.len();
        let mut models = Models {
            membership: vec![Vec::new(); n],
            ..Models::default()
        };
        // What each file shows on its own, in parallel: the expensive part (resolving every call).
        let facts: Vec<FileFacts> = project
            .file_indices()
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&file| FileFacts::of(project, file))
            .collect();
        let mut is_entry = vec![false; n];
        let mut builds_user_client = vec![false; n];
        models.user_client_site = vec![None; n];
        models.mentions_strategy = vec![false; n];
        for (i, fact) in facts.into_iter().enumerate() {
            is_entry[i] |= fact.defines_agent || fact.calls_set_model;
            builds_user_client[i] = fact.user_client_site.is_some();
            models.user_client_site[i] = fact.user_client_site;
            models.mentions_strategy[i] = fact.mentions_strategy;
            models.log_calls.extend(fact.log_calls);
        }
        for call in &models.log_calls {
            if let Some(entry) = call.entry {
                is_entry[entry.0 as usize] = true;
            }
        }
        models.entries = (0..n as u32)
            .map(FileIdx)
            .filter(|f| is_entry[f.0 as usize])
            .collect();

        let imports: Vec<Vec<FileIdx>> = if models.entries.is_empty() {
            Vec::new()
        } else {
            project
                .file_indices()
                .collect::<Vec<_>>()
                .par_iter()
                .map(|&f| project.imported_files(f))
                .collect()
        };
        for &entry in &models.entries {
            let mut seen = FxHashSet::default();
            let mut stack = vec![entry];
            for call in models.log_calls.iter().filter(|c| c.entry == Some(entry)) {
                stack.extend(call.code_paths.iter().copied());
            }
            let mut obo = models
                .log_calls
                .iter()
                .any(|c| c.entry == Some(entry) && c.declares_user_policy);
            while let Some(file) = stack.pop() {
                if !seen.insert(file) {
                    continue;
                }
                models.membership[file.0 as usize].push(entry);
                obo |= builds_user_client[file.0 as usize];
                stack.extend(imports[file.0 as usize].iter().copied());
            }
            if obo {
                models.obo_entries.insert(entry);
            }
        }
        models
    }

    /// The file is part of some model's code.
    pub fn is_model_code(&self, file: FileIdx) -> bool {
        !self.membership[file.0 as usize].is_empty()
    }

    /// The files of the model whose entry is `entry`.
    pub fn files_of(&self, entry: FileIdx) -> impl Iterator<Item = FileIdx> + '_ {
        self.membership
            .iter()
            .enumerate()
            .filter(move |(_, entries)| entries.contains(&entry))
            .map(|(i, _)| FileIdx(i as u32))
    }

    /// The file is part of a model that shows OBO intent.
    pub fn in_obo_model(&self, file: FileIdx) -> bool {
        self.membership[file.0 as usize]
            .iter()
            .any(|e| self.obo_entries.contains(e))
    }
}

/// What one file shows on its own.
struct FileFacts {
    defines_agent: bool,
    calls_set_model: bool,
    log_calls: Vec<LogCall>,
    user_client_site: Option<TextRange>,
    mentions_strategy: bool,
}

impl FileFacts {
    fn of(project: &Project<'_>, file: FileIdx) -> Self {
        let dataflow = Dataflow::new(project);
        let mut facts = FileFacts {
            defines_agent: project
                .classes(file)
                .any(|class| project.agent_interface(class).is_some()),
            calls_set_model: false,
            log_calls: Vec::new(),
            user_client_site: None,
            mentions_strategy: false,
        };
        // What a file shows starts at calls of library symbols, which the index lists, and of
        // configured user-client factories, which it does not: only with factories configured
        // is every call looked at.
        if project.settings.user_client_factories.is_empty() {
            for known in project.known_calls(file) {
                let symbol = Symbol::Known(known.symbol);
                facts.see(project, &dataflow, file, known.scope, known.call, symbol);
            }
        } else {
            for (scope, call) in all_calls(project.model(file)) {
                let symbol = dataflow.symbol(file, scope, &call.func);
                facts.see(project, &dataflow, file, scope, call, symbol);
            }
        }
        facts
    }

    /// What the call `call` of `symbol` in `scope` shows.
    fn see(
        &mut self,
        project: &Project<'_>,
        dataflow: &Dataflow<'_, '_>,
        file: FileIdx,
        scope: ScopeId,
        call: &ExprCall,
        symbol: Symbol,
    ) {
        match symbol {
            Symbol::Known(KnownSymbol::SetModel) => self.calls_set_model = true,
            Symbol::Known(KnownSymbol::LogModel(flavor)) => {
                self.log_calls
                    .push(read_log_call(project, file, scope, call, flavor));
            }
            Symbol::Known(
                KnownSymbol::WorkspaceClient
                | KnownSymbol::Config
                | KnownSymbol::VectorSearchClient,
            )
            | Symbol::UserClientFactory
                if self.user_client_site.is_none()
                    && dataflow
                        .construction(file, scope, call)
                        .is_some_and(|v| v.is_possible_user()) =>
            {
                self.user_client_site = Some(call.func.range());
            }
            Symbol::Known(KnownSymbol::ModelServingUserCredentials) => {
                self.mentions_strategy = true;
            }
            _ => {}
        }
    }
}

fn keyword<'a>(call: &'a ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments.find_keyword(name).map(|k| &k.value)
}

fn read_log_call(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    call: &ExprCall,
    flavor: LogFlavor,
) -> LogCall {
    let reader = Reader::new(project);
    let here = Site {
        file,
        scope,
        expr: call.func.as_ref(),
    };
    // Each argument may also come from a `**kwargs` dict, as `resources=` does.
    let argument = |name: &str| -> Option<Site<'_>> {
        if let Some(expr) = keyword(call, name) {
            return Some(Site { expr, ..here });
        }
        call.arguments
            .keywords
            .iter()
            .filter(|k| k.arg.is_none())
            .find_map(|k| {
                reader
                    .kwargs_entries(file, scope, &k.value)?
                    .into_iter()
                    .find_map(|(_, _, key, site)| (key == name).then_some(site))
            })
    };
    let model_arg = argument("python_model")
        .or_else(|| argument("lc_model"))
        .or_else(|| argument("model"))
        .or_else(|| {
            call.arguments
                .args
                .first()
                .map(|expr| Site { expr, ..here })
        });
    let entry = model_arg.and_then(|arg| logged_entry(project, file, arg));
    let declaration = reader.declaration(file, scope, call);
    let code_paths = argument("code_paths")
        .map(|paths| code_path_files(project, &reader, file, paths))
        .unwrap_or_default();
    let declares_user_policy = declaration.has_user_policy()
        || keyword(call, "auth_policy").is_some_and(|policy| {
            mentions_user_auth_policy(project, file, scope, policy, 0, &mut FxHashMap::default())
        });
    let last_argument_end = call
        .arguments
        .args
        .iter()
        .map(Ranged::end)
        .chain(call.arguments.keywords.iter().map(Ranged::end))
        .max();
    LogCall {
        file,
        scope,
        callee: call.func.range(),
        range: call.range(),
        last_argument_end,
        flavor,
        entry,
        declares_user_policy,
        declaration,
        code_paths,
    }
}

/// The project files `code_paths=[...]` names, relative to the logging file's folder, then the
/// root; a folder stands for every file under it.
fn code_path_files<'a>(
    project: &Project<'a>,
    reader: &Reader<'_, 'a>,
    file: FileIdx,
    paths: Site<'a>,
) -> Vec<FileIdx> {
    let Some(items) = reader.list_items(paths, 0) else {
        return Vec::new();
    };
    let Some(here) = project.file(file).path.parent() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let Some(relative) = reader.string(item, 0) else {
            continue;
        };
        for base in [here, project.root.as_path()] {
            let candidate = normalize(&base.join(&relative));
            let found: Vec<FileIdx> = project
                .file_indices()
                .filter(|&f| project.file(f).path.starts_with(&candidate))
                .collect();
            if !found.is_empty() {
                out.extend(found);
                break;
            }
        }
    }
    out
}

/// `python_model="agent.py"` (relative to the logging file, then the root), or an object of a
/// project class (`python_model=Agent()`), names the entry file.
fn logged_entry(project: &Project<'_>, file: FileIdx, site: Site<'_>) -> Option<FileIdx> {
    let reader = Reader::new(project);
    // An object: `python_model=Agent()`, `python_model=agent` bound to one, or the class.
    let object = reader.value(site, 0).unwrap_or(site);
    let class_of = |expr: &Expr| match project.symbol(object.file, object.scope, expr) {
        Symbol::Class(class) => Some(class.file),
        _ => None,
    };
    match object.expr {
        Expr::Call(call) => {
            if let Some(found) = class_of(&call.func) {
                return Some(found);
            }
        }
        Expr::Name(_) | Expr::Attribute(_) => {
            if let Some(found) = class_of(object.expr) {
                return Some(found);
            }
        }
        _ => {}
    }
    // A path: relative to the logging file's folder, then the project root. Built on both
    // branches of an `if` or a `try`, each branch is read, and the candidates that name a
    // project file are kept: exactly one file, or the call stays unlinked.
    let here = project.file(file).path.parent()?.to_path_buf();
    let logging_id = project.file(file).id;
    let mut found: Vec<FileIdx> = Vec::new();
    for value in reader.path_candidates(site)? {
        let candidates = match value {
            PathValue::Absolute(path) => vec![path],
            PathValue::Relative(path) => vec![here.join(&path), project.root.join(&path)],
        };
        if let Some(entry) = entry_file(project, logging_id, &candidates)
            && !found.contains(&entry)
        {
            found.push(entry);
        }
    }
    match found.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

/// The first of `candidates` that is a project file (a notebook's own `%%writefile` cell first).
fn entry_file(
    project: &Project<'_>,
    logging_id: obolint_diagnostics::FileId,
    candidates: &[std::path::PathBuf],
) -> Option<FileIdx> {
    candidates.iter().find_map(|candidate| {
        let candidate = normalize(candidate);
        let canonical = project.canonical(&candidate);
        // A notebook's own `%%writefile` cell wins over a file on disk at the same path.
        let matching: Vec<FileIdx> = project
            .file_indices()
            .filter(|&f| {
                let path = &project.file(f).path;
                *path == candidate || *path == canonical
            })
            .collect();
        matching
            .iter()
            .copied()
            .find(|&f| project.file(f).written_by == Some(logging_id))
            .or_else(|| {
                matching
                    .iter()
                    .copied()
                    .find(|&f| project.file(f).written_by.is_none())
            })
            .or_else(|| matching.first().copied())
    })
}

/// `a/./b/../c` → `a/c`, lexically.
pub fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The expression (or the value a name in it was assigned) calls `UserAuthPolicy(...)`.
/// Whether `expr`, or what the names in it hold (four names deep), calls `UserAuthPolicy`.
/// `seen` remembers each value's answer at each depth: a value that names another several
/// times, level after level, is looked at once per depth, not once per mention.
fn mentions_user_auth_policy(
    project: &Project<'_>,
    file: FileIdx,
    scope: ScopeId,
    expr: &Expr,
    depth: u32,
    seen: &mut FxHashMap<(ScopeId, usize, u32), bool>,
) -> bool {
    struct Finder<'p, 'a> {
        project: &'p Project<'a>,
        file: FileIdx,
        scope: ScopeId,
        names: Vec<&'p Expr>,
        found: bool,
    }
    impl<'p> Visitor<'p> for Finder<'p, '_> {
        fn visit_expr(&mut self, expr: &'p Expr) {
            match expr {
                Expr::Call(call)
                    if self.project.symbol(self.file, self.scope, &call.func)
                        == Symbol::Known(KnownSymbol::UserAuthPolicy) =>
                {
                    self.found = true;
                }
                Expr::Name(_) => self.names.push(expr),
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    if depth > 4 {
        return false;
    }
    let mut finder = Finder {
        project,
        file,
        scope,
        names: Vec::new(),
        found: false,
    };
    finder.visit_expr(expr);
    if finder.found {
        return true;
    }
    let model = project.model(file);
    finder.names.iter().any(|name| {
        let Expr::Name(n) = name else { return false };
        match model.resolve_name(scope, n.id.as_str()) {
            obolint_python::semantic::Resolution::Values(found, values) => {
                values.iter().any(|v| match v {
                    obolint_python::semantic::Value::Expr(e) => {
                        let key = (found, std::ptr::from_ref::<Expr>(e) as usize, depth + 1);
                        if let Some(&known) = seen.get(&key) {
                            return known;
                        }
                        let answer =
                            mentions_user_auth_policy(project, file, found, e, depth + 1, seen);
                        seen.insert(key, answer);
                        answer
                    }
                    _ => false,
                })
            }
            _ => false,
        }
    })
}
