//! A file's calls resolved as far as the file alone allows: what each callee names is either
//! known from the file (a local function, a value) or a [`Pending`] question for the other
//! files' outlines (an import path to follow, a method to find through bases defined
//! elsewhere, the class of an instance another module makes). The index finishes them
//! ([`Project::finish`](super::Project)).
//!
//! Nothing here reads another file, so a file's calls can be resolved by the task that parses
//! it, while its tree is at hand, and the tree need not outlive the task.

use obolint_python::semantic::{ClassId, ModuleModel, NameMeaning, Resolution, ScopeId, Value};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::FxHashMap;

/// What a callee names, as far as its own file tells: the question
/// [`Project::symbol`](super::Project::symbol) answers, with the answers that need other files
/// left to be asked of their outlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Pending {
    /// What the meaning names across the project (a local definition, or an absolute name to
    /// follow through the modules).
    Named(NameMeaning),
    /// `self.method`: the method `attr` of the receiver's class (in the same file), or
    /// nothing.
    Method(ClassId, Box<str>),
    /// `obj.method`: the method `attr` of the class `obj` is an instance of, if there is one
    /// and it has the method; otherwise what the whole expression names (`otherwise`).
    InstanceMethod {
        instance: InstanceOf,
        attr: Box<str>,
        otherwise: NameMeaning,
    },
}

/// How an expression may be an instance of one project class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum InstanceOf {
    /// Every value is a call of a callee with this meaning: an instance if all name one class.
    Calls(Box<[NameMeaning]>),
    /// Imported from each of these absolute names: an instance if each is a module-level
    /// instance of one class.
    Imported(Box<[String]>),
}

/// One file's calls with their callees' questions: a callee written the same way with its
/// first name bound in the same scope is asked once (files call the same few callees over and
/// over).
pub(super) struct LocalCalls {
    pub questions: Vec<Pending>,
    /// Every call (in the order of [`all_calls`]) with its scope, its callee's question and,
    /// for an attribute callee that may be a function (`obj.method`), the question of what
    /// `obj` names (whether the receiver is bound to the first parameter).
    pub calls: Vec<LocalCall>,
}

/// A call, owned: where it is (its scope, its place among the scope's calls, its range and its
/// callee's) and its questions.
pub(super) struct LocalCall {
    pub scope: ScopeId,
    pub index: u32,
    pub range: TextRange,
    pub callee_range: TextRange,
    pub callee: u32,
    pub receiver: Receiver,
}

/// Whether a call's receiver fills the first parameter of the function it calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Receiver {
    /// No receiver (`f(x)`), or a callee that is no function.
    Unbound,
    /// A receiver that is no class and no module (`self.m(x)`, `obj.m(x)`).
    Bound,
    /// Bound unless the question's answer is a class or a module (`Class.m(obj, x)`,
    /// `module.f(x)`).
    Asked(u32),
}

