//! Turning user-facing names into values and back: architectures, syscall
//! names (through `policy::SyscallTable`), verdicts, I/O errors.

use bpf_asm::seccomp::Arch;
use bpf_asm::Verdict;
use policy::SyscallTable;

use crate::fail::Failure;

/// Parses an architecture name or a `0x…` audit value.
pub fn parse_arch(s: &str) -> Result<Arch, Failure> {
    Arch::parse(s).ok_or_else(|| {
        Failure::input(format!(
            "unknown architecture '{s}' (use x86_64, x86/i386, aarch64, arm, riscv64 or a 0x audit value)"
        ))
    })
}

/// Parses a comma-separated list of architectures; the first is the hot one.
pub fn parse_arches(list: &str) -> Result<Vec<Arch>, Failure> {
    let mut out = Vec::new();
    for item in list.split(',') {
        let arch = parse_arch(item.trim())?;
        if !out.contains(&arch) {
            out.push(arch);
        }
    }
    Ok(out)
}

pub fn syscall_name(arch: Arch, nr: u32) -> Option<String> {
    SyscallTable::name(arch, nr).map(str::to_owned)
}

/// The callback the disassembler uses to name syscalls.
pub fn syscall_namer() -> impl Fn(Arch, u32) -> Option<String> {
    syscall_name
}

pub fn lookup(arch: Arch, name: &str) -> Option<u32> {
    SyscallTable::lookup(arch, name)
}

/// The number of syscall numbers the kernel's action cache covers for `arch`
/// (at least one past the highest table number).
pub fn table_size(arch: Arch) -> u32 {
    SyscallTable::max_nr(arch) + 1
}

/// `ERRNO(1) (EPERM)`, `ALLOW`, `KILL_PROCESS`…
pub fn verdict(v: Verdict) -> String {
    match v {
        Verdict::Errno(n) => match crate::errno::name(n) {
            Some(name) => format!("ERRNO({n}) ({name})"),
            None => format!("ERRNO({n})"),
        },
        Verdict::Trap(n) => format!("TRAP({n})"),
        Verdict::Trace(n) => format!("TRACE({n})"),
        Verdict::Unknown(raw) => format!("unknown action {raw:#010x} (acts as KILL_PROCESS)"),
        other => other.name().to_owned(),
    }
}

/// An I/O error as a lowercase phrase without Rust's "(os error N)" suffix.
pub fn io_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
