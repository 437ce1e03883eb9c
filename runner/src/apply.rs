//! Applying a [`Plan`]: the privilege drop, in the order its threats require.
//!
//! Nothing here allocates: every step reads pre-built memory from the plan and
//! makes raw syscalls through [`crate::sys`]. The order (each step stops the
//! whole drop on error; `Sxx` names the threat of `docs/threats.md` that a
//! step, or its place in the order, defends against):
//!
//! 0. with [`TtyPolicy::Pty`]: `setsid`, `TIOCSCTTY` on the pty slave, the
//!    slave onto fds 0, 1, 2, the slave's and the master's own fds closed;
//! 1. signals: reset the planned dispositions (SIGPIPE) to `SIG_DFL`, empty the mask (S27);
//! 2. fds ≥ 3 not kept: closed, or marked close-on-exec (S24); then the
//!    planned resource limits (`prlimit64`, before the uid switch: raising
//!    a hard limit needs `CAP_SYS_RESOURCE`);
//! 3. optional `setsid` (a new session without a controlling terminal;
//!    skipped with [`TtyPolicy::Pty`], whose step 0 made one), then
//!    optional `TIOCNOTTY` (S23);
//! 4. `PR_CAP_AMBIENT_CLEAR_ALL` (S15);
//! 5. `PR_CAPBSET_DROP` for every cap 0..=cap_last_cap not kept, while still privileged (S14, S16);
//!    skipped only for a caller without `CAP_SETPCAP` when no_new_privs is planned
//!    (`Plan::drops_bounding_set` says why that is safe);
//! 6. `PR_SET_KEEPCAPS 1` if ambient caps are wanted;
//! 7. `setgroups`, `setresgid`, `setresuid` (S18, S19);
//! 8. read back uids, gids and groups (S18, S20);
//! 9. `capset`: root keeps the bounding mask as permitted and effective; others
//!    get nothing, or exactly the ambient caps, which are then raised; keepcaps cleared (S15, S17);
//! 10. `chdir` to the planned directory, looked up with exactly the target's
//!     uids, groups and caps (S25); re-entering the caller's directory falls
//!     back to `/` when the target cannot reach it;
//! 11. `PR_SET_NO_NEW_PRIVS` (S13);
//! 12. `landlock_restrict_self` with the planned ruleset (needs no_new_privs);
//!     the ruleset fd is then closed when fds are closed outright;
//! 13. seccomp, last, so dropping privileges never depends on the filter (S12);
//!     just before it, for a program searched in `PATH`, the candidates
//!     the target cannot look up (`EACCES`) are noted, so a PATH directory
//!     it may not search gives "command not found", not `EACCES`;
//! 14. `execve` over the planned candidates, and nothing else (S11, S29).

use crate::plan::{Bytes, FdMode, Plan, TtyPolicy, MAX_GROUPS};
use crate::sys::{self, abi, abi::CapUserData, Errno};
use std::fmt;
use std::os::fd::AsRawFd;

