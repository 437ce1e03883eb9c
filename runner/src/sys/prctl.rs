//! `prctl(2)` switches of the calling process or thread that are not
//! capability sets (those are in [`super::capabilities`]): no_new_privs,
//! keepcaps, the parent-death signal, dumpability, the child-subreaper bit.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/prctl.2.html>

use super::abi::*;
use super::arch::{self, nr};
use super::{ret_unit, Result};

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)` — sets the no_new_privs bit, which
/// `execve` can never clear again and which makes setuid bits and file
/// capabilities ineffective.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_SET_NO_NEW_PRIVS.2const.html>
pub fn set_no_new_privs() -> Result<()> {
    // SAFETY: integer arguments only; the kernel reads no user memory.
    ret_unit(unsafe { arch::syscall5(nr::PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })
}

/// `prctl(PR_SET_KEEPCAPS, on)` — whether the permitted set survives a
/// switch from uid 0 to non-zero uids. Cleared by `execve`.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_SET_KEEPCAPS.2const.html>
pub fn set_keepcaps(on: bool) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_SET_KEEPCAPS, on as usize) })
}

// include/uapi/linux/prctl.h
const PR_SET_PDEATHSIG: usize = 1;

const PR_SET_DUMPABLE: usize = 4;

/// `prctl(PR_SET_PDEATHSIG, sig)` — `sig` is sent to the calling thread when
/// the thread that forked it dies. Cleared by credential changes, so set it
/// after `setresuid`.
pub fn set_pdeathsig(sig: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_SET_PDEATHSIG, sig as usize) })
}

/// `prctl(PR_SET_DUMPABLE, on)` — a non-dumpable process cannot be
/// ptraced or have its `/proc/PID/mem` opened without `CAP_SYS_PTRACE`.
pub fn set_dumpable(on: bool) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_SET_DUMPABLE, on as usize) })
}

/// `PR_SET_CHILD_SUBREAPER` (`include/uapi/linux/prctl.h`).
const PR_SET_CHILD_SUBREAPER: usize = 36;

/// `prctl(PR_SET_CHILD_SUBREAPER, 1)` — orphaned descendants of the caller
/// are reparented to it instead of to init (`kernel/exit.c`
/// `find_new_reaper`), so it can wait for (and kill) them.
pub fn set_child_subreaper() -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_SET_CHILD_SUBREAPER, 1) })
}
