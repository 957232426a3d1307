//! `xas cluster`: noise-aware classification of a spectral image stack into phases
//! (`xas-cluster`), or a k-means baseline; and `xas cluster synth`, seeded synthetic
//! images for benchmarks (written as raw stacks, or classified on the fly with
//! `--stream` so that images too large to store can be measured).
//!
//! Writes to OUT_DIR: `summary.json` (phases with pixel counts, fractions, mean-spectrum
//! files and matched references; the minority list; pixels per second; the noise model),
//! `phase_map.png` (with legend), `phases.csv` (energy, then mean OD and its standard
//! error per phase) and `labels.u16` (row-major little-endian u16 labels, 0 = no phase).

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use xas_cluster::kmeans::{KMeansSettings, kmeans, minibatch_kmeans, standardised_pixels};
use xas_cluster::nexus::NxStxm;
use xas_cluster::stack::{TiffStack, read_values};
use xas_cluster::synth::{SceneSpec, SyntheticImage};
use xas_cluster::{
    CameraNoise, Classification, ClusterSettings, LabelMap, Pass, Progress, Reference, Signal,
    classify_to_map, estimate_noise, minority_report, published_filter,
};
use xas_core::io::{read_spectra_table, write_atomic};
use xas_core::resample::{Extrapolation, Interpolation, interpolate};
use xas_core::{
    ImageShape, RawArrayFile, RawArrayLayout, RawDtype, RawImageFile, RawOrder, SpectralImageSource,
};

use crate::phase_map_plot::PhaseMapPlot;
use crate::plot::{Figure, Panel, Series};
use crate::range::colon_numbers;

/// Arguments of `xas cluster`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ClusterArgs {
    #[command(subcommand)]
    command: Option<ClusterCommand>,
    #[command(flatten)]
    classify: ClassifyArgs,
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Generate a seeded synthetic image (mixture continuum, grains, minority discs,
    /// camera noise) as a raw stack, or classify it on the fly with --stream.
    Synth(SynthArgs),
}

/// What the pixel values are.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SignalArg {
    /// Transmitted counts (OD = ln(I0/I)).
    Counts,
    /// Optical density already.
    Od,
}

/// Spatial filter after classification.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FilterArg {
    /// Relabel a pixel to its neighbours' phase only if that phase explains its spectrum.
    Noise,
    /// The published 5 x 5 / >= 23 rule with refill (for comparison).
    Published,
    /// None.
    None,
}

/// Axis order of a headerless array.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OrderArg {
    /// (energy, y, x): one image per energy.
    Frames,
    /// (y, x, energy): one spectrum per pixel.
    Pixels,
}

/// Parses `HEIGHTxWIDTHxENERGIES`.
fn parse_shape(s: &str) -> Result<ImageShape, String> {
    let dims: Vec<usize> = s
        .split(['x', 'X', ','])
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{s:?}: {e}"))?;
    match dims[..] {
        [height, width, n_energies] => Ok(ImageShape {
            height,
            width,
            n_energies,
        }),
        _ => Err(format!("{s:?} is not HEIGHTxWIDTHxENERGIES")),
    }
}

/// Baseline clusterings.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BaselineArg {
    /// k-means++ and Lloyd iterations on standardised spectra.
    Kmeans,
    /// Mini-batch k-means (batches of 4096).
    Minibatch,
}

