//! Atomic Compton profiles of Slater-type orbitals and a magnetic Compton scattering
//! (MCS) measurement of Fe that accumulates in cycles: the test bed of the
//! measurement-termination rules ([`crate::termination`]).
//!
//! **Profiles.** An orbital with radial function `R(r) ∝ r^(n*-1) e^(-ζ r)` (atomic
//! units) has the momentum-space radial function
//! `χ(p) = √(2/π) ∫ r² R(r) j_l(p r) dr` (normalised, `∫ p² χ² dp = 1`) and the
//! spherically averaged Compton profile `J(q) = ½ ∫_{|q|}^∞ p χ(p)² dp` with
//! `∫ J dq = 1` (one electron). Both integrals are done numerically, which the 1s case
//! checks against the closed form `J(q) = 8 ζ⁵ / (3π (ζ² + q²)³)`.
//!
//! **Fe.** Exponents from Slater's rules for the 3d⁶ 4s² ground configuration (an
//! analytic approximation, not the Hartree-Fock profiles of Biggs et al. that the
//! seed study used): 1s ζ = 25.70; 2s, 2p ζ = 10.93; 3s, 3p ζ = 4.92; 3d ζ = 2.083
//! (`n* = 3`); 4s ζ = 1.014 (`n* = 3.7`). The magnetic profile is
//! `J_mag = (a_3d J_3d + a_4s J_4s) * G` with a Gaussian resolution `G`; its area is
//! the spin moment `μ_s = a_3d + a_4s` (μB).

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use crate::termination::{CycleAccumulator, sd_of};
use crate::{Error, Result};

/// Radial integration points per orbital.
const R_POINTS: usize = 4000;
/// Momentum grid points of the tabulated `χ(p)²`.
const P_POINTS: usize = 2000;

/// A Slater-type orbital `R(r) ∝ r^(n*-1) e^(-ζ r)` with angular momentum `l`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlaterOrbital {
    /// Effective principal quantum number `n*`.
    pub n_eff: f64,
    /// Angular momentum `l` (0 to 2).
    pub l: usize,
    /// Exponent `ζ` (1/bohr).
    pub zeta: f64,
}

/// Spherical Bessel function `j_l(x)` for `l ≤ 2` (series near 0).
fn spherical_bessel(l: usize, x: f64) -> f64 {
    let x2 = x * x;
    match l {
        0 if x < 1e-3 => 1.0 - x2 / 6.0,
        0 => x.sin() / x,
        1 if x < 1e-2 => x / 3.0 - x * x2 / 30.0,
        1 => x.sin() / x2 - x.cos() / x,
        _ if x < 5e-2 => x2 / 15.0 - x2 * x2 / 210.0,
        _ => (3.0 / (x2 * x) - 1.0 / x) * x.sin() - 3.0 * x.cos() / x2,
    }
}

/// Trapezoid weights of a uniform grid of `n` points and spacing `h`.
fn trapezoid(n: usize, h: f64) -> impl Iterator<Item = f64> {
    (0..n).map(move |i| if i == 0 || i + 1 == n { 0.5 * h } else { h })
}

impl SlaterOrbital {
    /// Checks `n* ≥ 1`, `l ≤ 2`, `l < n*` and `ζ > 0`; errors name the field.
    pub fn validate(&self) -> Result<()> {
        if !(self.n_eff.is_finite() && self.n_eff >= 1.0) {
            return Err(Error::param(
                "n_eff",
                format!("must be >= 1, got {}", self.n_eff),
            ));
        }
        if self.l > 2 || self.l as f64 >= self.n_eff {
            return Err(Error::param(
                "l",
                format!("must be <= 2 and < n_eff, got {}", self.l),
            ));
        }
        if !(self.zeta.is_finite() && self.zeta > 0.0) {
            return Err(Error::param(
                "zeta",
                format!("must be > 0, got {}", self.zeta),
            ));
        }
        Ok(())
    }

