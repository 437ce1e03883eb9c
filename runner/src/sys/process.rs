//! Processes: ids, sessions, `execve`, waiting and reaping, resource
//! limits, pidfds, and the way out (`exit_group`, `trap`).
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/setsid.2.html>
//! - <https://man7.org/linux/man-pages/man2/wait4.2.html>
//! - <https://man7.org/linux/man-pages/man2/execve.2.html>
//! - <https://man7.org/linux/man-pages/man2/pidfd_open.2.html>

use core::ffi::{c_char, CStr};
use std::ffi::CString;
use std::os::fd::OwnedFd;

use super::abi::*;
use super::arch::{self, nr};
use super::fds::owned;
use super::{ret, ret_unit, Errno, Result};

/// `getpid(2)` — the process id (thread-group id).
pub fn getpid() -> i32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETPID) as i32 }
}

/// `getppid(2)` — the parent's process id.
pub fn getppid() -> i32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETPPID) as i32 }
}

/// `gettid(2)` — the calling thread's id.
pub fn gettid() -> i32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { arch::syscall0(nr::GETTID) as i32 }
}

/// `getsid(2)` — the session id of process `pid` (0 = the caller).
pub fn getsid(pid: i32) -> Result<i32> {
    // SAFETY: integer argument only.
    ret(unsafe { arch::syscall1(nr::GETSID, pid as usize) }).map(|v| v as i32)
}

/// `setsid(2)` — a new session and process group led by the caller, with
/// no controlling terminal. `EPERM` for a process-group leader (never the
/// case right after `fork`). Returns the new session id.
pub fn setsid() -> Result<i32> {
    // SAFETY: no arguments.
    ret(unsafe { arch::syscall0(nr::SETSID) }).map(|v| v as i32)
}

/// `WNOHANG` (`include/uapi/linux/wait.h`).
const WNOHANG: usize = 1;

/// `exit_group(2)` — ends every thread of the process with `code`.
///
/// # Warning
/// Does not run destructors, atexit handlers or flush stdio. If a seccomp
/// filter refuses the call, falls back to `ud2` (the process dies by SIGILL).
pub fn exit_group(code: i32) -> ! {
    // SAFETY: integer argument only; on success the call does not return.
    unsafe { arch::syscall1(nr::EXIT_GROUP, code as usize) };
    arch::trap()
}

/// Ends the calling process with `SIGILL` without a system call: the way
/// out for a child whose seccomp filter may refuse `exit_group` while
/// nobody serves its notifications.
pub fn trap() -> ! {
    arch::trap()
}

/// How a child ended, decoded from a `wait4` status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// Normal exit with this status (0..=255).
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

impl ExitKind {
    /// Decodes a `wait4` status word (`WIFEXITED`/`WTERMSIG` logic).
    pub const fn from_wait_status(status: i32) -> Self {
        if status & 0x7f == 0 {
            ExitKind::Exited((status >> 8) & 0xff)
        } else {
            ExitKind::Signaled(status & 0x7f)
        }
    }

    /// The shell's view: the code, or 128 + the signal.
    pub const fn shell_status(self) -> i32 {
        match self {
            ExitKind::Exited(c) => c,
            ExitKind::Signaled(s) => 128 + s,
        }
    }
}

