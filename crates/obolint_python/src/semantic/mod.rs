//! The per-file semantic model: scopes with their bindings, functions and classes, and the calls
//! each scope makes when it runs. Built once per file by [`ModuleModel::build`]; the checker's
//! project model links files together on top of it.
//!
//! Python's rules are followed where they decide what a name means: a function body sees its own
//! bindings, then enclosing functions, then the module (never the class body it sits in);
//! `global` names live in the module; decorators, default values and base classes run in the
//! enclosing scope when the `def`/`class` statement runs; a lambda or nested `def` is only
//! defined, not run, so its calls belong to its own scope.

mod builder;
mod outline;
mod resolve;
pub mod statements;

use ruff_python_ast::{Expr, ExprCall, ExprLambda, Stmt, StmtClassDef, StmtFunctionDef};
use ruff_text_size::TextRange;
use rustc_hash::{FxHashMap, FxHashSet};

pub use outline::{ClassOutline, MemberRef, ModuleOutline};
pub use resolve::{NameMeaning, Resolution};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class(ClassId),
    Function(FunctionId),
    /// A lambda: defined where it stands, run only when called (we never follow such calls).
    Lambda,
}

/// What a value bound to a name was, as far as the binding statement tells.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// `name = expr`, `name := expr`
    Expr(&'a Expr),
    /// `a, name = expr`: element `index` of what `expr` evaluates to.
    Element(&'a Expr, usize),
    /// Bound by something we do not model (`for`, `with ... as`, augmented assignment).
    Unknown,
}

#[derive(Clone, Debug)]
pub enum BindingKind<'a> {
    /// `import a.b as c` binds `c` to `a.b`; `import a.b` binds `a` to `a`.
    Import {
        qualified: &'a str,
    },
    /// `from .mod import name as alias`: `level` leading dots, then `module`.
    FromImport {
        level: u32,
        module: &'a str,
        name: &'a str,
    },
    Class(ClassId),
    Function(FunctionId),
    Assignment(Value<'a>),
    Parameter,
}

#[derive(Clone, Debug)]
pub struct Binding<'a> {
    pub kind: BindingKind<'a>,
    /// The bound name's range (or the statement's when the name has none of its own).
    pub range: TextRange,
    /// The statement that binds it inside a `try` body or `except ImportError` handler.
    pub in_try: bool,
}

