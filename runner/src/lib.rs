//! Privilege drop for go-jail: switch to a user and group, shrink the
//! capability sets, set no_new_privs, enter a Landlock domain
//! ([`landlock`]), load a seccomp filter, `execve` —
//! with raw syscalls, no dependencies, and no allocation after planning.
//!
//! Two phases:
//! - **planning** ([`PlanBuilder::build`]) may allocate and read `/proc`: it
//!   resolves every C string, pointer array, cap mask, group list, fd range
//!   and the filter into a [`Plan`];
//! - **applying** ([`Plan::apply`], [`Plan::apply_and_exec`]) only reads the
//!   plan and makes raw syscalls, so it is safe between `fork` and `execve`,
//!   e.g. in `std::process::Command::pre_exec`. The order of the steps is
//!   documented in [`apply`](crate::Plan::apply_and_exec) and in `apply.rs`.
//!
//! # Public API
//! - the plan: [`PlanBuilder`], [`Plan`], its policies ([`FdMode`],
//!   [`TtyPolicy`], [`CwdPolicy`]), [`PlanError`]; the failure of a step
//!   when applying ([`Step`], [`Failure`], the `EXIT_*` codes); [`Errno`];
//!   [`apply_before_exec`] for `Command::pre_exec`;
//! - the invoker checks: [`check_invoker`], [`at_secure`], [`Refusal`];
//! - [`listener`] (a child whose filter notifies its parent) and
//!   [`supervisor`] (receive, answer and poll those notifications);
//! - [`reaper`] (the parent's side of a jailed process: signals, reaping,
//!   [`reaper::confine_parent`]), [`pty`] (a private terminal),
//!   [`landlock`] (a ruleset built before `fork`);
//! - [`process`] (the caller's ids and signals) and [`abi`] (kernel
//!   constants);
//! - with the `probe` feature, for tests only: `probe`, the fork-and-probe
//!   harness (a child loads a filter and makes raw syscalls).
//!
//! # Invariants
//! - `[dependencies]` is empty.
//! - Only the private `sys` module contains `unsafe` code; each block
//!   states its `SAFETY`. The public modules re-export or wrap its safe
//!   functions.
//! - Applying a plan does not allocate, lock, or call libc.
//! - The runner is single-threaded while applying: raw credential syscalls
//!   change only the calling thread.
//! - After the seccomp filter is loaded, only `execve` is called.
//!
//! # Example: `Command::pre_exec`
//!
//! ```
//! use std::process::Command;
//!
//! if runner::process::getuid() != 0 {
//!     println!("skipping: needs root");
//!     return;
//! }
//! let plan = runner::PlanBuilder::new(65534, 65534).build().unwrap();
//! let mut cmd = Command::new("id");
//! cmd.arg("-u");
//! // `Command::pre_exec` with `Plan::apply`, which is async-signal-safe.
//! runner::apply_before_exec(&mut cmd, plan);
//! let out = cmd.output().unwrap();
//! assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "65534");
//! ```
//!
//! `std` then makes its own calls after the hook (it resets signals before
//! the hook, and calls `execvp`); with a filter that denies those, use
//! [`Plan::apply_and_exec`] instead.

#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod abi;
mod apply;
mod guard;
pub mod landlock;
pub mod listener;
mod plan;
#[cfg(any(test, feature = "probe"))]
pub mod probe;
pub mod process;
pub mod pty;
pub mod reaper;
pub mod supervisor;
#[allow(unsafe_code)]
mod sys;

pub use apply::{Failure, Step, EXIT_FAILED_STEP, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND};
pub use guard::{at_secure, check_invoker, Refusal};
pub use plan::{
    caller_env, close_ranges, read_cap_last_cap, CwdPolicy, FdMode, Plan, PlanBuilder, PlanError,
    TtyPolicy, MAX_GROUPS,
};
pub use sys::abi::SockFilter;
pub use sys::{apply_before_exec, Errno};
