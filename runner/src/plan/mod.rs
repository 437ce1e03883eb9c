//! [`Plan`]: everything the privilege drop needs, resolved and allocated up
//! front, so that applying it makes only raw syscalls over pre-built memory.

mod builder;
mod error;
mod exec;
mod fds;

pub use builder::PlanBuilder;
pub use error::{read_cap_last_cap, PlanError};
pub use exec::caller_env;
pub use fds::close_ranges;

use crate::landlock::Ruleset;
use crate::listener::Handoff;
use crate::sys::abi::{Rlimit64, SockFilter};
use crate::sys::CStrArray;
use std::ffi::CString;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The most supplementary groups a plan may set: the post-switch check reads
/// them back into a stack buffer of this size (16 KiB).
pub const MAX_GROUPS: usize = 4096;

/// What happens to file descriptors 3 and up that are not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FdMode {
    /// Mark them close-on-exec (`close_range(.., CLOSE_RANGE_CLOEXEC)`): they
    /// disappear at `execve`. The default: it works both for
    /// [`Plan::apply_and_exec`] and inside `Command::pre_exec`, where closing
    /// outright would also close the pipe std uses to report exec errors.
    #[default]
    CloseOnExec,
    /// Close them now.
    Close,
}

/// Whether to give up the controlling terminal (docs/threats.md S23).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TtyPolicy {
    /// Leave the controlling terminal alone (TIOCSTI injection is then up to
    /// the seccomp filter).
    #[default]
    Inherit,
    /// If the process has a controlling terminal, `ioctl(TIOCNOTTY)` on
    /// `/dev/tty`, so that TIOCSTI gets `EPERM`. The process stays in the
    /// terminal's foreground group (Ctrl-C still works) but `/dev/tty` gives
    /// `ENXIO` afterwards. A session leader holding a terminal cannot detach
    /// without hanging up its foreground group: that is a failure
    /// ([`crate::Step::DetachTty`] with `EPERM`). Any error opening
    /// `/dev/tty` other than `ENXIO` (no terminal) is a failure too.
    Detach,
    /// A private terminal (`--pty`, from [`crate::pty::Pty::tty_policy`]):
    /// the command starts a new session (`setsid`) whose controlling
    /// terminal is `slave`, made its stdin, stdout and stderr; then `slave`
    /// and `master` themselves are closed, so the master never reaches the
    /// command, even through a `--keep-fd` of its number (that step then
    /// fails with `EBADF`). Done first, before any other step. TIOCSTI,
    /// `tcsetpgrp` and `/dev/tty` then all reach the private terminal,
    /// never the caller's.
    Pty {
        /// The pty's slave fd.
        slave: i32,
        /// The pty's master fd.
        master: i32,
    },
}

impl TtyPolicy {
    /// Whether applying the plan already starts a new session
    /// ([`TtyPolicy::Pty`]): a second `setsid` would fail with `EPERM`.
    pub fn starts_session(self) -> bool {
        matches!(self, TtyPolicy::Pty { .. })
    }
}

/// Where the command starts (docs/threats.md S25). An inherited working
/// directory is an open directory handle: a target that could never look up
/// its path (`/root/sub` under a 0700 `/root`) can still read what is under
/// it through `.`. Both chdir policies look the path up again, after
/// `setresuid` and `capset`, so with the target's own uids, groups and
/// capabilities, and before no_new_privs and seccomp, so the filter need
/// not allow `chdir`.
///
/// A relative program path (`./x`) and an empty `PATH` entry are then
/// resolved from the new directory. With [`crate::apply_before_exec`],
/// std's own `Command::current_dir` runs (as the caller) before the hook,
/// and the plan's chdir comes after it: use [`PlanBuilder::cwd`] instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CwdPolicy {
    /// Keep the inherited working directory, handle and all.
    Inherit,
    /// `chdir(path)` as the target; if that fails with `EACCES`, `ENOENT` or
    /// `ENOTDIR` (the target cannot reach it), `chdir("/")` instead, with a
    /// line on stderr when [`PlanBuilder::cwd_fallback_warning`] asks for it.
    /// Any other error, or `/` failing too, aborts ([`crate::Step::Chdir`]).
    /// The default, with the caller's working directory read at `build`
    /// time (`/` when it cannot be read, e.g. it was deleted).
    ReEnter(PathBuf),
    /// `chdir(path)` as the target; any failure aborts ([`crate::Step::Chdir`]).
    Exact(PathBuf),
}

