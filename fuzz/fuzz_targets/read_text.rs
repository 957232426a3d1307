//! Fuzz target: format auto-detection and every reader it dispatches to, on arbitrary
//! bytes. Any panic is a bug; `Ok` and `Err` are both fine.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use xas_core::io::{ReadOptions, read_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = read_bytes(data, Path::new("fuzz-input"), &ReadOptions::default());
});
