//! The binary library format, version 1 (layout in the parent module's documentation
//! and in `docs/formats/library.md`).

use std::convert::Infallible;
use std::io::Write;
use std::path::Path;

use serde_json::Value;
use xas_core::SpectraMatrix;

use super::header::{Header, header_json};
use super::{Library, validate};
use crate::error::{Error, Result};

/// The 8 bytes every library file starts with: `\x89XASL\r\n\x1a`. As in PNG, the
/// non-ASCII first byte and the CR LF and Ctrl-Z bytes reveal transfers in text mode.
pub const MAGIC: [u8; 8] = *b"\x89XASL\r\n\x1a";

/// The version of the binary format that [`Library::save`] writes and
/// [`Library::load`] reads.
pub const FORMAT_VERSION: u32 = 1;

/// Bytes before the header: magic, version, reserved word, header length.
const PREFIX_LEN: usize = 24;
/// Bytes of the checksum at the end.
const CHECKSUM_LEN: usize = 8;
/// Start value of the checksum (the first fraction digits of pi).
const CHECKSUM_SEED: u64 = 0x243F_6A88_85A3_08D3;
/// Multiplier of the checksum (2^64 divided by the golden ratio, made odd).
const CHECKSUM_MUL: u64 = 0x9E37_79B9_7F4A_7C15;
/// Values per chunk when streaming the data section.
const CHUNK_VALUES: usize = 8192;
/// Number of interleaved lanes of the checksum (for instruction-level parallelism).
const CHECKSUM_LANES: usize = 4;

/// One step of the checksum: `rotate_left((h XOR w) * CHECKSUM_MUL, 31)`.
fn checksum_step(h: u64, w: u64) -> u64 {
    ((h ^ w).wrapping_mul(CHECKSUM_MUL)).rotate_left(31)
}

/// The running checksum over 64-bit little-endian words: word `k` goes to lane
/// `k mod 4` (lane `j` starts at `CHECKSUM_SEED + j`), and the lanes are folded with
/// the same step, starting from `CHECKSUM_SEED`. Every step is a bijection of the state
/// and of the word, so any change of a single word changes the result.
struct Checksum {
    lanes: [u64; CHECKSUM_LANES],
    /// Words consumed so far (which lane the next word goes to).
    words: usize,
}

impl Checksum {
    fn new() -> Self {
        Checksum {
            lanes: std::array::from_fn(|j| CHECKSUM_SEED.wrapping_add(j as u64)),
            words: 0,
        }
    }

    /// Adds `bytes` (a whole number of words; a trailing partial word is ignored, which
    /// the format never produces).
    fn update(&mut self, bytes: &[u8]) {
        let (mut words, _) = bytes.as_chunks::<8>();
        // Realign to lane 0, then four independent chains at a time.
        while !self.words.is_multiple_of(CHECKSUM_LANES) {
            let Some((word, rest)) = words.split_first() else {
                return;
            };
            self.push(*word);
            words = rest;
        }
        let (blocks, rest) = words.as_chunks::<CHECKSUM_LANES>();
        for block in blocks {
            for (lane, word) in self.lanes.iter_mut().zip(block) {
                *lane = checksum_step(*lane, u64::from_le_bytes(*word));
            }
        }
        self.words += CHECKSUM_LANES * blocks.len();
        for word in rest {
            self.push(*word);
        }
    }

    fn push(&mut self, word: [u8; 8]) {
        let lane = &mut self.lanes[self.words % CHECKSUM_LANES];
        *lane = checksum_step(*lane, u64::from_le_bytes(word));
        self.words += 1;
    }

    fn finish(&self) -> u64 {
        self.lanes
            .iter()
            .fold(CHECKSUM_SEED, |h, &lane| checksum_step(h, lane))
    }
}

/// The library as bytes.
pub(super) fn to_bytes(library: &Library) -> Vec<u8> {
    let header = header_json(library);
    let spectra = library.spectra();
    let values = spectra.n_points() * (spectra.n_spectra() + 1);
    let mut out = Vec::with_capacity(PREFIX_LEN + header.len() + 8 * values + CHECKSUM_LEN);
    let Ok(()) = encode(
        library,
        &header,
        |bytes| -> std::result::Result<(), Infallible> {
            out.extend_from_slice(bytes);
            Ok(())
        },
    );
    out
}

