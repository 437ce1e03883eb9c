//! What seccomp adds to classic BPF: the input (`struct seccomp_data`), the
//! meaning of return values, and the audit architecture tokens.
//!
//! Sources: include/uapi/linux/seccomp.h, include/uapi/linux/audit.h,
//! kernel/seccomp.c (`__seccomp_filter`).

/// Size of `struct seccomp_data` in bytes; loads must stay inside it.
pub const DATA_SIZE: u32 = 64;

/// Byte offsets of the fields of `struct seccomp_data`.
pub mod offset {
    /// `int nr` — the syscall number (the filter sees all 32 bits).
    pub const NR: u32 = 0;
    /// `__u32 arch` — an `AUDIT_ARCH_*` value.
    pub const ARCH: u32 = 4;
    /// `__u64 instruction_pointer`, low word (little-endian host).
    pub const IP_LO: u32 = 8;
    /// `__u64 instruction_pointer`, high word (little-endian host).
    pub const IP_HI: u32 = 12;

    /// Offset of the low 32 bits of `args[i]` on a little-endian host.
    pub const fn arg_lo(i: u32) -> u32 {
        16 + 8 * i + if cfg!(target_endian = "little") { 0 } else { 4 }
    }

    /// Offset of the high 32 bits of `args[i]` on a little-endian host.
    pub const fn arg_hi(i: u32) -> u32 {
        16 + 8 * i + if cfg!(target_endian = "little") { 4 } else { 0 }
    }
}

/// The input of a seccomp filter, `struct seccomp_data`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeccompData {
    /// `int nr`: the syscall number, all 32 bits as the filter sees them.
    pub nr: u32,
    /// `__u32 arch`: the `AUDIT_ARCH_*` value of the calling convention.
    pub arch: u32,
    /// `__u64 instruction_pointer`: where the syscall was made.
    pub instruction_pointer: u64,
    /// `__u64 args[6]`: the syscall arguments, each as a full register
    /// (a 32-bit arch's are zero-extended by `syscall_get_arguments`).
    pub args: [u64; 6],
}

impl SeccompData {
    /// The 32-bit word at byte offset `k` (4-aligned, `k < 64`), in host
    /// byte order, as `LD|W|ABS` reads it. `None` outside the struct or unaligned.
    pub fn word(&self, k: u32) -> Option<u32> {
        if k % 4 != 0 || k >= DATA_SIZE {
            return None;
        }
        // Straight from the field (this is the interpreter's `ld [k]`).
        let wide = match k {
            0 => return Some(self.nr),
            4 => return Some(self.arch),
            8 | 12 => self.instruction_pointer,
            _ => self.args[(k as usize - 16) / 8],
        };
        let half = (k as usize % 8) / 4;
        let bytes = wide.to_ne_bytes();
        Some(u32::from_ne_bytes([
            bytes[4 * half],
            bytes[4 * half + 1],
            bytes[4 * half + 2],
            bytes[4 * half + 3],
        ]))
    }

    /// The struct from its 64 bytes in host byte order ([`Self::to_bytes`]
    /// read back).
    pub fn from_bytes(b: &[u8; 64]) -> SeccompData {
        let w = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let q = |i: usize| u64::from_ne_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        SeccompData {
            nr: w(0),
            arch: w(4),
            instruction_pointer: q(8),
            args: [q(16), q(24), q(32), q(40), q(48), q(56)],
        }
    }

    /// The struct's 64 bytes in host byte order.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        out[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        out[8..16].copy_from_slice(&self.instruction_pointer.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            out[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        out
    }
}

