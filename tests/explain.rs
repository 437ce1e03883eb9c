//! `go-jail explain`: read back what a compiled program does (checked
//! against policy's reference evaluator), explain a libseccomp filter with
//! argument conditions; and the generated documentation (`--help`,
//! `completions`, `man`).

#[allow(unused_macros, unused_imports)]
mod common;

use std::process::Command;

use bpf_asm::{Arch, SeccompData};
use common::jail;
use policy::{Action, PolicySpec};

/// `explain --per-syscall` for `argv`: `(arch, nr, name, raw)` per line.
fn per_syscall(argv: &[&str]) -> Vec<(String, u32, String, String)> {
    let mut full = vec!["explain", "--per-syscall", "-q"];
    full.extend_from_slice(argv);
    let r = jail(&full);
    r.assert_code(0);
    r.stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].to_string(),
                f[3].to_string(),
            )
        })
        .collect()
}

#[test]
fn explain_matches_the_reference_evaluator_for_every_table_syscall() {
    let cases: Vec<(Vec<&str>, PolicySpec)> = vec![
        (
            vec!["-syscall-allow=read,write,exit_group,execve"],
            PolicySpec::allow(&["read", "write", "exit_group", "execve"]),
        ),
        (
            vec!["-syscall-deny=ptrace,mount,clone3", "--errno", "EACCES"],
            PolicySpec {
                deny_action: Action::Errno(13),
                ..PolicySpec::deny(&["ptrace", "mount", "clone3"])
            },
        ),
        (
            vec![
                "-syscall-allow=openat,read,mmap2,set_tls",
                "--arch",
                "x86_64,x86,aarch64,arm",
            ],
            PolicySpec {
                arches: vec![Arch::X86_64, Arch::X86, Arch::Aarch64, Arch::Arm],
                ..PolicySpec::allow(&["openat", "read", "mmap2", "set_tls"])
            },
        ),
    ];
    for (argv, spec) in cases {
        let (policy, _) = policy::resolve(&spec).unwrap();
        let lines = per_syscall(&argv);
        let mut seen_arches = std::collections::BTreeSet::new();
        for (arch, nr, name, raw) in &lines {
            let arch = Arch::parse(arch).unwrap();
            seen_arches.insert(arch);
            let want = policy.evaluate(&SeccompData {
                nr: *nr,
                arch: arch.audit(),
                ..SeccompData::default()
            });
            assert_eq!(
                raw,
                &format!("{:#010x}", want.to_raw()),
                "{argv:?}: {} {name}",
                arch.name()
            );
        }
        assert_eq!(seen_arches.len(), policy.arches().len(), "{argv:?}");
        let table: usize = policy
            .arches()
            .iter()
            .map(|p| policy::SyscallTable::entries(p.arch()).count())
            .sum();
        assert_eq!(lines.len(), table, "{argv:?}");
    }
}

#[test]
fn summary_groups_syscalls_by_action() {
    let r = jail(&[
        "explain",
        "-syscall-allow=read,write,exit_group,execve",
        "--arch",
        "x86_64",
        "-q",
    ]);
    r.assert_code(0);
    let out = &r.stdout;
    assert!(
        out.contains("x86_64: ALLOW (4): read write execve exit_group\n"),
        "{out}"
    );
    assert!(
        out.contains("x86_64: ERRNO(1) (EPERM): every other syscall ("),
        "{out}"
    );
    assert!(
        out.contains("x86_64: ERRNO(38) (ENOSYS) (1): clone3, numbers "),
        "{out}"
    );
    assert!(out.contains("..=0x3fffffff"), "{out}");
    assert!(
        out.contains("x86_64: KILL_PROCESS: x32 numbers 0x40000000..=0xfffffffe\n"),
        "{out}"
    );
    assert!(out.contains("other architectures: KILL_PROCESS\n"), "{out}");
}

#[test]
fn explain_accepts_groups_and_a_raw_program() {
    let raw = common::scratch_dir().join("explain-groups.bpf");
    jail(&[
        "compile",
        "-syscall-deny=@mount",
        "--arch",
        "x86_64",
        "-o",
        raw.to_str().unwrap(),
    ])
    .assert_code(0);
    let a = jail(&["explain", "-syscall-deny=@mount", "--arch", "x86_64", "-q"]);
    a.assert_code(0);
    let b = jail(&[
        "explain",
        "--bpf",
        raw.to_str().unwrap(),
        "--arch",
        "x86_64",
    ]);
    b.assert_code(0);
    assert_eq!(a.stdout, b.stdout);
    // Without --arch, the arches the program singles out are detailed.
    let c = jail(&["explain", "--bpf", raw.to_str().unwrap()]);
    c.assert_code(0);
    assert_eq!(a.stdout, c.stdout);
    assert!(a.stdout.contains("mount"), "{}", a.stdout);
    let r = jail(&[
        "explain",
        "--bpf",
        raw.to_str().unwrap(),
        "-syscall-deny=read",
    ]);
    r.assert_code(125);
}

