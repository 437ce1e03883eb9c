//! The instruction model: one classic-BPF instruction, exactly as the kernel's
//! `struct sock_filter` (include/uapi/linux/filter.h) lays it out.
//!
//! ```text
//! struct sock_filter {   /* 8 bytes, host byte order */
//!     __u16 code;        /* class | size/op | mode/src */
//!     __u8  jt;          /* conditional jumps: offset when true  */
//!     __u8  jf;          /*                    offset when false */
//!     __u32 k;           /* generic field */
//! };
//! ```
//!
//! The `code` field packs three parts (include/uapi/linux/bpf_common.h):
//!
//! ```text
//!   bits 0..=2  class  LD LDX ST STX ALU JMP RET MISC
//!   bits 3..=4  size   W H B          (LD/LDX)
//!   bits 5..=7  mode   IMM ABS IND MEM LEN MSH   (LD/LDX)
//!   bits 3     src    K X            (ALU/JMP), or RVAL for RET: K X A
//!   bits 4..=7  op     ADD SUB … / JA JEQ JGT JGE JSET
//! ```
//!
//! The constructors below cover every opcode that seccomp accepts
//! (`seccomp_check_filter` in kernel/seccomp.c); [`Insn::new`] builds any
//! other code for tests and for reading foreign programs. [`decode`] turns a
//! code into [`Decoded`], the one place that reads these bit fields: the
//! interpreter, verifier, disassembler, assembler and analyses match on it.

mod decoded;

pub use decoded::{decode, Decoded, InvalidOpcode, Reg, RetSrc, Size, Src};

/// Instruction classes (`BPF_CLASS(code)`, bits 0..=2), as
/// include/uapi/linux/bpf_common.h defines them.
pub mod class {
    /// `BPF_LD`: load into A.
    pub const LD: u16 = 0x00;
    /// `BPF_LDX`: load into X.
    pub const LDX: u16 = 0x01;
    /// `BPF_ST`: store A into a scratch word.
    pub const ST: u16 = 0x02;
    /// `BPF_STX`: store X into a scratch word.
    pub const STX: u16 = 0x03;
    /// `BPF_ALU`: arithmetic on A.
    pub const ALU: u16 = 0x04;
    /// `BPF_JMP`: jumps.
    pub const JMP: u16 = 0x05;
    /// `BPF_RET`: end the program with a value.
    pub const RET: u16 = 0x06;
    /// `BPF_MISC`: register transfers (`tax`, `txa`).
    pub const MISC: u16 = 0x07;
}

/// Load sizes (`BPF_SIZE(code)`, bits 3..=4), as
/// include/uapi/linux/bpf_common.h defines them.
pub mod size {
    /// `BPF_W`: a 32-bit word.
    pub const W: u16 = 0x00;
    /// `BPF_H`: a 16-bit half word.
    pub const H: u16 = 0x08;
    /// `BPF_B`: a byte.
    pub const B: u16 = 0x10;
}

/// Load modes (`BPF_MODE(code)`, bits 5..=7), as
/// include/uapi/linux/bpf_common.h and include/uapi/linux/filter.h
/// (`BPF_MSH`) define them.
pub mod mode {
    /// `BPF_IMM`: the constant `k`.
    pub const IMM: u16 = 0x00;
    /// `BPF_ABS`: the input at byte offset `k`.
    pub const ABS: u16 = 0x20;
    /// `BPF_IND`: the input at byte offset `X + k`.
    pub const IND: u16 = 0x40;
    /// `BPF_MEM`: scratch word `M[k]`.
    pub const MEM: u16 = 0x60;
    /// `BPF_LEN`: the length of the input.
    pub const LEN: u16 = 0x80;
    /// `BPF_MSH`: `4 * (P[k] & 0xf)`, the IP header length (`ldx` only).
    pub const MSH: u16 = 0xa0;
}

