//! Corner plots of posterior samples, written as SVG or PNG with `plotters`: a
//! histogram of every parameter on the diagonal and the samples of every pair below it,
//! optionally with reference values (e.g. known true parameters) drawn as lines.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{Drawing, save_drawing};

/// Pixels per cell of the grid.
const CELL: u32 = 190;
/// Bins of the diagonal histograms.
const BINS: usize = 30;
/// Pixels of the x and y label areas of the bottom row and the left column.
const LABEL_AREA: (u32, u32) = (44, 56);
/// At most this many samples are drawn in a scatter cell (evenly thinned).
const MAX_POINTS: usize = 2500;

/// One parameter of a corner plot.
#[derive(Debug, Clone)]
pub struct CornerAxis {
    /// Parameter name (axis label).
    pub name: String,
    /// Posterior samples.
    pub samples: Vec<f64>,
    /// A reference value drawn as a line (e.g. the true value), if any.
    pub reference: Option<f64>,
}

/// A corner plot of several parameters.
#[derive(Debug, Clone)]
pub struct CornerPlot {
    /// The parameters, in grid order.
    pub axes: Vec<CornerAxis>,
}

impl CornerPlot {
    /// Writes the plot to `path` (`.svg` or `.png`) atomically.
    ///
    /// # Errors
    /// No parameters, an unsupported extension, no font, or a failed write.
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.axes.is_empty() {
            return Err(anyhow!("a corner plot needs at least one parameter"));
        }
        let side = CELL * self.axes.len() as u32;
        save_drawing(self, path, (side, side))
    }
}

/// The central 99.6 % of `v`, padded by 5 %, widened to include `reference`.
fn range(v: &[f64], reference: Option<f64>) -> (f64, f64) {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return (0.0, 1.0);
    }
    s.sort_by(f64::total_cmp);
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    let (mut lo, mut hi) = (at(0.002), at(0.998));
    if let Some(r) = reference.filter(|r| r.is_finite()) {
        lo = lo.min(r);
        hi = hi.max(r);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

/// Normalised histogram of `v` on `[lo, hi)` as the corners of a step line.
fn histogram(v: &[f64], (lo, hi): (f64, f64)) -> Vec<(f64, f64)> {
    let width = (hi - lo) / BINS as f64;
    let mut counts = [0usize; BINS];
    for &x in v {
        let b = ((x - lo) / width).floor();
        if b >= 0.0 && (b as usize) < BINS {
            counts[b as usize] += 1;
        }
    }
    let peak = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut line = vec![(lo, 0.0)];
    for (b, &c) in counts.iter().enumerate() {
        let h = c as f64 / peak;
        line.push((lo + b as f64 * width, h));
        line.push((lo + (b + 1) as f64 * width, h));
    }
    line.push((hi, 0.0));
    line
}

impl Drawing for CornerPlot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let k = self.axes.len();
        let ranges: Vec<(f64, f64)> = self
            .axes
            .iter()
            .map(|a| range(&a.samples, a.reference))
            .collect();
        let cells = root.split_evenly((k, k));
        for row in 0..k {
            for col in 0..=row {
                let area = &cells[row * k + col];
                let result = if row == col {
                    draw_diagonal(area, &self.axes[row], ranges[row], (row + 1 == k, col == 0))
                } else {
                    draw_pair(
                        area,
                        (&self.axes[col], &self.axes[row]),
                        (ranges[col], ranges[row]),
                        (row + 1 == k, col == 0),
                    )
                };
                result.map_err(|e| anyhow!("corner cell ({row}, {col}): {e}"))?;
            }
        }
        Ok(())
    }
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn reference_style() -> ShapeStyle {
    RED.mix(0.8).stroke_width(2)
}

/// A chart builder for a grid cell: label areas only on the bottom row and the left
/// column, so that the cells of a column share their x extent.
fn cell<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    (bottom, left): (bool, bool),
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(4)
        .x_label_area_size(if bottom { LABEL_AREA.0 } else { 0 })
        .y_label_area_size(if left { LABEL_AREA.1 } else { 0 });
    builder
}

fn draw_diagonal<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axis: &CornerAxis,
    (lo, hi): (f64, f64),
    (bottom, left): (bool, bool),
) -> DrawResult<DB> {
    let mut chart = cell(area, (bottom, left))
        .caption(&axis.name, ("sans-serif", 15))
        .build_cartesian_2d(lo..hi, 0.0..1.08)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .disable_y_axis()
        .x_labels(3)
        .x_label_style(("sans-serif", 11));
    if bottom {
        mesh.x_desc(axis.name.as_str());
    }
    mesh.draw()?;
    chart.draw_series(LineSeries::new(
        histogram(&axis.samples, (lo, hi)),
        BLUE.stroke_width(1),
    ))?;
    if let Some(r) = axis.reference {
        chart.draw_series(LineSeries::new([(r, 0.0), (r, 1.08)], reference_style()))?;
    }
    Ok(())
}

fn draw_pair<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (ax, ay): (&CornerAxis, &CornerAxis),
    (rx, ry): ((f64, f64), (f64, f64)),
    (bottom, left): (bool, bool),
) -> DrawResult<DB> {
    let mut chart = cell(area, (bottom, left)).build_cartesian_2d(rx.0..rx.1, ry.0..ry.1)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_labels(3)
        .y_labels(3)
        .x_label_style(("sans-serif", 11))
        .y_label_style(("sans-serif", 11));
    if left {
        mesh.y_desc(ay.name.as_str());
    }
    if bottom {
        mesh.x_desc(ax.name.as_str());
    }
    mesh.draw()?;
    let n = ax.samples.len().min(ay.samples.len());
    let stride = n.div_ceil(MAX_POINTS).max(1);
    let dot = BLUE.mix(0.25).filled();
    chart.draw_series(
        (0..n)
            .step_by(stride)
            .map(|i| Circle::new((ax.samples[i], ay.samples[i]), 1, dot)),
    )?;
    if let Some(r) = ax.reference {
        chart.draw_series(LineSeries::new([(r, ry.0), (r, ry.1)], reference_style()))?;
    }
    if let Some(r) = ay.reference {
        chart.draw_series(LineSeries::new([(rx.0, r), (rx.1, r)], reference_style()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_peaks_at_one_and_ranges_cover_the_reference() {
        let v: Vec<f64> = (0..1000).map(|i| (i % 10) as f64).collect();
        let h = histogram(&v, (0.0, 10.0));
        assert_eq!(h.iter().map(|p| p.1).fold(0.0, f64::max), 1.0);
        let (lo, hi) = range(&v, Some(20.0));
        assert!(lo < 0.0 && hi > 20.0);
    }
}
