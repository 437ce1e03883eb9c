//! Running a plan under a supervisor: the child loads its filter with
//! `SECCOMP_FILTER_FLAG_NEW_LISTENER` and the parent takes the listener.
//!
//! # The hand-off
//!
//! The listener fd exists only in the child, and only once the filter is
//! loaded; from then on any syscall of the child may block in a
//! notification that only the listener's reader can answer. So the child
//! must not make a syscall to hand the fd over (a `sendmsg` could itself be
//! notified, with nobody listening yet), nor `execve` before the parent has
//! it (the listener is close-on-exec: it would vanish with the only
//! reference, and a command keeping it could answer its own notifications).
//!
//! Hence, over a `MAP_SHARED` page mapped when the plan was built
//! (`Handoff`), with no syscall in the child after the load:
//!
//! 1. the parent arms the page with its pid and forks ([`spawn`]);
//! 2. the child applies the plan; right before the load it sets
//!    `PR_SET_PDEATHSIG(SIGKILL)` (after `setresuid`, which clears it) and
//!    checks that its parent is still the armed pid;
//! 3. it loads the filter, stores `fd + 1` in the page, and spins (memory
//!    loads and `pause` only) until the parent stores "taken";
//! 4. the parent, polling its child's pidfd with a 50 µs timeout, sees the
//!    number and duplicates the fd with `pidfd_getfd` (as root this works
//!    although the child, after `setresuid`, is not dumpable: it needs
//!    `CAP_SYS_PTRACE`, or the same uid); [`spawn`] returns;
//! 5. the caller confines itself (drops its capabilities, closes its other
//!    fds) and only then calls [`Supervised::start`], which stores "taken".
//!    This is the start gate: until then the command has not run, so it can
//!    never see its supervisor half-confined (e.g. read a full capability
//!    set in `/proc/PPID/status`);
//! 6. the child goes on to `execve`; its first notifications queue in the
//!    kernel until the parent reads them.
//!
//! If the parent dies meanwhile the child gets SIGKILL; if the parent never
//! answers (the spin bound, [`SPIN_LIMIT`], expires) the child ends itself
//! with `ud2` (SIGILL), a way out that makes no syscall, and a late
//! [`Supervised::start`] says so ([`SpawnError::GateTimedOut`]). If
//! `pidfd_getfd` fails, the parent kills the child.

use std::fmt;
use std::os::fd::{AsFd, OwnedFd};

use crate::sys::{self, Errno, ExitKind, SharedSlots};
use crate::sys::{self as n, PollFd, POLLIN};
use crate::Plan;

const SLOT_FD: usize = 0; // 0: not yet; else listener fd + 1
const SLOT_TAKEN: usize = 1; // 0: wait; 1: go on
const SLOT_PARENT: usize = 2; // the supervisor's pid
const SLOTS: usize = 3;

/// How many `spin_loop` rounds the child waits for the parent: 2^32, about
/// a minute (2^30 rounds took 12-20 s on an x86_64 Xeon), far longer than
/// the parent's answer and its confinement take (it polls with a 50 µs
/// timeout, module docs, step 4).
pub const SPIN_LIMIT: u64 = 1 << 32;

/// The shared page of the listener hand-off (see the module docs).
#[derive(Debug)]
pub(crate) struct Handoff {
    slots: SharedSlots,
}

impl Handoff {
    pub(crate) fn new() -> Result<Handoff, Errno> {
        Ok(Handoff {
            slots: SharedSlots::new(SLOTS)?,
        })
    }

    fn arm(&self, parent: i32) {
        self.slots.set(SLOT_FD, 0);
        self.slots.set(SLOT_TAKEN, 0);
        self.slots.set(SLOT_PARENT, parent as i64);
    }

    /// The pid the child must have as parent (0 when not armed).
    pub(crate) fn parent(&self) -> i32 {
        self.slots.get(SLOT_PARENT) as i32
    }

    /// Child side: publishes the listener and waits, without syscalls, until
    /// the parent took it; `false` if it never did.
    pub(crate) fn publish_and_wait(&self, fd: i32) -> bool {
        self.slots.set(SLOT_FD, fd as i64 + 1);
        let mut spins: u64 = 0;
        while self.slots.get(SLOT_TAKEN) == 0 {
            if spins == SPIN_LIMIT {
                return false;
            }
            spins += 1;
            core::hint::spin_loop();
        }
        true
    }

    fn published(&self) -> Option<i32> {
        match self.slots.get(SLOT_FD) {
            0 => None,
            v => Some((v - 1) as i32),
        }
    }

    fn release(&self) {
        self.slots.set(SLOT_TAKEN, 1);
    }
}

