"""Times umap-learn and pynndescent on the spectra written by the `manifold_vs_umap`
bench binary, and writes their results for the bench to score.

Reads `DIR/data.f64` (N x M raw little-endian float64, row-major). Prints one JSON
line with wall-clock seconds and writes:
  * `DIR/umap_embedding.f64`: umap-learn's N x 2 embedding (float64);
  * `DIR/pynndescent_indices.i64`: pynndescent's N x K neighbour indices (self
    excluded, K = n_neighbors - 1), so that the bench measures its recall with the same
    exact reference as ours.

Timings exclude numba compilation: before the timed calls, the same functions run once
on a warm-up subset large enough (5000 points) to take the NN-descent path, so every
JIT-compiled function is compiled and cached in memory.

umap-learn runs with its defaults (n_neighbors=15, min_dist=0.1, spread=1, 2-D,
spectral init, Euclidean) and random_state=None, i.e. its parallel (fastest) mode on
both cores; `umap_seeded_s` is the same fit with random_state=42 (serial SGD, as our
default reproducible mode). pynndescent runs as umap-learn calls it (n_trees = min(64,
5 + round(sqrt(N)/20)), n_iters = max(5, round(log2 N)), max_candidates = 60).

With `--densmap`, also times `umap.UMAP(densmap=True)` (parallel, defaults
dens_lambda=2, dens_frac=0.3, dens_var_shift=0.1; warmed up the same way) and writes its
embedding to `DIR/densmap_embedding.f64`.

Usage: python umap_peer.py DIR N M [--seeded] [--densmap]
"""
import json
import sys
import time

import numpy as np


def main():
    out_dir, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seeded = "--seeded" in sys.argv[4:]
    densmap = "--densmap" in sys.argv[4:]
    data = np.fromfile(f"{out_dir}/data.f64", dtype="<f8").reshape(n, m)

    t = time.perf_counter()
    import umap  # noqa: E402  (import time is reported, not hidden)
    from pynndescent import NNDescent

    import_s = time.perf_counter() - t

    k = 15
    n_trees = min(64, 5 + int(round(np.sqrt(n) / 20.0)))
    n_iters = max(5, int(round(np.log2(n))))

    def nndescent(x):
        index = NNDescent(
            x,
            n_neighbors=k,
            metric="euclidean",
            n_trees=n_trees,
            n_iters=n_iters,
            max_candidates=60,
            low_memory=True,
            n_jobs=-1,
            verbose=False,
        )
        return index.neighbor_graph

    warm = data[np.random.default_rng(0).choice(n, size=min(n, 5000), replace=False)]
    t = time.perf_counter()
    umap.UMAP().fit(warm)
    if densmap:
        umap.UMAP(densmap=True).fit(warm)
    nndescent(warm)
    warmup_s = time.perf_counter() - t

    t = time.perf_counter()
    indices, _ = nndescent(data)
    nnd_s = time.perf_counter() - t

    t = time.perf_counter()
    emb = umap.UMAP().fit_transform(data)
    umap_s = time.perf_counter() - t

    result = {
        "n": n,
        "m": m,
        "import_s": import_s,
        "warmup_s": warmup_s,
        "pynndescent_s": nnd_s,
        "umap_s": umap_s,
    }
    if seeded:
        t = time.perf_counter()
        umap.UMAP(random_state=42).fit_transform(data)
        result["umap_seeded_s"] = time.perf_counter() - t

    if densmap:
        t = time.perf_counter()
        dens = umap.UMAP(densmap=True).fit_transform(data)
        result["densmap_s"] = time.perf_counter() - t
        np.asarray(dens, dtype="<f8").tofile(f"{out_dir}/densmap_embedding.f64")

    np.asarray(emb, dtype="<f8").tofile(f"{out_dir}/umap_embedding.f64")
    # Drop the point itself (first column, or wherever a duplicate put it).
    own = indices == np.arange(n)[:, None]
    cleaned = np.array(
        [row[~mask][: k - 1] if mask.any() else row[: k - 1] for row, mask in zip(indices, own)]
    )
    cleaned.astype("<i8").tofile(f"{out_dir}/pynndescent_indices.i64")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
