//! Design of experiments and black-box optimisation.
//!
//! [`Study`] minimises an expensive objective over a mixed [`Space`] of float
//! (linear or logarithmic), integer and categorical dimensions with the Tree-structured
//! Parzen Estimator ([`tpe`]). Trials run in parallel batches and a search is
//! deterministic for a seed and batch size on any number of threads. Infeasible trials
//! return `+∞` and steer the search away from their region.
//!
//! ```
//! use std::ops::ControlFlow;
//! use xas_design::{SearchSettings, Space, minimize};
//!
//! let space = Space::new().float("x", -5.0, 5.0)?.categorical("kind", &["a", "b"])?;
//! let settings = SearchSettings { trials: 60, ..SearchSettings::default() };
//! let study = minimize(
//!     space,
//!     |p| {
//!         let x = p.float("x").unwrap_or(f64::NAN);
//!         let offset = if p.choice("kind").ok() == Some("b") { 0.0 } else { 1.0 };
//!         (x - 1.0).powi(2) + offset
//!     },
//!     settings,
//!     &mut |_| ControlFlow::Continue(()),
//! )?;
//! let best = study.best().expect("a feasible trial");
//! assert!(best.objective < 0.1);
//! # Ok::<(), xas_design::Error>(())
//! ```

mod error;
mod parzen;
pub mod space;
pub mod study;
pub mod tpe;

pub use error::{Error, Result};
pub use space::{Assignment, Dimension, Space, Value};
pub use study::{Progress, SearchSettings, Study, Trial, minimize};
pub use tpe::TpeSettings;
