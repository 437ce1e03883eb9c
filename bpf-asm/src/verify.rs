//! The load-time verifier: accepts exactly the programs that `seccomp(2)`
//! accepts, and says why it refuses the others.
//!
//! The kernel loads a seccomp filter through `bpf_prog_create_from_user` →
//! `bpf_prepare_filter`: first `bpf_check_basics_ok`, then
//! `bpf_check_classic` (net/core/filter.c, which ends with
//! `check_load_and_stores`), then seccomp's `trans` callback
//! `seccomp_check_filter` (kernel/seccomp.c). The stages below mirror those
//! functions check for check. The kernel stops at the first failure; this
//! verifier **reports every error** (Cranelift style), so its verdict
//! ([`Report::is_ok`]) equals the kernel's while its report can list more.
//!
//! # Errors (the kernel's checks)
//!
//! `bpf_check_basics_ok`:
//! - [`Empty`](DiagnosticKind::Empty): zero instructions;
//! - [`TooLong`](DiagnosticKind::TooLong): more than 4096 (`BPF_MAXINSNS`).
//!
//! `bpf_check_classic`, per instruction:
//! - [`OpcodeNotAllowed`](DiagnosticKind::OpcodeNotAllowed): the *exact* code
//!   is not in `chk_code_allowed`'s table (a code with stray bits, e.g.
//!   `ret x` 0x0e or `tax` 0x0f, is refused);
//! - [`DivisionByZero`](DiagnosticKind::DivisionByZero): `div #0` (and `mod #0`);
//! - [`ShiftTooLarge`](DiagnosticKind::ShiftTooLarge): `lsh/rsh #k` with `k ≥ 32`;
//! - [`MemSlotOutOfRange`](DiagnosticKind::MemSlotOutOfRange): `ld/ldx M[k]`,
//!   `st/stx M[k]` with `k ≥ 16`;
//! - [`JumpOutOfRange`](DiagnosticKind::JumpOutOfRange): `ja` with
//!   `k ≥ len − pc − 1`, or a conditional jump with `pc + jt + 1 ≥ len` or
//!   `pc + jf + 1 ≥ len` (computed without overflow);
//!
//! then on the whole program:
//! - [`NoFinalRet`](DiagnosticKind::NoFinalRet): the last code is not
//!   exactly `ret #k` (0x06) or `ret a` (0x16);
//! - [`UninitializedMem`](DiagnosticKind::UninitializedMem) —
//!   `check_load_and_stores`, the kernel's **linear** pass, not a flow
//!   analysis: `masks[pc]` starts all-ones, `memvalid` starts 0; at each pc
//!   `memvalid &= masks[pc]`; `st`/`stx` set bit k; `ld/ldx M[k]` need bit k;
//!   a jump ANDs `memvalid` into `masks[target]` for each target and then
//!   sets `memvalid = ~0`; **`ret` leaves `memvalid` alone**. Consequences
//!   the verifier reproduces on purpose: code right after a jump that nothing
//!   jumps to sees every slot as valid, while code right after a `ret`
//!   inherits the state from before the `ret` (so `st M[0]; ret; ld M[0]`
//!   passes and `ret; ld M[0]` fails, although neither load can run).
//!
//! `seccomp_check_filter` (only for codes `chk_code_allowed` accepted, so a
//! bad code is reported once):
//! - [`NotAllowedBySeccomp`](DiagnosticKind::NotAllowedBySeccomp): the code is
//!   valid classic BPF but not in seccomp's allowlist (`ld` of size H or B,
//!   `ld [x+k]`, `ldx msh`, `mod`);
//! - [`LoadOutOfRange`](DiagnosticKind::LoadOutOfRange): `ld [k]` with
//!   `k ≥ 64` or `k % 4 ≠ 0`.
//!
//! Divergence, verdict-neutral: `bpf_check_classic` also refuses `ld [k]`
//! with `k ≥ SKF_AD_OFF` (0xfffff000) unless `k` names a known ancillary
//! load; every such load fails seccomp's `k < 64` anyway, so only the
//! seccomp error is reported.
//!
//! # Warnings (lints; they never change the verdict)
//!
//! - [`Unreachable`](DiagnosticKind::Unreachable): instructions no path from
//!   pc 0 reaches (a real flow analysis), one warning per run;
//! - [`UnknownAction`](DiagnosticKind::UnknownAction): `ret #k` whose action
//!   the kernel does not know (it acts as `KILL_PROCESS`);
//! - [`ErrnoTooLarge`](DiagnosticKind::ErrnoTooLarge): `ERRNO` data above
//!   4095 (`MAX_ERRNO`), which the kernel caps;
//! - [`AllowWithData`](DiagnosticKind::AllowWithData): `ALLOW` with non-zero
//!   data bits, which the action cache does not treat as ALLOW.
//!
//! # Not checked (TODO)
//!
//! - the 32768-instruction budget of a whole filter stack
//!   (`seccomp_attach_filter`), which depends on the filters installed before;
//! - `ret a` whose value may be an unknown action (needs value analysis).

