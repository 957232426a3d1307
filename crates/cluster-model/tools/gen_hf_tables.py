#!/usr/bin/env python3
"""Generate ``crates/cluster-model/src/hf_tables.rs`` from crispy's parameter files.

Usage (from ``crates/cluster-model/tools``)::

    python gen_hf_tables.py /path/to/crispy/quanty/parameters > ../src/hf_tables.rs

The directory is the ``crispy/quanty/parameters`` folder of an unpacked crispy
wheel (``pip download --no-deps crispy`` then unzip).  It holds one HDF5 file per
element, ``<Element>.h5``, whose datasets are named like
``"2p5,3d9/Atomic/F2(2p,3d)"`` (unscaled Hartree-Fock values in eV from Cowan's
code).  This script reads the elements Ti..Cu, keeps every configuration of the
form ``3d{n}`` or ``2p5,3d{n}`` (other core holes, 1s/2s/3s/3p, and the
``3d-4p Hybridization`` groups are ignored) and prints the complete Rust module,
tests included, to stdout.

Values are written with Python's shortest round-trip ``repr``, so every Rust
literal parses to exactly the float64 stored in the file.  A configuration that
lacks one of the expected datasets is an error (the script stops); nothing is
filled in or guessed.

The crispy version is read from the ``crispy-*.dist-info/METADATA`` next to the
unpacked package when present; otherwise pass ``--crispy-version``.

Needs ``h5py`` (``python3 -m venv /tmp/h5venv && /tmp/h5venv/bin/pip install h5py``).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import h5py

# Elements in order of increasing atomic number.
ELEMENTS = ["Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu"]

GROUND_RE = re.compile(r"3d(\d+)")
CORE_HOLE_RE = re.compile(r"2p5,3d(\d+)")

# Dataset names inside "<configuration>/Atomic" (crispy spells zeta as the Greek letter).
DD_KEYS = ["F2(3d,3d)", "F4(3d,3d)", "\u03b6(3d)"]
PD_KEYS = ["F2(2p,3d)", "G1(2p,3d)", "G3(2p,3d)", "\u03b6(2p)"]


def literal(value: float) -> str:
    """Shortest decimal that round-trips to the stored float64, as a Rust f64 literal."""
    text = repr(float(value))
    if not re.fullmatch(r"-?\d+\.\d+", text):
        raise ValueError(f"unexpected float representation {text!r}")
    return text


def read_atomic(group: h5py.Group, keys: list[str], where: str) -> list[float]:
    missing = [k for k in keys if k not in group]
    if missing:
        raise KeyError(f"{where}: missing dataset(s) {missing}")
    return [float(group[k][()]) for k in keys]


def read_element(path: Path, element: str) -> list[tuple]:
    """Rows (kind, n_d, configuration, dd_values, pd_values) of one element, sorted."""
    rows = []
    with h5py.File(path, "r") as f:
        for configuration in f.keys():
            ground = GROUND_RE.fullmatch(configuration)
            hole = CORE_HOLE_RE.fullmatch(configuration)
            if not (ground or hole):
                continue
            where = f"{path.name}:{configuration}/Atomic"
            if "Atomic" not in f[configuration]:
                raise KeyError(f"{where}: no 'Atomic' group")
            atomic = f[configuration]["Atomic"]
            dd = read_atomic(atomic, DD_KEYS, where)
            if ground:
                present = [k for k in PD_KEYS if k in atomic]
                if present:
                    raise KeyError(f"{where}: unexpected 2p datasets {present}")
                rows.append((0, int(ground.group(1)), configuration, dd, None))
            else:
                pd = read_atomic(atomic, PD_KEYS, where)
                rows.append((1, int(hole.group(1)), configuration, dd, pd))
    if not rows:
        raise ValueError(f"{path}: no 3d{{n}} or 2p5,3d{{n}} configurations")
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def detect_crispy_version(parameters: Path) -> str | None:
    # <root>/crispy/quanty/parameters -> <root>/crispy-<version>.dist-info/METADATA
    root = parameters.resolve().parents[2]
    for metadata in sorted(root.glob("crispy-*.dist-info/METADATA")):
        for line in metadata.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return None


HEADER = """\
//! Unscaled atomic Hartree-Fock parameters of the 3d transition-metal ions Ti..Cu.
//!
//! **Generated file, do not edit by hand.** It is produced by
//! `tools/gen_hf_tables.py` (see `tools/README.md`) and committed.
//!
//! # Source
//!
//! The numbers are copied, unchanged, from the parameter files
//! `crispy/quanty/parameters/<Element>.h5` of the Python package crispy
//! {version} (PyPI, MIT licence, copyright European Synchrotron Radiation
//! Facility). Crispy's values were computed with R. D. Cowan's atomic
//! Hartree-Fock code. They are *unscaled*: any reduction of the Slater integrals
//! (e.g. the factor 0.8 used for the NiO reference data of this project) is up
//! to the caller.
//!
//! # Content
//!
//! One [`HfValues`] row per configuration of the form `3d{{n}}` (no core hole)
//! or `2p5,3d{{n}}` (one 2p hole; `n` counts the 3d electrons of that
//! configuration), for every such configuration present in the files. All
//! values are in eV. The monopole terms stored by crispy (`U(3d,3d)`,
//! `U(2p,3d)`, all 0.0) are not carried; other core holes (1s, 2s, 3s, 3p) and
//! the 3d-4p hybridisation data are left out.
//!
//! Configurations covered:
//!
{coverage}
//!
//! Where an integral does not exist for a configuration, the files store 0.0 and
//! so does this table: `f2_dd` and `f4_dd` are 0.0 for fewer than two 3d
//! electrons (`3d0`, `3d1`, `2p5,3d0`, `2p5,3d1`), and `zeta_3d` and the 2p-3d
//! integrals are 0.0 for `3d0` and `2p5,3d0` (so `f2_pd` is `Some(0.0)` there).
//!
//! # Example
//!
//! ```
//! use cluster_model::hf_tables::{{core_hole, ground}};
//!
//! // Ni2+: 3d8 ground state, 2p5 3d9 L-edge XAS final state.
//! let initial = ground("Ni", 8).expect("tabulated");
//! let fin = core_hole("Ni", 9).expect("tabulated");
//! assert_eq!(initial.f2_dd, 12.2338);
//! assert_eq!(fin.zeta_2p, Some(11.507));
//! assert!(ground("Ni", 10).is_none());
//! ```

