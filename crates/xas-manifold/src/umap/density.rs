//! densMAP: UMAP with a term that keeps local density (Narayan, Berger & Cho 2021,
//! Nat. Biotechnol. 39, 765), with umap-learn 0.5's definitions and defaults.
//!
//! # Local radii
//! The log local radius of point `i` is the weighted mean squared distance to its
//! neighbours in the fuzzy graph,
//!
//! ```text
//! R_i = ln(ε + Σ_j w_ij d_ij² / Σ_j w_ij)            (input: weights w, distances d)
//! r_i = ln(ε + Σ_j φ_ij |y_i - y_j|² / Σ_j φ_ij)     (map: φ_ij = 1 / (1 + a |y_i - y_j|^2b))
//! ```
//!
//! with `ε = 1e-8`, the sums over the edges that touch `i` (each edge counts for both of
//! its ends) and `d_ij` the input distance of the kNN graph. A point without edges gets
//! `ln ε` and is left out of the statistics below. [`log_local_radii`] computes `R` of
//! any space with the fuzzy graph of a fit (before its weak edges are pruned), so that
//! the radii of a map can be compared with those of its input. umap-learn's
//! `output_dens` also builds the map's own kNN graph, but averages unsquared map
//! distances. Every fit keeps the input radii of its training points
//! ([`super::UmapModel::input_log_radii`]), so that comparing needs no second search
//! of the input.
//!
//! # The density term
//! densMAP adds `-λ Corr(R, r)` to the UMAP loss during the last `frac` of the epochs,
//! with `R` and `r` over the edges the fit embeds (as umap-learn: after pruning, and
//! for a supervised fit intersected with the labels), not the unpruned graph of
//! [`log_local_radii`].
//! Each such epoch starts by measuring `r` on the current map: its mean `r̄`, the
//! shifted spread `s = sqrt(var r + var_shift)` and `cov = Σ_i R̂_i r_i / (n - 1)` with
//! `R̂` the standardised `R`. A sampled edge `(j, k)` of weight `w_jk` at squared map
//! distance `d²` then also moves its ends by `α clip(2 g (y_j - y_k))` (`y_k` by the
//! negative), where
//!
//! ```text
//! g = λ W (c_j ∂r_j + c_k ∂r_k) / (w_jk s n),     W = Σ_e w_e (over all edges),
//! c_i = R̂_i - cov (r_i - r̄) / s²,
//! ∂r_i = ∂r_i/∂d² = (φ / Φ_i) ((1 - b (1 - φ)) e^(-r_i) + a b d^(2b-2) / (1 + a d^2b)),
//! ```
//!
//! `Φ_i = Σ_j φ_ij`: `c_i / (s n)` is the derivative of the correlation with respect to
//! `r_i` (up to a factor `n / (n - 1)` on `R̂_i`, as umap-learn), and `W / w_jk` undoes
//! the sampling of edges in proportion to their weight. Means, spreads and `n` count
//! only points with edges; an epoch whose map radii are all equal with `var_shift = 0`
//! (`s = 0`) gets no density term.
//! New points placed by [`super::UmapModel::transform`] follow the plain UMAP loss, as
//! umap-learn does not place points on a densMAP map at all.

use serde::{Deserialize, Serialize};

use super::fuzzy::Edges;
use super::power;
use super::{UmapParams, fuzzy_graph};
use crate::error::{Error, Result};
use crate::knn::{self, KnnGraph};
use crate::quality::pearson;
use crate::space::{Dissimilarity, Vectors};
use xas_metrics::measures::Metric;

/// `ε` of the log radii.
const EPSILON: f64 = 1e-8;

/// densMAP parameters; [`Default`] gives umap-learn's (`dens_lambda`, `dens_frac`,
/// `dens_var_shift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DensMap {
    /// Weight `λ` of the correlation of local radii against the UMAP loss (2.0).
    pub lambda: f64,
    /// Fraction of the epochs, at the end, with the density term (0.3).
    pub frac: f64,
    /// Added to the variance of the map's log radii before its square root is taken,
    /// which keeps early, nearly uniform maps from dividing by a tiny spread (0.1).
    pub var_shift: f64,
}

