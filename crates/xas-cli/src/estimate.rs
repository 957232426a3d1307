//! `xas estimate`: labels (valence, 10Dq, ...) of measured spectra by their similarity
//! to a labelled library.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use xas_core::normalize::normalize_values;
use xas_core::{SpectraMatrix, Spectrum};
use xas_metrics::estimate::{Estimate, EstimatorParams, SimilarityEstimator};
use xas_metrics::library::Library;
use xas_metrics::measures::Metric;

use crate::load::{ColumnArgs, read_spectra};
use crate::normalize::{Method, simple_normalization};
use crate::plot::{Figure, Panel, Series};
use crate::range::colon_numbers;

/// Candidate `k` for `--tune`.
const TUNE_KS: [usize; 7] = [1, 2, 3, 4, 5, 7, 10];
/// Energy step of the shift search when none is given (eV).
const DEFAULT_SHIFT_STEP_EV: f64 = 0.1;

/// Arguments of `xas estimate`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct EstimateArgs {
    /// Library file (from `xas library build` or `from-files`).
    #[arg(long, value_name = "LIB")]
    library: PathBuf,
    /// Spectrum file; every spectrum in it is estimated.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Similarity measure: euclidean, manhattan, chebyshev, cosine, pearson, spearman,
    /// derivative-pearson, kl, js, hellinger, w1, wcc[:L_EV], dtw[:BAND].
    #[arg(long, default_value = "euclidean")]
    metric: String,
    /// Neighbours that vote (inverse-distance weights); --tune chooses it instead.
    #[arg(long, default_value_t = 5, conflicts_with = "tune")]
    k: usize,
    /// Choose k and the weighting (inverse distance or Gaussian kernel) by
    /// leave-one-out on the library, and report its errors (costs one all-pairs pass).
    #[arg(long)]
    tune: bool,
    /// Energy shifts to try, MIN:MAX[:STEP] in eV (default step 0.1); the best is kept.
    #[arg(long, value_name = "MIN:MAX[:STEP]", allow_hyphen_values = true)]
    shift_search: Option<String>,
    /// Normalisation of library rows and queries.
    #[arg(long, value_enum, default_value = "area")]
    normalization: Method,
    /// Draw each query (shifted, normalised) over its nearest library spectra.
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// The result for one query spectrum.
#[derive(Debug, Serialize)]
struct QueryResult {
    input: String,
    spectrum: String,
    metric: String,
    k: usize,
    weighting: String,
    estimate: Estimate,
    nearest_names: Vec<String>,
}

fn shift_range(text: &str) -> Result<(f64, f64, f64)> {
    let form = "MIN:MAX or MIN:MAX:STEP in eV";
    if text.matches(':').count() == 2 {
        let [a, b, c] = colon_numbers("--shift-search", text, form, "-15:15:0.1")?;
        Ok((a, b, c))
    } else {
        let [a, b] = colon_numbers("--shift-search", text, form, "-15:15")?;
        Ok((a, b, DEFAULT_SHIFT_STEP_EV))
    }
}

/// Runs `xas estimate`.
///
/// # Errors
/// Bad arguments, unreadable files, a library without labels, or a query outside the
/// library's energy range, each named.
pub fn run(args: &EstimateArgs, json: bool) -> Result<()> {
    let library = Library::load(&args.library)?;
    let params = EstimatorParams {
        metric: Metric::from_name(&args.metric).context("--metric")?,
        k: args.k,
        normalization: simple_normalization(args.normalization).context("--normalization")?,
        shift_search_ev: args.shift_search.as_deref().map(shift_range).transpose()?,
        edge_step: library.is_edge_step_normalized(),
        ..EstimatorParams::default()
    };
    let mut est = SimilarityEstimator::new(library.spectra(), params)
        .with_context(|| format!("library {}", args.library.display()))?;
    if args.tune {
        let ks: Vec<usize> = TUNE_KS.into_iter().filter(|&k| k < est.len()).collect();
        if ks.is_empty() {
            bail!("--tune: the library needs at least 2 spectra");
        }
        est.tune_default(&ks)?;
    }
    let (_, spectra) = read_spectra(&args.input, &args.columns)?;
    let mut results = Vec::with_capacity(spectra.len());
    for (i, s) in spectra.iter().enumerate() {
        let name = s
            .meta
            .label
            .clone()
            .unwrap_or_else(|| format!("spectrum {i}"));
        let estimate = est
            .estimate(s)
            .with_context(|| format!("{} ({name})", args.input.display()))?;
        let nearest_names = estimate
            .neighbours
            .iter()
            .map(|n| est.names()[n.index].clone())
            .collect();
        results.push(QueryResult {
            input: args.input.display().to_string(),
            spectrum: name,
            metric: est.params().metric.to_string(),
            k: est.params().k,
            weighting: est.params().weighting.describe(),
            estimate,
            nearest_names,
        });
    }
    if let Some(path) = &args.plot {
        plot(&est, &library, &spectra, &results)?.save(path)?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        results.iter().for_each(print);
    }
    Ok(())
}

