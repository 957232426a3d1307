//! A polynomial `f(x) = Σ_k c_k x^k` (parameters `c0`, `c1`, ...): a smooth background,
//! and, being linear in its parameters, the model with a closed-form posterior and
//! evidence ([`crate::linear`]) that the sampler and the estimators are checked on.

use crate::posterior::ForwardModel;
use crate::{Error, Result};

/// A polynomial of a fixed degree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polynomial {
    degree: usize,
}

impl Polynomial {
    /// A polynomial of `degree` (`degree + 1` parameters).
    pub fn new(degree: usize) -> Self {
        Polynomial { degree }
    }

    /// Row `(1, x, x², ...)` of the design matrix at `x`.
    pub fn basis(&self, x: f64) -> Vec<f64> {
        (0..=self.degree).map(|k| x.powi(k as i32)).collect()
    }
}

impl ForwardModel for Polynomial {
    fn name(&self) -> &str {
        "polynomial"
    }

    fn parameter_names(&self) -> Vec<String> {
        (0..=self.degree).map(|k| format!("c{k}")).collect()
    }

    fn predict(&self, theta: &[f64], x: &[f64], out: &mut [f64]) -> Result<()> {
        if theta.len() != self.degree + 1 {
            return Err(Error::param(
                "theta",
                format!(
                    "{} values for {} coefficients",
                    theta.len(),
                    self.degree + 1
                ),
            ));
        }
        for (o, &x) in out.iter_mut().zip(x) {
            // Horner's rule.
            *o = theta.iter().rev().fold(0.0, |acc, c| acc * x + c);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horner_matches_the_basis_and_bad_lengths_are_refused() {
        let p = Polynomial::new(2);
        let mut out = [0.0; 2];
        p.predict(&[0.3, -0.8, 1.2], &[2.0, -1.0], &mut out)
            .unwrap();
        let direct: f64 = p
            .basis(2.0)
            .iter()
            .zip([0.3, -0.8, 1.2])
            .map(|(b, c)| b * c)
            .sum();
        assert!((out[0] - direct).abs() < 1e-15);
        assert!((out[1] - (0.3 + 0.8 + 1.2)).abs() < 1e-15);
        assert!(p.predict(&[1.0], &[0.0], &mut out[..1]).is_err());
    }
}
