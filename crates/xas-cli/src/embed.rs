//! `xas embed`: 2-D (or n-D) maps of sets of spectra by UMAP, PCA, classical MDS or
//! SMACOF, saved models, and placement of new spectra on a saved map.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use xas_core::SpectraMatrix;
use xas_core::grid::uniform_grid;
use xas_core::io::{Format, detect_format, read_spectra_table, write_atomic};
use xas_core::normalize::{Normalization, normalize_values};
use xas_core::resample::{Extrapolation, Interpolation, interpolate};
use xas_manifold::mds::{self, ClassicalMds, Smacof, SmacofParams};
use xas_manifold::pca::{Pca, PcaParams};
use xas_manifold::quality;
use xas_manifold::umap::density::DensMap;
use xas_manifold::umap::{InitUsed, Stage, Umap, UmapModel, UmapParams};
use xas_manifold::{Dissimilarity, Vectors};
use xas_metrics::library::{Library, MAGIC};
use xas_metrics::measures::Metric;

use crate::load::{ColumnArgs, read_spectra};
use crate::map_plot::{MapPlot, groups_by_category, groups_by_value};
use crate::range::colon_numbers;

/// Format tag of saved maps.
const MODEL_FORMAT: &str = "xas-embed-model";
/// Version of the saved-map layout.
const MODEL_VERSION: u32 = 1;
/// Neighbourhood size of the quality measures reported with a map.
const QUALITY_K: usize = 15;
/// Fewest spectra of a map (its quality measures need `k < n / 2` with `k >= 1`).
const MIN_SPECTRA: usize = 3;

/// The method of `xas embed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
pub enum EmbedMethod {
    /// UMAP (umap-learn's defaults).
    Umap,
    /// Principal component analysis (Euclidean).
    Pca,
    /// Classical (Torgerson) multidimensional scaling on any measure.
    Mds,
    /// Metric multidimensional scaling by SMACOF on any measure (started from the
    /// classical map; the summary reports its stress-1).
    Smacof,
}

/// Normalisation of every spectrum before it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
pub enum EmbedNormalization {
    /// Use the values as given.
    None,
    /// Unit trapezoid area over energy.
    Area,
    /// Maximum absolute value 1.
    Max,
    /// Unit Euclidean norm.
    L2,
}

