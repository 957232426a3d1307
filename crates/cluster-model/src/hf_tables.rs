//! Unscaled atomic Hartree-Fock parameters of the 3d transition-metal ions Ti..Cu.
//!
//! **Generated file, do not edit by hand.** It is produced by
//! `tools/gen_hf_tables.py` (see `tools/README.md`) and committed.
//!
//! # Source
//!
//! The numbers are copied, unchanged, from the parameter files
//! `crispy/quanty/parameters/<Element>.h5` of the Python package crispy
//! 2026.3 (PyPI, MIT licence, copyright European Synchrotron Radiation
//! Facility). Crispy's values were computed with R. D. Cowan's atomic
//! Hartree-Fock code. They are *unscaled*: any reduction of the Slater integrals
//! (e.g. the factor 0.8 used for the NiO reference data of this project) is up
//! to the caller.
//!
//! # Content
//!
//! One [`HfValues`] row per configuration of the form `3d{n}` (no core hole)
//! or `2p5,3d{n}` (one 2p hole; `n` counts the 3d electrons of that
//! configuration), for every such configuration present in the files. All
//! values are in eV. The monopole terms stored by crispy (`U(3d,3d)`,
//! `U(2p,3d)`, all 0.0) are not carried; other core holes (1s, 2s, 3s, 3p) and
//! the 3d-4p hybridisation data are left out.
//!
//! Configurations covered:
//!
//! - Ti: `3d{n}` for n = 0, 1, 2; `2p5,3d{n}` for n = 0, 1, 2, 3
//! - V: `3d{n}` for n = 0, 1, 2, 3; `2p5,3d{n}` for n = 0, 1, 2, 3, 4
//! - Cr: `3d{n}` for n = 1, 2, 3, 4; `2p5,3d{n}` for n = 1, 2, 3, 4, 5
//! - Mn: `3d{n}` for n = 0, 1, 2, 3, 4, 5; `2p5,3d{n}` for n = 0, 1, 2, 3, 4, 5, 6
//! - Fe: `3d{n}` for n = 2, 3, 4, 5, 6; `2p5,3d{n}` for n = 2, 3, 4, 5, 6, 7
//! - Co: `3d{n}` for n = 4, 5, 6, 7; `2p5,3d{n}` for n = 4, 5, 6, 7, 8
//! - Ni: `3d{n}` for n = 6, 7, 8, 9; `2p5,3d{n}` for n = 6, 7, 8, 9, 10
//! - Cu: `3d{n}` for n = 8, 9; `2p5,3d{n}` for n = 8, 9, 10
//!
//! Where an integral does not exist for a configuration, the files store 0.0 and
//! so does this table: `f2_dd` and `f4_dd` are 0.0 for fewer than two 3d
//! electrons (`3d0`, `3d1`, `2p5,3d0`, `2p5,3d1`), and `zeta_3d` and the 2p-3d
//! integrals are 0.0 for `3d0` and `2p5,3d0` (so `f2_pd` is `Some(0.0)` there).
//!
//! # Example
//!
//! ```
//! use cluster_model::hf_tables::{core_hole, ground};
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
/// hole (`2p5,3d{n}`) and `None` for the `3d{n}` ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HfValues {
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
}

/// Row of a `3d{n}` configuration: `[F2(3d,3d), F4(3d,3d), zeta(3d)]`.
const fn valence(element: &'static str, configuration: &'static str, dd: [f64; 3]) -> HfValues {
    HfValues {
        element,
        configuration,
        f2_dd: dd[0],
        f4_dd: dd[1],
        zeta_3d: dd[2],
        f2_pd: None,
        g1_pd: None,
        g3_pd: None,
        zeta_2p: None,
    }
}

/// Row of a `2p5,3d{n}` configuration: `dd` as in [`valence`], then
/// `pd = [F2(2p,3d), G1(2p,3d), G3(2p,3d), zeta(2p)]`.
const fn hole_2p(
    element: &'static str,
    configuration: &'static str,
    dd: [f64; 3],
    pd: [f64; 4],
) -> HfValues {
    HfValues {
        element,
        configuration,
        f2_dd: dd[0],
        f4_dd: dd[1],
        zeta_3d: dd[2],
        f2_pd: Some(pd[0]),
        g1_pd: Some(pd[1]),
        g3_pd: Some(pd[2]),
        zeta_2p: Some(pd[3]),
    }
}

