"""Times the NiO charge-transfer cluster (model B) in edrixs, as a peer of `cluster-model`.

What
    The [NiO6]10- cluster of model B in ../shared/data/multiplet/README.md ("seed-like"
    paramagnetic Ni2+ cluster: Delta 4.7, Udd 7.3, Upd 8.5, 10Dq 0.6, 10Dq_L 0, V_eg 2.2,
    V_t2g 1.1, Slater integrals 0.8 x edrixs Ni atom data, zeta_3d 0.083 in both states,
    zeta_2p 11.507, om_shift 857.6, T = 0 with the 3-fold degenerate ground state averaged)
    computed with edrixs 0.2.0 and its pure-Python dense backend:

    * XAS evaluation: edrixs.model_siam -> edrixs.get_ops(backend='dense') (H_i, H_n and
      the 3 dipole operators) -> edrixs.ed (3 lowest states) -> edrixs.xas (isotropic,
      1000 points 842.6..882.6 eV, Lorentzian HWHM 0.24 eV, T = 1 K).
    * XPS evaluation (edrixs has no XPS function): edrixs.model_siam -> edrixs.build_op
      (dense) for H_i (18 valence e-, 6 core e-, dim 190) and for the XPS final sector
      (18 valence e-, 5 core e-, dim 1140, same one- and two-body coefficients as the
      XAS intermediate state) -> edrixs.ed for the 3 initial states and for the whole
      final sector -> sum over the six 2p annihilators of |<f|c_j|g>|^2 with a Lorentzian
      of HWHM 0.5 eV on 2001 points 815..865 eV (E_f - E_i axis). The annihilator
      matrices do not depend on the parameters and are built once, before timing
      (sign (-1)^(number of occupied orbitals below j), combinadic Fock basis of edrixs).

    Every evaluation rebuilds everything that depends on the parameters (one-body and
    Coulomb matrices, many-body matrices, diagonalisations, spectra). Only the atomic
    data lookup, the annihilator matrices and one warm-up evaluation of each kind (numba
    JIT compilation: ~7 s on a cold numba cache, ~2 s warm) are outside the timed region.
    A per-stage split of one extra evaluation of each kind is reported in the details.

How to run
    benches/peers/setup.sh      # once: creates target/peers-venv with edrixs==0.2.0
    target/peers-venv/bin/python benches/peers/nio_edrixs.py --repeats 20 [--out DIR]
        [--ref DIR] [--threads N] [--no-xps]

What is printed
    Progress on stderr; on stdout one JSON object (last line):
    {"peer": "edrixs", "version": ..., "xas_s_per_eval": median wall seconds,
     "xps_s_per_eval": ..., "xas_max_rel_diff": ..., "xps_max_rel_diff": ..., "notes": ...,
     "details": {...}}
    The max relative differences are max|spectrum - reference| / max|reference| against
    nio_modelB_seedlike_xas.csv (column xas_dense_isotropic) and nio_modelB_seedlike_xps.csv
    (null when the reference files are absent). The spectra are written as CSV to --out.
"""

import json
import os
import sys
import time

from nio_common import (MODEL_B, XAS_GRID, XAS_HWHM, XPS_GRID, XPS_HWHM, compare, fail,
                        parse_peer_args, peer_parser, stats)


def parse_args():
    parser = peer_parser(__doc__, "nio_edrixs",
                         "set OMP/OPENBLAS/MKL/NUMBA thread counts (default: leave as is)")
    parser.add_argument("--no-xps", action="store_true", help="time XAS only")
    return parse_peer_args(parser)


ARGS = parse_args()
if ARGS.threads is not None:
    # Must happen before numpy/scipy/numba are imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

try:
    from importlib.metadata import version

    import numpy as np
    import edrixs
    from edrixs.fock_basis import FockBasisSpec, build_fock_basis

    EDRIXS_VERSION = version("edrixs")
