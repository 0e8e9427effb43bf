//! Parsing with Ruff's parser, one cell at a time, keeping what parses.

use ruff_python_ast::name::Name;
use ruff_python_ast::{
    Alias, Identifier, ModModule, PySourceType, PythonVersion, Stmt, StmtImport, StmtImportFrom,
};
use ruff_python_parser::{ParseOptions, parse_cells_unchecked, parse_unchecked};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::notebook::NotebookText;
use crate::source::{SourceKind, cell_ranges};

/// The first syntax error of a file or of one notebook cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
    /// 0-based index of the cell among the parsed cells of a notebook (code cells of an
    /// `.ipynb`); `None` for a plain module.
    pub cell: Option<usize>,
}

/// A parsed file: the statements that parsed cleanly, in file order, and the syntax errors.
#[derive(Debug)]
pub struct ParsedSource {
    pub kind: SourceKind,
    module: ModModule,
    pub cells: Vec<TextRange>,
    pub syntax_errors: Vec<SyntaxError>,
    /// Every `#` comment, in order (suppressions are read from them).
    pub comments: Vec<TextRange>,
    /// Tokens that span lines (triple-quoted strings), in order: a line that ends inside one
    /// cannot take a comment (`--add-noqa` looks here).
    pub multiline_tokens: Vec<TextRange>,
    /// Where the tree's small blocks are ([`crate::arena`]); dropped after the tree (fields drop
    /// in order).
    arena: Option<crate::arena::Arena>,
}

impl Drop for ParsedSource {
    /// Frees a tree that is wholly in its arena all at once ([`crate::arena::Arena::free_with`]),
    /// without visiting its nodes; any other tree is dropped as usual. (It also keeps the tree
    /// from being moved out, so that nothing of it outlives the arena.)
    fn drop(&mut self) {
        if let Some(arena) = &mut self.arena {
            arena.free_with(std::mem::take(&mut self.module.body));
        }
    }
}

impl ParsedSource {
    pub fn body(&self) -> &[Stmt] {
        &self.module.body
    }

    /// Replaces the code with `imports` (import statements, as [`owned_import`] copies them)
    /// and gives the tree's arena back. Should a name of `imports` still be in an arena (a clone
    /// of this tree's: a long name's clone shares its block), the arena is kept.
    pub fn keep_only(&mut self, imports: Vec<Stmt>) {
        let owned = self
            .arena
            .as_ref()
            .is_none_or(|arena| imports.iter().all(|stmt| owns_its_names(stmt, arena)));
        let code = std::mem::replace(&mut self.module.body, imports.into());
        match &mut self.arena {
            Some(arena) if owned => {
                arena.free_with(code);
                self.arena = None;
            }
            Some(arena) => {
                // Dropped a node at a time: the arena's records of its blocks no longer hold.
                drop(code);
                arena.forget_records();
            }
            None => drop(code),
        }
    }

    /// What [`Self::keep_only`] would leave of this parse, as a new one, for a parse that is
    /// shared and cannot be changed (the language server keeps parsed files between checks):
    /// the same kind, cells, errors and comments, and `imports` for code. A name of `imports`
    /// still in this tree's arena is copied out of it (the new parse outlives the tree).
    pub fn with_only(&self, imports: Vec<Stmt>) -> ParsedSource {
        let imports = match &self.arena {
            Some(arena) if !imports.iter().all(|stmt| owns_its_names(stmt, arena)) => {
                imports.iter().filter_map(owned_import).collect()
            }
            _ => imports,
        };
        ParsedSource {
            kind: self.kind,
            module: ModModule {
                body: imports.into(),
                range: self.module.range,
                node_index: self.module.node_index.clone(),
            },
            cells: self.cells.clone(),
            syntax_errors: self.syntax_errors.clone(),
            comments: self.comments.clone(),
            multiline_tokens: self.multiline_tokens.clone(),
            arena: None,
        }
    }

    /// Whether the tree is in an arena that frees it whole (for tests).
    #[doc(hidden)]
    pub fn freed_whole(&self) -> bool {
        self.arena
            .as_ref()
            .is_some_and(crate::arena::Arena::is_whole)
    }
}

