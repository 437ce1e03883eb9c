//! Asking the kernel: load a filter in a forked child and run syscalls under it.
//!
//! These helpers exist so that tests (here and in other crates) can compare
//! a compiled filter's behaviour, and the kernel's verifier, with their own
//! models. Each call forks a child; the parent is never filtered.
//!
//! The child reports through a `MAP_SHARED` anonymous mapping created before
//! the fork, not a pipe, so that results arrive even when the filter denies
//! `write`. If the filter also refuses `exit_group`, the child ends itself
//! with `ud2` and the exit is `Signaled(4)` (SIGILL).
//!
//! # Contract
//! The calls must be harmless: they run in a throwaway child, but a call that
//! writes memory (`read` into an address), unmaps it, or changes the process
//! (`clone`, `exit`, `rt_sigreturn`) can make the child misbehave. Tests
//! issue calls like `getpid`, `getppid`, `gettid`, `getuid` with arbitrary
//! integer arguments, and invalid numbers.

use crate::sys::child;
use crate::sys::probe::{self as forked, SLOT_COUNT, SLOT_ERRNO, SLOT_LOAD, SLOT_RESULTS};
use crate::sys::{abi::SockFilter, Errno, SharedSlots};

pub use crate::sys::ExitKind;

/// One raw system call for the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The raw number, as put in `eax`/`rax`: may carry the x32 bit or be `0xffffffff`.
    pub nr: u32,
    /// Arguments (truncated to 32 bits for [`run_filtered_int80`]).
    pub args: [u64; 6],
}

impl Call {
    /// A call with all arguments zero.
    pub const fn new(nr: u32) -> Self {
        Call { nr, args: [0; 6] }
    }

    /// A call with the given arguments.
    pub const fn with_args(nr: u32, args: [u64; 6]) -> Self {
        Call { nr, args }
    }
}

/// Which kernel entry the probe uses for its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// The native `syscall` instruction (x86_64 numbers, `AUDIT_ARCH_X86_64`).
    Native,
    /// `int $0x80` (i386 numbers, `AUDIT_ARCH_I386`).
    I386,
}

/// What happened in the probe child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// Whether `seccomp(SECCOMP_SET_MODE_FILTER)` (after no_new_privs) succeeded.
    pub load: Result<(), Errno>,
    /// The raw return value of each call made, in order (`-errno` on failure).
    /// Shorter than the calls when the child was killed mid-way; empty when
    /// the load failed.
    pub results: Vec<isize>,
    /// How the child ended: `Exited(0)` normally, `Signaled(31)` (SIGSYS)
    /// when a filter killed it.
    pub exit: ExitKind,
}

fn run(
    filter: &[SockFilter],
    flags: u32,
    calls: &[Call],
    abi: Abi,
    load_only: bool,
) -> Result<ProbeOutcome, Errno> {
    let slots = SharedSlots::new(SLOT_RESULTS + calls.len())?;
    let exit = forked::probe(filter, flags, calls, abi, load_only, &slots)?;
    let load = match slots.get(SLOT_LOAD) {
        1 => Ok(()),
        2 => Err(Errno(slots.get(SLOT_ERRNO) as i32)),
        // the child died before recording the verdict: treat as a failed load
        _ => Err(Errno::ECHILD),
    };
    let n = (slots.get(SLOT_COUNT).max(0) as usize).min(calls.len());
    let results = (0..n)
        .map(|i| slots.get(SLOT_RESULTS + i) as isize)
        .collect();
    Ok(ProbeOutcome {
        load,
        results,
        exit,
    })
}

/// Forks; the child sets no_new_privs, loads `filter`, then makes each of
/// `calls` with the native `syscall` instruction and records the raw result.
///
/// The outer `Err` means the probe itself failed (mmap, fork, wait4).
pub fn run_filtered(filter: &[SockFilter], calls: &[Call]) -> Result<ProbeOutcome, Errno> {
    run(filter, 0, calls, Abi::Native, false)
}

/// As [`run_filtered`], with `SECCOMP_FILTER_FLAG_*` flags.
pub fn run_filtered_with_flags(
    filter: &[SockFilter],
    flags: u32,
    calls: &[Call],
) -> Result<ProbeOutcome, Errno> {
    run(filter, flags, calls, Abi::Native, false)
}

/// As [`run_filtered`], but each call goes through `int $0x80`, so the filter
/// sees `arch == AUDIT_ARCH_I386` and i386 syscall numbers (e.g. 20 = getpid).
pub fn run_filtered_int80(filter: &[SockFilter], calls: &[Call]) -> Result<ProbeOutcome, Errno> {
    run(filter, 0, calls, Abi::I386, false)
}

/// Loads `filter` in a child and returns only the kernel's verdict: `Ok(())`
/// or the errno of `seccomp(2)` (`EINVAL` for a program the kernel's checker
/// rejects, `ENOMEM` past the stacking limit).
pub fn kernel_accepts(filter: &[SockFilter]) -> Result<(), Errno> {
    run(filter, 0, &[], Abi::Native, true)?.load
}

/// What a [`run_plan`] child did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRun {
    /// Everything the child (and the program it ran) wrote to fd 1.
    pub stdout: Vec<u8>,
    /// How it ended: the program's own status, or [`crate::Failure::exit_code`]
    /// (125/126/127) after the failure was reported on fd 2.
    pub exit: ExitKind,
}

/// Forks; the child runs [`crate::Plan::apply_and_exec`] with its fd 1
/// connected to a pipe, which the parent reads to the end. Needs root for
/// any plan that changes identity.
pub fn run_plan(plan: &crate::Plan) -> Result<PlanRun, Errno> {
    use crate::sys;
    use std::os::fd::{AsFd, AsRawFd};
    let (r, w) = sys::pipe_cloexec()?;
    let pid = child::spawn_plan(plan, Some(w.as_fd()), None, &[]);
    drop(w);
    let pid = pid?;
    let mut stdout = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys::read(r.as_raw_fd(), &mut buf) {
            Ok(0) => break,
            Ok(n) => stdout.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            Err(_) => break,
        }
    }
    drop(r);
    let exit = sys::wait4(pid)?;
    Ok(PlanRun { stdout, exit })
}

/// Forks and runs `f` in the child, which exits with `f`'s value; returns
/// how the child ended. `f` should only make raw syscalls (no allocation,
/// no locks), as [`crate::Plan::apply`] does: it runs right after `fork`.
pub fn run_in_child(f: impl FnOnce() -> i32) -> Result<ExitKind, Errno> {
    forked::run_in_child(f)
}

/// Every capability the running kernel knows (`cap_last_cap`), as a mask.
pub fn all_caps() -> u64 {
    let last = crate::read_cap_last_cap().unwrap_or(40);
    if last >= 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    }
}

/// The value of field `name` in a `/proc/PID/status` text, trimmed.
///
/// # Panics
/// When `status` has no such field.
pub fn status_field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .unwrap_or_else(|| panic!("no {name} in {status}"))
        .trim()
}
