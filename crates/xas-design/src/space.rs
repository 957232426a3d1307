//! Search spaces: named float (linear or logarithmic), integer and categorical
//! dimensions, the values a trial takes in them, and typed lookup of those values.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One dimension of a search space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dimension {
    /// A real number in `[low, high]`, searched on a logarithmic axis when `log`.
    Float {
        /// Name.
        name: String,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Search `ln x` instead of `x` (needs `low > 0`).
        log: bool,
    },
    /// An integer in `[low, high]` (both included).
    Int {
        /// Name.
        name: String,
        /// Lower bound.
        low: i64,
        /// Upper bound.
        high: i64,
    },
    /// One of a list of named choices (unordered).
    Categorical {
        /// Name.
        name: String,
        /// The choices.
        choices: Vec<String>,
    },
}

impl Dimension {
    /// The dimension's name.
    pub fn name(&self) -> &str {
        match self {
            Dimension::Float { name, .. }
            | Dimension::Int { name, .. }
            | Dimension::Categorical { name, .. } => name,
        }
    }

    /// The interval the optimiser works on for a numeric dimension: `[low, high]`,
    /// `[ln low, ln high]` on a log axis, `[low − ½, high + ½]` for integers (so every
    /// integer owns a unit cell). `None` for a categorical one.
    pub(crate) fn internal_bounds(&self) -> Option<(f64, f64)> {
        match self {
            Dimension::Float {
                low,
                high,
                log: false,
                ..
            } => Some((*low, *high)),
            Dimension::Float {
                low,
                high,
                log: true,
                ..
            } => Some((low.ln(), high.ln())),
            Dimension::Int { low, high, .. } => Some((*low as f64 - 0.5, *high as f64 + 0.5)),
            Dimension::Categorical { .. } => None,
        }
    }

    /// The internal coordinate of a value of this dimension (see
    /// [`Dimension::internal_bounds`]); the index of a categorical choice.
    pub(crate) fn to_internal(&self, value: Value) -> f64 {
        match (self, value) {
            (Dimension::Float { log: true, .. }, Value::Float(x)) => x.ln(),
            (_, Value::Float(x)) => x,
            (_, Value::Int(i)) => i as f64,
            (_, Value::Choice(c)) => c as f64,
        }
    }

    /// The value at internal coordinate `t` (clamped into the dimension).
    pub(crate) fn value_at(&self, t: f64) -> Value {
        match self {
            Dimension::Float { low, high, log, .. } => {
                let x = if *log { t.exp() } else { t };
                Value::Float(x.clamp(*low, *high))
            }
            Dimension::Int { low, high, .. } => Value::Int((t.round() as i64).clamp(*low, *high)),
            Dimension::Categorical { choices, .. } => {
                Value::Choice((t.max(0.0) as usize).min(choices.len() - 1))
            }
        }
    }

    /// A value drawn uniformly (uniform in `ln x` on a log axis).
    pub(crate) fn sample_uniform(&self, rng: &mut impl Rng) -> Value {
        match self {
            Dimension::Categorical { choices, .. } => {
                Value::Choice(rng.random_range(0..choices.len()))
            }
            Dimension::Int { low, high, .. } => Value::Int(rng.random_range(*low..=*high)),
            Dimension::Float { .. } => {
                let (lo, hi) = self.internal_bounds().unwrap_or((0.0, 1.0));
                self.value_at(lo + (hi - lo) * rng.random::<f64>())
            }
        }
    }
}

/// The value a trial gives one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Of a [`Dimension::Float`].
    Float(f64),
    /// Of a [`Dimension::Int`].
    Int(i64),
    /// Index into the choices of a [`Dimension::Categorical`].
    Choice(usize),
}

/// An ordered set of uniquely named dimensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Space {
    dimensions: Vec<Dimension>,
}

impl Space {
    /// An empty space; add dimensions with the builder methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a real dimension on `[low, high]`.
    ///
    /// # Errors
    /// A duplicate name, non-finite bounds or `low ≥ high`.
    pub fn float(self, name: &str, low: f64, high: f64) -> Result<Self> {
        self.push(Dimension::Float {
            name: name.to_string(),
            low,
            high,
            log: false,
        })
    }