    /// The Compton profile `J(q)` per electron (`∫ J dq = 1`) at momenta `q` (a.u.).
    ///
    /// # Errors
    /// An invalid orbital.
    pub fn compton_profile(&self, q: &[f64]) -> Result<Vec<f64>> {
        self.validate()?;
        // Radial grid to 60/ζ (the density there is below e^-100 of its peak).
        let hr = 60.0 / self.zeta / (R_POINTS - 1) as f64;
        let r: Vec<f64> = (0..R_POINTS).map(|i| i as f64 * hr).collect();
        let radial: Vec<f64> = r
            .iter()
            .map(|&r| r.powf(self.n_eff - 1.0) * (-self.zeta * r).exp())
            .collect();
        let norm: f64 = trapezoid(R_POINTS, hr)
            .zip(r.iter().zip(&radial))
            .map(|(w, (r, f))| w * r * r * f * f)
            .sum::<f64>()
            .sqrt();
        let weights: Vec<f64> = trapezoid(R_POINTS, hr)
            .zip(r.iter().zip(&radial))
            .map(|(w, (r, f))| w * r * r * f / norm)
            .collect();
        // χ(p)² on p = 0 .. 12 ζ (the momentum density there is negligible).
        let p_max = 12.0 * self.zeta;
        let hp = p_max / (P_POINTS - 1) as f64;
        let p: Vec<f64> = (0..P_POINTS).map(|i| i as f64 * hp).collect();
        let chi2: Vec<f64> = p
            .iter()
            .map(|&p| {
                let chi: f64 = r
                    .iter()
                    .zip(&weights)
                    .map(|(&r, w)| w * spherical_bessel(self.l, p * r))
                    .sum::<f64>()
                    * (2.0 / std::f64::consts::PI).sqrt();
                chi * chi
            })
            .collect();
        // J(p_k) = ½ ∫_{p_k}^{p_max} p χ² dp by the cumulative trapezoid from the top.
        let mut tail = vec![0.0; P_POINTS];
        for k in (0..P_POINTS - 1).rev() {
            let f = |i: usize| p[i] * chi2[i];
            tail[k] = tail[k + 1] + 0.25 * hp * (f(k) + f(k + 1));
        }
        // Quadratic interpolation through the three nearest grid points.
        Ok(q.iter()
            .map(|&q| {
                let x = q.abs() / hp;
                let k = (x.round() as usize).max(1);
                if k + 1 >= P_POINTS {
                    return 0.0;
                }
                let t = x - k as f64;
                let (a, b, c) = (tail[k - 1], tail[k], tail[k + 1]);
                b + 0.5 * t * (c - a) + 0.5 * t * t * (c - 2.0 * b + a)
            })
            .collect())
    }
}

/// Fe 3d (`n* = 3`, Slater's rules: `ζ = (26 - 19.75)/3`).
pub const FE_3D: SlaterOrbital = SlaterOrbital {
    n_eff: 3.0,
    l: 2,
    zeta: 6.25 / 3.0,
};
/// Fe 4s (`n* = 3.7`, Slater's rules: `ζ = (26 - 22.25)/3.7`).
pub const FE_4S: SlaterOrbital = SlaterOrbital {
    n_eff: 3.7,
    l: 0,
    zeta: 3.75 / 3.7,
};

/// The occupied shells of Fe 3d⁶ 4s² (orbital, electrons), Slater's-rules exponents.
pub fn fe_shells() -> [(SlaterOrbital, f64); 7] {
    let sto = |n_eff: f64, l: usize, z_eff: f64| SlaterOrbital {
        n_eff,
        l,
        zeta: z_eff / n_eff,
    };
    [
        (sto(1.0, 0, 25.70), 2.0),
        (sto(2.0, 0, 21.85), 2.0),
        (sto(2.0, 1, 21.85), 6.0),
        (sto(3.0, 0, 14.75), 2.0),
        (sto(3.0, 1, 14.75), 6.0),
        (FE_3D, 6.0),
        (FE_4S, 2.0),
    ]
}

