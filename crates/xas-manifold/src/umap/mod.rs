//! UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) with the defaults and
//! conventions of umap-learn 0.5, step by step:
//!
//! 1. the kNN graph of the input ([`crate::knn`]; exact below 4096 points, NN-descent
//!    above), `n_neighbors` counting the point itself as umap-learn does;
//! 2. the fuzzy simplicial set ([`fuzzy`]): local scales `rho_i`, `sigma_i`,
//!    memberships, fuzzy union with `set_op_mix_ratio`; optionally intersected with
//!    categorical labels (supervised UMAP, [`Umap::fit_supervised`]);
//! 3. `n_epochs` (500 up to 10 000 points, 200 above; 200 more with densMAP) and
//!    removal of edges with `w < max(w) / n_epochs` (the default number for runs of at
//!    most 10 epochs);
//! 4. the initial layout ([`Init`]): spectral ([`spectral`]; a random layout in
//!    `[-10, 10]` when the eigensolver fails, reported by [`UmapModel::init_used`]),
//!    scaled to `max |y| = 10` with `N(0, 1e-4)` jitter, then every coordinate rescaled
//!    to `[0, 10]`;
//! 5. `a`, `b` fitted from `min_dist` and `spread` ([`curve`]);
//! 6. stochastic gradient descent with negative sampling ([`layout`]), with the
//!    density-preserving term of densMAP in the last epochs when
//!    [`UmapParams::densmap`] is set ([`density`]).
//!
//! [`UmapModel::transform`] places new spectra on a fitted map without changing it:
//! their `n_neighbors` nearest training spectra (exact search), memberships with
//! `local_connectivity - 1`, a start at the membership-weighted mean of the neighbours'
//! coordinates, then 100 epochs (30 above 10 000 training points; `n_epochs / 3` when
//! set) that move only the new points, at a quarter of the learning rate.

pub mod curve;
pub mod density;
pub mod fuzzy;
pub mod layout;
mod power;
pub mod spectral;

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use xas_metrics::search::TopK;

use crate::error::{Error, Result};
use crate::knn::{self, KnnGraph, KnnMethod};
use crate::rng::SplitMix64;
use crate::space::{Dissimilarity, DistanceMatrix, Vectors};
use density::{DensMap, Density, input_log_radii};
use fuzzy::Edges;
use layout::LayoutSettings;

/// Epochs of a fit when not set: 500 up to this many points, 200 above.
const LARGE_DATA: usize = 10_000;

/// Epochs added for densMAP when the number is not set.
const DENSMAP_EPOCHS: usize = 200;

/// Runs of at most this many epochs prune weak edges as the default number would.
const FEW_EPOCHS: usize = 10;

/// How the layout starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Laplacian eigenmap of the graph (umap-learn's default).
    Spectral,
    /// Uniform in `[-10, 10]` (seeded).
    Random,
    /// Given coordinates, `n x n_components` row-major.
    Given(Vec<f64>),
}

/// The initial layout actually used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InitUsed {
    /// Spectral.
    Spectral,
    /// Random, with the reason when spectral was asked for and failed.
    Random {
        /// Why the spectral layout was not used (`None` when random was asked for).
        fallback_reason: Option<String>,
    },
    /// The coordinates given.
    Given,
}

/// UMAP parameters; [`Default`] gives umap-learn's defaults except that the fit is
/// seeded (`seed = 42`) and serial, so it is reproducible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UmapParams {
    /// Size of the local neighbourhood, counting the point itself (15).
    pub n_neighbors: usize,
    /// Dimension of the map (2).
    pub n_components: usize,
    /// Smallest distance between points in the map (0.1).
    pub min_dist: f64,
    /// Scale of the map's distances (1.0).
    pub spread: f64,
    /// Epochs of the fit; `None`: 500 up to 10 000 points, 200 above, and 200 more
    /// with densMAP (as umap-learn).
    pub n_epochs: Option<usize>,
    /// Initial SGD learning rate (1.0).
    pub learning_rate: f64,
    /// Initial layout (spectral).
    pub init: Init,
    /// `mix` of the fuzzy union: 1 = union, 0 = intersection (1.0).
    pub set_op_mix_ratio: f64,
    /// Neighbours assumed fully connected (1.0).
    pub local_connectivity: f64,
    /// Weight `gamma` of the negative samples (1.0).
    pub repulsion_strength: f64,
    /// Negative samples per positive sample (5); 0 turns the repulsion off.
    pub negative_sample_rate: usize,
    /// Curve parameter `a`, fitted from `min_dist` and `spread` when `None`.
    pub a: Option<f64>,
    /// Curve parameter `b`, fitted from `min_dist` and `spread` when `None`.
    pub b: Option<f64>,
    /// Seed of every random choice of the fit (42).
    pub seed: u64,
    /// Seed of [`UmapModel::transform`] (42).
    pub transform_seed: u64,
    /// Parallel SGD (not reproducible run to run; see [`layout`]) (false).
    pub parallel: bool,
    /// How the kNN graph is built (auto: exact below 4096 points).
    pub knn: KnnMethod,
    /// Weight of the labels in supervised UMAP, in `[0, 1]` (0.5): edges between
    /// different labels are scaled by `exp(-2.5 / (1 - target_weight))`.
    pub target_weight: f64,
    /// densMAP: also keep the local density of the input ([`density`]); `None`
    /// (default) for plain UMAP.
    #[serde(default)]
    pub densmap: Option<DensMap>,
}