except ImportError as err:
    fail("nio_edrixs.py", f"cannot import edrixs/numpy ({err}). Create the peers' virtualenv with "
         f"benches/peers/setup.sh and run this script with target/peers-venv/bin/python.")


class Model:
    """Parameter-independent data (atomic values) plus the model-B parameters."""

    def __init__(self, p):
        self.p = dict(p)
        info = edrixs.utils.get_atom_data("Ni", "3d", p["nd"], edge="L3")
        s = p["slater_scale"]
        self.F2dd = info["slater_i"][1][1] * s
        self.F4dd = info["slater_i"][2][1] * s
        self.F2dp = info["slater_n"][4][1] * s
        self.G1dp = info["slater_n"][5][1] * s
        self.G3dp = info["slater_n"][6][1] * s
        # zeta_3d of the initial state is used in both states (as edrixs example_3 does).
        self.zeta_d = info["v_soc_i"][0]
        self.zeta_p = info["c_soc"]
        self.trans_c2n = edrixs.tmat_c2r("d", True)
        self.norb = 10
        self.v_noccu = p["nd"] + 10

    def setup(self):
        """Everything model_siam needs, from the parameters (part of each evaluation)."""
        p = self.p
        F0dd = p["Udd"] + edrixs.get_F0("d", self.F2dd, self.F4dd)
        F0dp = p["Upd"] + edrixs.get_F0("dp", self.G1dp, self.G3dp)
        slater = ([F0dd, self.F2dd, self.F4dd],
                  [F0dd, self.F2dd, self.F4dd, F0dp, self.F2dp, self.G1dp, self.G3dp])
        E_d, E_L = edrixs.CT_imp_bath(p["Udd"], p["Delta"], p["nd"])
        E_dc, E_Lc, E_p = edrixs.CT_imp_bath_core_hole(p["Udd"], p["Upd"], p["Delta"], p["nd"])
        # Real-harmonic order (dz2, dzx, dzy, dx2-y2, dxy) x (up, down).
        eg = np.array([1, 1, 0, 0, 0, 0, 1, 1, 0, 0], dtype=bool)
        cf = np.where(eg, 0.6, -0.4)
        soc = edrixs.cb_op(edrixs.atom_hsoc("d", self.zeta_d), self.trans_c2n)
        imp_mat = np.diag(cf * p["tenDq"]).astype(complex) + soc + E_d * np.eye(self.norb)
        imp_mat_n = np.diag(cf * p["tenDq"]).astype(complex) + soc + E_dc * np.eye(self.norb)
        bath_level = (E_L + cf * p["tenDq_L"]).astype(complex)[None, :]
        bath_level_n = (E_Lc + cf * p["tenDq_L"]).astype(complex)[None, :]
        hyb = np.where(eg, p["Veg"], p["Vt2g"]).astype(complex)[None, :]
        c_level = -p["om_shift"] - 5 * E_p
        return edrixs.model_siam(
            ("d", "p"), 1, siam_type=0, v_noccu=self.v_noccu, c_level=c_level,
            c_soc=self.zeta_p, trans_c2n=self.trans_c2n, imp_mat=imp_mat, imp_mat_n=imp_mat_n,
            bath_level=bath_level, bath_level_n=bath_level_n, hyb=hyb, hyb_n=hyb,
            slater=slater)


class Stages:
    """Optional per-stage wall-clock split of one evaluation (for the details only)."""

    def __init__(self, enabled):
        self.enabled, self.times, self.last = enabled, {}, time.perf_counter()

    def __call__(self, name):
        if self.enabled:
            now = time.perf_counter()
            self.times[name] = now - self.last
            self.last = now


