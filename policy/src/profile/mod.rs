//! Docker/Podman/containerd seccomp profiles and the OCI runtime-spec's
//! `linux.seccomp`, as plain Rust (the CLI parses the JSON into these
//! types), and their translation into a [`PolicySpec`](crate::PolicySpec).
//!
//! What a profile means is what runc and moby make of it, on top of
//! libseccomp:
//!
//! - `defaultAction` is what every syscall without a matching rule gets;
//!   `ERRNO` without `defaultErrnoRet`/`errnoRet` is `EPERM`, and so is the
//!   code of `TRACE` (runc).
//! - `includes`/`excludes` select entries for the context: `caps` against
//!   the capability bounding set the jail grants (includes: all of them
//!   present; excludes: any of them present), `arches` against the native
//!   architecture in Go's spelling (`amd64`, `x86`, `arm64`, `arm`,
//!   `riscv64`), `minKernel` against the running kernel. Both must pass.
//! - An entry whose action equals the default action is dropped, as
//!   libseccomp refuses such rules (`-EACCES`) and runc skips them.
//! - Mixed actions for one syscall are built as libseccomp builds them
//!   (src/db.c `db_rule_add`): the first unconditional rule of a syscall
//!   decides it, a later unconditional rule is dropped, and so are all of
//!   its conditional rules, whether they come before or after it ("syscall
//!   exists without any chains"). Each dropped rule gets a [`Note`] naming
//!   the winner. Conditional rules are tried in libseccomp's argument-tree
//!   order ([`order`]: by their conditions, higher argument index first,
//!   then `==`/`!=`, `<`, `>` classes, then value), not profile order;
//!   where two with different actions can both hold a [`Note::Overlap`]
//!   names the winner. Where libseccomp refuses a rule (`-EEXIST`:
//!   identical conditions, or a shorter rule after a longer one, with
//!   another action) go-jail keeps profile order.
//! - The conditions of one entry are ANDed, **except** when an argument
//!   index repeats: runc, crun and youki then add every condition as a
//!   rule of its own, so they are ORed — even those on other indices.
//!   [`to_spec`](Profile::to_spec) reproduces that, with a [`Note`].
//! - `architectures`, or the `archMap` entry of the native arch with its
//!   `subArchitectures`, are the target arches (native first). x32 is not
//!   a go-jail target: its numbers are killed, with a note.
//! - Syscall names no go-jail table knows, or that exist on none of the
//!   targets, are skipped with a note: profiles are written for many
//!   kernels and architectures.
//!
//! Rules then combine as [`crate::spec::Rule`] documents (conditional rules
//! first, in profile order); each condition compares the bits the kernel
//! reads ([`crate::width`]).

pub mod halfword;
mod names;
pub mod order;
mod translate;

pub use names::{
    cap_number, moby_arch_name, parse_kernel_version, scmp_arch, scmp_arch_name, CAP_NAMES,
};

use std::fmt;
use std::str::FromStr;

use bpf_asm::Arch;

use crate::action::{Action, EPERM};
use crate::condition::{ArgIndex, ArgIndexError, CmpOp, Condition};

/// A profile action (`SCMP_ACT_*`), before its errno is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileAction {
    /// `SCMP_ACT_ALLOW`.
    Allow,
    /// `SCMP_ACT_ERRNO`: fail with the entry's `errnoRet` (`EPERM` without).
    Errno,
    /// `SCMP_ACT_KILL`: libseccomp's name for `KILL_THREAD`.
    Kill,
    /// `SCMP_ACT_KILL_THREAD`.
    KillThread,
    /// `SCMP_ACT_KILL_PROCESS`.
    KillProcess,
    /// `SCMP_ACT_TRAP`: `SIGSYS`.
    Trap,
    /// `SCMP_ACT_TRACE`: stop for a tracer, with `errnoRet` as its message
    /// (`EPERM` without, as runc).
    Trace,
    /// `SCMP_ACT_LOG`: allow and log.
    Log,
    /// `SCMP_ACT_NOTIFY`: ask a seccomp agent; go-jail refuses it
    /// ([`SeccompProfileError::Notify`]).
    Notify,
}

