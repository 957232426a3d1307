//! Reader of Athena project files (`.prj`): gzip-compressed (or plain) Perl-like text
//! with, per group, `$old_group = '...'; @args = (key, value, ...); @x = (...);
//! @y = (...);` and optional arrays (`@i0`, `@signal`, `@stddev`, ...), ending at
//! `[record]`.
//!
//! Each mu(E) group becomes one spectrum:
//! * energy = `@x` + `bkg_eshift` (the shift is also stored in `energy_shift_ev`),
//!   converted from keV when `is_kev` is true and the values are below 1000;
//! * intensity = `@y`; sigma = `@stddev` when present and all values are > 0;
//! * label = the `label` argument (else the group name), `e0_ev` = `bkg_e0`, element =
//!   `bkg_z` (when alphabetic), edge = `bkg_edge` or `fft_edge` (upper-cased), every
//!   argument in `meta.extra` as `athena.<key>` (lists joined by newlines) and the group
//!   name (`$old_group`) as `athena.group` (an `old_group` argument, when present, is
//!   an earlier name and stays `athena.old_group`).
//!
//! Groups that are not mu(E) (`is_chi`, `is_rsp`, `is_qsp` or `is_bkg` true, or `is_xmu`
//! present and false) and groups without `@x`/`@y` are skipped; the skipped groups are
//! listed in the first spectrum's history. Selectors name arrays (`x`, `y`, `i0`, ...)
//! or index them in file order.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::options::ReadOptions;
use super::perl::{Item, Value, parse};
use super::select::{resolve, usable_sigma};
use super::source::Source;
use super::text::{decode, parse_number};
use crate::error::Result;
use crate::io::options::ColumnSelector;
use crate::spectrum::{Metadata, Spectrum};

/// Largest decompressed size accepted (guards against gzip bombs).
const MAX_DECOMPRESSED: u64 = 256 * 1024 * 1024;
/// Arrays that are not per-group data.
const GLOBAL_ARRAYS: [&str; 2] = ["journal", "indicator"];
/// Flags that mark a group as something other than mu(E) when true.
const NON_MU_FLAGS: [&str; 4] = ["is_chi", "is_rsp", "is_qsp", "is_bkg"];

/// One array of a group.
#[derive(Debug)]
struct Array {
    name: String,
    items: Vec<Value>,
    line: usize,
}

/// One Athena group.
#[derive(Debug)]
struct Group {
    name: String,
    line: usize,
    args: Vec<(String, String)>,
    arrays: Vec<Array>,
}

impl Group {
    fn arg(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn label(&self) -> String {
        self.arg("label")
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&self.name)
            .to_string()
    }

    fn array_names(&self) -> Vec<String> {
        self.arrays.iter().map(|a| a.name.clone()).collect()
    }

    /// Why this group is not read as mu(E), if it is not.
    fn skip_reason(&self) -> Option<String> {
        if let Some(flag) = NON_MU_FLAGS
            .iter()
            .find(|f| self.arg(f).is_some_and(truthy))
        {
            return Some(format!("{flag} is true"));
        }
        if self.arg("is_xmu").is_some_and(|v| !truthy(v)) {
            return Some("is_xmu is false".into());
        }
        let names = self.array_names();
        let has = |n: &str| names.iter().any(|a| a == n);
        (!has("x") || !has("y")).then(|| "no @x/@y arrays".into())
    }

    /// A numeric argument, if present.
    fn number(&self, key: &str, source: &Source<'_>) -> Result<Option<f64>> {
        self.arg(key)
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                source.number(
                    v.trim(),
                    self.line,
                    &format!("{} in group `{}`", key, self.name),
                )
            })
            .transpose()
    }

    /// The values of array `index`.
    fn values(&self, index: usize, source: &Source<'_>) -> Result<Vec<f64>> {
        let Some(array) = self.arrays.get(index) else {
            return Ok(Vec::new());
        };
        array
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("@{}[{i}]", array.name);
                match item {
                    Value::Scalar(s) => source.number(s, array.line, &field),
                    Value::List(_) => {
                        Err(source.error(array.line, field, "a list where a number was expected"))
                    }
                }
            })
            .collect()
    }
}

