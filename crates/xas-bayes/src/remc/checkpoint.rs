//! Checkpoints: the whole sampler state written as JSON (atomically: a temporary file
//! renamed into place) and read back bit for bit, infinite energies included.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Remc;
use crate::{Error, Result};

impl Remc {
    /// Writes the sampler state to `path` (a temporary file in the same folder, then
    /// renamed, so a crash never leaves half a checkpoint).
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string(self).map_err(|e| Error::Checkpoint(e.to_string()))?;
        xas_core::io::write_atomic(path, text.as_bytes())
            .map_err(|e| Error::Checkpoint(format!("{}: {e}", path.display())))
    }

    /// Reads a sampler state written by [`Remc::save_checkpoint`].
    pub fn load_checkpoint(path: &Path) -> Result<Remc> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Checkpoint(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Checkpoint(format!("{}: {e}", path.display())))
    }
}

/// JSON has no infinities: non-finite values are written as the strings `"inf"`,
/// `"-inf"` and `"nan"`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    Number(f64),
    Text(String),
}

fn to_repr(x: f64) -> Repr {
    if x.is_finite() {
        Repr::Number(x)
    } else if x.is_nan() {
        Repr::Text("nan".into())
    } else if x > 0.0 {
        Repr::Text("inf".into())
    } else {
        Repr::Text("-inf".into())
    }
}

fn from_repr<E: serde::de::Error>(r: Repr) -> std::result::Result<f64, E> {
    match r {
        Repr::Number(x) => Ok(x),
        Repr::Text(t) => match t.as_str() {
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            "nan" => Ok(f64::NAN),
            other => Err(E::custom(format!("expected a number, got \"{other}\""))),
        },
    }
}

/// `#[serde(with = "non_finite")]` for an `f64` that may be infinite.
pub(crate) mod non_finite {
    use super::*;

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
        to_repr(*x).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
        from_repr(Repr::deserialize(d)?)
    }
}

/// `#[serde(with = "non_finite_vec")]` for a `Vec<f64>` whose values may be infinite.
pub(crate) mod non_finite_vec {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| to_repr(x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<f64>, D::Error> {
        Vec::<Repr>::deserialize(d)?
            .into_iter()
            .map(from_repr)
            .collect()
    }
}
