//! Wigner 3j symbols for integer angular momenta, computed exactly (Racah's formula in
//! exact integer arithmetic, one square root at the end) and Gaunt coefficients
//! `c^k(l m; l' m')`, the angular integrals of the Coulomb and dipole operators.

/// Largest `j1 + j2 + j3` for which [`wigner_3j`] is computed exactly in `i128`.
pub const MAX_J_SUM: i64 = 15;

/// `n!` as an exact integer (`n <= 33` fits in `i128`).
fn factorial(n: i64) -> i128 {
    (1..=n as i128).product()
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

/// Wigner 3j symbol `(j1 j2 j3; m1 m2 m3)` for integer arguments.
///
/// Returns 0 when the selection rules fail (`m1 + m2 + m3 != 0`, triangle inequality,
/// `|m| > j`). Exact up to the final `f64` square root, so tabulated values such as
/// `(2 2 2; 0 0 0) = -sqrt(2/35)` are reproduced to the last bit or one ulp. Valid for
/// `j1 + j2 + j3 <= 15` (all intermediate products stay within `i128`; at 16 the
/// product of the six factorials of the prefactor needs 133 bits); larger symbols that
/// the selection rules allow give NaN.
pub fn wigner_3j(j1: i64, j2: i64, j3: i64, m1: i64, m2: i64, m3: i64) -> f64 {
    if m1 + m2 + m3 != 0
        || j3 > j1 + j2
        || j3 < (j1 - j2).abs()
        || m1.abs() > j1
        || m2.abs() > j2
        || m3.abs() > j3
    {
        return 0.0;
    }
    if j1 + j2 + j3 > MAX_J_SUM {
        return f64::NAN;
    }
    // Racah: sum over t of (-1)^t / [t! (j3-j2+t+m1)! (j3-j1+t-m2)! (j1+j2-j3-t)!
    // (j1-t-m1)! (j2-t+m2)!], kept as an exact fraction num/den.
    let t_min = 0.max(j2 - j3 - m1).max(j1 - j3 + m2);
    let t_max = (j1 + j2 - j3).min(j1 - m1).min(j2 + m2);
    let (mut num, mut den) = (0i128, 1i128);
    for t in t_min..=t_max {
        let d = factorial(t)
            * factorial(j3 - j2 + t + m1)
            * factorial(j3 - j1 + t - m2)
            * factorial(j1 + j2 - j3 - t)
            * factorial(j1 - t - m1)
            * factorial(j2 - t + m2);
        let sign = if t % 2 == 0 { 1 } else { -1 };
        // num/den + sign/d
        let l = den / gcd(den, d) * d;
        num = num * (l / den) + sign * (l / d);
        den = l;
        let g = gcd(num, den).max(1);
        num /= g;
        den /= g;
    }
    if num == 0 {
        return 0.0;
    }
    // Square of the prefactor: triangle coefficient times the six m factorials.
    let tri_num = factorial(j1 + j2 - j3) * factorial(j1 - j2 + j3) * factorial(-j1 + j2 + j3);
    let tri_den = factorial(j1 + j2 + j3 + 1);
    let m_fact = factorial(j1 + m1)
        * factorial(j1 - m1)
        * factorial(j2 + m2)
        * factorial(j2 - m2)
        * factorial(j3 + m3)
        * factorial(j3 - m3);
    // value^2 = tri_num * m_fact * num^2 / (tri_den * den^2), reduced before the sqrt.
    let (mut sq_num, mut sq_den) = (tri_num * m_fact, tri_den);
    let g = gcd(sq_num, sq_den);
    sq_num /= g;
    sq_den /= g;
    let value = ((sq_num as f64) / (sq_den as f64)).sqrt() * (num.abs() as f64) / (den as f64);
    let phase = if (j1 - j2 - m3).rem_euclid(2) == 0 {
        1.0
    } else {
        -1.0
    };
    phase * value * num.signum() as f64
}

/// Gaunt coefficient `c^k(l1 m1; l2 m2) = (-1)^m1 sqrt((2 l1 + 1)(2 l2 + 1))
/// (l1 k l2; 0 0 0) (l1 k l2; -m1 m1-m2 m2)`, i.e. `sqrt(4 pi / (2k+1))` times the
/// integral of `conj(Y_l1^m1) Y_k^(m1-m2) Y_l2^m2` (Condon-Shortley phases). It is the
/// matrix element `<l1 m1| C^k_(m1-m2) |l2 m2>` of the renormalised spherical harmonic.
pub fn gaunt(l1: i64, m1: i64, k: i64, l2: i64, m2: i64) -> f64 {
    let phase = if m1.rem_euclid(2) == 0 { 1.0 } else { -1.0 };
    let norm = (((2 * l1 + 1) * (2 * l2 + 1)) as f64).sqrt();
    phase * norm * wigner_3j(l1, k, l2, 0, 0, 0) * wigner_3j(l1, k, l2, -m1, m1 - m2, m2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300)
    }

    #[test]
    fn tabulated_values() {
        // Exact values as given by standard tables (cross-checked with sympy.physics.wigner).
        assert!(close(wigner_3j(1, 1, 0, 0, 0, 0), -(1.0f64 / 3.0).sqrt()));
        assert!(close(wigner_3j(1, 1, 2, 0, 0, 0), (2.0f64 / 15.0).sqrt()));
        assert!(close(wigner_3j(2, 2, 2, 0, 0, 0), -(2.0f64 / 35.0).sqrt()));
        assert!(close(wigner_3j(2, 2, 4, 0, 0, 0), (2.0f64 / 35.0).sqrt()));
        assert!(close(wigner_3j(1, 2, 1, 0, 0, 0), (2.0f64 / 15.0).sqrt()));
        assert!(close(wigner_3j(3, 2, 1, -2, 1, 1), -(2.0f64 / 21.0).sqrt()));
        assert_eq!(wigner_3j(2, 3, 3, 0, -2, 2), 0.0);
        assert!(close(wigner_3j(2, 2, 2, 1, -1, 0), (1.0f64 / 70.0).sqrt()));
        assert!(close(wigner_3j(2, 1, 1, 2, -1, -1), (1.0f64 / 5.0).sqrt()));
        assert_eq!(wigner_3j(1, 1, 3, 0, 0, 0), 0.0);
        assert_eq!(wigner_3j(1, 1, 1, 0, 0, 0), 0.0);
        assert_eq!(wigner_3j(2, 2, 2, 1, 1, 0), 0.0);
    }

    #[test]
    fn orthogonality() {
        // sum_{m1 m2} (j1 j2 j3; m1 m2 m3)(j1 j2 j3'; m1 m2 m3) = delta / (2 j3 + 1).
        for (j1, j2) in [(1i64, 2i64), (2, 2), (3, 2)] {
            for j3 in (j1 - j2).abs()..=(j1 + j2) {
                for m3 in -j3..=j3 {
                    let s: f64 = (-j1..=j1)
                        .flat_map(|m1| (-j2..=j2).map(move |m2| (m1, m2)))
                        .map(|(m1, m2)| wigner_3j(j1, j2, j3, m1, m2, m3).powi(2))
                        .sum();
                    assert!((s - 1.0 / (2 * j3 + 1) as f64).abs() < 1e-14);
                }
            }
        }
    }

    #[test]
    fn orthogonality_holds_up_to_the_largest_exact_symbols() {
        // (5 3 j3) reaches j1 + j2 + j3 = 15; (8 8 8) would overflow i128 and is NaN.
        let (j1, j2) = (5i64, 3i64);
        for j3 in (j1 - j2)..=(j1 + j2 - 1) {
            assert!(j1 + j2 + j3 <= MAX_J_SUM);
            for m3 in -j3..=j3 {
                let s: f64 = (-j1..=j1)
                    .flat_map(|m1| (-j2..=j2).map(move |m2| (m1, m2)))
                    .map(|(m1, m2)| wigner_3j(j1, j2, j3, m1, m2, m3).powi(2))
                    .sum();
                assert!((s - 1.0 / (2 * j3 + 1) as f64).abs() < 1e-14, "j3 {j3}");
            }
        }
        assert!(wigner_3j(8, 8, 8, 0, 0, 0).is_nan());
        assert_eq!(wigner_3j(8, 8, 8, 1, 0, 0), 0.0);
    }

    #[test]
    fn gaunt_values_of_the_d_shell() {
        // c^2(2 0; 2 0) = -2/7, c^4(2 0; 2 0) = 6/21 = 2/7, c^2(2 2; 2 2) = -2/7,
        // c^4(2 2; 2 2) = 1/21 (Slater's tables).
        assert!(close(gaunt(2, 0, 2, 2, 0), 2.0 / 7.0));
        assert!(close(gaunt(2, 0, 4, 2, 0), 6.0 / 21.0));
        assert!(close(gaunt(2, 2, 2, 2, 2), -2.0 / 7.0));
        assert!(close(gaunt(2, 2, 4, 2, 2), 1.0 / 21.0));
        assert!(close(gaunt(2, 0, 0, 2, 0), 1.0));
        // Sum rule: sum_m2 c^k(l1 m1; l2 m2)^2 = (2 l2 + 1) (l1 k l2; 0 0 0)^2 (2 l1 + 1).
        for k in [1, 3] {
            let s: f64 = (-1..=1).map(|m2| gaunt(2, 1, k, 1, m2).powi(2)).sum();
            let expect = 3.0 * 5.0 * wigner_3j(2, k, 1, 0, 0, 0).powi(2) / 5.0;
            assert!((s - expect).abs() < 1e-14, "k {k}");
        }
    }
}
