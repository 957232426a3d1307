//! Comparison of edge-step normalisation with Larch `pre_edge` on the `.dat` files of
//! `../shared/data/xas/*_larch/` (their headers carry Larch's E0 and edge step, their
//! last column Larch's normalised mu). Shared by the acceptance test and the example
//! that writes `docs/validation/normalization.md`.

use std::path::{Path, PathBuf};

use xas_core::edge_step::{EdgeStepParams, normalize_edge_step};
use xas_core::io::{ColumnSelector, ReadOptions, read_file_with};

/// Acceptance limits of issue 2.
pub const E0_TOL_EV: f64 = 0.5;
/// Relative edge-step tolerance.
pub const STEP_REL_TOL: f64 = 0.02;
/// Largest allowed |norm - norm_larch| in the window below.
pub const NORM_TOL: f64 = 0.03;
/// Comparison window relative to E0 (eV).
pub const WINDOW_EV: (f64, f64) = (-20.0, 80.0);

/// One file's comparison.
#[derive(Debug, Clone)]
pub struct Row {
    /// File name.
    pub file: String,
    /// Larch's E0 (eV).
    pub e0_larch: f64,
    /// Our E0 (eV).
    pub e0: f64,
    /// Larch's edge step.
    pub step_larch: f64,
    /// Our edge step.
    pub step: f64,
    /// Largest |norm - norm_larch| in the window.
    pub max_norm_diff: f64,
    /// Points of the comparison window.
    pub window_points: usize,
}

impl Row {
    /// E0 within tolerance.
    pub fn e0_ok(&self) -> bool {
        (self.e0 - self.e0_larch).abs() <= E0_TOL_EV
    }
    /// Edge step within tolerance.
    pub fn step_ok(&self) -> bool {
        ((self.step - self.step_larch) / self.step_larch).abs() <= STEP_REL_TOL
    }
    /// Normalised spectrum within tolerance.
    pub fn norm_ok(&self) -> bool {
        self.max_norm_diff < NORM_TOL
    }
}

/// The `.dat` files with Larch references, sorted; empty when the shared data are absent.
pub fn reference_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xas");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| d.file_name().to_string_lossy().ends_with("_larch"))
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "dat"))
        .collect();
    files.sort();
    files
}

fn column(path: &Path, y: &str) -> xas_core::Spectrum {
    let options = ReadOptions {
        x_column: Some(ColumnSelector::Name("energy_cal_eV".into())),
        y_column: Some(ColumnSelector::Name(y.into())),
        ..ReadOptions::default()
    };
    let mut spectra = read_file_with(path, &options).unwrap_or_else(|e| panic!("{e}"));
    spectra.remove(0)
}

fn header_value(s: &xas_core::Spectrum, key: &str) -> f64 {
    s.meta
        .extra
        .get(key)
        .unwrap_or_else(|| panic!("missing `{key}` in {:?}", s.meta.source))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("`{key}`: {e}"))
}

/// Normalises one file with default parameters and compares it with Larch.
pub fn compare(path: &Path) -> Row {
    let mu = column(path, "mu");
    let norm_larch = column(path, "norm_larch");
    let edge = normalize_edge_step(&mu, &EdgeStepParams::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let e0_larch = header_value(&mu, "larch_pre_edge_e0_eV(on energy_cal)");
    let diffs: Vec<f64> = mu
        .energy_ev()
        .iter()
        .zip(edge.norm.iter().zip(norm_larch.intensity()))
        .filter(|(e, _)| (e0_larch + WINDOW_EV.0..=e0_larch + WINDOW_EV.1).contains(*e))
        .map(|(_, (a, b))| (a - b).abs())
        .collect();
    let max_norm_diff = diffs.iter().copied().fold(0.0, f64::max);
    Row {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        e0_larch,
        e0: edge.e0_ev,
        step_larch: header_value(&mu, "larch_edge_step"),
        step: edge.edge_step,
        max_norm_diff,
        window_points: diffs.len(),
    }
}

/// Markdown table of the rows with a pass summary.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| file | E0 Larch (eV) | E0 ours (eV) | dE0 (eV) | step Larch | step ours | step rel. diff | max abs(norm - norm_larch) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let mark = |ok: bool| if ok { "" } else { " **x**" };
        out.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:+.3}{} | {:.6} | {:.6} | {:+.4}{} | {:.4}{} |\n",
            r.file,
            r.e0_larch,
            r.e0,
            r.e0 - r.e0_larch,
            mark(r.e0_ok()),
            r.step_larch,
            r.step,
            (r.step - r.step_larch) / r.step_larch,
            mark(r.step_ok()),
            r.max_norm_diff,
            mark(r.norm_ok()),
        ));
    }
    let count = |f: fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    out.push_str(&format!(
        "\nE0 within {E0_TOL_EV} eV: {}/{}; edge step within {:.0} %: {}/{}; norm within {NORM_TOL} from E0{:+} to E0{:+} eV: {}/{}.\n",
        count(Row::e0_ok),
        rows.len(),
        STEP_REL_TOL * 100.0,
        count(Row::step_ok),
        rows.len(),
        WINDOW_EV.0,
        WINDOW_EV.1,
        count(Row::norm_ok),
        rows.len()
    ));
    out
}
