//! `--report-denied` and `--complain`: go-jail supervises COMMAND through
//! seccomp user notifications, reports what the policy denies, and leaves
//! COMMAND's behaviour (errno, kill, exit status) as it would be without it.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{jail, needs_root, Run};

fn report_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("go-jail: denied ") || l.starts_with("go-jail: would deny "))
        .collect()
}

#[test]
fn report_names_the_denied_call_and_keeps_errno_and_status() {
    needs_root!();
    let dir = common::scratch_dir().join(format!("report-{}", std::process::id()));
    let _ = std::fs::remove_dir(&dir);
    let path = dir.to_str().unwrap();
    let base = ["-user", "nobody", "-q", "-syscall-deny=mkdir,mkdirat"];
    let plain = jail(&[&base[..], &["--", "mkdir", path]].concat());
    let reported = jail(&[&base[..], &["--report-denied", "--", "mkdir", path]].concat());
    assert_eq!(plain.code(), Some(1), "{plain:?}");
    assert_eq!(reported.code(), plain.code(), "{reported:?}");
    assert!(
        reported.stderr.contains("Operation not permitted"),
        "{reported:?}"
    );
    let lines = report_lines(&reported.stderr);
    assert_eq!(lines.len(), 1, "{reported:?}");
    let line = lines[0];
    assert!(
        line.starts_with(&format!(
            "go-jail: denied mkdir(\"{path}\", 511) -> EPERM (pid "
        )),
        "{line}"
    );
    assert!(report_lines(&plain.stderr).is_empty(), "{plain:?}");
    assert!(!dir.exists());
}

#[test]
fn report_uses_the_policys_errno() {
    needs_root!();
    let r = jail(&[
        "-user",
        "nobody",
        "-q",
        "-syscall-deny=mkdir,mkdirat",
        "-errno=EACCES",
        "--report-denied",
        "--",
        "mkdir",
        "/nonexistent-dir/x",
    ]);
    r.assert_code(1);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    assert!(
        r.stderr
            .contains("go-jail: denied mkdir(\"/nonexistent-dir/x\", 511) -> EACCES"),
        "{r:?}"
    );
}

#[test]
fn report_once_by_default_and_every_call_with_all() {
    needs_root!();
    let args = |mode: &str| {
        jail(&[
            "-user",
            "nobody",
            "-q",
            "-syscall-deny=openat",
            mode,
            "--",
            "cat",
            "/etc/hostname",
        ])
    };
    let once = args("--report-denied");
    let all = args("--report-denied=all");
    assert_eq!(once.code(), Some(127), "{once:?}");
    assert_eq!(all.code(), Some(127), "{all:?}");
    assert_eq!(report_lines(&once.stderr).len(), 1, "{once:?}");
    let every = report_lines(&all.stderr);
    assert!(every.len() > 1, "{all:?}");
    assert!(
        every.iter().all(|l| l.contains("denied openat(-100, \"")),
        "{all:?}"
    );
}

#[test]
fn kill_action_is_reported_and_exits_like_a_seccomp_kill() {
    needs_root!();
    // an x32 syscall: killed unless x32 is a target arch
    let script = "import ctypes; ctypes.CDLL(None).syscall(0x40000000 + 39); print('alive')";
    let base = ["-user", "nobody", "-q", "-syscall-deny=ptrace"];
    let plain = jail(&[&base[..], &["--", "/usr/bin/python3", "-c", script]].concat());
    // go-jail, the command's parent, exits 128 + SIGSYS for the kernel's kill
    plain.assert_code(128 + 31);
    let r = jail(
        &[
            &base[..],
            &["--report-denied", "--", "/usr/bin/python3", "-c", script],
        ]
        .concat(),
    );
    r.assert_code(128 + 31);
    assert!(!r.stdout.contains("alive"), "{r:?}");
    let lines = report_lines(&r.stderr);
    assert_eq!(lines.len(), 1, "{r:?}");
    assert!(lines[0].contains("-> killed (KILL_PROCESS)"), "{r:?}");
}