/// Return values (`SECCOMP_RET_*`).
///
/// The values of include/uapi/linux/seccomp.h; kernel/seccomp.c
/// (`__seccomp_filter`) acts on them, and of several filters' values the
/// one with the lowest action (signed) wins (`seccomp_run_filters`).
pub mod ret {
    /// `SECCOMP_RET_KILL_PROCESS`: kill the whole process.
    pub const KILL_PROCESS: u32 = 0x8000_0000;
    /// `SECCOMP_RET_KILL_THREAD` (was `SECCOMP_RET_KILL`): kill the thread.
    pub const KILL_THREAD: u32 = 0x0000_0000;
    /// `SECCOMP_RET_TRAP`: send `SIGSYS`, the data in `si_errno`.
    pub const TRAP: u32 = 0x0003_0000;
    /// `SECCOMP_RET_ERRNO`: fail the syscall with the data as errno.
    pub const ERRNO: u32 = 0x0005_0000;
    /// `SECCOMP_RET_USER_NOTIF`: ask the listener of the filter's fd.
    pub const USER_NOTIF: u32 = 0x7fc0_0000;
    /// `SECCOMP_RET_TRACE`: stop for a ptrace tracer, the data as the event
    /// message (`-ENOSYS` without a tracer).
    pub const TRACE: u32 = 0x7ff0_0000;
    /// `SECCOMP_RET_LOG`: allow, and log the syscall.
    pub const LOG: u32 = 0x7ffc_0000;
    /// `SECCOMP_RET_ALLOW`: allow.
    pub const ALLOW: u32 = 0x7fff_0000;
    /// `SECCOMP_RET_ACTION_FULL`
    pub const ACTION_FULL: u32 = 0xffff_0000;
    /// `SECCOMP_RET_DATA`
    pub const DATA: u32 = 0x0000_ffff;
    /// `MAX_ERRNO` (include/linux/err.h): the kernel caps ERRNO data at this.
    pub const MAX_ERRNO: u32 = 4095;
}

/// A filter's return value, decoded as `__seccomp_filter` acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// [`ret::KILL_PROCESS`].
    KillProcess,
    /// [`ret::KILL_THREAD`].
    KillThread,
    /// [`ret::TRAP`] with its data (`si_errno` of the `SIGSYS`).
    Trap(u16),
    /// [`ret::ERRNO`] with its data (the errno, capped at
    /// [`ret::MAX_ERRNO`] by the kernel).
    Errno(u16),
    /// [`ret::USER_NOTIF`].
    UserNotif,
    /// [`ret::TRACE`] with its data (the tracer's event message).
    Trace(u16),
    /// [`ret::LOG`].
    Log,
    /// [`ret::ALLOW`].
    Allow,
    /// An action value the kernel does not know; it acts as `KILL_PROCESS`.
    Unknown(u32),
}

impl Verdict {
    /// Decodes a raw return value by its `SECCOMP_RET_ACTION_FULL` bits.
    pub fn from_raw(raw: u32) -> Verdict {
        let data = (raw & ret::DATA) as u16;
        match raw & ret::ACTION_FULL {
            ret::KILL_PROCESS => Verdict::KillProcess,
            ret::KILL_THREAD => Verdict::KillThread,
            ret::TRAP => Verdict::Trap(data),
            ret::ERRNO => Verdict::Errno(data),
            ret::USER_NOTIF => Verdict::UserNotif,
            ret::TRACE => Verdict::Trace(data),
            ret::LOG => Verdict::Log,
            ret::ALLOW => Verdict::Allow,
            _ => Verdict::Unknown(raw),
        }
    }

    /// The canonical raw value (data bits of data-less actions are zero).
    pub fn to_raw(self) -> u32 {
        match self {
            Verdict::KillProcess => ret::KILL_PROCESS,
            Verdict::KillThread => ret::KILL_THREAD,
            Verdict::Trap(d) => ret::TRAP | u32::from(d),
            Verdict::Errno(d) => ret::ERRNO | u32::from(d),
            Verdict::UserNotif => ret::USER_NOTIF,
            Verdict::Trace(d) => ret::TRACE | u32::from(d),
            Verdict::Log => ret::LOG,
            Verdict::Allow => ret::ALLOW,
            Verdict::Unknown(raw) => raw,
        }
    }