impl FromStr for ProfileAction {
    type Err = String;

    fn from_str(s: &str) -> Result<ProfileAction, String> {
        Ok(match s {
            "SCMP_ACT_ALLOW" => ProfileAction::Allow,
            "SCMP_ACT_ERRNO" => ProfileAction::Errno,
            "SCMP_ACT_KILL" => ProfileAction::Kill,
            "SCMP_ACT_KILL_THREAD" => ProfileAction::KillThread,
            "SCMP_ACT_KILL_PROCESS" => ProfileAction::KillProcess,
            "SCMP_ACT_TRAP" => ProfileAction::Trap,
            "SCMP_ACT_TRACE" => ProfileAction::Trace,
            "SCMP_ACT_LOG" => ProfileAction::Log,
            "SCMP_ACT_NOTIFY" => ProfileAction::Notify,
            _ => {
                return Err(format!(
                    "unknown action '{s}' (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, \
SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG or SCMP_ACT_NOTIFY)"
                ))
            }
        })
    }
}

impl ProfileAction {
    /// The seccomp action, with `errno` (`errnoRet`) for `ERRNO` and
    /// `TRACE` (default `EPERM`, as runc). `None` for `NOTIFY`, which
    /// needs a seccomp agent.
    pub fn to_action(self, errno: Option<u16>) -> Option<Action> {
        let code = errno.unwrap_or(EPERM);
        Some(match self {
            ProfileAction::Allow => Action::Allow,
            ProfileAction::Errno => Action::Errno(code),
            ProfileAction::Kill | ProfileAction::KillThread => Action::KillThread,
            ProfileAction::KillProcess => Action::KillProcess,
            ProfileAction::Trap => Action::Trap(0),
            ProfileAction::Trace => Action::Trace(code),
            ProfileAction::Log => Action::Log,
            ProfileAction::Notify => return None,
        })
    }

    /// Whether `errnoRet` means something for this action.
    pub fn takes_errno(self) -> bool {
        matches!(self, ProfileAction::Errno | ProfileAction::Trace)
    }
}

/// An argument comparison (`SCMP_CMP_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgOp {
    /// `SCMP_CMP_NE`: `arg != value`.
    Ne,
    /// `SCMP_CMP_LT`: `arg < value` (unsigned).
    Lt,
    /// `SCMP_CMP_LE`: `arg <= value` (unsigned).
    Le,
    /// `SCMP_CMP_EQ`: `arg == value`.
    Eq,
    /// `SCMP_CMP_GE`: `arg >= value` (unsigned).
    Ge,
    /// `SCMP_CMP_GT`: `arg > value` (unsigned).
    Gt,
    /// `(arg & value) == valueTwo`
    MaskedEq,
}

impl FromStr for ArgOp {
    type Err = String;

    fn from_str(s: &str) -> Result<ArgOp, String> {
        Ok(match s {
            "SCMP_CMP_NE" => ArgOp::Ne,
            "SCMP_CMP_LT" => ArgOp::Lt,
            "SCMP_CMP_LE" => ArgOp::Le,
            "SCMP_CMP_EQ" => ArgOp::Eq,
            "SCMP_CMP_GE" => ArgOp::Ge,
            "SCMP_CMP_GT" => ArgOp::Gt,
            "SCMP_CMP_MASKED_EQ" => ArgOp::MaskedEq,
            _ => {
                return Err(format!(
                    "unknown operator '{s}' (expected SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, \
SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or SCMP_CMP_MASKED_EQ)"
                ))
            }
        })
    }
}

/// One `args[]` item: `index`, `value`, `valueTwo`, `op`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    /// `index`: the syscall argument compared, 0 to 5.
    pub index: u32,
    /// `value`: the compared value, or the mask of `MASKED_EQ`.
    pub value: u64,
    /// `valueTwo`: the value `MASKED_EQ` compares the masked argument with.
    pub value_two: u64,
    /// `op`: the comparison.
    pub op: ArgOp,
}

