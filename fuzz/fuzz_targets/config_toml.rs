//! Configuration TOML: `obolint.toml` read, resolved and used for a whole check (a bad one is an
//! error, never a panic), and the same text as `pyproject.toml` requirements.
#![no_main]
use obolint_linter::config::read_config;
use obolint_linter::requirements::sources::from_pyproject;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let root = obolint_fuzz::root();
    let _ = from_pyproject(&String::from_utf8_lossy(data));
    std::fs::write(root.join("obolint.toml"), data).expect("a scratch file");
    let _ = read_config(&root.join("obolint.toml"));
    let _ = obolint_linter::check(&obolint_fuzz::request());
});
