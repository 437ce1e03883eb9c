//! A reference interpreter: runs a program the way the kernel runs a *loaded*
//! seccomp filter.
//!
//! The kernel never runs classic BPF directly. `bpf_prepare_filter`
//! (net/core/filter.c) verifies the program, `seccomp_check_filter`
//! (kernel/seccomp.c) rewrites the seccomp loads, and `bpf_convert_filter`
//! translates the result to eBPF, which the JIT or `___bpf_prog_run`
//! (kernel/bpf/core.c) executes. This interpreter reproduces the observable
//! behaviour of that pipeline:
//!
//! | instruction        | effect                                                        |
//! | ------------------ | ------------------------------------------------------------- |
//! | start              | `A = 0`, `X = 0` (the converted prologue clears both); `M[]` uninitialised |
//! | `ld [k]`           | `A` = the 32-bit word at byte `k` of `seccomp_data` ([`SeccompData::word`]) |
//! | `ld #len`, `ldx #len` | 64 (`seccomp_check_filter` rewrites them to immediates)    |
//! | `ld #k`, `ldx #k`  | `A = k`, `X = k`                                              |
//! | `ld M[k]`, `ldx M[k]`, `st M[k]`, `stx M[k]` | scratch memory, 16 words             |
//! | ALU                | 32-bit, wrapping (`add sub mul and or xor neg`)               |
//! | `div`              | unsigned; `div x` with `X == 0` **returns 0** (KILL_THREAD): `bpf_convert_filter` emits "if X == 0, return 0" before the division |
//! | `lsh #k`, `rsh #k` | logical shift by `k` (the verifier requires `k < 32`)         |
//! | `lsh x`, `rsh x`   | logical shift by `X & 31`: a 32-bit eBPF shift, which `___bpf_prog_run` executes as `(u32) DST << ((u32) SRC & 31)` and the x86-64 JIT as `shl/shr r32, cl` (which masks the count to 5 bits in hardware) |
//! | `tax`, `txa`       | `X = A`, `A = X`                                              |
//! | `ja k`             | `pc += 1 + k`                                                 |
//! | `jeq/jgt/jge/jset` | unsigned comparisons of `A` with `k` or `X`; `jset` tests `A & operand != 0` |
//! | `ret #k`, `ret a`  | stop with `k` or `A`                                          |
//!
//! # Programs the kernel would refuse
//!
//! [`run`] never panics and always terminates (jumps only go forward). On a
//! program that [`verify`](crate::verify::verify) accepts it never returns an error. On any
//! other program it reports the first problem *on the executed path*:
//!
//! - an opcode outside seccomp's allowlist, or a field the kernel's loader
//!   refuses (`div #0`, a shift by a constant ≥ 32, `M[k]` with `k ≥ 16`):
//!   [`RunError::InvalidInsn`];
//! - `ld [k]` with `k ≥ 64` or `k` not a multiple of 4: [`RunError::LoadOutOfRange`];
//! - reading `M[k]` before any store to it on this path: [`RunError::UninitMem`]
//!   (the loader's `check_load_and_stores` refuses such programs statically);
//! - a jump past the last instruction: [`RunError::JumpOutOfRange`];
//! - running past the last instruction: [`RunError::FellOffEnd`].
//!
//! Only the taken branch of a conditional jump is checked; the verifier
//! checks both statically.

use std::fmt;

use crate::insn::{decode, jump_target, AluOp, Decoded, Insn, Reg, RetSrc, Size, Src, MEMWORDS};
use crate::program::Program;
use crate::seccomp::{SeccompData, Verdict, DATA_SIZE};
use crate::verify::seccomp_allows;

/// The result of a run that reached a `RET`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The raw return value.
    pub ret: u32,
    /// Instructions executed, counting the final `RET`.
    pub executed: usize,
}

impl Outcome {
    /// The return value decoded as a seccomp action.
    pub fn verdict(&self) -> Verdict {
        Verdict::from_raw(self.ret)
    }
}

