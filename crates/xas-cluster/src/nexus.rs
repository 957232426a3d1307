//! NeXus NXstxm stacks (HDF5), read with the pure-Rust `hdf5-reader`: no system
//! libhdf5. The image stack is the 3-D dataset `data` of an NXdata group, axis order
//! (energy, y, x), with the photon energies (eV) in the sibling dataset `energy`; the
//! incident intensity, when recorded, is the `data` of the entry's NXmonitor group
//! `control`. Row blocks are read as hyperslabs, so only the chunks they touch are
//! decompressed.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hdf5_reader::{Dataset, Hdf5File, SliceInfo, SliceInfoElem};
use xas_core::{ImageShape, SpectralImageSource};

use crate::error::{Error, Result};

/// An NXstxm image stack.
pub struct NxStxm {
    path: PathBuf,
    data_path: String,
    data: Dataset,
    shape: ImageShape,
    energy_ev: Vec<f64>,
    i0: Option<Vec<f64>>,
}

impl std::fmt::Debug for NxStxm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NxStxm")
            .field("path", &self.path)
            .field("data_path", &self.data_path)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

fn h5_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Core(xas_core::Error::parse(path, 0, what, e.to_string()))
}

/// All values of `ds` (or of the hyperslab `selection`) as f64, whatever the stored
/// numeric type.
fn read_f64(
    ds: &Dataset,
    selection: Option<&SliceInfo>,
) -> std::result::Result<Vec<f64>, hdf5_reader::error::Error> {
    macro_rules! attempt {
        ($t:ty) => {
            let read = match selection {
                Some(s) => ds.read_slice::<$t>(s),
                None => ds.read_array::<$t>(),
            };
            if let Ok(a) = read {
                return Ok(a.iter().map(|&v| f64::from(v)).collect());
            }
        };
    }
    attempt!(f32);
    attempt!(u16);
    attempt!(i16);
    attempt!(u32);
    attempt!(i32);
    attempt!(u8);
    match selection {
        Some(s) => ds.read_slice::<f64>(s),
        None => ds.read_array::<f64>(),
    }
    .map(|a| a.iter().copied().collect())
}

impl NxStxm {
    /// Opens `path`. `data_path` names the stack dataset (e.g. `/entry1/counter0/data`);
    /// `None` takes the first NXdata-like group (a group holding a 3-D `data` and an
    /// `energy`) of the first entry that has one.
    ///
    /// # Errors
    /// [`Error::Core`] naming the file and the dataset that is missing, not 3-D, or
    /// inconsistent with its energies.
    pub fn open(path: impl AsRef<Path>, data_path: Option<&str>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = Hdf5File::open(&path).map_err(|e| h5_error(&path, "HDF5 file", e))?;
        let data_path = match data_path {
            Some(p) => p.trim_start_matches('/').to_string(),
            None => find_stack(&file).ok_or_else(|| {
                h5_error(
                    &path,
                    "NXdata",
                    "no group with a 3-D `data` and an `energy` dataset",
                )
            })?,
        };
        let data = file
            .dataset(&data_path)
            .map_err(|e| h5_error(&path, &data_path, e))?;
        let dims: Vec<usize> = data.shape().iter().map(|&d| d as usize).collect();
        let [n_e, height, width] = dims[..] else {
            return Err(h5_error(
                &path,
                &data_path,
                format!("has shape {dims:?}, expected (energy, y, x)"),
            ));
        };
        let parent = data_path.rsplit_once('/').map_or("", |(p, _)| p);
        let energy_path = format!("{parent}/energy");
        let energy = file
            .dataset(&energy_path)
            .map_err(|e| h5_error(&path, &energy_path, e))?;
        let energy_ev = read_f64(&energy, None).map_err(|e| h5_error(&path, &energy_path, e))?;
        if energy_ev.len() != n_e {
            return Err(h5_error(
                &path,
                &energy_path,
                format!(
                    "has {} values for the {n_e} images of {data_path}",
                    energy_ev.len()
                ),
            ));
        }
        xas_core::spectrum::validate_axis(&energy_ev)
            .map_err(|e| h5_error(&path, &energy_path, e))?;
        let entry = data_path.split('/').next().unwrap_or("");
        let i0 = file
            .dataset(&format!("{entry}/control/data"))
            .ok()
            .and_then(|d| read_f64(&d, None).ok())
            .filter(|v| v.len() == n_e);
        Ok(NxStxm {
            path,
            data_path,
            data,
            shape: ImageShape {
                height,
                width,
                n_energies: n_e,
            },
            energy_ev,
            i0,
        })
    }

    /// The incident intensity per energy recorded in the file (the entry's
    /// `control/data`), if any.
    pub fn i0(&self) -> Option<&[f64]> {
        self.i0.as_deref()
    }

    /// Path of the stack dataset inside the file.
    pub fn data_path(&self) -> &str {
        &self.data_path
    }
}

/// `entry/group/data` of the first group holding a 3-D `data` and an `energy`.
fn find_stack(file: &Hdf5File) -> Option<String> {
    let root = file.root_group().ok()?;
    for entry in root.groups().ok()? {
        for group in entry.groups().ok()? {
            let (_, names) = group.member_names().ok()?;
            if names.iter().any(|n| n == "energy")
                && let Ok(d) = group.dataset("data")
                && d.shape().len() == 3
            {
                return Some(format!("{}/{}/data", entry.name(), group.name()));
            }
        }
    }
    None
}

impl SpectralImageSource for NxStxm {
    fn shape(&self) -> ImageShape {
        self.shape
    }

    fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    fn read_rows(&mut self, rows: Range<usize>, out: &mut Vec<f64>) -> xas_core::Result<()> {
        let ImageShape {
            width, n_energies, ..
        } = self.shape;
        xas_core::image::check_rows(self.shape, &rows)?;
        let span = |r: Range<usize>| SliceInfoElem::Slice {
            start: r.start as u64,
            end: r.end as u64,
            step: 1,
        };
        let selection = SliceInfo {
            selections: vec![span(0..n_energies), span(rows.clone()), span(0..width)],
        };
        let values = read_f64(&self.data, Some(&selection)).map_err(|e| {
            xas_core::Error::parse(&self.path, 0, self.data_path.clone(), e.to_string())
        })?;
        // (energy, y, x) to pixel-interleaved rows.
        let plane = rows.len() * width;
        out.clear();
        out.resize(plane * n_energies, 0.0);
        for (k, image) in values.chunks_exact(plane).enumerate() {
            for (p, &v) in image.iter().enumerate() {
                out[p * n_energies + k] = v;
            }
        }
        Ok(())
    }
}
