//! Headerless raw spectral-image arrays: the bare little-endian dumps that detectors,
//! `numpy.tofile` and beamline software write, read with a shape, a sample type and an
//! axis order given by the user (the file itself records none of them).
//!
//! Two axis orders are common: frame-sequential (energy, y, x), a stack of one image per
//! energy as a scanning microscope records it, and pixel-interleaved (y, x, energy),
//! one spectrum after another. Both are streamed row block by row block; a block of a
//! frame-sequential file costs one seek per energy.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::image::{ImageShape, SpectralImageSource, check_rows};
use crate::spectrum::validate_axis;

/// Sample type of a headerless array, always little endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawDtype {
    /// Unsigned 16-bit integers (camera counts).
    U16,
    /// Unsigned 32-bit integers.
    U32,
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 double precision.
    F64,
}

impl RawDtype {
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            RawDtype::U16 => 2,
            RawDtype::U32 | RawDtype::F32 => 4,
            RawDtype::F64 => 8,
        }
    }

    /// Decodes one little-endian sample of `self.bytes()` bytes.
    fn decode(self, b: &[u8]) -> f64 {
        match self {
            RawDtype::U16 => f64::from(u16::from_le_bytes([b[0], b[1]])),
            RawDtype::U32 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            RawDtype::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            RawDtype::F64 => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }
}

impl std::str::FromStr for RawDtype {
    type Err = Error;

    /// Parses `u16`, `u32`, `f32` or `f64` (numpy's `<u2`, `<u4`, `<f4`, `<f8` too).
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "u16" | "uint16" | "<u2" => Ok(RawDtype::U16),
            "u32" | "uint32" | "<u4" => Ok(RawDtype::U32),
            "f32" | "float32" | "<f4" => Ok(RawDtype::F32),
            "f64" | "float64" | "<f8" => Ok(RawDtype::F64),
            _ => Err(Error::param(
                "dtype",
                format!("{s:?} is not one of u16, u32, f32, f64"),
            )),
        }
    }
}

/// Axis order of a headerless array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawOrder {
    /// (energy, y, x): one whole image per energy, x fastest.
    FrameSequential,
    /// (y, x, energy): one whole spectrum per pixel, energy fastest.
    PixelInterleaved,
}

/// How to read a headerless array.
#[derive(Debug, Clone, PartialEq)]
pub struct RawArrayLayout {
    /// Image dimensions.
    pub shape: ImageShape,
    /// Sample type.
    pub dtype: RawDtype,
    /// Axis order.
    pub order: RawOrder,
    /// Bytes to skip at the start of the file (a vendor header).
    pub header_bytes: u64,
}

impl RawArrayLayout {
    /// File size in bytes this layout implies, `None` on overflow.
    fn file_bytes(&self) -> Option<u64> {
        let s = self.shape;
        (s.height as u64)
            .checked_mul(s.width as u64)?
            .checked_mul(s.n_energies as u64)?
            .checked_mul(self.dtype.bytes() as u64)?
            .checked_add(self.header_bytes)
    }
}

/// A headerless raw array opened with a user-given [`RawArrayLayout`] and energy axis.
#[derive(Debug)]
pub struct RawArrayFile {
    path: PathBuf,
    reader: BufReader<File>,
    layout: RawArrayLayout,
    energy_ev: Vec<f64>,
    bytes: Vec<u8>,
}

impl RawArrayFile {
    /// Opens `path` with `layout` and one energy (eV) per image plane.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::InvalidParameter`] for an
    /// empty shape, an energy count that differs from the shape's or an energy axis that
    /// does not increase; [`Error::Parse`] naming the shape when the file size does not
    /// equal `header_bytes` plus the array.
    pub fn open(
        path: impl AsRef<Path>,
        layout: RawArrayLayout,
        energy_ev: Vec<f64>,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let s = layout.shape;
        if s.height == 0 || s.width == 0 || s.n_energies == 0 {
            return Err(Error::param("shape", "every dimension must be positive"));
        }
        if energy_ev.len() != s.n_energies {
            return Err(Error::param(
                "energies",
                format!(
                    "{} energies for a shape with {} energies",
                    energy_ev.len(),
                    s.n_energies
                ),
            ));
        }
        validate_axis(&energy_ev)?;
        let io = |e| Error::io(&path, e);
        let file = File::open(&path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        if layout.file_bytes() != Some(file_len) {
            return Err(Error::parse(
                &path,
                0,
                "shape",
                format!(
                    "{} x {} x {} samples of {} bytes after {} header bytes do not match \
                     the file size {file_len}",
                    s.height,
                    s.width,
                    s.n_energies,
                    layout.dtype.bytes(),
                    layout.header_bytes
                ),
            ));
        }
        Ok(RawArrayFile {
            path,
            reader: BufReader::new(file),
            layout,
            energy_ev,
            bytes: Vec::new(),
        })
    }

    /// Reads `count` samples starting at sample index `first` into `self.bytes`.
    fn read_samples(&mut self, first: usize, count: usize) -> Result<()> {
        let size = self.layout.dtype.bytes();
        let offset = self.layout.header_bytes + (first * size) as u64;
        let io = |e| Error::io(&self.path, e);
        self.reader.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.bytes.resize(count * size, 0);
        self.reader.read_exact(&mut self.bytes).map_err(io)
    }
}

impl SpectralImageSource for RawArrayFile {
    fn shape(&self) -> ImageShape {
        self.layout.shape
    }

    fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    fn read_rows(&mut self, rows: Range<usize>, out: &mut Vec<f64>) -> Result<()> {
        let s = self.layout.shape;
        check_rows(s, &rows)?;
        let (dtype, size) = (self.layout.dtype, self.layout.dtype.bytes());
        let pixels = rows.len() * s.width;
        out.clear();
        match self.layout.order {
            RawOrder::PixelInterleaved => {
                self.read_samples(rows.start * s.width * s.n_energies, pixels * s.n_energies)?;
                out.extend(self.bytes.chunks_exact(size).map(|b| dtype.decode(b)));
            }
            RawOrder::FrameSequential => {
                out.resize(pixels * s.n_energies, 0.0);
                for k in 0..s.n_energies {
                    self.read_samples((k * s.height + rows.start) * s.width, pixels)?;
                    for (p, b) in self.bytes.chunks_exact(size).enumerate() {
                        out[p * s.n_energies + k] = dtype.decode(b);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xas-core-raw-array-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn layout(dtype: RawDtype, order: RawOrder, header_bytes: u64) -> RawArrayLayout {
        RawArrayLayout {
            shape: ImageShape {
                height: 3,
                width: 2,
                n_energies: 4,
            },
            dtype,
            order,
            header_bytes,
        }
    }

    /// The value of pixel (y, x) at energy k in the test arrays.
    fn value(y: usize, x: usize, k: usize) -> u16 {
        (100 * y + 10 * x + k) as u16
    }

    #[test]
    fn frame_sequential_u16_with_header_reads_every_pixel() {
        let path = temp("frames.u16");
        let mut bytes = vec![0xAB; 5];
        for k in 0..4 {
            for y in 0..3 {
                for x in 0..2 {
                    bytes.extend(value(y, x, k).to_le_bytes());
                }
            }
        }
        std::fs::write(&path, bytes).unwrap();
        let energies = vec![700.0, 701.0, 702.0, 703.0];
        let mut file = RawArrayFile::open(
            &path,
            layout(RawDtype::U16, RawOrder::FrameSequential, 5),
            energies,
        )
        .unwrap();
        let mut out = Vec::new();
        file.read_rows(1..3, &mut out).unwrap();
        let expected: Vec<f64> = (1..3)
            .flat_map(|y| (0..2).flat_map(move |x| (0..4).map(move |k| f64::from(value(y, x, k)))))
            .collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn pixel_interleaved_f32_reads_spectra_in_order() {
        let path = temp("pixels.f32");
        let bytes: Vec<u8> = (0..24)
            .flat_map(|v| (v as f32 * 0.5).to_le_bytes())
            .collect();
        std::fs::write(&path, bytes).unwrap();
        let mut file = RawArrayFile::open(
            &path,
            layout(RawDtype::F32, RawOrder::PixelInterleaved, 0),
            vec![1.0, 2.0, 3.0, 4.0],
        )
        .unwrap();
        let mut out = Vec::new();
        file.read_rows(2..3, &mut out).unwrap();
        let expected: Vec<f64> = (16..24).map(|v| f64::from(v as f32 * 0.5)).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn wrong_size_energies_and_dtype_are_named() {
        let path = temp("short.f64");
        std::fs::write(&path, vec![0u8; 8 * 23]).unwrap();
        let l = layout(RawDtype::F64, RawOrder::PixelInterleaved, 0);
        let err = RawArrayFile::open(&path, l.clone(), vec![1.0, 2.0, 3.0, 4.0]).unwrap_err();
        assert!(err.to_string().contains("shape"), "{err}");
        assert!(err.to_string().contains("short.f64"), "{err}");
        let err = RawArrayFile::open(&path, l, vec![1.0, 2.0, 3.0]).unwrap_err();
        assert!(err.to_string().contains("energies"), "{err}");
        let err = "i8".parse::<RawDtype>().unwrap_err();
        assert!(err.to_string().contains("dtype"), "{err}");
        assert_eq!("<f4".parse::<RawDtype>().unwrap(), RawDtype::F32);
    }
}
