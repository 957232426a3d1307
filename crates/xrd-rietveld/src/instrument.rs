//! Instrument parameters of a constant-wavelength diffractometer: wavelengths and the
//! Kα2/Kα1 intensity ratio, polarisation, zero shift, the Thompson-Cox-Hastings profile
//! terms `U, V, W` (centidegrees², Gaussian variance) and `X, Y, Z` (centidegrees,
//! Lorentzian FWHM), and the axial-divergence asymmetry `SH/L` (sample plus detector
//! height over goniometer radius, Finger-Cox-Jephcoat).
//!
//! Read from GSAS instrument files (`.prm`): `ICONS` gives λ1, λ2, zero (centidegrees),
//! polarisation and the ratio; `PRCF11`/`PRCF12` give U V W X / Y Z S/L H/L of profile
//! type 3 or 4, and `SH/L` is taken as the mean of S/L and H/L.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Instrument parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    /// Primary wavelength λ1 (Å).
    pub lambda1: f64,
    /// Second wavelength λ2 (Å), or `None` for a monochromatic beam.
    pub lambda2: Option<f64>,
    /// Intensity ratio I(λ2)/I(λ1).
    pub ratio: f64,
    /// Polarisation `Pola` of `P = (1 - Pola) cos²2θ + Pola` (0.5: unpolarised tube).
    pub polarization: f64,
    /// Zero shift of 2θ (degrees), added to every calculated position.
    pub zero_deg: f64,
    /// Gaussian `U` (centidegrees²) of `σ² = U tan²θ + V tanθ + W`.
    pub u: f64,
    /// Gaussian `V` (centidegrees²).
    pub v: f64,
    /// Gaussian `W` (centidegrees²).
    pub w: f64,
    /// Lorentzian `X` (centidegrees) of `γ = X / cosθ + Y tanθ + Z` (FWHM).
    pub x: f64,
    /// Lorentzian `Y` (centidegrees).
    pub y: f64,
    /// Lorentzian `Z` (centidegrees).
    pub z: f64,
    /// Axial divergence `SH/L` (dimensionless; 0 turns the asymmetry off).
    pub sh_l: f64,
}

impl Instrument {
    /// A monochromatic instrument at `lambda` (Å) with unpolarised light, no shifts and
    /// a narrow default profile (W = 5 centideg², X = 1 centideg).
    pub fn monochromatic(lambda: f64) -> Self {
        Instrument {
            lambda1: lambda,
            lambda2: None,
            ratio: 0.0,
            polarization: 0.5,
            zero_deg: 0.0,
            u: 0.0,
            v: 0.0,
            w: 5.0,
            x: 1.0,
            y: 0.0,
            z: 0.0,
            sh_l: 0.0,
        }
    }

