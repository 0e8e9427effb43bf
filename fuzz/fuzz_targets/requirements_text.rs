//! Requirements text: the parsers of every place requirements come from, then a project whose
//! log call names the fuzzed `requirements.txt`.
#![no_main]
use obolint_linter::requirements::sources::{from_conda_yaml, from_pip_command, from_requirements_txt};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = from_requirements_txt(&text);
    let _ = from_pip_command(&text);
    let _ = from_conda_yaml(&text);
    let _ = obolint_fuzz::check_on_disk("requirements.txt", data);
});
