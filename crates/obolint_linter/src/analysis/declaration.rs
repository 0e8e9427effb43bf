//! What a log call declares (the rule catalogue "Log calls"): its `resources=` and `auth_policy=`, read
//! through names (same file or a project module), lists built by literal, `+`,
//! `.append`/`.extend`, `**kwargs` dicts and the returns of project functions, into typed values.
//! Whatever cannot be read for sure is [`Resolved::Unknown`], and the checks that need it stay
//! silent: never guess.

use std::path::{Path, PathBuf};

use obolint_python::known::{KnownSymbol, ResourceKind};
use obolint_python::semantic::{BindingKind, ModuleModel, NameMeaning, Resolution, ScopeId, Value};
use ruff_python_ast::{Expr, ExprCall, Operator};
use ruff_text_size::{Ranged, TextRange};

use super::client_argument::{dict_mutated, is_builtin_dict_call};
use crate::project::{FileIdx, Project, Symbol};

/// A value the analyzer read for sure, or one it could not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved<T> {
    Known(T),
    Unknown,
}

impl<T> Resolved<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Resolved::Known(value) => Some(value),
            Resolved::Unknown => None,
        }
    }
}

impl<T> From<Option<T>> for Resolved<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Resolved::Unknown, Resolved::Known)
    }
}

/// An expression with where it is evaluated.
#[derive(Clone, Copy, Debug)]
pub struct Site<'a> {
    pub file: FileIdx,
    pub scope: ScopeId,
    pub expr: &'a Expr,
}

/// One `Databricks*` resource object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub kind: ResourceKind,
    /// Its name, when given as a string the analyzer can read.
    pub name: Option<String>,
    pub on_behalf_of_user: Option<bool>,
    pub file: FileIdx,
    pub range: TextRange,
}

/// One scope string of `api_scopes`, with the span of its literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeLiteral {
    pub value: String,
    pub file: FileIdx,
    pub range: TextRange,
}

/// The list `api_scopes` resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeList {
    /// The list literal (following names), where a missing scope is appended.
    pub file: FileIdx,
    pub list: TextRange,
    /// Whether `list` is a plain list literal holding every scope (the fix can append to it).
    pub literal: bool,
    pub scopes: Vec<ScopeLiteral>,
}

/// `resources=`: objects, or a `resources.yaml` path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resources {
    List(Vec<Resource>),
    /// A path to a YAML file, resolved when it exists.
    File(String, Option<PathBuf>),
}

/// `auth_policy=AuthPolicy(...)`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    /// `system_auth_policy=SystemAuthPolicy(resources=[...])`, when given.
    pub system: Option<Resolved<Vec<Resource>>>,
    /// `user_auth_policy=UserAuthPolicy(api_scopes=[...])`, when given.
    pub user: Option<Resolved<ScopeList>>,
}

/// A keyword of the call (or a key of a `**kwargs` dict) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyword<T> {
    pub file: FileIdx,
    /// The keyword's name (`resources`), or the dict key's string.
    pub name: TextRange,
    /// The whole `name=value` (for rewriting).
    pub range: TextRange,
    pub value: Resolved<T>,
}

/// `pip_requirements=` / `extra_pip_requirements=`: a list of strings, or a file path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipRequirements {
    /// Each requirement string with the span of its literal; `true` when they are exactly the
    /// items of one list literal (a new one can be appended to it).
    List(Vec<(String, FileIdx, TextRange)>, bool),
    /// A requirements file, resolved when it exists.
    File(String, Option<PathBuf>),
}

/// What one log call declares.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Declaration {
    pub resources: Option<Keyword<Resources>>,
    pub auth_policy: Option<Keyword<Policy>>,
    pub pip_requirements: Option<Keyword<PipRequirements>>,
    pub extra_pip_requirements: Option<Keyword<PipRequirements>>,
    /// A `**kwargs` the analyzer could not read: any keyword may hide in it.
    pub opaque_kwargs: bool,
    /// `resources=` is known not to be `None` (a list literal, later grown with items the
    /// analyzer cannot read, or a path), even when its entries cannot be read.
    pub resources_not_none: bool,
}

impl Declaration {
    /// The user scopes it declares, when read for sure.
    pub fn user_scopes(&self) -> Option<&ScopeList> {
        self.auth_policy
            .as_ref()?
            .value
            .known()?
            .user
            .as_ref()?
            .known()
    }

