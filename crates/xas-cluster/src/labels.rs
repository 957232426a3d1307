//! Label maps, connected regions and the two spatial filters.
//!
//! Label 0 is "no phase" (a pixel without spectral signal above the noise, or one the
//! published filter removed); phases are numbered from 1.

use std::collections::VecDeque;

/// A phase map: one label per pixel, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMap {
    /// Pixel columns.
    pub width: usize,
    /// Pixel rows.
    pub height: usize,
    /// `height × width` labels.
    pub labels: Vec<u16>,
}

/// An 8-connected region of one label.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    /// The label.
    pub label: u16,
    /// Pixels in the region.
    pub pixels: usize,
    /// Bounding box `[y_min, x_min, y_max, x_max]`, inclusive.
    pub bbox: [usize; 4],
}

impl LabelMap {
    /// Pixels of each label `0..=max_label`.
    pub fn counts(&self, max_label: u16) -> Vec<u64> {
        let mut counts = vec![0u64; usize::from(max_label) + 1];
        for &l in &self.labels {
            if l <= max_label {
                counts[usize::from(l)] += 1;
            }
        }
        counts
    }

    /// The 8-connected regions of `label`, largest first (ties: top-left first).
    pub fn regions(&self, label: u16) -> Vec<Region> {
        let (w, h) = (self.width, self.height);
        let mut seen = vec![false; self.labels.len()];
        let mut regions = Vec::new();
        let mut queue = VecDeque::new();
        for start in 0..self.labels.len() {
            if seen[start] || self.labels[start] != label {
                continue;
            }
            seen[start] = true;
            queue.push_back(start);
            let mut region = Region {
                label,
                pixels: 0,
                bbox: [start / w, start % w, start / w, start % w],
            };
            while let Some(i) = queue.pop_front() {
                let (y, x) = (i / w, i % w);
                region.pixels += 1;
                region.bbox = [
                    region.bbox[0].min(y),
                    region.bbox[1].min(x),
                    region.bbox[2].max(y),
                    region.bbox[3].max(x),
                ];
                for (ny, nx) in neighbours(y, x, h, w) {
                    let j = ny * w + nx;
                    if !seen[j] && self.labels[j] == label {
                        seen[j] = true;
                        queue.push_back(j);
                    }
                }
            }
            regions.push(region);
        }
        regions.sort_by_key(|r| std::cmp::Reverse(r.pixels));
        regions
    }
}

/// The in-image 8-neighbours of `(y, x)`.
fn neighbours(y: usize, x: usize, h: usize, w: usize) -> impl Iterator<Item = (usize, usize)> {
    (-1isize..=1)
        .flat_map(|dy| (-1isize..=1).map(move |dx| (dy, dx)))
        .filter(|&d| d != (0, 0))
        .filter_map(move |(dy, dx)| {
            let ny = y.checked_add_signed(dy)?;
            let nx = x.checked_add_signed(dx)?;
            (ny < h && nx < w).then_some((ny, nx))
        })
}

/// The noise-aware 3 × 3 majority filter on a block of rows.
///
/// A pixel takes the label held by most of its in-image 8-neighbours (more than half
/// of them, at least three) only if that phase also explains its spectrum within the
/// noise (`explains(pixel index, label)`, asked only for such candidates). Spatial
/// context thus decides only between phases the pixel's own data cannot tell apart:
/// at high signal-to-noise nothing changes and a distinct minority survives down to
/// single pixels, while at low signal-to-noise isolated ambiguous pixels join their
/// surroundings. Label 0 is never a target.
///
/// `above` and `below` are the unfiltered rows adjacent to the block, if any. Returns
/// the filtered labels and the number of pixels changed.
pub(crate) fn noise_aware_filter(
    labels: &[u16],
    width: usize,
    above: Option<&[u16]>,
    below: Option<&[u16]>,
    explains: &dyn Fn(usize, u16) -> bool,
) -> (Vec<u16>, u64) {
    let rows = labels.len() / width;
    let row = |r: isize| -> Option<&[u16]> {
        if r < 0 {
            above
        } else if r as usize >= rows {
            below
        } else {
            Some(&labels[r as usize * width..(r as usize + 1) * width])
        }
    };
    let mut out = labels.to_vec();
    let mut changed = 0;
    let mut tally: Vec<(u16, u8)> = Vec::with_capacity(8);
    for r in 0..rows {
        for x in 0..width {
            let own = labels[r * width + x];
            if own == 0 {
                continue;
            }
            tally.clear();
            let mut n = 0u8;
            for dr in -1isize..=1 {
                let Some(line) = row(r as isize + dr) else {
                    continue;
                };
                for dx in -1isize..=1 {
                    if (dr, dx) == (0, 0) {
                        continue;
                    }
                    let Some(nx) = x.checked_add_signed(dx).filter(|&v| v < width) else {
                        continue;
                    };
                    n += 1;
                    let l = line[nx];
                    match tally.iter_mut().find(|t| t.0 == l) {
                        Some(t) => t.1 += 1,
                        None => tally.push((l, 1)),
                    }
                }
            }
            let Some(&(top, count)) = tally
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            else {
                continue;
            };
            if top != 0 && top != own && count >= 3 && 2 * count > n && explains(r * width + x, top)
            {
                out[r * width + x] = top;
                changed += 1;
            }
        }
    }
    (out, changed)
}

