//! `--pty`: go-jail stays as the parent of COMMAND and relays its private
//! terminal (`runner::pty`, which documents the relay).
//!
//! The parent opens the pty, builds the plan with the pty as COMMAND's
//! terminal (`runner::TtyPolicy::Pty`: new session, controlling terminal,
//! fds 0-2), forks the child that applies it, then:
//!
//! - drops what it does not need: no_new_privs, not dumpable, every fd but
//!   0-2, the master, the signalfd and the child's pidfd closed, every
//!   capability but `CAP_KILL` (to forward signals to a COMMAND of another
//!   uid) given up;
//! - puts its stdin in raw mode when it is a terminal, restored on every
//!   way out but SIGKILL: the signals below are blocked and read from a
//!   signalfd, so none of them ends go-jail before the restore;
//! - relays stdin → pty and pty → stdout, copies the window size on
//!   SIGWINCH, and forwards SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 and
//!   SIGTERM to the child, whoever sent them: COMMAND is in a session of its
//!   own, so the caller's terminal never signals it (Ctrl-C reaches it as a
//!   byte through the pty, whose line discipline raises SIGINT);
//! - when the child exits, copies what the pty still holds, restores the
//!   terminal and exits with the child's status (128+N for signal N).

use std::os::fd::{AsFd, AsRawFd};

use runner::pty::{Child, Pty, Relay};
use runner::sys::notify::{self as n, PollFd, POLLIN};
use runner::sys::{Errno, ExitKind};

use crate::args::RunArgs;
use crate::cmd_run;
use crate::fail::Failure;
use crate::supervise;

const SIGWINCH: u32 = 28;
/// Signals read from the signalfd (bit n-1 = signal n): forwarded, but
/// SIGWINCH, which resizes the pty.
const HANDLED: u64 = sig(1) | sig(2) | sig(3) | sig(10) | sig(12) | sig(15) | sig(SIGWINCH);
const CAP_KILL: u32 = 5;

const fn sig(n: u32) -> u64 {
    1 << (n - 1)
}

fn sys_failure(what: &str, e: Errno) -> Failure {
    Failure::input(format!("{what}: {e}"))
}

/// A new pty when `--pty` is given.
pub fn open(args: &RunArgs) -> Result<Option<Pty>, Failure> {
    match args.pty {
        true => Pty::open()
            .map(Some)
            .map_err(|e| Failure::input(e.to_string())),
        false => Ok(None),
    }
}

/// [`cmd_run::prepare`], with `pty` (if any) as COMMAND's terminal.
pub fn prepare(
    args: &RunArgs,
    notify: Option<&bpf_asm::Program>,
    pty: Option<&Pty>,
) -> Result<runner::Plan, Failure> {
    let builder = cmd_run::plan_builder(args, notify)?;
    cmd_run::build(match pty {
        Some(pty) => builder.tty(pty.tty_policy()),
        None => builder,
    })
}

/// The run mode with `--pty` (without a supervisor): returns go-jail's status.
pub fn run(args: &RunArgs) -> Result<i32, Failure> {
    let pty = Pty::open().map_err(|e| Failure::input(e.to_string()))?;
    let plan = prepare(args, None, Some(&pty))?;
    n::block_signals(HANDLED).map_err(|e| sys_failure("rt_sigprocmask", e))?;
    let sigfd = n::signalfd(HANDLED).map_err(|e| sys_failure("signalfd", e))?;
    let child = runner::pty::spawn(&plan).map_err(|e| sys_failure("fork", e))?;
    let mut relay = start_relay(pty, || {
        let _ = child.signal(runner::sys::abi::SIGKILL);
        let _ = child.wait();
    })?;
    supervise::drop_privileges(
        &[
            relay.master_fd(),
            sigfd.as_raw_fd(),
            child.pidfd.as_raw_fd(),
        ],
        1 << CAP_KILL,
    );
    let exit = relay_until_exit(&mut relay, &child, sigfd.as_fd());
    relay.restore();
    Ok(exit?.shell_status())
}

/// Starts relaying `pty` once the child holds it; if that fails (raw mode
/// on stdin), `kill` ends the child first.
pub fn start_relay(pty: Pty, kill: impl FnOnce()) -> Result<Relay, Failure> {
    pty.into_relay().map_err(|e| {
        kill();
        Failure::input(e.to_string())
    })
}

/// Relays until the child exits, then copies what the pty still holds and
/// reaps the child.
fn relay_until_exit(
    relay: &mut Relay,
    child: &Child,
    sigfd: std::os::fd::BorrowedFd<'_>,
) -> Result<ExitKind, Failure> {
    loop {
        let [input, output] = relay.poll_fds();
        let watch = |fd: i32| PollFd {
            fd,
            events: POLLIN,
            revents: 0,
        };
        let mut fds = [
            input,
            output,
            watch(sigfd.as_raw_fd()),
            watch(child.pidfd.as_raw_fd()),
        ];
        match n::poll(&mut fds, None) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(sys_failure("ppoll", e)),
        }
        relay.pump(&[fds[0], fds[1]]);
        if fds[2].revents & POLLIN != 0 {
            while let Ok(Some(info)) = n::read_signal(sigfd) {
                if info.signo == SIGWINCH {
                    relay.sync_window_size();
                } else {
                    let _ = child.signal(info.signo);
                }
            }
        }
        if fds[3].revents & POLLIN != 0 {
            break;
        }
    }
    relay.drain();
    child.wait().map_err(|e| sys_failure("wait4", e))
}
