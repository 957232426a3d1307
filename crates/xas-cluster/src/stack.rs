//! Readers of spectral image stacks: multi-page TIFF (one page per energy) with an
//! energies file, and the columns files that go with stacks (energies, I0, reference
//! spectra). Raw stacks are `xas_core::RawImageFile`.
//!
//! A TIFF stack is read strip by strip: a block of rows costs one pass over the pages
//! and holds only the strips it needs, never whole pages of a large image.

use std::fs::File;
use std::io::BufReader;
use std::ops::Range;
use std::path::{Path, PathBuf};

use tiff::decoder::{Decoder, DecodingResult, Limits};
use xas_core::{ImageShape, SpectralImageSource};

use crate::error::{Error, Result};

/// A multi-page TIFF, axis order (energy, y, x): page `k` is the image at energy `k`.
/// Pages must be single-channel of one size; samples may be any integer or float
/// type.
#[derive(Debug)]
pub struct TiffStack {
    path: PathBuf,
    decoder: Decoder<BufReader<File>>,
    shape: ImageShape,
    energy_ev: Vec<f64>,
}

fn tiff_error(path: &Path, page: usize, e: impl std::fmt::Display) -> Error {
    Error::Core(xas_core::Error::parse(
        path,
        0,
        format!("TIFF page {page}"),
        e.to_string(),
    ))
}

impl TiffStack {
    /// Opens `path` with one energy (eV) per page.
    ///
    /// # Errors
    /// [`Error::Core`] naming the file and page for unreadable or inconsistent pages,
    /// and when the number of pages differs from the number of energies.
    pub fn open(path: impl AsRef<Path>, energy_ev: Vec<f64>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| xas_core::Error::io(&path, e))?;
        let mut decoder = Decoder::new(BufReader::new(file))
            .map_err(|e| tiff_error(&path, 0, e))?
            .with_limits(Limits::unlimited());
        let (width, height) = decoder.dimensions().map_err(|e| tiff_error(&path, 0, e))?;
        let mut pages = 1;
        while decoder.more_images() {
            decoder
                .next_image()
                .map_err(|e| tiff_error(&path, pages, e))?;
            let dims = decoder
                .dimensions()
                .map_err(|e| tiff_error(&path, pages, e))?;
            if dims != (width, height) {
                return Err(tiff_error(
                    &path,
                    pages,
                    format!("is {}x{}, page 0 is {width}x{height}", dims.0, dims.1),
                ));
            }
            pages += 1;
        }
        if pages != energy_ev.len() {
            return Err(Error::param(
                "energies",
                format!(
                    "{} energies for the {pages} pages of {}",
                    energy_ev.len(),
                    path.display()
                ),
            ));
        }
        xas_core::spectrum::validate_axis(&energy_ev)?;
        Ok(TiffStack {
            shape: ImageShape {
                height: height as usize,
                width: width as usize,
                n_energies: pages,
            },
            path,
            decoder,
            energy_ev,
        })
    }

    /// Rows `rows` of page `k` into `out[(row, x) * n_energies + k]`.
    fn read_page_rows(&mut self, k: usize, rows: &Range<usize>, out: &mut [f64]) -> Result<()> {
        let path = self.path.clone();
        let err = |e: tiff::TiffError| tiff_error(&path, k, e);
        self.decoder.seek_to_image(k).map_err(err)?;
        let (w, l) = (self.shape.width, self.shape.n_energies);
        let stripped = matches!(
            self.decoder.get_chunk_type(),
            tiff::decoder::ChunkType::Strip
        );
        let rows_per_chunk = if stripped {
            self.decoder.chunk_dimensions().1 as usize
        } else {
            self.shape.height
        };
        let mut y = rows.start;
        while y < rows.end {
            let chunk = y / rows_per_chunk;
            let values = if stripped {
                to_f64(self.decoder.read_chunk(chunk as u32).map_err(err)?)
            } else {
                to_f64(self.decoder.read_image().map_err(err)?)
            }
            .ok_or_else(|| tiff_error(&path, k, "sample type is not supported"))?;
            let first = chunk * rows_per_chunk;
            let last = (first + rows_per_chunk).min(rows.end);
            if values.len() < (last - first) * w {
                return Err(tiff_error(&path, k, "is not single-channel"));
            }
            for yy in y..last {
                for x in 0..w {
                    out[((yy - rows.start) * w + x) * l + k] = values[(yy - first) * w + x];
                }
            }
            y = last;
        }
        Ok(())
    }
}

fn to_f64(d: DecodingResult) -> Option<Vec<f64>> {
    fn conv<T: Copy + Into<f64>>(v: Vec<T>) -> Vec<f64> {
        v.into_iter().map(Into::into).collect()
    }
    Some(match d {
        DecodingResult::U8(v) => conv(v),
        DecodingResult::U16(v) => conv(v),
        DecodingResult::U32(v) => conv(v),
        DecodingResult::I8(v) => conv(v),
        DecodingResult::I16(v) => conv(v),
        DecodingResult::I32(v) => conv(v),
        DecodingResult::F32(v) => conv(v),
        DecodingResult::F64(v) => v,
        _ => return None,
    })
}

