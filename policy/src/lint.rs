//! Warnings about policies that probably do not do what their author meant:
//! a deny-list that denies one way of doing something but leaves its twins
//! allowed, a deny-list of I/O calls that leaves io_uring open, an
//! allow-list that COMMAND cannot even start under.
//!
//! Lints read the resolved names (groups already expanded) and the target
//! arches; the data is in the tables below. A name a target arch lacks is
//! ignored on that arch. [`lint`] returns [`Warning`]s; their `Display` is
//! the sentence the CLI prints after `go-jail: warning: `.

use std::collections::BTreeSet;
use std::fmt;

use bpf_asm::seccomp::Arch;

use crate::{Mode, PolicySpec, SyscallTable};

/// What a lint found: a policy that probably does not do what its author
/// meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A deny-list denies some calls of a family ([`FAMILIES`]) but leaves
    /// others (not even denied as ABI twins) that reach the same `effect`.
    FamilyLeftOpen {
        /// What the family does ("open files").
        effect: &'static str,
        /// The family's calls the deny-list names.
        denied: Vec<&'static str>,
        /// The family's calls left allowed on some target arch.
        open: Vec<&'static str>,
    },
    /// A deny-list denies `exit`, `exit_group` or `rt_sigreturn`.
    ExitDenied {
        /// The ones it denies.
        denied: Vec<&'static str>,
    },
    /// A deny-list keeps COMMAND from gaining capabilities ([`CAP_GAIN`])
    /// but leaves user namespaces open.
    UsernsLeftOpen {
        /// The capability-gaining calls it denies.
        denied: Vec<&'static str>,
    },
    /// A deny-list denies file or I/O calls but leaves `io_uring_setup`.
    IoUringLeftOpen {
        /// The I/O calls it denies.
        denied: Vec<String>,
    },
    /// An allow-list lacks what COMMAND needs to start ([`STARTUP`]).
    CannotStart {
        /// Per missing need: its alternatives and why it is needed.
        missing: Vec<(&'static [&'static str], &'static str)>,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::FamilyLeftOpen {
                effect,
                denied,
                open,
            } => write!(
                f,
                "the deny-list denies {} but not {}, which also {effect}",
                denied.join(", "),
                open.join(", ")
            ),
            Warning::ExitDenied { denied } => write!(
                f,
                "the deny-list denies {}: COMMAND cannot exit or return from a signal handler cleanly (it may crash)",
                denied.join(", ")
            ),
            Warning::UsernsLeftOpen { denied } => write!(
                f,
                "the deny-list denies {} but COMMAND can still gain every capability inside a new user namespace (unshare -Ur): add --no-userns",
                summarize(denied)
            ),
            Warning::IoUringLeftOpen { denied } => {
                let denied: Vec<&str> = denied.iter().map(String::as_str).collect();
                write!(
                    f,
                    "the deny-list denies {} but leaves io_uring_setup allowed: io_uring reads, writes, opens files and uses sockets without any of those calls (add io_uring_setup, or @aio)",
                    summarize(&denied)
                )
            }
            Warning::CannotStart { missing } => {
                let missing: Vec<String> = missing
                    .iter()
                    .map(|(alternatives, why)| format!("{} ({why})", alternatives.join("/")))
                    .collect();
                write!(
                    f,
                    "the allow-list lacks {}: COMMAND cannot even start under it (@default holds what a process needs to start)",
                    missing.join(", ")
                )
            }
        }
    }
}

