"""Times exact k-nearest-neighbour queries with scikit-learn and SciPy.

Reads a library and queries written by the `knn_vs_sklearn` bench binary as raw
little-endian float64 (`library.f64`: n x m, `queries.f64`: q x m, row-major) and
prints one JSON line: seconds per query for
  * scikit-learn KNeighborsRegressor(algorithm='brute', n_jobs=2) .kneighbors
  * scipy.spatial.distance.cdist + numpy.argpartition
for the Euclidean and cosine metrics, and the neighbour indices of the first query
(for the bench to check that everybody found the same neighbours).

Usage: python knn_sklearn.py DIR N M K
"""
import json
import sys
import time

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.neighbors import KNeighborsRegressor


def timed(f, repeats=3):
    f()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main(folder, n, m, k):
    lib = np.fromfile(f"{folder}/library.f64", dtype="<f8").reshape(n, m)
    q = np.fromfile(f"{folder}/queries.f64", dtype="<f8").reshape(-1, m)
    out = {"queries": int(q.shape[0])}
    for metric in ("euclidean", "cosine"):
        model = KNeighborsRegressor(n_neighbors=k, algorithm="brute", metric=metric, n_jobs=2)
        model.fit(lib, np.zeros(n))
        s = timed(lambda: model.kneighbors(q, return_distance=True))
        out[f"sklearn_{metric}_s_per_query"] = s / q.shape[0]
        _, idx = model.kneighbors(q[:1])
        out[f"sklearn_{metric}_first"] = [int(i) for i in idx[0]]

        def with_cdist():
            d = cdist(q, lib, metric=metric)
            return np.argpartition(d, k - 1, axis=1)[:, :k]

        out[f"cdist_{metric}_s_per_query"] = timed(with_cdist) / q.shape[0]
    print(json.dumps(out))


if __name__ == "__main__":
    folder, n, m, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    main(folder, n, m, k)