use std::fmt;

use crate::insn::{
    decode, jump_target, AluOp, Decoded, Insn, RetSrc, Size, Src, MAX_INSNS, MEMWORDS,
};
use crate::program::Program;
use crate::seccomp::{ret, Verdict, DATA_SIZE};

/// What is wrong (or suspicious) at a diagnostic's location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// `bpf_check_basics_ok`: the program has no instructions.
    Empty,
    /// `bpf_check_basics_ok`: more than 4096 instructions.
    TooLong {
        /// The program's length.
        len: usize,
    },
    /// `bpf_check_classic` / `chk_code_allowed`: unknown opcode.
    OpcodeNotAllowed,
    /// `bpf_check_classic`: division (or modulo) by the constant 0.
    DivisionByZero,
    /// `bpf_check_classic`: shift by a constant of 32 or more.
    ShiftTooLarge,
    /// `bpf_check_classic`: scratch slot 16 or above.
    MemSlotOutOfRange,
    /// `bpf_check_classic`: a jump lands at or past the end.
    JumpOutOfRange {
        /// Where the jump lands (`pc + 1 + offset`).
        target: u64,
        /// The program's length.
        len: usize,
    },
    /// `bpf_check_classic`: the last instruction is not `ret #k` / `ret a`.
    NoFinalRet,
    /// `check_load_and_stores`: a scratch slot may be read before it is written.
    UninitializedMem {
        /// The scratch word read.
        slot: u32,
    },
    /// `seccomp_check_filter`: valid classic BPF, but not allowed in seccomp.
    NotAllowedBySeccomp,
    /// `seccomp_check_filter`: `ld [k]` outside `seccomp_data` or unaligned.
    LoadOutOfRange {
        /// The byte offset loaded.
        k: u32,
    },
    /// Lint: no path reaches these `count` instructions.
    Unreachable {
        /// How many instructions in a row no path reaches.
        count: usize,
    },
    /// Lint: a return value with an action the kernel does not know.
    UnknownAction {
        /// The return value.
        value: u32,
    },
    /// Lint: `ERRNO` data above 4095.
    ErrnoTooLarge {
        /// The errno data.
        errno: u16,
    },
    /// Lint: `ALLOW` with data bits; not cacheable.
    AllowWithData {
        /// The return value.
        value: u32,
    },
}

