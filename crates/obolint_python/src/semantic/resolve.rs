//! What a name or dotted expression means at a point of the code.

use ruff_python_ast::Expr;

use super::{BindingKind, ClassId, FunctionId, ModuleModel, ScopeId, ScopeKind, Value};

/// The meaning of a name in a scope, from all of its bindings there (flow-insensitive: a name
/// bound twice means either).
#[derive(Clone, Debug)]
pub enum Resolution<'a> {
    /// Bound only by imports: the absolute qualified name each import gives it (two in a
    /// `try`/`except ImportError` that imports the same name from two places).
    Imported(Vec<String>),
    /// A class defined here (the last definition when there are several). A local definition
    /// shadows an import of the same name: a local `class GenieAgent` is not Databricks'.
    Class(ClassId),
    Function(FunctionId),
    /// A variable: every value assigned to it in `scope`.
    Values(ScopeId, Vec<Value<'a>>),
    /// A parameter of the function whose scope this is, with the values it is reassigned to
    /// in the body.
    Parameter(ScopeId, Vec<Value<'a>>),
    /// Not bound in the file: a builtin, a star import, or a typo.
    Unbound,
}

/// What the meaning of a name or attribute chain is, for matching against known symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameMeaning {
    /// Absolute dotted names (`databricks.sdk.WorkspaceClient`); several when imports disagree.
    Qualified(Vec<String>),
    Class(ClassId),
    Function(FunctionId),
    /// `self.method` / `cls.method` / `Class.method` inside this file.
    Method(FunctionId),
    /// Anything else: a value, a parameter, an unknown name.
    Other,
}

/// The most bindings of one name in one scope whose values are followed; a name bound more
/// often holds an unknown value. Real code binds a name a handful of times.
pub const MAX_BINDINGS: usize = 256;

fn is_none(expr: &Expr) -> bool {
    matches!(expr, Expr::NoneLiteral(_))
}

impl<'a> ModuleModel<'a> {
    /// The scope whose binding of `name` is seen from `scope` (Python's LEGB, skipping class
    /// bodies for code nested in them).
    pub fn lookup_scope(&self, scope: ScopeId, name: &str) -> Option<ScopeId> {
        let mut current = Some(scope);
        let mut first = true;
        while let Some(id) = current {
            let s = self.scope(id);
            if s.is_global(name) {
                return self
                    .scope(Self::MODULE_SCOPE)
                    .bindings
                    .contains_key(name)
                    .then_some(Self::MODULE_SCOPE);
            }
            let visible = first || !matches!(s.kind, ScopeKind::Class(_));
            if visible && s.bindings.contains_key(name) {
                return Some(id);
            }
            first = false;
            current = s.parent;
        }
        None
    }

