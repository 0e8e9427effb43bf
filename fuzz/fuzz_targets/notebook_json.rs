//! A Jupyter notebook (`.ipynb` JSON): cells, the notebook text and every rule.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = obolint_fuzz::check_with("fuzzed.ipynb", data);
});