/// Arguments of `xas embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Input: a saved library (`xas library`, given alone), or tables (first column
    /// energy, one column per spectrum, named in the header) and spectrum files (XDI,
    /// Athena, EMSA, two-column text: one spectrum each), joined in order, on one energy
    /// axis or resampled onto `--grid`.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Resample every input spectrum onto this grid, START:STOP:STEP in eV (linear
    /// interpolation; each spectrum must cover it), e.g. to map measured spectra on
    /// different axes. Without it all inputs must share one axis. A saved map
    /// (`--model`) uses its own axis.
    #[arg(long, value_name = "START:STOP:STEP")]
    grid: Option<String>,
    /// Place the input spectra on this saved map instead of fitting a new one (the
    /// map keeps its method, measure, normalisation and parameters).
    #[arg(
        long,
        value_name = "MODEL.json",
        conflicts_with_all = [
            "method",
            "metric",
            "n_neighbors",
            "min_dist",
            "n_components",
            "seed",
            "parallel",
            "densmap",
            "normalization",
            "save_model",
        ]
    )]
    model: Option<PathBuf>,
    /// Method of a new map.
    #[arg(long, value_enum, default_value = "umap")]
    method: EmbedMethod,
    /// Similarity measure (UMAP, MDS and SMACOF; PCA is Euclidean): euclidean, manhattan,
    /// chebyshev, cosine, pearson, spearman, derivative-pearson, kl, js, hellinger, w1,
    /// wcc[:L_EV], dtw[:BAND].
    #[arg(long, default_value = "euclidean")]
    metric: String,
    /// UMAP neighbourhood size, counting the spectrum itself [default: 15].
    #[arg(long)]
    n_neighbors: Option<usize>,
    /// UMAP minimum distance between points of the map [default: 0.1].
    #[arg(long)]
    min_dist: Option<f64>,
    /// Dimension of the map.
    #[arg(long, default_value_t = 2)]
    n_components: usize,
    /// Seed of every random choice of UMAP [default: 42].
    #[arg(long)]
    seed: Option<u64>,
    /// Parallel UMAP optimisation: faster on several cores, not reproducible run to run.
    #[arg(long)]
    parallel: bool,
    /// densMAP (UMAP only): also keep how spread out each spectrum's neighbourhood is,
    /// so that dense and diffuse families keep their relative sizes (umap-learn's
    /// densmap defaults: lambda 2, last 30 % of the epochs, variance shift 0.1). The
    /// summary then reports the correlation of local radii between spectra and map.
    #[arg(long)]
    densmap: bool,
    /// Normalisation of every spectrum before mapping (a saved map keeps its own).
    #[arg(long, value_enum, default_value = "area")]
    normalization: EmbedNormalization,
    /// Label that colours the plot and is reported in the silhouette: a label of a
    /// saved library (`xas library build`, or `xas library from-files --labels` for
    /// measured spectra; tables and spectrum files carry none).
    #[arg(long, value_name = "LABEL")]
    color_by: Option<String>,
    /// Output CSV: name, coordinates, labels.
    #[arg(short, long)]
    output: PathBuf,
    /// Plot of the map (`.svg` or `.png`); with `--model`, the new spectra over the map.
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    plot: Option<PathBuf>,
    /// Save the fitted map for `--model`.
    #[arg(long, value_name = "MODEL.json")]
    save_model: Option<PathBuf>,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// The method-specific part of a saved map.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum MapModel {
    Umap(Box<UmapModel>),
    Pca {
        pca: Pca,
        energy_ev: Vec<f64>,
    },
    Mds {
        mds: ClassicalMds,
        training: Vectors,
    },
    Smacof {
        smacof: Smacof,
        training: Vectors,
    },
}

/// A saved map: the model, the coordinates and labels of the spectra it was fitted
/// on (to draw new spectra over them), and the preprocessing new spectra get.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedMap {
    format: String,
    version: u32,
    normalization: EmbedNormalization,
    names: Vec<String>,
    coords: Vec<f64>,
    dims: usize,
    color_by: Option<String>,
    colors: Option<Colors>,
    model: MapModel,
}

/// Values of the colouring label.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Colors {
    Category(Vec<String>),
    Value(Vec<f64>),
}

/// Summary printed (or written as JSON) after a fit.
#[derive(Debug, Serialize)]
struct FitSummary {
    method: EmbedMethod,
    spectra: usize,
    points: usize,
    metric: String,
    trustworthiness: f64,
    continuity: f64,
    knn_preservation: f64,
    /// Spearman correlation of input and map distances (a sample of pairs).
    shepard_correlation: f64,
    silhouette: Option<f64>,
    /// The initial layout of a UMAP fit (a failed spectral layout names its reason).
    init: Option<InitUsed>,
    /// Kruskal's stress-1 of a SMACOF map, normalised by the dissimilarities.
    stress_1: Option<f64>,
    /// Pearson correlation of the log local radii of spectra and map (densMAP only).
    radius_correlation: Option<f64>,
    k: usize,
    output: String,
}

/// Runs `xas embed`.
///
/// # Errors
/// Unreadable or inconsistent inputs (spectra on different grids, too few spectra for
/// the neighbourhood, non-finite values), unknown labels or measures, failed writes.
pub fn run(args: &EmbedArgs, json: bool) -> Result<()> {
    match &args.model {
        Some(model) => place(args, model, json),
        None => fit(args, json),
    }
}

