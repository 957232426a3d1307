//! The streaming classifier: three passes over row blocks, never the whole image.
//!
//! 1. **Survey** (every `survey_stride`-th row): each pixel is tested against the
//!    current sites; unexplained pixels feed site discovery ([`crate::sites`]).
//! 2. **Links** (the same rows): each pixel's two most correlated sites; counts of
//!    pixels each site explains best and of pixels both explain, from which sites are
//!    merged into phases ([`crate::phases`]).
//! 3. **Assignment** (every row): each pixel goes to the phase of its most correlated
//!    site (the published rule, `O(sites × energies)` per pixel), records which phases
//!    explain it within the noise, and the noise-aware filter
//!    ([`crate::labels::noise_aware_filter`]) runs one block behind. Phase statistics
//!    and the label sink see the filtered labels. When the survey visits every row,
//!    the links pass has already found each pixel's most correlated site among the
//!    final sites; on images of up to 2²³ pixels it keeps them (8 bytes per pixel),
//!    and the assignment does not search again (a 10⁶-pixel image: 13 % less time,
//!    the same result).
//!
//! Within a block the work is parallel over pixels and every serial step visits
//! pixels in image order, so the result is identical for any number of threads.

use std::ops::ControlFlow;

#[cfg(feature = "rayon")]
use rayon::prelude::*;
use xas_core::{ImageShape, SpectralImageSource};

use crate::block::{Limits, PixelModel, Prepared, dot};
use crate::error::{Error, Result};
use crate::labels::noise_aware_filter;
use crate::noise::{CameraNoise, Signal};
use crate::phases::{PhaseMap, merge};
use crate::probability::upper_quantile;
use crate::search::{Nearest, Scratch, SiteSearch};
use crate::sites::{Discovery, Sites};

/// A reference spectrum on the image's energy grid (optical density, μ or any
/// quantity affine in them: only the shape matters).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Name reported for the phase it anchors.
    pub name: String,
    /// One value per image energy.
    pub spectrum: Vec<f64>,
}

/// Settings of [`classify`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSettings {
    /// Probability that noise alone makes a pixel fail the test against the spectrum
    /// that produced it (default 1e-4). Smaller values need larger differences before
    /// a pixel seeds a new site.
    pub split_probability: f64,
    /// Pixels a discovered site needs before it counts (default 20).
    pub min_support: usize,
    /// Fraction of the smaller site's pixels that must be explained by both sites
    /// for two sites to join one phase (default 0.02).
    pub link_fraction: f64,
    /// Survey every `survey_stride`-th row for discovery and linking (default 1;
    /// larger values make the two survey passes cheaper on huge images).
    pub survey_stride: usize,
    /// Pixels per block (default 8,192; rows per block follow from the width, at least
    /// one). Small enough that a block's values and prepared arrays (about 20 bytes per
    /// value) stay in a 32 MiB last-level cache: at 65,536 the passes ran about 20 %
    /// slower, bound by memory traffic. The survey promotes candidates to sites at the
    /// end of each block, so the block size also changes which sites are discovered
    /// (26 on the 10⁶-pixel benchmark image at 8,192, 29-32 at 1,024-4,096; the same
    /// three phases); results do not depend on the number of threads.
    pub block_pixels: usize,
    /// Apply the noise-aware spatial filter (default true).
    pub spatial_filter: bool,
    /// Most sites (references plus discovered) before the run stops with an error
    /// (default 4096).
    pub max_sites: usize,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            split_probability: 1e-4,
            min_support: 20,
            link_fraction: 0.02,
            survey_stride: 1,
            block_pixels: 8_192,
            spatial_filter: true,
            max_sites: 4096,
        }
    }
}

impl ClusterSettings {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if !(self.split_probability > 0.0 && self.split_probability < 0.5) {
            return Err(Error::param(
                "split_probability",
                format!("{} must be in (0, 0.5)", self.split_probability),
            ));
        }
        if !(0.0..=1.0).contains(&self.link_fraction) {
            return Err(Error::param(
                "link_fraction",
                format!("{} must be in [0, 1]", self.link_fraction),
            ));
        }
        for (name, v) in [
            ("min_support", self.min_support),
            ("survey_stride", self.survey_stride),
            ("block_pixels", self.block_pixels),
            ("max_sites", self.max_sites),
        ] {
            if v == 0 {
                return Err(Error::param(name, "must be at least 1"));
            }
        }
        Ok(())
    }
}