impl fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DiagnosticKind::Empty => write!(f, "empty program"),
            DiagnosticKind::TooLong { len } => write!(
                f,
                "{len} instructions, more than the kernel's limit of {MAX_INSNS}"
            ),
            DiagnosticKind::OpcodeNotAllowed => write!(f, "opcode not allowed in classic BPF"),
            DiagnosticKind::DivisionByZero => write!(f, "division by constant zero"),
            DiagnosticKind::ShiftTooLarge => write!(f, "shift by 32 or more"),
            DiagnosticKind::MemSlotOutOfRange => {
                write!(f, "scratch slot out of range (M[0] to M[{}])", MEMWORDS - 1)
            }
            DiagnosticKind::JumpOutOfRange { target, len } => {
                write!(f, "jump target {target} out of range (len {len})")
            }
            DiagnosticKind::NoFinalRet => write!(f, "last instruction is not a ret"),
            DiagnosticKind::UninitializedMem { slot } => {
                write!(f, "M[{slot}] may be read before it is written")
            }
            DiagnosticKind::NotAllowedBySeccomp => write!(f, "opcode not allowed in seccomp"),
            DiagnosticKind::LoadOutOfRange { k } => write!(
                f,
                "load offset {k} outside seccomp_data (must be < {DATA_SIZE} and a multiple of 4)"
            ),
            DiagnosticKind::Unreachable { count: 1 } => write!(f, "unreachable instruction"),
            DiagnosticKind::Unreachable { count } => {
                write!(f, "unreachable code ({count} instructions)")
            }
            DiagnosticKind::UnknownAction { value } => write!(
                f,
                "unknown action {value:#x} (the kernel treats it as KILL_PROCESS)"
            ),
            DiagnosticKind::ErrnoTooLarge { errno } => write!(
                f,
                "errno {errno} above {} (the kernel caps it)",
                ret::MAX_ERRNO
            ),
            DiagnosticKind::AllowWithData { value } => write!(
                f,
                "ALLOW with data bits ({value:#x}) is not cached by the kernel"
            ),
        }
    }
}

/// One finding: where (pc and instruction, when it concerns one) and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// The instruction's index, `None` for a finding on the whole program.
    pub pc: Option<usize>,
    /// The instruction at `pc`, when there is one.
    pub insn: Option<Insn>,
    /// What was found.
    pub kind: DiagnosticKind,
}

impl Diagnostic {
    fn at(prog: &Program, pc: usize, kind: DiagnosticKind) -> Diagnostic {
        Diagnostic {
            pc: Some(pc),
            insn: prog.insns.get(pc).copied(),
            kind,
        }
    }

    fn whole(kind: DiagnosticKind) -> Diagnostic {
        Diagnostic {
            pc: None,
            insn: None,
            kind,
        }
    }
}

/// `pc 12 (jeq #0x3b, +3, +0): jump target 300 out of range (len 40)`
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.pc, self.insn) {
            (Some(pc), Some(insn)) => write!(f, "pc {pc} ({insn}): {}", self.kind),
            (Some(pc), None) => write!(f, "pc {pc}: {}", self.kind),
            _ => write!(f, "{}", self.kind),
        }
    }
}

/// Everything [`verify`] found. The kernel accepts the program iff `errors` is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What the kernel refuses (any one fails the load with `-EINVAL`).
    pub errors: Vec<Diagnostic>,
    /// What the kernel loads but is likely a mistake (the lints).
    pub warnings: Vec<Diagnostic>,
}

