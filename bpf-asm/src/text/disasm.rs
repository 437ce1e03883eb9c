//! The disassembler: a program as text, compares annotated from what the
//! accumulator holds (see the [module doc](super)).

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use super::{action_text, field_name, used_fields};
use crate::insn::{decode, jump_target, Decoded, Insn, JmpCond, Reg, RetSrc, Size, Src};
use crate::program::Program;
use crate::seccomp::{offset, Arch};
use crate::verify::seccomp_allows;

/// Options for [`disassemble`].
#[derive(Clone, Copy, Default)]
pub struct DisasmOptions<'a> {
    /// The arch the program is for: enables syscall-name comments.
    pub arch: Option<Arch>,
    /// Names a syscall number of an arch (bpf-asm has no tables).
    pub syscall_name: Option<&'a dyn Fn(Arch, u32) -> Option<String>>,
    /// Write jump targets as labels `L<pc>` instead of pc numbers.
    pub labels: bool,
}

impl fmt::Debug for DisasmOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisasmOptions")
            .field("arch", &self.arch)
            .field("syscall_name", &self.syscall_name.map(|_| ".."))
            .field("labels", &self.labels)
            .finish()
    }
}

/// What the accumulator is known to hold at an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Holds {
    Nr,
    Arch,
    Other,
}

/// How to write one instruction's jump targets and immediate.
struct Style<'a> {
    /// Writes the target at `offset` from the instruction.
    target: &'a dyn Fn(u64) -> String,
    /// The immediate of a conditional jump compares with `arch`.
    arch_imm: bool,
}

/// The decoded form of the instructions the text form has mnemonics for:
/// those seccomp accepts. Any other code is written raw (`.insn`).
fn mnemonic_form(insn: Insn) -> Option<Decoded> {
    decode(&insn).ok().filter(|d| seccomp_allows(*d))
}

/// The register letter in `ld`/`ldx`, `st`/`stx`.
fn reg_suffix(r: Reg) -> &'static str {
    match r {
        Reg::A => "",
        Reg::X => "x",
    }
}

/// `.insn CODE, JT, JF, K`: the escape for codes without a mnemonic.
fn write_raw(out: &mut String, insn: Insn) {
    let Insn { code, jt, jf, k } = insn;
    let _ = write!(out, ".insn {code:#x}, {jt}, {jf}, {k:#x}");
}

/// Writes one instruction (no pc, no comment).
fn insn_text(out: &mut String, insn: Insn, style: &Style<'_>) {
    let Insn { jt, jf, k, .. } = insn;
    let Some(d) = mnemonic_form(insn) else {
        write_raw(out, insn);
        return;
    };
    let target = style.target;
    let imm = |k: u32| -> String {
        match Arch::from_audit(k) {
            Some(a) if style.arch_imm => format!("#{}", a.audit_name()),
            _ => format!("#{k:#x}"),
        }
    };
    let _ = match d {
        Decoded::LdAbs(Size::W) => match field_name(k) {
            Some(name) => write!(out, "ld [{name}]"),
            None => write!(out, "ld [{k}]"),
        },
        Decoded::LdLen(r) => write!(out, "ld{} #len", reg_suffix(r)),
        Decoded::LdImm(r) => write!(out, "ld{} #{k:#x}", reg_suffix(r)),
        Decoded::LdMem(r) => write!(out, "ld{} M[{k}]", reg_suffix(r)),
        Decoded::Store(r) => write!(out, "st{} M[{k}]", reg_suffix(r)),
        Decoded::Tax => write!(out, "tax"),
        Decoded::Txa => write!(out, "txa"),
        Decoded::Neg => write!(out, "neg"),
        Decoded::Alu(alu, Src::K) => write!(out, "{} #{k:#x}", alu.mnemonic()),
        Decoded::Alu(alu, Src::X) => write!(out, "{} x", alu.mnemonic()),
        Decoded::Ja => write!(out, "ja {}", target(u64::from(k))),
        Decoded::Jmp(cond, src) => {
            let operand = if src == Src::X { "x".into() } else { imm(k) };
            let (t, f) = (target(u64::from(jt)), target(u64::from(jf)));
            write!(out, "{} {operand}, {t}, {f}", cond.mnemonic())
        }
        Decoded::Ret(RetSrc::K) => write!(out, "ret {}", action_text(k)),
        Decoded::Ret(RetSrc::A) => write!(out, "ret a"),
        // Not seccomp's: `mnemonic_form` filtered them out; written raw all the same.
        Decoded::LdAbs(Size::H | Size::B)
        | Decoded::LdInd(_)
        | Decoded::LdxMsh
        | Decoded::Mod(_) => {
            write_raw(out, insn);
            return;
        }
    };
    let (uses_jumps, uses_k) = used_fields(d);
    if !uses_jumps {
        if jt != 0 {
            let _ = write!(out, " jt={jt}");
        }
        if jf != 0 {
            let _ = write!(out, " jf={jf}");
        }
    }
    if !uses_k && k != 0 {
        let _ = write!(out, " k={k:#x}");
    }
}

