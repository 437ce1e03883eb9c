//! Nothing the command starts outlives go-jail (issue 12, findings 1 and 2):
//! go-jail stays as the command's parent, a child subreaper that kills and
//! reaps every leftover process when the command exits; `--keep-orphans`
//! opts out; with a terminal the command runs in a new session, so a
//! leftover cannot take the terminal over. Each attack is a small program
//! run as the jailed command, as root with `-user nobody` and as an
//! unprivileged caller (setpriv).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{needs_root, Marker, Run};

/// How go-jail is run: as root with `-user nobody`, or as nobody itself.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Root,
    Unprivileged,
}

const CALLERS: [Caller; 2] = [Caller::Root, Caller::Unprivileged];

/// `go-jail ARGS` as `caller` (root adds `-user nobody`).
fn jail_argv(caller: Caller, args: &[&str]) -> Vec<String> {
    let mut argv = vec![common::bin()];
    if let Caller::Root = caller {
        argv.extend(["-user", "nobody"]);
    }
    argv.extend(args);
    match caller {
        Caller::Root => argv.iter().map(|a| a.to_string()).collect(),
        Caller::Unprivileged => common::as_nobody(&argv),
    }
}

fn jail_as(caller: Caller, args: &[&str]) -> Run {
    let argv = jail_argv(caller, args);
    Run::new(Command::new(&argv[0]).args(&argv[1..]))
}

/// The report mode flags used with a filter that denies `mkdir`.
const REPORT: [&str; 3] = ["-q", "-syscall-deny=mkdir,mkdirat", "--report-denied"];

/// A shell command that leaves a process behind: a double fork into a new
/// session (as a daemon would), which writes its pid to `pidfile` at once
/// and touches `marker` after `delay` seconds; the command itself exits 0.
fn leave_behind(pidfile: &Marker, marker: &Marker, delay: &str) -> String {
    format!(
        "(setsid sh -c 'echo $$ > {p}; sleep {delay}; touch {m}' &); \
         while [ ! -s {p} ]; do sleep 0.01; done; exit 0",
        p = pidfile.path(),
        m = marker.path(),
    )
}

fn leftover_pid(pidfile: &Marker) -> u32 {
    let text = std::fs::read_to_string(pidfile.path()).expect("the leftover wrote its pid");
    text.trim().parse().unwrap()
}

fn is_alive(pid: u32) -> bool {
    // a zombie is gone for our purpose: it runs nothing
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| !r.starts_with(" Z")))
}

fn assert_nothing_outlives(caller: Caller, mode: &[&str]) {
    let (pidfile, marker) = (Marker::new(), Marker::new());
    let script = leave_behind(&pidfile, &marker, "1");
    let args = [mode, &["--", "sh", "-c", &script]].concat();
    let r = jail_as(caller, &args);
    r.assert_code(0);
    let pid = leftover_pid(&pidfile);
    assert!(
        !is_alive(pid),
        "{caller:?} {mode:?}: pid {pid} outlived go-jail"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!marker.exists(), "{caller:?} {mode:?}: the leftover ran on");
}

#[test]
fn leftover_processes_are_killed_when_the_command_exits() {
    needs_root!();
    for caller in CALLERS {
        assert_nothing_outlives(caller, &[]);
    }
}

#[test]
fn leftover_processes_are_killed_when_the_command_exits_in_report_mode() {
    needs_root!();
    for caller in CALLERS {
        assert_nothing_outlives(caller, &REPORT);
    }
}

