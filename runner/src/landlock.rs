//! A Landlock ruleset prepared before `fork`: created, filled with rules
//! (path fds opened `O_PATH | O_CLOEXEC`, closed again once the rule holds
//! the path), and kept as one close-on-exec fd that the child hands to
//! `landlock_restrict_self` ([`crate::PlanBuilder::landlock`]).
//!
//! The constants mirror `include/uapi/linux/landlock.h`; the ABI each one
//! needs is in `Documentation/userspace-api/landlock.rst`.
//!
//! # Example: `Command::pre_exec`
//!
//! ```
//! use runner::landlock::{fs, kernel_abi, Ruleset, RulesetAttr};
//! use std::{path::Path, process::Command, sync::Arc};
//!
//! if runner::process::getuid() != 0 || kernel_abi() < 1 {
//!     println!("skipping: needs root and Landlock");
//!     return;
//! }
//! let rx = fs::EXECUTE | fs::READ_FILE | fs::READ_DIR;
//! let mut ruleset = Ruleset::new(RulesetAttr { handled_access_fs: rx, ..Default::default() }).unwrap();
//! for dir in ["/usr", "/lib", "/lib64", "/bin"] {
//!     if Path::new(dir).is_dir() {
//!         ruleset.allow_path(Path::new(dir), rx).unwrap();
//!     }
//! }
//! let plan = runner::PlanBuilder::new(65534, 65534)
//!     .cwd("/")
//!     .landlock(Arc::new(ruleset))
//!     .build()
//!     .unwrap();
//! let mut cmd = Command::new("cat");
//! cmd.arg("/etc/hostname");
//! runner::apply_before_exec(&mut cmd, plan);
//! let out = cmd.output().unwrap();
//! assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
//! ```

use crate::sys::{self, landlock as ll, Errno};
use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub use crate::sys::landlock::RulesetAttr;

/// `LANDLOCK_ACCESS_FS_*` rights.
pub mod fs {
    /// Execute a file (ABI 1).
    pub const EXECUTE: u64 = 1 << 0;
    /// Open a file with write access (ABI 1).
    pub const WRITE_FILE: u64 = 1 << 1;
    /// Open a file with read access (ABI 1).
    pub const READ_FILE: u64 = 1 << 2;
    /// Open a directory or list its content (ABI 1).
    pub const READ_DIR: u64 = 1 << 3;
    /// Remove an empty directory or rename one (ABI 1).
    pub const REMOVE_DIR: u64 = 1 << 4;
    /// Unlink or rename a file (ABI 1).
    pub const REMOVE_FILE: u64 = 1 << 5;
    /// Create a character device (ABI 1).
    pub const MAKE_CHAR: u64 = 1 << 6;
    /// Create a directory (ABI 1).
    pub const MAKE_DIR: u64 = 1 << 7;
    /// Create a regular file (ABI 1).
    pub const MAKE_REG: u64 = 1 << 8;
    /// Create a unix socket (ABI 1).
    pub const MAKE_SOCK: u64 = 1 << 9;
    /// Create a named pipe (ABI 1).
    pub const MAKE_FIFO: u64 = 1 << 10;
    /// Create a block device (ABI 1).
    pub const MAKE_BLOCK: u64 = 1 << 11;
    /// Create a symbolic link (ABI 1).
    pub const MAKE_SYM: u64 = 1 << 12;
    /// Link or rename a file from or to another directory (ABI 2); denied
    /// in every domain that handles file rights unless granted.
    pub const REFER: u64 = 1 << 13;
    /// Truncate a file (ABI 3).
    pub const TRUNCATE: u64 = 1 << 14;
    /// `ioctl` on an opened character or block device (ABI 5).
    pub const IOCTL_DEV: u64 = 1 << 15;
    /// The rights that apply to a file (not a directory): a path rule on a
    /// file with any other right is `EINVAL`.
    pub const FILE: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;
}

/// `LANDLOCK_ACCESS_NET_*` rights (ABI 4).
pub mod net {
    /// `bind` a TCP socket to a port.
    pub const BIND_TCP: u64 = 1 << 0;
    /// `connect` a TCP socket to a port.
    pub const CONNECT_TCP: u64 = 1 << 1;
}

