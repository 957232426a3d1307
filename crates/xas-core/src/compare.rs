//! Numerical comparison of spectra, as used by the validation reports.

/// `max_i |a_i - b_i| / max_i |b_i|`: the largest deviation of `a` from the reference
/// `b`, relative to the reference's peak. Compares the common length; returns NaN when
/// the reference is all zero.
pub fn max_relative_difference(a: &[f64], b: &[f64]) -> f64 {
    let peak = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    if peak > 0.0 { worst / peak } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_the_reference_peak() {
        assert_eq!(
            max_relative_difference(&[1.0, 2.5, 4.0], &[1.0, 2.0, 4.0]),
            0.125
        );
        assert!(max_relative_difference(&[1.0], &[0.0]).is_nan());
    }
}