/// The questions of one file's callees, as they are asked.
struct Questions<'m, 'a> {
    model: &'m ModuleModel<'a>,
    questions: Vec<Pending>,
    /// The question of a dotted callee by the calling scope (the same callee again in one
    /// function), then by the scope its first name is bound in (the same callee in another
    /// function of the file). The keys' hash and equality read only names.
    by_scope: FxHashMap<(ScopeId, Dotted<'a>), u32>,
    by_binding: FxHashMap<(Option<ScopeId>, Dotted<'a>), u32>,
}

impl<'a> Questions<'_, 'a> {
    fn ask(&mut self, pending: Pending) -> u32 {
        self.questions.push(pending);
        self.questions.len() as u32 - 1
    }

    /// The question of what `expr`, seen from `scope`, names.
    #[allow(clippy::mutable_key_type)]
    fn of(&mut self, scope: ScopeId, expr: &'a Expr) -> u32 {
        let model = self.model;
        let Some(first) = dotted_root(expr) else {
            return self.ask(local_symbol(model, scope, expr, None));
        };
        let dotted = Dotted(expr);
        if let Some(&at) = self.by_scope.get(&(scope, dotted)) {
            return at;
        }
        let binding = model.lookup_scope(scope, first);
        let at = match self.by_binding.get(&(binding, dotted)) {
            Some(&at) => at,
            None => {
                let at = self.ask(local_symbol(model, scope, expr, Some(binding)));
                self.by_binding.insert((binding, dotted), at);
                at
            }
        };
        self.by_scope.insert((scope, dotted), at);
        at
    }
}

/// Resolves every call of a file as far as its `model` allows.
#[allow(clippy::mutable_key_type)]
pub(super) fn local_calls(model: &ModuleModel<'_>) -> LocalCalls {
    let calls = model.scopes.iter().map(|s| s.calls.len()).sum::<usize>();
    // Every memo gets about one entry per call: sized once, never rehashed.
    let mut questions = Questions {
        model,
        questions: Vec::new(),
        by_scope: FxHashMap::with_capacity_and_hasher(calls, Default::default()),
        by_binding: FxHashMap::with_capacity_and_hasher(calls, Default::default()),
    };
    let mut out = Vec::with_capacity(calls);
    // The calls' nodes were last read when the model was built: each call and its callee
    // would be a wait for memory. They are asked for a few calls ahead (a call's node, then,
    // once it is in, the callee it points to, then what an attribute callee's value is).
    let all: Vec<(ScopeId, &ExprCall)> = all_calls(model).collect();
    let mut index = 0;
    for (i, &(scope, call)) in all.iter().enumerate() {
        // Its place among its scope's calls (`all` goes through them scope by scope).
        if i > 0 && all[i - 1].0 != scope {
            index = 0;
        }
        if let Some(&(_, ahead)) = all.get(i + 2 * PREFETCH_AHEAD) {
            prefetch(ahead);
        }
        if let Some(&(_, ahead)) = all.get(i + PREFETCH_AHEAD) {
            prefetch(ahead.func.as_ref());
        }
        if let Some(&(_, ahead)) = all.get(i + PREFETCH_AHEAD / 2)
            && let Expr::Attribute(attribute) = ahead.func.as_ref()
        {
            prefetch(attribute.value.as_ref());
        }
        let callee = questions.of(scope, &call.func);
        // What the receiver names matters only to a callee that may be a function, and only
        // when it may be a class or a module: the receiver of a method (`self.m`, `self.x.m`)
        // or of an instance made here (`obj = Service()`, then `obj.m`) never is, so it is
        // bound; an imported name may be a module.
        let receiver = match call.func.as_ref() {
            Expr::Attribute(attribute) => match &questions.questions[callee as usize] {
                Pending::Named(NameMeaning::Other | NameMeaning::Class(_)) => Receiver::Unbound,
                Pending::Method(..)
                | Pending::InstanceMethod {
                    instance: InstanceOf::Calls(_),
                    ..
                } => Receiver::Bound,
                Pending::Named(_)
                | Pending::InstanceMethod {
                    instance: InstanceOf::Imported(_),
                    ..
                } => Receiver::Asked(questions.of(scope, &attribute.value)),
            },
            _ => Receiver::Unbound,
        };
        out.push(LocalCall {
            scope,
            index,
            range: call.range(),
            callee_range: call.func.range(),
            callee,
            receiver,
        });
        index += 1;
    }
    LocalCalls {
        questions: questions.questions,
        calls: out,
    }
}

/// [`Project::symbol_rooted`](super::Project) as far as the file tells.
fn local_symbol(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    expr: &Expr,
    root: Option<Option<ScopeId>>,
) -> Pending {
    let named = |root: Option<Option<ScopeId>>| match root {
        Some(root) => model.meaning_rooted(scope, expr, root),
        None => model.meaning(scope, expr),
    };
    let Expr::Attribute(attribute) = expr else {
        return Pending::Named(named(root));
    };
    let root = root.or_else(|| dotted_root(expr).map(|first| model.lookup_scope(scope, first)));
    if let Expr::Name(base) = attribute.value.as_ref()
        && let Some(class) = model.receiver_class_in(
            root.unwrap_or_else(|| model.lookup_scope(scope, base.id.as_str())),
            base.id.as_str(),
        )
    {
        return Pending::Method(class, attribute.attr.as_str().into());
    }
    match local_instance(model, scope, &attribute.value, root) {
        Some(instance) => Pending::InstanceMethod {
            instance,
            attr: attribute.attr.as_str().into(),
            otherwise: named(root),
        },
        None => Pending::Named(named(root)),
    }
}

/// [`Project::instance_class_rooted`](super::Project) at depth 0, as far as the file tells:
/// `None` where no class can come of it.
fn local_instance(
    model: &ModuleModel<'_>,
    scope: ScopeId,
    expr: &Expr,
    root: Option<Option<ScopeId>>,
) -> Option<InstanceOf> {
    let found = |name: &str| root.unwrap_or_else(|| model.lookup_scope(scope, name));
    match expr {
        Expr::Name(name) => {
            match model.resolve_name_in(found(name.id.as_str()), name.id.as_str()) {
                Resolution::Values(found, values) => {
                    let mut callees = Vec::new();
                    for value in &values {
                        match value {
                            Value::Expr(Expr::NoneLiteral(_)) => {}
                            Value::Expr(Expr::Call(call)) => {
                                callees.push(class_meaning(model.meaning(found, &call.func))?);
                            }
                            _ => return None,
                        }
                    }
                    (!callees.is_empty()).then(|| InstanceOf::Calls(callees.into_boxed_slice()))
                }
                Resolution::Imported(names) => Some(InstanceOf::Imported(names.into_boxed_slice())),
                _ => None,
            }
        }
        Expr::Attribute(attribute) => {
            let Expr::Name(base) = attribute.value.as_ref() else {
                return None;
            };
            let class = model.receiver_class_in(found(base.id.as_str()), base.id.as_str())?;
            let stores = model
                .class(class)
                .attribute_stores
                .get(attribute.attr.as_str())?;
            let mut callees = Vec::with_capacity(stores.len());
            for (at, value) in stores {
                // Each store alone must be a call of a class (`self.x = None` makes none).
                let Value::Expr(Expr::Call(call)) = value else {
                    return None;
                };
                callees.push(class_meaning(model.meaning(*at, &call.func))?);
            }
            (!callees.is_empty()).then(|| InstanceOf::Calls(callees.into_boxed_slice()))
        }
        _ => None,
    }
}

/// A callee's meaning if it may name a class (a function, a method or a value names none).
fn class_meaning(meaning: NameMeaning) -> Option<NameMeaning> {
    matches!(meaning, NameMeaning::Qualified(_) | NameMeaning::Class(_)).then_some(meaning)
}

/// Every call of a file with the scope it runs in.
pub fn all_calls<'m, 'a>(
    model: &'m ModuleModel<'a>,
) -> impl Iterator<Item = (ScopeId, &'a ExprCall)> + 'm {
    model
        .scopes
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.calls.iter().map(move |c| (ScopeId(i as u32), *c)))
}

/// How many calls ahead [`local_calls`] asks for a callee's node.
const PREFETCH_AHEAD: usize = 8;

/// Asks the processor to bring the cache line at `ptr` in: a hint, which never faults whatever
/// `ptr` points to.
#[inline(always)]
fn prefetch<T>(ptr: *const T) {
    // SAFETY: SSE, which the instruction needs, is part of every x86-64 processor; a prefetch
    // reads nothing the program sees and cannot fault.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// The first name of a dotted expression (`a` of `a.b.c`); `None` for any other expression.
pub(super) fn dotted_root(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => dotted_root(&attribute.value),
        _ => None,
    }
}

/// A dotted expression (`a.b.c`) as a map key: equal and hashed by its names, wherever it
/// stands. Only built for expressions [`dotted_root`] accepts.
#[derive(Clone, Copy)]
pub(super) struct Dotted<'e>(&'e Expr);

