//! Crystal structures from CIF blocks: cell, space group and atoms with occupancy and
//! isotropic displacement `U_iso` (Å²; `B = 8π² U`).
//!
//! The space group is taken, in this order, from an explicit operator loop
//! (`_space_group_symop_operation_xyz` or `_symmetry_equiv_pos_as_xyz`), the
//! Hermann-Mauguin symbol (`_space_group_name_H-M_alt`, `_symmetry_space_group_name_H-M`),
//! or the number (`_space_group_IT_number`, `_symmetry_Int_Tables_number`).

use std::path::Path;

use crate::atomic_weight::atomic_weight;
use crate::cif::{Block, Cif, Value};
use crate::form_factor::FormFactor;
use crate::lattice::Cell;
use crate::symmetry::{SpaceGroup, SymOp};
use crate::{Error, Result};

/// `8π²`: `B = 8π² U`.
pub const EIGHT_PI_SQUARED: f64 = 8.0 * std::f64::consts::PI * std::f64::consts::PI;

/// An atom of the asymmetric unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    /// Site label (`O1`).
    pub label: String,
    /// Type symbol as given (`O2-`), which selects the form factor.
    pub type_symbol: String,
    /// Fractional coordinates.
    pub xyz: [f64; 3],
    /// Site occupancy (0-1).
    pub occupancy: f64,
    /// Isotropic displacement `U_iso` (Å²); for an anisotropic atom, its `U_eq`.
    pub u_iso: f64,
    /// Anisotropic displacements `(U¹¹, U²², U³³, U¹², U¹³, U²³)` (Å², [`crate::adp`]),
    /// which replace `U_iso` when present.
    pub u_aniso: Option<[f64; 6]>,
}

impl Atom {
    /// The element of the atom's type (`O2-` → `O`), or the type symbol as given when
    /// no scattering table knows it.
    pub fn element(&self) -> String {
        FormFactor::lookup(&self.type_symbol)
            .map_or_else(|_| self.type_symbol.clone(), |f| element_of(&f.species))
    }
}

/// A crystal structure: a phase of the pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Crystal {
    /// Phase name (the CIF's `_pd_phase_name`, or the block name).
    pub name: String,
    /// Unit cell.
    pub cell: Cell,
    /// Space group.
    pub group: SpaceGroup,
    /// Atoms of the asymmetric unit.
    pub atoms: Vec<Atom>,
}

/// Tag spellings (CIF 1.1 DDL1 and DDLm) of the items read here.
const OPS_TAGS: [&str; 2] = [
    "_space_group_symop_operation_xyz",
    "_symmetry_equiv_pos_as_xyz",
];
const HM_TAGS: [&str; 3] = [
    "_space_group_name_h-m_alt",
    "_symmetry_space_group_name_h-m",
    "_space_group_name_h-m_ref",
];
const NUMBER_TAGS: [&str; 2] = ["_space_group_it_number", "_symmetry_int_tables_number"];

impl Crystal {
    /// The structures of every block of a CIF file that has atoms.
    ///
    /// # Errors
    /// An unreadable or malformed file, or a block with atoms that cannot be
    /// interpreted (naming the file, line and item).
    pub fn read_cif(path: &Path) -> Result<Vec<Crystal>> {
        let cif = Cif::read(path)?;
        Self::from_cif(&cif, &path.display().to_string())
    }

    /// The structures of every block of `cif` that has an atom-site loop.
    ///
    /// # Errors
    /// No block with atoms, or a block that cannot be interpreted.
    pub fn from_cif(cif: &Cif, source_name: &str) -> Result<Vec<Crystal>> {
        let crystals: Vec<Crystal> = cif
            .blocks()
            .iter()
            .filter(|b| b.find_loop("_atom_site_fract_x").is_some())
            .map(|b| Crystal::from_block(b, source_name))
            .collect::<Result<_>>()?;
        if crystals.is_empty() {
            return Err(Error::missing(
                source_name,
                "a data block with an _atom_site_fract_x loop",
            ));
        }
        Ok(crystals)
    }

