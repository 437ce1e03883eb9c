//! Turning a policy's denials into user notifications, for a supervisor
//! that watches what the filter denies (`go-jail --report-denied`,
//! `--complain`, `go-jail learn`).
//!
//! `SECCOMP_RET_USER_NOTIF` ranks below `ERRNO` and the kills, so a second
//! filter stacked on the first cannot see a denial: the denying actions of
//! the policy itself become `USER_NOTIF`, and the supervisor answers each
//! notification with what the original policy says
//! ([`Policy::evaluate`] of the untransformed policy): the errno, a kill,
//! or "continue" when it only reports.
//!
//! Allowed paths are unchanged, so the compiled program keeps the same
//! shape and the kernel's action cache still serves the allowed syscalls
//! without running the filter.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use crate::action::Action;
use crate::resolved::Policy;
use crate::spec::{Mode, PolicySpec, Rule};
use crate::table::SyscallTable;

/// True for the actions that refuse a syscall: `ERRNO(n)` and the kills.
/// `TRAP`, `TRACE`, `LOG` and `USER_NOTIF` are left alone: they already
/// hand the call to someone, or let it run.
pub fn is_denial(action: Action) -> bool {
    matches!(
        action,
        Action::Errno(_) | Action::KillProcess | Action::KillThread
    )
}

/// `policy` with every denying action ([`is_denial`]) replaced by
/// `USER_NOTIF`, for every target arch, every region of the number space,
/// conditional rules and foreign
/// arches — except the rules of `enforced` (the guards the spec was given,
/// [`crate::guards`]): they keep their action, so the kernel enforces them
/// whatever the supervisor answers, or whoever answers.
///
/// A rule is recognized by what it resolves to on each arch: a
/// conditional rule equal to a resolved enforced one, or a syscall whose
/// unconditional action is an enforced rule's. A rule of the user's that
/// says exactly what a guard says is therefore enforced too (same result,
/// without a report line).
pub fn notify_denials(policy: &Policy, enforced: &[Rule]) -> Policy {
    let swap = |a: Action| if is_denial(a) { Action::UserNotif } else { a };
    let kept = resolve_enforced(policy, enforced);
    let mut out = policy.clone();
    for arch in &mut out.arches {
        let guard = kept.as_ref().and_then(|k| k.arch(arch.arch.audit()));
        // unconditional guards, pinned as rules before the default changes
        // (the policy may give one its action through the default)
        let pinned: BTreeSet<u32> = guard
            .map(|g| g.rules.iter().filter(|&(&nr, &a)| arch.action(nr) == a))
            .into_iter()
            .flatten()
            .map(|(&nr, _)| nr)
            .collect();
        for &nr in &pinned {
            let action = arch.action(nr);
            arch.rules.insert(nr, action);
        }
        arch.default = swap(arch.default);
        arch.above_table = swap(arch.above_table);
        arch.x32 = arch.x32.map(swap);
        for (nr, action) in arch.rules.iter_mut() {
            if !pinned.contains(nr) {
                *action = swap(*action);
            }
        }
        for (nr, rules) in arch.conditional.iter_mut() {
            let guarded = guard.and_then(|g| g.conditional.get(nr));
            for rule in rules.iter_mut() {
                if !guarded.is_some_and(|g| g.contains(rule)) {
                    rule.set_action(swap(rule.action()));
                }
            }
        }
    }
    out.foreign = swap(out.foreign);
    out
}

/// The syscalls whose effect Landlock decides (a path they resolve, or a
/// TCP port): what a supervisor must see to report Landlock's decisions
/// (`security/landlock/fs.c` and `net.c` hooks: file open, execve, the
/// path-creating, -removing, -linking and -renaming calls, truncate,
/// `bind`/`connect`). Names of every arch; a name an arch lacks is skipped.
pub const LANDLOCK_CALLS: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "execve",
    "execveat",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "symlink",
    "symlinkat",
    "link",
    "linkat",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "truncate",
    "truncate64",
    "ftruncate",
    "ftruncate64",
    "bind",
    "connect",
];