#[test]
fn complain_lets_a_short_allow_list_succeed_and_names_what_it_needed() {
    needs_root!();
    let base = ["-user", "nobody", "-q", "-syscall-allow=execve,write"];
    let enforced = jail(&[&base[..], &["--", "echo", "hi"]].concat());
    assert_ne!(enforced.code(), Some(0), "{enforced:?}");
    let r = jail(&[&base[..], &["--complain", "--", "echo", "hi"]].concat());
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
    let lines = report_lines(&r.stderr);
    for needed in ["brk(", "mmap(", "openat(", "exit_group("] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("go-jail: would deny {needed}"))),
            "{needed} missing: {r:?}"
        );
    }
    assert!(!lines.iter().any(|l| l.contains(" write(")), "{r:?}");
}

#[test]
fn exit_status_and_stdout_pass_through() {
    needs_root!();
    let r = jail(&[
        "-user",
        "nobody",
        "-q",
        "-syscall-deny=mkdir",
        "--report-denied",
        "--",
        "sh",
        "-c",
        "echo out; exit 7",
    ]);
    r.assert_code(7);
    assert_eq!(r.stdout, "out\n");
    assert!(report_lines(&r.stderr).is_empty(), "{r:?}");
}

#[test]
fn signals_are_forwarded_and_the_status_is_128_plus_n() {
    needs_root!();
    let child = Command::new(common::bin())
        .args([
            "-user",
            "nobody",
            "-q",
            "-syscall-deny=mkdir",
            "--report-denied",
            "--",
            "sleep",
            "30",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // wait until the supervisor runs with its reduced capabilities
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        if common::status_field(&status, "CapEff") == "0000000000080024" {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "supervisor never dropped caps: {status}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(common::status_field(&status, "CapBnd"), "0000000000080024");
    assert_eq!(common::status_field(&status, "NoNewPrivs"), "1");
    std::thread::sleep(Duration::from_millis(100));
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(128 + 15), "{out:?}");
}

#[test]
fn report_evaluates_a_profiles_caps_like_the_plain_run() {
    needs_root!();
    // nobody may create a user namespace here at all?
    let plain = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "unshare",
            "-U",
            "true",
        ])
        .status();
    if !plain.map(|s| s.success()).unwrap_or(false) {
        eprintln!("skipping: nobody cannot create a user namespace on this host");
        return;
    }
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/docker-default.json"
    );
    let run = |extra: &[&str]| {
        let profile_flag = format!("--seccomp-profile={profile}");
        let base = ["-user", "nobody", "-q", profile_flag.as_str()];
        jail(&[&base[..], extra, &["--", "unshare", "-U", "true"]].concat())
    };
    // Docker grants unshare only with CAP_SYS_ADMIN (an `includes.caps` entry)
    for report in [&[][..], &["--report-denied"][..]] {
        let with_cap = run(&[&["-caps=CAP_SYS_ADMIN"][..], report].concat());
        with_cap.assert_code(0);
        assert!(report_lines(&with_cap.stderr).is_empty(), "{with_cap:?}");
        let without = run(report);
        without.assert_code(1);
        assert!(
            without.stderr.contains("Operation not permitted"),
            "{without:?}"
        );
        if !report.is_empty() {
            let lines = report_lines(&without.stderr);
            assert_eq!(lines.len(), 1, "{without:?}");
            assert!(
                lines[0].starts_with("go-jail: denied unshare(0x10000000) -> EPERM (pid "),
                "{without:?}"
            );
        }
    }
}

/// `--complain` enforces nothing, so it runs even a list that could not
/// start COMMAND, and names every call the list would have denied:
/// `execve` and the dynamic loader's calls included (#16).
#[test]
fn complain_runs_a_list_without_execve_and_names_execve() {
    needs_root!();
    let base = ["-user", "nobody", "-syscall-allow=exit_group"];
    let enforced = jail(&[&base[..], &["--", "/bin/echo", "hi"]].concat());
    enforced.assert_code(125);
    assert!(enforced.stderr.contains("lacks execve"), "{enforced:?}");
    let r = jail(&[&base[..], &["--complain", "--", "/bin/echo", "hi"]].concat());
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
    let lines = report_lines(&r.stderr);
    for needed in ["execve(", "brk(", "mmap(", "openat(", "write("] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("go-jail: would deny {needed}"))),
            "{needed} missing: {r:?}"
        );
    }
    assert!(!lines.iter().any(|l| l.contains(" exit_group(")), "{r:?}");
}