/// Arguments of the classification.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Image stack: multi-page TIFF (one page per energy; needs --energies), NXstxm
    /// HDF5 (.h5, .nxs: energies and I0 from the file), a raw stack written by
    /// `xas cluster synth`, or any headerless array with --shape.
    #[arg(long)]
    stack: Option<PathBuf>,
    /// Energies (eV) of a TIFF stack, one per page (the last column of a columns file).
    #[arg(long)]
    energies: Option<PathBuf>,
    /// Stack dataset inside an NXstxm file (default: the first NXdata group's `data`).
    #[arg(long)]
    dataset: Option<String>,
    /// Read the stack as a headerless little-endian array of this shape,
    /// `HEIGHTxWIDTHxENERGIES` (needs --energies).
    #[arg(long, value_parser = parse_shape)]
    shape: Option<ImageShape>,
    /// Sample type of a headerless array: u16, u32, f32 or f64.
    #[arg(long, default_value = "f32", requires = "shape")]
    dtype: RawDtype,
    /// Axis order of a headerless array.
    #[arg(long, value_enum, default_value = "frames", requires = "shape")]
    order: OrderArg,
    /// Bytes to skip before a headerless array.
    #[arg(long, default_value_t = 0, requires = "shape")]
    header_bytes: u64,
    /// What the pixel values are.
    #[arg(long, value_enum, default_value = "counts")]
    signal: SignalArg,
    /// Incident intensity I0 per energy (the last column of a columns file); an NXstxm
    /// file's own I0 is used when neither this nor --i0-counts is given.
    #[arg(long, conflicts_with = "i0_counts")]
    i0: Option<PathBuf>,
    /// Incident counts, the same at every energy.
    #[arg(long)]
    i0_counts: Option<f64>,
    /// Reference spectra as a table: energy, then one named column per reference.
    #[arg(long)]
    library: Option<PathBuf>,
    /// One reference spectrum per file (energy, value), named after the file.
    #[arg(long)]
    reference: Vec<PathBuf>,
    /// Noise model: `auto` (estimated from neighbouring pixels) or `GAIN:OFFSET`
    /// (variance = GAIN x counts + OFFSET).
    #[arg(long, default_value = "auto")]
    noise: String,
    /// Probability that noise alone splits a pixel from its own spectrum.
    #[arg(long, default_value_t = 1e-4)]
    split_probability: f64,
    /// Pixels a discovered site needs before it counts.
    #[arg(long, default_value_t = 20)]
    min_support: usize,
    /// Survey every N-th row for site discovery (1 = all rows).
    #[arg(long, default_value_t = 1)]
    survey_stride: usize,
    /// Spatial filter.
    #[arg(long, value_enum, default_value = "noise")]
    filter: FilterArg,
    /// Phases below this fraction of the image are listed as minorities with their regions.
    #[arg(long, default_value_t = 0.001)]
    min_fraction: f64,
    /// Run a baseline clustering instead (needs --k; the classifier's options do not
    /// apply to it).
    #[arg(
        long,
        value_enum,
        requires = "k",
        conflicts_with_all = [
            "library",
            "reference",
            "noise",
            "split_probability",
            "min_support",
            "survey_stride",
            "filter",
            "min_fraction",
        ]
    )]
    baseline: Option<BaselineArg>,
    /// Number of clusters of the baseline.
    #[arg(long, requires = "baseline")]
    k: Option<usize>,
    /// Seed of the baseline.
    #[arg(long, default_value_t = 1, requires = "baseline")]
    seed: u64,
    /// Output folder.
    #[arg(short = 'o', long)]
    out: Option<PathBuf>,
}

/// Arguments of `xas cluster synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Pixel columns.
    #[arg(long, default_value_t = 1000)]
    width: usize,
    /// Pixel rows.
    #[arg(long, default_value_t = 1000)]
    height: usize,
    /// Energies, spread over the Fe L2,3 edges (700-730 eV).
    #[arg(long, default_value_t = 100)]
    energies: usize,
    /// Mean area fraction of the minority discs.
    #[arg(long, default_value_t = 0.005)]
    minority: f64,
    /// Incident counts per pixel and energy (27000 normal dose, 2700 low dose).
    #[arg(long, default_value_t = 27_000.0)]
    dose: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Classify the image as it is generated instead of writing it (bounded memory;
    /// reports pixels per second).
    #[arg(long)]
    stream: bool,
    /// Survey every N-th row for site discovery with --stream.
    #[arg(long, default_value_t = 1, requires = "stream")]
    survey_stride: usize,
    /// Raw stack to write, or with --stream the output folder of the classification.
    #[arg(short = 'o', long)]
    out: PathBuf,
}

/// Runs `xas cluster`.
///
/// # Errors
/// Unreadable inputs, inconsistent energies or I0, bad options, failed writes.
pub fn run(args: &ClusterArgs, json_out: bool) -> Result<()> {
    match &args.command {
        Some(ClusterCommand::Synth(s)) => synth(s, json_out),
        None => classify_stack(&args.classify, json_out),
    }
}

/// A stack reader, with the incident intensity when the file records one.
type Stack = (Box<dyn SpectralImageSource>, Option<Vec<f64>>);