impl Default for UmapParams {
    fn default() -> Self {
        UmapParams {
            n_neighbors: 15,
            n_components: 2,
            min_dist: 0.1,
            spread: 1.0,
            n_epochs: None,
            learning_rate: 1.0,
            init: Init::Spectral,
            set_op_mix_ratio: 1.0,
            local_connectivity: 1.0,
            repulsion_strength: 1.0,
            negative_sample_rate: 5,
            a: None,
            b: None,
            seed: 42,
            transform_seed: 42,
            parallel: false,
            knn: KnnMethod::Auto,
            target_weight: 0.5,
            densmap: None,
        }
    }
}

impl UmapParams {
    /// Checks every parameter for `n` points.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self, n: usize) -> Result<()> {
        if self.n_neighbors < 2 {
            return Err(Error::param("n_neighbors", "must be at least 2"));
        }
        if n <= self.n_neighbors {
            return Err(Error::param(
                "n_neighbors",
                format!(
                    "{} neighbours need more than {} spectra; the input has {n}",
                    self.n_neighbors, self.n_neighbors
                ),
            ));
        }
        if self.n_components == 0 {
            return Err(Error::param("n_components", "must be at least 1"));
        }
        let positive = [
            ("learning_rate", self.learning_rate),
            ("repulsion_strength", self.repulsion_strength),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::param(*name, format!("{v} must be > 0")));
        }
        if !(0.0..=1.0).contains(&self.set_op_mix_ratio) {
            return Err(Error::param("set_op_mix_ratio", "must be in [0, 1]"));
        }
        if !(self.local_connectivity.is_finite() && self.local_connectivity >= 0.0) {
            return Err(Error::param("local_connectivity", "must be >= 0"));
        }
        if !(0.0..=1.0).contains(&self.target_weight) {
            return Err(Error::param("target_weight", "must be in [0, 1]"));
        }
        if let Some(d) = &self.densmap {
            d.validate()?;
        }
        if self.n_epochs == Some(0) {
            return Err(Error::param("n_epochs", "must be at least 1"));
        }
        if let Init::Given(y) = &self.init
            && (y.len() != n * self.n_components || y.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::param(
                "init",
                format!("needs {} finite coordinates", n * self.n_components),
            ));
        }
        Ok(())
    }

    /// `(a, b)`: as given, or fitted from `min_dist` and `spread`.
    ///
    /// # Errors
    /// As [`curve::fit_ab`]; [`Error::InvalidParameter`] for a given value that is not
    /// positive.
    pub fn curve(&self) -> Result<(f64, f64)> {
        match (self.a, self.b) {
            (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Ok((a, b)),
            (Some(_), Some(_)) => Err(Error::param("a, b", "must be > 0")),
            _ => curve::fit_ab(self.min_dist, self.spread),
        }
    }
}

/// The stage a long fit is in, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Building the kNN graph: NN-descent's iterations (`done` of at most `total`,
    /// ending at `total` also when it converges early), or `1/1` for the exact search.
    Neighbors,
    /// Building the fuzzy graph.
    Graph,
    /// Initial layout.
    Init,
    /// SGD epochs.
    Layout,
}

/// Progress callback: `(stage, done, total)`; breaking stops the fit with
/// [`Error::Interrupted`].
pub type Progress<'a> = &'a mut dyn FnMut(Stage, usize, usize) -> ControlFlow<()>;

/// The UMAP method (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Umap;