def xas_eval(model, ominc, stages=None):
    """One full XAS evaluation; returns the isotropic spectrum and the initial energies."""
    stage = stages or Stages(False)
    emat_i, umat_i, basis_i, emat_n, umat_n, basis_n, trans_mat, shift = model.setup()
    stage("model_siam")
    hmat_i, hmat_n, trans_ops = edrixs.get_ops(
        emat_i, umat_i, basis_i, emat_n, umat_n, basis_n, trans_mat, backend="dense")
    stage("get_ops")
    eval_i, evec_i = edrixs.ed(hmat_i, model.p["num_gs"], shift=shift, backend="dense")
    stage("ed_initial")
    spectrum = edrixs.xas(eval_i, evec_i, hmat_n, trans_ops, ominc, gamma_c=XAS_HWHM,
                          pol_type=[("isotropic", 0.0)],
                          temperature=model.p["temperature_K"], backend="dense")
    stage("xas_final_eigh_and_spectrum")
    return spectrum[:, 0], eval_i


def xps_spec(model):
    n_val = 10 * 2
    return FockBasisSpec.from_args(n_val, model.v_noccu, 6, 5)


def annihilators(model):
    """Dense matrices of c_j (j = the six 2p spin-orbitals), basis_i -> XPS final basis."""
    n_val = 20
    b_i = build_fock_basis(FockBasisSpec.from_args(n_val, model.v_noccu, 6, 6))
    b_f = build_fock_basis(xps_spec(model))
    ops = np.zeros((6, len(b_f), len(b_i)))
    for col in range(len(b_i)):
        state = b_i.decode(col)
        for k in range(6):
            j = n_val + k
            if state >> j & 1:
                sign = -1.0 if bin(state & ((1 << j) - 1)).count("1") % 2 else 1.0
                ops[k, b_f.encode(state ^ (1 << j)), col] = sign
    return ops


def xps_eval(model, ops, omega, stages=None):
    """One full XPS evaluation; returns the spectrum (sum over the six 2p annihilators)."""
    stage = stages or Stages(False)
    emat_i, umat_i, basis_i, emat_n, umat_n, _basis_n, _trans, shift = model.setup()
    stage("model_siam")
    hmat_i = edrixs.build_op(emat_i, umat_i, basis_i, backend="dense")
    hmat_f = edrixs.build_op(emat_n, umat_n, xps_spec(model), backend="dense")
    stage("build_op_initial_and_final")
    eval_i, evec_i = edrixs.ed(hmat_i, model.p["num_gs"], shift=shift, backend="dense")
    stage("ed_initial")
    # full dense diagonalisation of the 1140-dim final sector (5 core electrons)
    eval_f, evec_f = edrixs.ed(hmat_f, hmat_f.shape[0], shift=shift * 5 / 6, backend="dense")
    stage("ed_final_full")
    dim_f, n_gs = len(eval_f), len(eval_i)
    c_g = np.moveaxis(ops @ evec_i, 0, 1).reshape(dim_f, -1)  # c_j|g> as columns (j, g)
    amp = evec_f.T.conj() @ c_g  # <f|c_j|g>, one GEMM
    weight = (np.abs(amp) ** 2).reshape(dim_f, 6, n_gs).sum(axis=1)
    weight *= edrixs.boltz_dist(eval_i, model.p["temperature_K"])
    poles = (eval_f[:, None] - eval_i[None, :]).ravel()
    spectrum = lorentzian_sum(omega, poles, weight.ravel(), XPS_HWHM)
    stage("matrix_elements_and_broadening")
    return spectrum


def lorentzian_sum(omega, poles, weights, hwhm, chunk=128):
    """sum_p w_p (hwhm/pi) / ((omega - E_p)^2 + hwhm^2), in cache-sized blocks of omega
    (same formula as edrixs's dense XAS; ~5x faster than one 2001 x 3420 temporary)."""
    out = np.empty(len(omega))
    for start in range(0, len(omega), chunk):
        d = omega[start:start + chunk, None] - poles[None, :]
        d *= d
        d += hwhm * hwhm
        np.reciprocal(d, out=d)
        out[start:start + chunk] = d @ weights
    return out * (hwhm / np.pi)


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return np.array(times), result


