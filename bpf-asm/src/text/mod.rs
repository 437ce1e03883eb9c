//! The text form: a disassembler for people and an assembler that reads it back.
//!
//! # Syntax
//!
//! One instruction per line. Blank lines are ignored. A comment starts with
//! `;` anywhere, or with `#` as the first non-blank character of a line (`#`
//! elsewhere marks an immediate). Each line is
//!
//! ```text
//! [prefix:]... [instruction] [; comment]
//! ```
//!
//! where a prefix is either a **label** (`name:`, a name starts with a letter
//! or `_` and continues with letters, digits, `_` and `.`) or a **pc
//! annotation** (`12:`, decimal), which the assembler checks against the
//! instruction's actual position. Instructions:
//!
//! | text                         | instruction                              |
//! | ---------------------------- | ---------------------------------------- |
//! | `ld [nr]` `ld [arch]` `ld [ip.lo]` `ld [ip.hi]` `ld [args[N].lo]` `ld [args[N].hi]` `ld [K]` | `LD W ABS`, a field of `seccomp_data` or a byte offset |
//! | `ld #len`, `ldx #len`        | `LD W LEN`, `LDX W LEN`                  |
//! | `ld #K`, `ldx #K`            | `LD IMM`, `LDX IMM`                      |
//! | `ld M[K]`, `ldx M[K]`, `st M[K]`, `stx M[K]` | scratch memory            |
//! | `add sub mul div and or xor lsh rsh` + `#K` or `x` | `ALU` K or X form  |
//! | `neg`, `tax`, `txa`          |                                          |
//! | `ja T`                       | `JMP JA`                                 |
//! | `jeq jgt jge jset` + `#K, T, F` or `x, T, F` | conditional jumps         |
//! | `ret ACTION`, `ret #K`, `ret a` | `RET K`, `RET A`                      |
//! | `.insn CODE, JT, JF, K`      | any instruction, raw                     |
//!
//! - **Numbers** are decimal or `0x` hex. An immediate `#K` may also be an
//!   audit arch name (`#AUDIT_ARCH_X86_64`) or, with [`assemble_with`], a
//!   name the caller resolves (`#execve`); bpf-asm knows no syscall names.
//! - **Jump targets** `T`/`F` are an absolute pc (`14`), a relative offset
//!   (`+3`, meaning pc + 1 + 3), or a label. Targets must lie ahead; a
//!   target may lie past the end of the program (the verifier, not the
//!   assembler, rejects that). A conditional target more than 255
//!   instructions ahead is an **error**: the assembler never truncates and
//!   never relaxes (use [`crate::Builder`] for that), so what you write is
//!   byte for byte what you get.
//! - **Actions**: `KILL_PROCESS`, `KILL_THREAD` (alias `KILL`), `TRAP(N)`,
//!   `ERRNO(N)`, `USER_NOTIF`, `TRACE(N)`, `LOG`, `ALLOW`; `N` is the 16-bit
//!   data (`TRAP` alone means `TRAP(0)`).
//! - **Ignored fields.** Fields the kernel ignores (jt/jf of non-conditional
//!   instructions, k of `tax txa neg ret a ld #len`, X-form ALU and jumps)
//!   are written as suffixes `jt=N jf=N k=N` when non-zero, so the text
//!   keeps every bit: `tax k=0x5`, `ld [nr] jt=1`.
//! - **Raw escape.** Codes outside seccomp's allowlist, which have no
//!   mnemonic here, are written `.insn 0x28, 0, 0, 0xc`.
//!
//! The disassembler writes returns by name when the value decodes
//! canonically and as `ret #0x…` otherwise (an `ALLOW` with data bits, an
//! unknown action), so for **every** program `assemble(&disassemble(p, o)) == p`.
//!
//! # Disassembly
//!
//! ```text
//!    0: ld [arch]
//!    1: jeq #AUDIT_ARCH_X86_64, 3, 2
//!    2: ret KILL_PROCESS
//!    3: ld [nr]
//!    4: jeq #0x3b, 5, 6                 ; execve
//!    5: ret ERRNO(1)
//!    6: ret ALLOW
//! ```
//!
//! Targets are absolute pcs, or labels `L5` with [`DisasmOptions::labels`].
//! Compares are annotated from a forward data-flow of what `A` holds: an
//! immediate compared with `seccomp_data.arch` is written by its
//! `AUDIT_ARCH_*` name, and a compare with `nr` gets the syscall's name as a
//! comment when [`DisasmOptions::arch`] and [`DisasmOptions::syscall_name`]
//! are given.

