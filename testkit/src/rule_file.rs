//! The rule file that `tests/support/scmp_export.c` and
//! `benches/libseccomp_export.c` turn into libseccomp calls:
//!
//! ```text
//! default ACTION ERRNO
//! arch NAME                                       (one per arch)
//! rule SYSCALL ACTION ERRNO [ARG OP DATUM DATUM_TWO]...
//! ```
//!
//! Shared by the libseccomp differential test and the benchmarks, which
//! describe their rules with different models.

use bpf_asm::Arch;
use policy::Action;

/// One condition: argument index, libseccomp operator word (`EQ`,
/// `MASKED_EQ`, …), datum and second datum (the mask's value).
pub type Cond = (u32, &'static str, u64, u64);

/// One `rule` line: syscall name, action, conditions.
pub type Line<'a> = (&'a str, Action, Vec<Cond>);

/// The `ACTION ERRNO` words of `a` (USER_NOTIF has none).
fn action_words(a: Action) -> Result<(&'static str, u16), String> {
    Ok(match a {
        Action::Allow => ("ALLOW", 0),
        Action::Errno(n) => ("ERRNO", n),
        Action::KillThread => ("KILL_THREAD", 0),
        Action::KillProcess => ("KILL_PROCESS", 0),
        Action::Trap(_) => ("TRAP", 0),
        Action::Trace(n) => ("TRACE", n),
        Action::Log => ("LOG", 0),
        Action::UserNotif => return Err("no rule file form for USER_NOTIF".into()),
    })
}

/// The rule file for `default` on `arches` with `rules`.
pub fn write<'a>(
    default: Action,
    arches: &[Arch],
    rules: impl IntoIterator<Item = Line<'a>>,
) -> Result<String, String> {
    let (w, e) = action_words(default)?;
    let mut s = format!("default {w} {e}\n");
    for a in arches {
        s.push_str(&format!("arch {}\n", a.name()));
    }
    for (name, action, conds) in rules {
        let (w, e) = action_words(action)?;
        s.push_str(&format!("rule {name} {w} {e}"));
        for (arg, op, datum, two) in conds {
            s.push_str(&format!(" {arg} {op} {datum} {two}"));
        }
        s.push('\n');
    }
    Ok(s)
}