    /// The `resources.yaml` it names, when the file exists.
    pub fn resources_file(&self) -> Option<&Path> {
        match self.resources.as_ref()?.value.known()? {
            Resources::File(_, path) => path.as_deref(),
            Resources::List(_) => None,
        }
    }

    /// It passes `auth_policy` with a `UserAuthPolicy(...)` (read or not).
    pub fn has_user_policy(&self) -> bool {
        self.auth_policy
            .as_ref()
            .and_then(|k| k.value.known())
            .is_some_and(|p| p.user.is_some())
    }
}

const MAX_DEPTH: u32 = 12;

/// A list longer than this is not read (`None`): a list grown from another several times over,
/// level after level, doubles at every level, and no declaration lists so many items.
const MAX_LIST_ITEMS: usize = 10_000;

/// A list read once, by where it is and how deep the reading was ([`Reader::list_items`]).
type ListKey = (FileIdx, ScopeId, usize, u32);

/// Reads values for declarations.
pub struct Reader<'p, 'a> {
    pub project: &'p Project<'a>,
    /// While [`Reader::path_candidates`] runs: which alternative to take at each branch point
    /// (a name bound on both branches of an `if`/`try`, a conditional expression).
    branches: std::cell::RefCell<Option<Branches>>,
    /// The lists read, outside [`Reader::path_candidates`] (whose choices change values): a
    /// list built from another several times over is read once per site and depth, not once
    /// per mention.
    lists: std::cell::RefCell<rustc_hash::FxHashMap<ListKey, Option<Vec<Site<'a>>>>>,
    /// The steps left to the path being read ([`Reader::path`]); `None` once it ran out.
    path_steps: std::cell::Cell<Option<usize>>,
}

/// The choices of one walk through a path's alternatives.
#[derive(Default)]
struct Branches {
    /// The alternative to take at each branch point met, in order (0 past the end).
    script: Vec<usize>,
    /// How many alternatives each branch point met had.
    counts: Vec<usize>,
}

/// At most this many walks: a path with more alternatives is left unresolved.
const MAX_PATH_CANDIDATES: usize = 16;

/// The parts one path is read from, at most, and its length: a name used several times over,
/// level after level (`p2 = f"{p1}{p1}"`, `os.path.join(p1, p1)`), doubles both at every level.
/// A path past either is unknown, as one that cannot be read.
const MAX_PATH_STEPS: usize = 10_000;
const MAX_PATH_LEN: usize = 4096;

impl<'p, 'a> Reader<'p, 'a> {
    pub fn new(project: &'p Project<'a>) -> Self {
        Self {
            project,
            branches: std::cell::RefCell::default(),
            lists: std::cell::RefCell::default(),
            path_steps: std::cell::Cell::new(None),
        }
    }

    /// Which of `count` alternatives to follow at a branch point: `None` outside
    /// [`Reader::path_candidates`] (a value with alternatives is unknown there).
    fn choose(&self, count: usize) -> Option<usize> {
        let mut branches = self.branches.borrow_mut();
        let branches = branches.as_mut()?;
        let at = branches.counts.len();
        branches.counts.push(count);
        Some(branches.script.get(at).copied().unwrap_or(0).min(count - 1))
    }

    /// Every path `site` may be, one per combination of the alternatives it is built from (the
    /// rule catalogue "Linking idioms": a name assigned on both branches of an `if`/`else` or a
    /// `try`/`except`, a conditional expression); `None` when some combination cannot be read
    /// or there are too many.
    pub fn path_candidates(&self, site: Site<'_>) -> Option<Vec<PathValue>> {
        let mut out = Vec::new();
        let mut script: Vec<usize> = Vec::new();
        for _ in 0..MAX_PATH_CANDIDATES {
            self.branches.replace(Some(Branches {
                script: script.clone(),
                counts: Vec::new(),
            }));
            let found = self.path(site, 0);
            let walked = self.branches.replace(None).unwrap_or_default();
            out.push(found?);
            // The next combination: advance the last branch point that has alternatives left.
            let mut taken: Vec<usize> = (0..walked.counts.len())
                .map(|i| script.get(i).copied().unwrap_or(0))
                .collect();
            loop {
                let Some(last) = taken.pop() else {
                    return Some(out);
                };
                if last + 1 < walked.counts[taken.len()] {
                    taken.push(last + 1);
                    break;
                }
            }
            script = taken;
        }
        None
    }

