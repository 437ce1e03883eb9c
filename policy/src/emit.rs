//! The last stage: a [`LoweredPolicy`] laid out as a classic-BPF program.
//!
//! ```text
//!         ld  [arch]
//!         jeq #AUDIT_ARCH_<native>, tree_0, next_1
//! next_1: jeq #AUDIT_ARCH_<other>,  tree_1, ret_kill     (one per extra target)
//! tree_0: ld  [nr]
//!         <dispatch tree of arch 0: jge/jeq on nr, jset below the table end>
//! tree_1: ld  [nr]
//!         <dispatch tree of arch 1>
//! args_m: <argument matcher m: ld [args..]; jeq/jgt/jset>  (one per distinct matcher)
//!         ret <action>                                    (one per distinct action)
//! ```
//!
//! Argument matchers ([`crate::matcher`]) are shared by every number and
//! arch whose leaf is the same `Leaf::Args`; they load argument words, so
//! their syscalls are (rightly) never cached.
//!
//! Every instruction on the way to a `ret ALLOW` is one the kernel's action
//! cache can follow (`ld [nr]`, `ld [arch]`, `jeq/jge/jset #k`, `ret #0x7fff0000`;
//! kernel/seccomp.c `seccomp_is_const_allow`), so every unconditionally
//! allowed table syscall is served by the cache. Returns are shared: each
//! distinct action is emitted once, and the builder duplicates one next to a
//! jump that cannot reach it (> 255 instructions).

use std::collections::HashMap;
use std::fmt;

use bpf_asm::seccomp::offset;
use bpf_asm::{BuildError, Builder, Insn, JmpCond, Label, Program};

use crate::action::Action;
use crate::lowered::{CompileOptions, LoweredPolicy};
use crate::matcher::MatcherId;
use crate::resolved::Policy;
use crate::runs::Leaf;
use crate::tree::Tree;

/// Why a lowered policy cannot be emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// The program could not be laid out: too long for the kernel
    /// (`BPF_MAXINSNS`, include/uapi/linux/bpf_common.h), or a jump too far.
    Build(BuildError),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Build(e) => write!(f, "cannot lay out the program: {e}"),
        }
    }
}

impl std::error::Error for CompileError {}

impl From<BuildError> for CompileError {
    fn from(e: BuildError) -> CompileError {
        CompileError::Build(e)
    }
}

/// Compiles `policy` into a seccomp filter: [`Policy::lower`], then
/// [`LoweredPolicy::emit`] (see the module docs for its shape).
pub fn compile(policy: &Policy, opts: &CompileOptions) -> Result<Program, CompileError> {
    policy.lower(opts).emit()
}

/// The program of `lowered` (see the module docs for its shape).
pub(crate) fn emit(lowered: &LoweredPolicy) -> Result<Program, CompileError> {
    let arches = lowered.arches();
    let mut e = Emitter {
        b: Builder::new(),
        rets: HashMap::new(),
        order: Vec::new(),
    };
    e.b.emit(Insn::ld_abs(offset::ARCH));
    let foreign = e.ret_label(Leaf::Ret(lowered.policy().foreign()));
    let entries: Vec<Label> = arches.iter().map(|l| e.target(l.tree())).collect();
    for (i, l) in arches.iter().enumerate() {
        let last = i + 1 == arches.len();
        let next = if last { foreign } else { e.b.label() };
        e.b.jump(JmpCond::Eq, l.arch().audit(), entries[i], next);
        if !last {
            e.b.bind(next);
        }
    }
    for (l, &entry) in arches.iter().zip(&entries) {
        if let Tree::Leaf(_) = l.tree() {
            continue;
        }
        e.b.bind(entry);
        e.b.emit(Insn::ld_abs(offset::NR));
        e.tree(l.tree());
    }
    // Argument matchers (`Leaf::Args`) go between the trees and the
    // returns; their labels sit in `order` like the returns' (crate::matcher).
    let roots: Vec<(MatcherId, Label)> = e
        .order
        .iter()
        .filter_map(|&(leaf, label)| match leaf {
            Leaf::Args(id) => Some((id, label)),
            Leaf::Ret(_) => None,
        })
        .collect();
    if !roots.is_empty() {
        let ids: Vec<MatcherId> = roots.iter().map(|r| r.0).collect();
        let matchers = lowered.matchers();
        let rets: HashMap<Action, Label> = matchers
            .actions(&ids)
            .into_iter()
            .map(|a| (a, e.ret_label(Leaf::Ret(a))))
            .collect();
        matchers.emit(&mut e.b, &roots, &rets);
    }
    for (leaf, label) in std::mem::take(&mut e.order) {
        if let Leaf::Ret(action) = leaf {
            e.b.bind(label);
            e.b.ret(action.to_raw());
        }
    }
    Ok(e.b.finish()?)
}

struct Emitter {
    b: Builder,
    rets: HashMap<Leaf, Label>,
    /// Return labels in first-use order, emitted at the end.
    order: Vec<(Leaf, Label)>,
}

impl Emitter {
    fn ret_label(&mut self, leaf: Leaf) -> Label {
        if let Some(&l) = self.rets.get(&leaf) {
            return l;
        }
        let l = self.b.label();
        self.rets.insert(leaf, l);
        self.order.push((leaf, l));
        l
    }

    /// Where a jump to `tree` goes: its `ret`, or a fresh label for its code.
    fn target(&mut self, tree: &Tree) -> Label {
        match tree {
            Tree::Leaf(leaf) => self.ret_label(*leaf),
            _ => self.b.label(),
        }
    }

    /// Emits `tree` at `label` unless it is a leaf (a shared return,
    /// emitted at the end).
    fn place(&mut self, tree: &Tree, label: Label) {
        if !matches!(tree, Tree::Leaf(_)) {
            self.b.bind(label);
            self.tree(tree);
        }
    }

    /// Emits a non-leaf `tree` at the current position (its label is bound).
    fn tree(&mut self, tree: &Tree) {
        match tree {
            Tree::Leaf(_) => unreachable!("leaves are shared returns"),
            Tree::Ge { k, lo, hi } => {
                let (lo_l, hi_l) = (self.target(lo), self.target(hi));
                self.b.jump(JmpCond::Ge, *k, hi_l, lo_l);
                self.place(lo, lo_l);
                self.place(hi, hi_l);
            }
            Tree::Eq { k, eq, ne } => {
                let eq_l = self.ret_label(*eq);
                let ne_l = self.target(ne);
                self.b.jump(JmpCond::Eq, *k, eq_l, ne_l);
                self.place(ne, ne_l);
            }
            Tree::Bits {
                mask,
                when_set,
                leaf,
                rest,
            } => {
                let leaf_l = self.ret_label(*leaf);
                let rest_l = self.target(rest);
                let (set_l, clear_l) = if *when_set {
                    (leaf_l, rest_l)
                } else {
                    (rest_l, leaf_l)
                };
                self.b.jump(JmpCond::Set, *mask, set_l, clear_l);
                self.place(rest, rest_l);
            }
        }
    }
}
