//! The project index: every parsed file with its facts (its outline, its summary) and its
//! semantic model (built on first use, from a tree parsed again if it was dropped: see
//! [`FileFacts`]), the module names that link them, what a name means across files
//! ([`Project::symbol`]) and who calls each project function. It holds facts only; the
//! questions asked of them (models, dataflow, load vs request time) are answered in
//! `analysis/`, on a complete index.

mod pending;
mod summary;

pub use pending::all_calls;
use pending::dotted_root;
pub use summary::{ClassSummary, FeatureImport, FileSummary};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use obolint_diagnostics::FileId;
use obolint_python::known::{AgentInterface, KnownSymbol, known_symbol};
use obolint_python::semantic::{
    ClassId, FunctionId, MemberRef, ModuleModel, ModuleOutline, NameMeaning, Resolution, ScopeId,
    Value,
};
use rayon::prelude::*;
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::settings::Settings;

thread_local! {
    /// Whether this thread is resolving a class's bases ([`Project::base_symbols`]). Symbol
    /// resolution never runs work of the thread pool, so no other task sees it set.
    static RESOLVING_BASES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Index of a file in [`Project::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileIdx(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FnRef {
    pub file: FileIdx,
    pub func: FunctionId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassRef {
    pub file: FileIdx,
    pub class: ClassId,
}

/// What an expression names, across the whole project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    Known(KnownSymbol),
    /// A function configured in `user-client-factories`.
    UserClientFactory,
    Function(FnRef),
    Class(ClassRef),
    Module(FileIdx),
    Unknown,
}

pub struct ProjectFile<'a> {
    /// The file's id in the run's source database (for diagnostics).
    pub id: FileId,
    pub path: PathBuf,
    /// Its model ([`Project::model`]): built with the file, or, for a file whose tree was
    /// dropped once its facts were taken ([`FileFacts`]), from the tree parsed again when first
    /// asked for.
    model: LazyModel<'a>,
    /// What the other files read of it: every read of another file than the one a call or an
    /// expression is in goes through its outline, never its tree.
    pub outline: ModuleOutline,
    /// What the project-wide analyses read of it.
    pub summary: FileSummary,
    /// Its calls as far as the file resolves them, for the index, when taken without the
    /// model.
    calls: Option<pending::LocalCalls>,
    /// The notebook whose `%%writefile` cell this file is, if it is one.
    pub written_by: Option<FileId>,
}

/// What the index and the project-wide analyses read of a file, taken from its model
/// ([`FileFacts::of`]) in the task that parsed it, so that its tree need not be kept.
pub struct FileFacts {
    outline: ModuleOutline,
    summary: FileSummary,
    calls: pending::LocalCalls,
}

impl FileFacts {
    /// The facts of the file `model` is of, given the modules it imports (what
    /// [`imported_modules`](obolint_python::imports::imported_modules) gives): its parse task
    /// found them already.
    pub fn of(model: &ModuleModel<'_>, imported_modules: Vec<String>) -> Self {
        FileFacts {
            outline: model.outline(),
            summary: FileSummary::with_imported_modules(model, imported_modules),
            calls: pending::local_calls(model),
        }
    }
}

/// A file's model, built with the file or when first asked for ([`LazyModel::get`]).
///
/// Covariant in `'a`, as a model is (a project of longer-lived trees serves where one of
/// shorter-lived trees is asked for). A `OnceLock<ModuleModel<'a>>` is not: through a shorter
/// view, a model of shorter-lived trees could be written, then read through the longer one.
/// This cell is written once, only by this type, with a model of `'a` data: the one given to
/// [`LazyModel::ready`], or the one [`LazyModel::get`] builds from `reparse`, which borrows
/// for the `'a` the cell was made with (a shorter view of it borrows the same tree).
struct LazyModel<'a> {
    cell: OnceLock<ModuleModel<'static>>,
    reparse: Option<&'a Reparse>,
}

impl<'a> LazyModel<'a> {
    fn ready(model: ModuleModel<'a>) -> Self {
        LazyModel {
            cell: OnceLock::from(Self::erase(model)),
            reparse: None,
        }
    }

    fn later(reparse: &'a Reparse) -> Self {
        LazyModel {
            cell: OnceLock::new(),
            reparse: Some(reparse),
        }
    }

    /// The model (of `package`), built from the tree parsed again on first use.
    fn get(&self, package: &[String]) -> &ModuleModel<'a> {
        self.cell.get_or_init(|| {
            let body: &'a [ruff_python_ast::Stmt] = self.reparse.map_or(&[], |r| r.body());
            Self::erase(ModuleModel::build(body, package.to_vec()))
        })
    }

    /// `model` stored without its lifetime: read back only as `ModuleModel<'a>` (by
    /// covariance, from `'static`) through [`LazyModel::get`].
    fn erase(model: ModuleModel<'a>) -> ModuleModel<'static> {
        // SAFETY: the two types differ only in a lifetime, so their layout is the same. The
        // model borrows `'a` data (see the type's documentation), and the cell hands it out
        // only as `&ModuleModel<'a>`, for no longer than `&self`, which cannot outlive `'a`.
        // Dropping a model reads nothing it borrows.
        unsafe { std::mem::transmute::<ModuleModel<'a>, ModuleModel<'static>>(model) }
    }
}

/// How to parse a file again ([`Reparse::body`]) whose tree was dropped: its text, kept or read
/// again.
pub struct Reparse {
    text: ReparseText,
    kind: obolint_python::SourceKind,
    parsed: OnceLock<obolint_python::ParsedSource>,
}

enum ReparseText {
    Kept(String),
    /// Read again from `path` (up to `limit` bytes), and parsed only if it is still the text
    /// of `len` bytes and [`crate::load::text_check`] `check` the facts were taken from.
    Disk {
        path: PathBuf,
        len: usize,
        check: u64,
        limit: u64,
    },
}

/// What [`Reparse::body`] unwinds with when the file it reads again is no longer the text its
/// facts were taken from: no tree of the file can be what the facts say, and the root is
/// checked again from its reads (`Run::check_root_anew`). Raised with `resume_unwind`, so no
/// panic message is printed; every `catch_unwind` on the way passes it on.
#[derive(Debug)]
pub struct ChangedWhileChecked(pub PathBuf);

/// A file read again for its tree (in tests, after the rewrite `REWRITE_BEFORE_READ_AGAIN`
/// lists for it, if any).
fn read_again(path: &Path, limit: u64) -> crate::load::Loaded {
    #[cfg(test)]
    rewrite_before_read_again(path);
    crate::load::load_again(path, limit)
}

/// In tests: writes into `path` the first text [`REWRITE_BEFORE_READ_AGAIN`] lists for it, if
/// any, and takes it off the list.
#[cfg(test)]
pub(crate) fn rewrite_before_read_again(path: &Path) {
    let mut rewrites = REWRITE_BEFORE_READ_AGAIN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(at) = rewrites.iter().position(|(p, _)| p == path) {
        let (_, text) = rewrites.remove(at);
        std::fs::write(path, text).expect("write");
    }
}

/// In tests: texts to write into files just before they are read again (for a tree dropped,
/// [`Reparse::body`], or a text not kept), each once, in order (a file changed between its
/// first read and the next).
#[cfg(test)]
pub(crate) static REWRITE_BEFORE_READ_AGAIN: std::sync::Mutex<Vec<(PathBuf, String)>> =
    std::sync::Mutex::new(Vec::new());

impl Reparse {
    /// `text` of `kind`, parsed as a check parses it.
    pub fn new(text: String, kind: obolint_python::SourceKind) -> Self {
        Reparse {
            text: ReparseText::Kept(text),
            kind,
            parsed: OnceLock::new(),
        }
    }

    /// The text of `len` bytes and check `check` at `path`, not kept: read again (up to `limit`
    /// bytes) when its tree is asked for.
    pub fn from_disk(
        path: PathBuf,
        len: usize,
        check: u64,
        limit: u64,
        kind: obolint_python::SourceKind,
    ) -> Self {
        Reparse {
            text: ReparseText::Disk {
                path,
                len,
                check,
                limit,
            },
            kind,
            parsed: OnceLock::new(),
        }
    }

    /// Whether [`Self::body`] parsed the text again.
    #[cfg(test)]
    pub(crate) fn was_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// The tree, parsed again when first asked for: the same text parsed the same way, so the
    /// same tree (its ranges, scopes and calls are what the facts say). A text read again that
    /// is no longer that text unwinds with [`ChangedWhileChecked`].
    pub fn body(&self) -> &[ruff_python_ast::Stmt] {
        self.parsed
            .get_or_init(|| {
                let parse = |text: &str| {
                    obolint_python::parse_source_keeping(
                        text,
                        self.kind,
                        obolint_python::Keep::Suppressions,
                    )
                };
                match &self.text {
                    ReparseText::Kept(text) => parse(text),
                    ReparseText::Disk {
                        path,
                        len,
                        check,
                        limit,
                    } => match read_again(path, *limit) {
                        crate::load::Loaded::Text { text, .. }
                            if crate::load::is_text(&text, *len, *check) =>
                        {
                            parse(&text)
                        }
                        _ => std::panic::resume_unwind(Box::new(ChangedWhileChecked(path.clone()))),
                    },
                }
            })
            .body()
    }
}

impl<'a> ProjectFile<'a> {
    /// A file of the project with its model, outlined (while the model is fresh).
    pub fn new(
        id: FileId,
        path: PathBuf,
        model: ModuleModel<'a>,
        written_by: Option<FileId>,
    ) -> Self {
        ProjectFile {
            id,
            path,
            outline: model.outline(),
            summary: FileSummary::of(&model),
            calls: None,
            model: LazyModel::ready(model),
            written_by,
        }
    }

    /// A file of the project known by its facts, its model built from `reparse` when asked for.
    pub fn from_facts(
        id: FileId,
        path: PathBuf,
        facts: FileFacts,
        reparse: &'a Reparse,
        written_by: Option<FileId>,
    ) -> Self {
        ProjectFile {
            id,
            path,
            outline: facts.outline,
            summary: facts.summary,
            calls: Some(facts.calls),
            model: LazyModel::later(reparse),
            written_by,
        }
    }
}

pub struct Project<'a> {
    pub root: PathBuf,
    pub files: Vec<ProjectFile<'a>>,
    /// Dotted module name to file, for every parsed file.
    modules: FxHashMap<String, FileIdx>,
    /// The first segment of every module name: a dotted name starting elsewhere is not ours.
    top_level_modules: FxHashSet<String>,
    pub settings: &'a Settings,
    /// Every resolved call of each project function.
    callers: FxHashMap<FnRef, Vec<Site>>,
    /// What the callee of every call names, per file, by the callee expression's range, with
    /// the scope of the call: resolved once here and read by every analysis and rule
    /// ([`Project::callee`], and [`Project::symbol`] when asked from that scope).
    callees: Vec<Callees>,
    /// Per file, the project function each call that reaches one goes to, with the call's scope
    /// and range, in the order of [`all_calls`] (so grouped by scope, in order): the call graph
    /// without the calls' trees ([`Project::functions_called`]).
    calls_to: Vec<Box<[(ScopeId, TextRange, FnRef)]>>,
    /// Per file, its calls of library symbols, in the order of [`all_calls`]
    /// ([`Project::known_calls`]).
    known_calls: Vec<Box<[(ScopeId, u32, KnownSymbol)]>>,
    /// What the bases of every class name, per file and class, resolved on first use
    /// ([`Project::base_symbols`]): method lookups and interfaces walk them over and over.
    bases: Vec<Vec<OnceLock<Box<[Symbol]>>>>,
    /// Every question the analysis asked the file system, with its answer (for the cache).
    probes: std::sync::Mutex<Vec<Probe>>,
    /// [`Project::may_hold_user_credentials`].
    may_hold_user_credentials: bool,
}

