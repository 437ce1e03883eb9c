//! File descriptors and files: open, read, write, close, duplicate, poll,
//! the close-on-exec flag, a path walk's `O_PATH` handles, `getsockopt`.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/close_range.2.html>
//! - <https://man7.org/linux/man-pages/man2/openat.2.html>
//! - <https://man7.org/linux/man-pages/man2/ppoll.2.html>

use core::ffi::CStr;
use core::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};

use super::abi::*;
use super::arch::{self, nr};
use super::{ret, ret_unit, Errno, Result};

// include/uapi/asm-generic/poll.h
/// `POLLIN`.
pub const POLLIN: i16 = 0x001;

/// `POLLOUT`.
pub const POLLOUT: i16 = 0x004;

/// `POLLERR`.
pub const POLLERR: i16 = 0x008;

/// `POLLHUP`.
pub const POLLHUP: i16 = 0x010;

/// `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    /// The descriptor (negative: ignored).
    pub fd: i32,
    /// Requested events.
    pub events: i16,
    /// Returned events.
    pub revents: i16,
}

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

const _: () = assert!(size_of::<PollFd>() == 8);

/// Wraps a descriptor the kernel just returned.
pub(super) fn owned(r: isize) -> Result<OwnedFd> {
    let fd = ret(r)? as i32;
    // SAFETY: `fd` was just created by the kernel for this process and is
    // referenced by nothing else, so the `OwnedFd` is its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `close(2)` — closes `fd`.
///
/// # Safety
/// Nothing that owns `fd` (an [`OwnedFd`], a `File`, ...) may use or close
/// it afterwards: its number may be reused for another file at once. Use
/// [`close_owned`] for a descriptor the caller owns.
pub(crate) unsafe fn close(fd: i32) -> Result<()> {
    // SAFETY: integer argument only; the caller gives up `fd` (contract above).
    ret_unit(unsafe { arch::syscall1(nr::CLOSE, fd as usize) })
}

/// Closes `fd` with the raw `close(2)` (no libc, unlike dropping it) and
/// reports its error.
pub(crate) fn close_owned(fd: OwnedFd) -> Result<()> {
    // SAFETY: `into_raw_fd` ends the only owner of the number.
    unsafe { close(fd.into_raw_fd()) }
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
///
/// # Safety
/// As [`close`], for every fd in the range (unless `flags` has
/// [`CLOSE_RANGE_CLOEXEC`], which closes nothing before `execve`).
pub(crate) unsafe fn close_range(first: u32, last: u32, flags: u32) -> Result<()> {
    // SAFETY: integer arguments only; the caller gives up the range's fds.
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
///
/// # Safety
/// As [`close_range`].
pub(crate) unsafe fn close_range_fallback(first: u32, last: u32, flags: u32) -> Result<()> {
    let limit = match super::process::getrlimit(RLIMIT_NOFILE) {
        Ok(l) => l.max.min(1 << 20) as u32,
        Err(_) => 1 << 20,
    };
    let last = last.min(limit.saturating_sub(1));
    let mut fd = first;
    while fd <= last {
        let r = if flags & CLOSE_RANGE_CLOEXEC != 0 {
            fcntl_setfd(fd as i32, FD_CLOEXEC)
        } else {
            // SAFETY: `fd` is in the range the caller gives up.
            unsafe { close(fd as i32) }
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
#[cfg(test)]
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
pub fn open(path: &CStr, flags: u32) -> Result<OwnedFd> {
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
    owned(r)
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

/// `RWF_NOWAIT` (include/uapi/linux/fs.h): fail with `EAGAIN` rather than
/// wait for room.
const RWF_NOWAIT: usize = 0x8;

/// `pwritev2(fd, {buf}, 1, -1, RWF_NOWAIT)` — writes at the file position
/// (offset -1, as `write`) what fits now, or fails with `EAGAIN` without
/// blocking, whatever `O_NONBLOCK` says of the open file description (which
/// `fd` may share with other processes). Files without `FMODE_NOWAIT` (a
/// tty) fail with `EOPNOTSUPP`: `kiocb_set_rw_flags` in include/linux/fs.h;
/// pipes and sockets have it (fs/pipe.c, net/socket.c).
pub fn write_nowait(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize> {
    #[repr(C)]
    struct Iovec {
        base: usize,
        len: usize,
    }
    let iov = Iovec {
        base: buf.as_ptr() as usize,
        len: buf.len(),
    };
    // SAFETY: the kernel reads one iovec from `iov`, which lives across the
    // call, and at most `buf.len()` bytes from `buf`; the offset -1 (both
    // halves) means the file position.
    ret(unsafe {
        arch::syscall6(
            nr::PWRITEV2,
            fd.as_raw_fd() as usize,
            &iov as *const Iovec as usize,
            1,
            usize::MAX,
            usize::MAX,
            RWF_NOWAIT,
        )
    })
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
pub fn pipe_cloexec() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: the kernel writes two ints into the live local array.
    ret_unit(unsafe { arch::syscall2(nr::PIPE2, fds.as_mut_ptr() as usize, O_CLOEXEC as usize) })?;
    // SAFETY: both descriptors were just created by the kernel for this
    // process and are referenced by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `dup3(old, new, 0)` — makes `new` a copy of `old` (without close-on-exec).
///
/// # Safety
/// As [`close`] for `new`, which the kernel closes first if it is open.
pub(crate) unsafe fn dup3(old: i32, new: i32) -> Result<()> {
    // SAFETY: integer arguments only; the caller gives up `new`.
    ret_unit(unsafe { arch::syscall3(nr::DUP3, old as usize, new as usize, 0) })
}

// ------------------------------------------- the fds of a process about to exec

/// `dup3(old, new, 0)` in a process applying a plan ([`crate::Plan::apply`]):
/// the plan's pty slave becomes fds 0-2.
pub(crate) fn dup_before_exec(old: i32, new: i32) -> Result<()> {
    // SAFETY: `Plan::apply`'s contract: it runs in a forked child or a
    // `pre_exec` hook, whose image `execve` replaces (or which exits)
    // before any owner of `new` in it runs again.
    unsafe { dup3(old, new) }
}

/// `close(2)` in a process applying a plan: the pty's and the ruleset's fds
/// the command must not inherit.
pub(crate) fn close_before_exec(fd: i32) -> Result<()> {
    // SAFETY: as in `dup_before_exec`.
    unsafe { close(fd) }
}

/// [`close_range`], or [`close_range_fallback`] on kernels without it
/// (before 5.9, or 5.11 for [`CLOSE_RANGE_CLOEXEC`]), in a process applying
/// a plan: the fds the plan does not keep.
pub(crate) fn close_range_before_exec(first: u32, last: u32, flags: u32) -> Result<()> {
    // SAFETY: as in `dup_before_exec`.
    match unsafe { close_range(first, last, flags) } {
        // ENOSYS: before 5.9; EINVAL: CLOSE_RANGE_CLOEXEC before 5.11
        // SAFETY: as in `dup_before_exec`.
        Err(Errno::ENOSYS | Errno::EINVAL) => unsafe { close_range_fallback(first, last, flags) },
        r => r,
    }
}

/// Closes every fd from 3 up but `keep`, for a parent cutting itself down
/// ([`crate::reaper::confine_parent`]); errors are ignored.
pub(crate) fn close_all_but(keep: &[BorrowedFd<'_>]) {
    let keep: Vec<i32> = keep.iter().map(|fd| fd.as_raw_fd()).collect();
    for (first, last) in crate::close_ranges(&keep) {
        // SAFETY: `confine_parent`'s documented contract: the caller keeps
        // every descriptor it still uses in `keep`, whose borrows outlive
        // the call; every other owner is done with its fd.
        let _ = unsafe { close_range(first, last, 0) };
    }
}

/// `ppoll(fds, timeout, NULL)` — waits until one of `fds` is ready or
/// `timeout_ns` nanoseconds passed (`None`: forever). Returns how many are
/// ready; `EINTR` is returned to the caller.
pub fn poll(fds: &mut [PollFd], timeout_ns: Option<u64>) -> Result<usize> {
    let ts = timeout_ns.map(|ns| Timespec {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as i64,
    });
    let ts_ptr = ts.as_ref().map_or(0, |t| t as *const Timespec as usize);
    // SAFETY: the kernel reads and writes `fds.len()` pollfd structs of the
    // live slice and reads one timespec from `ts` (or none: NULL); no signal
    // mask pointer.
    ret(unsafe {
        arch::syscall5(
            nr::PPOLL,
            fds.as_mut_ptr() as usize,
            fds.len(),
            ts_ptr,
            0,
            super::abi::KERNEL_SIGSET_SIZE,
        )
    })
}

/// `O_PATH | O_NOFOLLOW | O_CLOEXEC` (include/uapi/asm-generic/fcntl.h).
const O_PATH_NOFOLLOW: usize = 0o10000000 | 0o400000 | 0o2000000;

/// `openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)`: a handle on the
/// name `name` in directory `dir` itself, never followed if it is a
/// symbolic link (open(2) "O_PATH"): what a path walk that checks each step
/// holds, so no step can be swapped for a link after it was checked.
pub fn open_path_at(dir: BorrowedFd<'_>, name: &core::ffi::CStr) -> Result<OwnedFd> {
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    owned(unsafe {
        arch::syscall4(
            nr::OPENAT,
            dir.as_raw_fd() as usize,
            name.as_ptr() as usize,
            O_PATH_NOFOLLOW,
            0,
        )
    })
}

/// `readlinkat(link, "", buf)`: the target of the symbolic link `link`
/// holds (opened with [`open_path_at`]; readlink(2) "empty pathname").
pub fn read_link_at(link: BorrowedFd<'_>) -> Result<Vec<u8>> {
    const PATH_MAX: usize = 4096;
    let mut buf = vec![0u8; PATH_MAX];
    // SAFETY: the empty path is a static NUL-terminated string; the kernel
    // writes at most `buf.len()` bytes into `buf`, which outlives the call.
    let n = ret(unsafe {
        arch::syscall4(
            nr::READLINKAT,
            link.as_raw_fd() as usize,
            c"".as_ptr() as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })?;
    buf.truncate(n);
    Ok(buf)
}

/// `SOL_SOCKET` (include/uapi/asm-generic/socket.h).
pub const SOL_SOCKET: i32 = 1;

/// `SO_TYPE`: the socket's type (`SOCK_STREAM` 1, `SOCK_DGRAM` 2, ...).
pub const SO_TYPE: i32 = 3;

/// `SO_PROTOCOL`: the socket's protocol (`IPPROTO_TCP` 6, ...).
pub const SO_PROTOCOL: i32 = 38;

/// `getsockopt(fd, level, name)` of an `int` option (socket(7)): how the
/// supervisor tells a TCP socket (the only kind Landlock's network rules
/// govern) from the others, on a duplicate taken with [`pidfd_getfd`].
pub fn getsockopt_int(fd: BorrowedFd<'_>, level: i32, name: i32) -> Result<i32> {
    let mut value: i32 = 0;
    let mut len = size_of::<i32>() as u32;
    // SAFETY: `value` and `len` are live locals the kernel writes at most
    // `len` (4) bytes into; the other arguments are integers.
    ret(unsafe {
        arch::syscall5(
            nr::GETSOCKOPT,
            fd.as_raw_fd() as usize,
            level as usize,
            name as usize,
            &mut value as *mut i32 as usize,
            &mut len as *mut u32 as usize,
        )
    })?;
    Ok(value)
}

/// `pidfd_getfd(pidfd, fd, 0)` — a close-on-exec duplicate of the target's
/// descriptor `fd` (Linux 5.6+). Needs `PTRACE_MODE_ATTACH_REALCREDS` over
/// the target (root with `CAP_SYS_PTRACE`, or same uid and dumpable).
pub fn pidfd_getfd(pidfd: BorrowedFd<'_>, fd: i32) -> Result<OwnedFd> {
    // SAFETY: integer arguments only.
    owned(unsafe { arch::syscall3(nr::PIDFD_GETFD, pidfd.as_raw_fd() as usize, fd as usize, 0) })
}
