//! Spectral images: a spectrum per pixel, `height x width x n_energies`, read in row
//! blocks or tiles so that a 4e8-pixel image never has to fit in memory.
//!
//! [`SpectralImageSource`] is the streaming interface; [`SpectralImage`] holds an image
//! in memory and [`RawImageFile`] reads the documented binary layout written by
//! [`write_raw_image`] with seeks, block by block.
//!
//! Pixel order is row-major (`y` then `x`), and each pixel's spectrum is contiguous
//! (band-interleaved by pixel), so a block of rows is one contiguous read.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::write_atomic_with;
use crate::spectrum::validate_axis;

/// Image dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ImageShape {
    /// Number of pixel rows (y).
    pub height: usize,
    /// Number of pixel columns (x).
    pub width: usize,
    /// Number of energies per pixel.
    pub n_energies: usize,
}

impl ImageShape {
    /// Number of pixels, `height * width`.
    pub fn n_pixels(&self) -> usize {
        self.height * self.width
    }

    /// Number of values in `rows` full pixel rows.
    fn values_in_rows(&self, rows: usize) -> usize {
        rows * self.width * self.n_energies
    }
}

/// A block of whole pixel rows: pixels `y0*width ..` in row-major order, each with
/// `n_energies` contiguous values.
#[derive(Debug, Clone, PartialEq)]
pub struct RowBlock {
    /// First pixel row of the block.
    pub y0: usize,
    /// Number of pixel rows in the block.
    pub rows: usize,
    /// `rows * width * n_energies` values.
    pub data: Vec<f64>,
}

/// A rectangular tile of pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Top pixel row.
    pub y0: usize,
    /// Left pixel column.
    pub x0: usize,
    /// Tile height in pixels.
    pub height: usize,
    /// Tile width in pixels.
    pub width: usize,
    /// `height * width * n_energies` values, row-major, spectra contiguous.
    pub data: Vec<f64>,
}

/// Anything that can deliver a spectral image block of rows at a time.
pub trait SpectralImageSource {
    /// Image dimensions.
    fn shape(&self) -> ImageShape;
    /// Energy axis (eV), one value per band.
    fn energy_ev(&self) -> &[f64];
    /// Reads pixel rows `rows` into `out` (resized to fit).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for rows past the image; I/O errors of the source.
    fn read_rows(&mut self, rows: Range<usize>, out: &mut Vec<f64>) -> Result<()>;

    /// The values of pixel rows `rows` in place, laid out as [`Self::read_rows`]
    /// writes them, when the source holds them in memory; `None` (the default) when
    /// they must be read or computed. Lets a consumer skip the copy: for an image of
    /// 10⁸ values in memory, the copy of every pass cost about as much as the
    /// per-value work of a classification pass.
    fn rows_in_memory(&self, rows: Range<usize>) -> Option<&[f64]> {
        let _ = rows;
        None
    }
}

/// Checks that `rows` lies within an image of `shape`, for implementers of
/// [`SpectralImageSource::read_rows`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `rows`.
pub fn check_rows(shape: ImageShape, rows: &Range<usize>) -> Result<()> {
    if rows.start > rows.end || rows.end > shape.height {
        return Err(Error::param(
            "rows",
            format!(
                "{}..{} is not within the image height {}",
                rows.start, rows.end, shape.height
            ),
        ));
    }
    Ok(())
}

/// Iterates over blocks of at most `rows_per_block` pixel rows; only one block is in
/// memory at a time.
///
/// # Errors
/// Each item carries the source's read error, if any.
pub fn row_blocks<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    rows_per_block: usize,
) -> impl Iterator<Item = Result<RowBlock>> + '_ {
    let height = source.shape().height;
    let step = rows_per_block.max(1);
    (0..height).step_by(step).map(move |y0| {
        let rows = step.min(height - y0);
        let mut data = Vec::new();
        source.read_rows(y0..y0 + rows, &mut data)?;
        Ok(RowBlock { y0, rows, data })
    })
}