    /// Adds a real dimension on `[low, high]` searched on a logarithmic axis.
    ///
    /// # Errors
    /// As [`Space::float`], and `low ≤ 0`.
    pub fn log_float(self, name: &str, low: f64, high: f64) -> Result<Self> {
        self.push(Dimension::Float {
            name: name.to_string(),
            low,
            high,
            log: true,
        })
    }

    /// Adds an integer dimension on `[low, high]`.
    ///
    /// # Errors
    /// A duplicate name or `low > high`.
    pub fn int(self, name: &str, low: i64, high: i64) -> Result<Self> {
        self.push(Dimension::Int {
            name: name.to_string(),
            low,
            high,
        })
    }

    /// Adds a categorical dimension.
    ///
    /// # Errors
    /// A duplicate name, no choices or a repeated choice.
    pub fn categorical(self, name: &str, choices: &[&str]) -> Result<Self> {
        self.push(Dimension::Categorical {
            name: name.to_string(),
            choices: choices.iter().map(|c| (*c).to_string()).collect(),
        })
    }

    /// Adds a yes/no dimension (a categorical one with choices `false`, `true`).
    ///
    /// # Errors
    /// A duplicate name.
    pub fn flag(self, name: &str) -> Result<Self> {
        self.categorical(name, &["false", "true"])
    }

    fn push(mut self, dimension: Dimension) -> Result<Self> {
        let name = dimension.name().to_string();
        if self.index(&name).is_some() {
            return Err(Error::param(
                &name,
                "a dimension of this name already exists",
            ));
        }
        match &dimension {
            Dimension::Float { low, high, log, .. } => {
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return Err(Error::param(
                        &name,
                        format!("needs finite bounds with low < high, got [{low}, {high}]"),
                    ));
                }
                if *log && *low <= 0.0 {
                    return Err(Error::param(
                        &name,
                        format!("a logarithmic axis needs low > 0, got {low}"),
                    ));
                }
            }
            Dimension::Int { low, high, .. } => {
                if low > high {
                    return Err(Error::param(
                        &name,
                        format!("needs low ≤ high, got [{low}, {high}]"),
                    ));
                }
            }
            Dimension::Categorical { choices, .. } => {
                if choices.is_empty() {
                    return Err(Error::param(&name, "needs at least one choice"));
                }
                if let Some(c) = choices
                    .iter()
                    .enumerate()
                    .find_map(|(i, c)| choices[..i].contains(c).then_some(c))
                {
                    return Err(Error::param(&name, format!("choice `{c}` is repeated")));
                }
            }
        }
        self.dimensions.push(dimension);
        Ok(self)
    }

    /// The dimensions in the order they were added.
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// Position of the dimension called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.dimensions.iter().position(|d| d.name() == name)
    }

    /// A point drawn uniformly from the space.
    pub fn sample_uniform(&self, rng: &mut impl Rng) -> Vec<Value> {
        self.dimensions
            .iter()
            .map(|d| d.sample_uniform(rng))
            .collect()
    }

    /// Typed, by-name access to the `values` of a point of this space.
    pub fn assignment<'a>(&'a self, values: &'a [Value]) -> Assignment<'a> {
        Assignment {
            space: self,
            values,
        }
    }
}

/// The values of one point, looked up by dimension name.
#[derive(Debug, Clone, Copy)]
pub struct Assignment<'a> {
    space: &'a Space,
    values: &'a [Value],
}

