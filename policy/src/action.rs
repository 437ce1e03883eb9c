//! What a filter does with a syscall: the `SECCOMP_RET_*` actions of
//! include/uapi/linux/seccomp.h, with their 16 data bits where they have any.

use std::fmt;
use std::str::FromStr;

use bpf_asm::seccomp::ret;

/// `EPERM`, the errno a denied syscall gets unless the user picks another.
pub const EPERM: u16 = 1;
/// `ENOSYS`: "no such syscall", the errno libc falls back on.
pub const ENOSYS: u16 = 38;
/// The errnos a denial may return, for `--errno` and a profile's
/// `errnoRet` alike: 0 would make the call succeed without running, and
/// the kernel caps the ERRNO data at `MAX_ERRNO` (include/linux/err.h;
/// libseccomp refuses more).
pub const ERRNO_RANGE: std::ops::RangeInclusive<u16> = 1..=4095;

/// A seccomp action: what a filter's `ret` tells the kernel to do with the
/// syscall (include/uapi/linux/seccomp.h `SECCOMP_RET_*`, carried out by
/// kernel/seccomp.c `__seccomp_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `SECCOMP_RET_ALLOW`: run the syscall.
    Allow,
    /// `SECCOMP_RET_ERRNO`: fail the syscall with this errno, without
    /// running it (the kernel caps it at `MAX_ERRNO`, 4095).
    Errno(u16),
    /// `SECCOMP_RET_KILL_PROCESS`: kill the whole thread group, as by an
    /// uncatchable `SIGSYS` (with a core dump).
    KillProcess,
    /// `SECCOMP_RET_KILL_THREAD` (the old `SECCOMP_RET_KILL`): kill the
    /// calling thread only.
    KillThread,
    /// `SECCOMP_RET_TRAP`: send `SIGSYS` with this value in `si_errno`.
    Trap(u16),
    /// `SECCOMP_RET_LOG`: log the syscall to the audit log, then run it.
    Log,
    /// `SECCOMP_RET_TRACE`: notify a `ptrace` tracer with this value as
    /// the event message (`ENOSYS` when there is no tracer).
    Trace(u16),
    /// `SECCOMP_RET_USER_NOTIF`: hand the syscall to the supervisor that
    /// holds the filter's listener fd, and wait for its answer.
    UserNotif,
}

/// Why a string is not an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseActionError(pub String);

impl fmt::Display for ParseActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown action '{}' (expected ALLOW, ERRNO(n), KILL_PROCESS, KILL_THREAD, TRAP(n), LOG, TRACE(n) or USER_NOTIF)",
            self.0
        )
    }
}

impl std::error::Error for ParseActionError {}

impl Action {
    /// The filter's return value (`SECCOMP_RET_*` | data).
    pub const fn to_raw(self) -> u32 {
        match self {
            Action::Allow => ret::ALLOW,
            Action::Errno(n) => ret::ERRNO | n as u32,
            Action::KillProcess => ret::KILL_PROCESS,
            Action::KillThread => ret::KILL_THREAD,
            Action::Trap(n) => ret::TRAP | n as u32,
            Action::Log => ret::LOG,
            Action::Trace(n) => ret::TRACE | n as u32,
            Action::UserNotif => ret::USER_NOTIF,
        }
    }

    /// Decodes a return value the way `__seccomp_filter` does; `None` for an
    /// unknown action (which the kernel would treat as `KILL_PROCESS`) or a
    /// data-less action with stray data bits.
    pub fn from_raw(raw: u32) -> Option<Action> {
        let data = (raw & ret::DATA) as u16;
        let action = match raw & ret::ACTION_FULL {
            ret::ALLOW => Action::Allow,
            ret::ERRNO => return Some(Action::Errno(data)),
            ret::KILL_PROCESS => Action::KillProcess,
            ret::KILL_THREAD => Action::KillThread,
            ret::TRAP => return Some(Action::Trap(data)),
            ret::LOG => Action::Log,
            ret::TRACE => return Some(Action::Trace(data)),
            ret::USER_NOTIF => Action::UserNotif,
            _ => return None,
        };
        (data == 0).then_some(action)
    }