    pub fn resolve_name(&self, scope: ScopeId, name: &str) -> Resolution<'a> {
        self.resolve_name_in(self.lookup_scope(scope, name), name)
    }

    /// [`Self::resolve_name`] when the scope `name` is bound in (`lookup_scope`) is known.
    pub fn resolve_name_in(&self, found: Option<ScopeId>, name: &str) -> Resolution<'a> {
        self.resolve_name_room(found, name, 0)
    }

    /// [`Self::resolve_name_in`], with room for `room` more bytes in each imported name (the
    /// attributes [`Self::meaning`] appends), so that it is allocated once.
    fn resolve_name_room(&self, found: Option<ScopeId>, name: &str, room: usize) -> Resolution<'a> {
        let Some(found) = found else {
            return Resolution::Unbound;
        };
        let bindings = &self.scope(found).bindings[name];
        // Every mention of a name reads all of its bindings: a name bound thousands of times
        // in one scope and mentioned thousands of times is millions of reads (a file written to
        // slow the analysis down). Past the bound, what it holds is unknown.
        if bindings.len() > MAX_BINDINGS {
            return Resolution::Values(found, vec![Value::Unknown]);
        }
        // A later `def`/`class` shadows everything else.
        if let Some(kind) = bindings
            .iter()
            .rev()
            .map(|b| &b.kind)
            .find(|k| matches!(k, BindingKind::Class(_) | BindingKind::Function(_)))
        {
            return match kind {
                BindingKind::Class(c) => Resolution::Class(*c),
                BindingKind::Function(f) => Resolution::Function(*f),
                _ => unreachable!("filtered above"),
            };
        }
        let mut imported = Vec::new();
        let mut values = Vec::new();
        let mut parameter = false;
        for binding in bindings {
            match &binding.kind {
                BindingKind::Import { qualified } => {
                    let mut name = String::with_capacity(qualified.len() + room);
                    name.push_str(qualified);
                    imported.push(name);
                }
                BindingKind::FromImport {
                    level,
                    module,
                    name,
                } => match self.absolute_import_room(*level, module, name, room) {
                    Some(qualified) => imported.push(qualified),
                    None => values.push(Value::Unknown),
                },
                // `except ImportError: GenieAgent = None` does not change what the name means
                // when it is called.
                BindingKind::Assignment(Value::Expr(e)) if is_none(e) && binding.in_try => {}
                BindingKind::Assignment(value) => values.push(*value),
                BindingKind::Parameter => parameter = true,
                BindingKind::Class(_) | BindingKind::Function(_) => {}
            }
        }
        if parameter {
            return Resolution::Parameter(found, values);
        }
        if values.is_empty() && !imported.is_empty() {
            imported.dedup();
            return Resolution::Imported(imported);
        }
        if imported.is_empty() {
            return Resolution::Values(found, values);
        }
        // Imported in one place, assigned in another: we cannot say which.
        Resolution::Values(found, vec![Value::Unknown])
    }

    /// `from ..pkg import name` seen from this file's package, as an absolute dotted name.
    pub fn absolute_import(&self, level: u32, module: &str, name: &str) -> Option<String> {
        self.absolute_import_room(level, module, name, 0)
    }

    /// [`Self::absolute_import`] with room for `room` more bytes.
    fn absolute_import_room(
        &self,
        level: u32,
        module: &str,
        name: &str,
        room: usize,
    ) -> Option<String> {
        let package: &[String] = if level > 0 {
            let keep = self.package.len().checked_sub(level as usize - 1)?;
            &self.package[..keep]
        } else {
            &[]
        };
        // Built in one allocation: this runs for every use of a `from` import.
        let len = package.iter().map(|p| p.len() + 1).sum::<usize>()
            + if module.is_empty() {
                0
            } else {
                module.len() + 1
            }
            + name.len();
        let mut qualified = String::with_capacity(len + room);
        for part in package
            .iter()
            .map(String::as_str)
            .chain((!module.is_empty()).then_some(module))
        {
            qualified.push_str(part);
            qualified.push('.');
        }
        qualified.push_str(name);
        Some(qualified)
    }

    /// What a callee or a dotted expression names, as seen from `scope`.
    pub fn meaning(&self, scope: ScopeId, expr: &Expr) -> NameMeaning {
        self.meaning_with_depth(scope, expr, 0, None, 0, Methods::Look)
    }

    /// [`Self::meaning`], given the scope the first name of the dotted `expr` is bound in
    /// (`lookup_scope(scope, first)`), so that it is not looked up again.
    pub fn meaning_rooted(
        &self,
        scope: ScopeId,
        expr: &Expr,
        root: Option<ScopeId>,
    ) -> NameMeaning {
        self.meaning_with_depth(scope, expr, 0, Some(root), 0, Methods::Look)
    }

    /// `root`, when known, is where the first name of `expr` is bound, seen from `scope`:
    /// every part of a dotted name is resolved from the same scope, and the first name's
    /// lookup is the costly part (a hash probe per enclosing scope). `room` is the length of the
    /// attributes the callers append (`.path.join`), reserved when a name is first built.
    fn meaning_with_depth(
        &self,
        scope: ScopeId,
        expr: &Expr,
        depth: u32,
        root: Option<Option<ScopeId>>,
        room: usize,
        methods: Methods,
    ) -> NameMeaning {
        if depth > 8 {
            return NameMeaning::Other;
        }
        match expr {
            Expr::Name(name) => match self.resolve_name_room(
                root.unwrap_or_else(|| self.lookup_scope(scope, name.id.as_str())),
                name.id.as_str(),
                room,
            ) {
                Resolution::Imported(names) => NameMeaning::Qualified(names),
                Resolution::Class(c) => NameMeaning::Class(c),
                Resolution::Function(f) => NameMeaning::Function(f),
                // `GenieCls = GenieAgent`: an alias.
                Resolution::Values(found, values) => match values.as_slice() {
                    [Value::Expr(alias @ (Expr::Name(_) | Expr::Attribute(_)))] => {
                        self.meaning_with_depth(found, alias, depth + 1, None, room, methods)
                    }
                    _ => NameMeaning::Other,
                },
                Resolution::Parameter(..) | Resolution::Unbound => NameMeaning::Other,
            },
            Expr::Attribute(attribute) => {
                let attr = attribute.attr.as_str();
                let mut root = root;
                if let Expr::Name(base) = attribute.value.as_ref() {
                    let found = root.unwrap_or_else(|| self.lookup_scope(scope, base.id.as_str()));
                    root = Some(found);
                    if methods == Methods::Look
                        && let Some(method) = self
                            .receiver_class_in(found, base.id.as_str())
                            .and_then(|class| self.find_method(class, attr))
                    {
                        return NameMeaning::Method(method);
                    }
                }
                match self.meaning_with_depth(
                    scope,
                    &attribute.value,
                    depth + 1,
                    root,
                    room + 1 + attr.len(),
                    methods,
                ) {
                    NameMeaning::Qualified(mut names) => {
                        for name in &mut names {
                            name.push('.');
                            name.push_str(attr);
                        }
                        NameMeaning::Qualified(names)
                    }
                    NameMeaning::Class(class) if methods == Methods::Look => self
                        .find_method(class, attr)
                        .map_or(NameMeaning::Other, NameMeaning::Method),
                    _ => NameMeaning::Other,
                }
            }
            _ => NameMeaning::Other,
        }
    }

    /// The class whose instance (or class object) `name` is, when `name` is the receiver of the
    /// method whose body `scope` is in (nested functions and lambdas see it too).
    pub fn receiver_class(&self, scope: ScopeId, name: &str) -> Option<ClassId> {
        self.receiver_class_in(self.lookup_scope(scope, name), name)
    }

    /// [`Self::receiver_class`] when the scope `name` is bound in (`lookup_scope`) is known.
    pub fn receiver_class_in(&self, bound: Option<ScopeId>, name: &str) -> Option<ClassId> {
        let bound = bound?;
        let function = self.function_of_scope(bound)?;
        let info = self.function(function);
        (info.receiver == Some(name))
            .then_some(info.class)
            .flatten()
    }

    /// `attr` defined in `class` itself or in a base class defined in this file.
    pub fn find_method(&self, class: ClassId, attr: &str) -> Option<FunctionId> {
        // A set: a chain of thousands of classes, each inheriting the one before, was a search
        // of the classes seen at each step of each lookup.
        let mut seen = rustc_hash::FxHashSet::default();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            let info = self.class(c);
            if let Some(&m) = info.methods.get(attr) {
                return Some(m);
            }
            for base in info.bases() {
                // Only a base that is a class matters, and no method lookup makes one: bases
                // are read without them, or `class A(A.y)` would look `y` up among A's bases,
                // reading `A.y` again, without end.
                if let NameMeaning::Class(b) =
                    self.meaning_with_depth(info.parent_scope, base, 0, None, 0, Methods::Skip)
                {
                    stack.push(b);
                }
            }
        }
        None
    }
}

