//! The decoded form of an opcode: which of the 49 classic-BPF instructions a
//! `code` is, or why it is none.
//!
//! [`decode`] mirrors the table of `chk_code_allowed` (net/core/filter.c),
//! which `bpf_check_classic` consults before anything else: a code is valid
//! iff it is one of the table's exact values, so a known instruction with a
//! stray bit (`ret x` 0x0e, `tax` 0x0f, `ja` with the X bit 0x0d, any code
//! from 0x100 up) is refused. Seccomp's narrower allowlist
//! (`seccomp_check_filter`, kernel/seccomp.c) is a property of the loader,
//! not of the encoding: it lives in [`crate::verify::seccomp_allows`], on
//! this decoded form.

use std::fmt;

use super::{class, misc, mode, op, size, src, AluOp, Insn, JmpCond};

/// The register a load writes, a store reads, or a source names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reg {
    /// The accumulator (`BPF_LD`, `BPF_ST`).
    A,
    /// The index register (`BPF_LDX`, `BPF_STX`).
    X,
}

/// The width of a packet load (`BPF_SIZE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    /// 32 bits (`BPF_W`).
    W,
    /// 16 bits (`BPF_H`).
    H,
    /// 8 bits (`BPF_B`).
    B,
}

/// The second operand of an ALU operation or a conditional jump (`BPF_SRC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Src {
    /// The constant `k`.
    K,
    /// The register `X`.
    X,
}

/// What a `ret` returns (`BPF_RVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetSrc {
    /// The constant `k`.
    K,
    /// The accumulator.
    A,
}

/// One classic-BPF opcode, decoded: every entry of `chk_code_allowed`'s
/// table is exactly one value of this type ([`Decoded::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decoded {
    /// `ld [k]` (W), `ldh [k]`, `ldb [k]`: `BPF_LD | size | BPF_ABS`.
    LdAbs(Size),
    /// `ld [x + k]` of each size: `BPF_LD | size | BPF_IND`.
    LdInd(Size),
    /// `ld #k`, `ldx #k`: `BPF_IMM`.
    LdImm(Reg),
    /// `ld M[k]`, `ldx M[k]`: `BPF_MEM`.
    LdMem(Reg),
    /// `ld #len`, `ldx #len`: `BPF_W | BPF_LEN`.
    LdLen(Reg),
    /// `ldx 4*([k]&0xf)`: `BPF_LDX | BPF_B | BPF_MSH`.
    LdxMsh,
    /// `st M[k]`, `stx M[k]`: `BPF_ST`, `BPF_STX`.
    Store(Reg),
    /// `A = A op operand`.
    Alu(AluOp, Src),
    /// `A = A % operand` (`BPF_MOD`, which seccomp refuses).
    Mod(Src),
    /// `A = -A`.
    Neg,
    /// `pc += 1 + k`.
    Ja,
    /// `pc += 1 + (A cond operand ? jt : jf)`.
    Jmp(JmpCond, Src),
    /// Return `k` or `A`.
    Ret(RetSrc),
    /// `X = A` (`BPF_MISC | BPF_TAX`).
    Tax,
    /// `A = X` (`BPF_MISC | BPF_TXA`).
    Txa,
}

/// A `code` that is not in the kernel's classic-BPF table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InvalidOpcode {
    /// The refused code.
    pub code: u16,
}

impl fmt::Display for InvalidOpcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "opcode {:#06x} is not classic BPF", self.code)
    }
}

impl std::error::Error for InvalidOpcode {}

/// Decodes `insn.code`; see [`Decoded::from_code`].
pub fn decode(insn: &Insn) -> Result<Decoded, InvalidOpcode> {
    Decoded::from_code(insn.code)
}

const fn size_bits(s: Size) -> u16 {
    match s {
        Size::W => size::W,
        Size::H => size::H,
        Size::B => size::B,
    }
}

const fn src_bits(s: Src) -> u16 {
    match s {
        Src::K => src::K,
        Src::X => src::X,
    }
}

/// `BPF_LD` for A, `BPF_LDX` for X.
const fn load_class(r: Reg) -> u16 {
    match r {
        Reg::A => class::LD,
        Reg::X => class::LDX,
    }
}