/// A magnetic Compton measurement of Fe on a momentum grid, repeated in cycles.
///
/// The model's components are the Slater-type Fe 3d and 4s profiles; the sample's 3d
/// orbital may differ (its exponent scaled by `truth_zeta_3d_ratio`), the misfit that
/// real data always have to some degree. Each cycle records the counts `N±(q)` of the two field directions,
/// `N± ~ Poisson(½ (B(q) ± M(q)))`, with the charge profile
/// `B = counts_per_electron · Σ_shells n_e J_shell` (resolution-broadened) and the
/// magnetic profile `M = counts_per_electron · J_mag`; the data of a cycle are the
/// difference `N+ - N-` with variance `N+ + N-`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeMcsExperiment {
    /// Momenta `q` (a.u.).
    pub q: Vec<f64>,
    /// `(J_3d * G)(q)` and `(J_4s * G)(q)` per unit moment (one column each).
    pub components: [Vec<f64>; 2],
    /// The same for the sample (the 3d exponent scaled).
    pub true_components: [Vec<f64>; 2],
    /// Expected charge counts `B(q)` per cycle.
    pub charge: Vec<f64>,
    /// Counts per cycle per electron per unit `q`.
    pub counts_per_electron: f64,
}

impl FeMcsExperiment {
    /// The experiment on `q` (a.u., increasing) with Gaussian resolution `fwhm`
    /// (a.u.), `counts_per_electron` counts per cycle per electron per unit `q`, and a
    /// sample whose 3d exponent is `truth_zeta_3d_ratio` times the model's (1: no
    /// misfit).
    ///
    /// # Errors
    /// A bad grid, or a non-positive width, count rate or ratio.
    pub fn new(
        q: Vec<f64>,
        fwhm: f64,
        counts_per_electron: f64,
        truth_zeta_3d_ratio: f64,
    ) -> Result<Self> {
        if !(counts_per_electron.is_finite() && counts_per_electron > 0.0) {
            return Err(Error::param(
                "counts_per_electron",
                format!("must be > 0, got {counts_per_electron}"),
            ));
        }
        let broaden = |j: Vec<f64>| {
            xas_core::convolve::gaussian_broaden(&q, &j, fwhm)
                .map_err(|e| Error::param("q / fwhm", e.to_string()))
        };
        let j3d = broaden(FE_3D.compton_profile(&q)?)?;
        let j4s = broaden(FE_4S.compton_profile(&q)?)?;
        let sample_3d = SlaterOrbital {
            zeta: FE_3D.zeta * truth_zeta_3d_ratio,
            ..FE_3D
        };
        let true_3d = broaden(sample_3d.compton_profile(&q)?)?;
        let mut total = vec![0.0; q.len()];
        for (orbital, electrons) in fe_shells() {
            for (t, j) in total.iter_mut().zip(orbital.compton_profile(&q)?) {
                *t += electrons * j;
            }
        }
        let charge = broaden(total)?
            .into_iter()
            .map(|b| counts_per_electron * b)
            .collect();
        Ok(FeMcsExperiment {
            q,
            true_components: [true_3d, j4s.clone()],
            components: [j3d, j4s],
            charge,
            counts_per_electron,
        })
    }

    /// The design matrix (`n × 2`, row-major, counts per cycle per μB) of the
    /// amplitudes `(a_3d, a_4s)`.
    pub fn design(&self) -> Vec<f64> {
        let c = self.counts_per_electron;
        self.components[0]
            .iter()
            .zip(&self.components[1])
            .flat_map(|(a, b)| [c * a, c * b])
            .collect()
    }

