//! Scatter plots of 2-D maps of spectra (PCA, MDS, UMAP), written as SVG or PNG with
//! `plotters`: points coloured by a label (one colour per category; numeric labels in
//! up to six ranges), and optionally new spectra drawn over the map as labelled
//! crosses.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{Drawing, save_drawing};

/// Numeric labels with more distinct values than this are drawn in ranges.
const MAX_NUMERIC_CLASSES: usize = 6;
const SIZE: (u32, u32) = (760, 640);

/// The points of one colour.
#[derive(Debug, Clone)]
pub struct Group {
    /// Legend entry.
    pub name: String,
    /// Map coordinates.
    pub points: Vec<(f64, f64)>,
}

/// A map with its groups and overlaid new points.
#[derive(Debug, Clone, Default)]
pub struct MapPlot {
    /// Title.
    pub title: String,
    /// Axis names (e.g. `UMAP 1`, `UMAP 2`).
    pub axes: (String, String),
    /// The map's points, one colour per group.
    pub groups: Vec<Group>,
    /// New spectra placed on the map: name and position, drawn as black crosses.
    pub overlay: Vec<(String, (f64, f64))>,
}

/// Groups `points` by a categorical label (one group per value, in order of first
/// appearance).
pub fn groups_by_category(points: &[(f64, f64)], values: &[String]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (p, v) in points.iter().zip(values) {
        match groups.iter_mut().find(|g| &g.name == v) {
            Some(g) => g.points.push(*p),
            None => groups.push(Group {
                name: v.clone(),
                points: vec![*p],
            }),
        }
    }
    groups
}

/// Groups `points` by a numeric label `name`: one group per value when there are few,
/// else up to six equal-width ranges.
pub fn groups_by_value(points: &[(f64, f64)], name: &str, values: &[f64]) -> Vec<Group> {
    let mut distinct: Vec<f64> = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() <= MAX_NUMERIC_CLASSES {
        let labels: Vec<String> = values.iter().map(|v| format!("{name} = {v}")).collect();
        return groups_by_category(points, &labels);
    }
    let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
    let width = (hi - lo) / MAX_NUMERIC_CLASSES as f64;
    let bin = |v: f64| (((v - lo) / width) as usize).min(MAX_NUMERIC_CLASSES - 1);
    (0..MAX_NUMERIC_CLASSES)
        .map(|b| Group {
            name: format!(
                "{name} {:.3}–{:.3}",
                lo + b as f64 * width,
                lo + (b + 1) as f64 * width
            ),
            points: points
                .iter()
                .zip(values)
                .filter(|(_, v)| bin(**v) == b)
                .map(|(p, _)| *p)
                .collect(),
        })
        .filter(|g| !g.points.is_empty())
        .collect()
}

impl MapPlot {
    /// Writes the plot to `path` (`.svg` or `.png`) via a temporary file renamed into
    /// place.
    ///
    /// # Errors
    /// An unsupported extension, no font for the labels, or a failed write.
    pub fn save(&self, path: &Path) -> Result<()> {
        save_drawing(self, path, SIZE)
    }
}

impl Drawing for MapPlot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing `{}`: {e}", self.title);
        root.fill(&WHITE).map_err(err)?;
        let all = self
            .groups
            .iter()
            .flat_map(|g| g.points.iter().copied())
            .chain(self.overlay.iter().map(|o| o.1));
        let (x, mut y) = padded_bounds(all);
        // Room above the points for the legend (about 4 % of the height per entry).
        y.1 += LEGEND_ROW_FRACTION * self.groups.len() as f64 * (y.1 - y.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(&self.axes.0)
            .y_desc(&self.axes.1)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, g) in self.groups.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(
                    g.points
                        .iter()
                        .map(|&p| Circle::new(p, 3, color.mix(0.7).filled())),
                )
                .map_err(err)?
                .label(g.name.clone())
                .legend(move |(x, y)| Circle::new((x + 6, y), 4, color.filled()));
        }
        for (name, p) in &self.overlay {
            // The label starts 10 px right of and 8 px above the cross, clear of it.
            let marker = EmptyElement::at(*p)
                + Cross::new((0, 0), 7, BLACK.stroke_width(3))
                + Text::new(name.clone(), (10, -8), ("sans-serif", 15));
            chart.draw_series([marker]).map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// Fraction of the y range added above the points per legend entry.
const LEGEND_ROW_FRACTION: f64 = 0.04;

/// x and y ranges of the points, padded by 8 % (a flat range is widened).
fn padded_bounds(points: impl Iterator<Item = (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let inf = f64::INFINITY;
    let (mut x, mut y) = ((inf, -inf), (inf, -inf));
    for (a, b) in points.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        x = (x.0.min(a), x.1.max(a));
        y = (y.0.min(b), y.1.max(b));
    }
    let pad = |(lo, hi): (f64, f64)| {
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        let p = if hi > lo { 0.08 * (hi - lo) } else { 0.5 };
        (lo - p, hi + p)
    };
    (pad(x), pad(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_labels_are_binned() {
        let pts: Vec<(f64, f64)> = (0..20).map(|i| (f64::from(i), 0.0)).collect();
        let values: Vec<f64> = (0..20).map(|i| 0.1 * f64::from(i)).collect();
        let g = groups_by_value(&pts, "10Dq", &values);
        assert_eq!(g.len(), 6);
        assert_eq!(g.iter().map(|g| g.points.len()).sum::<usize>(), 20);
        let few = groups_by_value(&pts[..3], "v", &[2.0, 3.0, 2.0]);
        assert_eq!(few.len(), 2);
        assert_eq!(few[0].points.len(), 2);
    }
}
