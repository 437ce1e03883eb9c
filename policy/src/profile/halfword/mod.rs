//! libseccomp 2.5.4's argument tree for one syscall's conditional rules on
//! a 64-bit arch (or, [`Tree::build_for`], a 32-bit one), built as its db.c
//! builds it, so that its answer can be known without libseccomp (where
//! the tree cannot be followed, go-jail keeps the whole-condition order of
//! [`super::order`]).
//!
//! On a 32-bit arch each condition is one low-word node
//! (`_db_rule_gen_32`). On a 64-bit arch it becomes nodes on 32-bit words
//! (`_db_rule_gen_64`): `==`,
//! `!=` and masked `==` a high-word node then a low-word node; `>`, `>=`,
//! `<`, `<=` a `hi > H` node, a `hi == H` node and a low-word node. The
//! nodes of one rule are shared between its branches (the next argument's
//! first node hangs under both `hi > H` and `lo > L`), a level is one
//! doubly linked list whoever points into it, and a new rule is merged
//! into the existing graph after the existing graph is pruned of what the
//! new rule makes redundant. [`Tree::eval`] walks the graph depth first as
//! libseccomp's program does (a node's branch that reaches no action goes
//! on with the node's next sibling).
//!
//! The graph is an arena; reference counts are kept because libseccomp
//! unlinks a node from its level when the last reference goes.
//!
//! The model keeps db.c's functions, one part of db.c per file: this file
//! the tree, its walk and `db_rule_add` (`Tree::add`); `build.rs` the new
//! rule's chain (`_db_rule_gen_64`, `_db_rule_gen_32`); `prune.rs`
//! `_db_tree_prune`; `merge.rs` `_db_tree_add`; `put.rs` the reference
//! counts and removal (`_db_node_put`, `_db_tree_put`, `_db_level_clean`,
//! `_db_tree_remove`).
//!
//! Checked against libseccomp's own tree (its PFC) on every case of
//! tests/libseccomp_diff.rs. [`Tree::lower`] (in `lower.rs`) turns the
//! tree into go-jail rules; `profile::translate` uses it for a syscall
//! whose conditional rules with different actions can both hold, where
//! every condition means the same to libseccomp and go-jail.

mod build;
mod lower;
mod merge;
mod prune;
mod put;

use crate::action::Action;
use crate::condition::{CmpOp, Condition};

/// A word comparison of a node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Eq,
    Gt,
    Ge,
    Masked,
}

#[derive(Clone, Debug)]
struct Node {
    arg: u8,
    hi: bool,
    op: Word,
    /// The rule's operator class: 3 for `==`/`!=`/masked, 2 for `<`/`<=`,
    /// 1 for `>`/`>=`; `lt_or_le` orders the datum the other way.
    class: u8,
    lt_or_le: bool,
    mask: u32,
    datum: u32,
    full: u64,
    t_flg: bool,
    t: u32,
    f_flg: bool,
    f: u32,
    nxt_t: Option<usize>,
    nxt_f: Option<usize>,
    prv: Option<usize>,
    nxt: Option<usize>,
    refs: u32,
}

/// Where a link lives: the syscall's chain head, or a node's branch.
#[derive(Clone, Copy)]
enum Slot {
    Head,
    T(usize),
    F(usize),
}

impl Slot {
    /// Node `n`'s true branch for `t`, else its false branch.
    fn of(n: usize, t: bool) -> Slot {
        if t {
            Slot::T(n)
        } else {
            Slot::F(n)
        }
    }
}

const MATCH: u32 = 0x1;
const MATCH_ONCE: u32 = 0x2;
const X_FINISHED: u32 = 0x10;
const N_FINISHED: u32 = 0x20;
const X_PREFIX: u32 = 0x100;
const N_PREFIX: u32 = 0x200;
const MATCHSET: u32 = MATCH | MATCH_ONCE;
const REDUNDANT: u32 = MATCH | X_FINISHED | N_PREFIX;

/// Why a tree could not be built as libseccomp builds it.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// libseccomp refuses the rule (`-EEXIST`); it is left out.
    Refused,
    /// A case this model does not follow (a rule with no nodes, or the
    /// step budget spent where libseccomp 2.5.4 loops forever).
    Unmodelled,
}

/// libseccomp's tree of one syscall's conditional rules.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    nodes: Vec<Node>,
    head: Option<usize>,
    budget: u64,
    /// A reference count would go below zero or a level would not empty:
    /// where libseccomp 2.5.4 reads freed memory or loops; not modelled.
    stuck: bool,
    /// A level's links go round (see [`Tree::first`]); not modelled.
    cycled: std::cell::Cell<bool>,
    /// A 32-bit arch's tree: one low-word node per condition
    /// (`_db_rule_gen_32`), arguments zero-extended.
    narrow: bool,
}