    /// One cycle at the true amplitudes `(a_3d, a_4s)`: the difference counts and their
    /// variance `N+ + N-`.
    ///
    /// # Errors
    /// A magnetic signal larger than the charge signal at some `q` (negative rate).
    pub fn cycle<R: Rng + ?Sized>(
        &self,
        truth: [f64; 2],
        rng: &mut R,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut diff = Vec::with_capacity(self.q.len());
        let mut var = Vec::with_capacity(self.q.len());
        for (i, &b) in self.charge.iter().enumerate() {
            let m = self.counts_per_electron
                * (truth[0] * self.true_components[0][i] + truth[1] * self.true_components[1][i]);
            let draw = |rate: f64, rng: &mut R| -> Result<f64> {
                if rate <= 0.0 {
                    return Ok(0.0);
                }
                Poisson::new(rate)
                    .map(|p| p.sample(rng))
                    .map_err(|e| Error::param("charge / magnetic rate", e.to_string()))
            };
            if m.abs() > b {
                return Err(Error::param(
                    "truth",
                    format!(
                        "magnetic signal exceeds the charge signal at q = {}",
                        self.q[i]
                    ),
                ));
            }
            let plus = draw(0.5 * (b + m), rng)?;
            let minus = draw(0.5 * (b - m), rng)?;
            diff.push(plus - minus);
            var.push(plus + minus);
        }
        Ok((diff, var))
    }
}

/// Prior sd (μB) of both amplitudes (zero mean): wide against any moment of Fe.
const PRIOR_SD: f64 = 10.0;

/// The posterior after every cycle of an accumulating measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleTrace {
    /// Posterior means of `(a_3d, a_4s)` after each cycle (μB).
    pub mean: Vec<[f64; 2]>,
    /// Posterior sd of `a_3d` after each cycle (μB).
    pub sd_a3d: Vec<f64>,
    /// Posterior sd of the spin moment `a_3d + a_4s` after each cycle (μB).
    pub sd_moment: Vec<f64>,
    /// Reduced chi-square after each cycle.
    pub reduced_chi_square: Vec<f64>,
    /// The accumulated difference counts after the last cycle.
    pub data: Vec<f64>,
}