/// Syscalls that reach the same effect: a deny-list that names some but not
/// all of a family leaves the effect reachable. `(effect, members)`.
pub const FAMILIES: &[(&str, &[&str])] = &[
    ("open files", &["open", "openat", "openat2", "creat"]),
    ("execute programs", &["execve", "execveat"]),
    ("create processes", &["fork", "vfork", "clone", "clone3"]),
    (
        "write to descriptors",
        &[
            "write",
            "pwrite64",
            "writev",
            "pwritev",
            "pwritev2",
            "sendfile",
            "sendfile64",
        ],
    ),
    (
        "read from descriptors",
        &["read", "pread64", "readv", "preadv", "preadv2"],
    ),
    (
        "send signals to other processes",
        &[
            "kill",
            "tkill",
            "tgkill",
            "pidfd_send_signal",
            "rt_sigqueueinfo",
            "rt_tgsigqueueinfo",
        ],
    ),
    ("remove files", &["unlink", "unlinkat"]),
    ("remove directories", &["rmdir", "unlinkat"]),
    ("rename files", &["rename", "renameat", "renameat2"]),
    ("create directories", &["mkdir", "mkdirat"]),
    ("create device nodes and FIFOs", &["mknod", "mknodat"]),
    ("create hard links", &["link", "linkat"]),
    ("create symbolic links", &["symlink", "symlinkat"]),
    (
        "change file modes",
        &["chmod", "fchmod", "fchmodat", "fchmodat2"],
    ),
    (
        "change file owners",
        &[
            "chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32",
        ],
    ),
    (
        "truncate files",
        &["truncate", "ftruncate", "truncate64", "ftruncate64"],
    ),
    ("mount file systems", &["mount", "move_mount"]),
    ("unmount file systems", &["umount", "umount2"]),
    (
        "change the user id",
        &[
            "setuid",
            "setuid32",
            "setreuid",
            "setreuid32",
            "setresuid",
            "setresuid32",
        ],
    ),
    (
        "change the group id",
        &[
            "setgid",
            "setgid32",
            "setregid",
            "setregid32",
            "setresgid",
            "setresgid32",
        ],
    ),
    ("duplicate descriptors", &["dup", "dup2", "dup3"]),
    ("change memory protection", &["mprotect", "pkey_mprotect"]),
    (
        "access another process's memory",
        &["ptrace", "process_vm_readv", "process_vm_writev"],
    ),
    ("accept connections", &["accept", "accept4"]),
    (
        "send on sockets",
        &["send", "sendto", "sendmsg", "sendmmsg"],
    ),
    (
        "receive from sockets",
        &["recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64"],
    ),
];

/// Calls a deny-list names to keep COMMAND from gaining capabilities
/// (or the uid 0 that brings them back): a new user namespace gives every
/// capability inside it without any of them.
pub const CAP_GAIN: &[&str] = &[
    "capset",
    "setuid",
    "setuid32",
    "setreuid",
    "setreuid32",
    "setresuid",
    "setresuid32",
    "setfsuid",
    "setfsuid32",
];

/// Groups whose members count as "file or I/O calls" for the io_uring lint.
pub const IO_GROUPS: &[&str] = &["@basic-io", "@file-system", "@network-io"];

/// What an allow-list must hold for COMMAND to start: per entry, the
/// alternatives (any one suffices), the arches the entry applies to (empty =
/// every arch that has one of the names), and why.
pub const STARTUP: &[(&[&str], &[Arch], &str)] = &[
    (&["execve", "execveat"], &[], "to execute COMMAND"),
    (&["exit_group"], &[], "to exit"),
    (&["brk"], &[], "for the heap"),
    (&["mmap", "mmap2"], &[], "to map the program and libc"),
    (
        &["mprotect"],
        &[],
        "to protect relocated memory (the dynamic loader aborts without it)",
    ),
    // Not checked: the arch-specific TLS calls (arch_prctl, set_thread_area,
    // set_tls). Profiles such as Docker's add them in per-arch sections, so
    // a generic list without them is normal.
    (&["openat", "open"], &[], "to open shared libraries"),
    (&["read"], &[], "to read shared libraries"),
    (&["close"], &[], "to close shared libraries"),
    (
        &["fstat", "newfstatat", "fstat64", "fstatat64", "statx"],
        &[],
        "to size shared libraries",
    ),
];