impl Decoded {
    /// Every decoded opcode, in the order of `chk_code_allowed`'s table
    /// (ALU, loads, stores, misc, returns, jumps): 49 values.
    pub const ALL: [Decoded; 49] = ALL;

    /// The `code` field, as `include/uapi/linux/bpf_common.h` composes it.
    pub const fn encode(self) -> u16 {
        match self {
            Decoded::LdAbs(s) => class::LD | size_bits(s) | mode::ABS,
            Decoded::LdInd(s) => class::LD | size_bits(s) | mode::IND,
            Decoded::LdImm(r) => load_class(r) | size::W | mode::IMM,
            Decoded::LdMem(r) => load_class(r) | size::W | mode::MEM,
            Decoded::LdLen(r) => load_class(r) | size::W | mode::LEN,
            Decoded::LdxMsh => class::LDX | size::B | mode::MSH,
            Decoded::Store(Reg::A) => class::ST,
            Decoded::Store(Reg::X) => class::STX,
            Decoded::Alu(alu, s) => class::ALU | alu.bits() | src_bits(s),
            Decoded::Mod(s) => class::ALU | op::MOD | src_bits(s),
            Decoded::Neg => class::ALU | op::NEG,
            Decoded::Ja => class::JMP | op::JA,
            Decoded::Jmp(cond, s) => class::JMP | cond.bits() | src_bits(s),
            Decoded::Ret(RetSrc::K) => class::RET | src::K,
            Decoded::Ret(RetSrc::A) => class::RET | src::A,
            Decoded::Tax => class::MISC | misc::TAX,
            Decoded::Txa => class::MISC | misc::TXA,
        }
    }

    /// Decodes a `code` as `chk_code_allowed` accepts it: the class, size,
    /// mode, operation and source fields are read, and the result counts
    /// only if it encodes back to exactly `code` (so no stray bit passes).
    pub const fn from_code(code: u16) -> Result<Decoded, InvalidOpcode> {
        let candidate = match code & 0x07 {
            class::LD | class::LDX => load(code),
            class::ST => Some(Decoded::Store(Reg::A)),
            class::STX => Some(Decoded::Store(Reg::X)),
            class::ALU => alu(code),
            class::JMP => jump(code),
            class::RET => match code & 0x18 {
                src::K => Some(Decoded::Ret(RetSrc::K)),
                src::A => Some(Decoded::Ret(RetSrc::A)),
                _ => None, // BPF_X (`ret x`) is not in the table
            },
            _ => match code & 0xf8 {
                misc::TAX => Some(Decoded::Tax),
                misc::TXA => Some(Decoded::Txa),
                _ => None,
            },
        };
        match candidate {
            Some(d) if d.encode() == code => Ok(d),
            _ => Err(InvalidOpcode { code }),
        }
    }

    /// The operand source of an ALU operation or a conditional jump.
    pub const fn src(self) -> Option<Src> {
        match self {
            Decoded::Alu(_, s) | Decoded::Mod(s) | Decoded::Jmp(_, s) => Some(s),
            _ => None,
        }
    }
}

/// The `BPF_LD`/`BPF_LDX` candidates by mode and size.
const fn load(code: u16) -> Option<Decoded> {
    let r = if code & 0x07 == class::LD {
        Reg::A
    } else {
        Reg::X
    };
    let s = match code & 0x18 {
        size::W => Size::W,
        size::H => Size::H,
        size::B => Size::B,
        _ => return None, // BPF_DW is eBPF only
    };
    Some(match (code & 0xe0, r) {
        (mode::ABS, Reg::A) => Decoded::LdAbs(s),
        (mode::IND, Reg::A) => Decoded::LdInd(s),
        (mode::IMM, _) => Decoded::LdImm(r),
        (mode::MEM, _) => Decoded::LdMem(r),
        (mode::LEN, _) => Decoded::LdLen(r),
        (mode::MSH, Reg::X) => Decoded::LdxMsh,
        _ => return None,
    })
}

const fn src_of(code: u16) -> Src {
    if code & src::X != 0 {
        Src::X
    } else {
        Src::K
    }
}

/// The `BPF_ALU` candidates by operation.
const fn alu(code: u16) -> Option<Decoded> {
    let s = src_of(code);
    match code & 0xf0 {
        op::NEG => Some(Decoded::Neg),
        op::MOD => Some(Decoded::Mod(s)),
        bits => match AluOp::from_bits(bits) {
            Some(alu) => Some(Decoded::Alu(alu, s)),
            None => None,
        },
    }
}