/// Perl truth of an Athena flag: empty, `0` and numeric zero are false.
fn truthy(value: &str) -> bool {
    let value = value.trim();
    match parse_number(value) {
        Some(number) => number != 0.0,
        None => !value.is_empty(),
    }
}

/// `true` when `bytes` open with the gzip magic number.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses gzip input (also accepting plain text), bounded in size.
fn decompress(bytes: &[u8], source: &Source<'_>) -> Result<Vec<u8>> {
    if !is_gzip(bytes) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| source.error(0, "gzip", format!("cannot decompress: {e}")))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(source.error(
            0,
            "gzip",
            format!("decompressed size exceeds {MAX_DECOMPRESSED} bytes"),
        ));
    }
    Ok(out)
}

/// Groups items into Athena groups.
fn groups(items: Vec<Item>, source: &Source<'_>) -> Result<Vec<Group>> {
    let mut groups = Vec::new();
    let mut current: Option<Group> = None;
    for item in items {
        let Item::Assign {
            sigil,
            name,
            value,
            line,
        } = item
        else {
            groups.extend(current.take());
            continue;
        };
        match (sigil, name.as_str()) {
            ('$', "old_group") => {
                groups.extend(current.take());
                current = Some(Group {
                    name: value.text(),
                    line,
                    args: Vec::new(),
                    arrays: Vec::new(),
                });
            }
            ('@', "args") => {
                if let Some(group) = current.as_mut() {
                    group.args.extend(arguments(value, line, source)?);
                }
            }
            ('@', array) if !GLOBAL_ARRAYS.contains(&array) => {
                if let Some(group) = current.as_mut() {
                    let items = match value {
                        Value::List(items) => items,
                        scalar => vec![scalar],
                    };
                    group.arrays.push(Array { name, items, line });
                }
            }
            _ => {}
        }
    }
    groups.extend(current);
    Ok(groups)
}

/// Pairs up `@args = (key, value, ...)`.
fn arguments(value: Value, line: usize, source: &Source<'_>) -> Result<Vec<(String, String)>> {
    let Value::List(items) = value else {
        return Err(source.error(line, "@args", "expected a list"));
    };
    if !items.len().is_multiple_of(2) {
        return Err(source.error(
            line,
            "@args",
            format!("odd number of elements ({})", items.len()),
        ));
    }
    Ok(items
        .chunks_exact(2)
        .map(|pair| (pair[0].text(), pair[1].text()))
        .collect())
}

/// Reads an Athena project into one spectrum per mu(E) group.
///
/// # Errors
/// Parse errors for undecodable gzip, malformed text, non-numeric array items or
/// arrays of different lengths; an error when no mu(E) group exists.
pub(crate) fn read(
    bytes: &[u8],
    source: &Source<'_>,
    options: &ReadOptions,
) -> Result<Vec<Spectrum>> {
    let text = decompress(bytes, source)?;
    let items = parse(&decode(&text), source)?;
    let groups = groups(items, source)?;
    if groups.is_empty() {
        return Err(source.error(0, "$old_group", "no Athena groups found"));
    }
    let mut spectra = Vec::new();
    let mut skipped = Vec::new();
    for group in &groups {
        match group.skip_reason() {
            Some(reason) => skipped.push(format!("`{}` ({reason})", group.label())),
            None => spectra.push(group_spectrum(group, source, options)?),
        }
    }
    let Some(first) = spectra.first_mut() else {
        return Err(source.error(
            0,
            "groups",
            format!("no mu(E) group; skipped {}", skipped.join(", ")),
        ));
    };
    if !skipped.is_empty() {
        first.meta.history.push(format!(
            "Athena project: skipped {} group(s) that are not mu(E): {}",
            skipped.len(),
            skipped.join(", ")
        ));
    }
    Ok(spectra)
}

