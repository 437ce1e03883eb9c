//! x86_64 system-call primitives: `asm!` and syscall numbers, nothing else.
//!
//! The kernel's x86_64 convention: the number goes in `rax`, arguments in
//! `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`; the result comes back in `rax`
//! (a value in `-4095..=-1` is `-errno`). The `syscall` instruction clobbers
//! `rcx` (return address) and `r11` (saved rflags).
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/syscall.2.html> (section "Architecture calling conventions")
//! - `arch/x86/entry/syscalls/syscall_64.tbl` and `syscall_32.tbl` in the kernel tree

use core::arch::asm;

/// x86_64 syscall numbers used by this crate (`arch/x86/entry/syscalls/syscall_64.tbl`).
#[allow(missing_docs)]
pub mod nr {
    pub const READ: usize = 0;
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const MMAP: usize = 9;
    pub const MUNMAP: usize = 11;
    pub const RT_SIGACTION: usize = 13;
    pub const RT_SIGPROCMASK: usize = 14;
    pub const IOCTL: usize = 16;
    pub const GETPID: usize = 39;
    pub const GETSOCKOPT: usize = 55;
    pub const CLONE: usize = 56;
    pub const EXECVE: usize = 59;
    pub const WAIT4: usize = 61;
    pub const KILL: usize = 62;
    pub const FCNTL: usize = 72;
    pub const CHDIR: usize = 80;
    pub const GETUID: usize = 102;
    pub const GETGID: usize = 104;
    pub const GETEUID: usize = 107;
    pub const GETEGID: usize = 108;
    pub const GETPPID: usize = 110;
    pub const SETSID: usize = 112;
    pub const GETGROUPS: usize = 115;
    pub const SETGROUPS: usize = 116;
    pub const SETRESUID: usize = 117;
    pub const GETRESUID: usize = 118;
    pub const SETRESGID: usize = 119;
    pub const GETRESGID: usize = 120;
    pub const GETSID: usize = 124;
    pub const CAPGET: usize = 125;
    pub const CAPSET: usize = 126;
    pub const PRCTL: usize = 157;
    pub const GETTID: usize = 186;
    pub const EXIT_GROUP: usize = 231;
    pub const OPENAT: usize = 257;
    pub const READLINKAT: usize = 267;
    pub const FACCESSAT: usize = 269;
    pub const PPOLL: usize = 271;
    pub const SIGNALFD4: usize = 289;
    pub const DUP3: usize = 292;
    pub const PIPE2: usize = 293;
    pub const PRLIMIT64: usize = 302;
    pub const SECCOMP: usize = 317;
    pub const PWRITEV2: usize = 328;
    pub const PIDFD_SEND_SIGNAL: usize = 424;
    pub const PIDFD_OPEN: usize = 434;
    pub const CLOSE_RANGE: usize = 436;
    pub const PIDFD_GETFD: usize = 438;
    pub const LANDLOCK_CREATE_RULESET: usize = 444;
    pub const LANDLOCK_ADD_RULE: usize = 445;
    pub const LANDLOCK_RESTRICT_SELF: usize = 446;
}

/// `syscall` with no argument.
///
/// # Safety
/// The caller guarantees that the call is memory-safe for this `nr`
/// (pointer arguments, and calls such as `clone` that duplicate the stack).
#[inline(always)]
pub unsafe fn syscall0(nr: usize) -> isize {
    let ret: isize;
    // SAFETY: the instruction only clobbers rax (result), rcx and r11, all
    // declared; memory effects are the caller's responsibility (see # Safety).
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// `syscall` with one argument.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the argument register rdi is an input only.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a0,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// `syscall` with two arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; rdi and rsi are inputs only.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a0, in("rsi") a1,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// `syscall` with three arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; rdi, rsi and rdx are inputs only.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
             in("rdi") a0, in("rsi") a1, in("rdx") a2,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// `syscall` with four arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the fourth argument goes in r10, not rcx.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
             in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// `syscall` with five arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; r10 and r8 carry the fourth and fifth arguments.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
             in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3, in("r8") a4,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// `syscall` with six arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall6(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; r10, r8 and r9 carry arguments four to six.
    unsafe {
        asm!("syscall", inlateout("rax") nr as isize => ret,
             in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3, in("r8") a4, in("r9") a5,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    ret
}

/// The i386 entry `int $0x80` from a 64-bit process: number in `eax`,
/// arguments in `ebx`, `ecx`, `edx`, `esi`, `edi`, `ebp`; the kernel sees
/// `seccomp_data.arch == AUDIT_ARCH_I386` and only the low 32 bits of each
/// register. Returns the sign-extended 32-bit result.
///
/// # Safety
/// As [`syscall0`], for the i386 meaning of `nr` (pointers must be below 4 GiB
/// to mean anything to the kernel).
#[inline(always)]
#[cfg(any(test, feature = "probe"))]
pub unsafe fn int80(nr: u32, args: [u32; 6]) -> isize {
    let ret: u32;
    // SAFETY: rbx and rbp cannot be asm operands (LLVM reserves them), so they
    // are saved on the stack (the block is not `nostack`), loaded from r8/r9,
    // and restored before the block ends. r8-r11 are declared clobbered: older
    // kernels zeroed them on the int80 path. Memory effects of the call are
    // the caller's responsibility.
    unsafe {
        asm!(
            "push rbx",
            "push rbp",
            "mov ebx, r8d",
            "mov ebp, r9d",
            "int 0x80",
            "pop rbp",
            "pop rbx",
            inlateout("eax") nr => ret,
            in("ecx") args[1], in("edx") args[2], in("esi") args[3], in("edi") args[4],
            inlateout("r8") args[0] as usize => _,
            inlateout("r9") args[5] as usize => _,
            lateout("r10") _, lateout("r11") _,
        );
    }
    ret as i32 as isize
}

/// Executes `ud2`, which raises SIGILL. Used only as the last resort when
/// `exit_group` itself is refused by a seccomp filter.
#[inline(always)]
pub fn trap() -> ! {
    // SAFETY: `ud2` touches no memory and never returns; the kernel forces
    // SIGILL (unblocking it and resetting an ignored disposition).
    unsafe { asm!("ud2", options(noreturn, nomem, nostack)) }
}
