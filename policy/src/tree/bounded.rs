//! The production solver: the depth-unlimited optimum of every interval
//! first (O(R³) cheap steps, no depth dimension); if its tree breaks the
//! depth limit, a branch and bound over the depth-limited problem that
//! descends only into intervals whose unlimited tree is too deep and skips
//! every split whose unlimited cost already loses. Exact: the tests compare
//! it with the exhaustive solver (`super::exhaustive`) and a brute force.

use super::objective::{chain_total, max_runs, prefix_sums, Objective, TIE};
use super::{chain_tree, Tree, CHAIN};
use crate::runs::Run;

/// The tree minimising `obj` over `runs` with at most `max_depth` tests on
/// any path (`max_depth` at least `⌈log2 R⌉`, `R ≤ MAX_DP_RUNS`).
pub(super) fn solve(runs: &[Run], obj: &Objective, max_depth: u32) -> Tree {
    Bounded::solve(runs, obj, max_depth).build()
}

/// The search state.
///
/// Costs are `f64`s holding integers: every tree's cost is below `2^53`
/// ([`Objective::new`]), and every sum the search forms is at most the cost
/// of some tree of its interval, so sums are exact and comparisons are
/// integer comparisons, and two `f64` lanes take one SSE2 `minpd` (which
/// `u64` has no baseline instruction for).
struct Bounded<'a> {
    runs: &'a [Run],
    weights: &'a [u64],
    /// What one test costs ([`Objective`]).
    pen: u64,
    r: usize,
    /// The depth limit (at most R - 1, which no tree of R runs exceeds).
    cap: u32,
    prefix: Vec<u64>,
    /// Row stride of `f` and `ft`: `LANES` columns of padding, then `r`.
    s: usize,
    /// `f[i*s + LANES + j]`: the optimum for runs `i..=j` with no depth
    /// limit (chains still at most `cap` points). Infinite elsewhere, so a
    /// split scan may start up to `LANES - 1` columns early.
    f: Vec<f64>,
    /// `ft[j*s + LANES + i] = f[i*s + LANES + j]` (infinite until computed).
    ft: Vec<f64>,
    /// The unlimited optimum's root: `CHAIN` from the DP, the split run `k`
    /// once looked up ([`Bounded::root`]), 0 before.
    arg: Vec<u8>,
    /// The unlimited optimum's depth, `UNSET` until asked for.
    h: Vec<u8>,
    /// Depth-limited optima (`UNKNOWN` until computed) and their roots for
    /// the intervals the unlimited optimum does not fit: interval `at` at
    /// depth `d` is `slot[at] + d - min_depth[len]` (only depths from the
    /// least feasible to `min(h, cap + 1) - 1` can be asked for).
    slot: Vec<u32>,
    min_depth: Vec<u32>,
    memo: Vec<(f64, u8)>,
    points: Vec<u64>,
}

/// Split scans go `LANES` candidates at a time.
const LANES: usize = 8;
const UNSET: u8 = u8::MAX;
const NO_SLOT: u32 = u32::MAX;
const UNKNOWN: f64 = -1.0;
const NONE: f64 = f64::INFINITY;