/// The bindings of one name in one scope, in source order. Nearly always one, kept inline: a
/// `Vec` per name (which allocates room for four) was a third of the semantic model's memory.
/// Derefs to a slice. (Not `SmallVec`: it would make every model invariant over `'a`.)
#[derive(Clone, Debug)]
pub enum Bindings<'a> {
    One(Binding<'a>),
    Many(Vec<Binding<'a>>),
}

impl<'a> Bindings<'a> {
    pub fn push(&mut self, binding: Binding<'a>) {
        match self {
            Bindings::One(_) => {
                if let Bindings::One(first) = std::mem::replace(self, Bindings::Many(Vec::new())) {
                    *self = Bindings::Many(vec![first, binding]);
                }
            }
            Bindings::Many(all) => all.push(binding),
        }
    }
}

impl<'a> std::ops::Deref for Bindings<'a> {
    type Target = [Binding<'a>];

    fn deref(&self) -> &[Binding<'a>] {
        match self {
            Bindings::One(one) => std::slice::from_ref(one),
            Bindings::Many(all) => all,
        }
    }
}

impl<'s, 'a> IntoIterator for &'s Bindings<'a> {
    type Item = &'s Binding<'a>;
    type IntoIter = std::slice::Iter<'s, Binding<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A scope's bindings by name, in the order their names were first bound. Most scopes bind a
/// few names: up to [`BindingMap::LINEAR`] are found by comparing them, and only a larger scope
/// keeps an index by name. (A hash map per scope, whose tables are at most seven-eighths full
/// and never smaller than four entries, held half again the memory of the bindings.) The index
/// holds positions only, 4 bytes a slot where a map by name held 24: a name is hashed again
/// from `entries` when the table grows.
#[derive(Debug, Default)]
pub struct BindingMap<'a> {
    entries: Vec<(&'a str, Bindings<'a>)>,
    /// Each name's position in `entries`, once there are more than [`BindingMap::LINEAR`].
    index: hashbrown::HashTable<u32>,
}

/// How [`BindingMap`]'s index hashes a name.
fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(name)
}

impl<'a> BindingMap<'a> {
    /// How many names are looked up without an index.
    pub const LINEAR: usize = 8;

    fn position(&self, name: &str) -> Option<usize> {
        if self.index.is_empty() {
            // Lengths and first bytes first: most names differ there, without a call of
            // `memcmp` (names are short; this is the builder's most frequent question).
            let first = name.as_bytes().first();
            self.entries.iter().position(|(bound, _)| {
                bound.len() == name.len() && bound.as_bytes().first() == first && *bound == name
            })
        } else {
            let entries = &self.entries;
            self.index
                .find(name_hash(name), |&at| entries[at as usize].0 == name)
                .map(|&at| at as usize)
        }
    }

    pub fn get(&self, name: &str) -> Option<&Bindings<'a>> {
        self.position(name).map(|at| &self.entries[at].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The names and their bindings, in the order the names were first bound.
    pub fn iter(&self) -> impl Iterator<Item = (&&'a str, &Bindings<'a>)> {
        self.entries.iter().map(|(name, bindings)| (name, bindings))
    }

    pub fn keys(&self) -> impl Iterator<Item = &&'a str> {
        self.entries.iter().map(|(name, _)| name)
    }

    pub fn values(&self) -> impl Iterator<Item = &Bindings<'a>> {
        self.entries.iter().map(|(_, bindings)| bindings)
    }

    /// Adds `binding` to the bindings of `name`.
    pub fn push(&mut self, name: &'a str, binding: Binding<'a>) {
        if let Some(at) = self.position(name) {
            self.entries[at].1.push(binding);
            return;
        }
        let at = self.entries.len() as u32;
        self.entries.push((name, Bindings::One(binding)));
        if self.entries.len() > Self::LINEAR {
            let entries = &self.entries;
            let rehash = |&at: &u32| name_hash(entries[at as usize].0);
            if self.index.is_empty() {
                self.index.reserve(entries.len(), rehash);
                for (at, (name, _)) in entries.iter().enumerate() {
                    self.index.insert_unique(name_hash(name), at as u32, rehash);
                }
            } else {
                self.index.insert_unique(name_hash(name), at, rehash);
            }
        }
    }

    /// Gives back the room grown into while the scope was built.
    fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        let entries = &self.entries;
        self.index
            .shrink_to_fit(|&at| name_hash(entries[at as usize].0));
    }
}

impl<'a> std::ops::Index<&str> for BindingMap<'a> {
    type Output = Bindings<'a>;

    /// The bindings of `name`, which must be bound here.
    fn index(&self, name: &str) -> &Bindings<'a> {
        match self.get(name) {
            Some(bindings) => bindings,
            None => panic!("`{name}` is not bound in this scope"),
        }
    }
}

impl<'s, 'a> IntoIterator for &'s BindingMap<'a> {
    type Item = (&'s &'a str, &'s Bindings<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'s, (&'a str, Bindings<'a>)>,
        fn(&'s (&'a str, Bindings<'a>)) -> (&'s &'a str, &'s Bindings<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(name, bindings)| (name, bindings))
    }
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    pub bindings: BindingMap<'a>,
    /// Every call evaluated when this scope's code runs, in source order (comprehensions
    /// included; nested `def`s, classes and lambdas excluded: they have their own scopes).
    pub calls: Vec<&'a ExprCall>,
    /// What few scopes have ([`Scope::is_global`], [`Scope::item_stores`]), boxed: two empty
    /// hash tables in every scope were a fifth of its size.
    rare: Option<Box<RareParts<'a>>>,
}

