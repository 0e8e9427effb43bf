//! A tree in an arena is freed whole, without visiting its nodes
//! ([`obolint_python::arena::Arena::free_with`]): every block the parse took is given back, the
//! blocks larger than an arena's (long bodies, long strings and names, the tokens) too, and what
//! a kept statement shares with the tree stays. One test, alone in its binary: it counts the
//! bytes the wrapped allocator holds, which another test running beside it would change.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use obolint_python::arena::{self, TreeAlloc};
use obolint_python::parse::owned_import;
use obolint_python::{ParsedSource, SourceKind, parse_source};
use ruff_python_ast::visitor::source_order::{SourceOrderVisitor, walk_expr};
use ruff_python_ast::{Expr, Stmt};

/// The system allocator, counting the bytes it holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

fn add(bytes: usize) {
    LIVE.fetch_add(bytes as isize, Ordering::SeqCst);
}

fn sub(bytes: usize) {
    LIVE.fetch_sub(bytes as isize, Ordering::SeqCst);
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            add(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            add(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            sub(layout.size());
            add(new_size);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: TreeAlloc<Counting> = TreeAlloc(Counting);

/// A module with blocks of every size: a body of hundreds of statements, strings and lists far
/// larger than an arena's blocks, a name of 300 characters (imported, and bound), and a syntax
/// of every kind the parser builds vectors for.
fn source() -> String {
    let long = "n".repeat(300);
    let mut text = format!(
        "from databricks.sdk.credentials_provider import {long}\nimport mlflow.pyfunc as pf\n{long} = 1\n"
    );
    for i in 0..300 {
        text.push_str(&format!(
            "def f_{i}(a, b={i}, *args, c=None, **kwargs):\n    x = [{}]\n    s = '{}'\n    return {{'k': x, 's': s, 'call': pf.log_model(python_model=x, name=\"n{i}\")}}\n",
            (0..60).map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
            "s".repeat(400),
        ));
    }
    text
}

/// Reads the value of every string literal written in parts, counting them.
struct ReadStrings(usize);

impl<'a> SourceOrderVisitor<'a> for ReadStrings {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::StringLiteral(string) = expr
            && string.value.is_implicit_concatenated()
        {
            assert!(!string.value.to_str().is_empty());
            self.0 += 1;
        }
        walk_expr(self, expr);
    }
}

fn imports(parsed: &ParsedSource) -> Vec<Stmt> {
    obolint_python::imports::import_statements(parsed.body())
        .into_iter()
        .filter_map(owned_import)
        .collect()
}

#[test]
fn trees_freed_whole_give_back_every_block() {
    arena::enable();
    let text = source();
    let broken = format!("{text}\nx = (\n");
    // Whatever a first parse sets up once (thread-locals) is not counted.
    drop(parse_source(&text, SourceKind::Python));
    let shown = format!("{:?}", parse_source(&text, SourceKind::Python).body());

    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..10 {
        let parsed = parse_source(&text, SourceKind::Python);
        assert!(parsed.freed_whole(), "every block of the parse is known");
        assert_eq!(format!("{:?}", parsed.body()), shown);
        drop(parsed);
    }
    assert_eq!(LIVE.load(Ordering::SeqCst), before, "a tree freed whole");

    // The code dropped, the imports kept (copies that own their names): the arena goes.
    for _ in 0..10 {
        let mut parsed = parse_source(&text, SourceKind::Python);
        let kept = imports(&parsed);
        let expected = format!("{kept:?}");
        parsed.keep_only(kept);
        assert!(!parsed.freed_whole());
        assert_eq!(format!("{:?}", parsed.body()), expected);
        assert!(expected.contains(&"n".repeat(300)));
        drop(parsed);
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        before,
        "code dropped, imports kept"
    );

    // A clone of the tree's own import shares its 300-character name (a block larger than an
    // arena's): the arena and that block stay while the clone does, and the rest is freed a node
    // at a time.
    for _ in 0..10 {
        let mut parsed = parse_source(&text, SourceKind::Python);
        let first = parsed.body()[0].clone();
        parsed.keep_only(vec![first]);
        assert!(!parsed.freed_whole(), "freed a node at a time");
        assert!(format!("{:?}", parsed.body()).contains(&"n".repeat(300)));
        drop(parsed);
    }
    assert_eq!(LIVE.load(Ordering::SeqCst), before, "a shared name kept");

    // The imports alone as a new parse, for a tree that is shared and stays whole (the language
    // server keeps parses between checks): the copy outlives the tree, also when an import given
    // is a clone sharing the tree's 300-character name (copied out of the arena).
    for _ in 0..10 {
        let parsed = parse_source(&text, SourceKind::Python);
        let owned = imports(&parsed);
        let expected = format!("{owned:?}");
        let first = format!("{:?}", [&parsed.body()[0]]);
        let copy = parsed.with_only(owned);
        let cloned = parsed.with_only(vec![parsed.body()[0].clone()]);
        let (comments, errors) = (parsed.comments.clone(), parsed.syntax_errors.clone());
        assert!(parsed.freed_whole());
        drop(parsed);
        assert_eq!(format!("{:?}", copy.body()), expected);
        assert_eq!(format!("{:?}", cloned.body()), first);
        assert!(first.contains(&"n".repeat(300)));
        assert_eq!((&copy.comments, &copy.syntax_errors), (&comments, &errors));
        drop((copy, cloned, comments, errors));
    }
    assert_eq!(LIVE.load(Ordering::SeqCst), before, "copies of the imports");

    // A string literal written in parts joins them when its value is first asked for: that is
    // done during the parse, so that the joined text is in the tree's arena or records.
    let joined = format!(
        "{text}message = (\n    'a' # one\n    \"{}\"\n)\n",
        "b".repeat(300)
    );
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..10 {
        let parsed = parse_source(&joined, SourceKind::Python);
        assert!(parsed.freed_whole(), "a string joined during the parse");
        let Some(Stmt::Assign(assign)) = parsed.body().last() else {
            panic!("an assignment");
        };
        let Expr::StringLiteral(string) = &*assign.value else {
            panic!("a string");
        };
        assert_eq!(string.value.to_str().len(), 301);
        drop(parsed);
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        before,
        "a string joined after the parse"
    );
    // Every shape of it: nested in an f-string, in a method's call, two runs in one tuple, after
    // a docstring, in a decorator, a default, a subscript and a match pattern; each is read after
    // the parse.
    let shapes = format!(
        r#"{text}
class C:
    """doc""" "string"
    @decorator("a" "b")
    def m(self, x="c" "d"):
        f"{{'e' 'f'}} and {{x}}"
        self.call(a=("g" "h"), b=["i" "j", "k" "l"])
        y = z["m" "n"]
        match x:
            case "o" "p":
                pass
        return b"bytes" b"too", "q" f"r{{x}}" "s"
"#
    );
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..3 {
        let parsed = parse_source(&shapes, SourceKind::Python);
        assert!(parsed.syntax_errors.is_empty());
        assert!(parsed.freed_whole());
        let mut read = ReadStrings(0);
        read.visit_body(parsed.body());
        assert_eq!(read.0, 9, "the joined strings");
        drop(parsed);
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        before,
        "strings joined in every shape"
    );

    let separate = format!("{text}a = 'a'\nb = 'b'\n");
    assert!(
        parse_source(&separate, SourceKind::Python).freed_whole(),
        "two statements"
    );
    drop(separate);

    // A thread that parses and ends leaves nothing: its records go with it.
    let run = |text: String| {
        std::thread::spawn(move || drop(parse_source(&text, SourceKind::Python)))
            .join()
            .expect("a parse")
    };
    // Whatever starting a thread sets up once is not counted.
    run(String::new());
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..5 {
        run(text.clone());
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        before,
        "threads that parsed and ended"
    );

    // A file with a syntax error is parsed outside an arena; nothing is lost either.
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..3 {
        let parsed = parse_source(&broken, SourceKind::Python);
        assert_eq!(parsed.syntax_errors.len(), 1);
        assert!(!parsed.freed_whole());
        drop(parsed);
    }
    assert_eq!(LIVE.load(Ordering::SeqCst), before, "a broken file");
}