impl Arg {
    /// The condition this argument item stands for (`MASKED_EQ`: `value`
    /// is the mask, `valueTwo` the compared value, as libseccomp reads them);
    /// refused for an index above 5.
    pub fn condition(&self) -> Result<Condition, ArgIndexError> {
        let arg = self.index.min(255) as u8;
        let (op, value) = match self.op {
            ArgOp::Ne => (CmpOp::Ne, self.value),
            ArgOp::Lt => (CmpOp::Lt, self.value),
            ArgOp::Le => (CmpOp::Le, self.value),
            ArgOp::Eq => (CmpOp::Eq, self.value),
            ArgOp::Ge => (CmpOp::Ge, self.value),
            ArgOp::Gt => (CmpOp::Gt, self.value),
            ArgOp::MaskedEq => (CmpOp::MaskedEq(self.value), self.value_two),
        };
        Ok(Condition::new(ArgIndex::new(arg)?, op, value))
    }
}

/// An `includes` or `excludes` object; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// `caps`: capability names (`CAP_SYS_ADMIN`); `includes` needs all of
    /// them granted, `excludes` leaves the entry out if any is.
    pub caps: Vec<String>,
    /// `arches`: native arch names in Go's spelling (`amd64`); `includes`
    /// needs the native arch among them, `excludes` leaves the entry out
    /// on them.
    pub arches: Vec<String>,
    /// `minKernel` as (major, minor).
    pub min_kernel: Option<(u32, u32)>,
}

impl Filter {
    /// Whether the object filters nothing (all its fields are empty).
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// One `syscalls[]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `names`, or the older single `name`.
    pub names: Vec<String>,
    /// `action`: what the names get when the conditions hold.
    pub action: ProfileAction,
    /// `errnoRet`.
    pub errno: Option<u16>,
    /// `args`: the argument conditions, ANDed (ORed where an index
    /// repeats, see the [module doc](self)).
    pub args: Vec<Arg>,
    /// `includes`: what the context must have for the entry to apply.
    pub includes: Filter,
    /// `excludes`: what in the context leaves the entry out.
    pub excludes: Filter,
}

/// An `archMap` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchMapEntry {
    /// `architecture`: an `SCMP_ARCH_*` name.
    pub arch: String,
    /// `subArchitectures`: the `SCMP_ARCH_*` names that go with it when it
    /// is the native arch.
    pub sub_arches: Vec<String>,
}

/// A seccomp profile (Docker's JSON, or an OCI config's `linux.seccomp`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// `defaultAction`: what a syscall no entry matches gets.
    pub default_action: ProfileAction,
    /// `defaultErrnoRet`.
    pub default_errno: Option<u16>,
    /// `architectures` (`SCMP_ARCH_*`).
    pub architectures: Vec<String>,
    /// `archMap`: the target arches per native arch.
    pub arch_map: Vec<ArchMapEntry>,
    /// `syscalls`: the entries, in profile order (notes and errors name
    /// them by their index here).
    pub syscalls: Vec<Entry>,
}

/// What the profile is evaluated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// The capability bounding set the jail grants (bit n = capability n).
    pub caps: u64,
    /// The native architecture (the one `includes.arches` names and whose
    /// `archMap` entry applies).
    pub arch: Arch,
    /// The running kernel's (major, minor).
    pub kernel: (u32, u32),
}

