//! XDI 1.0 writer: [`xdi_string`] and [`write_xdi`].

use std::fmt::Write as _;
use std::path::Path;

use super::atomic::write_atomic;
use super::text::{format_number, one_line};
use super::xdi::{E0_KEY, EDGE_KEY, ELEMENT_KEY, LABEL_KEY, SAMPLE_KEY, SHIFT_KEY};
use crate::error::Result;
use crate::spectrum::Spectrum;

/// Namespaces whose fields the writer produces itself from the spectrum, never copied
/// from `meta.extra`.
const OWN_NAMESPACES: [&str; 2] = ["column", "xascore"];
/// Single fields produced from `meta`, never copied from `meta.extra`.
const OWN_FIELDS: [&str; 4] = [ELEMENT_KEY, EDGE_KEY, SAMPLE_KEY, E0_KEY];

/// Renders a spectrum as XDI 1.0 text.
///
/// Layout: the version line `# XDI/1.0 xas-core/<version>`; `Column.1: energy eV`,
/// `Column.2: mu` (the intensity is always called `mu`, whatever it holds) and
/// `Column.3: sigma` when the spectrum has one; `Element.symbol`, `Element.edge`,
/// `Sample.name` and `Scan.edge_energy` from `meta`; `XasCore.label` and
/// `XasCore.energy_shift_ev` when set; then every `meta.extra` entry whose key is a
/// valid `Namespace.tag` (other than the ones above), with line breaks in values
/// replaced by blanks; `# ///`; the lines of `meta.extra["comments"]`; `#----`; a label
/// line; and the data with enough digits to be read back exactly.
///
/// Reading the text back with default options gives the same energy, intensity, sigma,
/// label, element, edge, sample, e0 and energy shift (text values trimmed, empty
/// values dropped).
pub fn xdi_string(spectrum: &Spectrum) -> String {
    let mut out = format!("# XDI/1.0 xas-core/{}\n", env!("CARGO_PKG_VERSION"));
    let sigma = spectrum.sigma();
    let mut labels = vec!["energy", "mu"];
    header_line(&mut out, "Column.1", "energy eV");
    header_line(&mut out, "Column.2", "mu");
    if sigma.is_some() {
        header_line(&mut out, "Column.3", "sigma");
        labels.push("sigma");
    }
    metadata_lines(&mut out, spectrum);
    out.push_str("# ///\n");
    if let Some(comments) = spectrum.meta.extra.get("comments") {
        for line in comments.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = writeln!(out, "# {line}");
        }
    }
    out.push_str("#----\n");
    let _ = writeln!(out, "# {}", labels.join(" "));
    for (i, (e, y)) in spectrum
        .energy_ev()
        .iter()
        .zip(spectrum.intensity())
        .enumerate()
    {
        let _ = write!(out, "{} {}", format_number(*e), format_number(*y));
        if let Some(s) = sigma.and_then(|s| s.get(i)) {
            let _ = write!(out, " {}", format_number(*s));
        }
        out.push('\n');
    }
    out
}

/// Writes [`xdi_string`] of `spectrum` to `path` atomically.
///
/// # Errors
/// [`crate::Error::Io`] when the file cannot be written.
pub fn write_xdi(spectrum: &Spectrum, path: impl AsRef<Path>) -> Result<()> {
    write_atomic(path.as_ref(), xdi_string(spectrum).as_bytes())
}

/// Header lines for the metadata fields and the copied `meta.extra` fields.
fn metadata_lines(out: &mut String, spectrum: &Spectrum) {
    let meta = &spectrum.meta;
    let texts = [
        (ELEMENT_KEY, &meta.element),
        (EDGE_KEY, &meta.edge),
        (SAMPLE_KEY, &meta.sample),
        (LABEL_KEY, &meta.label),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            header_line(out, key, value);
        }
    }
    let numbers = [(E0_KEY, meta.e0_ev), (SHIFT_KEY, meta.energy_shift_ev)];
    for (key, value) in numbers {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            header_line(out, key, &format_number(value));
        }
    }
    for (key, value) in &meta.extra {
        if is_field_key(key) && !is_own_key(key) {
            header_line(out, key, value);
        }
    }
}

/// `# key: value`, with the value on one line; empty values are skipped.
fn header_line(out: &mut String, key: &str, value: &str) {
    let value = one_line(value);
    if !value.is_empty() {
        let _ = writeln!(out, "# {key}: {value}");
    }
}

/// `true` for a valid XDI `Namespace.tag` key: a letter, then letters, digits or `_`,
/// a dot, then at least one letter, digit or `_`.
fn is_field_key(key: &str) -> bool {
    let Some((namespace, tag)) = key.split_once('.') else {
        return false;
    };
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    namespace.starts_with(|c: char| c.is_ascii_alphabetic()) && word(namespace) && word(tag)
}

/// `true` for keys the writer produces from the spectrum itself.
fn is_own_key(key: &str) -> bool {
    let namespace = key.split('.').next().unwrap_or(key);
    OWN_NAMESPACES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(namespace))
        || OWN_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;
    use crate::io::options::ReadOptions;
    use crate::io::source::Source;
    use crate::io::xdi::read;

    #[test]
    fn round_trip_with_sigma_and_extra() {
        let mut s = Spectrum::new(
            vec![7000.0, 7000.5, 7001.0 / 3.0 + 7000.0],
            vec![0.1, 0.2, 1e-30],
        )
        .unwrap()
        .with_sigma(vec![0.01, 0.02, 0.03])
        .unwrap();
        s.meta.element = Some("Fe".into());
        s.meta.edge = Some("K".into());
        s.meta.e0_ev = Some(7112.0);
        s.meta.label = Some("my label".into());
        s.meta
            .extra
            .insert("Mono.d_spacing".into(), "3.1355".into());
        s.meta.extra.insert("column.7".into(), "ignored".into());
        s.meta.extra.insert("not a key".into(), "ignored".into());
        s.meta
            .extra
            .insert("comments".into(), "first\nsecond".into());
        let text = xdi_string(&s);
        assert!(text.starts_with("# XDI/1.0 xas-core/"));
        assert!(!text.contains("ignored"), "{text}");
        let back = &read(
            &text,
            &Source::new(Path::new("x.xdi")),
            &ReadOptions::default(),
        )
        .unwrap()[0];
        assert_eq!(back.energy_ev(), s.energy_ev());
        assert_eq!(back.intensity(), s.intensity());
        assert_eq!(back.sigma(), s.sigma());
        assert_eq!(back.meta.label, s.meta.label);
        assert_eq!(back.meta.e0_ev, Some(7112.0));
        assert_eq!(back.meta.extra["Mono.d_spacing"], "3.1355");
        assert_eq!(back.meta.extra["comments"], "first\nsecond");
    }

    #[test]
    fn field_keys() {
        assert!(is_field_key("Mono.d_spacing"));
        assert!(!is_field_key("1a.b"));
        assert!(!is_field_key("a."));
        assert!(!is_field_key("comments"));
        assert!(is_own_key("COLUMN.2") && is_own_key("element.symbol") && !is_own_key("Mono.name"));
    }
}
