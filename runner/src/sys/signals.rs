//! Signals: dispositions, the signal mask, a `signalfd`, and sending.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/rt_sigaction.2.html>
//! - <https://man7.org/linux/man-pages/man2/signalfd.2.html>
//! - <https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html>

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::abi::*;
use super::arch::{self, nr};
use super::fds::owned;
use super::{ret_unit, Errno, Result};

/// `SI_KERNEL` (include/uapi/asm-generic/siginfo.h): a signal the kernel
/// generated, e.g. the terminal's SIGINT/SIGWINCH to the foreground group.
pub const SI_KERNEL: i32 = 0x80;

const SIG_BLOCK: usize = 0;

const O_NONBLOCK: usize = 0o4000;

/// The fields of `struct signalfd_siginfo` a supervisor needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalInfo {
    /// The signal.
    pub signo: u32,
    /// `si_code`: `SI_KERNEL` (0x80, a signal the kernel generated),
    /// `SI_USER` (0), `SI_QUEUE`, ...
    pub code: i32,
    /// The sender's pid (for `SI_USER`/`SI_QUEUE`).
    pub pid: u32,
}

const SIGNALFD_SIGINFO_SIZE: usize = 128;

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
#[cfg(test)]
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

/// `rt_sigprocmask(SIG_BLOCK, &mask, &old, 8)` — blocks the signals of
/// `mask` (bit n-1 = signal n) on the calling thread; returns the old mask.
pub fn block_signals(mask: u64) -> Result<u64> {
    let mut old = 0u64;
    // SAFETY: the kernel reads 8 bytes from `mask` and writes 8 into `old`,
    // both live locals.
    let r = unsafe {
        arch::syscall4(
            nr::RT_SIGPROCMASK,
            SIG_BLOCK,
            &mask as *const u64 as usize,
            &mut old as *mut u64 as usize,
            super::abi::KERNEL_SIGSET_SIZE,
        )
    };
    ret_unit(r).map(|()| old)
}

/// `signalfd4(-1, &mask, 8, SFD_CLOEXEC | SFD_NONBLOCK)` — a descriptor
/// from which the (blocked) signals of `mask` are read.
pub fn signalfd(mask: u64) -> Result<OwnedFd> {
    // SAFETY: the kernel reads 8 bytes from the live local `mask`.
    owned(unsafe {
        arch::syscall4(
            nr::SIGNALFD4,
            usize::MAX, // -1: a new descriptor
            &mask as *const u64 as usize,
            super::abi::KERNEL_SIGSET_SIZE,
            O_CLOEXEC as usize | O_NONBLOCK,
        )
    })
}

/// Reads one pending signal from a `signalfd` (as
/// [`watch_signals`](crate::reaper::watch_signals) makes); `None` when none is pending.
pub fn read_signal(fd: BorrowedFd<'_>) -> Result<Option<SignalInfo>> {
    let mut buf = [0u8; SIGNALFD_SIGINFO_SIZE];
    match super::read(fd.as_raw_fd(), &mut buf) {
        Ok(n) if n == SIGNALFD_SIGINFO_SIZE => {
            let word = |i: usize| [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]];
            Ok(Some(SignalInfo {
                signo: u32::from_ne_bytes(word(0)),
                code: i32::from_ne_bytes(word(8)),
                pid: u32::from_ne_bytes(word(12)),
            }))
        }
        Ok(_) => Err(Errno::EIO),
        Err(Errno::EAGAIN) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `kill(2)` — sends `sig` to process (or thread group of thread) `pid`.
pub fn kill(pid: i32, sig: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::KILL, pid as isize as usize, sig as usize) })
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)` — sends `sig` to the process
/// (no pid-reuse race).
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: u32) -> Result<()> {
    // SAFETY: integer arguments; the siginfo pointer is NULL.
    ret_unit(unsafe {
        arch::syscall4(
            nr::PIDFD_SEND_SIGNAL,
            pidfd.as_raw_fd() as usize,
            sig as usize,
            0,
            0,
        )
    })
}
