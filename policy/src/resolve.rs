//! From names to numbers: [`resolve`] turns a [`PolicySpec`] into a
//! [`Policy`], a total function per target arch.

use std::collections::BTreeMap;

use bpf_asm::Arch;

use crate::action::{Action, ENOSYS};
use crate::condition::{ArgIndex, CmpOp, Condition};
use crate::resolved::{ArchPolicy, ArgRule, Policy};
use crate::spec::{Mode, PolicyError, PolicySpec, Warning};
use crate::table::SyscallTable;
use crate::twins::{deny_twins, TwinDenial};
use crate::width::arg_width;

/// True for a default that refuses the syscall (`ERRNO`, the kills,
/// `TRAP`): there an unnamed `clone3` gets `ENOSYS` instead.
pub fn default_denies(default: Action) -> bool {
    matches!(
        default,
        Action::Errno(_) | Action::KillProcess | Action::KillThread | Action::Trap(_)
    )
}

/// Resolves every name on every target arch.
///
/// - A name no supported arch knows is an error with suggestions.
/// - A name other arches know but a target lacks is skipped there, with a
///   [`Warning`] (`mmap2` on x86_64).
/// - Allow-list: listed → `ALLOW`, the rest → `deny_action`. Deny-list:
///   listed → `deny_action`, the rest → `ALLOW`. Explicit rules override both.
/// - Deny-list: a listed name also denies its [twins](crate::twins) on every
///   target arch that has them (`fcntl` → i386's `fcntl64`), recorded in
///   [`ArchPolicy::twins`]; an allow-list allows exactly what it lists.
/// - Naming a multiplexer (`socketcall`, `ipc`) means all of it; only when it
///   is not named do its sub-calls take their direct syscall's action.
/// - Rules with conditions (see [`crate::spec::Rule`]) are tried first, in
///   spec order; the syscall's action above is their fallback. Each
///   condition's argument width comes from [`crate::width`] for that arch.
/// - `nr == -1` gets the default (never `ALLOW` under an allow-list).
/// - Foreign arches get `KILL_PROCESS`; on x86_64 the x32 region
///   `[0x40000000, 0xFFFFFFFE]` gets `KILL_PROCESS` in both modes (x32 is
///   not a target).
/// - With `enosys_fallback` (the default):
///   - numbers above the table get `ERRNO(ENOSYS)` in both modes, as the
///     kernel itself would answer, so programs built for newer kernels fall
///     back (runc's "-ENOSYS stub"); without it they get the default;
///   - `clone3` gets `ERRNO(ENOSYS)` when it is denied only because it was
///     left out, that is when no rule names it and the default denies
///     ([`default_denies`]): glibc falls back to `clone`, whose flags a
///     filter can see, only on `ENOSYS`. Under a default that lets calls
///     run or hands them to someone (`ALLOW`, `LOG`, `TRACE`, `USER_NOTIF`)
///     `clone3` gets the default like any other unnamed syscall.
///   - Numbers above the table keep `ENOSYS` under every default: a
///     deny-list stays meaningful when a later kernel adds a syscall that
///     duplicates a denied one (as `clone3` did `clone`, `openat2`
///     `openat`); the program then sees "no such call" and falls back to
///     the one the list can see.
/// - ARM's private syscalls (`__ARM_NR_BASE + n`, e.g. `set_tls`) are
///   ordinary syscalls here: named → the rule, unnamed → the default
///   (denied under an allow-list, allowed under a deny-list).
pub fn resolve(spec: &PolicySpec) -> Result<(Policy, Vec<Warning>), PolicyError> {
    let all_names = spec.names.iter().chain(spec.rules.iter().map(|r| &r.name));
    for name in all_names {
        if !SyscallTable::known_anywhere(name) {
            return Err(PolicyError::UnknownSyscall {
                name: name.clone(),
                suggestions: SyscallTable::suggest(name),
            });
        }
    }
    let arches = target_order(&spec.arches);
    if arches.is_empty() {
        return Err(PolicyError::NoArch);
    }
    let mut warnings = Vec::new();
    let policies = arches
        .into_iter()
        .map(|arch| resolve_arch(spec, arch, &mut warnings))
        .collect();
    Ok((Policy::new(policies, Action::KillProcess), warnings))
}

