//! Fuzz target: any bytes as a scheme file. Must load or report errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pingjia_core::parse_scheme("fuzz.toml", text);
    }
});
