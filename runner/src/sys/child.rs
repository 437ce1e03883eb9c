//! Forked children: the raw `fork` and the code that runs in the child.
//!
//! Everything between `fork` and `exit_group`/`execve` here makes raw
//! syscalls only: no allocation, no locks, no std I/O. The parent may have
//! other threads (the test harness does), whose locks the child inherits in
//! whatever state they were; touching them could deadlock.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::arch::{self, nr};
use super::{exit_group, Errno, Result};

/// Which side of a fork we are on.
pub(super) enum Fork {
    Child,
    Parent(i32),
}

/// `clone(SIGCHLD, 0, ...)` — `fork(2)` without glibc's atfork handlers.
///
/// # Safety
/// The child has a single thread and a copy of the parent's memory, including
/// locks held by other threads. Until it calls `execve` or `exit_group`, the
/// child must make raw syscalls only (no allocation, no locks).
pub(super) unsafe fn fork() -> Result<Fork> {
    // SAFETY: with a NULL stack the child resumes on a private copy of this
    // stack, exactly like fork(2); the other arguments (ptid, ctid, tls) are
    // unused without the matching flags. The caller upholds the child-side
    // contract above.
    let r = unsafe { arch::syscall5(nr::CLONE, super::abi::SIGCHLD as usize, 0, 0, 0, 0) };
    match Errno::result(r)? {
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid as i32)),
    }
}

/// Forks; the child closes its copies of `parent_only`, makes `stdout_fd`
/// (when given) its fd 1, waits for a
/// byte on the read end of `gate` (when given, as (read end, write end):
/// the parent's start signal; the child closes its copy of the write end
/// first, so that a parent that dies gives it end of file, and then says
/// so on fd 2 and exits 125), and runs
/// [`crate::Plan::apply_and_exec`] (whose listener hand-off, if any, the
/// caller has armed). On failure it reports on fd 2 and exits with
/// [`crate::Failure::exit_code`]. Returns the child's pid.
pub(crate) fn spawn_plan(
    plan: &crate::Plan,
    stdout_fd: Option<BorrowedFd<'_>>,
    gate: Option<(BorrowedFd<'_>, BorrowedFd<'_>)>,
    parent_only: &[BorrowedFd<'_>],
) -> Result<i32> {
    // SAFETY: in the child, `dup3`, `Plan::apply_and_exec` (allocation-free
    // by the crate's invariant: it only reads pre-built memory, stores into
    // pre-mapped hand-off slots and makes raw syscalls), `Failure::report`
    // (formats into a stack buffer) and `exit_group` are all
    // raw-syscall-only.
    match unsafe { fork() }? {
        Fork::Child => {
            if let Some(fd) = stdout_fd {
                // SAFETY: the child's fd 1 belongs to nothing that runs
                // again: the child execs or exits below.
                if let Err(e) = unsafe { super::dup3(fd.as_raw_fd(), 1) } {
                    exit_group(100 + e.0.min(27));
                }
            }
            for fd in parent_only {
                // SAFETY: the child's copy of a parent-only fd (such as
                // the parent's signalfd) belongs to nothing that runs
                // again; closed so that no fd the plan keeps can be it.
                let _ = unsafe { super::close(fd.as_raw_fd()) };
            }
            if let Some((read, write)) = gate {
                // SAFETY: the child's copy of the write end belongs to
                // nothing that runs again: the child execs or exits below.
                let _ = unsafe { super::close(write.as_raw_fd()) };
                wait_at_gate(read.as_raw_fd());
                // SAFETY: as above, for the read end: closed before the plan
                // runs, so that no fd the plan keeps can be the gate.
                let _ = unsafe { super::close(read.as_raw_fd()) };
            }
            let failure = plan.apply_and_exec();
            failure.report(2, plan);
            exit_group(failure.exit_code())
        }
        Fork::Parent(pid) => Ok(pid),
    }
}

/// In the child: blocks until the parent writes its start byte on `gate`;
/// exits 125 (saying why on fd 2) when the parent closed it instead.
fn wait_at_gate(gate: i32) {
    let mut byte = [0u8; 1];
    loop {
        match super::read(gate, &mut byte) {
            Ok(1) => return,
            Err(Errno::EINTR) => {}
            _ => {
                let _ = super::write_all(
                    2,
                    b"go-jail: the parent ended before starting the command\n",
                );
                exit_group(crate::EXIT_FAILED_STEP);
            }
        }
    }
}