/// Which pass a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Site discovery.
    Survey,
    /// Counting the pixels that link sites.
    Links,
    /// Assigning every pixel.
    Assign,
}

/// Progress after each block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The pass.
    pub pass: Pass,
    /// Rows done in this pass.
    pub rows_done: usize,
    /// Rows this pass visits.
    pub rows_total: usize,
    /// Sites so far.
    pub sites: usize,
}

/// One phase of the result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Phase {
    /// Label in the map (1-based; by decreasing pixel count as surveyed).
    pub id: u16,
    /// Pixels with this label after filtering.
    pub pixels: u64,
    /// `pixels` over all pixels.
    pub fraction: f64,
    /// Mean optical density per energy.
    pub mean_od: Vec<f64>,
    /// Standard error of `mean_od` (sample standard deviation / √pixels).
    pub sem_od: Vec<f64>,
    /// The reference that anchors the phase, if one does.
    pub reference: Option<String>,
    /// Pearson correlation of `mean_od` with the most similar reference, and its name.
    pub nearest_reference: Option<(String, f64)>,
    /// Sites merged into the phase.
    pub sites: usize,
    /// Bounding box of its pixels `[y_min, x_min, y_max, x_max]`.
    pub bbox: Option<[usize; 4]>,
}

/// Result of [`classify`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Classification {
    /// Image height and width.
    pub shape: [usize; 2],
    /// Phases by id.
    pub phases: Vec<Phase>,
    /// Sites after discovery (references included).
    pub sites: usize,
    /// Sites discovered from the data.
    pub discovered_sites: usize,
    /// Pixels without spectral signal above the noise (label 0).
    pub flat_pixels: u64,
    /// Pixels that no phase explains within the noise (kept in their most
    /// correlated phase).
    pub unexplained_pixels: u64,
    /// Pixels the spatial filter relabelled.
    pub filtered_pixels: u64,
    /// Noise model used.
    pub noise: CameraNoise,
    /// Normal-score threshold of the tests, from `split_probability`.
    pub z_split: f64,
}

/// Sink for finished label rows: called with the first row and `rows × width`
/// labels, in image order.
pub type LabelSink<'a> = dyn FnMut(usize, &[u16]) + 'a;

/// Classifies a spectral image in bounded memory (a few blocks of rows).
///
/// `references` (on the image's energy grid) seed the sites and name phases; with
/// none, every site is discovered. Labels go to `sink` row block by row block;
/// `progress` is called after every block and can stop the run.
///
/// # Errors
/// [`Error::InvalidParameter`] for bad settings, references or `signal`;
/// [`Error::InvalidPixel`] for negative or non-finite counts; [`Error::Interrupted`]
/// when `progress` breaks; the source's read errors.
pub fn classify<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    signal: &Signal,
    noise: CameraNoise,
    references: &[Reference],
    settings: &ClusterSettings,
    sink: &mut LabelSink<'_>,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Classification> {
    classify_keeping(
        source,
        signal,
        noise,
        references,
        settings,
        BEST_SITES_BUDGET,
        sink,
        progress,
    )
}

/// [`classify`], keeping the links pass's [`Best`] for the assignment when the
/// survey visits every row and the image has at most `budget` pixels.
#[allow(clippy::too_many_arguments)]
fn classify_keeping<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    signal: &Signal,
    noise: CameraNoise,
    references: &[Reference],
    settings: &ClusterSettings,
    budget: usize,
    sink: &mut LabelSink<'_>,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Classification> {
    settings.validate()?;
    let shape = source.shape();
    let l = shape.n_energies;
    if l < 4 {
        return Err(Error::param(
            "image",
            format!("{l} energies; at least 4 are needed"),
        ));
    }
    signal.validate(l)?;
    let z_split = upper_quantile(settings.split_probability);
    let limits = Limits::new(z_split, l);
    let run = Run {
        pixel: PixelModel::new(signal, &noise, limits),
        limit: limits.spectrum,
        noise,
        z_split,
        settings,
        width: shape.width,
        rows_per_block: (settings.block_pixels / shape.width.max(1)).max(1),
    };
    let mut sites = Sites::from_references(references, l)?;
    if sites.len() > settings.max_sites {
        return Err(Error::param("references", "more references than max_sites"));
    }
    let survey_rows: Vec<usize> = (0..shape.height).step_by(settings.survey_stride).collect();
    let mut reader = Reader::default();
    run.survey(source, &mut reader, &survey_rows, &mut sites, progress)?;
    let keep = keeps_best(settings, shape, budget);
    let counts = run.links(source, &mut reader, &survey_rows, &sites, keep, progress)?;
    let phases = merge(
        &sites,
        &counts.support,
        &counts.links,
        settings.link_fraction,
    );
    let stats = run.assign(
        source,
        &mut reader,
        &sites,
        &phases,
        counts.best,
        sink,
        progress,
    )?;
    Ok(stats.finish(&run, &sites, &phases, references, shape.height))
}

