//! The reference solver, for tests only: one DP layer per depth, every
//! split at every depth, O(L·R³). [`super::bounded`] must find trees of
//! the same cost.

use super::objective::{chain_total, max_runs, prefix_sums, Objective, TIE};
use super::{chain_tree, Tree, CHAIN};
use crate::runs::Run;

/// An infeasible cost (no tree of the interval fits the depth).
pub(super) const INF: u64 = u64::MAX / 4;
/// A layer's pick when the interval's optimum is the one of the layer below.
const INHERIT: u8 = 0;

/// The tree minimising `obj` over `runs` with at most `max_depth` tests on
/// any path (`max_depth` at least `⌈log2 R⌉`, `R ≤ MAX_DP_RUNS`).
pub(super) fn solve(runs: &[Run], obj: &Objective, max_depth: u32) -> Tree {
    let r = runs.len();
    Layered::solve(runs, obj, max_depth).build(runs, max_depth as usize, 0, r - 1)
}

/// The layers' choices.
struct Layered {
    r: usize,
    /// `choice[d*r*r + i*r + j]`: `INHERIT` (as at depth d-1), `CHAIN`, or
    /// the split run `k` (left `i..k`, right `k..=j`).
    choice: Vec<u8>,
    /// Last layer computed (layers after it equal it).
    top: usize,
}

impl Layered {
    fn solve(runs: &[Run], obj: &Objective, max_depth: u32) -> Layered {
        let (r, weights, pen) = (runs.len(), &obj.weights[..], obj.pen);
        let rr = r * r;
        let prefix = prefix_sums(weights);
        let (chain_cost, chain_len) = chains(runs, weights, pen, max_depth);
        let mut prev = vec![INF; rr];
        let mut prev_t = vec![INF; rr];
        for i in 0..r {
            prev[i * r + i] = weights[i] * TIE;
            prev_t[i * r + i] = weights[i] * TIE;
        }
        let mut cur = prev.clone();
        let mut choice = vec![INHERIT; rr * (max_depth as usize + 1)];
        let mut top = 0;
        for d in 1..=max_depth as usize {
            let ch = &mut choice[d * rr..(d + 1) * rr];
            let mut changed = false;
            let max_len = r.min(max_runs(d as u32));
            for len in 2..=max_len {
                for i in 0..=r - len {
                    let j = i + len - 1;
                    let at = i * r + j;
                    let mut best = prev[at];
                    let mut pick = INHERIT;
                    let mut split_best = INF;
                    let mut split_k = 0;
                    for k in i + 1..=j {
                        let c = prev[i * r + k - 1] + prev_t[j * r + k];
                        if c < split_best {
                            split_best = c;
                            split_k = k;
                        }
                    }
                    if split_best < INF {
                        let c = split_best + (prefix[j + 1] - prefix[i]) * TIE + pen;
                        if c < best {
                            best = c;
                            pick = split_k as u8;
                        }
                    }
                    if chain_len[at] as usize <= d && chain_cost[at] < best {
                        best = chain_cost[at];
                        pick = CHAIN;
                    }
                    cur[at] = best;
                    ch[at] = pick;
                    changed |= pick != INHERIT;
                }
            }
            top = d;
            if !changed {
                break;
            }
            for i in 0..r {
                for j in i..r {
                    prev_t[j * r + i] = cur[i * r + j];
                }
            }
            prev.copy_from_slice(&cur);
        }
        Layered { r, choice, top }
    }

    fn build(&self, runs: &[Run], d: usize, i: usize, j: usize) -> Tree {
        let mut d = d.min(self.top);
        let at = i * self.r + j;
        loop {
            if d == 0 {
                debug_assert_eq!(i, j);
                return Tree::Leaf(runs[i].leaf);
            }
            match self.choice[d * self.r * self.r + at] {
                INHERIT => d -= 1,
                CHAIN => return chain_tree(runs, i, j),
                k => {
                    let k = usize::from(k);
                    return Tree::Ge {
                        k: runs[k].lo,
                        lo: Box::new(self.build(runs, d - 1, i, k - 1)),
                        hi: Box::new(self.build(runs, d - 1, k, j)),
                    };
                }
            }
        }
    }
}

/// For every interval that is a valid `jeq` chain (runs `i, i+2, …, j`
/// share a leaf, the runs between are single numbers, at most `max_len`
/// points): its cost (`pen` per test) and its number of tests.
/// `INF`/`u32::MAX` elsewhere.
fn chains(runs: &[Run], weights: &[u64], pen: u64, max_len: u32) -> (Vec<u64>, Vec<u32>) {
    let r = runs.len();
    let mut cost = vec![INF; r * r];
    let mut len = vec![u32::MAX; r * r];
    let mut points: Vec<u64> = Vec::new(); // descending
    for i in 0..r {
        let sea = runs[i].leaf;
        let mut sea_weight = weights[i];
        points.clear();
        let mut j = i + 2;
        while j < r && runs[j].leaf == sea && runs[j - 1].is_point() {
            if points.len() as u32 >= max_len {
                break;
            }
            sea_weight += weights[j];
            let w = weights[j - 1];
            let pos = points.partition_point(|&p| p >= w);
            points.insert(pos, w);
            let n = points.len() as u64;
            let pts: u64 = points
                .iter()
                .enumerate()
                .map(|(t, &w)| w * (t as u64 + 2))
                .sum();
            cost[i * r + j] = chain_total(pts, sea_weight, n, pen);
            len[i * r + j] = n as u32;
            j += 2;
        }
    }
    (cost, len)
}
