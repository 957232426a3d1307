//! Ready forward models.

pub mod deconvolution;
pub mod nio;
pub mod peaks;