fn open_stack(args: &ClassifyArgs, path: &Path) -> Result<Stack> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let energies = |what: &str| -> Result<Vec<f64>> {
        let file = args
            .energies
            .as_deref()
            .with_context(|| format!("{what} needs --energies (one energy per image)"))?;
        Ok(read_values(file)?)
    };
    let nexus =
        matches!(ext.as_deref(), Some("h5" | "hdf5" | "nxs" | "hdf")) && args.shape.is_none();
    if nexus && args.energies.is_some() {
        bail!(
            "--energies: an NXstxm file ({}) carries its own energies",
            path.display()
        );
    }
    if !nexus && args.dataset.is_some() {
        bail!(
            "--dataset: applies to NXstxm stacks (.h5, .nxs), not {}",
            path.display()
        );
    }
    if let Some(shape) = args.shape {
        let layout = RawArrayLayout {
            shape,
            dtype: args.dtype,
            order: match args.order {
                OrderArg::Frames => RawOrder::FrameSequential,
                OrderArg::Pixels => RawOrder::PixelInterleaved,
            },
            header_bytes: args.header_bytes,
        };
        let e = energies("a headerless array")?;
        return Ok((Box::new(RawArrayFile::open(path, layout, e)?), None));
    }
    match ext.as_deref() {
        Some("tif" | "tiff") => Ok((
            Box::new(TiffStack::open(path, energies("a TIFF stack")?)?),
            None,
        )),
        Some("h5" | "hdf5" | "nxs" | "hdf") => {
            let stack = NxStxm::open(path, args.dataset.as_deref())?;
            let i0 = stack.i0().map(<[f64]>::to_vec);
            Ok((Box::new(stack), i0))
        }
        _ => Ok((
            Box::new(RawImageFile::open(path).with_context(|| {
                format!(
                    "{}: neither a TIFF (.tif), an NXstxm file (.h5) nor a raw stack",
                    path.display()
                )
            })?),
            None,
        )),
    }
}

fn signal_of(args: &ClassifyArgs, n_energies: usize, file_i0: Option<Vec<f64>>) -> Result<Signal> {
    let i0 = match (&args.i0, args.i0_counts, file_i0) {
        (Some(path), _, _) => read_values(path)?,
        (None, Some(c), _) => vec![c; n_energies],
        (None, None, Some(i0)) => i0,
        (None, None, None) => bail!("give the incident intensity: --i0 FILE or --i0-counts N"),
    };
    if i0.len() != n_energies {
        bail!(
            "--i0 has {} values but the stack has {n_energies} energies",
            i0.len()
        );
    }
    let signal = match args.signal {
        SignalArg::Counts => Signal::Counts { i0 },
        SignalArg::Od => Signal::OpticalDensity { i0 },
    };
    signal.validate(n_energies)?;
    Ok(signal)
}

/// References from `--library` and `--reference`, interpolated onto `grid`.
fn references_of(args: &ClassifyArgs, grid: &[f64]) -> Result<Vec<Reference>> {
    let on_grid = |e: &[f64], v: &[f64], what: &str| {
        interpolate(e, v, grid, Interpolation::Linear, Extrapolation::Error).with_context(|| {
            format!(
                "{what} does not cover the stack's energies {:.2}-{:.2} eV",
                grid[0],
                grid[grid.len() - 1]
            )
        })
    };
    let mut refs = Vec::new();
    if let Some(path) = &args.library {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let table = read_spectra_table(&bytes, path)?;
        for (name, row) in table.names().iter().zip(table.rows()) {
            refs.push(Reference {
                name: name.clone(),
                spectrum: on_grid(table.energy_ev(), row, &format!("library column `{name}`"))?,
            });
        }
    }
    for path in &args.reference {
        let rows = xas_cluster::stack::read_columns(path)?;
        if rows[0].len() < 2 {
            bail!(
                "{}: a reference file needs two columns (energy, value)",
                path.display()
            );
        }
        let e: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let v: Vec<f64> = rows.iter().map(|r| r[r.len() - 1]).collect();
        let name = path
            .file_stem()
            .map_or("reference".into(), |s| s.to_string_lossy().into_owned());
        refs.push(Reference {
            spectrum: on_grid(&e, &v, &path.display().to_string())?,
            name,
        });
    }
    Ok(refs)
}

fn noise_of(
    text: &str,
    source: &mut dyn SpectralImageSource,
    signal: &Signal,
) -> Result<(CameraNoise, &'static str)> {
    if text == "auto" {
        let est = estimate_noise(source, signal, 500_000)
            .context("estimating the noise (give --noise GAIN:OFFSET instead)")?;
        return Ok((est.noise, "estimated from neighbouring pixels"));
    }
    let [g, c] = colon_numbers::<2>("--noise", text, "auto or GAIN:OFFSET", "9.3131:-63.003")?;
    Ok((CameraNoise::new(g, c)?, "given"))
}