def main():
    args = ARGS
    args.out.mkdir(parents=True, exist_ok=True)
    model = Model(MODEL_B)
    notes = []

    ominc = np.linspace(*XAS_GRID)
    t0 = time.perf_counter()
    xas, eval_i = xas_eval(model, ominc)  # warm-up: numba JIT of the operator builders
    warm_xas = time.perf_counter() - t0
    print(f"edrixs XAS warm-up (incl. JIT) {warm_xas:.2f} s; E_0 = {eval_i[0]:.9f}",
          file=sys.stderr)
    xas_times, (xas, eval_i) = timed(lambda: xas_eval(model, ominc), args.repeats)
    print(f"edrixs XAS median {np.median(xas_times):.4f} s over {args.repeats}", file=sys.stderr)
    np.savetxt(args.out / "nio_edrixs_xas.csv", np.column_stack([ominc, xas]), delimiter=",",
               header="omega_eV,xas_isotropic_edrixs", comments="", fmt="%.10e")
    xas_stages = Stages(True)
    xas_eval(model, ominc, xas_stages)
    xas_diff, msg = compare(args.ref / "nio_modelB_seedlike_xas.csv", "xas_dense_isotropic",
                            ominc, xas)
    if msg:
        notes.append(msg)

    xps_times, xps_diff, warm_xps, ann_s, xps_stages = None, None, None, None, None
    if not args.no_xps:
        omega = np.linspace(*XPS_GRID)
        t0 = time.perf_counter()
        ops = annihilators(model)
        ann_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        xps = xps_eval(model, ops, omega)
        warm_xps = time.perf_counter() - t0
        print(f"edrixs XPS warm-up {warm_xps:.2f} s", file=sys.stderr)
        xps_times, xps = timed(lambda: xps_eval(model, ops, omega), args.repeats)
        print(f"edrixs XPS median {np.median(xps_times):.4f} s over {args.repeats}",
              file=sys.stderr)
        np.savetxt(args.out / "nio_edrixs_xps.csv", np.column_stack([omega, xps]),
                   delimiter=",", header="E_final_minus_E_initial_eV,xps_intensity",
                   comments="", fmt="%.10e")
        xps_stages = Stages(True)
        xps_eval(model, ops, omega, xps_stages)
        xps_diff, msg = compare(args.ref / "nio_modelB_seedlike_xps.csv", None, omega, xps)
        if msg:
            notes.append(msg)

    notes.insert(0, (
        "edrixs dense backend (pure Python + numba + scipy eigh); per evaluation: "
        "model_siam + many-body matrices + ED + spectrum, wall time (time.perf_counter), "
        "median over repeats after one warm-up (numba JIT excluded). XAS isotropic, "
        "1000 pts, HWHM 0.24. XPS via build_op on the 5-core-electron sector (dim 1140, "
        "full dense eigh) and precomputed 2p annihilators (edrixs has no XPS function), "
        "2001 pts 815..865, HWHM 0.5."))
    result = {
        "peer": "edrixs",
        "version": EDRIXS_VERSION,
        "xas_s_per_eval": float(np.median(xas_times)),
        "xps_s_per_eval": None if xps_times is None else float(np.median(xps_times)),
        "xas_max_rel_diff": xas_diff,
        "xps_max_rel_diff": xps_diff,
        "notes": "; ".join(notes),
        "details": {
            "xas_wall_s": stats(xas_times),
            "xps_wall_s": None if xps_times is None else stats(xps_times),
            "xas_stages_one_eval_s": xas_stages.times,
            "xps_stages_one_eval_s": None if xps_stages is None else xps_stages.times,
            "xas_warmup_s": warm_xas,
            "xps_warmup_s": warm_xps,
            "xps_annihilator_setup_s": ann_s,
            "E0": float(eval_i[0]),
            "numpy": np.__version__,
            "threads_env": {v: os.environ.get(v) for v in
                            ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")},
            "cpu_count": os.cpu_count(),
            "out_dir": str(args.out),
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
