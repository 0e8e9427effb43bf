//! Renderers: one small file per output format, all fed the same sorted diagnostics.

mod concise;
mod diff;
mod full;
mod github;
mod json;
mod json_lines;
mod junit;
mod sarif;
mod summary;

pub use concise::render_concise;
pub use diff::unified_diff;
pub use full::{full_to_string, render_full, termcolor_stream};
pub use github::render_github;
pub use json::{JsonDiagnostic, render_json, to_json_diagnostics};
pub use json_lines::render_json_lines;
pub use junit::render_junit;
pub use sarif::{SarifRule, SarifTool, percent_encode_path, render_sarif};
pub use summary::Summary;

use crate::{Diagnostic, SourceDb};

/// Where the rule documentation lives; `url` fields and SARIF `helpUri` point here.
pub const DOCS_BASE_URL: &str = "https://github.com/obolint/obolint/blob/main/docs/rules";

pub fn rule_url(code: &str) -> String {
    format!("{DOCS_BASE_URL}/{code}.md")
}

/// The one order every format uses: file name, row, column, code (as `cli.md` sorts JSON).
pub fn sort(diagnostics: &mut [Diagnostic], db: &SourceDb) {
    diagnostics.sort_by(|a, b| {
        let fa = db.get(a.primary.file);
        let fb = db.get(b.primary.file);
        fa.display_path
            .cmp(&fb.display_path)
            .then_with(|| {
                fa.cell(a.primary.range.start())
                    .cmp(&fb.cell(b.primary.range.start()))
            })
            .then_with(|| {
                fa.position(a.primary.range.start())
                    .cmp(&fb.position(b.primary.range.start()))
            })
            .then_with(|| a.rule.code.cmp(b.rule.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}