/// The step of [`Plan::apply`] that failed. `Display` names the syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `rt_sigaction(sig, SIG_DFL)`.
    ResetSignal(u32),
    /// `rt_sigprocmask(SIG_SETMASK, {})`.
    SignalMask,
    /// `close_range` (or its fallback) over fds not kept.
    CloseFds,
    /// Clearing close-on-exec on a kept fd (`EBADF`: the fd is not open).
    KeepFd(i32),
    /// `prlimit64` of resource N ([`crate::PlanBuilder::rlimit`]).
    Rlimit(u32),
    /// `setsid`: starting a new session (step 3, or step 0 with
    /// [`TtyPolicy::Pty`]).
    NewSession,
    /// Giving up the controlling terminal.
    DetachTty,
    /// [`TtyPolicy::Pty`]: `ioctl(TIOCSCTTY)` on the pty slave.
    ControllingTty,
    /// [`TtyPolicy::Pty`]: `dup3` of the pty slave onto this fd (0, 1, 2), or
    /// closing the pty's own fd of this number.
    TerminalFd(i32),
    /// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`.
    AmbientClearAll,
    /// `prctl(PR_CAPBSET_DROP, cap)`.
    BoundingDrop(u32),
    /// `prctl(PR_SET_KEEPCAPS, on)`.
    KeepCaps(bool),
    /// `setgroups`.
    Setgroups,
    /// `setresgid(gid, gid, gid)`.
    Setresgid(u32),
    /// `setresuid(uid, uid, uid)`.
    Setresuid(u32),
    /// The uids read back differ from the plan (errno `EPERM`) or could not be read.
    VerifyUid,
    /// The gids read back differ from the plan.
    VerifyGid,
    /// The supplementary groups read back differ from the plan.
    VerifyGroups,
    /// `capset`.
    Capset,
    /// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)`.
    AmbientRaise(u32),
    /// `chdir` to the planned working directory, or with `fallback`, to `/`
    /// after the planned one was out of the target's reach
    /// ([`crate::CwdPolicy`]). [`Failure::with_plan`] shows the path.
    Chdir {
        /// Whether this is the `/` fallback.
        fallback: bool,
    },
    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
    NoNewPrivs,
    /// `landlock_restrict_self`.
    Landlock,
    /// `seccomp(SECCOMP_SET_MODE_FILTER)`.
    Seccomp,
    /// Listener mode: `prctl(PR_SET_PDEATHSIG, SIGKILL)`, or (`ESRCH`) the
    /// supervisor that armed the hand-off is not the parent.
    ParentDeathSignal,
    /// `execve`: `candidate` indexes [`Plan::exec_candidate`]; `None` when the
    /// program was searched in `PATH` and not found, or there is no command.
    Exec {
        /// The candidate the error belongs to.
        candidate: Option<usize>,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Step::ResetSignal(s) => write!(f, "rt_sigaction({s}, SIG_DFL)"),
            Step::SignalMask => f.write_str("rt_sigprocmask(SIG_SETMASK)"),
            Step::CloseFds => f.write_str("close_range"),
            Step::KeepFd(fd) => write!(f, "keep fd {fd}"),
            Step::Rlimit(r) => match abi::RLIMIT_NAMES.get(r as usize) {
                Some(name) => write!(f, "prlimit64({name})"),
                None => write!(f, "prlimit64({r})"),
            },
            Step::NewSession => f.write_str("setsid"),
            Step::DetachTty => f.write_str("ioctl(TIOCNOTTY)"),
            Step::ControllingTty => f.write_str("ioctl(TIOCSCTTY)"),
            Step::TerminalFd(fd) => write!(f, "pty slave onto fd {fd}"),
            Step::AmbientClearAll => f.write_str("prctl(PR_CAP_AMBIENT_CLEAR_ALL)"),
            Step::BoundingDrop(c) => write!(f, "prctl(PR_CAPBSET_DROP, {c})"),
            Step::KeepCaps(on) => write!(f, "prctl(PR_SET_KEEPCAPS, {})", on as u8),
            Step::Setgroups => f.write_str("setgroups"),
            Step::Setresgid(g) => write!(f, "setresgid({g})"),
            Step::Setresuid(u) => write!(f, "setresuid({u})"),
            Step::VerifyUid => f.write_str("verify uids"),
            Step::VerifyGid => f.write_str("verify gids"),
            Step::VerifyGroups => f.write_str("verify groups"),
            Step::Capset => f.write_str("capset"),
            Step::AmbientRaise(c) => write!(f, "prctl(PR_CAP_AMBIENT_RAISE, {c})"),
            Step::Chdir { fallback: true } => f.write_str("chdir(/)"),
            Step::Chdir { fallback: false } => f.write_str("chdir"),
            Step::NoNewPrivs => f.write_str("prctl(PR_SET_NO_NEW_PRIVS, 1)"),
            Step::Landlock => f.write_str("landlock_restrict_self"),
            Step::Seccomp => f.write_str("seccomp(SECCOMP_SET_MODE_FILTER)"),
            Step::ParentDeathSignal => f.write_str("prctl(PR_SET_PDEATHSIG, SIGKILL)"),
            Step::Exec { .. } => f.write_str("execve"),
        }
    }
}

/// A failed step and its errno. Display: `setresuid(1): Operation not permitted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What failed.
    pub step: Step,
    /// Why.
    pub errno: Errno,
}

