//! Lint warnings on stderr when compiling (and running), silenced by --quiet.

#[allow(unused_macros, unused_imports)]
mod common;

use common::jail;

/// The warnings `compile` prints for `policy`.
fn warnings(policy: &str) -> Vec<String> {
    let r = jail(&["compile", policy, "-o", "/dev/null", "--arch", "x86_64"]);
    r.assert_code(0);
    r.stderr
        .lines()
        .filter(|l| l.starts_with("go-jail: warning:"))
        .map(str::to_string)
        .collect()
}

fn assert_warns(policy: &str, needle: &str) {
    let w = warnings(policy);
    assert!(w.iter().any(|l| l.contains(needle)), "{policy}: {w:#?}");
}

#[test]
fn deny_list_families() {
    assert_warns(
        "-syscall-deny=open",
        "denies open but not openat, openat2, creat",
    );
    assert_warns("-syscall-deny=execve", "denies execve but not execveat");
    assert_warns("-syscall-deny=clone", "but not fork, vfork, clone3");
    assert_warns("-syscall-deny=fork,vfork", "but not clone, clone3");
    assert_warns(
        "-syscall-deny=write",
        "denies write but not pwrite64, writev, pwritev, pwritev2, sendfile",
    );
    assert_warns(
        "-syscall-deny=kill",
        "denies kill but not tkill, tgkill, pidfd_send_signal",
    );
    assert_warns(
        "-syscall-deny=read",
        "denies read but not pread64, readv, preadv, preadv2",
    );
}

#[test]
fn complete_families_are_silent() {
    let w = warnings("-syscall-deny=execve,execveat");
    assert!(w.is_empty(), "{w:#?}");
    let w = warnings("-syscall-deny=fork,vfork,clone,clone3");
    assert!(w.is_empty(), "{w:#?}");
}

#[test]
fn io_uring_left_open() {
    assert_warns(
        "-syscall-deny=open,openat,openat2,creat",
        "leaves io_uring_setup allowed",
    );
    let w = warnings("-syscall-deny=open,openat,openat2,creat,io_uring_setup");
    assert!(w.is_empty(), "{w:#?}");
    // Not about I/O: no io_uring warning.
    let w = warnings("-syscall-deny=reboot,@swap");
    assert!(w.is_empty(), "{w:#?}");
}

#[test]
fn allow_list_that_cannot_start() {
    assert_warns("-syscall-allow=read,write", "COMMAND cannot even start");
    let w = warnings("-syscall-allow=read,write");
    for n in ["execve", "exit_group", "brk", "mmap", "mprotect"] {
        assert!(w[0].contains(n), "{n}: {w:#?}");
    }
    let w = warnings("-syscall-allow=@default");
    assert!(w.is_empty(), "{w:#?}");
}

#[test]
fn docker_default_allow_list_is_silent() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policy/tests/data/docker_allow.txt"
    ))
    .unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(names.len() > 300);
    let r = jail(&[
        "compile",
        &format!("-syscall-allow={}", names.join(",")),
        "--arch",
        "x86_64",
        "-o",
        "/dev/null",
    ]);
    r.assert_code(0);
    let lints: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| !l.contains("does not exist on"))
        .collect();
    assert!(lints.is_empty(), "{lints:#?}");
}

#[test]
fn quiet_silences_warnings() {
    let r = jail(&[
        "compile",
        "-syscall-deny=open",
        "-o",
        "/dev/null",
        "--quiet",
    ]);
    r.assert_code(0);
    assert_eq!(r.stderr, "");
    let r = jail(&["compile", "-syscall-deny=open", "-o", "/dev/null", "-q"]);
    assert_eq!(r.stderr, "");
}

#[test]
fn run_mode_warns_too() {
    let r = jail(&["--allow-root", "-syscall-deny=execveat", "--", "/bin/true"]);
    assert!(r.stderr.contains("denies execveat but not execve"), "{r:?}");
    let r = jail(&[
        "-q",
        "--allow-root",
        "-syscall-deny=execveat",
        "--",
        "/bin/true",
    ]);
    assert!(!r.stderr.contains("warning"), "{r:?}");
}