#[derive(Debug, Default)]
struct RareParts<'a> {
    globals: FxHashSet<&'a str>,
    item_stores: FxHashMap<&'a str, Vec<ItemStore<'a>>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(kind: ScopeKind, parent: Option<ScopeId>) -> Self {
        Scope {
            kind,
            parent,
            bindings: BindingMap::default(),
            calls: Vec::new(),
            rare: None,
        }
    }

    /// `name` is declared `global` here: its bindings live in the module scope.
    pub fn is_global(&self, name: &str) -> bool {
        self.rare.as_ref().is_some_and(|r| r.globals.contains(name))
    }

    /// The `name[key] = value` stores into the container `name` (`key` when it is a string
    /// literal), in source order: how `**kwargs` dicts are filled.
    pub fn item_stores(&self, name: &str) -> &[ItemStore<'a>] {
        self.rare
            .as_ref()
            .and_then(|r| r.item_stores.get(name))
            .map_or(&[], Vec::as_slice)
    }

    fn rare_mut(&mut self) -> &mut RareParts<'a> {
        self.rare.get_or_insert_default()
    }

    pub(crate) fn declare_global(&mut self, name: &'a str) {
        self.rare_mut().globals.insert(name);
    }

    pub(crate) fn add_item_store(&mut self, container: &'a str, store: ItemStore<'a>) {
        self.rare_mut()
            .item_stores
            .entry(container)
            .or_default()
            .push(store);
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ItemStore<'a> {
    pub key: Option<&'a str>,
    pub value: &'a Expr,
}

#[derive(Debug)]
pub struct FunctionInfo<'a> {
    pub def: &'a StmtFunctionDef,
    pub name: &'a str,
    /// The function's own scope.
    pub scope: ScopeId,
    /// Where the `def` statement stands.
    pub parent_scope: ScopeId,
    /// The class this function is a method of (its `def` is directly in the class body).
    pub class: Option<ClassId>,
    /// The first positional parameter of a method (`self`, `cls`).
    pub receiver: Option<&'a str>,
    /// The values of its `return` statements (a bare `return` is `None`, so not listed).
    pub returns: Vec<&'a Expr>,
    pub has_bare_return: bool,
}

#[derive(Debug)]
pub struct ClassInfo<'a> {
    pub def: &'a StmtClassDef,
    pub name: &'a str,
    pub scope: ScopeId,
    pub parent_scope: ScopeId,
    /// Methods by name; a later `def` of the same name replaces an earlier one.
    pub methods: FxHashMap<&'a str, FunctionId>,
    /// `self.attr = value` in any method, by attribute name.
    pub attribute_stores: FxHashMap<&'a str, Vec<(ScopeId, Value<'a>)>>,
}

impl ClassInfo<'_> {
    pub fn bases(&self) -> &[Expr] {
        self.def.arguments.as_ref().map_or(&[], |a| &a.args)
    }
}

/// Everything obolint knows about one file's code, borrowing its AST.
#[derive(Debug)]
pub struct ModuleModel<'a> {
    /// The dotted package the file is in (`["pkg", "sub"]` for `pkg/sub/mod.py`), for relative
    /// imports; empty at the project root.
    pub package: Vec<String>,
    pub body: &'a [Stmt],
    pub scopes: Vec<Scope<'a>>,
    pub functions: Vec<FunctionInfo<'a>>,
    pub classes: Vec<ClassInfo<'a>>,
    pub lambdas: Vec<&'a ExprLambda>,
    /// The code names what every user credential starts from ([`user_credential_word`]): the
    /// OBO strategy (`ModelServingUserCredentials`, `CredentialStrategy.MODEL_SERVING_USER_CREDENTIALS`)
    /// or the Databricks Apps forwarded token (the `x-forwarded-access-token` header in a string,
    /// a parameter `x_forwarded_access_token`); also set when the walk gave up on deep nesting.
    /// A project none of whose files does, and that configures no user-client factory, cannot
    /// hold a user client.
    pub names_user_credentials: bool,
    /// Some `from … import` names one of [`OBO_IMPORTED_NAMES`] (what a rule checks the modules
    /// of), or the walk gave up on deep nesting: a file where it is false needs no walk of its
    /// imports for them.
    pub imports_obo_names: bool,
    /// The ranges of the top-level `if __name__ == "__main__":` blocks ([`is_main_guard`]): their
    /// code does not run when the module is imported or loaded.
    pub main_guards: Vec<TextRange>,
}

/// `if __name__ == "__main__":` (either operand order).
pub fn is_main_guard(stmt: &Stmt) -> bool {
    let Stmt::If(if_stmt) = stmt else {
        return false;
    };
    let Expr::Compare(compare) = if_stmt.test.as_ref() else {
        return false;
    };
    let ([op], [right]) = (compare.ops.as_ref(), compare.comparators.as_ref()) else {
        return false;
    };
    if *op != ruff_python_ast::CmpOp::Eq {
        return false;
    }
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "__main__");
    (is_name(&compare.left) && is_main(right)) || (is_main(&compare.left) && is_name(right))
}