/// Exit status for a failed step before `execve`.
pub const EXIT_FAILED_STEP: i32 = 125;
/// Exit status when the program exists but cannot be executed.
pub const EXIT_NOT_EXECUTABLE: i32 = 126;
/// Exit status when the program is not found.
pub const EXIT_NOT_FOUND: i32 = 127;

impl Failure {
    fn at(step: Step) -> impl FnOnce(Errno) -> Failure {
        move |errno| Failure { step, errno }
    }

    /// 127 when the program was not found, 126 when it was found but could
    /// not be executed, 125 for any earlier step.
    pub fn exit_code(&self) -> i32 {
        match self.step {
            Step::Exec { .. } if self.errno == Errno::ENOENT => EXIT_NOT_FOUND,
            Step::Exec { .. } => EXIT_NOT_EXECUTABLE,
            _ => EXIT_FAILED_STEP,
        }
    }

    /// A display that names the program for exec failures and the directory
    /// for chdir failures: `execve /usr/bin/x: Permission denied`,
    /// `command not found: nosuch` (searched in `PATH`),
    /// `execve ./nosuch: No such file or directory`, `chdir(/root): Permission denied`.
    pub fn with_plan<'a>(&'a self, plan: &'a Plan) -> impl fmt::Display + 'a {
        WithPlan(self, plan)
    }

    /// Writes the plan's report prefix and `message\n` to `fd` with one `write`, formatting into a stack
    /// buffer (truncated at 512 bytes): usable after `fork` and after the
    /// filter is loaded, if the filter allows `write`.
    pub fn report(&self, fd: i32, plan: &Plan) {
        let mut w = StackWriter {
            buf: [0; 512],
            len: 0,
        };
        let prefix = &plan.report_prefix;
        let _ = fmt::write(&mut w, format_args!("{prefix}{}\n", self.with_plan(plan)));
        let _ = sys::write_all(fd, &w.buf[..w.len]);
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.errno)
    }
}

impl std::error::Error for Failure {}

impl From<Failure> for std::io::Error {
    /// Keeps only the errno: what `Command::pre_exec` can carry (no allocation).
    fn from(f: Failure) -> Self {
        std::io::Error::from_raw_os_error(f.errno.0)
    }
}

struct WithPlan<'a>(&'a Failure, &'a Plan);

impl fmt::Display for WithPlan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let WithPlan(failure, plan) = *self;
        match failure.step {
            Step::Exec { candidate: None } if plan.searched => {
                let name = Bytes(plan.program().to_bytes());
                write!(f, "command not found: {name} (searched the target's PATH)")
            }
            Step::Exec { candidate } => {
                let path = candidate
                    .and_then(|i| plan.exec_candidate(i))
                    .unwrap_or(plan.program());
                write!(f, "execve {}: {}", Bytes(path.to_bytes()), failure.errno)
            }
            Step::Seccomp if failure.errno == Errno::ENOMEM => write!(
                f,
                "{failure}: the filters already stacked on this process and this one exceed the kernel's limit of 32768 instructions in all, counted after its translation to eBPF (which lengthens a classic program) with 4 more per filter (MAX_INSNS_PER_PATH, kernel/seccomp.c); stack fewer or shorter filters"
            ),
            Step::Chdir { fallback: false } => match plan.cwd() {
                Some((dir, _)) => write!(f, "chdir({}): {}", Bytes(dir.to_bytes()), failure.errno),
                None => fmt::Display::fmt(failure, f),
            },
            _ => fmt::Display::fmt(failure, f),
        }
    }
}

struct StackWriter {
    buf: [u8; 512],
    len: usize,
}

impl fmt::Write for StackWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Step 0 ([`TtyPolicy::Pty`]): a new session, `slave` as its controlling
/// terminal and as fds 0, 1, 2; then the pty's own fds are closed (see
/// [`TtyPolicy::Pty`] on `--keep-fd`).
fn enter_pty(slave: i32, master: i32) -> Result<(), Failure> {
    sys::process::setsid().map_err(Failure::at(Step::NewSession))?;
    sys::pty::set_controlling_tty(slave).map_err(Failure::at(Step::ControllingTty))?;
    for target in 0..=2 {
        if target != slave {
            sys::dup_before_exec(slave, target).map_err(Failure::at(Step::TerminalFd(target)))?;
        }
    }
    for fd in [slave, master] {
        if fd > 2 {
            sys::close_before_exec(fd).map_err(Failure::at(Step::TerminalFd(fd)))?;
        }
    }
    Ok(())
}

