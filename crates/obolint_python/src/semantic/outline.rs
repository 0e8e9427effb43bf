//! A file's outline: what another file can ask of it, owned, borrowing nothing of its tree.
//!
//! Resolving a name across files (`from pkg.tools import make_client`, then
//! `make_client(...)`) asks the other file a few questions only: what a module-level name is
//! bound to last (a class, a function, an import), the methods and bases of its classes, and
//! which class a module-level instance is made from (`service = Service()`). The outline
//! answers them without the other file's syntax tree, so that the project index needs only the
//! tree of the file it resolves.

use ruff_python_ast::Expr;

use super::{
    BindingKind, ClassId, FunctionId, ModuleModel, NameMeaning, Resolution, Value, name_hash,
};

/// What other files can ask of one file ([`ModuleModel::outline`]). Compact: every name it
/// holds is a span of one string, and lookups are binary searches of sorted slices (an outline
/// lives beside every parsed file's model, and outlives it once trees are dropped).
#[derive(Debug, Default)]
pub struct ModuleOutline {
    /// The file's package ([`ModuleModel::package`]).
    pub package: Vec<String>,
    /// Every name and import path below, one after the other.
    names: String,
    /// Module-level names that can mean something to another file.
    members: Box<[(Span, Member)]>,
    /// Each member's position in `members`, by its name's hash: every name another file
    /// imports from this one is looked up here.
    by_name: hashbrown::HashTable<u32>,
    /// Every class, by [`ClassId`].
    classes: Box<[ClassOutline]>,
}

/// Where a name is in [`ModuleOutline::names`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// A module-level name, as `pkg.module.name` reads it from another file: what its last
/// binding is, and whether it can be an instance of a class (`service = Service()`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Member {
    Class(ClassId),
    Function(FunctionId),
    /// An import (`import a.b as c`, `from .x import y`): the absolute name it binds (`None`
    /// when a relative import climbs above the root), and whether every binding of the name
    /// imports that one name (an instance re-exported, `from .services import service` in
    /// `__init__.py`, if that name is one).
    Import {
        path: Option<Span>,
        only: bool,
    },
    /// Assigned only calls (and `None`, skipped): what each callee means, seen from the
    /// module. An instance of a class if every callee names that one class.
    Instance(Box<[NameMeaning]>),
}

/// A module-level name, as `pkg.module.name` reads it from another file
/// ([`ModuleOutline::member`]): what its last binding is, and whether it can be an instance of
/// a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRef<'o> {
    Class(ClassId),
    Function(FunctionId),
    Import { path: Option<&'o str>, only: bool },
    Instance(&'o [NameMeaning]),
}

/// What other files ask of a class.
#[derive(Debug)]
pub struct ClassOutline {
    /// Its methods, sorted by name ([`ClassInfo::methods`](super::ClassInfo)).
    methods: Box<[(Span, FunctionId)]>,
    /// What each base names, seen from where the class is defined, methods aside: a base
    /// written `self.x` in a method is never a class (`NameMeaning::Other`), nor is a class's
    /// attribute that is a method (which base readers skip).
    pub bases: Box<[NameMeaning]>,
}

impl ModuleOutline {
    fn name(&self, span: Span) -> &str {
        &self.names[span.start as usize..(span.start + span.len) as usize]
    }

    /// The module-level name `name`, if it can mean anything to another file.
    pub fn member(&self, name: &str) -> Option<MemberRef<'_>> {
        let at = *self.by_name.find(name_hash(name), |&at| {
            self.name(self.members[at as usize].0) == name
        })? as usize;
        Some(match &self.members[at].1 {
            Member::Class(class) => MemberRef::Class(*class),
            Member::Function(function) => MemberRef::Function(*function),
            Member::Import { path, only } => MemberRef::Import {
                path: path.map(|p| self.name(p)),
                only: *only,
            },
            Member::Instance(callees) => MemberRef::Instance(callees),
        })
    }

    /// The method `name` of `class` itself.
    pub fn method(&self, class: ClassId, name: &str) -> Option<FunctionId> {
        let methods = &self.classes[class.0 as usize].methods;
        let at = methods
            .binary_search_by(|(span, _)| self.name(*span).cmp(name))
            .ok()?;
        Some(methods[at].1)
    }

    /// The methods of `class`, by name.
    pub fn methods(&self, class: ClassId) -> impl Iterator<Item = (&str, FunctionId)> {
        self.classes[class.0 as usize]
            .methods
            .iter()
            .map(|&(name, function)| (self.name(name), function))
    }

    pub fn class(&self, id: ClassId) -> &ClassOutline {
        &self.classes[id.0 as usize]
    }

    pub fn classes(&self) -> &[ClassOutline] {
        &self.classes
    }
}

