//! The dispatch tree: which comparisons on `nr` lead to which leaf.
//!
//! [`optimal`] solves a depth-limited optimal alphabetic-tree problem by
//! interval dynamic programming over the runs (docs/dispatch-tree.md): it
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
//!   boundaries (the bound `M(D) = 3·2^(D-1)`, docs/dispatch-tree.md, claim B).
//!
//! A third kind, the bit test [`Tree::Bits`] (`jset`), is not chosen here:
//! [`crate::bits::refine`] adds it to the optimal tree afterwards.
//!
//! Parts: `objective` (the integer cost model both solvers minimise),
//! `bounded` (the production solver behind [`optimal`]) and `exhaustive`
//! (the reference solver the tests compare it with; built for tests and
//! under the `exhaustive` feature only, as `tree::exhaustive`).

mod bounded;
#[cfg(any(test, feature = "exhaustive"))]
mod exhaustive;
mod objective;

pub(crate) use objective::{clamp_penalty, prefix_sums};
pub use objective::{DEFAULT_SIZE_PENALTY, MAX_SIZE_PENALTY};

use crate::runs::{Leaf, Run};
use objective::Objective;

/// A decision tree over `nr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tree {
    /// `ret` of this leaf.
    Leaf(Leaf),
    /// `jge #k`: `nr >= k` goes to `hi`, the rest to `lo`.
    Ge {
        /// The threshold: the first number of `hi`.
        k: u32,
        /// The numbers below `k`.
        lo: Box<Tree>,
        /// The numbers from `k` up.
        hi: Box<Tree>,
    },
    /// `jeq #k`: `nr == k` gets `eq`, the rest goes to `ne`.
    Eq {
        /// The number singled out.
        k: u32,
        /// What `k` gets.
        eq: Leaf,
        /// The other numbers.
        ne: Box<Tree>,
    },
    /// `jset #mask`: numbers whose test (`nr & mask != 0`) comes out
    /// `when_set` get `leaf`, the rest go to `rest`. Only placed by
    /// [`crate::bits::refine`], below the table end.
    Bits {
        /// The bits tested (`jset #mask`).
        mask: u32,
        /// Whether `leaf` is taken when some bit of `mask` is set (`true`)
        /// or when none is (`false`).
        when_set: bool,
        /// What the numbers the test singles out get.
        leaf: Leaf,
        /// The other numbers.
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

/// A solver's pick for an interval whose optimal root is a `jeq` chain (a
/// threshold split is picked by its run index `k`, at least 1).
const CHAIN: u8 = u8::MAX;

/// The tree minimising `Σ weight × executed instructions + λ × tests` over
/// `runs` (sorted, adjacent, covering the space) with at most `max_depth`
/// tests on any path, λ = `size_penalty` × total weight: the tree minimises
/// `mean executed + size_penalty × tests`. `0.0` is the pure weighted
/// optimum, ties broken towards fewer tests; negative or NaN counts as 0,
/// above [`MAX_SIZE_PENALTY`] as that; [`DEFAULT_SIZE_PENALTY`] is what the
/// compiler uses. Weights are integers internally (scaled below 2^34 when
/// larger), so the penalty is rounded to 1/1024 of one scaled weight unit.
/// `max_depth` is raised to `⌈log2 R⌉` if lower (always feasible); above
/// [`MAX_DP_RUNS`] runs the tree is balanced instead.
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
pub fn optimal(runs: &[Run], max_depth: u32, size_penalty: f64) -> Tree {
    solve_with(runs, max_depth, size_penalty, bounded::solve)
}

/// [`optimal`] by the exhaustive reference solver (every split at every
/// depth, O(L·R³)): a tree of the same cost, found slowly. For tests and
/// measurements only (the `exhaustive` feature).
#[cfg(any(test, feature = "exhaustive"))]
pub fn exhaustive(runs: &[Run], max_depth: u32, size_penalty: f64) -> Tree {
    solve_with(runs, max_depth, size_penalty, exhaustive::solve)
}

type Solver = fn(&[Run], &Objective, u32) -> Tree;

fn solve_with(runs: &[Run], max_depth: u32, size_penalty: f64, solver: Solver) -> Tree {
    let r = runs.len();
    assert!(r > 0, "no runs");
    let max_depth = max_depth.max(ceil_log2(r));
    if r > MAX_DP_RUNS {
        return balanced(runs, 0, r - 1);
    }
    solver(runs, &Objective::new(runs, size_penalty), max_depth)
}

/// A tree splitting the runs in halves by count: depth `⌈log2 R⌉`.
fn balanced(runs: &[Run], i: usize, j: usize) -> Tree {
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

#[cfg(test)]
mod tests {
    use super::exhaustive::INF;
    use super::objective::{chain_total, TIE};
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

    /// A public solver: [`optimal`] or [`exhaustive`].
    type Search = fn(&[Run], u32, f64) -> Tree;

    const A: Action = Action::Allow;
    const E: Action = Action::Errno(1);
    const K: Action = Action::KillProcess;

    #[test]
    fn a_single_run_is_a_leaf() {
        let runs = line(&[(1, A, 5)]);
        assert_eq!(
            optimal(&runs, 0, DEFAULT_SIZE_PENALTY),
            Tree::Leaf(Leaf::Ret(A))
        );
    }

    #[test]
    fn the_doc_example() {
        let runs = line(&[(5, A, 10), (1, E, 1), (4, A, 10), (1, K, 1)]);
        let t = optimal(&runs, 4, DEFAULT_SIZE_PENALTY);
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
        let t = optimal(&runs, 8, DEFAULT_SIZE_PENALTY);
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
        let free = optimal(&runs, 16, DEFAULT_SIZE_PENALTY);
        let capped = optimal(&runs, 4, DEFAULT_SIZE_PENALTY);
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
            let searches = [("Bounded", optimal as Search), ("Exhaustive", exhaustive)];
            for (search, solve) in searches {
                let t = solve(&runs, depth, sp);
                check_total(&t, &runs);
                assert!(t.depth() <= depth);
                assert_eq!(obj.cost(&t, &runs), exact, "{search} {sp} {parts:?}");
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
            let fast = optimal(&runs, depth, sp);
            let exact = exhaustive(&runs, depth, sp);
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
                .map(|&sp| optimal(&runs, depth, sp))
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
        let t = optimal(&runs, 0, DEFAULT_SIZE_PENALTY);
        check_total(&t, &runs);
        assert_eq!(t.depth(), ceil_log2(300));
    }
}