/// Progress on standard error (one line per tenth of a pass) with Ctrl-C to stop.
fn progress_printer(quiet: bool) -> impl FnMut(Progress) -> ControlFlow<()> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed (tests); the run is then uninterruptible.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let mut last = (Pass::Survey, usize::MAX);
    move |p: Progress| {
        let tenth = 10 * p.rows_done / p.rows_total.max(1);
        if !quiet && (p.pass, tenth) != last {
            eprintln!(
                "{:?}: {}/{} rows, {} sites",
                p.pass, p.rows_done, p.rows_total, p.sites
            );
            last = (p.pass, tenth);
        }
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

fn classify_stack(args: &ClassifyArgs, json_out: bool) -> Result<()> {
    let stack = args.stack.as_deref().context("--stack FILE is required")?;
    let out = args.out.as_deref().context("-o OUT_DIR is required")?;
    let (mut source, file_i0) = open_stack(args, stack)?;
    let grid = source.energy_ev().to_vec();
    let signal = signal_of(args, grid.len(), file_i0)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    if let (Some(b), Some(k)) = (args.baseline, args.k) {
        return run_baseline(source.as_mut(), &signal, b, k, args.seed, out, json_out);
    }
    let references = references_of(args, &grid)?;
    let (noise, noise_source) = noise_of(&args.noise, source.as_mut(), &signal)?;
    let settings = ClusterSettings {
        split_probability: args.split_probability,
        min_support: args.min_support,
        survey_stride: args.survey_stride,
        spatial_filter: args.filter == FilterArg::Noise,
        ..ClusterSettings::default()
    };
    let t = Instant::now();
    let (result, mut map) = classify_to_map(
        source.as_mut(),
        &signal,
        noise,
        &references,
        &settings,
        &mut progress_printer(json_out),
    )?;
    let seconds = t.elapsed().as_secs_f64();
    if args.filter == FilterArg::Published {
        map = published_filter(&map, 5, 2);
    }
    let summary = write_outputs(
        &result,
        &map,
        &grid,
        &references,
        args.min_fraction,
        seconds,
        out,
    )?;
    let summary = with_noise(summary, noise, noise_source);
    finish(&summary, out, json_out)
}

fn with_noise(mut summary: Value, noise: CameraNoise, how: &str) -> Value {
    summary["noise"] = json!({"gain": noise.gain, "offset": noise.offset, "model": "variance = gain * counts + offset", "source": how});
    summary
}

fn finish(summary: &Value, out: &Path, json_out: bool) -> Result<()> {
    write_atomic(
        &out.join("summary.json"),
        serde_json::to_string_pretty(summary)?.as_bytes(),
    )?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(summary)?);
    } else {
        print_text(summary);
    }
    Ok(())
}

fn print_text(summary: &Value) {
    println!(
        "{} phases, {} sites ({} discovered), {:.3} Mpixel/s",
        summary["phases"].as_array().map_or(0, Vec::len),
        summary["sites"],
        summary["discovered_sites"],
        summary["pixels_per_second"].as_f64().unwrap_or(0.0) / 1e6
    );
    for p in summary["phases"].as_array().into_iter().flatten() {
        println!(
            "  phase {:>2}: {:>10} px ({:>7.3} %){}",
            p["id"],
            p["pixels"],
            100.0 * p["fraction"].as_f64().unwrap_or(0.0),
            p["reference"]
                .as_str()
                .map_or(String::new(), |r| format!(", reference {r}"))
        );
    }
    for m in summary["minority"].as_array().into_iter().flatten() {
        println!(
            "  minority phase {} in {} regions",
            m["id"],
            m["regions"].as_array().map_or(0, Vec::len)
        );
    }
}

/// Mean optical density of every phase, with the references (dashed) scaled onto the
/// phase they name by least squares (`a·ref + b`), so that shapes can be compared.
fn spectra_figure(result: &Classification, grid: &[f64], references: &[Reference]) -> Figure {
    let mut series = Vec::new();
    for p in &result.phases {
        series.push(Series::line(format!("phase {}", p.id), grid, &p.mean_od));
        if let Some(r) = references
            .iter()
            .find(|r| Some(&r.name) == p.reference.as_ref())
        {
            series.push(Series::dashed(
                format!("{} (scaled)", r.name),
                grid,
                &affine_fit(&r.spectrum, &p.mean_od),
            ));
        }
    }
    Figure {
        panels: vec![Panel {
            title: "Mean spectrum of each phase".into(),
            x_label: "energy (eV)".into(),
            y_label: "optical density".into(),
            series,
            markers: Vec::new(),
        }],
    }
}

