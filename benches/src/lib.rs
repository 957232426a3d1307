//! Shared helpers of the benchmark binaries: locating reference data and the Python
//! peers' virtualenv, running a peer script, and a deterministic generator of test
//! data.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/data` next to the workspace, if present.
pub fn shared_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    p.is_dir().then_some(p)
}

/// Python of the peers' virtualenv (`$PEERS_VENV` or `target/peers-venv`), if set up
/// by `benches/peers/setup.sh`.
pub fn peer_python() -> Option<PathBuf> {
    let venv = std::env::var_os("PEERS_VENV").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/peers-venv"),
        PathBuf::from,
    );
    let python = venv.join("bin/python");
    python.is_file().then_some(python)
}

/// Runs `benches/peers/<script>` with `args` in the peers' Python and parses the JSON
/// object on the last line it prints.
///
/// # Errors
/// A message when the virtualenv is missing, the script fails or prints no JSON.
pub fn run_peer(script: &str, args: &[String]) -> Result<serde_json::Value, String> {
    let python = peer_python().ok_or("peer virtualenv missing: run benches/peers/setup.sh")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join(script);
    let out = Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // The JSON result is the last non-empty line; peers may print progress before it.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("{}: bad JSON: {e}", script.display()))
}

/// Settings of the xas-cluster benches: the defaults, with `survey_stride` from
/// `$XAS_SURVEY_STRIDE` (default `stride`) and `split_probability` from
/// `$XAS_SPLIT_PROBABILITY` when set, to measure what a sparser survey or a smaller
/// false-split probability costs and gains.
///
/// # Panics
/// As [`env_count`], and if `$XAS_SPLIT_PROBABILITY` is not a number in (0, 0.5).
pub fn cluster_settings(stride: usize) -> xas_cluster::ClusterSettings {
    let defaults = xas_cluster::ClusterSettings::default();
    let split_probability =
        std::env::var("XAS_SPLIT_PROBABILITY").map_or(defaults.split_probability, |v| {
            v.parse()
                .ok()
                .filter(|p: &f64| *p > 0.0 && *p < 0.5)
                .unwrap_or_else(|| panic!("XAS_SPLIT_PROBABILITY={v} is not in (0, 0.5)"))
        });
    xas_cluster::ClusterSettings {
        survey_stride: env_count("XAS_SURVEY_STRIDE", stride),
        split_probability,
        ..defaults
    }
}

/// The positive integer in the environment variable `name`, or `default` when it is
/// not set.
///
/// # Panics
/// If `name` is set but is not a positive integer (a typo should not silently run
/// the default).
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .ok()
            .filter(|&n: &usize| n > 0)
            .unwrap_or_else(|| panic!("{name}={v} is not a positive integer"))
    })
}

/// Median of `values` (the mean of the two middle values for an even count); NaN for
/// none. Sorts a copy and takes [`xas_bayes::diagnostics::quantile_sorted`] at 0.5.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    xas_bayes::diagnostics::quantile_sorted(&sorted, 0.5)
}

/// Deterministic numbers for benchmark data (64-bit LCG, top 53 bits).
pub struct Lcg(pub u64);

impl Lcg {
    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}
