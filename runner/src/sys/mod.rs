//! Safe wrappers over the raw system calls the runner makes.
//!
//! This is the only module with `unsafe` code. Every wrapper:
//! - makes exactly one raw syscall (no libc, no allocation, no locks), so it
//!   may be called between `fork` and `execve`;
//! - decodes the result in one place ([`Errno::result`]);
//! - operates on the **calling thread** where the kernel says so: raw
//!   credential calls do not go through glibc's "setxid broadcast" that makes
//!   `setresuid(3)` process-wide. The runner must therefore be single-threaded
//!   when it applies a plan (true after `fork`, and in a `pre_exec` hook).
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/syscall.2.html>
//! - <https://man7.org/linux/man-pages/man2/syscalls.2.html>

pub mod abi;
pub(crate) mod child;
mod command;
mod errno;
pub mod landlock;
pub mod process;
pub mod pty;
pub mod supervisor;

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
pub(crate) mod arch;

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
compile_error!(
    "runner supports only Linux on x86_64 for now (see sys/x86_64.rs for what a port needs)"
);

pub use command::apply_before_exec;
pub use errno::Errno;

use abi::*;
use arch::nr;
use core::ffi::{c_char, CStr};
use std::ffi::CString;
use std::sync::atomic::{AtomicI64, Ordering};

/// Result of a raw system call.
pub type Result<T> = core::result::Result<T, Errno>;

#[inline]
fn ret(r: isize) -> Result<usize> {
    Errno::result(r)
}

#[inline]
fn ret_unit(r: isize) -> Result<()> {
    Errno::result(r).map(|_| ())
}

/// Performs system call `nr` with six arguments and returns the raw result
/// (`-errno` on failure). For tests and probes.
///
/// # Safety
/// The call must not violate Rust's memory model: no pointer argument may
/// point to memory the caller does not own, and calls such as `clone`,
/// `munmap`, `exit` or `rt_sigreturn` must not be made.
pub unsafe fn raw_syscall6(nr: usize, args: [usize; 6]) -> isize {
    // SAFETY: forwarded to the caller's contract above.
    unsafe { arch::syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5]) }
}

/// Performs i386 system call `nr` through `int $0x80` (x86_64 only); each
/// argument is truncated to 32 bits by the ABI.
///
/// # Safety
/// As [`raw_syscall6`], for the i386 meaning of `nr`.
pub unsafe fn raw_int80(nr: u32, args: [u32; 6]) -> isize {
    // SAFETY: forwarded to the caller's contract above.
    unsafe { arch::int80(nr, args) }
}

// ---------------------------------------------------------------- prctl

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

/// `prctl(PR_GET_NO_NEW_PRIVS)` — reads the no_new_privs bit.
pub fn get_no_new_privs() -> Result<bool> {
    // SAFETY: integer arguments only.
    ret(unsafe { arch::syscall5(nr::PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) }).map(|v| v == 1)
}

/// `prctl(PR_CAPBSET_READ, cap)` — whether `cap` is in the bounding set.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_CAPBSET_READ.2const.html>
pub fn capbset_read(cap: u32) -> Result<bool> {
    // SAFETY: integer arguments only.
    ret(unsafe { arch::syscall2(nr::PRCTL, PR_CAPBSET_READ, cap as usize) }).map(|v| v == 1)
}