fn split(mask: u64) -> (u32, u32) {
    (mask as u32, (mask >> 32) as u32)
}

impl Plan {
    /// Performs steps 0–13 (everything but `execve`). Makes raw syscalls only
    /// and never allocates, so it may run in `Command::pre_exec`.
    ///
    /// # Warning
    /// Credential syscalls are per-thread: call this in a single-threaded
    /// process (after `fork`). Calling it in a test harness process would drop
    /// the privileges of one thread only.
    pub fn apply(&self) -> Result<(), Failure> {
        self.apply_before_filter()?;
        self.apply_filter()
    }

    /// Steps 0–12: everything but the filter and `execve`.
    fn apply_before_filter(&self) -> Result<(), Failure> {
        if let TtyPolicy::Pty { slave, master } = self.tty {
            enter_pty(slave, master)?;
        }
        self.apply_signals()?;
        self.apply_fds()?;
        // before the uid switch and the bounding drop: raising a hard
        // limit needs CAP_SYS_RESOURCE, as in runc
        for &(resource, limit) in &self.rlimits {
            sys::setrlimit(resource, &limit).map_err(Failure::at(Step::Rlimit(resource)))?;
        }
        // a pty's step 0 made the session already (a second setsid: EPERM)
        if self.new_session && !self.tty.starts_session() {
            sys::process::setsid().map_err(Failure::at(Step::NewSession))?;
        }
        if self.tty == TtyPolicy::Detach {
            self.detach_tty()?;
        }
        sys::cap_ambient_clear_all().map_err(Failure::at(Step::AmbientClearAll))?;
        if self.drops_bounding_set() {
            for cap in 0..=self.cap_last_cap {
                if self.bounding_keep & (1 << cap) == 0 {
                    sys::capbset_drop(cap).map_err(Failure::at(Step::BoundingDrop(cap)))?;
                }
            }
        }
        if self.ambient != 0 {
            sys::set_keepcaps(true).map_err(Failure::at(Step::KeepCaps(true)))?;
        }
        self.apply_groups()?;
        sys::setresgid(Some(self.gid), Some(self.gid), Some(self.gid))
            .map_err(Failure::at(Step::Setresgid(self.gid)))?;
        sys::setresuid(Some(self.uid), Some(self.uid), Some(self.uid))
            .map_err(Failure::at(Step::Setresuid(self.uid)))?;
        self.verify_ids()?;
        self.apply_caps()?;
        self.apply_cwd()?;
        if self.no_new_privs {
            sys::set_no_new_privs().map_err(Failure::at(Step::NoNewPrivs))?;
        }
        if let Some(ruleset) = &self.landlock {
            sys::landlock::landlock_restrict_self(ruleset.fd(), 0)
                .map_err(Failure::at(Step::Landlock))?;
            if self.fd_mode == FdMode::Close {
                sys::close_before_exec(ruleset.fd()).map_err(Failure::at(Step::Landlock))?;
            }
        }
        Ok(())
    }

    /// Step 13: the seccomp filter, last before `execve`.
    fn apply_filter(&self) -> Result<(), Failure> {
        if let Some(filter) = &self.filter {
            if let Some(handoff) = &self.handoff {
                // after setresuid, which clears the parent-death signal
                sys::set_pdeathsig(abi::SIGKILL).map_err(Failure::at(Step::ParentDeathSignal))?;
                if sys::getppid() != handoff.parent() {
                    return Err(Failure {
                        step: Step::ParentDeathSignal,
                        errno: Errno::ESRCH,
                    });
                }
            }
            let listener = sys::seccomp_set_mode_filter(self.filter_flags, filter)
                .map_err(Failure::at(Step::Seccomp))?;
            if let Some(handoff) = &self.handoff {
                // no syscall until the supervisor holds the listener (listener.rs)
                if !handoff.publish_and_wait(listener) {
                    sys::trap();
                }
            }
        }
        Ok(())
    }

