//! X-ray atomic scattering factors: `f0(s) = c + Σ_{i=1..5} a_i exp(-b_i s²)` with
//! `s = sinθ/λ = 1/(2d)` (Å⁻¹), Waasmaier & Kirfel, Acta Cryst. A51, 416 (1995), for 98
//! atoms and 111 ions; anomalous terms `f'`, `f''` (electrons) from Chantler's tables at
//! the common laboratory lines. Both tables come from XrayDB (public domain) and are
//! embedded (`data/README.md`).

use std::sync::OnceLock;

use crate::{Error, Result};

const WK_CSV: &str = include_str!("../data/waasmaier_kirfel_1995.csv");
const CHANTLER_CSV: &str = include_str!("../data/chantler_fprime_fdblprime_lab_lines.csv");

/// `hc` in eV·Å, for converting line energies to wavelengths.
const HC_EV_ANGSTROM: f64 = 12_398.419_843;

/// Line energies (eV) of the anomalous-scattering table, in its column order.
const LINES_EV: [(&str, f64); 7] = [
    ("Cr Ka1", 5414.72),
    ("Fe Ka1", 6403.84),
    ("Co Ka1", 6930.32),
    ("Cu Ka1", 8047.78),
    ("Cu Ka2", 8027.83),
    ("Mo Ka1", 17479.34),
    ("Ag Ka1", 22162.92),
];

/// Largest distance (Å) between a wavelength and a tabulated line for the line's `f'`,
/// `f''` to be used.
pub const LINE_MATCH_ANGSTROM: f64 = 0.002;

/// Waasmaier-Kirfel coefficients of one species.
#[derive(Debug, Clone, PartialEq)]
pub struct FormFactor {
    /// Species as tabulated (`O`, `O2-`, `Fe3+`).
    pub species: String,
    /// Atomic number.
    pub z: u32,
    a: [f64; 5],
    b: [f64; 5],
    c: f64,
}

impl FormFactor {
    /// `f0(s)` (electrons) at `s = sinθ/λ` (Å⁻¹).
    pub fn f0(&self, s: f64) -> f64 {
        let s2 = s * s;
        self.c
            + (0..5)
                .map(|i| self.a[i] * (-self.b[i] * s2).exp())
                .sum::<f64>()
    }

    /// The table entry for a CIF type symbol: `O2-`, `O-2`, `Li+`, `Fe3+`, `Pb`, `Ca1`
    /// (a trailing site number is ignored). An ion missing from the table falls back to
    /// its neutral atom.
    ///
    /// # Errors
    /// An element that is not in the table.
    pub fn lookup(symbol: &str) -> Result<&'static FormFactor> {
        let (element, charge) = split_symbol(symbol);
        let table = wk_table();
        let ion = charge.map(|c| format!("{element}{c}"));
        ion.iter()
            .find_map(|key| table.iter().find(|f| f.species.eq_ignore_ascii_case(key)))
            .or_else(|| {
                table
                    .iter()
                    .find(|f| f.species.eq_ignore_ascii_case(&element))
            })
            .ok_or_else(|| {
                Error::param(
                    "atom type",
                    format!("`{symbol}`: no Waasmaier-Kirfel form factor for `{element}`"),
                )
            })
    }
}

/// Splits a type symbol into its element (capitalised) and a charge in table form
/// (`2-`, `1+`), if any.
fn split_symbol(symbol: &str) -> (String, Option<String>) {
    let s = symbol.trim();
    let letters: String = s.chars().take_while(char::is_ascii_alphabetic).collect();
    let mut element = String::new();
    for (i, ch) in letters.chars().take(2).enumerate() {
        if i == 0 {
            element.push(ch.to_ascii_uppercase());
        } else if ch.is_ascii_lowercase() || letters.len() == 2 {
            element.push(ch.to_ascii_lowercase());
        }
    }
    let rest = &s[letters.len()..];
    let sign = rest.chars().find(|c| *c == '+' || *c == '-');
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let charge = sign.map(|sg| {
        let n = if digits.is_empty() {
            "1"
        } else {
            digits.as_str()
        };
        format!("{n}{sg}")
    });
    (element, charge)
}

