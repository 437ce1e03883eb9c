//! Lowering a [`Policy`] to a classic-BPF program.
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
use bpf_asm::{Arch, BuildError, Builder, Insn, JmpCond, Label, Program};

use crate::action::Action;
use crate::bits;
use crate::matcher::MatcherId;
use crate::resolved::Policy;
use crate::runs::{number_weights, runs_weighted, Leaf, Run, Weighting};
use crate::tree::{ceil_log2, optimal, Tree, DEFAULT_SIZE_PENALTY};
use crate::weights::SyscallWeights;

/// How to lower a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileOptions {
    /// Syscall frequencies; `None` uses the shipped profile
    /// ([`SyscallWeights::builtin`]).
    pub weights: Option<SyscallWeights>,
    pub weighting: Weighting,
    /// Tests allowed on any path beyond `⌈log2 R⌉` (R = runs of the arch).
    pub max_depth_slack: u32,
    /// What one test instruction of program size is worth, in executed
    /// instructions per call: each arch's tree minimises
    /// `mean executed + size_penalty × tests` (λ = `size_penalty` × total
    /// weight). Default [`DEFAULT_SIZE_PENALTY`] (1/64): size only breaks
    /// near-ties of the weighted mean; `0.0` is the pure weighted optimum.
    pub size_penalty: f64,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            weights: None,
            weighting: Weighting::Frequency,
            max_depth_slack: 2,
            size_penalty: DEFAULT_SIZE_PENALTY,
        }
    }
}

impl CompileOptions {
    fn profile(&self) -> &SyscallWeights {
        self.weights
            .as_ref()
            .unwrap_or_else(|| SyscallWeights::builtin())
    }
}

/// Why a policy cannot be lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// The policy targets no architecture.
    NoArch,
    /// The program could not be laid out (too long for the kernel).
    Build(BuildError),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::NoArch => write!(f, "the policy targets no architecture"),
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

/// One arch's runs and the dispatch tree chosen for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lowered {
    pub arch: Arch,
    pub runs: Vec<Run>,
    pub tree: Tree,
}

/// Runs and optimal trees for every target arch, in program order.
pub fn lower(policy: &Policy, opts: &CompileOptions) -> Vec<Lowered> {
    let profile = opts.profile();
    policy
        .arches
        .iter()
        .map(|p| {
            let weights = number_weights(p, profile, opts.weighting);
            let runs = runs_weighted(p, &weights, profile, opts.weighting);
            let depth = ceil_log2(runs.len()) + opts.max_depth_slack;
            let tree = optimal(&runs, depth, opts.size_penalty);
            let tree = bits::refine(tree, &runs, &weights, depth, opts.size_penalty);
            Lowered {
                arch: p.arch,
                runs,
                tree,
            }
        })
        .collect()
}

/// Compiles `policy` into a seccomp filter (see the module docs for its shape).
pub fn compile(policy: &Policy, opts: &CompileOptions) -> Result<Program, CompileError> {
    if policy.arches.is_empty() {
        return Err(CompileError::NoArch);
    }
    let lowered = lower(policy, opts);
    let mut e = Emitter {
        b: Builder::new(),
        rets: HashMap::new(),
        order: Vec::new(),
    };
    e.b.emit(Insn::ld_abs(offset::ARCH));
    let foreign = e.ret_label(Leaf::Ret(policy.foreign));
    let entries: Vec<Label> = lowered.iter().map(|l| e.target(&l.tree)).collect();
    for (i, l) in lowered.iter().enumerate() {
        let last = i + 1 == lowered.len();
        let next = if last { foreign } else { e.b.label() };
        e.b.jump(JmpCond::Eq, l.arch.audit(), entries[i], next);
        if !last {
            e.b.bind(next);
        }
    }
    for (l, &entry) in lowered.iter().zip(&entries) {
        if let Tree::Leaf(_) = l.tree {
            continue;
        }
        e.b.bind(entry);
        e.b.emit(Insn::ld_abs(offset::NR));
        e.tree(&l.tree);
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
        let rets: HashMap<Action, Label> = policy
            .matchers
            .actions(&ids)
            .into_iter()
            .map(|a| (a, e.ret_label(Leaf::Ret(a))))
            .collect();
        policy.matchers.emit(&mut e.b, &roots, &rets);
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
