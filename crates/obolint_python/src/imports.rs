//! The modules a file imports anywhere (top level, functions, `try` blocks), as absolute dotted
//! names, so the checker can load the project modules a model's code depends on.

use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
use ruff_python_ast::{Stmt, StmtImportFrom};

/// The import statements of `body`, at any depth (functions, classes, `try` blocks), in source
/// order: one walk of the statements, whose answer the other questions about imports share.
pub fn import_statements(body: &[Stmt]) -> Vec<&Stmt> {
    struct Imports<'a>(Vec<&'a Stmt>);
    impl<'a> StatementVisitor<'a> for Imports<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Import(_) | Stmt::ImportFrom(_) => self.0.push(stmt),
                _ => walk_stmt(self, stmt),
            }
        }
    }
    let mut imports = Imports(Vec::new());
    imports.visit_body(body);
    imports.0
}

/// Every imported module, and for `from m import n` also `m.n` (which may be a submodule).
pub fn imported_modules(body: &[Stmt], package: &[String]) -> Vec<String> {
    let mut collector = Collector {
        package,
        found: Vec::new(),
        reach: None,
    };
    for stmt in import_statements(body) {
        collector.import(stmt);
    }
    sorted(collector.found)
}

/// [`imported_modules`], and the dotted names the imports bind, as name resolution starts from
/// them, in one walk: `import a.b` binds `a` (so `a.x.f` may name any module under `a`), `import
/// a.b as z` binds `a.b`, `from a.b import n` binds `a.b.n`, `from a.b import *` stands for
/// `a.b`. A qualified name is resolved in the longest project module that begins it
/// (`Project::resolve_qualified`), so from one of these names, resolution reaches a module under
/// it or the longest module that begins it, nothing else. Relative imports are made absolute
/// against `package`. `imports` are the file's [`import_statements`].
pub fn imports_and_reach(imports: &[&Stmt], package: &[String]) -> (Vec<String>, Vec<String>) {
    let mut collector = Collector {
        package,
        found: Vec::new(),
        reach: Some(Vec::new()),
    };
    for stmt in imports {
        collector.import(stmt);
    }
    let reach = collector.reach.take().unwrap_or_default();
    (sorted(collector.found), sorted(reach))
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    // Unstable: equal names are alike, and the stable sort takes a scratch buffer.
    names.sort_unstable();
    names.dedup();
    names.retain(|name| !name.is_empty());
    names
}

struct Collector<'p> {
    package: &'p [String],
    found: Vec<String>,
    /// With [`imports_and_reach`]: the names the imports bind.
    reach: Option<Vec<String>>,
}

impl Collector<'_> {
    fn base_module(&self, import: &StmtImportFrom) -> Option<String> {
        let package: &[String] = if import.level > 0 {
            let keep = self.package.len().checked_sub(import.level as usize - 1)?;
            &self.package[..keep]
        } else {
            &[]
        };
        let module = import.module.as_ref().map(|m| m.as_str());
        let len = package.iter().map(|p| p.len() + 1).sum::<usize>() + module.map_or(0, str::len);
        let mut base = String::with_capacity(len);
        for (i, part) in package.iter().map(String::as_str).chain(module).enumerate() {
            if i > 0 {
                base.push('.');
            }
            base.push_str(part);
        }
        Some(base)
    }
}

impl Collector<'_> {
    /// What an import statement imports and binds.
    fn import(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let name = alias.name.as_str();
                    self.found.push(name.to_string());
                    if let Some(reach) = &mut self.reach {
                        let bound = if alias.asname.is_some() {
                            name
                        } else {
                            name.split('.').next().unwrap_or(name)
                        };
                        reach.push(bound.to_string());
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                if let Some(base) = self.base_module(import) {
                    for alias in &import.names {
                        let name = alias.name.as_str();
                        let sub = match (base.is_empty(), name) {
                            (_, "*") => None,
                            (true, _) => Some(name.to_string()),
                            (false, _) => {
                                let mut sub = String::with_capacity(base.len() + 1 + name.len());
                                sub.push_str(&base);
                                sub.push('.');
                                sub.push_str(name);
                                Some(sub)
                            }
                        };
                        if let Some(reach) = &mut self.reach {
                            reach.push(sub.clone().unwrap_or_else(|| base.clone()));
                        }
                        self.found.extend(sub);
                    }
                    self.found.push(base);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::imported_modules;
    use crate::{SourceKind, parse_source};

    #[test]
    fn collects_nested_and_relative_imports() {
        let source = "import a.b\ndef f():\n    from .tools import make\ntry:\n    from c import d\nexcept ImportError:\n    pass\n";
        let parsed = parse_source(source, SourceKind::Python);
        let found = imported_modules(parsed.body(), &["pkg".to_string()]);
        assert_eq!(found, ["a.b", "c", "c.d", "pkg.tools", "pkg.tools.make"]);
    }

    #[test]
    fn reach_is_what_imports_bind() {
        let source = "import a.b\nimport c.d.e as z\nfrom f.g import h\nfrom .tools import *\nfrom .. import up\n";
        let parsed = parse_source(source, SourceKind::Python);
        let package = ["pkg".to_string(), "sub".to_string()];
        let imports = super::import_statements(parsed.body());
        let (modules, reach) = super::imports_and_reach(&imports, &package);
        assert_eq!(modules, super::imported_modules(parsed.body(), &package));
        assert_eq!(reach, ["a", "c.d.e", "f.g.h", "pkg.sub.tools", "pkg.up"]);
    }
}