/// ALU and jump operations (`BPF_OP(code)`, bits 4..=7), as
/// include/uapi/linux/bpf_common.h defines them.
pub mod op {
    /// `BPF_ADD`: `A += operand`.
    pub const ADD: u16 = 0x00;
    /// `BPF_SUB`: `A -= operand`.
    pub const SUB: u16 = 0x10;
    /// `BPF_MUL`: `A *= operand`.
    pub const MUL: u16 = 0x20;
    /// `BPF_DIV`: `A /= operand` (unsigned).
    pub const DIV: u16 = 0x30;
    /// `BPF_OR`: `A |= operand`.
    pub const OR: u16 = 0x40;
    /// `BPF_AND`: `A &= operand`.
    pub const AND: u16 = 0x50;
    /// `BPF_LSH`: `A <<= operand`.
    pub const LSH: u16 = 0x60;
    /// `BPF_RSH`: `A >>= operand` (logical).
    pub const RSH: u16 = 0x70;
    /// `BPF_NEG`: `A = -A`.
    pub const NEG: u16 = 0x80;
    /// `BPF_MOD`: `A %= operand` (rejected by seccomp).
    pub const MOD: u16 = 0x90;
    /// `BPF_XOR`: `A ^= operand`.
    pub const XOR: u16 = 0xa0;

    /// `BPF_JA`: jump always, over `k` instructions.
    pub const JA: u16 = 0x00;
    /// `BPF_JEQ`: jump if `A == operand`.
    pub const JEQ: u16 = 0x10;
    /// `BPF_JGT`: jump if `A > operand` (unsigned).
    pub const JGT: u16 = 0x20;
    /// `BPF_JGE`: jump if `A >= operand` (unsigned).
    pub const JGE: u16 = 0x30;
    /// `BPF_JSET`: jump if `A & operand != 0`.
    pub const JSET: u16 = 0x40;
}

/// Operand source (`BPF_SRC(code)`, bit 3) for ALU and JMP, and
/// `BPF_RVAL(code)` (bits 3..=4) for RET, as
/// include/uapi/linux/bpf_common.h and include/uapi/linux/filter.h define
/// them.
pub mod src {
    /// `BPF_K`: the operand is the constant `k` (for RET: `ret #k`).
    pub const K: u16 = 0x00;
    /// `BPF_X`: the operand is register X.
    pub const X: u16 = 0x08;
    /// `BPF_RVAL` A: `ret a`.
    pub const A: u16 = 0x10;
}

/// MISC operations (`BPF_MISCOP(code)`), as include/uapi/linux/filter.h
/// defines them.
pub mod misc {
    /// `BPF_TAX`: `X = A`.
    pub const TAX: u16 = 0x00;
    /// `BPF_TXA`: `A = X`.
    pub const TXA: u16 = 0x80;
}

/// Number of scratch memory words `M[]` (`BPF_MEMWORDS`).
pub const MEMWORDS: u32 = 16;

/// The largest program the kernel accepts (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// An arithmetic operation of the `ALU` class that seccomp accepts.
///
/// `MOD` is deliberately absent: `seccomp_check_filter` rejects it (the
/// decoder has it as [`Decoded::Mod`]; `NEG`, with no operand, is [`Decoded::Neg`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    /// `BPF_ADD`: `A += operand` (wrapping).
    Add,
    /// `BPF_SUB`: `A -= operand` (wrapping).
    Sub,
    /// `BPF_MUL`: `A *= operand` (wrapping).
    Mul,
    /// `BPF_DIV`: `A /= operand`, unsigned; `div #0` is refused at load
    /// (`bpf_check_classic`) and `div x` with `X == 0` returns 0
    /// (`bpf_convert_filter`, both in net/core/filter.c).
    Div,
    /// `BPF_AND`: `A &= operand`.
    And,
    /// `BPF_OR`: `A |= operand`.
    Or,
    /// `BPF_XOR`: `A ^= operand`.
    Xor,
    /// `BPF_LSH`: `A <<= operand`.
    Lsh,
    /// `BPF_RSH`: `A >>= operand`, logical.
    Rsh,
}