    /// The action's name without data: `ALLOW`, `ERRNO`, `KILL_PROCESS`…
    pub fn name(self) -> &'static str {
        match self {
            Verdict::KillProcess => "KILL_PROCESS",
            Verdict::KillThread => "KILL_THREAD",
            Verdict::Trap(_) => "TRAP",
            Verdict::Errno(_) => "ERRNO",
            Verdict::UserNotif => "USER_NOTIF",
            Verdict::Trace(_) => "TRACE",
            Verdict::Log => "LOG",
            Verdict::Allow => "ALLOW",
            Verdict::Unknown(_) => "UNKNOWN",
        }
    }

    /// The 16 data bits, for actions that carry them.
    pub fn data(self) -> Option<u16> {
        match self {
            Verdict::Trap(d) | Verdict::Errno(d) | Verdict::Trace(d) => Some(d),
            _ => None,
        }
    }

    /// What the calling thread sees of a syscall this verdict answers,
    /// when no tracer and no listener is attached and `real` is what the
    /// call returns when it runs (kernel/seccomp.c `__seccomp_filter`):
    /// ALLOW and LOG run it; ERRNO returns minus its data, capped at
    /// [`ret::MAX_ERRNO`]; TRACE and USER_NOTIF fail with `-ENOSYS`; the
    /// kills, TRAP (`SIGSYS`, fatal unless handled) and unknown actions
    /// end the caller.
    pub fn seen_by_caller(self, real: isize) -> Seen {
        match self {
            Verdict::Allow | Verdict::Log => Seen::Returned(real),
            Verdict::Errno(n) => Seen::Returned(-((n as isize).min(ret::MAX_ERRNO as isize))),
            Verdict::Trace(_) | Verdict::UserNotif => Seen::Returned(-38),
            Verdict::KillProcess | Verdict::KillThread | Verdict::Trap(_) | Verdict::Unknown(_) => {
                Seen::Killed
            }
        }
    }
}

/// What a syscall's caller sees ([`Verdict::seen_by_caller`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// The call returned this value (a negative errno on failure).
    Returned(isize),
    /// The caller was killed (or got a `SIGSYS` it did not handle).
    Killed,
}

/// An audit architecture token (`AUDIT_ARCH_*`, include/uapi/linux/audit.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// `AUDIT_ARCH_X86_64`.
    X86_64,
    /// `AUDIT_ARCH_I386`.
    X86,
    /// `AUDIT_ARCH_AARCH64`.
    Aarch64,
    /// `AUDIT_ARCH_ARM` (little-endian EABI).
    Arm,
    /// `AUDIT_ARCH_RISCV64`.
    Riscv64,
}

impl Arch {
    /// Every arch go-jail knows.
    pub const ALL: [Arch; 5] = [
        Arch::X86_64,
        Arch::X86,
        Arch::Aarch64,
        Arch::Arm,
        Arch::Riscv64,
    ];

    /// The `AUDIT_ARCH_*` value that `seccomp_data.arch` carries.
    pub const fn audit(self) -> u32 {
        match self {
            Arch::X86_64 => 0xc000_003e,
            Arch::X86 => 0x4000_0003,
            Arch::Aarch64 => 0xc000_00b7,
            Arch::Arm => 0x4000_0028,
            Arch::Riscv64 => 0xc000_00f3,
        }
    }

