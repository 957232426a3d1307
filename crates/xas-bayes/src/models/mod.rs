//! Ready forward models.

pub mod deconvolution;
pub mod peaks;
