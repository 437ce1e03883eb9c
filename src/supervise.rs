//! `--report-denied`, `--complain` and `learn`: go-jail stays as a small
//! supervisor of COMMAND instead of exec'ing it.
//!
//! The filter is the policy with its denying actions turned into
//! `SECCOMP_RET_USER_NOTIF` (`policy::notify_denials`); allowed calls never
//! reach the supervisor. The guards (`policy::guards`) keep their action
//! and are enforced by the kernel in every mode: the TTY guard (unless
//! `--allow-tty-injection`), `--no-userns`, and the listener guard, which
//! refuses the command a seccomp listener of its own (the newest listener
//! gets the notifications, so it could answer CONTINUE to every denial once
//! ours is closed). The child loads it in listener mode and hands the
//! listener over without a syscall (`runner::listener`, which documents the
//! hand-off). Then the supervisor:
//!
//! - is a child subreaper (`runner::reaper`), so every process the command
//!   starts stays its descendant;
//! - drops what it does not need (`runner::reaper::confine_parent`):
//!   no_new_privs, not dumpable, every other fd closed,
//!   bounding/effective/permitted sets cut to `CAP_SYS_PTRACE`
//!   and `CAP_DAC_READ_SEARCH` (to read the strings of pathname arguments
//!   from `/proc/PID/mem` of a process of another uid) and `CAP_KILL` (to
//!   forward signals to it and kill it). It keeps uid 0, so that COMMAND,
//!   running as another user, can neither signal nor ptrace it, and
//!   only then lets the child exec COMMAND (`Supervised::start`, the start
//!   gate), so COMMAND never sees it half-confined;
//! - polls the listener and a signalfd. A notification
//!   is answered with what the original policy says: `ERRNO(n)` → the call
//!   fails with `n` (`ERRNO(0)` returns 0, as the kernel does), a kill →
//!   SIGKILL to the caller's process, anything else → continue. In complain
//!   and learn mode every call a list can name continues; a call from an ABI
//!   not targeted (or x32, or above the table) gets what the policy says,
//!   since the guards exist only on the target arches;
//! - writes report lines only when stderr takes them (`report::Outbox`,
//!   polled with the rest), so a stderr nobody reads never stops it;
//! - forwards SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM and SIGWINCH
//!   to the child (`runner::reaper::forwards`: a signal the terminal sent to
//!   the whole foreground group is forwarded only when the child runs in its
//!   own session; `SIGTSTP` stops the child and then the supervisor,
//!   `SIGCONT` continues it), and reaps every child that exits (`SIGCHLD`);
//! - with `--pty`, also relays the child's private terminal
//!   (`crate::pty_parent`, `runner::reaper::relay_with_pty`): the child has
//!   a session of its own, so every signal above but SIGWINCH is forwarded,
//!   SIGWINCH resizes the pty, and report lines end in CRLF (the caller's
//!   terminal is in raw mode);
//! - when the child exits, answers what is still queued, kills and reaps
//!   every process left (`runner::reaper::kill_descendants`) and only then
//!   closes the listener, so no jailed process ever runs without its
//!   supervisor; it copies what the pty still holds and exits with the
//!   child's status: the code, or 128+N for signal N. With `--keep-orphans`
//!   it goes on serving (and relaying) until the listener reports that no
//!   filtered task is left (all descendants exited and were reaped), then
//!   exits.
//!
//! Differences from the exec'd run, documented in the help:
//! - a kill is SIGKILL from the supervisor, not the kernel's SIGSYS: no core
//!   dump, and a parent inside the jail sees its child killed by SIGKILL.
//!   When the direct child is the one killed, go-jail exits 159 (128 +
//!   SIGSYS), the status a shell would show for the real kill. KILL_THREAD
//!   kills the whole process;
//! - a signal interrupting a denied call restarts it, so `=all` may print
//!   it twice.

use std::collections::{BTreeSet, HashSet};
use std::io::Write as _;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use bpf_asm::{Arch, SeccompData};
use policy::{Action, CompileOptions, Policy, SyscallTable};
use runner::process::ExitKind;
use runner::pty::{Pty, Relay};
use runner::reaper;
use runner::supervisor::{self as n, PollFd, Response, POLLERR, POLLHUP, POLLIN, POLLOUT};
use runner::Errno;

