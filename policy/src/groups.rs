//! Syscall groups (`@default`, `@file-system`, `@privileged`...): named sets
//! of syscall names defined as data in `policy/data/groups.txt`, and
//! [`expand`], which turns a user's list with groups and removals into plain
//! names before [`crate::resolve`](fn@crate::resolve) (which never sees an `@`).
//!
//! # List semantics
//!
//! A list is a sequence of items:
//! - `name`: a syscall; passed through as typed (resolve checks it, and warns
//!   when a target architecture lacks it);
//! - `@group`: every member of the group (transitively) that exists on at
//!   least one target architecture; members missing on some target are
//!   silently absent there (they are not the user's typing);
//! - `-name` / `-@group`: a removal.
//!
//! Removals apply after all additions, regardless of their position:
//! `-@privileged,@system-service` and `@system-service,-@privileged` are the
//! same list. The meaning is the same for both modes: an allow-list allows
//! the additions minus the removals; a deny-list denies the additions minus
//! the removals (a removed name is therefore allowed by a deny-list). A
//! removal of something that was never added does nothing.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::OnceLock;

use bpf_asm::Arch;

use crate::table::SyscallTable;

/// The group definitions, compiled in.
const DATA: &str = include_str!("../data/groups.txt");

/// One group as defined in the data file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// With the `@`: `@file-system`.
    pub name: &'static str,
    /// One line.
    pub description: &'static str,
    /// Syscall names listed directly, in file order.
    pub names: Vec<&'static str>,
    /// Groups included (with the `@`), in file order.
    pub includes: Vec<&'static str>,
}

/// Why a list with groups cannot be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupError {
    /// `@name` is not a group.
    UnknownGroup {
        /// The group name, without the `@`.
        name: String,
        /// Known groups with a close name, best first.
        suggestions: Vec<&'static str>,
    },
    /// `-name` removes a name that no supported architecture knows.
    UnknownSyscall {
        /// The syscall name, without the `-`.
        name: String,
        /// Known syscalls with a close name, best first.
        suggestions: Vec<&'static str>,
    },
    /// An item that is only `@`, `-` or `-@`.
    Empty {
        /// The item as written.
        item: String,
    },
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::UnknownGroup { name, suggestions } => {
                write!(f, "unknown syscall group '{name}'")?;
                write_suggestions(f, suggestions)?;
                if suggestions.is_empty() {
                    write!(f, " (go-jail groups lists them)")?;
                }
                Ok(())
            }
            GroupError::UnknownSyscall { name, suggestions } => {
                write!(f, "unknown syscall '{name}'")?;
                write_suggestions(f, suggestions)
            }
            GroupError::Empty { item } => write!(f, "'{item}' names no syscall or group"),
        }
    }
}

impl std::error::Error for GroupError {}

fn write_suggestions(f: &mut fmt::Formatter<'_>, suggestions: &[&str]) -> fmt::Result {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("'{s}'")).collect();
    match quoted.as_slice() {
        [] => Ok(()),
        [one] => write!(f, ", did you mean {one}?"),
        [init @ .., last] => write!(f, ", did you mean {} or {last}?", init.join(", ")),
    }
}

/// Parses the data file. Panics on a malformed file: it is compiled in, and
/// the tests parse it.
fn parse(text: &'static str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('@') {
            let (name, description) = match line.split_once(char::is_whitespace) {
                Some((n, d)) => (n, d.trim()),
                None => (line, ""),
            };
            groups.push(Group {
                name,
                description,
                names: Vec::new(),
                includes: Vec::new(),
            });
            continue;
        }
        assert!(
            line.starts_with(char::is_whitespace),
            "groups.txt:{}: a member line must be indented",
            i + 1
        );
        let group = groups
            .last_mut()
            .unwrap_or_else(|| panic!("groups.txt:{}: members before any group", i + 1));
        for word in line.split_whitespace() {
            if word.starts_with('@') {
                group.includes.push(word);
            } else {
                group.names.push(word);
            }
        }
    }
    groups
}

/// Every group, in definition order.
pub fn all() -> &'static [Group] {
    static GROUPS: OnceLock<Vec<Group>> = OnceLock::new();
    GROUPS.get_or_init(|| parse(DATA))
}

/// The group called `name` (with or without the `@`).
pub fn find(name: &str) -> Option<&'static Group> {
    let bare = name.strip_prefix('@').unwrap_or(name);
    all().iter().find(|g| &g.name[1..] == bare)
}

