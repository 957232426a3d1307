//! `x^b` in single precision for the SGD's gradients, eight at a time, from
//! `2^(b log2 x)` with short polynomial `log2` and `exp2` built from additions, fused
//! multiply-adds and one division.
//!
//! Two reasons over `f32::powf`. Speed: the layout evaluates one power per attractive
//! and per repulsive sample (about 2e8 per fit of 10,000 spectra), and [`pow_lanes`] is
//! branch-free, so the powers of a batch run eight to an AVX2 instruction.
//! Reproducibility: these operations are correctly rounded IEEE arithmetic, so a seeded
//! layout is bit-identical on every machine and libm. The accuracy is that of single
//! precision, in which umap-learn computes the whole layout: relative error below
//! `2e-6` for `|b log2 x| < 20` (the squared map distances of an SGD, 1e-6 to 1e6, with
//! `|b| <= 1`), dominated by the rounding of `b log2 x` to `f32` (series truncation
//! below `2e-8`).

/// `ln 2`.
const LN_2: f32 = std::f32::consts::LN_2;
/// `1 / ln 2`.
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `2^23`: adding it to an integer-valued float in `[0, 2^23)` puts the integer in the
/// low mantissa bits.
const TWO_23: f32 = 8_388_608.0;
/// Bits of the mantissa field.
const MANTISSA: u32 = (1 << 23) - 1;
/// Largest `|b log2 x|` handled: `2^±126` are the extreme normal powers of two.
const MAX_EXPONENT: f32 = 126.0;

/// `x_l^b` for `N` values at once, branch-free so that the compiler vectorises it
/// (eight per 256-bit register), to the accuracy of the module documentation for
/// normal positive `x`; `x` below the smallest normal number (zero included) is taken
/// as that number, and `2^(b log2 x)` saturates at `2^(±126)`.
#[inline(always)]
pub fn pow_lanes<const N: usize>(x: &[f32; N], b: f32) -> [f32; N] {
    let mut out = [0.0; N];
    for (o, &v) in out.iter_mut().zip(x) {
        let y = b * log2(v.max(f32::MIN_POSITIVE));
        *o = exp2(y.clamp(-MAX_EXPONENT, MAX_EXPONENT));
    }
    out
}

/// `log2 x` for normal positive finite `x`: `x = m 2^e` with `m` in `[sqrt(1/2),
/// sqrt(2))`, `ln m = 2 atanh(s)`, `s = (m - 1) / (m + 1)`, `|s| <= 0.172`, by its series
/// to `s^9` (truncation below `3e-9` in `log2 x`).
#[inline(always)]
fn log2(x: f32) -> f32 {
    let bits = x.to_bits();
    let mantissa = f32::from_bits((bits & MANTISSA) | (127 << 23));
    let exponent = (bits >> 23) as i32 - 127;
    let high = mantissa > std::f32::consts::SQRT_2;
    let m = if high { 0.5 * mantissa } else { mantissa };
    let e = if high { exponent + 1 } else { exponent };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = (1.0 / 9.0f32)
        .mul_add(s2, 1.0 / 7.0)
        .mul_add(s2, 1.0 / 5.0)
        .mul_add(s2, 1.0 / 3.0)
        .mul_add(s2, 1.0);
    (2.0 * s * series).mul_add(LOG2_E, e as f32)
}

/// `2^y` for `|y| <= 126`: `y = k + f` with integer `k` and `|f| <= 1/2`, `2^f =
/// e^(f ln 2)` by its Taylor series to degree 7 (truncation below `5e-9`), times `2^k`
/// written into the exponent bits.
#[inline(always)]
fn exp2(y: f32) -> f32 {
    let k = y.round_ties_even();
    let t = (y - k) * LN_2;
    let p = (1.0 / 5_040.0f32)
        .mul_add(t, 1.0 / 720.0)
        .mul_add(t, 1.0 / 120.0)
        .mul_add(t, 1.0 / 24.0)
        .mul_add(t, 1.0 / 6.0)
        .mul_add(t, 0.5)
        .mul_add(t, 1.0)
        .mul_add(t, 1.0);
    // k + 127 is in [1, 253]. Added to 2^23 it is an exact float whose low mantissa
    // bits are that integer (no float-to-integer conversion, whose saturating
    // semantics would keep it scalar); shifted into the exponent field, it is 2^k.
    let biased = (k + (127.0 + TWO_23)).to_bits() & 0xff;
    p * f32::from_bits(biased << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f32, b: f64) -> f64 {
        ((f64::from(a) - b) / b).abs()
    }

    /// Agrees with the double-precision `powf` to 2e-6 relative over the exponents
    /// UMAP uses (b in (0, 1], b - 1) and the squared map distances an SGD meets (1e-6
    /// to 1e6), mantissas on both sides of the sqrt(2) switch of `log2`.
    #[test]
    fn matches_powf() {
        let mut worst: f64 = 0.0;
        for b in [0.1f32, 0.5, 0.7915, 0.8951, 1.0, -0.1049, -0.2085, -0.5] {
            let mut x = 1e-6f32;
            while x < 1e6 {
                let r2 = std::f32::consts::SQRT_2;
                let xs = [
                    1.0,
                    1.1,
                    r2 * 0.999_99,
                    r2 * 1.000_01,
                    1.7,
                    1.999,
                    1.5,
                    1.25,
                ]
                .map(|f| x * f);
                for (v, p) in xs.iter().zip(pow_lanes(&xs, b)) {
                    worst = worst.max(rel(p, f64::from(*v).powf(f64::from(b))));
                }
                x *= 1.37;
            }
        }
        assert!(worst < 2e-6, "worst relative error {worst}");
    }

    /// Exact at powers of two; zero and subnormal inputs are floored, huge exponents
    /// saturate instead of overflowing.
    #[test]
    fn edges() {
        let x = [1.0, 4.0, 0.25, 0.0, 1e-40, 3e38, 1.0, 16.0];
        let p = pow_lanes(&x, 0.5);
        assert_eq!(&p[..3], &[1.0, 2.0, 0.5]);
        assert_eq!(p[3], p[4]);
        assert!(p[3] > 0.0 && p[3] < 1e-18);
        assert!((f64::from(p[5]) / 3e38f64.sqrt() - 1.0).abs() < 2e-6);
        assert_eq!(p[7], 4.0);
        let big = pow_lanes(&[3e38; 8], 8.0);
        assert!(big[0].is_finite() && big[0] > 1e37);
    }
}