/// Something `--dump` shows: how the profile was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// No go-jail syscall table knows the name.
    UnknownSyscall(String),
    /// Known, but on none of the target arches.
    NotOnTargets(String),
    /// An entry's conditions repeat an argument index: each became a rule
    /// of its own (ORed), as runc does.
    OrSplit {
        /// The entry's index in `syscalls`.
        entry: usize,
        /// Its names.
        names: Vec<String>,
    },
    /// Entries dropped because their action is the default action.
    SameAsDefault {
        /// The entries' indices in `syscalls`.
        entries: Vec<usize>,
    },
    /// An entry left out by its `includes`/`excludes`.
    Excluded {
        /// The entry's index in `syscalls`.
        entry: usize,
        /// Its names.
        names: Vec<String>,
        /// The filter that left it out, in words (`needs CAP_SYS_ADMIN`).
        why: String,
    },
    /// An architecture that is not a go-jail target.
    ArchSkipped(String),
    /// A capability name in `includes`/`excludes` that go-jail does not know
    /// (treated as not granted).
    UnknownCap(String),
    /// `defaultErrnoRet` or `errnoRet` given for an action without errno.
    ErrnoIgnored {
        /// The entry's index in `syscalls`; `None` for `defaultErrnoRet`.
        entry: Option<usize>,
    },
    /// A second unconditional rule for a syscall: the first one stays, as
    /// in libseccomp (and so runc).
    Duplicate {
        /// The dropped entry's index in `syscalls`.
        entry: usize,
        /// The syscall.
        name: String,
        /// The index of the entry whose rule stays.
        first: usize,
    },
    /// A conditional rule of a syscall that also has an unconditional one
    /// (`winner`): libseccomp discards it, and so does go-jail.
    ConditionalDropped {
        /// The dropped rule's entry index in `syscalls`.
        entry: usize,
        /// The syscall.
        name: String,
        /// The index of the entry with the unconditional rule.
        winner: usize,
    },
    /// Conditional rules of two entries give a syscall different actions
    /// under conditions that can both hold: where both do, `winner`'s rule
    /// answers (it comes first in libseccomp's argument-tree order).
    Overlap {
        /// The syscall.
        name: String,
        /// The index in `syscalls` of the entry whose rule answers.
        winner: usize,
        /// The index of the entry whose rule it hides.
        loser: usize,
    },
    /// Conditional rules of `entries` give a syscall different actions
    /// under conditions that can both hold, and go-jail follows
    /// libseccomp's argument tree for them on `arches` (elsewhere it keeps
    /// the whole-condition order, with [`Note::Overlap`]s): where several
    /// hold, the one the tree reaches first answers. The tree tests each
    /// 64-bit comparison as a high-word and a low-word test (src/db.c
    /// `_db_rule_gen_64`), so which one can depend on the values.
    WordOrder {
        /// The syscall.
        name: String,
        /// The overlapping entries' indices in `syscalls`, ascending.
        entries: Vec<usize>,
        /// The arches where go-jail follows the tree.
        arches: Vec<Arch>,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::UnknownSyscall(n) => write!(f, "syscall '{n}' is unknown to go-jail, skipped"),
            Note::NotOnTargets(n) => {
                write!(f, "syscall '{n}' does not exist on the target arches, skipped")
            }
            Note::OrSplit { entry, names } => write!(
                f,
                "syscalls[{entry}] ({}) repeats an argument index: each condition is a rule of its own (ORed, as runc/crun/youki do)",
                names.join(",")
            ),
            Note::SameAsDefault { entries } => {
                let e: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
                write!(
                    f,
                    "syscalls[{}]: action equals the default action, dropped (as libseccomp/runc)",
                    e.join(",")
                )
            }
            Note::Excluded { entry, names, why } => {
                write!(f, "syscalls[{entry}] ({}) not applied: {why}", names.join(","))
            }
            Note::ArchSkipped(a) => write!(f, "architecture {a} is not a go-jail target, skipped (its calls are killed)"),
            Note::UnknownCap(c) => write!(f, "capability '{c}' unknown, treated as not granted"),
            Note::ErrnoIgnored { entry: Some(e) } => {
                write!(f, "syscalls[{e}]: errno/errnoRet ignored (the action takes no errno)")
            }
            Note::Duplicate { entry, name, first } => write!(
                f,
                "syscalls[{entry}]: '{name}' already has an unconditional rule (syscalls[{first}]), which stays (as in libseccomp)"
            ),
            Note::ErrnoIgnored { entry: None } => {
                write!(f, "defaultErrno/defaultErrnoRet ignored (the default action takes no errno)")
            }
            Note::ConditionalDropped { entry, name, winner } => write!(
                f,
                "syscalls[{entry}]: the conditional rule for '{name}' is dropped: syscalls[{winner}] gives it an unconditional action, which wins (as in libseccomp)"
            ),
            Note::WordOrder {
                name,
                entries,
                arches,
            } => {
                let e: Vec<String> = entries.iter().map(|e| format!("syscalls[{e}]")).collect();
                let a: Vec<&str> = arches.iter().map(|a| a.name()).collect();
                write!(
                    f,
                    "{} give '{name}' different actions under conditions that can both hold: where several do, the rule libseccomp's argument tree reaches first answers, as in libseccomp (on {}; on a 64-bit arch the tree tests high words, then low words, so which one can depend on the values, and on the arch: each arch has libseccomp's tree for its word size)",
                    e.join(", "),
                    a.join(", ")
                )
            }
            Note::Overlap { name, winner, loser } => write!(
                f,
                "syscalls[{winner}] and syscalls[{loser}] give '{name}' different actions under conditions that can both hold: where both do, syscalls[{winner}] wins (it comes first in libseccomp's argument-tree order)"
            ),
        }
    }
}