impl Default for DensMap {
    fn default() -> Self {
        DensMap {
            lambda: 2.0,
            frac: 0.3,
            var_shift: 0.1,
        }
    }
}

impl DensMap {
    /// Checks `lambda >= 0`, `frac` in `[0, 1]` and `var_shift >= 0`, all finite.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        let check = |name: &str, v: f64, ok: bool| {
            if v.is_finite() && ok {
                Ok(())
            } else {
                Err(Error::param(name, format!("{v} is out of range")))
            }
        };
        check("densmap.lambda", self.lambda, self.lambda >= 0.0)?;
        check("densmap.frac", self.frac, (0.0..=1.0).contains(&self.frac))?;
        check("densmap.var_shift", self.var_shift, self.var_shift >= 0.0)
    }

    /// Whether the term is on in `epoch` (from 0) of `n_epochs`, as umap-learn decides:
    /// `(epoch + 1) / n_epochs > 1 - frac` and `λ > 0`.
    pub fn active(&self, epoch: usize, n_epochs: usize) -> bool {
        self.lambda > 0.0 && (epoch + 1) as f64 / n_epochs as f64 > 1.0 - self.frac
    }
}

/// `ln(ε + sum / weight)`, or `ln ε` for a point without edges.
fn log_radius(sum: f64, weight: f64) -> f64 {
    let mean = if weight > 0.0 { sum / weight } else { 0.0 };
    (EPSILON + mean).ln()
}

/// [`log_radius`] of every point.
fn log_radii(sum: &[f64], weight: &[f64]) -> Vec<f64> {
    sum.iter()
        .zip(weight)
        .map(|(&s, &w)| log_radius(s, w))
        .collect()
}

/// The input log radii `R` over the edges of `w`, with the distances of `graph` (the
/// kNN graph `w` was built from); `ln ε` for a point without edges.
///
/// # Errors
/// [`Error::InvalidData`] when `graph` and `w` differ in their number of points, or for
/// an edge with an end out of range or whose ends are in neither's kNN list.
pub fn input_log_radii(w: &Edges, graph: &KnnGraph) -> Result<Vec<f64>> {
    let (sum, weight) = input_sums(w, graph)?;
    Ok(log_radii(&sum, &weight))
}

/// Per point, `Σ w d²` and `Σ w` over the edges of `w` (see [`input_log_radii`]).
fn input_sums(w: &Edges, graph: &KnnGraph) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = w.n_heads;
    if graph.len() != n {
        return Err(Error::data(
            "graph",
            format!("{} points in the kNN graph, {n} in the edges", graph.len()),
        ));
    }
    let distance = |i: usize, j: usize| {
        let find = |a: usize, b: usize| {
            let at = graph.neighbors(a).iter().position(|&x| x == b)?;
            Some(graph.distances(a)[at])
        };
        find(i, j).or_else(|| find(j, i))
    };
    let (mut sum, mut weight) = (vec![0.0; n], vec![0.0; n]);
    for ((&i, &j), &mu) in w.head.iter().zip(&w.tail).zip(&w.weight) {
        let d = (i < n && j < n)
            .then(|| distance(i, j))
            .flatten()
            .ok_or_else(|| {
                Error::data("graph", format!("edge ({i}, {j}) is not in the kNN graph"))
            })?;
        for end in [i, j] {
            sum[end] += mu * d * d;
            weight[end] += mu;
        }
    }
    Ok((sum, weight))
}

/// The log local radii of the points of `space` (see the module documentation), over
/// the fuzzy graph that a fit with `params` builds (`n_neighbors`, `knn`,
/// `local_connectivity`, `set_op_mix_ratio`), before the fit prunes its weak edges.
/// For a map, pass its coordinates as Euclidean [`crate::Vectors`].
///
/// # Errors
/// As [`UmapParams::validate`] and the kNN search.
pub fn log_local_radii(space: Dissimilarity<'_>, params: &UmapParams) -> Result<Vec<f64>> {
    params.validate(space.len())?;
    let graph = knn::knn_graph(space, params.n_neighbors - 1, &params.knn)?;
    let w = fuzzy_graph(&graph, params);
    input_log_radii(&w, &graph)
}