/// One configuration's unscaled Hartree-Fock values (eV).
///
/// The 2p-related fields are `Some` exactly for the configurations with a 2p
/// hole (`2p5,3d{{n}}`) and `None` for the `3d{{n}}` ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HfValues {{
    /// Element symbol, e.g. `"Ni"`.
    pub element: &'static str,
    /// Configuration as crispy names it, e.g. `"3d8"` or `"2p5,3d9"`.
    pub configuration: &'static str,
    /// Slater integral F2(3d,3d) (eV); 0.0 when there are fewer than two 3d electrons.
    pub f2_dd: f64,
    /// Slater integral F4(3d,3d) (eV); 0.0 when there are fewer than two 3d electrons.
    pub f4_dd: f64,
    /// 3d spin-orbit coupling constant zeta(3d) (eV); 0.0 for no 3d electron.
    pub zeta_3d: f64,
    /// Slater integral F2(2p,3d) (eV), with a 2p hole only.
    pub f2_pd: Option<f64>,
    /// Exchange integral G1(2p,3d) (eV), with a 2p hole only.
    pub g1_pd: Option<f64>,
    /// Exchange integral G3(2p,3d) (eV), with a 2p hole only.
    pub g3_pd: Option<f64>,
    /// 2p spin-orbit coupling constant zeta(2p) (eV), with a 2p hole only.
    pub zeta_2p: Option<f64>,
}}

/// Row of a `3d{{n}}` configuration: `[F2(3d,3d), F4(3d,3d), zeta(3d)]`.
const fn valence(element: &'static str, configuration: &'static str, dd: [f64; 3]) -> HfValues {{
    HfValues {{
        element,
        configuration,
        f2_dd: dd[0],
        f4_dd: dd[1],
        zeta_3d: dd[2],
        f2_pd: None,
        g1_pd: None,
        g3_pd: None,
        zeta_2p: None,
    }}
}}

/// Row of a `2p5,3d{{n}}` configuration: `dd` as in [`valence`], then
/// `pd = [F2(2p,3d), G1(2p,3d), G3(2p,3d), zeta(2p)]`.
const fn hole_2p(
    element: &'static str,
    configuration: &'static str,
    dd: [f64; 3],
    pd: [f64; 4],
) -> HfValues {{
    HfValues {{
        element,
        configuration,
        f2_dd: dd[0],
        f4_dd: dd[1],
        zeta_3d: dd[2],
        f2_pd: Some(pd[0]),
        g1_pd: Some(pd[1]),
        g3_pd: Some(pd[2]),
        zeta_2p: Some(pd[3]),
    }}
}}