/// A question asked of the file system beyond reading the project's files: does this path name
/// a file, and where does it really lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    IsFile(PathBuf, bool),
    Canonical(PathBuf, Option<PathBuf>),
}

/// One file's calls: those that reach project functions, what every callee names, and the
/// calls of library symbols.
struct ResolvedCalls {
    to_functions: Vec<(FnRef, Site, TextRange)>,
    symbols: Callees,
    /// Each call's scope, its place among the scope's calls and the symbol.
    known: Vec<(ScopeId, u32, KnownSymbol)>,
}

/// A call of a project function, owned: its scope, its place among the scope's calls, and
/// whether the receiver fills the first parameter ([`CallSite`]).
#[derive(Clone, Copy, Debug)]
struct Site {
    file: FileIdx,
    scope: ScopeId,
    index: u32,
    bound: bool,
}

/// What every callee of a file names, with its call's scope, by the callee's range (sorted).
/// A range names one callee: of two callees, one inside the other, the outer one holds the
/// call of the inner one, parentheses included, so it is longer. By range rather than by the
/// node's address, so that a tree parsed again finds the same entries, and without the
/// slack of a hash table (an entry per call of every file): 24 bytes a call. The ranges are
/// searched apart from what they name, eight to a cache line.
#[derive(Default)]
struct Callees {
    /// Each callee's range, its start in the high half.
    ranges: Box<[u64]>,
    symbols: Box<[(ScopeId, Symbol)]>,
}

impl Callees {
    fn key(range: TextRange) -> u64 {
        (u64::from(range.start().to_u32()) << 32) | u64::from(range.end().to_u32())
    }

    fn new(mut entries: Vec<(u64, (ScopeId, Symbol))>) -> Self {
        entries.sort_unstable_by_key(|&(range, _)| range);
        debug_assert!(
            entries.windows(2).all(|w| w[0].0 != w[1].0),
            "two callees with one range"
        );
        Callees {
            ranges: entries.iter().map(|&(range, _)| range).collect(),
            symbols: entries.into_iter().map(|(_, symbol)| symbol).collect(),
        }
    }