/// The names a user credential is built from: the last part of every qualified name that
/// [`known_symbol`](crate::known::known_symbol) takes for the OBO strategy or the vector search
/// enum member (an expression that resolves to one of them names it, in an import, an attribute
/// or a name). A test holds the two together.
/// The names whose `from … import` a rule checks (OBO205: imported from a module that has none).
pub const OBO_IMPORTED_NAMES: [&str; 3] = [
    "GenieAgent",
    "ModelServingUserCredentials",
    "UserCredentials",
];

pub const USER_CREDENTIAL_NAMES: [&str; 3] = [
    "ModelServingUserCredentials",
    "UserCredentials",
    "MODEL_SERVING_USER_CREDENTIALS",
];

/// The header the Databricks Apps proxy forwards the user's token in (any case).
pub const TOKEN_HEADER: &str = "x-forwarded-access-token";

/// A FastAPI parameter name that reads [`TOKEN_HEADER`] (any case).
pub const TOKEN_PARAMETER: &str = "x_forwarded_access_token";

/// `name` is one of [`USER_CREDENTIAL_NAMES`].
pub fn user_credential_word(name: &str) -> bool {
    USER_CREDENTIAL_NAMES.contains(&name)
}

impl<'a> ModuleModel<'a> {
    pub const MODULE_SCOPE: ScopeId = ScopeId(0);

    pub fn build(body: &'a [Stmt], package: Vec<String>) -> Self {
        builder::build(body, package)
    }

    pub fn scope(&self, id: ScopeId) -> &Scope<'a> {
        &self.scopes[id.0 as usize]
    }

    pub fn function(&self, id: FunctionId) -> &FunctionInfo<'a> {
        &self.functions[id.0 as usize]
    }

    pub fn class(&self, id: ClassId) -> &ClassInfo<'a> {
        &self.classes[id.0 as usize]
    }

    pub fn function_ids(&self) -> impl Iterator<Item = FunctionId> + use<'_, 'a> {
        (0..self.functions.len() as u32).map(FunctionId)
    }

    pub fn class_ids(&self) -> impl Iterator<Item = ClassId> + use<'_, 'a> {
        (0..self.classes.len() as u32).map(ClassId)
    }

    /// The function whose own scope is `scope`, if any.
    pub fn function_of_scope(&self, scope: ScopeId) -> Option<FunctionId> {
        match self.scope(scope).kind {
            ScopeKind::Function(f) => Some(f),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceKind, parse_source};

    /// A scope's bindings are found by name below and above the size that gives it an index,
    /// in the order their names were first bound, each name's bindings in source order.
    #[test]
    fn bindings_by_name_in_small_and_large_scopes() {
        for count in [1, BindingMap::LINEAR, BindingMap::LINEAR + 1, 100] {
            // `n0 = 0`, `n1 = 1`, ... then each name again, in reverse.
            let mut source = String::new();
            for i in 0..count {
                source.push_str(&format!("n{i} = {i}\n"));
            }
            for i in (0..count).rev() {
                source.push_str(&format!("n{i} = -{i}\n"));
            }
            let parsed = parse_source(&source, SourceKind::Python);
            let model = ModuleModel::build(parsed.body(), Vec::new());
            let bindings = &model.scope(ModuleModel::MODULE_SCOPE).bindings;
            assert_eq!(bindings.len(), count);
            let names: Vec<String> = (0..count).map(|i| format!("n{i}")).collect();
            assert!(
                bindings
                    .keys()
                    .map(|n| n.to_string())
                    .eq(names.iter().cloned())
            );
            for (i, name) in names.iter().enumerate() {
                let found = bindings.get(name).expect("bound");
                assert_eq!(found.len(), 2, "{name} of {count}");
                assert!(found[0].range.start() < found[1].range.start());
                assert!(bindings.contains_key(name));
                assert_eq!(bindings[name.as_str()].len(), 2);
                let (key, _) = bindings.iter().nth(i).expect("an entry");
                assert_eq!(key, name);
            }
            assert!(bindings.get("missing").is_none());
            assert!(!bindings.contains_key(&format!("n{count}")));
            assert_eq!(bindings.values().count(), count);
        }
    }
}