    /// The structure of one CIF block.
    ///
    /// # Errors
    /// A missing or bad cell parameter, space group or atom column.
    pub fn from_block(block: &Block, source_name: &str) -> Result<Crystal> {
        let ctx = Context { source_name, block };
        let cell = Cell::new(
            ctx.number("_cell_length_a")?,
            ctx.number("_cell_length_b")?,
            ctx.number("_cell_length_c")?,
            ctx.number("_cell_angle_alpha")?,
            ctx.number("_cell_angle_beta")?,
            ctx.number("_cell_angle_gamma")?,
        )
        .map_err(|e| Error::parse(source_name, 0, format!("block {}: {e}", block.name())))?;
        let group = ctx.space_group()?;
        let mut atoms = ctx.atoms()?;
        ctx.anisotropic(&mut atoms, &cell)?;
        let name = block
            .get_any(&[
                "_pd_phase_name",
                "_chemical_name_mineral",
                "_chemical_formula_sum",
            ])
            .map_or_else(|| block.name().to_string(), |v| v.text().to_string());
        Ok(Crystal {
            name,
            cell,
            group,
            atoms,
        })
    }

    /// Site multiplicity of each atom (number of distinct positions in the cell).
    pub fn multiplicities(&self) -> Vec<usize> {
        self.atoms
            .iter()
            .map(|a| self.group.orbit(a.xyz).len())
            .collect()
    }

    /// Mass of the unit-cell content, `Z M` (g/mol per cell): `Σ occupancy × multiplicity
    /// × atomic weight` over the sites.
    ///
    /// # Errors
    /// An atom type without a known element or atomic weight (named).
    pub fn cell_mass(&self) -> Result<f64> {
        self.atoms
            .iter()
            .zip(self.multiplicities())
            .map(|(atom, m)| {
                let z = FormFactor::lookup(&atom.type_symbol)?.z;
                let w = atomic_weight(z).ok_or_else(|| {
                    Error::param(&atom.label, format!("no atomic weight for element Z = {z}"))
                })?;
                Ok(atom.occupancy * m as f64 * w)
            })
            .sum()
    }

    /// The unit-cell content: (element, number of atoms in the cell, occupancy included).
    pub fn cell_content(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        for (atom, m) in self.atoms.iter().zip(self.multiplicities()) {
            let element = atom.element();
            let n = atom.occupancy * m as f64;
            match out.iter_mut().find(|(e, _)| *e == element) {
                Some((_, count)) => *count += n,
                None => out.push((element, n)),
            }
        }
        out
    }
}

/// The element part of a table species (`O2-` → `O`).
fn element_of(species: &str) -> String {
    species
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect()
}

/// A block being read, for error messages.
struct Context<'a> {
    source_name: &'a str,
    block: &'a Block,
}

