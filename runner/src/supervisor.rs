//! The supervisor's side of `SECCOMP_RET_USER_NOTIF`: receive a
//! notification from a filter's listener, answer it, and poll the listener
//! with the supervisor's other descriptors; plus what a supervisor reads of
//! a jailed thread's objects (a pidfd, a copy of its socket, an `O_PATH`
//! walk of a path it named).
//!
//! The listener comes from [`crate::listener::spawn`]. Every call here is
//! one raw syscall behind a safe signature; descriptors are borrowed
//! ([`BorrowedFd`]) or returned owned ([`OwnedFd`](std::os::fd::OwnedFd)).
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html>
//! - <https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html>

use std::os::fd::BorrowedFd;
use std::time::Duration;

use crate::sys::notify::{self, SeccompNotifResp, SECCOMP_USER_NOTIF_FLAG_CONTINUE};
use crate::sys::{fds, Errno};

pub use crate::sys::fds::{
    getsockopt_int, open_path_at, pidfd_getfd, read_link_at, write_nowait, PollFd, POLLERR,
    POLLHUP, POLLIN, POLLOUT, SOL_SOCKET, SO_PROTOCOL, SO_TYPE,
};
pub use crate::sys::notify::{SeccompDataRaw, SeccompNotif};
pub use crate::sys::process::pidfd_open;
pub use crate::sys::signals::pidfd_send_signal;

/// How a supervisor answers a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Let the call run as if the filter had allowed it
    /// (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`).
    Continue,
    /// Fail the call with this errno (the caller sees -1 and `errno`).
    Fail(Errno),
    /// Do not run the call; it returns this value.
    Return(i64),
}

/// Waits for the next notification on `listener` (or, after [`poll`]
/// said the listener is readable, takes it). `ENOENT`: the caller went
/// away before it could be read (a signal interrupted it, or it died).
/// Retries `EINTR`.
pub fn receive(listener: BorrowedFd<'_>) -> Result<SeccompNotif, Errno> {
    notify::notif_recv(listener)
}

/// Answers the notification `id` on `listener`. `ENOENT`: the
/// notification is gone (its caller was interrupted or died).
pub fn respond(listener: BorrowedFd<'_>, id: u64, response: Response) -> Result<(), Errno> {
    let mut resp = SeccompNotifResp {
        id,
        ..SeccompNotifResp::default()
    };
    match response {
        Response::Continue => resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
        Response::Fail(e) => resp.error = -e.0,
        Response::Return(v) => resp.val = v,
    }
    notify::notif_send(listener, &resp)
}

/// Whether the notification `id` is still pending: its caller is still
/// blocked in the call, so what was read from its memory since it was
/// received was that caller's memory.
pub fn is_pending(listener: BorrowedFd<'_>, id: u64) -> bool {
    notify::notif_id_valid(listener, id)
}

/// `ppoll`: waits until one of `fds` is ready or `timeout` passed (`None`:
/// forever). Returns how many are ready; `EINTR` is returned to the caller.
pub fn poll(fds: &mut [PollFd], timeout: Option<Duration>) -> Result<usize, Errno> {
    let ns = timeout.map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX));
    fds::poll(fds, ns)
}
