//! Maximal runs of equal leaves over one arch's whole number space, each
//! with the weight the tree optimizer minimises against.

use bpf_asm::Arch;

use crate::action::Action;
use crate::freq::FrequencyProfile;
use crate::policy::{ArchPolicy, NR_SKIP, X32_START};

/// What a path through the dispatch tree ends in. Today a leaf is a return
/// action; argument matchers will join it. Leaves compare by value, so
/// neighbouring numbers with equal leaves merge into one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leaf {
    Ret(Action),
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
    Frequency,
    /// Syscalls the kernel's action cache serves (table numbers whose path
    /// is `RET ALLOW`) weigh nothing; everything else weighs its count, and a
    /// syscall missing from the profile, and each region outside the table
    /// (above the table, x32, `-1`), weighs as one call. Minimises what the
    /// filter really costs on Linux ≥ 5.11.
    #[default]
    CacheAware,
}

/// Weights are integers: counts are multiplied by `SCALE`, and every run
/// weighs at least `EPSILON` so cold runs still get a balanced subtree.
pub const SCALE: u64 = 16;
pub const EPSILON: u64 = 1;

/// A maximal interval `lo..=hi` of numbers sharing a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub lo: u32,
    pub hi: u32,
    pub leaf: Leaf,
    /// Optimizer weight (see [`Weighting`]), at least [`EPSILON`].
    pub weight: u64,
}

impl Run {
    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }
}

/// The runs of `p`, in increasing order, covering `0..=u32::MAX` exactly.
pub fn runs(p: &ArchPolicy, profile: &FrequencyProfile, weighting: Weighting) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut push = |lo: u32, hi: u32, action: Action, weight: u64| {
        let leaf = Leaf::Ret(action);
        match out.last_mut() {
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
        }
    };
    let call_weight = |arch: Arch, nr: u32, action: Action, cacheable: bool| -> u64 {
        let count = profile.count(arch, nr);
        match weighting {
            Weighting::Frequency => count.unwrap_or(0) * SCALE,
            Weighting::CacheAware if cacheable && action == Action::Allow => 0,
            Weighting::CacheAware => count.unwrap_or(1) * SCALE,
        }
    };
    let region_weight = match weighting {
        Weighting::Frequency => 0,
        Weighting::CacheAware => SCALE,
    };
    let numbers = |push: &mut dyn FnMut(u32, u32, Action, u64), lo: u32, hi: u32| {
        for nr in lo..=hi {
            let action = p.action(nr);
            let named = crate::table::SyscallTable::name(p.arch, nr).is_some();
            let w = if named {
                call_weight(p.arch, nr, action, p.cacheable(nr))
            } else {
                0
            };
            push(nr, nr, action, w);
        }
    };
    numbers(&mut push, 0, p.table_end - 1);
    let above_end = if p.x32.is_some() {
        X32_START - 1
    } else {
        NR_SKIP - 1
    };
    let mut above_lo = p.table_end;
    if let Some((lo, hi)) = p.private {
        if lo > above_lo {
            push(above_lo, lo - 1, p.above_table, region_weight);
        }
        numbers(&mut push, lo, hi);
        above_lo = hi + 1;
    }
    push(above_lo, above_end, p.above_table, region_weight);
    if let Some(x32) = p.x32 {
        push(X32_START, NR_SKIP - 1, x32, region_weight);
    }
    push(NR_SKIP, NR_SKIP, p.default, region_weight);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{ENOSYS, EPERM};
    use crate::resolve::resolve;
    use crate::spec::PolicySpec;

    #[test]
    fn runs_cover_the_space_and_merge() {
        let (p, _) = resolve(&PolicySpec {
            arches: vec![Arch::X86_64],
            ..PolicySpec::allow(&["read", "write", "close"])
        })
        .unwrap();
        let r = runs(
            &p.arches[0],
            &FrequencyProfile::empty(),
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
