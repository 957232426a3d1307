"""Times Larch's pre_edge on the given column files (energy_cal, mu = columns 2, 3).

Prints one JSON object: {"per_call_s": {file: seconds per call}, "e0": {...},
"edge_step": {...}}. Used by the `normalization_vs_larch` bench binary, which runs the
same files through xas-core in the same run and reports the ratio.
"""
import json
import sys
import time

import numpy as np
from larch import Group
from larch.xafs import pre_edge


def main(repeats, files):
    per_call, e0, step = {}, {}, {}
    for path in files:
        data = np.loadtxt(path, comments="#")
        energy, mu = data[:, 1].copy(), data[:, 2].copy()
        group = Group(energy=energy, mu=mu)
        pre_edge(group)  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            group = Group(energy=energy, mu=mu)
            pre_edge(group)
        per_call[path] = (time.perf_counter() - start) / repeats
        e0[path], step[path] = float(group.e0), float(group.edge_step)
    print(json.dumps({"per_call_s": per_call, "e0": e0, "edge_step": step}))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
