//! Slater determinants as bit strings and the Fock-space sectors of a model.
//!
//! Spin-orbital `i` occupied means bit `i` set. Operators act with the usual fermionic
//! sign: `c_i |n> = (-1)^(number of occupied orbitals below i) |n - i>`, and likewise
//! for `c_i^dagger`.
//!
//! A [`Sector`] is the set of determinants with prescribed electron counts per shell,
//! for each of a list of allowed count tuples (e.g. `d^8 L^10`, `d^9 L^9`,
//! `d^10 L^8` with a full 2p shell). Determinants are ranked by combinadic (colex)
//! indexing within each shell and mixed-radix across shells, so `index_of` is O(number
//! of orbitals) without a hash map.

use crate::error::{Error, Result};

/// A determinant: bit `i` set when spin-orbital `i` is occupied (at most 64).
pub type Det = u64;

/// Pascal's triangle up to `C(64, k)` (the largest, `C(64, 32)`, fits in 64 bits).
static PASCAL: [[usize; 65]; 65] = {
    let mut t = [[0usize; 65]; 65];
    let mut n = 0;
    while n <= 64 {
        t[n][0] = 1;
        let mut k = 1;
        while k <= n {
            t[n][k] = t[n - 1][k - 1] + t[n - 1][k];
            k += 1;
        }
        n += 1;
    }
    t
};

/// Binomial coefficient `C(n, k)` (0 when `k > n`); a table lookup for `n <= 64`
/// (ranking determinants needs one per occupied orbital).
pub fn binomial(n: usize, k: usize) -> usize {
    if k > n {
        return 0;
    }
    if n <= 64 {
        return PASCAL[n][k];
    }
    let k = k.min(n - k);
    (0..k).fold(1usize, |acc, i| acc * (n - i) / (i + 1))
}

/// Colex rank of a `k`-subset of `0..n` given as a bit pattern (bit 0 = orbital 0):
/// `sum_i C(p_i, i + 1)` over the set positions `p_0 < p_1 < ...`.
pub fn combinadic_rank(bits: u64) -> usize {
    let mut rank = 0;
    let mut rest = bits;
    let mut i = 0;
    while rest != 0 {
        let p = rest.trailing_zeros() as usize;
        rank += binomial(p, i + 1);
        rest &= rest - 1;
        i += 1;
    }
    rank
}

/// The `rank`-th `k`-subset of `0..n` in colex order (inverse of [`combinadic_rank`]).
pub fn combinadic_unrank(mut rank: usize, k: usize, n: usize) -> u64 {
    let mut bits = 0u64;
    let mut top = n;
    for i in (1..=k).rev() {
        // Largest p < top with C(p, i) <= rank.
        let mut p = top - 1;
        while binomial(p, i) > rank {
            p -= 1;
        }
        bits |= 1 << p;
        rank -= binomial(p, i);
        top = p;
    }
    bits
}

/// Sign `(-1)^(occupied orbitals below i)` for `c_i` or `c_i^dagger` acting on `det`.
#[inline]
pub fn sign_below(det: Det, i: usize) -> f64 {
    if (det & ((1u64 << i) - 1)).count_ones().is_multiple_of(2) {
        1.0
    } else {
        -1.0
    }
}

/// Applies `c_i` (annihilation): the new determinant and the sign, or `None` if empty.
#[inline]
pub fn annihilate(det: Det, i: usize) -> Option<(Det, f64)> {
    (det >> i & 1 == 1).then(|| (det & !(1u64 << i), sign_below(det, i)))
}

/// Applies `c_i^dagger` (creation): the new determinant and the sign, or `None` if full.
#[inline]
pub fn create(det: Det, i: usize) -> Option<(Det, f64)> {
    (det >> i & 1 == 0).then(|| (det | (1u64 << i), sign_below(det, i)))
}

/// A group of consecutive spin-orbitals (a shell) `offset .. offset + size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellRange {
    /// First spin-orbital.
    pub offset: usize,
    /// Number of spin-orbitals.
    pub size: usize,
}

impl ShellRange {
    fn mask(&self) -> u64 {
        ((1u64 << self.size) - 1) << self.offset
    }
}

/// One block of a sector: fixed electron counts per shell.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    counts: Vec<usize>,
    /// Number of determinants per shell, `C(size, count)`.
    radices: Vec<usize>,
    /// Index of the block's first determinant in the sector.
    start: usize,
    len: usize,
}

/// The determinants with given electron counts per shell (a union of blocks, one per
/// allowed count tuple), with their order and ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Sector {
    shells: Vec<ShellRange>,
    blocks: Vec<Block>,
    dets: Vec<Det>,
}