/// `a·x + b` fitted to `y` by least squares.
fn affine_fit(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let a = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    x.iter().map(|v| my + a * (v - mx)).collect()
}

/// Writes the map, the phase spectra and the labels; returns the summary.
fn write_outputs(
    result: &Classification,
    map: &LabelMap,
    grid: &[f64],
    references: &[Reference],
    min_fraction: f64,
    seconds: f64,
    out: &Path,
) -> Result<Value> {
    let names: Vec<String> = result
        .phases
        .iter()
        .map(|p| {
            format!(
                "phase {} ({:.2} %){}",
                p.id,
                100.0 * p.fraction,
                p.reference
                    .as_ref()
                    .map_or(String::new(), |r| format!(" {r}"))
            )
        })
        .collect();
    PhaseMapPlot {
        title: "Phases".into(),
        width: map.width,
        height: map.height,
        labels: &map.labels,
        names,
    }
    .save(&out.join("phase_map.png"))?;
    spectra_figure(result, grid, references).save(&out.join("phase_spectra.svg"))?;
    let mut csv = String::from("energy_ev");
    for p in &result.phases {
        csv.push_str(&format!(",phase{}_mean_od,phase{}_sem_od", p.id, p.id));
    }
    csv.push('\n');
    for (k, e) in grid.iter().enumerate() {
        csv.push_str(&format!("{e}"));
        for p in &result.phases {
            csv.push_str(&format!(",{},{}", p.mean_od[k], p.sem_od[k]));
        }
        csv.push('\n');
    }
    write_atomic(&out.join("phases.csv"), csv.as_bytes())?;
    let bytes: Vec<u8> = map.labels.iter().flat_map(|l| l.to_le_bytes()).collect();
    write_atomic(&out.join("labels.u16"), &bytes)?;
    let counts = map.counts(result.phases.len() as u16);
    let total = map.labels.len().max(1) as f64;
    let minority: Vec<Value> = minority_report(result, map, min_fraction, 50)
        .into_iter()
        .map(|(id, fraction, regions)| json!({"id": id, "fraction": fraction, "regions": regions}))
        .collect();
    Ok(json!({
        "shape": {"height": map.height, "width": map.width, "energies": grid.len()},
        "phases": result.phases.iter().map(|p| json!({
            "id": p.id,
            "pixels": counts[usize::from(p.id)],
            "fraction": counts[usize::from(p.id)] as f64 / total,
            "mean_spectrum": {"file": "phases.csv", "columns": [format!("phase{}_mean_od", p.id), format!("phase{}_sem_od", p.id)]},
            "reference": p.reference,
            "nearest_reference": p.nearest_reference.as_ref().map(|(n, r)| json!({"name": n, "pearson_r": r})),
            "sites": p.sites,
            "bbox": p.bbox,
        })).collect::<Vec<_>>(),
        "no_phase_pixels": counts[0],
        "sites": result.sites,
        "discovered_sites": result.discovered_sites,
        "unexplained_pixels": result.unexplained_pixels,
        "filtered_pixels": result.filtered_pixels,
        "minority": minority,
        "min_fraction": min_fraction,
        "seconds": seconds,
        "pixels_per_second": total / seconds.max(1e-9),
        "labels": {"file": "labels.u16", "layout": "row-major little-endian u16, 0 = no phase"},
    }))
}

fn run_baseline(
    source: &mut dyn SpectralImageSource,
    signal: &Signal,
    b: BaselineArg,
    k: usize,
    seed: u64,
    out: &Path,
    json_out: bool,
) -> Result<()> {
    let shape = source.shape();
    let t = Instant::now();
    let data = standardised_pixels(source, signal)?;
    let settings = KMeansSettings {
        seed,
        ..KMeansSettings::new(k)
    };
    let l = shape.n_energies;
    let model = match b {
        BaselineArg::Kmeans => kmeans(&data, l, &settings)?,
        BaselineArg::Minibatch => minibatch_kmeans(&data, l, &settings)?,
    };
    let labels = model.predict(&data);
    let seconds = t.elapsed().as_secs_f64();
    let map = LabelMap {
        width: shape.width,
        height: shape.height,
        labels,
    };
    let names = (1..=k).map(|c| format!("cluster {c}")).collect();
    PhaseMapPlot {
        title: format!("{b:?} k = {k}"),
        width: map.width,
        height: map.height,
        labels: &map.labels,
        names,
    }
    .save(&out.join("phase_map.png"))?;
    let bytes: Vec<u8> = map.labels.iter().flat_map(|l| l.to_le_bytes()).collect();
    write_atomic(&out.join("labels.u16"), &bytes)?;
    let counts = map.counts(k as u16);
    let summary = json!({
        "baseline": format!("{b:?}").to_lowercase(),
        "k": k,
        "iterations": model.iterations,
        "clusters": (1..=k).map(|c| json!({"id": c, "pixels": counts[c]})).collect::<Vec<_>>(),
        "seconds": seconds,
        "pixels_per_second": map.labels.len() as f64 / seconds.max(1e-9),
    });
    write_atomic(
        &out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{b:?} k = {k}: {} iterations, {:.2} s",
            model.iterations, seconds
        );
    }
    Ok(())
}

