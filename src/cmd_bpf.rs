//! `disasm`, `asm`, `verify` and `emu`: inspect any seccomp program
//! (go-jail's, libseccomp's, bwrap's) with bpf-asm.

use std::path::Path;

use bpf_asm::seccomp::Arch;
use bpf_asm::{Program, SeccompData, Verdict};

use crate::arches;
use crate::args::{AsmArgs, DisasmArgs, EmuArgs, VerifyArgs};
use crate::fail::Failure;
use crate::output;
use crate::syscall_names;

/// Reads a raw program, naming the file in every error.
pub fn read_raw(path: &Path) -> Result<Program, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::input(format!("{}: {}", path.display(), crate::fail::io_error(&e)))
    })?;
    Program::from_bytes(&bytes).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

pub fn disasm(a: &DisasmArgs) -> Result<i32, Failure> {
    let prog = read_raw(&a.file)?;
    let arch = a.arch.as_deref().map(arches::parse_arch).transpose()?;
    print!("{}", crate::disasm::disassemble(&prog, arch));
    Ok(0)
}

pub fn asm(a: &AsmArgs) -> Result<i32, Failure> {
    let text = std::fs::read_to_string(&a.file).map_err(|e| {
        Failure::input(format!(
            "{}: {}",
            a.file.display(),
            crate::fail::io_error(&e)
        ))
    })?;
    let prog = bpf_asm::text::assemble(&text)
        .map_err(|e| Failure::input(format!("{}: {e}", a.file.display())))?;
    crate::output::write_bytes(a.output.as_deref(), &prog.to_bytes())?;
    Ok(0)
}

pub fn verify(a: &VerifyArgs) -> Result<i32, Failure> {
    let bytes = std::fs::read(&a.file).map_err(|e| {
        Failure::input(format!(
            "{}: {}",
            a.file.display(),
            crate::fail::io_error(&e)
        ))
    })?;
    let prog = match Program::from_bytes(&bytes) {
        Ok(p) => p,
        Err(e) => {
            println!("{}: {e}", a.file.display());
            return Ok(1);
        }
    };
    let report = bpf_asm::verify::verify(&prog);
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for e in &report.errors {
        println!("{e}");
    }
    if !report.is_ok() {
        return Ok(1);
    }
    if a.cache {
        let arch = a
            .arch
            .as_deref()
            .map(arches::parse_arch)
            .transpose()?
            .unwrap_or(Arch::native());
        let count = syscall_names::table_size(arch);
        let cached = bpf_asm::cache::cached_syscalls(&prog, arch.audit(), count);
        println!(
            "{} of {count} {} syscall numbers served by the kernel's action cache:",
            cached.len(),
            arch.name()
        );
        let list: Vec<String> = cached
            .iter()
            .map(|&nr| syscall_names::syscall_name(arch, nr).unwrap_or_else(|| nr.to_string()))
            .collect();
        println!("{}", list.join(","));
    }
    Ok(0)
}

/// Parses a number in decimal, `0x` hex, or negative decimal (two's complement).
fn parse_u64(what: &str, s: &str) -> Result<u64, Failure> {
    let bad = || {
        Failure::input(format!(
            "invalid {what} '{s}': expected a decimal or 0x number"
        ))
    };
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map_err(|_| bad());
    }
    if let Some(neg) = s.strip_prefix('-') {
        return neg
            .parse::<u64>()
            .map(|n| n.wrapping_neg())
            .map_err(|_| bad());
    }
    s.parse::<u64>().map_err(|_| bad())
}

pub fn emu(a: &EmuArgs) -> Result<i32, Failure> {
    let prog = read_raw(&a.file)?;
    let arch = a
        .arch
        .as_deref()
        .map(arches::parse_arch)
        .transpose()?
        .unwrap_or(Arch::native());
    let nr = match syscall_names::lookup(arch, &a.syscall) {
        Some(nr) => nr,
        None => {
            let n = parse_u64("syscall", &a.syscall).map_err(|_| {
                Failure::input(format!(
                    "unknown {} syscall '{}' (give a name or a number)",
                    arch.name(),
                    a.syscall
                ))
            })?;
            u32::try_from(n)
                .or_else(|_| i32::try_from(n as i64).map(|v| v as u32))
                .map_err(|_| {
                    Failure::input(format!(
                        "syscall number '{}' does not fit in 32 bits",
                        a.syscall
                    ))
                })?
        }
    };
    if a.args.len() > 6 {
        return Err(Failure::input(format!(
            "{} syscall arguments given, at most 6",
            a.args.len()
        )));
    }
    let mut args = [0u64; 6];
    for (slot, text) in args.iter_mut().zip(&a.args) {
        *slot = parse_u64("argument", text)?;
    }
    let ip =
        a.ip.as_deref()
            .map(|s| parse_u64("instruction pointer", s))
            .transpose()?
            .unwrap_or(0);
    let data = SeccompData {
        nr,
        arch: arch.audit(),
        instruction_pointer: ip,
        args,
    };
    let out = bpf_asm::interp::run(&prog, &data)
        .map_err(|e| Failure::input(format!("{}: {e}", a.file.display())))?;
    let verdict = Verdict::from_raw(out.ret);
    let name = syscall_names::syscall_name(arch, nr).unwrap_or_else(|| format!("#{nr}"));
    if a.json {
        let json = serde_json::json!({
            "arch": arch.name(),
            "nr": nr,
            "syscall": syscall_names::syscall_name(arch, nr),
            "ret": out.ret,
            "action": verdict.name(),
            "data": out.ret & 0xffff,
            "executed": out.executed,
        });
        println!("{json}");
    } else {
        println!(
            "{} {name}: {} (ret {:#010x}, {} instructions executed)",
            arch.name(),
            output::verdict(verdict),
            out.ret,
            out.executed
        );
    }
    Ok(0)
}