/// The outcome of [`Tree::build_for`]: the tree and the indices of the rules
/// libseccomp refuses.
pub struct Built {
    /// The tree of the rules libseccomp accepts.
    pub tree: Tree,
    /// The indices (in the rules given) of the rules libseccomp refuses
    /// (`-EEXIST` from `_db_tree_add`), left out of the tree.
    pub refused: Vec<usize>,
}

impl Tree {
    /// libseccomp's tree for `rules` (conditional rules of one syscall,
    /// in profile order, as `(conditions, action)`) on a 64-bit arch
    /// (`wide`) or a 32-bit one, where libseccomp makes one node of the low
    /// words per condition (`_db_rule_gen_32`); `None` where this model
    /// stops (`Stop::Unmodelled`).
    pub fn build_for(rules: &[(Vec<Condition>, Action)], wide: bool) -> Option<Built> {
        let conditions = || rules.iter().flat_map(|r| &r.0);
        if conditions().any(|c| matches!(c.op(), CmpOp::MaskedNe(_))) {
            return None; // libseccomp has no masked `!=`
        }
        let mut tree = Tree {
            narrow: !wide,
            ..Tree::default()
        };
        let mut refused = Vec::new();
        for (i, (conds, action)) in rules.iter().enumerate() {
            let saved = tree.clone();
            tree.budget = 200_000;
            match tree.add(conds, action.to_raw()) {
                Ok(()) if tree.stuck || tree.cycled.get() => return None,
                Ok(()) => {}
                Err(Stop::Refused) => {
                    tree = saved;
                    refused.push(i);
                }
                Err(Stop::Unmodelled) => return None,
            }
        }
        Some(Built { tree, refused })
    }

    /// The action libseccomp's tree gives `args`, `None` for its default.
    pub fn eval(&self, args: &[u64; 6]) -> Option<Action> {
        let mut steps = 0u64;
        self.run(self.head, args, &mut steps)
            .and_then(Action::from_raw)
    }

    fn run(&self, level: Option<usize>, args: &[u64; 6], steps: &mut u64) -> Option<u32> {
        let mut at = self.first(level?);
        loop {
            *steps += 1;
            assert!(*steps < 10_000_000, "libseccomp tree walk too long");
            let n = &self.nodes[at];
            let a = args[n.arg as usize];
            let word = if n.hi { (a >> 32) as u32 } else { a as u32 };
            let holds = match n.op {
                Word::Eq => word == n.datum,
                Word::Gt => word > n.datum,
                Word::Ge => word >= n.datum,
                Word::Masked => word & n.mask == n.datum,
            };
            let (flg, act, below) = if holds {
                (n.t_flg, n.t, n.nxt_t)
            } else {
                (n.f_flg, n.f, n.nxt_f)
            };
            if flg {
                return Some(act);
            }
            if let Some(a) = self.run(below, args, steps) {
                return Some(a);
            }
            at = n.nxt?;
        }
    }

    /// The first node of `n`'s level. A level whose `prv` links go round
    /// (where libseccomp 2.5.4 loops forever) marks the tree as
    /// [`Tree::cycled`] and gives `n`.
    fn first(&self, n: usize) -> usize {
        let mut at = n;
        for _ in 0..=self.nodes.len() {
            match self.nodes[at].prv {
                Some(p) => at = p,
                None => return at,
            }
        }
        self.cycled.set(true);
        n
    }

    fn slot(&self, s: Slot) -> Option<usize> {
        match s {
            Slot::Head => self.head,
            Slot::T(n) => self.nodes[n].nxt_t,
            Slot::F(n) => self.nodes[n].nxt_f,
        }
    }

    fn set(&mut self, s: Slot, v: Option<usize>) {
        match s {
            Slot::Head => self.head = v,
            Slot::T(n) => self.nodes[n].nxt_t = v,
            Slot::F(n) => self.nodes[n].nxt_f = v,
        }
    }

    fn step(&mut self) -> Result<(), Stop> {
        self.budget = self.budget.checked_sub(1).ok_or(Stop::Unmodelled)?;
        Ok(())
    }

    fn get(&mut self, n: Option<usize>) -> Option<usize> {
        if let Some(n) = n {
            self.nodes[n].refs += 1;
        }
        n
    }

    fn leaf(&self, n: usize) -> bool {
        self.nodes[n].nxt_t.is_none() && self.nodes[n].nxt_f.is_none()
    }

    fn zombie(&self, n: usize) -> bool {
        self.leaf(n) && !self.nodes[n].t_flg && !self.nodes[n].f_flg
    }

