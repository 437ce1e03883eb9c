//! Landlock: `landlock_create_ruleset`, `landlock_add_rule`,
//! `landlock_restrict_self`, as raw syscalls over the uapi structs.
//!
//! # References
//! - `include/uapi/linux/landlock.h` (structs, access rights, flags)
//! - `Documentation/userspace-api/landlock.rst` (ABI versions, semantics)
//! - <https://man7.org/linux/man-pages/man7/landlock.7.html>

use super::arch::{self, nr};
use super::{ret, ret_unit, Result};
use core::ffi::CStr;
use core::mem::size_of;
use std::os::fd::OwnedFd;

/// `struct landlock_ruleset_attr` (`include/uapi/linux/landlock.h`): what a
/// ruleset handles, i.e. denies unless a rule grants it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RulesetAttr {
    /// `LANDLOCK_ACCESS_FS_*` rights handled (ABI 1+).
    pub handled_access_fs: u64,
    /// `LANDLOCK_ACCESS_NET_*` rights handled (ABI 4+).
    pub handled_access_net: u64,
    /// `LANDLOCK_SCOPE_*` restrictions (ABI 6+).
    pub scoped: u64,
}

/// `struct landlock_path_beneath_attr` (packed: 12 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// `struct landlock_net_port_attr`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct NetPortAttr {
    allowed_access: u64,
    port: u64,
}

const _: () = assert!(size_of::<RulesetAttr>() == 24);
const _: () = assert!(size_of::<PathBeneathAttr>() == 12);
const _: () = assert!(size_of::<NetPortAttr>() == 16);

/// `LANDLOCK_CREATE_RULESET_VERSION`.
const CREATE_RULESET_VERSION: usize = 1 << 0;
/// `LANDLOCK_RULE_PATH_BENEATH`.
const RULE_PATH_BENEATH: usize = 1;
/// `LANDLOCK_RULE_NET_PORT`.
const RULE_NET_PORT: usize = 2;
/// `O_PATH`.
const O_PATH: u32 = 0o10_000_000;

/// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)` —
/// the highest Landlock ABI the kernel supports. `ENOSYS`: not built in;
/// `EOPNOTSUPP`: built in but disabled at boot (`lsm=` without landlock).
pub fn landlock_abi() -> Result<u32> {
    // SAFETY: a NULL attribute with size 0 is what the version query takes;
    // the kernel reads no memory.
    ret(unsafe { arch::syscall3(nr::LANDLOCK_CREATE_RULESET, 0, 0, CREATE_RULESET_VERSION) })
        .map(|v| v as u32)
}

/// `landlock_create_ruleset(&attr, sizeof attr, 0)` — a new ruleset fd
/// (close-on-exec, as the kernel always creates it). `EINVAL`: a right the
/// kernel does not know; `ENOMSG`: nothing handled.
pub fn landlock_create_ruleset(attr: &RulesetAttr) -> Result<OwnedFd> {
    // SAFETY: the kernel reads `size_of::<RulesetAttr>()` bytes from the
    // live struct `attr`.
    let r = unsafe {
        arch::syscall3(
            nr::LANDLOCK_CREATE_RULESET,
            attr as *const RulesetAttr as usize,
            size_of::<RulesetAttr>(),
            0,
        )
    };
    super::fds::owned(r)
}

/// `landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, {allowed, parent_fd}, 0)`:
/// grants `allowed` beneath the file or directory `parent_fd` refers to.
/// `EINVAL`: a right not handled by the ruleset, or a directory-only
/// right on a file; `ENOMSG`: `allowed` is 0.
pub fn landlock_add_path_rule(ruleset: i32, allowed: u64, parent_fd: i32) -> Result<()> {
    let attr = PathBeneathAttr {
        allowed_access: allowed,
        parent_fd,
    };
    // SAFETY: the kernel reads the 12-byte packed struct from the live local.
    ret_unit(unsafe {
        arch::syscall4(
            nr::LANDLOCK_ADD_RULE,
            ruleset as usize,
            RULE_PATH_BENEATH,
            &attr as *const PathBeneathAttr as usize,
            0,
        )
    })
}

/// `landlock_add_rule(ruleset, LANDLOCK_RULE_NET_PORT, {allowed, port}, 0)`:
/// grants `allowed` (`LANDLOCK_ACCESS_NET_*`) on TCP port `port`.
pub fn landlock_add_port_rule(ruleset: i32, allowed: u64, port: u16) -> Result<()> {
    let attr = NetPortAttr {
        allowed_access: allowed,
        port: u64::from(port),
    };
    // SAFETY: the kernel reads the struct from the live local.
    ret_unit(unsafe {
        arch::syscall4(
            nr::LANDLOCK_ADD_RULE,
            ruleset as usize,
            RULE_NET_PORT,
            &attr as *const NetPortAttr as usize,
            0,
        )
    })
}

/// `landlock_restrict_self(ruleset, flags)` — makes the calling thread
/// enter a new domain made of the ruleset. Needs no_new_privs or
/// `CAP_SYS_ADMIN` (`EPERM` otherwise). No allocation: safe after `fork`.
pub fn landlock_restrict_self(ruleset: i32, flags: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe {
        arch::syscall2(nr::LANDLOCK_RESTRICT_SELF, ruleset as usize, flags as usize)
    })
}

/// `openat(AT_FDCWD, path, O_PATH | O_CLOEXEC)` — a handle for a path rule
/// (no read permission needed on the file itself).
pub fn open_path(path: &CStr) -> Result<OwnedFd> {
    super::open(path, O_PATH | super::abi::O_CLOEXEC)
}