/// The closest group names (edit distance, at most 3).
pub fn suggest(name: &str) -> Vec<&'static str> {
    let bare = name.strip_prefix('@').unwrap_or(name);
    let limit = (bare.chars().count() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, &'static str)> = all()
        .iter()
        .map(|g| (crate::table::edit_distance(bare, &g.name[1..]), g.name))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort();
    let best = scored.first().map(|s| s.0);
    scored
        .into_iter()
        .filter(|s| Some(s.0) == best)
        .map(|s| s.1)
        .take(3)
        .collect()
}

fn unknown_group(name: &str) -> GroupError {
    GroupError::UnknownGroup {
        name: if name.starts_with('@') {
            name.to_string()
        } else {
            format!("@{name}")
        },
        suggestions: suggest(name),
    }
}

/// Every syscall name of group `name`, transitively, on any architecture,
/// deduplicated, in first-seen order.
pub fn names(name: &str) -> Result<Vec<&'static str>, GroupError> {
    let group = find(name).ok_or_else(|| unknown_group(name))?;
    let mut out = Vec::new();
    let mut seen_names = HashSet::new();
    let mut seen_groups = HashSet::new();
    collect(group, &mut out, &mut seen_names, &mut seen_groups)?;
    Ok(out)
}

fn collect(
    group: &'static Group,
    out: &mut Vec<&'static str>,
    seen_names: &mut HashSet<&'static str>,
    seen_groups: &mut HashSet<&'static str>,
) -> Result<(), GroupError> {
    if !seen_groups.insert(group.name) {
        return Ok(());
    }
    for &inc in &group.includes {
        let g = find(inc).ok_or_else(|| unknown_group(inc))?;
        collect(g, out, seen_names, seen_groups)?;
    }
    for &n in &group.names {
        if seen_names.insert(n) {
            out.push(n);
        }
    }
    Ok(())
}

/// The members of group `name` that exist on `arch`, as `(nr, name)` in
/// number order.
pub fn members(name: &str, arch: Arch) -> Result<Vec<(u32, &'static str)>, GroupError> {
    let mut out: Vec<(u32, &'static str)> = names(name)?
        .into_iter()
        .filter_map(|n| SyscallTable::lookup(arch, n).map(|nr| (nr, n)))
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Expands a user's list (see the module documentation) for the target
/// `arches` (empty = every supported architecture): groups become their
/// members that exist on at least one target, removals are applied last.
/// Plain names pass through unchecked ([`crate::resolve`](fn@crate::resolve) checks them), but a
/// removed name must exist on some architecture.
pub fn expand<S: AsRef<str>>(items: &[S], arches: &[Arch]) -> Result<Vec<String>, GroupError> {
    let targets: &[Arch] = if arches.is_empty() {
        &Arch::ALL
    } else {
        arches
    };
    let on_target = |n: &str| {
        targets
            .iter()
            .any(|&a| SyscallTable::lookup(a, n).is_some())
    };
    let mut added: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut removed: BTreeSet<String> = BTreeSet::new();
    for item in items {
        let item = item.as_ref().trim();
        let (remove, body) = match item.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, item),
        };
        if body.is_empty() || body == "@" {
            return Err(GroupError::Empty {
                item: item.to_string(),
            });
        }
        let expanded: Vec<String> = if body.starts_with('@') {
            names(body)?
                .into_iter()
                .filter(|n| remove || on_target(n))
                .map(str::to_string)
                .collect()
        } else {
            if remove && !SyscallTable::known_anywhere(body) {
                return Err(GroupError::UnknownSyscall {
                    name: body.to_string(),
                    suggestions: SyscallTable::suggest(body),
                });
            }
            vec![body.to_string()]
        };
        if remove {
            removed.extend(expanded);
        } else {
            for n in expanded {
                if seen.insert(n.clone()) {
                    added.push(n);
                }
            }
        }
    }
    added.retain(|n| !removed.contains(n));
    Ok(added)
}

