//! [`Plan`]: everything the privilege drop needs, resolved and allocated up
//! front, so that applying it makes only raw syscalls over pre-built memory.

use crate::landlock::Ruleset;
use crate::listener::Handoff;
use crate::sys::abi::{
    Rlimit64, SockFilter, BPF_MAXINSNS, RLIMIT_NAMES, SECCOMP_FILTER_FLAG_NEW_LISTENER, SIGPIPE,
};
use crate::sys::CStrArray;
use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
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
    /// A working directory ([`CwdPolicy`]) that is not an absolute path: it
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

/// Builds a [`Plan`] from plain Rust values. Defaults: no supplementary
/// groups, empty bounding set, no ambient caps, no_new_privs on, no filter,
/// every fd from 3 up closed at exec ([`FdMode::CloseOnExec`]), SIGPIPE reset
/// to `SIG_DFL`, signal mask emptied, tty and session inherited, working directory
/// re-entered by path as the target ([`CwdPolicy::ReEnter`]), environment
/// inherited, `PATH` from the caller's environment, `/bin/sh` fallback on
/// `ENOEXEC`.
#[derive(Debug, Clone)]
pub struct PlanBuilder {
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
    bounding_keep: u64,
    ambient: u64,
    cap_last_cap: Option<u32>,
    no_new_privs: bool,
    filter: Option<Vec<SockFilter>>,
    filter_flags: u32,
    landlock: Option<Arc<Ruleset>>,
    notify_listener: bool,
    keep_fds: Vec<i32>,
    fd_mode: FdMode,
    reset_signals: u64,
    clear_signal_mask: bool,
    tty: TtyPolicy,
    rlimits: Vec<(u32, Rlimit64)>,
    new_session: bool,
    report_prefix: String,
    /// `None`: [`CwdPolicy::ReEnter`] of the caller's directory at `build`.
    cwd: Option<CwdPolicy>,
    cwd_fallback_warning: Option<&'static str>,
    argv: Vec<OsString>,
    program: Option<OsString>,
    env: Option<Vec<OsString>>,
    search_path: Option<OsString>,
    sh_fallback: bool,
}

