"""Times exact k-nearest-neighbour queries with scikit-learn and SciPy.

Reads a library and queries written by the `knn_vs_sklearn` bench binary as raw
little-endian float64 (`library.f64`: n x m, `queries.f64`: q x m, row-major,
`energy.f64`: the m-point energy axis in eV) and prints one JSON line with, for the
metrics euclidean, cosine and wasserstein1:
  * seconds per query of scikit-learn KNeighborsRegressor(algorithm='brute',
    n_jobs=2).kneighbors over the whole query batch;
  * seconds per query of scipy.spatial.distance.cdist + numpy.argpartition (+ a sort
    of the k selected) over the whole batch;
  * the neighbour indices scikit-learn found for every query (the bench checks that
    everybody found the same neighbours).

Wasserstein-1 along energy: neither scikit-learn nor SciPy has a fast path for it. The
fairest fast Python form, used here, is the same transform xas-metrics uses: each
spectrum becomes its weighted CDF w_k F(E_k) (negative intensities clipped to 0, unit
trapezoid area, cumulative trapezoid integral, trapezoid weights w_k of the grid), after
which W1 is the city-block (L1) distance between transformed rows, so KNeighborsRegressor
and cdist run with metric='cityblock' on the transformed rows (the transform of the
library is done once, outside the timing; the queries' transform is timed). For scale,
scipy.stats.wasserstein_distance (support = energies, weights = clipped intensities;
a slightly different, piecewise-constant discretisation) is timed on a few pairs and
reported per query as n x (seconds per pair).

Usage: python knn_sklearn.py DIR N M K [METRICS]
METRICS: comma-separated subset of euclidean,cosine,wasserstein1 (default all).
"""
import json
import sys
import time

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance
from sklearn.neighbors import KNeighborsRegressor


def timed(f, repeats=3, budget_s=2.0):
    """Best time of `repeats` runs after a warm-up; fewer repeats for slow calls."""
    t = time.perf_counter()
    f()  # warm-up
    first = time.perf_counter() - t
    best = first
    for _ in range(repeats if first * repeats < budget_s else 1):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def weighted_cdf(y, energy):
    """Rows of w_k F(E_k), with the convention of xas_metrics::measures::wasserstein1."""
    y = np.clip(y, 0.0, None)
    peak = y.max(axis=1, keepdims=True)
    y = np.where(peak > 0, y / np.where(peak > 0, peak, 1.0), y)
    de = np.diff(energy)
    steps = 0.5 * de * (y[:, 1:] + y[:, :-1])
    area = steps.sum(axis=1, keepdims=True)
    cdf = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(steps / area, axis=1)], axis=1)
    w = np.empty_like(energy)
    w[1:-1] = 0.5 * (energy[2:] - energy[:-2])
    w[0] = 0.5 * (energy[1] - energy[0])
    w[-1] = 0.5 * (energy[-1] - energy[-2])
    return cdf * w


def main(folder, n, m, k, metrics):
    lib = np.fromfile(f"{folder}/library.f64", dtype="<f8").reshape(n, m)
    q = np.fromfile(f"{folder}/queries.f64", dtype="<f8").reshape(-1, m)
    energy = np.fromfile(f"{folder}/energy.f64", dtype="<f8")
    nq = q.shape[0]
    out = {"queries": int(nq)}
    for metric in metrics:
        if metric == "wasserstein1":
            base, sk_metric = weighted_cdf(lib, energy), "cityblock"
            prep = lambda: weighted_cdf(q, energy)
        else:
            base, sk_metric = lib, metric
            prep = lambda: q
        model = KNeighborsRegressor(n_neighbors=k, algorithm="brute", metric=sk_metric, n_jobs=2)
        model.fit(base, np.zeros(n))
        s = timed(lambda: model.kneighbors(prep(), return_distance=True))
        out[f"sklearn_{metric}_s_per_query"] = s / nq
        _, idx = model.kneighbors(prep())
        out[f"sklearn_{metric}_neighbours"] = idx.tolist()

        def with_cdist():
            d = cdist(prep(), base, metric=sk_metric)
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1)
            return np.take_along_axis(part, order, axis=1)

        out[f"cdist_{metric}_s_per_query"] = timed(with_cdist) / nq

        if metric == "wasserstein1":
            pairs = 50
            t = time.perf_counter()
            for i in range(pairs):
                wasserstein_distance(energy, energy, np.clip(q[i % nq], 0, None), np.clip(lib[i], 0, None))
            out["scipy_stats_wasserstein1_s_per_query"] = (time.perf_counter() - t) / pairs * n
    print(json.dumps(out))


if __name__ == "__main__":
    folder, n, m, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    metrics = sys.argv[5].split(",") if len(sys.argv) > 5 else ["euclidean", "cosine", "wasserstein1"]
    main(folder, n, m, k, metrics)