impl Assignment<'_> {
    fn value(&self, name: &str) -> Result<(&Dimension, Value)> {
        let i = self
            .space
            .index(name)
            .ok_or_else(|| Error::param(name, "no such dimension in the search space"))?;
        let value = self
            .values
            .get(i)
            .copied()
            .ok_or_else(|| Error::param(name, "the point has fewer values than the space"))?;
        Ok((&self.space.dimensions[i], value))
    }

    /// Whether the space has a dimension of this name.
    pub fn contains(&self, name: &str) -> bool {
        self.space.index(name).is_some()
    }

    /// The value of a float dimension.
    ///
    /// # Errors
    /// No such dimension, or it is not a float one.
    pub fn float(&self, name: &str) -> Result<f64> {
        match self.value(name)? {
            (_, Value::Float(x)) => Ok(x),
            _ => Err(Error::param(name, "is not a float dimension")),
        }
    }

    /// The value of an integer dimension.
    ///
    /// # Errors
    /// No such dimension, or it is not an integer one.
    pub fn int(&self, name: &str) -> Result<i64> {
        match self.value(name)? {
            (_, Value::Int(i)) => Ok(i),
            _ => Err(Error::param(name, "is not an integer dimension")),
        }
    }

    /// The chosen name of a categorical dimension.
    ///
    /// # Errors
    /// No such dimension, or it is not categorical.
    pub fn choice(&self, name: &str) -> Result<&str> {
        match self.value(name)? {
            (Dimension::Categorical { choices, .. }, Value::Choice(c)) => choices
                .get(c)
                .map(String::as_str)
                .ok_or_else(|| Error::param(name, format!("choice index {c} out of range"))),
            _ => Err(Error::param(name, "is not a categorical dimension")),
        }
    }

    /// The value of a [`Space::flag`] dimension.
    ///
    /// # Errors
    /// No such dimension, or it is not a flag.
    pub fn flag(&self, name: &str) -> Result<bool> {
        match self.choice(name)? {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(Error::param(
                name,
                format!("is not a flag (has choice `{other}`)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn invalid_dimensions_are_refused_by_name() {
        let e = |r: Result<Space>| r.unwrap_err().to_string();
        assert!(e(Space::new().float("a", 1.0, 1.0)).contains("`a`"));
        assert!(e(Space::new().float("a", 0.0, f64::NAN)).contains("finite"));
        assert!(e(Space::new().log_float("b", 0.0, 1.0)).contains("low > 0"));
        assert!(e(Space::new().int("n", 3, 2)).contains("`n`"));
        assert!(e(Space::new().categorical("c", &[])).contains("at least one"));
        assert!(e(Space::new().categorical("c", &["x", "y", "x"])).contains("`x` is repeated"));
        let s = Space::new().flag("f").unwrap();
        assert!(e(s.flag("f")).contains("already exists"));
    }

    #[test]
    fn uniform_samples_stay_inside_and_are_read_back_by_name() {
        let space = Space::new()
            .float("x", -2.0, 3.0)
            .and_then(|s| s.log_float("r", 1e-3, 1e2))
            .and_then(|s| s.int("n", 1, 15))
            .and_then(|s| s.categorical("kind", &["a", "b", "c"]))
            .and_then(|s| s.flag("on"))
            .unwrap();
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let mut seen_n = [false; 15];
        for _ in 0..2000 {
            let v = space.sample_uniform(&mut rng);
            let a = space.assignment(&v);
            let x = a.float("x").unwrap();
            assert!((-2.0..=3.0).contains(&x));
            assert!((1e-3..=1e2).contains(&a.float("r").unwrap()));
            let n = a.int("n").unwrap();
            seen_n[(n - 1) as usize] = true;
            assert!(["a", "b", "c"].contains(&a.choice("kind").unwrap()));
            a.flag("on").unwrap();
        }
        assert!(seen_n.iter().all(|s| *s), "every integer, ends included");
        let v = space.sample_uniform(&mut rng);
        let a = space.assignment(&v);
        assert!(a.float("n").is_err() && a.flag("kind").is_err() && a.int("zz").is_err());
    }

    #[test]
    fn internal_coordinates_round_trip() {
        let d = Dimension::Float {
            name: "r".into(),
            low: 0.1,
            high: 10.0,
            log: true,
        };
        assert_eq!(d.internal_bounds(), Some((0.1f64.ln(), 10f64.ln())));
        let Value::Float(x) = d.value_at(d.to_internal(Value::Float(2.5))) else {
            panic!("float dimension")
        };
        assert!((x - 2.5).abs() < 1e-12);
        let n = Dimension::Int {
            name: "n".into(),
            low: 1,
            high: 4,
        };
        assert_eq!(n.value_at(4.49), Value::Int(4));
        assert_eq!(n.value_at(0.51), Value::Int(1));
    }
}