mod asm;
mod disasm;

pub use asm::{assemble, assemble_with, AsmError};
pub use disasm::{disassemble, DisasmOptions};

use crate::insn::{Decoded, RetSrc, Src};
use crate::seccomp::{offset, Verdict};

/// The name of a 4-byte word of `seccomp_data`, as written inside `ld [..]`.
pub fn field_name(k: u32) -> Option<String> {
    match k {
        offset::NR => return Some("nr".into()),
        offset::ARCH => return Some("arch".into()),
        offset::IP_LO => return Some("ip.lo".into()),
        offset::IP_HI => return Some("ip.hi".into()),
        _ => {}
    }
    (0..6).find_map(|i| {
        if offset::arg_lo(i) == k {
            Some(format!("args[{i}].lo"))
        } else if offset::arg_hi(i) == k {
            Some(format!("args[{i}].hi"))
        } else {
            None
        }
    })
}

/// The byte offset a field name written inside `ld [..]` stands for.
pub fn field_offset(name: &str) -> Option<u32> {
    (0..64)
        .step_by(4)
        .find(|&k| field_name(k).as_deref() == Some(name))
}

/// A return value as the text form writes it: `ALLOW`, `ERRNO(1)`, or
/// `#0x7fff0001` when the value is not the canonical encoding of a known action.
pub fn action_text(k: u32) -> String {
    let v = Verdict::from_raw(k);
    if matches!(v, Verdict::Unknown(_)) || v.to_raw() != k {
        return format!("#{k:#x}");
    }
    match v.data() {
        Some(d) => format!("{}({d})", v.name()),
        None => v.name().to_string(),
    }
}

