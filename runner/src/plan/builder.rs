//! [`PlanBuilder`]: plain Rust values in, a validated [`Plan`] out.

use super::exec::{self, Exec};
use super::fds;
use super::{read_cap_last_cap, CwdPolicy, FdMode, Plan, PlanError, TtyPolicy, MAX_GROUPS};
use crate::landlock::Ruleset;
use crate::listener::Handoff;
use crate::sys::abi::{
    Rlimit64, SockFilter, BPF_MAXINSNS, RLIMIT_NAMES, SECCOMP_FILTER_FLAG_NEW_LISTENER, SIGPIPE,
};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

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
    pub fn build(mut self) -> Result<Plan, PlanError> {
        let groups = self.checked_groups()?;
        let last = self.checked_caps()?;
        let (filter_flags, handoff) = self.listener_mode()?;
        let (cwd, cwd_fallback) = exec::resolve_cwd(self.cwd.take())?;
        check_rlimits(&self.rlimits)?;
        let fds = fds::resolve(&self.keep_fds, self.tty, self.landlock.as_deref())?;
        let exec = Exec::resolve(
            &self.argv,
            self.program.as_deref(),
            self.env.take(),
            self.search_path.take(),
            self.sh_fallback,
        )?;
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
            keep_fds: fds.keep,
            close_ranges: fds.close_ranges,
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
            program: exec.program,
            candidates: exec.candidates,
            searched: exec.searched,
            sh: exec.sh,
            argv: exec.argv,
            envp: exec.envp,
        })
    }

    /// The ids a `set*id` call would read as "unchanged" are refused; the
    /// groups come back sorted, once each, at most [`MAX_GROUPS`].
    fn checked_groups(&self) -> Result<Vec<u32>, PlanError> {
        if self.uid == u32::MAX {
            return Err(PlanError::ReservedId("uid"));
        }
        if self.gid == u32::MAX || self.groups.contains(&u32::MAX) {
            return Err(PlanError::ReservedId("gid"));
        }
        let mut groups = self.groups.clone();
        groups.sort_unstable();
        groups.dedup();
        if groups.len() > MAX_GROUPS {
            return Err(PlanError::TooManyGroups(groups.len()));
        }
        Ok(groups)
    }

    /// The kernel's last cap (given or read), with every cap mask checked
    /// against it and the ambient set against the bounding set.
    fn checked_caps(&self) -> Result<u32, PlanError> {
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
        Ok(last)
    }

    /// The filter's flags, and in listener mode the hand-off page, once the
    /// filter's length is checked.
    fn listener_mode(&self) -> Result<(u32, Option<Handoff>), PlanError> {
        if let Some(f) = &self.filter {
            if f.is_empty() {
                return Err(PlanError::EmptyFilter);
            }
            if f.len() > BPF_MAXINSNS {
                return Err(PlanError::FilterTooLong(f.len()));
            }
        }
        if self.notify_listener && self.filter.is_some() {
            let handoff = Handoff::new().map_err(|e| PlanError::SharedMemory(e.0))?;
            Ok((
                self.filter_flags | SECCOMP_FILTER_FLAG_NEW_LISTENER,
                Some(handoff),
            ))
        } else {
            Ok((self.filter_flags, None))
        }
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
