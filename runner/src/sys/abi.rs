//! Kernel ABI: `#[repr(C)]` structs and constants, each citing its uapi header.
//!
//! Names follow the kernel spelling (in Rust case) so they can be grepped in
//! the headers. Sizes and field offsets are checked at compile time. A
//! header's group of constants is kept whole, used or not.

#![allow(dead_code)]

use core::mem::{offset_of, size_of};

/// `struct sock_filter` — one classic BPF instruction (`include/uapi/linux/filter.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SockFilter {
    /// Opcode: class, size/op and source bits.
    pub code: u16,
    /// Jump offset if the condition is true.
    pub jt: u8,
    /// Jump offset if the condition is false.
    pub jf: u8,
    /// Generic field: constant, offset or return value.
    pub k: u32,
}

impl SockFilter {
    /// Builds an instruction from its four fields.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> Self {
        SockFilter { code, jt, jf, k }
    }

    /// Reads a raw program: the kernel's `struct sock_filter` array, 8 bytes
    /// per instruction in host byte order (what `bpf_asm::Program::to_bytes`
    /// and libseccomp's `seccomp_export_bpf` write). Trailing bytes that do
    /// not make a whole instruction are ignored.
    pub fn from_raw_program(bytes: &[u8]) -> Vec<SockFilter> {
        bytes
            .chunks_exact(8)
            .map(|c| SockFilter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect()
    }
}

/// `struct sock_fprog` — a filter program handed to `seccomp(2)` (`include/uapi/linux/filter.h`).
///
/// Built on the stack right before the call; the kernel copies the program.
#[repr(C)]
#[derive(Debug)]
pub struct SockFprog {
    /// Number of instructions.
    pub len: u16,
    /// First instruction.
    pub filter: *const SockFilter,
}

/// `struct __user_cap_header_struct` (`include/uapi/linux/capability.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CapUserHeader {
    /// [`LINUX_CAPABILITY_VERSION_3`].
    pub version: u32,
    /// 0 means the calling thread.
    pub pid: i32,
}

/// `struct __user_cap_data_struct` (`include/uapi/linux/capability.h`);
/// version 3 uses two of them: caps 0..=31, then 32..=63.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapUserData {
    /// Effective set (32 bits of it).
    pub effective: u32,
    /// Permitted set.
    pub permitted: u32,
    /// Inheritable set.
    pub inheritable: u32,
}

/// The kernel's x86_64 `struct sigaction` as taken by `rt_sigaction(2)`
/// (`arch/x86/include/uapi/asm/signal.h` for the kernel-side layout, which is
/// not glibc's): handler, flags, restorer, mask.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelSigaction {
    /// `SIG_DFL` (0), `SIG_IGN` (1) or a handler address.
    pub handler: usize,
    /// `SA_*` flags.
    pub flags: u64,
    /// `sa_restorer`; unused for `SIG_DFL`.
    pub restorer: usize,
    /// Signals blocked while the handler runs (bit n-1 is signal n).
    pub mask: u64,
}

/// `struct rlimit64` (`include/uapi/linux/resource.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Rlimit64 {
    /// Soft limit.
    pub cur: u64,
    /// Hard limit.
    pub max: u64,
}

const _: () = {
    assert!(size_of::<SockFilter>() == 8);
    assert!(offset_of!(SockFilter, code) == 0);
    assert!(offset_of!(SockFilter, jt) == 2);
    assert!(offset_of!(SockFilter, jf) == 3);
    assert!(offset_of!(SockFilter, k) == 4);
    assert!(size_of::<SockFprog>() == 16);
    assert!(offset_of!(SockFprog, filter) == 8);
    assert!(size_of::<CapUserHeader>() == 8);
    assert!(size_of::<CapUserData>() == 12);
    assert!(size_of::<KernelSigaction>() == 32);
    assert!(offset_of!(KernelSigaction, mask) == 24);
    assert!(size_of::<Rlimit64>() == 16);
};

// include/uapi/linux/prctl.h
/// `PR_CAPBSET_READ`.
pub const PR_CAPBSET_READ: usize = 23;
/// `PR_CAPBSET_DROP`.
pub const PR_CAPBSET_DROP: usize = 24;
/// `PR_GET_KEEPCAPS`.
pub const PR_GET_KEEPCAPS: usize = 7;
/// `PR_SET_KEEPCAPS`.
pub const PR_SET_KEEPCAPS: usize = 8;
/// `PR_SET_NO_NEW_PRIVS`.
pub const PR_SET_NO_NEW_PRIVS: usize = 38;
/// `PR_GET_NO_NEW_PRIVS`.
pub const PR_GET_NO_NEW_PRIVS: usize = 39;
/// `PR_CAP_AMBIENT`.
pub const PR_CAP_AMBIENT: usize = 47;
/// `PR_CAP_AMBIENT_IS_SET`.
pub const PR_CAP_AMBIENT_IS_SET: usize = 1;
/// `PR_CAP_AMBIENT_RAISE`.
pub const PR_CAP_AMBIENT_RAISE: usize = 2;
/// `PR_CAP_AMBIENT_LOWER`.
pub const PR_CAP_AMBIENT_LOWER: usize = 3;
/// `PR_CAP_AMBIENT_CLEAR_ALL`.
pub const PR_CAP_AMBIENT_CLEAR_ALL: usize = 4;

