//! Weighted votes of neighbours: kNN with inverse-distance weights, or Nadaraya-Watson
//! kernel regression with a Gaussian kernel.

use crate::error::{Error, Result};
use crate::search::Neighbor;

/// How the votes of the `k` nearest library spectra are weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Weighting {
    /// `w_i = 1 / (d_i + eps)`, with `eps = 1e-12 (1 + mean d)` so that an exact
    /// match dominates without dividing by zero (the default).
    InverseDistance,
    /// Nadaraya-Watson kernel regression, `w_i = exp(-d_i^2 / (2 h^2))` with bandwidth
    /// `h` in the metric's units. Evaluated as `exp(-(d_i^2 - d_1^2) / (2 h^2))`, which
    /// normalises to the same weights and cannot underflow for the nearest neighbour.
    Gaussian {
        /// Kernel bandwidth `h` (> 0, the metric's distance units).
        bandwidth: f64,
    },
}

impl Weighting {
    /// Short description, e.g. `inverse-distance` or `gaussian(h=0.0123)`.
    pub fn describe(&self) -> String {
        match self {
            Weighting::InverseDistance => "inverse-distance".to_string(),
            Weighting::Gaussian { bandwidth } => format!("gaussian(h={bandwidth:.4e})"),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            Weighting::Gaussian { bandwidth } if !(bandwidth.is_finite() && *bandwidth > 0.0) => {
                Err(Error::param(
                    "bandwidth",
                    format!("must be finite and > 0, got {bandwidth}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Normalised weights (summing to 1) of neighbours sorted closest first.
    pub(crate) fn weights(&self, neighbours: &[Neighbor]) -> Vec<f64> {
        let w: Vec<f64> = match *self {
            Weighting::InverseDistance => {
                let scale = neighbours.iter().map(|n| n.distance).sum::<f64>()
                    / neighbours.len().max(1) as f64;
                let eps = 1e-12 * (1.0 + scale);
                neighbours
                    .iter()
                    .map(|n| 1.0 / (n.distance + eps))
                    .collect()
            }
            Weighting::Gaussian { bandwidth } => {
                let d1 = neighbours.first().map_or(0.0, |n| n.distance);
                neighbours
                    .iter()
                    .map(|n| {
                        (-(n.distance.powi(2) - d1 * d1) / (2.0 * bandwidth * bandwidth)).exp()
                    })
                    .collect()
            }
        };
        let total: f64 = w.iter().sum();
        w.into_iter().map(|x| x / total).collect()
    }
}

/// Weighted mean and weighted standard deviation of `values` (weights sum to 1).
pub(crate) fn weighted_mean_spread(weights: &[f64], values: &[f64]) -> (f64, f64) {
    let mean: f64 = weights.iter().zip(values).map(|(w, x)| w * x).sum();
    let var: f64 = weights
        .iter()
        .zip(values)
        .map(|(w, x)| w * (x - mean).powi(2))
        .sum();
    (mean, var.sqrt())
}

/// Class probabilities (weights summed per class), most probable first; ties broken
/// by class name so that results are reproducible.
pub(crate) fn class_probabilities(weights: &[f64], classes: &[&str]) -> Vec<(String, f64)> {
    let mut p: Vec<(String, f64)> = Vec::new();
    for (w, &class) in weights.iter().zip(classes) {
        match p.iter_mut().find(|(c, _)| c == class) {
            Some(entry) => entry.1 += w,
            None => p.push((class.to_string(), *w)),
        }
    }
    p.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(d: &[f64]) -> Vec<Neighbor> {
        d.iter()
            .enumerate()
            .map(|(index, &distance)| Neighbor { index, distance })
            .collect()
    }

    #[test]
    fn weights_are_normalised_and_ordered() {
        for w in [
            Weighting::InverseDistance,
            Weighting::Gaussian { bandwidth: 0.5 },
        ] {
            let x = w.weights(&nb(&[0.1, 0.4, 1.0]));
            assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-15);
            assert!(x[0] > x[1] && x[1] > x[2], "{w:?} {x:?}");
        }
        // Inverse distance: 1/0.1 : 1/0.4 = 4.
        let x = Weighting::InverseDistance.weights(&nb(&[0.1, 0.4]));
        assert!((x[0] / x[1] - 4.0).abs() < 1e-9);
        // Gaussian: exp(-(0.4^2 - 0.1^2) / (2 0.5^2)) = exp(-0.3).
        let x = Weighting::Gaussian { bandwidth: 0.5 }.weights(&nb(&[0.1, 0.4]));
        assert!((x[1] / x[0] - (-0.3f64).exp()).abs() < 1e-12);
        // Far neighbours with a tiny bandwidth: no underflow to 0/0.
        let x = Weighting::Gaussian { bandwidth: 1e-6 }.weights(&nb(&[10.0, 11.0]));
        assert_eq!(x, vec![1.0, 0.0]);
    }

    #[test]
    fn mean_spread_and_classes() {
        let (m, s) = weighted_mean_spread(&[0.5, 0.5], &[1.0, 3.0]);
        assert_eq!((m, s), (2.0, 1.0));
        let p = class_probabilities(&[0.2, 0.5, 0.3], &["a", "b", "a"]);
        assert_eq!(p[0], ("a".to_string(), 0.5));
        assert_eq!(p[1], ("b".to_string(), 0.5));
        assert!(Weighting::Gaussian { bandwidth: 0.0 }.validate().is_err());
    }
}
