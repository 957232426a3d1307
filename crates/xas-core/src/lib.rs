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

pub mod align;
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
pub use resample::{Extrapolation, Interpolation, Resampler, interpolate, resample};
pub use smooth::SavitzkyGolay;
pub use spectrum::{Metadata, Spectrum};