impl FeMcsExperiment {
    /// Runs `cycles` cycles at the true amplitudes `truth` (stream `seed`) and records
    /// the exact posterior after each. With `estimate_noise` the covariance is scaled by
    /// the reduced chi-square (the maximum-likelihood noise scale), so the sds level off
    /// once a model misfit dominates the counting noise.
    ///
    /// # Errors
    /// As [`FeMcsExperiment::cycle`] and the linear solve.
    pub fn accumulate(
        &self,
        truth: [f64; 2],
        cycles: usize,
        seed: u64,
        estimate_noise: bool,
    ) -> Result<CycleTrace> {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let mut acc = CycleAccumulator::new(
            self.design(),
            2,
            vec![0.0; 2],
            vec![PRIOR_SD * PRIOR_SD, 0.0, 0.0, PRIOR_SD * PRIOR_SD],
        )?;
        let mut trace = CycleTrace {
            mean: Vec::with_capacity(cycles),
            sd_a3d: Vec::with_capacity(cycles),
            sd_moment: Vec::with_capacity(cycles),
            reduced_chi_square: Vec::with_capacity(cycles),
            data: vec![0.0; self.q.len()],
        };
        for _ in 0..cycles {
            let (diff, var) = self.cycle(truth, &mut rng)?;
            trace.data.iter_mut().zip(&diff).for_each(|(d, x)| *d += x);
            let mut post = acc.add_cycle_with_variance(&diff, &var)?;
            let chi2 = acc.reduced_chi_square(&post);
            if estimate_noise {
                post.cov.iter_mut().for_each(|c| *c *= chi2);
            }
            trace.mean.push([post.mean[0], post.mean[1]]);
            trace.sd_a3d.push(sd_of(&post, &[1.0, 0.0]));
            trace.sd_moment.push(sd_of(&post, &[1.0, 1.0]));
            trace.reduced_chi_square.push(chi2);
        }
        Ok(trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<f64> {
        (0..=400).map(|i| -10.0 + 0.05 * i as f64).collect()
    }

    fn area(q: &[f64], j: &[f64]) -> f64 {
        q.windows(2)
            .zip(j.windows(2))
            .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
            .sum()
    }

    #[test]
    fn the_1s_profile_matches_the_closed_form() {
        let zeta = 1.7;
        let q = grid();
        let j = SlaterOrbital {
            n_eff: 1.0,
            l: 0,
            zeta,
        }
        .compton_profile(&q)
        .unwrap();
        let j0 = 8.0 / (3.0 * std::f64::consts::PI * zeta);
        for (q, j) in q.iter().zip(&j) {
            let exact =
                8.0 * zeta.powi(5) / (3.0 * std::f64::consts::PI * (zeta * zeta + q * q).powi(3));
            assert!((j - exact).abs() < 2e-5 * j0, "q = {q}: {j} vs {exact}");
        }
    }

    #[test]
    fn every_fe_shell_holds_one_electron_and_the_4s_is_the_narrowest() {
        // Each shell on its own grid, |q| <= 12 zeta (the profiles fall as q^-6 and
        // faster): all seven, s, p and d, integrate to one electron.
        for (orbital, _) in fe_shells() {
            let q: Vec<f64> = (0..=6000)
                .map(|i| 12.0 * orbital.zeta * (i as f64 / 3000.0 - 1.0))
                .collect();
            let j = orbital.compton_profile(&q).unwrap();
            let a = area(&q, &j);
            assert!((a - 1.0).abs() < 2e-5, "{orbital:?}: area {a}");
        }
        let j3d = FE_3D.compton_profile(&[0.0]).unwrap()[0];
        let j4s = FE_4S.compton_profile(&[0.0]).unwrap()[0];
        assert!(j4s > 2.0 * j3d, "J_4s(0) {j4s} vs J_3d(0) {j3d}");
    }

    /// Without misfit the sds shrink as 1/sqrt(cycles) and the moment is recovered;
    /// with a 5 % misfit of the 3d exponent and the noise scale estimated, the sd of
    /// a_3d stops shrinking (the reduced chi-square grows with the cycles).
    #[test]
    fn sds_shrink_with_cycles_and_level_off_under_misfit() {
        let q: Vec<f64> = (0..=160).map(|i| -8.0 + 0.1 * i as f64).collect();
        let truth = [2.3, -0.2];
        let exact = FeMcsExperiment::new(q.clone(), 0.4, 2e6, 1.0).unwrap();
        let t = exact.accumulate(truth, 64, 1, true).unwrap();
        let ratio = t.sd_a3d[3] / t.sd_a3d[63];
        assert!(
            (ratio / 4.0 - 1.0).abs() < 0.15,
            "sd ratio cycles 4 / 64: {ratio}"
        );
        let m = t.mean[63];
        let sd = t.sd_moment[63];
        assert!(
            (m[0] + m[1] - 2.1).abs() < 4.0 * sd,
            "moment {} ± {sd}",
            m[0] + m[1]
        );
        let misfit = FeMcsExperiment::new(q, 0.4, 2e6, 0.95).unwrap();
        let t = misfit.accumulate(truth, 64, 1, true).unwrap();
        // The misfit's chi-square grows in proportion to the counts (16x from 4 to 64
        // cycles), and the sd of a_3d, scaled by it, no longer shrinks: without the
        // misfit it would halve from 16 to 64 cycles.
        assert!(
            t.reduced_chi_square[63] > 12.0 * t.reduced_chi_square[3],
            "{:?}",
            (t.reduced_chi_square[3], t.reduced_chi_square[63])
        );
        assert!(
            t.sd_a3d[63] > 0.85 * t.sd_a3d[15],
            "{:?}",
            (t.sd_a3d[15], t.sd_a3d[63])
        );
    }

    #[test]
    fn bad_orbitals_are_refused_by_name() {
        let bad = SlaterOrbital {
            n_eff: 2.0,
            l: 2,
            zeta: 1.0,
        };
        assert!(
            bad.compton_profile(&[0.0])
                .unwrap_err()
                .to_string()
                .contains('l')
        );
        let bad = SlaterOrbital {
            n_eff: 1.0,
            l: 0,
            zeta: -1.0,
        };
        assert!(
            bad.compton_profile(&[0.0])
                .unwrap_err()
                .to_string()
                .contains("zeta")
        );
    }
}