fn wk_table() -> &'static [FormFactor] {
    static TABLE: OnceLock<Vec<FormFactor>> = OnceLock::new();
    TABLE.get_or_init(|| {
        WK_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
                Some(FormFactor {
                    species: (*f.get(2)?).to_string(),
                    z: f.first()?.parse().ok()?,
                    a: [num(3)?, num(4)?, num(5)?, num(6)?, num(7)?],
                    b: [num(8)?, num(9)?, num(10)?, num(11)?, num(12)?],
                    c: num(13)?,
                })
            })
            .collect()
    })
}

/// Anomalous scattering `(f', f'')` (electrons) of element `z` at wavelength
/// `wavelength_angstrom`, if the wavelength is within [`LINE_MATCH_ANGSTROM`] of a
/// tabulated line (Cr, Fe, Co, Cu Kα1, Cu Kα2, Mo Kα1, Ag Kα1); `None` otherwise.
pub fn anomalous(z: u32, wavelength_angstrom: f64) -> Option<(f64, f64)> {
    let column = LINES_EV.iter().position(|(_, e)| {
        (HC_EV_ANGSTROM / e - wavelength_angstrom).abs() < LINE_MATCH_ANGSTROM
    })?;
    let line = CHANTLER_CSV
        .lines()
        .skip(1)
        .find(|l| l.split(',').next().and_then(|v| v.parse::<u32>().ok()) == Some(z))?;
    let f: Vec<f64> = line
        .split(',')
        .skip(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    Some((*f.get(2 * column)?, *f.get(2 * column + 1)?))
}

/// The wavelength (Å) of a tabulated line, by its name (`Cu Ka1`).
pub fn line_wavelength(name: &str) -> Option<f64> {
    LINES_EV
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, e)| HC_EV_ANGSTROM / e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_scattering_counts_electrons() {
        // f0(0) = Σa + c is the electron count (the table's own check: within 0.04 e).
        for (symbol, electrons) in [
            ("O", 8.0),
            ("O2-", 10.0),
            ("Pb", 82.0),
            ("Fe3+", 23.0),
            ("Li+", 2.0),
            ("Y3+", 39.0),
            ("Ca1", 20.0),
        ] {
            let f = FormFactor::lookup(symbol).unwrap();
            assert!(
                (f.f0(0.0) - electrons).abs() < 0.04,
                "{symbol}: {}",
                f.f0(0.0)
            );
        }
        // Y3+ is not tabulated: the neutral atom is used.
        assert_eq!(FormFactor::lookup("Y3+").unwrap().species, "Y");
        assert_eq!(FormFactor::lookup("O-2").unwrap().species, "O2-");
        assert!(FormFactor::lookup("Xx").is_err());
        // f0 falls with s: O at s = 0.5 Å⁻¹ is about 2.3 e (International Tables 2.338).
        let o = FormFactor::lookup("O").unwrap();
        assert!((o.f0(0.5) - 2.338).abs() < 0.01, "{}", o.f0(0.5));
    }

    #[test]
    fn anomalous_terms_at_laboratory_lines() {
        let cu = line_wavelength("Cu Ka1").unwrap();
        assert!((cu - 1.540_59).abs() < 1e-4);
        // The table's README: Fe at Cu Kα1 -1.201 / 3.174, Pb -4.310 / 8.415.
        let close = |got: Option<(f64, f64)>, want: (f64, f64)| {
            let (fp, fpp) = got.unwrap();
            (fp - want.0).abs() < 6e-4 && (fpp - want.1).abs() < 6e-4
        };
        assert!(close(anomalous(26, cu), (-1.201, 3.174)));
        assert!(close(anomalous(82, 1.5405), (-4.310, 8.415)));
        assert!(anomalous(26, 1.0).is_none());
    }
}
