//! # xas-manifold
//!
//! Two-dimensional (or any-dimensional) maps of libraries of spectra: principal
//! component analysis ([`pca`]), classical and metric multidimensional scaling
//! ([`mds`]) and UMAP ([`umap`]), each able to place new spectra on a fitted map, and
//! the measures that say how faithful a map is ([`quality`]: trustworthiness,
//! continuity, kNN preservation, silhouette, Shepard correlation).
//!
//! Inputs are spectra on one energy axis compared by any measure of
//! [`xas_metrics::measures`] ([`space::Vectors`]) or a precomputed distance matrix
//! ([`space::DistanceMatrix`]). Fitted models serialise with `serde`.

pub mod error;
pub mod knn;
pub mod mds;
pub mod pca;
pub mod quality;
mod rng;
pub mod space;
pub mod umap;

pub use error::{Error, Result};
pub use space::{Dissimilarity, DistanceMatrix, Vectors};