impl PartialEq for Dotted<'_> {
    fn eq(&self, other: &Self) -> bool {
        fn same(a: &Expr, b: &Expr) -> bool {
            match (a, b) {
                (Expr::Name(a), Expr::Name(b)) => a.id.as_str() == b.id.as_str(),
                (Expr::Attribute(a), Expr::Attribute(b)) => {
                    a.attr.as_str() == b.attr.as_str() && same(&a.value, &b.value)
                }
                _ => false,
            }
        }
        same(self.0, other.0)
    }
}

impl Eq for Dotted<'_> {}

impl std::hash::Hash for Dotted<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut expr = self.0;
        loop {
            match expr {
                Expr::Attribute(attribute) => {
                    attribute.attr.as_str().hash(state);
                    expr = &attribute.value;
                }
                Expr::Name(name) => {
                    name.id.as_str().hash(state);
                    return;
                }
                // Not built for other expressions; hashing nothing more is still consistent.
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use obolint_python::{SourceKind, parse_source};

    #[test]
    fn dotted_callees_are_keys_by_their_names_alone() {
        use std::hash::BuildHasher;
        let parsed = parse_source("a.b.c\na.b.c\na.b\nb.b.c\nf().b.c\n", SourceKind::Python);
        let exprs: Vec<&Expr> = parsed
            .body()
            .iter()
            .filter_map(|s| s.as_expr_stmt().map(|e| e.value.as_ref()))
            .collect();
        let roots: Vec<Option<&str>> = exprs.iter().map(|e| dotted_root(e)).collect();
        assert_eq!(roots, [Some("a"), Some("a"), Some("a"), Some("b"), None]);
        let hash = |e: &Expr| rustc_hash::FxBuildHasher.hash_one(Dotted(e));
        assert!(Dotted(exprs[0]) == Dotted(exprs[1]));
        assert_eq!(hash(exprs[0]), hash(exprs[1]));
        assert!(Dotted(exprs[0]) != Dotted(exprs[2]));
        assert!(Dotted(exprs[0]) != Dotted(exprs[3]));
    }
}