/// True when some item of the list is a group or a removal.
pub fn uses_groups<S: AsRef<str>>(items: &[S]) -> bool {
    items.iter().any(|i| {
        let i = i.as_ref().trim_start();
        i.starts_with('@') || i.starts_with('-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: [&str; 20] = [
        "@default",
        "@basic-io",
        "@file-system",
        "@io-event",
        "@ipc",
        "@network-io",
        "@process",
        "@signal",
        "@timer",
        "@memory",
        "@privileged",
        "@mount",
        "@module",
        "@raw-io",
        "@reboot",
        "@swap",
        "@clock",
        "@debug",
        "@obsolete",
        "@system-service",
    ];

    #[test]
    fn aarch64_groups_hold_newfstatat_and_no_time64_call() {
        for group in ["@default", "@file-system", "@system-service"] {
            let names = expand(&[group], &[Arch::Aarch64]).unwrap();
            assert!(names.iter().any(|n| n == "newfstatat"), "{group}");
            assert!(!names.iter().any(|n| n.ends_with("time64")), "{group}");
            let names = expand(&[group], &[Arch::X86_64, Arch::X86]).unwrap();
            assert!(names.iter().any(|n| n == "fstatat64"), "{group}");
        }
    }

    #[test]
    fn the_data_file_is_well_formed() {
        let groups = all();
        for r in REQUIRED {
            assert!(find(r).is_some(), "{r} missing");
        }
        let mut names = HashSet::new();
        let mut unknown = Vec::new();
        for g in groups {
            assert!(names.insert(g.name), "{} defined twice", g.name);
            assert!(!g.description.is_empty(), "{} has no description", g.name);
            assert!(!g.names.is_empty() || !g.includes.is_empty(), "{}", g.name);
            for inc in &g.includes {
                assert!(find(inc).is_some(), "{} includes unknown {inc}", g.name);
            }
            for n in &g.names {
                if !SyscallTable::known_anywhere(n) {
                    unknown.push(format!("{}: {n}", g.name));
                }
            }
        }
        assert!(unknown.is_empty(), "no syscall of any arch: {unknown:?}");
    }

    #[test]
    fn includes_have_no_cycles() {
        fn visit(g: &'static Group, path: &mut Vec<&'static str>) {
            assert!(!path.contains(&g.name), "cycle: {path:?} -> {}", g.name);
            path.push(g.name);
            for inc in &g.includes {
                visit(find(inc).unwrap(), path);
            }
            path.pop();
        }
        for g in all() {
            visit(g, &mut Vec::new());
        }
    }

    #[test]
    fn groups_resolve_per_arch() {
        let fs64: Vec<&str> = members("@file-system", Arch::Aarch64)
            .unwrap()
            .into_iter()
            .map(|m| m.1)
            .collect();
        assert!(fs64.contains(&"openat"));
        assert!(!fs64.contains(&"open"));
        let fsx: Vec<&str> = members("@file-system", Arch::X86_64)
            .unwrap()
            .into_iter()
            .map(|m| m.1)
            .collect();
        assert!(fsx.contains(&"open"));
    }

    #[test]
    fn expansion_and_removal() {
        let l = expand(&["@system-service", "-@privileged"], &[Arch::X86_64]).unwrap();
        assert!(!l.iter().any(|n| n == "setuid"));
        assert!(l.iter().any(|n| n == "read"));
        let l2 = expand(&["-@privileged", "@system-service"], &[Arch::X86_64]).unwrap();
        assert_eq!(l, l2, "removals apply after additions");
        let l = expand(&["read", "@basic-io", "-write"], &[Arch::X86_64]).unwrap();
        assert_eq!(l[0], "read");
        assert!(!l.iter().any(|n| n == "write"));
        assert_eq!(l.iter().filter(|n| *n == "read").count(), 1);
        // Members of no target arch are dropped; typed names pass through.
        let l = expand(&["@file-system", "mmap2"], &[Arch::Aarch64]).unwrap();
        assert!(!l.iter().any(|n| n == "open"));
        assert!(l.iter().any(|n| n == "mmap2"));
    }

    #[test]
    fn errors() {
        assert_eq!(
            expand(&["@netwrk-io"], &[]).unwrap_err().to_string(),
            "unknown syscall group '@netwrk-io', did you mean '@network-io'?"
        );
        assert_eq!(
            expand(&["-opnat"], &[]).unwrap_err().to_string(),
            "unknown syscall 'opnat', did you mean 'openat'?"
        );
        assert!(expand(&["-"], &[]).is_err());
        assert!(expand(&["@"], &[]).is_err());
        assert!(expand(&["@zzzzzzzzzzzzzzz"], &[])
            .unwrap_err()
            .to_string()
            .contains("go-jail groups"));
    }
}
