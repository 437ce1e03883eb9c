//! Guards: rules go-jail adds to the user's policy, placed so that nothing
//! in the policy can answer their calls first, and enforced by the kernel
//! even when a supervisor turns the policy's denials into notifications
//! ([`crate::notify_denials`] leaves them alone).
//!
//! - the TTY guard ([`crate::tty_guard_rules`]);
//! - the listener guard ([`listener_guard_rules`]): under a supervisor, the
//!   jailed command cannot install a second seccomp listener that would
//!   answer our notifications;
//! - the user-namespace guard ([`userns_guard_rules`], `--no-userns`);
//! - the network guard ([`network_guard_rules`], `--no-net`, `--no-unix`).

use crate::action::{Action, ENOSYS, EPERM};
use crate::condition::{ArgIndex, CmpOp, Condition};
use crate::spec::{PolicySpec, Rule};

/// `SECCOMP_SET_MODE_FILTER`, the `op` of seccomp(2) that installs a filter.
pub const SECCOMP_SET_MODE_FILTER: u64 = 1;
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER` (include/uapi/linux/seccomp.h).
pub const SECCOMP_FILTER_FLAG_NEW_LISTENER: u64 = 1 << 3;
/// `CLONE_NEWUSER` (include/uapi/linux/sched.h).
pub const CLONE_NEWUSER: u64 = 0x1000_0000;

/// The listener guard: `seccomp(SECCOMP_SET_MODE_FILTER, flags)` with
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER` in `flags` fails with `EPERM`.
///
/// Why: with stacked filters returning `SECCOMP_RET_USER_NOTIF`, the
/// kernel hands the notification to the newest filter that returned it
/// (kernel/seccomp.c `seccomp_run_filters`: a later, older filter replaces
/// the match only with a *lower* action). The kernel refuses a second
/// listener in a chain with `EBUSY` only while the first listener is open
/// (`has_duplicate_listener` looks at `filter->notif`, which
/// `seccomp_notify_detach` clears when the supervisor's fd is closed), so
/// a process outliving the supervisor could install its own listener and
/// answer `CONTINUE` to every call the policy denies.
///
/// Every way to ask for a listener goes through this test: `flags` is an
/// `unsigned int` (compared on the low word), so any combination with
/// `TSYNC`, `TSYNC_ESRCH`, `LOG`, `SPEC_ALLOW` or `WAIT_KILLABLE_RECV` is
/// caught; `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog)` always passes
/// flags 0 (`prctl_set_seccomp`: "prctl interface doesn't have flags"), so
/// it can stack a filter but never get a listener. A filter stacked without
/// a listener that returns `USER_NOTIF` makes its calls fail with `ENOSYS`
/// (`seccomp_do_user_notification`), never run.
///
/// `EPERM` rather than a kill: the call is refused either way, and
/// programs that try a listener (nested sandboxes, container runtimes)
/// already handle its failure (`EBUSY` today when a listener exists).
pub fn listener_guard_rules() -> Vec<Rule> {
    vec![Rule::when(
        "seccomp",
        Action::Errno(EPERM),
        vec![
            Condition::new(ArgIndex::ALL[0], CmpOp::Eq, SECCOMP_SET_MODE_FILTER),
            Condition::new(
                ArgIndex::ALL[1],
                CmpOp::MaskedEq(SECCOMP_FILTER_FLAG_NEW_LISTENER),
                SECCOMP_FILTER_FLAG_NEW_LISTENER,
            ),
        ],
    )]
}

/// The user-namespace guard (`--no-userns`): no new user namespace, which
/// would give the command a full capability set inside it and the kernel
/// attack surface that comes with it (`unshare -Ur`).
///
/// - `unshare(flags)` and `clone(flags, …)` with `CLONE_NEWUSER` in
///   `flags` fail with `EPERM`. `clone`'s flags are `args[0]` on every
///   supported arch (`CLONE_BACKWARDS` on x86, arm, aarch64 swaps later
///   arguments; s390's `CLONE_BACKWARDS2` is not a target) and the kernel
///   keeps their low word (kernel/fork.c `lower_32_bits(clone_flags)`);
///   `unshare` reads an `unsigned long`, its bit is in the low word too.
/// - `clone3` fails with `ENOSYS`: its flags sit in memory the filter
///   cannot read, and glibc falls back to `clone` on `ENOSYS`, whose flags
///   it can. The guard replaces every other rule of `clone3`.
/// - `setns(fd, nstype)` fails with `EPERM` when `nstype` has
///   `CLONE_NEWUSER` or is 0 ("whatever namespace `fd` refers to", which
///   can be a user namespace). Joining an existing user namespace needs
///   `CAP_SYS_ADMIN` in it (kernel/user_namespace.c `userns_install`), which
///   a process has in any namespace created by its own euid: another
///   process of the target user may have made one. `setns` naming another
///   namespace type still works.
pub fn userns_guard_rules() -> Vec<Rule> {
    let newuser = || {
        Condition::new(
            ArgIndex::ALL[0],
            CmpOp::MaskedEq(CLONE_NEWUSER),
            CLONE_NEWUSER,
        )
    };
    let eperm = Action::Errno(EPERM);
    vec![
        Rule::when("unshare", eperm, vec![newuser()]),
        Rule::when("clone", eperm, vec![newuser()]),
        Rule::when(
            "setns",
            eperm,
            vec![Condition::new(
                ArgIndex::ALL[1],
                CmpOp::MaskedEq(CLONE_NEWUSER),
                CLONE_NEWUSER,
            )],
        ),
        Rule::when(
            "setns",
            eperm,
            vec![Condition::new(ArgIndex::ALL[1], CmpOp::Eq, 0)],
        ),
        Rule::new("clone3", Action::Errno(ENOSYS)),
    ]
}

