//! The new rule's chain of nodes, as libseccomp 2.5.4 src/db.c builds it
//! before merging it into the tree: `_db_rule_gen_64` on a 64-bit arch,
//! `_db_rule_gen_32` on a 32-bit one.

use super::{Node, Tree, Word};
use crate::condition::{CmpOp, Condition};

impl Tree {
    /// A new node for one word of condition `c`: its high word (`hi`) or
    /// low word, compared with `op` (a node of `_db_rule_gen_64`'s or
    /// `_db_rule_gen_32`'s `struct db_arg_chain_tree`, as they fill it in:
    /// datum and mask cut to the word, `datum_full` the whole value).
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

    /// The new rule's nodes (`_db_rule_gen_64`); its head. Conditions go
    /// in argument order; a masked `==` with an empty mask makes no node.
    pub(super) fn chain(&mut self, conds: &[Condition], action: u32) -> Option<usize> {
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
            let nodes = self.condition_nodes(c);
            match prev {
                None => head = self.get(Some(nodes[0])),
                Some((p, op)) => self.link_next(p, op, nodes[0]),
            }
            prev = Some((nodes, c.op()));
        }
        let (p, op) = prev?;
        self.end_chain(p, op, action);
        head
    }

    /// One condition's nodes in `_db_rule_gen_64`, linked among
    /// themselves: for `>`, `>=`, `<`, `<=` a `hi > H` node whose false
    /// branch is a `hi == H` node whose true branch is the low-word node
    /// (`>` for `>` and `<=`, `>=` for `>=` and `<`); for `==`, `!=` and
    /// masked `==` a high-word node whose true branch is the low-word node
    /// (the third index is unused).
    fn condition_nodes(&mut self, c: &Condition) -> [usize; 3] {
        match c.op() {
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
        }
    }

    /// Hangs the next condition's first node `first` under the branches of
    /// the previous condition's nodes `p` (with operator `op`) that mean
    /// the previous condition holds: the true branches of `hi > H` and the
    /// low node for `>`/`>=`, the low node's true branch for `==`, the
    /// false branches of `hi == H` and the low node for `<`/`<=`, the false
    /// branches of both nodes for `!=` (`_db_rule_gen_64`).
    fn link_next(&mut self, p: [usize; 3], op: CmpOp, first: usize) {
        let first = Some(first);
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

    /// Gives the action to the branches of the last condition's nodes `p`
    /// (with operator `op`) that mean it holds, the branches
    /// [`Tree::link_next`] would link (`_db_rule_gen_64`).
    fn end_chain(&mut self, p: [usize; 3], op: CmpOp, action: u32) {
        match op {
            CmpOp::Gt | CmpOp::Ge => {
                self.set_act(p[0], true, action);
                self.set_act(p[2], true, action);
            }
            CmpOp::Eq | CmpOp::MaskedEq(_) => self.set_act(p[1], true, action),
            CmpOp::Lt | CmpOp::Le => {
                for n in [p[1], p[2]] {
                    self.set_act(n, false, action);
                }
            }
            CmpOp::Ne | CmpOp::MaskedNe(_) => {
                for n in [p[0], p[1]] {
                    self.set_act(n, false, action);
                }
            }
        }
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
        self.set_act(p, on_true, action);
        head
    }
}
