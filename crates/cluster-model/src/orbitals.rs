//! Spin-orbitals of one shell and the one-particle matrices defined on them.
//!
//! Within a shell of angular momentum `l` the spin-orbital `2 (m + l) + s` is the
//! complex spherical harmonic `Y_l^m` (Condon-Shortley phases) with spin up (`s = 0`,
//! `m_s = +1/2`) or down (`s = 1`). All one-particle matrices used here are real in
//! this basis (fields along z or x only), so Hamiltonians are real symmetric.

/// Orbital angular momentum of the 3d shell (and of the ligand shell, which uses the
/// same symmetry-adapted orbitals).
pub const L_D: i64 = 2;
/// Orbital angular momentum of the 2p shell.
pub const L_P: i64 = 1;

/// Number of spin-orbitals of a shell with angular momentum `l`.
pub fn n_spin_orbitals(l: i64) -> usize {
    2 * (2 * l as usize + 1)
}

/// Index of `(m, spin_up)` within a shell of angular momentum `l`.
pub fn so_index(l: i64, m: i64, up: bool) -> usize {
    2 * (m + l) as usize + usize::from(!up)
}

/// `(m, spin_up)` of spin-orbital `i` in a shell of angular momentum `l`.
pub fn so_quantum_numbers(l: i64, i: usize) -> (i64, bool) {
    ((i / 2) as i64 - l, i.is_multiple_of(2))
}

/// A dense square one-particle matrix on the spin-orbitals of one shell (row-major).
pub type OneParticle = Vec<Vec<f64>>;

fn zeros(l: i64) -> OneParticle {
    let n = n_spin_orbitals(l);
    vec![vec![0.0; n]; n]
}

/// `l . s = l_z s_z + (l_+ s_- + l_- s_+) / 2` (in units of hbar^2).
pub fn spin_orbit(l: i64) -> OneParticle {
    let mut h = zeros(l);
    for m in -l..=l {
        for up in [true, false] {
            let i = so_index(l, m, up);
            h[i][i] = m as f64 * if up { 0.5 } else { -0.5 };
        }
        if m < l {
            // <m+1, down| l+ s- |m, up> / 2 = sqrt(l(l+1) - m(m+1)) / 2, and its transpose.
            let v = 0.5 * ((l * (l + 1) - m * (m + 1)) as f64).sqrt();
            let (a, b) = (so_index(l, m + 1, false), so_index(l, m, true));
            h[a][b] = v;
            h[b][a] = v;
        }
    }
    h
}

/// Spin moment component `s_z` (`axis = 'z'`) or `s_x` (`'x'`).
pub fn spin_moment(l: i64, axis: char) -> OneParticle {
    let mut h = zeros(l);
    for m in -l..=l {
        let (u, d) = (so_index(l, m, true), so_index(l, m, false));
        if axis == 'z' {
            h[u][u] = 0.5;
            h[d][d] = -0.5;
        } else {
            h[u][d] = 0.5;
            h[d][u] = 0.5;
        }
    }
    h
}

/// Orbital moment component `l_z` (`axis = 'z'`) or `l_x` (`'x'`).
pub fn orbital_moment(l: i64, axis: char) -> OneParticle {
    let mut h = zeros(l);
    for m in -l..=l {
        for up in [true, false] {
            let i = so_index(l, m, up);
            if axis == 'z' {
                h[i][i] = m as f64;
            } else if m < l {
                let v = 0.5 * ((l * (l + 1) - m * (m + 1)) as f64).sqrt();
                let j = so_index(l, m + 1, up);
                h[i][j] = v;
                h[j][i] = v;
            }
        }
    }
    h
}

/// The five real d orbitals in the order used by [`d_orbital_energies`].
pub const REAL_D_ORBITALS: [&str; 5] = ["z2", "xz", "yz", "x2-y2", "xy"];

/// Coefficients of the real d orbitals in the complex basis: `(m, c_m)` pairs with real
/// `c` after removing a global phase (`yz` and `xy` carry a factor `i`, which cancels in
/// projectors).
fn real_d_orbital(index: usize) -> [(i64, f64); 2] {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    match index {
        0 => [(0, 1.0), (0, 0.0)],
        1 => [(-1, r), (1, -r)],
        2 => [(-1, r), (1, r)],
        3 => [(-2, r), (2, r)],
        _ => [(-2, r), (2, -r)],
    }
}

/// The spin-diagonal one-particle operator that gives the real d orbitals
/// (`z2, xz, yz, x2-y2, xy`) the energies `e` (eV): `sum_o e_o |o><o|`.
pub fn d_orbital_energies(e: [f64; 5]) -> OneParticle {
    let mut h = zeros(L_D);
    for (o, &energy) in e.iter().enumerate() {
        let c = real_d_orbital(o);
        for &(m1, c1) in &c {
            for &(m2, c2) in &c {
                for up in [true, false] {
                    h[so_index(L_D, m1, up)][so_index(L_D, m2, up)] += energy * c1 * c2;
                }
            }
        }
    }
    h
}