/// Writes the library to `path` atomically.
pub(super) fn save(library: &Library, path: &Path) -> Result<()> {
    let header = header_json(library);
    xas_core::write_atomic_with(path, |writer, temp| {
        encode(library, &header, |bytes| {
            writer
                .write_all(bytes)
                .map_err(|e| xas_core::Error::io(temp, e))
        })
    })?;
    Ok(())
}

/// Hands the file's bytes, in order, to `emit`; `header` is from [`header_json`].
fn encode<E>(
    library: &Library,
    header: &[u8],
    mut emit: impl FnMut(&[u8]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut prefix = Vec::with_capacity(PREFIX_LEN);
    prefix.extend_from_slice(&MAGIC);
    prefix.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    prefix.extend_from_slice(&0u32.to_le_bytes());
    prefix.extend_from_slice(&(header.len() as u64).to_le_bytes());
    let mut checksum = Checksum::new();
    checksum.update(&prefix);
    emit(&prefix)?;
    checksum.update(header);
    emit(header)?;
    let spectra = library.spectra();
    let mut buffer = Vec::with_capacity(8 * CHUNK_VALUES);
    let energy = spectra.energy_ev().chunks(CHUNK_VALUES);
    for chunk in energy.chain(spectra.as_slice().chunks(CHUNK_VALUES)) {
        buffer.clear();
        for value in chunk {
            buffer.extend_from_slice(&value.to_le_bytes());
        }
        checksum.update(&buffer);
        emit(&buffer)?;
    }
    emit(&checksum.finish().to_le_bytes())
}

/// Reads a library from `bytes`; `path` names the source in errors.
pub(super) fn from_bytes(bytes: &[u8], path: &Path) -> Result<Library> {
    let fail = |field: &str, message: String| Error::format(path, field, message);
    check_magic(bytes, path)?;
    if bytes.len() < PREFIX_LEN + CHECKSUM_LEN {
        return Err(fail(
            "file length",
            format!(
                "{} bytes, fewer than the {} bytes of the fixed fields (truncated file)",
                bytes.len(),
                PREFIX_LEN + CHECKSUM_LEN
            ),
        ));
    }
    let version = read_u32(bytes, 8);
    if version != FORMAT_VERSION {
        return Err(fail(
            "format version (bytes 8..12)",
            format!(
                "version {version} is not supported; this build reads version {FORMAT_VERSION}"
            ),
        ));
    }
    let reserved = read_u32(bytes, 12);
    if reserved != 0 {
        return Err(fail(
            "reserved word (bytes 12..16)",
            format!("must be 0, found {reserved}"),
        ));
    }
    let header_len = read_u64(bytes, 16);
    let room = (bytes.len() - PREFIX_LEN - CHECKSUM_LEN) as u64;
    if header_len > room {
        return Err(fail(
            "header length (bytes 16..24)",
            format!(
                "a header of {header_len} bytes does not fit in a file of {} bytes (truncated file?)",
                bytes.len()
            ),
        ));
    }
    if !header_len.is_multiple_of(8) {
        return Err(fail(
            "header length (bytes 16..24)",
            format!("{header_len} is not a multiple of 8"),
        ));
    }
    // header_len <= room < bytes.len(), so it fits in usize.
    let header_end = PREFIX_LEN + header_len as usize;
    let header_field = format!("header (bytes {PREFIX_LEN}..{header_end})");
    let value: Value = serde_json::from_slice(&bytes[PREFIX_LEN..header_end])
        .map_err(|e| fail(&header_field, format!("not valid JSON: {e}")))?;
    let header = Header {
        path,
        value: &value,
    };
    let object = header.object()?;
    let n = header.count(object, "n_spectra")?;
    let m = header.count(object, "n_points")?;
    let expected = m
        .checked_mul(n)
        .and_then(|nm| nm.checked_add(m))
        .and_then(|values| values.checked_mul(8))
        .and_then(|data| data.checked_add(header_end + CHECKSUM_LEN))
        .ok_or_else(|| {
            fail(
                "header `n_spectra`, `n_points`",
                format!("{n} spectra x {m} points is too large"),
            )
        })?;
    if expected != bytes.len() {
        return Err(fail(
            "file length",
            format!(
                "{} bytes, but the header's {n} spectra x {m} points need {expected} bytes \
                 ({})",
                bytes.len(),
                if bytes.len() < expected {
                    "truncated file"
                } else {
                    "trailing bytes"
                }
            ),
        ));
    }
    let body_end = bytes.len() - CHECKSUM_LEN;
    let mut checksum = Checksum::new();
    checksum.update(&bytes[..body_end]);
    let stored = read_u64(bytes, body_end);
    let computed = checksum.finish();
    if computed != stored {
        return Err(fail(
            &format!("checksum (bytes {body_end}..{})", bytes.len()),
            format!("stored {stored:#018x}, computed {computed:#018x}: the file is corrupted"),
        ));
    }
    let contents = header.contents(object, n)?;
    let energy_end = header_end + 8 * m;
    let energy = read_f64s(&bytes[header_end..energy_end]);
    let mut spectra = SpectraMatrix::new(energy).map_err(|e| {
        fail(
            &format!("energy grid (bytes {header_end}..{energy_end})"),
            core_message(e),
        )
    })?;
    let mut row = vec![0.0; m];
    for (i, (words, name)) in bytes[energy_end..body_end]
        .chunks_exact(8 * m)
        .zip(contents.names)
        .enumerate()
    {
        for (value, word) in row.iter_mut().zip(words.as_chunks::<8>().0) {
            *value = f64::from_le_bytes(*word);
        }
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            let offset = energy_end + 8 * (i * m + j);
            return Err(fail(
                &format!(
                    "spectrum {i} (`{name}`) point {j} (bytes {offset}..{})",
                    offset + 8
                ),
                format!("value {} is not finite", row[j]),
            ));
        }
        spectra
            .push_row(name, &row)
            .map_err(|e| fail("data", core_message(e)))?;
    }
    for (name, values) in contents.numeric {
        spectra
            .set_numeric_label(name, values)
            .map_err(|e| fail("header `numeric_labels`", core_message(e)))?;
    }
    for (name, values) in contents.categorical {
        spectra
            .set_categorical_label(name, values)
            .map_err(|e| fail("header `categorical_labels`", core_message(e)))?;
    }
    validate(&spectra).map_err(|e| match e {
        Error::InvalidData { field, message } => fail(&format!("header: {field}"), message),
        other => fail("header", other.to_string()),
    })?;
    Ok(Library {
        spectra,
        provenance: contents.provenance,
    })
}

