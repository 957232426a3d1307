//! [`Library::from_files`]: a library from spectrum files and a labels CSV.

use std::path::{Path, PathBuf};

use xas_core::edge_step::flattened_edge_step;
use xas_core::grid::median_step;
use xas_core::{
    Extrapolation, Interpolation, ReadOptions, SpectraMatrix, Spectrum, interpolate, uniform_grid,
};

use super::Library;
use super::labels::{Column, LabelTable};
use crate::error::{Error, Result};

/// Options of [`Library::from_files`]. The default reads every file with default
/// [`ReadOptions`], keeps every label column with detected types, does not normalise,
/// and interpolates linearly onto the overlap of the files' energy ranges.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FromFilesOptions {
    /// How the spectrum files are read (format, energy and intensity columns).
    pub read: ReadOptions,
    /// Label columns that are categorical even when every value is a number (e.g. an
    /// oxidation state written as `2`, `3`). Each must be a column of the labels file.
    pub categorical: Vec<String>,
    /// Label columns to keep (all when `None`). Each must be a column of the labels
    /// file; the `file`/`name` column is not a label.
    pub columns: Option<Vec<String>>,
    /// Edge-step normalise and flatten each spectrum before interpolation
    /// ([`xas_core::normalize_edge_step`] with [`xas_core::EdgeStepParams::default`], Larch's
    /// `pre_edge` defaults; meant for K-edge XANES/EXAFS). Default `false`.
    pub edge_step: bool,
    /// The common energy grid as `(start_ev, stop_ev, step_ev)` (eV, see
    /// [`xas_core::uniform_grid`]); by default the overlap of all files' energy ranges
    /// with the median of the files' median point spacings as step.
    pub grid: Option<(f64, f64, f64)>,
    /// Interpolation onto the grid (default [`Interpolation::Linear`]).
    pub interpolation: Interpolation,
}

impl FromFilesOptions {
    /// Checks what can be checked without files: the grid.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `grid` when it is not a valid uniform grid
    /// (non-finite values, `step_ev <= 0`, `stop_ev <= start_ev`, fewer than 2 points).
    pub fn validate(&self) -> Result<()> {
        self.explicit_grid().map(|_| ())
    }

    fn explicit_grid(&self) -> Result<Option<Vec<f64>>> {
        match self.grid {
            None => Ok(None),
            Some((start, stop, step)) => uniform_grid(start, stop, step)
                .map(Some)
                .map_err(|e| Error::param("grid", format!("({start}, {stop}, {step}) eV: {e}"))),
        }
    }
}

