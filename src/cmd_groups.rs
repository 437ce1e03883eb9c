//! `go-jail groups [NAME]`, and the glue between the policy options and
//! `policy::groups` (expansion of `@group` / `-name` items).

use bpf_asm::seccomp::Arch;
use policy::{groups, Warning};

use crate::arches;
use crate::args::{GroupsArgs, PolicyArgs};
use crate::fail::Failure;

/// Expands groups and removals in a split syscall list for `arches`.
pub fn expand(items: &[String], arches: &[Arch]) -> Result<Vec<String>, Failure> {
    if !groups::uses_groups(items) {
        return Ok(items.to_vec());
    }
    groups::expand(items, arches).map_err(|e| Failure::input(e.to_string()))
}

/// True for a "does not exist on ARCH" warning about a name the user did not
/// type: it came from a group, and group members are silently per-arch.
pub fn is_group_noise(w: &Warning, args: &PolicyArgs) -> bool {
    // A match, not a `let`: other warning kinds may come.
    #[allow(unreachable_patterns)]
    let name = match w {
        Warning::NotOnArch { name, .. } => name,
        _ => return false,
    };
    let list = args
        .syscall_allow
        .as_deref()
        .or(args.syscall_deny.as_deref())
        .unwrap_or("");
    !list.split(',').any(|item| item.trim() == name)
}

pub fn groups(a: &GroupsArgs) -> Result<i32, Failure> {
    let arch = match &a.arch {
        Some(s) => arches::parse_arch(s)?,
        None => Arch::native(),
    };
    let Some(name) = &a.name else {
        let width = groups::all()
            .iter()
            .map(|g| g.name.len())
            .max()
            .unwrap_or(0);
        for g in groups::all() {
            let count = groups::members(g.name, arch).map(|m| m.len()).unwrap_or(0);
            println!(
                "{:width$}  {:>3}  {}",
                g.name,
                count,
                g.description,
                width = width
            );
        }
        println!();
        println!(
            "(member counts for {}; `go-jail groups NAME [--arch ARCH]` lists a group)",
            arch.name()
        );
        return Ok(0);
    };
    let group = groups::find(name).ok_or_else(|| {
        let item = if name.starts_with('@') {
            name.clone()
        } else {
            format!("@{name}")
        };
        Failure::input(
            groups::expand(&[item], &[])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| format!("unknown syscall group '{name}'")),
        )
    })?;
    let members = groups::members(group.name, arch).map_err(|e| Failure::input(e.to_string()))?;
    println!("{}: {}", group.name, group.description);
    if !group.includes.is_empty() {
        println!("includes: {}", group.includes.join(" "));
    }
    println!("{} syscalls on {}:", members.len(), arch.name());
    let names: Vec<&str> = members.iter().map(|m| m.1).collect();
    for line in wrap(&names, 78) {
        println!("  {line}");
    }
    Ok(0)
}

/// Words joined by spaces, in lines of at most `width` columns.
pub fn wrap(words: &[&str], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in words {
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