/// Pearson correlation between the log local radii of `space` and of its map `low`
/// (`n x dims` row-major, Euclidean), both over the fuzzy graph of `params`: how well a
/// map keeps local density (about 0.08 for UMAP and 0.82 for densMAP on the test set of
/// `tests/umap_vs_umap_learn.rs`, as with umap-learn).
///
/// # Errors
/// As [`log_local_radii`] and [`radius_correlation_of`].
pub fn radius_correlation(
    space: Dissimilarity<'_>,
    low: &[f64],
    dims: usize,
    params: &UmapParams,
) -> Result<f64> {
    check_map(low, space.len(), dims)?;
    radius_correlation_of(&log_local_radii(space, params)?, low, dims, params)
}

/// [`radius_correlation`] from the input's log local radii `input` (one per point, as
/// [`log_local_radii`] or [`super::UmapModel::input_log_radii`] give them): only the
/// map's kNN graph is searched.
///
/// # Errors
/// [`Error::InvalidData`] when `low` is not `input.len() x dims` or either set of radii
/// is constant; as [`log_local_radii`] for the map.
pub fn radius_correlation_of(
    input: &[f64],
    low: &[f64],
    dims: usize,
    params: &UmapParams,
) -> Result<f64> {
    check_map(low, input.len(), dims)?;
    let axis: Vec<f64> = (0..dims).map(|d| d as f64).collect();
    let map = Vectors::new(Metric::Euclidean, &axis, low)?;
    let output = log_local_radii((&map).into(), params)?;
    pearson(input, &output)
        .ok_or_else(|| Error::data("map", "local radii are constant; no correlation"))
}

/// Checks that `low` holds `n` points of `dims` coordinates.
fn check_map(low: &[f64], n: usize, dims: usize) -> Result<()> {
    if dims == 0 || low.len() != n * dims {
        return Err(Error::data(
            "map",
            format!(
                "{} coordinates for {n} points of {dims} dimensions",
                low.len()
            ),
        ));
    }
    Ok(())
}

/// What the layout needs for the density term of a fit: the standardised input radii
/// and the total edge weight. Built by [`super::Umap::fit`] when
/// [`UmapParams::densmap`] is set.
#[derive(Debug, Clone)]
pub struct Density {
    settings: DensMap,
    /// `R̂`, the input log radii of the points with edges standardised to mean 0 and
    /// (population) variance 1; 0 for points without edges.
    standard_radii: Vec<f64>,
    /// Whether each point has edges (the others stay out of every statistic).
    connected: Vec<bool>,
    /// `W`, the sum of all edge weights.
    total_weight: f64,
}

impl Density {
    /// The density term of `settings` for the edges `w` (after pruning) of the kNN
    /// graph `graph`.
    ///
    /// # Errors
    /// As [`input_log_radii`].
    pub(crate) fn new(settings: &DensMap, w: &Edges, graph: &KnnGraph) -> Result<Self> {
        let (sum, weight) = input_sums(w, graph)?;
        let connected: Vec<bool> = weight.iter().map(|&w| w > 0.0).collect();
        let radii = log_radii(&sum, &weight);
        let (mean, sd, _) = masked_mean_sd(&radii, &connected);
        let sd = if sd > 0.0 { sd } else { 1.0 };
        let standard = |(r, &c): (&f64, &bool)| if c { (r - mean) / sd } else { 0.0 };
        Ok(Density {
            settings: settings.clone(),
            standard_radii: radii.iter().zip(&connected).map(standard).collect(),
            connected,
            total_weight: w.weight.iter().sum(),
        })
    }

    /// Whether the term is on in `epoch` of `n_epochs`.
    pub(crate) fn active(&self, epoch: usize, n_epochs: usize) -> bool {
        self.settings.active(epoch, n_epochs)
    }

