//! The dispatch tree: which comparisons on `nr` lead to which leaf.
//!
//! [`optimal`] solves a depth-limited optimal alphabetic-tree problem by
//! interval dynamic programming over the runs (design note §9.3): it
//! minimises
//!
//! ```text
//!   Σ weight(run) × instructions executed for run  +  λ × tests in the tree
//! ```
//!
//! where a threshold test (`jge`), a point test (`jeq`) and the final `ret`
//! each cost one instruction, subject to at most `max_depth` tests on any
//! path. `λ = size_penalty × Σ weight`, so dividing by the total weight the
//! objective reads `mean executed + size_penalty × program tests`: one test
//! instruction of program size is worth `size_penalty` executed instructions
//! per call ([`DEFAULT_SIZE_PENALTY`]).
//!
//! Two node kinds:
//! - a threshold split of runs `i..=j` at run `k` (`jge #lo_k`);
//! - a `jeq` chain over a "sea" of one leaf dotted with single-number runs
//!   (`X p1 X p2 X`): each point is tested with `jeq`, heaviest first, and
//!   the sea is what remains. This is what lets one test remove two run
//!   boundaries (the bound `M(D) = 3·2^(D-1)` of §9.2, claim B).
//!
//! A third kind, the bit test [`Tree::Bits`] (`jset`), is not chosen here:
//! [`crate::bits::refine`] adds it to the optimal tree afterwards.

use crate::runs::{Leaf, Run};

/// A decision tree over `nr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tree {
    /// `ret` of this leaf.
    Leaf(Leaf),
    /// `jge #k`: `nr >= k` goes to `hi`, the rest to `lo`.
    Ge {
        k: u32,
        lo: Box<Tree>,
        hi: Box<Tree>,
    },
    /// `jeq #k`: `nr == k` gets `eq`, the rest goes to `ne`.
    Eq { k: u32, eq: Leaf, ne: Box<Tree> },
    /// `jset #mask`: numbers whose test (`nr & mask != 0`) comes out
    /// `when_set` get `leaf`, the rest go to `rest`. Only placed by
    /// [`crate::bits::refine`], below the table end.
    Bits {
        mask: u32,
        when_set: bool,
        leaf: Leaf,
        rest: Box<Tree>,
    },
}

impl Tree {
    /// The number of tests on the longest path.
    pub fn depth(&self) -> u32 {
        match self {
            Tree::Leaf(_) => 0,
            Tree::Ge { lo, hi, .. } => 1 + lo.depth().max(hi.depth()),
            Tree::Eq { ne, .. } => 1 + ne.depth(),
            Tree::Bits { rest, .. } => 1 + rest.depth(),
        }
    }

    /// The number of test instructions.
    pub fn tests(&self) -> u32 {
        match self {
            Tree::Leaf(_) => 0,
            Tree::Ge { lo, hi, .. } => 1 + lo.tests() + hi.tests(),
            Tree::Eq { ne, .. } => 1 + ne.tests(),
            Tree::Bits { rest, .. } => 1 + rest.tests(),
        }
    }

    /// The number of bit tests ([`Tree::Bits`]).
    pub fn bit_tests(&self) -> u32 {
        match self {
            Tree::Leaf(_) => 0,
            Tree::Ge { lo, hi, .. } => lo.bit_tests() + hi.bit_tests(),
            Tree::Eq { ne, .. } => ne.bit_tests(),
            Tree::Bits { rest, .. } => 1 + rest.bit_tests(),
        }
    }

    /// The leaf `nr` reaches.
    pub fn lookup(&self, nr: u32) -> Leaf {
        match self {
            Tree::Leaf(l) => *l,
            Tree::Ge { k, lo, hi } => {
                if nr >= *k {
                    hi.lookup(nr)
                } else {
                    lo.lookup(nr)
                }
            }
            Tree::Eq { k, eq, ne } => {
                if nr == *k {
                    *eq
                } else {
                    ne.lookup(nr)
                }
            }
            Tree::Bits {
                mask,
                when_set,
                leaf,
                rest,
            } => {
                if (nr & mask != 0) == *when_set {
                    *leaf
                } else {
                    rest.lookup(nr)
                }
            }
        }
    }