impl Context<'_> {
    fn error(&self, line: usize, message: String) -> Error {
        Error::parse(
            self.source_name,
            line,
            format!("block {}: {message}", self.block.name()),
        )
    }

    fn number(&self, tag: &str) -> Result<f64> {
        let v = self.block.get(tag).ok_or_else(|| {
            Error::missing(
                self.source_name,
                format!("{tag} in block {}", self.block.name()),
            )
        })?;
        self.value_number(v, tag)
    }

    fn value_number(&self, v: &Value, tag: &str) -> Result<f64> {
        v.number()
            .map(|(x, _)| x)
            .ok_or_else(|| self.error(v.line(), format!("{tag}: `{}` is not a number", v.text())))
    }

    fn space_group(&self) -> Result<SpaceGroup> {
        let hm_value = self.block.get_any(&HM_TAGS);
        let hm = hm_value.map(|v| v.text().to_string());
        let number_value = self.block.get_any(&NUMBER_TAGS);
        let number = number_value.and_then(|v| v.number()).map(|(n, _)| n as i32);
        if let Some(lp) = self.block.find_loop_any(&OPS_TAGS) {
            let col = lp.column_of_any(&OPS_TAGS).unwrap_or(0);
            let ops = lp
                .rows()
                .iter()
                .map(|r| {
                    SymOp::parse(r[col].text())
                        .map_err(|e| self.error(r[col].line(), e.to_string()))
                })
                .collect::<Result<Vec<_>>>()?;
            let symbol = hm.unwrap_or_else(|| "from operator loop".into());
            return SpaceGroup::from_operations(&symbol, number, ops)
                .map_err(|e| self.error(lp.rows()[0][col].line(), e.to_string()));
        }
        if let (Some(symbol), Some(v)) = (hm, hm_value) {
            match SpaceGroup::from_hm(&symbol) {
                Ok(g) => return Ok(g),
                Err(e) if number.is_none() => return Err(self.error(v.line(), e.to_string())),
                Err(_) => {}
            }
        }
        match number {
            Some(n) => SpaceGroup::from_number(n)
                .map_err(|e| self.error(number_value.map_or(0, Value::line), e.to_string())),
            None => Err(Error::missing(
                self.source_name,
                format!(
                    "a space group in block {} (an operator loop, an H-M symbol or a number)",
                    self.block.name()
                ),
            )),
        }
    }

    /// Reads the `_atom_site_aniso_` loop (U or B components) into the atoms it names;
    /// their `U_iso` becomes `U_eq`.
    fn anisotropic(&self, atoms: &mut [Atom], cell: &Cell) -> Result<()> {
        let Some(lp) = self.block.find_loop("_atom_site_aniso_label") else {
            return Ok(());
        };
        let label = lp.column("_atom_site_aniso_label").unwrap_or(0);
        let names = ["11", "22", "33", "12", "13", "23"];
        let (columns, factor) = match names.map(|n| lp.column(&format!("_atom_site_aniso_u_{n}"))) {
            c if c.iter().all(Option::is_some) => (c, 1.0),
            _ => (
                names.map(|n| lp.column(&format!("_atom_site_aniso_b_{n}"))),
                1.0 / EIGHT_PI_SQUARED,
            ),
        };
        if columns.iter().any(Option::is_none) {
            return Err(self.error(
                lp.rows().first().map_or(0, |r| r[label].line()),
                "the aniso loop needs all six _atom_site_aniso_U_ij (or B_ij) columns".into(),
            ));
        }
        for row in lp.rows() {
            let name = row[label].text();
            let atom = atoms.iter_mut().find(|a| a.label == name).ok_or_else(|| {
                self.error(
                    row[label].line(),
                    format!("aniso label `{name}` is not an atom site"),
                )
            })?;
            let mut u = [0.0; 6];
            for (k, c) in columns.iter().enumerate() {
                let c = c.unwrap_or(0);
                u[k] = factor * self.value_number(&row[c], "_atom_site_aniso_U")?;
            }
            atom.u_iso = crate::adp::equivalent(&u, cell);
            atom.u_aniso = Some(u);
        }
        Ok(())
    }

    fn atoms(&self) -> Result<Vec<Atom>> {
        let lp = self
            .block
            .find_loop("_atom_site_fract_x")
            .ok_or_else(|| Error::missing(self.source_name, "the _atom_site loop"))?;
        let col = |tag: &str| {
            lp.column(tag).ok_or_else(|| {
                Error::missing(self.source_name, format!("{tag} in the atom-site loop"))
            })
        };
        let label = col("_atom_site_label")?;
        let xyz = [
            col("_atom_site_fract_x")?,
            col("_atom_site_fract_y")?,
            col("_atom_site_fract_z")?,
        ];
        let type_col = lp.column("_atom_site_type_symbol").unwrap_or(label);
        let occ = lp.column("_atom_site_occupancy");
        let u = lp.column("_atom_site_u_iso_or_equiv");
        let b = lp.column("_atom_site_b_iso_or_equiv");
        lp.rows()
            .iter()
            .map(|row| {
                let num = |c: usize, tag: &str| self.value_number(&row[c], tag);
                let optional = |c: Option<usize>, tag: &str| -> Result<Option<f64>> {
                    match c {
                        Some(c) if !row[c].is_null() => num(c, tag).map(Some),
                        _ => Ok(None),
                    }
                };
                let u_iso = match (
                    optional(u, "_atom_site_U_iso_or_equiv")?,
                    optional(b, "_atom_site_B_iso_or_equiv")?,
                ) {
                    (Some(u), _) => u,
                    (None, Some(b)) => b / EIGHT_PI_SQUARED,
                    (None, None) => 0.0,
                };
                let atom = Atom {
                    label: row[label].text().to_string(),
                    type_symbol: row[type_col].text().to_string(),
                    xyz: [
                        num(xyz[0], "_atom_site_fract_x")?,
                        num(xyz[1], "_atom_site_fract_y")?,
                        num(xyz[2], "_atom_site_fract_z")?,
                    ],
                    occupancy: optional(occ, "_atom_site_occupancy")?.unwrap_or(1.0),
                    u_iso,
                    u_aniso: None,
                };
                FormFactor::lookup(&atom.type_symbol)
                    .map_err(|e| self.error(row[type_col].line(), e.to_string()))?;
                Ok(atom)
            })
            .collect()
    }
}
