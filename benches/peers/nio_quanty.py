"""Times the NiO charge-transfer cluster (model B) in Quanty, as a peer of `cluster-model`.

What
    The [NiO6]10- cluster of model B in ../shared/data/multiplet/README.md ("seed-like"
    paramagnetic Ni2+ cluster: Delta 4.7, Udd 7.3, Upd 8.5, 10Dq 0.6, 10Dq_L 0, V_eg 2.2,
    V_t2g 1.1, Slater integrals 0.8 x edrixs Ni atom data, zeta_3d 0.083 in both states,
    zeta_2p 11.507, om_shift 857.6, T = 0 with the 3-fold degenerate ground state averaged)
    computed by Quanty from our own Lua input (quanty_nio.lua.template, filled in here):

    * XAS evaluation: assemble H_i and H_f from the precomputed term operators, Eigensystem
      for the 3 lowest initial states, CreateSpectra for Tx, Ty, Tz (isotropic average),
      1000 points 842.6..882.6 eV (E_f - E_i), Gamma = FWHM 0.48 (HWHM 0.24).
    * XPS evaluation: same H and initial states, CreateSpectra for the six 2p annihilators
      (summed), 2001 points 815..865 eV (NE = 2000 intervals, as the reference file),
      Gamma = FWHM 1.0 (HWHM 0.5).
    Green's functions are computed densely (DenseBorder above the sector dimensions). The
    Lanczos route (DenseBorder 10) gave the same spectra to 1e-10 but was far slower here:
    ~0.6 s instead of ~5 ms for the XAS CreateSpectra call, ~7 s instead of ~0.36 s for XPS.
    The term operators (NewOperator) are built once per Quanty run ("setup", reported
    separately); process start-up and Lua setup are outside the per-evaluation times.

Conventions handled
    * Quanty's CreateSpectra energy axis is omega' = E_f - <psi|H_f|psi>; the Lua input asks
      for [Emin, Emax] - (<psi|H_f|psi> - E_i) and the spectra are written back on the
      E_f - E_i axis (offset 266.8 eV here; the same for the 3 degenerate states, checked).
    * Quanty's Gamma is the Lorentzian FWHM.
    * Intensities are -Im G / pi; XAS is in Quanty's dipole normalisation (edrixs / 2.5), so
      it is compared with nio_modelB_seedlike_xas_quanty.csv (and, x 2.5, with the edrixs file).

Timing
    Each evaluation is bracketed by flushed marker lines on Quanty's stdout, timestamped here
    on arrival (time.perf_counter): per-evaluation wall times, of which the median is
    reported. Also reported: the Lua-side wall time of the whole loop (io.popen("date")),
    Lua os.clock() CPU time per evaluation (all threads), the setup time and the process
    wall time. One warm-up evaluation of each kind precedes the timed loop.

How to run
    benches/peers/setup.sh      # once: creates target/peers-venv with crispy==2026.3
    target/peers-venv/bin/python benches/peers/nio_quanty.py --repeats 20 [--out DIR]
        [--ref DIR] [--threads N] [--quanty PATH]

What is printed
    Progress on stderr; on stdout one JSON object (last line):
    {"peer": "Quanty", "version": ..., "xas_s_per_eval": ..., "xps_s_per_eval": ...,
     "xas_max_rel_diff": ..., "xps_max_rel_diff": ..., "notes": ..., "details": {...}}
    max_rel_diff = max|spectrum - reference| / max|reference| against the Quanty reference
    files of ../shared/data/multiplet (null when absent). Spectra are written to --out.
"""

import importlib.util
import json
import os
import re
import string
import subprocess
import sys
import time
from pathlib import Path

from nio_common import (MODEL_B, XAS_GRID, XAS_HWHM, XPS_GRID, XPS_HWHM, compare,
                        parse_peer_args, peer_parser, stats)
from nio_common import fail as common_fail

TEMPLATE = Path(__file__).resolve().parent / "quanty_nio.lua.template"

# Unscaled Ni atomic values of edrixs's atom data (3d8 initial; 2p5 3d9 final), as used by
# the reference generator; zeta_3d of the initial state is used in both states.
NI_ATOM = {"F2dd": 12.234, "F4dd": 7.598, "F2pd": 7.721, "G1pd": 5.787, "G3pd": 3.291,
           "zeta3d": 0.083, "zeta2p": 11.507}