/// The spatial filter of Ito et al. (2024), as read from their public code, for
/// comparison: for each label, pixels with at least `kernel² - delta` same-label
/// pixels in the `kernel × kernel` window around them are cores; the label keeps the
/// pixels 8-connected to a core through same-label pixels and loses the rest, as do
/// the `kernel / 2` pixels along the image border. The emptied pixels are then filled
/// by repeated 3 × 3 dilation of every label in increasing order until none is left
/// (an empty map stays empty). Their defaults are `kernel = 5`, `delta = 2`.
pub fn published_filter(map: &LabelMap, kernel: usize, delta: usize) -> LabelMap {
    let (w, h) = (map.width, map.height);
    let half = kernel / 2;
    let need = (kernel * kernel).saturating_sub(delta);
    let at = |y: usize, x: usize| map.labels[y * w + x];
    let mut keep = vec![false; w * h];
    let mut queue = VecDeque::new();
    for y in half..h.saturating_sub(half) {
        for x in half..w.saturating_sub(half) {
            let l = at(y, x);
            if l == 0 {
                continue;
            }
            let same = (y - half..=y + half)
                .flat_map(|yy| (x - half..=x + half).map(move |xx| (yy, xx)))
                .filter(|&(yy, xx)| at(yy, xx) == l)
                .count();
            if same >= need {
                keep[y * w + x] = true;
                queue.push_back(y * w + x);
            }
        }
    }
    let inside = |y: usize, x: usize| y >= half && x >= half && y + half < h && x + half < w;
    while let Some(i) = queue.pop_front() {
        let (y, x) = (i / w, i % w);
        for (ny, nx) in neighbours(y, x, h, w) {
            let j = ny * w + nx;
            if !keep[j] && map.labels[j] == map.labels[i] && inside(ny, nx) {
                keep[j] = true;
                queue.push_back(j);
            }
        }
    }
    let mut labels: Vec<u16> = map
        .labels
        .iter()
        .zip(&keep)
        .map(|(&l, &k)| if k { l } else { 0 })
        .collect();
    let max_label = labels.iter().copied().max().unwrap_or(0);
    loop {
        let mut filled = false;
        for l in 1..=max_label {
            let snapshot = labels.clone();
            for y in 0..h {
                for x in 0..w {
                    if snapshot[y * w + x] == 0
                        && neighbours(y, x, h, w).any(|(ny, nx)| snapshot[ny * w + nx] == l)
                    {
                        labels[y * w + x] = l;
                        filled = true;
                    }
                }
            }
        }
        if !filled {
            break;
        }
    }
    LabelMap {
        width: w,
        height: h,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(rows: &[&str]) -> LabelMap {
        LabelMap {
            width: rows[0].len(),
            height: rows.len(),
            labels: rows
                .iter()
                .flat_map(|r| r.bytes().map(|b| u16::from(b - b'0')))
                .collect(),
        }
    }

    #[test]
    fn regions_are_eight_connected_with_boxes() {
        let m = map(&["1002", "0102", "0000", "2200"]);
        let r1 = m.regions(1);
        assert_eq!(r1.len(), 1);
        assert_eq!(r1[0].pixels, 2);
        assert_eq!(r1[0].bbox, [0, 0, 1, 1]);
        let r2 = m.regions(2);
        assert_eq!(r2.iter().map(|r| r.pixels).collect::<Vec<_>>(), vec![2, 2]);
        assert_eq!(m.counts(2), vec![10, 2, 4]);
    }

    #[test]
    fn noise_aware_filter_changes_only_explained_pixels() {
        // A lone 2 inside 1s: relabelled only when phase 1 explains it.
        let m = map(&["111", "121", "111"]);
        let (out, n) = noise_aware_filter(&m.labels, 3, None, None, &|_, phase| phase == 1);
        assert_eq!((out[4], n), (1, 1));
        let (out, n) = noise_aware_filter(&m.labels, 3, None, None, &|_, phase| phase == 2);
        assert_eq!((out[4], n), (2, 0));
        // Rows outside the block count as neighbours.
        let block = [1u16, 2, 1];
        let (out, _) =
            noise_aware_filter(&block, 3, Some(&[1, 1, 1]), Some(&[1, 1, 1]), &|_, _| true);
        assert_eq!(out, vec![1, 1, 1]);
    }

    #[test]
    fn published_filter_keeps_5x5_cores_and_refills() {
        // A 7 x 7 block of 2 in a field of 1 survives; a 2 x 2 speck of 3 is removed
        // and refilled by 1.
        let (w, h) = (20, 15);
        let mut labels = vec![1u16; w * h];
        for y in 4..11 {
            for x in 4..11 {
                labels[y * w + x] = 2;
            }
        }
        for y in 6..8 {
            for x in 15..17 {
                labels[y * w + x] = 3;
            }
        }
        let m = LabelMap {
            width: w,
            height: h,
            labels,
        };
        let f = published_filter(&m, 5, 2);
        assert_eq!(f.counts(3), vec![0, 15 * 20 - 49, 49, 0]);
    }
}
