//! The one decoder against the verifier that mirrors the kernel's loader:
//! a code is valid classic BPF iff it decodes, seccomp takes it iff it
//! decodes to a form `seccomp_allows`, and the interpreter refuses the rest.
//! The oracle is the kernel's two tables, transcribed below.

use bpf_asm::insn::{class as c, misc as m, mode as md, op as o, size as s, src as r};
use bpf_asm::insn::{decode, Decoded};
use bpf_asm::seccomp::ret;
use bpf_asm::verify::{seccomp_allows, verify, DiagnosticKind};
use bpf_asm::{run, Insn, Program, RunError, SeccompData};
use proptest::prelude::*;

/// `chk_code_allowed`'s table (net/core/filter.c), transcribed entry by
/// entry as the kernel writes it: the oracle for [`decode`] and the verifier.
const CLASSIC: [u16; 49] = [
    // 32 bit ALU operations
    c::ALU | o::ADD | r::K,
    c::ALU | o::ADD | r::X,
    c::ALU | o::SUB | r::K,
    c::ALU | o::SUB | r::X,
    c::ALU | o::MUL | r::K,
    c::ALU | o::MUL | r::X,
    c::ALU | o::DIV | r::K,
    c::ALU | o::DIV | r::X,
    c::ALU | o::MOD | r::K,
    c::ALU | o::MOD | r::X,
    c::ALU | o::AND | r::K,
    c::ALU | o::AND | r::X,
    c::ALU | o::OR | r::K,
    c::ALU | o::OR | r::X,
    c::ALU | o::XOR | r::K,
    c::ALU | o::XOR | r::X,
    c::ALU | o::LSH | r::K,
    c::ALU | o::LSH | r::X,
    c::ALU | o::RSH | r::K,
    c::ALU | o::RSH | r::X,
    c::ALU | o::NEG,
    // Load instructions
    c::LD | s::W | md::ABS,
    c::LD | s::H | md::ABS,
    c::LD | s::B | md::ABS,
    c::LD | s::W | md::LEN,
    c::LD | s::W | md::IND,
    c::LD | s::H | md::IND,
    c::LD | s::B | md::IND,
    c::LD | md::IMM,
    c::LD | md::MEM,
    c::LDX | s::W | md::LEN,
    c::LDX | s::B | md::MSH,
    c::LDX | md::IMM,
    c::LDX | md::MEM,
    // Store instructions
    c::ST,
    c::STX,
    // Misc instructions
    c::MISC | m::TAX,
    c::MISC | m::TXA,
    // Return instructions
    c::RET | r::K,
    c::RET | r::A,
    // Jump instructions
    c::JMP | o::JA,
    c::JMP | o::JEQ | r::K,
    c::JMP | o::JEQ | r::X,
    c::JMP | o::JGE | r::K,
    c::JMP | o::JGE | r::X,
    c::JMP | o::JGT | r::K,
    c::JMP | o::JGT | r::X,
    c::JMP | o::JSET | r::K,
    c::JMP | o::JSET | r::X,
];

/// The cases of `seccomp_check_filter`'s `switch` (kernel/seccomp.c), in the
/// kernel's order: the codes a seccomp filter may contain.
const SECCOMP: [u16; 41] = [
    c::LD | s::W | md::ABS,
    c::LD | s::W | md::LEN,
    c::LDX | s::W | md::LEN,
    c::RET | r::K,
    c::RET | r::A,
    c::ALU | o::ADD | r::K,
    c::ALU | o::ADD | r::X,
    c::ALU | o::SUB | r::K,
    c::ALU | o::SUB | r::X,
    c::ALU | o::MUL | r::K,
    c::ALU | o::MUL | r::X,
    c::ALU | o::DIV | r::K,
    c::ALU | o::DIV | r::X,
    c::ALU | o::AND | r::K,
    c::ALU | o::AND | r::X,
    c::ALU | o::OR | r::K,
    c::ALU | o::OR | r::X,
    c::ALU | o::XOR | r::K,
    c::ALU | o::XOR | r::X,
    c::ALU | o::LSH | r::K,
    c::ALU | o::LSH | r::X,
    c::ALU | o::RSH | r::K,
    c::ALU | o::RSH | r::X,
    c::ALU | o::NEG,
    c::LD | md::IMM,
    c::LDX | md::IMM,
    c::MISC | m::TAX,
    c::MISC | m::TXA,
    c::LD | md::MEM,
    c::LDX | md::MEM,
    c::ST,
    c::STX,
    c::JMP | o::JA,
    c::JMP | o::JEQ | r::K,
    c::JMP | o::JEQ | r::X,
    c::JMP | o::JGE | r::K,
    c::JMP | o::JGE | r::X,
    c::JMP | o::JGT | r::K,
    c::JMP | o::JGT | r::X,
    c::JMP | o::JSET | r::K,
    c::JMP | o::JSET | r::X,
];

