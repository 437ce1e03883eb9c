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
/// result is not flaky (docs/threats.md S23).
fn in_pty(inner: &str) -> String {
    let script = format!(
        "sleep 3 | script -q -c '{inner} 2>/dev/null; read -t 1 l; echo \"READ=[$l]\"' /dev/null | tr -d '\\r'"
    );
    // script(1) runs its command with $SHELL; `read -t` needs bash, and
    // CI may have no $SHELL (then /bin/sh, dash, and the control fails).
    let r = Run::new(
        Command::new("sh")
            .env("SHELL", "/bin/bash")
            .args(["-c", &script]),
    );
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

/// Under a supervisor the TTY guard stays the kernel's: complain and learn
/// mode answer CONTINUE to every notification, so a guard turned into one
/// would type into the terminal (issue 12, item 8).
#[test]
fn the_guard_holds_under_complain_and_learn() {
    needs_root!();
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: script(1) is not installed");
        return;
    }
    let Some(probe) = tiocsti_probe() else { return };
    let probe = probe.display();
    let control = in_pty(&format!("{probe}"));
    if !control.contains("READ=[id # INJECTED]") {
        eprintln!("skipping: TIOCSTI is not available on this kernel ({control:?})");
        return;
    }
    let jail = common::bin();
    let learned = common::scratch_dir().join(format!("tty-learn-{}", std::process::id()));
    let learn = format!("learn -o {}", learned.display());
    // (--report-denied: see the errno test below)
    for (before, after) in [("", "--complain"), (learn.as_str(), "")] {
        let out = in_pty(&format!("{jail} {before} -user nobody {after} -- {probe}"));
        assert!(out.contains("READ=[]"), "{before} {after}: {out:?}");
    }
    // --allow-tty-injection lifts the filter's guard, but the command runs
    // in a new session, without the terminal: still nothing injected
    let out = in_pty(&format!(
        "{jail} -user nobody --complain --allow-tty-injection -- {probe}"
    ));
    assert!(out.contains("READ=[]"), "{out:?}");
}

/// The same through the errno: EPERM from the guard, not the terminal's
/// ENOTTY (stdin is not a terminal), and not a notification.
#[test]
fn the_guard_answers_eperm_under_complain_and_learn() {
    needs_root!();
    let probe = "import fcntl, errno\ntry:\n  fcntl.ioctl(0, 0x5412, b'x')\n  print('allowed')\nexcept OSError as e:\n  print(errno.errorcode[e.errno])";
    let learned = common::scratch_dir().join(format!("tty-errno-{}", std::process::id()));
    let learned = learned.to_str().unwrap();
    let run = |before: &[&str], after: &[&str]| {
        let args = [
            before,
            &["-user", "nobody", "-q"],
            after,
            &["--", "python3", "-c", probe],
        ];
        common::jail(&args.concat())
    };
    for (before, after) in [
        (&[][..], &["--complain"][..]),
        (&[], &["--report-denied", "-syscall-deny=ptrace"]),
        (&["learn", "-o", learned], &[]),
    ] {
        let r = run(before, after);
        assert_eq!(r.stdout.trim(), "EPERM", "{before:?} {after:?}: {r:?}");
        let r = run(before, &[after, &["--allow-tty-injection"]].concat());
        assert_eq!(r.stdout.trim(), "ENOTTY", "{before:?} {after:?}: {r:?}");
    }
}

/// `compile` output means exactly the policy unless `--tty-guard` adds the
/// run mode's guard: shown by `--dump`, and by the kernel.
#[test]
fn compile_adds_the_guard_only_with_tty_guard() {
    let compiled = |extra: &[&str]| {
        let out = common::scratch_dir().join(format!(
            "tty-guard-{}-{}.bpf",
            std::process::id(),
            extra.len()
        ));
        let o = out.to_str().unwrap();
        let args = [&["compile", "-q", "-syscall-deny=ptrace"][..], extra];
        let dump =
            common::jail(&[&args.concat()[..], &["--dump", "--format", "raw", "-o", o]].concat());
        dump.assert_code(0);
        let insns = runner::SockFilter::from_raw_program(&std::fs::read(&out).unwrap());
        (dump.stderr + &dump.stdout, insns)
    };
    let (plain_dump, plain) = compiled(&[]);
    let (guard_dump, guarded) = compiled(&["--tty-guard"]);
    assert!(!plain_dump.contains("0x5412"), "{plain_dump}");
    assert!(guard_dump.contains("; guard (--tty-guard)"), "{guard_dump}");
    assert!(guard_dump.contains("jeq #0x5412"), "{guard_dump}");
    // ioctl(-1, TIOCSTI / TIOCLINUX / TIOCSTI with high bits, 0)
    let ioctl = |req: u64| runner::probe::Call::with_args(16, [u64::MAX, req, 0, 0, 0, 0]);
    let calls = [
        ioctl(0x5412),
        ioctl(0x541c),
        ioctl(0x1_0000_5412),
        ioctl(0x5401),
    ];
    let (eperm, ebadf) = (-1, -9);
    let g = runner::probe::run_filtered(&guarded, &calls).unwrap();
    assert_eq!(g.results, [eperm, eperm, eperm, ebadf], "{g:?}");
    let p = runner::probe::run_filtered(&plain, &calls).unwrap();
    assert_eq!(p.results, [ebadf; 4], "{p:?}");
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