/// Whether [`ModuleModel::meaning_with_depth`] looks methods up (`obj.method`, `Class.method`),
/// or, reading a class's bases, leaves them out (what they find is never a class).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Methods {
    Look,
    Skip,
}

#[cfg(test)]
mod tests {
    use crate::semantic::{ModuleModel, NameMeaning};
    use crate::{SourceKind, parse_source};
    use ruff_python_ast::{Expr, Stmt};

    fn last_expr_meaning(source: &str, package: &[&str]) -> NameMeaning {
        let parsed = parse_source(source, SourceKind::Python);
        let model = ModuleModel::build(
            parsed.body(),
            package.iter().map(|s| s.to_string()).collect(),
        );
        let Some(Stmt::Expr(stmt)) = parsed.body().last() else {
            panic!("needs a final expression")
        };
        let Expr::Call(call) = stmt.value.as_ref() else {
            panic!("needs a call")
        };
        model.meaning(ModuleModel::MODULE_SCOPE, &call.func)
    }

    fn qualified(meaning: NameMeaning) -> Vec<String> {
        match meaning {
            NameMeaning::Qualified(names) => names,
            other => panic!("expected a qualified name, got {other:?}"),
        }
    }

    #[test]
    fn aliases_and_module_attributes() {
        assert_eq!(
            qualified(last_expr_meaning(
                "import databricks_ai_bridge as b\nb.ModelServingUserCredentials()\n",
                &[]
            )),
            ["databricks_ai_bridge.ModelServingUserCredentials"]
        );
        assert_eq!(
            qualified(last_expr_meaning(
                "import databricks.sdk\ndatabricks.sdk.WorkspaceClient()\n",
                &[]
            )),
            ["databricks.sdk.WorkspaceClient"]
        );
        assert_eq!(
            qualified(last_expr_meaning(
                "from databricks.sdk import WorkspaceClient as WC\nW = WC\nW()\n",
                &[]
            )),
            ["databricks.sdk.WorkspaceClient"]
        );
    }