    /// Instructions executed (tests + `ret`) for `nr`.
    pub fn cost(&self, nr: u32) -> u32 {
        match self {
            Tree::Leaf(_) => 1,
            Tree::Ge { k, lo, hi } => 1 + if nr >= *k { hi.cost(nr) } else { lo.cost(nr) },
            Tree::Eq { k, ne, .. } => 1 + if nr == *k { 1 } else { ne.cost(nr) },
            Tree::Bits {
                mask,
                when_set,
                rest,
                ..
            } => {
                1 + if (nr & mask != 0) == *when_set {
                    1
                } else {
                    rest.cost(nr)
                }
            }
        }
    }

    /// `Σ weight × cost` over `runs` (every number of a run costs the same
    /// except the points a `jeq` catches, which are runs of their own; not
    /// so below a [`Tree::Bits`], where each number has its own path).
    #[cfg(test)]
    fn weighted_cost(&self, runs: &[Run]) -> u64 {
        runs.iter()
            .map(|r| r.weight * u64::from(self.cost(r.lo)))
            .sum()
    }
}

/// Above this many runs the DP is replaced by a balanced tree.
pub const MAX_DP_RUNS: usize = 250;

/// ⌈log2 n⌉ for n ≥ 1.
pub fn ceil_log2(n: usize) -> u32 {
    usize::BITS - (n.max(1) - 1).leading_zeros()
}

const INF: u64 = u64::MAX / 4;
const INHERIT: u8 = 0;
const CHAIN: u8 = u8::MAX;
/// Costs are integers, `weight × executed × TIE + pen × tests` (see
/// [`Objective`]).
const TIE: u64 = 1024;
/// Total weight is scaled below this so costs cannot overflow (fewer bits
/// when the size penalty exceeds 1, see [`Objective::new`]).
const MAX_TOTAL_WEIGHT: u64 = 1 << 34;

/// The default `size_penalty`: one test instruction of program size is
/// worth 1/64 of an executed instruction per call (λ = total weight / 64).
///
/// Why so small: the executed figure is what every call pays, while size
/// only matters through the 4096-instruction kernel limit, the cache
/// footprint and the comparison with libseccomp's length, so size may only
/// decide between trees that are practically equally fast: a tree gives up
/// at most 1/64 ≈ 0.016 executed instructions per call for each test it
/// saves.
///
/// Why not smaller (1/1024 was the first candidate): the go-jail example's
/// one-test-shorter tree (28 instructions, libseccomp's length) costs
/// +0.004 per call (6.911 → 6.915) and breaks even at ≈ 1/260 with
/// [`Weighting::Frequency`](crate::Weighting), at ≈ 1/108 with
/// `CacheAware` (whose total weight is smaller), so 1/1024–1/512 keep 29
/// instructions and 1/128 keeps 29 under `CacheAware`; 1/64 takes both with
/// a margin. Why not larger: the next trades cost 0.03–0.1 per instruction
/// (go-jail 27 at 6.942, 26 at 7.046). At 1/64 the reference policies'
/// weighted means move by at most 0.011 (`Frequency`): go-jail 29 → 28
/// instructions, deny-list 47 → 43, Docker 64 → 59. `0.0` restores the pure
/// weighted optimum (ties still go to the shorter tree). Figures:
/// `tests/reference.rs` (`SIZE_PENALTY_SWEEP=1` for a sweep).
pub const DEFAULT_SIZE_PENALTY: f64 = 1.0 / 64.0;

/// The largest `size_penalty` honoured (larger ones are clamped): beyond
/// it the weights lose too many bits to the overflow guard to mean much.
pub const MAX_SIZE_PENALTY: f64 = (1u64 << 20) as f64;

/// The objective of a `jeq` chain of `n` points over a sea: `points` is
/// the points' weight × instructions (their tests down the chain and their
/// `ret`), the sea of weight `sea` runs all `n` tests and its `ret`, and
/// each test adds `pen`.
fn chain_total(points: u64, sea: u64, n: u64, pen: u64) -> u64 {
    (points + sea * (n + 1)) * TIE + n * pen
}

/// `size_penalty` as the optimizer honours it: negative or NaN is 0, above
/// [`MAX_SIZE_PENALTY`] is that.
pub(crate) fn clamp_penalty(size_penalty: f64) -> f64 {
    if size_penalty >= 0.0 {
        size_penalty.min(MAX_SIZE_PENALTY)
    } else {
        0.0 // also NaN
    }
}

