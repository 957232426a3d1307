//! Scoring a label map against the truth: detection of a minority phase.

/// How well a minority phase was found (the definitions of the team's benchmark
/// notes, section E.2).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MinorityScore {
    /// Minority pixels inside minority clusters over all minority pixels.
    pub recall: f64,
    /// Minority pixels inside minority clusters over all pixels of those clusters.
    pub precision: f64,
    /// Largest share of the minority pixels held by any one cluster.
    pub best_share: f64,
    /// Distinct labels in the prediction.
    pub clusters: usize,
}

/// Scores `predicted` against `truth` for the truth label `minority`: a predicted
/// cluster counts as minority when at least half its pixels are minority.
pub fn minority_score(predicted: &[u16], truth: &[u16], minority: u16) -> MinorityScore {
    let mut tally = MinorityTally::new(minority);
    tally.add(predicted, truth);
    tally.score()
}

/// [`minority_score`] accumulated over streamed rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinorityTally {
    minority: u16,
    /// Per predicted label: all pixels, minority pixels.
    counts: Vec<[u64; 2]>,
}

impl MinorityTally {
    /// An empty tally for the truth label `minority`.
    pub fn new(minority: u16) -> Self {
        MinorityTally {
            minority,
            counts: Vec::new(),
        }
    }

    /// Adds pixels (equal lengths).
    pub fn add(&mut self, predicted: &[u16], truth: &[u16]) {
        for (&p, &t) in predicted.iter().zip(truth) {
            let p = usize::from(p);
            if self.counts.len() <= p {
                self.counts.resize(p + 1, [0, 0]);
            }
            self.counts[p][0] += 1;
            self.counts[p][1] += u64::from(t == self.minority);
        }
    }

    /// The score of everything added.
    pub fn score(&self) -> MinorityScore {
        let all_minority: u64 = self.counts.iter().map(|c| c[1]).sum();
        let (mut inside, mut size) = (0u64, 0u64);
        for c in self.counts.iter().filter(|c| c[0] > 0 && 2 * c[1] >= c[0]) {
            inside += c[1];
            size += c[0];
        }
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        MinorityScore {
            recall: ratio(inside, all_minority),
            precision: ratio(inside, size),
            best_share: ratio(
                self.counts.iter().map(|c| c[1]).max().unwrap_or(0),
                all_minority,
            ),
            clusters: self.counts.iter().filter(|c| c[0] > 0).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        // Truth: 4 minority pixels (label 9). Cluster 2 holds 3 of them and 1 other
        // pixel; cluster 1 holds the fourth among 5 others.
        let truth = [9, 9, 9, 0, 9, 0, 0, 0, 0, 0];
        let pred = [2, 2, 2, 2, 1, 1, 1, 1, 1, 1];
        let s = minority_score(&pred, &truth, 9);
        assert_eq!(s.recall, 0.75);
        assert_eq!(s.precision, 0.75);
        assert_eq!(s.best_share, 0.75);
        assert_eq!(s.clusters, 2);
    }
}
