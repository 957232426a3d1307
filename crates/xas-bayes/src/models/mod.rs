//! Ready forward models.

pub mod compton;
pub mod deconvolution;
pub mod nio;
pub mod peaks;
pub mod polynomial;
