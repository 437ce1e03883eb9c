//! Why a plan was refused, and the kernel's last capability.

use super::MAX_GROUPS;
use crate::sys::abi::{BPF_MAXINSNS, RLIMIT_NAMES};
use std::fmt;
use std::path::PathBuf;

/// A plan that failed validation. Messages are lowercase, without a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A uid or gid of `u32::MAX`: the kernel reads it as "leave unchanged"
    /// (setresuid(2); docs/threats.md S20).
    ReservedId(&'static str),
    /// An argument, environment entry or path contains a NUL byte.
    NulByte(&'static str),
    /// An ambient cap is not in the bounding set that is kept (mask of the offenders).
    AmbientNotInBounding(u64),
    /// Ambient caps were requested for uid 0, where they mean nothing.
    AmbientForRoot,
    /// A cap above the kernel's `cap_last_cap`.
    CapAboveLastCap {
        /// The cap number.
        cap: u32,
        /// The kernel's last cap.
        last: u32,
    },
    /// A seccomp filter with no instruction.
    EmptyFilter,
    /// A seccomp filter longer than [`BPF_MAXINSNS`](crate::abi::BPF_MAXINSNS).
    FilterTooLong(usize),
    /// More than [`MAX_GROUPS`] supplementary groups.
    TooManyGroups(usize),
    /// A negative fd in the keep list.
    BadFd(i32),
    /// A kept fd that is the Landlock ruleset's: the fd asked for was not
    /// open when the ruleset was created, and the command must not get it.
    KeptRulesetFd(i32),
    /// `/proc/sys/kernel/cap_last_cap` could not be read or parsed.
    CapLastCap(String),
    /// The shared page of a listener hand-off could not be mapped (errno).
    SharedMemory(i32),
    /// A working directory ([`CwdPolicy`](crate::CwdPolicy)) that is not an absolute path: it
    /// would be looked up from the inherited directory handle.
    RelativeCwd(PathBuf),
    /// A resource limit the kernel would refuse: an unknown resource, or
    /// a soft limit above the hard one (`EINVAL` from prlimit64).
    BadRlimit {
        /// The resource number.
        resource: u32,
        /// The soft limit.
        soft: u64,
        /// The hard limit.
        hard: u64,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::ReservedId(what) => write!(
                f,
                "{what} 4294967295 is reserved (the kernel reads it as \"unchanged\")"
            ),
            PlanError::NulByte(what) => write!(f, "{what} contains a NUL byte"),
            PlanError::AmbientNotInBounding(m) => {
                write!(f, "ambient caps {m:#x} are not in the kept bounding set")
            }
            PlanError::AmbientForRoot => write!(
                f,
                "ambient caps make no sense for uid 0; keep them in the bounding set instead"
            ),
            PlanError::CapAboveLastCap { cap, last } => {
                write!(f, "cap {cap} is above this kernel's last cap ({last})")
            }
            PlanError::EmptyFilter => write!(f, "seccomp filter is empty"),
            PlanError::FilterTooLong(n) => write!(
                f,
                "seccomp filter too large: {n} instructions (kernel limit {BPF_MAXINSNS})"
            ),
            PlanError::TooManyGroups(n) => {
                write!(f, "too many supplementary groups: {n} (limit {MAX_GROUPS})")
            }
            PlanError::BadFd(fd) => write!(f, "bad fd to keep: {fd}"),
            PlanError::KeptRulesetFd(fd) => write!(
                f,
                "fd {fd} to keep is not open (that number went to the Landlock ruleset)"
            ),
            PlanError::CapLastCap(e) => write!(f, "cannot read /proc/sys/kernel/cap_last_cap: {e}"),
            PlanError::SharedMemory(e) => write!(
                f,
                "cannot map the listener hand-off page: {}",
                crate::sys::Errno(*e)
            ),
            PlanError::BadRlimit {
                resource,
                soft,
                hard,
            } => match RLIMIT_NAMES.get(*resource as usize) {
                Some(name) => write!(f, "{name}: soft limit {soft} above hard limit {hard}"),
                None => write!(f, "unknown resource limit {resource}"),
            },
            PlanError::RelativeCwd(p) => write!(
                f,
                "working directory '{}' is not an absolute path",
                p.display()
            ),
        }
    }
}

impl std::error::Error for PlanError {}

/// Reads `/proc/sys/kernel/cap_last_cap` (40 on Linux 5.9+).
pub fn read_cap_last_cap() -> Result<u32, PlanError> {
    let s = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .map_err(|e| PlanError::CapLastCap(e.to_string()))?;
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| PlanError::CapLastCap(format!("not a number: {:?}", s.trim())))?;
    if n > 63 {
        return Err(PlanError::CapLastCap(format!(
            "{n} does not fit a 64-bit mask"
        )));
    }
    Ok(n)
}