/// Iterates over tiles of at most `tile_height x tile_width` pixels, band by band of
/// rows (only `tile_height` rows are held in memory).
pub fn tiles<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    tile_height: usize,
    tile_width: usize,
) -> impl Iterator<Item = Result<Tile>> + '_ {
    let shape = source.shape();
    let tile_width = tile_width.max(1);
    row_blocks(source, tile_height).flat_map(move |block| {
        let tiles: Vec<Result<Tile>> = match block {
            Err(e) => vec![Err(e)],
            Ok(block) => (0..shape.width)
                .step_by(tile_width)
                .map(|x0| Ok(cut_tile(&block, shape, x0, tile_width)))
                .collect(),
        };
        tiles
    })
}

fn cut_tile(block: &RowBlock, shape: ImageShape, x0: usize, tile_width: usize) -> Tile {
    let width = tile_width.min(shape.width - x0);
    let ne = shape.n_energies;
    let mut data = Vec::with_capacity(block.rows * width * ne);
    for r in 0..block.rows {
        let start = (r * shape.width + x0) * ne;
        data.extend_from_slice(&block.data[start..start + width * ne]);
    }
    Tile {
        y0: block.y0,
        x0,
        height: block.rows,
        width,
        data,
    }
}

/// A spectral image held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralImage {
    shape: ImageShape,
    energy_ev: Vec<f64>,
    data: Vec<f64>,
}

impl SpectralImage {
    /// Creates an image from row-major, pixel-interleaved data.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the axis is invalid or the data length is not
    /// `height * width * energy_ev.len()`.
    pub fn new(height: usize, width: usize, energy_ev: Vec<f64>, data: Vec<f64>) -> Result<Self> {
        validate_axis(&energy_ev)?;
        let shape = ImageShape {
            height,
            width,
            n_energies: energy_ev.len(),
        };
        // Checked: a wrapped product could match a short `data` and later reads would
        // index past it.
        let expected = height
            .checked_mul(width)
            .and_then(|pixels| pixels.checked_mul(shape.n_energies));
        if expected != Some(data.len()) {
            return Err(Error::data(
                "data",
                format!(
                    "has {} values, expected height {height} x width {width} x {} energies",
                    data.len(),
                    shape.n_energies
                ),
            ));
        }
        Ok(SpectralImage {
            shape,
            energy_ev,
            data,
        })
    }

    /// The spectrum of pixel `(y, x)`.
    pub fn pixel(&self, y: usize, x: usize) -> Option<&[f64]> {
        if y >= self.shape.height || x >= self.shape.width {
            return None;
        }
        let ne = self.shape.n_energies;
        let start = (y * self.shape.width + x) * ne;
        self.data.get(start..start + ne)
    }

    /// All values, row-major, pixel-interleaved.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }
}

impl SpectralImageSource for SpectralImage {
    fn shape(&self) -> ImageShape {
        self.shape
    }

    fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    fn read_rows(&mut self, rows: Range<usize>, out: &mut Vec<f64>) -> Result<()> {
        check_rows(self.shape, &rows)?;
        let per_row = self.shape.values_in_rows(1);
        out.clear();
        out.extend_from_slice(&self.data[rows.start * per_row..rows.end * per_row]);
        Ok(())
    }

    fn rows_in_memory(&self, rows: Range<usize>) -> Option<&[f64]> {
        let per_row = self.shape.values_in_rows(1);
        self.data
            .get(rows.start.checked_mul(per_row)?..rows.end.checked_mul(per_row)?)
    }
}

/// Magic bytes that open a raw spectral-image file.
pub const RAW_IMAGE_MAGIC: &[u8; 8] = b"XASIMG01";

/// Sample type of a raw image file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawSample {
    /// IEEE 754 single precision, little endian.
    F32,
    /// IEEE 754 double precision, little endian.
    F64,
}

impl RawSample {
    fn bytes(self) -> usize {
        match self {
            RawSample::F32 => 4,
            RawSample::F64 => 8,
        }
    }

    fn code(self) -> u64 {
        self.bytes() as u64
    }
}

/// Length of the fixed part of the raw header: magic, height, width, n_energies,
/// sample size (each a little-endian u64 after the magic).
const RAW_HEADER_BYTES: u64 = 8 + 4 * 8;

