//! User and group ids and the supplementary groups, per thread.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/credentials.7.html>

use super::arch::{self, nr};
use super::{ret, ret_unit, Errno, Result};

/// `setgroups(2)` — replaces the supplementary group list (empty = none).
///
/// # Warning
/// The raw syscall changes only the calling thread (glibc broadcasts to all
/// threads; this does not). Needs `CAP_SETGID`.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/setgroups.2.html>
pub fn setgroups(groups: &[u32]) -> Result<()> {
    // SAFETY: the kernel reads `groups.len()` u32 values from a live slice.
    ret_unit(unsafe { arch::syscall2(nr::SETGROUPS, groups.len(), groups.as_ptr() as usize) })
}

/// `getgroups(2)` — writes the supplementary groups into `buf` and returns
/// their number; with an empty `buf`, only returns the number.
pub fn getgroups(buf: &mut [u32]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` u32 values into `buf`
    // (and nothing when the length is 0).
    ret(unsafe { arch::syscall2(nr::GETGROUPS, buf.len(), buf.as_mut_ptr() as usize) })
}

/// `setresgid(2)` — sets the real, effective and saved gid; `None`
/// leaves that one unchanged.
///
/// # Warning
/// Per-thread, unlike glibc's `setresgid(3)`. The kernel reads
/// `(gid_t)-1` as "unchanged" (setresgid(2)), so `Some(u32::MAX)` is
/// refused with `EINVAL` rather than passed on (docs/threats.md S20).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/setresgid.2.html>
pub fn setresgid(r: Option<u32>, e: Option<u32>, s: Option<u32>) -> Result<()> {
    let [r, e, s] = [raw_id(r)?, raw_id(e)?, raw_id(s)?];
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall3(nr::SETRESGID, r, e, s) })
}

/// `setresuid(2)` — sets the real, effective and saved uid; `None` leaves
/// that one unchanged.
///
/// # Warning
/// Per-thread, unlike glibc's `setresuid(3)`: the runner must be
/// single-threaded. `Some(u32::MAX)` is refused with `EINVAL`, as in
/// [`setresgid`] (docs/threats.md S20). Leaving
/// uid 0 clears the permitted and effective sets unless keepcaps is set.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/setresuid.2.html>
pub fn setresuid(r: Option<u32>, e: Option<u32>, s: Option<u32>) -> Result<()> {
    let [r, e, s] = [raw_id(r)?, raw_id(e)?, raw_id(s)?];
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall3(nr::SETRESUID, r, e, s) })
}

/// An id as `set*id` take it: `None` is `(uid_t)-1`, "unchanged"; the id
/// `u32::MAX` itself, which the kernel would read the same way, is `EINVAL`.
fn raw_id(id: Option<u32>) -> Result<usize> {
    match id {
        None => Ok(u32::MAX as usize),
        Some(u32::MAX) => Err(Errno::EINVAL),
        Some(id) => Ok(id as usize),
    }
}

/// `getresuid(2)` — returns (real, effective, saved) uid.
pub fn getresuid() -> Result<(u32, u32, u32)> {
    get_res(nr::GETRESUID)
}

/// `getresgid(2)` — returns (real, effective, saved) gid.
pub fn getresgid() -> Result<(u32, u32, u32)> {
    get_res(nr::GETRESGID)
}

/// `getresuid` or `getresgid` (`call`): three ids written through pointers.
fn get_res(call: usize) -> Result<(u32, u32, u32)> {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: `call` is GETRESUID or GETRESGID, which write one u32 through
    // each pointer: three writable locals, live for the call.
    let rc = unsafe {
        arch::syscall3(
            call,
            &mut r as *mut u32 as usize,
            &mut e as *mut u32 as usize,
            &mut s as *mut u32 as usize,
        )
    };
    ret_unit(rc).map(|()| (r, e, s))
}

/// `getuid(2)` — the real uid.
pub fn getuid() -> u32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETUID) as u32 }
}

/// `geteuid(2)` — the effective uid.
pub fn geteuid() -> u32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETEUID) as u32 }
}

/// `getgid(2)` — the real gid.
pub fn getgid() -> u32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETGID) as u32 }
}

/// `getegid(2)` — the effective gid.
pub fn getegid() -> u32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETEGID) as u32 }
}