    /// `_db_chain_eq`: the same word of the same argument, operator, datum
    /// and mask.
    fn same(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.nodes[a], &self.nodes[b]);
        (a.arg, a.hi, a.op, a.datum, a.mask) == (b.arg, b.hi, b.op, b.datum, b.mask)
    }

    /// `_db_chain_lt`: `a` ranks below `b` on a level (a level is kept in
    /// descending rank: higher argument, its high word, `==` class, then
    /// the larger datum, the smaller for `<`/`<=`).
    fn below(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.nodes[a], &self.nodes[b]);
        let rank = |n: &Node| (u32::from(n.arg) << 1) + u32::from(n.hi);
        if rank(a) != rank(b) {
            return rank(a) < rank(b);
        }
        if a.class != b.class {
            return a.class < b.class;
        }
        if a.lt_or_le {
            a.datum > b.datum
        } else {
            a.datum < b.datum
        }
    }

    /// Node `n`'s true (`t`) or false branch: `nxt_t` or `nxt_f`.
    fn branch(&self, n: usize, t: bool) -> Option<usize> {
        self.slot(Slot::of(n, t))
    }

    /// Node `n`'s true (`t`) or false action: `(act_t_flg, act_t)` or
    /// `(act_f_flg, act_f)`.
    fn act(&self, n: usize, t: bool) -> (bool, u32) {
        let n = &self.nodes[n];
        if t {
            (n.t_flg, n.t)
        } else {
            (n.f_flg, n.f)
        }
    }

    /// Ends node `n`'s true (`t`) or false branch with `action`.
    fn set_act(&mut self, n: usize, t: bool, action: u32) {
        let n = &mut self.nodes[n];
        if t {
            n.t_flg = true;
            n.t = action;
        } else {
            n.f_flg = true;
            n.f = action;
        }
    }

    /// `_db_tree_act_check`: whether every action in the tree is `action`.
    fn acts_all(&self, tree: Option<usize>, action: u32) -> bool {
        let Some(t) = tree else {
            return true;
        };
        let mut at = Some(self.first(t));
        while let Some(c) = at {
            let n = &self.nodes[c];
            if n.t_flg && n.t != action || n.f_flg && n.f != action {
                return false;
            }
            if !self.acts_all(n.nxt_t, action) || !self.acts_all(n.nxt_f, action) {
                return false;
            }
            at = n.nxt;
        }
        true
    }

    /// `db_rule_add` for a syscall whose rules are all conditional.
    fn add(&mut self, conds: &[Condition], action: u32) -> Result<(), Stop> {
        let new = self.chain(conds, action).ok_or(Stop::Unmodelled)?;
        if self.head.is_none() {
            self.head = Some(new);
            return Ok(());
        }
        let mut state = 0;
        let removed = self.prune(self.head, Some(new), &mut state, action)?;
        if removed > 0 {
            if self.head.is_none() {
                self.head = Some(new);
                return Ok(());
            }
        } else if state & REDUNDANT == REDUNDANT {
            // the existing tree is "shorter": the new rule adds nothing
            return Ok(());
        }
        self.merge(Slot::Head, new)?;
        let mut n = Some(new);
        self.tree_put(&mut n);
        if self.stuck {
            return Err(Stop::Unmodelled);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::ArgIndex;

    fn c(arg: u8, op: CmpOp, value: u64) -> Condition {
        Condition::new(ArgIndex::new(arg).unwrap(), op, value)
    }

    /// Six `socket` rules on which libseccomp 2.5.4 does not finish
    /// building its tree (found by tests/libseccomp_diff.rs): the model
    /// gives up within its step budget instead of looping.
    #[test]
    fn a_tree_libseccomp_never_finishes_is_given_up_quickly() {
        let rules = vec![
            (vec![c(1, CmpOp::Lt, 1)], Action::Log),
            (
                vec![c(0, CmpOp::Ne, 5), c(2, CmpOp::Le, 255)],
                Action::Errno(4),
            ),
            (
                vec![c(0, CmpOp::Ne, 5), c(2, CmpOp::Ne, 255)],
                Action::Allow,
            ),
            (
                vec![c(1, CmpOp::Eq, 1), c(2, CmpOp::Ge, 0)],
                Action::KillProcess,
            ),
            (
                vec![c(0, CmpOp::Ne, 5), c(2, CmpOp::Ne, 255)],
                Action::Trap(0),
            ),
            (
                vec![c(1, CmpOp::MaskedEq(1), 1), c(2, CmpOp::Ne, 255)],
                Action::Trap(0),
            ),
        ];
        let start = std::time::Instant::now();
        let built = Tree::build_for(&rules, true);
        assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
        assert!(built.is_none());
    }
}
