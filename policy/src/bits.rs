//! Bit tests in the dispatch tree: a `jset` where thresholds cannot
//! gather scattered numbers cheaply.
//!
//! The interval DP of [`crate::tree`] splits the number line with
//! thresholds and single points only, so a hot syscall whose run is hemmed
//! in by numbers with other actions needs a lower and an upper bound before
//! its `ret`. Below the table end the numbers reaching a subtree can be
//! listed, and one `jset #mask` can send a whole class of bit patterns to a
//! return at once. In the go-jail example allow-list every number of
//! `157..258` that has none of the bits `0x126` is denied, so `getdents64`
//! (217) reaches its `ret` one test earlier than any threshold tree allows.
//!
//! [`refine`] walks an optimal interval tree from the root. At each node
//! whose numbers all lie below the table end it tries the masks that make
//! one side of a `jset` a single leaf and hold that leaf's hottest numbers
//! (docs/dispatch-tree.md, claim D: bit tests are not bound by the run count),
//! solves what is left with the interval DP over its own order, and keeps
//! the `jset` only when the tree objective (weighted executed instructions
//! plus λ per test, as in [`crate::tree`]) strictly falls within the depth
//! limit. `JSET #k` on `nr` is one of the instructions the kernel's action
//! cache follows (kernel/seccomp.c `seccomp_is_const_allow`), so allowed
//! syscalls stay cached.

use crate::runs::{Leaf, Run, EPSILON};
use crate::tree::{ceil_log2, clamp_penalty, optimal, prefix_sums, Tree};

/// Sets with more runs than this are not searched for a mask: the rest's
/// DP is cubic in its runs and this pass runs on go-jail's start-up path.
const MAX_RUNS: usize = 16;

/// Only nodes carrying at least 1/`MIN_SHARE` of the arch's weight are
/// searched: below that a node's calls are under 1/64 of all, so what a bit
/// test saves there is a few hundredths of an instruction per call at most,
/// and this pass runs on go-jail's start-up path.
const MIN_SHARE: u64 = 64;

/// How many of a leaf's hottest numbers a mask is built around (1..=this,
/// and all of them).
const MAX_HOT: usize = 2;

/// Adds `jset` nodes to `tree` where they lower the objective.
///
/// `runs` are the arch's runs (what every number's leaf is), `weights` the
/// weight of each number below the table end (its profile count ×
/// [`crate::runs::SCALE`], as [`Policy::lower`](crate::Policy::lower)
/// computes it); bit tests are placed only where every
/// number reaching the node is below `weights.len()`. `size_penalty` is the
/// one [`crate::tree::optimal`] was given and `max_depth` the depth
/// limit the result keeps.
pub fn refine(
    tree: Tree,
    runs: &[Run],
    weights: &[u64],
    max_depth: u32,
    size_penalty: f64,
) -> Tree {
    let total: u64 = runs.iter().map(|r| r.weight).sum();
    let sp = clamp_penalty(size_penalty);
    let mut leaves: Vec<Leaf> = Vec::new();
    // Leaf ids fit in u16: there are fewer leaves than runs, and fewer
    // runs than table numbers plus the regions above.
    let run_leaf: Vec<u16> = (runs.iter())
        .map(|r| match leaves.iter().position(|&l| l == r.leaf) {
            Some(i) => i as u16,
            None => {
                leaves.push(r.leaf);
                (leaves.len() - 1) as u16
            }
        })
        .collect();
    // Each table number's leaf id, in one pass over the runs.
    let mut num_leaf = Vec::with_capacity(weights.len());
    for (run, &id) in runs.iter().zip(&run_leaf) {
        while num_leaf.len() < weights.len() && num_leaf.len() as u64 <= u64::from(run.hi) {
            num_leaf.push(id);
        }
    }
    let r = Refiner {
        num_leaf,
        prefix: prefix_sums(weights),
        leaves,
        weights,
        lambda: sp * total as f64,
        min_weight: total / MIN_SHARE,
    };
    let mut excluded = Vec::new();
    r.walk(tree, 0, u64::from(u32::MAX) + 1, &mut excluded, max_depth)
}

