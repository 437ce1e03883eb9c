//! Argument matchers: the rules of one syscall folded into a reduced,
//! hash-consed decision DAG over 32-bit words of `seccomp_data`, and its
//! emission with accumulator tracking.
//!
//! # Semantics (what [`crate::Policy::evaluate`] implements)
//!
//! The conditions of one rule are ANDed. The conditional rules of one
//! syscall are tried in spec order and the first whose conditions all hold
//! gives the action; when none holds the syscall gets its *fallback*, the
//! action it would get without conditional rules. See [`crate::spec::Rule`].
//!
//! # Lowering of one condition (docs/dispatch-tree.md, "The algorithm", 4)
//!
//! A 64-bit argument is two words, `lo` and `hi`. `W32`/`W16` arguments,
//! and every argument on a 32-bit arch, have no `hi` word: it is the
//! constant 0 and tests on it fold away (a value with a non-zero high word
//! then never matches, exactly as [`Condition::holds`] on the zero-extended
//! argument says).
//!
//! ```text
//!   ==, !=, masked ==     lo first (fails fast), then hi
//!   >, >=, <, <=          hi first: jgt hi_v -> true; jeq hi_v -> lo test; else false
//!                         (hi_v == 0: `jgt #0` alone decides, no jeq)
//!   masked == with value 0 or a one-bit mask: jset (one instruction, no `and`)
//! ```
//!
//! A [`Width::Unknown`] argument is lowered twice, as `W32` and as `W64`:
//! `lo ? t : (full ? t : f)` for a rule that refuses the call (either
//! reading), `lo ? (full ? t : f) : f` for one that runs it (both).
//!
//! Nodes are built bottom-up, so a node's children always have smaller ids;
//! structurally equal nodes share one id, so equal matchers of different
//! syscalls are the same [`MatcherId`] and neighbouring numbers merge into
//! one run.

use std::collections::HashMap;

use bpf_asm::seccomp::offset;
use bpf_asm::{AluOp, Builder, Insn, JmpCond, Label};

use crate::action::Action;
use crate::condition::{CmpOp, Condition, Threshold, Width};
use crate::resolved::ArgRule;

/// Whether `earlier` holds whenever `later` does, so that `later`, tried
/// after it, never decides: each condition of `earlier` is one of
/// `later`'s, and selects at least what it selects there. That holds but
/// for a [`Width::Unknown`] argument under a rule that runs the call (both
/// readings must hold, [`Matchers::build`]'s `selecting`) while `later`
/// refuses it (either reading suffices).
fn shadows(earlier: &ArgRule, later: &ArgRule) -> bool {
    if earlier.conditions().len() > later.conditions().len() {
        return false; // not a subset (a repeated condition only makes it stricter)
    }
    let narrower = earlier.action().runs_the_call() && !later.action().runs_the_call();
    earlier
        .conditions()
        .iter()
        .all(|(c, w)| later.conditions().contains(&(*c, *w)) && !(narrower && *w == Width::Unknown))
}

/// A node of the shared matcher arena; also the id of the matcher rooted there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatcherId(pub u32);

/// Where a test leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Next {
    /// The matcher ends: the filter returns this action.
    Ret(Action),
    /// The next test is this node.
    Node(MatcherId),
}

/// A test of one word `w` of `seccomp_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Test {
    /// `(w & mask) == k`
    Eq {
        /// The bits compared (`u32::MAX`: the whole word).
        mask: u32,
        /// The value they must have.
        k: u32,
    },
    /// `(w & mask) > k`
    Gt {
        /// The bits compared (`u32::MAX`: the whole word).
        mask: u32,
        /// The bound, exclusive.
        k: u32,
    },
    /// `(w & mask) >= k`
    Ge {
        /// The bits compared (`u32::MAX`: the whole word).
        mask: u32,
        /// The bound, inclusive.
        k: u32,
    },
    /// `w & bits != 0`
    Set(u32),
}

impl Test {
    /// The test on a word whose value is `w`.
    pub fn holds(self, w: u32) -> bool {
        match self {
            Test::Eq { mask, k } => w & mask == k,
            Test::Gt { mask, k } => w & mask > k,
            Test::Ge { mask, k } => w & mask >= k,
            Test::Set(bits) => w & bits != 0,
        }
    }