/// `(uses jt/jf, uses k)`: the fields the kernel reads for an instruction.
pub(crate) fn used_fields(d: Decoded) -> (bool, bool) {
    match d {
        Decoded::Jmp(_, src) => (true, src == Src::K),
        Decoded::Alu(_, src) | Decoded::Mod(src) => (false, src == Src::K),
        Decoded::LdLen(_) | Decoded::Tax | Decoded::Txa | Decoded::Neg => (false, false),
        Decoded::Ret(RetSrc::A) => (false, false),
        Decoded::Ret(RetSrc::K)
        | Decoded::LdAbs(_)
        | Decoded::LdInd(_)
        | Decoded::LdxMsh
        | Decoded::LdImm(_)
        | Decoded::LdMem(_)
        | Decoded::Store(_)
        | Decoded::Ja => (false, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{AluOp, Insn, JmpCond};
    use crate::program::Program;
    use crate::seccomp::Arch;

    #[test]
    fn disassembly_reads_well() {
        let p = Program::new(vec![
            Insn::ld_abs(4),
            Insn::jmp_k(JmpCond::Eq, Arch::X86_64.audit(), 1, 0),
            Insn::ret_k(0x8000_0000),
            Insn::ld_abs(0),
            Insn::jmp_k(JmpCond::Eq, 59, 0, 1),
            Insn::ret_k(0x0005_0001),
            Insn::ret_k(0x7fff_0000),
        ]);
        let names = |_: Arch, nr: u32| (nr == 59).then(|| "execve".to_string());
        let opts = DisasmOptions {
            arch: Some(Arch::X86_64),
            syscall_name: Some(&names),
            labels: false,
        };
        let text = disassemble(&p, &opts);
        let want = "  0: ld [arch]
  1: jeq #AUDIT_ARCH_X86_64, 3, 2
  2: ret KILL_PROCESS
  3: ld [nr]
  4: jeq #0x3b, 5, 6                    ; execve
  5: ret ERRNO(1)
  6: ret ALLOW
";
        assert_eq!(text, want);
    }

    fn asm(text: &str) -> Vec<Insn> {
        match assemble(text) {
            Ok(p) => p.insns,
            Err(e) => panic!("{e}\n{text}"),
        }
    }

    fn asm_err(text: &str) -> String {
        assemble(text).unwrap_err().to_string()
    }

    #[test]
    fn assembles_every_form() {
        let text = "
            # a whole-line comment
            start:  ld [arch]            ; trailing comment
                    jeq #AUDIT_ARCH_X86_64, +1, kill
                    ld [nr]
                    jge #0x40000000, kill, 4
                    jeq #59, 5, +0
                    ja done
            kill:   ret KILL_PROCESS
                    ret ERRNO(1)
            done:   ret ALLOW
                    ld [args[2].hi]
                    ld [ip.lo]
                    ld [60]
                    ld #len
                    ldx #len
                    ld #7
                    ldx #0x10
                    st M[15]
                    stx M[0]
                    ld M[15]
                    ldx M[0]
                    add #1
                    sub x
                    mul #3
                    div #2
                    and #0xff
                    or x
                    xor #1
                    lsh #31
                    rsh x
                    neg
                    tax
                    txa
                    jset x, +0, +0
                    ret TRAP(3)
                    ret TRACE(5)
                    ret LOG
                    ret USER_NOTIF
                    ret KILL_THREAD
                    ret #0x7fff0001
                    ret a
            12:     .insn 0x28, 1, 2, 0x3
        ";
        // the `12:` annotation is wrong on purpose: check it errors first.
        assert!(asm_err(text).contains("pc annotation 12 does not match"));
        let text = text.replace("12:", "40:");
        let p = asm(&text);
        assert_eq!(p.len(), 41);
        assert_eq!(p[1], Insn::jmp_k(JmpCond::Eq, 0xc000_003e, 1, 4));
        assert_eq!(p[3], Insn::jmp_k(JmpCond::Ge, 0x4000_0000, 2, 0));
        assert_eq!(p[4], Insn::jmp_k(JmpCond::Eq, 59, 0, 0));
        assert_eq!(p[5], Insn::ja(2));
        assert_eq!(p[9], Insn::ld_abs(offset::arg_hi(2)));
        assert_eq!(p[10], Insn::ld_abs(8));
        assert_eq!(p[11], Insn::ld_abs(60));
        assert_eq!(p[12], Insn::ld_len());
        assert_eq!(p[13], Insn::ldx_len());
        assert_eq!(p[21], Insn::alu_x(AluOp::Sub));
        assert_eq!(p[31], Insn::txa());
        assert_eq!(p[32], Insn::jmp_x(JmpCond::Set, 0, 0));
        assert_eq!(p[33], Insn::ret_k(0x0003_0003));
        assert_eq!(p[37], Insn::ret_k(0));
        assert_eq!(p[38], Insn::ret_k(0x7fff_0001));
        assert_eq!(p[39], Insn::ret_a());
        assert_eq!(p[40], Insn::new(0x28, 1, 2, 3));
    }

    #[test]
    fn ignored_fields_round_trip_as_suffixes() {
        let odd = vec![
            Insn::new(Insn::tax().code, 0, 0, 5),
            Insn::new(Insn::ld_abs(0).code, 1, 0, 0),
            Insn::new(Insn::ld_len().code, 2, 3, 64),
            Insn::new(Insn::ja(0).code, 9, 8, 0),
            Insn::new(Insn::alu_x(AluOp::Add).code, 0, 0, 0xdead),
            Insn::new(Insn::jmp_x(JmpCond::Gt, 0, 0).code, 0, 0, 1),
            Insn::new(Insn::ret_a().code, 1, 1, 1),
            Insn::new(Insn::ret_k(0).code, 4, 0, 0x7fff_0000),
            Insn::new(0xffff, 255, 255, u32::MAX),
        ];
        let text = disassemble(&Program::new(odd.clone()), &DisasmOptions::default());
        assert!(text.contains("tax k=0x5"), "{text}");
        assert!(text.contains("ld [nr] jt=1"), "{text}");
        assert!(
            text.contains(".insn 0xffff, 255, 255, 0xffffffff"),
            "{text}"
        );
        assert_eq!(asm(&text), odd);
    }

    #[test]
    fn labels_mode_round_trips() {
        let p = Program::new(vec![
            Insn::ld_abs(0),
            Insn::jmp_k(JmpCond::Eq, 1, 2, 0),
            Insn::ja(1),
            Insn::ret_k(0),
            Insn::ret_k(0x7fff_0000),
            Insn::jmp_k(JmpCond::Eq, 1, 200, 0), // past the end: stays a number
        ]);
        let opts = DisasmOptions {
            labels: true,
            ..DisasmOptions::default()
        };
        let text = disassemble(&p, &opts);
        assert!(text.contains("jeq #0x1, L4, L2"), "{text}");
        assert!(text.contains("jeq #0x1, 206, 6"), "{text}");
        assert_eq!(assemble(&text).unwrap(), p);
    }

    #[test]
    fn resolver_names_constants() {
        let resolve = |name: &str| (name == "execve").then_some(59);
        let p = assemble_with("ld [nr]\njeq #execve, +0, +0\nret ALLOW", &resolve).unwrap();
        assert_eq!(p.insns[1].k, 59);
        assert_eq!(
            asm_err("ld [nr]\njeq #execve, +0, +0"),
            "line 2, column 6: unknown name 'execve'"
        );
    }

    #[test]
    fn errors_have_line_and_column() {
        let cases = [
            ("ld [nr]\nret ALLOW\n    jqe #1, 2, 3", "line 3, column 5: unknown mnemonic 'jqe'"),
            ("ld [foo]", "line 1, column 5: unknown field 'foo' (nr, arch, ip.lo, ip.hi, args[N].lo, args[N].hi)"),
            ("jeq #1, 300, +0", "line 1, column 9: jump target is 299 instructions ahead; a conditional jump reaches at most 255"),
            ("ret ALLOW\nja 1", "line 2, column 4: jump target 1 is not ahead of pc 1: classic BPF only jumps forward"),
            ("ja nowhere", "line 1, column 4: unknown label 'nowhere'"),
            ("a: ret a\na: ret a", "line 2, column 1: label 'a' is already defined on line 1"),
            ("ld #0x1ffffffff", "line 1, column 5: number 0x1ffffffff out of range (max 0xffffffff)"),
            ("ret ERRNO(70000)", "line 1, column 11: number 70000 out of range (max 0xffff)"),
            ("ret BOGUS", "line 1, column 5: unknown action 'BOGUS'"),
            ("jeq #1, +0 +0", "line 1, column 12: expected ',' after the true target"),
            ("tax jt=1 jt=2", "line 1, column 10: 'jt=' given twice"),
            ("jeq #1, +0, +0 jt=1", "line 1, column 16: 'jt' is an operand of this instruction, not a suffix"),
            ("ret a junk", "line 1, column 7: unexpected 'junk'"),
        ];
        for (text, want) in cases {
            assert_eq!(asm_err(text), want, "{text}");
        }
    }

    #[test]
    fn display_of_one_insn_is_relative() {
        assert_eq!(
            Insn::jmp_k(JmpCond::Eq, 0x3b, 3, 0).to_string(),
            "jeq #0x3b, +3, +0"
        );
        assert_eq!(Insn::ja(7).to_string(), "ja +7");
        assert_eq!(Insn::ret_k(0x0005_0001).to_string(), "ret ERRNO(1)");
        assert_eq!(Insn::ret_k(0x1234_0000).to_string(), "ret #0x12340000");
        // Display output assembles back (relative targets).
        for insn in [Insn::jmp_k(JmpCond::Gt, 1, 2, 3), Insn::ja(9), Insn::st(3)] {
            assert_eq!(asm(&insn.to_string()), vec![insn]);
        }
    }
}
