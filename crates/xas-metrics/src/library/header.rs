//! The JSON header of the binary library format: writing it, and reading it with
//! errors that name the offending field (``header `names[3]` ``).

use std::path::Path;

use serde_json::{Map, Value};

use super::Library;
use super::binary::FORMAT_VERSION;
use crate::error::{Error, Result};

/// The keys of the header object.
const HEADER_KEYS: [&str; 6] = [
    "n_spectra",
    "n_points",
    "names",
    "numeric_labels",
    "categorical_labels",
    "provenance",
];

/// The JSON header, padded with spaces to a multiple of 8 bytes.
pub(super) fn header_json(library: &Library) -> Vec<u8> {
    let spectra = library.spectra();
    let label = |name: &str, values: Vec<Value>| {
        let mut object = Map::new();
        object.insert("name".into(), Value::from(name));
        object.insert("values".into(), Value::Array(values));
        Value::Object(object)
    };
    let numeric: Vec<Value> = spectra
        .numeric_label_names()
        .map(|name| {
            let values = spectra.numeric_label(name).unwrap_or(&[]);
            // `Value::from` maps NaN (a missing value) to `null`.
            label(name, values.iter().map(|&v| Value::from(v)).collect())
        })
        .collect();
    let categorical: Vec<Value> = spectra
        .categorical_label_names()
        .map(|name| {
            let values = spectra.categorical_label(name).unwrap_or(&[]);
            label(
                name,
                values.iter().map(|v| Value::from(v.as_str())).collect(),
            )
        })
        .collect();
    let provenance: Vec<Value> = library
        .provenance()
        .iter()
        .map(|(key, value)| {
            let mut object = Map::new();
            object.insert("key".into(), Value::from(key.as_str()));
            object.insert("value".into(), Value::from(value.as_str()));
            Value::Object(object)
        })
        .collect();
    let mut header = Map::new();
    header.insert("n_spectra".into(), Value::from(spectra.n_spectra()));
    header.insert("n_points".into(), Value::from(spectra.n_points()));
    header.insert("names".into(), Value::from(spectra.names().to_vec()));
    header.insert("numeric_labels".into(), Value::Array(numeric));
    header.insert("categorical_labels".into(), Value::Array(categorical));
    header.insert("provenance".into(), Value::Array(provenance));
    let mut bytes = Value::Object(header).to_string().into_bytes();
    bytes.resize(bytes.len().next_multiple_of(8), b' ');
    bytes
}

/// What the header holds besides the two counts.
pub(super) struct Contents {
    pub names: Vec<String>,
    pub numeric: Vec<(String, Vec<f64>)>,
    pub categorical: Vec<(String, Vec<String>)>,
    pub provenance: Vec<(String, String)>,
}

/// The parsed JSON header and the file it came from, for error messages.
pub(super) struct Header<'a> {
    /// The file, for error messages.
    pub path: &'a Path,
    /// The parsed header.
    pub value: &'a Value,
}