/// `prctl(PR_CAPBSET_DROP, cap)` — removes `cap` from the bounding set.
///
/// # Warning
/// Needs `CAP_SETPCAP` in the effective set, which `setresuid` from uid 0
/// to a non-root uid clears (capabilities(7), "Effect of user ID changes on
/// capabilities"): drop before `setresuid` (docs/threats.md S14).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_CAPBSET_DROP.2const.html>
pub fn capbset_drop(cap: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_CAPBSET_DROP, cap as usize) })
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)` — adds `cap` to the ambient set.
///
/// The cap must already be in the permitted and inheritable sets.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_CAP_AMBIENT.2const.html>
pub fn cap_ambient_raise(cap: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe {
        arch::syscall5(
            nr::PRCTL,
            PR_CAP_AMBIENT,
            PR_CAP_AMBIENT_RAISE,
            cap as usize,
            0,
            0,
        )
    })
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap)` — whether `cap` is ambient.
pub fn cap_ambient_is_set(cap: u32) -> Result<bool> {
    // SAFETY: integer arguments only.
    ret(unsafe {
        arch::syscall5(
            nr::PRCTL,
            PR_CAP_AMBIENT,
            PR_CAP_AMBIENT_IS_SET,
            cap as usize,
            0,
            0,
        )
    })
    .map(|v| v == 1)
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)` — empties the ambient set.
pub fn cap_ambient_clear_all() -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe {
        arch::syscall5(nr::PRCTL, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    })
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

// ---------------------------------------------------------------- seccomp

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

// ---------------------------------------------------------------- capabilities

/// `capget(2)` — reads the calling thread's effective, permitted and inheritable sets
/// (version 3: element 0 holds caps 0..=31, element 1 caps 32..=63).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/capget.2.html>
pub fn capget() -> Result<[CapUserData; 2]> {
    let mut hdr = CapUserHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapUserData::default(); 2];
    // SAFETY: the header and two data structs are writable locals of the
    // sizes version 3 requires; the kernel writes only within them.
    let r = unsafe {
        arch::syscall2(
            nr::CAPGET,
            &mut hdr as *mut _ as usize,
            data.as_mut_ptr() as usize,
        )
    };
    ret_unit(r).map(|()| data)
}

/// `capset(2)` — sets the calling thread's effective, permitted and inheritable sets.
///
/// # Warning
/// Per-thread. The permitted set can only shrink; the inheritable set can
/// only gain caps that are permitted (or held with `CAP_SETPCAP`) and in the bounding set.
pub fn capset(data: &[CapUserData; 2]) -> Result<()> {
    let mut hdr = CapUserHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: the header is a live local (the kernel may write the preferred
    // version back into it); `data` is two readable structs as version 3 requires.
    let r = unsafe {
        arch::syscall2(
            nr::CAPSET,
            &mut hdr as *mut _ as usize,
            data.as_ptr() as usize,
        )
    };
    ret_unit(r)
}

// ---------------------------------------------------------------- credentials

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

/// `setresgid(2)` — sets real, effective and saved gid.
///
/// # Warning
/// Per-thread, unlike glibc's `setresgid(3)`. `u32::MAX`, `(gid_t)-1`,
/// means "unchanged" to the kernel (setresgid(2)); [`crate::PlanBuilder`]
/// rejects it (docs/threats.md S20).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/setresgid.2.html>
pub fn setresgid(r: u32, e: u32, s: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall3(nr::SETRESGID, r as usize, e as usize, s as usize) })
}

/// `setresuid(2)` — sets real, effective and saved uid.
///
/// # Warning
/// Per-thread, unlike glibc's `setresuid(3)`: the runner must be
/// single-threaded. `u32::MAX`, `(uid_t)-1`, means "unchanged"
/// (setresuid(2); docs/threats.md S20). Leaving
/// uid 0 clears the permitted and effective sets unless keepcaps is set.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/setresuid.2.html>
pub fn setresuid(r: u32, e: u32, s: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall3(nr::SETRESUID, r as usize, e as usize, s as usize) })
}

/// `getresuid(2)` — returns (real, effective, saved) uid.
pub fn getresuid() -> Result<(u32, u32, u32)> {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three writable u32 locals, live for the call.
    let rc = unsafe {
        arch::syscall3(
            nr::GETRESUID,
            &mut r as *mut u32 as usize,
            &mut e as *mut u32 as usize,
            &mut s as *mut u32 as usize,
        )
    };
    ret_unit(rc).map(|()| (r, e, s))
}

/// `getresgid(2)` — returns (real, effective, saved) gid.
pub fn getresgid() -> Result<(u32, u32, u32)> {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three writable u32 locals, live for the call.
    let rc = unsafe {
        arch::syscall3(
            nr::GETRESGID,
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

// ---------------------------------------------------------------- processes

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

// ---------------------------------------------------------------- exec

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

// ---------------------------------------------------------------- fds

/// `close(2)` — closes `fd`.
pub fn close(fd: i32) -> Result<()> {
    // SAFETY: integer argument only. Closing an fd owned by Rust code (a
    // `File`) would make that owner act on a stale number, which is not a
    // memory-safety issue for the raw-fd model used here.
    ret_unit(unsafe { arch::syscall1(nr::CLOSE, fd as usize) })
}

/// `close_range(2)` — closes (or with [`CLOSE_RANGE_CLOEXEC`], marks
/// close-on-exec) every fd in `first..=last`.
///
/// # Warning
/// Linux 5.9+ (`CLOSE_RANGE_CLOEXEC` 5.11+): `ENOSYS`/`EINVAL` on older
/// kernels; see [`close_range_fallback`].
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/close_range.2.html>
pub fn close_range(first: u32, last: u32, flags: u32) -> Result<()> {
    // SAFETY: integer arguments only; see `close` about fd ownership.
    ret_unit(unsafe {
        arch::syscall3(
            nr::CLOSE_RANGE,
            first as usize,
            last as usize,
            flags as usize,
        )
    })
}

/// Emulates [`close_range`] with one `close`/`fcntl` per fd, for kernels
/// without it. `last` is capped at the `RLIMIT_NOFILE` hard limit (fds above
/// it cannot exist unless the limit was lowered after they were opened) and
/// at 2^20. `EBADF` for unused numbers is ignored.
pub fn close_range_fallback(first: u32, last: u32, flags: u32) -> Result<()> {
    let limit = match getrlimit(RLIMIT_NOFILE) {
        Ok(l) => l.max.min(1 << 20) as u32,
        Err(_) => 1 << 20,
    };
    let last = last.min(limit.saturating_sub(1));
    let mut fd = first;
    while fd <= last {
        let r = if flags & CLOSE_RANGE_CLOEXEC != 0 {
            fcntl_setfd(fd as i32, FD_CLOEXEC)
        } else {
            close(fd as i32)
        };
        match r {
            Ok(()) | Err(Errno::EBADF) => {}
            Err(e) => return Err(e),
        }
        fd += 1;
    }
    Ok(())
}

/// `fcntl(fd, F_GETFD)` — the fd flags (`FD_CLOEXEC`).
pub fn fcntl_getfd(fd: i32) -> Result<u32> {
    // SAFETY: integer arguments only.
    ret(unsafe { arch::syscall2(nr::FCNTL, fd as usize, F_GETFD as usize) }).map(|v| v as u32)
}

/// `fcntl(fd, F_SETFD, flags)` — sets the fd flags (`FD_CLOEXEC` or 0).
pub fn fcntl_setfd(fd: i32, flags: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall3(nr::FCNTL, fd as usize, F_SETFD as usize, flags as usize) })
}

/// `chdir(2)` — makes `path` the working directory. The lookup uses the
/// calling thread's current credentials (fsuid, groups, effective caps).
pub fn chdir(path: &CStr) -> Result<()> {
    // SAFETY: `path` is NUL-terminated and live for the call; the kernel only reads it.
    ret_unit(unsafe { arch::syscall1(nr::CHDIR, path.as_ptr() as usize) })
}

/// `faccessat(AT_FDCWD, path, F_OK)` — whether `path` can be looked up
/// with the calling thread's real ids (`access(2)`): `EACCES` when a
/// directory on the way may not be searched, `ENOENT` when it is missing.
pub fn exists(path: &CStr) -> Result<()> {
    // SAFETY: `path` is NUL-terminated and live for the call; the kernel only reads it.
    ret_unit(unsafe {
        arch::syscall3(
            nr::FACCESSAT,
            AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            0,
        )
    })
}

/// `openat(AT_FDCWD, path, flags)` — opens `path`; returns the fd.
pub fn open(path: &CStr, flags: u32) -> Result<i32> {
    // SAFETY: `path` is NUL-terminated and live for the call; mode is unused
    // without O_CREAT.
    let r = unsafe {
        arch::syscall4(
            nr::OPENAT,
            AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            flags as usize,
            0,
        )
    };
    ret(r).map(|v| v as i32)
}

/// `read(2)` — reads into `buf`; returns the byte count (0 = end of file).
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    ret(unsafe { arch::syscall3(nr::READ, fd as usize, buf.as_mut_ptr() as usize, buf.len()) })
}

/// `write(2)` — writes from `buf`; returns the byte count.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    ret(unsafe { arch::syscall3(nr::WRITE, fd as usize, buf.as_ptr() as usize, buf.len()) })
}

/// Writes all of `buf`, retrying short writes and `EINTR`.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `pipe2(fds, O_CLOEXEC)` — returns (read end, write end).
pub fn pipe_cloexec() -> Result<(i32, i32)> {
    let mut fds = [0i32; 2];
    // SAFETY: the kernel writes two ints into the live local array.
    ret_unit(unsafe { arch::syscall2(nr::PIPE2, fds.as_mut_ptr() as usize, O_CLOEXEC as usize) })
        .map(|()| (fds[0], fds[1]))
}

/// `dup3(old, new, 0)` — makes `new` a copy of `old` (without close-on-exec).
pub fn dup3(old: i32, new: i32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall3(nr::DUP3, old as usize, new as usize, 0) })
}

/// `ioctl(fd, TIOCNOTTY)` — gives up the controlling terminal `fd` refers to.
///
/// # Warning
/// Called by a session leader, this also sends SIGHUP to the terminal's
/// foreground process group (tty_ioctl(4), `TIOCNOTTY`).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/TIOCNOTTY.2const.html>
pub fn ioctl_tiocnotty(fd: i32) -> Result<()> {
    // SAFETY: TIOCNOTTY takes no argument pointer.
    ret_unit(unsafe { arch::syscall3(nr::IOCTL, fd as usize, TIOCNOTTY as usize, 0) })
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

// ---------------------------------------------------------------- signals

/// `rt_sigaction(sig, {SIG_DFL}, NULL, 8)` — resets `sig` to its default action.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/rt_sigaction.2.html>
pub fn signal_default(sig: u32) -> Result<()> {
    let act = KernelSigaction {
        handler: SIG_DFL,
        ..KernelSigaction::default()
    };
    // SAFETY: `act` is a live local in the kernel's layout; no old-action
    // pointer; SIG_DFL needs no restorer.
    let r = unsafe {
        arch::syscall4(
            nr::RT_SIGACTION,
            sig as usize,
            &act as *const _ as usize,
            0,
            KERNEL_SIGSET_SIZE,
        )
    };
    ret_unit(r)
}

/// `rt_sigaction(sig, NULL, &old, 8)` — the current handler value
/// (`SIG_DFL` = 0, `SIG_IGN` = 1, else a handler address).
pub fn signal_handler(sig: u32) -> Result<usize> {
    let mut old = KernelSigaction::default();
    // SAFETY: no new action; the kernel writes one struct into `old`.
    let r = unsafe {
        arch::syscall4(
            nr::RT_SIGACTION,
            sig as usize,
            0,
            &mut old as *mut _ as usize,
            KERNEL_SIGSET_SIZE,
        )
    };
    ret_unit(r).map(|()| old.handler)
}

/// `rt_sigprocmask(SIG_SETMASK, &mask, NULL, 8)` — replaces the calling
/// thread's signal mask (bit n-1 = signal n).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/rt_sigprocmask.2.html>
pub fn set_signal_mask(mask: u64) -> Result<()> {
    // SAFETY: the kernel reads 8 bytes from the live local `mask`.
    let r = unsafe {
        arch::syscall4(
            nr::RT_SIGPROCMASK,
            SIG_SETMASK,
            &mask as *const u64 as usize,
            0,
            KERNEL_SIGSET_SIZE,
        )
    };
    ret_unit(r)
}

// ---------------------------------------------------------------- shared memory

/// A `MAP_SHARED | MAP_ANONYMOUS` array of `i64` slots, shared with children
/// forked after it was created. A child can report results through plain
/// stores even when a seccomp filter denies `write`.
#[derive(Debug)]
pub struct SharedSlots {
    ptr: *const AtomicI64,
    len: usize,
}

impl SharedSlots {
    /// `mmap(2)` — maps `len` zeroed slots.
    pub fn new(len: usize) -> Result<Self> {
        let bytes = len.max(1).checked_mul(8).ok_or(Errno::ENOMEM)?;
        // SAFETY: a fresh anonymous mapping at a kernel-chosen address; it
        // aliases no existing Rust object.
        let r = unsafe {
            arch::syscall6(
                nr::MMAP,
                0,
                bytes,
                PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS,
                usize::MAX,
                0,
            )
        };
        let addr = ret(r)?;
        Ok(SharedSlots {
            ptr: addr as *const AtomicI64,
            len: len.max(1),
        })
    }

    /// Stores `v` in slot `i` (ignored when out of range).
    pub fn set(&self, i: usize, v: i64) {
        if i < self.len {
            // SAFETY: `i < len`, the mapping is live until drop, is 8-byte
            // aligned (page-aligned) and only ever accessed atomically.
            unsafe { (*self.ptr.add(i)).store(v, Ordering::SeqCst) }
        }
    }

    /// Loads slot `i` (0 when out of range).
    pub fn get(&self, i: usize) -> i64 {
        if i < self.len {
            // SAFETY: as in `set`.
            unsafe { (*self.ptr.add(i)).load(Ordering::SeqCst) }
        } else {
            0
        }
    }
}

impl Drop for SharedSlots {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `new`; no reference
        // into it outlives `self`.
        unsafe { arch::syscall2(nr::MUNMAP, self.ptr as usize, self.len * 8) };
    }
}
