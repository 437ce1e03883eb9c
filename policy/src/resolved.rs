//! The resolved policy: per target arch, a total function from the 32-bit
//! syscall-number space to an action, and [`Policy::evaluate`], the
//! reference evaluator every compiled program is tested against.
//!
//! The number space of one arch, in the order the regions are checked:
//!
//! ```text
//!   0xFFFFFFFF                 nr == -1: a tracer skipped the call  -> default
//!   numbers with a rule        (table syscalls, ARM private ones)   -> the rule
//!   0x40000000..=0xFFFFFFFE    x86_64 only: x32 ABI (not a target)  -> x32 action
//!   0..=max_nr                 the table, holes included            -> default
//!   ARM 0x0f0000..=0x0f07ff    ARM private syscalls                 -> default
//!   everything else            above the table                      -> above_table
//! ```
//!
//! A syscall with conditional rules ([`ArchPolicy::conditional`]) gets the
//! action of the first of them whose conditions all hold, in spec order;
//! when none holds it gets what the table above says (its *fallback*).

use std::collections::BTreeMap;

use bpf_asm::seccomp::X32_SYSCALL_BIT;
use bpf_asm::{Arch, SeccompData};

use crate::action::Action;
use crate::matcher::{ArgRule, Matchers, Next};
use crate::runs::Leaf;
use crate::twins::TwinDenial;

/// Start of the x32 region on x86_64 (`__X32_SYSCALL_BIT`).
pub const X32_START: u32 = X32_SYSCALL_BIT;
/// `nr == -1`, the number a tracer sets to skip a syscall.
pub const NR_SKIP: u32 = u32::MAX;

/// The policy of one target arch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchPolicy {
    pub arch: Arch,
    /// Table syscalls without a rule, table holes, ARM private syscalls, `-1`.
    pub default: Action,
    /// Syscall number → action, for every syscall that does not get
    /// `default` (without arguments: the fallback of conditional rules).
    pub rules: BTreeMap<u32, Action>,
    /// Syscall number → its conditional rules in spec order, argument
    /// widths resolved for this arch. Tried before `rules`.
    pub conditional: BTreeMap<u32, Vec<ArgRule>>,
    /// Syscall number → the lowered form of its conditional rules (a
    /// matcher in [`Policy::matchers`], or a return when they fold away).
    pub leaves: BTreeMap<u32, Leaf>,
    /// Numbers above the table (`max_nr + 1 ..`), except the regions below.
    pub above_table: Action,
    /// x86_64: what numbers with the x32 bit get (`[0x40000000, 0xFFFFFFFE]`).
    pub x32: Option<Action>,
    /// One past the highest table syscall (`max_nr + 1`).
    pub table_end: u32,
    /// A range above the table that still holds syscalls (ARM's private ones).
    pub private: Option<(u32, u32)>,
    /// The twins a deny-list denied here beyond its names (for `--dump`).
    pub twins: Vec<TwinDenial>,
}

impl ArchPolicy {
    /// The action for syscall number `nr` on this arch when no conditional
    /// rule decides (for a syscall without conditional rules: its action).
    pub fn action(&self, nr: u32) -> Action {
        if nr == NR_SKIP {
            return self.default;
        }
        if let Some(&a) = self.rules.get(&nr) {
            return a;
        }
        if let Some(x32) = self.x32 {
            if nr >= X32_START {
                return x32;
            }
        }
        let private = self.private.is_some_and(|(lo, hi)| (lo..=hi).contains(&nr));
        if nr < self.table_end || private {
            self.default
        } else {
            self.above_table
        }
    }

    /// The action for syscall `nr` called with `args` (the reference
    /// semantics; on a 32-bit arch only the low word of each argument exists).
    pub fn decide(&self, nr: u32, args: &[u64; 6]) -> Action {
        if let Some(rules) = self.conditional.get(&nr) {
            let arch64 = self.arch.is_64bit();
            if let Some(r) = rules.iter().find(|r| r.holds(args, arch64)) {
                return r.action;
            }
        }
        self.action(nr)
    }

    /// [`ArchPolicy::leaf`] of every number below `table_end`, in order
    /// (one pass over the rule maps instead of a lookup per number).
    pub fn table_leaves(&self) -> Vec<Leaf> {
        let mut out = vec![Leaf::Ret(self.default); self.table_end as usize];
        for (&nr, &a) in self.rules.range(..self.table_end) {
            out[nr as usize] = Leaf::Ret(a);
        }
        for (&nr, &leaf) in self.leaves.range(..self.table_end) {
            out[nr as usize] = leaf;
        }
        out
    }

    /// What the dispatch tree leads `nr` to: a return, or an argument matcher.
    pub fn leaf(&self, nr: u32) -> Leaf {
        match self.leaves.get(&nr) {
            Some(&leaf) => leaf,
            None => Leaf::Ret(self.action(nr)),
        }
    }

    /// True when the kernel's action cache can cover `nr` (`nr < NR_syscalls`;
    /// x32 numbers are never cached, `seccomp_cache_prepare_bitmap`).
    pub fn cacheable(&self, nr: u32) -> bool {
        nr < self.table_end
    }
}

/// A resolved policy: one [`ArchPolicy`] per target arch, native first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub arches: Vec<ArchPolicy>,
    /// What a call from an arch that is not a target gets.
    pub foreign: Action,
    /// The argument matchers of every arch (hash-consed, shared).
    pub matchers: Matchers,
}

impl Policy {
    /// The reference evaluator: what the compiled filter must return.
    pub fn evaluate(&self, data: &SeccompData) -> Action {
        match self.arch(data.arch) {
            Some(p) => p.decide(data.nr, &data.args),
            None => self.foreign,
        }
    }

    /// The policy of the arch whose `AUDIT_ARCH_*` value is `audit`.
    pub fn arch(&self, audit: u32) -> Option<&ArchPolicy> {
        self.arches.iter().find(|p| p.arch.audit() == audit)
    }

    /// The action the lowered matchers give (a check of the lowering, not
    /// the reference: use [`Policy::evaluate`] for that).
    pub fn evaluate_lowered(&self, data: &SeccompData) -> Action {
        match self.arch(data.arch) {
            Some(p) => match p.leaf(data.nr) {
                Leaf::Ret(a) => a,
                Leaf::Args(id) => self
                    .matchers
                    .run(Next::Node(id), &data.args, p.arch.is_64bit()),
            },
            None => self.foreign,
        }
    }
}