    /// The per-vertex quantities of one epoch, measured on the map `y` (`n x dims`,
    /// row-major, the points of the fit's edges `edges`) with the curve `(a, b)`.
    pub(crate) fn epoch(
        &self,
        y: &[f32],
        dims: usize,
        edges: &Edges,
        a: f32,
        b: f32,
    ) -> EpochDensity {
        let n = edges.n_heads;
        let (mut sum, mut phi_sum) = (vec![0.0f64; n], vec![0.0f64; n]);
        for (heads, tails) in edges.head.chunks(LANES).zip(edges.tail.chunks(LANES)) {
            let mut d2 = [0.0f32; LANES];
            for ((s, &i), &j) in d2.iter_mut().zip(heads).zip(tails) {
                let (yi, yj) = (&y[i * dims..(i + 1) * dims], &y[j * dims..(j + 1) * dims]);
                *s = yi.iter().zip(yj).map(|(p, q)| (p - q) * (p - q)).sum();
            }
            let p = power::pow_lanes(&d2, b);
            for (((&i, &j), &x), &p) in heads.iter().zip(tails).zip(&d2).zip(&p) {
                let phi = f64::from(1.0 / a.mul_add(p, 1.0));
                for end in [i, j] {
                    sum[end] += phi * f64::from(x);
                    phi_sum[end] += phi;
                }
            }
        }
        let r = log_radii(&sum, &phi_sum);
        let (mean, sd, count) = masked_mean_sd(&r, &self.connected);
        let spread = (sd * sd + self.settings.var_shift).sqrt();
        let cov = self
            .standard_radii
            .iter()
            .zip(&r)
            .zip(&self.connected)
            .filter(|&(_, &c)| c)
            .map(|((p, q), _)| p * q)
            .sum::<f64>()
            / (count as f64 - 1.0).max(1.0);
        let on = spread > 0.0;
        let coefficient = |i: usize| {
            let c = self.standard_radii[i] - cov * (r[i] - mean) / (spread * spread);
            if on && self.connected[i] {
                c as f32
            } else {
                0.0
            }
        };
        let scale = if on {
            self.settings.lambda * self.total_weight / (spread * count as f64)
        } else {
            0.0
        };
        EpochDensity {
            a,
            b,
            scale: scale as f32,
            coefficient: (0..n).map(coefficient).collect(),
            inv_phi_sum: phi_sum
                .iter()
                .map(|&w| if w > 0.0 { (1.0 / w) as f32 } else { 0.0 })
                .collect(),
            exp_neg_radius: r.iter().map(|&v| (-v).exp() as f32).collect(),
        }
    }
}

/// Samples evaluated together by the layout.
const LANES: usize = super::layout::LANES;

/// Mean, population standard deviation and count of the values of `v` where `mask`.
fn masked_mean_sd(v: &[f64], mask: &[bool]) -> (f64, f64, usize) {
    let kept = || v.iter().zip(mask).filter(|&(_, &m)| m).map(|(x, _)| *x);
    let count = kept().count();
    let n = count.max(1) as f64;
    let mean = kept().sum::<f64>() / n;
    let var = kept().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt(), count)
}

/// The density term's per-vertex quantities during one epoch.
#[derive(Debug, Clone)]
pub(crate) struct EpochDensity {
    a: f32,
    b: f32,
    /// `λ W / (s n)` (0 when `s = 0`).
    scale: f32,
    /// `c_i`.
    coefficient: Vec<f32>,
    /// `1 / Φ_i` (0 without edges).
    inv_phi_sum: Vec<f32>,
    /// `e^(-r_i)`.
    exp_neg_radius: Vec<f32>,
}

impl EpochDensity {
    /// `2 g` of the edges `(head[l], tail[l])` of weights `weight[l]` at squared map
    /// distances `d2[l]` (`p[l] = d2[l]^b`), for the first `len` lanes (0 beyond).
    pub(crate) fn coefficients(
        &self,
        d2: &[f32; LANES],
        p: &[f32; LANES],
        head: &[usize; LANES],
        tail: &[usize; LANES],
        weight: &[f32; LANES],
        len: usize,
    ) -> [f32; LANES] {
        let mut out = [0.0; LANES];
        for l in 0..len {
            let slope = |i: usize| {
                radius_slope(
                    d2[l],
                    p[l],
                    self.a,
                    self.b,
                    self.inv_phi_sum[i],
                    self.exp_neg_radius[i],
                )
            };
            let (j, k) = (head[l], tail[l]);
            let g = self.coefficient[j] * slope(j) + self.coefficient[k] * slope(k);
            out[l] = 2.0 * self.scale * g / weight[l];
        }
        out
    }
}