/// One place `execve` will try.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub(crate) path: CString,
    /// `["/bin/sh", path, argv[1..]]`, for the `ENOEXEC` fallback.
    pub(crate) sh_argv: Option<CStrArray>,
}

/// Everything resolved for a privilege drop. Build it with [`PlanBuilder`];
/// apply it with [`Plan::apply`] (e.g. in `Command::pre_exec`) or
/// [`Plan::apply_and_exec`].
///
/// `Plan` is `Send + Sync` and never mutated by applying it.
#[derive(Debug)]
pub struct Plan {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) groups: Vec<u32>,
    pub(crate) bounding_keep: u64,
    pub(crate) ambient: u64,
    pub(crate) cap_last_cap: u32,
    pub(crate) no_new_privs: bool,
    pub(crate) filter: Option<Vec<SockFilter>>,
    pub(crate) filter_flags: u32,
    /// The Landlock ruleset enforced after no_new_privs ([`PlanBuilder::landlock`]).
    pub(crate) landlock: Option<Arc<Ruleset>>,
    /// Listener mode: where the child publishes the listener fd ([`crate::listener`]).
    pub(crate) handoff: Option<Handoff>,
    pub(crate) keep_fds: Vec<i32>,
    /// `first..=last` ranges of fds to close: the gaps between kept fds, from 3 up.
    pub(crate) close_ranges: Vec<(u32, u32)>,
    pub(crate) fd_mode: FdMode,
    pub(crate) reset_signals: u64,
    pub(crate) clear_signal_mask: bool,
    pub(crate) tty: TtyPolicy,
    /// `(resource, limit)` pairs set before the uid switch.
    pub(crate) rlimits: Vec<(u32, Rlimit64)>,
    /// Whether the child calls `setsid` ([`PlanBuilder::new_session`]).
    pub(crate) new_session: bool,
    /// What [`crate::Failure::report`] writes before the message.
    pub(crate) report_prefix: String,
    /// The directory to chdir to as the target (`None`: inherit).
    pub(crate) cwd: Option<CString>,
    /// Whether `EACCES`/`ENOENT`/`ENOTDIR` on `cwd` falls back to `/`.
    pub(crate) cwd_fallback: bool,
    /// Written to stderr, before a line naming the directory and errno,
    /// when the fallback happens (`None`: silent).
    pub(crate) cwd_fallback_warning: Option<&'static str>,
    pub(crate) program: CString,
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) searched: bool,
    pub(crate) sh: CString,
    pub(crate) argv: CStrArray,
    pub(crate) envp: CStrArray,
}

