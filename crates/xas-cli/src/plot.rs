//! Line charts written as SVG or PNG (chosen by the file extension) with `plotters`.
//!
//! A [`Figure`] is one or more panels stacked vertically, each a [`Panel`] of named
//! [`Series`]. Text layout needs a TrueType font; it is loaded once from the usual
//! system locations (DejaVu Sans, Liberation Sans, ...).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

/// How a [`Series`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    /// A solid line.
    Solid,
    /// A dashed line (fitted curves and guides).
    Dashed,
    /// Unconnected dots (scattered samples).
    Dots,
}

/// One curve: `y(x)` drawn as a line or as dots.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates (same length as `x`).
    pub y: Vec<f64>,
    /// How it is drawn.
    pub stroke: Stroke,
}

impl Series {
    /// A solid line.
    pub fn line(name: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        Series {
            name: name.into(),
            x: x.to_vec(),
            y: y.to_vec(),
            stroke: Stroke::Solid,
        }
    }

    /// A dashed line.
    pub fn dashed(name: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        Series {
            stroke: Stroke::Dashed,
            ..Series::line(name, x, y)
        }
    }

    /// Unconnected dots.
    pub fn dots(name: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        Series {
            stroke: Stroke::Dots,
            ..Series::line(name, x, y)
        }
    }
}

/// One chart: title, axis labels and curves.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Curves, drawn in order with distinct colours.
    pub series: Vec<Series>,
    /// Vertical guide lines (e.g. E0), as (x, label).
    pub markers: Vec<(f64, String)>,
}

/// Panels stacked vertically in one image.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    /// The panels, top to bottom.
    pub panels: Vec<Panel>,
}

const PANEL_SIZE: (u32, u32) = (900, 450);

impl Figure {
    /// Writes the figure to `path` (`.svg` or `.png`), via a temporary file renamed into
    /// place so that no half-written figure is left behind.
    ///
    /// # Errors
    /// An unsupported extension, no font for the labels, or a failed write.
    pub fn save(&self, path: &Path) -> Result<()> {
        let size = (PANEL_SIZE.0, PANEL_SIZE.1 * self.panels.len().max(1) as u32);
        save_drawing(self, path, size)
    }
}

impl Drawing for Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            draw_panel(panel, area).map_err(|e| anyhow!("drawing `{}`: {e}", panel.title))?;
        }
        Ok(())
    }
}

/// An image drawn on a plotters drawing area of any backend.
pub(crate) trait Drawing {
    /// Draws on `root` (without presenting it).
    ///
    /// # Errors
    /// A failed drawing operation.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Writes `drawing` to `path` as SVG or PNG (by the extension) of `size` pixels, via a
/// temporary file renamed into place so that no half-written image is left behind.
///
/// # Errors
/// An unsupported extension, no font for the labels, or a failed write.
pub(crate) fn save_drawing(drawing: &impl Drawing, path: &Path, size: (u32, u32)) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let tmp = path.with_extension(format!("tmp.{}", ext.as_deref().unwrap_or("")));
    let written = match ext.as_deref() {
        Some("svg") => ensure_font().and_then(|()| {
            let root = SVGBackend::new(&tmp, size).into_drawing_area();
            drawing.draw(&root)?;
            root.present().map_err(|e| anyhow!("{e}"))
        }),
        Some("png") => ensure_font().and_then(|()| {
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            drawing.draw(&root)?;
            root.present().map_err(|e| anyhow!("{e}"))
        }),
        _ => bail!(
            "{}: unsupported plot format (use .svg or .png)",
            path.display()
        ),
    };
    let result = written
        .and_then(|()| std::fs::rename(&tmp, path).map_err(anyhow::Error::from))
        .with_context(|| format!("writing {}", path.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Data range of all series, padded by 5 %; a flat range is widened to stay drawable.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x0, x1) = bounds(panel.series.iter().flat_map(|s| s.x.iter().copied()));
    let (y0, y1) = bounds(panel.series.iter().flat_map(|s| s.y.iter().copied()));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    // Small or large ranges get scientific tick labels so that they stay distinct.
    let span = (y1 - y0).abs().max(y0.abs().max(y1.abs()));
    let scientific = !(1e-2..1e5).contains(&span);
    let y_format = move |v: &f64| {
        if scientific {
            format!("{v:.2e}")
        } else {
            // Trim float noise such as 0.30000000000000004.
            format!("{}", (v * 1e6).round() / 1e6)
        }
    };
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .y_label_formatter(&y_format)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, s) in panel.series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points = s.x.iter().copied().zip(s.y.iter().copied());
        let legend = match s.stroke {
            Stroke::Dashed => {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, color.stroke_width(2)))?
            }
            Stroke::Solid => chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?,
            Stroke::Dots => chart.draw_series(points.map(|p| Circle::new(p, 3, color.filled())))?,
        };
        legend.label(s.name.clone()).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
        });
    }
    for (x, label) in &panel.markers {
        let style = BLACK.mix(0.5).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new([(*x, y0), (*x, y1)], 3, 3, style))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}

/// System locations tried, in order, for the PNG label font.
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers a system font as "sans-serif" once; text layout needs it.
fn ensure_font() -> Result<()> {
    static FONT: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    FONT.get_or_init(|| {
        for path in FONT_CANDIDATES {
            if let Ok(bytes) = std::fs::read(path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(format!(
            "plots need a TrueType font for their labels and none was found (tried {}); install one, e.g. Debian's fonts-dejavu-core",
            FONT_CANDIDATES.join(", ")
        ))
    })
    .clone()
    .map_err(|e| anyhow!(e))
}
