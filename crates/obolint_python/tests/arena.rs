//! Syntax trees in arenas ([`obolint_python::arena`]), with the allocator the command line
//! uses (here around the system allocator): trees stay whole while other files are parsed and
//! dropped on every thread, what is kept of a dropped tree owns its memory, and blocks move in
//! and out of arenas as they grow.

use std::sync::Arc;

use obolint_python::arena::{self, TreeAlloc, holds, in_arena};
use obolint_python::parse::owned_import;
use obolint_python::{ParsedSource, SourceKind, parse_source};
use ruff_python_ast::{Expr, Stmt};

#[global_allocator]
static GLOBAL: TreeAlloc<std::alloc::System> = TreeAlloc(std::alloc::System);

/// Python of every size: small files fit one chunk, larger ones take several, and long names
/// (over 16 bytes) live on the heap, shared by their clones.
fn source(n: usize) -> String {
    let mut text = String::from(
        "from databricks.sdk.credentials_provider_with_a_long_name import ModelServingUserCredentials\nimport mlflow.pyfunc.a_module_with_a_long_name as short\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "def function_with_a_long_name_{i}(argument_{i}, *args, **kwargs):\n    value = [argument_{i}, {i}, 'a string that is long enough to matter {i}', f'{{argument_{i}!r}}']\n    return {{'key_{i}': value, 'call': short.log_model(python_model=value, name=\"n{i}\")}}\n\n"
        ));
    }
    text
}

fn tree(parsed: &ParsedSource) -> String {
    format!("{:?}", parsed.body())
}

#[test]
fn trees_stay_whole_while_other_trees_come_and_go() {
    arena::enable();
    let kept: Vec<(ParsedSource, String)> = (0..40)
        .map(|n| {
            let parsed = parse_source(&source(n), SourceKind::Python);
            let shown = tree(&parsed);
            (parsed, shown)
        })
        .collect();
    let Stmt::FunctionDef(def) = &kept[20].0.body()[2] else {
        panic!("a function");
    };
    let Some(Stmt::Return(returned)) = def.body.last() else {
        panic!("a return");
    };
    let node: *const Expr = &**returned.value.as_ref().expect("a value");
    assert!(
        holds(node.cast()),
        "a parse's small blocks are in its arena"
    );
    let kept = Arc::new(kept);
    // Both threads parse, keep and drop trees (so chunks are freed and taken again), and
    // drop trees parsed by the other thread.
    let (sender, receiver) = std::sync::mpsc::channel::<ParsedSource>();
    let producer = std::thread::spawn(move || {
        for round in 0..200 {
            let parsed = parse_source(&source(round % 30), SourceKind::Python);
            if round % 2 == 0 {
                sender.send(parsed).expect("send");
            }
        }
    });
    let consumer = std::thread::spawn(move || {
        let mut count = 0;
        for parsed in receiver {
            assert!(!parsed.body().is_empty());
            count += 1;
        }
        count
    });
    for round in 0..200 {
        let mut parsed = parse_source(&source(round % 25), SourceKind::Python);
        if round % 3 == 0 {
            let imports: Vec<Stmt> = obolint_python::imports::import_statements(parsed.body())
                .into_iter()
                .filter_map(owned_import)
                .collect();
            let expected = format!("{imports:?}");
            parsed.keep_only(imports);
            assert_eq!(tree(&parsed), expected);
        }
    }
    producer.join().expect("producer");
    assert_eq!(consumer.join().expect("consumer"), 100);
    for (parsed, shown) in kept.iter() {
        assert_eq!(
            &tree(parsed),
            shown,
            "a tree changed while others were freed"
        );
    }
}

#[test]
fn what_a_dropped_tree_keeps_owns_its_names() {
    arena::enable();
    let mut parsed = parse_source(&source(12), SourceKind::Python);
    let Stmt::FunctionDef(def) = &parsed.body()[2] else {
        panic!("a function");
    };
    let node: *const Expr = def.parameters.args[0]
        .parameter
        .name
        .id
        .as_str()
        .as_ptr()
        .cast();
    assert!(
        holds(node.cast()),
        "a parameter's long name is in the arena"
    );
    let imports: Vec<Stmt> = obolint_python::imports::import_statements(parsed.body())
        .into_iter()
        .filter_map(owned_import)
        .collect();
    let long_name = |stmt: &Stmt| match stmt {
        Stmt::ImportFrom(import) => import.module.as_ref().map(|m| m.id.as_str().as_ptr()),
        _ => None,
    };
    let name = long_name(&imports[0]).expect("a module name");
    assert!(
        !holds(name),
        "a kept import's name is copied out of the arena"
    );
    parsed.keep_only(imports);
    assert!(
        !holds(node.cast()),
        "once the code is dropped, its arena is given back"
    );
    assert_eq!(
        long_name(&parsed.body()[0]).map(|_| ()),
        Some(()),
        "the import is kept"
    );
    assert!(format!("{:?}", parsed.body()).contains("credentials_provider_with_a_long_name"));

    // A clone of the tree's own statement shares its long names: the arena stays.
    let mut parsed = parse_source(&source(12), SourceKind::Python);
    let first = parsed.body()[0].clone();
    let node = long_name(&first).expect("a module name");
    assert!(holds(node), "the clone's name is the tree's");
    parsed.keep_only(vec![first]);
    assert!(holds(node), "the arena is kept while a name in it is");
    drop(parsed);
    assert!(!holds(node));
}

#[test]
fn blocks_grow_shrink_and_leave_arenas() {
    arena::enable();
    let ((small, grown, shrunk, boxed), arena) = in_arena(|| {
        let mut small: Vec<u64> = Vec::with_capacity(4);
        small.extend([1, 2, 3, 4]);
        let small_ptr = small.as_ptr();
        // The newest block grows in place, then leaves the arena once larger than `SMALL`.
        small.push(5);
        let grown = small.as_ptr() == small_ptr;
        small.extend(6..=1000);
        let mut shrinking: Vec<u8> = (0..=200).collect();
        shrinking.truncate(10);
        shrinking.shrink_to_fit();
        let boxed: Box<[u8]> = shrinking.clone().into_boxed_slice();
        (small, grown, shrinking, boxed)
    });
    assert!(arena.is_some(), "the allocator makes arenas");
    assert!(grown, "the newest block grows where it is");
    assert!(
        !holds(small.as_ptr().cast()),
        "a large block is the wrapped allocator's"
    );
    assert_eq!(small, (1..=1000).collect::<Vec<u64>>());
    assert!(holds(shrunk.as_ptr()));
    assert_eq!(shrunk, (0..10).collect::<Vec<u8>>());
    assert_eq!(&*boxed, &shrunk[..]);
    // Blocks of an arena grow out of it after it is left.
    let mut shrunk = shrunk;
    shrunk.extend(10..=255);
    assert!(!holds(shrunk.as_ptr()));
    assert_eq!(shrunk, (0..=255).collect::<Vec<u8>>());
    drop((small, boxed));
    drop(arena);
    // Nested, the inner parse shares the outer arena (no arena of its own).
    let ((_, inner), outer) = in_arena(|| in_arena(|| 1));
    assert!(inner.is_none() && outer.is_some());
}

#[test]
fn small_files_and_files_with_an_error_are_parsed_outside_arenas() {
    arena::enable();
    let returned = |parsed: &ParsedSource, at: usize| -> *const u8 {
        let Stmt::FunctionDef(def) = &parsed.body()[at] else {
            panic!("a function");
        };
        let Some(Stmt::Return(returned)) = def.body.last() else {
            panic!("a return");
        };
        let value: *const Expr = &**returned.value.as_ref().expect("a value");
        value.cast()
    };
    let large = parse_source(&source(12), SourceKind::Python);
    assert!(holds(returned(&large, 2)));
    // A small tree would leave most of a chunk unused.
    let small = parse_source(&source(1), SourceKind::Python);
    assert!(!holds(returned(&small, 2)));
    // Everything after the first error is dropped: in an arena it would stay allocated.
    let text = source(12)
        .replacen("value = [", "value = = [", 12)
        .replacen("value = = [", "value = [", 11);
    let broken = parse_source(&text, SourceKind::Python);
    assert_eq!(broken.syntax_errors.len(), 1);
    let kept = broken.body().len();
    assert!(kept > 2, "the statements before the error are kept");
    assert!(!holds(returned(&broken, 2)));
    assert_eq!(
        format!("{:?}", &broken.body()[..2]),
        format!("{:?}", &large.body()[..2]),
    );
}
