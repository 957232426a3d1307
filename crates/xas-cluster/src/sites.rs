//! Sites: standardised spectra that pixels are classified against.
//!
//! A site is either a reference spectrum (library entry) or discovered from the data:
//! a pixel that no site explains within the noise seeds a *candidate*; later
//! unexplained pixels join the candidate that explains them (its spectrum is their
//! running mean) or seed their own. A candidate becomes a site once `min_support`
//! pixels have joined it, so isolated noise outliers never make sites.

use crate::block::{Prepared, argmax, dot, standardise_clean};
use crate::error::{Error, Result};

/// Where a site came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Reference `i` of the library.
    Reference(usize),
    /// Discovered from unexplained pixels.
    Discovered,
}

/// Standardised site spectra, `len × l`, contiguous.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sites {
    pub l: usize,
    pub spectra: Vec<f32>,
    pub origin: Vec<Origin>,
}

impl Sites {
    /// Sites from reference spectra (optical density or μ on the image grid).
    pub fn from_references(references: &[crate::Reference], l: usize) -> Result<Self> {
        let mut sites = Sites {
            l,
            ..Sites::default()
        };
        for (i, r) in references.iter().enumerate() {
            if r.spectrum.len() != l {
                return Err(Error::param(
                    format!("reference `{}`", r.name),
                    format!(
                        "has {} values but the image has {l} energies",
                        r.spectrum.len()
                    ),
                ));
            }
            let s = standardise_clean(&r.spectrum, &format!("reference `{}`", r.name))?;
            sites.push(&s, Origin::Reference(i));
        }
        Ok(sites)
    }

    pub fn len(&self) -> usize {
        self.origin.len()
    }

    pub fn get(&self, k: usize) -> &[f32] {
        &self.spectra[k * self.l..(k + 1) * self.l]
    }

    fn push(&mut self, s: &[f32], origin: Origin) {
        self.spectra.extend_from_slice(s);
        self.origin.push(origin);
    }
}

/// A candidate site: the running sum of the standardised pixels that joined it.
#[derive(Debug, Clone)]
struct Candidate {
    sum: Vec<f64>,
    spectrum: Vec<f32>,
    support: usize,
}

impl Candidate {
    fn new(z: &[f32]) -> Self {
        Candidate {
            sum: z.iter().map(|&v| f64::from(v)).collect(),
            spectrum: z.to_vec(),
            support: 1,
        }
    }

    fn join(&mut self, z: &[f32]) {
        for (s, &v) in self.sum.iter_mut().zip(z) {
            *s += f64::from(v);
        }
        self.support += 1;
        // The mean of unit vectors, standardised again; a degenerate mean keeps the
        // previous spectrum.
        if let Ok(s) = standardise_clean(&self.sum, "candidate") {
            self.spectrum = s;
        }
    }

    /// Weight scale for testing a pixel against this noisy mean of `support`
    /// pixels: the variances add, `n²(1 + 1/support)`.
    fn scale(&self) -> f32 {
        let k = self.support as f32;
        k / (k + 1.0)
    }
}

/// Streaming discovery of new sites (leader clustering of unexplained pixels).
#[derive(Debug, Clone, Default)]
pub(crate) struct Discovery {
    candidates: Vec<Candidate>,
    /// Largest number of candidates kept before giving up.
    pub max_candidates: usize,
}

impl Discovery {
    pub fn new(max_candidates: usize) -> Self {
        Discovery {
            candidates: Vec::new(),
            max_candidates,
        }
    }

    /// Offers unexplained pixel `i` of `block`: it joins the most correlated
    /// candidate that explains it (chi-square within `limit`) or seeds a new one.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`noise`) when more than `max_candidates` are
    /// open: the noise model must be far too optimistic for the data.
    pub fn offer(&mut self, block: &Prepared, i: usize, limit: f32) -> Result<()> {
        let z = block.z(i);
        let best = argmax(self.candidates.iter().map(|cand| dot(z, &cand.spectrum)));
        if let Some((c, _)) = best {
            let cand = &self.candidates[c];
            if block.explains(i, &cand.spectrum, cand.scale(), limit) {
                self.candidates[c].join(z);
                return Ok(());
            }
        }
        if self.candidates.len() >= self.max_candidates {
            return Err(Error::param(
                "noise",
                format!(
                    "more than {} candidate sites: pixels differ far more than the noise \
                     model allows; estimate the noise from the data or give a larger gain",
                    self.max_candidates
                ),
            ));
        }
        self.candidates.push(Candidate::new(z));
        Ok(())
    }

    /// Moves every candidate with at least `min_support` pixels into `sites`.
    pub fn promote(&mut self, sites: &mut Sites, min_support: usize) {
        let (ready, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.candidates)
            .into_iter()
            .partition(|c| c.support >= min_support);
        for c in ready {
            sites.push(&c.spectrum, Origin::Discovered);
        }
        self.candidates = open;
    }
}
