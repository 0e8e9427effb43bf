//! `--show-fixes` (Ruff's flag of that name): the fixes applied, per file and rule, after
//! `--fix` or `--fix-only`; without them, the fixes the findings offer, one line each.

use std::collections::BTreeMap;

use obolint_diagnostics::{Applicability, Diagnostic, SourceDb};
use obolint_linter::fix::FixedFile;

/// ```text
/// Fixed 3 findings:
/// - agent.py:
///     2 × OBO101 (user-client-at-load-time)
/// ```
pub fn applied(files: &[FixedFile]) -> Vec<String> {
    let total: usize = files.iter().map(|f| f.applied).sum();
    if total == 0 {
        return Vec::new();
    }
    let mut out = vec![format!("Fixed {total} finding{}:", plural(total))];
    let mut files: Vec<&FixedFile> = files.iter().collect();
    files.sort_by(|a, b| a.display_path.cmp(&b.display_path));
    for file in files {
        out.push(format!("- {}:", file.display_path));
        let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for rule in &file.rules {
            *counts.entry((rule.code, rule.name)).or_default() += 1;
        }
        for ((code, name), count) in counts {
            out.push(format!("    {count} × {code} ({name})"));
        }
    }
    out
}

/// ```text
/// Fixes available (1 with --fix, 1 more with --unsafe-fixes):
/// - agent.py:
///     9:18 OBO101 (user-client-at-load-time) [unsafe] Build the client in `predict()`
/// ```
pub fn available(diagnostics: &[Diagnostic], db: &SourceDb) -> Vec<String> {
    let with_fix: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.fix.is_some()).collect();
    let count = |applicability| {
        with_fix
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == applicability)
            })
            .count()
    };
    let (safe, unsafe_) = (count(Applicability::Safe), count(Applicability::Unsafe));
    if with_fix.is_empty() {
        return vec!["No fixes available.".to_string()];
    }
    let mut out = vec![format!(
        "Fixes available ({safe} with --fix, {unsafe_} more with --unsafe-fixes):"
    )];
    let mut current: Option<&str> = None;
    for d in with_fix {
        let Some(fix) = &d.fix else { continue };
        let file = db.get(d.primary.file);
        if current != Some(file.display_path.as_str()) {
            out.push(format!("- {}:", file.display_path));
            current = Some(file.display_path.as_str());
        }
        let position = file.position(d.primary.range.start());
        let cell = file
            .cell(d.primary.range.start())
            .map_or_else(String::new, |cell| format!("cell {cell}:"));
        out.push(format!(
            "    {cell}{}:{} {} ({}) [{}] {}",
            position.row,
            position.column,
            d.rule.code,
            d.rule.name,
            fix.applicability.as_str(),
            fix.message
        ));
        if d.fix_file() != d.primary.file {
            out.push(format!(
                "      (edits {})",
                db.get(d.fix_file()).display_path
            ));
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