/// A copy of an import statement whose names own their text (a clone of a long name shares its
/// block with the tree's), so that it outlives the tree's arena; `None` for any other statement.
pub fn owned_import(stmt: &Stmt) -> Option<Stmt> {
    let own = |identifier: &Identifier| Identifier {
        id: Name::new(identifier.id.as_str()),
        ..identifier.clone()
    };
    let alias = |alias: &Alias| Alias {
        range: alias.range,
        node_index: alias.node_index.clone(),
        name: own(&alias.name),
        asname: alias.asname.as_ref().map(own),
    };
    match stmt {
        Stmt::Import(import) => Some(Stmt::Import(StmtImport {
            node_index: import.node_index.clone(),
            range: import.range,
            names: import.names.iter().map(alias).collect(),
            is_lazy: import.is_lazy,
        })),
        Stmt::ImportFrom(import) => Some(Stmt::ImportFrom(StmtImportFrom {
            node_index: import.node_index.clone(),
            range: import.range,
            module: import.module.as_ref().map(own),
            names: import.names.iter().map(alias).collect(),
            level: import.level,
            is_lazy: import.is_lazy,
        })),
        _ => None,
    }
}

/// Whether an import statement's names are outside `arena`.
fn owns_its_names(stmt: &Stmt, arena: &crate::arena::Arena) -> bool {
    let owned = |identifier: &Identifier| {
        let name = identifier.id.as_str();
        !arena.contains(name.as_ptr(), name.len())
    };
    let alias = |alias: &Alias| owned(&alias.name) && alias.asname.as_ref().is_none_or(owned);
    match stmt {
        Stmt::Import(import) => import.names.iter().all(alias),
        Stmt::ImportFrom(import) => {
            import.module.as_ref().is_none_or(owned) && import.names.iter().all(alias)
        }
        _ => false,
    }
}

/// Parses `text` as the newest Python the parser knows (3.12 `type` statements and 3.14 syntax
/// parse); version-specific "unsupported syntax" findings are not ours to make.
///
/// A plain module keeps the statements that end before its first error: the parser recovers, but
/// what it recovers is a guess, and rules never run on guesses. A notebook drops the cells that do
/// not parse and keeps every other cell.
///
/// A Databricks source notebook runs on an IPython kernel too: its cells may hold line magics
/// and shell escapes not written as `# MAGIC` comments (`%pip install ...` in Databricks'
/// own cookbook), so it is parsed in IPython mode like an `.ipynb`.
pub fn parse_source(text: &str, kind: SourceKind) -> ParsedSource {
    parse_source_keeping(text, kind, Keep::Comments)
}

/// What a parse keeps of the tokens, besides the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every comment, and every string that spans lines (`--add-noqa` places comments by them).
    Comments,
    /// What suppressions are read from: the comments, and only when the text holds `noqa` in
    /// some case (a suppression is a comment that does); no strings. A check reads no more, and
    /// most files hold no `noqa`: their tokens are not looked at again.
    Suppressions,
}

/// Files shorter than this are parsed outside an arena ([`crate::arena`]): their tree would
/// leave most of its chunk unused.
const ARENA_MIN_TEXT: usize = 2048;

/// [`parse_source`], keeping `keep` of the tokens.
pub fn parse_source_keeping(text: &str, kind: SourceKind, keep: Keep) -> ParsedSource {
    let cells = cell_ranges(text, kind);
    let source_type = match kind {
        SourceKind::DatabricksNotebook => PySourceType::Ipynb,
        SourceKind::Python | SourceKind::Jupyter => PySourceType::Python,
    };
    parse_in_cells(text, kind, cells, source_type, keep)
}

/// Whether `text` holds `noqa` in any mix of cases (the word every suppression comment holds).
pub fn mentions_noqa(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'q', b'Q', bytes).any(|at| {
        at >= 2
            && bytes
                .get(at - 2..at + 2)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"noqa"))
    })
}

/// Parses the cells of an `.ipynb` notebook, in IPython mode (line magics and shell escapes are
/// statements of their own); cells that are not Python are blank in `NotebookText::parse_text`.
pub fn parse_notebook(layout: &NotebookText) -> ParsedSource {
    parse_notebook_keeping(layout, Keep::Comments)
}