impl PlanBuilder {
    /// A plan that switches to `uid`/`gid`, with the defaults above.
    pub fn new(uid: u32, gid: u32) -> Self {
        PlanBuilder {
            uid,
            gid,
            groups: Vec::new(),
            bounding_keep: 0,
            ambient: 0,
            cap_last_cap: None,
            no_new_privs: true,
            filter: None,
            filter_flags: 0,
            landlock: None,
            notify_listener: false,
            keep_fds: Vec::new(),
            fd_mode: FdMode::default(),
            reset_signals: 1 << (SIGPIPE - 1),
            clear_signal_mask: true,
            tty: TtyPolicy::default(),
            rlimits: Vec::new(),
            new_session: false,
            report_prefix: String::new(),
            cwd: None,
            cwd_fallback_warning: None,
            argv: Vec::new(),
            program: None,
            env: None,
            search_path: None,
            sh_fallback: true,
        }
    }
    /// Supplementary groups (empty = cleared).
    pub fn groups(mut self, groups: impl IntoIterator<Item = u32>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }
    /// Caps to keep in the bounding set (bit n = cap n); all others up to
    /// `cap_last_cap` are dropped. For a uid 0 target they also stay permitted
    /// and effective.
    pub fn bounding_keep(mut self, mask: u64) -> Self {
        self.bounding_keep = mask;
        self
    }
    /// Ambient caps for a non-root target (must be a subset of the kept bounding set).
    pub fn ambient(mut self, mask: u64) -> Self {
        self.ambient = mask;
        self
    }
    /// Overrides `cap_last_cap` (read from `/proc` otherwise).
    pub fn cap_last_cap(mut self, last: u32) -> Self {
        self.cap_last_cap = Some(last);
        self
    }
    /// Whether to set no_new_privs (go-jail always does).
    pub fn no_new_privs(mut self, on: bool) -> Self {
        self.no_new_privs = on;
        self
    }
    /// The seccomp filter, loaded last, with `SECCOMP_FILTER_FLAG_*` `flags`.
    pub fn seccomp_filter(mut self, filter: Vec<SockFilter>, flags: u32) -> Self {
        self.filter = Some(filter);
        self.filter_flags = flags;
        self
    }
    /// A Landlock ruleset, prepared before `fork` (rules added), that the
    /// child enforces with `landlock_restrict_self` after no_new_privs and
    /// before the seccomp filter ([`crate::Step::Landlock`]). Its fd is
    /// close-on-exec and skipped by [`FdMode::Close`] until it is enforced,
    /// then closed.
    pub fn landlock(mut self, ruleset: Arc<Ruleset>) -> Self {
        self.landlock = Some(ruleset);
        self
    }
    /// Listener mode, for [`crate::listener::spawn`] only: the filter is loaded
    /// with `SECCOMP_FILTER_FLAG_NEW_LISTENER`, and the child hands the
    /// listener to its parent through a shared page before `execve` (no
    /// syscall in between). [`Plan::apply`] of such a plan fails (`ESRCH`,
    /// step [`crate::Step::ParentDeathSignal`]) unless `spawn` armed it.
    pub fn notify_listener(mut self) -> Self {
        self.notify_listener = true;
        self
    }
    /// Fds (≥ 3) passed to the command; their close-on-exec flag is cleared.
    pub fn keep_fds(mut self, fds: impl IntoIterator<Item = i32>) -> Self {
        self.keep_fds = fds.into_iter().collect();
        self
    }
    /// How the other fds ≥ 3 go away.
    pub fn fd_mode(mut self, mode: FdMode) -> Self {
        self.fd_mode = mode;
        self
    }
    /// Signals (bit n-1 = signal n) reset to `SIG_DFL`. Default: SIGPIPE only,
    /// which Rust's runtime set to `SIG_IGN`. Other dispositions follow
    /// `execve` semantics: handlers are reset by the kernel and the caller's
    /// `SIG_IGN` (e.g. `trap '' HUP`) stays ignored (execve(2);
    /// docs/threats.md S27).
    /// SIGKILL and SIGSTOP are skipped.
    pub fn reset_signals(mut self, mask: u64) -> Self {
        self.reset_signals = mask;
        self
    }
    /// Whether to empty the signal mask (default yes).
    pub fn clear_signal_mask(mut self, on: bool) -> Self {
        self.clear_signal_mask = on;
        self
    }
    /// Controlling-terminal policy.
    pub fn tty(mut self, tty: TtyPolicy) -> Self {
        self.tty = tty;
        self
    }
    /// Sets resource limit `resource` (`RLIMIT_*`, 0..16) to `soft`/`hard`
    /// (`u64::MAX` is `RLIM_INFINITY`) before the uid switch; a failure
    /// aborts ([`crate::Step::Rlimit`]). Repeatable; the last one wins.
    pub fn rlimit(mut self, resource: u32, soft: u64, hard: u64) -> Self {
        self.rlimits.push((
            resource,
            Rlimit64 {
                cur: soft,
                max: hard,
            },
        ));
        self
    }
    /// Whether the command starts in a new session (`setsid`, step 3 of
    /// [`Plan::apply`]; default no): it then has no controlling terminal,
    /// so `TIOCSTI` and `tcsetpgrp`/`TIOCSPGRP` on the caller's terminal
    /// fail (`EPERM`, `ENOTTY`), and the terminal's signals (Ctrl-C, Ctrl-\\,
    /// resize) reach it only through its parent ([`crate::reaper`]
    /// forwards them). Off for a command that gets its own pseudo-terminal
    /// ([`TtyPolicy::Pty`] starts its session; step 3 then skips `setsid`).
    pub fn new_session(mut self, on: bool) -> Self {
        self.new_session = on;
        self
    }
    /// What a forked child writes before its one-line failure message
    /// ([`crate::Failure::report`]), e.g. `"go-jail: "` (default: nothing).
    pub fn report_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.report_prefix = prefix.into();
        self
    }
    /// Starts the command in `dir` ([`CwdPolicy::Exact`]): `chdir(dir)` as
    /// the target, and any failure aborts. `dir` must be absolute.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(CwdPolicy::Exact(dir.into()));
        self
    }
    /// With [`CwdPolicy::ReEnter`], says so on stderr when the target
    /// cannot enter the directory and starts in `/`: one line,
    /// `{prefix}the target cannot enter the working directory DIR (ERRNO):
    /// COMMAND starts in /`, written with one `write` from a stack buffer.
    pub fn cwd_fallback_warning(mut self, prefix: &'static str) -> Self {
        self.cwd_fallback_warning = Some(prefix);
        self
    }
    /// The working-directory policy (default: [`CwdPolicy::ReEnter`] of the
    /// caller's working directory).
    pub fn cwd_policy(mut self, policy: CwdPolicy) -> Self {
        self.cwd = Some(policy);
        self
    }
    /// The argument vector; `argv[0]` is also the program, looked up like
    /// `execvp(3)` (a name without `/` is searched in `PATH`).
    pub fn command<I, S>(mut self, argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.argv = argv.into_iter().map(Into::into).collect();
        self
    }
    /// Executes `program` instead of `argv[0]` (same lookup rules).
    pub fn program(mut self, program: impl Into<OsString>) -> Self {
        self.program = Some(program.into());
        self
    }
    /// The environment as `KEY=value` entries, passed exactly. Default: the
    /// caller's environment at `build` time (`std::env::vars_os`).
    pub fn env<I, S>(mut self, env: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.env = Some(env.into_iter().map(Into::into).collect());
        self
    }
    /// The directories searched for a program without `/` (a `PATH` value;
    /// an empty entry means the current directory, as in `execvp`). Default:
    /// the caller's `PATH`, else `/bin:/usr/bin` (glibc's default).
    pub fn search_path(mut self, path: impl Into<OsString>) -> Self {
        self.search_path = Some(path.into());
        self
    }
    /// Whether a candidate failing with `ENOEXEC` (no `#!`, not ELF) is run
    /// as `/bin/sh candidate args...`, like glibc's `execvp` (default yes).
    pub fn sh_fallback(mut self, on: bool) -> Self {
        self.sh_fallback = on;
        self
    }

    /// Validates and resolves everything. May allocate and read `/proc`.
    pub fn build(self) -> Result<Plan, PlanError> {
        if self.uid == u32::MAX {
            return Err(PlanError::ReservedId("uid"));
        }
        if self.gid == u32::MAX || self.groups.contains(&u32::MAX) {
            return Err(PlanError::ReservedId("gid"));
        }
        let mut groups = self.groups;
        groups.sort_unstable();
        groups.dedup();
        if groups.len() > MAX_GROUPS {
            return Err(PlanError::TooManyGroups(groups.len()));
        }
        let last = match self.cap_last_cap {
            Some(l) if l <= 63 => l,
            Some(l) => {
                return Err(PlanError::CapLastCap(format!(
                    "{l} does not fit a 64-bit mask"
                )))
            }
            None => read_cap_last_cap()?,
        };
        let valid = if last == 63 {
            u64::MAX
        } else {
            (1u64 << (last + 1)) - 1
        };
        for mask in [self.bounding_keep, self.ambient] {
            if mask & !valid != 0 {
                let cap = 63 - (mask & !valid).leading_zeros();
                return Err(PlanError::CapAboveLastCap { cap, last });
            }
        }
        if self.ambient & !self.bounding_keep != 0 {
            return Err(PlanError::AmbientNotInBounding(
                self.ambient & !self.bounding_keep,
            ));
        }
        if self.ambient != 0 && self.uid == 0 {
            return Err(PlanError::AmbientForRoot);
        }
        if let Some(f) = &self.filter {
            if f.is_empty() {
                return Err(PlanError::EmptyFilter);
            }
            if f.len() > BPF_MAXINSNS {
                return Err(PlanError::FilterTooLong(f.len()));
            }
        }
        let (filter_flags, handoff) = if self.notify_listener && self.filter.is_some() {
            let handoff = Handoff::new().map_err(|e| PlanError::SharedMemory(e.0))?;
            (
                self.filter_flags | SECCOMP_FILTER_FLAG_NEW_LISTENER,
                Some(handoff),
            )
        } else {
            (self.filter_flags, None)
        };
        let cwd_policy = self.cwd.unwrap_or_else(|| CwdPolicy::ReEnter(caller_cwd()));
        let (cwd, cwd_fallback) = match &cwd_policy {
            CwdPolicy::Inherit => (None, false),
            CwdPolicy::ReEnter(p) | CwdPolicy::Exact(p) => {
                if !p.is_absolute() {
                    return Err(PlanError::RelativeCwd(p.clone()));
                }
                let c = cstring(p.as_os_str(), "working directory")?;
                (Some(c), matches!(cwd_policy, CwdPolicy::ReEnter(_)))
            }
        };
        check_rlimits(&self.rlimits)?;
        if let Some(&fd) = self.keep_fds.iter().find(|&&fd| fd < 0) {
            return Err(PlanError::BadFd(fd));
        }
        if let TtyPolicy::Pty { slave, master } = self.tty {
            if slave < 0 || master < 0 {
                return Err(PlanError::BadFd(slave.min(master)));
            }
        }
        let keep = kept_fds(&self.keep_fds);
        if let Some(fd) = (self.landlock.as_ref())
            .map(|r| r.fd())
            .filter(|fd| keep.contains(fd))
        {
            return Err(PlanError::KeptRulesetFd(fd));
        }
        // the ruleset fd must outlive the fd step: it is enforced later
        let mut holes = keep.clone();
        holes.extend(self.landlock.as_ref().map(|r| r.fd()));
        let close_ranges = close_ranges(&holes);

        let argv: Vec<CString> = self
            .argv
            .iter()
            .map(|a| cstring(a, "argument"))
            .collect::<Result<_, _>>()?;
        let env: Vec<OsString> = self.env.unwrap_or_else(caller_env);
        let envp: Vec<CString> = env
            .iter()
            .map(|e| cstring(e, "environment entry"))
            .collect::<Result<_, _>>()?;
        let program = match (&self.program, self.argv.first()) {
            (Some(p), _) => cstring(p, "program")?,
            (None, Some(a0)) => cstring(a0, "program")?,
            (None, None) => CString::default(),
        };
        let search = self
            .search_path
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_else(|| OsString::from("/bin:/usr/bin"));
        let sh = CString::new("/bin/sh").expect("literal has no NUL");
        let (paths, searched) = candidate_paths(program.as_bytes(), search.as_bytes());
        let mut candidates = Vec::with_capacity(paths.len());
        for path in paths {
            let path = CString::new(path).map_err(|_| PlanError::NulByte("PATH"))?;
            let sh_argv = self.sh_fallback.then(|| {
                let mut v = vec![sh.clone(), path.clone()];
                v.extend(argv.iter().skip(1).cloned());
                CStrArray::new(v)
            });
            candidates.push(Candidate { path, sh_argv });
        }

        Ok(Plan {
            uid: self.uid,
            gid: self.gid,
            groups,
            bounding_keep: self.bounding_keep,
            ambient: self.ambient,
            cap_last_cap: last,
            no_new_privs: self.no_new_privs,
            filter: self.filter,
            filter_flags,
            landlock: self.landlock,
            handoff,
            keep_fds: keep,
            close_ranges,
            fd_mode: self.fd_mode,
            reset_signals: self.reset_signals,
            clear_signal_mask: self.clear_signal_mask,
            tty: self.tty,
            rlimits: self.rlimits,
            new_session: self.new_session,
            report_prefix: self.report_prefix,
            cwd,
            cwd_fallback,
            cwd_fallback_warning: self.cwd_fallback_warning,
            program,
            candidates,
            searched,
            sh,
            argv: CStrArray::new(argv),
            envp: CStrArray::new(envp),
        })
    }
}