/// Why a profile cannot become a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeccompProfileError {
    /// `SCMP_ACT_NOTIFY` needs a seccomp agent, which go-jail does not run.
    Notify {
        /// The entry's index in `syscalls`; `None` for `defaultAction`.
        entry: Option<usize>,
    },
    /// An argument index outside 0..=5.
    BadIndex {
        /// The entry's index in `syscalls`.
        entry: usize,
        /// The argument index given.
        index: u32,
    },
    /// Both `architectures` and `archMap`.
    BothArchLists,
    /// An `ERRNO` errno outside [`crate::action::ERRNO_RANGE`]
    /// (`defaultErrnoRet` when `entry` is `None`).
    ErrnoRange {
        /// The entry's index in `syscalls`; `None` for `defaultErrnoRet`.
        entry: Option<usize>,
        /// The errno given.
        errno: u16,
    },
    /// An entry without names.
    NoNames {
        /// The entry's index in `syscalls`.
        entry: usize,
    },
}

impl fmt::Display for SeccompProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeccompProfileError::Notify { entry } => {
                let at = match entry {
                    Some(e) => format!("syscalls[{e}]"),
                    None => "defaultAction".to_string(),
                };
                write!(
                    f,
                    "{at}: SCMP_ACT_NOTIFY is not supported (it needs a seccomp agent on a listener socket; go-jail runs none)"
                )
            }
            SeccompProfileError::BadIndex { entry, index } => write!(
                f,
                "syscalls[{entry}]: argument index {index} out of range (syscalls have arguments 0 to 5)"
            ),
            SeccompProfileError::BothArchLists => write!(
                f,
                "both 'architectures' and 'archMap' are given: use one of them"
            ),
            SeccompProfileError::NoNames { entry } => {
                write!(f, "syscalls[{entry}]: no 'names' (or 'name')")
            }
            SeccompProfileError::ErrnoRange { entry, errno } => {
                let at = match entry {
                    Some(e) => format!("syscalls[{e}].errnoRet"),
                    None => "defaultErrnoRet".to_string(),
                };
                let (lo, hi) = (crate::action::ERRNO_RANGE.start(), crate::action::ERRNO_RANGE.end());
                write!(
                    f,
                    "{at}: errno {errno} is outside {lo}..={hi} (0 makes the call succeed without running; the kernel caps errnos at {hi})"
                )
            }
        }
    }
}

