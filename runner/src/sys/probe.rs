//! The forked children of the fork-and-probe harness ([`crate::probe`]):
//! a child that loads a filter and makes raw calls, and a child that runs a
//! closure. Built for tests and the `probe` feature only.

use super::abi::SockFilter;
use super::arch;
use super::child::{fork, Fork};
use super::{exit_group, wait4, ExitKind, Result, SharedSlots};
use crate::probe::{Abi, Call};

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
