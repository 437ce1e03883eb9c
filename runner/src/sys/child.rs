//! Forked children: the raw `fork` and the code that runs in the child.
//!
//! Everything between `fork` and `exit_group`/`execve` here makes raw
//! syscalls only: no allocation, no locks, no std I/O. The parent may have
//! other threads (the test harness does), whose locks the child inherits in
//! whatever state they were; touching them could deadlock.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::abi::SockFilter;
use super::arch::{self, nr};
use super::{exit_group, wait4, Errno, ExitKind, Result, SharedSlots};
use crate::probe::{Abi, Call};

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

/// Slot layout of a probe's shared memory.
pub(crate) const SLOT_LOAD: usize = 0; // 0 not reached, 1 loaded, 2 failed
pub(crate) const SLOT_ERRNO: usize = 1;
pub(crate) const SLOT_COUNT: usize = 2;
pub(crate) const SLOT_RESULTS: usize = 3;

/// Forks; the child sets no_new_privs, loads `filter` with `flags`, records
/// the verdict, then (unless `load_only`) performs `calls` one by one,
/// recording each raw result, and exits 0. Returns the child's exit.
pub(crate) fn probe(
    filter: &[SockFilter],
    flags: u32,
    calls: &[Call],
    abi: Abi,
    load_only: bool,
    slots: &SharedSlots,
) -> Result<ExitKind> {
    // SAFETY: the child branch below calls only raw-syscall wrappers and
    // stores into the pre-mapped `slots`; it ends in `exit_group`.
    match unsafe { fork() }? {
        Fork::Child => {
            let load = super::set_no_new_privs()
                .and_then(|()| super::seccomp_set_mode_filter(flags, filter));
            match load {
                Ok(_) => slots.set(SLOT_LOAD, 1),
                Err(e) => {
                    slots.set(SLOT_ERRNO, e.0 as i64);
                    slots.set(SLOT_LOAD, 2);
                    exit_group(0);
                }
            }
            if !load_only {
                for (i, call) in calls.iter().enumerate() {
                    let r = match abi {
                        // SAFETY: this is a throwaway forked child whose
                        // memory is a private copy; the probe's contract
                        // (documented on `probe::run_filtered`) is that the
                        // calls are harmless (no memory-writing or
                        // process-ending calls on live memory).
                        Abi::Native => unsafe {
                            arch::syscall6(
                                call.nr as usize,
                                call.args[0] as usize,
                                call.args[1] as usize,
                                call.args[2] as usize,
                                call.args[3] as usize,
                                call.args[4] as usize,
                                call.args[5] as usize,
                            )
                        },
                        // SAFETY: as above, through the i386 entry point.
                        Abi::I386 => unsafe { arch::int80(call.nr, call.args.map(|a| a as u32)) },
                    };
                    slots.set(SLOT_RESULTS + i, r as i64);
                    slots.set(SLOT_COUNT, i as i64 + 1);
                }
            }
            exit_group(0)
        }
        Fork::Parent(pid) => wait4(pid),
    }
}

/// Forks; the child makes `stdout_fd` (when given) its fd 1 and runs
/// [`crate::Plan::apply_and_exec`] (whose listener hand-off, if any, the
/// caller has armed). On failure it reports on fd 2 and exits with
/// [`crate::Failure::exit_code`]. Returns the child's pid.
pub(crate) fn spawn_plan(plan: &crate::Plan, stdout_fd: Option<BorrowedFd<'_>>) -> Result<i32> {
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
            let failure = plan.apply_and_exec();
            failure.report(2, plan);
            exit_group(failure.exit_code())
        }
        Fork::Parent(pid) => Ok(pid),
    }
}

/// Forks; the child runs `f` and exits with its value; the parent waits.
///
/// `f` runs after `fork` in a copy of a possibly multi-threaded process:
/// it should only make raw syscalls (no allocation, no locks), like
/// everything in [`crate::Plan::apply`]. Breaking that can deadlock the
/// child, not corrupt the parent.
pub(crate) fn run_in_child(f: impl FnOnce() -> i32) -> Result<ExitKind> {
    // SAFETY: the child only runs `f`, whose contract above is raw syscalls
    // only, then `exit_group`; the parent's memory is untouched.
    match unsafe { fork() }? {
        Fork::Child => exit_group(f()),
        Fork::Parent(pid) => wait4(pid),
    }
}
