//! Standard atomic weights (g/mol) of Z = 1-98, embedded from `data/atomic_weights.csv`
//! (IUPAC/CIAAW abridged values; see `data/README.md`).

use std::sync::OnceLock;

const CSV: &str = include_str!("../data/atomic_weights.csv");

/// The standard atomic weight (g/mol) of element `z`, if tabulated (1 ≤ z ≤ 98).
pub fn atomic_weight(z: u32) -> Option<f64> {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        CSV.lines()
            .skip(1)
            .filter_map(|line| line.split(',').nth(2)?.parse().ok())
            .collect()
    });
    table.get((z as usize).checked_sub(1)?).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_in_order_and_match_known_values() {
        // Rows are Z = 1..98 in order.
        for (i, line) in CSV.lines().skip(1).enumerate() {
            assert!(line.starts_with(&format!("{},", i + 1)), "{line}");
        }
        assert_eq!(CSV.lines().count(), 99);
        for (z, w) in [
            (1, 1.008),
            (8, 15.999),
            (39, 88.905838),
            (82, 207.2),
            (92, 238.02891),
        ] {
            assert_eq!(atomic_weight(z), Some(w));
        }
        assert_eq!(atomic_weight(0), None);
        assert_eq!(atomic_weight(99), None);
    }
}
