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

With `densmap` as second argument it runs densMAP (`densmap=True`, defaults
dens_lambda=2, dens_frac=0.3, dens_var_shift=0.1) and also plain UMAP, and reports
for each the Pearson correlation between the log local radii of the input and of the
map, the quantity densMAP raises, beside the trustworthiness. The radii are computed
here as xas-manifold's `density::log_local_radii` defines them, with umap-learn's own
functions: the 15-neighbour fuzzy graph of the points (`fuzzy_simplicial_set`), then
`ln(1e-8 + sum w d^2 / sum w)` over the edges at each point. umap-learn's
`output_dens` returns the same input radii (from the graph after pruning) but map
radii from distances, not squared distances (`rad_emb`), so they are reported too,
as `radius_correlation_output_dens`.

With `clusters` as the only argument it runs the data set of the xas-manifold test
`densmap_keeps_a_wide_cluster_wider_than_a_tight_one` instead: two Gaussian clusters
of 300 points in 10 dimensions, centred at 0 and at 40 along the first axis, with
standard deviations 1 and 4 (xorshift64* seeded with 77, drawn point by point and
coordinate by coordinate), and prints the ratio of the maps' RMS spreads (wide over
tight) for UMAP and densMAP, random_state 0..2.

Usage: python umap_reference.py [euclidean|cosine] [densmap]
       python umap_reference.py clusters
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


def clusters():
    """Spread ratios (wide over tight cluster) of UMAP and densMAP maps."""
    import umap

    g = Gen(77)
    rows, labels = [], []
    for label, (centre, sd) in enumerate([(0.0, 1.0), (40.0, 4.0)]):
        for _ in range(300):
            rows.append([(centre if i == 0 else 0.0) + sd * g.normal() for i in range(10)])
            labels.append(label)
    x, labels = np.array(rows), np.array(labels)

    def spread(y, label):
        p = y[labels == label]
        return float(np.sqrt(((p - p.mean(0)) ** 2).sum(1).mean()))

    report = {"umap_learn": umap.__version__}
    for name, densmap in [("umap", False), ("densmap", True)]:
        ratios = []
        for seed in range(3):
            y = umap.UMAP(random_state=seed, densmap=densmap).fit_transform(x)
            ratios.append(spread(y, 1) / spread(y, 0))
        report[name] = ratios
    print(json.dumps(report))


def main():
    if sys.argv[1:] == ["clusters"]:
        clusters()
        return
    metric = sys.argv[1] if len(sys.argv) > 1 else "euclidean"
    densmap = len(sys.argv) > 2 and sys.argv[2] == "densmap"
    x = data_set()
    report = {"metric": metric, "checksum": float(x.sum())}
    if densmap:
        report["densmap"] = runs(x, metric, densmap=True)
        report["umap"] = runs(x, metric, densmap=False)
    else:
        report.update(runs(x, metric, densmap=None))
    print(json.dumps(report))


def log_radii(points, metric):
    """ln(1e-8 + sum w d^2 / sum w) over the edges of the 15-neighbour fuzzy graph,
    each edge counted at both of its ends."""
    from umap.umap_ import fuzzy_simplicial_set, nearest_neighbors

    rng = np.random.RandomState(0)
    idx, dist, _ = nearest_neighbors(points, 15, metric, {}, False, rng)
    graph, _, _, dists = fuzzy_simplicial_set(
        points, 15, rng, metric, {}, idx, dist, return_dists=True
    )
    graph = graph.tocoo()
    graph.sum_duplicates()
    graph.eliminate_zeros()
    n = points.shape[0]
    total, weight = np.zeros(n), np.zeros(n)
    for j, k, w in zip(graph.row, graph.col, graph.data):
        d2 = dists[j, k] ** 2
        for end in (j, k):
            total[end] += w * d2
            weight[end] += w
    return np.log(1e-8 + total / weight)


def runs(x, metric, densmap):
    """Trustworthiness (and, unless `densmap` is None, the radius correlation) of
    umap-learn maps for random_state 0..4."""
    import umap
    from sklearn.manifold import trustworthiness

    scores, correlations, output_dens = [], [], []
    r_input = log_radii(x, metric) if densmap is not None else None
    for seed in range(5):
        if densmap is None:
            emb = umap.UMAP(random_state=seed, metric=metric).fit_transform(x)
        else:
            emb, r_orig, r_emb = umap.UMAP(
                random_state=seed, metric=metric, densmap=densmap, output_dens=True
            ).fit_transform(x)
            r_map = log_radii(np.asarray(emb, dtype=np.float64), "euclidean")
            correlations.append(float(np.corrcoef(r_input, r_map)[0, 1]))
            output_dens.append(float(np.corrcoef(r_orig, r_emb)[0, 1]))
        scores.append(trustworthiness(x, emb, n_neighbors=15, metric=metric))
    out = {
        "umap_learn": umap.__version__,
        "trustworthiness": scores,
        "mean": float(np.mean(scores)),
        "sd": float(np.std(scores, ddof=1)),
    }
    if correlations:
        out["radius_correlation"] = correlations
        out["radius_correlation_mean"] = float(np.mean(correlations))
        out["radius_correlation_sd"] = float(np.std(correlations, ddof=1))
        out["radius_correlation_output_dens"] = output_dens
    return out


if __name__ == "__main__":
    main()
