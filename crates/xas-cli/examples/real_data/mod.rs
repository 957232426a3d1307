//! Measured reference spectra of `../shared/data/xas/` as labelled spectra matrices,
//! shared by the real-data examples (`#[path]`-included; not an example itself).
#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xas_core::SpectraMatrix;
use xas_core::io::{ColumnSelector, ReadOptions};
use xas_metrics::library::{FromFilesOptions, Library};

/// `../shared/data/xas/` beside the workspace.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xas")
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One folder of reference files: how to read them, and `(file, valence, compound)`.
pub type ReferenceSet<'a> = (&'a str, ReadOptions, Vec<(&'a str, &'a str, &'a str)>);

/// Reads the Larch-converted `.dat` files: calibrated energy and raw mu.
pub fn larch_columns() -> ReadOptions {
    ReadOptions {
        x_column: Some(ColumnSelector::Name("energy_cal_eV".into())),
        y_column: Some(ColumnSelector::Name("mu".into())),
        ..ReadOptions::default()
    }
}

/// The reference sets, edge-step normalised and resampled onto `grid` (start, stop,
/// step in eV), merged into one matrix with `valence` and `compound` labels.
pub fn references(sets: &[ReferenceSet], grid: (f64, f64, f64)) -> SpectraMatrix {
    let tmp = std::env::temp_dir().join(format!("xas-real-data-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut merged: Option<SpectraMatrix> = None;
    let (mut valence, mut compound) = (Vec::new(), Vec::new());
    for (k, (folder, read, rows)) in sets.iter().enumerate() {
        let mut csv = String::from("file,valence,compound\n");
        for (file, v, c) in rows {
            writeln!(csv, "{file},{v},{c}").unwrap();
        }
        let labels = tmp.join(format!("labels{k}.csv"));
        std::fs::write(&labels, csv).unwrap();
        let files: Vec<PathBuf> = rows.iter().map(|r| data().join(folder).join(r.0)).collect();
        let options = FromFilesOptions {
            read: read.clone(),
            categorical: vec!["valence".into()],
            edge_step: true,
            grid: Some(grid),
            ..FromFilesOptions::default()
        };
        let lib = Library::from_files(&labels, &files, &options)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_spectra();
        valence.extend_from_slice(lib.categorical_label("valence").unwrap());
        compound.extend_from_slice(lib.categorical_label("compound").unwrap());
        let m = merged.get_or_insert_with(|| SpectraMatrix::new(lib.energy_ev().to_vec()).unwrap());
        for (name, row) in lib.names().iter().zip(lib.rows()) {
            m.push_row(name.clone(), row).unwrap();
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    let mut library = merged.unwrap();
    library.set_categorical_label("valence", valence).unwrap();
    library.set_categorical_label("compound", compound).unwrap();
    library
}

/// The 38 Cu K HERFD scans of seven compounds (with replicates) on 8970-9030 eV in
/// 0.25 eV steps; CuS (mixed valence) is labelled `other`.
pub fn cu_herfd() -> SpectraMatrix {
    let folder = "cu_k_herfd_valence_larch";
    let mut names: Vec<String> = std::fs::read_dir(data().join(folder))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".dat"))
        .collect();
    names.sort();
    let classes = [
        ("CuHERFD_CuFoil.", "0", "Cu metal"),
        ("CuHERFD_Cu_Foil.", "0", "Cu metal"),
        ("CuHERFD_Cu_I_O.", "1", "Cu2O"),
        ("CuHERFD_Cu2S.", "1", "Cu2S"),
        ("CuHERFD_Chalcopyrite.", "1", "CuFeS2"),
        ("CuHERFD_CuS.", "other", "CuS"),
        ("CuHERFD_nanoCuO.", "2", "nano-CuO"),
        ("CuHERFD_CuSO4.", "2", "CuSO4"),
    ];
    let rows: Vec<(&str, &str, &str)> = names
        .iter()
        .map(|name| {
            let (_, v, c) = classes
                .iter()
                .find(|(prefix, _, _)| name.contains(prefix))
                .unwrap_or_else(|| panic!("unclassified {name}"));
            (name.as_str(), *v, *c)
        })
        .collect();
    references(&[(folder, larch_columns(), rows)], (8970.0, 9030.0, 0.25))
}
