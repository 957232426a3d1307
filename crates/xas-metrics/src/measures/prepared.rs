//! Prepared spectra: each measure's per-spectrum work (scaling, centring, ranks,
//! derivatives, probability masses, CDFs, self-correlations) done once, so that a
//! spectrum compared with many others (a library row, a query) is transformed once
//! instead of once per pair.
//!
//! A prepared spectrum of `n` points has `n + 1` values: the transformed spectrum and
//! one scalar (a squared norm, a self-correlation or an "is empty" flag; unused by the
//! pointwise measures). [`Metric::prepared_distance`] then evaluates exactly the final
//! expression of [`Metric::distance_unchecked`] on them, so both give bit-identical
//! results.

use xas_core::smooth::central_secant;

use super::{
    Metric, average_ranks, centred, chebyshev, dtw, euclidean, manhattan, mean_step,
    probability_masses, similarity_from, smoothed_masses, trapezoid_cdf, triangle_weights,
    unit_scaled, weighted_correlation,
};

/// `x` with its squared norm appended.
fn with_norm(x: Vec<f64>) -> Vec<f64> {
    let s: f64 = x.iter().map(|v| v * v).sum();
    with_scalar(x, s)
}

fn with_scalar(mut x: Vec<f64>, s: f64) -> Vec<f64> {
    x.push(s);
    x
}

/// Masses (or another per-spectrum distribution) with the flag 1, or zeros with the
/// flag 0 for an empty spectrum.
fn flagged(v: Option<Vec<f64>>, n: usize) -> Vec<f64> {
    match v {
        Some(v) => with_scalar(v, 1.0),
        None => with_scalar(vec![0.0; n], 0.0),
    }
}

/// Splits a prepared spectrum into its values and its scalar.
fn split(p: &[f64]) -> (&[f64], f64) {
    match p.split_last() {
        Some((s, v)) => (v, *s),
        None => (&[], 0.0),
    }
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(p, q)| p * q).sum()
}

impl Metric {
    /// Length of a prepared spectrum of `n_points` points ([`Metric::prepare`]).
    pub const fn prepared_len(n_points: usize) -> usize {
        n_points + 1
    }

    /// The prepared form of spectrum `y` on `energy_ev` (`y.len() + 1` values; see the
    /// module documentation). Assumes validated input, like
    /// [`Metric::distance_unchecked`].
    pub fn prepare(&self, energy_ev: &[f64], y: &[f64]) -> Vec<f64> {
        let n = energy_ev.len().min(y.len());
        let (e, y) = (&energy_ev[..n], &y[..n]);
        match *self {
            Metric::Euclidean | Metric::Manhattan | Metric::Chebyshev | Metric::Dtw { .. } => {
                with_scalar(y.to_vec(), 0.0)
            }
            Metric::Cosine => with_norm(unit_scaled(y)),
            Metric::Pearson => with_norm(centred(y)),
            Metric::Spearman => with_norm(centred(&average_ranks(y))),
            Metric::DerivativePearson => with_norm(centred(&central_secant(e, &unit_scaled(y)))),
            Metric::KullbackLeibler => with_scalar(smoothed_masses(e, y), 1.0),
            Metric::JensenShannon => flagged(probability_masses(e, y), n),
            Metric::Hellinger => flagged(
                probability_masses(e, y).map(|p| p.iter().map(|v| v.sqrt()).collect()),
                n,
            ),
            Metric::Wasserstein1 => flagged(trapezoid_cdf(e, y), n),
            Metric::WeightedCrossCorrelation { half_width_ev } => {
                let x = unit_scaled(y);
                let s =
                    weighted_correlation(&x, &x, triangle_weights(mean_step(e), half_width_ev, n));
                with_scalar(x, s)
            }
        }
    }

    /// The distance between two prepared spectra ([`Metric::prepare`] on the same
    /// `energy_ev`), equal to [`Metric::distance_unchecked`] on the original spectra.
    pub fn prepared_distance(&self, energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
        let (x, sx) = split(a);
        let (y, sy) = split(b);
        let n = energy_ev.len().min(x.len()).min(y.len());
        let (e, x, y) = (&energy_ev[..n], &x[..n], &y[..n]);
        let both_empty = sx == 0.0 && sy == 0.0;
        let one_empty = (sx == 0.0) != (sy == 0.0);
        match *self {
            Metric::Euclidean => euclidean(x, y),
            Metric::Manhattan => manhattan(x, y),
            Metric::Chebyshev => chebyshev(x, y),
            Metric::Dtw { band_points } => dtw(x, y, band_points),
            Metric::Cosine | Metric::Pearson | Metric::Spearman | Metric::DerivativePearson => {
                1.0 - similarity_from(dot(x, y), sx, sy)
            }
            Metric::KullbackLeibler => {
                let kl: f64 = x.iter().zip(y).map(|(p, q)| p * (p / q).ln()).sum();
                kl.max(0.0)
            }
            _ if both_empty => 0.0,
            Metric::JensenShannon if one_empty => std::f64::consts::LN_2,
            Metric::JensenShannon => super::js_of_masses(x, y),
            Metric::Hellinger if one_empty => 1.0,
            Metric::Hellinger => {
                let s: f64 = x.iter().zip(y).map(|(p, q)| (p - q).powi(2)).sum();
                (0.5 * s).sqrt().min(1.0)
            }
            Metric::Wasserstein1 if one_empty => mean_step(e) * n.saturating_sub(1) as f64,
            Metric::Wasserstein1 => super::w1_of_cdfs(e, x, y),
            Metric::WeightedCrossCorrelation { half_width_ev } => {
                let weights = triangle_weights(mean_step(e), half_width_ev, n);
                1.0 - similarity_from(weighted_correlation(x, y, weights), sx, sy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn spectrum(seed: &[f64], n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| seed[i % seed.len()] * (1.0 + (i as f64 * 0.37).sin()))
            .collect()
    }

    fn check(energy: &[f64], a: &[f64], b: &[f64]) {
        for metric in Metric::ALL_DEFAULT {
            let direct = metric.distance_unchecked(energy, a, b);
            let prepared = metric.prepared_distance(
                energy,
                &metric.prepare(energy, a),
                &metric.prepare(energy, b),
            );
            assert_eq!(
                direct.to_bits(),
                prepared.to_bits(),
                "{metric}: {direct} vs {prepared}"
            );
        }
    }

    proptest! {
        #[test]
        fn prepared_equals_direct(
            a in prop::collection::vec(-1.0f64..3.0, 1..6),
            b in prop::collection::vec(-1.0f64..3.0, 1..6),
            n in 2usize..60,
        ) {
            let energy: Vec<f64> = (0..n).map(|i| 700.0 + 0.25 * i as f64).collect();
            check(&energy, &spectrum(&a, n), &spectrum(&b, n));
        }
    }

    #[test]
    fn degenerate_inputs_agree() {
        let e: Vec<f64> = (0..8).map(|i| i as f64).collect();
        let zero = vec![0.0; 8];
        let negative = vec![-1.0; 8];
        let constant = vec![2.0; 8];
        let peak: Vec<f64> = (0..8).map(|i| if i == 3 { 1.0 } else { 0.0 }).collect();
        for (a, b) in [
            (&zero, &zero),
            (&zero, &peak),
            (&peak, &zero),
            (&negative, &peak),
            (&negative, &negative),
            (&constant, &constant),
            (&constant, &peak),
        ] {
            check(&e, a, b);
        }
    }
}
