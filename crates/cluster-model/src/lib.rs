//! # cluster-model
//!
//! Many-electron multiplet Hamiltonians of 3d transition-metal ions in a
//! Slater-determinant (bit-string) Fock basis: Coulomb interaction from Slater
//! integrals, spin-orbit coupling, crystal fields, and charge transfer to one ligand
//! shell; 2p XAS and 2p XPS spectra.

pub mod coulomb;
pub mod error;
pub mod fock;
pub mod hf_tables;
pub mod householder;
pub mod ion;
pub mod model;
pub mod operator;
pub mod orbitals;
pub mod params;
pub mod series;
pub mod solve;
pub mod spectra;
pub mod tridiagonal;
pub mod wigner;

pub use error::{Error, Result};