impl AluOp {
    /// Every operation, in the order of the text form's listings.
    pub const ALL: [AluOp; 9] = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Div,
        AluOp::And,
        AluOp::Or,
        AluOp::Xor,
        AluOp::Lsh,
        AluOp::Rsh,
    ];

    /// The `BPF_OP` bits.
    pub const fn bits(self) -> u16 {
        match self {
            AluOp::Add => op::ADD,
            AluOp::Sub => op::SUB,
            AluOp::Mul => op::MUL,
            AluOp::Div => op::DIV,
            AluOp::And => op::AND,
            AluOp::Or => op::OR,
            AluOp::Xor => op::XOR,
            AluOp::Lsh => op::LSH,
            AluOp::Rsh => op::RSH,
        }
    }

    /// Decodes the `BPF_OP` bits of an ALU instruction (`NEG` and `MOD` excluded).
    pub const fn from_bits(bits: u16) -> Option<AluOp> {
        Some(match bits {
            op::ADD => AluOp::Add,
            op::SUB => AluOp::Sub,
            op::MUL => AluOp::Mul,
            op::DIV => AluOp::Div,
            op::AND => AluOp::And,
            op::OR => AluOp::Or,
            op::XOR => AluOp::Xor,
            op::LSH => AluOp::Lsh,
            op::RSH => AluOp::Rsh,
            _ => return None,
        })
    }

    /// The mnemonic used by the text form.
    pub const fn mnemonic(self) -> &'static str {
        match self {
            AluOp::Add => "add",
            AluOp::Sub => "sub",
            AluOp::Mul => "mul",
            AluOp::Div => "div",
            AluOp::And => "and",
            AluOp::Or => "or",
            AluOp::Xor => "xor",
            AluOp::Lsh => "lsh",
            AluOp::Rsh => "rsh",
        }
    }
}

/// The condition of a conditional jump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JmpCond {
    /// `A == operand`
    Eq,
    /// `A >= operand` (unsigned)
    Ge,
    /// `A > operand` (unsigned)
    Gt,
    /// `A & operand != 0`
    Set,
}

impl JmpCond {
    /// Every condition.
    pub const ALL: [JmpCond; 4] = [JmpCond::Eq, JmpCond::Ge, JmpCond::Gt, JmpCond::Set];

    /// The `BPF_OP` bits.
    pub const fn bits(self) -> u16 {
        match self {
            JmpCond::Eq => op::JEQ,
            JmpCond::Ge => op::JGE,
            JmpCond::Gt => op::JGT,
            JmpCond::Set => op::JSET,
        }
    }

    /// Decodes the `BPF_OP` bits of a conditional jump.
    pub const fn from_bits(bits: u16) -> Option<JmpCond> {
        Some(match bits {
            op::JEQ => JmpCond::Eq,
            op::JGE => JmpCond::Ge,
            op::JGT => JmpCond::Gt,
            op::JSET => JmpCond::Set,
            _ => return None,
        })
    }

    /// Evaluates the condition on unsigned 32-bit operands, as the kernel does.
    pub const fn holds(self, a: u32, operand: u32) -> bool {
        match self {
            JmpCond::Eq => a == operand,
            JmpCond::Ge => a >= operand,
            JmpCond::Gt => a > operand,
            JmpCond::Set => a & operand != 0,
        }
    }

    /// The mnemonic used by the text form.
    pub const fn mnemonic(self) -> &'static str {
        match self {
            JmpCond::Eq => "jeq",
            JmpCond::Ge => "jge",
            JmpCond::Gt => "jgt",
            JmpCond::Set => "jset",
        }
    }
}