    /// `Some(result)` when the test does not depend on the word.
    fn constant(self) -> Option<bool> {
        match self {
            Test::Eq { mask, k } if k & !mask != 0 => Some(false),
            Test::Eq { mask: 0, .. } => Some(true),
            Test::Gt { mask, k } if k >= mask => Some(false),
            Test::Ge { k: 0, .. } => Some(true),
            Test::Ge { mask, k } if k > mask => Some(false),
            Test::Set(0) => Some(false),
            _ => None,
        }
    }
}

/// One test node: `test(word) ? t : f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// Byte offset of the word in `struct seccomp_data`
    /// (include/uapi/linux/seccomp.h; [`bpf_asm::seccomp::offset`]).
    pub word: u32,
    /// The test made on the word.
    pub test: Test,
    /// Where a word that passes the test goes.
    pub t: Next,
    /// Where a word that fails the test goes.
    pub f: Next,
}

/// The hash-consed arena of every matcher of a policy (all arches).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matchers {
    nodes: Vec<Node>,
    index: HashMap<Node, u32>,
}

/// Which word the accumulator holds, and the mask applied to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Acc {
    /// Byte offset, or `UNKNOWN` (at a matcher's entry A holds `nr` or `arch`).
    word: u32,
    mask: u32,
}

const UNKNOWN: u32 = u32::MAX;
const FULL: u32 = u32::MAX;

impl Matchers {
    /// An empty arena.
    pub fn new() -> Matchers {
        Matchers::default()
    }