/// The start gate of the supervisor modes: the command runs only after its
/// supervisor confined itself, so it never reads a full capability set in
/// `/proc/PPID/status`. strace delays the supervisor's `capset` by 300 ms
/// (`-e inject=capset:delay_enter=`, tracing go-jail only, not its child),
/// which before the gate (runner::listener, step 5) let every run of the
/// command see CapEff 000001fffeffffff; under load it happened by itself in
/// about 2 runs of 1,000. The plain run mode's parent (its own gate,
/// `runner::reaper::Jailed::start`) is checked the same way: it keeps only
/// CAP_KILL. Each with and without `--pty` where the mode has both.
#[test]
fn the_command_never_sees_its_supervisor_before_its_confinement() {
    needs_root!();
    if !strace_installed() {
        return;
    }
    let probe = "grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs):' /proc/$PPID/status";
    let report: &[&str] = &["-syscall-deny=mkdir", "--report-denied"];
    let report_pty: &[&str] = &["-syscall-deny=mkdir", "--report-denied", "--pty"];
    let modes: [(&[&str], &str); 6] = [
        (report, "0000000000080024"),
        (report_pty, "0000000000080024"),
        (&["-syscall-deny=mkdir", "--complain"], "0000000000080024"),
        (&["learn", "-o", "/dev/null"], "0000000000080024"),
        (&["-syscall-deny=mkdir"], "0000000000000020"),
        (&["-syscall-deny=mkdir", "--pty"], "0000000000000020"),
    ];
    for (mode, caps) in modes {
        let mut args: Vec<&str> = vec![
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "trace=capset",
            "-e",
            "inject=capset:delay_enter=300000",
            common::bin(),
        ];
        let (learn, rest) = match mode.first() {
            Some(&"learn") => (true, &mode[1..]),
            _ => (false, mode),
        };
        if learn {
            args.push("learn");
        }
        args.extend(["-user", "nobody", "-q"]);
        args.extend(rest);
        args.extend(["--", "sh", "-c", probe]);
        let r = Run::new(Command::new("strace").args(&args));
        r.assert_code(0);
        for (field, want) in [
            ("CapPrm", caps),
            ("CapEff", caps),
            ("CapBnd", caps),
            ("NoNewPrivs", "1"),
        ] {
            assert_eq!(
                common::status_field(&r.stdout, field),
                want,
                "{field} of the parent as its command saw it, {mode:?}: {r:?}"
            );
        }
    }
}

/// A report line never blocks the supervisor, even when the command fills
/// the stderr pipe they share between the supervisor's `poll` (room) and
/// its `write`. strace delays every `ppoll` of go-jail by 250 ms on its
/// way out; the command's background writer fills the pipe (whole 4 KiB
/// pages, so no line merges into a page) in that window, and nobody reads
/// the pipe until go-jail exits. Before `RWF_NOWAIT` (report::Outbox) the
/// supervisor blocked in `write` for good: the denied `mkdir` was never
/// answered and go-jail never exited.
#[test]
fn a_report_line_never_blocks_the_supervisor_on_a_pipe_the_command_filled() {
    use std::os::unix::process::CommandExt as _;
    needs_root!();
    if !strace_installed() {
        return;
    }
    let command = "(sleep 0.35; while :; do printf %04096d 0 >&2; done) & f=$!; \
                   mkdir /nonexistent-outbox 2>/dev/null; kill $f; exit 3";
    let mut child = Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "-e", "trace=ppoll"])
        .args(["-e", "inject=ppoll:delay_exit=250000", common::bin()])
        .args(["-user", "nobody", "-q", "-syscall-deny=mkdir"])
        .args(["--report-denied", "--", "sh", "-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped()) // read by nobody until go-jail exits
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            panic!("the supervisor blocked writing a report line to a full pipe");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(3), "{status:?}");
}

