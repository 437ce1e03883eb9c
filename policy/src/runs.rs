//! Maximal runs of equal leaves over one arch's whole number space, each
//! with the weight the tree optimizer minimises against.

use crate::action::Action;
use crate::lowered::ArchLeaves;
use crate::matcher::MatcherId;
use crate::resolved::{NR_SKIP, X32_START};
use crate::table::SyscallTable;
use crate::weights::SyscallWeights;

/// What a path through the dispatch tree ends in: a return, or the
/// argument matcher of a syscall with conditional rules. Matchers are
/// hash-consed ([`crate::matcher`]), so leaves compare by value and
/// neighbouring numbers with equal leaves merge into one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leaf {
    /// `ret` of this action (the one leaf the action cache can serve, when
    /// it is `ALLOW`).
    Ret(Action),
    /// The matcher rooted at this node of [`crate::LoweredPolicy::matchers`]
    /// (entered with A = `nr`; never cacheable: it loads arguments).
    Args(MatcherId),
}

impl Leaf {
    /// True when the kernel's action cache can serve this leaf: an
    /// unconditional `RET ALLOW` (kernel/seccomp.c `seccomp_is_const_allow`).
    pub fn is_const_allow(self) -> bool {
        matches!(self, Leaf::Ret(Action::Allow))
    }
}

/// How syscalls weigh in the optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Weighting {
    /// Profile counts as they are: minimises the mean over all calls as if
    /// no action cache existed (the figure libseccomp is usually measured by).
    /// The default: it is the metric the reference targets are stated in,
    /// and the dispatch tree only ever uses cache-safe tests, so every
    /// unconditional `ALLOW` stays served by the action cache either way.
    #[default]
    Frequency,
    /// Syscalls the kernel's action cache serves (table numbers whose path
    /// is `RET ALLOW`) weigh nothing; everything else weighs its count, and a
    /// syscall missing from the profile, and each region outside the table
    /// (above the table, x32, `-1`), weighs as one call. Minimises what the
    /// filter really costs on Linux ≥ 5.11. Not the default: on the
    /// reference policies it is more than one instruction worse on the
    /// no-cache weighted mean (figures, dated, in `benches/README.md`,
    /// "The size penalty").
    CacheAware,
}

/// Weights are integers: counts are multiplied by `SCALE`, and every run
/// weighs at least [`EPSILON`] so cold runs still get a balanced subtree.
pub const SCALE: u64 = 16;
/// The least weight of a run (see [`SCALE`]).
pub const EPSILON: u64 = 1;

/// A maximal interval `lo..=hi` of numbers sharing a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The first number of the run.
    pub lo: u32,
    /// The last number of the run (inclusive).
    pub hi: u32,
    /// What every number of the run leads to.
    pub leaf: Leaf,
    /// Optimizer weight (see [`Weighting`]), at least [`EPSILON`].
    pub weight: u64,
}

impl Run {
    /// True for a run of one number (`jeq` can single it out).
    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }
}

/// The runs of `p`, in increasing order, covering `0..=u32::MAX` exactly.
pub(crate) fn runs(p: &ArchLeaves, profile: &SyscallWeights, weighting: Weighting) -> Vec<Run> {
    runs_weighted(
        p,
        &number_weights(p, profile, weighting),
        profile,
        weighting,
    )
}

/// [`runs`] from the per-number weights [`number_weights`] already computed.
pub(crate) fn runs_weighted(
    leaves: &ArchLeaves,
    table: &[u64],
    profile: &SyscallWeights,
    weighting: Weighting,
) -> Vec<Run> {
    let p = leaves.policy;
    let mut out: Vec<Run> = Vec::new();
    let mut push = |lo: u32, hi: u32, leaf: Leaf, weight: u64| match out.last_mut() {
        Some(last) if last.leaf == leaf && last.hi.wrapping_add(1) == lo => {
            last.hi = hi;
            last.weight += weight;
        }
        _ => out.push(Run {
            lo,
            hi,
            leaf,
            weight: EPSILON + weight,
        }),
    };
    for ((nr, &w), leaf) in (0..p.table_end).zip(table).zip(leaves.table_leaves()) {
        push(nr, nr, leaf, w);
    }
    let region_weight = match weighting {
        Weighting::Frequency => 0,
        Weighting::CacheAware => SCALE,
    };
    let above_end = if p.x32.is_some() {
        X32_START - 1
    } else {
        NR_SKIP - 1
    };
    let mut above_lo = p.table_end;
    if let Some((lo, hi)) = p.private {
        if lo > above_lo {
            push(above_lo, lo - 1, Leaf::Ret(p.above_table), region_weight);
        }
        for nr in lo..=hi {
            let leaf = leaves.leaf(nr);
            let w = match SyscallTable::name(p.arch, nr) {
                Some(_) => call_weight(
                    weighting,
                    profile.count(p.arch, nr),
                    leaf.is_const_allow(),
                    p.cacheable(nr),
                ),
                None => 0,
            };
            push(nr, nr, leaf, w);
        }
        above_lo = hi + 1;
    }
    push(above_lo, above_end, Leaf::Ret(p.above_table), region_weight);
    if let Some(x32) = p.x32 {
        push(X32_START, NR_SKIP - 1, Leaf::Ret(x32), region_weight);
    }
    push(NR_SKIP, NR_SKIP, Leaf::Ret(p.default), region_weight);
    out
}