    /// [`Plan::apply`], then `execve` like `execvp(3)` run as the target:
    /// each candidate in order; `EACCES` is remembered and the search goes
    /// on; `ENOENT`, `ENOTDIR`, `ESTALE`, `ENODEV` and `ETIMEDOUT` go on; any
    /// other error stops. `ENOEXEC` retries the candidate as
    /// `/bin/sh candidate args...` when the plan allows it (as glibc does).
    /// At the end: `EACCES` if any candidate gave it, else the last error.
    ///
    /// Returns only on failure; after the filter is loaded it makes `execve`
    /// calls and nothing else.
    pub fn apply_and_exec(&self) -> Failure {
        if let Err(f) = self.apply_before_filter() {
            return f;
        }
        let hidden = self.unsearchable_candidates();
        if let Err(f) = self.apply_filter() {
            return f;
        }
        let mut eacces: Option<usize> = None;
        let mut last = Failure {
            step: Step::Exec { candidate: None },
            errno: Errno::ENOENT,
        };
        for (i, cand) in self.candidates.iter().enumerate() {
            let mut e = sys::execve(&cand.path, &self.argv, &self.envp);
            if e == Errno::ENOEXEC {
                if let Some(sh_argv) = &cand.sh_argv {
                    let e2 = sys::execve(&self.sh, sh_argv, &self.envp);
                    // the shell itself missing keeps the original ENOEXEC
                    if e2 != Errno::ENOENT {
                        e = e2;
                    }
                }
            }
            match e {
                // a PATH directory the target may not search hides nothing
                // it could run: not found, as bash says
                Errno::EACCES if i < 64 && hidden & (1 << i) != 0 => {
                    last = Failure {
                        step: Step::Exec { candidate: None },
                        errno: Errno::ENOENT,
                    };
                }
                Errno::EACCES => {
                    eacces.get_or_insert(i);
                }
                Errno::ENOENT
                | Errno::ENOTDIR
                | Errno::ESTALE
                | Errno::ENODEV
                | Errno::ETIMEDOUT => {
                    let candidate = if self.searched { None } else { Some(i) };
                    last = Failure {
                        step: Step::Exec { candidate },
                        errno: e,
                    };
                }
                _ => {
                    return Failure {
                        step: Step::Exec { candidate: Some(i) },
                        errno: e,
                    }
                }
            }
        }
        match eacces {
            Some(i) => Failure {
                step: Step::Exec { candidate: Some(i) },
                errno: Errno::EACCES,
            },
            None => last,
        }
    }

    /// For a program searched in `PATH`: the candidates (the first 64)
    /// whose lookup as the target fails with `EACCES` (a directory it may
    /// not search), up to the first that exists. Read before the filter,
    /// which may not allow `faccessat`; after the uid switch, so the lookup
    /// is the target's.
    fn unsearchable_candidates(&self) -> u64 {
        let mut hidden = 0u64;
        if !self.searched {
            return 0;
        }
        for (i, cand) in self.candidates.iter().take(64).enumerate() {
            match sys::exists(&cand.path) {
                Err(Errno::EACCES) => hidden |= 1 << i,
                Err(_) => {}
                Ok(()) => break,
            }
        }
        hidden
    }

    /// Step 10: after `capset`, so the lookup uses the command's own uids,
    /// groups and capabilities (a root target without caps must not use
    /// `CAP_DAC_OVERRIDE` here); before no_new_privs and seccomp.
    fn apply_cwd(&self) -> Result<(), Failure> {
        let Some(dir) = &self.cwd else {
            return Ok(());
        };
        match sys::chdir(dir) {
            Ok(()) => Ok(()),
            Err(e @ (Errno::EACCES | Errno::ENOENT | Errno::ENOTDIR)) if self.cwd_fallback => {
                if let Some(prefix) = self.cwd_fallback_warning {
                    let mut w = StackWriter {
                        buf: [0; 512],
                        len: 0,
                    };
                    let _ = fmt::write(
                        &mut w,
                        format_args!(
                            "{prefix}the target cannot enter the working directory {} ({e}): COMMAND starts in /\n",
                            Bytes(dir.to_bytes())
                        ),
                    );
                    let _ = sys::write_all(2, &w.buf[..w.len]);
                }
                sys::chdir(c"/").map_err(Failure::at(Step::Chdir { fallback: true }))
            }
            Err(e) => Err(Failure {
                step: Step::Chdir { fallback: false },
                errno: e,
            }),
        }
    }

