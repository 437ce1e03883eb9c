//! The order in which libseccomp tries one syscall's conditional rules,
//! so that go-jail's first match (see [`crate::spec::Rule`]) gives the
//! answer libseccomp's argument tree gives where rules with different
//! actions overlap.
//!
//! libseccomp (src/db.c, 2.5.4) keeps a syscall's conditional rules in one
//! tree: a rule is a chain of its conditions in argument-index order, a
//! chain shares the nodes it has in common with the chains already in the
//! tree (`_db_tree_add`), and the nodes of one level (the alternatives after
//! a common prefix) are kept sorted (`_db_chain_lt`; a new node goes after
//! the nodes it ties with). The program walks the tree depth first and the
//! first chain that holds answers. So the rules are tried in the
//! lexicographic order of their condition lists, each position ordered by
//! [`sibling_order`]; where two distinct conditions tie there, the one that
//! entered the tree first comes first. A rule whose conditions are a prefix
//! of another's answers before it ("the existing tree is shorter"), unless it
//! comes after a longer rule with another action: libseccomp refuses that
//! rule (`-EEXIST`), and so it does two rules with identical conditions and
//! different actions; go-jail then keeps profile order.
//!
//! Not exact where libseccomp's tree is not one of whole conditions: on a
//! 64-bit arch each comparison is a high-word node and a low-word node
//! (db.c `_db_rule_gen_64`; `>` is `hi > H`, else `hi == H` then
//! `lo > L`), sorted and merged word by word (`_db_chain_lt` ranks the
//! high word of an argument before its low word, and `_db_chain_eq` merges
//! nodes that differ only in the original operator). A rule's nodes are
//! shared between its branches (the next argument's chain hangs under
//! both `hi > H` and `lo > L`), and a level is one linked list whoever
//! points into it, so a later rule merged under one branch shows up under
//! every branch sharing that level. tests/libseccomp_diff.rs evaluates
//! libseccomp's own tree (its PFC) and counts where it picks another
//! holding rule than this order (`half-word-order`), and where the tree
//! answers with no holding rule at all (`libseccomp-tree-wrong`).

use std::cmp::Ordering;

use crate::condition::{CmpOp, Condition};
use crate::spec::Rule;

/// libseccomp's order of the operator classes on one tree level
/// (`__db_chain_op_priority`, higher first): `==`, `!=` and masked `==`,
/// then `<` and `<=`, then `>` and `>=`.
fn class(op: CmpOp) -> u8 {
    match op {
        CmpOp::Eq | CmpOp::Ne | CmpOp::MaskedEq(_) | CmpOp::MaskedNe(_) => 0,
        CmpOp::Lt | CmpOp::Le => 1,
        CmpOp::Ge | CmpOp::Gt => 2,
    }
}

/// The value libseccomp compares: the datum under the mask for masked `==`.
fn datum(c: &Condition) -> u64 {
    match c.op() {
        CmpOp::MaskedEq(mask) | CmpOp::MaskedNe(mask) => c.value() & mask,
        _ => c.value(),
    }
}

/// Which of two conditions at one level of libseccomp's tree is tried
/// first (`Less`: `a`): the higher argument index, then the operator class
/// (`class`), then the larger value (the smaller one for `<`/`<=`).
/// `Equal` for distinct conditions that tie (`>` and `>=` on one value,
/// `==` and masked `==`): there the one added first is tried first.
pub fn sibling_order(a: &Condition, b: &Condition) -> Ordering {
    b.arg()
        .cmp(&a.arg())
        .then(class(a.op()).cmp(&class(b.op())))
        .then_with(|| match class(a.op()) {
            1 => datum(a).cmp(&datum(b)),
            _ => datum(b).cmp(&datum(a)),
        })
}

/// One node of the tree: a condition, the rules that end there (their
/// index in the input), and the nodes below.
struct Node {
    cond: Condition,
    ends: Vec<usize>,
    /// Whether the first rule ending here came after a longer rule with
    /// another action (libseccomp refuses it; go-jail tries it after them).
    late: bool,
    below: Vec<Node>,
}

/// The rules that end below `nodes`.
fn ends_below(nodes: &[Node], out: &mut Vec<usize>) {
    for n in nodes {
        out.extend(n.ends.iter().copied());
        ends_below(&n.below, out);
    }
}

fn insert(level: &mut Vec<Node>, conds: &[Condition], i: usize, rules: &[Rule]) {
    let (first, rest) = conds.split_first().expect("a conditional rule");
    let at = match level.iter().position(|n| n.cond == *first) {
        Some(at) => at,
        None => {
            let at = level
                .iter()
                .position(|n| sibling_order(first, &n.cond) == Ordering::Less)
                .unwrap_or(level.len());
            level.insert(
                at,
                Node {
                    cond: *first,
                    ends: Vec::new(),
                    late: false,
                    below: Vec::new(),
                },
            );
            at
        }
    };
    let node = &mut level[at];
    if rest.is_empty() {
        if node.ends.is_empty() {
            let mut longer = Vec::new();
            ends_below(&node.below, &mut longer);
            node.late = longer.iter().any(|&j| rules[j].action != rules[i].action);
        }
        node.ends.push(i);
    } else {
        insert(&mut node.below, rest, i, rules);
    }
}

fn walk(level: &[Node], out: &mut Vec<usize>) {
    for n in level {
        if !n.late {
            out.extend(n.ends.iter().copied());
        }
        walk(&n.below, out);
        if n.late {
            out.extend(n.ends.iter().copied());
        }
    }
}

/// The order (indices into `rules`) in which libseccomp tries `rules`,
/// the conditional rules of one syscall in profile order (at most one
/// condition per argument, as libseccomp takes them).
pub fn libseccomp_order(rules: &[Rule]) -> Vec<usize> {
    let mut root: Vec<Node> = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let mut conds = r.conditions.clone();
        conds.sort_by_key(|c| c.arg());
        insert(&mut root, &conds, i, rules);
    }
    let mut out = Vec::with_capacity(rules.len());
    walk(&root, &mut out);
    out
}