/// All tabulated configurations: by element in order of increasing Z
/// (Ti, V, Cr, Mn, Fe, Co, Ni, Cu), then `3d{n}` rows by increasing `n`,
/// then `2p5,3d{n}` rows by increasing `n`.
///
/// Columns: element, configuration, `[F2(3d,3d), F4(3d,3d), zeta(3d)]` and, for
/// a 2p hole, `[F2(2p,3d), G1(2p,3d), G3(2p,3d), zeta(2p)]`, all in eV.
#[rustfmt::skip]
pub static HF_VALUES: &[HfValues] = &[
    // Ti.h5, sha256 3ac44ff83c8ad290af41dfe032de5f6b2b0d480e0f96e8bdf69750f7353559a8
    valence("Ti", "3d0",      [    0.0,     0.0,     0.0]),
    valence("Ti", "3d1",      [    0.0,     0.0,  0.0193]),
    valence("Ti", "3d2",      [ 8.2448,  5.1328,  0.0158]),
    hole_2p("Ti", "2p5,3d0",  [    0.0,     0.0,     0.0], [    0.0,     0.0,     0.0,  3.7784]),
    hole_2p("Ti", "2p5,3d1",  [    0.0,     0.0,  0.0318], [ 6.3024,  4.6279,  2.6328,  3.7763]),
    hole_2p("Ti", "2p5,3d2",  [10.3431,  6.4992,  0.0275], [ 5.5807,  3.9911,  2.2676,  3.7757]),
    hole_2p("Ti", "2p5,3d3",  [ 9.2143,  5.7441,  0.0231], [ 4.8502,  3.3784,  1.9174,  3.7763]),
    // V.h5, sha256 52a90ace275806bbf70711cb9d03350c52b868d419b999635fd7aab6f2a61dab
    valence("V",  "3d0",      [    0.0,     0.0,     0.0]),
    valence("V",  "3d1",      [    0.0,     0.0,  0.0312]),
    valence("V",  "3d2",      [10.1274,  6.3542,  0.0267]),
    valence("V",  "3d3",      [ 8.9617,  5.5766,  0.0222]),
    hole_2p("V",  "2p5,3d0",  [    0.0,     0.0,     0.0], [    0.0,     0.0,     0.0,   4.656]),
    hole_2p("V",  "2p5,3d1",  [    0.0,     0.0,  0.0469], [ 7.4613,  5.6628,  3.2264,  4.6521]),
    hole_2p("V",  "2p5,3d2",  [11.9646,  7.5543,  0.0415], [ 6.7585,   5.014,  2.8531,  4.6499]),
    hole_2p("V",  "2p5,3d3",  [ 10.974,  6.8878,  0.0362], [ 6.0572,  4.3922,  2.4964,  4.6493]),
    hole_2p("V",  "2p5,3d4",  [ 9.8762,   6.153,  0.0312], [ 5.3518,  3.7952,   2.155,    4.65]),
    // Cr.h5, sha256 139002e5048ed16f6c5878a26b9557f002635b3e4ead460ea53133ea42af2be6
    valence("Cr", "3d1",      [    0.0,     0.0,  0.0464]),
    valence("Cr", "3d2",      [11.7945,  7.4376,   0.041]),
    valence("Cr", "3d3",      [10.7772,  6.7547,  0.0354]),
    valence("Cr", "3d4",      [ 9.6493,  6.0017,  0.0303]),
    hole_2p("Cr", "2p5,3d1",  [    0.0,     0.0,  0.0661], [ 8.5907,  6.6941,  3.8191,   5.674]),
    hole_2p("Cr", "2p5,3d2",  [13.4837,  8.5431,  0.0596], [ 7.8976,  6.0319,  3.4369,  5.6698]),
    hole_2p("Cr", "2p5,3d3",  [12.5729,  7.9282,  0.0529], [   7.21,  5.3966,  3.0713,  5.6677]),
    hole_2p("Cr", "2p5,3d4",  [11.5954,  7.2704,  0.0468], [ 6.5258,  4.7877,   2.722,  5.6673]),
    hole_2p("Cr", "2p5,3d5",  [10.5217,  6.5516,   0.041], [ 5.8411,  4.2038,  2.3881,   5.668]),
    // Mn.h5, sha256 7359e262132b6fa7d6f72d229e65d514bd3e648d91fd87e06ebb8d26dae9a46f
    valence("Mn", "3d0",      [    0.0,     0.0,     0.0]),
    valence("Mn", "3d1",      [    0.0,     0.0,   0.066]),
    valence("Mn", "3d2",      [13.3471,  8.4473,  0.0592]),
    valence("Mn", "3d3",      [12.4155,  7.8196,  0.0524]),
    valence("Mn", "3d4",      [11.4148,  7.1476,  0.0461]),
    valence("Mn", "3d5",      [10.3156,  6.4135,  0.0401]),
    hole_2p("Mn", "2p5,3d0",  [    0.0,     0.0,     0.0], [    0.0,     0.0,     0.0,  6.8675]),
    hole_2p("Mn", "2p5,3d1",  [    0.0,     0.0,  0.0901], [    9.7,  7.7239,  4.4118,  6.8582]),
    hole_2p("Mn", "2p5,3d2",  [14.9401,  9.4915,   0.082], [ 9.0125,   7.049,  4.0212,  6.8516]),
    hole_2p("Mn", "2p5,3d3",  [14.0811,    8.91,   0.074], [  8.332,  6.3997,  3.6466,  6.8473]),
    hole_2p("Mn", "2p5,3d4",  [13.1765,  8.2992,  0.0665], [ 7.6579,  5.7763,  3.2879,  6.8453]),
    hole_2p("Mn", "2p5,3d5",  [12.2097,  7.6486,  0.0593], [ 6.9884,  5.1788,  2.9452,   6.845]),
    hole_2p("Mn", "2p5,3d6",  [11.1551,  6.9425,  0.0527], [ 6.3211,  4.6064,  2.6177,  6.8458]),
    // Fe.h5, sha256 7bbdb5ec74c03e85a3f5af63cc4e3981493274141ad53ad84fa8ad50cd0bce77
    valence("Fe", "3d2",      [14.8298,   9.412,   0.082]),
    valence("Fe", "3d3",      [13.9536,    8.82,  0.0737]),
    valence("Fe", "3d4",      [13.0302,  8.1976,   0.066]),
    valence("Fe", "3d5",      [12.0428,  7.5345,  0.0588]),
    valence("Fe", "3d6",      [10.9662,  6.8152,   0.052]),
    hole_2p("Fe", "2p5,3d2",  [16.3546, 10.4126,  0.1099], [10.1104,  8.0661,  4.6064,   8.212]),
    hole_2p("Fe", "2p5,3d3",  [15.5319,  9.8547,  0.1001], [ 9.4339,  7.4038,  4.2233,  8.2053]),
    hole_2p("Fe", "2p5,3d4",  [14.6758,  9.2752,   0.091], [ 8.7649,  6.7661,  3.8555,  8.2011]),
    hole_2p("Fe", "2p5,3d5",  [ 13.776,  8.6677,  0.0823], [ 8.1025,  6.1534,   3.503,  8.1991]),
    hole_2p("Fe", "2p5,3d6",  [12.8179,   8.023,  0.0743], [ 7.4458,  5.5659,   3.166,  8.1988]),
    hole_2p("Fe", "2p5,3d7",  [11.7788,  7.3273,  0.0665], [ 6.7932,  5.0035,  2.8442,  8.1999]),
    // Co.h5, sha256 df3e8cc2e497251c391597412bd2ce8c5978054b9e2a51b096496b6e4b52741c
    valence("Co", "3d4",      [14.5559,    9.19,  0.0909]),
    valence("Co", "3d5",      [13.6394,  8.5722,  0.0822]),
    valence("Co", "3d6",      [12.6631,  7.9165,  0.0739]),
    valence("Co", "3d7",      [11.6047,  7.2094,   0.066]),
    hole_2p("Co", "2p5,3d4",  [16.1217, 10.2168,   0.121], [ 9.8549,  7.7583,  4.4252,  9.7524]),
    hole_2p("Co", "2p5,3d5",  [ 15.268,   9.639,  0.1106], [ 9.1963,  7.1314,  4.0638,  9.7482]),
    hole_2p("Co", "2p5,3d6",  [14.3726,  9.0344,   0.101], [ 8.5448,  6.5288,  3.7172,  9.7464]),
    hole_2p("Co", "2p5,3d7",  [13.4219,  8.3947,  0.0917], [ 7.8998,  5.9507,  3.3855,  9.7463]),
    hole_2p("Co", "2p5,3d8",  [12.3956,  7.7077,   0.083], [ 7.2601,  5.3971,  3.0687,  9.7475]),
    // Ni.h5, sha256 0a4d6a1990da3c63098b1e3c5168428cc5c9f2332dd6e2c3a44b3df775207a0e
    valence("Ni", "3d6",      [14.2445,  8.9444,  0.1008]),
    valence("Ni", "3d7",      [13.2772,  8.2947,  0.0914]),
    valence("Ni", "3d8",      [12.2338,  7.5975,  0.0826]),
    valence("Ni", "3d9",      [11.0845,  6.8357,  0.0743]),
    hole_2p("Ni", "2p5,3d6",  [15.8581, 10.0014,  0.1333], [ 9.6264,  7.4957,  4.2714, 11.5072]),
    hole_2p("Ni", "2p5,3d7",  [ 14.966,  9.3991,  0.1223], [ 8.9846,   6.902,    3.93, 11.5054]),
    hole_2p("Ni", "2p5,3d8",  [14.0214,  8.7637,   0.112], [ 8.3498,  6.3322,  3.6032, 11.5055]),
    hole_2p("Ni", "2p5,3d9",  [13.0058,  8.0839,  0.1022], [ 7.7213,  5.7865,  3.2909,  11.507]),
    hole_2p("Ni", "2p5,3d10", [11.8909,  7.3434,  0.0929], [ 7.0988,   5.266,  2.9937, 11.5092]),
    // Cu.h5, sha256 ec57f2a0012fbbd9c870c0f366d78dec24283bc381d9adc6256bcdfd2840274e
    valence("Cu", "3d8",      [13.8859,  8.6695,   0.112]),
    valence("Cu", "3d9",      [12.8549,  7.9807,  0.1019]),
    hole_2p("Cu", "2p5,3d8",  [15.5571,  9.7624,  0.1471], [ 9.4224,  7.2735,   4.142, 13.4955]),
    hole_2p("Cu", "2p5,3d9",  [14.6177,  9.1306,  0.1354], [ 8.7969,  6.7115,  3.8195, 13.4958]),
    hole_2p("Cu", "2p5,3d10", [13.6112,  8.4571,  0.1244], [ 8.1784,  6.1731,  3.5114, 13.4975]),
];

/// Looks up a configuration by element symbol and crispy's configuration name,
/// e.g. `configuration("Ni", "2p5,3d9")`. Names are matched exactly
/// (case-sensitive); returns `None` for anything not tabulated.
pub fn configuration(element: &str, configuration: &str) -> Option<&'static HfValues> {
    HF_VALUES
        .iter()
        .find(|v| v.element == element && v.configuration == configuration)
}

/// The configuration `3d{n_d}` without core hole, e.g. `ground("Ni", 8)` for Ni2+.
pub fn ground(element: &str, n_d: u32) -> Option<&'static HfValues> {
    configuration(element, &format!("3d{n_d}"))
}

/// The configuration `2p5,3d{n_d}` with one 2p hole, where `n_d` counts the 3d
/// electrons *in the core-hole configuration*: `core_hole("Ni", 9)` is the L-edge
/// XAS final state of Ni2+ (3d8), `core_hole("Ni", 8)` its 2p XPS final state.
pub fn core_hole(element: &str, n_d: u32) -> Option<&'static HfValues> {
    configuration(element, &format!("2p5,3d{n_d}"))
}

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
