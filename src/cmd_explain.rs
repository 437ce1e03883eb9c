//! `go-jail explain`: what a filter does, read off the program itself.
//!
//! The program (compiled from the policy options, or any tool's raw BPF with
//! `--bpf`) is walked once per syscall number with `nr` and `arch` concrete
//! and the rest of `seccomp_data` (`args[i].lo/hi`, `ip`) symbolic: a
//! conditional jump on a symbolic value forks the walk, and each path
//! collects its jump constraints. A number whose paths all return the same
//! value gets that action; otherwise the paths are rendered as conditions
//! (`ERRNO(1) (EPERM) if args[1].lo == 0x5412; ALLOW otherwise`).
//!
//! Every number of the arch's table is walked; above the table the number
//! space is cut at every constant the program compares with (`k` and
//! `k + 1`), and one number per piece is walked: a filter that compares `nr`
//! without arithmetic on it is constant on each piece.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use bpf_asm::insn::{class, misc, mode, op, src, JmpCond, MEMWORDS};
use bpf_asm::seccomp::{offset, Arch, X32_SYSCALL_BIT};
use bpf_asm::{Program, Verdict};
use policy::SyscallTable;

use crate::args::ExplainArgs;
use crate::fail::Failure;
use crate::{cmd_bpf, filter, names, policy_args};

/// Paths explored per syscall number before giving up.
const MAX_PATHS: usize = 4096;

pub fn explain(a: &ExplainArgs) -> Result<i32, Failure> {
    let (prog, targets) = match &a.bpf {
        Some(path) => {
            let p = &a.policy;
            if p.syscall_allow.is_some()
                || p.syscall_deny.is_some()
                || p.errno.is_some()
                || p.profile_weights.is_some()
            {
                return Err(Failure::input(
                    "--bpf explains a program: only --arch goes with it".into(),
                ));
            }
            let prog = cmd_bpf::read_raw(path)?;
            let report = bpf_asm::verify::verify(&prog);
            if let Some(e) = report.errors.first() {
                return Err(Failure::input(format!(
                    "{}: the kernel would refuse this program: {e}",
                    path.display()
                )));
            }
            let targets = p.arch.as_deref().map(names::parse_arches).transpose()?;
            (prog, targets)
        }
        None => {
            let spec = policy_args::spec(&a.policy)?.ok_or_else(|| {
                Failure::input(
                    "explain needs -syscall-allow=LIST, -syscall-deny=LIST or --bpf FILE".into(),
                )
            })?;
            let compiled = filter::compile(spec, &a.policy, a.quiet)?;
            let targets = compiled.policy.arches.iter().map(|p| p.arch).collect();
            (compiled.program, Some(targets))
        }
    };
    let text = if a.per_syscall {
        per_syscall(&prog, &targets.unwrap_or_else(|| vec![Arch::native()]))
    } else {
        summary(&prog, targets.as_deref())
    };
    print!("{text}");
    Ok(0)
}

/// One line per table syscall of each target: `ARCH NR NAME RAW ACTION`,
/// RAW being the return value in hex, or `cond` when it depends on arguments.
fn per_syscall(prog: &Program, arches: &[Arch]) -> String {
    let mut out = String::new();
    for &arch in arches {
        for (nr, name) in SyscallTable::entries(arch) {
            let o = outcome(prog, arch.audit(), nr);
            let raw = match &o {
                Outcome::Always(Ret::Value(v)) => format!("{v:#010x}"),
                _ => "cond".into(),
            };
            let _ = writeln!(out, "{} {nr} {name} {raw} {}", arch.name(), o.text());
        }
    }
    out
}