/// Deduplicated targets, the native arch first (it is the hot one).
fn target_order(arches: &[Arch]) -> Vec<Arch> {
    let mut out: Vec<Arch> = Vec::new();
    for &a in arches {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if let Some(i) = out.iter().position(|&a| a == Arch::native()) {
        let native = out.remove(i);
        out.insert(0, native);
    }
    out
}

fn resolve_arch(spec: &PolicySpec, arch: Arch, warnings: &mut Vec<Warning>) -> ArchPolicy {
    let (listed, default) = match spec.mode {
        Mode::AllowList => (Action::Allow, spec.deny_action),
        Mode::DenyList => (spec.deny_action, Action::Allow),
    };
    let mut lookup = |name: &str| {
        let nr = SyscallTable::lookup(arch, name);
        if nr.is_none() {
            warn_not_on_arch(warnings, name, arch);
        }
        nr
    };
    let (mut rules, twins) = listed_numbers(spec, arch, listed, &mut lookup);
    let mut conditional = rule_numbers(spec, arch, &mut rules, &mut lookup);
    for (nr, rule) in multiplexed(spec, arch, &rules, listed, default) {
        conditional.entry(nr).or_default().push(rule);
    }
    let enosys = Action::Errno(ENOSYS);
    if spec.enosys_fallback && default_denies(default) {
        if let Some(clone3) = SyscallTable::lookup(arch, "clone3") {
            rules.entry(clone3).or_insert(enosys);
        }
    }
    // A rule that says what the default says is no rule (clone3 was looked
    // at first, so an explicit `clone3 → default` still beats ENOSYS).
    rules.retain(|_, a| *a != default);
    ArchPolicy {
        arch,
        default,
        rules,
        conditional,
        above_table: if spec.enosys_fallback {
            enosys
        } else {
            default
        },
        x32: (arch == Arch::X86_64).then_some(Action::KillProcess),
        table_end: SyscallTable::max_nr(arch) + 1,
        private: SyscallTable::private_range(arch),
        twins,
    }
}

/// Adds the `spec.rules` of `arch`: unconditional ones to `rules`, the
/// conditional ones returned by number (with the argument widths the
/// kernel reads).
fn rule_numbers(
    spec: &PolicySpec,
    arch: Arch,
    rules: &mut BTreeMap<u32, Action>,
    lookup: &mut impl FnMut(&str) -> Option<u32>,
) -> BTreeMap<u32, Vec<ArgRule>> {
    let mut conditional: BTreeMap<u32, Vec<ArgRule>> = BTreeMap::new();
    let here = spec
        .rules
        .iter()
        .filter(|r| r.arches.is_empty() || r.arches.contains(&arch));
    for rule in here {
        if let Some(nr) = lookup(&rule.name) {
            if rule.conditions.is_empty() {
                rules.insert(nr, rule.action);
            } else {
                let conditions = (rule.conditions.iter())
                    .map(|c| (*c, arg_width(arch, &rule.name, c.arg())))
                    .collect();
                conditional
                    .entry(nr)
                    .or_default()
                    .push(ArgRule::new(conditions, rule.action));
            }
        }
    }
    conditional
}

/// Records (once) that `name` is skipped on `arch`, which lacks it.
fn warn_not_on_arch(warnings: &mut Vec<Warning>, name: &str, arch: Arch) {
    let w = Warning::NotOnArch {
        name: name.to_string(),
        arch,
        known_on: SyscallTable::arches_with(name),
    };
    if !warnings.contains(&w) {
        warnings.push(w);
    }
}

/// The numbers `spec.names` give `listed` on `arch`, a deny-list's twins
/// included, and those twins. `lookup` warns about a name `arch` lacks; a
/// name whose twin `arch` has is not looked up that way (it is not skipped).
fn listed_numbers(
    spec: &PolicySpec,
    arch: Arch,
    listed: Action,
    lookup: &mut impl FnMut(&str) -> Option<u32>,
) -> (BTreeMap<u32, Action>, Vec<TwinDenial>) {
    let twins = match spec.mode {
        Mode::DenyList => deny_twins(&spec.names, arch),
        Mode::AllowList => Vec::new(),
    };
    let mut rules = BTreeMap::new();
    for name in &spec.names {
        let nr = if twins.iter().any(|t| t.name == *name) {
            SyscallTable::lookup(arch, name)
        } else {
            lookup(name)
        };
        if let Some(nr) = nr {
            rules.insert(nr, listed);
        }
    }
    for t in &twins {
        rules.insert(t.nr, listed);
    }
    (rules, twins)
}

/// A multiplexing syscall, the mask it applies to its first argument, and
/// the `(direct syscall, call number)` pairs it dispatches to.
type Multiplexer = (&'static str, u64, &'static [(&'static str, u64)]);

/// i386's multiplexers reach the same kernel code as the direct calls:
/// `socketcall(call, args)` (net/socket.c `sys_socketcall`) and
/// `ipc(call, …)` (ipc/syscall.c `ksys_ipc`, which keeps `call & 0xffff`).
/// Call numbers from include/uapi/linux/net.h and ipc/syscall.c.
const MULTIPLEXERS: &[Multiplexer] = &[
    (
        "socketcall",
        u64::MAX,
        &[
            ("socket", 1),
            ("bind", 2),
            ("connect", 3),
            ("listen", 4),
            ("accept", 5),
            ("getsockname", 6),
            ("getpeername", 7),
            ("socketpair", 8),
            ("send", 9),
            ("recv", 10),
            ("sendto", 11),
            ("recvfrom", 12),
            ("shutdown", 13),
            ("setsockopt", 14),
            ("getsockopt", 15),
            ("sendmsg", 16),
            ("recvmsg", 17),
            ("accept4", 18),
            ("recvmmsg", 19),
            ("sendmmsg", 20),
        ],
    ),
    (
        "ipc",
        0xffff,
        &[
            ("semop", 1),
            ("semget", 2),
            ("semctl", 3),
            ("semtimedop", 4),
            ("msgsnd", 11),
            ("msgrcv", 12),
            ("msgget", 13),
            ("msgctl", 14),
            ("shmat", 21),
            ("shmdt", 22),
            ("shmget", 23),
            ("shmctl", 24),
        ],
    ),
];

/// True when the spec gives `mux` an action of its own: listed in `names`,
/// or an unconditional rule. Then `mux` means all of it (a deny-list naming
/// `socketcall` denies `socketcall(SYS_SOCKET, …)` too, an allow-list naming
/// it allows every sub-call, as libseccomp does), and no sub-call rule is
/// derived from the direct syscalls.
fn names_the_multiplexer(spec: &PolicySpec, mux: &str) -> bool {
    spec.names.iter().any(|n| n == mux)
        || spec
            .rules
            .iter()
            .any(|r| r.name == mux && r.conditions.is_empty())
}

/// Rules that make a multiplexed call mean what its direct syscall means:
/// where the policy gives `socket` another action than `socketcall`,
/// `socketcall(SYS_SOCKET, …)` gets `socket`'s action (docs/threats.md S03:
/// denying `socket` must deny it through `socketcall` too; allowing it
/// allows it there too, as libseccomp does). Only unconditional actions
/// carry over: `socketcall`'s arguments sit in memory the filter cannot
/// read. None when the multiplexer itself is named
/// ([`names_the_multiplexer`]).
fn multiplexed(
    spec: &PolicySpec,
    arch: Arch,
    rules: &BTreeMap<u32, Action>,
    listed: Action,
    default: Action,
) -> Vec<(u32, ArgRule)> {
    // What `name` gets by the spec, whether or not `arch` has it.
    let action_of = |name: &str| -> Action {
        if let Some(nr) = SyscallTable::lookup(arch, name) {
            return rules.get(&nr).copied().unwrap_or(default);
        }
        let unconditional = spec
            .rules
            .iter()
            .rev()
            .find(|r| r.name == name && r.conditions.is_empty());
        match unconditional {
            Some(r) => r.action,
            None if spec.names.iter().any(|n| n == name) => listed,
            None => default,
        }
    };
    let mut out = Vec::new();
    for &(mux, mask, calls) in MULTIPLEXERS {
        let Some(mux_nr) = SyscallTable::lookup(arch, mux) else {
            continue;
        };
        if names_the_multiplexer(spec, mux) {
            continue;
        }
        let mux_action = action_of(mux);
        for &(name, code) in calls {
            let action = action_of(name);
            if action == mux_action {
                continue;
            }
            let op = if mask == u64::MAX {
                CmpOp::Eq
            } else {
                CmpOp::MaskedEq(mask)
            };
            let c = Condition::new(ArgIndex::ALL[0], op, code);
            let first = ArgIndex::ALL[0];
            out.push((
                mux_nr,
                ArgRule::new(vec![(c, arg_width(arch, mux, first))], action),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::EPERM;

    #[test]
    fn i386_socketcall_means_what_the_direct_call_means() {
        let spec = PolicySpec {
            arches: vec![Arch::X86_64, Arch::X86],
            ..PolicySpec::deny(&["socket", "shmget"])
        };
        let (p, _) = resolve(&spec).unwrap();
        let i386 = |name: &str, a0: u64| SeccompData {
            nr: SyscallTable::lookup(Arch::X86, name).unwrap(),
            arch: Arch::X86.audit(),
            args: [a0, 0, 0, 0, 0, 0],
            ..SeccompData::default()
        };
        assert_eq!(p.evaluate(&i386("socketcall", 1)), Action::Errno(EPERM));
        assert_eq!(p.evaluate(&i386("socketcall", 3)), Action::Allow); // connect
        assert_eq!(p.evaluate(&i386("ipc", 23)), Action::Errno(EPERM)); // shmget
        assert_eq!(p.evaluate(&i386("ipc", 23 | 1 << 16)), Action::Errno(EPERM));
        assert_eq!(p.evaluate(&i386("ipc", 21)), Action::Allow); // shmat
                                                                 // An allow-list that allows socket allows it through socketcall only.
        let spec = PolicySpec {
            arches: vec![Arch::X86_64, Arch::X86],
            ..PolicySpec::allow(&["socket", "execve"])
        };
        let (p, _) = resolve(&spec).unwrap();
        assert_eq!(p.evaluate(&i386("socketcall", 1)), Action::Allow);
        assert_eq!(p.evaluate(&i386("socketcall", 2)), Action::Errno(EPERM));
        // Only x86 has the multiplexers as syscalls here.
        let (p, _) = resolve(&PolicySpec::deny(&["socket"])).unwrap();
        assert!(p.arches[0].conditional.is_empty());
    }
    #[test]
    fn naming_a_multiplexer_means_all_of_it() {
        let i386 = |name: &str, a0: u64| SeccompData {
            nr: SyscallTable::lookup(Arch::X86, name).unwrap(),
            arch: Arch::X86.audit(),
            args: [a0, 0, 0, 0, 0, 0],
            ..SeccompData::default()
        };
        let eperm = Action::Errno(EPERM);
        let deny = resolve(&PolicySpec {
            arches: vec![Arch::X86_64, Arch::X86],
            ..PolicySpec::deny(&["socketcall", "ipc"])
        })
        .unwrap()
        .0;
        let allow = resolve(&PolicySpec {
            arches: vec![Arch::X86_64, Arch::X86],
            ..PolicySpec::allow(&["socketcall", "ipc", "execve"])
        })
        .unwrap()
        .0;
        for call in 0..=21 {
            assert_eq!(deny.evaluate(&i386("socketcall", call)), eperm, "{call}");
            assert_eq!(allow.evaluate(&i386("socketcall", call)), Action::Allow);
        }
        for call in [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 23 | 1 << 16] {
            assert_eq!(deny.evaluate(&i386("ipc", call)), eperm, "{call}");
            assert_eq!(allow.evaluate(&i386("ipc", call)), Action::Allow);
        }
        assert!(deny.arches.iter().all(|a| a.conditional.is_empty()));
        assert!(allow.arches.iter().all(|a| a.conditional.is_empty()));
        assert_eq!(
            deny.evaluate(&i386("socket", 0)),
            Action::Allow,
            "direct call"
        );
    }

    #[test]
    fn deny_lists_deny_the_twins_allow_lists_do_not() {
        let arches = vec![Arch::X86_64, Arch::X86, Arch::Arm];
        let (p, w) = resolve(&PolicySpec {
            arches: arches.clone(),
            ..PolicySpec::deny(&["fcntl", "getuid", "newfstatat"])
        })
        .unwrap();
        assert!(
            w.is_empty(),
            "newfstatat is denied on x86 as fstatat64: {w:?}"
        );
        let eperm = Action::Errno(EPERM);
        for (arch, name) in [
            (Arch::X86, "fcntl64"),
            (Arch::X86, "fcntl"),
            (Arch::X86, "getuid32"),
            (Arch::X86, "fstatat64"),
            (Arch::Arm, "fcntl64"),
            (Arch::Arm, "getuid32"),
            (Arch::X86_64, "newfstatat"),
        ] {
            assert_eq!(
                p.evaluate(&call(arch, name, [0; 6])),
                eperm,
                "{arch:?} {name}"
            );
        }
        let x86 = p.arch(Arch::X86.audit()).unwrap();
        let twins: Vec<(&str, &str)> = x86
            .twins
            .iter()
            .map(|t| (t.name.as_str(), t.twin))
            .collect();
        assert_eq!(
            twins,
            [
                ("fcntl", "fcntl64"),
                ("getuid", "getuid32"),
                ("newfstatat", "fstatat64")
            ]
        );
        let (p, _) = resolve(&PolicySpec {
            arches,
            ..PolicySpec::allow(&["fcntl", "getuid"])
        })
        .unwrap();
        assert_eq!(p.evaluate(&call(Arch::X86, "fcntl", [0; 6])), Action::Allow);
        assert_eq!(p.evaluate(&call(Arch::X86, "fcntl64", [0; 6])), eperm);
        assert_eq!(p.evaluate(&call(Arch::X86, "getuid32", [0; 6])), eperm);
        assert!(p.arches.iter().all(|a| a.twins.is_empty()));
    }

    use bpf_asm::SeccompData;

    fn data(arch: Arch, nr: u32) -> SeccompData {
        SeccompData {
            nr,
            arch: arch.audit(),
            ..SeccompData::default()
        }
    }

    fn x86_64(spec: PolicySpec) -> (Policy, Vec<Warning>) {
        resolve(&PolicySpec {
            arches: vec![Arch::X86_64],
            ..spec
        })
        .unwrap()
    }

    #[test]
    fn unknown_names_are_errors_with_suggestions() {
        let err = resolve(&PolicySpec::allow(&["read", "opnat"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown syscall 'opnat', did you mean 'openat'?"
        );
        let err = resolve(&PolicySpec::allow(&["qqqqqqqqqqqq"])).unwrap_err();
        assert_eq!(err.to_string(), "unknown syscall 'qqqqqqqqqqqq'");
        let err = resolve(&PolicySpec::allow(&["mmap3"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown syscall 'mmap3', did you mean 'mmap' or 'mmap2'?"
        );
    }

    #[test]
    fn other_arch_names_are_skipped_with_a_warning() {
        let (p, w) = x86_64(PolicySpec::allow(&["read", "mmap2", "fstat64", "mmap2"]));
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0].to_string(),
            "syscall 'mmap2' does not exist on x86_64, skipped (it exists on x86, arm)"
        );
        assert_eq!(p.arches[0].rules.get(&0), Some(&Action::Allow));
    }

    #[test]
    fn duplicates_are_harmless() {
        let (a, _) = x86_64(PolicySpec::allow(&["read", "read", "write"]));
        let (b, _) = x86_64(PolicySpec::allow(&["write", "read"]));
        assert_eq!(a, b);
    }

    #[test]
    fn special_regions_of_an_allow_list() {
        let (p, _) = x86_64(PolicySpec::allow(&["read"]));
        let eval = |nr| p.evaluate(&data(Arch::X86_64, nr));
        let eperm = Action::Errno(EPERM);
        let enosys = Action::Errno(ENOSYS);
        assert_eq!(eval(0), Action::Allow);
        assert_eq!(eval(1), eperm);
        assert_eq!(eval(435), enosys, "clone3");
        let max = SyscallTable::max_nr(Arch::X86_64);
        assert_eq!(eval(max), eperm);
        assert_eq!(eval(max + 1), enosys);
        assert_eq!(eval(0x3fff_ffff), enosys);
        assert_eq!(eval(0x4000_0000), Action::KillProcess);
        assert_eq!(eval(0x4000_0001), Action::KillProcess);
        assert_eq!(eval(0xffff_fffe), Action::KillProcess);
        assert_eq!(eval(0xffff_ffff), eperm);
        assert_eq!(p.evaluate(&data(Arch::X86, 3)), Action::KillProcess);
        assert_eq!(p.evaluate(&data(Arch::X86, 0)), Action::KillProcess);
    }

    #[test]
    fn special_regions_of_a_deny_list() {
        let (p, _) = x86_64(PolicySpec::deny(&["ptrace", "clone3"]));
        let eval = |nr| p.evaluate(&data(Arch::X86_64, nr));
        assert_eq!(eval(101), Action::Errno(EPERM));
        assert_eq!(eval(435), Action::Errno(EPERM), "explicitly denied");
        assert_eq!(eval(0), Action::Allow);
        assert_eq!(eval(0x3fff_ffff), Action::Errno(ENOSYS));
        assert_eq!(eval(0x4000_0005), Action::KillProcess);
        assert_eq!(eval(0xffff_ffff), Action::Allow);
        let (p, _) = x86_64(PolicySpec {
            enosys_fallback: false,
            ..PolicySpec::deny(&["ptrace"])
        });
        assert_eq!(p.arches[0].action(1000), Action::Allow);
        assert_eq!(p.arches[0].action(0x4000_0001), Action::KillProcess);
    }

    #[test]
    fn clone3_gets_enosys_only_where_the_default_denies() {
        let max = SyscallTable::max_nr(Arch::X86_64);
        let enosys = Action::Errno(ENOSYS);
        for (default, denies) in [
            (Action::Allow, false),
            (Action::Log, false),
            (Action::Trace(1), false),
            (Action::UserNotif, false),
            (Action::Errno(EPERM), true),
            (Action::KillProcess, true),
            (Action::KillThread, true),
            (Action::Trap(0), true),
        ] {
            let (p, _) = x86_64(PolicySpec {
                deny_action: default,
                ..PolicySpec::allow(&["read"])
            });
            let clone3 = if denies { enosys } else { default };
            assert_eq!(p.arches[0].action(435), clone3, "clone3 under {default}");
            assert_eq!(p.arches[0].action(max + 1), enosys, "above under {default}");
            assert_eq!(p.arches[0].action(0x3fff_ffff), enosys, "{default}");
        }
    }

    #[test]
    fn explicit_rules_win() {
        let (p, _) = x86_64(PolicySpec {
            rules: vec![
                crate::spec::Rule::new("clone3", Action::KillThread),
                crate::spec::Rule::new("read", Action::Log),
            ],
            ..PolicySpec::allow(&["read"])
        });
        assert_eq!(p.arches[0].action(435), Action::KillThread);
        assert_eq!(p.arches[0].action(0), Action::Log);
    }

    #[test]
    fn empty_allow_list_denies_everything() {
        let (p, _) = x86_64(PolicySpec::allow::<&str>(&[]));
        assert_eq!(p.arches[0].action(0), Action::Errno(EPERM));
        assert_eq!(p.arches[0].action(435), Action::Errno(ENOSYS));
    }

    #[test]
    fn multi_arch_resolves_in_each_table_native_first() {
        let (p, w) = resolve(&PolicySpec {
            arches: vec![Arch::X86, Arch::X86_64, Arch::X86],
            ..PolicySpec::allow(&["openat", "mmap2"])
        })
        .unwrap();
        assert_eq!(p.arches.len(), 2);
        assert_eq!(p.arches[0].arch, Arch::native());
        assert_eq!(w.len(), 1);
        assert_eq!(p.evaluate(&data(Arch::X86, 295)), Action::Allow);
        assert_eq!(p.evaluate(&data(Arch::X86, 192)), Action::Allow);
        assert_eq!(p.evaluate(&data(Arch::X86_64, 257)), Action::Allow);
        assert_eq!(
            p.evaluate(&data(Arch::X86, 0x4000_0000)),
            Action::Errno(ENOSYS)
        );
        assert_eq!(p.evaluate(&data(Arch::Arm, 0)), Action::KillProcess);
    }

    #[test]
    fn arm_private_syscalls() {
        let (p, _) = resolve(&PolicySpec {
            arches: vec![Arch::Arm],
            ..PolicySpec::allow(&["set_tls"])
        })
        .unwrap();
        let a = &p.arches[0];
        assert_eq!(a.action(0x0f_0005), Action::Allow);
        assert_eq!(a.action(0x0f_0002), Action::Errno(EPERM));
        assert_eq!(a.action(0x0f_0800), Action::Errno(ENOSYS));
        assert_eq!(a.action(0x4000_0000), Action::Errno(ENOSYS));
        let (p, _) = resolve(&PolicySpec {
            arches: vec![Arch::Arm],
            ..PolicySpec::deny(&["ptrace"])
        })
        .unwrap();
        assert_eq!(p.arches[0].action(0x0f_0002), Action::Allow);
    }

    fn call(arch: Arch, name: &str, args: [u64; 6]) -> SeccompData {
        SeccompData {
            nr: SyscallTable::lookup(arch, name).unwrap(),
            arch: arch.audit(),
            args,
            ..SeccompData::default()
        }
    }

    /// The reference and the compiled program agree on `data`.
    fn both(p: &Policy, data: &SeccompData) -> Action {
        let lowered = p.lower(&crate::CompileOptions::default());
        let prog = lowered.emit().unwrap();
        assert!(bpf_asm::verify(&prog).is_ok());
        let want = p.evaluate(data);
        assert_eq!(
            bpf_asm::run(&prog, data).unwrap().ret,
            want.to_raw(),
            "{data:x?}"
        );
        assert_eq!(lowered.evaluate(data), want);
        want
    }

    #[test]
    fn tty_guard_in_a_deny_list() {
        let eperm = Action::Errno(EPERM);
        for arch in [Arch::X86_64, Arch::X86, Arch::Aarch64] {
            let (p, _) = resolve(&PolicySpec {
                rules: crate::spec::tty_guard_rules(),
                arches: vec![arch],
                ..PolicySpec::deny::<&str>(&[])
            })
            .unwrap();
            let ioctl = |req| both(&p, &call(arch, "ioctl", [3, req, 0, 0, 0, 0]));
            assert_eq!(ioctl(0x5412), eperm);
            assert_eq!(ioctl(0x541c), eperm);
            assert_eq!(ioctl(0x1_0000_5412), eperm, "{arch:?}: high word ignored");
            assert_eq!(ioctl(0x5401), Action::Allow, "TCGETS");
            assert_eq!(ioctl(0x5413), Action::Allow);
            assert_eq!(
                both(&p, &call(arch, "read", [0, 0x5412, 0, 0, 0, 0])),
                Action::Allow
            );
            let prog = crate::compile(&p, &crate::CompileOptions::default()).unwrap();
            let cached = bpf_asm::cached_syscalls(&prog, arch.audit(), p.arches[0].table_end);
            let nr = SyscallTable::lookup(arch, "ioctl").unwrap();
            assert!(!cached.contains(&nr));
            assert!(cached.contains(&SyscallTable::lookup(arch, "read").unwrap()));
        }
        assert_eq!(SyscallTable::lookup(Arch::X86_64, "ioctl"), Some(16));
        assert_eq!(SyscallTable::lookup(Arch::X86, "ioctl"), Some(54));
    }

    #[test]
    fn tty_guard_beats_an_allow_list_entry() {
        let eperm = Action::Errno(EPERM);
        let mut rules = vec![crate::spec::Rule::new("ioctl", Action::Allow)];
        rules.extend(crate::spec::tty_guard_rules());
        for rules in [crate::spec::tty_guard_rules(), rules] {
            let (p, _) = x86_64(PolicySpec {
                rules,
                ..PolicySpec::allow(&["ioctl", "read"])
            });
            let a = Arch::X86_64;
            let ioctl = |req| both(&p, &call(a, "ioctl", [u64::MAX, req, 0, 0, 0, 0]));
            assert_eq!(ioctl(0x5412), eperm);
            assert_eq!(ioctl(0x1_0000_5412), eperm);
            assert_eq!(ioctl(0x5401), Action::Allow);
            assert_eq!(both(&p, &call(a, "read", [0; 6])), Action::Allow);
            assert_eq!(both(&p, &call(a, "write", [0; 6])), eperm, "not listed");
        }
    }

    #[test]
    fn af_vsock_block_is_not_bypassed_by_the_high_word() {
        use crate::condition::{CmpOp, Condition};
        // Docker: socket allowed unless the family is AF_VSOCK (40).
        let (p, _) = x86_64(PolicySpec {
            rules: vec![crate::spec::Rule::when(
                "socket",
                Action::Allow,
                vec![Condition::new(ArgIndex::ALL[0], CmpOp::Ne, 40)],
            )],
            ..PolicySpec::allow(&["read"])
        });
        let a = Arch::X86_64;
        let socket = |fam| both(&p, &call(a, "socket", [fam, 1, 0, 0, 0, 0]));
        assert_eq!(socket(2), Action::Allow);
        assert_eq!(socket(40), Action::Errno(EPERM));
        assert_eq!(socket(0x1_0000_0028), Action::Errno(EPERM));
    }

    #[test]
    fn rules_are_first_match_and_fall_back_to_the_unconditional_action() {
        use crate::condition::{CmpOp, Condition};
        use crate::spec::Rule;
        let (p, _) = x86_64(PolicySpec {
            rules: vec![
                Rule::when(
                    "mmap",
                    Action::Log,
                    vec![Condition::new(ArgIndex::ALL[2], CmpOp::Eq, 7)],
                ),
                Rule::when(
                    "mmap",
                    Action::KillThread,
                    vec![
                        Condition::new(ArgIndex::ALL[2], CmpOp::MaskedEq(4), 4),
                        Condition::new(ArgIndex::ALL[4], CmpOp::Eq, 3),
                    ],
                ),
                Rule::new("mmap", Action::Trap(1)),
            ],
            ..PolicySpec::allow(&["mmap"])
        });
        let a = Arch::X86_64;
        let mmap = |prot, fd| both(&p, &call(a, "mmap", [0, 4096, prot, 2, fd, 0]));
        assert_eq!(mmap(7, 3), Action::Log, "first rule first");
        assert_eq!(mmap(5, 3), Action::KillThread);
        assert_eq!(
            mmap(5, 0x1_0000_0003),
            Action::KillThread,
            "mmap's fd is 32 bits"
        );
        assert_eq!(
            mmap(5, 4),
            Action::Trap(1),
            "fallback: the unconditional rule"
        );
        assert_eq!(mmap(0x1_0000_0007, 4), Action::Trap(1), "prot is 64 bits");
    }

    #[test]
    fn values_beyond_32_bits_on_a_32_bit_arch() {
        use crate::condition::{CmpOp, Condition};
        use crate::spec::Rule;
        let rules = vec![
            Rule::when(
                "read",
                Action::Log,
                vec![Condition::new(ArgIndex::ALL[2], CmpOp::Eq, 0x1_0000_0005)],
            ),
            Rule::when(
                "write",
                Action::Log,
                vec![Condition::new(ArgIndex::ALL[2], CmpOp::Ne, 0x1_0000_0005)],
            ),
            Rule::when(
                "lseek",
                Action::Log,
                vec![Condition::new(ArgIndex::ALL[1], CmpOp::Lt, 0x1_0000_0000)],
            ),
        ];
        let (p, _) = resolve(&PolicySpec {
            rules,
            arches: vec![Arch::X86],
            ..PolicySpec::deny::<&str>(&[])
        })
        .unwrap();
        let a = Arch::X86;
        // `size_t count` is zero-extended: 0x1_0000_0005 can never be passed.
        assert_eq!(
            both(&p, &call(a, "read", [0, 0, 5, 0, 0, 0])),
            Action::Allow
        );
        assert_eq!(both(&p, &call(a, "write", [0, 0, 5, 0, 0, 0])), Action::Log);
        assert_eq!(
            both(&p, &call(a, "lseek", [0, 0xffff_ffff, 0, 0, 0, 0])),
            Action::Log
        );
        assert_eq!(
            p.lower(&crate::CompileOptions::default()).arches()[0].leaf(3),
            crate::runs::Leaf::Ret(Action::Allow),
            "folded"
        );
    }

    #[test]
    fn equal_matchers_are_shared_and_merge_runs() {
        use crate::condition::{CmpOp, Condition};
        use crate::spec::Rule;
        // read (0) and write (1): same rule, same widths -> one run.
        let rule = |n: &str| {
            Rule::when(
                n,
                Action::Log,
                vec![Condition::new(ArgIndex::ALL[0], CmpOp::Eq, 2)],
            )
        };
        let (p, _) = x86_64(PolicySpec {
            rules: vec![rule("read"), rule("write")],
            ..PolicySpec::deny::<&str>(&[])
        });
        let lowered = p.lower(&crate::CompileOptions::default());
        let a = &lowered.arches()[0];
        assert_eq!(a.leaf(0), a.leaf(1));
        assert!(matches!(a.leaf(0), crate::runs::Leaf::Args(_)));
        let runs = a.runs();
        assert_eq!((runs[0].lo, runs[0].hi), (0, 1));
    }
}
