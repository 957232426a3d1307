//! What the sampler samples: a forward model, data with a noise model, and priors,
//! combined into the energy `E(θ)` of the tempered targets `exp(-β E(θ)) φ(θ)`.
//!
//! For an ordinary posterior `E(θ) = -ln L(θ)` with every normalisation constant of the
//! likelihood, so that `β = 1` is the posterior and `F = -ln ∫ e^{-E} φ dθ` is the Bayes
//! free energy (negative log evidence). A [`Joint`] posterior adds the energies of
//! several data sets that share parameters, each with its own noise model and number of
//! points: for Gaussian noise `E = Σ_k Σ_i (y_ki - f_k(x_ki; θ))² / (2 σ_k²) +
//! Σ_k (n_k / 2) ln(2π σ_k²)`, the weighted total energy of the seed study.

use crate::prior::Priors;
use crate::{Error, Result};

/// What replica-exchange Monte Carlo samples: priors and an energy.
pub trait Posterior: Sync {
    /// The priors, which also name and order the parameters.
    fn priors(&self) -> &Priors;

    /// The energy `E(θ)` whose Boltzmann factor `exp(-β E)` tempers the likelihood;
    /// `+inf` where the likelihood is zero.
    fn energy(&self, theta: &[f64]) -> Result<f64>;

    /// Number of data points the energy sums over; the initial random-walk steps shrink
    /// as `(β n)^(-1/2)`.
    fn n_data(&self) -> usize;
}

/// A parametric model of a measured curve: parameters to prediction on any abscissae.
pub trait ForwardModel: Send + Sync {
    /// Short name used in messages.
    fn name(&self) -> &str;

    /// Parameter names in the order `predict` reads them.
    fn parameter_names(&self) -> Vec<String>;

    /// The prediction at the abscissae `x` (energies in eV, positions, ...) for
    /// parameters `theta`, written into `out` (same length as `x`).
    fn predict(&self, theta: &[f64], x: &[f64], out: &mut [f64]) -> Result<()>;
}

/// The noise model of a data set, which fixes the likelihood.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Noise {
    /// Gaussian noise of one known standard deviation (intensity units):
    /// `-ln L = Σ r_i² / (2σ²) + (n/2) ln(2πσ²)`.
    Gaussian {
        /// Standard deviation, `> 0`.
        sigma: f64,
    },
    /// Gaussian noise with a known standard deviation per point:
    /// `-ln L = Σ r_i² / (2σ_i²) + Σ ln(2πσ_i²)/2`.
    GaussianPerPoint(Vec<f64>),
    /// Counting noise: `y_i` are counts, `-ln L = Σ f_i - y_i ln f_i + ln Γ(y_i + 1)`.
    Poisson,
    /// Gaussian noise of unknown level: the energy is half the sum of squared residuals
    /// `½ Σ r_i²`, so that the inverse temperature `β` *is* the noise precision `1/σ²`
    /// and one run gives the free energy for every σ on the ladder
    /// (noise estimation).
    Estimated,
    /// Gaussian noise of one standard deviation that is itself a parameter of the
    /// posterior, named here and given its own prior: it is sampled with the model's
    /// parameters, so its posterior and its correlations come out of the same run (the
    /// alternative to [`Noise::Estimated`] that works in joint fits).
    GaussianParameter {
        /// Name of the standard-deviation parameter (e.g. `sigma_xas`).
        name: String,
    },
}

/// `Σ r_i² / (2σ²) + (n/2) ln(2πσ²)`; `+∞` unless `σ > 0`.
fn gaussian_energy(y: &[f64], f: &[f64], sigma: f64) -> f64 {
    if sigma.is_nan() || sigma <= 0.0 {
        return f64::INFINITY;
    }
    let ssr: f64 = y.iter().zip(f).map(|(y, f)| (y - f) * (y - f)).sum();
    ssr / (2.0 * sigma * sigma)
        + 0.5 * y.len() as f64 * (2.0 * std::f64::consts::PI * sigma * sigma).ln()
}

/// One measured curve: abscissae, values and noise model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataSet {
    /// Name used in messages (usually the file name).
    pub name: String,
    /// Abscissae (energy in eV, or the model's own variable).
    pub x: Vec<f64>,
    /// Measured values.
    pub y: Vec<f64>,
    /// Noise model.
    pub noise: Noise,
}

