//! Simple intensity normalisations: by maximum, area, L2 norm, range, or to a standard
//! score. Each is an affine map `y -> (y - offset) * scale` whose parameters depend on
//! the data, so sigma scales with `|scale|`.
//!
//! (Edge-step normalisation of XAS data is in [`crate::edge_step`].)

use crate::error::{Error, Result};
use crate::grid::{check_values, min_max, trapezoid_weights};
use crate::spectrum::{Spectrum, validate_axis};

/// Relative size below which a divisor counts as zero (relative to `max |y|`, or to the
/// trapezoid integral of `|y|` for [`Normalization::Area`]).
const ZERO_DIVISOR_REL: f64 = 1e-12;

/// A normalisation of intensities. All are invariant under positive scaling of the
/// input (`y -> c y`, `c > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Normalization {
    /// `y / max_i |y_i|`: the largest magnitude becomes 1.
    Max,
    /// `y / A` with `A` the trapezoid integral of `y` over energy (eV): the area
    /// becomes 1 (the result has units 1/eV). A negative area flips the sign.
    Area,
    /// `y / sqrt(sum_i y_i^2)`: the discrete L2 norm (sum over points, not weighted by
    /// the energy spacing) becomes 1.
    L2,
    /// `(y - min y) / (max y - min y)`: the range becomes `[0, 1]`.
    MinMax,
    /// `(y - mean) / std` with the population standard deviation
    /// `std = sqrt(sum_i (y_i - mean)^2 / n)`: mean 0, standard deviation 1.
    StandardScore,
}

/// Normalises a spectrum; sigma is scaled by the same factor, metadata are kept and
/// the method is noted in `meta.history`.
///
/// # Errors
/// [`Error::InvalidData`] naming the method when its divisor is zero (all-zero data,
/// zero area, constant data for `MinMax`/`StandardScore`).
pub fn normalize(spectrum: &Spectrum, method: Normalization) -> Result<Spectrum> {
    let (offset, scale) = affine_parameters(spectrum.energy_ev(), spectrum.intensity(), method)?;
    let mut out = spectrum.affine(offset, scale)?;
    out.meta.history.push(format!("normalised ({method:?})"));
    Ok(out)
}

/// Normalises the values `y` on the axis `energy_ev` (eV, strictly increasing; only
/// used by [`Normalization::Area`], but always validated).
///
/// # Errors
/// [`Error::InvalidData`] for a bad axis, a length mismatch or non-finite `y[i]`, and
/// naming the method when its divisor is zero.
pub fn normalize_values(energy_ev: &[f64], y: &[f64], method: Normalization) -> Result<Vec<f64>> {
    validate_axis(energy_ev)?;
    check_values("y", y, energy_ev.len())?;
    let (offset, scale) = affine_parameters(energy_ev, y, method)?;
    let out: Vec<f64> = y.iter().map(|v| (v - offset) * scale).collect();
    check_values("normalised y", &out, y.len())?;
    Ok(out)
}

/// Trapezoid-rule integral `sum_k (x_{k+1} - x_k) (y_k + y_{k+1}) / 2` (units of
/// `x` times units of `y`).
///
/// Returns 0 for fewer than two points. When the lengths differ, only the common
/// prefix is used; callers validate their inputs first.
pub fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(xs, ys)| 0.5 * (xs[1] - xs[0]) * (ys[0] + ys[1]))
        .sum()
}

/// `(offset, scale)` of the affine map `y -> (y - offset) * scale` for `method`.
fn affine_parameters(energy: &[f64], y: &[f64], method: Normalization) -> Result<(f64, f64)> {
    let peak = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (offset, divisor, reference) = match method {
        Normalization::Max => (0.0, peak, peak),
        Normalization::Area => {
            let abs_area: f64 = trapezoid_weights(energy)
                .iter()
                .zip(y)
                .map(|(w, v)| w * v.abs())
                .sum();
            (0.0, trapezoid(energy, y), abs_area)
        }
        Normalization::L2 => (0.0, l2_norm(y, peak), peak),
        Normalization::MinMax => {
            let (lo, hi) = min_max(y);
            (lo, hi - lo, peak)
        }
        Normalization::StandardScore => {
            let mean = mean(y);
            (mean, population_std(y, mean, peak), peak)
        }
    };
    check_divisor(method, divisor, reference)?;
    Ok((offset, 1.0 / divisor))
}

/// Errors when `|divisor| <= ZERO_DIVISOR_REL * reference` (including both zero).
fn check_divisor(method: Normalization, divisor: f64, reference: f64) -> Result<()> {
    if divisor.abs() > ZERO_DIVISOR_REL * reference && divisor.is_finite() {
        Ok(())
    } else {
        Err(Error::data(
            "intensity",
            format!(
                "cannot normalise by {method:?}: the divisor is {divisor} (zero or negligible)"
            ),
        ))
    }
}

/// `sqrt(sum y^2)`, computed as `peak * sqrt(sum (y / peak)^2)` to avoid overflow.
fn l2_norm(y: &[f64], peak: f64) -> f64 {
    if peak == 0.0 {
        return 0.0;
    }
    peak * y.iter().map(|v| (v / peak).powi(2)).sum::<f64>().sqrt()
}