/// The parent guard: `prlimit64(pid, resource, new, old)` that would change
/// the limits of another process (`pid` not 0 and `new` not NULL) fails
/// with `EPERM`. A command of the caller's own uid (an unprivileged
/// caller's) may otherwise lower go-jail's limits (kernel/sys.c
/// `check_prlimit_permission` only compares ids), e.g. `RLIMIT_NOFILE` so
/// that go-jail cannot read `/proc/self/task/*/children` and stops killing
/// what the command left behind. A process still sets and reads its own
/// limits (`setrlimit`, `prlimit64(0, …)`, `prlimit --pid` reading).
pub fn parent_guard_rules() -> Vec<Rule> {
    vec![Rule::when(
        "prlimit64",
        Action::Errno(EPERM),
        vec![
            Condition::new(ArgIndex::ALL[0], CmpOp::Ne, 0),
            Condition::new(ArgIndex::ALL[2], CmpOp::Ne, 0),
        ],
    )]
}

/// `AF_UNIX` (include/linux/socket.h).
pub const AF_UNIX: u64 = 1;
/// `SYS_SOCKET`, socketcall(2)'s call number for socket (include/uapi/linux/net.h).
pub const SYS_SOCKET: u64 = 1;
/// `SYS_SOCKETPAIR`.
pub const SYS_SOCKETPAIR: u64 = 8;
/// `EACCES`, what Landlock answers for a denied connect or bind.
pub const EACCES: u16 = 13;

/// The network guard: the seccomp half of `--no-net` and `--no-unix`
/// (Landlock denies TCP bind/connect; it has no UDP rules below ABI 10 and
/// no rule for creating sockets at all).
///
/// - `no_net`: `socket(domain, …)` and `socketpair(domain, …)` fail with
///   `EACCES` unless `domain` is `AF_UNIX`, compared on its low 32 bits
///   (an `int`: net/socket.c `__sys_socket`), so UDP, raw and packet
///   sockets, netlink and the rest cannot even be created.
/// - `no_unix`: `socket(AF_UNIX, …)` fails with `EACCES`, so no pathname
///   or abstract unix socket outside can be connected to (Landlock governs
///   pathname sockets only from ABI 9); `socketpair` stays, so in-process
///   IPC works.
/// - i386 `socketcall(call, args)`: its arguments are in memory the filter
///   cannot read, so with either option the `SYS_SOCKET` sub-call fails
///   with `EACCES` whatever the family, and with `no_net` `SYS_SOCKETPAIR`
///   too (32-bit programs use the direct `socket` syscall on Linux 4.3+
///   where glibc assumes it).
/// - `io_uring_setup` fails with `EACCES` with either option: a ring's
///   `IORING_OP_SOCKET` (io_uring/net.c) creates a socket of any family
///   without the `socket` syscall the rules above see. The command has no
///   ring from before (go-jail closes its fds), so refusing new ones is
///   enough.
pub fn network_guard_rules(no_net: bool, no_unix: bool) -> Vec<Rule> {
    let eacces = Action::Errno(EACCES);
    let family = |op| vec![Condition::new(ArgIndex::ALL[0], op, AF_UNIX)];
    let call = |n| vec![Condition::new(ArgIndex::ALL[0], CmpOp::Eq, n)];
    let mut rules = Vec::new();
    if no_net {
        rules.push(Rule::when("socket", eacces, family(CmpOp::Ne)));
        rules.push(Rule::when("socketpair", eacces, family(CmpOp::Ne)));
        rules.push(Rule::when("socketcall", eacces, call(SYS_SOCKETPAIR)));
    }
    if no_unix {
        rules.push(Rule::when("socket", eacces, family(CmpOp::Eq)));
    }
    if no_net || no_unix {
        rules.push(Rule::when("socketcall", eacces, call(SYS_SOCKET)));
        rules.push(Rule::new("io_uring_setup", eacces));
    }
    rules
}

