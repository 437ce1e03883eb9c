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
//!
//! This is the second of the compiler's four stages
//! ([`PolicySpec`](crate::PolicySpec) → [`Policy`] →
//! [`LoweredPolicy`](crate::LoweredPolicy) → [`bpf_asm::Program`]): the
//! meaning only, no dispatch tree and no matcher. Its fields are private:
//! a `Policy` comes from [`crate::resolve`](fn@crate::resolve) (or from
//! [`crate::notify_denials`]/[`crate::notify_calls`] of one), so it always
//! has at least one target arch, and every argument index of its rules is
//! an [`ArgIndex`](crate::condition::ArgIndex).

use std::collections::BTreeMap;

use bpf_asm::seccomp::X32_SYSCALL_BIT;
use bpf_asm::{Arch, SeccompData};

use crate::action::Action;
use crate::condition::{Condition, Width};
use crate::twins::TwinDenial;

/// Start of the x32 region on x86_64 (`__X32_SYSCALL_BIT`,
/// arch/x86/include/uapi/asm/unistd.h).
pub const X32_START: u32 = X32_SYSCALL_BIT;
/// `nr == -1`, the number a tracer sets to skip a syscall
/// (kernel/seccomp.c `__seccomp_filter` lets the filter see it).
pub const NR_SKIP: u32 = u32::MAX;

/// A conditional rule of one syscall on one arch, with the width of each
/// condition's argument resolved ([`crate::width`]): its conditions are
/// ANDed, and the first rule of a syscall whose conditions all hold gives
/// its action ([`crate::spec::Rule`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArgRule {
    conditions: Vec<(Condition, Width)>,
    action: Action,
}

impl ArgRule {
    /// The rule `conditions → action` (each condition with the width the
    /// kernel reads of its argument on the rule's arch).
    pub(crate) fn new(conditions: Vec<(Condition, Width)>, action: Action) -> ArgRule {
        ArgRule { conditions, action }
    }

    /// The conditions, ANDed, each with the width of its argument.
    pub fn conditions(&self) -> &[(Condition, Width)] {
        &self.conditions
    }

    /// The action the rule gives when its conditions hold.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The rule with another action (the notify rewrite, [`crate::notify`]).
    pub(crate) fn set_action(&mut self, action: Action) {
        self.action = action;
    }

    /// Whether every condition holds for `args` on an arch whose arguments
    /// are 64 bits (`arch64`) or 32 bits (zero-extended); on an argument of
    /// unknown width as [`Condition::selects`] reads it for this rule's action.
    pub fn holds(&self, args: &[u64; 6], arch64: bool) -> bool {
        self.conditions.iter().all(|(c, w)| {
            let raw = args[usize::from(c.arg())];
            let raw = if arch64 { raw } else { raw & 0xffff_ffff };
            c.selects(raw, *w, self.action)
        })
    }
}

/// The policy of one target arch: an action for every syscall number, and
/// the conditional rules tried before it. Read-only outside the crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchPolicy {
    pub(crate) arch: Arch,
    /// Table syscalls without a rule, table holes, ARM private syscalls, `-1`.
    pub(crate) default: Action,
    /// Syscall number → action, for every syscall that does not get
    /// `default` (without arguments: the fallback of conditional rules).
    pub(crate) rules: BTreeMap<u32, Action>,
    /// Syscall number → its conditional rules in spec order, argument
    /// widths resolved for this arch. Tried before `rules`.
    pub(crate) conditional: BTreeMap<u32, Vec<ArgRule>>,
    /// Numbers above the table (`max_nr + 1 ..`), except the regions below.
    pub(crate) above_table: Action,
    /// x86_64: what numbers with the x32 bit get (`[0x40000000, 0xFFFFFFFE]`).
    pub(crate) x32: Option<Action>,
    /// One past the highest table syscall (`max_nr + 1`).
    pub(crate) table_end: u32,
    /// A range above the table that still holds syscalls (ARM's private ones).
    pub(crate) private: Option<(u32, u32)>,
    /// The twins a deny-list denied here beyond its names (for `--dump`).
    pub(crate) twins: Vec<TwinDenial>,
}

impl ArchPolicy {
    /// The target arch this policy is for.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// Syscall number → action, for every number whose action is not the
    /// arch's default (for a syscall with conditional rules: their fallback).
    pub fn rules(&self) -> &BTreeMap<u32, Action> {
        &self.rules
    }

    /// Syscall number → its conditional rules in spec order, with the
    /// argument widths of this arch; tried before [`ArchPolicy::action`].
    pub fn conditional(&self) -> &BTreeMap<u32, Vec<ArgRule>> {
        &self.conditional
    }

    /// One past the highest syscall number of this arch's table
    /// (`max_nr + 1`, the kernel's `NR_syscalls`).
    pub fn table_end(&self) -> u32 {
        self.table_end
    }

    /// The twins a deny-list denied on this arch beyond its names
    /// ([`crate::twins`]).
    pub fn twins(&self) -> &[TwinDenial] {
        &self.twins
    }

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

    /// True when the kernel's action cache can cover `nr` (`nr < NR_syscalls`;
    /// x32 numbers are never cached, kernel/seccomp.c
    /// `seccomp_cache_prepare_bitmap`).
    pub fn cacheable(&self, nr: u32) -> bool {
        nr < self.table_end
    }
}

/// A resolved policy: one [`ArchPolicy`] per target arch, native first
/// (at least one), and what calls from any other arch get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub(crate) arches: Vec<ArchPolicy>,
    /// What a call from an arch that is not a target gets.
    pub(crate) foreign: Action,
}

impl Policy {
    /// A policy of `arches` (at least one: [`crate::resolve`](fn@crate::resolve)
    /// refuses a spec without a target) and the action of foreign arches.
    pub(crate) fn new(arches: Vec<ArchPolicy>, foreign: Action) -> Policy {
        assert!(!arches.is_empty(), "a policy has a target arch");
        Policy { arches, foreign }
    }

    /// The policies of the target arches, in program order (native first).
    pub fn arches(&self) -> &[ArchPolicy] {
        &self.arches
    }

    /// What a call from an arch that is not a target gets.
    pub fn foreign(&self) -> Action {
        self.foreign
    }

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
}
