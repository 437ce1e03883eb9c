//! What the user asks for, before names are resolved: a mode, syscall
//! names, explicit rules, the deny action and the target architectures.

use std::fmt;

use bpf_asm::Arch;

use crate::action::{Action, EPERM};
use crate::condition::{ArgIndex, CmpOp, Condition};

/// How the listed names are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The names are allowed; everything else gets the deny action.
    /// An empty list denies everything (it is still a filter).
    #[default]
    AllowList,
    /// The names get the deny action; everything else is allowed.
    DenyList,
}

/// One syscall with an explicit action, taken when every condition holds
/// (conditions are ANDed; no condition = always).
///
/// How the rules of one syscall combine:
/// - rules **without** conditions set the syscall's action, overriding
///   `names` (allow-list: `ALLOW`; deny-list: the deny action) and the
///   mode's default; among them the last one wins;
/// - rules **with** conditions are tried first, in spec order: the syscall
///   gets the action of the first whose conditions all hold. When none
///   holds it gets the action above (its *fallback*). So a conditional
///   deny beats an unconditional allow of the same syscall, whether the
///   allow comes from `names` or from an unconditional rule, in any order.
///
/// Relation to libseccomp: rules of one syscall with the same action are
/// ORed there too, so an allow-list of conditional `ALLOW` rules (Docker's
/// `personality`, `clone`) behaves the same. libseccomp differs in two
/// places: an unconditional rule for a syscall discards that syscall's
/// conditional rules (db.c: "syscall exists without any chains"), and when
/// overlapping conditional rules have different actions its choice follows
/// its argument-tree order rather than the order the rules were added.
/// The profile front end ([`crate::profile`]) gets libseccomp's result by
/// dropping the conditional rules of syscalls that also have an
/// unconditional rule, and by putting the conditional rules in
/// libseccomp's tree order ([`crate::profile::order`]).
///
/// Each condition compares only the bits the kernel reads of that argument
/// ([`crate::width`]): `ioctl`'s request is an `unsigned int`, so
/// `args[1] == 0x5412` also catches `0x1_0000_5412`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// The syscall's name (as the kernel's tables spell it, `openat`).
    pub name: String,
    /// What the syscall gets when the conditions hold.
    pub action: Action,
    /// Conditions on the arguments, ANDed; empty: the rule always applies.
    pub conditions: Vec<Condition>,
    /// The target arches the rule applies to; empty: every one. A profile
    /// whose overlapping rules libseccomp decides by another tree on a
    /// 64-bit and a 32-bit arch gives each its own rules
    /// ([`crate::profile`]).
    pub arches: Vec<Arch>,
}

impl Rule {
    /// A rule that gives syscall `name` the `action` whatever its arguments.
    pub fn new(name: impl Into<String>, action: Action) -> Rule {
        Rule {
            name: name.into(),
            action,
            conditions: Vec::new(),
            arches: Vec::new(),
        }
    }

    /// A rule that applies only when all `conditions` hold.
    pub fn when(name: impl Into<String>, action: Action, conditions: Vec<Condition>) -> Rule {
        Rule {
            name: name.into(),
            action,
            conditions,
            arches: Vec::new(),
        }
    }
}

/// `TIOCSTI`: push a byte into a terminal's input queue.
pub const TIOCSTI: u64 = 0x5412;
/// `TIOCLINUX`: Linux console ioctls (its selection paste is another way
/// to inject input).
pub const TIOCLINUX: u64 = 0x541c;

/// The TTY guard: `ioctl(fd, TIOCSTI | TIOCLINUX, …)` fails with `EPERM`.
/// A sandboxed program could otherwise type commands into the terminal it
/// shares with its parent (CVE-2017-5226 and friends). `ioctl`'s request is
/// an `unsigned int` in the kernel, so the comparison is on the low word
/// and `0x1_0000_5412` is caught too (the mistake behind CVE-2019-10063).
///
/// Conditional rules beat an unconditional allow of `ioctl`, but among
/// conditional rules the first match wins: put these rules *first* in a
/// spec's rules, so that a profile's own conditional ALLOW of `ioctl` cannot
/// answer TIOCSTI before them.
pub fn tty_guard_rules() -> Vec<Rule> {
    [TIOCSTI, TIOCLINUX]
        .into_iter()
        .map(|req| {
            Rule::when(
                "ioctl",
                Action::Errno(EPERM),
                vec![Condition::new(ArgIndex::ALL[1], CmpOp::Eq, req)],
            )
        })
        .collect()
}

