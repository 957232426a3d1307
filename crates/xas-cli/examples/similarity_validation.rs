//! Regenerates the robustness tables and figures of `docs/validation/similarity.md`:
//! `cargo run --release -p xas-cli --example similarity_validation`.
//!
//! The seed study's Mn L2,3 library (Mn2+/3+/4+, 10Dq 0-2.5 eV in 0.1 eV steps) is
//! simulated on a grid wider than the library's, so that perturbed copies of every
//! spectrum can be shifted in energy and still cover the library range. For every
//! measure, `k` and the vote weighting are chosen by leave-one-out on the clean
//! library; then every library spectrum, perturbed, is estimated against the library
//! without its own clean original (valence: fraction correct; 10Dq: mean absolute
//! error in eV).
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use xas_cli::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use xas_cli::plot::{Figure, Panel, Series};
use xas_core::convolve::gaussian_broaden;
use xas_core::grid::uniform_grid;
use xas_core::noise::{NoiseModel, add_noise};
use xas_core::{SpectraMatrix, Spectrum};
use xas_metrics::estimate::{EstimatorParams, SimilarityEstimator};
use xas_metrics::measures::Metric;

/// Library grid (eV) and the wider grid the queries are simulated on.
const LIBRARY: (f64, f64) = (632.0, 662.0);
const WIDE: (f64, f64) = (626.0, 668.0);
const STEP: f64 = 0.1;
/// Noise and offset draws per spectrum.
const REPEATS: u64 = 5;

/// A perturbation of the query spectra.
#[derive(Clone, Copy)]
enum Perturbation {
    Clean,
    Noise {
        snr: f64,
    },
    Resolution {
        fwhm_ev: f64,
    },
    /// Uniform random offset in `[-max, max]` eV, optionally with a shift search.
    Offset {
        max_ev: f64,
        search: bool,
    },
}

impl Perturbation {
    fn label(&self) -> String {
        match self {
            Perturbation::Clean => "clean".into(),
            Perturbation::Noise { snr } => format!("SNR {snr}"),
            Perturbation::Resolution { fwhm_ev } => format!("+Gauss {fwhm_ev} eV"),
            Perturbation::Offset { max_ev, search } => {
                format!("±{max_ev} eV{}", if *search { " + search" } else { "" })
            }
        }
    }

    fn repeats(&self) -> u64 {
        match self {
            Perturbation::Clean | Perturbation::Resolution { .. } => 1,
            _ => REPEATS,
        }
    }

    fn apply(&self, s: &Spectrum, seed: u64) -> Spectrum {
        match *self {
            Perturbation::Clean => s.clone(),
            Perturbation::Noise { snr } => {
                add_noise(s, NoiseModel::GaussianSnr { snr }, seed).unwrap()
            }
            Perturbation::Resolution { fwhm_ev } => s
                .with_intensity(gaussian_broaden(s.energy_ev(), s.intensity(), fwhm_ev).unwrap())
                .unwrap(),
            Perturbation::Offset { max_ev, .. } => {
                s.shifted(max_ev * (2.0 * uniform(seed) - 1.0)).unwrap()
            }
        }
    }
}

/// A uniform number in [0, 1) from a seed (SplitMix64).
fn uniform(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / 2f64.powi(64)
}