    fn get(&self, expr: &Expr) -> Option<(ScopeId, Symbol)> {
        let at = self.ranges.binary_search(&Self::key(expr.range())).ok()?;
        Some(self.symbols[at])
    }
}

/// A call of a library symbol ([`Symbol::Known`]).
#[derive(Clone, Copy, Debug)]
pub struct KnownCall<'a> {
    pub scope: ScopeId,
    pub call: &'a ExprCall,
    pub symbol: KnownSymbol,
}

/// A call of a project function, for following arguments into its parameters.
#[derive(Clone, Copy, Debug)]
pub struct CallSite<'a> {
    pub file: FileIdx,
    pub scope: ScopeId,
    pub call: &'a ExprCall,
    /// The receiver fills the first parameter (`self.m(x)`, `Class(x)` to `__init__`).
    pub bound: bool,
}

/// The dotted module names a file can be imported as: relative to the root, and relative to a
/// `src/` folder at the root (the "src layout").
pub fn module_names(root: &Path, path: &Path) -> Vec<String> {
    let Ok(relative) = path.strip_prefix(root) else {
        return Vec::new();
    };
    // Written into one string as the components come (every file of a root is named, by the
    // root's thread: a string per component and a join were most of the cost).
    let mut name = String::with_capacity(relative.as_os_str().len());
    let mut parts = 0usize;
    let mut first_is_src = false;
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        let part = component.as_os_str().to_string_lossy();
        let part: &str = if components.peek().is_none() {
            let Some(stem) = part.strip_suffix(".py") else {
                return Vec::new();
            };
            if stem == "__init__" {
                break;
            }
            stem
        } else {
            &part
        };
        if parts > 0 {
            name.push('.');
        } else {
            first_is_src = part == "src";
        }
        name.push_str(part);
        parts += 1;
    }
    if parts == 0 {
        return Vec::new();
    }
    let src_layout = (parts > 1 && first_is_src).then(|| name["src.".len()..].to_string());
    std::iter::once(name).chain(src_layout).collect()
}

/// The package a module is in: its dotted name minus the last part (the module itself), or the
/// whole name for a package's `__init__.py`.
pub fn package_of(root: &Path, path: &Path) -> Vec<String> {
    let Some(name) = module_names(root, path).into_iter().last() else {
        return Vec::new();
    };
    let mut parts: Vec<String> = name.split('.').map(str::to_string).collect();
    let is_init = path.file_name().is_some_and(|n| n == "__init__.py");
    if !is_init {
        parts.pop();
    }
    parts
}

impl<'a> Project<'a> {
    fn record(&self, probe: Probe) {
        self.probes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(probe);
    }

    /// Whether `path` is a file, remembered among the run's probes.
    pub fn is_file(&self, path: &Path) -> bool {
        let answer = path.is_file();
        self.record(Probe::IsFile(path.to_path_buf(), answer));
        answer
    }

    /// `path`'s real path (itself when it has none), remembered among the run's probes.
    pub fn canonical(&self, path: &Path) -> PathBuf {
        let answer = path.canonicalize().ok();
        self.record(Probe::Canonical(path.to_path_buf(), answer.clone()));
        answer.unwrap_or_else(|| path.to_path_buf())
    }