fn print(r: &QueryResult) {
    let e = &r.estimate;
    println!(
        "{} ({}): metric {}, k {} ({}), energy shift {:+.2} eV",
        r.input, r.spectrum, r.metric, r.k, r.weighting, e.shift_ev
    );
    for c in &e.categorical {
        let p: Vec<String> = c
            .probabilities
            .iter()
            .map(|(class, p)| format!("{class} {p:.2}"))
            .collect();
        let loo = c
            .loo_accuracy
            .map(|a| format!("; leave-one-out accuracy {a:.2}"))
            .unwrap_or_default();
        println!("  {}: {} (p: {}{loo})", c.label, c.value, p.join(", "));
    }
    for n in &e.numeric {
        let loo = n
            .loo_mae
            .map(|m| format!("; leave-one-out MAE {m:.3}"))
            .unwrap_or_default();
        println!(
            "  {}: {:.3} ± {:.3} (neighbour spread{loo})",
            n.label, n.value, n.uncertainty
        );
    }
    let nearest: Vec<String> = e
        .neighbours
        .iter()
        .zip(&r.nearest_names)
        .map(|(n, name)| format!("{name} ({:.4})", n.distance))
        .collect();
    println!("  nearest: {}", nearest.join(", "));
}

/// One panel per query (see [`nearest_panel`]).
fn plot(
    est: &SimilarityEstimator,
    library: &Library,
    spectra: &[Spectrum],
    results: &[QueryResult],
) -> Result<Figure> {
    let panels = spectra
        .iter()
        .zip(results)
        .map(|(s, r)| {
            let title = format!("{}: nearest library spectra ({})", r.spectrum, r.metric);
            nearest_panel(
                est,
                library.spectra(),
                s,
                &r.estimate,
                &r.spectrum,
                title,
                3,
            )
        })
        .collect::<Result<_>>()?;
    Ok(Figure { panels })
}

/// A panel of `query`, shifted and normalised as the estimator saw it, over its
/// `n_nearest` nearest spectra of `library` (the estimator's library), normalised alike.
///
/// # Errors
/// When the query does not cover the library grid at the estimate's shift, or a
/// normalisation fails.
pub fn nearest_panel(
    est: &SimilarityEstimator,
    library: &SpectraMatrix,
    query: &Spectrum,
    estimate: &Estimate,
    query_name: &str,
    title: String,
    n_nearest: usize,
) -> Result<Panel> {
    let grid = est.energy_ev();
    let q = est
        .query_on_grid(query, estimate.shift_ev)?
        .context("the query does not cover the library grid at its shift")?;
    let mut series = vec![Series::line(
        format!("{query_name}, shifted {:+.1} eV", estimate.shift_ev),
        grid,
        &q,
    )];
    for n in estimate.neighbours.iter().take(n_nearest) {
        let row = library.row(n.index).unwrap_or_default();
        let y = normalize_values(grid, row, est.params().normalization)?;
        series.push(Series::dashed(est.names()[n.index].clone(), grid, &y));
    }
    Ok(Panel {
        title,
        x_label: "energy (eV, library axis)".into(),
        y_label: "normalised intensity".into(),
        series,
        markers: vec![],
    })
}
