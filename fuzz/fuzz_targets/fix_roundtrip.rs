//! Fixes: on a fuzzed Python file, `fix` (unsafe fixes too) settles, a fixed file parses no
//! worse than it did, and a finding whose fix was applied is gone unless its fix was dropped.
#![no_main]
use obolint_linter::fix::{fix, is_applicable};
use obolint_python::{detect_kind, parse_source};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut request = obolint_fuzz::request();
    let path = obolint_fuzz::root().join("fuzzed.py");
    request.sources.insert(path.clone(), text.clone());
    let Ok(outcome) = fix(&request, true) else { return };
    let errors = |t: &str| parse_source(t, detect_kind(t)).syntax_errors.len();
    for file in &outcome.files {
        assert!(
            errors(&file.fixed) <= errors(&file.original),
            "a fix broke parsing of {}:\n--- before\n{}\n--- after\n{}",
            file.display_path,
            file.original,
            file.fixed
        );
    }
    assert!(outcome.converged, "fixes did not settle: {:#?}", outcome.files);
    // Settled: what still carries an applicable fix was dropped (it would not parse).
    for d in &outcome.report.diagnostics {
        if is_applicable(d, true) {
            assert!(
                outcome.dropped.iter().any(|m| m.contains(d.rule.code)),
                "{} keeps an applicable fix after fixing: {:?}\n{}",
                d.rule.code,
                d.fix,
                outcome.files.first().map_or(text.as_str(), |f| f.fixed.as_str())
            );
        }
    }
});