/// The warnings for `spec`.
pub fn lint(spec: &PolicySpec) -> Vec<Warning> {
    let listed: BTreeSet<&str> = spec.names.iter().map(String::as_str).collect();
    match spec.mode {
        // Nothing denied by name, nothing to say (and no group tables to build).
        Mode::DenyList if listed.is_empty() => Vec::new(),
        Mode::DenyList => {
            let mut out = families_left_open(spec, &listed);
            out.extend(exit_denied(&listed));
            out.extend(userns_left_open(spec, &listed));
            out.extend(io_uring_left_open(spec, &listed));
            out
        }
        Mode::AllowList => cannot_start(spec, &listed).into_iter().collect(),
    }
}

/// Whether `name` is a syscall on some target arch of `spec`.
fn on_some(spec: &PolicySpec, name: &str) -> bool {
    spec.arches
        .iter()
        .any(|&a| SyscallTable::lookup(a, name).is_some())
}

/// [`Warning::FamilyLeftOpen`] for each family of [`FAMILIES`].
fn families_left_open(spec: &PolicySpec, listed: &BTreeSet<&str>) -> Vec<Warning> {
    // a deny-list denies the twins of its names too (crate::twins)
    let twins = crate::twins::TWINS
        .iter()
        .filter(|t| listed.contains(t.name));
    let covered: BTreeSet<&str> = listed
        .iter()
        .copied()
        .chain(twins.map(|t| t.twin))
        .collect();
    let mut out = Vec::new();
    for &(effect, members) in FAMILIES {
        let present: Vec<&'static str> = members
            .iter()
            .copied()
            .filter(|n| on_some(spec, n))
            .collect();
        let denied: Vec<&'static str> = present
            .iter()
            .copied()
            .filter(|n| listed.contains(n))
            .collect();
        let open: Vec<&'static str> = present
            .iter()
            .copied()
            .filter(|n| !covered.contains(n))
            .collect();
        if !denied.is_empty() && !open.is_empty() {
            out.push(Warning::FamilyLeftOpen {
                effect,
                denied,
                open,
            });
        }
    }
    out
}

/// [`Warning::ExitDenied`].
fn exit_denied(listed: &BTreeSet<&str>) -> Option<Warning> {
    let denied: Vec<&'static str> = ["exit", "exit_group", "rt_sigreturn"]
        .into_iter()
        .filter(|n| listed.contains(n))
        .collect();
    (!denied.is_empty()).then_some(Warning::ExitDenied { denied })
}

/// [`Warning::UsernsLeftOpen`]: a deny-list that keeps COMMAND from gaining
/// capabilities ([`CAP_GAIN`]) while user namespaces stay open
/// (`--no-userns` closes them).
fn userns_left_open(spec: &PolicySpec, listed: &BTreeSet<&str>) -> Option<Warning> {
    let denied: Vec<&'static str> = CAP_GAIN
        .iter()
        .copied()
        .filter(|n| listed.contains(n))
        .collect();
    let guarded = crate::userns_guard_rules()
        .iter()
        .all(|g| spec.rules.contains(g));
    let closed = ["unshare", "clone", "clone3"]
        .iter()
        .all(|n| listed.contains(n));
    (!denied.is_empty() && !guarded && !closed).then_some(Warning::UsernsLeftOpen { denied })
}

/// [`Warning::IoUringLeftOpen`]: I/O calls ([`IO_GROUPS`]) denied,
/// `io_uring_setup` not.
fn io_uring_left_open(spec: &PolicySpec, listed: &BTreeSet<&str>) -> Option<Warning> {
    let io_names: BTreeSet<&str> = IO_GROUPS
        .iter()
        .flat_map(|g| crate::groups::names(g).unwrap_or_default())
        .collect();
    let denied: Vec<String> = listed
        .iter()
        .filter(|n| io_names.contains(*n))
        .map(|n| n.to_string())
        .collect();
    (!denied.is_empty() && on_some(spec, "io_uring_setup") && !listed.contains("io_uring_setup"))
        .then_some(Warning::IoUringLeftOpen { denied })
}

