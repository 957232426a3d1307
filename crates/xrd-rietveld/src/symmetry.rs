//! Space-group symmetry: operations `x' = R x + t` on fractional coordinates, read from
//! `x,y+1/2,-z` strings (a CIF's operator loop) or generated from a Hermann-Mauguin symbol
//! or an International Tables number through `moyo`'s table of the 530 Hall settings;
//! the Laue group, equivalent reflections, systematic absences and orbits of positions.
//!
//! Reflections transform as row vectors: `h · (R x + t) = (h R) · x + h · t`, so `h R` is
//! equivalent to `h`, and a reflection with `h R = h` but `h · t` not an integer has a
//! structure factor that vanishes for every structure (a systematic absence).

use std::fmt;

use moyo::base::Operation;
use moyo::data::{HallSymbolEntry, Setting, hall_symbol_entry, operations_from_number};

use crate::{Error, Result};

/// Tolerance on fractional coordinates when comparing positions or translations.
const FRAC_TOL: f64 = 1e-4;

/// A symmetry operation `x' = R x + t` (fractional coordinates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymOp {
    /// Rotation part `R` (integer matrix in the lattice basis), row-major.
    pub rotation: [[i32; 3]; 3],
    /// Translation part `t` (fractions of the cell edges), reduced to `[0, 1)`.
    pub translation: [f64; 3],
}

/// Reduces a fractional coordinate to `[0, 1)`.
fn wrap(x: f64) -> f64 {
    let r = x - x.floor();
    if r >= 1.0 - 1e-12 { 0.0 } else { r }
}

/// Whether two fractional coordinates are equal modulo 1.
fn same_mod_one(a: f64, b: f64) -> bool {
    let d = (a - b) - (a - b).round();
    d.abs() < FRAC_TOL
}

impl SymOp {
    /// The identity.
    pub const IDENTITY: SymOp = SymOp {
        rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        translation: [0.0; 3],
    };

    /// Parses `x,y+1/2,-z`-style text (CIF `_space_group_symop_operation_xyz`); terms
    /// are `x`, `y`, `z` with an optional sign and integer factor, and constants as
    /// fractions (`1/2`) or decimals (`0.5`). Case and spaces are ignored.
    ///
    /// # Errors
    /// Not three components, or a term that is not a coordinate or a number.
    pub fn parse(text: &str) -> Result<Self> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let parts: Vec<&str> = clean.split(',').collect();
        let bad = |why: &str| Error::param("symmetry operation", format!("`{text}`: {why}"));
        if parts.len() != 3 {
            return Err(bad("expected three comma-separated components"));
        }
        let mut op = SymOp {
            rotation: [[0; 3]; 3],
            translation: [0.0; 3],
        };
        for (row, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(bad("empty component"));
            }
            for term in signed_terms(part) {
                let (sign, body) = match term.strip_prefix('-') {
                    Some(b) => (-1.0, b),
                    None => (1.0, term.strip_prefix('+').unwrap_or(term)),
                };
                match body.chars().last() {
                    Some(axis @ ('x' | 'y' | 'z')) => {
                        let factor = &body[..body.len() - 1];
                        let factor: i32 = match factor.strip_suffix('*').unwrap_or(factor) {
                            "" => 1,
                            f => f.parse().map_err(|_| bad("bad factor of a coordinate"))?,
                        };
                        let col = (axis as u8 - b'x') as usize;
                        op.rotation[row][col] += sign as i32 * factor;
                    }
                    _ => {
                        let value = parse_fraction(body).ok_or_else(|| {
                            bad(&format!("`{body}` is neither a coordinate nor a number"))
                        })?;
                        op.translation[row] += sign * value;
                    }
                }
            }
        }
        op.translation = op.translation.map(wrap);
        if determinant(&op.rotation).abs() != 1 {
            return Err(bad("the rotation part is not invertible over the integers"));
        }
        Ok(op)
    }

    /// Applies the operation to fractional coordinates (no reduction modulo 1).
    pub fn apply(&self, x: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| {
            (0..3)
                .map(|j| f64::from(self.rotation[i][j]) * x[j])
                .sum::<f64>()
                + self.translation[i]
        })
    }

    /// `self ∘ other`: first `other`, then `self`; translation reduced to `[0, 1)`.
    pub fn compose(&self, other: &SymOp) -> SymOp {
        let rotation = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                (0..3)
                    .map(|k| self.rotation[i][k] * other.rotation[k][j])
                    .sum()
            })
        });
        let moved = self.apply(other.translation);
        SymOp {
            rotation,
            translation: std::array::from_fn(|i| wrap(moved[i])),
        }
    }

    /// Whether two operations are equal (translations modulo 1).
    pub fn same_as(&self, other: &SymOp) -> bool {
        self.rotation == other.rotation
            && (0..3).all(|i| same_mod_one(self.translation[i], other.translation[i]))
    }

    /// `h R` for a reflection `h` (row vector times the rotation).
    pub fn rotate_hkl(&self, h: [i32; 3]) -> [i32; 3] {
        std::array::from_fn(|j| (0..3).map(|i| h[i] * self.rotation[i][j]).sum())
    }
}