KELVIN_EV = 8.617333262e-5
DENSE_BORDER = 100000


def fail(message):
    common_fail("nio_quanty.py", message)


def find_quanty(override):
    if override:
        path = Path(override)
    else:
        spec = importlib.util.find_spec("crispy")
        if spec is None or spec.origin is None:
            fail("the crispy package (which ships the Quanty binary) is not installed. Create the "
                 "peers' virtualenv with benches/peers/setup.sh and run this script with "
                 "target/peers-venv/bin/python (or pass --quanty PATH).")
        path = Path(spec.origin).parent / "quanty" / "bin" / "linux" / "Quanty"
    if not (path.is_file() and os.access(path, os.X_OK)):
        fail(f"Quanty binary not found or not executable at {path}; run benches/peers/setup.sh.")
    return path


def energies(p):
    """Configuration energies from the master formula
    E = E_d n_d + E_L n_L + E_p n_p + n_d (n_d - 1) Udd / 2 + n_d n_p Upd
    with E(d^n L^10) = 0, E(d^(n+1) L^9) - E(d^n L^10) = Delta (no core hole, n_p = 0 for the
    initial state; n_p = 6 in the core-hole version) and E(2p^5 d^(n+1) L^10) = 0."""
    n, U, Q, D = p["nd"], p["Udd"], p["Upd"], p["Delta"]

    def solve(a, b):  # small dense Gaussian elimination (no numpy needed)
        m = [row[:] + [rhs] for row, rhs in zip(a, b)]
        k = len(m)
        for c in range(k):
            piv = max(range(c, k), key=lambda r: abs(m[r][c]))
            m[c], m[piv] = m[piv], m[c]
            for r in range(k):
                if r != c:
                    f = m[r][c] / m[c][c]
                    m[r] = [x - f * y for x, y in zip(m[r], m[c])]
        return [m[r][k] / m[r][r] for r in range(k)]

    coul = lambda nd, npp: nd * (nd - 1) * U / 2 + nd * npp * Q  # noqa: E731
    # unknowns E_d, E_L (no core)
    e_d, e_l = solve([[n + 1 - n, 9 - 10], [n, 10]],
                     [D - (coul(n + 1, 0) - coul(n, 0)), -coul(n, 0)])
    # unknowns E_dc, E_Lc, E_p (with the 2p shell)
    e_dc, e_lc, e_p = solve([[1, -1, 0], [n, 10, 6], [n + 1, 10, 5]],
                            [D - (coul(n + 1, 6) - coul(n, 6)), -coul(n, 6), -coul(n + 1, 5)])
    return e_d, e_l, e_dc, e_lc, e_p


def lua_parameters(p, args, out_dir):
    s = p["slater_scale"]
    F2dd, F4dd = s * NI_ATOM["F2dd"], s * NI_ATOM["F4dd"]
    F2pd, G1pd, G3pd = s * NI_ATOM["F2pd"], s * NI_ATOM["G1pd"], s * NI_ATOM["G3pd"]
    e_d, e_l, e_dc, e_lc, e_p = energies(p)
    values = {
        "F0dd": p["Udd"] + 2 / 63 * (F2dd + F4dd), "F2dd": F2dd, "F4dd": F4dd,
        "F0pd": p["Upd"] + G1pd / 15 + 3 * G3pd / 70, "F2pd": F2pd, "G1pd": G1pd, "G3pd": G3pd,
        "zeta3d_i": NI_ATOM["zeta3d"], "zeta3d_f": NI_ATOM["zeta3d"], "zeta2p": NI_ATOM["zeta2p"],
        "tenDq": p["tenDq"], "tenDqL": p["tenDq_L"], "Veg": p["Veg"], "Vt2g": p["Vt2g"],
        "E_d": e_d, "E_L": e_l, "E_dc": e_dc, "E_Lc": e_lc, "E_p": e_p,
        "c_level": -p["om_shift"] - 5 * e_p,
        "kT": p["temperature_K"] * KELVIN_EV,
        "xas_emin": XAS_GRID[0], "xas_emax": XAS_GRID[1], "xas_ne": XAS_GRID[2] - 1,
        "xas_gamma": 2 * XAS_HWHM,
        "xps_emin": XPS_GRID[0], "xps_emax": XPS_GRID[1], "xps_ne": XPS_GRID[2] - 1,
        "xps_gamma": 2 * XPS_HWHM,
    }
    text = {k: str(v) if isinstance(v, int) else repr(float(v)) for k, v in values.items()}
    text.update(repeats=str(args.repeats), warmup="1", num_gs=str(p["num_gs"]),
                dense_border=str(DENSE_BORDER), out_dir=str(out_dir))
    return values, text


