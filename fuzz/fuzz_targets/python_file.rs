//! A Python file: parsing, the project model and every rule. No panic, no hang.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = obolint_fuzz::check_with("fuzzed.py", data);
});
