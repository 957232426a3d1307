//! Prints the per-file comparison of edge-step normalisation with Larch `pre_edge`
//! as Markdown (the table of `docs/validation/normalization.md`):
//! `cargo run --release -p xas-core --example larch_normalization`.
#![allow(clippy::unwrap_used, missing_docs, dead_code)]

#[path = "../tests/common/larch.rs"]
mod larch;

fn main() {
    let rows: Vec<larch::Row> = larch::reference_files()
        .iter()
        .map(|f| larch::compare(f))
        .collect();
    if rows.is_empty() {
        eprintln!("../shared/data/xas not found next to the workspace");
        std::process::exit(1);
    }
    print!("{}", larch::markdown(&rows));
}