/// Why [`spawn`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The plan was not built with [`crate::PlanBuilder::notify_listener`]
    /// and a filter.
    NotListening,
    /// `fork`, or `pidfd_open` of the child.
    Fork(Errno),
    /// `pidfd_getfd` of the listener (e.g. `EPERM` without `CAP_SYS_PTRACE`
    /// over a child that changed uid, or Yama's `ptrace_scope` 3); the child
    /// was killed.
    GetListener(Errno),
    /// [`Supervised::start`] came after the child stopped waiting at the
    /// start gate ([`SPIN_LIMIT`]) and ended itself: COMMAND never ran.
    GateTimedOut,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NotListening => {
                f.write_str("the plan has no seccomp filter with a notification listener")
            }
            SpawnError::Fork(e) => write!(f, "fork: {e}"),
            SpawnError::GetListener(e) => {
                write!(f, "pidfd_getfd of the seccomp listener: {e}")
            }
            SpawnError::GateTimedOut => f.write_str(
                "the command's start gate: the child stopped waiting for its supervisor (stopped or too slow to confine itself); COMMAND did not run",
            ),
        }
    }
}

impl std::error::Error for SpawnError {}

/// A child running a plan, watched by the caller. It waits at the start
/// gate (module docs, step 5) until [`Supervised::start`].
#[derive(Debug)]
pub struct Supervised<'p> {
    /// The child's pid.
    pub pid: i32,
    /// A pidfd of the child: readable once it has exited; signals go through it.
    pub pidfd: OwnedFd,
    /// The seccomp listener; `None` when the child ended before loading its
    /// filter (a failed step, reported by the child on fd 2: wait for it).
    pub listener: Option<OwnedFd>,
    handoff: &'p Handoff,
}

impl Supervised<'_> {
    /// Lets the child go on to `execve` (the start gate, module docs step
    /// 5). Call it once the supervisor has confined itself; the child waits
    /// for it, making no syscall, for [`SPIN_LIMIT`] rounds before it ends
    /// itself, which a late call reports as [`SpawnError::GateTimedOut`].
    pub fn start(&self) -> Result<(), SpawnError> {
        if self.listener.is_some() && exited(&self.pidfd) {
            return Err(SpawnError::GateTimedOut);
        }
        self.handoff.release();
        Ok(())
    }

    /// Waits for the child (after its pidfd turned readable this does not block).
    pub fn wait(&self) -> Result<ExitKind, Errno> {
        sys::wait4(self.pid)
    }

    /// Sends `sig` to the child through its pidfd.
    pub fn signal(&self, sig: u32) -> Result<(), Errno> {
        n::pidfd_send_signal(self.pidfd.as_fd(), sig)
    }
}

/// Forks a child that applies `plan` (built with
/// [`crate::PlanBuilder::notify_listener`]); returns once the listener is in
/// the caller's hands (see the module docs), or the child ended before
/// loading its filter. The child execs only after [`Supervised::start`].
///
/// The caller must be single-threaded with respect to the parent-death
/// signal: the child is killed when the *thread* that called `spawn` exits.
pub fn spawn(plan: &Plan) -> Result<Supervised<'_>, SpawnError> {
    let handoff = match (&plan.handoff, &plan.filter) {
        (Some(h), Some(_)) => h,
        _ => return Err(SpawnError::NotListening),
    };
    handoff.arm(sys::getpid());
    let pid = crate::sys::child::spawn_plan(plan, None, None, &[]).map_err(SpawnError::Fork)?;
    let pidfd = match n::pidfd_open(pid) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = n::kill(pid, crate::sys::abi::SIGKILL);
            let _ = sys::wait4(pid);
            return Err(SpawnError::Fork(e));
        }
    };
    loop {
        if let Some(fd) = handoff.published() {
            return match n::pidfd_getfd(pidfd.as_fd(), fd) {
                Ok(listener) => {
                    // undumpable before the command runs: one of the same
                    // uid could otherwise ptrace the supervisor before its
                    // confinement (not before the fork: pidfd_getfd needs
                    // the child dumpable, and it inherits the flag)
                    let _ = n::set_dumpable(false);
                    Ok(Supervised {
                        pid,
                        pidfd,
                        listener: Some(listener),
                        handoff,
                    })
                }
                Err(e) if exited(&pidfd) => {
                    let _ = e;
                    Ok(Supervised {
                        pid,
                        pidfd,
                        listener: None,
                        handoff,
                    })
                }
                Err(e) => {
                    let _ = n::pidfd_send_signal(pidfd.as_fd(), crate::sys::abi::SIGKILL);
                    let _ = sys::wait4(pid);
                    Err(SpawnError::GetListener(e))
                }
            };
        }
        let mut fds = [PollFd {
            fd: std::os::fd::AsRawFd::as_raw_fd(&pidfd),
            events: POLLIN,
            revents: 0,
        }];
        match n::poll(&mut fds, Some(50_000)) {
            Ok(1) if handoff.published().is_none() => {
                return Ok(Supervised {
                    pid,
                    pidfd,
                    listener: None,
                    handoff,
                })
            }
            _ => {}
        }
    }
}

fn exited(pidfd: &OwnedFd) -> bool {
    let mut fds = [PollFd {
        fd: std::os::fd::AsRawFd::as_raw_fd(pidfd),
        events: POLLIN,
        revents: 0,
    }];
    matches!(n::poll(&mut fds, Some(0)), Ok(1))
}