    /// Every probe so far, in order.
    pub fn probes(&self) -> Vec<Probe> {
        self.probes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn new(root: PathBuf, files: Vec<ProjectFile<'a>>, settings: &'a Settings) -> Self {
        Self::with_source_roots(root, files, settings, &[])
    }

    /// A project whose files are also importable relative to `source_roots`: a Databricks App
    /// runs from its source folder, so `app/app.py` imports `app/clients.py` as `clients`.
    /// Names relative to the root win.
    pub fn with_source_roots(
        root: PathBuf,
        mut files: Vec<ProjectFile<'a>>,
        settings: &'a Settings,
        source_roots: &[PathBuf],
    ) -> Self {
        let mut modules = FxHashMap::default();
        // Named in parallel, entered in file order (the first file to claim a name keeps it).
        let names: Vec<Vec<String>> = files
            .par_iter()
            .map(|file| module_names(&root, &file.path))
            .collect();
        for (i, names) in names.into_iter().enumerate() {
            for name in names {
                modules.entry(name).or_insert(FileIdx(i as u32));
            }
        }
        for (i, file) in files.iter().enumerate() {
            for source in source_roots.iter().filter(|r| file.path.starts_with(r)) {
                for name in module_names(source, &file.path) {
                    modules.entry(name).or_insert(FileIdx(i as u32));
                }
            }
        }
        let top_level_modules = modules
            .keys()
            .map(|name| name.split('.').next().unwrap_or(name).to_string())
            .collect();
        let bases = files
            .iter()
            .map(|f| {
                f.outline
                    .classes()
                    .iter()
                    .map(|_| OnceLock::new())
                    .collect()
            })
            .collect();
        let may_hold_user_credentials = !settings.user_client_factories.is_empty()
            || files.iter().any(|f| f.summary.names_user_credentials);
        // The calls of files known by their facts, taken for the index.
        let calls: Vec<Option<pending::LocalCalls>> =
            files.iter_mut().map(|f| f.calls.take()).collect();
        let mut project = Project {
            root,
            may_hold_user_credentials,
            files,
            bases,
            modules,
            top_level_modules,
            settings,
            callers: FxHashMap::default(),
            callees: Vec::new(),
            calls_to: Vec::new(),
            known_calls: Vec::new(),
            probes: std::sync::Mutex::default(),
        };
        // Resolving every call is the expensive part: file by file, in parallel. Symbols need
        // only the modules, so the index is complete before anything asks for a value.
        let per_file: Vec<ResolvedCalls> = calls
            .into_par_iter()
            .enumerate()
            .map(|(file, calls)| project.resolve_calls(FileIdx(file as u32), calls))
            .collect();
        let mut callers: FxHashMap<FnRef, Vec<Site>> = FxHashMap::default();
        let mut callees = Vec::with_capacity(per_file.len());
        let mut calls_to = Vec::with_capacity(per_file.len());
        let mut known_calls = Vec::with_capacity(per_file.len());
        for resolved in per_file {
            calls_to.push(
                resolved
                    .to_functions
                    .iter()
                    .map(|&(function, site, range)| (site.scope, range, function))
                    .collect(),
            );
            for (function, site, _) in resolved.to_functions {
                callers.entry(function).or_default().push(site);
            }
            callees.push(resolved.symbols);
            known_calls.push(resolved.known.into_boxed_slice());
        }
        project.callers = callers;
        project.callees = callees;
        project.calls_to = calls_to;
        project.known_calls = known_calls;
        project
    }

    /// What every callee of `file` names, and the calls that reach project functions (a class
    /// call goes to `__init__`): the file's calls resolved as far as the file allows
    /// ([`pending::local_calls`]), then finished from the other files' outlines.
    fn resolve_calls(&self, file: FileIdx, local: Option<pending::LocalCalls>) -> ResolvedCalls {
        let local = local.unwrap_or_else(|| pending::local_calls(self.model(file)));
        let answers: Vec<Symbol> = local
            .questions
            .iter()
            .map(|question| self.finish(file, question))
            .collect();
        let mut out = Vec::new();
        let mut known = Vec::new();
        let mut symbols = Vec::with_capacity(local.calls.len());
        for call in local.calls {
            let symbol = answers[call.callee as usize];
            let (scope, index, receiver) = (call.scope, call.index, call.receiver);
            // Finished from outlines, each answer is what the tree-reading resolution gives
            // (every test's project checks it).
            #[cfg(debug_assertions)]
            {
                let tree = self.model(file).scope(scope).calls[index as usize];
                debug_assert_eq!(
                    symbol,
                    self.symbol_rooted(file, scope, &tree.func, None),
                    "{tree:?}"
                );
                if let (Symbol::Function(_), Expr::Attribute(attribute)) =
                    (symbol, tree.func.as_ref())
                {
                    let direct = self.symbol_rooted(file, scope, &attribute.value, None);
                    let bound = !matches!(direct, Symbol::Class(_) | Symbol::Module(_));
                    debug_assert_eq!(bound, self.bound(receiver, &answers), "{tree:?}");
                }
            }
            symbols.push((Callees::key(call.callee_range), (scope, symbol)));
            let site = |bound| Site {
                file,
                scope,
                index,
                bound,
            };
            match symbol {
                Symbol::Known(symbol) => known.push((scope, index, symbol)),
                Symbol::Function(function) => {
                    // `self.m(x)`, `obj.m(x)` bind the receiver; `Class.m(obj, x)` and plain
                    // functions do not.
                    let bound = self.bound(receiver, &answers);
                    out.push((function, site(bound), call.range));
                }
                Symbol::Class(class) => {
                    if let Some(init) = self.find_method(class, "__init__") {
                        out.push((init, site(true), call.range));
                    }
                }
                _ => {}
            }
        }
        ResolvedCalls {
            to_functions: out,
            symbols: Callees::new(symbols),
            known,
        }
    }

    /// Whether a call's receiver fills the first parameter of the function it calls, given the
    /// answers to its file's questions.
    fn bound(&self, receiver: pending::Receiver, answers: &[Symbol]) -> bool {
        match receiver {
            pending::Receiver::Unbound => false,
            pending::Receiver::Bound => true,
            pending::Receiver::Asked(question) => !matches!(
                answers[question as usize],
                Symbol::Class(_) | Symbol::Module(_)
            ),
        }
    }

    /// The answer to a question a file's calls left for the other files
    /// ([`pending::Pending`]), from their outlines: what [`Project::symbol`] gives.
    fn finish(&self, file: FileIdx, question: &pending::Pending) -> Symbol {
        use pending::{InstanceOf, Pending};
        match question {
            Pending::Named(meaning) => self.meant(file, meaning),
            &Pending::Method(class, ref attr) => self
                .find_method(ClassRef { file, class }, attr)
                .map_or(Symbol::Unknown, Symbol::Function),
            Pending::InstanceMethod {
                instance,
                attr,
                otherwise,
            } => {
                let class = match instance {
                    InstanceOf::Calls(callees) => self.one_class(file, callees),
                    InstanceOf::Imported(names) => {
                        let mut classes = names.iter().map(|n| self.instance_qualified(n, 1));
                        classes
                            .next()
                            .flatten()
                            .filter(|&first| classes.all(|c| c == Some(first)))
                    }
                };
                match class.and_then(|class| self.find_method(class, attr)) {
                    Some(method) => Symbol::Function(method),
                    None => self.meant(file, otherwise),
                }
            }
        }
    }

    /// The one project class every callee (a meaning in `file`) names, if they name one.
    fn one_class(&self, file: FileIdx, callees: &[NameMeaning]) -> Option<ClassRef> {
        let mut found = None;
        for callee in callees {
            let Symbol::Class(class) = self.meant(file, callee) else {
                return None;
            };
            if found.is_some_and(|f| f != class) {
                return None;
            }
            found = Some(class);
        }
        found
    }

    /// Whether any value of the project can carry a caller's identity (a user client, an OBO
    /// strategy, an app's forwarded token): only if some file names what every one of them
    /// starts from ([`USER_CREDENTIAL_NAMES`](obolint_python::semantic::USER_CREDENTIAL_NAMES),
    /// the forwarded-token header or parameter: see
    /// [`ModuleModel::names_user_credentials`](obolint_python::semantic::ModuleModel)) or a
    /// user-client factory is configured. Rules that report only what such a value reaches
    /// skip a project that cannot hold one (the dataflow checks it in debug builds).
    pub fn may_hold_user_credentials(&self) -> bool {
        self.may_hold_user_credentials
    }

    /// What the callee `expr` of a call in `file` names, resolved when the index was built;
    /// `None` for an expression that is not a callee.
    pub fn callee(&self, file: FileIdx, expr: &Expr) -> Option<Symbol> {
        let (_, symbol) = self.callees.get(file.0 as usize)?.get(expr)?;
        Some(symbol)
    }

    /// The project functions that the calls of `scope` in `file` go to (a class's `__init__`
    /// for a class), with each call's range, in source order.
    pub fn functions_called(
        &self,
        file: FileIdx,
        scope: ScopeId,
    ) -> &[(ScopeId, TextRange, FnRef)] {
        let Some(calls) = self.calls_to.get(file.0 as usize) else {
            return &[];
        };
        let start = calls.partition_point(|&(s, ..)| s < scope);
        let end = start + calls[start..].partition_point(|&(s, ..)| s == scope);
        &calls[start..end]
    }

    /// The calls of library symbols in `file`, in the order of [`all_calls`].
    pub fn known_calls(
        &self,
        file: FileIdx,
    ) -> impl ExactSizeIterator<Item = KnownCall<'a>> + use<'_, 'a> {
        let calls = self.known_calls.get(file.0 as usize).map_or(&[][..], |c| c);
        calls.iter().map(move |&(scope, index, symbol)| KnownCall {
            scope,
            call: self.call(file, scope, index),
            symbol,
        })
    }