/// Whether the links pass keeps every pixel's [`Best`]: when it visits every row
/// and the image has at most `budget` pixels.
fn keeps_best(settings: &ClusterSettings, shape: ImageShape, budget: usize) -> bool {
    settings.survey_stride == 1 && shape.n_pixels() <= budget
}

/// Most pixels whose [`Best`] the links pass keeps for the assignment pass (8 bytes
/// each: 64 MiB). Larger images are searched again.
const BEST_SITES_BUDGET: usize = 1 << 23;

/// A pixel's most correlated site and whether it explains the pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Best {
    site: u32,
    explains: bool,
}

/// Where the assignment finds each pixel's [`Best`].
enum BestSites {
    /// Kept by the links pass, in image order.
    Kept(Vec<Option<Best>>),
    /// Searched again, block by block.
    Search(SiteSearch),
}

/// What the links pass counts.
struct LinkCounts {
    /// Pixels whose most correlated site each site is (flat pixels excluded).
    support: Vec<u64>,
    /// Pixels both sites explain, `K × K` (most correlated site first).
    links: Vec<u64>,
    /// Every pixel's [`Best`] in image order, when kept.
    best: Option<Vec<Option<Best>>>,
}

/// State shared by the passes.
struct Run<'a> {
    pixel: PixelModel,
    /// Chi-square limit of "explained by a spectrum".
    limit: f32,
    noise: CameraNoise,
    z_split: f64,
    settings: &'a ClusterSettings,
    width: usize,
    rows_per_block: usize,
}

/// Reusable buffers.
#[derive(Default)]
struct Reader {
    values: Vec<f64>,
    row: Vec<f64>,
    spare: Vec<Prepared>,
    scratch: Scratch,
    /// Nearest sites of the current block's pixels.
    nearest: Vec<Option<Nearest>>,
}

