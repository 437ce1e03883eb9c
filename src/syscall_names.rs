//! Syscall names and numbers of an arch, for the tools' output (through
//! `policy::SyscallTable`, the one table).

use bpf_asm::seccomp::Arch;
use policy::SyscallTable;

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
