//! Simulated libraries: crystal-field multiplet L2,3 spectra of one element at several
//! valences over a 10Dq scan, labelled with `valence` (categorical, e.g. `Mn3+`) and
//! `tendq_ev` (numeric, eV).

use std::ops::ControlFlow;

use anyhow::{Context, Result, bail};
use cluster_model::ion::Ion;
use cluster_model::params::ClusterParams;
use cluster_model::series::{SeriesSettings, crystal_field_xas};
use xas_core::SpectraMatrix;
use xas_core::grid::uniform_grid;

/// What to simulate. Widths left `None` take [`SeriesSettings::realistic`]'s values.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipletLibrarySpec {
    /// Element symbol, `Ti` ..= `Cu`.
    pub element: String,
    /// Charges (oxidation states), e.g. `[2, 3, 4]`.
    pub valences: Vec<usize>,
    /// 10Dq values (eV).
    pub tendq_ev: Vec<f64>,
    /// Energy grid (eV); `None` for [`default_grid`].
    pub grid_ev: Option<Vec<f64>>,
    /// Slater-integral scaling.
    pub slater_scale: f64,
    /// Lorentzian HWHM at L3 (eV).
    pub hwhm_ev: Option<f64>,
    /// Lorentzian HWHM at L2 (eV).
    pub l2_hwhm_ev: Option<f64>,
    /// Gaussian resolution FWHM (eV).
    pub gauss_fwhm_ev: Option<f64>,
    /// Temperature (K).
    pub temperature_k: Option<f64>,
}

impl MultipletLibrarySpec {
    /// The seed study's library: Mn2+, Mn3+, Mn4+ in Oh, 10Dq 0 ..= 2.5 eV in 0.1 eV
    /// steps, Slater scaling 0.8, realistic widths.
    pub fn mn_seed() -> Self {
        MultipletLibrarySpec {
            element: "Mn".into(),
            valences: vec![2, 3, 4],
            tendq_ev: (0..=25).map(|i| 0.1 * i as f64).collect(),
            grid_ev: None,
            slater_scale: 0.8,
            hwhm_ev: None,
            l2_hwhm_ev: None,
            gauss_fwhm_ev: None,
            temperature_k: None,
        }
    }

    fn ions(&self) -> Result<Vec<Ion>> {
        if self.valences.is_empty() {
            bail!("--valences: give at least one charge");
        }
        self.valences
            .iter()
            .map(|v| {
                format!("{}{v}+", self.element)
                    .parse::<Ion>()
                    .with_context(|| format!("--valences {v}"))
            })
            .collect()
    }

    fn settings(&self, ion: Ion) -> Result<SeriesSettings> {
        let mut s = SeriesSettings::realistic(ion)?;
        s.slater_scale = self.slater_scale;
        s.broadening.hwhm_ev = self.hwhm_ev.unwrap_or(s.broadening.hwhm_ev);
        s.broadening.l2_hwhm_ev = self.l2_hwhm_ev.or(s.broadening.l2_hwhm_ev);
        s.broadening.gauss_fwhm_ev = self.gauss_fwhm_ev.unwrap_or(s.broadening.gauss_fwhm_ev);
        s.states.temperature_k = self.temperature_k.unwrap_or(s.states.temperature_k);
        Ok(s)
    }
}

/// Default grid for the L2,3 edges of `ion`: from 7 eV below the tabulated L3 edge to
/// 12 eV above the L2 edge (`L3 + 1.5 zeta_2p`), in 0.1 eV steps.
///
/// # Errors
/// When the ion has no tabulated parameters.
pub fn default_grid(ion: Ion) -> Result<Vec<f64>> {
    let zeta = ClusterParams::for_ion(ion, 1.0)?.core_hole.zeta_2p;
    let l3 = ion.l3_edge_ev();
    Ok(uniform_grid(
        (l3 - 7.0).round(),
        (l3 + 1.5 * zeta + 12.0).round(),
        0.1,
    )?)
}

/// Simulates every valence x 10Dq spectrum of `spec` (rows named `Mn2+_tendq1.20`),
/// calling `progress(done, total)` after each.
///
/// # Errors
/// Bad specification values (named), a failing calculation, or an interruption by
/// `progress`.
pub fn build_multiplet_library(
    spec: &MultipletLibrarySpec,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<SpectraMatrix> {
    let ions = spec.ions()?;
    if spec.tendq_ev.is_empty() {
        bail!("--tendq: give at least one value");
    }
    let grid = match &spec.grid_ev {
        Some(g) => g.clone(),
        None => default_grid(ions[0])?,
    };
    let mut matrix = SpectraMatrix::new(grid.clone())?;
    let (mut valence, mut tendq) = (Vec::new(), Vec::new());
    let total = ions.len() * spec.tendq_ev.len();
    for (k, &ion) in ions.iter().enumerate() {
        let done = k * spec.tendq_ev.len();
        let rows = crystal_field_xas(ion, &spec.tendq_ev, &grid, &spec.settings(ion)?, |i, _| {
            progress(done + i, total)
        })
        .with_context(|| format!("simulating {ion}"))?;
        for (row, &t) in rows.iter().zip(&spec.tendq_ev) {
            matrix.push_row(format!("{ion}_tendq{t:.2}"), row)?;
            valence.push(ion.to_string());
            tendq.push(t);
        }
    }
    matrix.set_categorical_label("valence", valence)?;
    matrix.set_numeric_label("tendq_ev", tendq)?;
    Ok(matrix)
}
