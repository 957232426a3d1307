//! All-pairs distance matrices of a set of spectra on one energy axis (the input of
//! MDS, UMAP, clustering): each spectrum is prepared once for the measure
//! ([`Metric::prepare`]), then every pair costs only the measure's final expression.
//! Rows of the matrix are computed in parallel with the `rayon` feature; the serial
//! path gives identical results.

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::measures::Metric;

/// The `n x n` row-major matrix `D[i][j] = metric(row_i, row_j)` of the `n` spectra in
/// `rows` (`n x m`, row-major, `m = energy_ev.len()`). Equal to
/// [`Metric::distance`] for every pair; the diagonal is 0, and for the symmetric
/// measures (all but Kullback-Leibler) only `i < j` is computed and mirrored.
///
/// # Errors
/// [`Error::InvalidParameter`]/[`Error::InvalidData`] as [`Metric::distance`] for the
/// parameter and the grid, and naming `rows` when its length is not a multiple of `m`
/// or a value is not finite.
pub fn pairwise(metric: &Metric, energy_ev: &[f64], rows: &[f64]) -> Result<Vec<f64>> {
    metric.check_grid(energy_ev)?;
    let m = energy_ev.len();
    if !rows.len().is_multiple_of(m) {
        return Err(Error::data(
            "rows",
            format!("length {} is not a multiple of {m} points", rows.len()),
        ));
    }
    if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
        return Err(Error::data(
            "rows",
            format!("non-finite value in spectrum {}, point {}", i / m, i % m),
        ));
    }
    let prepared: Vec<Vec<f64>> = rows
        .chunks_exact(m)
        .map(|row| metric.prepare(energy_ev, row))
        .collect();
    let n = prepared.len();
    let symmetric = metric.is_symmetric();
    let fill = |(i, out): (usize, &mut [f64])| {
        let first = if symmetric { i + 1 } else { 0 };
        for j in (first..n).filter(|&j| j != i) {
            out[j] = metric.prepared_distance(energy_ev, &prepared[i], &prepared[j]);
        }
    };
    let mut d = vec![0.0; n * n];
    #[cfg(feature = "rayon")]
    d.par_chunks_mut(n.max(1)).enumerate().for_each(fill);
    #[cfg(not(feature = "rayon"))]
    d.chunks_mut(n.max(1)).enumerate().for_each(fill);
    if symmetric {
        for i in 0..n {
            for j in 0..i {
                d[i * n + j] = d[j * n + i];
            }
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectra(n: usize, m: usize) -> (Vec<f64>, Vec<f64>) {
        let e: Vec<f64> = (0..m).map(|i| 700.0 + 0.5 * i as f64).collect();
        let rows = (0..n)
            .flat_map(|k| {
                (0..m).map(move |i| {
                    let x = i as f64 / m as f64;
                    (-((x - 0.2 - 0.05 * k as f64) / 0.1).powi(2)).exp() + 0.1 * x
                })
            })
            .collect();
        (e, rows)
    }

    #[test]
    fn every_entry_is_the_measure() {
        let (e, rows) = spectra(7, 40);
        for metric in Metric::ALL_DEFAULT {
            let d = pairwise(&metric, &e, &rows).unwrap();
            for i in 0..7 {
                assert_eq!(d[i * 7 + i], 0.0, "{metric}");
                for j in 0..7 {
                    let a = &rows[i * 40..(i + 1) * 40];
                    let b = &rows[j * 40..(j + 1) * 40];
                    let expected = if i == j {
                        0.0
                    } else {
                        metric.distance(&e, a, b).unwrap()
                    };
                    assert_eq!(
                        d[i * 7 + j].to_bits(),
                        expected.to_bits(),
                        "{metric} {i} {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn bad_input_is_named() {
        let (e, mut rows) = spectra(3, 10);
        assert!(pairwise(&Metric::Euclidean, &e, &rows[..25]).is_err());
        rows[13] = f64::NAN;
        let err = pairwise(&Metric::Euclidean, &e, &rows).unwrap_err();
        assert!(err.to_string().contains("spectrum 1, point 3"), "{err}");
        assert!(pairwise(&Metric::Euclidean, &e, &[]).unwrap().is_empty());
    }
}
