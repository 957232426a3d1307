//! PCA, classical MDS and UMAP maps of one set of spectra side by side, each scored by
//! trustworthiness and the silhouette of a labelling, and the placement of a measured
//! spectrum on the UMAP map after the similarity estimator has aligned it to the
//! library. Shared by the `manifold` demo stage and the validation example.

use std::time::Instant;

use anyhow::{Context, Result};
use xas_core::{SpectraMatrix, Spectrum};
use xas_manifold::mds::ClassicalMds;
use xas_manifold::pca::{Pca, PcaParams};
use xas_manifold::quality;
use xas_manifold::umap::density::DensMap;
use xas_manifold::umap::{self, UmapModel, UmapParams};
use xas_manifold::{Dissimilarity, Vectors};
use xas_metrics::estimate::{EstimatorParams, SimilarityEstimator};
use xas_metrics::measures::Metric;

/// One 2-D map and its scores.
#[derive(Debug, Clone)]
pub struct ScoredMap {
    /// "PCA", "MDS", "UMAP" or "densMAP".
    pub name: &'static str,
    /// `n x 2` coordinates, row-major.
    pub coords: Vec<f64>,
    /// Trustworthiness at the `k` of [`three_maps`].
    pub trustworthiness: f64,
    /// Silhouette of the labels in the map.
    pub silhouette: f64,
    /// Wall-clock time of the fit (s).
    pub seconds: f64,
}

/// The three maps of `vectors` (PCA on the raw rows, which must be what `vectors`
/// holds for a Euclidean measure; MDS and UMAP on the measure of `vectors`), scored at
/// `k` with `labels`, and the fitted UMAP model for [`place_on_umap`].
///
/// # Errors
/// Failed fits or quality measures (too few spectra for `k` or UMAP's neighbours).
pub fn three_maps(
    vectors: &Vectors,
    labels: &[usize],
    k: usize,
    params: &UmapParams,
) -> Result<(Vec<ScoredMap>, UmapModel)> {
    let score = |name, coords, seconds| scored(vectors, labels, k, name, coords, seconds);
    let t = Instant::now();
    let pca = Pca::fit(vectors.rows(), vectors.dim(), &PcaParams::default())?;
    let pca_coords = pca.transform(vectors.rows())?;
    let pca_map = score("PCA", pca_coords, t.elapsed().as_secs_f64())?;
    let t = Instant::now();
    let mds = ClassicalMds::fit(&vectors.distance_matrix()?, 2)?;
    let mds_map = score("MDS", mds.coords().to_vec(), t.elapsed().as_secs_f64())?;
    let t = Instant::now();
    let model = umap::fit_vectors(vectors, params)?;
    let umap_map = score(
        "UMAP",
        model.embedding().to_vec(),
        t.elapsed().as_secs_f64(),
    )?;
    Ok((vec![pca_map, mds_map, umap_map], model))
}

/// The densMAP map of `vectors` (umap-learn's defaults), scored at `k` with `labels`,
/// and its fitted model (whose [`UmapModel::radius_correlation`] measures how well it
/// keeps local density).
///
/// # Errors
/// A failed fit or quality measure.
pub fn densmap_map(
    vectors: &Vectors,
    labels: &[usize],
    k: usize,
) -> Result<(ScoredMap, UmapModel)> {
    let params = UmapParams {
        densmap: Some(DensMap::default()),
        ..UmapParams::default()
    };
    let t = Instant::now();
    let model = umap::fit_vectors(vectors, &params)?;
    let seconds = t.elapsed().as_secs_f64();
    let map = scored(
        vectors,
        labels,
        k,
        "densMAP",
        model.embedding().to_vec(),
        seconds,
    )?;
    Ok((map, model))
}

/// The map `coords` (`n x 2`) of `vectors` named `name`, scored at `k` with `labels`.
///
/// # Errors
/// Failed quality measures (too few spectra for `k`).
fn scored(
    vectors: &Vectors,
    labels: &[usize],
    k: usize,
    name: &'static str,
    coords: Vec<f64>,
    seconds: f64,
) -> Result<ScoredMap> {
    let r = quality::report(
        Dissimilarity::Vectors(vectors),
        &coords,
        2,
        k,
        Some(labels),
        None,
    )?;
    Ok(ScoredMap {
        name,
        coords,
        trustworthiness: r.trustworthiness,
        silhouette: r.silhouette.unwrap_or(f64::NAN),
        seconds,
    })
}

/// A measured spectrum placed on a UMAP map.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Map coordinates.
    pub coords: Vec<f64>,
    /// Energy shift applied to the measured spectrum (eV), found by the shift search.
    pub shift_ev: f64,
    /// Index of the nearest map point (library spectrum).
    pub nearest: usize,
    /// Wall-clock time of the transform alone (s).
    pub transform_seconds: f64,
}

/// Aligns `query` to `library` by the similarity estimator's shift search over
/// `shift_range_ev` (min, max, step; Manhattan measure, the estimator's normalisation),
/// then places it on `model` (fitted to `library`'s rows under that normalisation).
///
/// # Errors
/// A failed estimate or transform; a query that does not cover the library grid at
/// the shift found.
pub fn place_on_umap(
    library: &SpectraMatrix,
    model: &UmapModel,
    query: &Spectrum,
    shift_range_ev: (f64, f64, f64),
) -> Result<Placement> {
    let params = EstimatorParams {
        metric: Metric::Manhattan,
        shift_search_ev: Some(shift_range_ev),
        ..EstimatorParams::default()
    };
    let est = SimilarityEstimator::new(library, params)?;
    let shift_ev = est.estimate(query)?.shift_ev;
    let aligned = est
        .query_on_grid(query, shift_ev)?
        .context("the measured spectrum does not cover the library grid")?;
    let t = Instant::now();
    let coords = model.transform(&aligned)?;
    let transform_seconds = t.elapsed().as_secs_f64();
    let nearest = nearest_point(model.embedding(), &coords);
    Ok(Placement {
        coords,
        shift_ev,
        nearest,
        transform_seconds,
    })
}

/// Index of the 2-D map point nearest to `p`.
fn nearest_point(coords: &[f64], p: &[f64]) -> usize {
    coords
        .chunks(2)
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let da = (a[0] - p[0]).hypot(a[1] - p[1]);
            let db = (b[0] - p[0]).hypot(b[1] - p[1]);
            da.total_cmp(&db)
        })
        .map_or(0, |(i, _)| i)
}
