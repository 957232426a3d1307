//! The library side of the `xas` command-line tool: one module per command, plus the
//! plotting and loading helpers they share. Every computation lives in the library
//! crates of the workspace; these modules parse arguments, call them, and write
//! reports, tables and figures.

pub mod cluster;
pub mod corner;
pub mod deconvolve;
pub mod demo;
pub mod embed;
pub mod estimate;
pub mod fit;
pub mod info;
pub mod library;
pub mod load;
pub mod map_compare;
pub mod map_plot;
pub mod multiplet;
pub mod normalize;
pub mod phase_map_plot;
pub mod plot;
pub mod range;
pub mod rietveld;
pub mod similarity;