/// `prefix[i]`: the sum of `weights[..i]`.
pub(crate) fn prefix_sums(weights: &[u64]) -> Vec<u64> {
    let mut prefix = vec![0u64; weights.len() + 1];
    for (i, w) in weights.iter().enumerate() {
        prefix[i + 1] = prefix[i] + w;
    }
    prefix
}

/// The integer objective the DPs minimise for one input: weights
/// scaled right by `shift` (at least 1 each), and the cost of one test,
/// `pen = max(1, round(size_penalty × Σ scaled weight × TIE))`. A tree
/// costs `Σ scaled weight × executed × TIE + pen × tests`; with `pen = 1`
/// (size penalty 0) that is the weighted optimum with ties broken towards
/// fewer tests, as `tests < R ≤ 250 < TIE`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Objective {
    weights: Vec<u64>,
    pen: u64,
}

impl Objective {
    /// Every tree cost stays below 2^53, so the `f64` costs of
    /// [`Bounded`] are exact integers: the scaled total `T` is below
    /// `2^(34-e) + R` where `e = ⌈log2 size_penalty⌉` above 1 (at most 20)
    /// and 0 otherwise, `pen ≤ 2^e·T·TIE + 1`, a path executes at most
    /// `R ≤ 250` instructions and a tree has fewer than `R` tests, so a cost
    /// is at most `T·TIE·R·(1 + 2^e) + R < (2^35 + 2^29)·2^10·250 + 250`,
    /// about `0.992 × 2^53`.
    fn new(runs: &[Run], size_penalty: f64) -> Objective {
        let sp = clamp_penalty(size_penalty);
        let total: u64 = runs.iter().map(|r| r.weight).sum();
        let e = if sp <= 1.0 {
            0
        } else {
            sp.log2().ceil() as u32
        };
        let bits = MAX_TOTAL_WEIGHT.trailing_zeros() - e;
        let shift = (64 - total.leading_zeros()).saturating_sub(bits);
        let weights: Vec<u64> = runs.iter().map(|r| (r.weight >> shift).max(1)).collect();
        let scaled: u64 = weights.iter().sum();
        let pen = ((sp * (scaled * TIE) as f64).round() as u64).max(1);
        Objective { weights, pen }
    }

    /// What `tree` costs in this objective.
    #[cfg(test)]
    fn cost(&self, tree: &Tree, runs: &[Run]) -> u64 {
        let executed: u64 = (runs.iter().zip(&self.weights))
            .map(|(r, w)| w * u64::from(tree.cost(r.lo)))
            .sum();
        executed * TIE + self.pen * u64::from(tree.tests())
    }
}

/// How hard [`optimal_with`] searches. Both are exact: they find trees of
/// equal cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// The default. The depth-unlimited optimum of every interval first
    /// (O(R³) cheap steps, no depth dimension); if its tree breaks the depth
    /// limit, a branch and bound over the depth-limited problem that
    /// descends only into intervals whose unlimited tree is too deep and
    /// skips every split whose unlimited cost already loses.
    Bounded,
    /// Every split at every depth: O(L·R³). The reference the tests
    /// compare [`Search::Bounded`] against.
    Exhaustive,
}

/// The tree minimising `Σ weight × executed instructions + λ × tests` over
/// `runs` (sorted, adjacent, covering the space) with at most `max_depth`
/// tests on any path, λ = [`DEFAULT_SIZE_PENALTY`] × total weight (see
/// [`optimal_sized`]). `max_depth` is raised to `⌈log2 R⌉` if lower
/// (always feasible).
///
/// The emitted shape for runs `A=[0,4] B=[5,5] A=[6,9] C=[10,∞)`:
///
/// ```text
///   jge #10 ──yes──> ret C
///     │no
///   jeq #5 ──yes──> ret B        (a jeq chain: the sea A with point B)
///     │no
///   ret A
/// ```
pub fn optimal(runs: &[Run], max_depth: u32) -> Tree {
    optimal_with(runs, max_depth, Search::Bounded)
}

/// [`optimal`] with a choice of search.
pub fn optimal_with(runs: &[Run], max_depth: u32, search: Search) -> Tree {
    optimal_sized(runs, max_depth, DEFAULT_SIZE_PENALTY, search)
}

