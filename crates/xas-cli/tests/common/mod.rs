//! Helpers shared by the end-to-end tests of the `xas` binary.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `xas args...` in `dir`.
pub fn xas_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xas"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Runs `xas args...` in the current directory.
pub fn xas(args: &[&str]) -> Output {
    xas_in(Path::new("."), args)
}

/// A path in a per-process scratch folder named after `test`.
pub fn scratch(test: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xas-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A failed run prints exactly one line on stderr, starting `error:` and containing
/// `needle`, exits with status 1, and nothing looks like a panic.
pub fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

/// A path as a command-line argument.
pub fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The JSON printed by a successful run (the run's stderr in the message otherwise).
pub fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Posterior mean and sd of parameter `name` in a JSON `parameters` array.
pub fn mean_sd(parameters: &Value, name: &str) -> (f64, f64) {
    let p = parameters
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"));
    (p["mean"].as_f64().unwrap(), p["sd"].as_f64().unwrap())
}

/// Builds a small simulated Mn L2,3 library (valences 2-4, 10Dq 0-2.5 eV in 0.5 eV
/// steps, 18 spectra) with `xas --json library build ... extra`, in `test`'s scratch
/// folder; returns its path and the printed summary.
pub fn mn_library(test: &str, extra: &[&str]) -> (PathBuf, Value) {
    let lib = scratch(test, "mn.lib");
    let mut args = vec![
        "--json",
        "library",
        "build",
        "--ion",
        "Mn",
        "--valences",
        "2,3,4",
        "--tendq",
        "0:2.5:0.5",
        "-o",
        arg(&lib),
    ];
    args.extend_from_slice(extra);
    let summary = json_of(&xas(&args));
    (lib, summary)
}

/// A command line that the argument parser refuses: exit status 2, an `error:` line
/// containing `needle` (the parser adds its usage lines), no panic.
pub fn assert_usage_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "stderr: {err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

/// A file of the CLI's embedded demo data.
pub fn demo_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo-data")
        .join(name)
}
