//! The cost model the solvers minimise: for runs of weight `w`, a tree
//! costs
//!
//! ```text
//!   Σ w(run) × instructions executed for run × TIE  +  pen × tests in the tree
//! ```
//!
//! in integers ([`Objective`]), with `pen` derived from the size penalty
//! ([`DEFAULT_SIZE_PENALTY`]); a `jeq` chain's closed form
//! ([`chain_total`]); and the most runs a tree of a given depth can tell
//! apart ([`max_runs`]), which bounds both searches.

use crate::runs::Run;

/// Costs are integers, `weight × executed × TIE + pen × tests` (see
/// [`Objective`]).
pub(super) const TIE: u64 = 1024;
/// Total weight is scaled below this so costs cannot overflow (fewer bits
/// when the size penalty exceeds 1, see [`Objective::new`]).
pub(super) const MAX_TOTAL_WEIGHT: u64 = 1 << 34;

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
/// Why not smaller: the tests it saves on the reference policies cost them
/// thousandths of an instruction per call each, so a smaller penalty keeps
/// longer programs for no speed worth having. Why not larger: the next
/// tests to save cost the allow-lists a tenth of an instruction per call or
/// more each.
/// `0.0` restores the pure weighted optimum (ties still go to the shorter
/// tree). The figures behind this, dated, are in `benches/README.md`
/// ("The size penalty"); `policy/tests/reference.rs` prints them
/// (`SIZE_PENALTY_SWEEP=1` for a sweep).
pub const DEFAULT_SIZE_PENALTY: f64 = 1.0 / 64.0;

/// The largest `size_penalty` honoured (larger ones are clamped): beyond
/// it the weights lose too many bits to the overflow guard to mean much.
pub const MAX_SIZE_PENALTY: f64 = (1u64 << 20) as f64;

/// The objective of a `jeq` chain of `n` points over a sea: `points` is
/// the points' weight × instructions (their tests down the chain and their
/// `ret`), the sea of weight `sea` runs all `n` tests and its `ret`, and
/// each test adds `pen`.
pub(super) fn chain_total(points: u64, sea: u64, n: u64, pen: u64) -> u64 {
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
pub(super) struct Objective {
    pub(super) weights: Vec<u64>,
    pub(super) pen: u64,
}

impl Objective {
    /// Every tree cost stays below 2^53, so the `f64` costs of
    /// [`Bounded`](super::bounded::Bounded) are exact integers: the scaled total `T` is below
    /// `2^(34-e) + R` where `e = ⌈log2 size_penalty⌉` above 1 (at most 20)
    /// and 0 otherwise, `pen ≤ 2^e·T·TIE + 1`, a path executes at most
    /// `R ≤ 250` instructions and a tree has fewer than `R` tests, so a cost
    /// is at most `T·TIE·R·(1 + 2^e) + R < (2^35 + 2^29)·2^10·250 + 250`,
    /// about `0.992 × 2^53`.
    pub(super) fn new(runs: &[Run], size_penalty: f64) -> Objective {
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
    pub(super) fn cost(&self, tree: &super::Tree, runs: &[Run]) -> u64 {
        let executed: u64 = (runs.iter().zip(&self.weights))
            .map(|(r, w)| w * u64::from(tree.cost(r.lo)))
            .sum();
        executed * TIE + self.pen * u64::from(tree.tests())
    }
}

/// The most runs a tree of depth `d` resolves: `M(0) = 1`,
/// `M(d) = 3·2^(d-1)` (docs/dispatch-tree.md, claim B; a threshold at most
/// doubles, a depth-`d` chain covers `2d + 1 ≤ M(d)`).
pub(super) fn max_runs(d: u32) -> usize {
    match d {
        0 => 1,
        d => 3usize << (d - 1).min(40),
    }
}
