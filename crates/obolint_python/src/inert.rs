//! The second look, once a file is parsed: does it use `mlflow` for anything but tracking?
//!
//! The text prescreen ([`crate::prescreen`]) lets every file that mentions `mlflow` through. On a
//! Databricks monorepo that is nearly every file, and most of them only `import mlflow` to log
//! metrics, parameters and runs, which no rule reads. Such a file holds nothing a finding can
//! start from: no `databricks` name (in any case), no forwarded user token, no configured
//! factory (the text says so), and no `mlflow` name but the tracking functions of [`TRACKING`]
//! (its syntax tree says so, here). The checker analyses it only when it is connected by
//! imports to a file that does hold such a name (`check::load`).

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use std::sync::LazyLock;

use crate::prescreen::may_read_as_ascii;
use memchr::memmem;
use ruff_python_ast::{Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextSize};

/// Top-level `mlflow` functions that log and track runs and that no rule or analysis reads.
/// A name is added here only after checking that no rule, analysis or library fact names it.
pub const TRACKING: &[&str] = &[
    "active_run",
    "autolog",
    "create_experiment",
    "delete_tag",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
];

fn is_tracking(name: &str) -> bool {
    TRACKING.binary_search(&name).is_ok()
}

/// Modules whose calls run code the analyzer cannot follow, and builtins that do: in a model's
/// code they are an opaque use (any scope may be needed), even when the model names the file by
/// path (`code_paths=[...]`) rather than by import.
const DYNAMIC_MODULES: &[&str] = &["importlib", "pkgutil", "runpy"];

fn is_dynamic_builtin(name: &str) -> bool {
    matches!(name, "__import__" | "eval" | "exec")
}

fn is_dynamic_module(dotted: &str) -> bool {
    DYNAMIC_MODULES.contains(&dotted.split('.').next().unwrap_or(dotted))
}

/// What a file's syntax tree shows about it, for the checker's choice of the files to analyse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inertness {
    /// `mlflow` is named for more than tracking (or the walk gave up): analysed.
    Relevant,
    /// `mlflow` is named for tracking only, if at all.
    Inert,
    /// As [`Inertness::Inert`], with dynamic code (`importlib`, `pkgutil`, `runpy`, `exec`,
    /// `eval`, `__import__`): it matters in a model's code, so only where there can be models.
    Dynamic,
}

/// Whether `body` uses `mlflow` only through `import mlflow` (or `import mlflow as m`), `from
/// mlflow import <tracking function>` and `mlflow.<tracking function>`, and whether it runs
/// dynamic code. Anything else that names `mlflow` (a submodule, another attribute, the module
/// passed as a value, a name `mlflow` bound by a `from` import, an attribute called `mlflow`)
/// makes it [`Inertness::Relevant`]: when unsure, the file is analysed.
///
/// `text` is the text `body` was parsed from. When it shows that no expression can name `mlflow`
/// or a dynamic builtin, the expressions are not walked (see `text_settles`).
///
/// `imports` are the [import statements](crate::imports::import_statements) of `body`.
pub fn inertness(imports: &[&Stmt], body: &[Stmt], text: &str) -> Inertness {
    // First the names `import mlflow` binds (anywhere), then every use of them.
    let mut check = Check::of_imports(imports);
    if check.inert && !(check.names.is_empty() && text_settles(text, &check.imported_at)) {
        check.names.push("mlflow".to_string());
        for stmt in body {
            check.visit_stmt(stmt);
            if !check.inert {
                break;
            }
        }
    }
    match (check.inert, check.dynamic) {
        (false, _) => Inertness::Relevant,
        (true, false) => Inertness::Inert,
        (true, true) => Inertness::Dynamic,
    }
}

struct Check {
    /// The names bound to the `mlflow` module (`mlflow`, and `m` for `import mlflow as m`): one
    /// or two, so a list.
    names: Vec<String>,
    /// Where each `mlflow` of an `import mlflow` (without `as`) starts, in source order.
    imported_at: Vec<TextSize>,
    inert: bool,
    /// Dynamic code was seen.
    dynamic: bool,
    /// How deep the walk is: a file nested deeper than [`MAX_NESTING`] is analysed (not called
    /// inert) rather than walked further.
    nesting: u32,
}

/// As deep as the semantic model's builder walks.
const MAX_NESTING: u32 = 1_000;

