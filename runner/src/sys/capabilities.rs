//! The capability sets of the calling thread: bounding (`PR_CAPBSET_*`),
//! ambient (`PR_CAP_AMBIENT`), and effective/permitted/inheritable
//! (`capget`/`capset`).
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/capabilities.7.html>

use super::abi::*;
use super::arch::{self, nr};
use super::{ret_unit, Result};

/// `prctl(PR_CAPBSET_READ, cap)` — whether `cap` is in the bounding set.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_CAPBSET_READ.2const.html>
#[cfg(test)]
pub fn capbset_read(cap: u32) -> Result<bool> {
    // SAFETY: integer arguments only.
    super::ret(unsafe { arch::syscall2(nr::PRCTL, PR_CAPBSET_READ, cap as usize) }).map(|v| v == 1)
}

/// `prctl(PR_CAPBSET_DROP, cap)` — removes `cap` from the bounding set.
///
/// # Warning
/// Needs `CAP_SETPCAP` in the effective set, which `setresuid` from uid 0
/// to a non-root uid clears (capabilities(7), "Effect of user ID changes on
/// capabilities"): drop before `setresuid` (docs/threats.md S14).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_CAPBSET_DROP.2const.html>
pub fn capbset_drop(cap: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe { arch::syscall2(nr::PRCTL, PR_CAPBSET_DROP, cap as usize) })
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)` — adds `cap` to the ambient set.
///
/// The cap must already be in the permitted and inheritable sets.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/PR_CAP_AMBIENT.2const.html>
pub fn cap_ambient_raise(cap: u32) -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe {
        arch::syscall5(
            nr::PRCTL,
            PR_CAP_AMBIENT,
            PR_CAP_AMBIENT_RAISE,
            cap as usize,
            0,
            0,
        )
    })
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)` — empties the ambient set.
pub fn cap_ambient_clear_all() -> Result<()> {
    // SAFETY: integer arguments only.
    ret_unit(unsafe {
        arch::syscall5(nr::PRCTL, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    })
}

/// `capget(2)` — reads the calling thread's effective, permitted and inheritable sets
/// (version 3: element 0 holds caps 0..=31, element 1 caps 32..=63).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/capget.2.html>
pub fn capget() -> Result<[CapUserData; 2]> {
    let mut hdr = CapUserHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapUserData::default(); 2];
    // SAFETY: the header and two data structs are writable locals of the
    // sizes version 3 requires; the kernel writes only within them.
    let r = unsafe {
        arch::syscall2(
            nr::CAPGET,
            &mut hdr as *mut _ as usize,
            data.as_mut_ptr() as usize,
        )
    };
    ret_unit(r).map(|()| data)
}

/// `capset(2)` — sets the calling thread's effective, permitted and inheritable sets.
///
/// # Warning
/// Per-thread. The permitted set can only shrink; the inheritable set can
/// only gain caps that are permitted (or held with `CAP_SETPCAP`) and in the bounding set.
pub fn capset(data: &[CapUserData; 2]) -> Result<()> {
    let mut hdr = CapUserHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: the header is a live local (the kernel may write the preferred
    // version back into it); `data` is two readable structs as version 3 requires.
    let r = unsafe {
        arch::syscall2(
            nr::CAPSET,
            &mut hdr as *mut _ as usize,
            data.as_ptr() as usize,
        )
    };
    ret_unit(r)
}