impl Umap {
    /// Fits a map of `space` (unsupervised).
    ///
    /// # Errors
    /// Invalid parameters (named), too few points for `n_neighbors`, errors of the
    /// kNN search, [`Error::Interrupted`].
    pub fn fit(
        space: Dissimilarity<'_>,
        params: &UmapParams,
        progress: Progress<'_>,
    ) -> Result<UmapModel> {
        fit(space, params, None, progress)
    }

    /// Fits a map guided by categorical labels (`None` = unlabelled,
    /// semi-supervised), one per point.
    ///
    /// # Errors
    /// As [`Umap::fit`], and when there is not one label per point.
    pub fn fit_supervised(
        space: Dissimilarity<'_>,
        labels: &[Option<usize>],
        params: &UmapParams,
        progress: Progress<'_>,
    ) -> Result<UmapModel> {
        if labels.len() != space.len() {
            return Err(Error::data(
                "labels",
                format!("{} labels for {} points", labels.len(), space.len()),
            ));
        }
        fit(space, params, Some(labels), progress)
    }
}

/// Stops with [`Error::Interrupted`] when `progress` breaks.
fn report(progress: Progress<'_>, stage: Stage, done: usize, total: usize) -> Result<()> {
    match progress(stage, done, total) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(Error::Interrupted),
    }
}

fn fit(
    space: Dissimilarity<'_>,
    params: &UmapParams,
    labels: Option<&[Option<usize>]>,
    progress: Progress<'_>,
) -> Result<UmapModel> {
    let n = space.len();
    params.validate(n)?;
    let (a, b) = params.curve()?;
    let graph =
        knn::knn_graph_with_progress(space, params.n_neighbors - 1, &params.knn, |d, t| {
            progress(Stage::Neighbors, d, t)
        })?;
    let unsupervised = fuzzy_graph(&graph, params);
    // The input radii over the unsupervised graph, as `density::log_local_radii`.
    let radii = input_log_radii(&unsupervised, &graph)?;
    let mut w = match labels {
        None => unsupervised,
        Some(labels) => with_labels(&unsupervised, labels, params)?,
    };
    let (n_epochs, pruning_epochs) = epochs(params, n);
    w.drop_below(w.max_weight() / pruning_epochs as f64);
    report(progress, Stage::Graph, 1, 1)?;
    let density = params
        .densmap
        .as_ref()
        .map(|d| Density::new(d, &w, &graph))
        .transpose()?;
    let (mut embedding, init_used) = initial_layout(&w, params)?;
    report(progress, Stage::Init, 1, 1)?;
    let settings = LayoutSettings {
        a,
        b,
        gamma: params.repulsion_strength,
        initial_alpha: params.learning_rate,
        negative_sample_rate: params.negative_sample_rate,
        n_epochs,
        seed: params.seed,
        parallel: params.parallel,
    };
    let dims = params.n_components;
    let mut layout_progress = |e, t| progress(Stage::Layout, e, t);
    layout::optimize(
        &mut embedding,
        None,
        dims,
        &w,
        &settings,
        density.as_ref(),
        &mut layout_progress,
    )?;
    Ok(UmapModel {
        params: params.clone(),
        a,
        b,
        n_epochs,
        embedding,
        init_used,
        input_log_radii: Some(radii),
        training: match space {
            Dissimilarity::Vectors(v) => Some(v.clone()),
            Dissimilarity::Matrix(_) => None,
        },
    })
}

/// `(n_epochs, pruning_epochs)` of a fit of `n` points, as umap-learn: the number asked
/// for, or 500 up to [`LARGE_DATA`] points and 200 above, plus [`DENSMAP_EPOCHS`] with
/// densMAP; edges are pruned by that number, or by the default for runs of at most
/// [`FEW_EPOCHS`].
fn epochs(params: &UmapParams, n: usize) -> (usize, usize) {
    let extra = if params.densmap.is_some() {
        DENSMAP_EPOCHS
    } else {
        0
    };
    let default_epochs = extra + if n <= LARGE_DATA { 500 } else { 200 };
    let n_epochs = params.n_epochs.unwrap_or(default_epochs);
    let pruning = if n_epochs > FEW_EPOCHS {
        n_epochs
    } else {
        default_epochs
    };
    (n_epochs, pruning)
}

/// The symmetric fuzzy graph of a kNN graph.
pub(crate) fn fuzzy_graph(graph: &KnnGraph, params: &UmapParams) -> Edges {
    let a = fuzzy::directed_memberships(graph, params.local_connectivity);
    fuzzy::fuzzy_union(&a, params.set_op_mix_ratio)
}