/// The `BPF_JMP` candidates by operation.
const fn jump(code: u16) -> Option<Decoded> {
    match code & 0xf0 {
        op::JA => Some(Decoded::Ja),
        bits => match JmpCond::from_bits(bits) {
            Some(cond) => Some(Decoded::Jmp(cond, src_of(code))),
            None => None,
        },
    }
}

/// [`Decoded::ALL`], in the order of `chk_code_allowed`'s table.
const ALL: [Decoded; 49] = {
    use Decoded as D;
    [
        D::Alu(AluOp::Add, Src::K),
        D::Alu(AluOp::Add, Src::X),
        D::Alu(AluOp::Sub, Src::K),
        D::Alu(AluOp::Sub, Src::X),
        D::Alu(AluOp::Mul, Src::K),
        D::Alu(AluOp::Mul, Src::X),
        D::Alu(AluOp::Div, Src::K),
        D::Alu(AluOp::Div, Src::X),
        D::Mod(Src::K),
        D::Mod(Src::X),
        D::Alu(AluOp::And, Src::K),
        D::Alu(AluOp::And, Src::X),
        D::Alu(AluOp::Or, Src::K),
        D::Alu(AluOp::Or, Src::X),
        D::Alu(AluOp::Xor, Src::K),
        D::Alu(AluOp::Xor, Src::X),
        D::Alu(AluOp::Lsh, Src::K),
        D::Alu(AluOp::Lsh, Src::X),
        D::Alu(AluOp::Rsh, Src::K),
        D::Alu(AluOp::Rsh, Src::X),
        D::Neg,
        D::LdAbs(Size::W),
        D::LdAbs(Size::H),
        D::LdAbs(Size::B),
        D::LdLen(Reg::A),
        D::LdInd(Size::W),
        D::LdInd(Size::H),
        D::LdInd(Size::B),
        D::LdImm(Reg::A),
        D::LdMem(Reg::A),
        D::LdLen(Reg::X),
        D::LdxMsh,
        D::LdImm(Reg::X),
        D::LdMem(Reg::X),
        D::Store(Reg::A),
        D::Store(Reg::X),
        D::Tax,
        D::Txa,
        D::Ret(RetSrc::K),
        D::Ret(RetSrc::A),
        D::Ja,
        D::Jmp(JmpCond::Eq, Src::K),
        D::Jmp(JmpCond::Eq, Src::X),
        D::Jmp(JmpCond::Ge, Src::K),
        D::Jmp(JmpCond::Ge, Src::X),
        D::Jmp(JmpCond::Gt, Src::K),
        D::Jmp(JmpCond::Gt, Src::X),
        D::Jmp(JmpCond::Set, Src::K),
        D::Jmp(JmpCond::Set, Src::X),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_then_encode_is_the_identity_on_every_code() {
        let mut valid = 0;
        for code in 0..=u16::MAX {
            match Decoded::from_code(code) {
                Ok(d) => {
                    assert_eq!(d.encode(), code, "{d:?}");
                    valid += 1;
                }
                Err(e) => assert_eq!(e, InvalidOpcode { code }),
            }
        }
        assert_eq!(valid, 49);
    }

    #[test]
    fn encode_then_decode_is_the_identity_on_every_form() {
        let mut codes: Vec<u16> = Decoded::ALL.iter().map(|d| d.encode()).collect();
        for d in Decoded::ALL {
            assert_eq!(Decoded::from_code(d.encode()), Ok(d));
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 49, "ALL lists 49 distinct forms");
    }

    #[test]
    fn decode_reads_the_instruction_code() {
        assert_eq!(decode(&Insn::ld_abs(4)), Ok(Decoded::LdAbs(Size::W)));
        assert_eq!(
            decode(&Insn::jmp_x(JmpCond::Set, 1, 2)),
            Ok(Decoded::Jmp(JmpCond::Set, Src::X))
        );
        assert_eq!(
            decode(&Insn::new(0x0e, 0, 0, 0)).unwrap_err().to_string(),
            "opcode 0x000e is not classic BPF"
        );
    }
}
