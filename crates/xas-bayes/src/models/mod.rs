//! Ready forward models.

pub mod peaks;