/// `policy` with the calls named in `names` sent to the supervisor where
/// it allows them: an `ALLOW` (unconditional, a conditional rule's, or the
/// default's) becomes `USER_NOTIF`, on every target arch. Every other
/// action is unchanged, so a supervisor that answers these notifications
/// with "continue" leaves the jail exactly as `policy` makes it, and sees
/// each call (`--report-denied` with Landlock: [`LANDLOCK_CALLS`]).
pub fn notify_calls(policy: &Policy, names: &[&str]) -> Policy {
    let swap = |a: Action| {
        if a == Action::Allow {
            Action::UserNotif
        } else {
            a
        }
    };
    let mut out = policy.clone();
    for arch in &mut out.arches {
        let numbers: BTreeSet<u32> = names
            .iter()
            .filter_map(|name| SyscallTable::lookup(arch.arch, name))
            .collect();
        for nr in numbers {
            let action = swap(arch.action(nr));
            arch.rules.insert(nr, action);
            if let Some(rules) = arch.conditional.get_mut(&nr) {
                for rule in rules.iter_mut() {
                    rule.set_action(swap(rule.action()));
                }
            }
        }
    }
    out
}

/// The `enforced` rules resolved alone for `policy`'s arches (a deny-list
/// of nothing but them): what they look like inside a resolved policy.
fn resolve_enforced(policy: &Policy, enforced: &[Rule]) -> Option<Policy> {
    if enforced.is_empty() {
        return None;
    }
    let spec = PolicySpec {
        mode: Mode::DenyList,
        rules: enforced.to_vec(),
        arches: policy.arches.iter().map(|a| a.arch).collect(),
        ..PolicySpec::default()
    };
    // the same rules were part of the spec `policy` was resolved from
    let (resolved, _) = crate::resolve(&spec).expect("guard rules resolve");
    Some(resolved)
}

/// The argument widths table shipped with the crate (see `data/arg_widths.tsv`).
const ARG_WIDTHS: &str = include_str!("../data/arg_widths.tsv");

/// How many arguments syscall `name` takes (64-bit arches' definition), as
/// the kernel's `SYSCALL_DEFINEn` says; `None` for a name the table lacks.
pub fn arg_count(name: &str) -> Option<usize> {
    static COUNTS: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    COUNTS
        .get_or_init(|| {
            ARG_WIDTHS
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .filter_map(|l| {
                    let (name, widths) = l.split_once('\t').unwrap_or((l, ""));
                    // "x86:" / "arm:" lines are per-arch variants of the same count
                    (!name.contains(':'))
                        .then(|| (name, widths.split(',').filter(|w| !w.is_empty()).count()))
                })
                .collect()
        })
        .get(name)
        .copied()
}

