//! Normal quantiles and the chi-square-to-normal-score map behind every threshold.
//!
//! Thresholds are given as *false-split probabilities* `p`: the probability that noise
//! alone makes a pixel look different from the spectrum that produced it. Each test
//! statistic is mapped to a standard normal score `z`, and a difference counts when
//! `z > z_p` with `P(Z > z_p) = p` ([`upper_quantile`]).

use std::f64::consts::{PI, SQRT_2};

/// Standard normal cumulative distribution `Φ(x)`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

/// Standard normal quantile `Φ⁻¹(p)` for `0 < p < 1` (NaN outside).
///
/// Acklam's rational approximation (relative error 1.2e-9) followed by one Halley step
/// on `Φ(x) - p`, which brings it to double precision.
pub fn probit(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < P_LOW {
        tail(p)
    } else if p > 1.0 - P_LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// The normal score exceeded with probability `p`: `z_p = Φ⁻¹(1 - p)`, computed as
/// `-Φ⁻¹(p)` so that tiny `p` keeps its precision.
pub fn upper_quantile(p: f64) -> f64 {
    -probit(p)
}

/// Normal score of a chi-square value with `dof` degrees of freedom, by the
/// Wilson-Hilferty cube-root transformation
/// `z = ((χ²/k)^{1/3} - (1 - 2/(9k))) / sqrt(2/(9k))`, accurate to about 0.01 in `z`
/// for `k ≥ 10` (spectra have tens to hundreds of energies).
pub fn chi_square_score(chi2: f64, dof: f64) -> f64 {
    let v = 2.0 / (9.0 * dof);
    ((chi2.max(0.0) / dof).cbrt() - (1.0 - v)) / v.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probit_matches_tabulated_quantiles() {
        // Tabulated standard normal quantiles (e.g. Abramowitz & Stegun 26.2).
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.99, 2.326_347_874_040_841),
            (0.9999, 3.719_016_485_455_709),
            (1e-9, -5.997_807_015_007_686),
        ] {
            assert!((probit(p) - z).abs() < 1e-12, "p {p}: {} vs {z}", probit(p));
        }
        assert!((upper_quantile(1e-4) - 3.719_016_485_455_709).abs() < 1e-12);
        assert!(probit(0.0).is_nan() && probit(1.0).is_nan());
    }

    #[test]
    fn probit_inverts_the_cdf() {
        for i in 1..100 {
            let p = f64::from(i) / 100.0;
            assert!((normal_cdf(probit(p)) - p).abs() < 1e-14);
        }
    }

    #[test]
    fn chi_square_scores_are_standard_normal() {
        // Simulated chi-square(98) values: the score must have mean 0, sd 1 and the
        // normal tail fraction above z = 2.326.
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        let k = 98;
        let n = 200_000;
        let scores: Vec<f64> = (0..n)
            .map(|_| {
                let chi2: f64 = (0..k)
                    .map(|_| {
                        let g: f64 = StandardNormal.sample(&mut rng);
                        g * g
                    })
                    .sum();
                chi_square_score(chi2, k as f64)
            })
            .collect();
        let mean = scores.iter().sum::<f64>() / n as f64;
        let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n as f64;
        let tail = scores.iter().filter(|&&s| s > 2.326).count() as f64 / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var.sqrt() - 1.0).abs() < 0.01, "sd {}", var.sqrt());
        // Binomial sd of the tail fraction is 2.2e-4.
        assert!((tail - 0.01).abs() < 1e-3, "tail {tail}");
    }
}