/// Builds a C program that exports a libseccomp filter with argument
/// conditions; `None` (with a printed reason) when gcc or libseccomp is missing.
fn libseccomp_filter() -> Option<std::path::PathBuf> {
    let dir = common::scratch_dir();
    let src = dir.join("export.c");
    let exe = dir.join("export");
    let out = dir.join("libseccomp.bpf");
    std::fs::write(
        &src,
        r#"#include <seccomp.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
int main(int argc, char **argv) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return 1;
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                         SCMP_A1(SCMP_CMP_EQ, TIOCSTI)) < 0) return 2;
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0) < 0) return 3;
    if (seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(personality), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, 0xff00, 0x0100)) < 0) return 4;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 5;
    return seccomp_export_bpf(ctx, fd) < 0 ? 6 : 0;
}
"#,
    )
    .unwrap();
    let built = Command::new("gcc")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .arg("-lseccomp")
        .output();
    match built {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "skipping: cannot build against libseccomp (apt-get install -y libseccomp-dev): {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            );
            return None;
        }
        Err(e) => {
            eprintln!("skipping: no gcc ({e})");
            return None;
        }
    }
    let ran = Command::new(&exe).arg(&out).status().unwrap();
    assert!(ran.success(), "export failed: {ran:?}");
    Some(out)
}

#[test]
fn explains_a_libseccomp_filter_with_argument_conditions() {
    if Arch::native() != Arch::X86_64 {
        eprintln!("skipping: the expected numbers are x86_64's");
        return;
    }
    let Some(bpf) = libseccomp_filter() else {
        return;
    };
    let r = jail(&["explain", "--bpf", bpf.to_str().unwrap()]);
    r.assert_code(0);
    let out = &r.stdout;
    assert!(
        out.contains("x86_64: ioctl: ERRNO(1) (EPERM) if args[1] == 0x5412; ALLOW otherwise\n"),
        "{out}"
    );
    assert!(
        out.contains("x86_64: personality: KILL_PROCESS if (args[0].lo & 0xff00) == 0x100; ALLOW otherwise\n"),
        "{out}"
    );
    assert!(
        out.contains("x86_64: ERRNO(1) (EPERM) (1): ptrace\n"),
        "{out}"
    );
    assert!(
        out.contains("x86_64: ALLOW: every other syscall ("),
        "{out}"
    );
    let per = per_syscall(&["--bpf", bpf.to_str().unwrap()]);
    let ioctl = per.iter().find(|l| l.2 == "ioctl").unwrap();
    assert_eq!(ioctl.3, "cond");
    let read = per.iter().find(|l| l.2 == "read").unwrap();
    assert_eq!(read.3, "0x7fff0000");
}

#[test]
fn help_shows_the_examples_and_the_tools() {
    let r = jail(&["--help"]);
    r.assert_code(0);
    assert!(r.stdout.contains("Examples:"), "{}", r.stdout);
    assert!(
        r.stdout.contains("-syscall-allow=@default,@basic-io"),
        "{}",
        r.stdout
    );
    let usage = r.stdout.lines().find(|l| l.contains("go-jail <")).unwrap();
    assert!(
        usage.contains("groups") && usage.contains("explain"),
        "{usage}"
    );
    for tool in ["groups", "explain"] {
        let r = jail(&[tool, "--help"]);
        r.assert_code(0);
        assert!(r.stdout.contains("Example"), "{tool}: {}", r.stdout);
    }
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = jail(&["completions", shell]);
        r.assert_code(0);
        assert!(r.stdout.contains("syscall-allow"), "{shell}: {}", r.stderr);
        for tool in ["compile", "explain", "learn", "groups", "verify"] {
            assert!(r.stdout.contains(tool), "{shell} completes {tool}");
        }
    }
    let r = jail(&["completions", "tcsh"]);
    r.assert_code(125);
    let r = jail(&["man"]);
    r.assert_code(0);
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("go\\-jail"), "man page names the program");
    assert!(
        r.stdout.contains("syscall\\-allow"),
        "man page lists the options"
    );
    assert!(
        r.stdout.contains(".SH SUBCOMMANDS"),
        "man page lists the tools"
    );
    assert!(r.stdout.contains("explain"), "man page lists the tools");
}