    /// The node `id` (the root of the matcher `id` names).
    pub fn node(&self, id: MatcherId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// How many distinct nodes the arena holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when no conditional rule made a node (every one folded away).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The action `args` reach from `from` (`arch64`: see [`ArgRule::holds`]).
    pub fn run(&self, from: Next, args: &[u64; 6], arch64: bool) -> Action {
        let mut at = from;
        loop {
            match at {
                Next::Ret(a) => return a,
                Next::Node(id) => {
                    let n = self.node(id);
                    let i = ((n.word - offset::arg_lo(0)) / 8) as usize;
                    let v = args[i];
                    let v = if arch64 { v } else { v & 0xffff_ffff };
                    let w = if n.word == offset::arg_hi(i as u32) {
                        (v >> 32) as u32
                    } else {
                        v as u32
                    };
                    at = if n.test.holds(w) { n.t } else { n.f };
                }
            }
        }
    }

    /// The node `test(word) ? t : f`, reduced: constant tests and equal
    /// branches fold away, `jset` replaces `and; jeq` where it can.
    pub fn mk(&mut self, word: u32, test: Test, t: Next, f: Next) -> Next {
        if let Some(c) = test.constant() {
            return if c { t } else { f };
        }
        if t == f {
            return t;
        }
        let (test, t, f) = match test {
            // (w & m) == 0  <=>  !(w & m)
            Test::Eq { mask, k: 0 } if mask != FULL => (Test::Set(mask), f, t),
            // one-bit mask, bit required
            Test::Eq { mask, k } if mask.count_ones() == 1 && k == mask => (Test::Set(mask), t, f),
            // `>= k` is `> k-1` (k > 0 here)
            Test::Ge { mask, k } => (Test::Gt { mask, k: k - 1 }, t, f),
            other => (other, t, f),
        };
        let node = Node { word, test, t, f };
        if let Some(&id) = self.index.get(&node) {
            return Next::Node(MatcherId(id));
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        self.index.insert(node, id);
        Next::Node(MatcherId(id))
    }

    /// The matcher of one syscall: `rules` in order, then `fallback`. A
    /// rule an earlier one shadows (see `shadows`) can never give its action
    /// and is left out.
    pub fn build(&mut self, rules: &[ArgRule], fallback: Action, arch64: bool) -> Next {
        let mut kept: Vec<&ArgRule> = Vec::with_capacity(rules.len());
        for rule in rules {
            if !kept.iter().any(|earlier| shadows(earlier, rule)) {
                kept.push(rule);
            }
        }
        let mut next = Next::Ret(fallback);
        for rule in kept.into_iter().rev() {
            let mut cur = Next::Ret(rule.action());
            for (c, w) in rule.conditions().iter().rev() {
                cur = self.selecting(c, *w, rule.action(), arch64, cur, next);
            }
            next = cur;
        }
        next
    }

    /// `c ? t : f` where `c` selects a rule with `action`
    /// ([`Condition::selects`]): on a [`Width::Unknown`] argument, a rule that
    /// lets the call run needs the 32-bit and the 64-bit reading
    /// (`lo ? (full ? t : f) : f`), any other rule either
    /// (`lo ? t : (full ? t : f)`).
    fn selecting(
        &mut self,
        c: &Condition,
        w: Width,
        action: Action,
        arch64: bool,
        t: Next,
        f: Next,
    ) -> Next {
        if w != Width::Unknown || action.runs_the_call() {
            return self.condition(c, w, arch64, t, f);
        }
        let full = self.condition(c, Width::W64, arch64, t, f);
        self.condition(c, Width::W32, arch64, t, full)
    }

    /// `c ? t : f` for an argument of width `w` ([`Condition::holds`]; on a
    /// [`Width::Unknown`] argument both readings must hold).
    pub fn condition(&mut self, c: &Condition, w: Width, arch64: bool, t: Next, f: Next) -> Next {
        if w == Width::Unknown {
            let full = self.condition(c, Width::W64, arch64, t, f);
            return self.condition(c, Width::W32, arch64, full, f);
        }
        let arg = u32::from(c.arg().get());
        let lo = offset::arg_lo(arg);
        // No hi word: a 32/16-bit argument, or any argument of a 32-bit arch.
        let hi = (w == Width::W64 && arch64).then(|| offset::arg_hi(arg));
        let lo_mask = if w == Width::W16 { 0xffff } else { FULL };
        let v = w.cut(c.value());
        let (vhi, vlo) = ((v >> 32) as u32, v as u32);
        match c.op() {
            CmpOp::Eq => self.masked_eq(lo, hi, lo_mask, FULL, vlo, vhi, t, f),
            CmpOp::Ne => self.masked_eq(lo, hi, lo_mask, FULL, vlo, vhi, f, t),
            CmpOp::MaskedEq(m) | CmpOp::MaskedNe(m) => {
                let m = w.cut(m);
                let (mhi, mlo) = ((m >> 32) as u32, m as u32 & lo_mask);
                let (t, f) = match c.op() {
                    CmpOp::MaskedEq(_) => (t, f),
                    _ => (f, t),
                };
                self.masked_eq(lo, hi, mlo, mhi, vlo & mlo, vhi & mhi, t, f)
            }
            CmpOp::Gt | CmpOp::Ge | CmpOp::Le | CmpOp::Lt => {
                // `<`/`<=` are the negations of `>=`/`>`.
                let (strict, t, f) = match c.op() {
                    CmpOp::Gt => (true, t, f),
                    CmpOp::Ge => (false, t, f),
                    CmpOp::Le => (true, f, t),
                    _ => (false, f, t),
                };
                match w.threshold(c.value()) {
                    Threshold::Value(v) => {
                        let (vhi, vlo) = ((v >> 32) as u32, v as u32);
                        self.ordered(lo, hi, lo_mask, vlo, vhi, strict, t, f)
                    }
                    // `arg >[=] constant` never holds
                    Threshold::AboveAll => f,
                }
            }
        }
    }

    /// `(lo & mlo) == vlo && (hi & mhi) == vhi`, low word first.
    #[allow(clippy::too_many_arguments)]
    fn masked_eq(
        &mut self,
        lo: u32,
        hi: Option<u32>,
        mlo: u32,
        mhi: u32,
        vlo: u32,
        vhi: u32,
        t: Next,
        f: Next,
    ) -> Next {
        let hi_test = Test::Eq { mask: mhi, k: vhi };
        let then = match hi {
            Some(h) => self.mk(h, hi_test, t, f),
            // hi is the constant 0
            None if hi_test.holds(0) => t,
            None => return f,
        };
        self.mk(lo, Test::Eq { mask: mlo, k: vlo }, then, f)
    }

    /// `(hi, lo & mlo) >[=] (vhi, vlo)` as unsigned 64-bit, high word first.
    #[allow(clippy::too_many_arguments)]
    fn ordered(
        &mut self,
        lo: u32,
        hi: Option<u32>,
        mlo: u32,
        vlo: u32,
        vhi: u32,
        strict: bool,
        t: Next,
        f: Next,
    ) -> Next {
        let lo_test = if strict {
            Test::Gt { mask: mlo, k: vlo }
        } else {
            Test::Ge { mask: mlo, k: vlo }
        };
        let Some(h) = hi else {
            // hi is 0: (0, lo) vs (vhi, vlo)
            return if vhi == 0 {
                self.mk(lo, lo_test, t, f)
            } else {
                f
            };
        };
        let lo_node = self.mk(lo, lo_test, t, f);
        if vhi == u32::MAX {
            return self.mk(h, Test::Eq { mask: FULL, k: vhi }, lo_node, f);
        }
        let equal = if vhi == 0 {
            lo_node // not (hi > 0) means hi == 0
        } else {
            self.mk(h, Test::Eq { mask: FULL, k: vhi }, lo_node, f)
        };
        self.mk(h, Test::Gt { mask: FULL, k: vhi }, t, equal)
    }

    /// Every action the matchers rooted at `roots` can return, in first-seen order.
    pub fn actions(&self, roots: &[MatcherId]) -> Vec<Action> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<MatcherId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.0 as usize], true) {
                continue;
            }
            let n = self.node(id);
            for next in [n.f, n.t] {
                match next {
                    Next::Ret(a) if !out.contains(&a) => out.push(a),
                    Next::Ret(_) => {}
                    Next::Node(c) => stack.push(c),
                }
            }
        }
        out
    }

    /// Emits the matchers `roots` (each entered at its label, with A
    /// holding `nr` or `arch`), returning through `rets`. A word already in
    /// the accumulator (with a compatible mask) is not loaded again.
    pub fn emit(
        &self,
        b: &mut Builder,
        roots: &[(MatcherId, Label)],
        rets: &HashMap<Action, Label>,
    ) {
        type State = (MatcherId, Acc);
        let entry = Acc {
            word: UNKNOWN,
            mask: FULL,
        };
        // Reverse postorder over (node, accumulator) states: a topological
        // order (BPF jumps forward only) that lets the false branch fall through.
        let mut post: Vec<State> = Vec::new();
        let mut seen: HashMap<State, ()> = HashMap::new();
        for &(root, _) in roots {
            self.dfs((root, entry), &mut seen, &mut post);
        }
        let mut labels: HashMap<State, Label> = HashMap::new();
        for &(root, label) in roots {
            labels.insert((root, entry), label);
        }
        for s in &post {
            labels.entry(*s).or_insert_with(|| b.label());
        }
        for &state in post.iter().rev() {
            b.bind(labels[&state]);
            let (id, acc) = state;
            let n = self.node(id);
            let (insns, out) = Self::prepare(n, acc);
            for insn in insns {
                b.emit(insn);
            }
            let target = |next: Next| match next {
                Next::Ret(a) => rets[&a],
                Next::Node(c) => labels[&(c, out)],
            };
            let (cond, k) = match n.test {
                Test::Eq { k, .. } => (JmpCond::Eq, k),
                Test::Gt { k, .. } => (JmpCond::Gt, k),
                Test::Ge { k, .. } => (JmpCond::Ge, k),
                Test::Set(bits) => (JmpCond::Set, bits),
            };
            b.jump(cond, k, target(n.t), target(n.f));
        }
    }

    fn dfs(
        &self,
        state: (MatcherId, Acc),
        seen: &mut HashMap<(MatcherId, Acc), ()>,
        post: &mut Vec<(MatcherId, Acc)>,
    ) {
        if seen.insert(state, ()).is_some() {
            return;
        }
        let n = self.node(state.0);
        let (_, out) = Self::prepare(n, state.1);
        // Visit t first so that f ends up right after the node in reverse postorder.
        for next in [n.t, n.f] {
            if let Next::Node(c) = next {
                self.dfs((c, out), seen, post);
            }
        }
        post.push(state);
    }

    /// The loads/masks that put `n`'s operand in A, and A afterwards.
    fn prepare(n: &Node, acc: Acc) -> (Vec<Insn>, Acc) {
        let want = match n.test {
            Test::Eq { mask, .. } | Test::Gt { mask, .. } | Test::Ge { mask, .. } => mask,
            // jset reads only `bits`: any A that still has them will do.
            Test::Set(bits) if acc.word == n.word && acc.mask & bits == bits => {
                return (Vec::new(), acc)
            }
            Test::Set(_) => FULL,
        };
        let mut out = Vec::new();
        if acc.word == n.word && acc.mask == want {
            return (out, acc);
        }
        if !(acc.word == n.word && acc.mask & want == want) {
            out.push(Insn::ld_abs(n.word));
        }
        if want != FULL {
            out.push(Insn::alu_k(AluOp::And, want));
        }
        (
            out,
            Acc {
                word: n.word,
                mask: want,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::ArgIndex;
    use bpf_asm::interp::run;
    use bpf_asm::SeccompData;

    #[test]
    fn a_rule_an_earlier_one_shadows_is_left_out() {
        let eq =
            |arg: usize, v: u64, w: Width| (Condition::new(ArgIndex::ALL[arg], CmpOp::Eq, v), w);
        let allow = ArgRule::new(vec![eq(0, 1, Width::W64)], Action::Allow);
        let narrower = ArgRule::new(
            vec![eq(1, 2, Width::W64), eq(0, 1, Width::W64)],
            Action::Errno(1),
        );
        let other = ArgRule::new(vec![eq(0, 2, Width::W64)], Action::Log);
        let mut m = Matchers::new();
        let alone = m.build(&[allow.clone(), other.clone()], Action::KillProcess, true);
        let nodes = m.len();
        let repeated = [allow.clone(), narrower, allow.clone(), other.clone(), other];
        assert_eq!(m.build(&repeated, Action::KillProcess, true), alone);
        assert_eq!(m.len(), nodes, "no node was added for a shadowed rule");
        // On an argument of unknown width an ALLOW needs both readings and
        // an ERRNO either: the ALLOW does not shadow the ERRNO.
        let both = ArgRule::new(vec![eq(0, 1, Width::Unknown)], Action::Allow);
        let either = ArgRule::new(vec![eq(0, 1, Width::Unknown)], Action::Errno(1));
        let one = m.build(std::slice::from_ref(&both), Action::KillProcess, true);
        assert_ne!(
            m.build(&[both.clone(), either.clone()], Action::KillProcess, true),
            one
        );
        let first = m.build(std::slice::from_ref(&either), Action::KillProcess, true);
        assert_eq!(m.build(&[either, both], Action::KillProcess, true), first);
    }

    const YES: Action = Action::Errno(1);
    const NO: Action = Action::Allow;

    /// A program running just the matcher of `rules` (A starts unknown).
    fn program(m: &Matchers, root: Next) -> bpf_asm::Program {
        let mut b = Builder::new();
        let entry = b.label();
        let rets: HashMap<Action, Label> = [YES, NO, Action::Log, Action::KillThread]
            .into_iter()
            .map(|a| (a, b.label()))
            .collect();
        b.emit(Insn::ld_abs(offset::NR));
        match root {
            Next::Ret(a) => b.ja(rets[&a]),
            Next::Node(id) => {
                b.ja(entry);
                m.emit(&mut b, &[(id, entry)], &rets);
            }
        }
        for a in [YES, NO, Action::Log, Action::KillThread] {
            b.bind(rets[&a]);
            b.ret(a.to_raw());
        }
        b.finish().unwrap()
    }

    fn boundary(v: u64) -> Vec<u64> {
        let (hi, lo) = (v >> 32, v & 0xffff_ffff);
        let mut out = vec![0, u64::from(u32::MAX), u64::MAX, 0xffff_ffff_ffff_fffe, v];
        for h in [hi.wrapping_sub(1), hi, hi + 1, 0, 0xffff_ffff] {
            for l in [
                lo.wrapping_sub(1),
                lo,
                lo + 1,
                0,
                0xffff_ffff,
                0xffff,
                0x1_0000,
            ] {
                out.push(((h & 0xffff_ffff) << 32) | (l & 0xffff_ffff));
            }
        }
        out
    }

    /// The matcher of one rule `c` (a denying one with an allowing
    /// fallback, and the reverse) against the reference at the boundaries.
    fn check(c: Condition, w: Width, arch64: bool) {
        for (action, fallback) in [(YES, NO), (NO, YES)] {
            let mut m = Matchers::new();
            let rules = [ArgRule::new(vec![(c, w)], action)];
            let root = m.build(&rules, fallback, arch64);
            let prog = program(&m, root);
            assert!(bpf_asm::verify(&prog).is_ok(), "{c} {w:?}");
            for x in boundary(c.value()) {
                let mut data = SeccompData::default();
                data.args[usize::from(c.arg())] = x;
                let want = if rules[0].holds(&data.args, arch64) {
                    action
                } else {
                    fallback
                };
                let at = format!("{c} {w:?} {action} arch64={arch64} arg={x:#x}");
                assert_eq!(m.run(root, &data.args, arch64), want, "dag {at}");
                let got = run(&prog, &data).unwrap().ret;
                assert_eq!(got, want.to_raw(), "bpf {at}");
            }
        }
    }

    const VALUES: [u64; 10] = [
        0,
        1,
        0x5412,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_5412,
        0xffff_ffff_ffff_fffe,
        u64::MAX,
        0x8000_0000,
        0x7fff_ffff_0000_0001,
    ];

    #[test]
    fn every_operator_on_both_halves_every_width_and_arch_size() {
        let ops = [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::MaskedEq(0xffff_0000_0000_ff00),
            CmpOp::MaskedEq(0x0000_0001_0000_0000),
            CmpOp::MaskedEq(0x4),
            CmpOp::MaskedEq(0x7e02_0000),
            CmpOp::MaskedEq(0),
            CmpOp::MaskedEq(u64::MAX),
        ];
        for op in ops {
            for v in VALUES {
                for w in [Width::W16, Width::W32, Width::W64, Width::Unknown] {
                    for arch64 in [true, false] {
                        check(Condition::new(ArgIndex::ALL[2], op, v), w, arch64);
                    }
                }
            }
        }
    }

    #[test]
    fn several_rules_first_match_and_shared_nodes() {
        let mut m = Matchers::new();
        let c = |arg: usize, op, v| (Condition::new(ArgIndex::ALL[arg], op, v), Width::W64);
        let rules = vec![
            ArgRule::new(
                vec![c(0, CmpOp::Eq, 5), c(1, CmpOp::Gt, 0x1_0000_0000)],
                YES,
            ),
            ArgRule::new(vec![c(0, CmpOp::Eq, 5)], Action::Log),
            ArgRule::new(
                vec![c(1, CmpOp::MaskedEq(0xf0), 0x30), c(0, CmpOp::Lt, 7)],
                Action::KillThread,
            ),
        ];
        let root = m.build(&rules, NO, true);
        assert_eq!(m.build(&rules, NO, true), root, "hash-consed");
        let prog = program(&m, root);
        assert!(bpf_asm::verify(&prog).is_ok());
        for a in boundary(5).into_iter().chain(boundary(7)) {
            for b in boundary(0x1_0000_0000).into_iter().chain(boundary(0x30)) {
                let args = [a, b, 0, 0, 0, 0];
                let want = rules
                    .iter()
                    .find(|r| r.holds(&args, true))
                    .map_or(NO, |r| r.action());
                let data = SeccompData {
                    args,
                    ..SeccompData::default()
                };
                assert_eq!(
                    run(&prog, &data).unwrap().ret,
                    want.to_raw(),
                    "{a:#x} {b:#x}"
                );
            }
        }
    }

    fn insns(c: Condition, w: Width, arch64: bool) -> Vec<Insn> {
        let mut m = Matchers::new();
        let rules = [ArgRule::new(vec![(c, w)], YES)];
        let root = m.build(&rules, NO, arch64);
        let p = program(&m, root);
        // Drop `ld nr; ja` and the four returns.
        p.insns[2..p.insns.len() - 4].to_vec()
    }

    #[test]
    fn lowering_shapes() {
        let lo = offset::arg_lo(1);
        let hi = offset::arg_hi(1);
        let j = |c, k| Insn::jmp_k(c, k, 0, 0).code;
        let codes = |v: Vec<Insn>| v.iter().map(|i| (i.code, i.k)).collect::<Vec<_>>();
        // W32 ==: one load of the low word, one jeq.
        assert_eq!(
            codes(insns(
                Condition::new(ArgIndex::ALL[1], CmpOp::Eq, 0x1_0000_5412),
                Width::W32,
                true
            )),
            vec![(Insn::ld_abs(lo).code, lo), (j(JmpCond::Eq, 0), 0x5412)]
        );
        // W64 ==: low word first, then high.
        assert_eq!(
            codes(insns(
                Condition::new(ArgIndex::ALL[1], CmpOp::Eq, 0x2_0000_0003),
                Width::W64,
                true
            )),
            vec![
                (Insn::ld_abs(lo).code, lo),
                (j(JmpCond::Eq, 0), 3),
                (Insn::ld_abs(hi).code, hi),
                (j(JmpCond::Eq, 0), 2)
            ]
        );
        // W64 > with hi 0: jgt hi #0 decides, then the low word.
        assert_eq!(
            codes(insns(
                Condition::new(ArgIndex::ALL[1], CmpOp::Gt, 9),
                Width::W64,
                true
            )),
            vec![
                (Insn::ld_abs(hi).code, hi),
                (j(JmpCond::Gt, 0), 0),
                (Insn::ld_abs(lo).code, lo),
                (j(JmpCond::Gt, 0), 9)
            ]
        );
        // W64 <= 0x3_0000_0000: hi loaded once for jgt and jeq.
        let v = codes(insns(
            Condition::new(ArgIndex::ALL[1], CmpOp::Le, 0x3_0000_0000),
            Width::W64,
            true,
        ));
        assert_eq!(v.iter().filter(|c| c.1 == hi).count(), 1, "{v:x?}");
        assert_eq!(v.len(), 5, "ld hi; jgt 3; jeq 3; ld lo; jgt 0 -> {v:x?}");
        // one-bit mask: jset, no `and`.
        assert_eq!(
            codes(insns(
                Condition::new(ArgIndex::ALL[1], CmpOp::MaskedEq(0x4), 0x4),
                Width::W32,
                true
            )),
            vec![(Insn::ld_abs(lo).code, lo), (j(JmpCond::Set, 0), 4)]
        );
        // mask with value 0: jset on the mask (clone's namespace flags).
        assert_eq!(
            codes(insns(
                Condition::new(ArgIndex::ALL[1], CmpOp::MaskedEq(0x7e02_0000), 0),
                Width::W32,
                true
            )),
            vec![
                (Insn::ld_abs(lo).code, lo),
                (j(JmpCond::Set, 0), 0x7e02_0000)
            ]
        );
        // A 32-bit arch has no high word: a value above 32 bits never equals.
        assert!(insns(
            Condition::new(ArgIndex::ALL[1], CmpOp::Eq, 0x1_0000_0000),
            Width::W64,
            false
        )
        .is_empty());
        // W16: the mask is applied once.
        assert_eq!(
            codes(insns(
                Condition::new(ArgIndex::ALL[1], CmpOp::Ge, 0o1000),
                Width::W16,
                true
            )),
            vec![
                (Insn::ld_abs(lo).code, lo),
                (Insn::alu_k(AluOp::And, 0).code, 0xffff),
                (j(JmpCond::Gt, 0), 0o777)
            ]
        );
    }

    #[test]
    fn words_are_not_reloaded_along_a_path() {
        // Two rules on the same low word: one load, two jeqs.
        let mut m = Matchers::new();
        let rule = |v| {
            ArgRule::new(
                vec![(Condition::new(ArgIndex::ALL[1], CmpOp::Eq, v), Width::W32)],
                YES,
            )
        };
        let root = m.build(&[rule(0x5412), rule(0x541c)], NO, true);
        let p = program(&m, root);
        let loads = p
            .insns
            .iter()
            .filter(|i| i.code == Insn::ld_abs(0).code)
            .count();
        assert_eq!(loads, 2, "ld nr + one ld args[1]: {:?}", p.insns);
    }
}