/// Builds the spectrum of one group.
fn group_spectrum(group: &Group, source: &Source<'_>, options: &ReadOptions) -> Result<Spectrum> {
    let names = group.array_names();
    // The arrays `@x` and `@y` unless the caller chose others.
    let (default_x, default_y) = (
        ColumnSelector::Name("x".into()),
        ColumnSelector::Name("y".into()),
    );
    let x_selector = options.x_column.as_ref().unwrap_or(&default_x);
    let x = resolve(source, &names, x_selector, "x_column")?;
    let y_selector = options.y_column.as_ref().unwrap_or(&default_y);
    let y = resolve(source, &names, y_selector, "y_column")?;
    let mut energy = group.values(x, source)?;
    let intensity = group.values(y, source)?;
    if energy.len() != intensity.len() {
        return Err(source.error(
            group.arrays.get(y).map_or(group.line, |a| a.line),
            format!("@{}", names[y]),
            format!(
                "group `{}` has {} values in @{} but {} in @{}",
                group.name,
                intensity.len(),
                names[y],
                energy.len(),
                names[x]
            ),
        ));
    }
    let mut meta = metadata(group, source)?;
    if names[x] == "x" {
        correct_energy(group, &mut energy, &mut meta, source)?;
    }
    let sigma = match (&options.y_column, names.iter().position(|n| n == "stddev")) {
        (None, Some(s)) => {
            let values = group.values(s, source)?;
            if values.len() == energy.len() {
                usable_sigma(&values, "stddev", &mut meta.history)
            } else {
                meta.history.push(format!(
                    "@stddev ignored: {} values for {} points",
                    values.len(),
                    energy.len()
                ));
                None
            }
        }
        _ => None,
    };
    source.spectrum(energy, intensity, sigma, meta)
}

/// Applies `is_kev` and `bkg_eshift` to the energy axis.
fn correct_energy(
    group: &Group,
    energy: &mut [f64],
    meta: &mut Metadata,
    source: &Source<'_>,
) -> Result<()> {
    let kev = group.arg("is_kev").is_some_and(truthy);
    if kev && energy.iter().all(|e| e.abs() < 1000.0) {
        energy.iter_mut().for_each(|e| *e *= 1000.0);
        meta.history
            .push("Athena: energy converted from keV to eV (is_kev)".into());
    }
    if let Some(shift) = group.number("bkg_eshift", source)? {
        energy.iter_mut().for_each(|e| *e += shift);
        meta.energy_shift_ev = Some(shift);
        if shift != 0.0 {
            meta.history.push(format!(
                "Athena: bkg_eshift of {shift} eV added to the energy"
            ));
        }
    }
    Ok(())
}

