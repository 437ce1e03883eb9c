//! The lowered form of a [`Policy`]: per target arch, the leaf every
//! syscall number leads to (a return, or an argument matcher), the
//! maximal runs of equal leaves, and the dispatch tree chosen over them.
//!
//! This is the third of the compiler's four stages:
//!
//! ```text
//!   PolicySpec ──resolve──► Policy ──Policy::lower──► LoweredPolicy ──emit──► Program
//!   (what the user wrote)   (meaning)                 (trees, matchers)       (BPF)
//! ```
//!
//! [`Policy::lower`] is the one entry point; [`LoweredPolicy::emit`]
//! ([`crate::emit`]) lays the result out as instructions, and
//! [`crate::compile`] does both. The lowering cannot fail: a [`Policy`]
//! has at least one arch, and only the layout can be too long.

use std::collections::BTreeMap;

use bpf_asm::{Arch, Program, SeccompData};

use crate::action::Action;
use crate::bits;
use crate::emit::CompileError;
use crate::matcher::{Matchers, Next};
use crate::resolved::{ArchPolicy, Policy};
use crate::runs::{number_weights, runs_weighted, Leaf, Run, Weighting};
use crate::tree::{ceil_log2, optimal, Tree, DEFAULT_SIZE_PENALTY};
use crate::weights::SyscallWeights;

/// How to lower a policy: the weights and the bounds the dispatch tree
/// optimizer works with (docs/dispatch-tree.md).
#[derive(Clone, Debug, PartialEq)]
pub struct CompileOptions {
    /// Syscall frequencies; `None` uses the shipped profile
    /// ([`SyscallWeights::builtin`]).
    pub weights: Option<SyscallWeights>,
    /// How those frequencies weigh in the optimizer.
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

/// The leaf of every number of one arch: the conditional rules lowered to
/// matchers (in the policy's shared [`Matchers`]), the rest a return of
/// [`ArchPolicy::action`].
#[derive(Clone, Debug)]
pub(crate) struct ArchLeaves<'p> {
    pub(crate) policy: &'p ArchPolicy,
    /// Syscall number → the lowered form of its conditional rules (a
    /// matcher, or a return when they fold away).
    args: BTreeMap<u32, Leaf>,
}

impl<'p> ArchLeaves<'p> {
    /// Lowers the conditional rules of `policy` into `matchers`, each
    /// number's falling back to what `policy` does with it otherwise.
    pub(crate) fn new(policy: &'p ArchPolicy, matchers: &mut Matchers) -> ArchLeaves<'p> {
        let arch64 = policy.arch.is_64bit();
        let args = (policy.conditional.iter())
            .map(|(&nr, rules)| {
                let leaf = match matchers.build(rules, policy.action(nr), arch64) {
                    Next::Ret(a) => Leaf::Ret(a),
                    Next::Node(id) => Leaf::Args(id),
                };
                (nr, leaf)
            })
            .collect();
        ArchLeaves { policy, args }
    }

    /// What the dispatch tree leads `nr` to: a return, or an argument matcher.
    pub(crate) fn leaf(&self, nr: u32) -> Leaf {
        match self.args.get(&nr) {
            Some(&leaf) => leaf,
            None => Leaf::Ret(self.policy.action(nr)),
        }
    }

    /// [`ArchLeaves::leaf`] of every number below the table end, in order
    /// (one pass over the rule maps instead of a lookup per number).
    pub(crate) fn table_leaves(&self) -> Vec<Leaf> {
        let p = self.policy;
        let mut out = vec![Leaf::Ret(p.default); p.table_end as usize];
        for (&nr, &a) in p.rules.range(..p.table_end) {
            out[nr as usize] = Leaf::Ret(a);
        }
        for (&nr, &leaf) in self.args.range(..p.table_end) {
            out[nr as usize] = leaf;
        }
        out
    }
}

/// One arch of a [`LoweredPolicy`]: its leaves, their runs and the
/// dispatch tree chosen for them.
#[derive(Clone, Debug)]
pub struct LoweredArch<'p> {
    leaves: ArchLeaves<'p>,
    runs: Vec<Run>,
    tree: Tree,
}

impl LoweredArch<'_> {
    /// The target arch.
    pub fn arch(&self) -> Arch {
        self.leaves.policy.arch
    }

    /// The maximal runs of equal leaves over `0..=u32::MAX`, in order.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The dispatch tree over the syscall number.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// What the dispatch tree leads `nr` to: a return, or an argument matcher.
    pub fn leaf(&self, nr: u32) -> Leaf {
        self.leaves.leaf(nr)
    }
}

/// A [`Policy`] lowered: one [`LoweredArch`] per target arch, in program
/// order, and the argument matchers they share. Built by [`Policy::lower`].
#[derive(Clone, Debug)]
pub struct LoweredPolicy<'p> {
    policy: &'p Policy,
    arches: Vec<LoweredArch<'p>>,
    matchers: Matchers,
}

impl Policy {
    /// Lowers the policy with `opts`: the leaves of every arch (the
    /// conditional rules as shared, hash-consed matchers, [`crate::matcher`]),
    /// their runs with weights ([`crate::runs`]) and the depth-limited
    /// optimal dispatch tree with bit tests ([`crate::tree`], [`crate::bits`]).
    pub fn lower(&self, opts: &CompileOptions) -> LoweredPolicy<'_> {
        let profile = opts.profile();
        let mut matchers = Matchers::new();
        let leaves: Vec<ArchLeaves> = (self.arches.iter())
            .map(|p| ArchLeaves::new(p, &mut matchers))
            .collect();
        let arches = leaves
            .into_iter()
            .map(|leaves| {
                let weights = number_weights(&leaves, profile, opts.weighting);
                let runs = runs_weighted(&leaves, &weights, profile, opts.weighting);
                let depth = ceil_log2(runs.len()) + opts.max_depth_slack;
                let tree = optimal(&runs, depth, opts.size_penalty);
                let tree = bits::refine(tree, &runs, &weights, depth, opts.size_penalty);
                LoweredArch { leaves, runs, tree }
            })
            .collect();
        LoweredPolicy {
            policy: self,
            arches,
            matchers,
        }
    }
}

impl<'p> LoweredPolicy<'p> {
    /// The policy this is the lowering of.
    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    /// The lowered arches, in program order (native first).
    pub fn arches(&self) -> &[LoweredArch<'p>] {
        &self.arches
    }

    /// The argument matchers of every arch (hash-consed, shared).
    pub fn matchers(&self) -> &Matchers {
        &self.matchers
    }

    /// The action the lowered leaves and matchers give (a check of the
    /// lowering, not the reference: use [`Policy::evaluate`] for that).
    pub fn evaluate(&self, data: &SeccompData) -> Action {
        match self.arches.iter().find(|a| a.arch().audit() == data.arch) {
            Some(a) => match a.leaf(data.nr) {
                Leaf::Ret(action) => action,
                Leaf::Args(id) => {
                    (self.matchers).run(Next::Node(id), &data.args, a.arch().is_64bit())
                }
            },
            None => self.policy.foreign,
        }
    }

    /// Lays the lowered policy out as a seccomp filter ([`crate::emit`]).
    pub fn emit(&self) -> Result<Program, CompileError> {
        crate::emit::emit(self)
    }
}