impl<'a> Bounded<'a> {
    fn solve(runs: &'a [Run], obj: &'a Objective, max_depth: u32) -> Bounded<'a> {
        let (r, weights) = (runs.len(), &obj.weights[..]);
        let prefix = prefix_sums(weights);
        let s = r + LANES;
        let mut b = Bounded {
            runs,
            weights,
            pen: obj.pen,
            r,
            cap: max_depth.min(r as u32 - 1),
            prefix,
            s,
            f: vec![NONE; r * s],
            ft: vec![NONE; r * s],
            arg: vec![0; r * r],
            h: vec![UNSET; r * r],
            slot: Vec::new(),
            min_depth: Vec::new(),
            memo: Vec::new(),
            points: Vec::new(),
        };
        b.unlimited();
        if b.height(0, r - 1) > b.cap {
            b.limited_setup();
            b.limited(b.cap, 0, r - 1);
        }
        b
    }

    /// `weight(i..=j) × TIE + pen`: what a test at the root of `i..=j` adds.
    fn base(&self, i: usize, j: usize) -> f64 {
        ((self.prefix[j + 1] - self.prefix[i]) * TIE + self.pen) as f64
    }

    /// The depth-unlimited DP, by decreasing `i` then increasing `j`: row
    /// `i` of `f` and column `j` of `ft` are complete when `(i, j)` is
    /// reached. The chain of the sea `runs[i]` grows with `j`.
    fn unlimited(&mut self) {
        let (r, s, runs, w, pen) = (self.r, self.s, self.runs, self.weights, self.pen);
        let points = &mut self.points;
        for i in (0..r).rev() {
            let leaf = (w[i] * TIE) as f64;
            self.h[i * r + i] = 0;
            self.f[i * s + LANES + i] = leaf;
            self.ft[i * s + LANES + i] = leaf;
            let sea = runs[i].leaf;
            let mut chain = true;
            let (mut sea_w, mut pts_cost) = (w[i], 0u64);
            points.clear();
            let (row, col) = (i * s + LANES, LANES + i);
            // f(i, j - 1), kept out of the vector loads: a load overlapping
            // the store just made stalls.
            let mut last = leaf;
            for j in i + 1..r {
                // Split `j` here, `k` in `j-n..j` below, `n` a multiple of
                // `LANES`: the ones below `i+1` read infinities.
                let mut m = last + self.ft[j * s + LANES + j];
                let n = (j - 1 - i).next_multiple_of(LANES);
                if n > 0 {
                    m = m.min(min_sum(
                        &self.f[row + j - n - 1..row + j - 1],
                        &self.ft[j * s + LANES + j - n..j * s + LANES + j],
                    ));
                }
                let wsum = self.prefix[j + 1] - self.prefix[i];
                let mut best = m + (wsum * TIE + pen) as f64;
                if chain && (j - i) % 2 == 0 {
                    if runs[j].leaf == sea
                        && runs[j - 1].is_point()
                        && points.len() < self.cap as usize
                    {
                        sea_w += w[j];
                        let p = w[j - 1];
                        // Heaviest first: `p` goes after the points at least
                        // as heavy, the lighter ones move one test down.
                        let pos = points.partition_point(|&q| q >= p);
                        pts_cost += points[pos..].iter().sum::<u64>() + p * (pos as u64 + 2);
                        points.insert(pos, p);
                        let n = points.len() as u64;
                        let c = chain_total(pts_cost, sea_w, n, pen) as f64;
                        if c < best {
                            best = c;
                            self.arg[i * r + j] = CHAIN;
                        }
                    } else {
                        chain = false;
                    }
                }
                self.f[row + j] = best;
                self.ft[j * s + col] = best;
                last = best;
            }
        }
    }

    /// The unlimited optimum of `i..=j` (`i < j`): `CHAIN`, or its split.
    fn root(&mut self, i: usize, j: usize) -> u8 {
        let at = i * self.r + j;
        if self.arg[at] == 0 {
            let (s, f) = (self.s, &self.f);
            let target = f[i * s + LANES + j] - self.base(i, j);
            let k = (i + 1..=j)
                .find(|&k| f[i * s + LANES + k - 1] + f[k * s + LANES + j] == target)
                .expect("the DP's minimum is a split");
            self.arg[at] = k as u8;
        }
        self.arg[at]
    }

    /// The depth of the unlimited optimum's tree for `i..=j`.
    #[inline]
    fn height(&mut self, i: usize, j: usize) -> u32 {
        match self.h[i * self.r + j] {
            UNSET => self.height_of(i, j),
            h => u32::from(h),
        }
    }

    fn height_of(&mut self, i: usize, j: usize) -> u32 {
        let h = match self.root(i, j) {
            CHAIN => (j - i) as u32 / 2,
            k => {
                let k = usize::from(k);
                1 + self.height(i, k - 1).max(self.height(k, j))
            }
        };
        self.h[i * self.r + j] = h as u8;
        h
    }

    fn limited_setup(&mut self) {
        let mut d = 0;
        self.min_depth = (0..=self.r)
            .map(|len| {
                while max_runs(d) < len {
                    d += 1;
                }
                d
            })
            .collect();
        self.slot = vec![NO_SLOT; self.r * self.r];
        self.memo.reserve(self.r * self.r);
    }

    /// Where the limited optimum of `i..=j` at depth `d` is memoised: the
    /// interval's slots (one per depth from the least feasible to the
    /// limit) are appended on first use.
    fn slot(&mut self, d: u32, i: usize, j: usize) -> usize {
        let (at, min) = (i * self.r + j, self.min_depth[j - i + 1]);
        if self.slot[at] == NO_SLOT {
            self.slot[at] = self.memo.len() as u32;
            let n = (self.cap + 1 - min) as usize;
            self.memo.resize(self.memo.len() + n, (UNKNOWN, 0));
        }
        (self.slot[at] + d - min) as usize
    }

    /// The optimum of runs `i..=j` with at most `d` tests on any path,
    /// infinite if there is none.
    fn limited(&mut self, d: u32, i: usize, j: usize) -> f64 {
        let s = self.s;
        let len = j - i + 1;
        if len > max_runs(d) {
            return NONE;
        }
        if self.height(i, j) <= d {
            // Also every `i == j`. The unlimited tree fits: it is optimal.
            return self.f[i * s + LANES + j];
        }
        let slot = self.slot(d, i, j);
        if self.memo[slot].0 != UNKNOWN {
            return self.memo[slot].0;
        }
        let (mut best, mut pick) = (NONE, 0);
        if let Some(c) = self.chain_cost(i, j, d) {
            (best, pick) = (c, CHAIN);
        }
        // A split's unlimited cost bounds its limited cost from below: try
        // the unlimited optimum's split first (usually the best), then skip
        // every split whose bound cannot beat `best`.
        let base = self.base(i, j);
        let sub = max_runs(d - 1);
        let first = match self.root(i, j) {
            CHAIN => 0,
            k => usize::from(k),
        };
        let ks = (i + 1).max((j + 1).saturating_sub(sub))..=j.min(i + sub);
        let first = if ks.contains(&first) {
            Some(first)
        } else {
            None
        };
        for k in first.into_iter().chain(ks.filter(|&k| Some(k) != first)) {
            let right = self.f[k * s + LANES + j];
            if self.f[i * s + LANES + k - 1] + right + base >= best {
                continue;
            }
            let lo = self.limited(d - 1, i, k - 1);
            if lo + right + base >= best {
                continue;
            }
            let c = lo + self.limited(d - 1, k, j) + base;
            if c < best {
                (best, pick) = (c, k as u8);
            }
        }
        self.memo[slot] = (best, pick);
        best
    }

    /// The cost of the `jeq` chain over runs `i..=j`, if they form one of at
    /// most `d` points.
    fn chain_cost(&mut self, i: usize, j: usize, d: u32) -> Option<f64> {
        let n = (j - i) / 2;
        if (j - i) & 1 == 1 || n > d as usize {
            return None;
        }
        let runs = self.runs;
        let sea = runs[i].leaf;
        self.points.clear();
        let mut sea_w = self.weights[i];
        for t in (i + 2..=j).step_by(2) {
            if runs[t].leaf != sea || !runs[t - 1].is_point() {
                return None;
            }
            sea_w += self.weights[t];
            self.points.push(self.weights[t - 1]);
        }
        self.points.sort_unstable_by(|a, b| b.cmp(a));
        let pts: u64 = self.points.iter().zip(2..).map(|(w, t)| w * t).sum();
        let n = n as u64;
        Some(chain_total(pts, sea_w, n, self.pen) as f64)
    }

    fn build(&mut self) -> Tree {
        self.subtree(self.cap, 0, self.r - 1)
    }

    fn subtree(&mut self, d: u32, i: usize, j: usize) -> Tree {
        if i == j {
            return Tree::Leaf(self.runs[i].leaf);
        }
        let pick = if self.height(i, j) <= d {
            self.root(i, j)
        } else {
            let slot = self.slot(d, i, j);
            self.memo[slot].1
        };
        match pick {
            CHAIN => chain_tree(self.runs, i, j),
            k => {
                let k = usize::from(k);
                Tree::Ge {
                    k: self.runs[k].lo,
                    lo: Box::new(self.subtree(d - 1, i, k - 1)),
                    hi: Box::new(self.subtree(d - 1, k, j)),
                }
            }
        }
    }
}

/// `min_t a[t] + b[t]` (equal lengths, a multiple of `LANES`), in
/// `LANES` independent lanes.
#[inline]
fn min_sum(a: &[f64], b: &[f64]) -> f64 {
    let mut m = [f64::INFINITY; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for l in 0..LANES {
            let s = x[l] + y[l];
            m[l] = if s < m[l] { s } else { m[l] };
        }
    }
    m.into_iter()
        .fold(f64::INFINITY, |a, b| if b < a { b } else { a })
}