def check_meta(values, ref_dir):
    """Differences to the parameters recorded by the reference generator (if present)."""
    path = ref_dir / "nio_modelB_seedlike_meta.json"
    if not path.is_file():
        return None
    model = json.loads(path.read_text())["model"]
    keys = {"F0dd": "F0_dd", "F2dd": "F2_dd", "F4dd": "F4_dd", "F0pd": "F0_dp", "F2pd": "F2_dp",
            "G1pd": "G1_dp", "G3pd": "G3_dp", "zeta3d_i": "zeta_d_used_both_states",
            "zeta2p": "zeta_2p", "E_d": "E_d", "E_L": "E_L", "E_dc": "E_dc", "E_Lc": "E_Lc",
            "E_p": "E_p", "c_level": "c_level"}
    return max(abs(values[k] - model[m]) for k, m in keys.items())


def run_quanty(quanty, lua_path, env):
    """Runs Quanty, timestamping each '@@' marker line on arrival."""
    marks, banner = [], []
    t_start = time.perf_counter()
    proc = subprocess.Popen([str(quanty), lua_path.name], cwd=lua_path.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        now = time.perf_counter()
        if line.startswith("@@"):
            marks.append((now, line[2:].split()))
        else:
            banner.append(line.rstrip("\n"))
    stderr = proc.stderr.read()
    code = proc.wait()
    process_wall = time.perf_counter() - t_start
    if code != 0 or not marks or marks[-1][1] != ["done"]:
        tail = "\n".join((banner + stderr.splitlines())[-30:])
        fail(f"Quanty failed (exit code {code}); last output:\n{tail}")
    return marks, banner, process_wall


def per_eval(marks, kind):
    begin = {int(f[2]): (t, float(f[3])) for t, f in marks if f[0] == "begin" and f[1] == kind}
    end = {int(f[2]): (t, float(f[3])) for t, f in marks if f[0] == "end" and f[1] == kind}
    wall = [end[i][0] - begin[i][0] for i in sorted(begin)]
    cpu = [end[i][1] - begin[i][1] for i in sorted(begin)]
    loop = next(float(f[2]) for _, f in marks if f[0] == "loop_wall" and f[1] == kind)
    states = [tuple(float(x) for x in f[3:6]) for _, f in marks
              if f[0] == "state" and f[1] == kind]
    return wall, cpu, loop, states


def read_spec(path, offset):
    """Quanty Spectra.Print file: 5 header lines, then Energy, Re, Im; returns (E + offset, Im)."""
    rows = [line.split() for line in path.read_text().splitlines()[5:] if line.strip()]
    return [float(r[0]) + offset for r in rows], [float(r[2]) for r in rows]


def write_csv(path, header, energy, values):
    with open(path, "w") as fh:
        fh.write(header + "\n")
        for e, v in zip(energy, values):
            fh.write(f"{e:.10e},{v:.10e}\n")


def main():
    parser = peer_parser(__doc__, "nio_quanty",
                         "OMP_NUM_THREADS for Quanty (default: inherited, i.e. all cores)")
    parser.add_argument("--quanty", default=os.environ.get("QUANTY_BIN"),
                        help="Quanty binary (default: the one inside the crispy package)")
    args = parse_peer_args(parser)

    quanty = find_quanty(args.quanty)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    values, text = lua_parameters(MODEL_B, args, out)
    lua_path = out / "nio_quanty.lua"
    lua_path.write_text(string.Template(TEMPLATE.read_text()).substitute(text))
    env = dict(os.environ)
    if args.threads is not None:
        env["OMP_NUM_THREADS"] = str(args.threads)

    print(f"running {quanty} on {lua_path} ({args.repeats} repeats)", file=sys.stderr)
    marks, banner, process_wall = run_quanty(quanty, lua_path, env)
    banner_text = "\n".join(banner)
    m = re.search(r"Version\s+(.+?)\s*====", banner_text)
    version = m.group(1) if m else "unknown"
    m = re.search(r"compiled at:\s*(.+?)\s*====", banner_text)
    compiled = re.sub(r"\s+", " ", m.group(1)) if m else None
    m = re.search(r"maximum number of threads in parallel region:\s*(\d+)", banner_text)
    threads = int(m.group(1)) if m else None
    setup = {f[0]: (t, float(f[1])) for t, f in marks if f[0] in ("setup_begin", "setup_end")}

    notes, result_spectra = [], {}
    timings = {}
    for kind in ("xas", "xps"):
        wall, cpu, loop, states = per_eval(marks, kind)
        offsets = [s[1] for s in states if s[2] > 1e-12]
        spread = max(offsets) - min(offsets)
        if spread > 1e-9:
            notes.append(f"{kind}: populated states have different <H_f>-E_i offsets "
                         f"(spread {spread:.3g} eV); the summed spectrum is not exact")
        energy, intensity = read_spec(out / f"quanty_{kind}.spec", offsets[0])
        result_spectra[kind] = (energy, intensity)
        timings[kind] = {"wall_s": stats(wall), "cpu_s_os_clock": stats(cpu),
                         "lua_loop_wall_mean_s": loop / len(wall),
                         "axis_offset_eV": offsets[0], "offset_spread_eV": spread,
                         "initial_energies": [s[0] for s in states],
                         "weights": [s[2] for s in states]}

    xas_e, xas_v = result_spectra["xas"]
    xps_e, xps_v = result_spectra["xps"]
    write_csv(out / "nio_quanty_xas.csv", "omega_eV,xas_isotropic_quanty_norm", xas_e, xas_v)
    write_csv(out / "nio_quanty_xps.csv", "E_final_minus_E_initial_eV,xps_intensity", xps_e, xps_v)
    xas_diff, msg1 = compare(args.ref / "nio_modelB_seedlike_xas_quanty.csv", None, xas_e, xas_v)
    xps_diff, msg2 = compare(args.ref / "nio_modelB_seedlike_xps_quanty.csv", None, xps_e, xps_v)
    xas_diff_edrixs, _ = compare(args.ref / "nio_modelB_seedlike_xas.csv", "xas_dense_isotropic",
                                 xas_e, xas_v, factor=2.5)
    notes += [m for m in (msg1, msg2) if m]
    notes.insert(0, (
        "Quanty (dense Green's functions, DenseBorder 100000); per evaluation: assemble H_i/H_f "
        "from prebuilt term operators + Eigensystem (3 states) + CreateSpectra + weighted "
        "sum; median wall time per evaluation from flushed stdout markers, after 1 warm-up; "
        "process start-up and operator setup excluded (see details). XAS 1000 pts "
        "(Gamma FWHM 0.48), XPS 2001 pts 815..865 (NE 2000, Gamma FWHM 1.0). Quanty runs "
        f"with {threads} OpenMP threads"))

    result = {
        "peer": "Quanty",
        "version": version + (f" (compiled {compiled}; crispy 2026.3 wheel)" if compiled else ""),
        "xas_s_per_eval": timings["xas"]["wall_s"]["median"],
        "xps_s_per_eval": timings["xps"]["wall_s"]["median"],
        "xas_max_rel_diff": xas_diff,
        "xps_max_rel_diff": xps_diff,
        "notes": "; ".join(notes),
        "details": {
            "xas": timings["xas"],
            "xps": timings["xps"],
            "xas_max_rel_diff_vs_edrixs_x2.5": xas_diff_edrixs,
            "setup_wall_s": setup["setup_end"][0] - setup["setup_begin"][0],
            "process_wall_s": process_wall,
            "parameter_max_abs_diff_vs_meta": check_meta(values, args.ref),
            "quanty_binary": str(quanty),
            "openmp_threads": threads,
            "out_dir": str(out),
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