impl fmt::Display for SymOp {
    /// The `x,y+1/2,-z` form, with translations as fractions of 12 where within the
    /// position tolerance.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = (0..3)
            .map(|i| {
                let mut s = String::new();
                for (j, axis) in ["x", "y", "z"].iter().enumerate() {
                    match self.rotation[i][j] {
                        0 => {}
                        1 => s.push_str(&format!("{}{axis}", if s.is_empty() { "" } else { "+" })),
                        -1 => s.push_str(&format!("-{axis}")),
                        k => s.push_str(&format!("{k:+}{axis}")),
                    }
                }
                let t = self.translation[i];
                if t.abs() > 1e-12 {
                    let twelfths = t * 12.0;
                    if (twelfths - twelfths.round()).abs() < 12.0 * FRAC_TOL {
                        let (n, d) = reduce(twelfths.round() as i32, 12);
                        s.push_str(&format!("+{n}/{d}"));
                    } else {
                        s.push_str(&format!("+{t}"));
                    }
                }
                s
            })
            .collect();
        write!(f, "{}", parts.join(","))
    }
}

/// `n/d` in lowest terms.
fn reduce(n: i32, d: i32) -> (i32, i32) {
    let (mut a, mut b) = (n.abs(), d.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    (n / a, d / a)
}

/// Splits `x-y+1/2` into `x`, `-y`, `+1/2` (a sign starts a new term).
fn signed_terms(part: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    for (i, c) in part.char_indices() {
        if (c == '+' || c == '-') && i > start {
            terms.push(&part[start..i]);
            start = i;
        }
    }
    terms.push(&part[start..]);
    terms
}

/// `1/2`, `0.5` or `1`.
fn parse_fraction(text: &str) -> Option<f64> {
    match text.split_once('/') {
        Some((n, d)) => {
            let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
            (d != 0.0).then(|| n / d)
        }
        None => text.parse().ok(),
    }
}

fn determinant(m: &[[i32; 3]; 3]) -> i32 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// A space group: its symbol, number when known, and all operations of the conventional
/// cell (centring translations included).
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceGroup {
    symbol: String,
    number: Option<i32>,
    operations: Vec<SymOp>,
    /// Distinct rotations of the Laue group (the point group plus inversion).
    laue: Vec<[[i32; 3]; 3]>,
}

impl SpaceGroup {
    /// A group from explicit operations (a CIF's operator loop). The list must contain
    /// the identity and be closed under composition (translations modulo 1).
    ///
    /// # Errors
    /// An empty list, no identity, duplicates, or a list that is not a group.
    pub fn from_operations(
        symbol: &str,
        number: Option<i32>,
        operations: Vec<SymOp>,
    ) -> Result<Self> {
        let err = |message: String| Error::SpaceGroup {
            symbol: symbol.to_string(),
            message,
        };
        if !operations.iter().any(|o| o.same_as(&SymOp::IDENTITY)) {
            return Err(err("the operation list has no identity x,y,z".into()));
        }
        for (i, a) in operations.iter().enumerate() {
            if operations[..i].iter().any(|b| b.same_as(a)) {
                return Err(err(format!("operation {} ({a}) is listed twice", i + 1)));
            }
        }
        for (i, a) in operations.iter().enumerate() {
            for (j, b) in operations.iter().enumerate() {
                let ab = a.compose(b);
                if !operations.iter().any(|o| o.same_as(&ab)) {
                    return Err(err(format!(
                        "the operations are not a group: {} ∘ {} = {ab} is not in the list",
                        i + 1,
                        j + 1
                    )));
                }
            }
        }
        let mut laue: Vec<[[i32; 3]; 3]> = Vec::new();
        for o in &operations {
            let minus = o.rotation.map(|r| r.map(|v| -v));
            for r in [o.rotation, minus] {
                if !laue.contains(&r) {
                    laue.push(r);
                }
            }
        }
        Ok(SpaceGroup {
            symbol: symbol.to_string(),
            number,
            operations,
            laue,
        })
    }

    /// The group of International Tables number `number` (1-230) in the standard setting
    /// (unique axis b, hexagonal axes for rhombohedral groups, origin choice 2).
    ///
    /// # Errors
    /// A number outside 1-230.
    pub fn from_number(number: i32) -> Result<Self> {
        let hall = (1..=230)
            .contains(&number)
            .then(|| Setting::Standard.hall_number(number))
            .flatten()
            .ok_or_else(|| Error::SpaceGroup {
                symbol: number.to_string(),
                message: "the number must be 1-230".into(),
            })?;
        Self::from_hall_number(hall)
    }

    /// The group of a Hermann-Mauguin symbol, short or full, with or without spaces and
    /// underscores (`P n m a`, `Pnma`, `P 21/n 21/m 21/a`, `P b n m`, `I a -3`), and an
    /// optional setting suffix (`F d -3 m :1`, `R -3 m :R`). Where a symbol has several
    /// settings (origin choices, rhombohedral axes) and no suffix, the standard one is
    /// taken (origin choice 2, hexagonal axes).
    ///
    /// # Errors
    /// A symbol that matches no setting.
    pub fn from_hm(symbol: &str) -> Result<Self> {
        let (body, suffix) = match symbol.split_once(':') {
            Some((b, s)) => (b, Some(s.trim().to_ascii_lowercase())),
            None => (symbol, None),
        };
        let key = normalize_hm(body);
        let matches: Vec<HallSymbolEntry> = (1..=530)
            .filter_map(hall_symbol_entry)
            .filter(|e| normalize_hm(e.hm_short) == key || normalize_hm(e.hm_full) == key)
            .filter(|e| {
                suffix
                    .as_deref()
                    .is_none_or(|s| e.setting.to_ascii_lowercase() == s)
            })
            .collect();
        let Some(first) = matches.first() else {
            return Err(Error::SpaceGroup {
                symbol: symbol.to_string(),
                message: "not a Hermann-Mauguin symbol of any of the 530 settings".into(),
            });
        };
        let standard = Setting::Standard.hall_number(first.number);
        let chosen = matches
            .iter()
            .find(|e| Some(e.hall_number) == standard)
            .unwrap_or(first);
        let mut group = Self::from_hall_number(chosen.hall_number)?;
        group.symbol = symbol.trim().to_string();
        Ok(group)
    }

    fn from_hall_number(hall: i32) -> Result<Self> {
        let entry = hall_symbol_entry(hall).ok_or_else(|| Error::SpaceGroup {
            symbol: format!("Hall number {hall}"),
            message: "unknown".into(),
        })?;
        let ops = operations_from_number(entry.number, Setting::HallNumber(hall), false).map_err(
            |e| Error::SpaceGroup {
                symbol: entry.hm_short.to_string(),
                message: e.to_string(),
            },
        )?;
        let operations = ops.iter().map(from_moyo).collect();
        Self::from_operations(entry.hm_short, Some(entry.number), operations)
    }

    /// The symbol as given (or moyo's short symbol).
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The International Tables number, when known.
    pub fn number(&self) -> Option<i32> {
        self.number
    }

    /// All operations, centring included.
    pub fn operations(&self) -> &[SymOp] {
        &self.operations
    }

    /// Whether the group contains the inversion `-x,-y,-z` (with any translation).
    pub fn is_centrosymmetric(&self) -> bool {
        let minus_one = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
        self.operations.iter().any(|o| o.rotation == minus_one)
    }

    /// The reflections equivalent to `h` under the Laue group (Friedel pairs included),
    /// without repeats. Their number is the powder multiplicity of `h`.
    pub fn equivalent_reflections(&self, h: [i32; 3]) -> Vec<[i32; 3]> {
        let mut out: Vec<[i32; 3]> = Vec::with_capacity(self.laue.len());
        for r in &self.laue {
            let op = SymOp {
                rotation: *r,
                translation: [0.0; 3],
            };
            let g = op.rotate_hkl(h);
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }

    /// Whether `h` is systematically absent: some operation leaves `h` unchanged
    /// (`h R = h`) while its translation gives a phase `h · t` that is not an integer.
    pub fn is_absent(&self, h: [i32; 3]) -> bool {
        self.operations.iter().any(|o| {
            o.rotate_hkl(h) == h && {
                let phase: f64 = (0..3).map(|i| f64::from(h[i]) * o.translation[i]).sum();
                (phase - phase.round()).abs() > FRAC_TOL
            }
        })
    }

    /// The distinct images of `x` (reduced to `[0, 1)`) with the index of an operation
    /// that produces each; their number is the site multiplicity.
    pub fn orbit(&self, x: [f64; 3]) -> Vec<(usize, [f64; 3])> {
        let mut out: Vec<(usize, [f64; 3])> = Vec::with_capacity(self.operations.len());
        for (k, o) in self.operations.iter().enumerate() {
            let y = o.apply(x).map(wrap);
            if !out
                .iter()
                .any(|(_, z)| (0..3).all(|i| same_mod_one(y[i], z[i])))
            {
                out.push((k, y));
            }
        }
        out
    }
}

/// Upper case without spaces and underscores, for comparing H-M symbols.
fn normalize_hm(symbol: &str) -> String {
    symbol
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase()
}

fn from_moyo(op: &Operation) -> SymOp {
    SymOp {
        rotation: op.rotation_as_array(),
        translation: op.translation_as_array().map(wrap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_parse_apply_compose_and_print() {
        let op = SymOp::parse("1/2-x, 1/2+y, 1/2+Z").unwrap();
        assert_eq!(op.rotation, [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]);
        assert_eq!(op.translation, [0.5; 3]);
        assert_eq!(op.apply([0.1, 0.2, 0.3]), [0.4, 0.7, 0.8]);
        let hex = SymOp::parse("x-y,x,z+0.16666667").unwrap();
        assert_eq!(hex.rotation, [[1, -1, 0], [1, 0, 0], [0, 0, 1]]);
        assert_eq!(hex.to_string(), "x-y,x,z+1/6");
        assert_eq!(
            SymOp::parse("-x,-y+1/2,-z").unwrap().to_string(),
            "-x,-y+1/2,-z"
        );
        // Applying the composition equals applying one after the other.
        let x = [0.11, 0.27, 0.53];
        let ab = op.compose(&hex).apply(x);
        let a_b = op.apply(hex.apply(x));
        assert!((0..3).all(|i| same_mod_one(ab[i], a_b[i])));
        for bad in ["x,y", "x,y,w", "x,y,", "x,x,z"] {
            assert!(SymOp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn symbols_numbers_and_settings() {
        let pnma = SpaceGroup::from_hm("P n m a").unwrap();
        assert_eq!((pnma.number(), pnma.operations().len()), (Some(62), 8));
        assert!(pnma.is_centrosymmetric());
        assert_eq!(SpaceGroup::from_hm("Pbnm").unwrap().number(), Some(62));
        assert_eq!(SpaceGroup::from_hm("P 21/c").unwrap().number(), Some(14));
        // Fd-3m: 192 operations; origin choice 2 by default has the inversion at the origin.
        let fd3m = SpaceGroup::from_hm("F d -3 m").unwrap();
        assert_eq!(fd3m.operations().len(), 192);
        assert!(
            fd3m.operations()
                .iter()
                .any(|o| o.same_as(&SymOp::parse("-x,-y,-z").unwrap()))
        );
        let origin1 = SpaceGroup::from_hm("F d -3 m :1").unwrap();
        assert!(
            !origin1
                .operations()
                .iter()
                .any(|o| o.same_as(&SymOp::parse("-x,-y,-z").unwrap()))
        );
        // Rhombohedral groups: hexagonal axes (18 operations) unless ":R".
        assert_eq!(
            SpaceGroup::from_hm("R -3 m").unwrap().operations().len(),
            36
        );
        assert_eq!(
            SpaceGroup::from_hm("R -3 m :R").unwrap().operations().len(),
            12
        );
        assert_eq!(SpaceGroup::from_number(206).unwrap().operations().len(), 48);
        assert!(SpaceGroup::from_hm("P 7").is_err());
        assert!(SpaceGroup::from_number(231).is_err());
        assert!(SpaceGroup::from_number(0).is_err());
    }

    #[test]
    fn incomplete_operation_lists_are_refused() {
        let ops = |texts: &[&str]| {
            texts
                .iter()
                .map(|t| SymOp::parse(t).unwrap())
                .collect::<Vec<_>>()
        };
        let e = SpaceGroup::from_operations("x", None, ops(&["x,y,z", "-x,y+1/2,-z", "-x,-y,-z"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a group"), "{e}");
        assert!(SpaceGroup::from_operations("x", None, ops(&["-x,-y,-z"])).is_err());
        assert!(SpaceGroup::from_operations("x", None, ops(&["x,y,z", "x,y,z"])).is_err());
    }

    #[test]
    fn multiplicities_of_cubic_and_hexagonal_reflections() {
        let m3m = SpaceGroup::from_hm("P m -3 m").unwrap();
        for (h, m) in [
            ([1, 0, 0], 6),
            ([1, 1, 0], 12),
            ([1, 1, 1], 8),
            ([2, 1, 0], 24),
            ([2, 1, 1], 24),
            ([3, 2, 1], 48),
        ] {
            assert_eq!(m3m.equivalent_reflections(h).len(), m, "{h:?}");
        }
        // m-3 (Ia-3): hk0 and kh0 are not equivalent, so {210} has 12, {321} 24.
        let ia3 = SpaceGroup::from_hm("I a -3").unwrap();
        assert_eq!(ia3.equivalent_reflections([2, 1, 0]).len(), 12);
        assert_eq!(ia3.equivalent_reflections([3, 2, 1]).len(), 24);
        let p6mmm = SpaceGroup::from_hm("P 6/m m m").unwrap();
        for (h, m) in [
            ([1, 0, 0], 6),
            ([0, 0, 1], 2),
            ([1, 1, 0], 6),
            ([2, 1, 0], 12),
            ([1, 0, 1], 12),
            ([2, 1, 1], 24),
        ] {
            assert_eq!(p6mmm.equivalent_reflections(h).len(), m, "{h:?}");
        }
        // 6/m (fluoroapatite, P 63/m): {hkl} general has 12, {210} has 12... and {hk0} 6.
        let p63m = SpaceGroup::from_hm("P 63/m").unwrap();
        assert_eq!(p63m.equivalent_reflections([2, 1, 1]).len(), 12);
        assert_eq!(p63m.equivalent_reflections([2, 1, 0]).len(), 6);
    }

    #[test]
    fn systematic_absences_follow_centring_screws_and_glides() {
        let fcc = SpaceGroup::from_hm("F m -3 m").unwrap();
        assert!(fcc.is_absent([1, 0, 0]) && fcc.is_absent([1, 1, 0]) && fcc.is_absent([2, 1, 0]));
        assert!(
            !fcc.is_absent([1, 1, 1]) && !fcc.is_absent([2, 0, 0]) && !fcc.is_absent([2, 2, 0])
        );
        let bcc = SpaceGroup::from_hm("I m -3 m").unwrap();
        assert!(bcc.is_absent([1, 0, 0]) && !bcc.is_absent([1, 1, 0]));
        // Pnma: 0kl with k + l odd (n glide), hk0 with h odd (a glide), h00, 0k0, 00l odd.
        let pnma = SpaceGroup::from_hm("P n m a").unwrap();
        assert!(pnma.is_absent([0, 1, 2]) && !pnma.is_absent([0, 1, 1]));
        assert!(pnma.is_absent([1, 1, 0]) && !pnma.is_absent([2, 1, 0]));
        assert!(pnma.is_absent([0, 0, 1]) && pnma.is_absent([0, 3, 0]));
        assert!(!pnma.is_absent([1, 1, 1]));
        // P 63/m: 00l with l odd.
        let p63m = SpaceGroup::from_hm("P 63/m").unwrap();
        assert!(
            p63m.is_absent([0, 0, 1]) && !p63m.is_absent([0, 0, 2]) && !p63m.is_absent([1, 0, 1])
        );
    }

    #[test]
    fn orbits_give_site_multiplicities() {
        let fd3m = SpaceGroup::from_hm("F d -3 m").unwrap();
        // Origin choice 2: 8a at (1/8, 1/8, 1/8), 16c at the origin, 192i general.
        assert_eq!(fd3m.orbit([0.125; 3]).len(), 8);
        assert_eq!(fd3m.orbit([0.0; 3]).len(), 16);
        assert_eq!(fd3m.orbit([0.01, 0.02, 0.03]).len(), 192);
        let ia3 = SpaceGroup::from_hm("I a -3").unwrap();
        assert_eq!(ia3.orbit([0.25; 3]).len(), 8);
        assert_eq!(ia3.orbit([0.9673, 0.0, 0.25]).len(), 24);
        assert_eq!(ia3.orbit([0.3915, 0.1538, 0.38]).len(), 48);
    }
}
