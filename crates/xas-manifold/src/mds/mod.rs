//! Multidimensional scaling (MDS) of a precomputed distance matrix: coordinates in
//! `dims` dimensions whose Euclidean distances reproduce the given ones.
//!
//! * [`ClassicalMds`] (Torgerson 1952, Gower 1966): the eigenvectors of the
//!   double-centred squared distances `B = -1/2 J D^(2) J`, exact when the distances are
//!   Euclidean and of rank at most `dims`; negative eigenvalues measure how far they
//!   are from Euclidean. New points are placed by Gower's add-a-point formula.
//! * [`smacof`] (de Leeuw 1977, de Leeuw & Mair 2009): metric MDS minimising the raw
//!   stress `sigma(X) = sum_{i<j} (d_ij(X) - delta_ij)^2` by iterated Guttman transforms,
//!   which never increase the stress. New points are placed by minimising their own
//!   stress against the fixed training coordinates.
//!
//! **Conventions.** Both accept asymmetric matrices and use the symmetric part
//! `delta = (D + D^T) / 2`; a query's distances to the training points are used as
//! given. Coordinates are `n x dims` row-major, centred (column means zero), and each
//! axis is signed so that its entry of largest magnitude (the first on ties) is
//! positive. Everything is deterministic (seeded generators, fixed summation orders).

mod classical;
mod smacof;

use std::borrow::Cow;

pub use classical::{ClassicalMds, DENSE_LIMIT};
pub use smacof::{Smacof, SmacofInit, SmacofParams, smacof};

use crate::error::{Error, Result};
use crate::space::DistanceMatrix;

/// The symmetric dissimilarities `delta = (D + D^T) / 2` (`n x n` row-major), borrowed
/// when `D` is already symmetric, after checking that `n >= 3`, `1 <= dims < n` and that
/// not every distance is zero.
fn symmetric_part(d: &DistanceMatrix, dims: usize) -> Result<Cow<'_, [f64]>> {
    let n = d.len();
    if n < 3 {
        return Err(Error::data(
            "distances",
            format!("MDS needs at least 3 points, got {n}"),
        ));
    }
    if dims == 0 || dims >= n {
        return Err(Error::param(
            "dims",
            format!("{dims} is not in 1..{n} (fewer dimensions than points)"),
        ));
    }
    let values = d.as_slice();
    if values.iter().all(|&v| v == 0.0) {
        return Err(Error::data(
            "distances",
            "all distances are zero: there is nothing to embed",
        ));
    }
    let symmetric = (0..n).all(|i| (0..i).all(|j| values[i * n + j] == values[j * n + i]));
    if symmetric {
        return Ok(Cow::Borrowed(values));
    }
    let mut delta = values.to_vec();
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (values[i * n + j] + values[j * n + i]);
            delta[i * n + j] = mean;
            delta[j * n + i] = mean;
        }
    }
    Ok(Cow::Owned(delta))
}

/// Checks the distances of `q >= 1` query points to `n` training points (`q x n`
/// row-major, finite, non-negative) and returns `q`.
fn check_queries(field: &str, values: &[f64], n: usize) -> Result<usize> {
    if n == 0 || values.is_empty() || !values.len().is_multiple_of(n) {
        return Err(Error::data(
            field,
            format!(
                "{} values are not rows of distances to the {n} training points",
                values.len()
            ),
        ));
    }
    if let Some(k) = values.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::data(
            field,
            format!(
                "query {}, training point {}: {} is not a finite non-negative distance",
                k / n,
                k % n,
                values[k]
            ),
        ));
    }
    Ok(values.len() / n)
}

/// Flips each column of `coords` (`_ x dims` row-major) so that its entry of largest
/// magnitude (the first on ties) is positive.
fn fix_signs(coords: &mut [f64], dims: usize) {
    for c in 0..dims {
        let mut largest = 0.0f64;
        for row in coords.chunks_exact(dims) {
            if row[c].abs() > largest.abs() {
                largest = row[c];
            }
        }
        if largest < 0.0 {
            coords
                .chunks_exact_mut(dims)
                .for_each(|row| row[c] = -row[c]);
        }
    }
}

/// Checks that a model's stored coordinates form `n x dims` with `n, dims >= 1`.
fn check_coords(coords: &[f64], n: usize, dims: usize) -> Result<()> {
    if n == 0 || dims == 0 || coords.len() != n * dims {
        return Err(Error::data(
            "model",
            format!(
                "{} coordinates do not form {n} points of {dims} dimensions",
                coords.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asymmetric_input_is_averaged() {
        let d = DistanceMatrix::new(3, vec![0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 1.0, 0.0])
            .expect("valid");
        let delta = symmetric_part(&d, 1).expect("valid");
        assert!(matches!(delta, Cow::Owned(_)));
        assert_eq!(delta[1], 2.0);
        assert_eq!(delta[3], 2.0);
        let sym = DistanceMatrix::new(3, vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0])
            .expect("valid");
        assert!(matches!(
            symmetric_part(&sym, 2).expect("valid"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn sizes_and_queries_are_checked() {
        let two = DistanceMatrix::new(2, vec![0.0, 1.0, 1.0, 0.0]).expect("valid");
        let err = symmetric_part(&two, 1).expect_err("n < 3").to_string();
        assert!(err.contains("at least 3"), "{err}");
        let d = DistanceMatrix::new(3, vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0])
            .expect("valid");
        for dims in [0, 3] {
            let err = symmetric_part(&d, dims).expect_err("dims").to_string();
            assert!(err.contains("dims"), "{err}");
        }
        let zero = DistanceMatrix::new(3, vec![0.0; 9]).expect("valid");
        assert!(symmetric_part(&zero, 1).is_err());
        assert_eq!(check_queries("q", &[1.0; 6], 3).expect("valid"), 2);
        let err = check_queries("q", &[1.0; 4], 3).expect_err("ragged");
        assert!(err.to_string().contains("q"), "{err}");
        let err = check_queries("q", &[1.0, -1.0, 0.0], 3).expect_err("negative");
        assert!(err.to_string().contains("training point 1"), "{err}");
    }

    #[test]
    fn signs_follow_the_largest_entry() {
        let mut x = vec![1.0, -3.0, -2.0, 1.0, 0.5, 2.0];
        fix_signs(&mut x, 2);
        assert_eq!(x, vec![-1.0, 3.0, 2.0, -1.0, -0.5, -2.0]);
    }
}