use crate::access::{self, Access};
use crate::args::ReportMode;
use crate::cmd_run;
use crate::fail::Failure;
use crate::landlock::Checker;
use crate::learned::Learned;
use crate::policy_input::run_guards;
use crate::pty_parent;
use crate::report;
use crate::run_config::RunConfig;

const SIGKILL: u32 = 9;
const SIGSYS: i32 = 31;
const CAP_DAC_READ_SEARCH: u32 = 2;
const CAP_KILL: u32 = 5;
const CAP_SYS_PTRACE: u32 = 19;
/// What the supervisor keeps (see the module docs).
const SUPERVISOR_CAPS: u64 = (1 << CAP_SYS_PTRACE) | (1 << CAP_DAC_READ_SEARCH) | (1 << CAP_KILL);

/// What the supervisor does with a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Answer as the policy says; report denials (every call with `all`).
    Report { all: bool },
    /// Let every call run; report what the policy would deny.
    Complain { all: bool },
    /// Let every call of a target arch run and record it; calls no
    /// allow-list can name (foreign arch, x32, unknown numbers) get what an
    /// allow-list would give them, and are reported.
    Learn,
}

/// How a supervised run ended.
pub struct Finished {
    /// go-jail's exit status.
    pub status: i32,
    /// Learn mode: the `(AUDIT_ARCH, nr)` of every call that continued.
    pub learned: BTreeSet<(u32, u32)>,
    /// Learn mode: the files and ports those calls used.
    pub files: Learned,
}

/// Landlock under the supervisor: the rules it predicts with, and whether
/// the kernel enforces them (not in complain mode).
pub struct LandlockWatch {
    pub checker: Checker,
    pub enforced: bool,
}

/// The run mode with `--report-denied` or `--complain`.
pub fn run(config: &RunConfig) -> Result<i32, Failure> {
    let all = config.report_denied == Some(ReportMode::All);
    let mode = if config.complain {
        Mode::Complain { all }
    } else {
        Mode::Report { all }
    };
    let input = &config.policy;
    let mut guards = run_guards(!config.allow_tty_injection);
    let spec = if config.complain {
        input.spec_for_complain(&guards)?
    } else {
        input.spec_for_run(&guards)?
    };
    let landlock = LandlockWatch {
        checker: Checker::new(&config.landlock),
        enforced: !config.complain,
    };
    let calls = landlock.checker.calls();
    // Landlock's decisions are reported through a filter of its own calls
    let spec = match spec {
        None if !calls.is_empty() => Some(input.empty_deny_list()),
        spec => spec,
    };
    let Some(mut spec) = spec else {
        if !config.quiet {
            warn("warning: no seccomp filter and no Landlock file or port rule: nothing to report");
        }
        return match config.pty {
            true => pty_parent::run(config),
            false => cmd_run::run(config),
        };
    };
    let listener = policy::listener_guard_rules();
    policy::add_guards(&mut spec, &listener);
    guards.extend(listener);
    let (policy, weights) = input.resolve(spec, config.quiet)?;
    let enforced = input.enforced(&guards);
    let program = compile_notifying(&policy, weights, &enforced, &calls)?;
    let pty = pty_parent::open(config)?;
    let plan = pty_parent::prepare(config, Some(&program), pty.as_ref())?;
    let landlock = (!calls.is_empty()).then_some(landlock);
    Ok(supervise(
        &plan,
        &policy,
        mode,
        landlock,
        config.keep_orphans,
        pty,
        None,
    )?
    .status)
}

/// `policy` with its denials turned into notifications, except the
/// `enforced` guards (`policy::notify_denials`), and the allowed `calls`
/// notified too (`policy::notify_calls`: the calls whose Landlock
/// decisions are reported), compiled.
pub fn compile_notifying(
    policy: &Policy,
    weights: Option<policy::SyscallWeights>,
    enforced: &[policy::Rule],
    calls: &[&str],
) -> Result<bpf_asm::Program, Failure> {
    let mut notified = policy::notify_denials(policy, enforced);
    if !calls.is_empty() {
        notified = policy::notify_calls(&notified, calls);
    }
    let opts = CompileOptions {
        weights,
        ..CompileOptions::default()
    };
    policy::compile(&notified, &opts).map_err(|e| Failure::input(e.to_string()))
}

fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "go-jail: {message}");
}

/// Spawns `plan` (built in listener mode) and serves its notifications
/// until the child exits; then kills and reaps what it left behind, or with
/// `keep_orphans` serves them until the last jailed process is gone.
/// `policy` is the original, untransformed policy. With `pty` (`--pty`, the
/// plan's terminal), also relays it (`crate::pty_parent`).
pub fn supervise(
    plan: &runner::Plan,
    policy: &Policy,
    mode: Mode,
    landlock: Option<LandlockWatch>,
    keep_orphans: bool,
    pty: Option<Pty>,
    keep_fd: Option<BorrowedFd<'_>>,
) -> Result<Finished, Failure> {
    runner::process::set_child_subreaper()
        .map_err(|e| sys_failure("prctl(PR_SET_CHILD_SUBREAPER)", e))?;
    let sigfd = reaper::watch_signals().map_err(|e| sys_failure("signalfd", e))?;
    let child = runner::listener::spawn(plan).map_err(|e| Failure::input(e.to_string()))?;
    let mut session = Session::new(policy, mode, child.pid, landlock);
    let mut relay = match pty.map(pty_parent::start_relay).transpose() {
        Ok(relay) => relay,
        Err(f) => {
            let _ = child.signal(SIGKILL);
            let _ = child.wait();
            return Err(f);
        }
    };
    // a terminal in raw mode needs "\r\n" to start the next line at column 0
    session.crlf = relay.is_some();
    let Some(listener) = &child.listener else {
        // the child failed before its filter and said why on stderr
        if let Some(relay) = relay.as_mut() {
            relay.drain();
        }
        let exit = child.wait().map_err(|e| sys_failure("wait4", e))?;
        return Ok(Finished {
            status: exit.shell_status(),
            learned: BTreeSet::new(),
            files: Learned::default(),
        });
    };
    // every descriptor but these is closed: the plan's own are kept for
    // its drop, the child's pidfd is closed by `child`
    let relayed = relay.as_ref().map(Relay::master_fd);
    let keep_fds: Vec<BorrowedFd<'_>> = [listener.as_fd(), sigfd.as_fd(), child.pidfd.as_fd()]
        .into_iter()
        .chain(session.outbox.fd())
        .chain(relayed)
        .chain(keep_fd)
        .chain(plan.fds())
        .collect();
    reaper::confine_parent(SUPERVISOR_CAPS, &keep_fds);
    // the start gate: the command runs only now, so it never sees its
    // supervisor before this confinement
    if let Err(e) = child.start() {
        let _ = child.wait();
        return Err(Failure::input(e.to_string()));
    }
    let mut watch = Watch {
        listener: listener.as_fd(),
        signals: sigfd.as_fd(),
        child: child.pid,
        new_session: plan.new_session(),
        keep_orphans,
        relay,
    };
    let exit = watch.serve(&mut session);
    if let Some(relay) = watch.relay.as_mut() {
        relay.restore();
    }
    let exit = exit?;
    let status = match exit {
        ExitKind::Signaled(9) if session.killed_child => 128 + SIGSYS,
        other => other.shell_status(),
    };
    Ok(Finished {
        status,
        learned: session.learned,
        files: session.files,
    })
}

fn sys_failure(what: &str, e: Errno) -> Failure {
    Failure::input(format!("{what}: {e}"))
}

/// What the supervisor polls: the listener, its signalfd, the child, and
/// with `--pty` the relay's fds.
struct Watch<'a> {
    listener: BorrowedFd<'a>,
    signals: BorrowedFd<'a>,
    child: i32,
    new_session: bool,
    keep_orphans: bool,
    relay: Option<Relay>,
}

