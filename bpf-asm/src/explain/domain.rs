//! What one `seccomp_data` word, loaded as is, may hold on a path: the
//! conjunction of the jump conditions the path took on it.

use std::collections::BTreeSet;

use super::hex;
use crate::insn::JmpCond;

/// The values a bare `seccomp_data` word may hold on a path: `lo..=hi`,
/// minus `ne`, with at least one bit of each `any_set` mask and none of `zero`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Domain {
    lo: u32,
    hi: u32,
    ne: BTreeSet<u32>,
    any_set: Vec<u32>,
    zero: u32,
}

impl Default for Domain {
    fn default() -> Domain {
        Domain {
            lo: 0,
            hi: u32::MAX,
            ne: BTreeSet::new(),
            any_set: Vec::new(),
            zero: 0,
        }
    }
}

impl Domain {
    /// Adds `value COND k == truth`; false when no value is left.
    pub(super) fn constrain(&mut self, cond: JmpCond, k: u32, truth: bool) -> bool {
        match (cond, truth) {
            (JmpCond::Eq, true) => {
                self.lo = self.lo.max(k);
                self.hi = self.hi.min(k);
            }
            (JmpCond::Eq, false) => {
                self.ne.insert(k);
            }
            (JmpCond::Gt, true) => match k.checked_add(1) {
                Some(k1) => self.lo = self.lo.max(k1),
                None => return false,
            },
            (JmpCond::Gt, false) => self.hi = self.hi.min(k),
            (JmpCond::Ge, true) => self.lo = self.lo.max(k),
            (JmpCond::Ge, false) => match k.checked_sub(1) {
                Some(k1) => self.hi = self.hi.min(k1),
                None => return false,
            },
            (JmpCond::Set, true) => self.any_set.push(k),
            (JmpCond::Set, false) => self.zero |= k,
        }
        self.feasible()
    }

    fn admits(&self, v: u32) -> bool {
        (self.lo..=self.hi).contains(&v)
            && !self.ne.contains(&v)
            && v & self.zero == 0
            && self.any_set.iter().all(|m| v & m != 0)
    }

    fn feasible(&self) -> bool {
        if self.lo > self.hi {
            return false;
        }
        let span = u64::from(self.hi - self.lo) + 1;
        if span <= self.ne.len() as u64 + 64 {
            return (self.lo..=self.hi).any(|v| self.admits(v));
        }
        self.any_set.iter().all(|m| m & !self.zero != 0)
    }

    /// The one value left, if only one is.
    pub(super) fn exact(&self) -> Option<u32> {
        (self.lo == self.hi).then_some(self.lo)
    }

    /// Number of "is set" facts.
    pub(super) fn set_facts(&self) -> usize {
        self.any_set.len()
    }

    /// Human-readable constraints on `name`.
    pub(super) fn render(&self, name: &str, out: &mut Vec<String>) {
        if let Some(v) = self.exact() {
            out.push(format!("{name} == {}", hex(v)));
            return;
        }
        match (self.lo, self.hi) {
            (0, u32::MAX) => {}
            (0, hi) => out.push(format!("{name} <= {}", hex(hi))),
            (lo, u32::MAX) => out.push(format!("{name} >= {}", hex(lo))),
            (lo, hi) => out.push(format!("{name} in {}..={}", hex(lo), hex(hi))),
        }
        for v in self.ne.iter().filter(|v| (self.lo..=self.hi).contains(*v)) {
            out.push(format!("{name} != {}", hex(*v)));
        }
        for m in &self.any_set {
            out.push(format!("{name} & {} != 0", hex(*m)));
        }
        if self.zero != 0 {
            out.push(format!("{name} & {} == 0", hex(self.zero)));
        }
    }
}
