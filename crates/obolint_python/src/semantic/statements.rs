//! Walking a body's statements in source order, into compound statements (`if`, `for`, `while`,
//! `with`, `try`, `match`) but not into nested `def`s and classes, which run elsewhere.

use ruff_python_ast::{ExceptHandler, Stmt};

/// The bodies directly inside a compound statement (none for a simple statement, or for a
/// `def`/`class`, whose bodies are another scope's).
pub fn child_bodies(stmt: &Stmt) -> Vec<&[Stmt]> {
    match stmt {
        Stmt::If(s) => {
            let mut bodies: Vec<&[Stmt]> = vec![&s.body];
            bodies.extend(s.elif_else_clauses.iter().map(|c| &c.body[..]));
            bodies
        }
        Stmt::For(s) => vec![&s.body, &s.orelse],
        Stmt::While(s) => vec![&s.body, &s.orelse],
        Stmt::With(s) => vec![&s.body],
        Stmt::Try(s) => {
            let mut bodies: Vec<&[Stmt]> = vec![&s.body];
            bodies.extend(s.handlers.iter().map(|h| match h {
                ExceptHandler::ExceptHandler(h) => &h.body[..],
            }));
            bodies.push(&s.orelse);
            bodies.push(&s.finalbody);
            bodies
        }
        Stmt::Match(s) => s.cases.iter().map(|c| &c.body[..]).collect(),
        _ => Vec::new(),
    }
}

/// Every statement of `body` that runs when the body runs, in source order.
pub fn flat_statements(body: &[Stmt]) -> Vec<&Stmt> {
    // Depth-first, keeping source order: a body's statements before the next sibling's.
    fn walk<'a>(body: &'a [Stmt], out: &mut Vec<&'a Stmt>) {
        for stmt in body {
            out.push(stmt);
            for child in child_bodies(stmt) {
                walk(child, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(body, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::flat_statements;
    use crate::{SourceKind, parse_source};

    #[test]
    fn enters_compound_statements_but_not_definitions() {
        let source = "a = 1\nif a:\n    b = 2\nelse:\n    try:\n        c = 3\n    except E:\n        d = 4\ndef f():\n    e = 5\n";
        let parsed = parse_source(source, SourceKind::Python);
        assert_eq!(
            flat_statements(parsed.body()).len(),
            7,
            "a, if, b, try, c, d, def"
        );
    }
}