/// All tabulated configurations: by element in order of increasing Z
/// ({elements}), then `3d{{n}}` rows by increasing `n`,
/// then `2p5,3d{{n}}` rows by increasing `n`.
///
/// Columns: element, configuration, `[F2(3d,3d), F4(3d,3d), zeta(3d)]` and, for
/// a 2p hole, `[F2(2p,3d), G1(2p,3d), G3(2p,3d), zeta(2p)]`, all in eV.
#[rustfmt::skip]
pub static HF_VALUES: &[HfValues] = &[
{rows}
];

/// Looks up a configuration by element symbol and crispy's configuration name,
/// e.g. `configuration("Ni", "2p5,3d9")`. Names are matched exactly
/// (case-sensitive); returns `None` for anything not tabulated.
pub fn configuration(element: &str, configuration: &str) -> Option<&'static HfValues> {{
    HF_VALUES
        .iter()
        .find(|v| v.element == element && v.configuration == configuration)
}}

/// The configuration `3d{{n_d}}` without core hole, e.g. `ground("Ni", 8)` for Ni2+.
pub fn ground(element: &str, n_d: u32) -> Option<&'static HfValues> {{
    configuration(element, &format!("3d{{n_d}}"))
}}

/// The configuration `2p5,3d{{n_d}}` with one 2p hole, where `n_d` counts the 3d
/// electrons *in the core-hole configuration*: `core_hole("Ni", 9)` is the L-edge
/// XAS final state of Ni2+ (3d8), `core_hole("Ni", 8)` its 2p XPS final state.
pub fn core_hole(element: &str, n_d: u32) -> Option<&'static HfValues> {{
    configuration(element, &format!("2p5,3d{{n_d}}"))
}}
"""

TESTS = r"""
#[cfg(test)]
mod tests {
    use super::*;

    /// Elements of the table in order of increasing Z.
    const ELEMENTS: [&str; 8] = ["Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu"];

    fn n_d(v: &HfValues) -> u32 {
        let (_, n) = v.configuration.rsplit_once("3d").unwrap();
        n.parse().unwrap()
    }

    fn has_hole(v: &HfValues) -> bool {
        v.configuration.starts_with("2p5,")
    }

    #[test]
    fn ni_matches_reference_csv() {
        // Crispy rows of /work/shared/data/multiplet/ni_atomic_hf_parameters.csv.
        let g8 = ground("Ni", 8).unwrap();
        assert_eq!((g8.f2_dd, g8.f4_dd, g8.zeta_3d), (12.2338, 7.5975, 0.0826));
        assert_eq!(g8.f2_pd, None);
        assert_eq!(g8.zeta_2p, None);

        let g9 = ground("Ni", 9).unwrap();
        assert_eq!((g9.f2_dd, g9.f4_dd, g9.zeta_3d), (11.0845, 6.8357, 0.0743));

        let h9 = core_hole("Ni", 9).unwrap();
        assert_eq!(h9.configuration, "2p5,3d9");
        assert_eq!((h9.f2_dd, h9.f4_dd, h9.zeta_3d), (13.0058, 8.0839, 0.1022));
        assert_eq!(
            (h9.f2_pd, h9.g1_pd, h9.g3_pd, h9.zeta_2p),
            (Some(7.7213), Some(5.7865), Some(3.2909), Some(11.507))
        );

        let h10 = core_hole("Ni", 10).unwrap();
        assert_eq!(
            (h10.f2_dd, h10.f4_dd, h10.zeta_3d),
            (11.8909, 7.3434, 0.0929)
        );
        assert_eq!(
            (h10.f2_pd, h10.g1_pd, h10.g3_pd, h10.zeta_2p),
            (Some(7.0988), Some(5.266), Some(2.9937), Some(11.5092))
        );

        let h8 = configuration("Ni", "2p5,3d8").unwrap();
        assert_eq!((h8.f2_dd, h8.f4_dd, h8.zeta_3d), (14.0214, 8.7637, 0.112));
        assert_eq!(
            (h8.f2_pd, h8.g1_pd, h8.g3_pd, h8.zeta_2p),
            (Some(8.3498), Some(6.3322), Some(3.6032), Some(11.5055))
        );
    }

