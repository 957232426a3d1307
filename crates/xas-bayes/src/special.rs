//! Special functions the priors need: the normal distribution function and the
//! regularised lower incomplete gamma function.

/// Standard normal distribution function `Φ(z) = erfc(-z/√2) / 2` (accurate in both
/// tails because it goes through `erfc`).
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Regularised lower incomplete gamma `P(a, x) = γ(a, x) / Γ(a)` for `a > 0`, `x ≥ 0`:
/// the power series `γ(a,x) = x^a e^-x Σ_k x^k / (a (a+1) ... (a+k))` below `x = a + 1`,
/// and `1 - Q` with Legendre's continued fraction for `Q` above (modified Lentz).
pub(crate) fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if !x.is_finite() {
        return 1.0;
    }
    let ln_prefactor = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (sum.ln() + ln_prefactor).exp().min(1.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (1.0 - (ln_prefactor + h.ln()).exp()).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_tabulated_values() {
        // Abramowitz & Stegun table 26.1.
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((normal_cdf(1.0) - 0.841_344_746_068_543).abs() < 1e-14);
        assert!((normal_cdf(-2.0) - 0.022_750_131_948_179).abs() < 1e-14);
        assert!((normal_cdf(-8.0) / 6.220_960_574_271_785e-16 - 1.0).abs() < 1e-10);
    }

    #[test]
    fn incomplete_gamma_matches_closed_forms() {
        // P(1, x) = 1 - e^-x; P(2, x) = 1 - (1 + x) e^-x; P(1/2, x) = erf(√x).
        for x in [0.01, 0.5, 1.0, 2.9, 3.1, 10.0, 40.0] {
            assert!((gamma_p(1.0, x) - (1.0 - (-x).exp())).abs() < 1e-14, "{x}");
            assert!(
                (gamma_p(2.0, x) - (1.0 - (1.0 + x) * (-x).exp())).abs() < 1e-14,
                "{x}"
            );
            assert!((gamma_p(0.5, x) - libm::erf(x.sqrt())).abs() < 1e-14, "{x}");
        }
        // Median of Gamma(5, 1) is 4.670908882795983 (P = 1/2).
        assert!((gamma_p(5.0, 4.670_908_882_795_983) - 0.5).abs() < 1e-13);
    }
}