/// See [`Library::from_files`].
pub(super) fn from_files(
    labels_csv: &Path,
    files: &[PathBuf],
    options: &FromFilesOptions,
) -> Result<Library> {
    let explicit_grid = options.explicit_grid()?;
    if files.is_empty() {
        return Err(Error::param("files", "no spectrum files given"));
    }
    let table = LabelTable::read(labels_csv)?;
    let available = table.label_columns();
    let known = |name: &String, option: &str| -> Result<()> {
        if available.contains(&name.as_str()) {
            Ok(())
        } else {
            Err(Error::param(
                option,
                format!(
                    "`{name}` is not a label column of {}; available: {}",
                    labels_csv.display(),
                    available.join(", ")
                ),
            ))
        }
    };
    for name in &options.categorical {
        known(name, "categorical")?;
    }
    let kept: Vec<String> = match &options.columns {
        Some(columns) => {
            let mut kept: Vec<String> = Vec::with_capacity(columns.len());
            for name in columns {
                known(name, "columns")?;
                if !kept.contains(name) {
                    kept.push(name.clone());
                }
            }
            kept
        }
        None => available.iter().map(|s| (*s).to_owned()).collect(),
    };
    let rows = table.match_files(files)?;
    let mut labels = Vec::with_capacity(kept.len());
    for name in &kept {
        let forced = options.categorical.contains(name);
        labels.push((name.clone(), table.column(name, &rows, forced)?));
    }

    let spectra = files
        .iter()
        .map(|file| read_one(file, options))
        .collect::<Result<Vec<_>>>()?;
    let (grid, grid_note) = match explicit_grid {
        Some(grid) => (grid, "given".to_owned()),
        None => (
            default_grid(files, &spectra)?,
            "overlap of the files' ranges, median point spacing".to_owned(),
        ),
    };
    let (first, last) = (grid[0], grid[grid.len() - 1]);
    let mut matrix = SpectraMatrix::new(grid)?;
    for ((file, spectrum), &row) in files.iter().zip(&spectra).zip(&rows) {
        let energy = spectrum.energy_ev();
        let (lo, hi) = (energy[0], energy[energy.len() - 1]);
        if lo > first || hi < last {
            return Err(Error::data(
                format!("file `{}`", file.display()),
                format!(
                    "covers [{lo}, {hi}] eV but the grid spans [{first}, {last}] eV; \
                     choose a grid inside every file's range"
                ),
            ));
        }
        let values = interpolate(
            energy,
            spectrum.intensity(),
            matrix.energy_ev(),
            options.interpolation,
            Extrapolation::Error,
        )
        .map_err(|e| {
            Error::data(
                format!("file `{}`", file.display()),
                format!("interpolation failed: {e}"),
            )
        })?;
        matrix.push_row(table.key(row), &values)?;
    }
    let mut column_note = Vec::with_capacity(labels.len());
    for (name, column) in labels {
        match column {
            Column::Numeric(values) => {
                column_note.push(format!("{name} (numeric)"));
                matrix.set_numeric_label(name, values)?;
            }
            Column::Categorical(values) => {
                column_note.push(format!("{name} (categorical)"));
                matrix.set_categorical_label(name, values)?;
            }
        }
    }

    let mut library = Library::new(matrix)?.with_provenance(
        "generator",
        format!(
            "xas-metrics {} Library::from_files",
            env!("CARGO_PKG_VERSION")
        ),
    );
    library.add_provenance("labels", labels_csv.display().to_string());
    library.add_provenance("label_columns", column_note.join(", "));
    for file in files {
        library.add_provenance("source", file.display().to_string());
    }
    library.add_provenance(
        super::EDGE_STEP_KEY,
        if options.edge_step {
            "xas_core::edge_step::flattened_edge_step (Larch pre_edge defaults)"
        } else {
            super::EDGE_STEP_NONE
        },
    );
    library.add_provenance(
        "grid_ev",
        format!(
            "{first} to {last}, {} points ({grid_note})",
            library.n_points()
        ),
    );
    library.add_provenance(
        "interpolation",
        format!("{:?}", options.interpolation).to_lowercase(),
    );
    Ok(library)
}

/// Reads the one spectrum of `file`, edge-step normalised when asked.
fn read_one(file: &Path, options: &FromFilesOptions) -> Result<Spectrum> {
    let mut spectra = xas_core::read_file_with(file, &options.read)?;
    if spectra.len() != 1 {
        return Err(Error::data(
            format!("file `{}`", file.display()),
            format!(
                "holds {} spectra; a library takes one spectrum per file",
                spectra.len()
            ),
        ));
    }
    let spectrum = spectra.remove(0);
    if !options.edge_step {
        return Ok(spectrum);
    }
    flattened_edge_step(&spectrum).map_err(|e| {
        Error::data(
            format!("file `{}`", file.display()),
            format!("edge-step normalisation failed: {e}"),
        )
    })
}

/// The overlap of all energy ranges, with the median of the files' median spacings.
fn default_grid(files: &[PathBuf], spectra: &[Spectrum]) -> Result<Vec<f64>> {
    let mut lo = (f64::NEG_INFINITY, 0);
    let mut hi = (f64::INFINITY, 0);
    let mut spacings = Vec::with_capacity(spectra.len());
    for (i, spectrum) in spectra.iter().enumerate() {
        let energy = spectrum.energy_ev();
        let (first, last) = (energy[0], energy[energy.len() - 1]);
        if first > lo.0 {
            lo = (first, i);
        }
        if last < hi.0 {
            hi = (last, i);
        }
        // A spectrum's axis has at least two points.
        spacings.extend(median_step(energy));
    }
    if lo.0 >= hi.0 {
        let range = |i: usize| {
            let e = spectra[i].energy_ev();
            format!(
                "`{}` covers [{}, {}] eV",
                files[i].display(),
                e[0],
                e[e.len() - 1]
            )
        };
        return Err(Error::data(
            "files",
            format!(
                "the energy ranges do not overlap: {} and {}",
                range(lo.1),
                range(hi.1)
            ),
        ));
    }
    let step = median(&mut spacings);
    uniform_grid(lo.0, hi.0, step).map_err(|e| {
        Error::data(
            "files",
            format!(
                "no common grid from {} to {} eV with the median spacing {step} eV: {e}",
                lo.0, hi.0
            ),
        )
    })
}

/// The median (mean of the two middle values for an even count); 0 for none.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}