    fn apply_signals(&self) -> Result<(), Failure> {
        for sig in 1..=64u32 {
            if self.reset_signals & (1 << (sig - 1)) != 0
                && sig != abi::SIGKILL
                && sig != abi::SIGSTOP
            {
                sys::signal_default(sig).map_err(Failure::at(Step::ResetSignal(sig)))?;
            }
        }
        if self.clear_signal_mask {
            sys::set_signal_mask(0).map_err(Failure::at(Step::SignalMask))?;
        }
        Ok(())
    }

    fn apply_fds(&self) -> Result<(), Failure> {
        for &fd in &self.keep_fds {
            sys::fcntl_setfd(fd, 0).map_err(Failure::at(Step::KeepFd(fd)))?;
        }
        let flags = match self.fd_mode {
            FdMode::Close => 0,
            FdMode::CloseOnExec => abi::CLOSE_RANGE_CLOEXEC,
        };
        for &(first, last) in &self.close_ranges {
            sys::close_range_before_exec(first, last, flags)
                .map_err(Failure::at(Step::CloseFds))?;
        }
        Ok(())
    }

    fn detach_tty(&self) -> Result<(), Failure> {
        let fail = Failure::at(Step::DetachTty);
        let fd = match sys::open(c"/dev/tty", abi::O_RDWR | abi::O_NOCTTY | abi::O_CLOEXEC) {
            Ok(fd) => fd,
            Err(Errno::ENXIO) => return Ok(()), // no controlling terminal
            Err(e) => return Err(fail(e)),
        };
        let leader = sys::getsid(0).map(|sid| sid == sys::getpid());
        let r = match leader {
            Ok(false) => sys::pty::ioctl_tiocnotty(fd.as_raw_fd()),
            Ok(true) => Err(Errno::EPERM), // would hang up the foreground group
            Err(e) => Err(e),
        };
        let _ = sys::close_owned(fd);
        r.map_err(fail)
    }

    /// Step 5's rule: the bounding set is cut unless the caller cannot cut
    /// it and need not. `PR_CAPBSET_DROP` needs `CAP_SETPCAP` (`cap_prctl_drop`
    /// in `security/commoncap.c`), which an unprivileged caller lacks. The
    /// bounding set only limits what `execve` may add to the permitted set,
    /// and with no_new_privs `execve` adds nothing: `cap_bprm_creds_from_file`
    /// (`security/commoncap.c`) cuts the new permitted set to the old one
    /// (`cap_intersect(new->cap_permitted, old->cap_permitted)` under
    /// `LSM_UNSAFE_NO_NEW_PRIVS`) and ignores set-user-ID bits, and step 9
    /// leaves the permitted set no larger than the plan's caps (after the
    /// ambient clear of step 4). So the step is skipped exactly when the plan
    /// sets no_new_privs and `CAP_SETPCAP` is not in the permitted set (so
    /// not in the effective one either); a caller holding it gets the drop,
    /// and its failure stops the run. If `capget` fails, the drop is tried.
    fn drops_bounding_set(&self) -> bool {
        let holds_setpcap =
            sys::capget().map_or(true, |d| d[0].permitted & (1 << abi::CAP_SETPCAP) != 0);
        holds_setpcap || !self.no_new_privs
    }

    /// `setgroups`. Without `CAP_SETGID` the kernel refuses even the list
    /// the process already has; that `EPERM` is no failure when the current
    /// list is the planned one (an unprivileged caller without supplementary
    /// groups), which step 8 checks again.
    fn apply_groups(&self) -> Result<(), Failure> {
        match sys::setgroups(&self.groups) {
            Err(Errno::EPERM) if self.has_planned_groups() => Ok(()),
            r => r.map_err(Failure::at(Step::Setgroups)),
        }
    }

    fn has_planned_groups(&self) -> bool {
        let mut buf = [0u32; MAX_GROUPS];
        sys::getgroups(&mut buf).is_ok_and(|n| buf[..n] == self.groups[..])
    }