    /// Reads a GSAS instrument parameter file (bank 1).
    ///
    /// # Errors
    /// An unreadable file, or missing or malformed `ICONS` / `PRCF11` / `PRCF12` records.
    pub fn read_prm(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::parse(&name, 0, format!("cannot read: {e}")))?;
        Self::parse_prm(&text, &name)
    }

    /// Parses GSAS instrument parameter text; `name` labels errors.
    ///
    /// # Errors
    /// Missing or malformed records.
    pub fn parse_prm(text: &str, name: &str) -> Result<Self> {
        let record = |key: &str| -> Result<(usize, Vec<f64>)> {
            text.lines()
                .enumerate()
                .find_map(|(i, l)| {
                    let rest = l
                        .strip_prefix("INS")?
                        .trim_start()
                        .strip_prefix('1')?
                        .trim_start();
                    let values = rest.strip_prefix(key)?;
                    Some((i + 1, values))
                })
                .ok_or_else(|| Error::missing(name, format!("the `INS  1 {key}` record")))
                .and_then(|(line, values)| {
                    values
                        .split_whitespace()
                        .map(|v| v.replace(['D', 'd'], "E").parse::<f64>())
                        .collect::<std::result::Result<Vec<f64>, _>>()
                        .map(|v| (line, v))
                        .map_err(|_| {
                            Error::parse(name, line, format!("{key}: a value is not a number"))
                        })
                })
        };
        let (line, icons) = record("ICONS")?;
        if icons.len() < 7 {
            return Err(Error::parse(
                name,
                line,
                "ICONS needs λ1 λ2 zero - Pola - ratio",
            ));
        }
        let (_, p1) = record("PRCF11")?;
        let (line2, p2) = record("PRCF12")?;
        if p1.len() < 4 || p2.len() < 4 {
            return Err(Error::parse(
                name,
                line2,
                "PRCF11 and PRCF12 need four values each",
            ));
        }
        let inst = Instrument {
            lambda1: icons[0],
            lambda2: (icons[1] > 0.0).then_some(icons[1]),
            ratio: if icons[1] > 0.0 { icons[6] } else { 0.0 },
            polarization: icons[4],
            zero_deg: icons[2] / 100.0,
            u: p1[0],
            v: p1[1],
            w: p1[2],
            x: p1[3],
            y: p2[0],
            z: p2[1],
            sh_l: 0.5 * (p2[2] + p2[3]),
        };
        inst.validate()
            .map_err(|e| Error::parse(name, line, e.to_string()))?;
        Ok(inst)
    }

    /// Checks the wavelengths, ratio and polarisation.
    ///
    /// # Errors
    /// A non-positive wavelength, a negative ratio, or a polarisation outside [0, 1].
    pub fn validate(&self) -> Result<()> {
        if !(self.lambda1.is_finite() && self.lambda1 > 0.0) {
            return Err(Error::param(
                "lambda1",
                format!("must be > 0 Å, got {}", self.lambda1),
            ));
        }
        if let Some(l2) = self.lambda2
            && !(l2.is_finite() && l2 > 0.0)
        {
            return Err(Error::param("lambda2", format!("must be > 0 Å, got {l2}")));
        }
        if !(self.ratio.is_finite() && self.ratio >= 0.0) {
            return Err(Error::param(
                "ratio",
                format!("must be ≥ 0, got {}", self.ratio),
            ));
        }
        if !(0.0..=1.0).contains(&self.polarization) {
            return Err(Error::param(
                "polarization",
                format!("must be in [0, 1], got {}", self.polarization),
            ));
        }
        Ok(())
    }

    /// The wavelengths with their relative intensities: `[(λ1, 1), (λ2, ratio)]`.
    pub fn lines(&self) -> Vec<(f64, f64)> {
        let mut out = vec![(self.lambda1, 1.0)];
        if let Some(l2) = self.lambda2
            && self.ratio > 0.0
        {
            out.push((l2, self.ratio));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRM: &str = "            123456789012345678901234567890\n\
INS   BANK      1\n\
INS  1 ICONS  1.540500  1.544300       0.0         0       0.7    0       0.5   \n\
INS  1PRCF1     3    8      0.01\n\
INS  1PRCF11   2.000000E+00  -2.000000E+00   5.000000E+00   0.100000E+00\n\
INS  1PRCF12   0.000000E+00   0.000000E+00   0.150000E-01   0.150000E-01\n";

    #[test]
    fn gsas_prm_values() {
        let i = Instrument::parse_prm(PRM, "INST_XRY.PRM").unwrap();
        assert_eq!(
            (i.lambda1, i.lambda2, i.ratio, i.polarization),
            (1.5405, Some(1.5443), 0.5, 0.7)
        );
        assert_eq!(
            (i.u, i.v, i.w, i.x, i.y, i.z),
            (2.0, -2.0, 5.0, 0.1, 0.0, 0.0)
        );
        assert!((i.sh_l - 0.015).abs() < 1e-15);
        assert_eq!(i.lines().len(), 2);
        let e = Instrument::parse_prm(&PRM.replace("ICONS", "ICONZ"), "x.prm")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.prm") && e.contains("ICONS"), "{e}");
        let e = Instrument::parse_prm(&PRM.replace("0.7 ", "1.7 "), "x.prm")
            .unwrap_err()
            .to_string();
        assert!(e.contains("polarization"), "{e}");
    }
}
