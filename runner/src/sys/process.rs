//! Process lifetime: the child-subreaper bit, new sessions, and reaping any
//! child. Used by [`crate::reaper`].
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/PR_SET_CHILD_SUBREAPER.2const.html>
//! - <https://man7.org/linux/man-pages/man2/setsid.2.html>
//! - <https://man7.org/linux/man-pages/man2/wait4.2.html>

use super::{arch, nr, ret, ret_unit, ExitKind, Result};
use crate::sys::Errno;

/// `PR_SET_CHILD_SUBREAPER` (`include/uapi/linux/prctl.h`).
const PR_SET_CHILD_SUBREAPER: usize = 36;
/// `WNOHANG` (`include/uapi/linux/wait.h`).
const WNOHANG: usize = 1;

/// `prctl(PR_SET_CHILD_SUBREAPER, 1)` — orphaned descendants of the caller
/// are reparented to it instead of to init (`kernel/exit.c`
/// `find_new_reaper`), so it can wait for (and kill) them.
pub fn set_child_subreaper() -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_SET_CHILD_SUBREAPER, 1) })
}

/// `setsid(2)` — a new session and process group led by the caller, with
/// no controlling terminal. `EPERM` for a process-group leader (never the
/// case right after `fork`). Returns the new session id.
pub fn setsid() -> Result<i32> {
    // SAFETY: no arguments.
    ret(unsafe { arch::syscall0(nr::SETSID) }).map(|v| v as i32)
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