    pub fn model(&self, file: FileIdx) -> &'p ModuleModel<'a> {
        self.project.model(file)
    }

    /// Reads the declaration of a log call.
    pub fn declaration(&self, file: FileIdx, scope: ScopeId, call: &'a ExprCall) -> Declaration {
        let mut declaration = Declaration::default();
        let mut entries: Vec<(TextRange, TextRange, &str, Site<'a>)> = Vec::new();
        for keyword in &call.arguments.keywords {
            match &keyword.arg {
                Some(arg) => entries.push((
                    arg.range(),
                    keyword.range(),
                    arg.as_str(),
                    Site {
                        file,
                        scope,
                        expr: &keyword.value,
                    },
                )),
                None => match self.kwargs_entries(file, scope, &keyword.value) {
                    Some(found) => entries.extend(found),
                    None => declaration.opaque_kwargs = true,
                },
            }
        }
        for (name, range, key, site) in entries {
            match key {
                "resources" => {
                    declaration.resources_not_none = self.value(site, 0).is_some_and(|v| {
                        matches!(
                            v.expr,
                            Expr::List(_)
                                | Expr::Tuple(_)
                                | Expr::ListComp(_)
                                | Expr::StringLiteral(_)
                        ) || matches!(v.expr, Expr::BinOp(b) if b.op == Operator::Add
                            && matches!(b.left.as_ref(), Expr::List(_) | Expr::Tuple(_)))
                    });
                    declaration.resources = Some(Keyword {
                        file: site.file,
                        name,
                        range,
                        value: self.resources_argument(site).into(),
                    });
                }
                "pip_requirements" | "extra_pip_requirements" => {
                    let keyword = Some(Keyword {
                        file: site.file,
                        name,
                        range,
                        value: self.pip_requirements(site).into(),
                    });
                    if key == "pip_requirements" {
                        declaration.pip_requirements = keyword;
                    } else {
                        declaration.extra_pip_requirements = keyword;
                    }
                }
                "auth_policy" => {
                    declaration.auth_policy = Some(Keyword {
                        file: site.file,
                        name,
                        range,
                        value: self.policy(site, 0).into(),
                    });
                }
                _ => {}
            }
        }
        declaration
    }

    /// The entries of a `**kwargs` dict: `{...}`, `dict(...)`, and later `d["key"] = value`.
    pub(crate) fn kwargs_entries(
        &self,
        file: FileIdx,
        scope: ScopeId,
        expr: &'a Expr,
    ) -> Option<Vec<(TextRange, TextRange, &'a str, Site<'a>)>> {
        let model = self.model(file);
        match expr {
            Expr::Dict(dict) => dict
                .items
                .iter()
                .map(|item| match &item.key {
                    Some(Expr::StringLiteral(key)) => Some((
                        key.range(),
                        TextRange::new(key.start(), item.value.end()),
                        key.value.to_str(),
                        Site {
                            file,
                            scope,
                            expr: &item.value,
                        },
                    )),
                    _ => None,
                })
                .collect(),
            Expr::Call(call) if is_builtin_dict_call(model, scope, call) => call
                .arguments
                .keywords
                .iter()
                .map(|k| {
                    let arg = k.arg.as_ref()?;
                    Some((
                        arg.range(),
                        k.range(),
                        arg.as_str(),
                        Site {
                            file,
                            scope,
                            expr: &k.value,
                        },
                    ))
                })
                .collect(),
            Expr::Name(name) => {
                let name = name.id.as_str();
                let Resolution::Values(found, values) = model.resolve_name(scope, name) else {
                    return None;
                };
                let [Value::Expr(value)] = values.as_slice() else {
                    return None;
                };
                let mut entries = self.kwargs_entries(file, found, value)?;
                let s = model.scope(found);
                for store in s.item_stores(name) {
                    let key = store.key?;
                    entries.retain(|(_, _, k, _)| *k != key);
                    entries.push((
                        store.value.range(),
                        store.value.range(),
                        key,
                        Site {
                            file,
                            scope: found,
                            expr: store.value,
                        },
                    ));
                }
                (!dict_mutated(s, name)).then_some(entries)
            }
            _ => None,
        }
    }

    /// Follows names and project-function calls to the expression that builds a value.
    pub fn value(&self, site: Site<'a>, depth: u32) -> Option<Site<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let model = self.model(site.file);
        match site.expr {
            Expr::Name(name) => match model.resolve_name(site.scope, name.id.as_str()) {
                Resolution::Values(found, values) => match values.as_slice() {
                    [Value::Expr(value)] => self.value(
                        Site {
                            file: site.file,
                            scope: found,
                            expr: value,
                        },
                        depth + 1,
                    ),
                    _ => None,
                },
                Resolution::Imported(names) => match names.as_slice() {
                    [qualified] => {
                        let (file, value) = self.module_variable(qualified)?;
                        self.value(
                            Site {
                                file,
                                scope: ModuleModel::MODULE_SCOPE,
                                expr: value,
                            },
                            depth + 1,
                        )
                    }
                    _ => None,
                },
                _ => None,
            },
            Expr::Call(call) => match self.project.symbol(site.file, site.scope, &call.func) {
                Symbol::Function(function) => {
                    let info = self.model(function.file).function(function.func);
                    match info.returns.as_slice() {
                        [value] if !info.has_bare_return => self.value(
                            Site {
                                file: function.file,
                                scope: info.scope,
                                expr: value,
                            },
                            depth + 1,
                        ),
                        _ => None,
                    }
                }
                _ => Some(site),
            },
            _ => Some(site),
        }
    }

    /// A variable at the top level of a project module (`from config import SCOPES`), bound once.
    fn module_variable(&self, qualified: &str) -> Option<(FileIdx, &'a Expr)> {
        let (module, member) = qualified.rsplit_once('.')?;
        let file = self.project.module(module)?;
        let model = self.model(file);
        let bindings = model
            .scope(ModuleModel::MODULE_SCOPE)
            .bindings
            .get(member)?;
        match &bindings[..] {
            [binding] => match &binding.kind {
                BindingKind::Assignment(Value::Expr(value)) => Some((file, value)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The items of a list: literals, `a + b`, names later grown with `.append`/`.extend`,
    /// `[x for x in <list>]`. `None` when any part cannot be read.
    pub fn list_items(&self, site: Site<'a>, depth: u32) -> Option<Vec<Site<'a>>> {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.branches.borrow().is_some() {
            return self
                .read_list(site, depth)
                .filter(|items| items.len() <= MAX_LIST_ITEMS);
        }
        let key = (
            site.file,
            site.scope,
            std::ptr::from_ref(site.expr) as usize,
            depth,
        );
        if let Some(known) = self.lists.borrow().get(&key) {
            return known.clone();
        }
        let items = self
            .read_list(site, depth)
            .filter(|items| items.len() <= MAX_LIST_ITEMS);
        self.lists.borrow_mut().insert(key, items.clone());
        items
    }

    /// [`Reader::list_items`], read.
    fn read_list(&self, site: Site<'a>, depth: u32) -> Option<Vec<Site<'a>>> {
        let model = self.model(site.file);
        let at = |expr: &'a Expr| Site {
            file: site.file,
            scope: site.scope,
            expr,
        };
        match site.expr {
            Expr::List(list) => self.elements(site, &list.elts, depth),
            Expr::Tuple(tuple) => self.elements(site, &tuple.elts, depth),
            Expr::BinOp(binop) if binop.op == Operator::Add => {
                let mut items = self.list_items(at(&binop.left), depth + 1)?;
                items.extend(self.list_items(at(&binop.right), depth + 1)?);
                Some(items)
            }
            Expr::ListComp(comp) => {
                let [generator] = comp.generators.as_slice() else {
                    return None;
                };
                let (Expr::Name(target), Expr::Name(elt)) = (&generator.target, comp.elt.as_ref())
                else {
                    return None;
                };
                if target.id != elt.id || !generator.ifs.is_empty() || generator.is_async {
                    return None;
                }
                self.list_items(at(&generator.iter), depth + 1)
            }
            Expr::Call(call)
                if matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "list")
                    && call.arguments.args.len() == 1
                    && call.arguments.keywords.is_empty() =>
            {
                self.list_items(at(&call.arguments.args[0]), depth + 1)
            }
            Expr::Name(name) => {
                let name = name.id.as_str();
                match model.resolve_name(site.scope, name) {
                    Resolution::Values(found, values) => {
                        let [Value::Expr(value)] = values.as_slice() else {
                            return None;
                        };
                        let mut items = self.list_items(
                            Site {
                                file: site.file,
                                scope: found,
                                expr: value,
                            },
                            depth + 1,
                        )?;
                        items.extend(self.grown(site.file, found, name, depth)?);
                        Some(items)
                    }
                    Resolution::Imported(names) => {
                        let [qualified] = names.as_slice() else {
                            return None;
                        };
                        let (file, value) = self.module_variable(qualified)?;
                        let (_, member) = qualified.rsplit_once('.')?;
                        let mut items = self.list_items(
                            Site {
                                file,
                                scope: ModuleModel::MODULE_SCOPE,
                                expr: value,
                            },
                            depth + 1,
                        )?;
                        items.extend(self.grown(file, ModuleModel::MODULE_SCOPE, member, depth)?);
                        Some(items)
                    }
                    _ => None,
                }
            }
            Expr::Call(_) => {
                let value = self.value(site, depth + 1)?;
                if std::ptr::eq(value.expr, site.expr) {
                    None
                } else {
                    self.list_items(value, depth + 1)
                }
            }
            _ => None,
        }
    }

    fn elements(&self, site: Site<'a>, elts: &'a [Expr], depth: u32) -> Option<Vec<Site<'a>>> {
        let mut items = Vec::new();
        for elt in elts {
            match elt {
                Expr::Starred(starred) => items.extend(self.list_items(
                    Site {
                        expr: &starred.value,
                        ..site
                    },
                    depth + 1,
                )?),
                _ => items.push(Site { expr: elt, ..site }),
            }
        }
        Some(items)
    }

    /// What `.append(x)` / `.extend(xs)` / `+= xs` add to list `name` bound in `scope`; `None`
    /// when it is changed in a way the analyzer does not follow.
    fn grown(
        &self,
        file: FileIdx,
        scope: ScopeId,
        name: &str,
        depth: u32,
    ) -> Option<Vec<Site<'a>>> {
        let model = self.model(file);
        let mut items = Vec::new();
        for call in &model.scope(scope).calls {
            let Expr::Attribute(attribute) = call.func.as_ref() else {
                continue;
            };
            if !matches!(attribute.value.as_ref(), Expr::Name(n) if n.id.as_str() == name) {
                continue;
            }
            let at = |expr: &'a Expr| Site { file, scope, expr };
            match (attribute.attr.as_str(), call.arguments.args.as_ref()) {
                ("append", [value]) => items.push(at(value)),
                ("extend", [values]) => items.extend(self.list_items(at(values), depth + 1)?),
                ("insert" | "remove" | "pop" | "clear" | "sort" | "reverse", _) => return None,
                ("append" | "extend", _) => return None,
                _ => {}
            }
        }
        Some(items)
    }

    /// A string the analyzer can read for sure.
    pub fn string(&self, site: Site<'a>, depth: u32) -> Option<String> {
        match self.value(site, depth)?.expr {
            Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
            _ => None,
        }
    }

    fn pip_requirements(&self, site: Site<'a>) -> Option<PipRequirements> {
        let value = self.value(site, 0)?;
        if let Expr::StringLiteral(literal) = value.expr {
            let relative = literal.value.to_str().to_string();
            let found = self.resolve_path(site.file, &relative);
            return Some(PipRequirements::File(relative, found));
        }
        let items = self.list_items(site, 0)?;
        let strings = items
            .into_iter()
            .map(|item| {
                let value = self.value(item, 0)?;
                match value.expr {
                    Expr::StringLiteral(literal) => Some((
                        literal.value.to_str().to_string(),
                        value.file,
                        literal.range(),
                    )),
                    _ => None,
                }
            })
            .collect::<Option<Vec<_>>>()?;
        let literal = matches!(value.expr, Expr::List(l) if l.elts.len() == strings.len()
            && l.elts.iter().all(Expr::is_string_literal_expr));
        Some(PipRequirements::List(strings, literal))
    }

    fn resources_argument(&self, site: Site<'a>) -> Option<Resources> {
        let value = self.value(site, 0)?;
        if let Expr::StringLiteral(literal) = value.expr {
            let relative = literal.value.to_str().to_string();
            let found = self.resolve_path(site.file, &relative);
            return Some(Resources::File(relative, found));
        }
        self.resources(site).map(Resources::List)
    }

    /// A path relative to the logging file's folder, then the project root, when it exists.
    pub fn resolve_path(&self, file: FileIdx, relative: &str) -> Option<PathBuf> {
        let here = self.project.file(file).path.parent()?;
        [here, self.project.root.as_path()]
            .iter()
            .map(|base| base.join(relative))
            .find(|candidate| self.project.is_file(candidate))
    }

    /// A list of `Databricks*` resource objects.
    pub fn resources(&self, site: Site<'a>) -> Option<Vec<Resource>> {
        let items = self.list_items(site, 0)?;
        items.into_iter().map(|item| self.resource(item)).collect()
    }

    fn resource(&self, item: Site<'a>) -> Option<Resource> {
        let value = self.value(item, 0)?;
        let Expr::Call(call) = value.expr else {
            return None;
        };
        let Symbol::Known(KnownSymbol::Resource(kind)) =
            self.project.symbol(value.file, value.scope, &call.func)
        else {
            return None;
        };
        let at = |expr: &'a Expr| Site {
            file: value.file,
            scope: value.scope,
            expr,
        };
        let name_arg = call
            .arguments
            .find_keyword(kind.name_keyword())
            .map(|k| &k.value)
            .or_else(|| call.arguments.args.first());
        let obo_arg = call
            .arguments
            .find_keyword("on_behalf_of_user")
            .map(|k| &k.value)
            .or_else(|| call.arguments.args.get(1));
        Some(Resource {
            kind,
            name: name_arg.and_then(|e| self.string(at(e), 0)),
            on_behalf_of_user: obo_arg.and_then(|e| match self.value(at(e), 0)?.expr {
                Expr::BooleanLiteral(b) => Some(b.value),
                _ => None,
            }),
            file: value.file,
            range: call.range(),
        })
    }

    fn policy(&self, site: Site<'a>, depth: u32) -> Option<Policy> {
        let value = self.value(site, depth)?;
        let Expr::Call(call) = value.expr else {
            return None;
        };
        if self.project.symbol(value.file, value.scope, &call.func)
            != Symbol::Known(KnownSymbol::AuthPolicy)
        {
            return None;
        }
        let at = |expr: &'a Expr| Site {
            file: value.file,
            scope: value.scope,
            expr,
        };
        // `AuthPolicy(user_auth_policy=None, system_auth_policy=None)`.
        let user = argument(call, "user_auth_policy", 0).filter(|e| !e.is_none_literal_expr());
        let system = argument(call, "system_auth_policy", 1).filter(|e| !e.is_none_literal_expr());
        Some(Policy {
            user: user.map(|e| self.user_policy(at(e)).into()),
            system: system.map(|e| self.system_policy(at(e)).into()),
        })
    }

    /// The argument `keyword` (or the first positional one) of a call of `known`.
    fn known_call_argument(
        &self,
        site: Site<'a>,
        known: KnownSymbol,
        keyword: &str,
    ) -> Option<Site<'a>> {
        let value = self.value(site, 0)?;
        let Expr::Call(call) = value.expr else {
            return None;
        };
        if self.project.symbol(value.file, value.scope, &call.func) != Symbol::Known(known) {
            return None;
        }
        Some(Site {
            expr: argument(call, keyword, 0)?,
            ..value
        })
    }

