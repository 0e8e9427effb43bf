//! The one diagnostic model every part of obolint speaks, and the renderers that show it.
//!
//! Rules produce [`Diagnostic`]s with byte ranges into a [`SourceFile`]; renderers turn them into
//! text for people (`full`) or tools (`json`). Rows and columns are computed here, once, by
//! [`LineIndex`], so every renderer agrees on them.

mod diagnostic;
mod line_index;
pub mod render;
mod source;
mod text;

pub use diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, RuleMeta, Severity};
pub use line_index::{LineCursor, LineIndex, SourcePosition};
pub use source::{CellStart, FileId, NotebookJson, SourceDb, SourceFile};
pub use text::{ReadAgain, SourceText};
