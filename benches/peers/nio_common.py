"""Definitions shared by the NiO peer scripts (nio_quanty.py, nio_edrixs.py): the
seed-like cluster (model B of ../shared/data/multiplet/), the grids and widths of the
benchmark, timing statistics and the comparison with the reference spectra."""

import argparse
import csv
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_REF = REPO.parent / "shared" / "data" / "multiplet"
PEERS_OUT = REPO / "target" / "peers-out"

# Model B ("seed-like"), see ../shared/data/multiplet/README.md and nio_modelB_seedlike_meta.json.
MODEL_B = {
    "Delta": 4.7,
    "Udd": 7.3,
    "Upd": 8.5,
    "tenDq": 0.6,
    "tenDq_L": 0.0,
    "Veg": 2.2,
    "Vt2g": 1.1,
    "slater_scale": 0.8,
    "om_shift": 857.6,
    "nd": 8,
    "temperature_K": 1.0,
    "num_gs": 3,
}
XAS_GRID = (842.6, 882.6, 1000)  # E_f - E_i (eV), points
XAS_HWHM = 0.24
XPS_GRID = (815.0, 865.0, 2001)  # E_f - E_i (eV), step 0.025 as the reference file
XPS_HWHM = 0.5


def stats(xs):
    """Median, mean, min, max and count of a sequence of times (s)."""
    xs = [float(x) for x in xs]
    return {"median": statistics.median(xs), "mean": statistics.fmean(xs), "min": min(xs),
            "max": max(xs), "n": len(xs)}


def read_ref(path, column):
    """Energy column and the named value column (the second one if `column` is None)."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index(column) if column else 1
    return [float(r[0]) for r in rows[1:]], [float(r[col]) for r in rows[1:]]


def compare(ref_path, column, energy, values, factor=1.0):
    """max|factor * values - ref| / max|ref| on the reference grid, and a message when the
    reference is absent or on another grid (then the difference is None)."""
    if not ref_path.is_file():
        return None, f"{ref_path.name} not found"
    e_ref, v_ref = read_ref(ref_path, column)
    if len(e_ref) != len(energy) or max(abs(a - b) for a, b in zip(e_ref, energy)) > 1e-6:
        return None, f"{ref_path.name}: energy grid differs"
    scale = max(abs(v) for v in v_ref)
    return max(abs(factor * a - b) for a, b in zip(values, v_ref)) / scale, None


def fail(script, message):
    """Exits with status 2 and `script: message` on stderr."""
    print(f"{script}: {message}", file=sys.stderr)
    sys.exit(2)


def peer_parser(doc, name, threads_help):
    """The options every NiO peer script takes: --repeats, --out (default
    target/peers-out/<name>), --ref and --threads."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed evaluations of each kind")
    parser.add_argument("--out", type=Path, default=PEERS_OUT / name,
                        help="directory for the spectra")
    parser.add_argument("--ref", type=Path, default=DEFAULT_REF, help="reference data directory")
    parser.add_argument("--threads", type=int, default=None, help=threads_help)
    return parser


def parse_peer_args(parser):
    """Parses the command line, rejecting --repeats below 1."""
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args
