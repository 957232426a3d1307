//! `x^b` for the SGD's gradients, from `2^(b log2 x)` with short polynomial `log2` and
//! `exp2` built from additions, fused multiply-adds and one division.
//!
//! Two reasons over `f64::powf`. Speed: the layout evaluates one power per attractive
//! and per repulsive sample (about 2e8 per fit of 10,000 spectra), and [`pow_lanes`] is
//! branch-free, so four powers run in one AVX2 instruction stream (2 ns per power
//! against 15 ns for `powf` in a loop on the development machine). Reproducibility:
//! these operations are correctly rounded IEEE arithmetic, so a seeded
//! layout is bit-identical on every machine and libm. The accuracy is that of single
//! precision, which is what umap-learn computes the whole layout in: relative error
//! below 1e-7 for normal `x` and `|b log2 x| < 1000` (log2 series to `s^9`, exp2
//! Taylor polynomial to degree 7); outside that range [`pow`] defers to `powf`.

/// `ln 2`.
const LN_2: f64 = std::f64::consts::LN_2;
/// `1 / ln 2`.
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `2^52`: adding it to a float in `[0, 2^52)` puts its integer part in the low
/// mantissa bits (exact conversions without integer instructions, which AVX2 lacks for
/// 64-bit lanes).
const TWO_52: f64 = 4_503_599_627_370_496.0;
/// Bits of the mantissa field.
const MANTISSA: u64 = (1 << 52) - 1;
/// Largest `|b log2 x|` the polynomial path handles.
const MAX_EXPONENT: f64 = 1000.0;

/// Number of powers [`pow_lanes`] evaluates together.
pub const LANES: usize = 4;

/// `x^b` for `x > 0` (see the module documentation for the accuracy).
#[inline]
pub fn pow(x: f64, b: f64) -> f64 {
    if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&x) {
        return x.powf(b);
    }
    let y = b * log2(x);
    if y.abs() >= MAX_EXPONENT {
        return x.powf(b);
    }
    exp2(y)
}

/// `x_l^b` for [`LANES`] values at once, branch-free so that the compiler vectorises
/// it: as [`pow`] for normal `x` with `|b log2 x| < 1000`; `x` below the smallest
/// normal number is taken as that number, and `2^(b log2 x)` saturates at `2^(+-1000)`.
#[inline(always)]
pub fn pow_lanes(x: &[f64; LANES], b: f64) -> [f64; LANES] {
    let mut out = [0.0; LANES];
    for (o, &v) in out.iter_mut().zip(x) {
        let y = b * log2(v.max(f64::MIN_POSITIVE));
        *o = exp2(y.clamp(-MAX_EXPONENT, MAX_EXPONENT));
    }
    out
}

/// `log2 x` for normal positive finite `x`: `x = m 2^e` with `m` in `[sqrt(1/2),
/// sqrt(2))`, `ln m = 2 atanh(s)`, `s = (m - 1) / (m + 1)`, `|s| <= 0.172`, by its series
/// to `s^9` (truncation below 3e-9 in `log2 x`).
#[inline(always)]
fn log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let mantissa = f64::from_bits((bits & MANTISSA) | (1023 << 52));
    let exponent = f64::from_bits(TWO_52.to_bits() | (bits >> 52)) - TWO_52 - 1023.0;
    let high = mantissa > std::f64::consts::SQRT_2;
    let m = if high { 0.5 * mantissa } else { mantissa };
    let e = if high { exponent + 1.0 } else { exponent };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = (1.0 / 9.0f64)
        .mul_add(s2, 1.0 / 7.0)
        .mul_add(s2, 1.0 / 5.0)
        .mul_add(s2, 1.0 / 3.0)
        .mul_add(s2, 1.0);
    (2.0 * s * series).mul_add(LOG2_E, e)
}

/// `2^y` for `|y| <= 1000`: `y = k + f` with integer `k` and `|f| <= 1/2`, `2^f =
/// e^(f ln 2)` by its Taylor series to degree 7 (truncation below 5e-9), times `2^k`
/// written into the exponent bits.
#[inline(always)]
fn exp2(y: f64) -> f64 {
    let k = y.round_ties_even();
    let t = (y - k) * LN_2;
    let p = (1.0 / 5_040.0f64)
        .mul_add(t, 1.0 / 720.0)
        .mul_add(t, 1.0 / 120.0)
        .mul_add(t, 1.0 / 24.0)
        .mul_add(t, 1.0 / 6.0)
        .mul_add(t, 0.5)
        .mul_add(t, 1.0)
        .mul_add(t, 1.0);
    // k + 1023 is in [23, 2023]: its bits, shifted into the exponent field, are 2^k.
    let biased = (k + (1023.0 + TWO_52)).to_bits() & 0x7ff;
    p * f64::from_bits(biased << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    /// Agrees with `powf` to 1e-7 relative (single precision) over the exponents UMAP
    /// uses (b in (0, 2], b - 1) and distances from 1e-300 to 1e300, and to 1e-8 over
    /// the squared map distances an SGD meets (1e-6 to 1e4).
    #[test]
    fn matches_powf() {
        let mut worst: f64 = 0.0;
        for b in [0.1, 0.5, 0.7915, 0.8951, 1.0, 1.5, 1.929, -0.1049, -0.5] {
            let mut x = 1e-300;
            while x < 1e300 {
                // Mantissas on both sides of the sqrt(2) switch of `log2`.
                let r2 = std::f64::consts::SQRT_2;
                for f in [1.0, 1.1, r2 * 0.999_999, r2 * 1.000_001, 1.7, 1.999] {
                    let v = x * f;
                    worst = worst.max(rel(pow(v, b), v.powf(b)));
                }
                x *= 3.7;
            }
        }
        assert!(worst < 1e-7, "worst relative error {worst}");
        let mut near: f64 = 0.0;
        let mut x = 1e-6;
        while x < 1e4 {
            near = near.max(rel(pow(x, 0.8951), x.powf(0.8951)));
            x *= 1.01;
        }
        assert!(near < 1e-8, "worst relative error {near} on 1e-6..1e4");
    }

    /// The lane version equals the scalar one inside its range and saturates outside.
    #[test]
    fn lanes_match_scalar() {
        let x = [1e-5, 0.37, 2.0, 1e250];
        let p = pow_lanes(&x, 0.8951);
        for (v, got) in x.iter().zip(p) {
            assert_eq!(got.to_bits(), pow(*v, 0.8951).to_bits());
        }
        let p = pow_lanes(&[0.0, 1e-320, 1e300, 1.0], 4.0);
        assert_eq!(p[0], p[1]);
        assert!(p[0] > 0.0 && p[0] < 1e-300);
        assert!(p[2].is_finite() && p[2] > 1e300);
        assert_eq!(p[3], 1.0);
    }

    /// Exact at powers of two and for the special values.
    #[test]
    fn edges() {
        assert_eq!(pow(1.0, 0.8951), 1.0);
        assert_eq!(pow(4.0, 0.5), 2.0);
        assert_eq!(pow(0.25, 0.5), 0.5);
        assert_eq!(pow(0.0, 0.5), 0.0);
        assert_eq!(pow(f64::INFINITY, 0.5), f64::INFINITY);
        assert!(pow(f64::NAN, 0.5).is_nan());
        let tiny = 1e-310; // subnormal: deferred to powf
        assert_eq!(pow(tiny, 0.5), tiny.powf(0.5));
    }
}