impl SpectralImageSource for TiffStack {
    fn shape(&self) -> ImageShape {
        self.shape
    }

    fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    fn read_rows(&mut self, rows: Range<usize>, out: &mut Vec<f64>) -> xas_core::Result<()> {
        xas_core::image::check_rows(self.shape, &rows)?;
        out.clear();
        out.resize(rows.len() * self.shape.width * self.shape.n_energies, 0.0);
        for k in 0..self.shape.n_energies {
            self.read_page_rows(k, &rows, out).map_err(|e| match e {
                Error::Core(c) => c,
                other => xas_core::Error::data("TIFF", other.to_string()),
            })?;
        }
        Ok(())
    }
}

/// Reads a whitespace- or comma-separated numeric columns file: returns the rows of
/// numbers (lines starting with `#` and blank lines skipped; a first line that is not
/// numeric is taken as a header).
///
/// # Errors
/// [`Error::Core`] naming the file and line of a value that is not a number or a row
/// with fewer columns than the first.
pub fn read_columns(path: impl AsRef<Path>) -> Result<Vec<Vec<f64>>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| xas_core::Error::io(path, e))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        let parsed: std::result::Result<Vec<f64>, _> =
            fields.iter().map(|f| f.parse::<f64>()).collect();
        match parsed {
            Ok(v) => {
                if let Some(first) = rows.first()
                    && v.len() < first.len()
                {
                    return Err(xas_core::Error::parse(
                        path,
                        i + 1,
                        "columns",
                        format!("{} values, the first row has {}", v.len(), first.len()),
                    )
                    .into());
                }
                rows.push(v);
            }
            Err(_) if rows.is_empty() => {}
            Err(_) => {
                return Err(xas_core::Error::parse(
                    path,
                    i + 1,
                    "value",
                    format!("`{line}` is not numeric"),
                )
                .into());
            }
        }
    }
    if rows.is_empty() {
        return Err(xas_core::Error::parse(path, 0, "values", "no numeric rows").into());
    }
    Ok(rows)
}

/// Column `c` (0-based) of a columns file.
///
/// # Errors
/// As [`read_columns`]; [`Error::InvalidParameter`] when the file has no column `c`.
pub fn read_column(path: impl AsRef<Path>, c: usize) -> Result<Vec<f64>> {
    let path = path.as_ref();
    column(&read_columns(path)?, c, path)
}

/// The last column of a columns file (the values of an `energy value` file, or the
/// only column).
///
/// # Errors
/// As [`read_columns`].
pub fn read_values(path: impl AsRef<Path>) -> Result<Vec<f64>> {
    let path = path.as_ref();
    let rows = read_columns(path)?;
    column(&rows, rows[0].len() - 1, path)
}

fn column(rows: &[Vec<f64>], c: usize, path: &Path) -> Result<Vec<f64>> {
    rows.iter()
        .map(|r| r.get(c).copied())
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| {
            Error::param(
                path.display().to_string(),
                format!("has no column {}", c + 1),
            )
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tiff::encoder::{TiffEncoder, colortype::Gray16};

    /// Counts of pixel (y, x) on page k of the test stack.
    fn counts(y: usize, x: usize, k: usize) -> u16 {
        (1000 * k + 10 * y + x) as u16
    }

    #[test]
    fn uint16_stack_is_read_across_strips() {
        let (w, h, pages) = (4, 7, 3);
        let dir = std::env::temp_dir().join(format!("xas-cluster-stack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("u16.tif");
        let mut enc = TiffEncoder::new(File::create(&path).unwrap()).unwrap();
        for k in 0..pages {
            let mut image = enc.new_image::<Gray16>(w as u32, h as u32).unwrap();
            image.rows_per_strip(3).unwrap();
            let mut y = 0;
            while image.next_strip_sample_count() > 0 {
                let rows = (image.next_strip_sample_count() as usize) / w;
                let strip: Vec<u16> = (y..y + rows)
                    .flat_map(|yy| (0..w).map(move |x| counts(yy, x, k)))
                    .collect();
                image.write_strip(&strip).unwrap();
                y += rows;
            }
            image.finish().unwrap();
        }
        let mut stack = TiffStack::open(&path, vec![707.0, 708.0, 709.0]).unwrap();
        assert_eq!(
            stack.shape(),
            ImageShape {
                height: h,
                width: w,
                n_energies: pages
            }
        );
        // Rows 2..7 straddle the strips 0..3, 3..6 and 6..7.
        let mut out = Vec::new();
        stack.read_rows(2..7, &mut out).unwrap();
        let expected: Vec<f64> = (2..7)
            .flat_map(|y| {
                (0..w).flat_map(move |x| (0..pages).map(move |k| f64::from(counts(y, x, k))))
            })
            .collect();
        assert_eq!(out, expected);
        assert!(stack.read_rows(5..8, &mut out).is_err());
    }
}
