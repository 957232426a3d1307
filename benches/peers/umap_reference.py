"""Reference trustworthiness of umap-learn on the data set of the xas-manifold test
`tests/umap_vs_umap_learn.rs`, regenerated here bit for bit.

The data set: 1200 spectra of 100 points in three families (400 each). A spectrum of
family f is a Gaussian line at position 20 + 20 f + 15 u1 with standard deviation
2 + 2 u2, plus a second line 8 + 8 u4 points higher with relative height 0.6 u3, plus
Gaussian noise of standard deviation 0.1. u1..u4 are uniform and the noise is a
sum of 12 uniforms minus 6, all drawn from xorshift64* seeded with 2024 in the order
the test draws them (the test's `Gen`). The script prints the sum of all values so
that the test can check it regenerated the same numbers.

umap-learn runs with its defaults (n_neighbors=15, min_dist=0.1, 2-D, spectral init)
on the metric given, for random_state 0..4; trustworthiness at k = 15 is scikit-learn's
`sklearn.manifold.trustworthiness` with the same metric in the input space.

Usage: python umap_reference.py [euclidean|cosine]
"""
import json
import sys

import numpy as np

MASK = (1 << 64) - 1


class Gen:
    """xorshift64*, as the Rust test's `Gen`."""

    def __init__(self, seed):
        self.s = seed

    def next(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & MASK
        s ^= s >> 27
        self.s = s
        return (((s * 0x2545F4914F6CDD1D) & MASK) >> 11) / float(1 << 53)

    def normal(self):
        total = 0.0
        for _ in range(12):
            total += self.next()
        return total - 6.0


def data_set():
    g = Gen(2024)
    rows = []
    for family in range(3):
        for _ in range(400):
            centre = 20.0 + 20.0 * family + 15.0 * g.next()
            sd = 2.0 + 2.0 * g.next()
            second = 0.6 * g.next()
            offset = 8.0 + 8.0 * g.next()
            row = []
            for i in range(100):
                x = (i - centre) / sd
                y = (i - centre - offset) / sd
                row.append(np.exp(-0.5 * x * x) + second * np.exp(-0.5 * y * y) + 0.1 * g.normal())
            rows.append(row)
    return np.array(rows)


def main():
    metric = sys.argv[1] if len(sys.argv) > 1 else "euclidean"
    import umap
    from sklearn.manifold import trustworthiness

    x = data_set()
    scores = []
    for seed in range(5):
        emb = umap.UMAP(random_state=seed, metric=metric).fit_transform(x)
        scores.append(trustworthiness(x, emb, n_neighbors=15, metric=metric))
    print(
        json.dumps(
            {
                "metric": metric,
                "checksum": float(x.sum()),
                "umap_learn": umap.__version__,
                "trustworthiness": scores,
                "mean": float(np.mean(scores)),
                "sd": float(np.std(scores, ddof=1)),
            }
        )
    )


if __name__ == "__main__":
    main()
