//! A small seeded generator for the stochastic methods (SplitMix64, Steele, Lea &
//! Flood 2014): 64-bit state, every seed valid, streams derived from a seed and any
//! number of indices (an epoch, a block of edges), so that a result does not depend on
//! which thread drew the numbers.

/// SplitMix64: `state += 0x9E3779B97F4A7C15`, output mixed by two xor-shift-multiplies.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix64 {
    /// Generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// An independent stream for `(seed, indices...)`: the seed mixed with each index in
    /// turn.
    pub(crate) fn stream(seed: u64, indices: &[u64]) -> Self {
        let mut state = seed;
        for &i in indices {
            state = mix(state ^ mix(i.wrapping_add(GOLDEN)));
        }
        SplitMix64 { state }
    }

    /// Next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform integer in `0..n` (`n > 0`) by Lemire's multiply-shift (bias below
    /// `n / 2^64`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Two uniform integers in `0..n` from one draw, by multiply-shift on each 32-bit
    /// half (bias below `n / 2^32`; a cheap pair for the negative sampling of UMAP).
    pub(crate) fn below_pair(&mut self, n: u32) -> [u32; 2] {
        let r = self.next_u64();
        [r as u32, (r >> 32) as u32].map(|h| ((u64::from(h) * u64::from(n)) >> 32) as u32)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by the Box-Muller transform (one of the pair is used).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The SplitMix64 output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_streams() {
        let mut r = SplitMix64::new(7);
        let n = 200_000;
        let (mut s, mut s2, mut u) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
            u += r.uniform();
        }
        let n = f64::from(n);
        assert!((s / n).abs() < 0.01);
        assert!((s2 / n - 1.0).abs() < 0.01);
        assert!((u / n - 0.5).abs() < 0.005);
        let mut counts = [0usize; 5];
        for _ in 0..50_000 {
            counts[r.below(5)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        // Both halves of a pair are uniform: a chi-square over 7 bins, each expected
        // 20,000 times, stays below its 99.9 % point (22.46 for 6 degrees of freedom).
        let mut pairs = [[0usize; 7]; 2];
        for _ in 0..140_000 {
            let [x, y] = r.below_pair(7);
            pairs[0][x as usize] += 1;
            pairs[1][y as usize] += 1;
        }
        for half in pairs {
            let chi2: f64 = half
                .iter()
                .map(|&c| (c as f64 - 20_000.0).powi(2) / 20_000.0)
                .sum();
            assert!(chi2 < 22.46, "{half:?}");
        }
        let a = SplitMix64::stream(1, &[2, 3]).next_u64();
        assert_eq!(a, SplitMix64::stream(1, &[2, 3]).next_u64());
        assert_ne!(a, SplitMix64::stream(1, &[3, 2]).next_u64());
    }
}