/// Whether strace runs here; says so when it does not (the test skips).
fn strace_installed() -> bool {
    let installed = Command::new("strace").arg("-V").output().is_ok();
    if !installed {
        eprintln!("skipped: strace is not installed (apt-get install strace)");
    }
    installed
}

/// The command stops the output of the terminal it shares with the
/// supervisor (`tcflow(TCOOFF)`, which the command may do on a terminal that
/// is not its controlling one), turns it on just long enough for the
/// supervisor's `poll` to see room, and off again before its `write`. A
/// blocking write then stalled the supervisor for good: the denied call was
/// never answered, signals were not forwarded and leftovers not killed.
/// Found by an attacker review (S41) with random on/off pulses under load;
/// here strace holds every `ppoll` of go-jail 250 ms on its way out, so the
/// output is off again when the write comes. The supervisor now writes to a
/// terminal through its own `O_NONBLOCK` description.
const TTY_STALL: &str = r#"
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
static atomic_int done;
static void *deny(void *a) { syscall(SYS_getpid); atomic_store(&done, 1); return a; }
int main(int argc, char **argv) {
  if (argc < 2 || !isatty(2)) return 2;
  ioctl(2, TCXONC, TCOOFF);
  syscall(SYS_getpid);                 /* its report line waits: output is off */
  ioctl(2, TCXONC, TCOON);             /* the supervisor's poll sees room... */
  usleep(100000);
  ioctl(2, TCXONC, TCOOFF);            /* ...and its write comes after this */
  pthread_t t; pthread_create(&t, 0, deny, 0);
  int answered = 0;
  for (int i = 0; i < 5000 && !answered; i++) { usleep(1000); answered = atomic_load(&done); }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0666);
  dprintf(fd, "answered %d\n", answered);
  close(fd);
  _exit(0);                            /* output left off */
}
"#;

#[test]
fn a_command_stopping_the_shared_terminal_never_stalls_the_supervisor() {
    needs_root!();
    if !strace_installed() {
        return;
    }
    let Some(probe) = common::build_c("tty_stall", TTY_STALL) else {
        return;
    };
    let dir = common::scratch_dir();
    common::chmod(&dir, 0o777);
    let log = dir.join("tty_stall.log");
    let _ = std::fs::remove_file(&log);
    let command = format!(
        "exec strace -qq -o /dev/null -e trace=ppoll -e inject=ppoll:delay_exit=250000 \
         {} -user nobody -q --report-denied=all -syscall-deny=getpid -- {} {}",
        common::bin(),
        probe.display(),
        log.display()
    );
    let Some(out) = common::in_pty(&command, &[], 30.0) else {
        return;
    };
    let answered = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        answered.trim(),
        "answered 1",
        "the denied call went unanswered: {out}"
    );
    assert!(out.ends_with("STATUS=0\n"), "go-jail did not exit: {out}");
}

/// A supervisor held up past the child's wait at the start gate (strace
/// delays its `capset` by 120 s; the child gives up after `SPIN_LIMIT`
/// rounds, about a minute) fails closed with one line and 125, not a
/// silent 132 (the child's SIGILL). Found by an attacker review. Slow:
/// `.ci/run` runs it (`--ignored`).
#[test]
#[ignore = "takes two minutes; .ci/run runs it"]
fn a_supervisor_too_slow_for_the_start_gate_says_so_and_fails_closed() {
    needs_root!();
    if !strace_installed() {
        return;
    }
    let r = Run::new(
        Command::new("strace")
            .args(["-qq", "-o", "/dev/null", "-e", "trace=capset"])
            .args(["-e", "inject=capset:delay_enter=120000000", common::bin()])
            .args(["-user", "nobody", "--report-denied", "-syscall-deny=mkdir"])
            .args(["--", "/bin/echo", "ran"]),
    );
    r.assert_code(125);
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("start gate"), "{r:?}");
}
