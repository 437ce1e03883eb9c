//! `--pty`: go-jail stays as the parent of COMMAND and relays its private
//! terminal (`runner::pty`, which documents the relay).
//!
//! The parent opens the pty, builds the plan with the pty as COMMAND's
//! terminal (`runner::TtyPolicy::Pty`: new session, controlling terminal,
//! fds 0-2; no second `setsid`), and runs it as the run mode does
//! (`runner::reaper::Jailed`): a child subreaper forks the child that
//! applies it, then:
//!
//! - drops what it does not need (`runner::reaper::confine_parent`):
//!   no_new_privs, not dumpable, every fd but 0-2, the master and the
//!   signalfd closed, every capability but `CAP_KILL` (to forward signals to
//!   a COMMAND of another uid and kill what it leaves) given up;
//! - puts its stdin in raw mode when it is a terminal, restored on every
//!   way out but SIGKILL: the signals below are blocked and read from a
//!   signalfd, so none of them ends go-jail before the restore;
//! - relays stdin → pty and pty → stdout, copies the window size on
//!   SIGWINCH, and forwards SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 and
//!   SIGTERM to COMMAND's process group, whoever sent them: COMMAND is in a
//!   session of its own, so the caller's terminal never signals it (Ctrl-C
//!   reaches it as a byte through the pty, whose line discipline raises
//!   SIGINT); SIGTSTP stops COMMAND and go-jail with the terminal restored;
//! - when COMMAND exits, kills and reaps every process it left (unless
//!   `--keep-orphans`), copies what the pty still holds, restores the
//!   terminal and exits with COMMAND's status (128+N for signal N).

use runner::pty::{Pty, Relay};
use runner::reaper::{self, Jailed};

use crate::cmd_run;
use crate::fail::Failure;
use crate::run_config::RunConfig;

/// A new pty when `--pty` is given.
pub fn open(config: &RunConfig) -> Result<Option<Pty>, Failure> {
    match config.pty {
        true => Pty::open()
            .map(Some)
            .map_err(|e| Failure::input(e.to_string())),
        false => Ok(None),
    }
}

/// [`cmd_run::prepare`], with `pty` (if any) as COMMAND's terminal: the
/// pty's step makes the new session, so the plan's own `setsid` is off.
pub fn prepare(
    config: &RunConfig,
    notify: Option<&bpf_asm::Program>,
    pty: Option<&Pty>,
) -> Result<runner::Plan, Failure> {
    let builder = cmd_run::plan_builder(config, notify)?;
    cmd_run::build(match pty {
        Some(pty) => builder.tty(pty.tty_policy()).new_session(false),
        None => builder,
    })
}

/// The run mode with `--pty` (without a supervisor): returns go-jail's status.
pub fn run(config: &RunConfig) -> Result<i32, Failure> {
    let lifetime = |e: reaper::LifetimeError| Failure::input(e.to_string());
    let pty = Pty::open().map_err(|e| Failure::input(e.to_string()))?;
    let plan = prepare(config, None, Some(&pty))?;
    let mut jailed = Jailed::spawn(&plan, config.keep_orphans).map_err(lifetime)?;
    let mut relay = match start_relay(pty) {
        Ok(relay) => relay,
        Err(f) => {
            let _ = runner::process::kill(jailed.pid, runner::abi::SIGKILL);
            let _ = jailed.wait();
            return Err(f);
        }
    };
    let mut keep = jailed.fds();
    keep.push(relay.master_fd());
    keep.extend(plan.fds());
    reaper::confine_parent(cmd_run::PARENT_CAPS, &keep);
    if let Err(e) = jailed.start() {
        relay.restore();
        return Err(lifetime(e));
    }
    let exit = jailed.wait_relaying(Some(&mut relay));
    relay.restore();
    Ok(exit.map_err(lifetime)?.shell_status())
}

/// Starts relaying `pty` once the child holds it (stdin in raw mode when
/// it is a terminal); on failure the caller ends the child.
pub fn start_relay(pty: Pty) -> Result<Relay, Failure> {
    pty.into_relay().map_err(|e| Failure::input(e.to_string()))
}