impl Run<'_> {
    /// Reads and prepares the given rows (into a recycled block when one is spare).
    fn read<S: SpectralImageSource + ?Sized>(
        &self,
        source: &mut S,
        reader: &mut Reader,
        rows: &[usize],
    ) -> Result<Prepared> {
        let width = self.width;
        let origin = |i: usize| (rows[i / width], i % width);
        let l = source.shape().n_energies;
        let mut block = reader.spare.pop().unwrap_or_default();
        let contiguous = rows.windows(2).all(|p| p[1] == p[0] + 1);
        if contiguous {
            let range = rows[0]..rows[rows.len() - 1] + 1;
            if let Some(values) = source.rows_in_memory(range.clone()) {
                block.fill(values, l, &self.pixel, &origin)?;
                return Ok(block);
            }
            source.read_rows(range, &mut reader.values)?;
        } else {
            reader.values.clear();
            for &y in rows {
                source.read_rows(y..y + 1, &mut reader.row)?;
                reader.values.extend_from_slice(&reader.row);
            }
        }
        block.fill(&reader.values, l, &self.pixel, &origin)?;
        Ok(block)
    }

    fn report(progress: &mut dyn FnMut(Progress) -> ControlFlow<()>, p: Progress) -> Result<()> {
        match progress(p) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => {
                Err(Error::Interrupted(format!("{:?}", p.pass).to_lowercase()))
            }
        }
    }

    fn survey<S: SpectralImageSource + ?Sized>(
        &self,
        source: &mut S,
        reader: &mut Reader,
        rows: &[usize],
        sites: &mut Sites,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<()> {
        let mut discovery = Discovery::new(16 * self.settings.max_sites);
        let mut search = SiteSearch::new(sites);
        let mut done = 0;
        for chunk in rows.chunks(self.rows_per_block) {
            let block = self.read(source, reader, chunk)?;
            let nearest = self.nearest(&block, sites, &search, false, reader);
            let explained = map_pixels(&block, |i| {
                block.flat[i]
                    || nearest[i]
                        .is_some_and(|n| block.explains(i, sites.get(n.best), 1.0, self.limit))
            });
            for (i, _) in explained.iter().enumerate().filter(|(_, e)| !**e) {
                discovery.offer(&block, i, self.limit)?;
            }
            reader.spare.push(block);
            let before = sites.len();
            discovery.promote(sites, self.settings.min_support);
            if sites.len() != before {
                search = SiteSearch::new(sites);
            }
            if sites.len() > self.settings.max_sites {
                return Err(Error::param(
                    "max_sites",
                    format!(
                        "more than {} sites discovered; the noise model may be too optimistic",
                        self.settings.max_sites
                    ),
                ));
            }
            done += chunk.len();
            Self::report(
                progress,
                Progress {
                    pass: Pass::Survey,
                    rows_done: done,
                    rows_total: rows.len(),
                    sites: sites.len(),
                },
            )?;
        }
        Ok(())
    }

    /// Per-site support and pairwise bridging counts; with `keep` (when `rows` are
    /// all rows), every pixel's [`Best`] too, which are the assignment pass's: the
    /// sites and the exact search are the same.
    fn links<S: SpectralImageSource + ?Sized>(
        &self,
        source: &mut S,
        reader: &mut Reader,
        rows: &[usize],
        sites: &Sites,
        keep: bool,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<LinkCounts> {
        let k = sites.len();
        let mut support = vec![0u64; k];
        let mut links = vec![0u64; k * k];
        debug_assert!(!keep || rows.len() == source.shape().height);
        let mut kept = keep.then(|| Vec::with_capacity(rows.len() * self.width));
        let search = SiteSearch::new(sites);
        let mut done = 0;
        for chunk in rows.chunks(self.rows_per_block) {
            let block = self.read(source, reader, chunk)?;
            let nearest = self.nearest(&block, sites, &search, true, reader);
            let pairs = map_pixels(&block, |i| self.bridge(&block, i, sites, nearest[i]));
            reader.spare.push(block);
            for (best, bridge) in pairs.iter().flatten() {
                support[best.site as usize] += 1;
                if let Some(second) = bridge {
                    links[best.site as usize * k + second] += 1;
                }
            }
            if let Some(kept) = &mut kept {
                kept.extend(pairs.iter().map(|p| p.map(|(best, _)| best)));
            }
            done += chunk.len();
            Self::report(
                progress,
                Progress {
                    pass: Pass::Links,
                    rows_done: done,
                    rows_total: rows.len(),
                    sites: k,
                },
            )?;
        }
        Ok(LinkCounts {
            support,
            links,
            best: kept,
        })
    }

    /// The nearest sites of `block`'s pixels (see [`SiteSearch::nearest`]).
    fn nearest<'r>(
        &self,
        block: &Prepared,
        sites: &Sites,
        search: &SiteSearch,
        with_second: bool,
        reader: &'r mut Reader,
    ) -> &'r [Option<Nearest>] {
        search.nearest(
            sites,
            block,
            with_second,
            &mut reader.scratch,
            &mut reader.nearest,
        );
        &reader.nearest
    }

    /// The most correlated site of pixel `i`, and the second one when both explain
    /// the pixel; `None` for a flat pixel.
    fn bridge(
        &self,
        block: &Prepared,
        i: usize,
        sites: &Sites,
        nearest: Option<Nearest>,
    ) -> Option<(Best, Option<usize>)> {
        let n = nearest?;
        let best = self.best(block, i, sites, n);
        let bridge = n
            .second
            .filter(|&s| best.explains && block.explains(i, sites.get(s), 1.0, self.limit));
        Some((best, bridge))
    }

    /// Pixel `i`'s most correlated site `n.best` and whether it explains the pixel.
    fn best(&self, block: &Prepared, i: usize, sites: &Sites, n: Nearest) -> Best {
        Best {
            site: n.best as u32,
            explains: block.explains(i, sites.get(n.best), 1.0, self.limit),
        }
    }

    /// Labels every pixel by the phase of its most correlated site (from `best`,
    /// the links pass's, when given; else searched), filters and adds up the phases.
    #[allow(clippy::too_many_arguments)]
    fn assign<S: SpectralImageSource + ?Sized>(
        &self,
        source: &mut S,
        reader: &mut Reader,
        sites: &Sites,
        phases: &PhaseMap,
        best: Option<Vec<Option<Best>>>,
        sink: &mut LabelSink<'_>,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<Stats> {
        let height = source.shape().height;
        let l = source.shape().n_energies;
        let mut stats = Stats::new(phases.n_phases(), l);
        let mut pending: Option<Assigned> = None;
        let mut above: Option<Vec<u16>> = None;
        let all_rows: Vec<usize> = (0..height).collect();
        let best = match best {
            Some(kept) => BestSites::Kept(kept),
            None => BestSites::Search(SiteSearch::new(sites)),
        };
        for chunk in all_rows.chunks(self.rows_per_block) {
            let block = self.read(source, reader, chunk)?;
            let verdicts = match &best {
                BestSites::Kept(kept) => {
                    let first = chunk[0] * self.width;
                    let kept = &kept[first..first + block.len()];
                    kept.iter().map(|&b| Self::verdict(phases, b)).collect()
                }
                BestSites::Search(search) => {
                    let nearest = self.nearest(&block, sites, search, false, reader);
                    map_pixels(&block, |i| {
                        let best = nearest[i].map(|n| self.best(&block, i, sites, n));
                        Self::verdict(phases, best)
                    })
                }
            };
            let current = Assigned::new(chunk[0], block, verdicts);
            if let Some(prev) = pending.take() {
                let next_above = prev.last_row(self.width);
                let below = Some(current.first_row(self.width));
                let done = self.finish_block(
                    prev,
                    above.as_deref(),
                    below,
                    sites,
                    phases,
                    &mut stats,
                    sink,
                );
                reader.spare.push(done);
                above = Some(next_above);
            }
            pending = Some(current);
            Self::report(
                progress,
                Progress {
                    pass: Pass::Assign,
                    rows_done: chunk[chunk.len() - 1] + 1,
                    rows_total: height,
                    sites: sites.len(),
                },
            )?;
        }
        if let Some(prev) = pending {
            self.finish_block(
                prev,
                above.as_deref(),
                None,
                sites,
                phases,
                &mut stats,
                sink,
            );
        }
        Ok(stats)
    }

    /// A pixel's label (the phase of its most correlated site; 0 for a flat pixel)
    /// and whether that site explains it.
    fn verdict(phases: &PhaseMap, best: Option<Best>) -> (u16, bool) {
        match best {
            Some(b) if phases.n_phases() > 0 => (phases.site_phase[b.site as usize], b.explains),
            _ => (0, true),
        }
    }

    /// Whether the most correlated site of `phase` explains pixel `i`.
    fn phase_explains(
        &self,
        block: &Prepared,
        i: usize,
        phase: u16,
        sites: &Sites,
        phases: &PhaseMap,
    ) -> bool {
        let z = block.z(i);
        (0..sites.len())
            .filter(|&k| phases.site_phase[k] == phase)
            .map(|k| (k, dot(z, sites.get(k))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .is_some_and(|(k, _)| block.explains(i, sites.get(k), 1.0, self.limit))
    }

    /// Filters a block, adds it to the statistics, hands its labels to the sink and
    /// returns its buffers for reuse.
    #[allow(clippy::too_many_arguments)]
    fn finish_block(
        &self,
        block: Assigned,
        above: Option<&[u16]>,
        below: Option<&[u16]>,
        sites: &Sites,
        phases: &PhaseMap,
        stats: &mut Stats,
        sink: &mut LabelSink<'_>,
    ) -> Prepared {
        let labels = if self.settings.spatial_filter {
            let explains =
                |i: usize, phase: u16| self.phase_explains(&block.block, i, phase, sites, phases);
            let (out, changed) =
                noise_aware_filter(&block.labels, self.width, above, below, &explains);
            stats.filtered += changed;
            out
        } else {
            block.labels.clone()
        };
        stats.add(&block, &labels, self.width);
        sink(block.y0, &labels);
        block.block
    }
}

/// Applies `f` to every pixel index of `block`, in parallel when enabled; results in
/// pixel order.
fn map_pixels<T: Send>(block: &Prepared, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "rayon")]
    {
        (0..block.len())
            .into_par_iter()
            .with_min_len(256)
            .map(f)
            .collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        (0..block.len()).map(f).collect()
    }
}

