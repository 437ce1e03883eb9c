//! libseccomp's tree as go-jail rules: its paths, each as ANDed 64-bit
//! conditions, in the order its program tries them.

use super::{Tree, Word};
use crate::action::Action;
use crate::condition::{ArgIndex, CmpOp, Condition, Width};

/// A path of the tree: the nodes passed with the branch taken, and the
/// action it ends in.
type Path = (Vec<(usize, bool)>, u32);

/// At most this many go-jail rules from one syscall's tree; above it the
/// syscall keeps the whole-condition order.
const MAX_RULES: usize = 512;

/// At most this many conditions in the rules from one syscall's tree
/// (about two instructions each); above it the syscall keeps the
/// whole-condition order, so that following the tree cannot make a
/// program that fits the kernel's 4096 instructions too long.
const MAX_CONDITIONS: usize = 256;

/// At most this many nodes visited while listing a tree's paths.
const MAX_STEPS: usize = 100_000;

impl Tree {
    /// Every path of the tree to an action, depth first (the order the
    /// program tries them): the nodes passed with the branch taken, and
    /// the action. `None` above [`MAX_RULES`] paths or [`MAX_STEPS`]
    /// nodes visited (shared nodes are visited once per path through
    /// them, and branches that reach no action count too).
    fn paths(&self) -> Option<Vec<Path>> {
        let mut out = Vec::new();
        let mut steps = 0;
        self.walk(self.head, &mut Vec::new(), &mut out, &mut steps)?;
        Some(out)
    }

    fn walk(
        &self,
        level: Option<usize>,
        prefix: &mut Vec<(usize, bool)>,
        out: &mut Vec<Path>,
        steps: &mut usize,
    ) -> Option<()> {
        let Some(l) = level else {
            return Some(());
        };
        let mut at = Some(self.first(l));
        while let Some(c) = at {
            *steps += 1;
            if *steps > MAX_STEPS {
                return None;
            }
            let n = &self.nodes[c];
            for (holds, flg, act, below) in [
                (true, n.t_flg, n.t, n.nxt_t),
                (false, n.f_flg, n.f, n.nxt_f),
            ] {
                prefix.push((c, holds));
                if flg {
                    out.push((prefix.clone(), act));
                    if out.len() > MAX_RULES {
                        return None;
                    }
                } else {
                    self.walk(below, prefix, out, steps)?;
                }
                prefix.pop();
            }
            at = n.nxt;
        }
        Some(())
    }

    /// A path as ANDed 64-bit conditions: `Some(None)` where its tests
    /// cannot all hold; `None` for a test no condition says (a low-word
    /// order with no known high word).
    fn conditions(&self, path: &[(usize, bool)]) -> Option<Option<Vec<Condition>>> {
        const HIGH: u64 = 0xffff_ffff_0000_0000;
        let mut out = Vec::new();
        // a 32-bit arch's arguments are zero-extended
        let mut high: [Option<u32>; 6] = [self.narrow.then_some(0); 6];
        for &(c, holds) in path {
            let n = &self.nodes[c];
            let (arg, d) = (n.arg, u64::from(n.datum));
            let one =
                |op: CmpOp, v: u64| Some(Condition::new(ArgIndex::ALL[usize::from(arg)], op, v));
            let mask = u64::from(n.mask);
            // the test as a condition; `None`: it cannot hold
            let test = match (n.hi, n.op, holds) {
                (true, Word::Eq, true) => {
                    high[usize::from(arg)] = Some(n.datum);
                    one(CmpOp::MaskedEq(HIGH), d << 32)
                }
                (true, Word::Eq, false) => one(CmpOp::MaskedNe(HIGH), d << 32),
                (true, Word::Gt, true) if d == 0xffff_ffff => None,
                (true, Word::Gt, true) => one(CmpOp::Ge, (d + 1) << 32),
                (true, Word::Gt, false) => one(CmpOp::Le, d << 32 | 0xffff_ffff),
                (true, Word::Ge, true) => one(CmpOp::Ge, d << 32),
                (true, Word::Ge, false) if d == 0 => None,
                (true, Word::Ge, false) => one(CmpOp::Lt, d << 32),
                (_, Word::Masked, true) if mask == 0 => continue,
                (_, Word::Masked, false) if mask == 0 => None,
                (true, Word::Masked, true) => {
                    if mask == 0xffff_ffff {
                        high[usize::from(arg)] = Some(n.datum);
                    }
                    one(CmpOp::MaskedEq(mask << 32), d << 32)
                }
                (true, Word::Masked, false) => one(CmpOp::MaskedNe(mask << 32), d << 32),
                (false, Word::Masked, true) => one(CmpOp::MaskedEq(mask), d),
                (false, Word::Masked, false) => one(CmpOp::MaskedNe(mask), d),
                (false, Word::Eq, true) => one(CmpOp::MaskedEq(0xffff_ffff), d),
                (false, Word::Eq, false) => one(CmpOp::MaskedNe(0xffff_ffff), d),
                (false, op, holds) => {
                    let v = u64::from(high[usize::from(arg)]?) << 32 | d;
                    match (op, holds) {
                        (Word::Gt, true) => one(CmpOp::Gt, v),
                        (Word::Gt, false) => one(CmpOp::Le, v),
                        (Word::Ge, true) => one(CmpOp::Ge, v),
                        _ => one(CmpOp::Lt, v),
                    }
                }
            };
            match test {
                Some(t) => out.push(t),
                None => return Some(None),
            }
        }
        Some(Some(out))
    }