/// The kinds the verifier reports at pc 0 of `[insn, ret ALLOW]`.
fn kinds_at_0(insn: Insn) -> Vec<DiagnosticKind> {
    let prog = Program::new(vec![insn, Insn::ret_k(ret::ALLOW)]);
    verify(&prog)
        .errors
        .into_iter()
        .filter(|d| d.pc == Some(0))
        .map(|d| d.kind)
        .collect()
}

/// Checks one instruction: the verifier's opcode verdicts are the decoder's.
fn agrees(insn: Insn) {
    let kinds = kinds_at_0(insn);
    let decoded = decode(&insn);
    assert_eq!(
        kinds.contains(&DiagnosticKind::OpcodeNotAllowed),
        decoded.is_err(),
        "{insn:?}: {kinds:?}"
    );
    assert_eq!(
        kinds.contains(&DiagnosticKind::NotAllowedBySeccomp),
        decoded.is_ok_and(|d| !seccomp_allows(d)),
        "{insn:?}: {kinds:?}"
    );
    if !decoded.is_ok_and(seccomp_allows) {
        let prog = Program::new(vec![insn, Insn::ret_k(ret::ALLOW)]);
        assert_eq!(
            run(&prog, &SeccompData::default()),
            Err(RunError::InvalidInsn { pc: 0, insn }),
            "{insn:?}"
        );
    }
}

#[test]
fn every_code_is_valid_iff_it_decodes() {
    for code in 0..=u16::MAX {
        agrees(Insn::new(code, 0, 0, 1));
    }
}

#[test]
fn decode_and_the_verifier_accept_exactly_the_kernels_tables() {
    for code in 0..=u16::MAX {
        let insn = Insn::new(code, 0, 0, 0);
        let kinds = kinds_at_0(insn);
        let classic = CLASSIC.contains(&code);
        let seccomp = SECCOMP.contains(&code);
        assert_eq!(decode(&insn).is_ok(), classic, "{code:#06x}");
        assert_eq!(
            decode(&insn).is_ok_and(seccomp_allows),
            seccomp,
            "{code:#06x}"
        );
        assert_eq!(
            !kinds.contains(&DiagnosticKind::OpcodeNotAllowed),
            classic,
            "{code:#06x}"
        );
        let refused = kinds.contains(&DiagnosticKind::NotAllowedBySeccomp);
        assert_eq!(refused, classic && !seccomp, "{code:#06x}");
    }
}

#[test]
fn all_lists_the_kernels_table_in_its_order() {
    let codes: Vec<u16> = Decoded::ALL.iter().map(|d| d.encode()).collect();
    assert_eq!(codes, CLASSIC);
}

#[test]
fn forms_seccomp_allows_are_the_41_of_its_allowlist() {
    let allowed = Decoded::ALL.iter().filter(|d| seccomp_allows(**d)).count();
    assert_eq!(allowed, 41);
}

proptest! {
    #[test]
    fn decode_agrees_with_the_verifier_on_any_instruction(
        code in any::<u16>(),
        jt in any::<u8>(),
        jf in any::<u8>(),
        k in any::<u32>(),
    ) {
        agrees(Insn::new(code, jt, jf, k));
    }

    #[test]
    fn decode_agrees_with_the_verifier_on_near_valid_codes(
        form in 0usize..49,
        bit in 0u32..16,
        k in any::<u32>(),
    ) {
        let code = Decoded::ALL[form].encode();
        agrees(Insn::new(code, 0, 0, k));
        agrees(Insn::new(code ^ (1 << bit), 0, 0, k));
    }
}