/// One instruction alone, with relative targets: `jeq #0x3b, +3, +0`.
impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        let target = |off: u64| format!("+{off}");
        insn_text(
            &mut s,
            *self,
            &Style {
                target: &target,
                arch_imm: false,
            },
        );
        f.write_str(&s)
    }
}

/// True for the instructions that write the accumulator.
fn writes_a(d: Decoded) -> bool {
    match d {
        Decoded::LdAbs(_)
        | Decoded::LdInd(_)
        | Decoded::LdImm(Reg::A)
        | Decoded::LdMem(Reg::A)
        | Decoded::LdLen(Reg::A)
        | Decoded::Alu(..)
        | Decoded::Mod(_)
        | Decoded::Neg
        | Decoded::Txa => true,
        Decoded::LdImm(Reg::X)
        | Decoded::LdMem(Reg::X)
        | Decoded::LdLen(Reg::X)
        | Decoded::LdxMsh
        | Decoded::Store(_)
        | Decoded::Tax
        | Decoded::Ja
        | Decoded::Jmp(..)
        | Decoded::Ret(_) => false,
    }
}

/// Forward data-flow: what `A` holds on entry to each instruction.
/// Jumps only go forward, so one pass in pc order sees every predecessor first.
fn accumulator_facts(prog: &Program) -> Vec<Holds> {
    let len = prog.len();
    let mut incoming: Vec<Option<Holds>> = vec![None; len];
    if len > 0 {
        incoming[0] = Some(Holds::Other);
    }
    let mut facts = Vec::with_capacity(len);
    let join = |slot: &mut Option<Holds>, h: Holds| {
        *slot = Some(match *slot {
            None => h,
            Some(old) if old == h => h,
            Some(_) => Holds::Other,
        });
    };
    for (pc, insn) in prog.insns.iter().enumerate() {
        let here = incoming[pc].unwrap_or(Holds::Other);
        facts.push(here);
        let d = decode(insn);
        let after = match d {
            Ok(Decoded::LdAbs(Size::W)) => match insn.k {
                offset::NR => Holds::Nr,
                offset::ARCH => Holds::Arch,
                _ => Holds::Other,
            },
            Ok(d) if writes_a(d) => Holds::Other,
            Ok(_) => here,
            // The kernel refuses it: what it would do to A is unknown.
            Err(_) => Holds::Other,
        };
        let mut flow = |off: u64, h: Holds| {
            if let Some(to) = jump_target(pc, off, len) {
                join(&mut incoming[to], h);
            }
        };
        match d {
            Ok(Decoded::Ret(_)) => {}
            Ok(Decoded::Ja) => flow(u64::from(insn.k), after),
            Ok(Decoded::Jmp(..)) => {
                flow(u64::from(insn.jt), after);
                flow(u64::from(insn.jf), after);
            }
            _ => flow(0, after),
        }
    }
    facts
}

/// The pcs that a jump lands on (inside the program): these get labels.
fn landing_pcs(prog: &Program) -> BTreeSet<usize> {
    let len = prog.len();
    let mut targets = BTreeSet::new();
    for (pc, insn) in prog.insns.iter().enumerate() {
        let offs = match decode(insn) {
            Ok(Decoded::Ja) => vec![u64::from(insn.k)],
            Ok(Decoded::Jmp(..)) => vec![u64::from(insn.jt), u64::from(insn.jf)],
            _ => vec![],
        };
        for off in offs {
            if let Some(to) = jump_target(pc, off, len) {
                targets.insert(to);
            }
        }
    }
    targets
}

/// The program as text, one instruction per line; see the module doc.
pub fn disassemble(prog: &Program, opts: &DisasmOptions) -> String {
    let len = prog.len();
    let facts = accumulator_facts(prog);
    let width = len.saturating_sub(1).to_string().len().max(3);
    let targets = if opts.labels {
        landing_pcs(prog)
    } else {
        BTreeSet::new()
    };
    let mut out = String::new();
    for (pc, insn) in prog.insns.iter().enumerate() {
        if opts.labels && targets.contains(&pc) {
            let _ = writeln!(out, "L{pc}:");
        }
        let target = |off: u64| -> String {
            let to = pc as u64 + 1 + off;
            if opts.labels && to < len as u64 {
                format!("L{to}")
            } else {
                to.to_string()
            }
        };
        let holds = facts[pc];
        let mut line = String::new();
        if opts.labels {
            line.push_str("    ");
        } else {
            let _ = write!(line, "{pc:>width$}: ");
        }
        let jump = decode(insn).ok().filter(|d| matches!(d, Decoded::Jmp(..)));
        insn_text(
            &mut line,
            *insn,
            &Style {
                target: &target,
                arch_imm: holds == Holds::Arch && jump.is_some(),
            },
        );
        let comment = match (opts.arch, opts.syscall_name, jump) {
            (Some(arch), Some(name), Some(Decoded::Jmp(cond, Src::K)))
                if holds == Holds::Nr && cond != JmpCond::Set =>
            {
                name(arch, insn.k)
            }
            _ => None,
        };
        if let Some(c) = comment {
            // A name must not end the line early: that would break the round trip.
            let c = c.replace(['\n', '\r'], " ");
            let pad = 40usize.saturating_sub(line.len()).max(1);
            let _ = write!(line, "{:pad$}; {c}", "");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}
