//! Energy grids: uniform grids by step or by count, uniformity checks, and the small
//! argument checks shared by the processing modules.

use crate::error::{Error, Result};

/// Largest number of points a grid constructor will allocate (10^8), so that a typo in
/// a step cannot exhaust memory.
pub const MAX_GRID_POINTS: usize = 100_000_000;

/// A uniform grid `E_k = start_ev + k * step_ev` (eV) from `start_ev` up to `stop_ev`.
///
/// `stop_ev` is included when `(stop_ev - start_ev) / step_ev` is within `1e-6` of an
/// integer (i.e. within `step_ev / 1e6` of a grid point); the last point is then set to
/// exactly `stop_ev`. Otherwise the grid ends at the last point below `stop_ev`.
/// Points are computed by multiplication, not accumulation, so there is no drift.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `start_ev`/`stop_ev`/`step_ev` when a value is not
/// finite, `step_ev <= 0`, `stop_ev <= start_ev`, the grid would have fewer than two
/// points, or more than [`MAX_GRID_POINTS`].
pub fn uniform_grid(start_ev: f64, stop_ev: f64, step_ev: f64) -> Result<Vec<f64>> {
    check_finite_param("start_ev", start_ev)?;
    check_finite_param("stop_ev", stop_ev)?;
    check_positive("step_ev", step_ev)?;
    if stop_ev <= start_ev {
        return Err(Error::param(
            "stop_ev",
            format!("must be greater than start_ev ({start_ev}), got {stop_ev}"),
        ));
    }
    let intervals = (stop_ev - start_ev) / step_ev;
    let whole = (intervals + 1e-6).floor();
    if whole < 1.0 {
        return Err(Error::param(
            "step_ev",
            format!("step {step_ev} eV leaves fewer than 2 points in [{start_ev}, {stop_ev}] eV"),
        ));
    }
    if whole >= MAX_GRID_POINTS as f64 {
        return Err(too_many_points("step_ev", whole));
    }
    let n = whole as usize + 1;
    let mut grid: Vec<f64> = (0..n).map(|k| start_ev + k as f64 * step_ev).collect();
    if (intervals - whole).abs() <= 1e-6 {
        grid[n - 1] = stop_ev;
    }
    Ok(grid)
}

/// `n` evenly spaced values from `start` to `stop`, both included:
/// `v_k = start + (stop - start) * k / (n - 1)`, with `v_{n-1} = stop` exactly.
///
/// `stop < start` gives a decreasing sequence.
///
/// # Errors
/// [`Error::InvalidParameter`] when `n < 2`, `n` exceeds [`MAX_GRID_POINTS`], a bound is
/// not finite, or `start == stop`.
pub fn linspace(start: f64, stop: f64, n: usize) -> Result<Vec<f64>> {
    check_finite_param("start", start)?;
    check_finite_param("stop", stop)?;
    if n < 2 {
        return Err(Error::param("n", format!("must be at least 2, got {n}")));
    }
    if n > MAX_GRID_POINTS {
        return Err(too_many_points("n", n as f64));
    }
    if start == stop {
        return Err(Error::param("stop", "must differ from start"));
    }
    let span = stop - start;
    if !span.is_finite() {
        return Err(Error::param("stop", "stop - start overflows"));
    }
    let last = (n - 1) as f64;
    let mut values: Vec<f64> = (0..n).map(|k| start + span * (k as f64 / last)).collect();
    values[n - 1] = stop;
    Ok(values)
}

/// Returns the step `h = (x_{n-1} - x_0) / (n - 1)` when every spacing `x_{k+1} - x_k`
/// differs from `h` by at most `rel_tol * |h|`, else `None`.
///
/// Also `None` for fewer than two points, non-finite values or a zero step. The sign of
/// the returned step follows the direction of the grid.
pub fn is_uniform(grid: &[f64], rel_tol: f64) -> Option<f64> {
    let n = grid.len();
    if n < 2 || grid.iter().any(|v| !v.is_finite()) || rel_tol.is_nan() || rel_tol < 0.0 {
        return None;
    }
    let step = (grid[n - 1] - grid[0]) / (n - 1) as f64;
    if step == 0.0 {
        return None;
    }
    let tol = rel_tol * step.abs();
    grid.windows(2)
        .all(|w| ((w[1] - w[0]) - step).abs() <= tol)
        .then_some(step)
}

/// Trapezoid-rule quadrature weights of a grid: `w_0 = (x_1 - x_0) / 2`,
/// `w_k = (x_{k+1} - x_{k-1}) / 2`, `w_{n-1} = (x_{n-1} - x_{n-2}) / 2` (eV for an
/// energy grid), so that `sum_k w_k y_k` is the trapezoid integral of `y`.
///
/// Returns an empty vector for fewer than two points.
pub fn trapezoid_weights(grid: &[f64]) -> Vec<f64> {
    let n = grid.len();
    if n < 2 {
        return Vec::new();
    }
    (0..n)
        .map(|k| 0.5 * (grid[(k + 1).min(n - 1)] - grid[k.saturating_sub(1)]))
        .collect()
}

