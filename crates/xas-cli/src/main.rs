//! `xas`: the command-line front end of the workspace. Every computation lives in a
//! library crate; this binary parses arguments, reports progress and draws figures.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xas_cli::{
    cluster, deconvolve, demo, embed, estimate, fit, info, library, multiplet, normalize, rietveld,
    similarity,
};

/// Measurement informatics for X-ray spectra: inspect, normalise and analyse.
#[derive(Debug, Parser)]
#[command(name = "xas", version, about, long_about = None)]
struct Cli {
    /// Print machine-readable JSON on standard output instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show format, element, edge, points, energy range, E0 and edge step of files.
    Info(info::InfoArgs),
    /// Normalise the spectra of a file and write CSV (and optionally a plot).
    Normalize(normalize::NormalizeArgs),
    /// Compute the 2p XAS or XPS of a 3d ion with the crystal-field or charge-transfer
    /// multiplet model and write CSV (and optionally sticks and a plot).
    Multiplet(Box<multiplet::MultipletArgs>),
    /// Build a labelled spectral library (simulated or from reference files).
    Library(library::LibraryArgs),
    /// Estimate labels (valence, 10Dq, ...) of spectra by similarity to a library.
    Estimate(estimate::EstimateArgs),
    /// Distances between two spectra under one or all similarity measures.
    Similarity(similarity::SimilarityArgs),
    /// Map sets of spectra in 2-D (UMAP, PCA, MDS, SMACOF), save the map, place new spectra on it.
    Embed(Box<embed::EmbedArgs>),
    /// Fit 1..K peaks by replica-exchange Monte Carlo and select K (and the noise level)
    /// by the Bayes free energy.
    Deconvolve(Box<deconvolve::DeconvolveArgs>),
    /// Fit the NiO charge-transfer cluster to Ni 2p XAS and/or XPS by replica-exchange
    /// Monte Carlo: posteriors, Bayes free energy, corner and fit plots.
    Fit(Box<fit::FitArgs>),
    /// Rietveld refinement of a powder pattern from CIF start models: R factors, refined
    /// cells and atoms with esds, refined CIFs and a fit plot.
    Rietveld(Box<rietveld::RietveldArgs>),
    /// Classify a spectral image stack into phases, noise-aware and in O(N) (or by a
    /// k-means baseline); `synth` generates synthetic images for benchmarks.
    Cluster(Box<cluster::ClusterArgs>),
    /// Run every stage on embedded sample data and write a report folder.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Info(args) => info::run(args, cli.json),
        Command::Normalize(args) => normalize::run(args, cli.json),
        Command::Multiplet(args) => multiplet::run(args, cli.json),
        Command::Library(args) => library::run(args, cli.json),
        Command::Estimate(args) => estimate::run(args, cli.json),
        Command::Similarity(args) => similarity::run(args, cli.json),
        Command::Embed(args) => embed::run(args, cli.json),
        Command::Deconvolve(args) => deconvolve::run(args, cli.json),
        Command::Fit(args) => fit::run(args, cli.json),
        Command::Rietveld(args) => rietveld::run(args, cli.json),
        Command::Cluster(args) => cluster::run(args, cli.json),
        Command::Demo(args) => demo::run(args, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