/// Each limit names a resource the kernel knows and keeps soft ≤ hard
/// (what prlimit64 would refuse with `EINVAL`).
fn check_rlimits(rlimits: &[(u32, Rlimit64)]) -> Result<(), PlanError> {
    match (rlimits.iter()).find(|(r, l)| *r as usize >= RLIMIT_NAMES.len() || l.cur > l.max) {
        Some(&(resource, l)) => Err(PlanError::BadRlimit {
            resource,
            soft: l.cur,
            hard: l.max,
        }),
        None => Ok(()),
    }
}

/// The caller's working directory by path, or `/` when it has none that
/// can be named (deleted, or outside the process's root).
fn caller_cwd() -> PathBuf {
    match std::env::current_dir() {
        Ok(d) if d.is_absolute() => d,
        _ => Path::new("/").to_path_buf(),
    }
}

fn cstring(s: &OsStr, what: &'static str) -> Result<CString, PlanError> {
    CString::new(s.as_bytes()).map_err(|_| PlanError::NulByte(what))
}

/// This process's environment as `KEY=VALUE` entries (what a plan passes
/// on when it is given no environment).
pub fn caller_env() -> Vec<OsString> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            kv
        })
        .collect()
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
fn gaps(keep: &[i32]) -> Vec<(u32, u32)> {
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

/// execvp(3) candidates: the program itself if it contains `/`, else each
/// `PATH` entry joined with it (an empty entry is the current directory).
/// Returns whether a search happened.
fn candidate_paths(program: &[u8], path: &[u8]) -> (Vec<Vec<u8>>, bool) {
    if program.is_empty() {
        return (Vec::new(), false);
    }
    if program.contains(&b'/') {
        return (vec![program.to_vec()], false);
    }
    let mut out = Vec::new();
    for dir in path.split(|&b| b == b':') {
        let mut p = Vec::with_capacity(dir.len() + 1 + program.len());
        if dir.is_empty() {
            p.extend_from_slice(program);
        } else {
            p.extend_from_slice(dir);
            if !dir.ends_with(b"/") {
                p.push(b'/');
            }
            p.extend_from_slice(program);
        }
        out.push(p);
    }
    (out, true)
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
    use super::*;

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
