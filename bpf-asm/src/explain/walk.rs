//! The symbolic walk: every path of a program for one `(arch, nr)`, with
//! `nr` and `arch` concrete and the other `seccomp_data` words symbolic.
//! A conditional jump on a symbolic value forks the walk; each path
//! collects the conditions it took.

use std::collections::{BTreeMap, BTreeSet};

use super::domain::Domain;
use super::{hex, hex64, Ret};
use crate::insn::{decode, AluOp, Decoded, Insn, JmpCond, Reg, RetSrc, Size, Src, MEMWORDS};
use crate::program::Program;
use crate::seccomp::{offset, DATA_SIZE};
use crate::text::field_name;

/// Paths explored per syscall number before giving up.
pub const MAX_PATHS: usize = 4096;

/// A value as the walk knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Val {
    Const(u32),
    /// Depends on `seccomp_data` words other than `nr`/`arch`; `field` is
    /// the offset when the value is one word as loaded.
    Sym {
        text: String,
        field: Option<u32>,
    },
}

impl Val {
    fn text(&self) -> String {
        match self {
            Val::Const(k) => hex(*k),
            Val::Sym { text, .. } => text.clone(),
        }
    }
}

fn sym(text: String) -> Val {
    Val::Sym { text, field: None }
}

/// One explored path: its conditions and what it returns.
#[derive(Clone, Debug)]
pub(super) struct Path {
    domains: BTreeMap<u32, Domain>,
    opaque: Vec<String>,
    pub(super) ret: Ret,
}

impl Path {
    /// Number of "is equal / is set" facts: fewer means a fall-through path.
    pub(super) fn positives(&self) -> usize {
        self.domains
            .values()
            .map(|d| usize::from(d.exact().is_some()) + d.set_facts())
            .sum::<usize>()
            + self.opaque.iter().filter(|t| t.contains("==")).count()
    }

    /// The path's conditions, `args[i].hi == H and args[i].lo == L` merged.
    pub(super) fn conditions(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut merged = BTreeSet::new();
        for i in 0..6 {
            let (lo, hi) = (offset::arg_lo(i), offset::arg_hi(i));
            if let (Some(l), Some(h)) = (
                self.domains.get(&lo).and_then(Domain::exact),
                self.domains.get(&hi).and_then(Domain::exact),
            ) {
                let v = (u64::from(h) << 32) | u64::from(l);
                out.push(format!("args[{i}] == {}", hex64(v)));
                merged.insert(lo);
                merged.insert(hi);
            }
        }
        for (k, d) in &self.domains {
            if !merged.contains(k) {
                let name = field_name(*k).unwrap_or_else(|| format!("[{k}]"));
                d.render(&name, &mut out);
            }
        }
        for t in &self.opaque {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }
}

/// What one instruction does to a path.
enum Step {
    /// The path goes on (at `State::pc`).
    Continue,
    /// The path ends, returning this.
    Return(Ret),
    /// A fork: `other` (if feasible) is explored later; this path goes on
    /// only if `alive` (its own branch is feasible).
    Split {
        other: Option<Box<State>>,
        alive: bool,
    },
}

/// The walk state of one path.
#[derive(Clone)]
struct State {
    pc: usize,
    a: Val,
    x: Val,
    mem: [Option<Val>; MEMWORDS as usize],
    domains: BTreeMap<u32, Domain>,
    opaque: Vec<String>,
}

/// Every path of `prog` for syscall `nr` of the arch whose audit value is
/// `audit`, in the order they finish; `None` past [`MAX_PATHS`].
pub(super) fn paths(prog: &Program, audit: u32, nr: u32) -> Option<Vec<Path>> {
    let mut done = Vec::new();
    let mut stack = vec![State::start()];
    while let Some(mut s) = stack.pop() {
        loop {
            if done.len() + stack.len() > MAX_PATHS {
                return None;
            }
            let Some(&insn) = prog.insns.get(s.pc) else {
                done.push(s.finish(Ret::Error("ran off the end".into())));
                break;
            };
            match s.step(insn, audit, nr) {
                Step::Continue => {}
                Step::Return(ret) => {
                    done.push(s.finish(ret));
                    break;
                }
                Step::Split { other, alive } => {
                    if let Some(other) = other {
                        stack.push(*other);
                    }
                    if !alive {
                        break;
                    }
                }
            }
        }
    }
    Some(done)
}

impl State {
    /// `A = X = 0`, scratch memory unwritten, no conditions.
    fn start() -> State {
        State {
            pc: 0,
            a: Val::Const(0),
            x: Val::Const(0),
            mem: Default::default(),
            domains: BTreeMap::new(),
            opaque: Vec::new(),
        }
    }