    #[test]
    fn coverage_per_element() {
        // (element, 3d{n} range, 2p5,3d{n} range) as found in the crispy files.
        let expected = [
            ("Ti", 0..=2, 0..=3),
            ("V", 0..=3, 0..=4),
            ("Cr", 1..=4, 1..=5),
            ("Mn", 0..=5, 0..=6),
            ("Fe", 2..=6, 2..=7),
            ("Co", 4..=7, 4..=8),
            ("Ni", 6..=9, 6..=10),
            ("Cu", 8..=9, 8..=10),
        ];
        let mut count = 0;
        for (element, grounds, holes) in expected {
            for n in 0..=10 {
                assert_eq!(
                    ground(element, n).is_some(),
                    grounds.contains(&n),
                    "{element} 3d{n}"
                );
                assert_eq!(
                    core_hole(element, n).is_some(),
                    holes.contains(&n),
                    "{element} 2p5,3d{n}"
                );
            }
            count += grounds.count() + holes.count();
        }
        assert_eq!(count, HF_VALUES.len());
    }

    #[test]
    fn rows_are_well_formed_and_unique() {
        for (i, v) in HF_VALUES.iter().enumerate() {
            assert!(ELEMENTS.contains(&v.element), "{v:?}");
            let n = n_d(v);
            assert!(n <= 10, "{v:?}");
            let pd = [v.f2_pd, v.g1_pd, v.g3_pd, v.zeta_2p];
            if has_hole(v) {
                assert_eq!(v.configuration, format!("2p5,3d{n}"));
                assert!(pd.iter().all(Option::is_some), "{v:?}");
            } else {
                assert_eq!(v.configuration, format!("3d{n}"));
                assert!(pd.iter().all(Option::is_none), "{v:?}");
            }
            assert!(
                HF_VALUES[i + 1..]
                    .iter()
                    .all(|w| (w.element, w.configuration) != (v.element, v.configuration)),
                "duplicate {v:?}"
            );
            assert!(std::ptr::eq(
                configuration(v.element, v.configuration).unwrap(),
                v
            ));
        }
    }

    #[test]
    fn xas_and_xps_final_states_exist_for_every_ground_state() {
        for v in HF_VALUES.iter().filter(|v| !has_hole(v)) {
            let n = n_d(v);
            assert!(core_hole(v.element, n + 1).is_some(), "XAS final of {v:?}");
            assert!(core_hole(v.element, n).is_some(), "XPS final of {v:?}");
        }
    }