/// The optimizer weight of each number below `p.table_end` (without the
/// per-run [`EPSILON`]): its profile count × [`SCALE`] under `weighting`,
/// 0 for holes in the table. What the bit-test refinement
/// ([`crate::bits::refine`]) weighs single numbers by.
pub(crate) fn number_weights(
    leaves: &ArchLeaves,
    profile: &SyscallWeights,
    weighting: Weighting,
) -> Vec<u64> {
    let p = leaves.policy;
    // Counts and names by number, looked up once per name rather than once
    // per number (this is on go-jail's start-up path).
    let table_len = p.table_end as usize;
    let mut counts: Vec<Option<u64>> = vec![None; table_len];
    for (name, c) in profile.iter() {
        if let Some(nr) = SyscallTable::lookup(p.arch, name) {
            if let Some(slot) = counts.get_mut(nr as usize) {
                *slot = Some(slot.unwrap_or(0) + c);
            }
        }
    }
    let mut out = vec![0; table_len];
    if weighting == Weighting::Frequency {
        // Only counted numbers weigh, and a counted number has a name.
        for (slot, count) in out.iter_mut().zip(&counts) {
            *slot = call_weight(weighting, *count, false, true);
        }
        return out;
    }
    // `CacheAware`: every named number weighs, a cached ALLOW nothing
    // (all of them are below the table end, so cacheable).
    let leaves = leaves.table_leaves();
    for (nr, _) in SyscallTable::entries(p.arch) {
        let nr = nr as usize;
        if let Some(slot) = out.get_mut(nr) {
            *slot = call_weight(weighting, counts[nr], leaves[nr].is_const_allow(), true);
        }
    }
    out
}

/// One syscall's weight from its profile count (see [`Weighting`]).
/// `allow`: the number's leaf is an unconditional `ALLOW`.
fn call_weight(weighting: Weighting, count: Option<u64>, allow: bool, cacheable: bool) -> u64 {
    match weighting {
        Weighting::Frequency => count.unwrap_or(0) * SCALE,
        Weighting::CacheAware if cacheable && allow => 0,
        Weighting::CacheAware => count.unwrap_or(1) * SCALE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{ENOSYS, EPERM};
    use crate::resolve::resolve;
    use crate::spec::PolicySpec;
    use bpf_asm::Arch;

    #[test]
    fn runs_cover_the_space_and_merge() {
        let (p, _) = resolve(&PolicySpec {
            arches: vec![Arch::X86_64],
            ..PolicySpec::allow(&["read", "write", "close"])
        })
        .unwrap();
        let r = runs(
            &ArchLeaves::new(&p.arches()[0], &mut crate::matcher::Matchers::new()),
            &SyscallWeights::empty(),
            Weighting::CacheAware,
        );
        let eperm = Leaf::Ret(Action::Errno(EPERM));
        let allow = Leaf::Ret(Action::Allow);
        let max = crate::table::SyscallTable::max_nr(Arch::X86_64);
        let expect = vec![
            (0, 1, allow),
            (2, 2, eperm),
            (3, 3, allow),
            (4, 434, eperm),
            (435, 435, Leaf::Ret(Action::Errno(ENOSYS))),
            (436, max, eperm),
            (max + 1, 0x3fff_ffff, Leaf::Ret(Action::Errno(ENOSYS))),
            (0x4000_0000, 0xffff_fffe, Leaf::Ret(Action::KillProcess)),
            (0xffff_ffff, 0xffff_ffff, eperm),
        ];
        let got: Vec<_> = r.iter().map(|r| (r.lo, r.hi, r.leaf)).collect();
        assert_eq!(got, expect);
        // Cached ALLOWs weigh epsilon; each unlisted uncached syscall one call.
        assert_eq!(r[0].weight, EPSILON);
        assert_eq!(r[2].weight, EPSILON);
        assert!(r[3].weight > 300 * SCALE);
        assert_eq!(r[7].weight, EPSILON + SCALE);
    }
}
