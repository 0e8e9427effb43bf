//! A Databricks source notebook (`# Databricks notebook source`, `# COMMAND ----------`,
//! `# MAGIC`, `%%writefile`): the header is always there so every input is one.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut text = b"# Databricks notebook source\n".to_vec();
    text.extend_from_slice(data);
    let _ = obolint_fuzz::check_with("fuzzed.py", &text);
    // And with the header as the input wrote it (the fuzzer may find other first lines).
    let _ = obolint_python::parse_source(
        &String::from_utf8_lossy(data),
        obolint_python::SourceKind::DatabricksNotebook,
    );
});