/// One classic-BPF instruction, field for field the kernel's `struct sock_filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    /// The opcode: class, size/op and mode/source bits ([`decode`] reads them).
    pub code: u16,
    /// A conditional jump's offset when its condition holds.
    pub jt: u8,
    /// A conditional jump's offset when its condition does not hold.
    pub jf: u8,
    /// The generic field: constant, offset, scratch index or jump length.
    pub k: u32,
}

impl Insn {
    /// Any instruction, valid or not.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
        Insn { code, jt, jf, k }
    }

    /// A non-jump instruction of the decoded form `d`, with `k`.
    pub const fn op(d: Decoded, k: u32) -> Insn {
        Insn::new(d.encode(), 0, 0, k)
    }

    /// `ld [k]` — A = 32-bit word at byte offset `k` of `struct seccomp_data`.
    pub const fn ld_abs(k: u32) -> Insn {
        Insn::op(Decoded::LdAbs(Size::W), k)
    }

    /// `ld #len` — A = the length of the input (64 for seccomp).
    pub const fn ld_len() -> Insn {
        Insn::op(Decoded::LdLen(Reg::A), 0)
    }

    /// `ld #k` — A = k.
    pub const fn ld_imm(k: u32) -> Insn {
        Insn::op(Decoded::LdImm(Reg::A), k)
    }

    /// `ld M[k]` — A = scratch word k.
    pub const fn ld_mem(k: u32) -> Insn {
        Insn::op(Decoded::LdMem(Reg::A), k)
    }

    /// `ldx #k` — X = k.
    pub const fn ldx_imm(k: u32) -> Insn {
        Insn::op(Decoded::LdImm(Reg::X), k)
    }

    /// `ldx #len` — X = the length of the input (64 for seccomp).
    pub const fn ldx_len() -> Insn {
        Insn::op(Decoded::LdLen(Reg::X), 0)
    }

    /// `ldx M[k]` — X = scratch word k.
    pub const fn ldx_mem(k: u32) -> Insn {
        Insn::op(Decoded::LdMem(Reg::X), k)
    }

    /// `st M[k]` — scratch word k = A.
    pub const fn st(k: u32) -> Insn {
        Insn::op(Decoded::Store(Reg::A), k)
    }

    /// `stx M[k]` — scratch word k = X.
    pub const fn stx(k: u32) -> Insn {
        Insn::op(Decoded::Store(Reg::X), k)
    }

    /// `<op> #k` — A = A op k.
    pub const fn alu_k(alu: AluOp, k: u32) -> Insn {
        Insn::op(Decoded::Alu(alu, Src::K), k)
    }

    /// `<op> x` — A = A op X.
    pub const fn alu_x(alu: AluOp) -> Insn {
        Insn::op(Decoded::Alu(alu, Src::X), 0)
    }

    /// `neg` — A = -A.
    pub const fn neg() -> Insn {
        Insn::op(Decoded::Neg, 0)
    }

    /// `ja +k` — unconditional jump over `k` instructions.
    pub const fn ja(k: u32) -> Insn {
        Insn::op(Decoded::Ja, k)
    }

    /// `j<cond> #k, +jt, +jf` — compare A with the constant k.
    pub const fn jmp_k(cond: JmpCond, k: u32, jt: u8, jf: u8) -> Insn {
        Insn::new(Decoded::Jmp(cond, Src::K).encode(), jt, jf, k)
    }

    /// `j<cond> x, +jt, +jf` — compare A with X.
    pub const fn jmp_x(cond: JmpCond, jt: u8, jf: u8) -> Insn {
        Insn::new(Decoded::Jmp(cond, Src::X).encode(), jt, jf, 0)
    }

    /// `ret #k` — return the constant k.
    pub const fn ret_k(k: u32) -> Insn {
        Insn::op(Decoded::Ret(RetSrc::K), k)
    }

    /// `ret a` — return A.
    pub const fn ret_a() -> Insn {
        Insn::op(Decoded::Ret(RetSrc::A), 0)
    }

    /// `tax` — X = A.
    pub const fn tax() -> Insn {
        Insn::op(Decoded::Tax, 0)
    }

    /// `txa` — A = X.
    pub const fn txa() -> Insn {
        Insn::op(Decoded::Txa, 0)
    }

    /// The `BPF_CLASS` bits.
    pub const fn class(self) -> u16 {
        self.code & 0x07
    }

    /// True for `ja` ([`Decoded::Ja`]).
    pub const fn is_ja(self) -> bool {
        matches!(Decoded::from_code(self.code), Ok(Decoded::Ja))
    }

    /// True for `ret #k` and `ret a` ([`Decoded::Ret`]).
    pub const fn is_ret(self) -> bool {
        matches!(Decoded::from_code(self.code), Ok(Decoded::Ret(_)))
    }

    /// The instruction as the kernel stores it: 8 bytes, host byte order.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[0..2].copy_from_slice(&self.code.to_ne_bytes());
        out[2] = self.jt;
        out[3] = self.jf;
        out[4..8].copy_from_slice(&self.k.to_ne_bytes());
        out
    }

    /// Reads one instruction from 8 bytes in host byte order.
    pub fn from_bytes(bytes: [u8; 8]) -> Insn {
        Insn {
            code: u16::from_ne_bytes([bytes[0], bytes[1]]),
            jt: bytes[2],
            jf: bytes[3],
            k: u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }
}