impl std::error::Error for SeccompProfileError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ENOSYS;
    use crate::table::SyscallTable;
    use bpf_asm::SeccompData;

    fn entry(names: &[&str], action: ProfileAction, args: Vec<Arg>) -> Entry {
        Entry {
            names: names.iter().map(|s| s.to_string()).collect(),
            action,
            errno: None,
            args,
            includes: Filter::default(),
            excludes: Filter::default(),
        }
    }

    fn arg(index: u32, op: ArgOp, value: u64) -> Arg {
        Arg {
            index,
            value,
            value_two: 0,
            op,
        }
    }

    fn profile(default: ProfileAction, syscalls: Vec<Entry>) -> Profile {
        Profile {
            default_action: default,
            default_errno: None,
            architectures: vec![],
            arch_map: vec![],
            syscalls,
        }
    }

    const CTX: Context = Context {
        caps: 0,
        arch: Arch::X86_64,
        kernel: (6, 1),
    };

    fn eval(p: &crate::Policy, name: &str, args: [u64; 6]) -> Action {
        p.evaluate(&SeccompData {
            nr: SyscallTable::lookup(Arch::X86_64, name).unwrap(),
            arch: Arch::X86_64.audit(),
            args,
            ..SeccompData::default()
        })
    }

    #[test]
    fn actions_and_errno_defaults() {
        let mut e = entry(&["read"], ProfileAction::Errno, vec![]);
        e.errno = Some(13);
        let p = Profile {
            default_errno: Some(38),
            ..profile(
                ProfileAction::Errno,
                vec![
                    e,
                    entry(&["write"], ProfileAction::Errno, vec![]),
                    entry(&["getpid"], ProfileAction::Kill, vec![]),
                    entry(&["getppid"], ProfileAction::KillProcess, vec![]),
                    entry(&["uname"], ProfileAction::Trace, vec![]),
                    entry(&["close"], ProfileAction::Allow, vec![]),
                ],
            )
        };
        let (spec, _) = p.to_spec(&CTX).unwrap();
        let (pol, _) = crate::resolve(&spec).unwrap();
        assert_eq!(eval(&pol, "read", [0; 6]), Action::Errno(13));
        assert_eq!(eval(&pol, "write", [0; 6]), Action::Errno(EPERM));
        assert_eq!(eval(&pol, "getpid", [0; 6]), Action::KillThread);
        assert_eq!(eval(&pol, "getppid", [0; 6]), Action::KillProcess);
        assert_eq!(eval(&pol, "uname", [0; 6]), Action::Trace(EPERM));
        assert_eq!(eval(&pol, "close", [0; 6]), Action::Allow);
        assert_eq!(
            eval(&pol, "open", [0; 6]),
            Action::Errno(ENOSYS),
            "default errno 38"
        );
    }

    #[test]
    fn repeated_index_is_or_distinct_indices_are_and() {
        let and = entry(
            &["kill"],
            ProfileAction::Allow,
            vec![arg(0, ArgOp::Eq, 1), arg(1, ArgOp::Eq, 2)],
        );
        let or = entry(
            &["tgkill"],
            ProfileAction::Allow,
            vec![
                arg(0, ArgOp::Eq, 1),
                arg(0, ArgOp::Eq, 3),
                arg(1, ArgOp::Eq, 2),
            ],
        );
        let (spec, notes) = profile(ProfileAction::Errno, vec![and, or])
            .to_spec(&CTX)
            .unwrap();
        assert!(
            matches!(notes[0], Note::OrSplit { entry: 1, .. }),
            "{notes:?}"
        );
        let (pol, _) = crate::resolve(&spec).unwrap();
        let eperm = Action::Errno(EPERM);
        assert_eq!(eval(&pol, "kill", [1, 2, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(eval(&pol, "kill", [1, 3, 0, 0, 0, 0]), eperm);
        assert_eq!(eval(&pol, "tgkill", [3, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(
            eval(&pol, "tgkill", [9, 2, 0, 0, 0, 0]),
            Action::Allow,
            "runc's OR"
        );
        assert_eq!(eval(&pol, "tgkill", [9, 9, 0, 0, 0, 0]), eperm);
    }

    #[test]
    fn includes_excludes_and_unknown_names() {
        let mut adm = entry(
            &["mount", "no_such_call", "mmap2"],
            ProfileAction::Allow,
            vec![],
        );
        adm.includes.caps = vec!["CAP_SYS_ADMIN".into()];
        let mut new = entry(&["ptrace"], ProfileAction::Allow, vec![]);
        new.includes.min_kernel = Some((4, 8));
        let mut arm = entry(&["getpid"], ProfileAction::Allow, vec![]);
        arm.includes.arches = vec!["arm64".into()];
        let mut noadm = entry(&["clone3"], ProfileAction::Errno, vec![]);
        noadm.errno = Some(ENOSYS);
        noadm.excludes.caps = vec!["CAP_SYS_ADMIN".into()];
        let p = profile(ProfileAction::Errno, vec![adm, new, arm, noadm]);
        let (spec, notes) = p.to_spec(&CTX).unwrap();
        let names: Vec<&str> = spec.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["ptrace", "clone3"]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        let admin = Context {
            caps: 1 << 21,
            kernel: (4, 4),
            ..CTX
        };
        let (spec, notes) = p.to_spec(&admin).unwrap();
        let names: Vec<&str> = spec.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["mount"]);
        assert!(notes.contains(&Note::UnknownSyscall("no_such_call".into())));
        assert!(notes.contains(&Note::NotOnTargets("mmap2".into())));
    }

    #[test]
    fn arch_map_selects_the_native_entry() {
        let mut p = profile(ProfileAction::Allow, vec![]);
        p.arch_map = vec![
            ArchMapEntry {
                arch: "SCMP_ARCH_AARCH64".into(),
                sub_arches: vec!["SCMP_ARCH_ARM".into()],
            },
            ArchMapEntry {
                arch: "SCMP_ARCH_X86_64".into(),
                sub_arches: vec!["SCMP_ARCH_X86".into(), "SCMP_ARCH_X32".into()],
            },
        ];
        let (arches, notes) = p.target_arches(Arch::X86_64).unwrap();
        assert_eq!(arches, [Arch::X86_64, Arch::X86]);
        assert_eq!(notes, [Note::ArchSkipped("SCMP_ARCH_X32".into())]);
        p.architectures = vec!["SCMP_ARCH_X86".into()];
        assert_eq!(
            p.target_arches(Arch::X86_64).unwrap_err(),
            SeccompProfileError::BothArchLists
        );
    }

    #[test]
    fn notify_is_refused_and_same_as_default_dropped() {
        let p = profile(
            ProfileAction::Allow,
            vec![entry(&["read"], ProfileAction::Notify, vec![])],
        );
        assert!(p
            .to_spec(&CTX)
            .unwrap_err()
            .to_string()
            .contains("SCMP_ACT_NOTIFY"));
        let p = profile(
            ProfileAction::Allow,
            vec![entry(
                &["read"],
                ProfileAction::Allow,
                vec![arg(0, ArgOp::Eq, 1)],
            )],
        );
        let (spec, notes) = p.to_spec(&CTX).unwrap();
        assert!(spec.rules.is_empty());
        assert_eq!(notes, [Note::SameAsDefault { entries: vec![0] }]);
        let p = profile(
            ProfileAction::Allow,
            vec![entry(
                &["read"],
                ProfileAction::Allow,
                vec![arg(6, ArgOp::Eq, 1)],
            )],
        );
        assert!(p.to_spec(&CTX).is_err());
    }

    #[test]
    fn an_unconditional_rule_wins_over_conditional_ones_as_in_libseccomp() {
        let p = profile(
            ProfileAction::Errno,
            vec![
                entry(&["setns"], ProfileAction::Log, vec![arg(0, ArgOp::Eq, 1)]),
                entry(&["setns", "read"], ProfileAction::Allow, vec![]),
                entry(&["setns"], ProfileAction::KillProcess, vec![]),
                entry(&["read"], ProfileAction::Trap, vec![arg(0, ArgOp::Eq, 0)]),
            ],
        );
        let (spec, notes) = p.to_spec(&CTX).unwrap();
        let (pol, _) = crate::resolve(&spec).unwrap();
        assert_eq!(eval(&pol, "setns", [1, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(eval(&pol, "setns", [2, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(
            eval(&pol, "read", [0; 6]),
            Action::Allow,
            "later conditional dropped"
        );
        let setns = |entry, winner| Note::ConditionalDropped {
            entry,
            name: "setns".into(),
            winner,
        };
        assert!(notes.contains(&setns(0, 1)), "{notes:?}");
        assert!(notes.contains(&Note::Duplicate {
            entry: 2,
            name: "setns".into(),
            first: 1
        }));
        let shown: Vec<String> = notes.iter().map(|n| n.to_string()).collect();
        assert!(
            shown.iter().any(|n| n.starts_with(
                "syscalls[3]: the conditional rule for 'read' is dropped: syscalls[1]"
            )),
            "{shown:?}"
        );
    }

    #[test]
    fn overlapping_conditional_rules_with_different_actions_are_noted() {
        let deny_vsock = |a2: ArgOp| {
            vec![
                entry(
                    &["socket"],
                    ProfileAction::Errno,
                    vec![arg(0, ArgOp::Eq, 16), arg(2, ArgOp::Eq, 9)],
                ),
                entry(&["socket"], ProfileAction::Allow, vec![arg(2, a2, 9)]),
            ]
        };
        // Podman's socket rules: a2 == 9 against a2 != 9 cannot both hold
        let (_, notes) = profile(ProfileAction::KillProcess, deny_vsock(ArgOp::Ne))
            .to_spec(&CTX)
            .unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let (spec, notes) = profile(ProfileAction::KillProcess, deny_vsock(ArgOp::Ge))
            .to_spec(&CTX)
            .unwrap();
        // on x86_64 alone, with values the kernel reads whole, go-jail
        // follows libseccomp's tree and says the answer depends on values
        assert_eq!(
            notes,
            [Note::WordOrder {
                name: "socket".into(),
                entries: vec![0, 1],
                arches: vec![Arch::X86_64],
            }]
        );
        // libseccomp tries args[2] before args[0] (higher index first), so
        // the later ALLOW answers where both hold
        let (pol, _) = crate::resolve(&spec).unwrap();
        assert_eq!(eval(&pol, "socket", [16, 0, 9, 0, 0, 0]), Action::Allow);
        assert_eq!(
            eval(&pol, "socket", [16, 0, 8, 0, 0, 0]),
            Action::KillProcess
        );
        assert_eq!(eval(&pol, "socket", [1, 0, 9, 0, 0, 0]), Action::Allow);
    }

    /// With x86 among the targets libseccomp builds another tree there
    /// (low words only): x86_64 gets the rules of libseccomp's 64-bit tree
    /// and x86 those of its 32-bit tree, each rule naming its arch.
    #[test]
    fn overlapping_rules_get_a_tree_per_word_size_with_a_32_bit_target() {
        let mut p = profile(
            ProfileAction::KillProcess,
            vec![
                entry(
                    &["socket"],
                    ProfileAction::Errno,
                    vec![arg(0, ArgOp::Eq, 16), arg(2, ArgOp::Eq, 9)],
                ),
                entry(
                    &["socket"],
                    ProfileAction::Allow,
                    vec![arg(2, ArgOp::Ge, 9)],
                ),
            ],
        );
        p.architectures = vec!["SCMP_ARCH_X86_64".into(), "SCMP_ARCH_X86".into()];
        let (spec, notes) = p.to_spec(&CTX).unwrap();
        assert_eq!(
            notes,
            [Note::WordOrder {
                name: "socket".into(),
                entries: vec![0, 1],
                arches: vec![Arch::X86_64, Arch::X86],
            }]
        );
        let on = |arch: Arch| spec.rules.iter().filter(|r| r.arches == [arch]).count();
        assert!(
            on(Arch::X86_64) > 0 && on(Arch::X86) == 2,
            "{:?}",
            spec.rules
        );
        assert!(spec.rules.iter().all(|r| !r.arches.is_empty()));
        // both arches: the later ALLOW where both hold (args[2] first)
        let (pol, _) = crate::resolve(&spec).unwrap();
        for arch in [Arch::X86_64, Arch::X86] {
            let got = pol.evaluate(&SeccompData {
                nr: SyscallTable::lookup(arch, "socket").unwrap(),
                arch: arch.audit(),
                args: [16, 0, 9, 0, 0, 0],
                ..SeccompData::default()
            });
            assert_eq!(got, Action::Allow, "{arch:?}");
        }
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel_version("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel_version("5.10.3"), Some((5, 10)));
        assert_eq!(parse_kernel_version("6"), Some((6, 0)));
        assert_eq!(parse_kernel_version("x"), None);
    }
}