/// Reads the input spectra as one matrix on one axis: a saved library (given alone,
/// with its labels), or tables and spectrum files whose spectra are joined in order.
fn read_input(args: &EmbedArgs) -> Result<SpectraMatrix> {
    let grid = args
        .grid
        .as_deref()
        .map(|g| {
            let [a, b, c] = colon_numbers("--grid", g, "START:STOP:STEP in eV", "632:662:0.1")?;
            uniform_grid(a, b, c).with_context(|| format!("--grid `{g}`"))
        })
        .transpose()?;
    let mut parts = Vec::with_capacity(args.input.len());
    for path in &args.input {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        if bytes.starts_with(&MAGIC) {
            if args.input.len() > 1 {
                bail!(
                    "{}: a saved library is read on its own; give it as the only --input",
                    path.display()
                );
            }
            let library = Library::from_bytes(&bytes)
                .with_context(|| format!("reading library {}", path.display()))?
                .into_spectra();
            return match &grid {
                Some(grid) => resampled(&library, grid),
                None => Ok(library),
            };
        }
        let part = read_file(path, &bytes, &args.columns)?;
        let part = match &grid {
            Some(grid) => resampled(&part, grid).with_context(|| path.display().to_string())?,
            None => part,
        };
        parts.push((path.as_path(), part));
    }
    join(parts)
}

/// The spectra of `m` on `grid` (linear interpolation), with their names and labels.
fn resampled(m: &SpectraMatrix, grid: &[f64]) -> Result<SpectraMatrix> {
    let rows = onto_axis(m, grid, "--grid")?;
    let mut out = SpectraMatrix::new(grid.to_vec())?;
    for (name, row) in m.names().iter().zip(rows.chunks_exact(grid.len())) {
        out.push_row(name.clone(), row)?;
    }
    for label in m.numeric_label_names() {
        out.set_numeric_label(label, m.numeric_label(label).unwrap_or_default().to_vec())?;
    }
    for label in m.categorical_label_names() {
        out.set_categorical_label(
            label,
            m.categorical_label(label).unwrap_or_default().to_vec(),
        )?;
    }
    Ok(out)
}

/// The spectra of one input file: every column of a plain-text table (first column
/// energy), or the spectra of a spectrum file (XDI, Athena, EMSA: their absorption
/// column, not the detector columns beside it), read with the chosen columns when
/// `--x-column`/`--y-column` are given.
fn read_file(path: &Path, bytes: &[u8], columns: &ColumnArgs) -> Result<SpectraMatrix> {
    let chosen = columns.x_column.is_some() || columns.y_column.is_some();
    let plain = matches!(detect_format(path, bytes), Ok(Format::Columns));
    if plain
        && !chosen
        && let Ok(m) = read_spectra_table(bytes, path)
        && m.n_spectra() > 1
    {
        return Ok(m);
    }
    let (_, spectra) = read_spectra(path, columns)?;
    let mut out: Option<SpectraMatrix> = None;
    for s in spectra {
        let name = s
            .meta
            .label
            .clone()
            .unwrap_or_else(|| path.display().to_string());
        let m = match &mut out {
            Some(m) => m,
            None => out.insert(SpectraMatrix::new(s.energy_ev().to_vec())?),
        };
        check_axis(m.energy_ev(), s.energy_ev(), path)?;
        m.push_row(name, s.intensity())?;
    }
    out.with_context(|| format!("{}: no spectra", path.display()))
}

/// The spectra of all `parts` (with the files they were read from) in one matrix; a
/// name already taken is qualified by its file's name.
fn join(parts: Vec<(&Path, SpectraMatrix)>) -> Result<SpectraMatrix> {
    let mut parts = parts.into_iter();
    let (_, mut m) = parts.next().context("no spectra in the input")?;
    let mut taken: HashSet<String> = m.names().iter().cloned().collect();
    for (path, part) in parts {
        check_axis(m.energy_ev(), part.energy_ev(), path)?;
        for (name, row) in part.names().iter().zip(part.rows()) {
            let name = if taken.contains(name) {
                format!("{}:{name}", path.display())
            } else {
                name.clone()
            };
            m.push_row(name.clone(), row)?;
            taken.insert(name);
        }
    }
    Ok(m)
}

/// An error naming `path` when its axis `axis` differs from the first input's `first`.
fn check_axis(first: &[f64], axis: &[f64], path: &Path) -> Result<()> {
    if first != axis {
        bail!(
            "{}: energy axis differs from the first input's ({} points {:.3}-{:.3} eV vs {} points {:.3}-{:.3} eV); give --grid START:STOP:STEP to resample onto one grid",
            path.display(),
            axis.len(),
            axis[0],
            axis[axis.len() - 1],
            first.len(),
            first[0],
            first[first.len() - 1]
        );
    }
    Ok(())
}