/// [`parse_notebook`], keeping `keep` of the tokens.
pub fn parse_notebook_keeping(layout: &NotebookText, keep: Keep) -> ParsedSource {
    let text = layout.parse_text();
    parse_in_cells(
        &text,
        SourceKind::Jupyter,
        layout.cell_ranges(),
        PySourceType::Ipynb,
        keep,
    )
}

fn parse_in_cells(
    text: &str,
    kind: SourceKind,
    cells: Vec<TextRange>,
    source_type: PySourceType,
    keep: Keep,
) -> ParsedSource {
    let options = ParseOptions::from(source_type).with_target_version(PythonVersion::latest());
    // One cell of the whole text (a plain Python file) is the parser's own parse of it: the
    // cells' parse would copy its statements and tokens into vectors of their own (a fifth of a
    // run's page faults on a corpus of Python files).
    let whole = TextRange::up_to(TextSize::of(text));
    let one_cell = cells.as_slice() == [whole];
    let parse = || {
        if one_cell {
            parse_unchecked(text, options.clone())
                .try_into_module()
                .unwrap_or_else(|| parse_cells_unchecked(text, [whole], &options))
        } else {
            parse_cells_unchecked(text, cells.iter().copied(), &options)
        }
    };
    // A small file's tree would not fill its arena's one chunk: what it leaves unused would
    // outweigh the tree.
    let (mut parsed, mut arena) = if text.len() >= ARENA_MIN_TEXT {
        crate::arena::in_arena(|| {
            let parsed = parse();
            join_strings_now(parsed.syntax(), parsed.tokens());
            parsed
        })
    } else {
        (parse(), None)
    };
    let mut syntax_errors: Vec<SyntaxError> = Vec::new();
    // The cells (or the file, `None`) that have their error.
    let mut erring: rustc_hash::FxHashSet<Option<usize>> = rustc_hash::FxHashSet::default();
    for error in parsed.errors() {
        let cell = match kind {
            SourceKind::Python => None,
            SourceKind::DatabricksNotebook | SourceKind::Jupyter => {
                Some(cell_of(&cells, error.location))
            }
        };
        // One error per file (module) or per cell (notebook): the first.
        if !erring.insert(cell) {
            continue;
        }
        syntax_errors.push(SyntaxError {
            range: error.location,
            message: error.error.to_string(),
            cell,
        });
    }
    // CPython refuses a NUL byte anywhere ("source code cannot contain null bytes"); the parser
    // may stop at it with a message that quotes it, or read past it. It is the file's (or its
    // cell's) error unless an earlier one was found.
    // (`memchr` rather than `str::find`, which looks at a byte at a time: this runs over every
    // parsed file.)
    if let Some(at) = memchr::memchr(0, text.as_bytes()) {
        let at = TextSize::try_from(at).unwrap_or_default();
        let range = TextRange::at(at, TextSize::new(1));
        let cell = match kind {
            SourceKind::Python => None,
            SourceKind::DatabricksNotebook | SourceKind::Jupyter => Some(cell_of(&cells, range)),
        };
        let nul = SyntaxError {
            range,
            message: "source code cannot contain null bytes".to_string(),
            cell,
        };
        match syntax_errors.iter_mut().find(|e| e.cell == cell) {
            Some(error) if error.range.start() < at => {}
            Some(error) => *error = nul,
            None => {
                syntax_errors.push(nul);
                syntax_errors.sort_by_key(|e| e.range.start());
            }
        }
    }
    let mut comments: Vec<TextRange> = Vec::new();
    let mut multiline_tokens: Vec<TextRange> = Vec::new();
    let tokens = match keep {
        Keep::Comments => parsed.tokens().as_ref(),
        Keep::Suppressions if mentions_noqa(text) => parsed.tokens().as_ref(),
        Keep::Suppressions => &[],
    };
    for token in tokens {
        use ruff_python_ast::token::TokenKind;
        match token.kind() {
            TokenKind::Comment => comments.push(token.range()),
            // Only strings span lines (checked first: most tokens are none, and every file
            // of a run comes through here).
            TokenKind::String | TokenKind::FStringMiddle | TokenKind::TStringMiddle
                if keep == Keep::Comments
                    && text
                        .get(token.range().to_std_range())
                        .is_some_and(|t| memchr::memchr2(b'\n', b'\r', t.as_bytes()).is_some()) =>
            {
                multiline_tokens.push(token.range());
            }
            _ => {}
        }
    }
    if !syntax_errors.is_empty() && arena.is_some() {
        // What follows an error is dropped below; in an arena its memory would stay as long as
        // the file. Such a file (rare) is parsed again outside one: the same text, the same tree.
        drop(std::mem::replace(&mut parsed, parse()));
        arena = None;
    }
    // The tokens go: a parse in an arena notes their frees, so that its records hold.
    let mut module = match &mut arena {
        Some(arena) => arena.noting_frees(|| parsed.into_syntax()),
        None => parsed.into_syntax(),
    };
    // The module's range is its cells' (the parser's own ends at its last token).
    if one_cell {
        module.range = whole;
    }
    if !syntax_errors.is_empty() {
        // What follows the file's error, and whatever is in a cell with an error.
        let first = syntax_errors
            .iter()
            .filter(|e| e.cell.is_none())
            .map(|e| e.range.start())
            .min();
        let cells_in_error: rustc_hash::FxHashSet<usize> =
            syntax_errors.iter().filter_map(|e| e.cell).collect();
        module.body.retain(|stmt| {
            let range = stmt.range();
            !(first.is_some_and(|start| range.end() > start)
                || (!cells_in_error.is_empty() && cells_in_error.contains(&cell_of(&cells, range))))
        });
    }
    ParsedSource {
        kind,
        module,
        cells,
        syntax_errors,
        comments,
        multiline_tokens,
        arena,
    }
}