/// The grouped explanation.
fn summary(prog: &Program, targets: Option<&[Arch]>) -> String {
    let unknown = analyze(prog, 0, None);
    let mut explained = Vec::new();
    let mut others: Vec<(String, Vec<Analysis>)> = Vec::new();
    let mut other_names: Vec<(String, String)> = Vec::new();
    for arch in Arch::ALL {
        let an = analyze(prog, arch.audit(), Some(arch));
        let is_target = match targets {
            Some(t) => t.contains(&arch),
            None => an.uniform().is_none() || an.uniform() != unknown.uniform(),
        };
        if is_target {
            explained.push((arch, an));
        } else {
            let text = an
                .uniform()
                .map(|o| o.text())
                .unwrap_or_else(|| "depends on the syscall".into());
            other_names.push((arch.name().to_string(), text.clone()));
            others.push((text, vec![an]));
        }
    }
    // Keep targets in the order given (native first for compiled policies).
    if let Some(t) = targets {
        explained.sort_by_key(|(a, _)| t.iter().position(|x| x == a));
    }
    let mut out = String::new();
    for (arch, an) in &explained {
        out.push_str(&an.render(arch.name()));
    }
    let unknown_text = unknown
        .uniform()
        .map(|o| o.text())
        .unwrap_or_else(|| "depends on the syscall".into());
    let differing: Vec<&(String, String)> = other_names
        .iter()
        .filter(|(_, t)| *t != unknown_text)
        .collect();
    for (name, text) in &differing {
        let _ = writeln!(out, "{name}: {text}");
    }
    let _ = writeln!(out, "other architectures: {unknown_text}");
    out
}

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

/// What a path returns.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Ret {
    Value(u32),
    /// `ret a` with `A` depending on the arguments.
    Computed(String),
    /// The path does something the kernel would refuse (unverified program).
    Error(String),
}

impl Ret {
    fn text(&self) -> String {
        match self {
            Ret::Value(v) => names::verdict(Verdict::from_raw(*v)),
            Ret::Computed(e) => format!("the value of {e}"),
            Ret::Error(e) => format!("error ({e})"),
        }
    }
}

/// What a bare `seccomp_data` word may hold on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Domain {
    lo: u32,
    hi: u32,
    ne: BTreeSet<u32>,
    any_set: Vec<u32>,
    zero: u32,
}

impl Default for Domain {
    fn default() -> Domain {
        Domain {
            lo: 0,
            hi: u32::MAX,
            ne: BTreeSet::new(),
            any_set: Vec::new(),
            zero: 0,
        }
    }
}

impl Domain {
    /// Adds `value COND k == truth`; false when no value is left.
    fn constrain(&mut self, cond: JmpCond, k: u32, truth: bool) -> bool {
        match (cond, truth) {
            (JmpCond::Eq, true) => {
                self.lo = self.lo.max(k);
                self.hi = self.hi.min(k);
            }
            (JmpCond::Eq, false) => {
                self.ne.insert(k);
            }
            (JmpCond::Gt, true) => match k.checked_add(1) {
                Some(k1) => self.lo = self.lo.max(k1),
                None => return false,
            },
            (JmpCond::Gt, false) => self.hi = self.hi.min(k),
            (JmpCond::Ge, true) => self.lo = self.lo.max(k),
            (JmpCond::Ge, false) => match k.checked_sub(1) {
                Some(k1) => self.hi = self.hi.min(k1),
                None => return false,
            },
            (JmpCond::Set, true) => self.any_set.push(k),
            (JmpCond::Set, false) => self.zero |= k,
        }
        self.feasible()
    }

    fn admits(&self, v: u32) -> bool {
        (self.lo..=self.hi).contains(&v)
            && !self.ne.contains(&v)
            && v & self.zero == 0
            && self.any_set.iter().all(|m| v & m != 0)
    }

    fn feasible(&self) -> bool {
        if self.lo > self.hi {
            return false;
        }
        let span = u64::from(self.hi - self.lo) + 1;
        if span <= self.ne.len() as u64 + 64 {
            return (self.lo..=self.hi).any(|v| self.admits(v));
        }
        self.any_set.iter().all(|m| m & !self.zero != 0)
    }

    fn exact(&self) -> Option<u32> {
        (self.lo == self.hi).then_some(self.lo)
    }

    /// Human-readable constraints on `name`.
    fn render(&self, name: &str, out: &mut Vec<String>) {
        if let Some(v) = self.exact() {
            out.push(format!("{name} == {}", hex(v)));
            return;
        }
        match (self.lo, self.hi) {
            (0, u32::MAX) => {}
            (0, hi) => out.push(format!("{name} <= {}", hex(hi))),
            (lo, u32::MAX) => out.push(format!("{name} >= {}", hex(lo))),
            (lo, hi) => out.push(format!("{name} in {}..={}", hex(lo), hex(hi))),
        }
        for v in self.ne.iter().filter(|v| (self.lo..=self.hi).contains(*v)) {
            out.push(format!("{name} != {}", hex(*v)));
        }
        for m in &self.any_set {
            out.push(format!("{name} & {} != 0", hex(*m)));
        }
        if self.zero != 0 {
            out.push(format!("{name} & {} == 0", hex(self.zero)));
        }
    }
}

