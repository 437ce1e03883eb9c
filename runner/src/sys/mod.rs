//! Safe wrappers over the raw system calls the runner makes.
//!
//! This is the only module with `unsafe` code. Every wrapper:
//! - makes exactly one raw syscall (no libc, no allocation, no locks), so it
//!   may be called between `fork` and `execve`;
//! - decodes the result in one place ([`Errno::result`]);
//! - operates on the **calling thread** where the kernel says so: raw
//!   credential calls do not go through glibc's "setxid broadcast" that makes
//!   `setresuid(3)` process-wide. The runner must therefore be single-threaded
//!   when it applies a plan (true after `fork`, and in a `pre_exec` hook).
//!
//! Split by domain: [`prctl`], [`seccomp`], [`capabilities`],
//! [`credentials`], [`fds`], [`signals`], [`process`], [`memory`],
//! [`notify`] (the supervisor's notification ioctls), [`landlock`], [`pty`];
//! [`abi`] holds the kernel's structs and constants and `errno.rs` the one
//! errno table.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/syscall.2.html>
//! - <https://man7.org/linux/man-pages/man2/syscalls.2.html>

pub mod abi;
pub mod capabilities;
pub(crate) mod child;
mod command;
pub mod credentials;
mod errno;
pub mod fds;
pub mod landlock;
pub mod memory;
pub mod notify;
pub mod prctl;
#[cfg(any(test, feature = "probe"))]
pub(crate) mod probe;
pub mod process;
pub mod pty;
pub mod seccomp;
pub mod signals;

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
pub(crate) mod arch;

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
compile_error!(
    "runner supports only Linux on x86_64 for now (see sys/x86_64.rs for what a port needs)"
);

pub use command::apply_before_exec;
pub use errno::Errno;

// The flat names the rest of the crate calls (`sys::getuid`, ...).
pub use capabilities::*;
pub use credentials::*;
pub use fds::*;
pub use memory::*;
pub use prctl::*;
pub use process::*;
pub use seccomp::*;
pub use signals::*;

/// Result of a raw system call.
pub type Result<T> = core::result::Result<T, Errno>;

#[inline]
fn ret(r: isize) -> Result<usize> {
    Errno::result(r)
}

#[inline]
fn ret_unit(r: isize) -> Result<()> {
    Errno::result(r).map(|_| ())
}

#[cfg(test)]
mod tests;