struct Refiner<'a> {
    /// Each table number's leaf as an index into `leaves` (cheap to
    /// compare).
    num_leaf: Vec<u16>,
    /// `prefix[i]`: the weight of the numbers below `i`.
    prefix: Vec<u64>,
    leaves: Vec<Leaf>,
    weights: &'a [u64],
    /// The cost of one test instruction in weight units.
    lambda: f64,
    /// Nodes lighter than this are left alone ([`MIN_SHARE`]).
    min_weight: u64,
}

/// One number reaching a node: its value, leaf (an index into
/// `Refiner::leaves`) and weight.
#[derive(Clone, Copy)]
struct Num {
    nr: u32,
    leaf: u16,
    weight: u64,
}

impl Refiner<'_> {
    /// Descends to the nodes whose numbers `lo..hi` (minus the points
    /// `excluded` by `jeq`s above) can be listed.
    fn walk(&self, tree: Tree, lo: u64, hi: u64, excluded: &mut Vec<u32>, depth: u32) -> Tree {
        if let Tree::Leaf(_) = tree {
            return tree;
        }
        if hi <= self.weights.len() as u64 {
            let (lo, hi) = (lo as usize, hi as usize);
            // Excluded points only make the set lighter.
            if self.prefix[hi] - self.prefix[lo] < self.min_weight.max(1) {
                return tree;
            }
            let set: Vec<Num> = (lo..hi)
                .filter(|&n| !excluded.contains(&(n as u32)))
                .map(|n| Num {
                    nr: n as u32,
                    leaf: self.num_leaf[n],
                    weight: self.weights[n],
                })
                .collect();
            return self.walk_set(tree, &set, depth);
        }
        let d = depth.saturating_sub(1);
        match tree {
            Tree::Ge { k, lo: l, hi: h } => {
                let k64 = u64::from(k);
                let l = self.walk(*l, lo, hi.min(k64), excluded, d);
                let h = self.walk(*h, lo.max(k64), hi, excluded, d);
                Tree::Ge {
                    k,
                    lo: Box::new(l),
                    hi: Box::new(h),
                }
            }
            Tree::Eq { k, eq, ne } => {
                excluded.push(k);
                let ne = self.walk(*ne, lo, hi, excluded, d);
                excluded.pop();
                Tree::Eq {
                    k,
                    eq,
                    ne: Box::new(ne),
                }
            }
            other => other,
        }
    }

    /// Refines `tree`, which `set` reaches, and then its subtrees.
    fn walk_set(&self, tree: Tree, set: &[Num], depth: u32) -> Tree {
        if let Tree::Leaf(_) = tree {
            return tree;
        }
        // Subsets only get lighter: nothing below a light node is searched,
        // and a bit test needs room for itself and a test below it.
        let weight: u64 = set.iter().map(|n| n.weight).sum();
        if weight == 0 || weight < self.min_weight || depth < 2 {
            return tree;
        }
        let tree = match self.best_bits(set, weight, depth, &tree) {
            Some(better) => better,
            None => tree,
        };
        let d = depth.saturating_sub(1);
        match tree {
            Tree::Leaf(_) => tree,
            Tree::Ge { k, lo, hi } => {
                // `set` is sorted: the split is a prefix and a suffix.
                let (l, h) = set.split_at(set.partition_point(|n| n.nr < k));
                Tree::Ge {
                    k,
                    lo: Box::new(self.walk_set(*lo, l, d)),
                    hi: Box::new(self.walk_set(*hi, h, d)),
                }
            }
            Tree::Eq { k, eq, ne } => {
                let rest: Vec<Num> = set.iter().copied().filter(|n| n.nr != k).collect();
                Tree::Eq {
                    k,
                    eq,
                    ne: Box::new(self.walk_set(*ne, &rest, d)),
                }
            }
            Tree::Bits {
                mask,
                when_set,
                leaf,
                rest,
            } => {
                let others: Vec<Num> = (set.iter().copied())
                    .filter(|n| (n.nr & mask != 0) != when_set)
                    .collect();
                Tree::Bits {
                    mask,
                    when_set,
                    leaf,
                    rest: Box::new(self.walk_set(*rest, &others, d)),
                }
            }
        }
    }

    /// `Σ weight × executed + λ × tests` of `tree` over `set`.
    fn cost(&self, tree: &Tree, set: &[Num]) -> f64 {
        let executed: u64 = (set.iter())
            .filter(|n| n.weight > 0)
            .map(|n| n.weight * u64::from(tree.cost(n.nr)))
            .sum();
        executed as f64 + self.lambda * f64::from(tree.tests())
    }

    /// The cheapest `jset` tree for `set` (of weight `total`) within `depth`
    /// tests (at least 2), if it costs less than `tree`, the current one.
    fn best_bits(&self, set: &[Num], total: u64, depth: u32, tree: &Tree) -> Option<Tree> {
        let runs_in_set = 1 + set.windows(2).filter(|w| w[0].leaf != w[1].leaf).count();
        if !(2..=MAX_RUNS).contains(&runs_in_set) {
            return None;
        }
        let old = self.cost(tree, set);
        // Every number pays the `jset` and a `ret`.
        if (2 * total) as f64 + self.lambda >= old {
            return None;
        }
        let masks = candidate_masks(set);
        let hot: Vec<Num> = set.iter().copied().filter(|n| n.weight > 0).collect();
        // Cheapest bound first, so the first tree found prunes the rest.
        let mut ordered: Vec<(f64, (u32, bool, u16))> = (masks.into_iter())
            .map(|m| (self.quick_bound(&hot, total, m), m))
            .filter(|(b, _)| *b < old)
            .collect();
        ordered.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<(f64, Tree)> = None;
        for (bound, m) in ordered {
            let bar = best.as_ref().map_or(old, |b| b.0);
            if bound >= bar {
                break;
            }
            if let Some(found) = self.candidate((set, total, &hot), depth, m, bar) {
                best = Some(found);
            }
        }
        best.map(|b| b.1)
    }

    /// A lower bound on the cost of any tree with `jset #mask` at the root
    /// over the set whose weighted numbers are `hot`: every number pays the
    /// `jset` and a `ret`, the rest at least one more test.
    fn quick_bound(&self, hot: &[Num], total: u64, (mask, when_set, _): (u32, bool, u16)) -> f64 {
        let side: u64 = (hot.iter())
            .filter(|n| (n.nr & mask != 0) == when_set)
            .map(|n| n.weight)
            .sum();
        (3 * total - side) as f64 + self.lambda
    }

    /// The tree `jset #mask` (`leaf` on the `when_set` side, which only
    /// that leaf's numbers of `set` reach) over `set` (of weight `total`, whose weighted
    /// numbers are `hot`), with the rest solved by the interval DP; and its
    /// cost, if below `bar`.
    fn candidate(
        &self,
        (set, total, hot): (&[Num], u64, &[Num]),
        depth: u32,
        (mask, when_set, leaf): (u32, bool, u16),
        bar: f64,
    ) -> Option<(f64, Tree)> {
        let on_side = |n: &Num| (n.nr & mask != 0) == when_set;
        let others: Vec<Num> = set.iter().copied().filter(|n| !on_side(n)).collect();
        if others.is_empty() || others.len() == set.len() {
            return None;
        }
        let rest_runs = self.induced_runs(&others);
        if ceil_log2(rest_runs.len()) > depth - 1 {
            return None;
        }
        if self.floor(total, &rest_runs, &others) >= bar {
            return None;
        }
        let rest_total: u64 = rest_runs.iter().map(|r| r.weight).sum();
        // Finite: every induced run weighs at least EPSILON.
        let sp = self.lambda / rest_total as f64;
        let rest_tree = optimal(&rest_runs, depth - 1, sp);
        if rest_tree.depth() > depth - 1 {
            return None;
        }
        let tree = Tree::Bits {
            mask,
            when_set,
            leaf: self.leaves[leaf as usize],
            rest: Box::new(rest_tree),
        };
        let cost = self.cost(&tree, hot);
        (cost < bar).then_some((cost, tree))
    }

    /// A lower bound on the cost of `jset` over a set of weight `all`
    /// leaving `others`
    /// (whose runs are `rest_runs`) to an interval tree: every number pays
    /// the `jset` and a `ret`; in the rest, when it has more than one run,
    /// a number of the first or last run or of a one-number run pays at
    /// least one more test, any other at least two (a lower and an upper
    /// bound: a `jge` cuts one side, a `jeq` one number); and the rest
    /// needs at least ⌈(R−1)/2⌉ tests (docs/dispatch-tree.md, claim B).
    fn floor(&self, all: u64, rest_runs: &[Run], others: &[Num]) -> f64 {
        let r = rest_runs.len();
        let mut extra = 0u64;
        if r > 1 {
            let mut members = others.iter();
            for (i, run) in rest_runs.iter().enumerate() {
                let len = members.clone().take_while(|n| n.nr <= run.hi).count();
                let tests = if i == 0 || i == r - 1 || len == 1 {
                    1
                } else {
                    2
                };
                let w: u64 = members.by_ref().take(len).map(|n| n.weight).sum();
                extra += tests * w;
            }
        }
        let tests = 1 + (r - 1).div_ceil(2);
        (2 * all + extra) as f64 + self.lambda * tests as f64
    }

    /// The runs of `set` in its own order: consecutive members with equal
    /// leaves merge, whatever numbers lie between them (those never reach
    /// this subtree), so a threshold at a run's first member splits the set.
    fn induced_runs(&self, set: &[Num]) -> Vec<Run> {
        let mut out: Vec<Run> = Vec::new();
        let mut last = None;
        for n in set {
            match out.last_mut() {
                Some(r) if last == Some(n.leaf) => {
                    r.hi = n.nr;
                    r.weight += n.weight;
                }
                _ => {
                    out.push(Run {
                        lo: n.nr,
                        hi: n.nr,
                        leaf: self.leaves[n.leaf as usize],
                        weight: EPSILON + n.weight,
                    });
                    last = Some(n.leaf);
                }
            }
        }
        out
    }
}