impl DataSet {
    /// A data set after checking lengths, finiteness, sigma and counts.
    pub fn new(name: impl Into<String>, x: Vec<f64>, y: Vec<f64>, noise: Noise) -> Result<Self> {
        let data = DataSet {
            name: name.into(),
            x,
            y,
            noise,
        };
        data.validate()?;
        Ok(data)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True without points (never for a validated data set).
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Checks the data set; errors name the data set, the point and the field.
    pub fn validate(&self) -> Result<()> {
        let name = &self.name;
        if self.x.is_empty() {
            return Err(Error::data(name, "no data points"));
        }
        if self.x.len() != self.y.len() {
            return Err(Error::data(
                name,
                format!("{} abscissae but {} values", self.x.len(), self.y.len()),
            ));
        }
        if let Some(i) =
            (0..self.x.len()).find(|&i| !(self.x[i].is_finite() && self.y[i].is_finite()))
        {
            return Err(Error::data(
                format!("{name}, point {}", i + 1),
                format!("non-finite value (x = {}, y = {})", self.x[i], self.y[i]),
            ));
        }
        match &self.noise {
            Noise::Gaussian { sigma } => {
                if !(sigma.is_finite() && *sigma > 0.0) {
                    return Err(Error::data(
                        format!("{name}, sigma"),
                        format!("sigma must be > 0, got {sigma}"),
                    ));
                }
            }
            Noise::GaussianPerPoint(sigma) => {
                if sigma.len() != self.x.len() {
                    return Err(Error::data(
                        format!("{name}, sigma"),
                        format!("{} sigma values for {} points", sigma.len(), self.x.len()),
                    ));
                }
                if let Some(i) = sigma.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
                    return Err(Error::data(
                        format!("{name}, point {}", i + 1),
                        format!("sigma must be > 0, got {}", sigma[i]),
                    ));
                }
            }
            Noise::Poisson => {
                if let Some(i) = self.y.iter().position(|&c| c < 0.0 || c.fract() != 0.0) {
                    return Err(Error::data(
                        format!("{name}, point {}", i + 1),
                        format!(
                            "Poisson data must be non-negative whole counts, got {}",
                            self.y[i]
                        ),
                    ));
                }
            }
            Noise::Estimated => {}
            Noise::GaussianParameter { name: parameter } => {
                if parameter.is_empty() {
                    return Err(Error::data(
                        format!("{name}, sigma"),
                        "the noise parameter needs a name",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The energy of this data set for the prediction `f` (see [`Noise`]). With
    /// [`Noise::GaussianParameter`] the noise level is a parameter: use
    /// [`DataSet::energy_with_sigma`] (as [`Joint`] does); this gives NaN.
    pub fn energy(&self, f: &[f64]) -> f64 {
        self.energy_with_sigma(f, f64::NAN)
    }

    /// The energy for the prediction `f`, with `sampled_sigma` as the standard deviation
    /// of [`Noise::GaussianParameter`] (ignored by the other noise models).
    pub fn energy_with_sigma(&self, f: &[f64], sampled_sigma: f64) -> f64 {
        use std::f64::consts::PI;
        let y = &self.y;
        match &self.noise {
            Noise::Gaussian { sigma } => gaussian_energy(y, f, *sigma),
            Noise::GaussianParameter { .. } if sampled_sigma.is_nan() => f64::NAN,
            Noise::GaussianParameter { .. } => gaussian_energy(y, f, sampled_sigma),
            Noise::GaussianPerPoint(sigma) => y
                .iter()
                .zip(f)
                .zip(sigma)
                .map(|((y, f), s)| {
                    let z = (y - f) / s;
                    0.5 * z * z + 0.5 * (2.0 * PI * s * s).ln()
                })
                .sum(),
            Noise::Poisson => y
                .iter()
                .zip(f)
                .map(|(&c, &m)| {
                    if c == 0.0 && m >= 0.0 {
                        m
                    } else if m > 0.0 {
                        m - c * m.ln() + libm::lgamma(c + 1.0)
                    } else {
                        f64::INFINITY
                    }
                })
                .sum(),
            Noise::Estimated => 0.5 * y.iter().zip(f).map(|(y, f)| (y - f) * (y - f)).sum::<f64>(),
        }
    }
}

/// One data set with the model that predicts it and where the model's parameters sit in
/// the joint parameter vector.
struct Part {
    model: Box<dyn ForwardModel>,
    data: DataSet,
    /// `index[j]` = position in `θ` of the model's parameter `j`.
    index: Vec<usize>,
    /// Position in `θ` of the noise parameter ([`Noise::GaussianParameter`]).
    noise_index: Option<usize>,
}

/// A posterior over one or several data sets sharing parameters by name: the energy is
/// the sum of the data sets' energies, each with its own noise model and point count.
pub struct Joint {
    priors: Priors,
    parts: Vec<Part>,
}

impl Joint {
    /// An empty joint posterior over `priors`; add data sets with [`Joint::add`].
    pub fn new(priors: Priors) -> Self {
        Joint {
            priors,
            parts: Vec::new(),
        }
    }

    /// The posterior of one model and one data set.
    pub fn single(
        model: impl ForwardModel + 'static,
        data: DataSet,
        priors: Priors,
    ) -> Result<Self> {
        let mut joint = Joint::new(priors);
        joint.add(model, data)?;
        joint.check_all_used()?;
        Ok(joint)
    }

    /// Adds a data set and its model. Every parameter of the model must have a prior
    /// of the same name; a data set with unknown noise level ([`Noise::Estimated`])
    /// cannot be combined with others, since β is then its noise precision.
    pub fn add(&mut self, model: impl ForwardModel + 'static, data: DataSet) -> Result<&mut Self> {
        data.validate()?;
        let names = model.parameter_names();
        let find = |n: &String, what: &str| {
            self.priors.index_of(n).ok_or_else(|| {
                Error::param(
                    n,
                    format!(
                        "{what} has this parameter but the priors do not (priors: {})",
                        self.priors.names().join(", ")
                    ),
                )
            })
        };
        let index = names
            .iter()
            .map(|n| find(n, &format!("model `{}`", model.name())))
            .collect::<Result<Vec<_>>>()?;
        let noise_index = match &data.noise {
            Noise::GaussianParameter { name } => {
                Some(find(name, &format!("the noise of `{}`", data.name))?)
            }
            _ => None,
        };
        let estimated = |d: &DataSet| matches!(d.noise, Noise::Estimated);
        if !self.parts.is_empty()
            && (estimated(&data) || self.parts.iter().any(|p| estimated(&p.data)))
        {
            return Err(Error::data(
                &data.name,
                "a data set with estimated noise cannot be fitted jointly with others",
            ));
        }
        self.parts.push(Part {
            model: Box::new(model),
            data,
            index,
            noise_index,
        });
        Ok(self)
    }

    /// Errors if a prior names a parameter that no model uses (a typo in a priors file
    /// would otherwise sample a parameter that does nothing).
    pub fn check_all_used(&self) -> Result<()> {
        for (j, name) in self.priors.names().iter().enumerate() {
            if !self
                .parts
                .iter()
                .any(|p| p.index.contains(&j) || p.noise_index == Some(j))
            {
                return Err(Error::param(name, "has a prior but no model uses it"));
            }
        }
        Ok(())
    }

    /// The data sets in the order they were added.
    pub fn data_sets(&self) -> impl Iterator<Item = &DataSet> {
        self.parts.iter().map(|p| &p.data)
    }

    /// Prediction of data set `k` for the joint parameters `theta`.
    pub fn predict(&self, k: usize, theta: &[f64]) -> Result<Vec<f64>> {
        let part = self.parts.get(k).ok_or_else(|| {
            Error::param("data set", format!("index {k} of {}", self.parts.len()))
        })?;
        let local: Vec<f64> = part.index.iter().map(|&i| theta[i]).collect();
        let mut out = vec![0.0; part.data.len()];
        part.model.predict(&local, &part.data.x, &mut out)?;
        Ok(out)
    }

    /// Energy of data set `k` alone.
    pub fn energy_of(&self, k: usize, theta: &[f64]) -> Result<f64> {
        let f = self.predict(k, theta)?;
        let part = &self.parts[k];
        let sigma = part.noise_index.map_or(f64::NAN, |i| theta[i]);
        Ok(part.data.energy_with_sigma(&f, sigma))
    }
}

impl Posterior for Joint {
    fn priors(&self) -> &Priors {
        &self.priors
    }

    fn energy(&self, theta: &[f64]) -> Result<f64> {
        (0..self.parts.len())
            .map(|k| self.energy_of(k, theta))
            .sum()
    }

    fn n_data(&self) -> usize {
        self.parts.iter().map(|p| p.data.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::polynomial::Polynomial;
    use crate::prior::Prior;

    /// `f(x) = c0 + c1 x`.
    fn line() -> Polynomial {
        Polynomial::new(1)
    }

    fn priors(names: &[&str]) -> Priors {
        Priors::new(names.iter().map(|n| (*n, Prior::uniform(-5.0, 5.0)))).unwrap()
    }

    #[test]
    fn gaussian_energy_is_the_negative_log_likelihood() {
        let d = DataSet::new(
            "d",
            vec![0.0, 1.0],
            vec![1.0, 2.5],
            Noise::Gaussian { sigma: 0.5 },
        )
        .unwrap();
        let j = Joint::single(line(), d, priors(&["c0", "c1"])).unwrap();
        // residuals 0 and 0.5: 0.25/(2*0.25) + ln(2π 0.25)
        let expect = 0.5 + (2.0 * std::f64::consts::PI * 0.25).ln();
        assert!((j.energy(&[1.0, 1.0]).unwrap() - expect).abs() < 1e-14);
    }

    #[test]
    fn poisson_energy_handles_zero_counts_and_zero_rates() {
        let d = DataSet::new("c", vec![0.0, 1.0], vec![0.0, 3.0], Noise::Poisson).unwrap();
        // f = (2, 2): 2 + (2 - 3 ln 2 + ln 6)
        assert!((d.energy(&[2.0, 2.0]) - (4.0 - 3.0 * 2f64.ln() + 6f64.ln())).abs() < 1e-14);
        assert_eq!(d.energy(&[0.0, 0.0]), f64::INFINITY);
        assert!(DataSet::new("c", vec![0.0], vec![1.5], Noise::Poisson).is_err());
    }

    #[test]
    fn joint_energy_sums_data_sets_with_shared_parameters() {
        let d1 = DataSet::new(
            "d1",
            vec![0.0, 1.0],
            vec![1.0, 2.0],
            Noise::Gaussian { sigma: 1.0 },
        )
        .unwrap();
        let d2 = DataSet::new(
            "d2",
            vec![2.0],
            vec![0.0],
            Noise::GaussianPerPoint(vec![0.1]),
        )
        .unwrap();
        let mut j = Joint::new(priors(&["c0", "c1"]));
        j.add(line(), d1).unwrap().add(line(), d2).unwrap();
        let t = [1.0, 0.5];
        // d1: residuals 0 and 0.5 at sigma 1; d2: residual -2 at sigma 0.1.
        let pi = std::f64::consts::PI;
        let d1 = 0.125 + (2.0 * pi).ln();
        let d2 = 200.0 + 0.5 * (2.0 * pi * 0.01).ln();
        assert!((j.energy_of(0, &t).unwrap() - d1).abs() < 1e-13);
        assert!((j.energy(&t).unwrap() - (d1 + d2)).abs() < 1e-12);
        assert_eq!(j.n_data(), 3);
    }

    #[test]
    fn mismatched_parameters_and_bad_data_are_named() {
        let d = DataSet::new("d", vec![0.0], vec![1.0], Noise::Gaussian { sigma: 1.0 }).unwrap();
        let e = Joint::single(line(), d.clone(), priors(&["c0", "c"]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("`c1`") && e.contains("polynomial"), "{e}");
        let e = Joint::single(line(), d, priors(&["c0", "c1", "c"]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("`c`") && e.contains("no model"), "{e}");
        let e = DataSet::new(
            "spec.csv",
            vec![0.0, 1.0],
            vec![1.0, 2.0],
            Noise::GaussianPerPoint(vec![0.1, 0.0]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("spec.csv, point 2") && e.contains("sigma"),
            "{e}"
        );
        let e = DataSet::new("s", vec![0.0, f64::NAN], vec![1.0, 2.0], Noise::Poisson)
            .unwrap_err()
            .to_string();
        assert!(e.contains("point 2"), "{e}");
    }
}