/// The rows of `m`, normalised.
fn normalized_rows(energy: &[f64], rows: &[f64], how: EmbedNormalization) -> Result<Vec<f64>> {
    let method = match how {
        EmbedNormalization::None => return Ok(rows.to_vec()),
        EmbedNormalization::Area => Normalization::Area,
        EmbedNormalization::Max => Normalization::Max,
        EmbedNormalization::L2 => Normalization::L2,
    };
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.chunks_exact(energy.len()).enumerate() {
        out.extend(
            normalize_values(energy, row, method)
                .with_context(|| format!("normalising spectrum {i}"))?,
        );
    }
    Ok(out)
}

/// The colouring label of `m`, if asked for.
fn colors(m: &SpectraMatrix, label: Option<&str>) -> Result<Option<Colors>> {
    let Some(label) = label else { return Ok(None) };
    if let Some(v) = m.categorical_label(label) {
        return Ok(Some(Colors::Category(v.to_vec())));
    }
    if let Some(v) = m.numeric_label(label) {
        return Ok(Some(Colors::Value(v.to_vec())));
    }
    let known: Vec<&str> = m
        .categorical_label_names()
        .chain(m.numeric_label_names())
        .collect();
    if known.is_empty() {
        bail!(
            "--color-by {label}: the input has no labels (only a saved library has; build one with `xas library from-files --labels`)"
        );
    }
    bail!(
        "--color-by {label}: no such label (the input has: {})",
        known.join(", ")
    )
}