impl Plan {
    /// The descriptors the plan owns (the Landlock ruleset): a parent that
    /// confines itself after forking ([`crate::reaper::confine_parent`])
    /// keeps them, or the plan's drop would close a number that is no
    /// longer its own (an fd reused since, or Rust's I/O-safety abort).
    pub fn fds(&self) -> Vec<std::os::fd::BorrowedFd<'_>> {
        self.landlock.iter().map(|r| r.as_fd()).collect()
    }

    /// Target uid (real, effective, saved and fs).
    pub fn uid(&self) -> u32 {
        self.uid
    }
    /// Target gid.
    pub fn gid(&self) -> u32 {
        self.gid
    }
    /// Supplementary groups, sorted and deduplicated (empty = none).
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }
    /// Caps kept in the bounding set (bit n = cap n).
    pub fn bounding_keep(&self) -> u64 {
        self.bounding_keep
    }
    /// Ambient caps raised for a non-root target.
    pub fn ambient(&self) -> u64 {
        self.ambient
    }
    /// The kernel's last cap, as read when planning.
    pub fn cap_last_cap(&self) -> u32 {
        self.cap_last_cap
    }
    /// The controlling-terminal policy.
    pub fn tty(&self) -> TtyPolicy {
        self.tty
    }
    /// The seccomp filter, if any.
    pub fn filter(&self) -> Option<&[SockFilter]> {
        self.filter.as_deref()
    }
    /// Whether the command starts in a new session: its own
    /// ([`PlanBuilder::new_session`]) or its pty's ([`TtyPolicy::Pty`]).
    /// A parent then forwards the terminal's signals too ([`crate::reaper`]).
    pub fn new_session(&self) -> bool {
        self.new_session || self.tty.starts_session()
    }
    /// The Landlock ruleset enforced before the filter, if any.
    pub fn landlock(&self) -> Option<&Ruleset> {
        self.landlock.as_deref()
    }
    /// The directory the command starts in, unless inherited; and whether
    /// it falls back to `/` ([`CwdPolicy::ReEnter`]).
    pub fn cwd(&self) -> Option<(&std::ffi::CStr, bool)> {
        self.cwd.as_deref().map(|c| (c, self.cwd_fallback))
    }
    /// The program as given (argv\[0\] unless overridden).
    pub fn program(&self) -> &std::ffi::CStr {
        &self.program
    }
    /// The paths `execve` will try, in order.
    pub fn exec_candidates(&self) -> impl Iterator<Item = &std::ffi::CStr> {
        self.candidates.iter().map(|c| c.path.as_c_str())
    }
    /// Candidate `i` (see [`crate::Step::Exec`]).
    pub fn exec_candidate(&self, i: usize) -> Option<&std::ffi::CStr> {
        self.candidates.get(i).map(|c| c.path.as_c_str())
    }
    /// The argument vector.
    pub fn argv(&self) -> &[CString] {
        self.argv.strings()
    }
    /// The environment, as `KEY=value` entries.
    pub fn envp(&self) -> &[CString] {
        self.envp.strings()
    }
}

const _: () = {
    const fn is<T: Send + Sync>() {}
    is::<Plan>();
};

