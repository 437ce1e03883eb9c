//! The fds a plan keeps and the ranges it closes.

use super::{PlanError, TtyPolicy};
use crate::landlock::Ruleset;

/// The fds a plan keeps (`keep` from 3 up, sorted, once each) and the
/// ranges it closes: every other fd from 3 up but the Landlock ruleset's,
/// which must outlive the fd step (it is enforced later). A negative fd,
/// kept or the pty's, and a kept ruleset fd are errors.
pub(super) fn resolve(
    keep: &[i32],
    tty: TtyPolicy,
    landlock: Option<&Ruleset>,
) -> Result<Fds, PlanError> {
    if let Some(&fd) = keep.iter().find(|&&fd| fd < 0) {
        return Err(PlanError::BadFd(fd));
    }
    if let TtyPolicy::Pty { slave, master } = tty {
        if slave < 0 || master < 0 {
            return Err(PlanError::BadFd(slave.min(master)));
        }
    }
    let keep = kept_fds(keep);
    let ruleset = landlock.map(Ruleset::fd);
    if let Some(fd) = ruleset.filter(|fd| keep.contains(fd)) {
        return Err(PlanError::KeptRulesetFd(fd));
    }
    let mut holes = keep.clone();
    holes.extend(ruleset);
    let close_ranges = close_ranges(&holes);
    Ok(Fds { keep, close_ranges })
}

/// What [`resolve`] found.
pub(super) struct Fds {
    /// The fds kept, from 3 up, sorted, once each.
    pub(super) keep: Vec<i32>,
    /// The `first..=last` ranges closed.
    pub(super) close_ranges: Vec<(u32, u32)>,
}

/// The ranges `first..=last` that `close_range(2)` closes to leave only
/// fds 0–2 and `keep` open (any order; negative and standard fds ignored).
pub fn close_ranges(keep: &[i32]) -> Vec<(u32, u32)> {
    gaps(&kept_fds(keep))
}

/// The fds of `keep` above the standard three, sorted, once each.
fn kept_fds(keep: &[i32]) -> Vec<i32> {
    let mut kept: Vec<i32> = keep.iter().copied().filter(|&fd| fd >= 3).collect();
    kept.sort_unstable();
    kept.dedup();
    kept
}

/// The ranges `first..=last` covering 3..=u32::MAX minus the sorted, deduped `keep` fds (all >= 3).
pub(super) fn gaps(keep: &[i32]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut start: u32 = 3;
    for &fd in keep {
        let fd = fd as u32;
        if fd > start {
            out.push((start, fd - 1));
        }
        start = fd.saturating_add(1);
    }
    // kept fds are i32, so `start` <= 2^31 and a last range always remains
    out.push((start, u32::MAX));
    out
}