    /// The `index`th call of `scope` in `file`.
    fn call(&self, file: FileIdx, scope: ScopeId, index: u32) -> &'a ExprCall {
        self.model(file).scope(scope).calls[index as usize]
    }

    /// The resolved calls of `function` anywhere in the project.
    pub fn callers(
        &self,
        function: FnRef,
    ) -> impl ExactSizeIterator<Item = CallSite<'a>> + Clone + use<'_, 'a> {
        let sites = self.callers.get(&function).map_or(&[][..], Vec::as_slice);
        sites.iter().map(move |site| CallSite {
            file: site.file,
            scope: site.scope,
            call: self.call(site.file, site.scope, site.index),
            bound: site.bound,
        })
    }

    pub fn file(&self, idx: FileIdx) -> &ProjectFile<'a> {
        &self.files[idx.0 as usize]
    }

    pub fn model(&self, idx: FileIdx) -> &ModuleModel<'a> {
        let file = &self.files[idx.0 as usize];
        file.model.get(&file.outline.package)
    }

    /// What the project-wide analyses read of `idx` ([`FileSummary`]).
    pub fn summary(&self, idx: FileIdx) -> &FileSummary {
        &self.files[idx.0 as usize].summary
    }

    /// Every class defined in `file`.
    pub fn classes(&self, file: FileIdx) -> impl Iterator<Item = ClassRef> + use<'_, 'a> {
        let count = self.outline(file).classes().len() as u32;
        (0..count).map(move |class| ClassRef {
            file,
            class: ClassId(class),
        })
    }

    /// The own scope of `function`.
    pub fn function_scope(&self, function: FnRef) -> ScopeId {
        self.summary(function.file).function_scopes[function.func.0 as usize]
    }

    /// What other files read of `idx` ([`ModuleOutline`]).
    pub fn outline(&self, idx: FileIdx) -> &ModuleOutline {
        &self.files[idx.0 as usize].outline
    }

    pub fn file_indices(&self) -> impl Iterator<Item = FileIdx> + use<'_, 'a> {
        (0..self.files.len() as u32).map(FileIdx)
    }

    /// Every file by its path (the first of a path), for many questions [`Self::find_file`]
    /// would each answer with a search.
    pub fn files_by_path(&self) -> FxHashMap<&Path, FileIdx> {
        let mut files = FxHashMap::default();
        for (i, file) in self.files.iter().enumerate() {
            files
                .entry(file.path.as_path())
                .or_insert(FileIdx(i as u32));
        }
        files
    }

    pub fn find_file(&self, path: &Path) -> Option<FileIdx> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileIdx(i as u32))
    }

    pub fn module(&self, name: &str) -> Option<FileIdx> {
        self.modules.get(name).copied()
    }

    /// What `expr` (a callee, a base class, a value) names, seen from `scope` of `file`.
    pub fn symbol(&self, file: FileIdx, scope: ScopeId, expr: &Expr) -> Symbol {
        // A callee asked from its call's scope was resolved when the index was built (empty
        // while it is being built).
        if let Some((at, symbol)) = self
            .callees
            .get(file.0 as usize)
            .and_then(|callees| callees.get(expr))
            && at == scope
        {
            return symbol;
        }
        self.symbol_rooted(file, scope, expr, None)
    }

    /// [`Project::symbol`] resolved without looking at the callees the index resolved (for a
    /// reader that did).
    pub fn symbol_unindexed(&self, file: FileIdx, scope: ScopeId, expr: &Expr) -> Symbol {
        self.symbol_rooted(file, scope, expr, None)
    }

    /// [`Project::symbol`], given (when known) the scope the first name of the dotted `expr`
    /// is bound in: every step below resolves that same name from the same scope, so it is
    /// looked up once (each lookup probes the bindings of every enclosing scope).
    fn symbol_rooted(
        &self,
        file: FileIdx,
        scope: ScopeId,
        expr: &Expr,
        root: Option<Option<ScopeId>>,
    ) -> Symbol {
        let model = self.model(file);
        let Expr::Attribute(attribute) = expr else {
            return self.named_symbol(file, scope, expr, root);
        };
        let root = root.or_else(|| dotted_root(expr).map(|first| model.lookup_scope(scope, first)));
        if let Expr::Name(base) = attribute.value.as_ref()
            && let Some(class) = model.receiver_class_in(
                root.unwrap_or_else(|| model.lookup_scope(scope, base.id.as_str())),
                base.id.as_str(),
            )
        {
            return self
                .find_method(ClassRef { file, class }, attribute.attr.as_str())
                .map_or(Symbol::Unknown, Symbol::Function);
        }
        // `obj.method` where `obj` is bound to an instance of a project class.
        if let Some(class) = self.instance_class_rooted(file, scope, &attribute.value, 0, root)
            && let Some(method) = self.find_method(class, attribute.attr.as_str())
        {
            return Symbol::Function(method);
        }
        self.named_symbol(file, scope, expr, root)
    }

    /// What `expr` names through imports and definitions only (no instance's methods); `root`
    /// as in [`Project::symbol_rooted`].
    fn named_symbol(
        &self,
        file: FileIdx,
        scope: ScopeId,
        expr: &Expr,
        root: Option<Option<ScopeId>>,
    ) -> Symbol {
        let model = self.model(file);
        let meaning = match root {
            Some(root) => model.meaning_rooted(scope, expr, root),
            None => model.meaning(scope, expr),
        };
        self.meant(file, &meaning)
    }

    /// What a meaning in `file` names across the project.
    fn meant(&self, file: FileIdx, meaning: &NameMeaning) -> Symbol {
        match meaning {
            NameMeaning::Qualified(names) => match self.resolve_all(names) {
                Symbol::Unknown => self.resolve_sibling(&self.outline(file).package, names),
                found => found,
            },
            &NameMeaning::Class(class) => Symbol::Class(ClassRef { file, class }),
            &(NameMeaning::Function(func) | NameMeaning::Method(func)) => {
                Symbol::Function(FnRef { file, func })
            }
            NameMeaning::Other => Symbol::Unknown,
        }
    }

    /// The project class `expr` is an instance of, seen from `scope` of `file`: a name (local,
    /// global, or imported from a project module) whose every assignment is a call of that one
    /// class (`service = Service()`; `None` assignments aside, as a method is never called on
    /// them), or `self.attr` whose every store in the class is. `None` for anything else: a
    /// parameter, a value returned by a function, two classes.
    pub fn instance_class(
        &self,
        file: FileIdx,
        scope: ScopeId,
        expr: &Expr,
        depth: u32,
    ) -> Option<ClassRef> {
        self.instance_class_rooted(file, scope, expr, depth, None)
    }

    /// [`Project::instance_class`]; `root` as in [`Project::symbol_rooted`].
    fn instance_class_rooted(
        &self,
        file: FileIdx,
        scope: ScopeId,
        expr: &Expr,
        depth: u32,
        root: Option<Option<ScopeId>>,
    ) -> Option<ClassRef> {
        if depth > 8 {
            return None;
        }
        let model = self.model(file);
        let found = |name: &str| root.unwrap_or_else(|| model.lookup_scope(scope, name));
        match expr {
            Expr::Name(name) => match model
                .resolve_name_in(found(name.id.as_str()), name.id.as_str())
            {
                Resolution::Values(found, values) => self.instance_of_values(file, found, &values),
                Resolution::Imported(names) => {
                    let mut classes = names.iter().map(|n| self.instance_qualified(n, depth + 1));
                    let first = classes.next()??;
                    classes.all(|c| c == Some(first)).then_some(first)
                }
                _ => None,
            },
            Expr::Attribute(attribute) => {
                let Expr::Name(base) = attribute.value.as_ref() else {
                    return None;
                };
                let class = model.receiver_class_in(found(base.id.as_str()), base.id.as_str())?;
                let info = model.class(class);
                let stores = info.attribute_stores.get(attribute.attr.as_str())?;
                let mut found = None;
                for (at, value) in stores {
                    let c = self.instance_of_values(file, *at, std::slice::from_ref(value))?;
                    if found.is_some_and(|f| f != c) {
                        return None;
                    }
                    found = Some(c);
                }
                found
            }
            _ => None,
        }
    }

    /// The one project class every value is a call of (`None` literals skipped).
    fn instance_of_values(
        &self,
        file: FileIdx,
        scope: ScopeId,
        values: &[Value<'_>],
    ) -> Option<ClassRef> {
        let mut found = None;
        for value in values {
            let Value::Expr(e) = value else {
                return None;
            };
            let class = match e {
                Expr::NoneLiteral(_) => continue,
                Expr::Call(call) => match self.named_symbol(file, scope, &call.func, None) {
                    Symbol::Class(class) => class,
                    _ => return None,
                },
                _ => return None,
            };
            if found.is_some_and(|f| f != class) {
                return None;
            }
            found = Some(class);
        }
        found
    }

    /// `pkg.services.service`: a module-level instance in a project module.
    fn instance_qualified(&self, name: &str, depth: u32) -> Option<ClassRef> {
        if depth > 8 {
            return None;
        }
        let (module, member) = name.rsplit_once('.')?;
        let file = self.module(module)?;
        match self.outline(file).member(member)? {
            // `from .services import service` re-exported through `__init__.py`.
            MemberRef::Import {
                path: Some(only),
                only: true,
            } => self.instance_qualified(only, depth + 1),
            // The one project class every callee names.
            MemberRef::Instance(callees) => self.one_class(file, callees),
            _ => None,
        }
    }

    /// A script's absolute import of a module next to it (`from agent import Agent` in
    /// `deploy/log_model.py` is `deploy/agent.py`): Python puts a script's folder first on
    /// `sys.path`, and a Databricks notebook runs in its own folder. Only for files in a folder
    /// that is not a package (no `__init__.py`), where nothing else can be meant, and only when
    /// the name resolves to nothing from the root.
    fn resolve_sibling(&self, package: &[String], names: &[String]) -> Symbol {
        if package.is_empty() {
            return Symbol::Unknown;
        }
        let folder = package.join(".");
        if self.modules.contains_key(&folder) {
            return Symbol::Unknown;
        }
        let [name] = names else {
            return Symbol::Unknown;
        };
        let first = name.split('.').next().unwrap_or(name);
        if !self.modules.contains_key(&format!("{folder}.{first}")) {
            return Symbol::Unknown;
        }
        self.resolve_qualified(&format!("{folder}.{name}"), 0)
    }

    /// Several import paths (a `try`/`except ImportError` pair) name one symbol only if they agree.
    fn resolve_all(&self, names: &[String]) -> Symbol {
        let mut symbols = names.iter().map(|n| self.resolve_qualified(n, 0));
        let Some(first) = symbols.next() else {
            return Symbol::Unknown;
        };
        if symbols.all(|s| s == first) {
            first
        } else {
            Symbol::Unknown
        }
    }

    /// An absolute dotted name, as a library symbol or a definition in a project module
    /// (following re-exports through `__init__.py` and the like).
    pub fn resolve_qualified(&self, name: &str, depth: u32) -> Symbol {
        if let Some(class) = crate::clients::by_path(name) {
            return Symbol::Known(class.symbol);
        }
        if let Some(known) = known_symbol(name) {
            return Symbol::Known(known);
        }
        if self
            .settings
            .user_client_factories
            .iter()
            .any(|f| f == name)
        {
            return Symbol::UserClientFactory;
        }
        if depth > 8 {
            return Symbol::Unknown;
        }
        // Most dotted names in real code are library calls (`os.path.join`): not ours.
        let first = name.split_once('.').map_or(name, |(first, _)| first);
        if !self.top_level_modules.contains(first) {
            return Symbol::Unknown;
        }
        // The longest prefix that names a project module; the rest names a member of it.
        // Prefixes end before each dot, longest first; nothing is split or joined to find them.
        let mut end = name.len();
        loop {
            if let Some(file) = self.module(&name[..end]) {
                return self.resolve_member(file, &name[end..], depth);
            }
            match name[..end].rfind('.') {
                Some(dot) => end = dot,
                None => return Symbol::Unknown,
            }
        }
    }

    /// What `rest` (empty, or `.member` and more parts) names in the project module `file`.
    fn resolve_member(&self, file: FileIdx, rest: &str, depth: u32) -> Symbol {
        let Some(rest) = rest.strip_prefix('.') else {
            return Symbol::Module(file);
        };
        // `member`, then the parts after it (`None` when there are none).
        let (member, after) = match rest.split_once('.') {
            Some((member, after)) => (member, Some(after)),
            None => (rest, None),
        };
        let Some(found) = self.outline(file).member(member) else {
            return Symbol::Unknown;
        };
        let with_rest = |base: &str| match after {
            Some(after) => format!("{base}.{after}"),
            None => base.to_string(),
        };
        match (found, after) {
            (MemberRef::Class(class), None) => Symbol::Class(ClassRef { file, class }),
            // Exactly one part after the class: its method.
            (MemberRef::Class(class), Some(method)) if !method.contains('.') => self
                .find_method(ClassRef { file, class }, method)
                .map_or(Symbol::Unknown, Symbol::Function),
            (MemberRef::Function(func), None) => Symbol::Function(FnRef { file, func }),
            (
                MemberRef::Import {
                    path: Some(qualified),
                    ..
                },
                _,
            ) => self.resolve_qualified(&with_rest(qualified), depth + 1),
            _ => Symbol::Unknown,
        }
    }

    /// What each base of `class` names, in order, seen from the scope the class is defined in.
    /// Resolved once per class; nothing is held while resolving.
    ///
    /// Methods are not looked up while bases are resolved ([`Project::find_method`] finds none):
    /// a base written as a class's attribute (`class A(A.y)`, `class A(B.x)` with `class
    /// B(A.y)`) would look the attribute up among the very bases being resolved, without end.
    /// What such a lookup finds is a method or nothing, and the bases' readers (method lookups,
    /// interfaces) use only the classes and library bases among them: no answer changes.
    fn base_symbols(&self, class: ClassRef) -> &[Symbol] {
        let cell = &self.bases[class.file.0 as usize][class.class.0 as usize];
        if let Some(symbols) = cell.get() {
            return symbols;
        }
        let bases = &self.outline(class.file).class(class.class).bases;
        let outer = RESOLVING_BASES.replace(true);
        let symbols: Box<[Symbol]> = bases
            .iter()
            .map(|base| self.meant(class.file, base))
            .collect();
        RESOLVING_BASES.set(outer);
        // Another thread may have filled it meanwhile, with the same symbols.
        let _ = cell.set(symbols);
        cell.get().map_or(&[], |s| s)
    }

    /// `attr` defined in `class` or in one of its bases, in any project file (none while bases
    /// are being resolved: `Project::base_symbols`).
    pub fn find_method(&self, class: ClassRef, attr: &str) -> Option<FnRef> {
        if RESOLVING_BASES.get() {
            return None;
        }
        let own = |c: ClassRef| {
            self.outline(c.file)
                .method(c.class, attr)
                .map(|func| FnRef { file: c.file, func })
        };
        // Most lookups end in the class itself or its first base: no walk to allocate.
        if let Some(found) = own(class) {
            return Some(found);
        }
        // A set: a chain of thousands of classes, each inheriting the one before, was a search
        // of the classes seen at each step of each lookup.
        let mut seen: FxHashSet<ClassRef> = FxHashSet::default();
        seen.insert(class);
        let mut stack: Vec<ClassRef> = Vec::new();
        let push_bases = |c: ClassRef, stack: &mut Vec<ClassRef>| {
            // Bases are searched left to right (a stack, so pushed in reverse).
            for base in self.base_symbols(c).iter().rev() {
                if let Symbol::Class(b) = base {
                    stack.push(*b);
                }
            }
        };
        push_bases(class, &mut stack);
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            if let Some(found) = own(c) {
                return Some(found);
            }
            push_bases(c, &mut stack);
        }
        None
    }

    /// The MLflow interface a class implements, directly or through project base classes.
    pub fn agent_interface(&self, class: ClassRef) -> Option<AgentInterface> {
        let mut seen: FxHashSet<ClassRef> = FxHashSet::default();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            for base in self.base_symbols(c) {
                match *base {
                    Symbol::Known(KnownSymbol::AgentBase(interface)) => return Some(interface),
                    Symbol::Class(b) => stack.push(b),
                    _ => {}
                }
            }
        }
        None
    }

    /// The project modules `file` imports, anywhere in its code.
    pub fn imported_files(&self, file: FileIdx) -> Vec<FileIdx> {
        let package = &self.outline(file).package;
        let names = &self.summary(file).imported_modules;
        let folder = package.join(".");
        let sibling = |n: &String| {
            (!package.is_empty() && !self.modules.contains_key(&folder))
                .then(|| self.module(&format!("{folder}.{n}")))
                .flatten()
        };
        let mut found: Vec<FileIdx> = names
            .iter()
            .filter_map(|n| self.module(n).or_else(|| sibling(n)))
            .collect();
        found.sort();
        found.dedup();
        found.retain(|&i| i != file);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::{SourceKind, parse_source};

    const SERVICES: &str = r#"
class Base:
    def inherited(self, token):
        pass


class Service(Base):
    def connect(self, token):
        pass


class Other:
    def connect(self, token):
        pass


service = Service()
"#;

    const APP: &str = r#"
from services import service as imported, Service, Other

module_level = Service()
maybe = None
maybe = Service()
either = Service()
either = Other()


class Holder:
    def __init__(self):
        self.service = Service()

    def run(self, token):
        self.service.connect(token)


def handler(token, parameter, table):
    local = Other()
    module_level.connect(token)
    module_level.inherited(token)
    imported.connect(token)
    local.connect(token)
    maybe.connect(token)
    either.connect(token)
    parameter.connect(token)
    table["x"].connect(token)
    module_level.missing(token)
"#;

    /// What each call's callee names, by the callee's source text, in call order.
    fn callees(project: &Project<'_>, file: FileIdx) -> Vec<(String, Symbol)> {
        let model = project.model(file);
        let text = APP;
        all_calls(model)
            .filter(|(_, call)| matches!(call.func.as_ref(), Expr::Attribute(_)))
            .map(|(scope, call)| {
                let range = ruff_text_size::Ranged::range(call.func.as_ref());
                (
                    text[usize::from(range.start())..usize::from(range.end())].to_string(),
                    project.symbol(file, scope, &call.func),
                )
            })
            .collect()
    }

    /// `services.py` and `app.py` at the root of `/p`.
    fn services_and_app<'a>(
        services: &'a obolint_python::ParsedSource,
        app: &'a obolint_python::ParsedSource,
    ) -> Vec<ProjectFile<'a>> {
        [("services.py", services), ("app.py", app)]
            .into_iter()
            .enumerate()
            .map(|(i, (name, parsed))| {
                ProjectFile::new(
                    FileId(i as u32),
                    PathBuf::from("/p").join(name),
                    ModuleModel::build(parsed.body(), Vec::new()),
                    None,
                )
            })
            .collect()
    }

    /// [`Project::functions_called`] and [`Project::known_calls`] are, scope by scope, what
    /// resolving each call's callee gives: the call graph and the library calls without the
    /// calls' trees.
    #[test]
    fn the_call_graph_is_each_calls_resolved_callee() {
        let services = parse_source(SERVICES, SourceKind::Python);
        let app = parse_source(
            &format!(
                "{APP}\nfrom databricks.sdk import WorkspaceClient\n\n\ndef f():\n    \
                 WorkspaceClient()\n    handler(1, 2, 3)\n    Holder()\n\n\nclass Late:\n    \
                 x = f()\n\n\nWorkspaceClient()\nf()\n"
            ),
            SourceKind::Python,
        );
        let files = services_and_app(&services, &app);
        let settings = Settings::default();
        let project = Project::new(PathBuf::from("/p"), files, &settings);
        let (mut functions, mut known) = (0, 0);
        for file in project.file_indices() {
            let model = project.model(file);
            let mut expected_known = Vec::new();
            for (index, scope) in model.scopes.iter().enumerate() {
                let id = ScopeId(index as u32);
                let mut expected = Vec::new();
                for call in &scope.calls {
                    match project.symbol(file, id, &call.func) {
                        Symbol::Function(f) => expected.push((id, call.range(), f)),
                        Symbol::Class(class) => {
                            if let Some(init) = project.find_method(class, "__init__") {
                                expected.push((id, call.range(), init));
                            }
                        }
                        Symbol::Known(symbol) => expected_known.push((id, call.range(), symbol)),
                        _ => {}
                    }
                }
                functions += expected.len();
                assert_eq!(project.functions_called(file, id), expected.as_slice());
            }
            let found: Vec<_> = project
                .known_calls(file)
                .map(|k| (k.scope, k.call.range(), k.symbol))
                .collect();
            known += found.len();
            assert_eq!(found, expected_known);
        }
        // Six method calls resolved in `APP`, then `handler`, `Holder` (its `__init__`) and
        // `f` twice (`Service()` and `Other()` have no `__init__`); `WorkspaceClient` twice.
        assert_eq!((functions, known), (10, 2));
    }

    /// Every callee the index resolved from a file's questions and the other files' outlines
    /// names what resolving it from the trees names, across each kind of question.
    #[test]
    fn questions_for_other_files_are_answered_as_the_trees_answer() {
        const HELPERS: &str = r#"
from services import Service, service as reexported


def make(x):
    pass


class Child(Service):
    def own(self):
        self.connect(1)
        self.inherited(2)
        self.missing(3)


instance = Service()
"#;
        const MAIN: &str = r#"
import helpers
import services as svc
from helpers import instance, Child, reexported
from pkg.missing import nothing


helpers.make(1)
instance.connect(1)
reexported.inherited(1)
svc.service.connect(1)
svc.Service.connect(instance, 1)
Child().own()
child = Child()
child.connect(2)
child.own()
nothing.connect(3)


class Holder:
    def __init__(self):
        self.child = Child()
        self.maybe = None
        self.maybe = Child()

    def run(self):
        self.child.inherited(1)
        self.maybe.own()
        helpers.Child.own(self.child)
"#;
        let sources = [
            ("services.py", SERVICES),
            ("helpers.py", HELPERS),
            ("main.py", MAIN),
        ];
        let parsed: Vec<_> = sources
            .iter()
            .map(|(_, text)| parse_source(text, SourceKind::Python))
            .collect();
        let files = sources
            .iter()
            .zip(&parsed)
            .enumerate()
            .map(|(i, ((name, _), parsed))| {
                ProjectFile::new(
                    FileId(i as u32),
                    PathBuf::from("/p").join(name),
                    ModuleModel::build(parsed.body(), Vec::new()),
                    None,
                )
            })
            .collect();
        let settings = Settings::default();
        let project = Project::new(PathBuf::from("/p"), files, &settings);
        let mut resolved = Vec::new();
        for (file, (_, text)) in project.file_indices().zip(&sources) {
            for (scope, call) in all_calls(project.model(file)) {
                let from_trees = project.symbol_rooted(file, scope, &call.func, None);
                assert_eq!(project.callee(file, &call.func), Some(from_trees));
                let range = call.func.range();
                let callee = &text[usize::from(range.start())..usize::from(range.end())];
                resolved.push((callee.to_string(), from_trees));
            }
        }
        let method = |file: u32, class: &str, name: &str| {
            let model = project.model(FileIdx(file));
            let class = model
                .class_ids()
                .find(|&c| model.class(c).name == class)
                .expect("class");
            Symbol::Function(FnRef {
                file: FileIdx(file),
                func: model.class(class).methods[name],
            })
        };
        let of = |callee: &str| {
            resolved
                .iter()
                .find(|(text, _)| text == callee)
                .map(|(_, symbol)| *symbol)
                .expect(callee)
        };
        // A method found through a base in another file, from the receiver and from instances
        // made here, imported, re-exported, and stored on `self`.
        assert_eq!(of("self.connect"), method(0, "Service", "connect"));
        assert_eq!(of("self.inherited"), method(0, "Base", "inherited"));
        assert_eq!(of("self.missing"), Symbol::Unknown);
        assert_eq!(of("instance.connect"), method(0, "Service", "connect"));
        assert_eq!(of("reexported.inherited"), method(0, "Base", "inherited"));
        assert_eq!(of("child.connect"), method(0, "Service", "connect"));
        assert_eq!(of("child.own"), method(1, "Child", "own"));
        assert_eq!(of("self.child.inherited"), method(0, "Base", "inherited"));
        assert_eq!(of("self.maybe.own"), Symbol::Unknown, "`None` stored");
        assert_eq!(of("svc.Service.connect"), method(0, "Service", "connect"));
        assert_eq!(of("helpers.Child.own"), method(1, "Child", "own"));
        assert_eq!(of("Child().own"), Symbol::Unknown);
        assert_eq!(of("nothing.connect"), Symbol::Unknown);
        let make = of("helpers.make");
        let Symbol::Function(make) = make else {
            panic!("`helpers.make` is a function: {make:?}");
        };
        // A module's function and a class's method called on the class leave the first
        // parameter to the arguments; an instance's method binds it.
        assert!(project.callers(make).all(|site| !site.bound));
        let Symbol::Function(own) = method(1, "Child", "own") else {
            unreachable!("a method");
        };
        let bound: Vec<bool> = project.callers(own).map(|s| s.bound).collect();
        assert_eq!(
            bound,
            [true, false],
            "`child.own()`, `helpers.Child.own(...)`"
        );
    }

    #[test]
    fn methods_of_instances_resolve_through_their_bindings() {
        let services = parse_source(SERVICES, SourceKind::Python);
        let app = parse_source(APP, SourceKind::Python);
        let files = services_and_app(&services, &app);
        let settings = Settings::default();
        let project = Project::new(PathBuf::from("/p"), files, &settings);
        let services = project.model(FileIdx(0));
        let method = |class: &str, name: &str| {
            let class = services
                .class_ids()
                .find(|&c| services.class(c).name == class)
                .expect("class");
            Symbol::Function(FnRef {
                file: FileIdx(0),
                func: services.class(class).methods[name],
            })
        };
        let found = callees(&project, FileIdx(1));
        let of = |callee: &str| {
            found
                .iter()
                .find(|(text, _)| text == callee)
                .map(|(_, symbol)| *symbol)
                .expect(callee)
        };
        assert_eq!(of("self.service.connect"), method("Service", "connect"));
        assert_eq!(of("module_level.connect"), method("Service", "connect"));
        assert_eq!(of("module_level.inherited"), method("Base", "inherited"));
        assert_eq!(of("imported.connect"), method("Service", "connect"));
        assert_eq!(of("local.connect"), method("Other", "connect"));
        assert_eq!(
            of("maybe.connect"),
            method("Service", "connect"),
            "`None` skipped"
        );
        assert_eq!(of("either.connect"), Symbol::Unknown, "two classes");
        assert_eq!(of("parameter.connect"), Symbol::Unknown);
        assert_eq!(of("table[\"x\"].connect"), Symbol::Unknown);
        assert_eq!(of("module_level.missing"), Symbol::Unknown);
        // The receiver fills `self`: the call site is bound.
        let connect = match method("Service", "connect") {
            Symbol::Function(f) => f,
            _ => unreachable!("a method"),
        };
        assert!(project.callers(connect).all(|site| site.bound));
        assert_eq!(project.callers(connect).len(), 4);
    }

    #[test]
    fn module_names_follow_packages_and_src_layout() {
        let root = Path::new("/p");
        assert_eq!(module_names(root, Path::new("/p/agent.py")), ["agent"]);
        assert_eq!(module_names(root, Path::new("/p/pkg/__init__.py")), ["pkg"]);
        assert_eq!(
            module_names(root, Path::new("/p/src/pkg/tools.py")),
            ["src.pkg.tools", "pkg.tools"]
        );
        assert_eq!(package_of(root, Path::new("/p/src/pkg/tools.py")), ["pkg"]);
        assert_eq!(package_of(root, Path::new("/p/pkg/__init__.py")), ["pkg"]);
        assert!(package_of(root, Path::new("/p/agent.py")).is_empty());
    }

    #[test]
    fn module_names_at_the_edges() {
        let root = Path::new("/p");
        let none: [&str; 0] = [];
        for (path, names) in [
            ("/p/src/__init__.py", &["src"][..]),
            ("/p/src/pkg/__init__.py", &["src.pkg", "pkg"]),
            ("/p/src/m.py", &["src.m", "m"]),
            ("/p/a.b/c.py", &["a.b.c"]),
            ("/p//a/./b.py", &["a.b"]),
            ("/p/x/src/m.py", &["x.src.m"]),
            ("/p/.py", &[""]),
            ("/p/__init__.py", &none),
            ("/p/notes.txt", &none),
            ("/p", &none),
            ("/q/a.py", &none),
        ] {
            assert_eq!(module_names(root, Path::new(path)), names, "{path}");
        }
    }
}