fn fit(args: &EmbedArgs, json: bool) -> Result<()> {
    let umap_only = [
        ("--densmap", args.densmap),
        ("--n-neighbors", args.n_neighbors.is_some()),
        ("--min-dist", args.min_dist.is_some()),
        ("--seed", args.seed.is_some()),
        ("--parallel", args.parallel),
    ];
    if args.method != EmbedMethod::Umap
        && let Some((flag, _)) = umap_only.iter().find(|(_, given)| *given)
    {
        bail!("{flag}: needs --method umap, not {:?}", args.method);
    }
    let metric = Metric::from_name(&args.metric).context("--metric")?;
    if args.method == EmbedMethod::Pca && metric != Metric::Euclidean {
        bail!(
            "--metric {metric}: PCA is Euclidean; use --method umap, mds or smacof for other measures"
        );
    }
    let input = read_input(args)?;
    if input.n_spectra() < MIN_SPECTRA {
        bail!(
            "a map needs at least {MIN_SPECTRA} spectra, the input has {}",
            input.n_spectra()
        );
    }
    // Checked before the fit, which can be long.
    let colors = colors(&input, args.color_by.as_deref())?;
    let energy = input.energy_ev().to_vec();
    let rows = normalized_rows(&energy, input.as_slice(), args.normalization)?;
    let vectors = Vectors::new(metric, &energy, &rows).context("input spectra")?;
    let dims = args.n_components;
    // MDS works on all distances (`matrix`); the quality measures then reuse them.
    let (coords, model, matrix) = match args.method {
        EmbedMethod::Umap => {
            let defaults = UmapParams::default();
            let params = UmapParams {
                n_neighbors: args.n_neighbors.unwrap_or(defaults.n_neighbors),
                min_dist: args.min_dist.unwrap_or(defaults.min_dist),
                n_components: dims,
                seed: args.seed.unwrap_or(defaults.seed),
                parallel: args.parallel,
                densmap: args.densmap.then(DensMap::default),
                ..UmapParams::default()
            };
            let model = Umap::fit((&vectors).into(), &params, &mut progress_printer(json))?;
            (
                model.embedding().to_vec(),
                MapModel::Umap(Box::new(model)),
                None,
            )
        }
        EmbedMethod::Pca => {
            let params = PcaParams {
                n_components: dims,
                ..PcaParams::default()
            };
            let pca = Pca::fit(&rows, energy.len(), &params)?;
            (
                pca.transform(&rows)?,
                MapModel::Pca {
                    pca,
                    energy_ev: energy.clone(),
                },
                None,
            )
        }
        EmbedMethod::Mds => {
            let d = vectors.distance_matrix()?;
            let mds = ClassicalMds::fit(&d, dims)?;
            (
                mds.coords().to_vec(),
                MapModel::Mds {
                    mds,
                    training: vectors.clone(),
                },
                Some(d),
            )
        }
        EmbedMethod::Smacof => {
            let d = vectors.distance_matrix()?;
            let params = SmacofParams {
                dims,
                ..SmacofParams::default()
            };
            let smacof = mds::smacof(&d, &params, smacof_progress(json))?;
            (
                smacof.coords().to_vec(),
                MapModel::Smacof {
                    smacof,
                    training: vectors.clone(),
                },
                Some(d),
            )
        }
    };
    let stress_1 = match &model {
        MapModel::Smacof { smacof, .. } => Some(smacof.stress_1()),
        _ => None,
    };
    let init = match &model {
        MapModel::Umap(m) => Some(m.init_used().clone()),
        _ => None,
    };
    if let Some(InitUsed::Random {
        fallback_reason: Some(reason),
    }) = &init
    {
        eprintln!(
            "umap: the spectral initialisation failed ({reason}); started from random coordinates"
        );
    }
    let radius_correlation = match &model {
        MapModel::Umap(m) if args.densmap => Some(m.radius_correlation()?),
        _ => None,
    };
    let k = QUALITY_K
        .min(input.n_spectra().saturating_sub(1) / 2)
        .max(1);
    let labels = colors.as_ref().and_then(category_indices);
    let space = matrix
        .as_ref()
        .map_or(Dissimilarity::Vectors(&vectors), Dissimilarity::Matrix);
    let report = quality::report(
        space,
        &coords,
        dims,
        k,
        labels.as_deref(),
        sample_for(input.n_spectra()),
    )?;
    write_csv(&args.output, input.names(), &coords, dims, &input)?;
    let saved = SavedMap {
        format: MODEL_FORMAT.into(),
        version: MODEL_VERSION,
        normalization: args.normalization,
        names: input.names().to_vec(),
        coords: coords.clone(),
        dims,
        color_by: args.color_by.clone(),
        colors,
        model,
    };
    if let Some(path) = &args.save_model {
        write_atomic(path, serde_json::to_string(&saved)?.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.plot {
        map_plot(&saved, args.method, &[]).save(path)?;
    }
    let summary = FitSummary {
        method: args.method,
        spectra: input.n_spectra(),
        points: energy.len(),
        metric: metric.to_string(),
        trustworthiness: report.trustworthiness,
        continuity: report.continuity,
        knn_preservation: report.knn_preservation,
        shepard_correlation: report.shepard,
        silhouette: report.silhouette,
        init,
        stress_1,
        radius_correlation,
        k,
        output: args.output.display().to_string(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{:?} map of {} spectra x {} points ({}): trustworthiness {:.3}, continuity {:.3}, kNN preservation {:.3} at k = {k}, Shepard correlation {:.3}{}{}{}; written to {}",
            summary.method,
            summary.spectra,
            summary.points,
            summary.metric,
            summary.trustworthiness,
            summary.continuity,
            summary.knn_preservation,
            summary.shepard_correlation,
            summary
                .silhouette
                .map(|s| format!(", silhouette {s:.3}"))
                .unwrap_or_default(),
            summary
                .stress_1
                .map(|v| format!(", stress-1 {v:.3}"))
                .unwrap_or_default(),
            summary
                .radius_correlation
                .map(|r| format!(", local-radius correlation {r:.3} (densMAP)"))
                .unwrap_or_default(),
            summary.output
        );
    }
    Ok(())
}

/// Query-point sampling of the quality measures for large maps.
fn sample_for(n: usize) -> Option<(usize, u64)> {
    (n > 5000).then_some((2000, 0))
}

/// Category indices of a categorical colouring.
fn category_indices(colors: &Colors) -> Option<Vec<usize>> {
    match colors {
        Colors::Category(v) => Some(quality::labels_from_strings(v).0),
        Colors::Value(_) => None,
    }
}

/// Prints the stages of a UMAP fit and every tenth of its epochs on standard error.
fn progress_printer(quiet: bool) -> impl FnMut(Stage, usize, usize) -> ControlFlow<()> {
    move |stage, done, total| {
        let tenth = (total / 10).max(1);
        let show = match stage {
            Stage::Layout => done % tenth == 0 || done == total,
            // NN-descent's iterations, each a pass over all spectra.
            Stage::Neighbors => done > 0,
            _ => done == total,
        };
        if show && !quiet {
            eprintln!("umap: {stage:?} {done}/{total}");
        }
        ControlFlow::Continue(())
    }
}

/// Writes `name, c1..cd` and the labels of `m` as CSV.
fn write_csv(
    path: &Path,
    names: &[String],
    coords: &[f64],
    dims: usize,
    m: &SpectraMatrix,
) -> Result<()> {
    let cat: Vec<&str> = m.categorical_label_names().collect();
    let num: Vec<&str> = m.numeric_label_names().collect();
    let mut text = String::from("name");
    for d in 1..=dims {
        text.push_str(&format!(",c{d}"));
    }
    for l in cat.iter().chain(&num) {
        text.push_str(&format!(",{l}"));
    }
    text.push('\n');
    for (i, name) in names.iter().enumerate() {
        text.push_str(&csv_field(name));
        for c in &coords[i * dims..(i + 1) * dims] {
            text.push_str(&format!(",{c}"));
        }
        for l in &cat {
            let v = m
                .categorical_label(l)
                .map(|v| v[i].as_str())
                .unwrap_or_default();
            text.push_str(&format!(",{}", csv_field(v)));
        }
        for l in &num {
            let v = m.numeric_label(l).map(|v| v[i]).unwrap_or(f64::NAN);
            text.push_str(&format!(",{v}"));
        }
        text.push('\n');
    }
    write_atomic(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// A CSV field, quoted when it holds a comma, quote or newline.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The plot of a saved map with `overlay` (new spectra) over it.
fn map_plot(saved: &SavedMap, method: EmbedMethod, overlay: &[(String, (f64, f64))]) -> MapPlot {
    let dims = saved.dims;
    let points: Vec<(f64, f64)> = saved
        .coords
        .chunks(dims)
        .map(|c| (c[0], c.get(1).copied().unwrap_or(0.0)))
        .collect();
    let label = saved.color_by.clone().unwrap_or_default();
    let groups = match &saved.colors {
        Some(Colors::Category(v)) => groups_by_category(&points, v),
        Some(Colors::Value(v)) => groups_by_value(&points, &label, v),
        None => groups_by_category(&points, &vec!["spectra".to_string(); points.len()]),
    };
    let name = format!("{method:?}").to_uppercase();
    MapPlot {
        title: format!("{name} map of {} spectra", points.len()),
        axes: (format!("{name} 1"), format!("{name} 2")),
        groups,
        overlay: overlay.to_vec(),
    }
}

/// Places the input spectra on a saved map.
fn place(args: &EmbedArgs, model_path: &Path, json: bool) -> Result<()> {
    let text = std::fs::read_to_string(model_path)
        .with_context(|| format!("cannot read {}", model_path.display()))?;
    let saved: SavedMap = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a saved map", model_path.display()))?;
    if saved.format != MODEL_FORMAT || saved.version != MODEL_VERSION {
        bail!(
            "{}: a {} v{} file, expected {MODEL_FORMAT} v{MODEL_VERSION}",
            model_path.display(),
            saved.format,
            saved.version
        );
    }
    if args.grid.is_some() {
        bail!("--grid: a saved map resamples new spectra onto its own axis");
    }
    if args.color_by.is_some() && args.color_by != saved.color_by {
        bail!(
            "--color-by: a saved map keeps the colouring it was fitted with ({}); new spectra are drawn over it",
            saved.color_by.as_deref().unwrap_or("none")
        );
    }
    let input = read_input(args)?;
    let axis = model_axis(&saved.model);
    let rows = onto_axis(&input, axis, "the map's axis")?;
    let rows = normalized_rows(axis, &rows, saved.normalization)?;
    let (coords, method) = match &saved.model {
        MapModel::Umap(m) => (m.transform(&rows)?, EmbedMethod::Umap),
        MapModel::Pca { pca, .. } => (pca.transform(&rows)?, EmbedMethod::Pca),
        MapModel::Mds { mds, training } => (
            place_by_distances(training, &rows, |d| mds.transform(d))?,
            EmbedMethod::Mds,
        ),
        MapModel::Smacof { smacof, training } => (
            place_by_distances(training, &rows, |d| smacof.transform(d))?,
            EmbedMethod::Smacof,
        ),
    };
    write_csv(&args.output, input.names(), &coords, saved.dims, &input)?;
    let overlay: Vec<(String, (f64, f64))> = input
        .names()
        .iter()
        .zip(coords.chunks(saved.dims))
        .map(|(n, c)| (n.clone(), (c[0], c.get(1).copied().unwrap_or(0.0))))
        .collect();
    if let Some(path) = &args.plot {
        map_plot(&saved, method, &overlay).save(path)?;
    }
    if json {
        #[derive(Serialize)]
        struct Placed<'a> {
            name: &'a str,
            coords: &'a [f64],
        }
        let placed: Vec<Placed> = overlay
            .iter()
            .zip(coords.chunks(saved.dims))
            .map(|((n, _), c)| Placed { name: n, coords: c })
            .collect();
        println!("{}", serde_json::to_string_pretty(&placed)?);
    } else {
        for (name, c) in input.names().iter().zip(coords.chunks(saved.dims)) {
            let c: Vec<String> = c.iter().map(|v| format!("{v:.3}")).collect();
            println!("{name}: ({})", c.join(", "));
        }
    }
    Ok(())
}

/// Coordinates of the new spectra `rows` (on the training axis) from their distances
/// to the training spectra, by `transform`.
fn place_by_distances(
    training: &Vectors,
    rows: &[f64],
    transform: impl Fn(&[f64]) -> xas_manifold::Result<Vec<f64>>,
) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for (r, row) in rows.chunks_exact(training.dim()).enumerate() {
        let q = training.prepare_query(&format!("spectrum {r}"), row)?;
        let d: Vec<f64> = (0..training.len())
            .map(|j| training.distance_prepared(&q, j))
            .collect();
        out.extend(transform(&d)?);
    }
    Ok(out)
}

/// Prints every tenth SMACOF iteration on standard error.
fn smacof_progress(quiet: bool) -> impl FnMut(usize, usize) -> ControlFlow<()> {
    move |done, total| {
        if !quiet && done % (total / 10).max(1) == 0 {
            eprintln!("smacof: iteration {done}/{total}");
        }
        ControlFlow::Continue(())
    }
}

/// The energy axis a saved map expects.
fn model_axis(model: &MapModel) -> &[f64] {
    match model {
        MapModel::Umap(m) => m.training().map_or(&[], |t| t.energy_ev()),
        MapModel::Pca { energy_ev, .. } => energy_ev,
        MapModel::Mds { training, .. } | MapModel::Smacof { training, .. } => training.energy_ev(),
    }
}

/// The spectra of `m` on `axis` (named `target` in errors): as they are when the axes
/// agree, else linearly interpolated (an error names the spectrum when it does not
/// cover the axis).
fn onto_axis(m: &SpectraMatrix, axis: &[f64], target: &str) -> Result<Vec<f64>> {
    if m.energy_ev() == axis {
        return Ok(m.as_slice().to_vec());
    }
    let mut out = Vec::with_capacity(m.n_spectra() * axis.len());
    for (name, row) in m.names().iter().zip(m.rows()) {
        out.extend(
            interpolate(
                m.energy_ev(),
                row,
                axis,
                Interpolation::Linear,
                Extrapolation::Error,
            )
            .with_context(|| {
                format!(
                    "spectrum {name} ({:.2}-{:.2} eV) does not cover {target} ({:.2}-{:.2} eV)",
                    m.energy_ev()[0],
                    m.energy_ev()[m.n_points() - 1],
                    axis[0],
                    axis[axis.len() - 1]
                )
            })?,
        );
    }
    Ok(out)
}