/// The fuzzy graph `w` intersected with categorical `labels` (supervised UMAP).
fn with_labels(w: &Edges, labels: &[Option<usize>], params: &UmapParams) -> Result<Edges> {
    let far_dist = if params.target_weight < 1.0 {
        2.5 / (1.0 - params.target_weight)
    } else {
        1e12
    };
    fuzzy::intersect_categorical(w, labels, far_dist)
}

/// The initial coordinates, scaled as umap-learn: spectral layouts to `max |y| = 10`
/// plus `N(0, 1e-4)` jitter; then every layout's columns mapped onto `[0, 10]`.
fn initial_layout(w: &Edges, params: &UmapParams) -> Result<(Vec<f64>, InitUsed)> {
    let n = w.n_heads;
    let dims = params.n_components;
    let mut rng = SplitMix64::stream(params.seed, &[0x1417]);
    let random = |rng: &mut SplitMix64| -> Vec<f64> {
        (0..n * dims).map(|_| 20.0 * rng.uniform() - 10.0).collect()
    };
    let (mut y, used) = match &params.init {
        Init::Given(y) => (y.clone(), InitUsed::Given),
        Init::Random => (
            random(&mut rng),
            InitUsed::Random {
                fallback_reason: None,
            },
        ),
        Init::Spectral => match spectral::spectral_layout(w, dims, params.seed) {
            Ok(mut y) => {
                let scale = 10.0 / spectral::max_abs(&y).max(f64::MIN_POSITIVE);
                y.iter_mut()
                    .for_each(|v| *v = *v * scale + 1e-4 * rng.normal());
                (y, InitUsed::Spectral)
            }
            Err(reason) => (
                random(&mut rng),
                InitUsed::Random {
                    fallback_reason: Some(reason),
                },
            ),
        },
    };
    rescale_columns(&mut y, dims);
    Ok((y, used))
}

/// Maps every coordinate linearly onto `[0, 10]` (constant columns go to 0).
fn rescale_columns(y: &mut [f64], dims: usize) {
    for d in 0..dims {
        let col = y.iter().skip(d).step_by(dims);
        let (lo, hi) = col.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
        let span = hi - lo;
        for v in y.iter_mut().skip(d).step_by(dims) {
            *v = if span > 0.0 {
                10.0 * (*v - lo) / span
            } else {
                0.0
            };
        }
    }
}

/// A fitted UMAP map: the coordinates of the training points and what
/// [`UmapModel::transform`] needs to place new ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UmapModel {
    params: UmapParams,
    a: f64,
    b: f64,
    n_epochs: usize,
    embedding: Vec<f64>,
    init_used: InitUsed,
    /// The training spectra (absent for a precomputed-distance fit).
    training: Option<Vectors>,
    /// [`density::log_local_radii`] of the training points (absent in models saved
    /// before it was kept).
    #[serde(default)]
    input_log_radii: Option<Vec<f64>>,
}

impl UmapModel {
    /// The map: `n x n_components` row-major coordinates of the training points.
    pub fn embedding(&self) -> &[f64] {
        &self.embedding
    }

    /// Dimension of the map.
    pub fn n_components(&self) -> usize {
        self.params.n_components
    }

    /// Number of training points.
    pub fn len(&self) -> usize {
        self.embedding.len() / self.params.n_components
    }

    /// Whether the map has no points (never true for a fitted model).
    pub fn is_empty(&self) -> bool {
        self.embedding.is_empty()
    }

    /// The parameters of the fit.
    pub fn params(&self) -> &UmapParams {
        &self.params
    }