    /// go-jail's rules for one syscall whose conditional rules are `rules`
    /// (in profile order, as [`Tree::build_for`] takes them), for a 64-bit
    /// arch (`wide`) or a 32-bit one ([`Tree::build_for`]), and whose
    /// whole-condition order ([`super::super::order`]) is `order`: the
    /// action libseccomp's tree reaches, where a rule with that action
    /// holds; else the first rule in `order` that holds (where the tree
    /// answers with an action no holding rule gives, a libseccomp bug, the
    /// profile's meaning wins); else none (the syscall's fallback).
    ///
    /// As first-match rules: for each path of the tree in the program's
    /// order, the path's tests ANDed with each rule of the path's action,
    /// then with every other rule in `order`; then `order` itself (for a
    /// call that reaches no path). `None` where the tree is not modelled,
    /// libseccomp refuses a rule (runc would not start; the caller keeps
    /// `order`), a path has a test no condition list says, or the rules
    /// would exceed `MAX_RULES` rules or `MAX_CONDITIONS` conditions.
    pub fn lower(
        rules: &[(Vec<Condition>, Action)],
        order: &[usize],
        wide: bool,
    ) -> Option<Vec<(Vec<Condition>, Action)>> {
        let built = Tree::build_for(rules, wide)?;
        if !built.refused.is_empty() {
            return None;
        }
        let tree = built.tree;
        let mut out = Vec::new();
        for (path, act) in tree.paths()? {
            let action = Action::from_raw(act)?;
            let by_action = order.iter().filter(|&&i| rules[i].1 == action);
            let others = order.iter().filter(|&&i| rules[i].1 != action);
            if let Some(tests) = tree.conditions(&path)? {
                for &i in by_action.chain(others) {
                    if let Some(c) = and(&tests, &rules[i].0) {
                        push_reachable(&mut out, (c, rules[i].1));
                    }
                    if out.len() > MAX_RULES {
                        return None;
                    }
                }
            }
        }
        for &i in order {
            push_reachable(&mut out, rules[i].clone());
        }
        let conditions: usize = out.iter().map(|r| r.0.len()).sum();
        (conditions <= MAX_CONDITIONS).then_some(out)
    }
}

/// A path's `tests` ANDed with a rule's `conditions`, leaving out the tests
/// the conditions imply; `None` where the conditions refute a test.
fn and(tests: &[Condition], conditions: &[Condition]) -> Option<Vec<Condition>> {
    let mut out = Vec::with_capacity(tests.len() + conditions.len());
    for t in tests {
        match settled(t, conditions) {
            Some(true) => {}
            Some(false) => return None,
            None if out.contains(t) => {}
            None => out.push(*t),
        }
    }
    for c in conditions {
        if !out.contains(c) {
            out.push(*c);
        }
    }
    Some(out)
}

/// Whether `conditions` decide test `t` (on all 64 bits): a condition `==`
/// pins the argument, a masked `==` pins the bits of its mask.
fn settled(t: &Condition, conditions: &[Condition]) -> Option<bool> {
    conditions
        .iter()
        .filter(|c| c.arg() == t.arg())
        .find_map(|c| match (c.op(), t.op()) {
            (CmpOp::Eq, _) => Some(t.holds(c.value(), Width::W64)),
            (CmpOp::MaskedEq(m), CmpOp::MaskedEq(n) | CmpOp::MaskedNe(n)) if n & !m == 0 => {
                let same = c.value() & n == t.value() & n;
                Some(same == matches!(t.op(), CmpOp::MaskedEq(_)))
            }
            _ => None,
        })
}

/// Adds `rule` to first-match `rules` unless an earlier rule holds
/// wherever it does (its conditions are a subset of `rule`'s), so that
/// it could never answer. The matcher checks this again on the lowered
/// rules (`crate::matcher`'s `shadows`); here it keeps unreachable rules
/// out of the `MAX_RULES`/`MAX_CONDITIONS` bounds. It needs no width
/// exception: a tree is followed only where every argument's width is
/// known (`translate::tree_applies`).
fn push_reachable(rules: &mut Vec<(Vec<Condition>, Action)>, rule: (Vec<Condition>, Action)) {
    let shadowed = rules
        .iter()
        .any(|(c, _)| c.iter().all(|x| rule.0.contains(x)));
    if !shadowed {
        rules.push(rule);
    }
}
