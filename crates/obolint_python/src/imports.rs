//! The modules a file imports anywhere (top level, functions, `try` blocks), as absolute dotted
//! names, so the checker can load the project modules a model's code depends on.

use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
use ruff_python_ast::{Stmt, StmtImportFrom};

/// Every imported module, and for `from m import n` also `m.n` (which may be a submodule).
pub fn imported_modules(body: &[Stmt], package: &[String]) -> Vec<String> {
    let mut collector = Collector {
        package,
        found: Vec::new(),
    };
    collector.visit_body(body);
    collector.found.sort();
    collector.found.dedup();
    collector.found
}

struct Collector<'p> {
    package: &'p [String],
    found: Vec<String>,
}

impl Collector<'_> {
    fn base_module(&self, import: &StmtImportFrom) -> Option<String> {
        let mut parts: Vec<&str> = Vec::new();
        if import.level > 0 {
            let keep = self.package.len().checked_sub(import.level as usize - 1)?;
            parts.extend(self.package[..keep].iter().map(String::as_str));
        }
        if let Some(module) = &import.module {
            parts.push(module.as_str());
        }
        Some(parts.join("."))
    }
}

impl<'a> StatementVisitor<'a> for Collector<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                self.found
                    .extend(import.names.iter().map(|a| a.name.to_string()));
            }
            Stmt::ImportFrom(import) => {
                if let Some(base) = self.base_module(import) {
                    for alias in &import.names {
                        if alias.name.as_str() != "*" {
                            let sub = if base.is_empty() {
                                alias.name.to_string()
                            } else {
                                format!("{base}.{}", alias.name)
                            };
                            self.found.push(sub);
                        }
                    }
                    if !base.is_empty() {
                        self.found.push(base);
                    }
                }
            }
            _ => walk_stmt(self, stmt),
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
}
