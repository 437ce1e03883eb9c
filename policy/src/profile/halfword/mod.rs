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
//! Checked against libseccomp's own tree (its PFC) on every case of
//! tests/libseccomp_diff.rs. [`Tree::lower`] (in `lower.rs`) turns the
//! tree into go-jail rules; `profile::translate` uses it for a syscall
//! whose conditional rules with different actions can both hold, where
//! every condition means the same to libseccomp and go-jail.

mod lower;

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

/// The outcome of [`Tree::build`]: the tree and the indices of the rules
/// libseccomp refuses.
pub struct Built {
    pub tree: Tree,
    pub refused: Vec<usize>,
}

impl Tree {
    /// libseccomp's tree for `rules` (conditional rules of one syscall,
    /// in profile order, as `(conditions, action)`); `None` where this
    /// model stops (`Stop::Unmodelled`).
    pub fn build(rules: &[(Vec<Condition>, Action)]) -> Option<Built> {
        Tree::build_for(rules, true)
    }

    /// [`Tree::build`] for a 64-bit arch (`wide`) or a 32-bit one, where
    /// libseccomp makes one node of the low words per condition
    /// (`_db_rule_gen_32`).
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

    fn node(&mut self, c: &Condition, hi: bool, op: Word) -> usize {
        let (mask, datum) = match c.op() {
            CmpOp::MaskedEq(m) => (m, c.value()),
            _ => (u64::MAX, c.value()),
        };
        let half = |x: u64| if hi { (x >> 32) as u32 } else { x as u32 };
        let class = match c.op() {
            CmpOp::Eq | CmpOp::Ne | CmpOp::MaskedEq(_) | CmpOp::MaskedNe(_) => 3,
            CmpOp::Lt | CmpOp::Le => 2,
            CmpOp::Gt | CmpOp::Ge => 1,
        };
        self.nodes.push(Node {
            arg: c.arg().get(),
            hi,
            op,
            class,
            lt_or_le: matches!(c.op(), CmpOp::Lt | CmpOp::Le),
            mask: half(mask),
            datum: half(datum) & half(mask),
            full: datum,
            t_flg: false,
            t: 0,
            f_flg: false,
            f: 0,
            nxt_t: None,
            nxt_f: None,
            prv: None,
            nxt: None,
            refs: 0,
        });
        self.nodes.len() - 1
    }

    /// The new rule's nodes (`_db_rule_gen_64`); its head.
    fn chain(&mut self, conds: &[Condition], action: u32) -> Option<usize> {
        if self.narrow {
            return self.chain_32(conds, action);
        }
        let mut conds = conds.to_vec();
        conds.sort_by_key(|c| c.arg());
        let mut head = None;
        // the previous condition's nodes and operator
        let mut prev: Option<([usize; 3], CmpOp)> = None;
        for c in &conds {
            if let CmpOp::MaskedEq(0) = c.op() {
                continue;
            }
            let nodes = match c.op() {
                CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le => {
                    let low = if matches!(c.op(), CmpOp::Gt | CmpOp::Le) {
                        Word::Gt
                    } else {
                        Word::Ge
                    };
                    let n = [
                        self.node(c, true, Word::Gt),
                        self.node(c, true, Word::Eq),
                        self.node(c, false, low),
                    ];
                    self.nodes[n[0]].nxt_f = self.get(Some(n[1]));
                    self.nodes[n[1]].nxt_t = self.get(Some(n[2]));
                    n
                }
                _ => {
                    let op = if let CmpOp::MaskedEq(_) = c.op() {
                        Word::Masked
                    } else {
                        Word::Eq
                    };
                    let n = [self.node(c, true, op), self.node(c, false, op), usize::MAX];
                    self.nodes[n[0]].nxt_t = self.get(Some(n[1]));
                    n
                }
            };
            match prev {
                None => head = self.get(Some(nodes[0])),
                Some((p, op)) => {
                    let first = Some(nodes[0]);
                    match op {
                        CmpOp::Gt | CmpOp::Ge => {
                            self.nodes[p[0]].nxt_t = self.get(first);
                            self.nodes[p[2]].nxt_t = self.get(first);
                        }
                        CmpOp::Eq | CmpOp::MaskedEq(_) => {
                            self.nodes[p[1]].nxt_t = self.get(first);
                        }
                        CmpOp::Lt | CmpOp::Le => {
                            self.nodes[p[1]].nxt_f = self.get(first);
                            self.nodes[p[2]].nxt_f = self.get(first);
                        }
                        CmpOp::Ne | CmpOp::MaskedNe(_) => {
                            self.nodes[p[0]].nxt_f = self.get(first);
                            self.nodes[p[1]].nxt_f = self.get(first);
                        }
                    }
                }
            }
            prev = Some((nodes, c.op()));
        }
        let (p, op) = prev?;
        let act_t = |t: &mut Self, n: usize| {
            t.nodes[n].t_flg = true;
            t.nodes[n].t = action;
        };
        match op {
            CmpOp::Gt | CmpOp::Ge => {
                act_t(self, p[0]);
                act_t(self, p[2]);
            }
            CmpOp::Eq | CmpOp::MaskedEq(_) => act_t(self, p[1]),
            CmpOp::Lt | CmpOp::Le => {
                for n in [p[1], p[2]] {
                    self.nodes[n].f_flg = true;
                    self.nodes[n].f = action;
                }
            }
            CmpOp::Ne | CmpOp::MaskedNe(_) => {
                for n in [p[0], p[1]] {
                    self.nodes[n].f_flg = true;
                    self.nodes[n].f = action;
                }
            }
        }
        head
    }

