"""Peer of xas-cluster: scikit-learn MiniBatchKMeans on the same synthetic image.

Reads the raw stack written by the Rust bench (layout of xas_core::write_raw_image:
b"XASIMG01", height, width, n_energies, sample bytes as little-endian u64, the
energies as f64, then f32 counts row-major with each pixel's spectrum contiguous) and
the truth labels (u16). Times, from counts in memory: optical density, per-pixel
standardisation (the preprocessing of the published comparisons), MiniBatchKMeans
fit (k clusters, batches of 4096, one init) and predict. Prints one JSON line with
the time and the minority recall/precision.

usage: cluster_sklearn.py STACK TRUTH I0 K MINORITY_LABEL
"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import MiniBatchKMeans


def read_stack(path):
    with open(path, "rb") as f:
        magic = f.read(8)
        assert magic == b"XASIMG01", magic
        h, w, n, sample = np.frombuffer(f.read(32), dtype="<u8")
        energies = np.frombuffer(f.read(8 * int(n)), dtype="<f8")
        dtype = "<f4" if sample == 4 else "<f8"
        data = np.fromfile(f, dtype=dtype).reshape(int(h) * int(w), int(n))
    return data, energies


def minority_score(pred, truth, minority):
    score_in, size = 0, 0
    total_minority = int(np.sum(truth == minority))
    for c in np.unique(pred):
        members = pred == c
        hits = int(np.sum(truth[members] == minority))
        if 2 * hits >= int(np.sum(members)):
            score_in += hits
            size += int(np.sum(members))
    return score_in / max(total_minority, 1), score_in / max(size, 1)


def main():
    stack, truth_path, i0, k, minority = sys.argv[1:6]
    counts, _ = read_stack(stack)
    truth = np.fromfile(truth_path, dtype="<u2")
    i0, k, minority = float(i0), int(k), int(minority)
    counts = np.ascontiguousarray(counts, dtype=np.float32)
    # Warm-up on a small slice (imports and first-call overheads excluded).
    MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=1, random_state=0).fit(counts[:20000])
    t = time.perf_counter()
    od = np.log(i0 / np.maximum(counts, 0.5))
    od -= od.mean(axis=1, keepdims=True)
    od /= np.maximum(np.linalg.norm(od, axis=1, keepdims=True), 1e-12)
    model = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=1, random_state=0).fit(od)
    pred = model.predict(od)
    seconds = time.perf_counter() - t
    recall, precision = minority_score(pred, truth, minority)
    print(json.dumps({"sklearn": sklearn.__version__, "seconds": seconds, "pixels": int(counts.shape[0]),
                      "recall": recall, "precision": precision, "k": k}))


if __name__ == "__main__":
    main()