    /// The curve parameters `(a, b)` used.
    pub fn curve(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// Epochs of the fit.
    pub fn n_epochs(&self) -> usize {
        self.n_epochs
    }

    /// The initial layout used (and why spectral fell back to random, if it did).
    pub fn init_used(&self) -> &InitUsed {
        &self.init_used
    }

    /// The training spectra, when the map was fitted on spectra.
    pub fn training(&self) -> Option<&Vectors> {
        self.training.as_ref()
    }

    /// The log local radii of the training points in the input space, over the
    /// unsupervised fuzzy graph of the fit before pruning: what
    /// [`density::log_local_radii`] gives for the training data, kept from the fit so
    /// that [`density::radius_correlation_of`] needs no second kNN search. (umap-learn's
    /// `output_dens` returns input radii too, but from the pruned graph it embeds, which
    /// for a supervised fit is the one intersected with the labels, as the density term
    /// here uses.) `None` for a model saved before they were kept.
    pub fn input_log_radii(&self) -> Option<&[f64]> {
        self.input_log_radii.as_deref()
    }

    /// How well the map keeps local density: [`density::radius_correlation`] of the
    /// map and its training data, from the kept input radii.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model saved before the radii were kept; as
    /// [`density::radius_correlation_of`].
    pub fn radius_correlation(&self) -> Result<f64> {
        let radii = self
            .input_log_radii()
            .ok_or_else(|| Error::data("model", "saved without its input radii; fit it again"))?;
        density::radius_correlation_of(
            radii,
            &self.embedding,
            self.params.n_components,
            &self.params,
        )
    }

    /// Places new spectra (`rows`, row-major on the training axis) on the map; returns
    /// `n_new x n_components` coordinates. The model is not changed.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the model was fitted on a distance matrix (use
    /// [`UmapModel::transform_distances`]), or a new spectrum has the wrong length or
    /// non-finite values (named by its row).
    pub fn transform(&self, rows: &[f64]) -> Result<Vec<f64>> {
        let training = self.training.as_ref().ok_or_else(|| {
            Error::data(
                "model",
                "fitted on a distance matrix: use transform_distances with distances to the training points",
            )
        })?;
        let m = training.dim();
        if rows.is_empty() || !rows.len().is_multiple_of(m) {
            return Err(Error::data(
                "new spectra",
                format!("{} values do not form spectra of {m} points", rows.len()),
            ));
        }
        let k = self.params.n_neighbors;
        let neighbors = rows
            .chunks_exact(m)
            .enumerate()
            .map(|(r, row)| {
                let q = training.prepare_query(&format!("new spectrum {r}"), row)?;
                let mut best = TopK::new(k);
                for j in 0..training.len() {
                    best.push(training.distance_prepared(&q, j), j);
                }
                Ok(best.into_sorted(|d| d))
            })
            .collect::<Result<Vec<_>>>()?;
        self.place(&neighbors_to_graph(neighbors, self.len(), k)?)
    }

    /// Places new points given their distances to every training point
    /// (`n_new x n_train` row-major, e.g. rows of a precomputed matrix).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a length that is not a multiple of the training size or
    /// distances that are negative or not finite.
    pub fn transform_distances(&self, distances: &[f64]) -> Result<Vec<f64>> {
        let n = self.len();
        if distances.is_empty() || !distances.len().is_multiple_of(n) {
            return Err(Error::data(
                "distances",
                format!(
                    "{} values are not rows of {n} training distances",
                    distances.len()
                ),
            ));
        }
        let k = self.params.n_neighbors;
        let neighbors = distances
            .chunks_exact(n)
            .enumerate()
            .map(|(r, row)| {
                if let Some(j) = row.iter().position(|d| !(d.is_finite() && *d >= 0.0)) {
                    return Err(Error::data(
                        "distances",
                        format!("row {r}, training point {j}: not a finite non-negative distance"),
                    ));
                }
                let mut best = TopK::new(k);
                row.iter().enumerate().for_each(|(j, &d)| best.push(d, j));
                Ok(best.into_sorted(|d| d))
            })
            .collect::<Result<Vec<_>>>()?;
        self.place(&neighbors_to_graph(neighbors, n, k)?)
    }

    /// Membership graph of the new points, initial placement, and SGD of the new points
    /// against the fixed map.
    fn place(&self, nb: &Neighbors) -> Result<Vec<f64>> {
        let dims = self.params.n_components;
        let local = (self.params.local_connectivity - 1.0).max(0.0);
        let all: Vec<f64> = nb.distances.iter().flatten().copied().collect();
        let mean_all = all.iter().sum::<f64>() / all.len().max(1) as f64;
        let mut edges = Edges {
            n_heads: nb.indices.len(),
            n_tails: self.len(),
            head: Vec::new(),
            tail: Vec::new(),
            weight: Vec::new(),
        };
        let mut y = vec![0.0; nb.indices.len() * dims];
        for (r, (idx, dist)) in nb.indices.iter().zip(&nb.distances).enumerate() {
            let (sigma, rho) =
                fuzzy::smooth_knn_dist(dist, self.params.n_neighbors as f64, local, mean_all);
            let w: Vec<f64> = dist
                .iter()
                .map(|&d| fuzzy::membership(d, sigma, rho))
                .collect();
            self.initial_position(idx, &w, &mut y[r * dims..(r + 1) * dims]);
            let mut order: Vec<usize> = (0..idx.len()).collect();
            order.sort_by_key(|&c| idx[c]);
            for c in order {
                edges.head.push(r);
                edges.tail.push(idx[c]);
                edges.weight.push(w[c]);
            }
        }
        let n_epochs = match self.params.n_epochs {
            Some(e) => (e / 3).max(1),
            None if self.len() <= LARGE_DATA => 100,
            None => 30,
        };
        edges.drop_below(edges.max_weight() / n_epochs as f64);
        let settings = LayoutSettings {
            a: self.a,
            b: self.b,
            gamma: self.params.repulsion_strength,
            initial_alpha: self.params.learning_rate / 4.0,
            negative_sample_rate: self.params.negative_sample_rate,
            n_epochs,
            seed: self.params.transform_seed,
            parallel: self.params.parallel,
        };
        layout::optimize(
            &mut y,
            Some(&self.embedding),
            dims,
            &edges,
            &settings,
            None,
            &mut |_, _| ControlFlow::Continue(()),
        )?;
        Ok(y)
    }

    /// The membership-weighted mean of the neighbours' coordinates, or the coordinates
    /// of a neighbour with membership 1 (a duplicate of a training point), as
    /// umap-learn's `init_graph_transform`.
    fn initial_position(&self, idx: &[usize], w: &[f64], out: &mut [f64]) {
        let dims = out.len();
        let at = |j: usize| &self.embedding[j * dims..(j + 1) * dims];
        if let Some(c) = w.iter().position(|&v| v == 1.0) {
            out.copy_from_slice(at(idx[c]));
            return;
        }
        let total: f64 = w.iter().sum();
        out.fill(0.0);
        for (&j, &v) in idx.iter().zip(w) {
            for (o, &c) in out.iter_mut().zip(at(j)) {
                *o += v / total * c;
            }
        }
    }
}

/// Neighbours of new points among the training points, closest first.
struct Neighbors {
    indices: Vec<Vec<usize>>,
    distances: Vec<Vec<f64>>,
}

fn neighbors_to_graph(
    found: Vec<Vec<xas_metrics::search::Neighbor>>,
    n_train: usize,
    k: usize,
) -> Result<Neighbors> {
    if n_train < k {
        return Err(Error::param(
            "n_neighbors",
            format!("{k} neighbours but the map has {n_train} points"),
        ));
    }
    Ok(Neighbors {
        indices: found
            .iter()
            .map(|r| r.iter().map(|nb| nb.index).collect())
            .collect(),
        distances: found
            .iter()
            .map(|r| r.iter().map(|nb| nb.distance).collect())
            .collect(),
    })
}

/// Fits UMAP to spectra with the default measure and parameters — a convenience for
/// the common case.
///
/// # Errors
/// As [`Umap::fit`].
pub fn fit_vectors(vectors: &Vectors, params: &UmapParams) -> Result<UmapModel> {
    Umap::fit(vectors.into(), params, &mut |_, _, _| {
        ControlFlow::Continue(())
    })
}

/// Fits UMAP to a precomputed distance matrix.
///
/// # Errors
/// As [`Umap::fit`].
pub fn fit_matrix(d: &DistanceMatrix, params: &UmapParams) -> Result<UmapModel> {
    Umap::fit(d.into(), params, &mut |_, _, _| ControlFlow::Continue(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// umap-learn's epoch counts (`simplicial_set_embedding`): 500 / 200 by size, 200
    /// more for densMAP, and pruning by the default count when a run is that short.
    #[test]
    fn epochs_and_pruning_follow_umap_learn() {
        let plain = UmapParams::default();
        let dense = UmapParams {
            densmap: Some(DensMap::default()),
            ..UmapParams::default()
        };
        assert_eq!(epochs(&plain, 10_000), (500, 500));
        assert_eq!(epochs(&plain, 10_001), (200, 200));
        assert_eq!(epochs(&dense, 1_200), (700, 700));
        assert_eq!(epochs(&dense, 70_000), (400, 400));
        let short = |n_epochs| UmapParams {
            n_epochs: Some(n_epochs),
            ..UmapParams::default()
        };
        assert_eq!(epochs(&short(11), 100), (11, 11));
        assert_eq!(epochs(&short(10), 100), (10, 500));
    }
}