/// `wait4(pid, &status, 0, NULL)` — waits for child `pid` to terminate,
/// retrying on `EINTR`.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/wait4.2.html>
pub fn wait4(pid: i32) -> Result<ExitKind> {
    loop {
        let mut status = 0i32;
        // SAFETY: `status` is a writable local; the rusage pointer is NULL.
        let r = unsafe {
            arch::syscall4(
                nr::WAIT4,
                pid as usize,
                &mut status as *mut i32 as usize,
                0,
                0,
            )
        };
        match ret(r) {
            Ok(_) => return Ok(ExitKind::from_wait_status(status)),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `wait4(-1, &status, nohang ? WNOHANG : 0, NULL)` — reaps any child that
/// has terminated: `Some((pid, how))`; `None` when `nohang` and no child has
/// terminated yet; `ECHILD` when there is no child at all. Retries `EINTR`.
pub fn wait_any(nohang: bool) -> Result<Option<(i32, ExitKind)>> {
    let flags = if nohang { WNOHANG } else { 0 };
    loop {
        let mut status = 0i32;
        // SAFETY: `status` is a writable local; the rusage pointer is NULL.
        let r = unsafe {
            arch::syscall4(
                nr::WAIT4,
                usize::MAX, // -1: any child
                &mut status as *mut i32 as usize,
                flags,
                0,
            )
        };
        match ret(r) {
            Ok(0) => return Ok(None),
            Ok(pid) => return Ok(Some((pid as i32, ExitKind::from_wait_status(status)))),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// An owned, NUL-terminated array of C strings (`argv`/`envp` shape), built
/// up front so that [`execve`] needs no allocation.
#[derive(Debug)]
pub struct CStrArray {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

// SAFETY: the pointers point into the heap buffers of `strings`, which this
// struct owns, never mutates, and frees only on drop; moving the struct does
// not move those buffers. Sharing read-only pointers across threads is sound.
unsafe impl Send for CStrArray {}

// SAFETY: see `Send`: every access through `&CStrArray` is a read.
unsafe impl Sync for CStrArray {}

impl CStrArray {
    /// Takes ownership of `strings` and builds the pointer array.
    pub fn new(strings: Vec<CString>) -> Self {
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(core::ptr::null());
        CStrArray { strings, ptrs }
    }

    /// The strings.
    pub fn strings(&self) -> &[CString] {
        &self.strings
    }

    fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }
}

/// `execve(2)` — replaces the process image; returns only on failure.
///
/// # Warning
/// This is the raw call: no `PATH` search and no `/bin/sh` fallback on
/// `ENOEXEC` (see [`crate::Plan`] for those).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/execve.2.html>
pub fn execve(path: &CStr, argv: &CStrArray, envp: &CStrArray) -> Errno {
    // SAFETY: `path` is NUL-terminated; `argv` and `envp` are NULL-terminated
    // arrays of pointers to NUL-terminated strings they own; all are live for
    // the call. On success the call does not return.
    let r = unsafe {
        arch::syscall3(
            nr::EXECVE,
            path.as_ptr() as usize,
            argv.as_ptr() as usize,
            envp.as_ptr() as usize,
        )
    };
    match ret(r) {
        Err(e) => e,
        Ok(_) => Errno::EINVAL, // execve never returns a success value
    }
}

/// `prlimit64(0, resource, NULL, &old)` — reads a resource limit.
pub fn getrlimit(resource: u32) -> Result<Rlimit64> {
    let mut lim = Rlimit64::default();
    // SAFETY: the new-limit pointer is NULL; the kernel writes one struct
    // into the live local `lim`.
    let r = unsafe {
        arch::syscall4(
            nr::PRLIMIT64,
            0,
            resource as usize,
            0,
            &mut lim as *mut Rlimit64 as usize,
        )
    };
    ret_unit(r).map(|()| lim)
}

/// `prlimit64(0, resource, &new, NULL)` — sets a resource limit of the
/// calling process. Raising a hard limit needs `CAP_SYS_RESOURCE`.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/prlimit.2.html>
pub fn setrlimit(resource: u32, limit: &Rlimit64) -> Result<()> {
    // SAFETY: the kernel reads one struct from the live `limit`; the
    // old-limit pointer is NULL.
    let r = unsafe {
        arch::syscall4(
            nr::PRLIMIT64,
            0,
            resource as usize,
            limit as *const Rlimit64 as usize,
            0,
        )
    };
    ret_unit(r)
}

/// `pidfd_open(pid, 0)` — a descriptor for process `pid` (Linux 5.3+).
/// Readable (`POLLIN`) once the process has exited.
pub fn pidfd_open(pid: i32) -> Result<OwnedFd> {
    // SAFETY: integer arguments only.
    owned(unsafe { arch::syscall2(nr::PIDFD_OPEN, pid as usize, 0) })
}
