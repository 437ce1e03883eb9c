//! The dispatch tree: which comparisons on `nr` lead to which leaf.
//!
//! [`optimal`] solves a depth-limited optimal alphabetic-tree problem by
//! interval dynamic programming over the runs (design note §9.3): it
//! minimises `Σ weight(run) × instructions executed for run` where a
//! threshold test (`jge`), a point test (`jeq`) and the final `ret` each
//! cost one instruction, subject to at most `max_depth` tests on any path.
//!
//! Two node kinds:
//! - a threshold split of runs `i..=j` at run `k` (`jge #lo_k`);
//! - a `jeq` chain over a "sea" of one leaf dotted with single-number runs
//!   (`X p1 X p2 X`): each point is tested with `jeq`, heaviest first, and
//!   the sea is what remains. This is what lets one test remove two run
//!   boundaries (the bound `M(D) = 3·2^(D-1)` of §9.2, claim B).

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
}

impl Tree {
    /// The number of tests on the longest path.
    pub fn depth(&self) -> u32 {
        match self {
            Tree::Leaf(_) => 0,
            Tree::Ge { lo, hi, .. } => 1 + lo.depth().max(hi.depth()),
            Tree::Eq { ne, .. } => 1 + ne.depth(),
        }
    }

    /// The number of test instructions.
    pub fn tests(&self) -> u32 {
        match self {
            Tree::Leaf(_) => 0,
            Tree::Ge { lo, hi, .. } => 1 + lo.tests() + hi.tests(),
            Tree::Eq { ne, .. } => 1 + ne.tests(),
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
        }
    }

    /// Instructions executed (tests + `ret`) for `nr`.
    pub fn cost(&self, nr: u32) -> u32 {
        match self {
            Tree::Leaf(_) => 1,
            Tree::Ge { k, lo, hi } => 1 + if nr >= *k { hi.cost(nr) } else { lo.cost(nr) },
            Tree::Eq { k, ne, .. } => 1 + if nr == *k { 1 } else { ne.cost(nr) },
        }
    }

    /// `Σ weight × cost` over `runs` (every number of a run costs the same
    /// except the points a `jeq` catches, which are runs of their own).
    pub fn weighted_cost(&self, runs: &[Run]) -> u64 {
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
/// Costs are `weight × executed × TIE + emitted tests`: among trees of
/// equal weighted cost the DP picks the shortest program.
const TIE: u64 = 1024;
/// Total weight is scaled below this so costs cannot overflow.
const MAX_TOTAL_WEIGHT: u64 = 1 << 36;

/// How hard [`optimal_with`] searches for the best split of an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Every split: O(L·R³), exact.
    Exhaustive,
    /// Only splits between the best splits of the two sub-intervals
    /// (Knuth's monotonicity, which holds for threshold-only alphabetic
    /// trees, also under a depth limit): O(L·R²). With `jeq` chains it is
    /// a heuristic that is almost always exact.
    Monotone,
}

/// The tree minimising `Σ weight × executed instructions` over `runs`
/// (sorted, adjacent, covering the space) with at most `max_depth` tests on
/// any path, ties broken towards fewer instructions. `max_depth` is raised
/// to `⌈log2 R⌉` if lower (always feasible).
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
    optimal_with(runs, max_depth, Search::Monotone)
}

