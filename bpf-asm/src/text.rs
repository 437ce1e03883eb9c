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

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Write as _};

use crate::insn::{decode, jump_target, AluOp, Decoded, Insn, JmpCond, Reg, RetSrc, Size, Src};
use crate::program::Program;
use crate::seccomp::{offset, Arch, Verdict};
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

/// `(uses jt/jf, uses k)`: the fields the kernel reads for an instruction.
fn used_fields(d: Decoded) -> (bool, bool) {
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

/// The program as text, one instruction per line; see the module doc.
pub fn disassemble(prog: &Program, opts: &DisasmOptions) -> String {
    let len = prog.len();
    let facts = accumulator_facts(prog);
    let width = len.saturating_sub(1).to_string().len().max(3);
    // Pcs that a jump lands on (inside the program): these get labels.
    let mut targets = BTreeSet::new();
    if opts.labels {
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
    }
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

/// Why text is not a program. `line` and `column` count from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for AsmError {}

/// Assembles text in the syntax of the module doc. Immediates may be
/// numbers or `AUDIT_ARCH_*` names; use [`assemble_with`] for other names.
pub fn assemble(text: &str) -> Result<Program, AsmError> {
    assemble_with(text, &|_| None)
}

/// Like [`assemble`], with `resolve` naming the constants that bpf-asm does
/// not know, such as syscall names in `jeq #execve, …`.
pub fn assemble_with(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<u32>,
) -> Result<Program, AsmError> {
    let mut labels = Labels::new();
    let mut pending: Vec<Pending> = Vec::new();
    for (index, raw_line) in text.lines().enumerate() {
        let chars: Vec<char> = raw_line.chars().collect();
        let mut cur = Cursor {
            chars: &chars,
            pos: 0,
            line: index + 1,
            resolve,
        };
        cur.skip_ws();
        if cur.peek() == Some('#') {
            continue; // a whole-line comment
        }
        cur.prefixes(&mut labels, pending.len())?;
        if cur.at_end() {
            continue;
        }
        pending.push(cur.instruction()?);
    }
    let insns = pending
        .into_iter()
        .enumerate()
        .map(|(pc, p)| p.resolve(pc, &labels))
        .collect::<Result<_, _>>()?;
    Ok(Program::new(insns))
}

/// Label name to `(line, pc)` of its definition.
type Labels = HashMap<String, (usize, usize)>;

impl Pending {
    /// The instruction at `pc` with its jump targets filled in.
    fn resolve(self, pc: usize, labels: &Labels) -> Result<Insn, AsmError> {
        let mut insn = self.insn;
        let err = |t: &TargetAt, message: String| AsmError {
            line: self.line,
            column: t.column,
            message,
        };
        let offset = |t: &TargetAt| -> Result<u64, AsmError> {
            let to = match &t.target {
                Target::Absolute(to) => *to,
                Target::Relative(off) => pc as u64 + 1 + off,
                Target::Label(name) => match labels.get(name) {
                    Some(&(_, to)) => to as u64,
                    None => return Err(err(t, format!("unknown label '{name}'"))),
                },
            };
            if to <= pc as u64 {
                return Err(err(
                    t,
                    format!(
                        "jump target {to} is not ahead of pc {pc}: classic BPF only jumps forward"
                    ),
                ));
            }
            Ok(to - pc as u64 - 1)
        };
        match &self.targets {
            Targets::None => {}
            Targets::Ja(t) => {
                let off = offset(t)?;
                insn.k = u32::try_from(off)
                    .map_err(|_| err(t, format!("ja offset {off} does not fit in 32 bits")))?;
            }
            Targets::Cond(t, f) => {
                let byte = |t: &TargetAt| -> Result<u8, AsmError> {
                    let off = offset(t)?;
                    u8::try_from(off).map_err(|_| {
                        err(t, format!(
                            "jump target is {off} instructions ahead; a conditional jump reaches at most 255"
                        ))
                    })
                };
                insn.jt = byte(t)?;
                insn.jf = byte(f)?;
            }
        }
        Ok(insn)
    }
}

enum Target {
    Absolute(u64),
    Relative(u64),
    Label(String),
}

struct TargetAt {
    target: Target,
    column: usize,
}

enum Targets {
    None,
    Ja(TargetAt),
    Cond(TargetAt, TargetAt),
}

/// An instruction whose jump targets are not resolved yet.
struct Pending {
    line: usize,
    insn: Insn,
    targets: Targets,
}

struct Cursor<'a> {
    chars: &'a [char],
    pos: usize,
    line: usize,
    resolve: &'a dyn Fn(&str) -> Option<u32>,
}

type Res<T> = Result<T, AsmError>;

impl Cursor<'_> {
    fn err_at(&self, pos: usize, message: impl Into<String>) -> AsmError {
        AsmError {
            line: self.line,
            column: pos + 1,
            message: message.into(),
        }
    }

    fn err(&self, message: impl Into<String>) -> AsmError {
        self.err_at(self.pos, message)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// True at the end of the line or at a `;` comment.
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        matches!(self.peek(), None | Some(';'))
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, after: &str) -> Res<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(format!("expected '{c}' {after}")))
        }
    }

    /// A word of letters, digits, `_` and `.`, with its start.
    fn word(&mut self) -> Option<(usize, String)> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        (self.pos > start).then(|| (start, self.chars[start..self.pos].iter().collect()))
    }

    fn number_of(&self, start: usize, word: &str, max: u64) -> Res<u64> {
        let parsed = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => word.parse::<u64>(),
        };
        match parsed {
            Ok(n) if n <= max => Ok(n),
            Ok(_) => Err(self.err_at(start, format!("number {word} out of range (max {max:#x})"))),
            Err(_) => Err(self.err_at(start, format!("expected a number, found '{word}'"))),
        }
    }

    fn number(&mut self, max: u64, what: &str) -> Res<u64> {
        match self.word() {
            Some((start, word)) => self.number_of(start, &word, max),
            None => Err(self.err(format!("expected {what}"))),
        }
    }

    /// `#K`: a number, an `AUDIT_ARCH_*` name, or a name the caller resolves.
    fn immediate(&mut self) -> Res<u32> {
        self.expect('#', "before an immediate")?;
        let Some((start, word)) = self.word() else {
            return Err(self.err("expected a number or a name after '#'"));
        };
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(self.number_of(start, &word, u64::from(u32::MAX))? as u32);
        }
        if let Some(arch) = Arch::ALL.into_iter().find(|a| a.audit_name() == word) {
            return Ok(arch.audit());
        }
        (self.resolve)(&word).ok_or_else(|| self.err_at(start, format!("unknown name '{word}'")))
    }

    /// `#K` or `x`: returns the source and k.
    fn operand(&mut self) -> Res<(Src, u32)> {
        self.skip_ws();
        if self.peek() == Some('#') {
            return Ok((Src::K, self.immediate()?));
        }
        match self.word() {
            Some((_, w)) if w.eq_ignore_ascii_case("x") => Ok((Src::X, 0)),
            _ => Err(self.err("expected '#k' or 'x'")),
        }
    }

    /// `M[k]`.
    fn mem_slot(&mut self) -> Res<u32> {
        match self.word() {
            Some((_, w)) if w.eq_ignore_ascii_case("m") => {}
            _ => return Err(self.err("expected 'M[k]'")),
        }
        self.expect('[', "after 'M'")?;
        let k = self.number(u64::from(u32::MAX), "a slot number")? as u32;
        self.expect(']', "after the slot number")?;
        Ok(k)
    }

    /// `[field]` or `[k]` after `ld`.
    fn abs_offset(&mut self) -> Res<u32> {
        self.expect('[', "before the offset")?;
        let start = self.pos;
        let mut depth = 1;
        let mut end = None;
        for (i, &c) in self.chars.iter().enumerate().skip(start) {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err(self.err("missing ']'"));
        };
        let inner: String = self.chars[start..end].iter().collect();
        let name = inner.trim();
        let lead = start + inner.len() - inner.trim_start().len();
        self.pos = end + 1;
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(self.number_of(lead, name, u64::from(u32::MAX))? as u32);
        }
        field_offset(name).ok_or_else(|| {
            self.err_at(
                lead,
                format!("unknown field '{name}' (nr, arch, ip.lo, ip.hi, args[N].lo, args[N].hi)"),
            )
        })
    }

    fn target(&mut self) -> Res<TargetAt> {
        self.skip_ws();
        let column = self.pos + 1;
        let target = if self.eat('+') {
            Target::Relative(self.number(u64::from(u32::MAX), "an offset after '+'")?)
        } else {
            match self.word() {
                Some((start, w)) if w.starts_with(|c: char| c.is_ascii_digit()) => {
                    Target::Absolute(self.number_of(start, &w, u64::MAX >> 1)?)
                }
                Some((_, w)) => Target::Label(w),
                None => return Err(self.err("expected a jump target (pc, +offset or label)")),
            }
        };
        Ok(TargetAt { target, column })
    }

    /// `ALLOW`, `ERRNO(1)`, `#0x…` or `a` after `ret`: returns the form and k.
    fn ret_operand(&mut self) -> Res<(Decoded, u32)> {
        self.skip_ws();
        if self.peek() == Some('#') {
            return Ok((Decoded::Ret(RetSrc::K), self.immediate()?));
        }
        let Some((start, w)) = self.word() else {
            return Err(self.err("expected an action, '#k' or 'a'"));
        };
        let upper = w.to_ascii_uppercase();
        if upper == "A" {
            return Ok((Decoded::Ret(RetSrc::A), 0));
        }
        let data = |cur: &mut Self| -> Res<u16> {
            if cur.eat('(') {
                let d = cur.number(u64::from(u16::MAX), "the action's data")? as u16;
                cur.expect(')', "after the action's data")?;
                Ok(d)
            } else {
                Ok(0)
            }
        };
        let verdict = match upper.as_str() {
            "KILL_PROCESS" => Verdict::KillProcess,
            "KILL_THREAD" | "KILL" => Verdict::KillThread,
            "TRAP" => Verdict::Trap(data(self)?),
            "ERRNO" => Verdict::Errno(data(self)?),
            "USER_NOTIF" => Verdict::UserNotif,
            "TRACE" => Verdict::Trace(data(self)?),
            "LOG" => Verdict::Log,
            "ALLOW" => Verdict::Allow,
            _ => return Err(self.err_at(start, format!("unknown action '{w}'"))),
        };
        Ok((Decoded::Ret(RetSrc::K), verdict.to_raw()))
    }

    /// The prefixes of a line: `label:` (recorded at `pc`) and `12:`
    /// (checked against `pc`).
    fn prefixes(&mut self, labels: &mut Labels, pc: usize) -> Res<()> {
        loop {
            let save = self.pos;
            let Some((start, word)) = self.word() else {
                return Ok(());
            };
            if self.peek() != Some(':') {
                self.pos = save;
                return Ok(());
            }
            self.pos += 1;
            if word.chars().all(|c| c.is_ascii_digit()) {
                let claimed: u64 = word
                    .parse()
                    .map_err(|_| self.err_at(start, format!("bad pc annotation '{word}'")))?;
                if claimed != pc as u64 {
                    return Err(self.err_at(
                        start,
                        format!("pc annotation {claimed} does not match the instruction's position {pc}"),
                    ));
                }
            } else if !word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return Err(self.err_at(start, format!("bad label name '{word}'")));
            } else if let Some(&(first, _)) = labels.get(&word) {
                return Err(self.err_at(
                    start,
                    format!("label '{word}' is already defined on line {first}"),
                ));
            } else {
                labels.insert(word, (self.line, pc));
            }
            self.skip_ws();
        }
    }

    /// One instruction with its suffixes, up to the end of the line.
    fn instruction(&mut self) -> Res<Pending> {
        let Some((start, word)) = self.word() else {
            return Err(self.err(format!(
                "expected an instruction, found '{}'",
                self.peek().unwrap_or(' ')
            )));
        };
        let mnemonic = word.to_ascii_lowercase();
        let mut targets = Targets::None;
        let (d, k): (Decoded, u32) = match mnemonic.as_str() {
            ".insn" => return self.raw_insn(),
            "ld" => self.load(Reg::A)?,
            "ldx" => self.load(Reg::X)?,
            "st" => (Decoded::Store(Reg::A), self.mem_slot()?),
            "stx" => (Decoded::Store(Reg::X), self.mem_slot()?),
            "tax" => (Decoded::Tax, 0),
            "txa" => (Decoded::Txa, 0),
            "neg" => (Decoded::Neg, 0),
            "ja" => {
                targets = Targets::Ja(self.target()?);
                (Decoded::Ja, 0)
            }
            "ret" => self.ret_operand()?,
            m => {
                if let Some(alu) = AluOp::ALL.into_iter().find(|a| a.mnemonic() == m) {
                    let (src, k) = self.operand()?;
                    (Decoded::Alu(alu, src), k)
                } else if let Some(cond) = JmpCond::ALL.into_iter().find(|c| c.mnemonic() == m) {
                    let (src, k) = self.operand()?;
                    self.expect(',', "after the operand")?;
                    let t = self.target()?;
                    self.expect(',', "after the true target")?;
                    let f = self.target()?;
                    targets = Targets::Cond(t, f);
                    (Decoded::Jmp(cond, src), k)
                } else {
                    return Err(self.err_at(start, format!("unknown mnemonic '{word}'")));
                }
            }
        };
        self.finish(Insn::op(d, k), targets, true)
    }

    /// `.insn CODE, JT, JF, K`: any instruction, no suffixes.
    fn raw_insn(&mut self) -> Res<Pending> {
        let code = self.number(u64::from(u16::MAX), "the code")? as u16;
        self.expect(',', "after the code")?;
        let jt = self.number(255, "jt")? as u8;
        self.expect(',', "after jt")?;
        let jf = self.number(255, "jf")? as u8;
        self.expect(',', "after jf")?;
        let k = self.number(u64::from(u32::MAX), "k")? as u32;
        self.finish(Insn::new(code, jt, jf, k), Targets::None, false)
    }

    /// The operand of `ld` (into A) or `ldx` (into X): `[field]` (A only),
    /// `#len`, `#K` or `M[K]`.
    fn load(&mut self, reg: Reg) -> Res<(Decoded, u32)> {
        self.skip_ws();
        match self.peek() {
            Some('[') if reg == Reg::A => Ok((Decoded::LdAbs(Size::W), self.abs_offset()?)),
            Some('#') => {
                let save = self.pos;
                self.pos += 1;
                match self.word() {
                    Some((_, w)) if w.eq_ignore_ascii_case("len") => Ok((Decoded::LdLen(reg), 0)),
                    _ => {
                        self.pos = save;
                        Ok((Decoded::LdImm(reg), self.immediate()?))
                    }
                }
            }
            _ => Ok((Decoded::LdMem(reg), self.mem_slot()?)),
        }
    }

    /// Reads the `jt=`/`jf=`/`k=` suffixes for the fields the mnemonic does
    /// not use, then expects the end of the line.
    fn finish(&mut self, mut insn: Insn, targets: Targets, suffixes: bool) -> Res<Pending> {
        let (uses_jumps, uses_k) = decode(&insn).map_or((true, true), used_fields);
        let mut seen: Vec<String> = Vec::new();
        while suffixes && !self.at_end() {
            let Some((start, name)) = self.word() else {
                break;
            };
            let name = name.to_ascii_lowercase();
            if seen.contains(&name) {
                return Err(self.err_at(start, format!("'{name}=' given twice")));
            }
            let (max, free) = match name.as_str() {
                "jt" | "jf" => (255u64, !uses_jumps),
                "k" => (u64::from(u32::MAX), !uses_k),
                _ => return Err(self.err_at(start, format!("unexpected '{name}'"))),
            };
            if !free {
                return Err(self.err_at(
                    start,
                    format!("'{name}' is an operand of this instruction, not a suffix"),
                ));
            }
            self.expect('=', &format!("after '{name}'"))?;
            let v = self.number(max, "a value")?;
            match name.as_str() {
                "jt" => insn.jt = v as u8,
                "jf" => insn.jf = v as u8,
                _ => insn.k = v as u32,
            }
            seen.push(name);
        }
        if !self.at_end() {
            let rest: String = self.chars[self.pos..].iter().collect();
            return Err(self.err(format!("unexpected '{}'", rest.trim_end())));
        }
        Ok(Pending {
            line: self.line,
            insn,
            targets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