impl Check {
    /// A check that has read `imports` ([`Check::bind`]).
    fn of_imports(imports: &[&Stmt]) -> Self {
        let mut check = Check {
            names: Vec::new(),
            imported_at: Vec::new(),
            inert: true,
            dynamic: false,
            nesting: 0,
        };
        check.bind(imports);
        check
    }

    /// Collects the names `import mlflow` binds; any other import of `mlflow` is not inert.
    fn bind(&mut self, imports: &[&Stmt]) {
        for stmt in imports {
            match stmt {
                Stmt::Import(import) => {
                    for alias in &import.names {
                        if alias.name.as_str() == "mlflow" {
                            match &alias.asname {
                                Some(asname) => self.names.push(asname.to_string()),
                                None => self.imported_at.push(alias.name.start()),
                            }
                        } else if mentions_mlflow_module(alias.name.as_str()) {
                            self.inert = false;
                        } else if is_dynamic_module(alias.name.as_str()) {
                            self.dynamic = true;
                        }
                    }
                }
                Stmt::ImportFrom(import) => {
                    let module = import.module.as_ref().map(|m| m.as_str());
                    let from_mlflow = import.level == 0 && module == Some("mlflow");
                    for alias in &import.names {
                        let ok = if from_mlflow {
                            is_tracking(alias.name.as_str())
                        } else {
                            // `from pkg import mlflow`: a module of that name, re-exported.
                            alias.name.as_str() != "mlflow"
                                && alias.asname.as_ref().is_none_or(|a| a.as_str() != "mlflow")
                        };
                        if !ok {
                            self.inert = false;
                        }
                    }
                    if !from_mlflow && module.is_some_and(mentions_mlflow_module) {
                        self.inert = false;
                    }
                    if import.level == 0 && module.is_some_and(is_dynamic_module) {
                        self.dynamic = true;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether the text alone shows that no expression names `mlflow` or a dynamic builtin, so that
/// walking the expressions would find nothing: every `mlflow` in the text is one that an `import
/// mlflow` imports (`imported_at`), and `eval`, `exec` and `__import__` appear nowhere as words.
/// An expression can name `mlflow` (or `x.mlflow`, or a builtin) only where its text is written,
/// except that the parser reads non-ASCII identifiers in their NFKC form (`ｍlflow` is `mlflow`):
/// a text with a character that NFKC makes ASCII is walked.
fn text_settles(text: &str, imported_at: &[TextSize]) -> bool {
    static MLFLOW: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"mlflow"));
    let bytes = text.as_bytes();
    (text.is_ascii() || !may_read_as_ascii(text))
        && MLFLOW.find_iter(bytes).all(|at| {
            u32::try_from(at).is_ok_and(|at| imported_at.binary_search(&TextSize::new(at)).is_ok())
        })
        && !DYNAMIC_BUILTINS
            .iter()
            .any(|(word, finder)| names_word(bytes, word.len(), finder))
}

/// The names of [`is_dynamic_builtin`], each with its search built once.
static DYNAMIC_BUILTINS: LazyLock<[(&str, memmem::Finder<'static>); 3]> = LazyLock::new(|| {
    ["eval", "exec", "__import__"].map(|word| (word, memmem::Finder::new(word.as_bytes())))
});

/// Whether `word` appears in `bytes` as a whole identifier (no identifier byte on either side).
/// `finder` searches for the word, `len` bytes long.
fn names_word(bytes: &[u8], len: usize, finder: &memmem::Finder<'_>) -> bool {
    let identifier = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    finder.find_iter(bytes).any(|at| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + len).copied();
        !before.is_some_and(identifier) && !after.is_some_and(identifier)
    })
}

/// `mlflow.x`, `x.mlflow`, `x.mlflow.y`: a dotted module name with an `mlflow` segment.
fn mentions_mlflow_module(dotted: &str) -> bool {
    dotted.split('.').any(|segment| segment == "mlflow")
}

impl<'a> Visitor<'a> for Check {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.nested(|check| match stmt {
            // Checked by `bind`.
            Stmt::Import(_) | Stmt::ImportFrom(_) => {}
            _ => walk_stmt(check, stmt),
        });
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.nested(|check| check.visit_expr_inner(expr));
    }
}

impl Check {
    /// Runs `visit` one level deeper, unless the answer is known or the walk is too deep.
    fn nested(&mut self, visit: impl FnOnce(&mut Self)) {
        if !self.inert {
            return;
        }
        if self.nesting >= MAX_NESTING {
            self.inert = false;
            return;
        }
        self.nesting += 1;
        visit(self);
        self.nesting -= 1;
    }