// include/uapi/linux/seccomp.h
/// `SECCOMP_SET_MODE_FILTER`.
pub const SECCOMP_SET_MODE_FILTER: usize = 1;
/// `SECCOMP_FILTER_FLAG_TSYNC`.
pub const SECCOMP_FILTER_FLAG_TSYNC: u32 = 1 << 0;
/// `SECCOMP_FILTER_FLAG_LOG`.
pub const SECCOMP_FILTER_FLAG_LOG: u32 = 1 << 1;
/// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`.
pub const SECCOMP_FILTER_FLAG_SPEC_ALLOW: u32 = 1 << 2;
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`.
pub const SECCOMP_FILTER_FLAG_NEW_LISTENER: u32 = 1 << 3;
/// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH`.
pub const SECCOMP_FILTER_FLAG_TSYNC_ESRCH: u32 = 1 << 4;
/// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`.
pub const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: u32 = 1 << 5;
/// `BPF_MAXINSNS` (`include/uapi/linux/bpf_common.h`): the longest program one filter may have.
pub const BPF_MAXINSNS: usize = 4096;

// include/uapi/linux/capability.h
/// `_LINUX_CAPABILITY_VERSION_3`.
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// `CAP_SETPCAP` (`include/uapi/linux/capability.h`): needed to drop from the bounding set.
pub const CAP_SETPCAP: u32 = 8;

// include/uapi/linux/audit.h
/// `AUDIT_ARCH_X86_64`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386`.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;

// include/uapi/linux/close_range.h
/// `CLOSE_RANGE_UNSHARE`.
pub const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
/// `CLOSE_RANGE_CLOEXEC`.
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

// include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h
/// `AT_FDCWD`.
pub const AT_FDCWD: i32 = -100;
/// `O_RDWR`.
pub const O_RDWR: u32 = 0o2;
/// `O_NOCTTY`.
pub const O_NOCTTY: u32 = 0o400;
/// `O_CLOEXEC`.
pub const O_CLOEXEC: u32 = 0o2_000_000;
/// `F_GETFD`.
pub const F_GETFD: u32 = 1;
/// `F_SETFD`.
pub const F_SETFD: u32 = 2;
/// `FD_CLOEXEC`.
pub const FD_CLOEXEC: u32 = 1;

// include/uapi/asm-generic/ioctls.h
/// `TIOCNOTTY`: give up the controlling terminal.
pub const TIOCNOTTY: u32 = 0x5422;

// include/uapi/asm-generic/signal-defs.h, arch/x86/include/uapi/asm/signal.h
/// `SIG_DFL`.
pub const SIG_DFL: usize = 0;
/// `SIG_IGN`.
pub const SIG_IGN: usize = 1;
/// `SIG_SETMASK`.
pub const SIG_SETMASK: usize = 2;
/// `SIGCHLD`.
pub const SIGCHLD: u32 = 17;
/// `SIGKILL`.
pub const SIGKILL: u32 = 9;
/// `SIGSTOP`.
pub const SIGSTOP: u32 = 19;
/// `SIGPIPE`.
pub const SIGPIPE: u32 = 13;
/// `SIGSYS`.
pub const SIGSYS: u32 = 31;
/// Size of the kernel's `sigset_t` on x86_64, as passed to `rt_sig*` calls.
pub const KERNEL_SIGSET_SIZE: usize = 8;

// include/uapi/asm-generic/mman-common.h, mman.h
/// `PROT_READ`.
pub const PROT_READ: usize = 1;
/// `PROT_WRITE`.
pub const PROT_WRITE: usize = 2;
/// `MAP_SHARED`.
pub const MAP_SHARED: usize = 0x01;
/// `MAP_ANONYMOUS`.
pub const MAP_ANONYMOUS: usize = 0x20;

// include/uapi/asm-generic/resource.h
/// `RLIMIT_NOFILE`.
pub const RLIMIT_NOFILE: u32 = 7;
/// The resource names, indexed by number (`include/uapi/asm-generic/resource.h`,
/// `RLIM_NLIMITS` = 16 entries).
pub const RLIMIT_NAMES: [&str; 16] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];

// include/uapi/linux/auxvec.h
/// `AT_SECURE`: non-zero when the process runs setuid/setgid/with file caps.
pub const AT_SECURE: u64 = 23;