/// Adds `guards` to `spec` so that they decide their calls: conditional
/// guards go first (conditional rules are tried in order), and an
/// unconditional guard replaces every other rule of its syscall (it then
/// also overrides `names`).
pub fn add_guards(spec: &mut PolicySpec, guards: &[Rule]) {
    let (conditional, unconditional): (Vec<&Rule>, Vec<&Rule>) =
        guards.iter().partition(|r| !r.conditions.is_empty());
    spec.rules
        .retain(|r| !unconditional.iter().any(|g| g.name == r.name));
    spec.rules.splice(0..0, conditional.into_iter().cloned());
    spec.rules.extend(unconditional.into_iter().cloned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{notify_denials, resolve, Mode};
    use bpf_asm::{Arch, SeccompData};

    fn call(arch: Arch, name: &str, args: [u64; 6]) -> SeccompData {
        SeccompData {
            nr: crate::SyscallTable::lookup(arch, name).unwrap(),
            arch: arch.audit(),
            instruction_pointer: 0,
            args,
        }
    }

    const ARCHES: [Arch; 2] = [Arch::X86_64, Arch::X86];

    /// A deny-list of `names` with `guards` added, on x86_64 and i386.
    fn guarded(names: &[&str], guards: &[Rule]) -> crate::Policy {
        let mut spec = PolicySpec {
            arches: ARCHES.to_vec(),
            ..PolicySpec::deny(names)
        };
        add_guards(&mut spec, guards);
        resolve(&spec).unwrap().0
    }

    #[test]
    fn no_net_refuses_every_family_but_unix_on_the_low_word() {
        let p = guarded(&[], &network_guard_rules(true, false));
        let eacces = Action::Errno(EACCES);
        for arch in ARCHES {
            let ev = |name: &str, a0: u64| p.evaluate(&call(arch, name, [a0, 1, 0, 0, 0, 0]));
            for family in [2u64, 10, 16, 17, 0, 1 << 32 | 2] {
                assert_eq!(ev("socket", family), eacces, "{arch:?} {family:#x}");
                assert_eq!(ev("socketpair", family), eacces, "{arch:?} {family:#x}");
            }
            // AF_UNIX, also with junk in the high word the kernel ignores
            for family in [1u64, 1 << 32 | 1] {
                assert_eq!(ev("socket", family), Action::Allow, "{arch:?}");
                assert_eq!(ev("socketpair", family), Action::Allow, "{arch:?}");
            }
        }
        let sc = |n: u64| p.evaluate(&call(Arch::X86, "socketcall", [n, 0, 0, 0, 0, 0]));
        assert_eq!(sc(SYS_SOCKET), eacces);
        assert_eq!(sc(SYS_SOCKETPAIR), eacces);
        assert_eq!(sc(3), Action::Allow); // SYS_CONNECT: Landlock's part
    }

    #[test]
    fn no_unix_refuses_unix_sockets_but_keeps_socketpair() {
        let p = guarded(&[], &network_guard_rules(false, true));
        let eacces = Action::Errno(EACCES);
        for arch in ARCHES {
            let ev = |name: &str, a0: u64| p.evaluate(&call(arch, name, [a0, 1, 0, 0, 0, 0]));
            assert_eq!(ev("socket", 1), eacces);
            assert_eq!(ev("socket", 1 << 32 | 1), eacces);
            assert_eq!(ev("socket", 2), Action::Allow);
            assert_eq!(ev("socketpair", 1), Action::Allow);
        }
        let both = guarded(&[], &network_guard_rules(true, true));
        for family in [0u64, 1, 2, 10] {
            let d = call(Arch::X86_64, "socket", [family, 1, 0, 0, 0, 0]);
            assert_eq!(both.evaluate(&d), eacces);
        }
    }

    #[test]
    fn a_new_listener_is_refused_with_any_flag_combination() {
        let p = guarded(&["mkdir"], &listener_guard_rules());
        for arch in ARCHES {
            for flags in [
                8u64,
                8 | 1,
                8 | 1 | 16,
                8 | 2 | 4 | 32,
                0xffff_ffff,
                1 << 32 | 8,
            ] {
                let d = call(arch, "seccomp", [1, flags, 0, 0, 0, 0]);
                assert_eq!(p.evaluate(&d), Action::Errno(EPERM), "{arch:?} {flags:#x}");
            }
            // without the flag, or another op: the policy decides (allowed here)
            for (op, flags) in [(1u64, 0u64), (1, 1), (1, 1 << 32), (0, 8), (2, 8)] {
                let d = call(arch, "seccomp", [op, flags, 0, 0, 0, 0]);
                assert_eq!(p.evaluate(&d), Action::Allow, "{arch:?} {op} {flags:#x}");
            }
        }
    }

    #[test]
    fn the_listener_guard_is_never_turned_into_a_notification() {
        let guards = listener_guard_rules();
        let p = guarded(&["mkdir", "seccomp"], &guards);
        let notified = notify_denials(&p, &guards);
        for arch in ARCHES {
            let listener = call(arch, "seccomp", [1, 8, 0, 0, 0, 0]);
            assert_eq!(notified.evaluate(&listener), Action::Errno(EPERM));
            let lowered = notified.lower(&crate::CompileOptions::default());
            assert_eq!(lowered.evaluate(&listener), Action::Errno(EPERM));
            let prog = lowered.emit().unwrap();
            let ret = bpf_asm::interp::run(&prog, &listener).unwrap().ret;
            assert_eq!(ret, Action::Errno(EPERM).to_raw(), "{arch:?}");
            // the rest of the denied seccomp calls and mkdir still notify
            let plain = call(arch, "seccomp", [1, 0, 0, 0, 0, 0]);
            assert_eq!(notified.evaluate(&plain), Action::UserNotif);
            let mkdir = call(arch, "mkdir", [0; 6]);
            assert_eq!(notified.evaluate(&mkdir), Action::UserNotif);
        }
    }

    #[test]
    fn userns_guard_denies_new_user_namespaces_on_the_low_word() {
        let p = guarded(&[], &userns_guard_rules());
        let eperm = Action::Errno(EPERM);
        for arch in ARCHES {
            let ev =
                |name: &str, a0: u64, a1: u64| p.evaluate(&call(arch, name, [a0, a1, 0, 0, 0, 0]));
            assert_eq!(ev("unshare", CLONE_NEWUSER, 0), eperm);
            assert_eq!(ev("unshare", CLONE_NEWUSER | 0x20000, 0), eperm);
            assert_eq!(ev("unshare", 0x20000, 0), Action::Allow);
            assert_eq!(ev("clone", CLONE_NEWUSER | 17, 0), eperm);
            assert_eq!(ev("clone", 1 << 32 | CLONE_NEWUSER, 0), eperm);
            assert_eq!(ev("clone", 0x01200011, 0), Action::Allow); // fork()
            assert_eq!(ev("clone3", 0, 88), Action::Errno(ENOSYS));
            assert_eq!(ev("setns", 3, CLONE_NEWUSER), eperm);
            assert_eq!(ev("setns", 3, 0), eperm);
            assert_eq!(ev("setns", 3, 0x4000_0000), Action::Allow); // CLONE_NEWNET
        }
    }

    /// `--errno ENOSYS`: the policy gives clone3 its ENOSYS through the
    /// default, not a rule; the guard still keeps it from the supervisor.
    #[test]
    fn the_clone3_guard_holds_when_the_default_says_the_same() {
        let guards = userns_guard_rules();
        let mut spec = PolicySpec {
            deny_action: Action::Errno(ENOSYS),
            ..PolicySpec::allow(&["execve"])
        };
        add_guards(&mut spec, &guards);
        let (p, _) = resolve(&spec).unwrap();
        let clone3 = call(Arch::X86_64, "clone3", [0; 6]);
        let notified = notify_denials(&p, &guards);
        assert_eq!(notified.evaluate(&clone3), Action::Errno(ENOSYS));
        let read = call(Arch::X86_64, "read", [0; 6]);
        assert_eq!(notified.evaluate(&read), Action::UserNotif);
    }

    #[test]
    fn an_unconditional_guard_replaces_the_specs_rules_of_its_syscall() {
        let mut spec = PolicySpec {
            mode: Mode::AllowList,
            names: vec!["clone3".into(), "execve".into()],
            rules: vec![
                Rule::when(
                    "clone3",
                    Action::Allow,
                    vec![Condition::new(ArgIndex::ALL[1], CmpOp::Ge, 0)],
                ),
                Rule::new("clone3", Action::Allow),
            ],
            ..PolicySpec::default()
        };
        add_guards(&mut spec, &userns_guard_rules());
        let (p, _) = resolve(&spec).unwrap();
        let d = call(Arch::X86_64, "clone3", [0, 88, 0, 0, 0, 0]);
        assert_eq!(p.evaluate(&d), Action::Errno(ENOSYS));
        // conditional guards come before the spec's own rules
        assert_eq!(spec.rules[0].name, "unshare");
    }
}
