//! obolint's Python front end: what a file is (module or Databricks source notebook), its parse
//! with Ruff's parser, and the per-file semantic model (scopes, bindings, calls, classes) that the
//! checker builds its project model on.

pub mod arena;
pub mod imports;
pub mod inert;
pub mod known;
pub mod notebook;
pub mod parse;
pub mod prescreen;
pub mod semantic;
pub mod source;

pub use parse::{
    Keep, ParsedSource, SyntaxError, mentions_noqa, parse_notebook, parse_notebook_keeping,
    parse_source, parse_source_keeping,
};
pub use source::{SourceKind, cell_ranges, detect_kind};