    fn is_mlflow(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    fn visit_expr_inner(&mut self, expr: &Expr) {
        match expr {
            Expr::Attribute(attribute) => {
                if attribute.attr.as_str() == "mlflow" {
                    self.inert = false;
                    return;
                }
                if let Expr::Name(name) = attribute.value.as_ref()
                    && self.is_mlflow(name.id.as_str())
                {
                    // `mlflow.log_metric(...)` read; anything else (a store, another name) is not
                    // inert.
                    if !(is_tracking(attribute.attr.as_str())
                        && attribute.ctx == ExprContext::Load
                        && name.ctx == ExprContext::Load)
                    {
                        self.inert = false;
                    }
                    return;
                }
                walk_expr(self, expr);
            }
            Expr::Name(name) if self.is_mlflow(name.id.as_str()) => self.inert = false,
            Expr::Name(name) if is_dynamic_builtin(name.id.as_str()) => self.dynamic = true,
            _ => walk_expr(self, expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceKind, parse_source};

    fn of(text: &str) -> Inertness {
        let parsed = parse_source(text, SourceKind::Python);
        assert!(parsed.syntax_errors.is_empty(), "{text}");
        let imports = crate::imports::import_statements(parsed.body());
        let by_text = inertness(&imports, parsed.body(), text);
        // The text's shortcut never changes the answer of the walk.
        assert_eq!(
            by_text,
            inertness(&imports, parsed.body(), "\u{ff4d}"),
            "{text}"
        );
        by_text
    }

    fn inert(text: &str) -> bool {
        of(text) == Inertness::Inert
    }

    #[test]
    fn the_tracking_list_is_sorted() {
        assert!(TRACKING.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tracking_calls_are_inert() {
        assert!(inert("import mlflow\n"));
        assert!(inert("# mlflow\nx = 'mlflow.pyfunc.log_model'\n"));
        assert!(inert(
            "import mlflow\nwith mlflow.start_run():\n    mlflow.log_metric('a', 1)\n"
        ));
        assert!(inert(
            "import mlflow as m\ndef f():\n    m.log_params({})\n"
        ));
        assert!(inert(
            "from mlflow import log_metric, set_tag as tag\nlog_metric('a', 1)\n"
        ));
        assert!(inert(
            "import os, mlflow\nmlflow.autolog()\nos.getenv('X')\n"
        ));
    }

    #[test]
    fn any_other_use_of_mlflow_is_not() {
        for text in [
            "import mlflow\nmlflow.pyfunc.log_model()\n",
            "import mlflow\nclass A(mlflow.pyfunc.PythonModel): pass\n",
            "import mlflow.pyfunc\n",
            "from mlflow.models import set_model\n",
            "from mlflow import pyfunc\n",
            "from mlflow import *\n",
            "import mlflow\nf(mlflow)\n",
            "import mlflow\nx = mlflow\n",
            "import mlflow\nmlflow.log_metric = None\n",
            "import mlflow\nm = getattr(mlflow, 'pyfunc')\n",
            "import mlflow as m\nm.models.set_model(x)\n",
            "def f():\n    import mlflow as m\nm.genai.agent_server\n",
            "from utils import mlflow\n",
            "from utils import tools as mlflow\n",
            "import utils\nutils.mlflow.pyfunc.log_model()\n",
            "from .mlflow import x\n",
            "import a.mlflow\n",
            "mlflow = load()\nmlflow.pyfunc\n",
            "import mlflow\nx: mlflow.pyfunc.PythonModel\n",
            "import mlflow\n@mlflow.trace\ndef f(): pass\n",
            // The parser reads identifiers in their NFKC form: this is `mlflow.pyfunc`.
            "import mlflow\n\u{ff4d}lflow.pyfunc.log_model()\n",
            "import mlflow\nml\u{fb02}ow.pyfunc.log_model()\n",
            "# \u{e9}\nimport mlflow\n\u{ff4d}lflow.pyfunc.log_model()\n",
        ] {
            assert_eq!(of(text), Inertness::Relevant, "{text}");
        }
    }

    #[test]
    fn dynamic_code_is_told_apart() {
        for text in [
            "import mlflow\nexec('x = 1')\n",
            "import mlflow\nf = eval\n",
            "import mlflow\n__import__('os')\n",
            "import mlflow\nimport importlib\n",
            "import mlflow\nfrom importlib import import_module\n",
            "import mlflow\nimport pkgutil.x as p\n",
            "from runpy import run_path\n",
            "import mlflow\n\u{ff45}val('1')\n",
            "import mlflow\nx = [exec]\n",
        ] {
            assert_eq!(of(text), Inertness::Dynamic, "{text}");
        }
        assert_eq!(
            of("import importlib\nimport mlflow\nmlflow.pyfunc\n"),
            Inertness::Relevant
        );
        assert_eq!(of("from . import importlib\n"), Inertness::Inert);
    }

    #[test]
    fn the_text_settles_only_what_the_walk_would_find() {
        let settles = |text: &str| {
            let parsed = parse_source(text, SourceKind::Python);
            let imports = crate::imports::import_statements(parsed.body());
            text_settles(text, &Check::of_imports(&imports).imported_at)
        };
        assert!(settles(
            "import mlflow\nimport os, mlflow\nexecute(evaluate, __import___)\n"
        ));
        assert!(settles("def f():\n    import mlflow\n"));
        assert!(settles("x = 1\n"));
        assert!(settles(
            "import mlflow\ny = '\u{e9}\u{201c}\u{2026}\u{6708}'\n"
        ));
        assert!(settles("import mlflow\ny = 'e\u{301}'\n"));
        for text in [
            "import mlflow\n# mlflow\n",
            "import mlflow\nmlflow.log_metric('a', 1)\n",
            "import mlflow.pyfunc\n",
            "import mlflow\nx = exec\n",
            "import mlflow\nx = 1 # eval\n",
            "import mlflow\n__import__('os')\n",
            "import mlflow\ny = '\u{ff4d}'\n",
            "eval",
        ] {
            assert!(!settles(text), "{text}");
        }
        // Eight bytes at a time, or one: the same answer wherever the character is.
        for pad in 0..20 {
            let text = format!("{}\u{ff4d}{}", "x".repeat(pad), "y".repeat(pad % 9));
            assert!(may_read_as_ascii(&text), "{text}");
            let text = format!("{}\u{e9}\u{2026}{}", "x".repeat(pad), "y".repeat(pad % 9));
            assert!(!may_read_as_ascii(&text), "{text}");
        }
        let exec = memmem::Finder::new(b"exec");
        assert!(names_word(b"exec", 4, &exec));
        assert!(names_word(b"(exec)", 4, &exec));
        assert!(!names_word(b"execute _exec exec2", 4, &exec));
    }

    #[test]
    fn a_file_nested_deeper_than_the_model_walks_is_analysed() {
        // Parsing and dropping such a tree recurse as deep: a test thread's stack is too small.
        std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn(|| {
                // Walked (`ｍ` may be part of a name `mlflow`): too deep to be called inert.
                let deep = format!(
                    "import mlflow\nx = {} # \u{ff4d}\n",
                    vec!["a"; 2_000].join(" + ")
                );
                let parsed = parse_source(&deep, SourceKind::Python);
                let imports = crate::imports::import_statements(parsed.body());
                assert_eq!(
                    inertness(&imports, parsed.body(), &deep),
                    Inertness::Relevant
                );
                let shallow = format!(
                    "import mlflow\nx = {} # \u{ff4d}\n",
                    vec!["a"; 500].join(" + ")
                );
                assert!(inert(&shallow));
                // The text alone shows that nothing names `mlflow`: not walked, however deep.
                let deep = format!("import mlflow\nx = {}\n", vec!["a"; 2_000].join(" + "));
                let parsed = parse_source(&deep, SourceKind::Python);
                let imports = crate::imports::import_statements(parsed.body());
                assert_eq!(inertness(&imports, parsed.body(), &deep), Inertness::Inert);
            })
            .expect("spawn")
            .join()
            .expect("no panic");
    }

    #[test]
    fn imports_are_kept_in_source_order_at_any_depth() {
        let text = "import a\ndef f():\n    from b import c\n    x = 1\nclass K:\n    import d\ntry:\n    import e\nexcept ImportError:\n    pass\n";
        let parsed = parse_source(text, SourceKind::Python);
        let kept: Vec<Stmt> = crate::imports::import_statements(parsed.body())
            .into_iter()
            .cloned()
            .collect();
        assert_eq!(kept.len(), 4);
        let package = ["pkg".to_string()];
        assert_eq!(
            crate::imports::imported_modules(&kept, &package),
            crate::imports::imported_modules(parsed.body(), &package)
        );
    }
}