/// Arithmetic mean, summing `y_i / n` to avoid overflow.
fn mean(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    y.iter().map(|v| v / n).sum()
}

/// Population standard deviation about `mean`, scaled by `peak` to avoid overflow.
fn population_std(y: &[f64], mean: f64, peak: f64) -> f64 {
    if peak == 0.0 {
        return 0.0;
    }
    let n = y.len() as f64;
    let var = y.iter().map(|v| ((v - mean) / peak).powi(2)).sum::<f64>() / n;
    peak * var.sqrt()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALL: [Normalization; 5] = [
        Normalization::Max,
        Normalization::Area,
        Normalization::L2,
        Normalization::MinMax,
        Normalization::StandardScore,
    ];

    fn data() -> (Vec<f64>, Vec<f64>) {
        let e = vec![7000.0, 7000.5, 7001.5, 7003.0, 7004.0];
        let y = vec![0.2, 1.0, 3.0, -0.5, 0.7];
        (e, y)
    }

    #[test]
    fn each_method_hits_its_target() {
        let (e, y) = data();
        let max = normalize_values(&e, &y, Normalization::Max).unwrap();
        assert!((max[2] - 1.0).abs() < 1e-15);
        let area = normalize_values(&e, &y, Normalization::Area).unwrap();
        assert!((trapezoid(&e, &area) - 1.0).abs() < 1e-14);
        let l2 = normalize_values(&e, &y, Normalization::L2).unwrap();
        assert!((l2.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-14);
        let mm = normalize_values(&e, &y, Normalization::MinMax).unwrap();
        assert_eq!((mm[3], mm[2]), (0.0, 1.0));
        let z = normalize_values(&e, &y, Normalization::StandardScore).unwrap();
        let m: f64 = z.iter().sum::<f64>() / 5.0;
        let v: f64 = z.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 5.0;
        assert!(m.abs() < 1e-15 && (v - 1.0).abs() < 1e-14);
    }

    #[test]
    fn trapezoid_integrates_lines_exactly() {
        assert_eq!(trapezoid(&[0.0, 1.0, 3.0], &[0.0, 1.0, 3.0]), 4.5);
        assert_eq!(trapezoid(&[1.0], &[2.0]), 0.0);
    }

    #[test]
    fn spectrum_form_scales_sigma_and_keeps_meta() {
        let (e, y) = data();
        let mut s = Spectrum::new(e, y)
            .unwrap()
            .with_sigma(vec![0.3; 5])
            .unwrap();
        s.meta.label = Some("x".into());
        let n = normalize(&s, Normalization::Max).unwrap();
        assert!((n.sigma().unwrap()[0] - 0.1).abs() < 1e-15);
        assert_eq!(n.meta.label.as_deref(), Some("x"));
        assert_eq!(n.meta.history, vec!["normalised (Max)".to_string()]);
    }

    #[test]
    fn zero_divisors_name_the_method() {
        let e = vec![1.0, 2.0, 3.0];
        for method in ALL {
            let err = normalize_values(&e, &[0.0; 3], method)
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("{method:?}")), "{err}");
        }
        let err = normalize_values(&e, &[0.1; 3], Normalization::StandardScore).unwrap_err();
        assert!(err.to_string().contains("StandardScore"));
        assert!(normalize_values(&e, &[0.1; 3], Normalization::MinMax).is_err());
        let err = normalize_values(&e, &[-1.0, 0.0, 1.0], Normalization::Area).unwrap_err();
        assert!(err.to_string().contains("Area"));
    }

    #[test]
    fn bad_input_is_named() {
        let err = normalize_values(&[1.0, 2.0], &[1.0], Normalization::Max).unwrap_err();
        assert!(err.to_string().contains('y'));
        let err = normalize_values(&[1.0, 2.0], &[1.0, f64::NAN], Normalization::Max).unwrap_err();
        assert!(err.to_string().contains("y[1]"));
        let err = normalize_values(&[2.0, 1.0], &[1.0, 2.0], Normalization::Max).unwrap_err();
        assert!(err.to_string().contains("energy[1]"));
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let e = vec![1.0, 2.0, 3.0];
        let y = vec![1e300, -1e300, 5e299];
        // The values are u (2, -2, 1) with u = 5e299: norm 3u, mean u / 3, deviations
        // u (5, -7, 2) / 3, population sd u sqrt(26) / 3.
        let sd = 26f64.sqrt();
        for (method, expected) in [
            (Normalization::L2, [2.0 / 3.0, -2.0 / 3.0, 1.0 / 3.0]),
            (
                Normalization::StandardScore,
                [5.0 / sd, -7.0 / sd, 2.0 / sd],
            ),
            (Normalization::Max, [1.0, -1.0, 0.5]),
        ] {
            let out = normalize_values(&e, &y, method).unwrap();
            for (o, x) in out.iter().zip(expected) {
                assert!((o - x).abs() < 1e-14, "{method:?}: {out:?}");
            }
        }
    }
}