/// The `jset` masks worth trying at the root of `set`, as `(mask,
/// when_set, leaf)`: for each leaf and each count `k` of its heaviest
/// numbers (up to `MAX_HOT`, and all of them), a mask that isolates the
/// leaf on its clear side with those numbers clear, or on its set side
/// with each of them set. Sorted and without duplicates.
fn candidate_masks(set: &[Num]) -> Vec<(u32, bool, u16)> {
    let top = set.iter().map(|n| n.nr).max().unwrap_or(0);
    let span = u32::MAX >> top.leading_zeros();
    let mut leaves: Vec<u16> = Vec::new();
    for n in set {
        if !leaves.contains(&n.leaf) {
            leaves.push(n.leaf);
        }
    }
    let mut masks: Vec<(u32, bool, u16)> = Vec::new();
    for &leaf in &leaves {
        let mut hot: Vec<&Num> = (set.iter())
            .filter(|n| n.leaf == leaf && n.weight > 0)
            .collect();
        if hot.is_empty() {
            continue;
        }
        hot.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.nr.cmp(&b.nr)));
        let others_or = (set.iter())
            .filter(|n| n.leaf != leaf)
            .fold(0, |acc, n| acc | n.nr);
        let mut sizes: Vec<usize> = (1..=MAX_HOT.min(hot.len())).collect();
        if hot.len() > MAX_HOT {
            sizes.push(hot.len());
        }
        for k in sizes {
            let hot_or = hot[..k].iter().fold(0, |acc, n| acc | n.nr);
            // Clear side: every other leaf has a bit of the mask (so
            // only this leaf is clear), the hot numbers none.
            let clear = span & !hot_or;
            if clear != 0 && set.iter().all(|n| n.leaf == leaf || n.nr & clear != 0) {
                masks.push((clear, false, leaf));
            }
            // Set side: bits no other leaf has (so only this leaf is
            // set), each hot number one.
            let any = hot_or & !others_or;
            if hot[..k].iter().all(|n| n.nr & any != 0) {
                masks.push((any, true, leaf));
            }
        }
    }
    masks.sort_unstable_by_key(|m| (m.0, m.1));
    masks.dedup_by_key(|m| (m.0, m.1));
    masks
}
