//! Two-body Coulomb operators of one atom from Slater integrals.
//!
//! `H_C = 1/2 sum U(a b c d) c_a^dagger c_b^dagger c_d c_c` with
//! `U(a b c d) = delta(s_a, s_c) delta(s_b, s_d) sum_k R^k c^k(l_a m_a; l_c m_c)
//! c^k(l_d m_d; l_b m_b)`, where `c^k` are Gaunt coefficients ([`crate::wigner::gaunt`])
//! and the radial integral `R^k` is `F^k` for direct terms (a, c in one shell; b, d in
//! one shell) and `G^k` for exchange terms between different shells (a, d in one shell;
//! b, c in the other). Each function returns the operator per unit of one Slater
//! integral, so a Hamiltonian is a linear combination of them.

use crate::operator::Operator;
use crate::orbitals::so_quantum_numbers;
use crate::wigner::gaunt;

/// A shell of one atom: angular momentum and first spin-orbital.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomShell {
    /// Orbital angular momentum.
    pub l: i64,
    /// First global spin-orbital index.
    pub offset: usize,
}

impl AtomShell {
    fn orbitals(&self) -> impl Iterator<Item = (usize, i64, bool)> + '_ {
        (0..2 * (2 * self.l as usize + 1)).map(move |i| {
            let (m, up) = so_quantum_numbers(self.l, i);
            (self.offset + i, m, up)
        })
    }
}

/// Which integral a two-body operator carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Integral {
    /// `F^k` between shells `a` and `b` (the same shell for `F^k_dd`).
    Direct,
    /// `G^k` between two different shells.
    Exchange,
}

/// `F^k` within one shell (`F^k_dd` for `k = 0, 2, 4`): the operator per unit of `F^k`.
pub fn direct_within(shell: AtomShell, k: i64) -> Operator {
    build(shell, shell, k, Integral::Direct)
}

/// `F^k` between two different shells (`F^k_pd` for `k = 0, 2`).
pub fn direct_between(a: AtomShell, b: AtomShell, k: i64) -> Operator {
    build(a, b, k, Integral::Direct)
}

/// `G^k` between two different shells (`G^k_pd` for `k = 1, 3`).
pub fn exchange_between(a: AtomShell, b: AtomShell, k: i64) -> Operator {
    build(a, b, k, Integral::Exchange)
}

/// Collects `1/2 U(abcd) c_a^dagger c_b^dagger c_d c_c` for all orbital quadruples
/// whose integral is the requested one. For two different shells both assignments
/// (electron 1 in shell a or in shell b) are included, so the 1/2 is compensated.
fn build(a: AtomShell, b: AtomShell, k: i64, integral: Integral) -> Operator {
    let mut op = Operator::default();
    let pairs: Vec<(AtomShell, AtomShell)> = if a == b {
        vec![(a, a)]
    } else {
        vec![(a, b), (b, a)]
    };
    for (s1, s2) in pairs {
        // Electron 1 goes a -> c, electron 2 goes d -> b (c^k(a;c) c^k(d;b)).
        let (sc, sd) = match integral {
            Integral::Direct => (s1, s2),
            Integral::Exchange => (s2, s1),
        };
        for (ia, ma, ua) in s1.orbitals() {
            for (ib, mb, ub) in s2.orbitals() {
                for (ic, mc, uc) in sc.orbitals() {
                    if uc != ua {
                        continue;
                    }
                    for (id, md, ud) in sd.orbitals() {
                        if ud != ub || ma + mb != mc + md {
                            continue;
                        }
                        let u = gaunt(s1.l, ma, k, sc.l, mc) * gaunt(sd.l, md, k, s2.l, mb);
                        if u.abs() > 1e-15 {
                            op.two_body.push((ia, ib, ic, id, 0.5 * u));
                        }
                    }
                }
            }
        }
    }
    op
}