    /// True when the kernel runs the syscall: `ALLOW`, and `LOG` (which
    /// allows after logging, kernel/seccomp.c `__seccomp_filter`).
    pub const fn runs_the_call(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }

    /// True for the one action the kernel's action cache can serve.
    pub const fn is_allow(self) -> bool {
        matches!(self, Action::Allow)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Allow => write!(f, "ALLOW"),
            Action::Errno(n) => write!(f, "ERRNO({n})"),
            Action::KillProcess => write!(f, "KILL_PROCESS"),
            Action::KillThread => write!(f, "KILL_THREAD"),
            Action::Trap(n) => write!(f, "TRAP({n})"),
            Action::Log => write!(f, "LOG"),
            Action::Trace(n) => write!(f, "TRACE({n})"),
            Action::UserNotif => write!(f, "USER_NOTIF"),
        }
    }
}

impl FromStr for Action {
    type Err = ParseActionError;

    /// Parses the [`Display`](fmt::Display) form, case-insensitively; the
    /// data of `ERRNO`/`TRAP`/`TRACE` defaults to 0 when the parentheses are
    /// left out. `KILL` is `KILL_PROCESS`.
    fn from_str(s: &str) -> Result<Action, ParseActionError> {
        let err = || ParseActionError(s.to_string());
        let t = s.trim().to_ascii_uppercase();
        let (word, data) = match t.split_once('(') {
            Some((w, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(err)?.trim();
                let n: u16 = inner.parse().map_err(|_| err())?;
                (w.trim().to_string(), Some(n))
            }
            None => (t.clone(), None),
        };
        let plain = |a: Action| if data.is_none() { Ok(a) } else { Err(err()) };
        match word.as_str() {
            "ALLOW" => plain(Action::Allow),
            "KILL" | "KILL_PROCESS" => plain(Action::KillProcess),
            "KILL_THREAD" => plain(Action::KillThread),
            "LOG" => plain(Action::Log),
            "USER_NOTIF" => plain(Action::UserNotif),
            "ERRNO" => Ok(Action::Errno(data.unwrap_or(0))),
            "TRAP" => Ok(Action::Trap(data.unwrap_or(0))),
            "TRACE" => Ok(Action::Trace(data.unwrap_or(0))),
            _ => Err(err()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 8] = [
        Action::Allow,
        Action::Errno(1),
        Action::KillProcess,
        Action::KillThread,
        Action::Trap(7),
        Action::Log,
        Action::Trace(9),
        Action::UserNotif,
    ];

    #[test]
    fn raw_values_match_the_uapi_header() {
        assert_eq!(Action::Allow.to_raw(), 0x7fff_0000);
        assert_eq!(Action::Errno(38).to_raw(), 0x0005_0026);
        assert_eq!(Action::KillProcess.to_raw(), 0x8000_0000);
        assert_eq!(Action::KillThread.to_raw(), 0);
        for a in ALL {
            assert_eq!(Action::from_raw(a.to_raw()), Some(a));
        }
        assert_eq!(Action::from_raw(0x1234_0000), None);
        assert_eq!(Action::from_raw(0x7fff_0001), None);
    }

    #[test]
    fn display_and_parse_round_trip() {
        for a in ALL {
            assert_eq!(a.to_string().parse::<Action>(), Ok(a));
        }
        assert_eq!(Action::Errno(1).to_string(), "ERRNO(1)");
        assert_eq!("errno( 13 )".parse(), Ok(Action::Errno(13)));
        assert_eq!("kill".parse(), Ok(Action::KillProcess));
        assert!("ALLOW(1)".parse::<Action>().is_err());
        assert!("ERRNO(x)".parse::<Action>().is_err());
        assert_eq!(
            "nope".parse::<Action>().unwrap_err().to_string(),
            "unknown action 'nope' (expected ALLOW, ERRNO(n), KILL_PROCESS, KILL_THREAD, TRAP(n), LOG, TRACE(n) or USER_NOTIF)"
        );
    }
}