/// Joins the parts of each implicitly concatenated string literal (`"a" "b"`) of `module` now,
/// in the parse's arena: Ruff joins them when the value is first read, which would put the joined
/// text outside the arena, in a block a tree freed whole would leak. The literals are found by
/// their tokens (string after string, with nothing but line ends inside brackets and comments
/// between), and only the nodes around them are visited.
fn join_strings_now(module: &ModModule, tokens: &[ruff_python_ast::token::Token]) {
    use ruff_python_ast::token::TokenKind;
    use ruff_python_ast::visitor::source_order::{SourceOrderVisitor, TraversalSignal, walk_expr};
    use ruff_python_ast::{AnyNodeRef, Expr};

    // The ranges of the runs of two or more string literals, in order.
    let mut runs: Vec<TextRange> = Vec::new();
    // The run being read: its range and how many strings it has; `open` while it may go on.
    let mut run: Option<(TextRange, usize)> = None;
    let mut open = false;
    for token in tokens {
        match token.kind() {
            TokenKind::String => {
                run = match run {
                    Some((range, count)) if open => Some((range.cover(token.range()), count + 1)),
                    Some((range, count)) => {
                        if count > 1 {
                            runs.push(range);
                        }
                        Some((token.range(), 1))
                    }
                    None => Some((token.range(), 1)),
                };
                open = true;
            }
            TokenKind::NonLogicalNewline | TokenKind::Comment => {}
            _ => open = false,
        }
    }
    if let Some((range, count)) = run
        && count > 1
    {
        runs.push(range);
    }
    if runs.is_empty() {
        return;
    }
    struct Join<'r> {
        runs: &'r [TextRange],
    }
    impl Join<'_> {
        /// Whether a run lies in `range`.
        fn around(&self, range: TextRange) -> bool {
            let first = self.runs.partition_point(|run| run.start() < range.start());
            self.runs
                .get(first)
                .is_some_and(|run| range.contains_range(*run))
        }
    }
    impl<'a> SourceOrderVisitor<'a> for Join<'_> {
        fn enter_node(&mut self, node: AnyNodeRef<'a>) -> TraversalSignal {
            if self.around(node.range()) {
                TraversalSignal::Traverse
            } else {
                TraversalSignal::Skip
            }
        }

        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::StringLiteral(string) = expr
                && string.value.is_implicit_concatenated()
            {
                let _ = string.value.to_str();
            }
            walk_expr(self, expr);
        }
    }
    Join { runs: &runs }.visit_body(&module.body);
}

