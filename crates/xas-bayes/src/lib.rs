//! # xas-bayes
//!
//! Bayesian analysis of spectra: sample the posterior of a forward model's parameters
//! with replica-exchange Monte Carlo ([`remc`]), measure the Bayes free energy
//! `F = -ln p(D)` with two estimators and bootstrap error bars ([`evidence`]), fit
//! several spectra jointly with shared parameters ([`posterior::Joint`]), and check
//! convergence ([`diagnostics`]), estimate the noise level from the free energy
//! ([`noise`]) and select the number of peaks of a spectrum ([`models::peaks`]), and decide when a
//! measurement can stop ([`termination`]).
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use xas_bayes::{evidence, posterior::{DataSet, ForwardModel, Joint, Noise},
//!                 prior::{Prior, Priors}, remc::{Remc, RemcSettings}};
//! # fn demo(model: impl ForwardModel + 'static, x: Vec<f64>, y: Vec<f64>) -> xas_bayes::Result<()> {
//! let data = DataSet::new("spectrum.csv", x, y, Noise::Gaussian { sigma: 0.02 })?;
//! let priors = Priors::new([("a", Prior::uniform(0.0, 2.0)), ("b", Prior::normal(0.0, 1.0))])?;
//! let posterior = Joint::single(model, data, priors)?;
//! let mut sampler = Remc::new(&posterior, RemcSettings::default())?;
//! sampler.run(&posterior, &mut |_| ControlFlow::Continue(()))?;
//! let f = evidence::stepping_stone(sampler.samples(), &Default::default())?;
//! println!("F = {:.2} ± {:.2}", f.free_energy(), f.error());
//! # Ok(()) }
//! ```

pub mod diagnostics;
pub mod error;
pub mod evidence;
pub mod linear;
pub mod models;
pub mod noise;
pub mod posterior;
pub mod prior;
pub mod remc;
mod special;
pub mod termination;

pub use error::{Error, Result};