/// Why a run did not reach a `RET`. Every variant names the offending pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunError {
    /// Execution ran past the last instruction; `pc` is the program length.
    FellOffEnd {
        /// The program length.
        pc: usize,
    },
    /// The instruction at `pc` is not one a loaded seccomp filter can contain.
    InvalidInsn {
        /// Where the instruction is.
        pc: usize,
        /// The instruction.
        insn: Insn,
    },
    /// `ld [k]` outside `struct seccomp_data` or not 4-byte aligned.
    LoadOutOfRange {
        /// Where the load is.
        pc: usize,
        /// The byte offset it reads.
        k: u32,
    },
    /// `ld M[slot]` or `ldx M[slot]` before any store to that slot.
    UninitMem {
        /// Where the load is.
        pc: usize,
        /// The scratch word it reads.
        slot: u32,
    },
    /// The jump at `pc` leads past the end of the program.
    JumpOutOfRange {
        /// Where the jump is.
        pc: usize,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RunError::FellOffEnd { pc } => {
                write!(f, "pc {pc}: ran off the end of the program without a ret")
            }
            RunError::InvalidInsn { pc, insn } => write!(
                f,
                "pc {pc}: invalid instruction (code {:#06x}, jt {}, jf {}, k {:#x})",
                insn.code, insn.jt, insn.jf, insn.k
            ),
            RunError::LoadOutOfRange { pc, k } => write!(
                f,
                "pc {pc}: load of offset {k} outside seccomp_data (64 bytes, 4-aligned)"
            ),
            RunError::UninitMem { pc, slot } => {
                write!(f, "pc {pc}: read of M[{slot}] before any store")
            }
            RunError::JumpOutOfRange { pc } => {
                write!(f, "pc {pc}: jump target past the end of the program")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Runs `prog` on `data` as the kernel runs a loaded seccomp filter.
pub fn run(prog: &Program, data: &SeccompData) -> Result<Outcome, RunError> {
    run_observed(prog, data, |_| {})
}

/// Like [`run`], and also returns the pcs executed, in order (coverage).
pub fn run_traced(prog: &Program, data: &SeccompData) -> (Result<Outcome, RunError>, Vec<usize>) {
    let mut trace = Vec::new();
    let result = run_observed(prog, data, |pc| trace.push(pc));
    (result, trace)
}

/// The interpreter loop; `step` sees each pc before its instruction runs.
fn run_observed(
    prog: &Program,
    data: &SeccompData,
    mut step: impl FnMut(usize),
) -> Result<Outcome, RunError> {
    let len = prog.insns.len();
    let mut machine = Machine::default();
    let mut pc = 0usize;
    let mut executed = 0usize;
    while pc < len {
        step(pc);
        executed += 1;
        match machine.execute(prog.insns[pc], pc, len, data)? {
            Flow::Next(next) => pc = next,
            Flow::Return(ret) => return Ok(Outcome { ret, executed }),
        }
    }
    Err(RunError::FellOffEnd { pc: len })
}

/// What happens after one instruction.
enum Flow {
    /// Continue at this pc.
    Next(usize),
    /// Stop with this value.
    Return(u32),
}

/// The registers and scratch memory of a run.
#[derive(Default)]
struct Machine {
    a: u32,
    x: u32,
    mem: [u32; MEMWORDS as usize],
    /// Bit k: `M[k]` was stored on this path.
    written: u16,
}

impl Machine {
    /// Runs the instruction at `pc` of a program of `len` instructions.
    fn execute(
        &mut self,
        insn: Insn,
        pc: usize,
        len: usize,
        data: &SeccompData,
    ) -> Result<Flow, RunError> {
        let invalid = RunError::InvalidInsn { pc, insn };
        let d = decode(&insn).map_err(|_| invalid)?;
        if !seccomp_allows(d) {
            return Err(invalid);
        }
        let k = insn.k;
        let jump = |off: u64| {
            jump_target(pc, off, len)
                .map(Flow::Next)
                .ok_or(RunError::JumpOutOfRange { pc })
        };
        match d {
            Decoded::LdAbs(Size::W) => {
                self.a = data.word(k).ok_or(RunError::LoadOutOfRange { pc, k })?;
            }
            Decoded::LdLen(r) => *self.reg(r) = DATA_SIZE,
            Decoded::LdImm(r) => *self.reg(r) = k,
            Decoded::LdMem(r) => *self.reg(r) = self.load(k, pc).ok_or(invalid)??,
            Decoded::Store(r) => {
                let slot = self.mem.get_mut(k as usize).ok_or(invalid)?;
                *slot = if r == Reg::A { self.a } else { self.x };
                self.written |= 1 << k;
            }
            Decoded::Tax => self.x = self.a,
            Decoded::Txa => self.a = self.x,
            Decoded::Neg => self.a = self.a.wrapping_neg(),
            Decoded::Alu(alu, src) => {
                let operand = if src == Src::X { self.x } else { k };
                match self.alu(alu, src, operand) {
                    Some(a) => self.a = a,
                    // `div x` with X == 0: the converted program returns 0.
                    None if src == Src::X => return Ok(Flow::Return(0)),
                    None => return Err(invalid),
                }
            }
            Decoded::Ja => return jump(u64::from(k)),
            Decoded::Jmp(cond, src) => {
                let operand = if src == Src::X { self.x } else { k };
                let taken = cond.holds(self.a, operand);
                return jump(u64::from(if taken { insn.jt } else { insn.jf }));
            }
            Decoded::Ret(RetSrc::K) => return Ok(Flow::Return(k)),
            Decoded::Ret(RetSrc::A) => return Ok(Flow::Return(self.a)),
            // Refused by `seccomp_allows` above.
            Decoded::LdAbs(Size::H | Size::B)
            | Decoded::LdInd(_)
            | Decoded::LdxMsh
            | Decoded::Mod(_) => return Err(invalid),
        }
        Ok(Flow::Next(pc + 1))
    }

    fn reg(&mut self, r: Reg) -> &mut u32 {
        match r {
            Reg::A => &mut self.a,
            Reg::X => &mut self.x,
        }
    }

    /// `M[k]`: `None` for a slot out of range, an error before any store.
    fn load(&self, k: u32, pc: usize) -> Option<Result<u32, RunError>> {
        let v = *self.mem.get(k as usize)?;
        Some(if self.written & (1 << k) == 0 {
            Err(RunError::UninitMem { pc, slot: k })
        } else {
            Ok(v)
        })
    }

    /// `A op operand`; `None` for a division by zero or a shift by a
    /// constant of 32 or more (refused by the loader).
    fn alu(&self, alu: AluOp, src: Src, operand: u32) -> Option<u32> {
        let a = self.a;
        Some(match alu {
            AluOp::Add => a.wrapping_add(operand),
            AluOp::Sub => a.wrapping_sub(operand),
            AluOp::Mul => a.wrapping_mul(operand),
            AluOp::Div => a.checked_div(operand)?,
            AluOp::And => a & operand,
            AluOp::Or => a | operand,
            AluOp::Xor => a ^ operand,
            AluOp::Lsh | AluOp::Rsh if src == Src::K && operand >= 32 => return None,
            AluOp::Lsh => a << (operand & 31),
            AluOp::Rsh => a >> (operand & 31),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{AluOp, JmpCond};
    use crate::seccomp::{offset, Arch};

    fn data() -> SeccompData {
        SeccompData {
            nr: 59,
            arch: Arch::X86_64.audit(),
            instruction_pointer: 0x7fff_1234_5678,
            args: [1, 2, 0x1_0000_0003, 4, 5, u64::MAX],
        }
    }

    fn ret_of(insns: Vec<Insn>) -> Result<Outcome, RunError> {
        run(&Program::new(insns), &data())
    }

    fn a_after(insns: &[Insn]) -> u32 {
        let mut v = insns.to_vec();
        v.push(Insn::ret_a());
        ret_of(v).unwrap().ret
    }

    #[test]
    fn loads() {
        assert_eq!(a_after(&[Insn::ld_abs(offset::NR)]), 59);
        assert_eq!(a_after(&[Insn::ld_abs(offset::ARCH)]), 0xc000_003e);
        assert_eq!(a_after(&[Insn::ld_abs(offset::IP_HI)]), 0x7fff);
        assert_eq!(a_after(&[Insn::ld_abs(offset::arg_hi(2))]), 1);
        assert_eq!(a_after(&[Insn::ld_abs(offset::arg_lo(2))]), 3);
        assert_eq!(a_after(&[Insn::ld_len()]), 64);
        assert_eq!(a_after(&[Insn::ldx_len(), Insn::txa()]), 64);
        assert_eq!(a_after(&[Insn::ld_imm(7)]), 7);
        assert_eq!(a_after(&[Insn::ldx_imm(9), Insn::txa()]), 9);
        assert_eq!(a_after(&[]), 0, "A starts at 0");
        assert_eq!(a_after(&[Insn::ld_imm(5), Insn::txa()]), 0, "X starts at 0");
        assert_eq!(
            a_after(&[Insn::ld_imm(5), Insn::tax(), Insn::ld_imm(0), Insn::txa()]),
            5
        );
    }

    #[test]
    fn alu_table() {
        use AluOp::*;
        // (op, A, operand, expected)
        let cases: &[(AluOp, u32, u32, u32)] = &[
            (Add, u32::MAX, 2, 1),
            (Sub, 1, 2, u32::MAX),
            (Mul, 0x8000_0000, 2, 0),
            (Mul, 7, 6, 42),
            (Div, 7, 2, 3),
            (Div, u32::MAX, 0x10, 0x0fff_ffff),
            (And, 0xf0f0, 0xff00, 0xf000),
            (Or, 0xf0, 0x0f, 0xff),
            (Xor, 0xff, 0x0f, 0xf0),
            (Lsh, 1, 31, 0x8000_0000),
            (Lsh, 3, 0, 3),
            (Rsh, 0x8000_0000, 31, 1),
            (Rsh, 0x8000_0000, 4, 0x0800_0000), // logical, not arithmetic
        ];
        for &(alu, a, operand, want) in cases {
            let by_k = a_after(&[Insn::ld_imm(a), Insn::alu_k(alu, operand)]);
            assert_eq!(by_k, want, "{alu:?} #{operand} on {a:#x}");
            let by_x = a_after(&[Insn::ldx_imm(operand), Insn::ld_imm(a), Insn::alu_x(alu)]);
            assert_eq!(by_x, want, "{alu:?} x={operand} on {a:#x}");
        }
        assert_eq!(a_after(&[Insn::ld_imm(1), Insn::neg()]), u32::MAX);
        assert_eq!(a_after(&[Insn::neg()]), 0);
    }

    #[test]
    fn shift_by_x_masks_to_five_bits() {
        for (x, want) in [(32, 1), (33, 2), (63, 0x8000_0000), (0xffff_ffe1, 2)] {
            let got = a_after(&[Insn::ldx_imm(x), Insn::ld_imm(1), Insn::alu_x(AluOp::Lsh)]);
            assert_eq!(got, want, "1 << (x={x:#x})");
        }
        let got = a_after(&[
            Insn::ldx_imm(36),
            Insn::ld_imm(0x100),
            Insn::alu_x(AluOp::Rsh),
        ]);
        assert_eq!(got, 0x10);
    }

    #[test]
    fn div_by_x_zero_returns_zero() {
        let out = ret_of(vec![
            Insn::ld_imm(10),
            Insn::alu_x(AluOp::Div),
            Insn::ret_k(0x7fff_0000),
        ])
        .unwrap();
        assert_eq!(
            out,
            Outcome {
                ret: 0,
                executed: 2
            }
        );
        assert_eq!(out.verdict(), Verdict::KillThread);
    }

    #[test]
    fn scratch_memory() {
        assert_eq!(
            a_after(&[
                Insn::ld_imm(3),
                Insn::st(15),
                Insn::ldx_imm(4),
                Insn::stx(0),
                Insn::ld_mem(0),
                Insn::tax(),
                Insn::ld_mem(15),
                Insn::alu_x(AluOp::Add),
            ]),
            7
        );
        assert_eq!(
            ret_of(vec![Insn::ld_mem(3), Insn::ret_a()]),
            Err(RunError::UninitMem { pc: 0, slot: 3 })
        );
        assert_eq!(
            ret_of(vec![Insn::st(2), Insn::ldx_mem(3), Insn::ret_a()]),
            Err(RunError::UninitMem { pc: 1, slot: 3 })
        );
        let bad = Insn::st(16);
        assert_eq!(
            ret_of(vec![bad, Insn::ret_a()]),
            Err(RunError::InvalidInsn { pc: 0, insn: bad })
        );
    }

    #[test]
    fn jumps_and_counts() {
        // ld nr; jeq #59, +1, +0; ret KILL; ja +1; ret ERRNO; ret ALLOW
        let p = vec![
            Insn::ld_abs(0),
            Insn::jmp_k(JmpCond::Eq, 59, 1, 0),
            Insn::ret_k(0),
            Insn::ja(1),
            Insn::ret_k(0x0005_0001),
            Insn::ret_k(0x7fff_0000),
        ];
        assert_eq!(
            ret_of(p.clone()),
            Ok(Outcome {
                ret: 0x7fff_0000,
                executed: 4
            })
        );
        let (res, trace) = run_traced(&Program::new(p), &data());
        assert!(res.is_ok());
        assert_eq!(trace, vec![0, 1, 3, 5]);
        // Conditions are unsigned; jset tests bits.
        let cases = [
            (JmpCond::Gt, 0x8000_0000u32, 1u32, true),
            (JmpCond::Ge, 5, 5, true),
            (JmpCond::Gt, 5, 5, false),
            (JmpCond::Set, 0b1010, 0b0100, false),
            (JmpCond::Set, 0b1010, 0b0010, true),
            (JmpCond::Eq, 1, 2, false),
        ];
        for (cond, a, k, taken) in cases {
            for by_x in [false, true] {
                let j = if by_x {
                    Insn::jmp_x(cond, 1, 0)
                } else {
                    Insn::jmp_k(cond, k, 1, 0)
                };
                let r = ret_of(vec![
                    Insn::ldx_imm(k),
                    Insn::ld_imm(a),
                    j,
                    Insn::ret_k(0),
                    Insn::ret_k(1),
                ]);
                assert_eq!(r.unwrap().ret, u32::from(taken), "{cond:?} {a:#x} {k:#x}");
            }
        }
    }

    #[test]
    fn errors_on_unverified_programs() {
        assert_eq!(ret_of(vec![]), Err(RunError::FellOffEnd { pc: 0 }));
        assert_eq!(
            ret_of(vec![Insn::ld_imm(1)]),
            Err(RunError::FellOffEnd { pc: 1 })
        );
        assert_eq!(
            ret_of(vec![Insn::ja(u32::MAX), Insn::ret_k(0)]),
            Err(RunError::JumpOutOfRange { pc: 0 })
        );
        assert_eq!(
            ret_of(vec![Insn::jmp_k(JmpCond::Eq, 0, 5, 0), Insn::ret_k(0)]),
            Err(RunError::JumpOutOfRange { pc: 0 })
        );
        assert_eq!(
            ret_of(vec![Insn::ld_abs(64), Insn::ret_k(0)]),
            Err(RunError::LoadOutOfRange { pc: 0, k: 64 })
        );
        assert_eq!(
            ret_of(vec![Insn::ld_abs(2), Insn::ret_k(0)]),
            Err(RunError::LoadOutOfRange { pc: 0, k: 2 })
        );
        for code in [
            0x28u16,
            0x30,
            0x40,
            0xb1,
            0x94,
            0x9c,
            0x0e,
            0x0f,
            0x8f,
            0x1e,
            0x24 | 0x100,
        ] {
            let bad = Insn::new(code, 0, 0, 1);
            assert_eq!(
                ret_of(vec![bad, Insn::ret_k(0)]),
                Err(RunError::InvalidInsn { pc: 0, insn: bad }),
                "code {code:#x}"
            );
        }
        for bad in [
            Insn::alu_k(AluOp::Div, 0),
            Insn::alu_k(AluOp::Lsh, 32),
            Insn::ldx_mem(99),
        ] {
            assert_eq!(
                ret_of(vec![Insn::st(0), bad, Insn::ret_k(0)]),
                Err(RunError::InvalidInsn { pc: 1, insn: bad })
            );
        }
    }

    #[test]
    fn display_names_the_pc() {
        assert_eq!(
            RunError::UninitMem { pc: 4, slot: 2 }.to_string(),
            "pc 4: read of M[2] before any store"
        );
    }
}