    fn user_policy(&self, site: Site<'a>) -> Option<ScopeList> {
        self.scope_list(self.known_call_argument(
            site,
            KnownSymbol::UserAuthPolicy,
            "api_scopes",
        )?)
    }

    fn system_policy(&self, site: Site<'a>) -> Option<Vec<Resource>> {
        self.resources(self.known_call_argument(
            site,
            KnownSymbol::SystemAuthPolicy,
            "resources",
        )?)
    }

    /// The scope strings of `api_scopes`, and the list literal they are in.
    fn scope_list(&self, site: Site<'a>) -> Option<ScopeList> {
        let items = self.list_items(site, 0)?;
        let mut scopes = Vec::new();
        for item in items {
            let value = self.value(item, 0)?;
            let Expr::StringLiteral(literal) = value.expr else {
                return None;
            };
            scopes.push(ScopeLiteral {
                value: literal.value.to_str().to_string(),
                file: value.file,
                range: literal.range(),
            });
        }
        // The list literal a name resolves to (OBO401 points there, and appends to it).
        let list = self.value(site, 0).unwrap_or(site);
        let literal = matches!(list.expr, Expr::List(l) if l.elts.len() == scopes.len()
            && l.elts.iter().all(Expr::is_string_literal_expr));
        Some(ScopeList {
            file: list.file,
            list: list.expr.range(),
            literal,
            scopes,
        })
    }
}