/// An assigned block awaiting its spatial filter.
struct Assigned {
    y0: usize,
    block: Prepared,
    labels: Vec<u16>,
    own: Vec<bool>,
}

impl Assigned {
    fn new(y0: usize, block: Prepared, verdicts: Vec<(u16, bool)>) -> Self {
        let (labels, own) = verdicts.into_iter().unzip();
        Assigned {
            y0,
            block,
            labels,
            own,
        }
    }

    fn first_row(&self, width: usize) -> &[u16] {
        &self.labels[..width]
    }

    fn last_row(&self, width: usize) -> Vec<u16> {
        self.labels[self.labels.len() - width..].to_vec()
    }
}

/// Pixels per partial sum of the statistics (fixed, so sums do not depend on the
/// number of threads).
const STATS_CHUNK: usize = 4096;

/// Per-phase sums of one chunk of pixels.
#[derive(Clone)]
struct Partial {
    count: Vec<u64>,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    bbox: Vec<Option<[usize; 4]>>,
    flat: u64,
    unexplained: u64,
}

impl Partial {
    fn new(n_phases: usize, l: usize) -> Self {
        Partial {
            count: vec![0; n_phases],
            sum: vec![0.0; n_phases * l],
            sum_sq: vec![0.0; n_phases * l],
            bbox: vec![None; n_phases],
            flat: 0,
            unexplained: 0,
        }
    }