/// [`optimal`] with a choice of split search.
pub fn optimal_with(runs: &[Run], max_depth: u32, search: Search) -> Tree {
    let r = runs.len();
    assert!(r > 0, "no runs");
    let max_depth = max_depth.max(ceil_log2(r));
    if r > MAX_DP_RUNS {
        return balanced(runs, 0, r - 1);
    }
    let total: u64 = runs.iter().map(|r| r.weight).sum();
    let shift = (64 - total.leading_zeros()).saturating_sub(MAX_TOTAL_WEIGHT.trailing_zeros());
    let weights: Vec<u64> = runs.iter().map(|r| (r.weight >> shift).max(1)).collect();
    Dp::solve(runs, &weights, max_depth, search).build(runs, max_depth as usize, 0, r - 1)
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

struct Dp {
    r: usize,
    /// `choice[d*r*r + i*r + j]`: `INHERIT` (as at depth d-1), `CHAIN`, or
    /// the split run `k` (left `i..k`, right `k..=j`).
    choice: Vec<u8>,
    /// Last layer computed (layers after it equal it).
    top: usize,
}

impl Dp {
    fn solve(runs: &[Run], weights: &[u64], max_depth: u32, search: Search) -> Dp {
        let r = runs.len();
        let rr = r * r;
        let mut prefix = vec![0u64; r + 1];
        for (i, w) in weights.iter().enumerate() {
            prefix[i + 1] = prefix[i] + w;
        }
        let (chain_cost, chain_len) = chains(runs, weights, max_depth);
        let mut prev = vec![INF; rr];
        let mut prev_t = vec![INF; rr];
        for i in 0..r {
            prev[i * r + i] = weights[i] * TIE;
            prev_t[i * r + i] = weights[i] * TIE;
        }
        let mut cur = prev.clone();
        // Effective split of each interval at the previous/current depth (0: none).
        let mut prev_root = vec![0u8; rr];
        let mut root = vec![0u8; rr];
        let mut choice = vec![INHERIT; rr * (max_depth as usize + 1)];
        let mut top = 0;
        for d in 1..=max_depth as usize {
            let ch = &mut choice[d * rr..(d + 1) * rr];
            let mut changed = false;
            // A depth-d tree resolves at most 3·2^(d-1) runs (design note
            // §9.2, claim B): longer intervals stay infeasible.
            let max_len = r.min(3usize.saturating_mul(1 << (d - 1).min(40)));
            for len in 2..=max_len {
                for i in 0..=r - len {
                    let j = i + len - 1;
                    let at = i * r + j;
                    let mut best = prev[at];
                    let mut pick = INHERIT;
                    let (mut lo, mut hi) = (i + 1, j);
                    if search == Search::Monotone {
                        let (a, b) = (usize::from(root[at - 1]), usize::from(root[at + r]));
                        if a != 0 && b != 0 && a <= b {
                            (lo, hi) = (a.max(i + 1), b.min(j));
                        }
                    }
                    let mut split_best = INF;
                    let mut split_k = 0;
                    for k in lo..=hi {
                        let c = prev[i * r + k - 1] + prev_t[j * r + k];
                        if c < split_best {
                            split_best = c;
                            split_k = k;
                        }
                    }
                    if split_best < INF {
                        let c = split_best + (prefix[j + 1] - prefix[i]) * TIE + 1;
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
                    root[at] = match pick {
                        INHERIT => prev_root[at],
                        CHAIN => 0,
                        k => k,
                    };
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
            prev_root.copy_from_slice(&root);
        }
        Dp { r, choice, top }
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
/// points): its cost and its number of tests. `INF`/`u32::MAX` elsewhere.
fn chains(runs: &[Run], weights: &[u64], max_len: u32) -> (Vec<u64>, Vec<u32>) {
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
            cost[i * r + j] = (pts + sea_weight * (n + 1)) * TIE + n;
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

    #[test]
    fn dp_matches_brute_force_on_small_cases() {
        // Exhaustive search over threshold trees + chains for tiny inputs.
        fn brute(runs: &[Run], i: usize, j: usize, d: u32) -> u64 {
            if i == j {
                return runs[i].weight * TIE;
            }
            if d == 0 {
                return INF;
            }
            let w: u64 = runs[i..=j].iter().map(|r| r.weight).sum();
            let mut best = INF;
            for k in i + 1..=j {
                let c = brute(runs, i, k - 1, d - 1) + brute(runs, k, j, d - 1);
                best = best.min(c + w * TIE + 1);
            }
            let weights: Vec<u64> = runs.iter().map(|r| r.weight).collect();
            let (cc, cl) = chains(runs, &weights, d);
            let at = i * runs.len() + j;
            if cl[at] <= d {
                best = best.min(cc[at]);
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
        let mut monotone_misses = 0;
        for _ in 0..300 {
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
            let exact = brute(&runs, 0, n - 1, depth);
            let t = optimal_with(&runs, depth, Search::Exhaustive);
            check_total(&t, &runs);
            assert!(t.depth() <= depth);
            let cost = |t: &Tree| t.weighted_cost(&runs) * TIE + u64::from(t.tests());
            assert_eq!(cost(&t), exact, "{parts:?}");
            let m = optimal(&runs, depth);
            check_total(&m, &runs);
            assert!(m.depth() <= depth);
            if cost(&m) != exact {
                monotone_misses += 1;
            }
        }
        assert!(monotone_misses <= 12, "{monotone_misses} of 300 not exact");
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