    #[test]
    fn relative_imports_resolve_against_the_package() {
        assert_eq!(
            qualified(last_expr_meaning(
                "from .tools import make\nmake()\n",
                &["pkg", "sub"]
            )),
            ["pkg.sub.tools.make"]
        );
        assert_eq!(
            qualified(last_expr_meaning(
                "from .. import tools\ntools.make()\n",
                &["pkg", "sub"]
            )),
            ["pkg.tools.make"]
        );
        assert!(matches!(
            last_expr_meaning("from ... import x\nx()\n", &["pkg"]),
            NameMeaning::Other
        ));
    }

    #[test]
    fn local_definitions_shadow_imports() {
        let source = "from databricks_langchain import GenieAgent\nclass GenieAgent:\n    pass\nGenieAgent()\n";
        assert!(matches!(
            last_expr_meaning(source, &[]),
            NameMeaning::Class(_)
        ));
    }

    #[test]
    fn try_except_imports_keep_both_paths() {
        let source = "try:\n    from databricks_ai_bridge import ModelServingUserCredentials as M\nexcept ImportError:\n    from databricks.sdk.credentials_provider import ModelServingUserCredentials as M\nM()\n";
        assert_eq!(qualified(last_expr_meaning(source, &[])).len(), 2);
        let source = "try:\n    from databricks_langchain import GenieAgent\nexcept ImportError:\n    GenieAgent = None\nGenieAgent()\n";
        assert_eq!(
            qualified(last_expr_meaning(source, &[])),
            ["databricks_langchain.GenieAgent"]
        );
    }

    /// A class based on its own attribute (or on a class based on its attribute) is no
    /// recursion without end; the bases that are classes still give their methods.
    #[test]
    fn bases_written_as_class_attributes_end() {
        let source = "class B:\n    def m(self):\n        pass\nclass A(A.y, C.x, B):\n    pass\nclass C(A.z, A):\n    pass\nA.m()\n";
        assert!(matches!(
            last_expr_meaning(source, &[]),
            NameMeaning::Method(_)
        ));
        let parsed = parse_source(source, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), Vec::new());
        let class = |name: &str| {
            (0..model.classes.len())
                .map(|i| crate::semantic::ClassId(i as u32))
                .find(|&c| model.class(c).name == name)
                .expect("class")
        };
        assert!(model.find_method(class("A"), "y").is_none());
        assert!(
            model.find_method(class("C"), "m").is_some(),
            "C's base A has B's m"
        );
    }
}