/// Valence accuracy and 10Dq mean absolute error (eV).
#[derive(Clone, Copy, Default)]
struct Score {
    accuracy: f64,
    mae_ev: f64,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn evaluate(est: &SimilarityEstimator, wide: &SpectraMatrix, perturbation: Perturbation) -> Score {
    let valence = wide.categorical_label("valence").unwrap();
    let tendq = wide.numeric_label("tendq_ev").unwrap();
    let (mut correct, mut abs_err, mut count) = (0usize, 0.0, 0usize);
    for i in 0..wide.n_spectra() {
        let clean = wide.spectrum(i).unwrap();
        for r in 0..perturbation.repeats() {
            let query = perturbation.apply(&clean, 1000 * i as u64 + r);
            let e = est.estimate_without(&query, &[i]).unwrap();
            correct += usize::from(e.categorical[0].value == valence[i]);
            abs_err += (e.numeric[0].value - tendq[i]).abs();
            count += 1;
        }
    }
    Score {
        accuracy: correct as f64 / count as f64,
        mae_ev: abs_err / count as f64,
    }
}

fn estimator(library: &SpectraMatrix, metric: Metric, search: bool) -> SimilarityEstimator {
    let params = EstimatorParams {
        metric,
        shift_search_ev: search.then_some((-2.0, 2.0, STEP)),
        ..EstimatorParams::default()
    };
    let mut est = SimilarityEstimator::new(library, params).unwrap();
    est.tune_default(&[1, 2, 3, 4, 6]).unwrap();
    est
}

/// One figure per family of conditions: valence accuracy and 10Dq error per measure.
fn figure(name: &str, x_label: &str, xs: &[f64], rows: &[(String, Vec<Score>)]) {
    let series = |f: fn(&Score) -> f64| -> Vec<Series> {
        rows.iter()
            .enumerate()
            .map(|(k, (metric, scores))| {
                let y: Vec<f64> = scores.iter().map(f).collect();
                if k < 7 {
                    Series::line(metric.clone(), xs, &y)
                } else {
                    Series::dashed(metric.clone(), xs, &y)
                }
            })
            .collect()
    };
    let fig = Figure {
        panels: vec![
            Panel {
                title: format!("Mn L2,3 library, leave-one-out: valence ({name})"),
                x_label: x_label.into(),
                y_label: "valence accuracy".into(),
                series: series(|s| s.accuracy),
                markers: vec![],
            },
            Panel {
                title: format!("10Dq ({name})"),
                x_label: x_label.into(),
                y_label: "10Dq mean absolute error (eV)".into(),
                series: series(|s| s.mae_ev),
                markers: vec![],
            },
        ],
    };
    let dir = root().join("docs/validation/figures");
    for ext in ["svg", "png"] {
        fig.save(&dir.join(format!("similarity_{name}.{ext}")))
            .unwrap();
    }
}

fn main() {
    let t = Instant::now();
    let spec = MultipletLibrarySpec {
        grid_ev: Some(uniform_grid(WIDE.0, WIDE.1, STEP).unwrap()),
        ..MultipletLibrarySpec::mn_seed()
    };
    let wide = build_multiplet_library(&spec, |_, _| std::ops::ControlFlow::Continue(())).unwrap();
    // Half a step of slack: the wide grid's points are computed, not typed.
    let library = wide
        .window(LIBRARY.0 - STEP / 2.0, LIBRARY.1 + STEP / 2.0)
        .unwrap();
    assert_eq!(library.n_points(), 301);
    eprintln!(
        "library: {} spectra x {} points in {:.1} s",
        library.n_spectra(),
        library.n_points(),
        t.elapsed().as_secs_f64()
    );

    let noise = [100.0, 30.0, 10.0, 3.0].map(|snr| Perturbation::Noise { snr });
    let resolution = [0.2, 0.5, 1.0].map(|fwhm_ev| Perturbation::Resolution { fwhm_ev });
    let offsets = [0.25, 0.5, 1.0, 2.0].map(|max_ev| Perturbation::Offset {
        max_ev,
        search: false,
    });
    let columns: Vec<Perturbation> = std::iter::once(Perturbation::Clean)
        .chain(noise)
        .chain(resolution)
        .chain(offsets)
        .chain([Perturbation::Offset {
            max_ev: 1.0,
            search: true,
        }])
        .collect();

    let mut rows: Vec<(String, String, Vec<Score>)> = Vec::new();
    for metric in Metric::ALL_DEFAULT {
        let t = Instant::now();
        let plain = estimator(&library, metric, false);
        let searching = estimator(&library, metric, true);
        let scores: Vec<Score> = columns
            .iter()
            .map(|&p| {
                let est = match p {
                    Perturbation::Offset { search: true, .. } => &searching,
                    _ => &plain,
                };
                let t = Instant::now();
                let r = evaluate(est, &wide, p);
                if std::env::var("XAS_TIMING").is_ok() {
                    eprintln!(
                        "  {} {} {:.2} s",
                        metric.name(),
                        p.label(),
                        t.elapsed().as_secs_f64()
                    );
                }
                r
            })
            .collect();
        let chosen = format!(
            "k = {}, {}",
            plain.params().k,
            plain.params().weighting.describe()
        );
        eprintln!(
            "{:<20} {chosen} ({:.1} s)",
            metric.name(),
            t.elapsed().as_secs_f64()
        );
        rows.push((metric.name().to_string(), chosen, scores));
    }

    let header: Vec<String> = columns.iter().map(Perturbation::label).collect();
    for (title, pick) in [
        (
            "Valence accuracy",
            (|s: &Score| format!("{:.2}", s.accuracy)) as fn(&Score) -> String,
        ),
        ("10Dq mean absolute error (eV)", |s: &Score| {
            format!("{:.3}", s.mae_ev)
        }),
    ] {
        println!("\n### {title}\n");
        println!("| measure | {} |", header.join(" | "));
        println!("|---|{}", "---|".repeat(header.len()));
        for (name, _, scores) in &rows {
            let cells: Vec<String> = scores.iter().map(pick).collect();
            println!("| {name} | {} |", cells.join(" | "));
        }
    }
    println!("\n### Choice of k and weighting (leave-one-out on the clean library)\n");
    println!("| measure | choice |\n|---|---|");
    for (name, chosen, _) in &rows {
        println!("| {name} | {chosen} |");
    }

    let pick = |range: std::ops::Range<usize>| -> Vec<(String, Vec<Score>)> {
        rows.iter()
            .map(|(n, _, s)| (n.clone(), s[range.clone()].to_vec()))
            .collect()
    };
    let with_clean = |range: std::ops::Range<usize>| -> Vec<(String, Vec<Score>)> {
        pick(range)
            .into_iter()
            .zip(&rows)
            .map(|((n, mut s), (_, _, all))| {
                s.insert(0, all[0]);
                (n, s)
            })
            .collect()
    };
    figure(
        "noise",
        "log10 SNR (peak / noise sigma; 4 = noise-free)",
        &[4.0, 2.0, 30f64.log10(), 1.0, 3f64.log10()],
        &with_clean(1..5),
    );
    figure(
        "resolution",
        "extra Gaussian resolution FWHM (eV)",
        &[0.0, 0.2, 0.5, 1.0],
        &with_clean(5..8),
    );
    figure(
        "offset",
        "maximum random energy offset (eV), no shift search",
        &[0.0, 0.25, 0.5, 1.0, 2.0],
        &with_clean(8..12),
    );
    eprintln!("total {:.1} s", t.elapsed().as_secs_f64());
}