/// A keyword argument, or the positional argument at `position`.
fn argument<'a>(call: &'a ExprCall, keyword: &str, position: usize) -> Option<&'a Expr> {
    call.arguments
        .find_keyword(keyword)
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.get(position))
}

/// Where a path expression points, for `python_model=` (the rule catalogue "Model"): string literals,
/// `__file__`, `os.path.join/dirname/abspath/realpath`, `Path(...)`, `/`, `.parent`,
/// `.resolve()`, `os.getcwd()`, `Path.cwd()`, `str(...)`, f-strings and `+` of those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathValue {
    /// Relative to the logging file's folder (then the root).
    Relative(PathBuf),
    /// Absolute, from `__file__` or the working folder.
    Absolute(PathBuf),
}

impl Reader<'_, '_> {
    /// Evaluates a path expression written in `file` (`depth` 0: a path of its own, with its
    /// own `MAX_PATH_STEPS`).
    pub fn path(&self, site: Site<'_>, depth: u32) -> Option<PathValue> {
        if depth == 0 {
            self.path_steps.set(Some(MAX_PATH_STEPS));
            let value = self.path_step(site, 0);
            // Ran out: unknown, whatever parts were read.
            return value.filter(|_| self.path_steps.get().is_some());
        }
        self.path_step(site, depth)
    }