#[test]
fn keep_orphans_lets_leftover_processes_run_on() {
    needs_root!();
    for caller in CALLERS {
        let (pidfile, marker) = (Marker::new(), Marker::new());
        let script = leave_behind(&pidfile, &marker, "0.2");
        jail_as(caller, &["--keep-orphans", "--", "sh", "-c", &script]).assert_code(0);
        let pid = leftover_pid(&pidfile);
        for _ in 0..100 {
            if marker.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(marker.exists(), "{caller:?}: pid {pid} did not run on");
    }
}

#[test]
fn exit_status_and_signal_death_are_passed_on() {
    needs_root!();
    for caller in CALLERS {
        for mode in [&[][..], &REPORT[..]] {
            let run = |script: &str| {
                let args = [mode, &["--", "sh", "-c", script]].concat();
                jail_as(caller, &args)
            };
            run("exit 42").assert_code(42);
            run("kill -TERM $$").assert_code(128 + 15);
            run("kill -KILL $$").assert_code(128 + 9);
            // a leftover does not change the status
            run("sleep 30 & exit 3").assert_code(3);
        }
    }
}

#[test]
fn signals_sent_to_go_jail_reach_the_command() {
    needs_root!();
    let script = "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.05; done";
    let mut child = Command::new(common::bin())
        .args(["-user", "nobody", "--", "sh", "-c", script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(status.code(), Some(9), "{rest:?}");
    assert_eq!(rest, "got-term\n");
}

#[test]
fn report_mode_with_keep_orphans_serves_the_last_jailed_process() {
    needs_root!();
    for caller in CALLERS {
        let (dir, result) = (Marker::new(), Marker::new());
        // the grandchild makes its denied call after the command exited
        let script = format!(
            "(sleep 0.5; mkdir {d}; echo $? > {r}) & exit 0",
            d = dir.path(),
            r = result.path()
        );
        let args = [&REPORT[..], &["--keep-orphans", "--", "sh", "-c", &script]].concat();
        let r = jail_as(caller, &args);
        r.assert_code(0);
        assert!(r.stderr.contains("denied mkdir"), "{caller:?}: {r:?}");
        assert!(!dir.exists(), "{caller:?}: the denied mkdir ran");
        let status = std::fs::read_to_string(result.path()).expect("the grandchild finished");
        assert_eq!(status.trim(), "1", "{caller:?}: mkdir failed with EPERM");
    }
}

/// `steal DELAY_MS`: forks; the command exits at once; its child waits,
/// then moves to its own process group and asks the terminal on stdin to
/// make that group the foreground one (`tcsetpgrp`, docs/threats.md S32), tries
/// TIOCSTI, and when it owns the terminal reads the next typed line.
fn steal_probe() -> Option<PathBuf> {
    common::build_c(
        "steal_terminal",
        r#"#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
static const char *res(int r) { return r == 0 ? "ok" : strerror(errno); }
int main(int argc, char **argv) {
  if (fork() != 0) return 0;
  usleep(atoi(argv[1]) * 1000);
  signal(SIGTTOU, SIG_IGN);
  setpgid(0, 0);
  printf("TCSETPGRP=%s\n", res(tcsetpgrp(0, getpgrp())));
  char c = ' ';
  printf("TIOCSTI=%s\n", res(ioctl(0, TIOCSTI, &c)));
  fflush(stdout);
  char line[256];
  alarm(5);
  if (tcgetpgrp(0) == getpgrp() && fgets(line, sizeof line, stdin))
    printf("STOLEN=[%s]\n", strtok(line, "\r\n"));
  return 0; }
"#,
    )
}

/// The user's shell in a pty runs go-jail, then reads the next line the
/// user types (`SHELL=[...]`) and stays (a session leader's exit would hang
/// up the terminal and end a thief early): what the terminal showed.
fn shell_after_go_jail(jail: &[String], probe: &str) -> Option<String> {
    let quoted: Vec<String> = jail.iter().map(|a| format!("'{a}'")).collect();
    let command = format!(
        "{} {probe} 300; echo \"JAIL=$?\"; sleep 1; read l; echo \"SHELL=[$l]\"; sleep 2",
        quoted.join(" ")
    );
    common::in_pty(&command, &[(1.6, "secret\n")], 8.0)
}

#[test]
fn a_leftover_cannot_take_the_terminal_after_go_jail_returns() {
    needs_root!();
    let Some(probe) = steal_probe() else { return };
    let probe = probe.to_str().unwrap();
    for caller in CALLERS {
        let jail = jail_argv(caller, &["--allow-tty-injection", "--"]);
        let Some(out) = shell_after_go_jail(&jail, probe) else {
            return;
        };
        // the attack ran (go-jail and the probe succeeded) and got nothing
        assert!(out.contains("JAIL=0"), "{caller:?}: {out}");
        assert!(!out.contains("STOLEN"), "{caller:?}: {out}");
        assert!(!out.contains("TCSETPGRP=ok"), "{caller:?}: {out}");
        assert!(out.contains("SHELL=[secret]"), "{caller:?}: {out}");
    }
}

#[test]
fn a_command_with_a_terminal_runs_in_a_new_session_without_it() {
    needs_root!();
    let Some(probe) = steal_probe() else { return };
    let probe = probe.to_str().unwrap();
    for caller in CALLERS {
        // the leftover survives (--keep-orphans) and the TTY guard is off:
        // only the new session stands between it and the terminal
        let jail = jail_argv(caller, &["--keep-orphans", "--allow-tty-injection", "--"]);
        let Some(out) = shell_after_go_jail(&jail, probe) else {
            return;
        };
        assert!(
            out.contains("TCSETPGRP=Inappropriate ioctl for device"),
            "{caller:?}: {out}"
        );
        assert!(
            out.contains("TIOCSTI=Operation not permitted"),
            "{caller:?}: {out}"
        );
        assert!(!out.contains("STOLEN"), "{caller:?}: {out}");
    }
}

#[test]
fn ctrl_c_on_the_terminal_reaches_the_command() {
    needs_root!();
    let script = "trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.05; done";
    for caller in CALLERS {
        let jail = jail_argv(caller, &["--", "sh", "-c", script]);
        let quoted: Vec<String> = jail.iter().map(|a| format!("\"{a}\"")).collect();
        // go-jail leads the pty's session, in its foreground group
        let command = format!("exec {}", quoted.join(" "));
        let Some(out) = common::in_pty(&command, &[(1.0, "\x03")], 8.0) else {
            return;
        };
        assert!(out.contains("got-int"), "{caller:?}: {out}");
        assert!(out.contains("STATUS=7"), "{caller:?}: {out}");
    }
}

/// The state letter of `/proc/PID/stat` (`R`, `S`, `T`, ...), as a shell line.
const STATE: &str = "st() { sed 's/.*) \\(.\\).*/\\1/' /proc/$1/stat; }";

#[test]
fn sigtstp_stops_the_command_and_sigcont_continues_it() {
    needs_root!();
    for caller in CALLERS {
        let pidfile = Marker::new();
        let inner = format!("echo $$ > {}; exec sleep 5", pidfile.path());
        let jail = jail_argv(caller, &["--", "sh", "-c", &inner]);
        let quoted: Vec<String> = jail.iter().map(|a| format!("'{a}'")).collect();
        // as a shell's job control would: SIGTSTP to go-jail, then SIGCONT
        let command = format!(
            "{STATE}; rm -f {p}; {} & J=$!; while [ ! -s {p} ]; do sleep 0.05; done; C=$(cat {p}); \
             kill -TSTP $J; sleep 0.3; echo \"STOPPED=$(st $C)$(st $J)\"; \
             kill -CONT $J; sleep 0.3; echo \"CONTINUED=$(st $C)$(st $J)\"; \
             kill -TERM $J; wait $J; echo \"JAIL=$?\"",
            quoted.join(" "),
            p = pidfile.path(),
        );
        let Some(out) = common::in_pty(&command, &[], 8.0) else {
            return;
        };
        // and without a terminal, where the command shares go-jail's group
        let plain = Run::new(Command::new("sh").args(["-c", &command]));
        for out in [out, plain.stdout] {
            assert!(out.contains("STOPPED=TT"), "{caller:?}: {out}");
            assert!(out.contains("CONTINUED=SS"), "{caller:?}: {out}");
            assert!(out.contains("JAIL=143"), "{caller:?}: {out}");
        }
    }
}