/// [`optimal_with`] with the program-size weight `size_penalty`: the tree
/// minimises `Σ weight × executed + size_penalty × Σ weight × tests`, i.e.
/// `mean executed + size_penalty × tests`. `0.0` is the pure weighted
/// optimum, ties broken towards fewer tests; negative or NaN counts as 0,
/// above [`MAX_SIZE_PENALTY`] as that. Weights are integers internally
/// (scaled below 2^34 when larger), so the penalty is rounded to 1/1024 of
/// one scaled weight unit.
pub fn optimal_sized(runs: &[Run], max_depth: u32, size_penalty: f64, search: Search) -> Tree {
    let r = runs.len();
    assert!(r > 0, "no runs");
    let max_depth = max_depth.max(ceil_log2(r));
    if r > MAX_DP_RUNS {
        return balanced(runs, 0, r - 1);
    }
    let obj = Objective::new(runs, size_penalty);
    match search {
        Search::Bounded => Bounded::solve(runs, &obj, max_depth).build(),
        Search::Exhaustive => {
            Layered::solve(runs, &obj, max_depth).build(runs, max_depth as usize, 0, r - 1)
        }
    }
}

/// A tree splitting the runs in halves by count: depth `⌈log2 R⌉`.
pub fn balanced(runs: &[Run], i: usize, j: usize) -> Tree {
    if i == j {
        return Tree::Leaf(runs[i].leaf);
    }
    let mid = (i + j).div_ceil(2);
    Tree::Ge {
        k: runs[mid].lo,
        lo: Box::new(balanced(runs, i, mid - 1)),
        hi: Box::new(balanced(runs, mid, j)),
    }
}

/// The most runs a tree of depth `d` resolves: `M(0) = 1`,
/// `M(d) = 3·2^(d-1)` (design note §9.2, claim B; a threshold at most
/// doubles, a depth-`d` chain covers `2d + 1 ≤ M(d)`).
fn max_runs(d: u32) -> usize {
    match d {
        0 => 1,
        d => 3usize << (d - 1).min(40),
    }
}

/// [`Search::Bounded`].
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

/// [`Search::Exhaustive`]: one DP layer per depth.
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

/// Points of the chain `i..=j` (odd offsets), heaviest first.
fn chain_points(runs: &[Run], i: usize, j: usize) -> Vec<&Run> {
    let mut pts: Vec<&Run> = runs[i + 1..j].iter().step_by(2).collect();
    pts.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.lo.cmp(&b.lo)));
    pts
}

