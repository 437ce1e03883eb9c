//! Refusing unsafe invocations at startup (docs/threats.md S22, B25).

use crate::sys;
use std::fmt;

/// Why the runner refuses to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not run by root (real and effective uid must both be 0).
    NotRoot {
        /// Real uid.
        ruid: u32,
        /// Effective uid.
        euid: u32,
    },
    /// `AT_SECURE` is set: the binary is installed setuid/setgid or with file caps.
    Secure,
    /// `/proc/self/auxv` could not be read, so `AT_SECURE` is unknown (fails closed).
    Auxv(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotRoot { ruid, euid } => {
                write!(f, "must be run by root (real uid {ruid}, effective uid {euid}); do not install setuid")
            }
            Refusal::Secure => write!(
                f,
                "running in secure mode (AT_SECURE): do not install setuid or with file caps"
            ),
            Refusal::Auxv(e) => write!(f, "cannot read /proc/self/auxv to check AT_SECURE: {e}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Reads `AT_SECURE` from `/proc/self/auxv` (`None` when absent).
pub fn at_secure() -> std::io::Result<Option<u64>> {
    let auxv = std::fs::read("/proc/self/auxv")?;
    for pair in auxv.chunks_exact(16) {
        let key = u64::from_ne_bytes(pair[..8].try_into().expect("8 bytes"));
        let val = u64::from_ne_bytes(pair[8..].try_into().expect("8 bytes"));
        if key == sys::abi::AT_SECURE {
            return Ok(Some(val));
        }
        if key == 0 {
            break;
        }
    }
    Ok(None)
}

/// The startup check: refuses when `AT_SECURE` is set (or unknown), and,
/// when `changes_identity`, unless both real and effective uid are 0.
pub fn check_invoker(changes_identity: bool) -> Result<(), Refusal> {
    match at_secure() {
        Ok(Some(v)) if v != 0 => return Err(Refusal::Secure),
        Ok(_) => {}
        Err(e) => return Err(Refusal::Auxv(e.to_string())),
    }
    let (ruid, euid) = sys::getresuid().map_or((sys::getuid(), sys::geteuid()), |(r, e, _)| (r, e));
    if changes_identity && (ruid != 0 || euid != 0) {
        return Err(Refusal::NotRoot { ruid, euid });
    }
    Ok(())
}