impl Sector {
    /// Builds the sector of `shells` with any of the `allowed` count tuples (one count
    /// per shell).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a tuple has the wrong length, a count exceeds
    /// its shell, shells overlap or pass orbital 64, or no tuple is given.
    pub fn new(shells: &[ShellRange], allowed: &[Vec<usize>]) -> Result<Self> {
        let mut covered = 0u64;
        for s in shells {
            if s.offset + s.size > 64 || s.size == 0 || covered & s.mask() != 0 {
                return Err(Error::param(
                    "shells",
                    "must be disjoint, non-empty and below orbital 64",
                ));
            }
            covered |= s.mask();
        }
        if allowed.is_empty() {
            return Err(Error::param(
                "sector",
                "needs at least one allowed occupation",
            ));
        }
        let mut blocks = Vec::new();
        let mut dets = Vec::new();
        for counts in allowed {
            if counts.len() != shells.len() || counts.iter().zip(shells).any(|(&c, s)| c > s.size) {
                return Err(Error::param(
                    "occupation",
                    format!(
                        "{counts:?} does not fit shells of sizes {:?}",
                        shells.iter().map(|s| s.size).collect::<Vec<_>>()
                    ),
                ));
            }
            let radices: Vec<usize> = counts
                .iter()
                .zip(shells)
                .map(|(&c, s)| binomial(s.size, c))
                .collect();
            let len = radices.iter().product();
            let start = dets.len();
            for rank in 0..len {
                let mut rest = rank;
                let mut det = 0;
                for ((s, &c), &r) in shells.iter().zip(counts).zip(&radices) {
                    det |= combinadic_unrank(rest % r, c, s.size) << s.offset;
                    rest /= r;
                }
                dets.push(det);
            }
            blocks.push(Block {
                counts: counts.clone(),
                radices,
                start,
                len,
            });
        }
        Ok(Sector {
            shells: shells.to_vec(),
            blocks,
            dets,
        })
    }

    /// Number of determinants.
    pub fn dim(&self) -> usize {
        self.dets.len()
    }

    /// The determinants, in index order.
    pub fn dets(&self) -> &[Det] {
        &self.dets
    }

    /// Index of `det` in the sector, or `None` when its shell counts are not allowed.
    pub fn index_of(&self, det: Det) -> Option<usize> {
        // Called for every matrix element while a model compiles: no allocation.
        let block = self.blocks.iter().find(|b| {
            b.counts
                .iter()
                .zip(&self.shells)
                .all(|(&c, s)| (det & s.mask()).count_ones() as usize == c)
        })?;
        let mut index = 0;
        let mut scale = 1;
        for (s, &r) in self.shells.iter().zip(&block.radices) {
            index += combinadic_rank((det & s.mask()) >> s.offset) * scale;
            scale *= r;
        }
        Some(block.start + index)
    }

    /// Electron count of shell `shell` in determinant `det`.
    pub fn count(&self, det: Det, shell: usize) -> usize {
        (det & self.shells[shell].mask()).count_ones() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_table_matches_the_product_formula() {
        for n in 0..=64usize {
            for k in 0..=n + 1 {
                // C(n, k) = prod_(i < k) (n - i) / (i + 1), exact in u128.
                let expect = if k > n {
                    0
                } else {
                    (0..k as u128).fold(1u128, |acc, i| acc * (n as u128 - i) / (i + 1))
                };
                assert_eq!(binomial(n, k) as u128, expect, "C({n}, {k})");
            }
        }
        assert_eq!(binomial(64, 32), 1_832_624_140_942_590_534);
        assert_eq!(binomial(70, 2), 2415);
    }

    #[test]
    fn combinadic_round_trip() {
        for n in 1..=10 {
            for k in 0..=n {
                for r in 0..binomial(n, k) {
                    let bits = combinadic_unrank(r, k, n);
                    assert_eq!(bits.count_ones() as usize, k);
                    assert!(bits < 1 << n);
                    assert_eq!(combinadic_rank(bits), r);
                }
            }
        }
    }

    #[test]
    fn nio_sector_dimensions_and_indexing() {
        let shells = [
            ShellRange {
                offset: 0,
                size: 10,
            },
            ShellRange {
                offset: 10,
                size: 10,
            },
            ShellRange {
                offset: 20,
                size: 6,
            },
        ];
        let initial =
            Sector::new(&shells, &[vec![8, 10, 6], vec![9, 9, 6], vec![10, 8, 6]]).unwrap();
        assert_eq!(initial.dim(), 45 + 100 + 45);
        let xps = Sector::new(&shells, &[vec![8, 10, 5], vec![9, 9, 5], vec![10, 8, 5]]).unwrap();
        assert_eq!(xps.dim(), 1140);
        for (i, &d) in xps.dets().iter().enumerate() {
            assert_eq!(xps.index_of(d), Some(i));
        }
        assert_eq!(initial.index_of(0b111), None);
    }

    #[test]
    fn fermion_signs() {
        // c_1^dagger c_0^dagger |0> = -c_0^dagger c_1^dagger |0>.
        let (a, s1) = create(0, 0).unwrap();
        let (a, s2) = create(a, 1).unwrap();
        let (b, t1) = create(0, 1).unwrap();
        let (b, t2) = create(b, 0).unwrap();
        assert_eq!(a, b);
        assert_eq!(s1 * s2, -(t1 * t2));
        // {c_i, c_i^dagger} = 1 on a state with other electrons present.
        let det = 0b1010;
        let (x, s) = create(det, 2).unwrap();
        let (y, t) = annihilate(x, 2).unwrap();
        assert_eq!((y, s * t), (det, 1.0));
        assert!(annihilate(det, 0).is_none());
        assert!(create(det, 1).is_none());
    }
}