/// Where a jump of `off` from `pc` lands (`pc + 1 + off`), when that is
/// inside a program of `len` instructions (the kernel rejects the rest).
pub fn jump_target(pc: usize, off: u64, len: usize) -> Option<usize> {
    let to = pc as u64 + 1 + off;
    (to < len as u64).then_some(to as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_produce_the_kernel_opcodes() {
        // Values from include/uapi/linux/filter.h and bpf_common.h.
        assert_eq!(Insn::ld_abs(0).code, 0x20);
        assert_eq!(Insn::ld_imm(0).code, 0x00);
        assert_eq!(Insn::ld_len().code, 0x80);
        assert_eq!(Insn::ld_mem(0).code, 0x60);
        assert_eq!(Insn::ldx_imm(0).code, 0x01);
        assert_eq!(Insn::ldx_mem(0).code, 0x61);
        assert_eq!(Insn::ldx_len().code, 0x81);
        assert_eq!(Insn::st(0).code, 0x02);
        assert_eq!(Insn::stx(0).code, 0x03);
        assert_eq!(Insn::alu_k(AluOp::And, 1).code, 0x54);
        assert_eq!(Insn::alu_x(AluOp::Add).code, 0x0c);
        assert_eq!(Insn::neg().code, 0x84);
        assert_eq!(Insn::ja(0).code, 0x05);
        assert_eq!(Insn::jmp_k(JmpCond::Eq, 0, 0, 0).code, 0x15);
        assert_eq!(Insn::jmp_k(JmpCond::Gt, 0, 0, 0).code, 0x25);
        assert_eq!(Insn::jmp_k(JmpCond::Ge, 0, 0, 0).code, 0x35);
        assert_eq!(Insn::jmp_k(JmpCond::Set, 0, 0, 0).code, 0x45);
        assert_eq!(Insn::jmp_x(JmpCond::Eq, 0, 0).code, 0x1d);
        assert_eq!(Insn::ret_k(0).code, 0x06);
        assert_eq!(Insn::ret_a().code, 0x16);
        assert_eq!(Insn::tax().code, 0x07);
        assert_eq!(Insn::txa().code, 0x87);
    }

    #[test]
    fn bytes_round_trip_in_host_order() {
        let insn = Insn::jmp_k(JmpCond::Eq, 0xc000_003e, 1, 2);
        assert_eq!(Insn::from_bytes(insn.to_bytes()), insn);
        assert_eq!(&insn.to_bytes()[2..4], &[1, 2]);
    }
}
