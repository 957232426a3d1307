//! Merging sites into phases, over sites only.
//!
//! Sites tile spectral space at the noise spacing, so one material spread by
//! thickness, mixing or noise covers several sites. Two sites belong to the same phase
//! when the data bridge them: enough pixels are explained within the noise by both
//! (their two most correlated sites). Distinct materials with no pixels between them
//! never link, whatever their number of pixels, which is what keeps a 0.5 % minority
//! apart. Linked sites form connected components; a component holding two or more
//! references (a mixture series between library end members) is split by nearest
//! reference, so each reference names one phase.

use crate::block::dot;
use crate::sites::{Origin, Sites};

/// Phases of the sites.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhaseMap {
    /// Phase id (1-based) of each site.
    pub site_phase: Vec<u16>,
    /// Reference index naming each phase (index `id - 1`), if one does.
    pub reference: Vec<Option<usize>>,
    /// Number of sites in each phase.
    pub n_sites: Vec<usize>,
}

impl PhaseMap {
    pub fn n_phases(&self) -> usize {
        self.reference.len()
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Merges sites into phases from the pixels each site explains best (`support`) and
/// the pixels explained by both of a pair (`links`, `K × K`, counted as
/// best-by-second). Sites `i`, `j` link when their bridging pixels number at least
/// `max(1, link_fraction·min(support_i, support_j))`.
pub(crate) fn merge(sites: &Sites, support: &[u64], links: &[u64], link_fraction: f64) -> PhaseMap {
    let k = sites.len();
    let mut parent: Vec<usize> = (0..k).collect();
    for i in 0..k {
        for j in i + 1..k {
            let bridge = links[i * k + j] + links[j * k + i];
            let smaller = support[i].min(support[j]);
            if smaller > 0 && bridge > 0 && bridge as f64 >= link_fraction * smaller as f64 {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let active: Vec<usize> = (0..k).filter(|&i| support[i] > 0).collect();
    let anchors_of = |root: usize, parent: &mut [usize]| -> Vec<usize> {
        active
            .iter()
            .copied()
            .filter(|&a| matches!(sites.origin[a], Origin::Reference(_)) && find(parent, a) == root)
            .collect()
    };
    // Group key of each active site: its component, and its nearest reference when the
    // component holds several.
    let mut groups: Vec<((usize, Option<usize>), u64, usize)> = Vec::new();
    let mut site_group = vec![usize::MAX; k];
    for &i in &active {
        let root = find(&mut parent, i);
        let anchors = anchors_of(root, &mut parent);
        let anchor = match anchors.len() {
            0 => None,
            1 => Some(anchors[0]),
            _ => anchors.iter().copied().max_by(|&a, &b| {
                dot(sites.get(i), sites.get(a))
                    .total_cmp(&dot(sites.get(i), sites.get(b)))
                    .then(b.cmp(&a))
            }),
        };
        let key = (root, anchor);
        let g = match groups.iter().position(|g| g.0 == key) {
            Some(g) => g,
            None => {
                groups.push((key, 0, i));
                groups.len() - 1
            }
        };
        groups[g].1 += support[i];
        site_group[i] = g;
    }
    // Phase ids by decreasing pixel count (ties: earliest site).
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        groups[b]
            .1
            .cmp(&groups[a].1)
            .then(groups[a].2.cmp(&groups[b].2))
    });
    let mut id_of_group = vec![0u16; groups.len()];
    for (rank, &g) in order.iter().enumerate() {
        id_of_group[g] = (rank + 1) as u16;
    }
    let mut map = PhaseMap {
        site_phase: vec![0; k],
        reference: order
            .iter()
            .map(|&g| {
                groups[g].0.1.and_then(|a| match sites.origin[a] {
                    Origin::Reference(r) => Some(r),
                    Origin::Discovered => None,
                })
            })
            .collect(),
        n_sites: vec![0; groups.len()],
    };
    for i in 0..k {
        let g = if site_group[i] != usize::MAX {
            Some(site_group[i])
        } else {
            // A site no surveyed pixel chose follows its most correlated active site.
            active
                .iter()
                .copied()
                .max_by(|&a, &b| {
                    dot(sites.get(i), sites.get(a)).total_cmp(&dot(sites.get(i), sites.get(b)))
                })
                .map(|a| site_group[a])
        };
        if let Some(g) = g {
            map.site_phase[i] = id_of_group[g];
            if site_group[i] != usize::MAX {
                map.n_sites[usize::from(id_of_group[g]) - 1] += 1;
            }
        }
    }
    map
}
