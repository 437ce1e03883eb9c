//! Architecture names on the command line (`--arch x86_64,i386`, a `0x…`
//! audit value) to `bpf_asm::Arch`.

use bpf_asm::seccomp::Arch;

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