/// The arguments of syscall `name` that are pathnames (NUL-terminated
/// strings in the caller's memory), by index.
pub fn path_args(name: &str) -> &'static [usize] {
    match name {
        "open" | "creat" | "stat" | "lstat" | "stat64" | "lstat64" | "access" | "execve"
        | "chdir" | "mkdir" | "rmdir" | "unlink" | "readlink" | "chmod" | "chown" | "lchown"
        | "chown32" | "lchown32" | "truncate" | "truncate64" | "mknod" | "utime" | "utimes"
        | "statfs" | "statfs64" | "chroot" | "umount" | "umount2" | "swapon" | "swapoff"
        | "acct" | "uselib" | "getxattr" | "lgetxattr" | "setxattr" | "lsetxattr" | "listxattr"
        | "llistxattr" | "removexattr" | "lremovexattr" | "oldstat" | "oldlstat" => &[0],
        "openat" | "openat2" | "newfstatat" | "fstatat64" | "statx" | "faccessat"
        | "faccessat2" | "execveat" | "mkdirat" | "unlinkat" | "readlinkat" | "fchmodat"
        | "fchmodat2" | "fchownat" | "mknodat" | "utimensat" | "futimesat"
        | "name_to_handle_at" | "open_tree" | "fspick" | "mount_setattr" => &[1],
        "rename" | "link" | "symlink" | "pivot_root" => &[0, 1],
        "renameat" | "renameat2" | "linkat" => &[1, 3],
        "symlinkat" => &[0, 2],
        "mount" => &[0, 1, 2],
        "move_mount" => &[1, 3],
        "inotify_add_watch" => &[1],
        "fanotify_mark" => &[4],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{resolve, Mode, PolicySpec};
    use bpf_asm::{Arch, SeccompData};

    fn data(arch: Arch, nr: u32) -> SeccompData {
        SeccompData {
            nr,
            arch: arch.audit(),
            instruction_pointer: 0,
            args: [0; 6],
        }
    }

    #[test]
    fn denials_become_notifications_and_allows_stay() {
        let spec = PolicySpec {
            mode: Mode::AllowList,
            names: vec!["read".into(), "execve".into()],
            ..PolicySpec::default()
        };
        let (policy, _) = resolve(&spec).unwrap();
        let notified = notify_denials(&policy, &[]);
        for nr in [0u32, 1, 59, 0x4000_0001, 5000, u32::MAX] {
            let before = policy.evaluate(&data(Arch::X86_64, nr));
            let after = notified.evaluate(&data(Arch::X86_64, nr));
            if is_denial(before) {
                assert_eq!(after, Action::UserNotif, "nr {nr}");
            } else {
                assert_eq!(after, before, "nr {nr}");
            }
        }
        assert_eq!(
            notified.evaluate(&data(Arch::Aarch64, 0)),
            Action::UserNotif,
            "foreign arch"
        );
        assert_eq!(notified.evaluate(&data(Arch::X86_64, 0)), Action::Allow);
    }

    #[test]
    fn conditional_denials_notify_in_the_compiled_program() {
        let mut spec = PolicySpec {
            mode: Mode::DenyList,
            ..PolicySpec::default()
        };
        spec.rules.extend(crate::tty_guard_rules());
        let (policy, _) = resolve(&spec).unwrap();
        let mut tiocsti = data(Arch::X86_64, 16);
        tiocsti.args[1] = crate::spec::TIOCSTI;
        assert_eq!(policy.evaluate(&tiocsti), Action::Errno(1));
        // a conditional denial that is not a guard notifies…
        let notified = notify_denials(&policy, &[]);
        assert_eq!(notified.evaluate(&tiocsti), Action::UserNotif);
        let lowered = notified.lower(&crate::CompileOptions::default());
        assert_eq!(lowered.evaluate(&tiocsti), Action::UserNotif);
        let prog = lowered.emit().unwrap();
        let ret = bpf_asm::interp::run(&prog, &tiocsti).unwrap().ret;
        assert_eq!(ret, Action::UserNotif.to_raw());
        assert_eq!(notified.evaluate(&data(Arch::X86_64, 16)), Action::Allow);
        // …and the same rule given as a guard stays a denial
        let guarded = notify_denials(&policy, &crate::tty_guard_rules());
        assert_eq!(guarded.evaluate(&tiocsti), Action::Errno(1));
        let prog = crate::compile(&guarded, &crate::CompileOptions::default()).unwrap();
        let ret = bpf_asm::interp::run(&prog, &tiocsti).unwrap().ret;
        assert_eq!(ret, Action::Errno(1).to_raw());
    }

    #[test]
    fn arg_counts_and_path_args() {
        assert_eq!(arg_count("newfstatat"), Some(4));
        assert_eq!(arg_count("getpid"), Some(0));
        assert_eq!(arg_count("no_such_call"), None);
        assert_eq!(path_args("openat"), &[1]);
        assert_eq!(path_args("renameat2"), &[1, 3]);
        assert_eq!(path_args("read"), &[] as &[usize]);
    }
}