/// One explored path.
#[derive(Clone, Debug)]
struct Path {
    domains: BTreeMap<u32, Domain>,
    opaque: Vec<String>,
    ret: Ret,
}

impl Path {
    /// Number of "is equal / is set" facts: fewer means a fall-through path.
    fn positives(&self) -> usize {
        self.domains
            .values()
            .map(|d| usize::from(d.exact().is_some()) + d.any_set.len())
            .sum::<usize>()
            + self.opaque.iter().filter(|t| t.contains("==")).count()
    }

    /// The path's conditions, `args[i].hi == H and args[i].lo == L` merged.
    fn conditions(&self) -> Vec<String> {
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
                let name = bpf_asm::text::field_name(*k).unwrap_or_else(|| format!("[{k}]"));
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

/// What one syscall number gets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Outcome {
    Always(Ret),
    /// Rendered: `X if …; Y otherwise`.
    Conditional(String),
}

impl Outcome {
    fn text(&self) -> String {
        match self {
            Outcome::Always(r) => r.text(),
            Outcome::Conditional(s) => s.clone(),
        }
    }
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
/// `audit`; `None` past [`MAX_PATHS`].
fn paths(prog: &Program, audit: u32, nr: u32) -> Option<Vec<Path>> {
    let insns = &prog.insns;
    let mut done = Vec::new();
    let mut stack = vec![State {
        pc: 0,
        a: Val::Const(0),
        x: Val::Const(0),
        mem: Default::default(),
        domains: BTreeMap::new(),
        opaque: Vec::new(),
    }];
    let finish = |s: State, ret: Ret, done: &mut Vec<Path>| {
        done.push(Path {
            domains: s.domains,
            opaque: s.opaque,
            ret,
        })
    };
    while let Some(mut s) = stack.pop() {
        loop {
            if done.len() + stack.len() > MAX_PATHS {
                return None;
            }
            let Some(&insn) = insns.get(s.pc) else {
                finish(s, Ret::Error("ran off the end".into()), &mut done);
                break;
            };
            let k = insn.k;
            let code = insn.code;
            let pc = s.pc;
            s.pc += 1;
            match code & 0x07 {
                c if c == class::LD || c == class::LDX => {
                    let v = match code & 0xe0 {
                        m if m == mode::ABS => match k {
                            offset::NR => Val::Const(nr),
                            offset::ARCH => Val::Const(audit),
                            _ => match bpf_asm::text::field_name(k) {
                                Some(name) => Val::Sym {
                                    text: name,
                                    field: Some(k),
                                },
                                None => {
                                    finish(s, Ret::Error(format!("pc {pc}: bad load")), &mut done);
                                    break;
                                }
                            },
                        },
                        m if m == mode::IMM => Val::Const(k),
                        m if m == mode::LEN => Val::Const(64),
                        m if m == mode::MEM => match s.mem.get(k as usize).cloned().flatten() {
                            Some(v) => v,
                            None => {
                                finish(
                                    s,
                                    Ret::Error(format!("pc {pc}: uninitialized M[{k}]")),
                                    &mut done,
                                );
                                break;
                            }
                        },
                        _ => {
                            finish(s, Ret::Error(format!("pc {pc}: bad load")), &mut done);
                            break;
                        }
                    };
                    if c == class::LD {
                        s.a = v;
                    } else {
                        s.x = v;
                    }
                }
                c if c == class::ST || c == class::STX => {
                    let v = if c == class::ST {
                        s.a.clone()
                    } else {
                        s.x.clone()
                    };
                    match s.mem.get_mut(k as usize) {
                        Some(slot) => *slot = Some(v),
                        None => {
                            finish(s, Ret::Error(format!("pc {pc}: bad store")), &mut done);
                            break;
                        }
                    }
                }
                c if c == class::MISC => {
                    if code == class::MISC | misc::TAX {
                        s.x = s.a.clone();
                    } else {
                        s.a = s.x.clone();
                    }
                }
                c if c == class::ALU => {
                    let operand = if code & src::X != 0 {
                        s.x.clone()
                    } else {
                        Val::Const(k)
                    };
                    match alu(code & 0xf0, &s.a, &operand) {
                        Some(v) => s.a = v,
                        None => {
                            // Division by zero: the converted program returns 0.
                            finish(s, Ret::Value(0), &mut done);
                            break;
                        }
                    }
                }
                c if c == class::JMP => {
                    let bits = code & 0xf0;
                    if bits == op::JA {
                        s.pc += k as usize;
                        continue;
                    }
                    let Some(cond) = JmpCond::from_bits(bits) else {
                        finish(s, Ret::Error(format!("pc {pc}: bad jump")), &mut done);
                        break;
                    };
                    let operand = if code & src::X != 0 {
                        s.x.clone()
                    } else {
                        Val::Const(k)
                    };
                    let t_pc = s.pc + insn.jt as usize;
                    let f_pc = s.pc + insn.jf as usize;
                    match (&s.a, &operand) {
                        (Val::Const(a), Val::Const(b)) => {
                            s.pc = if cond.holds(*a, *b) { t_pc } else { f_pc };
                        }
                        (
                            Val::Sym {
                                field: Some(field), ..
                            },
                            Val::Const(b),
                        ) => {
                            let (field, b) = (*field, *b);
                            let mut other = s.clone();
                            let d = s.domains.entry(field).or_default();
                            let t_ok = d.constrain(cond, b, true);
                            let d = other.domains.entry(field).or_default();
                            let f_ok = d.constrain(cond, b, false);
                            other.pc = f_pc;
                            s.pc = t_pc;
                            if f_ok {
                                stack.push(other);
                            }
                            if !t_ok {
                                break;
                            }
                        }
                        (a, b) => {
                            let (at, bt) = (a.text(), b.text());
                            let (yes, no) = match cond {
                                JmpCond::Eq => (format!("{at} == {bt}"), format!("{at} != {bt}")),
                                JmpCond::Gt => (format!("{at} > {bt}"), format!("{at} <= {bt}")),
                                JmpCond::Ge => (format!("{at} >= {bt}"), format!("{at} < {bt}")),
                                JmpCond::Set => {
                                    (format!("{at} & {bt} != 0"), format!("{at} & {bt} == 0"))
                                }
                            };
                            let mut other = s.clone();
                            other.opaque.push(no);
                            other.pc = f_pc;
                            s.opaque.push(yes);
                            s.pc = t_pc;
                            stack.push(other);
                        }
                    }
                }
                c if c == class::RET => {
                    let ret = match code & 0x18 {
                        0x00 => Ret::Value(k),
                        0x10 => match &s.a {
                            Val::Const(v) => Ret::Value(*v),
                            v => Ret::Computed(v.text()),
                        },
                        _ => Ret::Error(format!("pc {pc}: bad ret")),
                    };
                    finish(s, ret, &mut done);
                    break;
                }
                _ => {
                    finish(s, Ret::Error(format!("pc {pc}: bad opcode")), &mut done);
                    break;
                }
            }
        }
    }
    Some(done)
}

/// `a OP b`; `None` for a division by a zero constant.
fn alu(bits: u16, a: &Val, b: &Val) -> Option<Val> {
    if bits == op::NEG {
        return Some(match a {
            Val::Const(v) => Val::Const(v.wrapping_neg()),
            v => sym(format!("-{}", v.text())),
        });
    }
    if let (Val::Const(a), Val::Const(b)) = (a, b) {
        let (a, b) = (*a, *b);
        let v = match bits {
            op::ADD => a.wrapping_add(b),
            op::SUB => a.wrapping_sub(b),
            op::MUL => a.wrapping_mul(b),
            op::DIV => a.checked_div(b)?,
            op::MOD => a.checked_rem(b)?,
            op::AND => a & b,
            op::OR => a | b,
            op::XOR => a ^ b,
            op::LSH => a.wrapping_shl(b & 31),
            op::RSH => a.wrapping_shr(b & 31),
            _ => return Some(sym(format!("{} ? {}", hex(a), hex(b)))),
        };
        return Some(Val::Const(v));
    }
    // Masks that decide the result whatever the symbolic side holds.
    match (bits, a, b) {
        (op::AND, _, Val::Const(0)) | (op::AND, Val::Const(0), _) => return Some(Val::Const(0)),
        (op::MUL, _, Val::Const(0)) | (op::MUL, Val::Const(0), _) => return Some(Val::Const(0)),
        (op::OR, _, Val::Const(u32::MAX)) | (op::OR, Val::Const(u32::MAX), _) => {
            return Some(Val::Const(u32::MAX))
        }
        _ => {}
    }
    let sign = match bits {
        op::ADD => "+",
        op::SUB => "-",
        op::MUL => "*",
        op::DIV => "/",
        op::MOD => "%",
        op::AND => "&",
        op::OR => "|",
        op::XOR => "^",
        op::LSH => "<<",
        op::RSH => ">>",
        _ => "?",
    };
    Some(sym(format!("({} {sign} {})", a.text(), b.text())))
}

fn sym(text: String) -> Val {
    Val::Sym { text, field: None }
}

/// What syscall `nr` of the arch `audit` gets.
fn outcome(prog: &Program, audit: u32, nr: u32) -> Outcome {
    let Some(paths) = paths(prog, audit, nr) else {
        return Outcome::Conditional(format!(
            "depends on the arguments in more than {MAX_PATHS} ways"
        ));
    };
    let first = paths[0].ret.clone();
    if paths.iter().all(|p| p.ret == first) {
        return Outcome::Always(first);
    }
    // The "otherwise" action: the one reached with the fewest positive facts
    // (the fall-through path), then the one with the most paths.
    let mut by_ret: BTreeMap<&Ret, Vec<&Path>> = BTreeMap::new();
    for p in &paths {
        by_ret.entry(&p.ret).or_default().push(p);
    }
    let otherwise = by_ret
        .iter()
        .min_by_key(|(_, ps)| {
            (
                ps.iter().map(|p| p.positives()).min().unwrap_or(0),
                usize::MAX - ps.len(),
            )
        })
        .map(|(r, _)| (*r).clone())
        .unwrap_or(first);
    let mut parts = Vec::new();
    // In first-path order, for a stable and natural reading.
    let mut order: Vec<&Ret> = Vec::new();
    for p in &paths {
        if p.ret != otherwise && !order.contains(&&p.ret) {
            order.push(&p.ret);
        }
    }
    for r in order {
        let alternatives: Vec<String> = by_ret[r]
            .iter()
            .map(|p| p.conditions())
            .map(|c| {
                if c.is_empty() {
                    "always".to_string()
                } else {
                    c.join(" and ")
                }
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let cond = if alternatives.len() == 1 {
            alternatives[0].clone()
        } else {
            alternatives
                .iter()
                .map(|a| format!("({a})"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        parts.push(format!("{} if {cond}", r.text()));
    }
    parts.push(format!("{} otherwise", otherwise.text()));
    Outcome::Conditional(parts.join("; "))
}

/// The outcomes over one arch's whole number space.
struct Analysis {
    arch: Option<Arch>,
    /// Named syscalls.
    named: Vec<(u32, &'static str, Outcome)>,
    /// Unnamed numbers, as merged ranges.
    ranges: Vec<(u32, u32, Outcome)>,
}

fn analyze(prog: &Program, audit: u32, arch: Option<Arch>) -> Analysis {
    let mut named = Vec::new();
    let mut numbers: Vec<(u32, u32, Outcome)> = Vec::new();
    let table_end = arch.map_or(0, |a| SyscallTable::max_nr(a) + 1);
    let entries: BTreeMap<u32, &'static str> = arch
        .map(|a| SyscallTable::entries(a).collect())
        .unwrap_or_default();
    let mut push = |lo: u32, hi: u32, o: Outcome| match numbers.last_mut() {
        Some(last) if last.2 == o && last.1.checked_add(1) == Some(lo) => last.1 = hi,
        _ => numbers.push((lo, hi, o)),
    };
    for nr in 0..table_end {
        let o = outcome(prog, audit, nr);
        match entries.get(&nr) {
            Some(name) => named.push((nr, *name, o)),
            None => push(nr, nr, o),
        }
    }
    // Above the table: cut at every constant the program could compare with.
    let mut cuts: BTreeSet<u32> = BTreeSet::new();
    cuts.insert(table_end);
    cuts.insert(X32_SYSCALL_BIT);
    cuts.insert(u32::MAX);
    for i in &prog.insns {
        let c = i.code & 0x07;
        if c == class::JMP || (c == class::LD || c == class::LDX) && i.code & 0xe0 == mode::IMM {
            cuts.insert(i.k);
            if let Some(k1) = i.k.checked_add(1) {
                cuts.insert(k1);
            }
        }
    }
    for &nr in entries.keys().filter(|&&n| n >= table_end) {
        cuts.insert(nr);
        if let Some(n1) = nr.checked_add(1) {
            cuts.insert(n1);
        }
    }
    let cuts: Vec<u32> = cuts.into_iter().filter(|&c| c >= table_end).collect();
    for (i, &lo) in cuts.iter().enumerate() {
        let hi = cuts.get(i + 1).map_or(u32::MAX, |n| n - 1);
        let o = outcome(prog, audit, lo);
        match entries.get(&lo) {
            Some(name) => named.push((lo, *name, o)),
            None => push(lo, hi, o),
        }
    }
    Analysis {
        arch,
        named,
        ranges: numbers,
    }
}

impl Analysis {
    /// The single outcome of every number, if there is one.
    fn uniform(&self) -> Option<&Outcome> {
        let mut all = self
            .named
            .iter()
            .map(|n| &n.2)
            .chain(self.ranges.iter().map(|r| &r.2));
        let first = all.next()?;
        all.all(|o| o == first).then_some(first)
    }

    fn range_text(&self, lo: u32, hi: u32) -> String {
        if lo == u32::MAX {
            return "nr -1".into();
        }
        let x32 = self.arch == Some(Arch::X86_64) && lo >= X32_SYSCALL_BIT;
        let prefix = if x32 { "x32 numbers" } else { "numbers" };
        if lo == hi {
            format!("{prefix} {}", num(lo))
        } else {
            format!("{prefix} {}..={}", num(lo), num(hi))
        }
    }

    /// One line per action, then one per conditional syscall.
    fn render(&self, arch: &str) -> String {
        let mut names: BTreeMap<&Outcome, Vec<&str>> = BTreeMap::new();
        for (_, name, o) in &self.named {
            names.entry(o).or_default().push(name);
        }
        let mut ranges: BTreeMap<&Outcome, Vec<String>> = BTreeMap::new();
        for (lo, hi, o) in &self.ranges {
            ranges.entry(o).or_default().push(self.range_text(*lo, *hi));
        }
        let total = self.named.len();
        let dominant = names
            .iter()
            .filter(|(o, _)| matches!(o, Outcome::Always(_)))
            .max_by_key(|(_, n)| n.len())
            .filter(|(_, n)| n.len() > 30)
            .map(|(o, _)| *o);
        let mut always: Vec<&Outcome> = names
            .keys()
            .chain(ranges.keys())
            .copied()
            .filter(|o| matches!(o, Outcome::Always(_)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        always.sort_by_key(|o| match o {
            Outcome::Always(Ret::Value(v)) => (0, std::cmp::Reverse((*v & 0xffff_0000) as i32), *v),
            _ => (1, std::cmp::Reverse(0), 0),
        });
        let mut out = String::new();
        for o in always {
            let n = names.get(o).map_or(&[][..], |v| v.as_slice());
            let mut items = Vec::new();
            let head = if Some(o) == dominant {
                let every = if n.len() == total {
                    "every syscall"
                } else {
                    "every other syscall"
                };
                items.push(format!("{every} ({})", n.len()));
                o.text()
            } else if n.is_empty() {
                o.text()
            } else {
                items.push(n.join(" "));
                format!("{} ({})", o.text(), n.len())
            };
            if let Some(r) = ranges.get(o) {
                items.extend(r.iter().cloned());
            }
            let _ = writeln!(out, "{arch}: {head}: {}", items.join(", "));
        }
        for (_, name, o) in &self.named {
            if let Outcome::Conditional(text) = o {
                let _ = writeln!(out, "{arch}: {name}: {text}");
            }
        }
        for (lo, hi, o) in &self.ranges {
            if let Outcome::Conditional(text) = o {
                let _ = writeln!(out, "{arch}: {}: {text}", self.range_text(*lo, *hi));
            }
        }
        out
    }
}

/// Small numbers in decimal, large ones in hex.
fn num(v: u32) -> String {
    if v < 0x1_0000 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Constants in conditions: hex from 10 up.
fn hex(v: u32) -> String {
    hex64(u64::from(v))
}

fn hex64(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpf_asm::SeccompData;
    use policy::PolicySpec;

    fn compiled(spec: PolicySpec) -> (policy::Policy, Program) {
        let (p, _) = policy::resolve(&spec).unwrap();
        let prog = policy::compile(&p, &policy::CompileOptions::default()).unwrap();
        (p, prog)
    }

    #[test]
    fn agrees_with_the_reference_evaluator() {
        for spec in [
            PolicySpec::allow(&["read", "write", "exit_group", "execve"]),
            PolicySpec::deny(&["ptrace", "mount"]),
            PolicySpec {
                arches: vec![Arch::X86_64, Arch::X86, Arch::Aarch64],
                ..PolicySpec::allow(&["openat", "read"])
            },
        ] {
            let (p, prog) = compiled(spec);
            for ap in &p.arches {
                let an = analyze(&prog, ap.arch.audit(), Some(ap.arch));
                for (nr, _, o) in &an.named {
                    let want = p.evaluate(&SeccompData {
                        nr: *nr,
                        arch: ap.arch.audit(),
                        ..SeccompData::default()
                    });
                    assert_eq!(*o, Outcome::Always(Ret::Value(want.to_raw())), "{nr}");
                }
                for (lo, hi, o) in &an.ranges {
                    for nr in [*lo, *hi] {
                        let want = ap.action(nr);
                        assert_eq!(*o, Outcome::Always(Ret::Value(want.to_raw())), "{nr}");
                    }
                }
            }
        }
    }

    #[test]
    fn compiled_argument_conditions() {
        let (p, prog) = compiled(PolicySpec {
            arches: vec![Arch::X86_64],
            rules: policy::tty_guard_rules(),
            ..PolicySpec::deny(&["ptrace"])
        });
        let o = outcome(&prog, Arch::X86_64.audit(), 16);
        let text = o.text();
        assert!(text.starts_with("ERRNO(1) (EPERM) if "), "{text}");
        assert!(text.contains("0x5412") && text.contains("0x541c"), "{text}");
        assert!(text.ends_with("; ALLOW otherwise"), "{text}");
        // Every path agrees with the reference evaluator on a witness.
        for req in [0x5412u64, 0x541c, 0x5413, 0x1_0000_5412] {
            let want = p.evaluate(&SeccompData {
                nr: 16,
                arch: Arch::X86_64.audit(),
                args: [0, req, 0, 0, 0, 0],
                ..SeccompData::default()
            });
            let got = bpf_asm::run(
                &prog,
                &SeccompData {
                    nr: 16,
                    arch: Arch::X86_64.audit(),
                    args: [0, req, 0, 0, 0, 0],
                    ..SeccompData::default()
                },
            )
            .unwrap();
            assert_eq!(got.ret, want.to_raw(), "{req:#x}");
        }
    }

    #[test]
    fn argument_conditions() {
        let text = "\
ld [nr]
jeq #16, ioctl, allow
ioctl:
ld [args[1].lo]
jeq #0x5412, deny, allow
deny:
ret ERRNO(1)
allow:
ret ALLOW
";
        let prog = bpf_asm::text::assemble(text).unwrap();
        let o = outcome(&prog, Arch::X86_64.audit(), 16);
        assert_eq!(
            o.text(),
            "ERRNO(1) (EPERM) if args[1].lo == 0x5412; ALLOW otherwise"
        );
        assert_eq!(outcome(&prog, Arch::X86_64.audit(), 0).text(), "ALLOW");
    }
}