/// Octahedral crystal field per unit of 10Dq: `+0.6` on eg (`z2`, `x2-y2`), `-0.4` on
/// t2g (`xz`, `yz`, `xy`).
pub fn oh_crystal_field() -> OneParticle {
    d_orbital_energies([0.6, -0.4, -0.4, 0.6, -0.4])
}

/// Projector on the eg orbitals (`z2`, `x2-y2`).
pub fn eg_projector() -> OneParticle {
    d_orbital_energies([1.0, 0.0, 0.0, 1.0, 0.0])
}

/// Projector on the t2g orbitals (`xz`, `yz`, `xy`).
pub fn t2g_projector() -> OneParticle {
    d_orbital_energies([0.0, 1.0, 1.0, 0.0, 1.0])
}

/// Tetragonal (D4h) crystal field per unit of Ds: `x2-y2` +2, `z2` -2, `xy` +2,
/// `xz`/`yz` -1.
pub fn d4h_ds() -> OneParticle {
    d_orbital_energies([-2.0, -1.0, -1.0, 2.0, 2.0])
}

/// Tetragonal (D4h) crystal field per unit of Dt: `x2-y2` -1, `z2` -6, `xy` -1,
/// `xz`/`yz` +4.
pub fn d4h_dt() -> OneParticle {
    d_orbital_energies([-6.0, 4.0, 4.0, -1.0, -1.0])
}

/// Identity (number operator) on a shell.
pub fn identity(l: i64) -> OneParticle {
    let mut h = zeros(l);
    for (i, row) in h.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eigen_sum_and_trace(h: &OneParticle) -> f64 {
        h.iter().enumerate().map(|(i, r)| r[i]).sum()
    }

    #[test]
    fn projectors_are_complementary_and_traceless_cf() {
        let (eg, t2g) = (eg_projector(), t2g_projector());
        let id = identity(L_D);
        for i in 0..10 {
            for j in 0..10 {
                assert!((eg[i][j] + t2g[i][j] - id[i][j]).abs() < 1e-15);
            }
        }
        assert!((eigen_sum_and_trace(&eg) - 4.0).abs() < 1e-14);
        assert!(eigen_sum_and_trace(&oh_crystal_field()).abs() < 1e-14);
        assert!(eigen_sum_and_trace(&d4h_ds()).abs() < 1e-14);
        assert!(eigen_sum_and_trace(&d4h_dt()).abs() < 1e-14);
    }

    /// The fields in the complex basis `|m>` (both spins alike) against the textbook
    /// matrix elements: Oh with 10Dq = 1 (Dq = 0.1) has `<±2|V|±2> = Dq`,
    /// `<±2|V|∓2> = 5 Dq`, `<±1|V|±1> = -4 Dq`, `<0|V|0> = 6 Dq`; D4h's Ds is diagonal,
    /// +2 for m = ±2, -1 for ±1, -2 for 0.
    #[test]
    fn crystal_fields_have_the_textbook_matrix_elements() {
        let oh = oh_crystal_field();
        let ds = d4h_ds();
        for up in [true, false] {
            let at =
                |h: &OneParticle, m1: i64, m2: i64| h[so_index(L_D, m1, up)][so_index(L_D, m2, up)];
            for (m, oh_diag, ds_diag) in [
                (2, 0.1, 2.0),
                (1, -0.4, -1.0),
                (0, 0.6, -2.0),
                (-1, -0.4, -1.0),
                (-2, 0.1, 2.0),
            ] {
                assert!((at(&oh, m, m) - oh_diag).abs() < 1e-15, "Oh m {m}");
                assert!((at(&ds, m, m) - ds_diag).abs() < 1e-15, "Ds m {m}");
                for m2 in (-2..=2).filter(|&m2| m2 != m) {
                    let off = if m.abs() == 2 && m2 == -m { 0.5 } else { 0.0 };
                    assert!((at(&oh, m, m2) - off).abs() < 1e-15, "Oh {m} {m2}");
                    assert!(at(&ds, m, m2).abs() < 1e-15, "Ds {m} {m2}");
                }
            }
        }
    }

    #[test]
    fn spin_orbit_is_symmetric_with_the_right_trace_of_square() {
        // Eigenvalues of l.s: l/2 (x 2l+2) and -(l+1)/2 (x 2l): tr (l.s)^2 known.
        for l in [1, 2] {
            let h = spin_orbit(l);
            let mut tr2 = 0.0;
            for (i, row) in h.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    assert_eq!(v, h[j][i]);
                    tr2 += v * v;
                }
            }
            let (a, b) = (l as f64 / 2.0, -(l as f64 + 1.0) / 2.0);
            let expect = (2 * l + 2) as f64 * a * a + (2 * l) as f64 * b * b;
            assert!((tr2 - expect).abs() < 1e-12, "l {l}");
        }
    }
}