/// Displays bytes as UTF-8, invalid sequences replaced by U+FFFD, without allocating.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{FFFD}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::exec::candidate_paths;
    use super::fds::gaps;
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn gaps_cover_everything_but_kept() {
        assert_eq!(gaps(&[]), vec![(3, u32::MAX)]);
        assert_eq!(gaps(&[3]), vec![(4, u32::MAX)]);
        assert_eq!(gaps(&[5, 9]), vec![(3, 4), (6, 8), (10, u32::MAX)]);
        assert_eq!(gaps(&[5, 6]), vec![(3, 4), (7, u32::MAX)]);
        // Any order, repeats and standard fds: the same ranges.
        assert_eq!(
            close_ranges(&[9, 1, 5, 9]),
            vec![(3, 4), (6, 8), (10, u32::MAX)]
        );
    }

    #[test]
    fn candidates_follow_execvp() {
        assert_eq!(
            candidate_paths(b"./x", b"/bin"),
            (vec![b"./x".to_vec()], false)
        );
        let (c, s) = candidate_paths(b"id", b"/a:/b/::");
        assert!(s);
        assert_eq!(
            c,
            vec![
                b"/a/id".to_vec(),
                b"/b/id".to_vec(),
                b"id".to_vec(),
                b"id".to_vec()
            ]
        );
    }

    #[test]
    fn rlimits_the_kernel_would_refuse_are_plan_errors() {
        let b = || {
            PlanBuilder::new(65534, 65534)
                .cap_last_cap(40)
                .env(Vec::<OsString>::new())
        };
        let err = b().rlimit(7, 2, 1).build().unwrap_err();
        assert_eq!(
            err.to_string(),
            "RLIMIT_NOFILE: soft limit 2 above hard limit 1"
        );
        let err = b().rlimit(16, 1, 1).build().unwrap_err();
        assert_eq!(err.to_string(), "unknown resource limit 16");
        assert!(b().rlimit(4, 0, u64::MAX).build().is_ok());
    }

    #[test]
    fn build_rejects_bad_values() {
        let b = || {
            PlanBuilder::new(65534, 65534)
                .cap_last_cap(40)
                .command(["true"])
        };
        assert_eq!(
            PlanBuilder::new(u32::MAX, 1)
                .cap_last_cap(40)
                .build()
                .unwrap_err(),
            PlanError::ReservedId("uid")
        );
        assert_eq!(
            b().groups([u32::MAX]).build().unwrap_err(),
            PlanError::ReservedId("gid")
        );
        assert_eq!(
            b().ambient(1 << 10).build().unwrap_err(),
            PlanError::AmbientNotInBounding(1 << 10)
        );
        assert_eq!(
            b().bounding_keep(1 << 41).build().unwrap_err(),
            PlanError::CapAboveLastCap { cap: 41, last: 40 }
        );
        assert_eq!(
            b().seccomp_filter(vec![], 0).build().unwrap_err(),
            PlanError::EmptyFilter
        );
        assert_eq!(
            b().seccomp_filter(vec![SockFilter::default(); 4097], 0)
                .build()
                .unwrap_err(),
            PlanError::FilterTooLong(4097)
        );
        assert_eq!(
            b().keep_fds([-1]).build().unwrap_err(),
            PlanError::BadFd(-1)
        );
        assert_eq!(
            PlanBuilder::new(0, 0)
                .cap_last_cap(40)
                .bounding_keep(1)
                .ambient(1)
                .build()
                .unwrap_err(),
            PlanError::AmbientForRoot
        );
        assert_eq!(
            b().command(["a\0b"]).build().unwrap_err(),
            PlanError::NulByte("argument")
        );
        assert_eq!(
            b().cwd("tmp").build().unwrap_err(),
            PlanError::RelativeCwd("tmp".into())
        );
        assert_eq!(
            b().cwd_policy(CwdPolicy::ReEnter("/a\0b".into()))
                .build()
                .unwrap_err(),
            PlanError::NulByte("working directory")
        );
        assert_eq!(
            PlanError::FilterTooLong(5000).to_string(),
            "seccomp filter too large: 5000 instructions (kernel limit 4096)"
        );
    }

    #[test]
    fn build_sorts_groups_and_keeps_env_exact() {
        let p = PlanBuilder::new(1, 1)
            .cap_last_cap(40)
            .groups([42, 0, 42])
            .env(["A=1", "B=x=y", "C=", "D=line1\nline2"])
            .command(["sh", "-c", "true"])
            .search_path("/nonexistent:/bin")
            .build()
            .unwrap();
        assert_eq!(p.groups(), &[0, 42]);
        let env: Vec<&[u8]> = p.envp().iter().map(|c| c.as_bytes()).collect();
        assert_eq!(env, vec![&b"A=1"[..], b"B=x=y", b"C=", b"D=line1\nline2"]);
        let c: Vec<_> = p.exec_candidates().map(|c| c.to_bytes().to_vec()).collect();
        assert_eq!(c, vec![b"/nonexistent/sh".to_vec(), b"/bin/sh".to_vec()]);
    }

    #[test]
    fn cwd_defaults_to_reentering_the_callers_directory() {
        let b = || PlanBuilder::new(1, 1).cap_last_cap(40).command(["true"]);
        let here = std::env::current_dir().unwrap();
        let p = b().build().unwrap();
        let (dir, fallback) = p.cwd().unwrap();
        assert_eq!(dir.to_bytes(), here.as_os_str().as_bytes());
        assert!(fallback);
        let p = b().cwd("/tmp").build().unwrap();
        assert_eq!(p.cwd(), Some((c"/tmp", false)));
        let p = b().cwd_policy(CwdPolicy::Inherit).build().unwrap();
        assert_eq!(p.cwd(), None);
    }
}