impl Watch<'_> {
    /// Serves notifications, relays the pty, forwards signals and reaps
    /// children until the command has exited and (with `keep_orphans`) no
    /// filtered task is left; answers what is still queued, kills and reaps
    /// every leftover descendant, copies what the pty still holds, and
    /// returns how the command ended.
    fn serve(&mut self, session: &mut Session<'_>) -> Result<ExitKind, Failure> {
        let mut listening = true;
        let mut exit = None;
        loop {
            let idle = PollFd {
                fd: -1,
                events: 0,
                revents: 0,
            };
            let [input, output] = self.relay.as_ref().map_or([idle; 2], Relay::poll_fds);
            let listener = if listening {
                self.listener.as_raw_fd()
            } else {
                -1
            };
            let stderr = PollFd {
                fd: if session.outbox.waiting() { 2 } else { -1 },
                events: POLLOUT,
                revents: 0,
            };
            let mut fds = [
                poll_fd(listener),
                poll_fd(self.signals.as_raw_fd()),
                input,
                output,
                stderr,
            ];
            match n::poll(&mut fds, None) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(sys_failure("ppoll", e)),
            }
            if fds[0].revents & POLLIN != 0 {
                session.serve(self.listener);
            } else if fds[0].revents & (POLLHUP | POLLERR) != 0 {
                listening = false; // no filtered task left
            }
            if fds[4].revents & (POLLOUT | POLLERR | POLLHUP) != 0 {
                session.outbox.write_one();
            }
            if let Some(relay) = self.relay.as_mut() {
                relay.pump(&[fds[2], fds[3]]);
            }
            self.forward_signals(exit.is_none());
            let reaped = reaper::reap_ready(self.child).map_err(lifetime_failure)?;
            exit = exit.or(reaped);
            match exit {
                Some(exit) if !self.keep_orphans || !listening => break self.finish(session, exit),
                _ => {}
            }
        }
    }

    /// Forwards pending signals while the command runs (else drops them);
    /// with a pty, SIGWINCH resizes it (`runner::reaper::relay_with_pty`).
    fn forward_signals(&mut self, running: bool) {
        while let Ok(Some(info)) = reaper::read_signal(self.signals) {
            if running {
                reaper::relay_with_pty(self.child, self.new_session, &info, self.relay.as_mut());
            }
        }
    }

    /// Answers what is already queued, then kills and reaps every leftover
    /// and copies what the pty still holds.
    fn finish(&mut self, session: &mut Session<'_>, exit: ExitKind) -> Result<ExitKind, Failure> {
        // what leftovers still ask is answered without reading their paths:
        // a slow walk must not keep them running
        session.draining = true;
        for _ in 0..1024 {
            let mut fds = [poll_fd(self.listener.as_raw_fd())];
            match n::poll(&mut fds, Some(std::time::Duration::ZERO)) {
                Ok(1) if fds[0].revents & POLLIN != 0 => session.serve(self.listener),
                _ => break,
            }
        }
        reaper::kill_descendants().map_err(lifetime_failure)?;
        if let Some(relay) = self.relay.as_mut() {
            relay.drain();
        }
        // what stderr did not take yet; a stderr nobody reads loses it
        session.outbox.flush(2000);
        Ok(exit)
    }
}

fn poll_fd(fd: i32) -> PollFd {
    PollFd {
        fd,
        events: POLLIN,
        revents: 0,
    }
}

fn lifetime_failure(e: reaper::LifetimeError) -> Failure {
    Failure::input(e.to_string())
}

struct Session<'a> {
    policy: &'a Policy,
    mode: Mode,
    child: i32,
    seen: HashSet<(u32, u32)>,
    learned: BTreeSet<(u32, u32)>,
    /// Learn mode: the files and ports used.
    files: Learned,
    landlock: Option<LandlockWatch>,
    /// The Landlock denials reported (each once, unless `=all`).
    seen_access: HashSet<Access>,
    /// The command has exited: answer without reading paths.
    draining: bool,
    /// Report lines waiting for stderr.
    outbox: report::Outbox,
    killed_child: bool,
    /// End report lines with "\r\n" (the terminal is in raw mode).
    crlf: bool,
}