    fn verify_ids(&self) -> Result<(), Failure> {
        let (u, g) = (self.uid, self.gid);
        match sys::getresuid() {
            Ok(ids) if ids == (u, u, u) => {}
            Ok(_) => {
                return Err(Failure {
                    step: Step::VerifyUid,
                    errno: Errno::EPERM,
                })
            }
            Err(e) => {
                return Err(Failure {
                    step: Step::VerifyUid,
                    errno: e,
                })
            }
        }
        match sys::getresgid() {
            Ok(ids) if ids == (g, g, g) => {}
            Ok(_) => {
                return Err(Failure {
                    step: Step::VerifyGid,
                    errno: Errno::EPERM,
                })
            }
            Err(e) => {
                return Err(Failure {
                    step: Step::VerifyGid,
                    errno: e,
                })
            }
        }
        let mut buf = [0u32; MAX_GROUPS];
        let n = sys::getgroups(&mut buf).map_err(Failure::at(Step::VerifyGroups))?;
        // the kernel keeps the list sorted, as the plan does
        if buf[..n] != self.groups[..] {
            return Err(Failure {
                step: Step::VerifyGroups,
                errno: Errno::EPERM,
            });
        }
        Ok(())
    }

    fn apply_caps(&self) -> Result<(), Failure> {
        let (eff, prm, inh) = if self.uid == 0 {
            (self.bounding_keep, self.bounding_keep, 0)
        } else {
            (self.ambient, self.ambient, self.ambient)
        };
        let (e, p, i) = (split(eff), split(prm), split(inh));
        let data = [
            CapUserData {
                effective: e.0,
                permitted: p.0,
                inheritable: i.0,
            },
            CapUserData {
                effective: e.1,
                permitted: p.1,
                inheritable: i.1,
            },
        ];
        sys::capset(&data).map_err(Failure::at(Step::Capset))?;
        if self.ambient != 0 {
            for cap in 0..=self.cap_last_cap {
                if self.ambient & (1 << cap) != 0 {
                    sys::cap_ambient_raise(cap).map_err(Failure::at(Step::AmbientRaise(cap)))?;
                }
            }
            sys::set_keepcaps(false).map_err(Failure::at(Step::KeepCaps(false)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_display_and_exit_codes() {
        let f = Failure {
            step: Step::Setresuid(1),
            errno: Errno::EPERM,
        };
        assert_eq!(f.to_string(), "setresuid(1): Operation not permitted");
        assert_eq!(f.exit_code(), 125);
        let nf = Failure {
            step: Step::Exec { candidate: None },
            errno: Errno::ENOENT,
        };
        assert_eq!(nf.exit_code(), 127);
        let na = Failure {
            step: Step::Exec { candidate: Some(0) },
            errno: Errno::EACCES,
        };
        assert_eq!(na.exit_code(), 126);
        let plan = crate::PlanBuilder::new(1, 1)
            .cap_last_cap(40)
            .command(["/etc/passwd"])
            .env([""; 0])
            .build()
            .unwrap();
        assert_eq!(
            na.with_plan(&plan).to_string(),
            "execve /etc/passwd: Permission denied"
        );
        assert_eq!(
            Failure {
                step: Step::BoundingDrop(3),
                errno: Errno(200)
            }
            .to_string(),
            "prctl(PR_CAPBSET_DROP, 3): errno 200"
        );
        let cd = Failure {
            step: Step::Chdir { fallback: false },
            errno: Errno::EACCES,
        };
        assert_eq!(cd.exit_code(), 125);
        assert_eq!(cd.to_string(), "chdir: Permission denied");
        let plan = crate::PlanBuilder::new(1, 1)
            .cap_last_cap(40)
            .cwd("/root")
            .build()
            .unwrap();
        assert_eq!(
            cd.with_plan(&plan).to_string(),
            "chdir(/root): Permission denied"
        );
        let root = Failure {
            step: Step::Chdir { fallback: true },
            errno: Errno::EACCES,
        };
        assert_eq!(
            root.with_plan(&plan).to_string(),
            "chdir(/): Permission denied"
        );
    }
}