    /// The new rule's nodes on a 32-bit arch (`_db_rule_gen_32`): one
    /// low-word node per condition (none for a masked `==` whose mask has
    /// no low bit), `<`/`<=`/`!=` as `>=`/`>`/`==` with the branches
    /// swapped; its head.
    fn chain_32(&mut self, conds: &[Condition], action: u32) -> Option<usize> {
        let mut conds = conds.to_vec();
        conds.sort_by_key(|c| c.arg());
        let mut head = None;
        // the previous node, and whether the rule goes on from its true branch
        let mut prev: Option<(usize, bool)> = None;
        for c in &conds {
            if let CmpOp::MaskedEq(m) = c.op() {
                if m as u32 == 0 {
                    continue;
                }
            }
            let (op, on_true) = match c.op() {
                CmpOp::Gt => (Word::Gt, true),
                CmpOp::Le => (Word::Gt, false),
                CmpOp::Ge => (Word::Ge, true),
                CmpOp::Lt => (Word::Ge, false),
                CmpOp::Eq => (Word::Eq, true),
                CmpOp::Ne => (Word::Eq, false),
                CmpOp::MaskedEq(_) => (Word::Masked, true),
                CmpOp::MaskedNe(_) => return None,
            };
            let n = self.node(c, false, op);
            match prev {
                None => head = self.get(Some(n)),
                Some((p, true)) => self.nodes[p].nxt_t = self.get(Some(n)),
                Some((p, false)) => self.nodes[p].nxt_f = self.get(Some(n)),
            }
            prev = Some((n, on_true));
        }
        let (p, on_true) = prev?;
        let n = &mut self.nodes[p];
        if on_true {
            n.t_flg = true;
            n.t = action;
        } else {
            n.f_flg = true;
            n.f = action;
        }
        head
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

    /// `_db_node_put`: drops a reference; the last one unlinks the node
    /// from its level and drops its branches. Returns the nodes freed.
    fn node_put(&mut self, node: &mut Option<usize>) -> u32 {
        let Some(n) = *node else {
            return 0;
        };
        self.budget = self.budget.saturating_sub(1);
        if self.nodes[n].refs == 0 || self.stuck || self.budget == 0 {
            self.stuck = true;
            return 0;
        }
        self.nodes[n].refs -= 1;
        if self.nodes[n].refs != 0 {
            return 0;
        }
        let mut cnt = 0;
        let (mut lp, mut ln) = (self.nodes[n].prv, self.nodes[n].nxt);
        let (mut t, mut f) = (self.nodes[n].nxt_t, self.nodes[n].nxt_f);
        if let Some(p) = lp {
            self.nodes[p].nxt = None;
        }
        if let Some(q) = ln {
            self.nodes[q].prv = None;
        }
        cnt += self.node_put(&mut lp);
        cnt += self.node_put(&mut ln);
        if let Some(p) = lp {
            self.nodes[p].nxt = self.get(ln);
        }
        if let Some(q) = ln {
            self.nodes[q].prv = self.get(lp);
        }
        *node = lp.or(ln);
        cnt += self.tree_put(&mut t);
        cnt += self.tree_put(&mut f);
        cnt + 1
    }

    /// `_db_tree_put`.
    fn tree_put(&mut self, tree: &mut Option<usize>) -> u32 {
        let mut cnt = self.node_put(tree);
        if let Some(n) = *tree {
            cnt += self.level_clean(n);
        }
        cnt
    }

    /// `_db_level_clean`: drops a level nothing outside it points into.
    fn level_clean(&mut self, n: usize) -> u32 {
        let start = self.first(n);
        let mut at = Some(start);
        let mut seen = 0;
        while let Some(x) = at {
            // a level that links back into itself: where libseccomp loops
            seen += 1;
            if seen > self.nodes.len() {
                self.stuck = true;
                return 0;
            }
            let links =
                u32::from(self.nodes[x].prv.is_some()) + u32::from(self.nodes[x].nxt.is_some());
            if self.nodes[x].refs > links {
                return 0;
            }
            at = self.nodes[x].nxt;
        }
        let mut cnt = 0;
        let mut at = Some(start);
        while at.is_some() && !self.stuck {
            cnt += self.node_put(&mut at);
        }
        cnt
    }

    /// `_db_tree_remove`: removes `node` (and zombies met on the way).
    fn remove(&mut self, tree: Slot, node: usize) -> Result<u32, Stop> {
        let Some(start) = self.slot(tree) else {
            return Ok(0);
        };
        let mut cnt = 0;
        let mut c = self.first(start);
        loop {
            self.step()?;
            if c == node {
                break;
            }
            cnt += self.remove(Slot::T(c), node)?;
            cnt += self.remove(Slot::F(c), node)?;
            if self.zombie(c) {
                break;
            }
            match self.nodes[c].nxt {
                Some(n) if cnt == 0 => c = n,
                _ => return Ok(cnt),
            }
        }
        if Some(c) == self.slot(tree) {
            let v = self.nodes[c].prv.or(self.nodes[c].nxt);
            self.set(tree, v);
        }
        let (p, n) = (self.nodes[c].prv, self.nodes[c].nxt);
        if let Some(p) = p {
            self.nodes[p].nxt = n;
        }
        if let Some(n) = n {
            self.nodes[n].prv = p;
        }
        self.nodes[c].prv = None;
        self.nodes[c].nxt = None;
        Ok(cnt + self.node_put(&mut Some(c)))
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

    /// `_db_tree_prune`: removes the existing branches the new rule makes
    /// redundant; `state` tells whether the new rule is itself redundant.
    fn prune(
        &mut self,
        existing: Option<usize>,
        new: Option<usize>,
        state: &mut u32,
        action: u32,
    ) -> Result<u32, Stop> {
        let mut cnt = 0;
        let mut flags = *state;
        let (Some(x0), Some(ni)) = (existing, new) else {
            return Ok(self.prune_return(state, flags, cnt));
        };
        if *state & MATCHSET == MATCH_ONCE {
            return Ok(self.prune_return(state, flags, cnt));
        }
        let mut x = Some(self.first(x0));
        'level: while let Some(xi) = x {
            self.step()?;
            let x_next = self.nodes[xi].nxt;
            let mut xi = Some(xi);
            let cur = xi.unwrap();
            if self.same(cur, ni) {
                flags |= MATCHSET;
                if self.leaf(ni) {
                    flags |= N_FINISHED;
                }
                if self.leaf(cur) {
                    flags |= X_FINISHED;
                }
                let (xn, nn) = (&self.nodes[cur], &self.nodes[ni]);
                if (xn.t_flg || xn.nxt_t.is_some()) && !(nn.t_flg || nn.nxt_t.is_some()) {
                    return Ok(self.prune_return(state, flags, cnt));
                }
                if (xn.f_flg || xn.nxt_f.is_some()) && !(nn.f_flg || nn.nxt_f.is_some()) {
                    return Ok(self.prune_return(state, flags, cnt));
                }
                if flags & N_FINISHED != 0
                    && flags & X_FINISHED != 0
                    && (nn.t_flg != xn.t_flg
                        || nn.t != xn.t
                        || nn.f_flg != xn.f_flg
                        || nn.f != xn.f)
                {
                    return Ok(self.prune_return(state, flags, cnt));
                }
                for branch_t in [true, false] {
                    let nb = if branch_t {
                        self.nodes[ni].nxt_t
                    } else {
                        self.nodes[ni].nxt_f
                    };
                    if nb.is_none() {
                        continue;
                    }
                    let c = xi.unwrap();
                    self.get(Some(c));
                    let mut next = *state | MATCHSET;
                    let xb = if branch_t {
                        self.nodes[c].nxt_t
                    } else {
                        self.nodes[c].nxt_f
                    };
                    cnt += self.prune(xb, nb, &mut next, action)?;
                    cnt += self.node_put(&mut xi);
                    if next & MATCH != 0 {
                        flags |= next;
                    }
                    if xi.is_none() {
                        x = x_next;
                        continue 'level;
                    }
                }
                let c = xi.unwrap();
                let same_acts = self.acts_all(Some(c), action);
                if same_acts
                    && flags & MATCH != 0
                    && flags & N_FINISHED != 0
                    && flags & X_PREFIX != 0
                {
                    // the new rule is "shorter"
                    cnt += self.remove(Slot::Head, c)?;
                    if self.head.is_none() {
                        return Ok(self.prune_return(state, flags, cnt));
                    }
                } else if same_acts
                    && flags & MATCH != 0
                    && flags & X_FINISHED != 0
                    && flags & N_PREFIX != 0
                {
                    return Ok(self.prune_return(state, flags, cnt));
                }
            } else if self.below(cur, ni) {
                if *state & N_PREFIX != 0 {
                    return Ok(self.prune_return(state, flags, cnt));
                }
                for branch_t in [true, false] {
                    let c = xi.unwrap();
                    let xb = if branch_t {
                        self.nodes[c].nxt_t
                    } else {
                        self.nodes[c].nxt_f
                    };
                    if xb.is_none() {
                        continue;
                    }
                    self.get(Some(c));
                    let mut next = (*state & !MATCH) | X_PREFIX;
                    cnt += self.prune(xb, Some(ni), &mut next, action)?;
                    cnt += self.node_put(&mut xi);
                    if next & MATCH != 0 {
                        flags |= next;
                        return Ok(self.prune_return(state, flags, cnt));
                    }
                    if xi.is_none() {
                        x = x_next;
                        continue 'level;
                    }
                }
            } else {
                if *state & X_PREFIX != 0 {
                    return Ok(self.prune_return(state, flags, cnt));
                }
                for branch_t in [true, false] {
                    let nb = if branch_t {
                        self.nodes[ni].nxt_t
                    } else {
                        self.nodes[ni].nxt_f
                    };
                    if nb.is_none() {
                        continue;
                    }
                    let c = xi.unwrap();
                    self.get(Some(c));
                    let mut next = (*state & !MATCH) | N_PREFIX;
                    cnt += self.prune(Some(c), nb, &mut next, action)?;
                    cnt += self.node_put(&mut xi);
                    if next & MATCH != 0 {
                        flags |= next;
                        return Ok(self.prune_return(state, flags, cnt));
                    }
                    if xi.is_none() {
                        x = x_next;
                        continue 'level;
                    }
                }
            }
            x = x_next;
        }
        flags &= !MATCH;
        Ok(self.prune_return(state, flags, cnt))
    }

    fn prune_return(&self, state: &mut u32, flags: u32, cnt: u32) -> u32 {
        if flags & MATCH != 0 {
            *state |= flags;
        } else {
            *state &= !MATCH;
        }
        cnt
    }

    /// `_db_tree_add`: merges the new rule's nodes into the level at
    /// `existing`.
    fn merge(&mut self, existing: Slot, ni: usize) -> Result<(), Stop> {
        let mut x = self.slot(existing).expect("a level to merge into");
        loop {
            self.step()?;
            if self.same(x, ni) {
                for branch_t in [true, false] {
                    let (n_flg, n_act) = if branch_t {
                        (self.nodes[ni].t_flg, self.nodes[ni].t)
                    } else {
                        (self.nodes[ni].f_flg, self.nodes[ni].f)
                    };
                    if !n_flg {
                        continue;
                    }
                    let (x_flg, x_act, x_below) = if branch_t {
                        (self.nodes[x].t_flg, self.nodes[x].t, self.nodes[x].nxt_t)
                    } else {
                        (self.nodes[x].f_flg, self.nodes[x].f, self.nodes[x].nxt_f)
                    };
                    if !x_flg {
                        if !self.acts_all(x_below, n_act) {
                            return Err(Stop::Refused);
                        }
                        let mut b = x_below;
                        self.node_put(&mut b);
                        let xn = &mut self.nodes[x];
                        if branch_t {
                            xn.nxt_t = None;
                            xn.t = n_act;
                            xn.t_flg = true;
                        } else {
                            xn.nxt_f = None;
                            xn.f = n_act;
                            xn.f_flg = true;
                        }
                    } else if n_act != x_act {
                        // libseccomp moves the true action in both cases
                        let nn = &self.nodes[ni];
                        let moves = if branch_t {
                            nn.hi && nn.full > self.nodes[x].full
                        } else {
                            nn.hi && nn.full < self.nodes[x].full
                        };
                        if moves {
                            self.nodes[x].t = self.nodes[ni].t;
                        }
                        if self.leaf(x) || self.leaf(ni) {
                            return Err(Stop::Refused);
                        }
                    }
                }
                for branch_t in [true, false] {
                    let nb = if branch_t {
                        self.nodes[ni].nxt_t
                    } else {
                        self.nodes[ni].nxt_f
                    };
                    let Some(nb) = nb else {
                        continue;
                    };
                    let (x_flg, x_below) = if branch_t {
                        (self.nodes[x].t_flg, self.nodes[x].nxt_t)
                    } else {
                        (self.nodes[x].f_flg, self.nodes[x].nxt_f)
                    };
                    if x_below.is_some() {
                        let s = if branch_t { Slot::T(x) } else { Slot::F(x) };
                        self.merge(s, nb)?;
                    } else if !x_flg {
                        let v = self.get(Some(nb));
                        if branch_t {
                            self.nodes[x].nxt_t = v;
                        } else {
                            self.nodes[x].nxt_f = v;
                        }
                    } else {
                        // the existing tree is "shorter"
                        return Ok(());
                    }
                }
                return Ok(());
            } else if !self.below(x, ni) {
                match self.nodes[x].nxt {
                    None => {
                        self.nodes[ni].prv = self.get(Some(x));
                        self.nodes[x].nxt = self.get(Some(ni));
                        return Ok(());
                    }
                    Some(n) => x = n,
                }
            } else {
                if let Some(p) = self.nodes[x].prv {
                    self.nodes[p].nxt = self.get(Some(ni));
                    self.nodes[ni].prv = Some(p);
                    self.nodes[x].prv = self.get(Some(ni));
                    self.nodes[ni].nxt = Some(x);
                } else {
                    self.nodes[x].prv = self.get(Some(ni));
                    self.nodes[ni].nxt = self.get(Some(x));
                }
                if self.slot(existing) == Some(x) {
                    let v = self.get(Some(ni));
                    self.set(existing, v);
                    self.node_put(&mut Some(x));
                }
                return Ok(());
            }
        }
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
        let built = Tree::build(&rules);
        assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
        assert!(built.is_none());
    }
}