    /// The arch whose `AUDIT_ARCH_*` value is `value`, if go-jail knows it.
    pub fn from_audit(value: u32) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| a.audit() == value)
    }

    /// The name used on the command line and in the text form.
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X86 => "x86",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// The constant's name in the text form (`AUDIT_ARCH_X86_64`).
    pub const fn audit_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "AUDIT_ARCH_X86_64",
            Arch::X86 => "AUDIT_ARCH_I386",
            Arch::Aarch64 => "AUDIT_ARCH_AARCH64",
            Arch::Arm => "AUDIT_ARCH_ARM",
            Arch::Riscv64 => "AUDIT_ARCH_RISCV64",
        }
    }

    /// Parses `x86_64`, `i386`/`x86`/`i686`, `aarch64`/`arm64`, `arm`, `riscv64`,
    /// an `AUDIT_ARCH_*` name, or a hex audit value `0x…` of a known arch.
    pub fn parse(s: &str) -> Option<Arch> {
        let lower = s.to_ascii_lowercase();
        let arch = match lower.as_str() {
            "x86_64" | "amd64" | "x86-64" => Arch::X86_64,
            "x86" | "i386" | "i686" => Arch::X86,
            "aarch64" | "arm64" => Arch::Aarch64,
            "arm" => Arch::Arm,
            "riscv64" => Arch::Riscv64,
            _ => {
                if let Some(hex) = lower.strip_prefix("0x") {
                    return u32::from_str_radix(hex, 16).ok().and_then(Arch::from_audit);
                }
                return Arch::ALL
                    .into_iter()
                    .find(|a| a.audit_name().eq_ignore_ascii_case(s));
            }
        };
        Some(arch)
    }

    /// The arch this binary runs on.
    pub const fn native() -> Arch {
        if cfg!(target_arch = "x86_64") {
            Arch::X86_64
        } else if cfg!(target_arch = "x86") {
            Arch::X86
        } else if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(target_arch = "arm") {
            Arch::Arm
        } else {
            Arch::Riscv64
        }
    }

    /// True when arguments are 64 bits wide.
    pub const fn is_64bit(self) -> bool {
        matches!(self, Arch::X86_64 | Arch::Aarch64 | Arch::Riscv64)
    }
}

/// `__X32_SYSCALL_BIT` (arch/x86/include/uapi/asm/unistd.h).
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_round_trip() {
        for v in [
            Verdict::KillProcess,
            Verdict::KillThread,
            Verdict::Trap(3),
            Verdict::Errno(1),
            Verdict::UserNotif,
            Verdict::Trace(7),
            Verdict::Log,
            Verdict::Allow,
        ] {
            assert_eq!(Verdict::from_raw(v.to_raw()), v);
        }
        assert_eq!(
            Verdict::from_raw(0x1234_0000),
            Verdict::Unknown(0x1234_0000)
        );
    }

    #[test]
    fn data_words_follow_the_kernel_layout() {
        let d = SeccompData {
            nr: 1,
            arch: Arch::X86_64.audit(),
            instruction_pointer: 0x1_0000_0002,
            args: [0x3_0000_0004, 0, 0, 0, 0, u64::MAX],
        };
        assert_eq!(d.word(offset::NR), Some(1));
        assert_eq!(d.word(offset::ARCH), Some(0xc000_003e));
        assert_eq!(d.word(offset::IP_LO), Some(2));
        assert_eq!(d.word(offset::IP_HI), Some(1));
        assert_eq!(d.word(offset::arg_lo(0)), Some(4));
        assert_eq!(d.word(offset::arg_hi(0)), Some(3));
        assert_eq!(d.word(offset::arg_hi(5)), Some(u32::MAX));
        assert_eq!(d.word(64), None);
        assert_eq!(d.word(2), None);
        // Every word is the one the struct's bytes hold.
        let d = SeccompData {
            args: [1, 2, 3, 4, 5, 0x0102_0304_0506_0708],
            ..d
        };
        let bytes = d.to_bytes();
        assert_eq!(SeccompData::from_bytes(&bytes), d);
        for k in (0..64).step_by(4) {
            let b = &bytes[k..k + 4];
            let want = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            assert_eq!(d.word(k as u32), Some(want), "k {k}");
        }
    }

    #[test]
    fn arch_names_parse() {
        assert_eq!(Arch::parse("i386"), Some(Arch::X86));
        assert_eq!(Arch::parse("0xc000003e"), Some(Arch::X86_64));
        assert_eq!(Arch::parse("AUDIT_ARCH_AARCH64"), Some(Arch::Aarch64));
        assert_eq!(Arch::parse("sparc"), None);
    }
}