/// [`Warning::CannotStart`]: the needs of [`STARTUP`] that apply to a
/// target arch and that no listed name meets.
fn cannot_start(spec: &PolicySpec, listed: &BTreeSet<&str>) -> Option<Warning> {
    let mut missing = Vec::new();
    for &(alternatives, only_on, why) in STARTUP {
        let applies = spec.arches.iter().any(|a| {
            (only_on.is_empty() || only_on.contains(a))
                && alternatives
                    .iter()
                    .any(|n| SyscallTable::lookup(*a, n).is_some())
        });
        if applies && !alternatives.iter().any(|n| listed.contains(n)) {
            missing.push((alternatives, why));
        }
    }
    (!missing.is_empty()).then_some(Warning::CannotStart { missing })
}

/// At most 6 names, then a count.
fn summarize(names: &[&str]) -> String {
    if names.len() <= 6 {
        names.join(", ")
    } else {
        format!("{}… ({} calls)", names[..6].join(", "), names.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warnings' sentences, as the CLI prints them.
    fn lint(spec: &PolicySpec) -> Vec<String> {
        super::lint(spec).iter().map(|w| w.to_string()).collect()
    }

    fn deny(names: &[&str]) -> Vec<String> {
        lint(&PolicySpec {
            arches: vec![Arch::X86_64],
            ..PolicySpec::deny(names)
        })
    }

    #[test]
    fn family_twins() {
        let w = deny(&["open"]);
        assert!(
            w.iter()
                .any(|w| w.contains("denies open but not openat, openat2, creat")),
            "{w:?}"
        );
        assert!(deny(&["execve"]).iter().any(|w| w.contains("execveat")));
        assert!(deny(&["execve", "execveat"]).is_empty());
        // aarch64 has no open or creat: denying openat and openat2 is complete.
        let w = lint(&PolicySpec {
            arches: vec![Arch::Aarch64],
            ..PolicySpec::deny(&["openat", "openat2", "io_uring_setup"])
        });
        assert!(w.is_empty(), "{w:?}");
        // the i386 twins are denied with their names: nothing is left open
        let w = lint(&PolicySpec {
            arches: vec![Arch::X86_64, Arch::X86],
            ..PolicySpec::deny(&["setuid", "setreuid", "setresuid"])
        });
        // (only the --no-userns advice is left)
        assert!(w.iter().all(|l| l.contains("--no-userns")), "{w:?}");
    }

    #[test]
    fn denying_capability_gains_mentions_no_userns() {
        let w = deny(&["capset", "setuid", "setresuid"]);
        assert!(
            w.iter().any(
                |l| l.contains("denies capset, setuid, setresuid") && l.contains("--no-userns")
            ),
            "{w:?}"
        );
        let mut spec = PolicySpec {
            arches: vec![Arch::X86_64],
            ..PolicySpec::deny(&["capset"])
        };
        crate::add_guards(&mut spec, &crate::userns_guard_rules());
        let w = lint(&spec);
        assert!(!w.iter().any(|l| l.contains("--no-userns")), "{w:?}");
        assert!(!deny(&["ptrace"]).iter().any(|l| l.contains("--no-userns")));
    }

    #[test]
    fn a_family_left_open_is_reported_as_data() {
        let spec = PolicySpec {
            arches: vec![Arch::X86_64],
            ..PolicySpec::deny(&["open"])
        };
        assert!(super::lint(&spec).contains(&Warning::FamilyLeftOpen {
            effect: "open files",
            denied: vec!["open"],
            open: vec!["openat", "openat2", "creat"],
        }));
    }

    #[test]
    fn denying_exit_warns() {
        let w = deny(&["exit_group"]);
        assert!(w.iter().any(|l| l.contains("denies exit_group")), "{w:?}");
    }

    #[test]
    fn io_uring() {
        let w = deny(&["open", "openat", "openat2", "creat"]);
        assert!(w.iter().any(|w| w.contains("io_uring_setup")), "{w:?}");
        assert!(deny(&["reboot", "swapon"]).is_empty());
    }

    #[test]
    fn startup() {
        let w = lint(&PolicySpec {
            arches: vec![Arch::X86_64],
            ..PolicySpec::allow(&["read", "write"])
        });
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("execve"), "{w:?}");
        assert!(w[0].contains("mprotect"), "{w:?}");
    }
}
