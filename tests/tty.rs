//! The command cannot type into the caller's terminal (TIOCSTI, TIOCLINUX;
//! CVE-2017-5226 and friends), proven through a real pty with script(1),
//! while the terminal stays usable (job control, termios).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{needs_root, Run};

/// Builds `tiocsti [hi]`: pushes "id # INJECTED\n" into stdin's terminal,
/// with the request's high 32 bits set when given `hi` (CVE-2019-10063).
fn tiocsti_probe() -> Option<PathBuf> {
    let dir = common::scratch_dir();
    let src = dir.join("tiocsti.c");
    let exe = dir.join("tiocsti");
    std::fs::write(
        &src,
        r#"#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
int main(int argc, char **argv) {
  const char *s = "id # INJECTED\n"; int ok = 0, err = 0;
  unsigned long req = TIOCSTI | (argc > 1 ? (1UL << 32) : 0);
  for (const char *p = s; *p; p++) { if (syscall(SYS_ioctl, 0, req, p) == 0) ok++; else err = errno; }
  fprintf(stderr, "%d/%zu %s\n", ok, strlen(s), strerror(err));
  return ok ? 0 : 1; }
"#,
    )
    .unwrap();
    let ok = Command::new("gcc")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: gcc could not build the TIOCSTI probe");
        return None;
    }
    Some(exe)
}

/// `jail` run by an unprivileged caller, as a shell command prefix.
fn as_nobody(jail: &str) -> String {
    common::as_nobody(&[jail]).join(" ")
}

/// Runs `inner` in a new pty, then reads what is left in the terminal's
/// input queue (`READ=[...]`). stdin of script stays open (sleep) so the
/// result is not flaky (security.md S23).
fn in_pty(inner: &str) -> String {
    let script = format!(
        "sleep 3 | script -q -c '{inner} 2>/dev/null; read -t 1 l; echo \"READ=[$l]\"' /dev/null | tr -d '\\r'"
    );
    let r = Run::new(Command::new("sh").args(["-c", &script]));
    r.stdout
}

#[test]
fn the_command_cannot_inject_terminal_input() {
    needs_root!();
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: script(1) is not installed");
        return;
    }
    let Some(probe) = tiocsti_probe() else { return };
    let probe = probe.display();
    // Without go-jail the injection works on this kernel (legacy TIOCSTI):
    // the control shows the test can tell the difference.
    let control = in_pty(&format!("{probe}"));
    if !control.contains("READ=[id # INJECTED]") {
        eprintln!("skipping: TIOCSTI is not available on this kernel ({control:?})");
        return;
    }
    let jail = common::bin();
    for caller in [format!("{jail} -user nobody"), as_nobody(jail)] {
        for variant in ["", " hi"] {
            let out = in_pty(&format!("{caller} -- {probe}{variant}"));
            assert!(out.contains("READ=[]"), "{caller} {variant:?}: {out:?}");
        }
    }
    // Without the filter's guard, the second layer holds: the command runs
    // in a new session, where the terminal is not its controlling one.
    let out = in_pty(&format!(
        "{jail} -user nobody --allow-tty-injection -- {probe}"
    ));
    assert!(out.contains("READ=[]"), "{out:?}");
}

#[test]
fn the_terminal_still_works_for_the_command() {
    needs_root!();
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: script(1) is not installed");
        return;
    }
    // termios ioctls (TCGETS) and the controlling terminal are untouched.
    let jail = common::bin();
    for caller in [format!("{jail} -user nobody"), as_nobody(jail)] {
        let out = in_pty(&format!(
            "{caller} -- sh -c \"tty; stty size >/dev/null && echo STTY-OK\""
        ));
        assert!(out.contains("/dev/pts/"), "{caller}: {out:?}");
        assert!(out.contains("STTY-OK"), "{caller}: {out:?}");
    }
}

/// A profile that allows `ioctl` under its own condition must not get to
/// answer TIOCSTI before the guard (first-match order of conditional rules).
#[test]
fn the_guard_beats_a_profiles_conditional_ioctl_allow() {
    needs_root!();
    let dir = common::scratch_dir();
    let profile = dir.join("ioctl-cond.json");
    // Everything but ioctl allowed; ioctl only for fds below 3.
    let others: Vec<&str> = policy::SyscallTable::names(bpf_asm::Arch::X86_64)
        .filter(|&n| n != "ioctl")
        .collect();
    let json = serde_json::json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 38,
        "syscalls": [
            {"names": others, "action": "SCMP_ACT_ALLOW"},
            {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_LT"}]}
        ]
    });
    std::fs::write(&profile, json.to_string()).unwrap();
    // ioctl(0, TIOCSTI, "") from python: EPERM with the guard, not the
    // terminal's own answer (ENOTTY here, stdin is not a terminal).
    let probe = "import fcntl, errno\ntry:\n  fcntl.ioctl(0, 0x5412, b'x')\n  print('allowed')\nexcept OSError as e:\n  print(errno.errorcode[e.errno])";
    let r = common::jail(&[
        "-user",
        "nobody",
        "--seccomp-profile",
        profile.to_str().unwrap(),
        "--",
        "python3",
        "-c",
        probe,
    ]);
    assert_eq!(r.stdout.trim(), "EPERM", "{r:?}");
}