    fn finish(self, ret: Ret) -> Path {
        Path {
            domains: self.domains,
            opaque: self.opaque,
            ret,
        }
    }

    fn reg(&mut self, r: Reg) -> &mut Val {
        match r {
            Reg::A => &mut self.a,
            Reg::X => &mut self.x,
        }
    }

    /// Runs `insn` (at `self.pc`) on this path.
    fn step(&mut self, insn: Insn, audit: u32, nr: u32) -> Step {
        let pc = self.pc;
        self.pc += 1;
        let k = insn.k;
        let error = |what: String| Step::Return(Ret::Error(format!("pc {pc}: {what}")));
        let Ok(d) = decode(&insn) else {
            return error("bad opcode".into());
        };
        match d {
            Decoded::LdAbs(Size::W) => match load_abs(k, audit, nr) {
                Some(v) => self.a = v,
                None => return error("bad load".into()),
            },
            Decoded::LdAbs(_) | Decoded::LdInd(_) | Decoded::LdxMsh => {
                return error("bad load".into())
            }
            Decoded::LdImm(r) => *self.reg(r) = Val::Const(k),
            Decoded::LdLen(r) => *self.reg(r) = Val::Const(DATA_SIZE),
            Decoded::LdMem(r) => match self.mem.get(k as usize).cloned().flatten() {
                Some(v) => *self.reg(r) = v,
                None => return error(format!("uninitialized M[{k}]")),
            },
            Decoded::Store(r) => {
                let v = self.reg(r).clone();
                match self.mem.get_mut(k as usize) {
                    Some(slot) => *slot = Some(v),
                    None => return error("bad store".into()),
                }
            }
            Decoded::Tax => self.x = self.a.clone(),
            Decoded::Txa => self.a = self.x.clone(),
            Decoded::Neg => self.a = neg(&self.a),
            Decoded::Alu(alu, src) => return self.arith(BinOp::Alu(alu), src, k),
            Decoded::Mod(src) => return self.arith(BinOp::Mod, src, k),
            Decoded::Ja => self.pc += k as usize,
            Decoded::Jmp(cond, src) => return self.branch(cond, src, insn),
            Decoded::Ret(RetSrc::K) => return Step::Return(Ret::Value(k)),
            Decoded::Ret(RetSrc::A) => {
                return Step::Return(match &self.a {
                    Val::Const(v) => Ret::Value(*v),
                    v => Ret::Computed(v.text()),
                })
            }
        }
        Step::Continue
    }

    /// `A = A op operand`. A division by zero ends the path with 0, as the
    /// converted program does (`bpf_convert_filter`, net/core/filter.c, emits
    /// "if X == 0, return 0" before `div x` and `mod x`); a symbolic divisor
    /// forks the path where it is zero.
    fn arith(&mut self, op: BinOp, src: Src, k: u32) -> Step {
        let operand = match src {
            Src::X => self.x.clone(),
            Src::K => Val::Const(k),
        };
        let divides = matches!(op, BinOp::Alu(AluOp::Div) | BinOp::Mod);
        let (other, alive) = match &operand {
            Val::Sym { .. } if divides => self.split_on_zero(&operand),
            _ => (None, true),
        };
        if !alive {
            return Step::Split { other, alive };
        }
        match binary(op, &self.a, &operand) {
            Some(v) => {
                self.a = v;
                match other {
                    None => Step::Continue,
                    other => Step::Split { other, alive },
                }
            }
            None => Step::Return(Ret::Value(0)),
        }
    }

    /// At a division by the symbolic `x` (at `self.pc - 1`): the path where
    /// `x == 0`, which runs the division again with X = 0, if feasible;
    /// this path goes on with `x != 0` (false when that is infeasible).
    fn split_on_zero(&mut self, x: &Val) -> (Option<Box<State>>, bool) {
        let mut zero = Box::new(self.clone());
        zero.pc -= 1;
        zero.x = Val::Const(0);
        match x {
            Val::Sym {
                field: Some(field), ..
            } => {
                let zero_ok = zero.domains.entry(*field).or_default();
                let zero_ok = zero_ok.constrain(JmpCond::Eq, 0, true);
                let nonzero = self.domains.entry(*field).or_default();
                let alive = nonzero.constrain(JmpCond::Eq, 0, false);
                (zero_ok.then_some(zero), alive)
            }
            _ => {
                let text = x.text();
                zero.opaque.push(format!("{text} == 0"));
                self.opaque.push(format!("{text} != 0"));
                (Some(zero), true)
            }
        }
    }

