//! Syscall groups (`@name`) end to end: `go-jail groups`, expansion per
//! architecture, removals, errors, and a real run under `@default,@basic-io`.

mod common;

use common::{jail, needs_root};

/// The member names `go-jail groups NAME --arch ARCH` prints.
fn members(group: &str, arch: &str) -> Vec<String> {
    let r = jail(&["groups", group, "--arch", arch]);
    r.assert_code(0);
    r.stdout
        .lines()
        .filter(|l| l.starts_with("  "))
        .flat_map(|l| l.split_whitespace())
        .map(str::to_string)
        .collect()
}

/// The names a compiled policy allows on `arch` (`explain --per-syscall`).
fn allowed(policy: &[&str], arch: &str) -> Vec<String> {
    let mut argv = vec!["explain", "--per-syscall", "--arch", arch, "-q"];
    argv.extend_from_slice(policy);
    let r = jail(&argv);
    r.assert_code(0);
    r.stdout
        .lines()
        .filter(|l| l.ends_with(" ALLOW"))
        .map(|l| l.split_whitespace().nth(2).unwrap().to_string())
        .collect()
}

/// Every group of the data file (`policy::groups::all`, whose unit test
/// pins the required names) is listed with its own description.
#[test]
fn groups_lists_every_group_with_a_description() {
    let r = jail(&["groups"]);
    r.assert_code(0);
    for g in policy::groups::all() {
        let line = (r.stdout.lines())
            .find(|l| l.split_whitespace().next() == Some(g.name))
            .unwrap_or_else(|| panic!("{} missing:\n{}", g.name, r.stdout));
        assert!(line.contains(g.description), "{line}");
    }
}

#[test]
fn default_holds_what_a_process_needs_on_both_arches() {
    for arch in ["x86_64", "aarch64"] {
        let m = members("@default", arch);
        for n in ["execve", "exit_group", "brk", "mmap"] {
            assert!(m.iter().any(|x| x == n), "{arch}: {n} not in {m:?}");
        }
    }
    assert!(members("@default", "x86_64").contains(&"arch_prctl".to_string()));
    assert!(!members("@default", "aarch64").contains(&"arch_prctl".to_string()));
}

#[test]
fn members_are_per_arch() {
    let a64 = members("@file-system", "aarch64");
    assert!(a64.contains(&"openat".to_string()));
    assert!(!a64.contains(&"open".to_string()));
    let x64 = members("file-system", "x86_64");
    assert!(x64.contains(&"open".to_string()));
    // A group member missing on the target arch is silently absent.
    let r = jail(&[
        "compile",
        "--arch",
        "aarch64",
        "-syscall-allow=@default,@file-system",
        "-o",
        "/dev/null",
    ]);
    r.assert_code(0);
    assert!(!r.stderr.contains("does not exist"), "{}", r.stderr);
    // A typed one still warns.
    let r = jail(&[
        "compile",
        "--arch",
        "aarch64",
        "-syscall-allow=@default,open",
        "-o",
        "/dev/null",
    ]);
    r.assert_code(0);
    assert!(
        r.stderr.contains("'open' does not exist on aarch64"),
        "{}",
        r.stderr
    );
}

#[test]
fn groups_are_accepted_by_compile_and_explain() {
    let a = allowed(&["-syscall-allow=@default,@basic-io"], "x86_64");
    for n in ["execve", "exit_group", "write", "dup3"] {
        assert!(a.contains(&n.to_string()), "{n} not in {a:?}");
    }
    assert!(!a.contains(&"socket".to_string()));
    let a = allowed(&["-syscall-allow=@default,@file-system"], "aarch64");
    assert!(a.contains(&"openat".to_string()));
}

#[test]
fn removals_apply_after_additions() {
    let service = allowed(&["-syscall-allow=@system-service"], "x86_64");
    assert!(service.contains(&"setuid".to_string()));
    let a = allowed(&["-syscall-allow=@system-service,-@privileged"], "x86_64");
    for n in [
        "setuid",
        "setresuid",
        "setgroups",
        "capset",
        "mount",
        "chroot",
    ] {
        assert!(!a.contains(&n.to_string()), "{n} still allowed");
    }
    assert!(a.contains(&"read".to_string()));
    let b = allowed(&["-syscall-allow=-@privileged,@system-service"], "x86_64");
    assert_eq!(a, b, "position of a removal does not matter");
    // As a separate argument, the list may start with a dash.
    let c = allowed(
        &["--syscall-allow", "-@privileged,@system-service"],
        "x86_64",
    );
    assert_eq!(a, c);
    let a = allowed(&["-syscall-allow=@default,@basic-io,-write"], "x86_64");
    assert!(!a.contains(&"write".to_string()));
}

#[test]
fn removal_from_a_deny_list_allows_the_name() {
    let a = allowed(&["-syscall-deny=@privileged,-setuid"], "x86_64");
    assert!(a.contains(&"setuid".to_string()));
    assert!(!a.contains(&"setgid".to_string()));
    assert!(!a.contains(&"reboot".to_string()));
}

#[test]
fn unknown_groups_get_a_suggestion() {
    let r = jail(&["compile", "-syscall-allow=@default,@netwrk-io"]);
    r.assert_code(125);
    assert!(
        r.stderr
            .contains("unknown syscall group '@netwrk-io', did you mean '@network-io'?"),
        "{}",
        r.stderr
    );
    let r = jail(&["groups", "@netwrk-io"]);
    r.assert_code(125);
    assert!(
        r.stderr.contains("did you mean '@network-io'?"),
        "{}",
        r.stderr
    );
    let r = jail(&["compile", "-syscall-allow=@default,-opnat"]);
    r.assert_code(125);
    assert!(r.stderr.contains("did you mean 'openat'?"), "{}", r.stderr);
}

#[test]
fn echo_runs_under_default_and_basic_io() {
    needs_root!();
    let r = jail(&[
        "-user",
        "nobody",
        "-syscall-allow=@default,@basic-io",
        "--",
        "/bin/echo",
        "hi",
    ]);
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n", "{r:?}");
}
