//! Phase maps drawn as PNG images with a legend: one colour per phase, label 0 ("no
//! phase") in light grey. Maps larger than the drawing are sampled at the nearest
//! pixel.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{Drawing, save_drawing};

/// Side of the map drawing (px).
const MAP_SIDE: u32 = 640;
/// Width of the legend column (px).
const LEGEND_WIDTH: u32 = 460;

/// A label map with the legend entry of each label `1..=names.len()`.
#[derive(Debug, Clone)]
pub struct PhaseMapPlot<'a> {
    /// Title above the map.
    pub title: String,
    /// Pixel columns.
    pub width: usize,
    /// Pixel rows.
    pub height: usize,
    /// Labels, row-major.
    pub labels: &'a [u16],
    /// Legend entries of labels 1, 2, ...
    pub names: Vec<String>,
}

/// Colour of a label.
pub fn label_colour(label: u16) -> RGBColor {
    if label == 0 {
        RGBColor(220, 220, 220)
    } else {
        let c = Palette99::pick(usize::from(label - 1)).to_rgba();
        RGBColor(c.0, c.1, c.2)
    }
}

impl PhaseMapPlot<'_> {
    /// Writes the map to `path` (PNG).
    ///
    /// # Errors
    /// A path that does not end in `.png`, no font for the legend, a failed write.
    pub fn save(&self, path: &Path) -> Result<()> {
        if path.extension().and_then(|e| e.to_str()) != Some("png") {
            return Err(anyhow!("phase maps are written as PNG: {}", path.display()));
        }
        save_drawing(self, path, (MAP_SIDE + LEGEND_WIDTH + 40, MAP_SIDE + 60))
    }
}

impl Drawing for PhaseMapPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing `{}`: {e}", self.title);
        root.fill(&WHITE).map_err(err)?;
        root.draw(&Text::new(self.title.clone(), (20, 12), ("sans-serif", 20)))
            .map_err(err)?;
        let longest = self.width.max(self.height).max(1) as f64;
        let scale = f64::from(MAP_SIDE) / longest;
        let (out_w, out_h) = (
            (self.width as f64 * scale) as i32,
            (self.height as f64 * scale) as i32,
        );
        let (x0, y0) = (20i32, 45i32);
        for v in 0..out_h {
            let y = ((f64::from(v) / scale) as usize).min(self.height - 1);
            for u in 0..out_w {
                let x = ((f64::from(u) / scale) as usize).min(self.width - 1);
                root.draw_pixel(
                    (x0 + u, y0 + v),
                    &label_colour(self.labels[y * self.width + x]),
                )
                .map_err(err)?;
            }
        }
        let lx = x0 + out_w + 20;
        for (i, name) in std::iter::once("no phase".to_string())
            .chain(self.names.iter().cloned())
            .enumerate()
        {
            let y = y0 + 24 * i as i32;
            root.draw(&Rectangle::new(
                [(lx, y), (lx + 16, y + 16)],
                label_colour(i as u16).filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(name, (lx + 24, y), ("sans-serif", 15)))
                .map_err(err)?;
        }
        Ok(())
    }
}