/// Fe L2,3 end members from the crystal-field multiplet model on `n` energies over
/// 700-730 eV: A = Fe2+ (10Dq 1.0 eV), B = Fe3+ (1.5 eV), grains Fe3+ (0.5 eV),
/// minority low-spin Fe2+ (2.5 eV); each scaled to a maximum of 1.
pub fn fe_end_members(n: usize) -> Result<(Vec<f64>, [Vec<f64>; 4])> {
    use crate::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
    if n < 10 {
        bail!("--energies {n}: at least 10 are needed");
    }
    let grid: Vec<f64> = (0..n)
        .map(|i| 700.0 + 30.0 * i as f64 / (n - 1) as f64)
        .collect();
    let spectrum = |valence: usize, tendq: f64| -> Result<Vec<f64>> {
        let spec = MultipletLibrarySpec {
            element: "Fe".into(),
            valences: vec![valence],
            tendq_ev: vec![tendq],
            grid_ev: Some(grid.clone()),
            ..MultipletLibrarySpec::mn_seed()
        };
        let m = build_multiplet_library(&spec, |_, _| ControlFlow::Continue(()))?;
        let row = m.row(0).context("empty simulation")?;
        let max = row.iter().copied().fold(f64::MIN, f64::max);
        Ok(row.iter().map(|v| v / max).collect())
    };
    let ends = [
        spectrum(2, 1.0)?,
        spectrum(3, 1.5)?,
        spectrum(3, 0.5)?,
        spectrum(2, 2.5)?,
    ];
    Ok((grid, ends))
}

fn synth(args: &SynthArgs, json_out: bool) -> Result<()> {
    let (grid, ends) = fe_end_members(args.energies)?;
    let mut spec = SceneSpec::new(args.width, args.height, grid.clone(), ends, args.seed);
    spec.minority_fraction = args.minority;
    spec.i0_counts = args.dose;
    let noise = spec.noise;
    let mut image = SyntheticImage::new(spec)?;
    if !args.stream {
        let t = Instant::now();
        xas_core::image::write_raw_image(
            &mut image,
            &args.out,
            xas_core::image::RawSample::F32,
            16,
        )?;
        let summary = json!({"file": args.out, "height": args.height, "width": args.width, "energies": grid.len(),
            "i0_counts": args.dose, "noise": {"gain": noise.gain, "offset": noise.offset}, "seconds": t.elapsed().as_secs_f64()});
        if json_out {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            println!(
                "wrote {} ({} x {} x {}); classify with --i0-counts {} --noise {}:{}",
                args.out.display(),
                args.height,
                args.width,
                grid.len(),
                args.dose,
                noise.gain,
                noise.offset
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let settings = ClusterSettings {
        survey_stride: args.survey_stride,
        ..ClusterSettings::default()
    };
    let t = Instant::now();
    let (result, score) = image.classify_scored(&settings, &mut progress_printer(json_out))?;
    let seconds = t.elapsed().as_secs_f64();
    let pixels = (args.width * args.height) as f64;
    let summary = json!({
        "height": args.height, "width": args.width, "energies": grid.len(), "i0_counts": args.dose,
        "phases": result.phases.len(), "sites": result.sites,
        "minority_recall": score.recall,
        "minority_precision": score.precision,
        "seconds": seconds, "pixels_per_second": pixels / seconds,
        "note": "seconds include generating the image on the fly",
    });
    write_atomic(
        &args.out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let mut o = std::io::stdout().lock();
        writeln!(
            o,
            "{} x {} x {}: {} phases, minority recall {:.3} precision {:.3}, {:.2} Mpixel/s (generation included)",
            args.height,
            args.width,
            grid.len(),
            result.phases.len(),
            score.recall,
            score.precision,
            pixels / seconds / 1e6
        )?;
    }
    Ok(())
}