/// `∂r_i/∂d²` of one edge of vertex `i` at squared distance `d2` (`p = d2^b`), from
/// `1/Φ_i` and `e^(-r_i)` (module documentation); the curve's slope term is taken as 0
/// at `d2 = 0`, where it is infinite for `b < 1`.
#[inline(always)]
fn radius_slope(d2: f32, p: f32, a: f32, b: f32, inv_phi_sum: f32, exp_neg_radius: f32) -> f32 {
    let phi = 1.0 / a.mul_add(p, 1.0);
    let curve = if d2 > 0.0 { a * b * p / d2 * phi } else { 0.0 };
    phi * inv_phi_sum * ((1.0 - b * (1.0 - phi)) * exp_neg_radius + curve)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `r = ln(ε + Σ φ d² / Σ φ)` of one vertex with edges at squared distances `d2`.
    fn radius(d2: &[f64], a: f64, b: f64) -> f64 {
        let phi: Vec<f64> = d2.iter().map(|x| 1.0 / (1.0 + a * x.powf(b))).collect();
        let s: f64 = phi.iter().zip(d2).map(|(p, x)| p * x).sum();
        log_radius(s, phi.iter().sum())
    }

    /// A fit keeps the input radii that `log_local_radii` computes (over the
    /// unsupervised graph, also for a supervised fit), and the correlation from them
    /// is the one that searches the input again.
    #[test]
    fn a_fit_keeps_the_input_radii() {
        use std::ops::ControlFlow;

        use crate::umap::Umap;
        let rows: Vec<f64> = (0..60)
            .flat_map(|i| {
                let t = f64::from(i) * 0.1;
                [
                    t.sin(),
                    t.cos(),
                    t,
                    (2.0 * t).sin(),
                    0.01 * f64::from(i % 7),
                ]
            })
            .collect();
        let v = Vectors::new(Metric::Euclidean, &[0.0, 1.0, 2.0, 3.0, 4.0], &rows).unwrap();
        let params = UmapParams {
            n_epochs: Some(30),
            ..UmapParams::default()
        };
        let expected = log_local_radii((&v).into(), &params).unwrap();
        let model = Umap::fit((&v).into(), &params, &mut |_, _, _| {
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(model.input_log_radii(), Some(expected.as_slice()));
        let labels: Vec<Option<usize>> = (0..60).map(|i| Some(i / 20)).collect();
        let supervised = Umap::fit_supervised((&v).into(), &labels, &params, &mut |_, _, _| {
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(supervised.input_log_radii(), Some(expected.as_slice()));
        let y = model.embedding();
        let searched = radius_correlation((&v).into(), y, 2, &params).unwrap();
        assert_eq!(
            radius_correlation_of(&expected, y, 2, &params).unwrap(),
            searched
        );
        assert_eq!(model.radius_correlation().unwrap(), searched);
        let err = radius_correlation_of(&expected[1..], y, 2, &params).unwrap_err();
        assert!(err.to_string().contains("59 points"), "{err}");
        // A model saved before the radii were kept still loads, without them.
        let mut saved = serde_json::to_value(&model).unwrap();
        saved.as_object_mut().unwrap().remove("input_log_radii");
        let old: crate::umap::UmapModel = serde_json::from_value(saved).unwrap();
        assert_eq!(old.input_log_radii(), None);
        let err = old.radius_correlation().unwrap_err().to_string();
        assert!(err.contains("fit it again"), "{err}");
    }

    /// The analytic `∂r/∂d²` equals a central difference of `r` in the squared length
    /// of one edge.
    #[test]
    fn radius_slope_is_the_derivative_of_the_radius() {
        let (a, b) = (1.577, 0.895);
        let d2 = [0.3, 1.7, 0.05, 4.2];
        let r = radius(&d2, a, b);
        let phi_sum: f64 = d2.iter().map(|x| 1.0 / (1.0 + a * x.powf(b))).sum();
        for e in 0..d2.len() {
            let h = 1e-6 * d2[e];
            let shifted = |delta: f64| {
                let mut v = d2;
                v[e] += delta;
                radius(&v, a, b)
            };
            let numeric = (shifted(h) - shifted(-h)) / (2.0 * h);
            let x = d2[e] as f32;
            let analytic = radius_slope(
                x,
                x.powf(b as f32),
                a as f32,
                b as f32,
                (1.0 / phi_sum) as f32,
                (-r).exp() as f32,
            );
            let rel = (f64::from(analytic) - numeric).abs() / numeric.abs();
            assert!(rel < 1e-5, "edge {e}: {analytic} vs {numeric}");
        }
    }

    /// Points 0, 1, 2 on a line with 0-1 at distance 1 and 1-2 at distance 2, as
    /// lists of one neighbour.
    fn three_points() -> KnnGraph {
        KnnGraph::new(3, 1, vec![1, 0, 1], vec![1.0, 1.0, 2.0]).unwrap()
    }

    /// Input radii by hand on a three-point graph.
    #[test]
    fn input_radii_by_hand() {
        let graph = three_points();
        let w = Edges {
            n_heads: 3,
            n_tails: 3,
            head: vec![0, 1, 1, 2],
            tail: vec![1, 0, 2, 1],
            weight: vec![1.0, 1.0, 0.5, 0.5],
        };
        let r = input_log_radii(&w, &graph).unwrap();
        // Point 1: edges (0,1), (1,0) of weight 1 at d² 1, (1,2), (2,1) of 0.5 at d² 4.
        let expected = [1.0f64.ln(), ((2.0 + 4.0) / 3.0f64).ln(), 4.0f64.ln()];
        for (got, want) in r.iter().zip(expected) {
            assert!((got - (want.exp() + EPSILON).ln()).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn an_edge_missing_from_the_knn_graph_is_named() {
        let graph = three_points();
        let w = Edges {
            n_heads: 3,
            n_tails: 3,
            head: vec![0],
            tail: vec![2],
            weight: vec![1.0],
        };
        let err = input_log_radii(&w, &graph).unwrap_err().to_string();
        assert!(err.contains("(0, 2)"), "{err}");
    }

    /// The density coefficients of a few edges equal a direct transcription of
    /// umap-learn's `grad_cor_coeff` (times 2) in double precision, on a five-point
    /// graph with unequal weights, radii and map positions (so a swap of head and tail,
    /// a missing weight or a wrong divisor shows).
    #[test]
    fn coefficients_follow_umap_learns_gradient() {
        let x = [0.0f64, 1.0, 3.0, 7.0, 8.0];
        let graph = KnnGraph::new(
            5,
            2,
            vec![1, 2, 0, 2, 1, 0, 4, 2, 3, 2],
            vec![1.0, 3.0, 1.0, 2.0, 2.0, 3.0, 1.0, 4.0, 1.0, 5.0],
        )
        .unwrap();
        let pairs = [
            (0, 1, 1.0),
            (0, 2, 0.4),
            (1, 2, 0.7),
            (2, 3, 0.3),
            (3, 4, 1.0),
            (2, 4, 0.2),
        ];
        let mut w = Edges {
            n_heads: 5,
            n_tails: 5,
            head: vec![],
            tail: vec![],
            weight: vec![],
        };
        for &(i, j, mu) in &pairs {
            for (h, t) in [(i, j), (j, i)] {
                w.head.push(h);
                w.tail.push(t);
                w.weight.push(mu);
            }
        }
        let y: [f32; 10] = [0.0, 0.0, 0.5, 0.3, 1.5, -0.2, 4.0, 1.0, 4.2, 1.9];
        let (a, b) = (1.577f64, 0.895f64);
        let settings = DensMap::default();
        let density = Density::new(&settings, &w, &graph).unwrap();
        let epoch = density.epoch(&y, 2, &w, a as f32, b as f32);

        // umap-learn, literally: input radii, then the epoch quantities.
        let n = 5;
        let (mut ro, mut mu_sum) = (vec![0.0; n], vec![0.0; n]);
        let (mut re, mut phi_sum) = (vec![0.0; n], vec![0.0; n]);
        let d2 = |j: usize, k: usize| {
            let dx = f64::from(y[2 * j] - y[2 * k]);
            let dy = f64::from(y[2 * j + 1] - y[2 * k + 1]);
            dx * dx + dy * dy
        };
        let phi = |d: f64| 1.0 / (1.0 + a * d.powf(b));
        for ((&j, &k), &mu) in w.head.iter().zip(&w.tail).zip(&w.weight) {
            let dd = (x[j] - x[k]).powi(2);
            for end in [j, k] {
                ro[end] += mu * dd;
                mu_sum[end] += mu;
                re[end] += phi(d2(j, k)) * d2(j, k);
                phi_sum[end] += phi(d2(j, k));
            }
        }
        let ro: Vec<f64> = (0..n).map(|i| (1e-8 + ro[i] / mu_sum[i]).ln()).collect();
        let re: Vec<f64> = (0..n).map(|i| (1e-8 + re[i] / phi_sum[i]).ln()).collect();
        let stats = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / n as f64;
            (m, v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64)
        };
        let (ro_mean, ro_var) = stats(&ro);
        let big_r: Vec<f64> = ro.iter().map(|r| (r - ro_mean) / ro_var.sqrt()).collect();
        let mu_tot = mu_sum.iter().sum::<f64>() / 2.0;
        let (re_mean, re_var) = stats(&re);
        let re_std = (re_var + settings.var_shift).sqrt();
        let re_cov = re.iter().zip(&big_r).map(|(p, q)| p * q).sum::<f64>() / (n as f64 - 1.0);
        let expected = |e: usize| {
            let (j, k, mu) = (w.head[e], w.tail[e], w.weight[e]);
            let dd = d2(j, k);
            let ph = phi(dd);
            let dphi_term = a * b * dd.powf(b - 1.0) / (1.0 + a * dd.powf(b));
            let drk = ph / phi_sum[k] * ((1.0 - b * (1.0 - ph)) / re[k].exp() + dphi_term);
            let drj = ph / phi_sum[j] * ((1.0 - b * (1.0 - ph)) / re[j].exp() + dphi_term);
            let weight_k = big_r[k] - re_cov * (re[k] - re_mean) / (re_std * re_std);
            let weight_j = big_r[j] - re_cov * (re[j] - re_mean) / (re_std * re_std);
            2.0 * settings.lambda * mu_tot * (weight_k * drk + weight_j * drj)
                / (mu * re_std)
                / n as f64
        };

        let edges = [1, 2, 5, 6, 9, 11];
        let (mut lane_d2, mut head, mut tail, mut weight) =
            ([0.0f32; LANES], [0; LANES], [0; LANES], [0.0f32; LANES]);
        for (l, &e) in edges.iter().enumerate() {
            (head[l], tail[l], weight[l]) = (w.head[e], w.tail[e], w.weight[e] as f32);
            lane_d2[l] = d2(w.head[e], w.tail[e]) as f32;
        }
        let p = power::pow_lanes(&lane_d2, b as f32);
        let got = epoch.coefficients(&lane_d2, &p, &head, &tail, &weight, edges.len());
        for (l, &e) in edges.iter().enumerate() {
            let want = expected(e);
            let rel = (f64::from(got[l]) - want).abs() / want.abs();
            assert!(rel < 1e-4, "edge {e}: {} vs {want}", got[l]);
        }
        assert!(got[edges.len()..].iter().all(|&g| g == 0.0));
    }

    #[test]
    fn settings_are_checked_and_the_schedule_is_umap_learns() {
        assert!(DensMap::default().validate().is_ok());
        let bad = DensMap {
            frac: 1.5,
            ..DensMap::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("frac"));
        // 200 epochs, frac 0.3: on from epoch 140 ((140 + 1) / 200 > 0.7).
        let d = DensMap::default();
        assert!(!d.active(139, 200) && d.active(140, 200) && d.active(199, 200));
    }
}