    fn path_step(&self, site: Site<'_>, depth: u32) -> Option<PathValue> {
        let steps = self.path_steps.get()?;
        if steps == 0 {
            self.path_steps.set(None);
            return None;
        }
        self.path_steps.set(Some(steps - 1));
        let value = self.read_path(site, depth)?;
        let (PathValue::Relative(path) | PathValue::Absolute(path)) = &value;
        if path.as_os_str().len() > MAX_PATH_LEN {
            self.path_steps.set(None);
            return None;
        }
        Some(value)
    }

    fn read_path(&self, site: Site<'_>, depth: u32) -> Option<PathValue> {
        if depth > MAX_DEPTH {
            return None;
        }
        let file_path = &self.project.file(site.file).path;
        let here = file_path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let model = self.model(site.file);
        let at = |expr| Site { expr, ..site };
        let qualified = |expr: &Expr| match model.meaning(site.scope, expr) {
            NameMeaning::Qualified(names) if names.len() == 1 => names.into_iter().next(),
            _ => None,
        };
        match site.expr {
            Expr::StringLiteral(literal) => {
                let text = literal.value.to_str();
                let path = PathBuf::from(text);
                Some(if path.is_absolute() {
                    PathValue::Absolute(path)
                } else {
                    PathValue::Relative(path)
                })
            }
            Expr::Name(name) if name.id.as_str() == "__file__" => matches!(
                model.resolve_name(site.scope, "__file__"),
                Resolution::Unbound
            )
            .then(|| PathValue::Absolute(file_path.clone())),
            Expr::Name(name) => match model.resolve_name(site.scope, name.id.as_str()) {
                Resolution::Values(found, values) => {
                    let value = match values.as_slice() {
                        [Value::Expr(value)] => *value,
                        [] => return None,
                        several => match several.get(self.choose(several.len())?)? {
                            Value::Expr(value) => *value,
                            _ => return None,
                        },
                    };
                    self.path(
                        Site {
                            file: site.file,
                            scope: found,
                            expr: value,
                        },
                        depth + 1,
                    )
                }
                _ => None,
            },
            Expr::If(conditional) => {
                let branch = if self.choose(2)? == 0 {
                    &conditional.body
                } else {
                    &conditional.orelse
                };
                self.path(at(branch), depth + 1)
            }
            Expr::FString(fstring) => {
                let mut text = String::new();
                for element in fstring.value.elements() {
                    match element {
                        ruff_python_ast::InterpolatedStringElement::Literal(literal) => {
                            text.push_str(&literal.value);
                        }
                        ruff_python_ast::InterpolatedStringElement::Interpolation(part) => {
                            if part.format_spec.is_some()
                                || part.conversion != ruff_python_ast::ConversionFlag::None
                            {
                                return None;
                            }
                            let inner = self.path(at(&part.expression), depth + 1)?;
                            text.push_str(&path_text(&inner)?);
                        }
                    }
                }
                Some(from_text(&text))
            }
            Expr::BinOp(binop) if binop.op == Operator::Div => {
                let left = self.path(at(&binop.left), depth + 1)?;
                let right = self.path(at(&binop.right), depth + 1)?;
                join(left, right)
            }
            Expr::BinOp(binop) if binop.op == Operator::Add => {
                let left = path_text(&self.path(at(&binop.left), depth + 1)?)?;
                let right = path_text(&self.path(at(&binop.right), depth + 1)?)?;
                Some(from_text(&(left + &right)))
            }
            Expr::Attribute(attribute) if attribute.attr.as_str() == "parent" => {
                match self.path(at(&attribute.value), depth + 1)? {
                    PathValue::Absolute(p) => Some(PathValue::Absolute(p.parent()?.to_path_buf())),
                    PathValue::Relative(_) => None,
                }
            }
            Expr::Call(call) => {
                let args = &call.arguments.args;
                if !call.arguments.keywords.is_empty() {
                    return None;
                }
                // Methods of a path: `.resolve()`, `.absolute()`, `.joinpath(...)`.
                if let Expr::Attribute(attribute) = call.func.as_ref()
                    && qualified(&call.func).is_none()
                {
                    let base = self.path(at(&attribute.value), depth + 1)?;
                    return match (attribute.attr.as_str(), args.as_ref()) {
                        ("resolve" | "absolute", []) => Some(base),
                        ("joinpath", parts) => parts
                            .iter()
                            .try_fold(base, |acc, part| join(acc, self.path(at(part), depth + 1)?)),
                        _ => None,
                    };
                }
                let callee = qualified(&call.func).or_else(|| match call.func.as_ref() {
                    Expr::Name(n)
                        if n.id.as_str() == "str"
                            && matches!(
                                model.resolve_name(site.scope, "str"),
                                Resolution::Unbound
                            ) =>
                    {
                        Some("str".to_string())
                    }
                    _ => None,
                })?;
                match (callee.as_str(), args.as_ref()) {
                    ("os.getcwd" | "pathlib.Path.cwd", []) => Some(PathValue::Absolute(here)),
                    (
                        "str" | "os.path.abspath" | "os.path.realpath" | "os.path.normpath"
                        | "pathlib.Path" | "pathlib.PurePath" | "os.fspath",
                        [inner],
                    ) => {
                        let value = self.path(at(inner), depth + 1)?;
                        Some(match value {
                            PathValue::Relative(p)
                                if matches!(
                                    callee.as_str(),
                                    "os.path.abspath" | "os.path.realpath"
                                ) =>
                            {
                                // Relative to the working folder: the notebook's own.
                                PathValue::Absolute(here.join(p))
                            }
                            other => other,
                        })
                    }
                    ("os.path.dirname", [inner]) => match self.path(at(inner), depth + 1)? {
                        PathValue::Absolute(p) => {
                            Some(PathValue::Absolute(p.parent()?.to_path_buf()))
                        }
                        PathValue::Relative(p) => {
                            Some(PathValue::Relative(p.parent()?.to_path_buf()))
                        }
                    },
                    ("os.path.join" | "pathlib.Path" | "pathlib.PurePath", [first, rest @ ..]) => {
                        let first = self.path(at(first), depth + 1)?;
                        rest.iter().try_fold(first, |acc, part| {
                            join(acc, self.path(at(part), depth + 1)?)
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn path_text(value: &PathValue) -> Option<String> {
    match value {
        PathValue::Relative(p) | PathValue::Absolute(p) => p.to_str().map(str::to_string),
    }
}

fn from_text(text: &str) -> PathValue {
    let path = PathBuf::from(text);
    if path.is_absolute() {
        PathValue::Absolute(path)
    } else {
        PathValue::Relative(path)
    }
}

fn join(left: PathValue, right: PathValue) -> Option<PathValue> {
    match (left, right) {
        (_, PathValue::Absolute(p)) => Some(PathValue::Absolute(p)),
        (PathValue::Absolute(a), PathValue::Relative(b)) => Some(PathValue::Absolute(a.join(b))),
        (PathValue::Relative(a), PathValue::Relative(b)) => Some(PathValue::Relative(a.join(b))),
    }
}