/// `LANDLOCK_SCOPE_*` restrictions (ABI 6).
pub mod scope {
    /// No `connect` to an abstract unix socket created outside the domain.
    pub const ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
    /// No signal (`kill`, `F_SETOWN` SIGIO/SIGURG) to a process outside the domain.
    pub const SIGNAL: u64 = 1 << 1;
}

/// The file-system rights an ABI knows (`LANDLOCK_MASK_ACCESS_FS` of that version).
pub const fn fs_rights(abi: u32) -> u64 {
    match abi {
        0 => 0,
        1 => (1 << 13) - 1,
        2 => (1 << 14) - 1,
        3 | 4 => (1 << 15) - 1,
        _ => (1 << 16) - 1,
    }
}

/// The network rights an ABI knows.
pub const fn net_rights(abi: u32) -> u64 {
    if abi >= 4 {
        net::BIND_TCP | net::CONNECT_TCP
    } else {
        0
    }
}

/// The scopes an ABI knows.
pub const fn scopes(abi: u32) -> u64 {
    if abi >= 6 {
        scope::ABSTRACT_UNIX_SOCKET | scope::SIGNAL
    } else {
        0
    }
}

/// The running kernel's Landlock ABI; 0 when Landlock is not built in
/// (`ENOSYS`) or disabled at boot (`EOPNOTSUPP`).
pub fn kernel_abi() -> u32 {
    sys::landlock::landlock_abi().unwrap_or(0)
}

/// A ruleset that could not be prepared. Messages are lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LandlockError {
    /// `landlock_create_ruleset` failed.
    Create(Errno),
    /// A path rule's path could not be opened `O_PATH`.
    Open(PathBuf, Errno),
    /// `landlock_add_rule` refused a path rule.
    AddPath(PathBuf, Errno),
    /// `landlock_add_rule` refused a port rule.
    AddPort(u16, Errno),
    /// A path with a NUL byte.
    NulByte(PathBuf),
}

impl fmt::Display for LandlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LandlockError::Create(e) => write!(f, "landlock_create_ruleset: {e}"),
            LandlockError::Open(p, e) => write!(f, "{}: {e}", p.display()),
            LandlockError::AddPath(p, e) => {
                write!(f, "landlock_add_rule({}): {e}", p.display())
            }
            LandlockError::AddPort(p, e) => write!(f, "landlock_add_rule(port {p}): {e}"),
            LandlockError::NulByte(p) => write!(f, "{} contains a NUL byte", p.display()),
        }
    }
}

impl std::error::Error for LandlockError {}

/// An open ruleset fd (close-on-exec), closed on drop. Rules are added
/// before `fork`; [`crate::Plan::apply`] enforces it.
#[derive(Debug)]
pub struct Ruleset {
    fd: OwnedFd,
    attr: RulesetAttr,
}

impl Ruleset {
    /// `landlock_create_ruleset` handling what `attr` names.
    pub fn new(attr: RulesetAttr) -> Result<Self, LandlockError> {
        let fd = ll::landlock_create_ruleset(&attr).map_err(LandlockError::Create)?;
        Ok(Ruleset { fd, attr })
    }

    /// What the ruleset handles.
    pub fn attr(&self) -> RulesetAttr {
        self.attr
    }

    /// The ruleset's descriptor, borrowed.
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd as _;
        self.fd.as_fd()
    }

    /// The ruleset fd (close-on-exec).
    pub fn fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Grants `access` beneath `path` (a directory: the whole tree; a file:
    /// that file). The `O_PATH` fd is closed again before returning.
    pub fn allow_path(&mut self, path: &Path, access: u64) -> Result<(), LandlockError> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| LandlockError::NulByte(path.into()))?;
        let fd = ll::open_path(&c).map_err(|e| LandlockError::Open(path.into(), e))?;
        ll::landlock_add_path_rule(self.fd(), access, fd.as_raw_fd())
            .map_err(|e| LandlockError::AddPath(path.into(), e))
    }

    /// Grants `access` (`net::*`) on TCP `port`.
    pub fn allow_port(&mut self, port: u16, access: u64) -> Result<(), LandlockError> {
        ll::landlock_add_port_rule(self.fd(), access, port)
            .map_err(|e| LandlockError::AddPort(port, e))
    }
}