impl<'a> Session<'a> {
    /// A session of `mode` for the child `child`, nothing seen yet.
    fn new(
        policy: &'a Policy,
        mode: Mode,
        child: i32,
        landlock: Option<LandlockWatch>,
    ) -> Session<'a> {
        Session {
            policy,
            mode,
            child,
            seen: HashSet::new(),
            learned: BTreeSet::new(),
            files: Learned::default(),
            landlock,
            seen_access: HashSet::new(),
            draining: false,
            outbox: report::Outbox::for_stderr(),
            killed_child: false,
            crlf: false,
        }
    }

    /// Takes one notification and answers it.
    fn serve(&mut self, listener: BorrowedFd<'_>) {
        let Ok(notif) = n::receive(listener) else {
            return; // ENOENT: the caller went away meanwhile
        };
        let d = notif.data;
        let data = SeccompData {
            nr: d.nr as u32,
            arch: d.arch,
            instruction_pointer: d.instruction_pointer,
            args: d.args,
        };
        let action = self.policy.evaluate(&data);
        let (enforce, report, verb) = match self.mode {
            Mode::Report { all } => (true, self.first_time(&data) || all, "denied"),
            // Calls no list can name (another ABI, x32, numbers above the
            // table) are enforced even here: the guards exist only on the
            // target arches, so letting an i386 `int $0x80` call run would
            // let it past them (`unshare(CLONE_NEWUSER)` under --no-userns).
            Mode::Complain { all } if self.learnable(&data) => {
                (false, self.first_time(&data) || all, "would deny")
            }
            Mode::Complain { all } => (true, self.first_time(&data) || all, "denied"),
            Mode::Learn if self.learnable(&data) => {
                self.learned.insert((data.arch, data.nr));
                self.learn_accesses(&notif, &data, listener);
                (false, false, "")
            }
            Mode::Learn => (true, self.first_time(&data), "denied"),
        };
        if report && policy::notify::is_denial(action) {
            let line = self.describe(&notif, &data, listener);
            let pid = notif.pid;
            let cr = if self.crlf { "\r" } else { "" };
            self.outbox.push(&format!(
                "{verb} {line} -> {} (pid {pid}){cr}",
                report::outcome(action)
            ));
        }
        if !policy::notify::is_denial(action) || !enforce {
            self.report_landlock(&notif, &data, listener);
        }
        self.outbox.write_ready();
        let mut response = Response::Continue;
        if enforce {
            match action {
                Action::Errno(e) => response = Response::Fail(Errno(i32::from(e.min(4095)))),
                Action::KillProcess | Action::KillThread => {
                    self.kill(&notif, listener);
                    return;
                }
                _ => {}
            }
        }
        let _ = n::respond(listener, notif.id, response);
    }

    /// The accesses a call of a target arch needs (see [`crate::access`]),
    /// or nothing when its memory could not be read for sure: the
    /// notification must still be pending after the read, or the memory
    /// read may belong to another process.
    fn accesses_of(
        &self,
        notif: &n::SeccompNotif,
        data: &SeccompData,
        listener: BorrowedFd<'_>,
    ) -> (Option<&'static str>, Vec<Access>) {
        let Some(name) = Arch::from_audit(data.arch)
            .filter(|_| self.policy.arch(data.arch).is_some())
            .and_then(|a| SyscallTable::name(a, data.nr))
        else {
            return (None, Vec::new());
        };
        if self.draining || !policy::LANDLOCK_CALLS.contains(&name) {
            return (Some(name), Vec::new());
        }
        let mem = report::open_mem(notif.pid);
        let caller = access::Caller::new(notif.pid, mem.as_ref());
        let found = access::accesses(name, &data.args, &caller);
        if !n::is_pending(listener, notif.id) {
            return (Some(name), Vec::new());
        }
        (Some(name), found)
    }

    /// Learn mode: records the files, ports and sockets a call used.
    fn learn_accesses(
        &mut self,
        notif: &n::SeccompNotif,
        data: &SeccompData,
        listener: BorrowedFd<'_>,
    ) {
        let (name, found) = self.accesses_of(notif, data, listener);
        if let Some(name) = name {
            self.files.add_call(name, &data.args);
        }
        for a in found {
            self.files.add(a);
        }
    }

    /// Report and complain mode with Landlock rules: reports each access
    /// of a call the seccomp policy lets run that the rules refuse (a
    /// prediction: the kernel decides, see [`crate::access`]).
    fn report_landlock(
        &mut self,
        notif: &n::SeccompNotif,
        data: &SeccompData,
        listener: BorrowedFd<'_>,
    ) {
        let Some(watch) = &self.landlock else {
            return;
        };
        let all = matches!(
            self.mode,
            Mode::Report { all: true } | Mode::Complain { all: true }
        );
        let (name, found) = self.accesses_of(notif, data, listener);
        let denied: Vec<Access> = found
            .into_iter()
            .filter(|a| !watch.checker.allows(a))
            .collect();
        let enforced = watch.enforced;
        let cr = if self.crlf { "\r" } else { "" };
        let pid = notif.pid;
        for a in denied {
            if !all && (self.seen_access.len() >= 4096 || !self.seen_access.insert(a.clone())) {
                continue;
            }
            let call = match &a {
                Access::File { .. } => format!("{}, ", name.unwrap_or("?")),
                Access::Port { .. } => String::new(),
            };
            let line = format!("{} ({call}pid {pid})", a.describe());
            match enforced {
                true => self.outbox.push(&format!("denied by landlock: {line}{cr}")),
                false => self.outbox.push(&format!(
                    "would be denied by landlock: {line}; a real run needs {}{cr}",
                    crate::landlock::needed_option(&a)
                )),
            }
        }
    }

    /// True the first time `(arch, nr)` is seen. The set is bounded: a
    /// command issuing endless distinct numbers (x32, above the table)
    /// cannot grow the supervisor's memory; past the bound, new numbers are
    /// not reported once more.
    fn first_time(&mut self, data: &SeccompData) -> bool {
        const MAX_SEEN: usize = 4096;
        if self.seen.len() >= MAX_SEEN && !self.seen.contains(&(data.arch, data.nr)) {
            return false;
        }
        self.seen.insert((data.arch, data.nr))
    }

    /// A call an allow-list for the target arches can name.
    fn learnable(&self, data: &SeccompData) -> bool {
        self.policy.arch(data.arch).is_some()
            && Arch::from_audit(data.arch)
                .and_then(|a| SyscallTable::name(a, data.nr))
                .is_some()
    }

    /// `name(args…)`, with pathname strings read from the caller's memory
    /// when that works and the notification was still pending afterwards.
    fn describe(
        &self,
        notif: &n::SeccompNotif,
        data: &SeccompData,
        listener: BorrowedFd<'_>,
    ) -> String {
        let name = report::syscall_name(data.arch, data.nr);
        let plain = SyscallTable::name(
            Arch::from_audit(data.arch).unwrap_or(Arch::native()),
            data.nr,
        );
        let count = plain.and_then(policy::notify::arg_count).unwrap_or(6);
        let paths = plain.map(policy::notify::path_args).unwrap_or(&[]);
        let mut strings = Vec::new();
        if !paths.is_empty() {
            if let Some(mem) = report::open_mem(notif.pid) {
                for &i in paths {
                    if let Some((bytes, complete)) = report::read_string(&mem, data.args[i]) {
                        strings.push((i, bytes, complete));
                    }
                }
            }
            if !n::is_pending(listener, notif.id) {
                strings.clear(); // the memory read may belong to another process
            }
        }
        report::format_call(&name, &data.args, count, &strings)
    }

    /// Kills the caller's whole process, as `SECCOMP_RET_KILL_PROCESS`
    /// would (with SIGKILL: see the module docs).
    fn kill(&mut self, notif: &n::SeccompNotif, listener: BorrowedFd<'_>) {
        let tid = notif.pid as i32;
        let tgid = thread_group(tid).unwrap_or(tid);
        // Pin the process first, then check the notification is still
        // pending: its thread is then alive, so the pidfd (taken before the
        // check) names that process and not a reuse of its pid.
        let Ok(pidfd) = n::pidfd_open(tgid) else {
            return;
        };
        if n::is_pending(listener, notif.id) {
            if tgid == self.child {
                self.killed_child = true;
            }
            let _ = n::pidfd_send_signal(pidfd.as_fd(), SIGKILL);
        }
    }
}

/// The process (thread group) of thread `tid`.
pub(crate) fn thread_group(tid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}