    /// A conditional jump: decided when both sides are constant, else a
    /// fork whose two sides record the condition and its negation.
    fn branch(&mut self, cond: JmpCond, src: Src, insn: Insn) -> Step {
        let operand = match src {
            Src::X => self.x.clone(),
            Src::K => Val::Const(insn.k),
        };
        let t_pc = self.pc + insn.jt as usize;
        let f_pc = self.pc + insn.jf as usize;
        match (&self.a, &operand) {
            (Val::Const(a), Val::Const(b)) => {
                self.pc = if cond.holds(*a, *b) { t_pc } else { f_pc };
                Step::Continue
            }
            (
                Val::Sym {
                    field: Some(field), ..
                },
                Val::Const(b),
            ) => {
                let (field, b) = (*field, *b);
                let mut other = Box::new(self.clone());
                let t_ok = self
                    .domains
                    .entry(field)
                    .or_default()
                    .constrain(cond, b, true);
                let f_ok = other
                    .domains
                    .entry(field)
                    .or_default()
                    .constrain(cond, b, false);
                other.pc = f_pc;
                self.pc = t_pc;
                Step::Split {
                    other: f_ok.then_some(other),
                    alive: t_ok,
                }
            }
            (a, b) => {
                let (yes, no) = relation(cond, &a.text(), &b.text());
                let mut other = Box::new(self.clone());
                other.opaque.push(no);
                other.pc = f_pc;
                self.opaque.push(yes);
                self.pc = t_pc;
                Step::Split {
                    other: Some(other),
                    alive: true,
                }
            }
        }
    }
}

/// `ld [k]`: `nr` and `arch` are known, the other words symbolic; `None`
/// for an offset that names no word of `seccomp_data`.
fn load_abs(k: u32, audit: u32, nr: u32) -> Option<Val> {
    Some(match k {
        offset::NR => Val::Const(nr),
        offset::ARCH => Val::Const(audit),
        _ => Val::Sym {
            text: field_name(k)?,
            field: Some(k),
        },
    })
}

/// `a COND b` and its negation, as text.
fn relation(cond: JmpCond, a: &str, b: &str) -> (String, String) {
    match cond {
        JmpCond::Eq => (format!("{a} == {b}"), format!("{a} != {b}")),
        JmpCond::Gt => (format!("{a} > {b}"), format!("{a} <= {b}")),
        JmpCond::Ge => (format!("{a} >= {b}"), format!("{a} < {b}")),
        JmpCond::Set => (format!("{a} & {b} != 0"), format!("{a} & {b} == 0")),
    }
}

/// A two-operand ALU operation: seccomp's, or classic BPF's `mod`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Alu(AluOp),
    Mod,
}

fn neg(a: &Val) -> Val {
    match a {
        Val::Const(v) => Val::Const(v.wrapping_neg()),
        v => sym(format!("-{}", v.text())),
    }
}

/// `a OP b`; `None` for a division by zero.
fn binary(op: BinOp, a: &Val, b: &Val) -> Option<Val> {
    use AluOp::*;
    if matches!(op, BinOp::Alu(Div) | BinOp::Mod) && *b == Val::Const(0) {
        return None;
    }
    if let (Val::Const(a), Val::Const(b)) = (a, b) {
        let (a, b) = (*a, *b);
        return Some(Val::Const(match op {
            BinOp::Alu(Add) => a.wrapping_add(b),
            BinOp::Alu(Sub) => a.wrapping_sub(b),
            BinOp::Alu(Mul) => a.wrapping_mul(b),
            BinOp::Alu(Div) => a.checked_div(b)?,
            BinOp::Mod => a.checked_rem(b)?,
            BinOp::Alu(And) => a & b,
            BinOp::Alu(Or) => a | b,
            BinOp::Alu(Xor) => a ^ b,
            BinOp::Alu(Lsh) => a.wrapping_shl(b & 31),
            BinOp::Alu(Rsh) => a.wrapping_shr(b & 31),
        }));
    }
    // Masks that decide the result whatever the symbolic side holds.
    match (op, a, b) {
        (BinOp::Alu(And | Mul), _, Val::Const(0)) | (BinOp::Alu(And | Mul), Val::Const(0), _) => {
            return Some(Val::Const(0))
        }
        (BinOp::Alu(Or), _, Val::Const(u32::MAX)) | (BinOp::Alu(Or), Val::Const(u32::MAX), _) => {
            return Some(Val::Const(u32::MAX))
        }
        _ => {}
    }
    let sign = match op {
        BinOp::Alu(Add) => "+",
        BinOp::Alu(Sub) => "-",
        BinOp::Alu(Mul) => "*",
        BinOp::Alu(Div) => "/",
        BinOp::Mod => "%",
        BinOp::Alu(And) => "&",
        BinOp::Alu(Or) => "|",
        BinOp::Alu(Xor) => "^",
        BinOp::Alu(Lsh) => "<<",
        BinOp::Alu(Rsh) => ">>",
    };
    Some(sym(format!("({} {sign} {})", a.text(), b.text())))
}