    fn merge(&mut self, other: &Partial) {
        for (a, b) in self.count.iter_mut().zip(&other.count) {
            *a += b;
        }
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            *a += b;
        }
        for (a, b) in self.sum_sq.iter_mut().zip(&other.sum_sq) {
            *a += b;
        }
        for (a, b) in self.bbox.iter_mut().zip(&other.bbox) {
            *a = union(*a, *b);
        }
        self.flat += other.flat;
        self.unexplained += other.unexplained;
    }
}

fn union(a: Option<[usize; 4]>, b: Option<[usize; 4]>) -> Option<[usize; 4]> {
    match (a, b) {
        (Some(a), Some(b)) => Some([
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Running phase statistics of the assignment pass.
struct Stats {
    l: usize,
    total: Partial,
    filtered: u64,
}

impl Stats {
    fn new(n_phases: usize, l: usize) -> Self {
        Stats {
            l,
            total: Partial::new(n_phases, l),
            filtered: 0,
        }
    }

    fn add(&mut self, a: &Assigned, labels: &[u16], width: usize) {
        let l = self.l;
        let n_phases = self.total.count.len();
        let part = |c: usize| {
            let mut p = Partial::new(n_phases, l);
            let first = c * STATS_CHUNK;
            let end = (first + STATS_CHUNK).min(labels.len());
            for (i, &label) in labels.iter().enumerate().take(end).skip(first) {
                if label == 0 {
                    p.flat += 1;
                    continue;
                }
                if label == a.labels[i] && !a.own[i] {
                    p.unexplained += 1;
                }
                let ph = usize::from(label) - 1;
                p.count[ph] += 1;
                let od = &a.block.od[i * l..(i + 1) * l];
                let sums = p.sum[ph * l..(ph + 1) * l].iter_mut();
                let squares = p.sum_sq[ph * l..(ph + 1) * l].iter_mut();
                for ((s, q), &v) in sums.zip(squares).zip(od) {
                    let v = f64::from(v);
                    *s += v;
                    *q += v * v;
                }
                let (y, x) = (a.y0 + i / width, i % width);
                p.bbox[ph] = union(p.bbox[ph], Some([y, x, y, x]));
            }
            p
        };
        let chunks = labels.len().div_ceil(STATS_CHUNK);
        #[cfg(feature = "rayon")]
        let parts: Vec<Partial> = (0..chunks).into_par_iter().map(part).collect();
        #[cfg(not(feature = "rayon"))]
        let parts: Vec<Partial> = (0..chunks).map(part).collect();
        for p in &parts {
            self.total.merge(p);
        }
    }

    fn finish(
        self,
        run: &Run<'_>,
        sites: &Sites,
        phases: &PhaseMap,
        references: &[Reference],
        height: usize,
    ) -> Classification {
        let l = self.l;
        let t = &self.total;
        let total = (height * run.width) as f64;
        let out: Vec<Phase> = (0..phases.n_phases())
            .map(|p| {
                let n = t.count[p];
                let nf = n.max(1) as f64;
                let mean: Vec<f64> = (0..l).map(|k| t.sum[p * l + k] / nf).collect();
                let sem = (0..l)
                    .map(|k| {
                        let var = (t.sum_sq[p * l + k] / nf - mean[k] * mean[k]).max(0.0);
                        (var * nf / (nf - 1.0).max(1.0)).sqrt() / nf.sqrt()
                    })
                    .collect();
                Phase {
                    id: (p + 1) as u16,
                    pixels: n,
                    fraction: n as f64 / total,
                    nearest_reference: nearest_reference(&mean, references),
                    mean_od: mean,
                    sem_od: sem,
                    reference: phases.reference[p].map(|r| references[r].name.clone()),
                    sites: phases.n_sites[p],
                    bbox: t.bbox[p],
                }
            })
            .collect();
        Classification {
            shape: [height, run.width],
            phases: out,
            sites: sites.len(),
            discovered_sites: sites.len() - references.len(),
            flat_pixels: t.flat,
            unexplained_pixels: t.unexplained,
            filtered_pixels: self.filtered,
            noise: run.noise,
            z_split: run.z_split,
        }
    }
}

/// The reference most correlated with `spectrum` (Pearson r).
fn nearest_reference(spectrum: &[f64], references: &[Reference]) -> Option<(String, f64)> {
    references
        .iter()
        .map(|r| (r.name.clone(), pearson(spectrum, &r.spectrum)))
        .filter(|(_, r)| r.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Pearson correlation coefficient of two equally long series.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SceneSpec, SyntheticImage, k_edge_end_members, k_edge_grid};

    /// Labels and result of a 128 x 128 synthetic scene, with the links pass's best
    /// sites kept for the assignment (`budget` large) or searched again (0).
    fn run(budget: usize) -> (Classification, Vec<u16>) {
        let grid = k_edge_grid();
        let ends = k_edge_end_members(&grid, true);
        let mut image = SyntheticImage::new(SceneSpec::new(128, 128, grid, ends, 16)).unwrap();
        let (signal, noise) = (image.spec().signal(), image.spec().noise);
        let mut labels = Vec::new();
        // Blocks of 23 rows: the last of the 128 rows is shorter.
        let settings = ClusterSettings {
            block_pixels: 3000,
            ..ClusterSettings::default()
        };
        let result = classify_keeping(
            &mut image,
            &signal,
            noise,
            &[],
            &settings,
            budget,
            &mut |_, rows: &[u16]| labels.extend_from_slice(rows),
            &mut |_| ControlFlow::Continue(()),
        )
        .unwrap();
        (result, labels)
    }

    #[test]
    fn best_sites_are_kept_only_with_every_row_surveyed_and_within_budget() {
        let shape = ImageShape {
            height: 100,
            width: 50,
            n_energies: 10,
        };
        let stride = |survey_stride| ClusterSettings {
            survey_stride,
            ..ClusterSettings::default()
        };
        assert!(keeps_best(&stride(1), shape, 5000));
        assert!(!keeps_best(&stride(1), shape, 4999));
        assert!(!keeps_best(&stride(2), shape, usize::MAX));
    }

    #[test]
    fn kept_best_sites_give_the_searched_result() {
        let (kept, searched) = (run(usize::MAX), run(0));
        assert!(kept.0.phases.len() >= 3, "{} phases", kept.0.phases.len());
        assert_eq!(kept, searched);
    }
}
