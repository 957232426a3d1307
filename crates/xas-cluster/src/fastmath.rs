//! Branch-free single-precision `ln` and `exp` that the compiler vectorises, for the
//! per-value work on 10⁸-10¹⁰ values (optical densities, synthetic counts). Both are
//! accurate to a few units in the last place of `f32` (relative error below 1e-6; for
//! `exp` when `|x| ≤ 10`, beyond which the rounding of `x·log₂e` adds about
//! `1e-7·|x|`), far below the counting noise they are used with.

use std::f32::consts::{LN_2, LOG2_E, SQRT_2};

/// Natural logarithm of a positive, normal `x`.
///
/// `x = m·2^e` with `m ∈ [1/√2, √2)`; `ln m = 2 atanh t`, `t = (m-1)/(m+1)`,
/// `|t| < 0.172`, by its odd series to `t⁹`.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let e = if big { e + 1 } else { e };
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = 1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0))));
    e as f32 * LN_2 + 2.0 * t * series
}

/// `e^x` for `-80 < x < 80`.
///
/// `e^x = 2^n · 2^f` with `n = round(x·log₂e)`, `|f| ≤ 1/2`; `2^f = e^{f ln 2}` by its
/// Taylor series to the 7th power.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let y = x * LOG2_E;
    let n = y.round();
    let r = (y - n) * LN_2;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // `n` is a whole number below 2^22 in magnitude, so `n + SHIFT` is exact and
    // holds `n` in its low mantissa bits. Read from there, the conversion stays in
    // vector lanes; `n as i32` saturates and made the compiler convert lane by lane.
    const SHIFT: f32 = 12_582_912.0; // 1.5 · 2^23
    let n = (n + SHIFT).to_bits() as i32 - SHIFT.to_bits() as i32;
    let scale = f32::from_bits(((n + 127) as u32) << 23);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std_to_1e6_relative() {
        let mut x = 1e-3f32;
        while x < 1e7 {
            let (ours, std) = (ln(x), f64::from(x).ln());
            assert!(
                (f64::from(ours) - std).abs() <= 1e-6 * std.abs().max(1.0),
                "ln({x}) = {ours} vs {std}"
            );
            x *= 1.013;
        }
    }

    #[test]
    fn exp_matches_std_to_1e6_relative() {
        let mut x = -10.0f32;
        while x < 10.0 {
            let (ours, std) = (exp(x), f64::from(x).exp());
            assert!(
                (f64::from(ours) / std - 1.0).abs() < 1e-6,
                "exp({x}) = {ours} vs {std}"
            );
            x += 0.00137;
        }
    }
}