/// Streams `source` to `path` in the raw layout (atomically: a temporary file is
/// renamed into place when complete).
///
/// Layout: [`RAW_IMAGE_MAGIC`]; `height`, `width`, `n_energies`, sample bytes (4 or 8)
/// as little-endian u64; `n_energies` energies (eV) as little-endian f64; then the
/// pixels row-major, each pixel's spectrum contiguous, as little-endian f32 or f64.
///
/// # Errors
/// I/O errors naming the file; the source's read errors.
pub fn write_raw_image<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    path: impl AsRef<Path>,
    sample: RawSample,
    rows_per_block: usize,
) -> Result<()> {
    write_atomic_with(path.as_ref(), |w, temp| {
        write_raw_to(source, w, temp, sample, rows_per_block)
    })
}

fn write_raw_to<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    w: &mut impl Write,
    path: &Path,
    sample: RawSample,
    rows_per_block: usize,
) -> Result<()> {
    let io = |e| Error::io(path, e);
    let shape = source.shape();
    w.write_all(RAW_IMAGE_MAGIC).map_err(io)?;
    for v in [
        shape.height as u64,
        shape.width as u64,
        shape.n_energies as u64,
        sample.code(),
    ] {
        w.write_all(&v.to_le_bytes()).map_err(io)?;
    }
    for e in source.energy_ev() {
        w.write_all(&e.to_le_bytes()).map_err(io)?;
    }
    for block in row_blocks(source, rows_per_block) {
        for v in block?.data {
            match sample {
                RawSample::F32 => w.write_all(&(v as f32).to_le_bytes()),
                RawSample::F64 => w.write_all(&v.to_le_bytes()),
            }
            .map_err(io)?;
        }
    }
    Ok(())
}

/// A raw spectral-image file (see [`write_raw_image`] for the layout), read block by
/// block with seeks.
#[derive(Debug)]
pub struct RawImageFile {
    path: PathBuf,
    reader: BufReader<File>,
    shape: ImageShape,
    sample: RawSample,
    energy_ev: Vec<f64>,
    data_offset: u64,
}

impl RawImageFile {
    /// Opens a raw image file and validates its header against the file size.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Parse`] naming the header
    /// field that is wrong.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let io = |e| Error::io(&path, e);
        let file = File::open(&path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut reader = BufReader::new(file);
        let mut magic = [0u8; 8];
        reader.read_exact(&mut magic).map_err(io)?;
        if &magic != RAW_IMAGE_MAGIC {
            return Err(Error::parse(
                &path,
                0,
                "magic",
                "not a raw spectral-image file",
            ));
        }
        let mut fields = [0u64; 4];
        for f in &mut fields {
            let mut b = [0u8; 8];
            reader.read_exact(&mut b).map_err(io)?;
            *f = u64::from_le_bytes(b);
        }
        let [height, width, n_energies, code] = fields;
        let sample = match code {
            4 => RawSample::F32,
            8 => RawSample::F64,
            other => {
                return Err(Error::parse(
                    &path,
                    0,
                    "sample bytes",
                    format!("{other} is not 4 or 8"),
                ));
            }
        };
        let expected = n_energies
            .checked_mul(8)
            .and_then(|axis| {
                height
                    .checked_mul(width)?
                    .checked_mul(n_energies)?
                    .checked_mul(code)?
                    .checked_add(axis)
            })
            .and_then(|v| v.checked_add(RAW_HEADER_BYTES));
        if expected != Some(file_len) {
            return Err(Error::parse(
                &path,
                0,
                "height/width/n_energies",
                format!(
                    "{height} x {width} x {n_energies} does not match the file size {file_len}"
                ),
            ));
        }
        let to_usize = |v: u64, field: &str| {
            usize::try_from(v).map_err(|_| Error::parse(&path, 0, field, "too large"))
        };
        let shape = ImageShape {
            height: to_usize(height, "height")?,
            width: to_usize(width, "width")?,
            n_energies: to_usize(n_energies, "n_energies")?,
        };
        let mut energy_ev = vec![0.0; shape.n_energies];
        for e in &mut energy_ev {
            let mut b = [0u8; 8];
            reader.read_exact(&mut b).map_err(io)?;
            *e = f64::from_le_bytes(b);
        }
        validate_axis(&energy_ev)
            .map_err(|e| Error::parse(&path, 0, "energy axis", e.to_string()))?;
        Ok(RawImageFile {
            data_offset: RAW_HEADER_BYTES + 8 * n_energies,
            path,
            reader,
            shape,
            sample,
            energy_ev,
        })
    }
}

impl SpectralImageSource for RawImageFile {
    fn shape(&self) -> ImageShape {
        self.shape
    }

    fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    fn read_rows(&mut self, rows: Range<usize>, out: &mut Vec<f64>) -> Result<()> {
        check_rows(self.shape, &rows)?;
        let io = |e| Error::io(&self.path, e);
        let per_row = self.shape.values_in_rows(1);
        let bytes = self.sample.bytes();
        let offset = self.data_offset + (rows.start * per_row * bytes) as u64;
        self.reader.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut raw = vec![0u8; rows.len() * per_row * bytes];
        self.reader.read_exact(&mut raw).map_err(io)?;
        out.clear();
        out.extend(raw.chunks_exact(bytes).map(|c| match self.sample {
            RawSample::F32 => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            RawSample::F64 => f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        }));
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ramp_image() -> SpectralImage {
        let (h, w, ne) = (5, 3, 4);
        let data = (0..h * w * ne).map(|v| v as f64).collect();
        SpectralImage::new(h, w, vec![1.0, 2.0, 3.0, 4.0], data).unwrap()
    }

    #[test]
    fn row_blocks_and_tiles_cover_the_image_once() {
        let mut img = ramp_image();
        let all: Vec<f64> = row_blocks(&mut img, 2)
            .flat_map(|b| b.unwrap().data)
            .collect();
        assert_eq!(all, img.as_slice());
        let tiles: Vec<Tile> = tiles(&mut img, 2, 2).map(|t| t.unwrap()).collect();
        assert_eq!(tiles.len(), 3 * 2);
        let n: usize = tiles.iter().map(|t| t.data.len()).sum();
        assert_eq!(n, img.as_slice().len());
        let t = &tiles[1];
        assert_eq!((t.y0, t.x0, t.height, t.width), (0, 2, 2, 1));
        assert_eq!(&t.data[..4], img.pixel(0, 2).unwrap());
        assert_eq!(&t.data[4..], img.pixel(1, 2).unwrap());
    }

    #[test]
    fn rows_in_memory_are_the_rows_read() {
        let mut img = ramp_image();
        let mut read = Vec::new();
        img.read_rows(1..4, &mut read).unwrap();
        assert_eq!(img.rows_in_memory(1..4), Some(&read[..]));
        assert_eq!(img.rows_in_memory(0..0), Some(&[][..]));
        assert_eq!(img.rows_in_memory(4..6), None);
        assert_eq!(img.rows_in_memory(usize::MAX / 2..usize::MAX), None);
    }

    #[test]
    fn data_length_is_checked_without_overflow() {
        // 2^63 x 2 pixels x 2 energies wraps to 0 values in a plain product.
        let err = SpectralImage::new(1 << 63, 2, vec![1.0, 2.0], Vec::new()).unwrap_err();
        assert!(err.to_string().contains("data"), "{err}");
        assert!(SpectralImage::new(2, 3, vec![1.0, 2.0], vec![0.0; 11]).is_err());
    }

    #[test]
    fn raw_file_round_trip_and_corrupt_header() {
        let dir = std::env::temp_dir().join(format!("xas-core-img-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ramp.xsi");
        let mut img = ramp_image();
        let mut expected = Vec::new();
        img.read_rows(3..5, &mut expected).unwrap();
        assert_eq!(&expected[..], &img.as_slice()[3 * 12..]);
        // The ramp's integers are exact in f32 too, so both sample types round-trip.
        for sample in [RawSample::F32, RawSample::F64] {
            write_raw_image(&mut img, &path, sample, 2).unwrap();
            let mut raw = RawImageFile::open(&path).unwrap();
            assert_eq!(raw.shape(), img.shape());
            assert_eq!(raw.energy_ev(), img.energy_ev());
            let mut buf = Vec::new();
            raw.read_rows(3..5, &mut buf).unwrap();
            assert_eq!(buf, expected, "{sample:?}");
        }
        let mut raw = RawImageFile::open(&path).unwrap();
        assert!(raw.read_rows(4..6, &mut Vec::new()).is_err());
        assert_eq!(
            raw.rows_in_memory(0..1),
            None,
            "a file is read, not borrowed"
        );
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 1);
        std::fs::write(&path, &bytes).unwrap();
        let err = RawImageFile::open(&path).unwrap_err();
        assert!(err.to_string().contains("file size"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