fn chain_tree(runs: &[Run], i: usize, j: usize) -> Tree {
    let mut tree = Tree::Leaf(runs[i].leaf);
    for p in chain_points(runs, i, j).into_iter().rev() {
        tree = Tree::Eq {
            k: p.lo,
            eq: p.leaf,
            ne: Box::new(tree),
        };
    }
    tree
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    fn run(lo: u32, hi: u32, a: Action, weight: u64) -> Run {
        Run {
            lo,
            hi,
            leaf: Leaf::Ret(a),
            weight,
        }
    }

    /// Runs from (length, action, weight) triples laid end to end.
    fn line(parts: &[(u32, Action, u64)]) -> Vec<Run> {
        let mut lo = 0u32;
        let mut out = Vec::new();
        for (n, &(len, a, w)) in parts.iter().enumerate() {
            let hi = if n + 1 == parts.len() {
                u32::MAX
            } else {
                lo + len - 1
            };
            out.push(run(lo, hi, a, w));
            lo = hi.wrapping_add(1);
        }
        out
    }

    fn check_total(tree: &Tree, runs: &[Run]) {
        for r in runs {
            for nr in [r.lo, r.hi, r.lo + (r.hi - r.lo) / 2] {
                assert_eq!(tree.lookup(nr), r.leaf, "nr {nr}");
            }
        }
    }

    const A: Action = Action::Allow;
    const E: Action = Action::Errno(1);
    const K: Action = Action::KillProcess;

    #[test]
    fn a_single_run_is_a_leaf() {
        let runs = line(&[(1, A, 5)]);
        assert_eq!(optimal(&runs, 0), Tree::Leaf(Leaf::Ret(A)));
    }

    #[test]
    fn the_doc_example() {
        let runs = line(&[(5, A, 10), (1, E, 1), (4, A, 10), (1, K, 1)]);
        let t = optimal(&runs, 4);
        check_total(&t, &runs);
        assert_eq!(
            t,
            Tree::Ge {
                k: 10,
                lo: Box::new(Tree::Eq {
                    k: 5,
                    eq: Leaf::Ret(E),
                    ne: Box::new(Tree::Leaf(Leaf::Ret(A)))
                }),
                hi: Box::new(Tree::Leaf(Leaf::Ret(K))),
            }
        );
    }

    #[test]
    fn a_heavy_run_sits_near_the_root() {
        let runs = line(&[(1, A, 1), (1, E, 1), (1, A, 1), (1, E, 1), (1, K, 1000)]);
        let t = optimal(&runs, 8);
        check_total(&t, &runs);
        assert_eq!(t.cost(4), 2, "{t:?}");
    }

    #[test]
    fn the_depth_limit_binds() {
        // Exponentially decreasing weights want a path-shaped tree.
        let parts: Vec<(u32, Action, u64)> = (0..16)
            .map(|i| (1, if i % 2 == 0 { A } else { E }, 1u64 << (20 - i)))
            .collect();
        let runs = line(&parts);
        let free = optimal(&runs, 16);
        let capped = optimal(&runs, 4);
        check_total(&free, &runs);
        check_total(&capped, &runs);
        assert!(free.depth() > 4);
        assert_eq!(capped.depth(), 4);
        assert!(free.weighted_cost(&runs) <= capped.weighted_cost(&runs));
    }

    /// Size penalties the DP tests run at: none, the default, and ones that
    /// make size dominate (above 1 the weights lose bits to the overflow
    /// guard).
    const PENALTIES: [f64; 6] = [0.0, 1.0 / 1024.0, DEFAULT_SIZE_PENALTY, 0.3, 1.0, 3000.0];

    #[test]
    fn dp_matches_brute_force_on_small_cases() {
        // Exhaustive search over threshold trees + chains for tiny inputs,
        // in the integer objective (`w` the scaled weights).
        fn brute(runs: &[Run], w: &[u64], pen: u64, i: usize, j: usize, d: u32) -> u64 {
            if i == j {
                return w[i] * TIE;
            }
            if d == 0 {
                return INF;
            }
            let sum: u64 = w[i..=j].iter().sum();
            let mut best = INF;
            for k in i + 1..=j {
                let c = brute(runs, w, pen, i, k - 1, d - 1) + brute(runs, w, pen, k, j, d - 1);
                best = best.min(c + sum * TIE + pen);
            }
            // A chain: the sea at even offsets, single numbers between,
            // tested heaviest first (the t-th test from the top executes
            // t + 1 instructions for its point; the sea runs all n + 1).
            let n = (j - i) / 2;
            let sea = runs[i].leaf;
            let is_chain = (j - i) & 1 == 0
                && n as u32 <= d
                && (i..=j).step_by(2).all(|t| runs[t].leaf == sea)
                && (i + 1..j).step_by(2).all(|t| runs[t].is_point());
            if is_chain {
                let mut pts: Vec<u64> = (i + 1..j).step_by(2).map(|t| w[t]).collect();
                pts.sort_unstable_by(|a, b| b.cmp(a));
                let sea_w: u64 = (i..=j).step_by(2).map(|t| w[t]).sum();
                let p: u64 = pts.iter().zip(2..).map(|(w, t)| w * t).sum();
                let n = n as u64;
                best = best.min(chain_total(p, sea_w, n, pen));
            }
            best
        }
        let mut seed = 12345u64;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for case in 0..600 {
            let n = 1 + rnd(9) as usize;
            let mut parts: Vec<(u32, Action, u64)> = Vec::new();
            for _ in 0..n {
                let mut a = [A, E, K][rnd(3) as usize];
                if parts.last().is_some_and(|p| p.1 == a) {
                    a = if a == A { E } else { A };
                }
                parts.push((1 + rnd(2) as u32, a, 1 + rnd(50)));
            }
            let runs = line(&parts);
            let depth = ceil_log2(n) + rnd(3) as u32;
            let sp = PENALTIES[case % PENALTIES.len()];
            let obj = Objective::new(&runs, sp);
            let exact = brute(&runs, &obj.weights, obj.pen, 0, n - 1, depth);
            for search in [Search::Bounded, Search::Exhaustive] {
                let t = optimal_sized(&runs, depth, sp, search);
                check_total(&t, &runs);
                assert!(t.depth() <= depth);
                assert_eq!(obj.cost(&t, &runs), exact, "{search:?} {sp} {parts:?}");
            }
        }
    }

    #[test]
    fn bounded_matches_exhaustive() {
        // Larger inputs than brute force reaches: skewed weights make the
        // unlimited optimum deep, so the depth limit binds at every slack.
        let mut seed = 7u64;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let cases = if cfg!(debug_assertions) { 400 } else { 4000 };
        for case in 0..cases {
            let n = 1 + rnd(if case % 10 == 0 { 70 } else { 28 }) as usize;
            let kinds = 2 + rnd(2);
            let mut parts: Vec<(u32, Action, u64)> = Vec::new();
            for _ in 0..n {
                let mut a = [A, E, K][rnd(kinds) as usize];
                if parts.last().is_some_and(|p| p.1 == a) {
                    a = if a == A { E } else { A };
                }
                let w = match rnd(if case % 7 == 0 { 5 } else { 4 }) {
                    0 => 1 + rnd(100_000),
                    1 => 1 << rnd(30),
                    // Above `MAX_TOTAL_WEIGHT`: the weights get scaled.
                    4 => (1 << 56) - rnd(1 << 50),
                    _ => 1 + rnd(50),
                };
                parts.push((1 + rnd(2) as u32, a, w));
            }
            let runs = line(&parts);
            let depth = ceil_log2(n) + rnd(5) as u32;
            let sp = match rnd(PENALTIES.len() as u64 + 1) as usize {
                // Anything from none to "one test = 4 calls' instructions".
                p if p == PENALTIES.len() => rnd(1 << 12) as f64 / 1024.0,
                p => PENALTIES[p],
            };
            // Costs with the weights the DP sees.
            let obj = Objective::new(&runs, sp);
            let fast = optimal_sized(&runs, depth, sp, Search::Bounded);
            let exact = optimal_sized(&runs, depth, sp, Search::Exhaustive);
            check_total(&fast, &runs);
            assert!(fast.depth() <= depth.max(ceil_log2(n)));
            assert_eq!(
                obj.cost(&fast, &runs),
                obj.cost(&exact, &runs),
                "depth {depth} penalty {sp}: {parts:?}"
            );
        }
    }

    #[test]
    fn a_larger_penalty_never_lengthens_the_tree() {
        // Exact optima of `W + pen × S` for growing `pen` trade weighted
        // cost W for tests S monotonically (on equal scaled weights).
        let mut seed = 99u64;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut shorter = 0;
        for _ in 0..300 {
            let n = 1 + rnd(40) as usize;
            let mut parts: Vec<(u32, Action, u64)> = Vec::new();
            for _ in 0..n {
                let mut a = [A, E, K][rnd(3) as usize];
                if parts.last().is_some_and(|p| p.1 == a) {
                    a = if a == A { E } else { A };
                }
                let w = if rnd(3) == 0 {
                    1 << rnd(20)
                } else {
                    1 + rnd(50)
                };
                parts.push((1 + rnd(2) as u32, a, w));
            }
            let runs = line(&parts);
            let depth = ceil_log2(n) + rnd(4) as u32;
            let trees: Vec<Tree> = PENALTIES[..5]
                .iter()
                .map(|&sp| optimal_sized(&runs, depth, sp, Search::Bounded))
                .collect();
            for pair in trees.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                assert!(b.tests() <= a.tests(), "{parts:?}");
                assert!(
                    b.weighted_cost(&runs) >= a.weighted_cost(&runs),
                    "{parts:?}"
                );
                assert!(b.depth() <= depth.max(ceil_log2(n)));
            }
            shorter += usize::from(trees[4].tests() < trees[0].tests());
        }
        assert!(shorter > 10, "the penalty never mattered: {shorter}");
    }

    #[test]
    fn many_runs_fall_back_to_balanced() {
        let parts: Vec<(u32, Action, u64)> = (0..300)
            .map(|i| (1, if i % 2 == 0 { A } else { E }, 1))
            .collect();
        let runs = line(&parts);
        let t = optimal(&runs, 0);
        check_total(&t, &runs);
        assert_eq!(t.depth(), ceil_log2(300));
    }
}
