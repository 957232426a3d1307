//! Agreement factors of a Rietveld fit (Toby, Powder Diffr. 21, 67 (2006)), with weights
//! `w = 1/σ²`:
//! `Rp = Σ|yo − yc| / Σyo`, `Rwp = √(Σw(yo − yc)² / Σw yo²)`, `Rexp = √((N − P) / Σw yo²)`,
//! `χ² = Σw(yo − yc)² / (N − P)` (reduced), `GOF = √χ²`. The background-corrected
//! variants replace `yo` by `yo − yb` in the denominators (FullProf's cRp, cRwp).

use serde::{Deserialize, Serialize};

/// Agreement factors (R in percent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RFactors {
    /// Profile R (%).
    pub rp: f64,
    /// Weighted profile R (%).
    pub rwp: f64,
    /// Expected R (%).
    pub rexp: f64,
    /// Reduced χ².
    pub chi2: f64,
    /// Goodness of fit √χ².
    pub gof: f64,
    /// Background-corrected Rp (%).
    pub rp_background_corrected: f64,
    /// Background-corrected Rwp (%).
    pub rwp_background_corrected: f64,
    /// Number of points.
    pub n_obs: usize,
    /// Number of refined parameters.
    pub n_params: usize,
}

/// The agreement factors of `calc` against `obs` with `sigma`, background `bkg` and
/// `n_params` refined parameters.
pub fn r_factors(
    obs: &[f64],
    calc: &[f64],
    sigma: &[f64],
    bkg: &[f64],
    n_params: usize,
) -> RFactors {
    let (mut abs, mut sum, mut wss, mut wyy, mut abs_c, mut sum_c, mut wyy_c) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..obs.len() {
        let w = 1.0 / (sigma[i] * sigma[i]);
        let diff = obs[i] - calc[i];
        let net = obs[i] - bkg[i];
        abs += diff.abs();
        sum += obs[i];
        wss += w * diff * diff;
        wyy += w * obs[i] * obs[i];
        abs_c += diff.abs();
        sum_c += net.abs();
        wyy_c += w * net * net;
    }
    let dof = obs.len().saturating_sub(n_params).max(1) as f64;
    let chi2 = wss / dof;
    RFactors {
        rp: 100.0 * abs / sum,
        rwp: 100.0 * (wss / wyy).sqrt(),
        rexp: 100.0 * (dof / wyy).sqrt(),
        chi2,
        gof: chi2.sqrt(),
        rp_background_corrected: 100.0 * abs_c / sum_c,
        rwp_background_corrected: 100.0 * (wss / wyy_c).sqrt(),
        n_obs: obs.len(),
        n_params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_factors() {
        let obs = [100.0, 400.0];
        let calc = [90.0, 420.0];
        let sigma = [10.0, 20.0];
        let bkg = [50.0, 100.0];
        let r = r_factors(&obs, &calc, &sigma, &bkg, 1);
        // Σw(yo−yc)² = 1 + 1 = 2; Σw yo² = 100 + 400 = 500; N − P = 1.
        assert!((r.rp - 100.0 * 30.0 / 500.0).abs() < 1e-12);
        assert!((r.rwp - 100.0 * (2.0f64 / 500.0).sqrt()).abs() < 1e-12);
        assert!((r.rexp - 100.0 * (1.0f64 / 500.0).sqrt()).abs() < 1e-12);
        assert!((r.chi2 - 2.0).abs() < 1e-12 && (r.gof - 2f64.sqrt()).abs() < 1e-12);
        // Corrected: Σw(yo−yb)² = 25 + 225 = 250; Σ|yo−yb| = 350.
        assert!((r.rwp_background_corrected - 100.0 * (2.0f64 / 250.0).sqrt()).abs() < 1e-12);
        assert!((r.rp_background_corrected - 100.0 * 30.0 / 350.0).abs() < 1e-12);
        // GOF = Rwp / Rexp.
        assert!((r.gof - r.rwp / r.rexp).abs() < 1e-12);
    }
}
