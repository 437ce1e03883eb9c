//! The assembler: text in the syntax of the [module doc](super) to a
//! program, byte for byte, with line and column in every error.

use std::collections::HashMap;
use std::fmt;

use super::{field_offset, used_fields};
use crate::insn::{decode, AluOp, Decoded, Insn, JmpCond, Reg, RetSrc, Size, Src};
use crate::program::Program;
use crate::seccomp::{Arch, Verdict};

/// Why text is not a program. `line` and `column` count from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    /// The line of the error, from 1.
    pub line: usize,
    /// The column of the error on its line, from 1.
    pub column: usize,
    /// What is wrong there.
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