/// The message of an `xas-core` validation error, without its "invalid" prefix when
/// it has a field.
fn core_message(error: xas_core::Error) -> String {
    match error {
        xas_core::Error::InvalidData { field, message } => format!("{field}: {message}"),
        other => other.to_string(),
    }
}

/// Checks the magic bytes, with a hint when only the line-end bytes differ.
fn check_magic(bytes: &[u8], path: &Path) -> Result<()> {
    if bytes.get(..MAGIC.len()) == Some(&MAGIC[..]) {
        return Ok(());
    }
    if bytes.is_empty() {
        return Err(Error::format(
            path,
            "magic (bytes 0..8)",
            "the file is empty, not an xas-metrics library file",
        ));
    }
    let start: Vec<String> = bytes
        .iter()
        .take(MAGIC.len())
        .map(|b| format!("{b:02X}"))
        .collect();
    let hint = if bytes.starts_with(&MAGIC[..5]) {
        " (the line-end bytes differ: was the file transferred in text mode?)"
    } else {
        ""
    };
    Err(Error::format(
        path,
        "magic (bytes 0..8)",
        format!(
            "not an xas-metrics library file: it starts with [{}], a library with [89 58 41 53 4C 0D 0A 1A]{hint}",
            start.join(" ")
        ),
    ))
}

fn read_u32(bytes: &[u8], offset: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[offset..offset + 4]);
    u32::from_le_bytes(word)
}

fn read_u64(bytes: &[u8], offset: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[offset..offset + 8]);
    u64::from_le_bytes(word)
}

fn read_f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .as_chunks::<8>()
        .0
        .iter()
        .map(|w| f64::from_le_bytes(*w))
        .collect()
}
