//! Loading a seccomp filter.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/seccomp.2.html>

use super::abi::*;
use super::arch::{self, nr};
use super::{ret, Errno, Result};

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)` — installs `filter` on the
/// calling thread (all threads with `SECCOMP_FILTER_FLAG_TSYNC`). Returns the
/// listener fd with `SECCOMP_FILTER_FLAG_NEW_LISTENER`, else 0.
///
/// # Warning
/// Needs no_new_privs or `CAP_SYS_ADMIN`. A program longer than
/// [`BPF_MAXINSNS`] gives `EINVAL`; past 32768 stacked instructions, `ENOMEM`.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/seccomp.2.html>
pub fn seccomp_set_mode_filter(flags: u32, filter: &[SockFilter]) -> Result<i32> {
    let Ok(len) = u16::try_from(filter.len()) else {
        return Err(Errno::EINVAL);
    };
    let prog = SockFprog {
        len,
        filter: filter.as_ptr(),
    };
    // SAFETY: `prog` and the slice it points to are live for the whole call;
    // the kernel copies the program into its own memory before returning.
    let r = unsafe {
        arch::syscall3(
            nr::SECCOMP,
            SECCOMP_SET_MODE_FILTER,
            flags as usize,
            &prog as *const SockFprog as usize,
        )
    };
    ret(r).map(|v| v as i32)
}