/// Metadata of one group.
fn metadata(group: &Group, source: &Source<'_>) -> Result<Metadata> {
    let mut meta = source.base_metadata();
    meta.label = Some(group.label());
    meta.e0_ev = group.number("bkg_e0", source)?;
    meta.element = group
        .arg("bkg_z")
        .map(str::trim)
        .filter(|z| !z.is_empty() && z.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_string);
    meta.edge = group
        .arg("bkg_edge")
        .or_else(|| group.arg("fft_edge"))
        .map(|e| e.trim().to_ascii_uppercase())
        .filter(|e| !e.is_empty());
    meta.extra.insert("athena.group".into(), group.name.clone());
    for (key, value) in &group.args {
        meta.extra.insert(format!("athena.{key}"), value.clone());
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;
    use std::path::Path;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    const PROJECT: &str = "# Athena project file -- Demeter\n\
        $old_group = 'abc';\n\
        @args = ('label','Fe foil','bkg_e0','7112','bkg_eshift','0.5','bkg_z','Fe','fft_edge','k','is_xmu',1,'titles',['a','b']);\n\
        @x = ('7000','7001','7002');\n@y = ('0.1','0.2','0.3');\n@stddev = ('0.01','0.01','0.02');\n\
        [record]   # create object\n\n\
        $old_group = 'chi1';\n@args = ('label','a chi','is_chi','1');\n@x = ('1','2');\n@y = ('1','2');\n[record]\n\
        $old_group = 'nolabel';\n@args = ('is_xmu','1');\n@x = (7002,7000);\n@y = (2,1);\n[record]\n\
        @journal = ('note');\n%plot_features = ('c0' => 'blue');\n@indicator = (0,['',' ',' ']);\n1;\n";

    fn read_bytes(bytes: &[u8]) -> Result<Vec<Spectrum>> {
        read(
            bytes,
            &Source::new(Path::new("p.prj")),
            &ReadOptions::default(),
        )
    }

    #[test]
    fn reads_groups_from_plain_and_gzip() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(PROJECT.as_bytes()).unwrap();
        let gz = encoder.finish().unwrap();
        for bytes in [PROJECT.as_bytes(), &gz] {
            let spectra = read_bytes(bytes).unwrap();
            assert_eq!(spectra.len(), 2);
            let s = &spectra[0];
            assert_eq!(s.energy_ev(), &[7000.5, 7001.5, 7002.5]);
            assert_eq!(s.intensity(), &[0.1, 0.2, 0.3]);
            assert_eq!(s.sigma(), Some(&[0.01, 0.01, 0.02][..]));
            assert_eq!(s.meta.label.as_deref(), Some("Fe foil"));
            assert_eq!(s.meta.e0_ev, Some(7112.0));
            assert_eq!(s.meta.energy_shift_ev, Some(0.5));
            assert_eq!(s.meta.element.as_deref(), Some("Fe"));
            assert_eq!(s.meta.edge.as_deref(), Some("K"));
            assert_eq!(s.meta.extra["athena.titles"], "a\nb");
            assert!(
                s.meta
                    .history
                    .iter()
                    .any(|h| h.contains("`a chi` (is_chi is true)")),
                "{:?}",
                s.meta.history
            );
            let t = &spectra[1];
            assert_eq!(t.meta.label.as_deref(), Some("nolabel"));
            assert_eq!(t.energy_ev(), &[7000.0, 7002.0]);
        }
    }

    #[test]
    fn selects_other_arrays() {
        let options = ReadOptions {
            y_column: Some(ColumnSelector::Name("stddev".into())),
            ..ReadOptions::default()
        };
        let first = PROJECT.split("\n\n").next().unwrap();
        let spectra = read(first.as_bytes(), &Source::new(Path::new("p.prj")), &options).unwrap();
        assert_eq!(spectra[0].intensity(), &[0.01, 0.01, 0.02]);
        assert!(spectra[0].sigma().is_none());
    }

    #[test]
    fn errors_name_fields() {
        let err = read_bytes(b"$old_group = 'g';\n@args = ('a');\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.prj:2: @args: odd"), "{err}");
        let err = read_bytes(b"$old_group = 'g';\n@x = (1,2);\n@y = (1,'q');\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.prj:3: @y[1]"), "{err}");
        let err = read_bytes(b"$old_group = 'g';\n@x = (1,2);\n@y = (1);\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.prj:3: @y"), "{err}");
        let err = read_bytes(b"1;\n").unwrap_err().to_string();
        assert!(err.contains("no Athena groups"), "{err}");
        let err = read_bytes(&[0x1f, 0x8b, 8, 0, 0]).unwrap_err().to_string();
        assert!(err.contains("gzip"), "{err}");
        let err =
            read_bytes(b"$old_group = 'g';\n@args = ('is_rsp', 1);\n@x = (1,2);\n@y = (1,2);\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("no mu(E) group") && err.contains("is_rsp"),
            "{err}"
        );
    }
}
