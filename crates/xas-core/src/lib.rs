//! # xas-core
//!
//! The foundation of the workspace: spectra, collections of spectra on a shared axis,
//! spectral images, processing (resampling, normalisation, alignment, smoothing,
//! convolution, noise) and file formats (XDI, column text/CSV, Athena projects, EMSA).
//!
//! Energies are in eV throughout; names carry the unit where it matters
//! (`energy_ev`, `fwhm_ev`). Widths always say whether they are HWHM or FWHM.
//! Library code never panics on user input: problems come back as [`Error`] naming
//! the file, line, field or parameter.
//!
//! ```
//! use xas_core::{EdgeStepParams, Extrapolation, Interpolation, Spectrum};
//! use xas_core::{normalize_edge_step, resample, uniform_grid};
//!
//! // A synthetic Fe K edge: sloped background plus an arctan step of height 1.5 at 7112 eV.
//! let energy: Vec<f64> = (0..600).map(|i| 6950.0 + 0.5 * i as f64).collect();
//! let mu: Vec<f64> = energy
//!     .iter()
//!     .map(|e| 0.8 - 2e-4 * (e - 6950.0) + 1.5 * (0.5 + (e - 7112.0).atan() / std::f64::consts::PI))
//!     .collect();
//! let spectrum = Spectrum::new(energy, mu)?;
//!
//! // Edge-step normalisation with Larch's defaults.
//! let edge = normalize_edge_step(&spectrum, &EdgeStepParams::default())?;
//! assert!((edge.e0_ev - 7112.0).abs() <= 0.5);
//! let normalised = edge.to_spectrum(&spectrum, true)?;
//!
//! // Onto a 0.25 eV grid across the XANES region.
//! let grid = uniform_grid(7090.0, 7150.0, 0.25)?;
//! let xanes = resample(&normalised, &grid, Interpolation::Pchip, Extrapolation::Error)?;
//! assert_eq!(xanes.len(), 241);
//! # Ok::<(), xas_core::Error>(())
//! ```
//!
//! Files: [`read_file`] detects the format from the content and returns every spectrum
//! in the file (an Athena project holds many).

pub mod align;
pub mod compare;
pub mod convolve;
pub mod edge_step;
pub mod error;
pub mod grid;
pub mod image;
pub mod io;
pub mod matrix;
pub mod noise;
pub mod normalize;
pub mod poly;
pub mod raw_array;
pub mod resample;
pub mod smooth;
pub mod spectrum;

pub use align::{AlignOptions, Alignment, align};
pub use convolve::{Kernel, broaden_spectrum, broaden_sticks};
pub use edge_step::{EdgeStep, EdgeStepParams, find_e0, normalize_edge_step};
pub use error::{Error, Result};
pub use grid::{linspace, uniform_grid};
pub use image::{ImageShape, RawImageFile, SpectralImage, SpectralImageSource};
pub use io::{
    ColumnSelector, Delimiter, Format, ReadOptions, detect_format, read_bytes, read_file,
    read_file_with, write_atomic, write_atomic_with, write_columns, write_xdi, xdi_string,
};
pub use matrix::SpectraMatrix;
pub use noise::{NoiseModel, add_noise};
pub use normalize::{Normalization, normalize};
pub use raw_array::{RawArrayFile, RawArrayLayout, RawDtype, RawOrder};
pub use resample::{Extrapolation, Interpolation, Resampler, interpolate, resample};
pub use smooth::SavitzkyGolay;
pub use spectrum::{Metadata, Spectrum};