impl Report {
    /// True when the kernel would load the program.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Errors first, then warnings, one per line.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "error: {e}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

/// Checks `prog` as `seccomp(SECCOMP_SET_MODE_FILTER)` would; see the module doc.
pub fn verify(prog: &Program) -> Report {
    let mut report = Report::default();
    if !bpf_check_basics_ok(prog, &mut report) {
        return report;
    }
    bpf_check_classic(prog, &mut report);
    seccomp_check_filter(prog, &mut report);
    lints(prog, &mut report);
    report
}

/// Mirrors `bpf_check_basics_ok` (net/core/filter.c): `1 ≤ len ≤ 4096`.
/// Returns false when there is nothing further to check.
fn bpf_check_basics_ok(prog: &Program, report: &mut Report) -> bool {
    let len = prog.len();
    if len == 0 {
        report.errors.push(Diagnostic::whole(DiagnosticKind::Empty));
        return false;
    }
    if len > MAX_INSNS {
        report
            .errors
            .push(Diagnostic::whole(DiagnosticKind::TooLong { len }));
    }
    true
}

/// Codes in `chk_code_allowed`'s table (net/core/filter.c), by exact value:
/// the codes [`decode`] accepts.
pub fn classic_code_allowed(code: u16) -> bool {
    Decoded::from_code(code).is_ok()
}

/// Codes in `seccomp_check_filter`'s allowlist (kernel/seccomp.c), by exact value.
pub fn seccomp_code_allowed(code: u16) -> bool {
    Decoded::from_code(code).is_ok_and(seccomp_allows)
}

/// Mirrors the `switch` of `seccomp_check_filter` (kernel/seccomp.c): the
/// classic instructions a seccomp filter may contain. The packet loads
/// (`ldh`/`ldb [k]`, `ld [x + k]`, `ldx msh`) and `mod` are refused; `ld [k]`
/// is allowed here and bounds-checked separately ([`DiagnosticKind::LoadOutOfRange`]).
pub fn seccomp_allows(d: Decoded) -> bool {
    match d {
        Decoded::LdAbs(Size::W)
        | Decoded::LdLen(_)
        | Decoded::LdImm(_)
        | Decoded::LdMem(_)
        | Decoded::Store(_)
        | Decoded::Alu(..)
        | Decoded::Neg
        | Decoded::Ja
        | Decoded::Jmp(..)
        | Decoded::Ret(_)
        | Decoded::Tax
        | Decoded::Txa => true,
        Decoded::LdAbs(Size::H | Size::B)
        | Decoded::LdInd(_)
        | Decoded::LdxMsh
        | Decoded::Mod(_) => false,
    }
}

/// Mirrors `bpf_check_classic` (net/core/filter.c), including its final
/// call to `check_load_and_stores`.
fn bpf_check_classic(prog: &Program, report: &mut Report) {
    let len = prog.len();
    for (pc, insn) in prog.insns.iter().enumerate() {
        let mut error = |kind| report.errors.push(Diagnostic::at(prog, pc, kind));
        let Ok(d) = decode(insn) else {
            error(DiagnosticKind::OpcodeNotAllowed);
            continue;
        };
        let k = insn.k;
        let out_of_range = |off: u64| {
            let target = pc as u64 + 1 + off;
            (target >= len as u64).then_some(DiagnosticKind::JumpOutOfRange { target, len })
        };
        match d {
            Decoded::Alu(AluOp::Div, Src::K) | Decoded::Mod(Src::K) if k == 0 => {
                error(DiagnosticKind::DivisionByZero);
            }
            Decoded::Alu(AluOp::Lsh | AluOp::Rsh, Src::K) if k >= 32 => {
                error(DiagnosticKind::ShiftTooLarge);
            }
            Decoded::LdMem(_) | Decoded::Store(_) if k >= MEMWORDS => {
                error(DiagnosticKind::MemSlotOutOfRange);
            }
            Decoded::Ja => {
                // The kernel: k >= (unsigned)(flen - pc - 1).
                if let Some(kind) = out_of_range(u64::from(k)) {
                    error(kind);
                }
            }
            Decoded::Jmp(..) => {
                for off in [insn.jt, insn.jf] {
                    if let Some(kind) = out_of_range(u64::from(off)) {
                        error(kind);
                    }
                }
            }
            _ => {}
        }
    }
    if !prog.insns[len - 1].is_ret() {
        report
            .errors
            .push(Diagnostic::at(prog, len - 1, DiagnosticKind::NoFinalRet));
    }
    // The kernel runs check_load_and_stores only on a program that passed
    // everything above; we run it anyway to report more, bounds-checked.
    check_load_and_stores(prog, report);
}

/// Mirrors `check_load_and_stores` (net/core/filter.c): the linear pass
/// described in the module doc. Out-of-range jump targets and slots (already
/// reported) are skipped instead of indexed.
fn check_load_and_stores(prog: &Program, report: &mut Report) {
    let len = prog.len();
    let mut masks = vec![u16::MAX; len];
    let mut memvalid: u16 = 0;
    let restrict = |masks: &mut [u16], pc: usize, off: u64, memvalid: u16| {
        if let Some(to) = jump_target(pc, off, len) {
            masks[to] &= memvalid;
        }
    };
    for (pc, insn) in prog.insns.iter().enumerate() {
        memvalid &= masks[pc];
        let k = insn.k;
        match decode(insn) {
            Ok(Decoded::Store(_)) if k < MEMWORDS => memvalid |= 1 << k,
            Ok(Decoded::LdMem(_)) if k < MEMWORDS && memvalid & (1 << k) == 0 => {
                report.errors.push(Diagnostic::at(
                    prog,
                    pc,
                    DiagnosticKind::UninitializedMem { slot: k },
                ));
            }
            Ok(Decoded::Ja) => {
                restrict(&mut masks, pc, u64::from(k), memvalid);
                memvalid = u16::MAX;
            }
            Ok(Decoded::Jmp(..)) => {
                restrict(&mut masks, pc, u64::from(insn.jt), memvalid);
                restrict(&mut masks, pc, u64::from(insn.jf), memvalid);
                memvalid = u16::MAX;
            }
            _ => {}
        }
    }
}

/// Mirrors `seccomp_check_filter` (kernel/seccomp.c): the allowlist of codes
/// and the bounds of `ld [k]`. Codes that `chk_code_allowed` refused were
/// already reported and are skipped.
fn seccomp_check_filter(prog: &Program, report: &mut Report) {
    for (pc, insn) in prog.insns.iter().enumerate() {
        let Ok(d) = decode(insn) else {
            continue;
        };
        let kind = match d {
            _ if !seccomp_allows(d) => DiagnosticKind::NotAllowedBySeccomp,
            Decoded::LdAbs(Size::W) if insn.k >= DATA_SIZE || insn.k & 3 != 0 => {
                DiagnosticKind::LoadOutOfRange { k: insn.k }
            }
            _ => continue,
        };
        report.errors.push(Diagnostic::at(prog, pc, kind));
    }
}

/// Which instructions some path from pc 0 reaches. Out-of-range targets are
/// ignored; a code that is neither a jump nor a `ret` falls through.
pub fn reachable(prog: &Program) -> Vec<bool> {
    let len = prog.len();
    let mut seen = vec![false; len];
    if len == 0 {
        return seen;
    }
    seen[0] = true;
    for pc in 0..len {
        if !seen[pc] {
            continue;
        }
        let insn = prog.insns[pc];
        let mut mark = |off: u64| {
            if let Some(to) = jump_target(pc, off, len) {
                seen[to] = true;
            }
        };
        match decode(&insn) {
            Ok(Decoded::Ret(_)) => {}
            Ok(Decoded::Ja) => mark(u64::from(insn.k)),
            Ok(Decoded::Jmp(..)) => {
                mark(u64::from(insn.jt));
                mark(u64::from(insn.jf));
            }
            _ => mark(0),
        }
    }
    seen
}

/// The warnings: unreachable runs and suspicious return values.
fn lints(prog: &Program, report: &mut Report) {
    let seen = reachable(prog);
    let mut pc = 0;
    while pc < seen.len() {
        if seen[pc] {
            pc += 1;
            continue;
        }
        let start = pc;
        while pc < seen.len() && !seen[pc] {
            pc += 1;
        }
        report.warnings.push(Diagnostic::at(
            prog,
            start,
            DiagnosticKind::Unreachable { count: pc - start },
        ));
    }
    for (pc, insn) in prog.insns.iter().enumerate() {
        if decode(insn) != Ok(Decoded::Ret(RetSrc::K)) {
            continue;
        }
        let k = insn.k;
        let kind = match Verdict::from_raw(k) {
            Verdict::Unknown(value) => DiagnosticKind::UnknownAction { value },
            Verdict::Errno(errno) if u32::from(errno) > ret::MAX_ERRNO => {
                DiagnosticKind::ErrnoTooLarge { errno }
            }
            Verdict::Allow if k != ret::ALLOW => DiagnosticKind::AllowWithData { value: k },
            _ => continue,
        };
        report.warnings.push(Diagnostic::at(prog, pc, kind));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{AluOp, JmpCond};
    use DiagnosticKind as K;

    fn errors(insns: Vec<Insn>) -> Vec<(Option<usize>, DiagnosticKind)> {
        verify(&Program::new(insns))
            .errors
            .into_iter()
            .map(|d| (d.pc, d.kind))
            .collect()
    }

    const ALLOW: Insn = Insn::ret_k(ret::ALLOW);

    /// (name, program, expected errors)
    type Case = (
        &'static str,
        Vec<Insn>,
        Vec<(Option<usize>, DiagnosticKind)>,
    );

    /// The tables by size: seccomp's allowlist has 41 codes (9 ALU ops and
    /// 4 jumps with K and X, and 15 others), the classic table those plus
    /// `MOD` and six packet loads.
    #[test]
    fn code_tables_have_the_kernels_sizes() {
        let count = |f: fn(u16) -> bool| (0..=u16::MAX).filter(|&c| f(c)).count();
        assert_eq!(count(seccomp_code_allowed), 41);
        assert_eq!(count(classic_code_allowed), 49);
        assert!((0..=u16::MAX).all(|c| !seccomp_code_allowed(c) || classic_code_allowed(c)));
    }

    #[test]
    fn valid_programs_pass() {
        let ok: Vec<Vec<Insn>> = vec![
            vec![ALLOW],
            vec![Insn::ret_a()],
            vec![
                Insn::ld_abs(4),
                Insn::jmp_k(JmpCond::Eq, 0xc000_003e, 1, 0),
                Insn::ret_k(0),
                Insn::ld_abs(0),
                Insn::jmp_k(JmpCond::Ge, 0x4000_0000, 0, 1),
                Insn::ret_k(0),
                ALLOW,
            ],
            vec![
                Insn::ld_len(),
                Insn::ldx_len(),
                Insn::ld_imm(1),
                Insn::ldx_imm(2),
                Insn::alu_k(AluOp::Div, 1),
                Insn::alu_x(AluOp::Div),
                Insn::alu_k(AluOp::Lsh, 31),
                Insn::alu_x(AluOp::Rsh),
                Insn::neg(),
                Insn::tax(),
                Insn::txa(),
                Insn::st(15),
                Insn::stx(0),
                Insn::ld_mem(15),
                Insn::ldx_mem(0),
                Insn::ja(0),
                Insn::jmp_x(JmpCond::Set, 0, 0),
                Insn::ld_abs(60),
                Insn::ret_a(),
            ],
            // A jump to the last instruction is in range.
            vec![Insn::ja(1), Insn::ret_k(0), ALLOW],
            vec![Insn::jmp_k(JmpCond::Eq, 0, 1, 0), Insn::ret_k(0), ALLOW],
        ];
        for insns in ok {
            let r = verify(&Program::new(insns.clone()));
            assert!(r.is_ok(), "{insns:?}: {r}");
        }
    }

    #[test]
    fn each_rule_has_its_error() {
        let st0 = Insn::st(0);
        let cases: Vec<Case> = vec![
            ("empty", vec![], vec![(None, K::Empty)]),
            (
                "too long",
                vec![ALLOW; 4097],
                vec![(None, K::TooLong { len: 4097 })],
            ),
            (
                "unknown code",
                vec![Insn::new(0xff, 0, 0, 0), ALLOW],
                vec![(Some(0), K::OpcodeNotAllowed)],
            ),
            (
                "ret x (0x0e)",
                vec![Insn::new(0x0e, 0, 0, 0)],
                vec![(Some(0), K::OpcodeNotAllowed), (Some(0), K::NoFinalRet)],
            ),
            (
                "tax with a stray bit",
                vec![Insn::new(0x0f, 0, 0, 0), ALLOW],
                vec![(Some(0), K::OpcodeNotAllowed)],
            ),
            (
                "ja with X bit",
                vec![Insn::new(0x0d, 0, 0, 0), ALLOW],
                vec![(Some(0), K::OpcodeNotAllowed)],
            ),
            (
                "div #0",
                vec![Insn::alu_k(AluOp::Div, 0), ALLOW],
                vec![(Some(0), K::DivisionByZero)],
            ),
            (
                "mod #0 is refused twice over",
                vec![Insn::new(0x94, 0, 0, 0), ALLOW],
                vec![
                    (Some(0), K::DivisionByZero),
                    (Some(0), K::NotAllowedBySeccomp),
                ],
            ),
            (
                "mod #1",
                vec![Insn::new(0x94, 0, 0, 1), ALLOW],
                vec![(Some(0), K::NotAllowedBySeccomp)],
            ),
            (
                "lsh #32",
                vec![Insn::alu_k(AluOp::Lsh, 32), ALLOW],
                vec![(Some(0), K::ShiftTooLarge)],
            ),
            (
                "rsh #u32::MAX",
                vec![Insn::alu_k(AluOp::Rsh, u32::MAX), ALLOW],
                vec![(Some(0), K::ShiftTooLarge)],
            ),
            (
                "st M[16]",
                vec![Insn::st(16), ALLOW],
                vec![(Some(0), K::MemSlotOutOfRange)],
            ),
            (
                "ldx M[16]",
                vec![Insn::ldx_mem(16), ALLOW],
                vec![(Some(0), K::MemSlotOutOfRange)],
            ),
            (
                "ja past the end",
                vec![Insn::ja(1), ALLOW],
                vec![(Some(0), K::JumpOutOfRange { target: 2, len: 2 })],
            ),
            (
                "ja u32::MAX does not overflow",
                vec![Insn::ja(u32::MAX), ALLOW],
                vec![(
                    Some(0),
                    K::JumpOutOfRange {
                        target: 1 << 32,
                        len: 2,
                    },
                )],
            ),
            (
                "jeq both targets out",
                vec![Insn::jmp_k(JmpCond::Eq, 0, 1, 2), ALLOW],
                vec![
                    (Some(0), K::JumpOutOfRange { target: 2, len: 2 }),
                    (Some(0), K::JumpOutOfRange { target: 3, len: 2 }),
                ],
            ),
            (
                "last is not ret",
                vec![ALLOW, Insn::ld_imm(0)],
                vec![(Some(1), K::NoFinalRet)],
            ),
            (
                "uninitialised read",
                vec![Insn::ld_mem(3), ALLOW],
                vec![(Some(0), K::UninitializedMem { slot: 3 })],
            ),
            (
                "one path skips the store",
                vec![
                    Insn::jmp_k(JmpCond::Eq, 0, 0, 1),
                    st0,
                    Insn::ld_mem(0),
                    ALLOW,
                ],
                vec![(Some(2), K::UninitializedMem { slot: 0 })],
            ),
            (
                "ld h abs",
                vec![Insn::new(0x28, 0, 0, 0), ALLOW],
                vec![(Some(0), K::NotAllowedBySeccomp)],
            ),
            (
                "ld b abs",
                vec![Insn::new(0x30, 0, 0, 0), ALLOW],
                vec![(Some(0), K::NotAllowedBySeccomp)],
            ),
            (
                "ld ind",
                vec![Insn::new(0x40, 0, 0, 0), ALLOW],
                vec![(Some(0), K::NotAllowedBySeccomp)],
            ),
            (
                "ldx msh",
                vec![Insn::new(0xb1, 0, 0, 0), ALLOW],
                vec![(Some(0), K::NotAllowedBySeccomp)],
            ),
            (
                "ld [64]",
                vec![Insn::ld_abs(64), ALLOW],
                vec![(Some(0), K::LoadOutOfRange { k: 64 })],
            ),
            (
                "ld [2]",
                vec![Insn::ld_abs(2), ALLOW],
                vec![(Some(0), K::LoadOutOfRange { k: 2 })],
            ),
            (
                "ancillary load",
                vec![Insn::ld_abs(0xffff_f000), ALLOW],
                vec![(Some(0), K::LoadOutOfRange { k: 0xffff_f000 })],
            ),
        ];
        for (name, insns, want) in cases {
            assert_eq!(errors(insns), want, "{name}");
        }
    }

    #[test]
    fn check_load_and_stores_is_linear_like_the_kernel() {
        // After a ret, the state before the ret carries on: st M[0]; ret; ld M[0] passes.
        assert!(errors(vec![Insn::st(0), ALLOW, Insn::ld_mem(0), ALLOW]).is_empty());
        // ...and ret; ld M[0] fails, though the load is unreachable in both.
        assert_eq!(
            errors(vec![ALLOW, Insn::ld_mem(0), ALLOW]),
            vec![(Some(1), K::UninitializedMem { slot: 0 })]
        );
        // After a jump that nothing targets, everything counts as stored.
        assert!(errors(vec![Insn::ja(1), Insn::ld_mem(0), ALLOW]).is_empty());
        assert!(errors(vec![
            Insn::jmp_k(JmpCond::Eq, 0, 1, 1),
            Insn::ld_mem(5),
            ALLOW
        ])
        .is_empty());
        // A jump's target inherits the jump's state: ja over the store.
        assert_eq!(
            errors(vec![Insn::ja(1), Insn::st(0), Insn::ld_mem(0), ALLOW]),
            vec![(Some(2), K::UninitializedMem { slot: 0 })]
        );
        // Both paths store: fine.
        assert!(errors(vec![
            Insn::jmp_k(JmpCond::Eq, 0, 0, 2),
            Insn::st(1),
            Insn::ja(1),
            Insn::stx(1),
            Insn::ldx_mem(1),
            ALLOW,
        ])
        .is_empty());
    }

    #[test]
    fn warnings_do_not_change_the_verdict() {
        let r = verify(&Program::new(vec![
            Insn::ld_abs(0),
            Insn::jmp_k(JmpCond::Eq, 1, 0, 1),
            Insn::ret_k(0x0005_1000),
            Insn::ja(2),
            Insn::ret_k(0x1234_0000),
            Insn::ret_k(0x7fff_0001),
            ALLOW,
        ]));
        assert!(r.is_ok());
        let warnings: Vec<_> = r.warnings.iter().map(|d| (d.pc, d.kind)).collect();
        assert_eq!(
            warnings,
            vec![
                (Some(4), K::Unreachable { count: 2 }),
                (Some(2), K::ErrnoTooLarge { errno: 4096 }),
                (Some(4), K::UnknownAction { value: 0x1234_0000 }),
                (Some(5), K::AllowWithData { value: 0x7fff_0001 }),
            ]
        );
    }

    #[test]
    fn diagnostics_display_pc_insn_and_reason() {
        let mut insns = vec![ALLOW; 40];
        insns[12] = Insn::jmp_k(JmpCond::Eq, 0x3b, 3, 0);
        insns[13] = Insn::ja(300);
        let r = verify(&Program::new(insns));
        assert_eq!(
            r.errors[0].to_string(),
            "pc 13 (ja +300): jump target 314 out of range (len 40)"
        );
        let d = Diagnostic::at(
            &Program::new(vec![Insn::jmp_k(JmpCond::Eq, 0x3b, 3, 0)]),
            0,
            K::JumpOutOfRange {
                target: 300,
                len: 40,
            },
        );
        assert_eq!(
            d.to_string(),
            "pc 0 (jeq #0x3b, +3, +0): jump target 300 out of range (len 40)"
        );
        assert_eq!(
            verify(&Program::default()).to_string(),
            "error: empty program\n"
        );
    }

    #[test]
    fn code_tables_match_the_kernel_by_exact_value() {
        let classic: Vec<u16> = (0..=u16::MAX)
            .filter(|&c| classic_code_allowed(c))
            .collect();
        let seccomp: Vec<u16> = (0..=u16::MAX)
            .filter(|&c| seccomp_code_allowed(c))
            .collect();
        // chk_code_allowed has 49 entries; seccomp_check_filter's list has 41.
        assert_eq!(classic.len(), 49);
        assert_eq!(seccomp.len(), 41);
        assert!(seccomp.iter().all(|c| classic.contains(c)));
        assert!(!classic.contains(&0x0e) && !classic.contains(&0x0f));
    }
}