/// Median spacing of an axis (the mean of the two middle spacings for an even count):
/// the natural step for resampling a measured, nearly uniform axis. `None` for fewer
/// than two points.
pub fn median_step(axis: &[f64]) -> Option<f64> {
    let mut steps: Vec<f64> = axis.windows(2).map(|w| w[1] - w[0]).collect();
    steps.sort_by(f64::total_cmp);
    let mid = steps.len() / 2;
    match steps.len() {
        0 => None,
        n if n % 2 == 1 => Some(steps[mid]),
        _ => Some(0.5 * (steps[mid - 1] + steps[mid])),
    }
}

/// Checks that an axis has at least two finite, strictly increasing values; errors name
/// the array and the first offending index (`x[3]`). [`validate_axis`] is this check for
/// an energy axis.
///
/// [`validate_axis`]: crate::spectrum::validate_axis
pub(crate) fn check_axis(name: &str, values: &[f64]) -> Result<()> {
    if values.len() < 2 {
        return Err(Error::data(
            name,
            format!("needs at least 2 points, got {}", values.len()),
        ));
    }
    check_values(name, values, values.len())?;
    if let Some(i) = values.windows(2).position(|w| w[1] <= w[0]) {
        return Err(Error::data(
            format!("{name}[{}]", i + 1),
            format!(
                "axis must be strictly increasing, but {} follows {}",
                values[i + 1],
                values[i]
            ),
        ));
    }
    Ok(())
}

/// Checks that `values` has `expected_len` entries, all finite; errors name `name[i]`.
pub(crate) fn check_values(name: &str, values: &[f64], expected_len: usize) -> Result<()> {
    if values.len() != expected_len {
        return Err(Error::data(
            name,
            format!("has {} values, expected {expected_len}", values.len()),
        ));
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::data(
            format!("{name}[{i}]"),
            format!("value {} is not finite", values[i]),
        )),
        None => Ok(()),
    }
}

/// Smallest and largest of `values` (`(inf, -inf)` when empty).
pub fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Checks that a scalar parameter is finite and strictly positive.
pub(crate) fn check_positive(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("must be finite and > 0, got {value}"),
        ))
    }
}

/// Checks that a scalar parameter is finite.
pub(crate) fn check_finite_param(name: &str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::param(name, format!("must be finite, got {value}")))
    }
}

fn too_many_points(name: &str, count: f64) -> Error {
    Error::param(
        name,
        format!("grid would have {count} points, more than the limit {MAX_GRID_POINTS}"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn uniform_grid_includes_stop_within_tolerance() {
        let g = uniform_grid(7000.0, 7001.0, 0.1).unwrap();
        assert_eq!(g.len(), 11);
        assert_eq!(g[10], 7001.0);
        assert!((g[3] - 7000.3).abs() < 1e-12);
        let g = uniform_grid(0.0, 1.05, 0.1).unwrap();
        assert_eq!(g.len(), 11);
        assert!((g[10] - 1.0).abs() < 1e-12);
        let g = uniform_grid(0.0, 1.0 - 1e-8, 0.1).unwrap();
        assert_eq!(g.len(), 11);
        assert_eq!(g[10], 1.0 - 1e-8);
    }

    #[test]
    fn uniform_grid_rejects_bad_parameters() {
        for (a, b, s, name) in [
            (0.0, 1.0, 0.0, "step_ev"),
            (0.0, 1.0, -0.1, "step_ev"),
            (0.0, 1.0, f64::NAN, "step_ev"),
            (1.0, 0.0, 0.1, "stop_ev"),
            (f64::INFINITY, 2.0, 0.1, "start_ev"),
            (0.0, 1.0, 2.0, "step_ev"),
            (0.0, 1.0, 1e-12, "step_ev"),
        ] {
            let err = uniform_grid(a, b, s).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn linspace_hits_both_ends() {
        let v = linspace(1.0, 2.0, 5).unwrap();
        assert_eq!(v, vec![1.0, 1.25, 1.5, 1.75, 2.0]);
        let v = linspace(2.0, 1.0, 3).unwrap();
        assert_eq!(v, vec![2.0, 1.5, 1.0]);
        assert!(linspace(0.0, 1.0, 1).is_err());
        assert!(linspace(0.0, 0.0, 3).is_err());
        assert!(linspace(0.0, f64::NAN, 3).is_err());
    }

    #[test]
    fn is_uniform_detects_steps() {
        let g = uniform_grid(7000.0, 7100.0, 0.25).unwrap();
        let step = is_uniform(&g, 1e-9).unwrap();
        assert!((step - 0.25).abs() < 1e-12);
        assert_eq!(is_uniform(&[0.0, 1.0, 3.0], 1e-6), None);
        assert_eq!(is_uniform(&[0.0], 1e-6), None);
        assert_eq!(is_uniform(&[1.0, 1.0], 1e-6), None);
        assert_eq!(is_uniform(&[0.0, f64::NAN], 1e-6), None);
    }

    #[test]
    fn trapezoid_weights_sum_to_the_span() {
        let w = trapezoid_weights(&[0.0, 1.0, 3.0, 3.5]);
        assert_eq!(w, vec![0.5, 1.5, 1.25, 0.25]);
        assert!(trapezoid_weights(&[1.0]).is_empty());
    }

    #[test]
    fn check_axis_renames_the_field() {
        let err = check_axis("x", &[0.0, 2.0, 1.0]).unwrap_err().to_string();
        assert!(err.contains("x[2]"), "{err}");
        let err = check_values("y", &[0.0, f64::NAN], 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("y[1]"), "{err}");
    }
}
