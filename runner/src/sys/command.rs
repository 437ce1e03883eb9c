//! Applying a [`Plan`] from `std::process::Command`, without `unsafe` at the call site.

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::Plan;

/// `Command::pre_exec` — runs [`Plan::apply`] in the child between `fork`
/// and `execve`, so the spawned program starts with the plan's identity,
/// capabilities, no_new_privs and filter.
///
/// # Warning
/// `std` makes its own syscalls after the hook (`execvp`'s `execve`, and the
/// write that reports an exec error): a filter that denies them breaks the
/// spawn. Use [`Plan::apply_and_exec`] in a forked child when the filter is
/// that strict.
///
/// # References
/// `pre_exec`: <https://doc.rust-lang.org/std/os/unix/process/trait.CommandExt.html#tymethod.pre_exec>
pub fn apply_before_exec(cmd: &mut Command, plan: Plan) -> &mut Command {
    // SAFETY: `pre_exec` requires the closure to be async-signal-safe: it
    // runs after `fork` in a possibly multi-threaded parent's child.
    // `Plan::apply` only reads memory prepared before the fork and makes raw
    // syscalls; it neither allocates nor takes locks, and `Failure` converts
    // into `io::Error` from its errno alone (no allocation).
    unsafe { cmd.pre_exec(move || plan.apply().map_err(std::io::Error::from)) }
}