/// A policy as the user wrote it: the first of the compiler's four stages
/// (`PolicySpec` → [`Policy`](crate::Policy) →
/// [`LoweredPolicy`](crate::LoweredPolicy) → [`bpf_asm::Program`]).
///
/// Its fields are public: every value is a spec, and what a spec cannot
/// mean (an unknown name, no target) is what [`crate::resolve`](fn@crate::resolve)
/// reports. An argument index is valid by construction ([`crate::ArgIndex`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySpec {
    /// How `names` are read: an allow-list or a deny-list.
    pub mode: Mode,
    /// Allowed (allow-list) or denied (deny-list) syscalls. Duplicates are harmless.
    pub names: Vec<String>,
    /// Explicit per-syscall actions; they override `names`. See [`Rule`] for
    /// how several rules of one syscall combine.
    pub rules: Vec<Rule>,
    /// What a denied syscall gets (default `ERRNO(EPERM)`).
    pub deny_action: Action,
    /// Target architectures (default: the native one). Other arches are killed.
    pub arches: Vec<Arch>,
    /// Return `ENOSYS` where libc needs it to fall back (see
    /// [`crate::resolve`](fn@crate::resolve)). Default on.
    pub enosys_fallback: bool,
}

impl Default for PolicySpec {
    fn default() -> PolicySpec {
        PolicySpec {
            mode: Mode::AllowList,
            names: Vec::new(),
            rules: Vec::new(),
            deny_action: Action::Errno(EPERM),
            arches: vec![Arch::native()],
            enosys_fallback: true,
        }
    }
}

impl PolicySpec {
    /// An allow-list of `names` for the native arch.
    pub fn allow<S: AsRef<str>>(names: &[S]) -> PolicySpec {
        PolicySpec {
            names: names.iter().map(|n| n.as_ref().to_string()).collect(),
            ..PolicySpec::default()
        }
    }

    /// A deny-list of `names` for the native arch.
    pub fn deny<S: AsRef<str>>(names: &[S]) -> PolicySpec {
        PolicySpec {
            mode: Mode::DenyList,
            ..PolicySpec::allow(names)
        }
    }
}

/// Something the user should hear about that does not stop compilation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Warning {
    /// The name is a syscall of other arches only; skipped on `arch`.
    NotOnArch {
        /// The syscall's name.
        name: String,
        /// The target arch that lacks it.
        arch: Arch,
        /// The supported arches that have it.
        known_on: Vec<Arch>,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NotOnArch {
                name,
                arch,
                known_on,
            } => {
                let on: Vec<&str> = known_on.iter().map(|a| a.name()).collect();
                write!(
                    f,
                    "syscall '{name}' does not exist on {}, skipped (it exists on {})",
                    arch.name(),
                    on.join(", ")
                )
            }
        }
    }
}

/// Why a spec cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// No supported architecture has this syscall.
    UnknownSyscall {
        /// The name as written.
        name: String,
        /// Known syscalls with a close name, best first.
        suggestions: Vec<&'static str>,
    },
    /// The spec names no architecture.
    NoArch,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::UnknownSyscall { name, suggestions } => {
                write_unknown(f, name, suggestions)
            }
            PolicyError::NoArch => write!(f, "no target architecture"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// "unknown syscall 'opnat', did you mean 'openat'?"
pub(crate) fn write_unknown(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    suggestions: &[&str],
) -> fmt::Result {
    write!(f, "unknown syscall '{name}'")?;
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("'{s}'")).collect();
    match quoted.as_slice() {
        [] => Ok(()),
        [one] => write!(f, ", did you mean {one}?"),
        [init @ .., last] => write!(f, ", did you mean {} or {last}?", init.join(", ")),
    }
}