impl Header<'_> {
    fn fail(&self, field: &str, message: impl Into<String>) -> Error {
        Error::format(self.path, format!("header `{field}`"), message)
    }

    /// The top-level object, with exactly the expected keys.
    pub(super) fn object(&self) -> Result<&Map<String, Value>> {
        let object = self.value.as_object().ok_or_else(|| {
            Error::format(
                self.path,
                "header",
                format!("expected a JSON object, found {}", kind(self.value)),
            )
        })?;
        if let Some(key) = object.keys().find(|k| !HEADER_KEYS.contains(&k.as_str())) {
            return Err(Error::format(
                self.path,
                "header",
                format!(
                    "unknown key `{key}` (version {FORMAT_VERSION} has {})",
                    HEADER_KEYS.join(", ")
                ),
            ));
        }
        if let Some(key) = HEADER_KEYS.iter().find(|k| !object.contains_key(**k)) {
            return Err(self.fail(key, "missing"));
        }
        Ok(object)
    }

    fn get<'v>(&self, object: &'v Map<String, Value>, key: &str) -> Result<&'v Value> {
        object.get(key).ok_or_else(|| self.fail(key, "missing"))
    }

    /// A non-negative integer count.
    pub(super) fn count(&self, object: &Map<String, Value>, key: &str) -> Result<usize> {
        let value = self.get(object, key)?;
        value
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| {
                self.fail(
                    key,
                    format!("expected a non-negative integer, found {value}"),
                )
            })
    }

    fn array<'v>(&self, value: &'v Value, field: &str) -> Result<&'v Vec<Value>> {
        value
            .as_array()
            .ok_or_else(|| self.fail(field, format!("expected an array, found {}", kind(value))))
    }

    fn string(&self, value: &Value, field: &str) -> Result<String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.fail(field, format!("expected a string, found {}", kind(value))))
    }

    /// An array of `n` values converted by `convert`.
    fn values<T>(
        &self,
        value: &Value,
        field: &str,
        n: usize,
        convert: impl Fn(&Value, &str) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = self.array(value, field)?;
        if items.len() != n {
            return Err(self.fail(field, format!("has {} values for {n} spectra", items.len())));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| convert(item, &format!("{field}[{i}]")))
            .collect()
    }

    /// An object with exactly the keys `a` and `b`; returns their values.
    fn pair<'v>(&self, value: &'v Value, field: &str, a: &str, b: &str) -> Result<[&'v Value; 2]> {
        let object = value.as_object().ok_or_else(|| {
            self.fail(
                field,
                format!(
                    "expected an object with `{a}` and `{b}`, found {}",
                    kind(value)
                ),
            )
        })?;
        if let Some(key) = object.keys().find(|k| *k != a && *k != b) {
            return Err(self.fail(field, format!("unknown key `{key}`")));
        }
        let get = |key: &str| {
            object
                .get(key)
                .ok_or_else(|| self.fail(field, format!("`{key}` is missing")))
        };
        Ok([get(a)?, get(b)?])
    }

    /// Labels of one kind: `[{"name": ..., "values": [...]}, ...]`, names unique.
    fn labels<T>(
        &self,
        object: &Map<String, Value>,
        key: &str,
        n: usize,
        convert: impl Fn(&Value, &str) -> Result<T>,
    ) -> Result<Vec<(String, Vec<T>)>> {
        let items = self.array(self.get(object, key)?, key)?;
        let mut labels: Vec<(String, Vec<T>)> = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let field = format!("{key}[{k}]");
            let [name, values] = self.pair(item, &field, "name", "values")?;
            let name = self.string(name, &format!("{field}.name"))?;
            if labels.iter().any(|(other, _)| *other == name) {
                return Err(self.fail(&field, format!("label `{name}` is listed twice")));
            }
            let values = self.values(values, &format!("{field}.values"), n, &convert)?;
            labels.push((name, values));
        }
        Ok(labels)
    }

    /// Names, labels and provenance, checked against `n` spectra.
    pub(super) fn contents(&self, object: &Map<String, Value>, n: usize) -> Result<Contents> {
        let names = self.values(self.get(object, "names")?, "names", n, |v, field| {
            self.string(v, field)
        })?;
        let numeric = self.labels(object, "numeric_labels", n, |v, field| match v {
            Value::Null => Ok(f64::NAN),
            Value::Number(number) => number
                .as_f64()
                .ok_or_else(|| self.fail(field, format!("{number} is not a finite number"))),
            other => Err(self.fail(
                field,
                format!("expected a number or null, found {}", kind(other)),
            )),
        })?;
        let categorical = self.labels(object, "categorical_labels", n, |v, field| {
            self.string(v, field)
        })?;
        let items = self.array(self.get(object, "provenance")?, "provenance")?;
        let provenance = items
            .iter()
            .enumerate()
            .map(|(k, item)| {
                let field = format!("provenance[{k}]");
                let [key, value] = self.pair(item, &field, "key", "value")?;
                Ok((
                    self.string(key, &format!("{field}.key"))?,
                    self.string(value, &format!("{field}.value"))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Contents {
            names,
            numeric,
            categorical,
            provenance,
        })
    }
}

/// The JSON type of a value, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