/// Appends `name` to `names`, giving its span.
fn push(names: &mut String, name: &str) -> Span {
    let start = names.len() as u32;
    names.push_str(name);
    Span {
        start,
        len: name.len() as u32,
    }
}

impl ModuleModel<'_> {
    /// This file's outline.
    pub fn outline(&self) -> ModuleOutline {
        let module = self.scope(Self::MODULE_SCOPE);
        let mut names = String::new();
        let mut members = Vec::new();
        for (name, bindings) in &module.bindings {
            let Some(last) = bindings.last() else {
                continue;
            };
            let import = |path: Option<&str>, names: &mut String| {
                // One binding imports its one name; several may import others.
                let only = path.is_some()
                    && (bindings.len() == 1
                        || matches!(
                            self.resolve_name(Self::MODULE_SCOPE, name),
                            Resolution::Imported(found) if found.len() == 1
                        ));
                Member::Import {
                    path: path.map(|p| push(names, p)),
                    only,
                }
            };
            let member = match &last.kind {
                BindingKind::Class(class) => Member::Class(*class),
                BindingKind::Function(function) => Member::Function(*function),
                BindingKind::Import { qualified } => import(Some(qualified), &mut names),
                BindingKind::FromImport {
                    level,
                    module,
                    name: imported,
                } => import(
                    self.absolute_import(*level, module, imported).as_deref(),
                    &mut names,
                ),
                // An assignment that makes no instance means nothing to another file.
                BindingKind::Assignment(_) | BindingKind::Parameter => match self.instance(name) {
                    Some(callees) => Member::Instance(callees),
                    None => continue,
                },
            };
            members.push((push(&mut names, name), member));
        }
        let name_of = |s: Span| &names[s.start as usize..(s.start + s.len) as usize];
        let mut by_name = hashbrown::HashTable::with_capacity(members.len());
        for (at, (span, _)) in members.iter().enumerate() {
            by_name.insert_unique(name_hash(name_of(*span)), at as u32, |&at: &u32| {
                name_hash(name_of(members[at as usize].0))
            });
        }
        let classes = self
            .classes
            .iter()
            .map(|info| {
                let mut methods: Vec<(Span, FunctionId)> = info
                    .methods
                    .iter()
                    .map(|(name, function)| (push(&mut names, name), *function))
                    .collect();
                methods.sort_unstable_by(|(a, _), (b, _)| {
                    let name = |s: &Span| &names[s.start as usize..(s.start + s.len) as usize];
                    name(a).cmp(name(b))
                });
                ClassOutline {
                    methods: methods.into_boxed_slice(),
                    bases: info
                        .bases()
                        .iter()
                        .map(|base| self.base_meaning(info.parent_scope, base))
                        .collect(),
                }
            })
            .collect();
        names.shrink_to_fit();
        ModuleOutline {
            package: self.package.clone(),
            names,
            members: members.into_boxed_slice(),
            by_name,
            classes,
        }
    }

    /// What the callees of a module-level name assigned only calls (and `None`) mean, when
    /// each may name a class.
    fn instance(&self, name: &str) -> Option<Box<[NameMeaning]>> {
        let Resolution::Values(found, values) = self.resolve_name(Self::MODULE_SCOPE, name) else {
            return None;
        };
        let mut callees = Vec::new();
        for value in &values {
            let Value::Expr(expr) = value else {
                return None;
            };
            match expr {
                Expr::NoneLiteral(_) => {}
                Expr::Call(call) => match self.meaning(found, &call.func) {
                    meaning @ (NameMeaning::Qualified(_) | NameMeaning::Class(_)) => {
                        callees.push(meaning);
                    }
                    // A function, a method or a value: no class.
                    _ => return None,
                },
                _ => return None,
            }
        }
        (!callees.is_empty()).then(|| callees.into_boxed_slice())
    }

    /// What a base of a class defined in `scope` names ([`ClassOutline::bases`]).
    fn base_meaning(&self, scope: super::ScopeId, base: &Expr) -> NameMeaning {
        // `self.Base` in a method: the receiver's attribute, a method or nothing.
        if let Expr::Attribute(attribute) = base
            && let Expr::Name(name) = attribute.value.as_ref()
            && self.receiver_class(scope, name.id.as_str()).is_some()
        {
            return NameMeaning::Other;
        }
        self.meaning(scope, base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceKind, parse_source};

    fn outline(source: &str, package: &[&str]) -> ModuleOutline {
        let parsed = parse_source(source, SourceKind::Python);
        let model = ModuleModel::build(
            parsed.body(),
            package.iter().map(|p| p.to_string()).collect(),
        );
        model.outline()
    }

    fn qualified(name: &str) -> NameMeaning {
        NameMeaning::Qualified(vec![name.to_string()])
    }

    #[test]
    fn members_are_what_other_files_read_of_module_names() {
        let o = outline(
            r#"
import os.path
import a.b as ab
from . import sibling
from ...far import away
from .services import service
try:
    from x import Either
except ImportError:
    from y import Either
try:
    from x import Same
except ImportError:
    from x import Same
from z import Shadowed
class Shadowed:
    def run(self): ...
    def apply(self): ...
def helper(): ...
plain = 1
made = Shadowed()
maybe = None
maybe = ab.Client()
mixed = Shadowed()
mixed = helper()
counted = 0
def bump():
    global counted, made_later
    made_later = Shadowed()
"#,
            &["pkg"],
        );
        let import = |path, only| Some(MemberRef::Import { path, only });
        assert_eq!(o.member("os"), import(Some("os"), true));
        assert_eq!(o.member("ab"), import(Some("a.b"), true));
        assert_eq!(o.member("sibling"), import(Some("pkg.sibling"), true));
        assert_eq!(o.member("away"), import(None, false), "above the root");
        assert_eq!(
            o.member("service"),
            import(Some("pkg.services.service"), true)
        );
        // Two import paths: the last one is what `pkg.module.Either` reads; no instance.
        assert_eq!(o.member("Either"), import(Some("y.Either"), false));
        assert_eq!(o.member("Same"), import(Some("x.Same"), true));
        assert_eq!(o.member("Shadowed"), Some(MemberRef::Class(ClassId(0))));
        assert_eq!(o.member("helper"), Some(MemberRef::Function(FunctionId(2))));
        assert_eq!(o.member("plain"), None, "a value that is no instance");
        let shadowed = [NameMeaning::Class(ClassId(0))];
        assert_eq!(o.member("made"), Some(MemberRef::Instance(&shadowed)));
        assert_eq!(
            o.member("maybe"),
            Some(MemberRef::Instance(&[qualified("a.b.Client")])),
            "`None` skipped"
        );
        assert_eq!(
            o.member("mixed"),
            None,
            "a function's call makes no instance"
        );
        assert_eq!(o.member("counted"), None);
        assert_eq!(
            o.member("made_later"),
            Some(MemberRef::Instance(&shadowed)),
            "a `global` name is the module's"
        );
        assert_eq!(o.member("missing"), None);
        assert_eq!(o.method(ClassId(0), "run"), Some(FunctionId(0)));
        assert_eq!(o.method(ClassId(0), "apply"), Some(FunctionId(1)));
        assert_eq!(o.method(ClassId(0), "missing"), None);
        assert_eq!(o.package, ["pkg"]);
    }

    #[test]
    fn bases_are_named_from_where_the_class_stands() {
        let o = outline(
            r#"
from mlflow.pyfunc import ResponsesAgent
import abc
class Local: ...
class A(ResponsesAgent, Local, abc.ABC, object, Generic[T]): ...
class B(Local.method): ...
class C:
    def method(self):
        class Inner(self.Base, Local): ...
"#,
            &[],
        );
        // `Local`, `A`, `B`, `C`, `Inner`.
        assert_eq!(o.classes().len(), 5);
        assert_eq!(
            o.class(ClassId(1)).bases[..],
            [
                qualified("mlflow.pyfunc.ResponsesAgent"),
                NameMeaning::Class(ClassId(0)),
                qualified("abc.ABC"),
                NameMeaning::Other,
                NameMeaning::Other,
            ]
        );
        assert!(matches!(
            o.class(ClassId(2)).bases[..],
            [NameMeaning::Other]
        ));
        // The receiver's attribute is no class; the name beside it is read from the method.
        let inner = &o.class(ClassId(4)).bases;
        assert!(matches!(
            inner[..],
            [NameMeaning::Other, NameMeaning::Class(ClassId(0))]
        ));
    }
}