    #[test]
    fn integrals_are_ordered_and_positive() {
        for v in HF_VALUES {
            let n = n_d(v);
            if n >= 2 {
                assert!(v.f2_dd > v.f4_dd && v.f4_dd > 0.0, "{v:?}");
            } else {
                // No d-d pair: the files store 0.0.
                assert_eq!((v.f2_dd, v.f4_dd), (0.0, 0.0), "{v:?}");
            }
            if n >= 1 {
                assert!(v.zeta_3d > 0.0, "{v:?}");
            } else {
                assert_eq!(v.zeta_3d, 0.0, "{v:?}");
            }
            if let (Some(f2), Some(g1), Some(g3), Some(zeta_2p)) =
                (v.f2_pd, v.g1_pd, v.g3_pd, v.zeta_2p)
            {
                assert!(zeta_2p > 1.0, "{v:?}");
                if n >= 1 {
                    assert!(f2 > 0.0 && g1 > g3 && g3 > 0.0, "{v:?}");
                } else {
                    assert_eq!((f2, g1, g3), (0.0, 0.0, 0.0), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn values_grow_with_z_at_fixed_d_count() {
        let mut pairs = 0;
        for n in 0..=10 {
            for w in ELEMENTS.windows(2) {
                let (light, heavy) = (w[0], w[1]);
                if let (Some(a), Some(b)) = (core_hole(light, n), core_hole(heavy, n)) {
                    assert!(
                        a.zeta_2p < b.zeta_2p,
                        "zeta_2p {light} vs {heavy}, 2p5,3d{n}"
                    );
                    if n >= 1 {
                        assert!(
                            a.zeta_3d < b.zeta_3d,
                            "zeta_3d {light} vs {heavy}, 2p5,3d{n}"
                        );
                    }
                    if n >= 2 {
                        assert!(a.f2_dd < b.f2_dd, "F2dd {light} vs {heavy}, 2p5,3d{n}");
                    }
                    pairs += 1;
                }
                if let (Some(a), Some(b)) = (ground(light, n), ground(heavy, n)) {
                    if n >= 1 {
                        assert!(a.zeta_3d < b.zeta_3d, "zeta_3d {light} vs {heavy}, 3d{n}");
                    }
                    if n >= 2 {
                        assert!(a.f2_dd < b.f2_dd, "F2dd {light} vs {heavy}, 3d{n}");
                    }
                }
            }
        }
        assert!(pairs >= 20, "only {pairs} neighbouring pairs compared");
        // zeta(2p) ranges of neighbouring elements do not even overlap.
        for w in ELEMENTS.windows(2) {
            let max_light = HF_VALUES
                .iter()
                .filter(|v| v.element == w[0])
                .filter_map(|v| v.zeta_2p)
                .fold(f64::MIN, f64::max);
            let min_heavy = HF_VALUES
                .iter()
                .filter(|v| v.element == w[1])
                .filter_map(|v| v.zeta_2p)
                .fold(f64::MAX, f64::min);
            assert!(max_light < min_heavy, "{w:?}");
        }
    }

    #[test]
    fn core_hole_contracts_3d_shell() {
        // Same 3d count with a 2p hole: larger F2(3d,3d) and zeta(3d).
        for h in HF_VALUES.iter().filter(|v| has_hole(v) && n_d(v) >= 2) {
            if let Some(g) = ground(h.element, n_d(h)) {
                assert!(h.f2_dd > g.f2_dd && h.zeta_3d > g.zeta_3d, "{h:?}");
            }
        }
        // Within one element, F2(3d,3d) falls as 3d electrons are added.
        for element in ELEMENTS {
            for n in 2..10 {
                for lookup in [ground, core_hole] {
                    if let (Some(a), Some(b)) = (lookup(element, n), lookup(element, n + 1)) {
                        assert!(a.f2_dd > b.f2_dd, "{a:?} {b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn absent_configurations_are_none() {
        assert!(ground("Ni", 10).is_none());
        assert!(ground("Ni", 5).is_none());
        assert!(core_hole("Ni", 5).is_none());
        assert!(core_hole("Ti", 4).is_none());
        assert!(ground("Cu", 10).is_none());
        assert!(ground("Sc", 1).is_none());
        assert!(ground("Zn", 10).is_none());
        assert!(ground("ni", 8).is_none());
        assert!(configuration("Ni", "1s1,3d9").is_none());
        assert!(configuration("Ni", "3p5,3d9").is_none());
        assert!(configuration("Ni", "2p5 3d9").is_none());
        assert!(configuration("Ni", "").is_none());
        assert!(configuration("", "3d8").is_none());
    }
}
"""


def rust_row(element: str, row: tuple) -> str:
    kind, _, configuration, dd, pd = row
    el = f'"{element}",'
    cfg = f'"{configuration}",'
    dd_text = ", ".join(f"{literal(x):>7}" for x in dd)
    if kind == 0:
        return f"    valence({el:<5} {cfg:<11} [{dd_text}]),"
    pd_text = ", ".join(f"{literal(x):>7}" for x in pd)
    return f"    hole_2p({el:<5} {cfg:<11} [{dd_text}], [{pd_text}]),"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parameters", type=Path, help="crispy/quanty/parameters directory")
    parser.add_argument("--crispy-version", help="crispy version (default: from dist-info)")
    args = parser.parse_args()

    version = args.crispy_version or detect_crispy_version(args.parameters)
    if version is None:
        parser.error("crispy version not found next to the parameters; pass --crispy-version")

    rows = []
    coverage = []
    for element in ELEMENTS:
        path = args.parameters / f"{element}.h5"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        element_rows = read_element(path, element)
        grounds = ", ".join(str(r[1]) for r in element_rows if r[0] == 0)
        holes = ", ".join(str(r[1]) for r in element_rows if r[0] == 1)
        coverage.append(f"//! - {element}: `3d{{n}}` for n = {grounds}; `2p5,3d{{n}}` for n = {holes}")
        rows.append(f"    // {element}.h5, sha256 {digest}")
        rows.extend(rust_row(element, r) for r in element_rows)

    sys.stdout.write(
        HEADER.format(
            version=version,
            coverage="\n".join(coverage),
            elements=", ".join(ELEMENTS),
            rows="\n".join(rows),
        )
    )
    sys.stdout.write(TESTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
