//! A YAML manifest: an `MLmodel` (first byte even) or a bundle's `resources.yaml` (odd).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let name = match data.first() {
        Some(b) if b % 2 == 1 => "resources.yaml",
        _ => "MLmodel",
    };
    let _ = obolint_fuzz::check_with(name, data.get(1..).unwrap_or_default());
});
