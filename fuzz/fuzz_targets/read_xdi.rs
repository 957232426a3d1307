//! Fuzz target: the XDI reader forced on arbitrary bytes, and the XDI writer on
//! whatever it accepts (the written text must read back).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use xas_core::io::{Format, ReadOptions, read_bytes, xdi_string};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        format: Some(Format::Xdi),
        ..ReadOptions::default()
    };
    let name = Path::new("fuzz-input.xdi");
    if let Ok(spectra) = read_bytes(data, name, &options) {
        for spectrum in &spectra {
            let text = xdi_string(spectrum);
            let back = read_bytes(text.as_bytes(), name, &options);
            assert!(back.is_ok(), "written XDI does not read back: {back:?}");
        }
    }
});