fn cell_of(cells: &[TextRange], range: TextRange) -> usize {
    // The last cell starting at or before it, by bisection: cells are in order, and a notebook
    // of many cells asks for each error and each statement after one.
    cells
        .partition_point(|cell| cell.start() <= range.start())
        .saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain Python file is parsed by the parser's own parse, not as one cell: the same tree
    /// (ranges, strings joined or not, its module's range), errors and tokens, in an arena or
    /// not, with and without errors.
    #[test]
    fn a_whole_file_parses_as_its_one_cell_would() {
        let long = format!(
            "import mlflow\n{}",
            "x = ('a' 'b')  # noqa: E501\n".repeat(200)
        );
        let texts = [
            "",
            "\n",
            "import os\n",
            "x = 1",
            "   \n# only a comment",
            "def f(a, b=2, *c, **d):\n    return f'{a!r:>{b}}' 'tail'\n\n\n",
            "class C(B, metaclass=M):\n    '''doc'''\n    x: int = 1\n",
            "x = (\ny = 2\n",
            "print('a')\0print('b')\n",
            "if x:\n\tpass\n  else:\n",
            "s = '''a\nb''' \\\n  'c'\n",
            long.as_str(),
        ];
        let options =
            ParseOptions::from(PySourceType::Python).with_target_version(PythonVersion::latest());
        for text in texts {
            let whole = [TextRange::up_to(TextSize::of(text))];
            let cells = parse_cells_unchecked(text, whole, &options);
            let own = parse_unchecked(text, options.clone())
                .try_into_module()
                .expect("a module");
            assert_eq!(
                format!("{:?}", own.errors()),
                format!("{:?}", cells.errors())
            );
            assert_eq!(
                format!("{:?}", own.tokens().as_ref()),
                format!("{:?}", cells.tokens().as_ref())
            );
            let mut module = own.into_syntax();
            module.range = whole[0];
            assert_eq!(format!("{module:?}"), format!("{:?}", cells.into_syntax()));
            // And what a check keeps of it, through `parse_in_cells` (as a notebook's one cell,
            // parsed as cells: what a cell with an error keeps differs from a file's).
            let parsed = parse_source_keeping(text, SourceKind::Python, Keep::Comments);
            if !parsed.syntax_errors.is_empty() {
                continue;
            }
            let as_cells = parse_in_cells(
                text,
                SourceKind::Jupyter,
                whole.to_vec(),
                PySourceType::Python,
                Keep::Comments,
            );
            assert_eq!(
                format!("{:?}", parsed.module),
                format!("{:?}", as_cells.module)
            );
            assert_eq!(parsed.comments, as_cells.comments);
            assert_eq!(parsed.multiline_tokens, as_cells.multiline_tokens);
            let errors = |p: &ParsedSource| -> Vec<(TextRange, String)> {
                p.syntax_errors
                    .iter()
                    .map(|e| (e.range, e.message.clone()))
                    .collect()
            };
            assert_eq!(errors(&parsed), errors(&as_cells));
        }
    }

    #[test]
    fn keeps_statements_before_the_first_error() {
        let parsed = parse_source("import os\nx = (\ny = 2\n", SourceKind::Python);
        assert_eq!(parsed.syntax_errors.len(), 1);
        assert_eq!(parsed.body().len(), 1);
    }

    #[test]
    fn nul_bytes_are_a_syntax_error_anywhere() {
        // Reproducers `nul_byte_hides_rest` and `nul_only_file_clean`.
        for text in [
            "\0".repeat(1000),
            "import os\0\nx = 1\n".to_string(),
            "x = '\0'\n".to_string(),
            "# \0\n".to_string(),
        ] {
            let parsed = parse_source(&text, SourceKind::Python);
            assert_eq!(parsed.syntax_errors.len(), 1, "{text:?}");
            assert_eq!(
                parsed.syntax_errors[0].message,
                "source code cannot contain null bytes"
            );
            assert!(!parsed.syntax_errors[0].message.contains('\0'));
        }
        // An earlier error stays the file's error.
        let parsed = parse_source("x = = 1\ny = '\0'\n", SourceKind::Python);
        assert_eq!(parsed.syntax_errors.len(), 1);
        assert_ne!(
            parsed.syntax_errors[0].message,
            "source code cannot contain null bytes"
        );
        let parsed = parse_source("import os\n# \0\nx = 1\n", SourceKind::Python);
        assert_eq!(parsed.body().len(), 1, "what follows the NUL is unknown");
    }

    #[test]
    fn notebook_cells_fail_alone() {
        let text = "# Databricks notebook source\nimport os\n\n# COMMAND ----------\ndef f(:\n    pass\n\n# COMMAND ----------\nx = os.getcwd()\n";
        let parsed = parse_source(text, SourceKind::DatabricksNotebook);
        assert_eq!(parsed.syntax_errors.len(), 1);
        assert_eq!(parsed.syntax_errors[0].cell, Some(1));
        assert_eq!(
            parsed.body().len(),
            2,
            "the import and the assignment survive"
        );
    }

    #[test]
    fn source_notebook_cells_may_hold_line_magics() {
        let text = "# Databricks notebook source\n# COMMAND ----------\n\n# Install\n%pip install -qqqq -U \\\n  mlflow databricks-sdk\n!ls\n\n# COMMAND ----------\nimport os\n";
        let parsed = parse_source(text, SourceKind::DatabricksNotebook);
        assert!(
            parsed.syntax_errors.is_empty(),
            "{:?}",
            parsed.syntax_errors
        );
        assert_eq!(parsed.body().len(), 3);
        // A plain module is not IPython.
        let plain = parse_source("%pip install mlflow\n", SourceKind::Python);
        assert_eq!(plain.syntax_errors.len(), 1);
    }

    #[test]
    fn keeps_comments() {
        let text = "x = 1  # noqa: OBO101\n# obolint: noqa\n";
        let parsed = parse_source(text, SourceKind::Python);
        let comments: Vec<&str> = parsed.comments.iter().map(|r| &text[*r]).collect();
        assert_eq!(comments, ["# noqa: OBO101", "# obolint: noqa"]);
    }

    #[test]
    fn noqa_is_found_in_any_case_anywhere() {
        for (text, found) in [
            ("noqa", true),
            ("x  # NoQA: OBO101", true),
            ("#nOqA", true),
            ("q", false),
            ("Qq", false),
            ("noq", false),
            ("no qa", false),
            ("query = request.queue  # no\n", false),
            ("é noqa", true),
            ("éq", false),
        ] {
            assert_eq!(mentions_noqa(text), found, "{text:?}");
        }
    }

    /// A check's parse keeps every comment a suppression can be in: the comments that hold
    /// `noqa` are those of the full parse, in every file.
    #[test]
    fn a_checks_parse_keeps_the_comments_suppressions_are_read_from() {
        let noqa = |text: &str, parsed: &ParsedSource| -> Vec<TextRange> {
            parsed
                .comments
                .iter()
                .copied()
                .filter(|c| {
                    text[*c]
                        .as_bytes()
                        .windows(4)
                        .any(|w| w.eq_ignore_ascii_case(b"noqa"))
                })
                .collect()
        };
        for (text, kind) in [
            ("x = 1  # noqa: OBO101\n# plain\n", SourceKind::Python),
            ("x = 1  # plain\ns = '''\nnoqa\n'''\n", SourceKind::Python),
            ("x = 1  # NOQA\n", SourceKind::Python),
            ("x = 1  # nothing here\n", SourceKind::Python),
            (
                "# Databricks notebook source\nx = 1  # noqa\n# COMMAND ----------\n# MAGIC %%writefile a.py\n# MAGIC y = 2  # noqa: OBO101\n",
                SourceKind::DatabricksNotebook,
            ),
        ] {
            let full = parse_source(text, kind);
            let lean = parse_source_keeping(text, kind, Keep::Suppressions);
            assert_eq!(noqa(text, &full), noqa(text, &lean), "{text:?}");
            assert!(lean.multiline_tokens.is_empty());
            assert_eq!(lean.body(), full.body());
            assert_eq!(lean.syntax_errors.len(), full.syntax_errors.len());
        }
        // And no token is looked at in a file without one.
        let lean = parse_source_keeping("x = 1  # plain\n", SourceKind::Python, Keep::Suppressions);
        assert!(lean.comments.is_empty());
    }

    #[test]
    fn newest_syntax_parses() {
        let parsed = parse_source("type Point = tuple[float, float]\n", SourceKind::Python);
        assert!(parsed.syntax_errors.is_empty());
    }
}
