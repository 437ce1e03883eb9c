//! `--pty`: the command gets a private pseudo-terminal that go-jail relays.
//! Each test drives go-jail from a real terminal made by script(1), types
//! into it through script's stdin, and reads what the session printed.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{needs_root, Marker, Run};

/// A python program for the jailed command, in a file anyone can read.
fn program(name: &str, source: &str) -> PathBuf {
    let path = common::scratch_dir().join(name);
    std::fs::write(&path, source).unwrap();
    path
}

fn have_script() -> bool {
    let ok = Command::new("script").arg("--version").output().is_ok();
    if !ok {
        eprintln!("skipping: script(1) is not installed");
    }
    ok
}

/// The callers to test: root, and uid 65534 when go-jail runs at all for
/// a non-root caller (it refuses today: it cannot drop the bounding set
/// without CAP_SETPCAP); the flag is `-user nobody` for root.
fn callers() -> Vec<(bool, &'static str)> {
    let plain = Run::new(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .args([common::bin(), "--", "true"]),
    );
    if plain.code() == Some(0) {
        vec![(false, "-user nobody"), (true, "")]
    } else {
        eprintln!(
            "skipping the unprivileged caller: go-jail does not run for uid 65534 here ({})",
            plain.stderr.trim()
        );
        vec![(false, "-user nobody")]
    }
}

/// Runs the shell command line `inner` in a new terminal made by script(1),
/// as root or (`unprivileged`) as uid 65534 through setpriv; `typing` is a
/// shell snippet whose output is what is typed into that terminal. Returns
/// what the session printed, without carriage returns.
fn in_terminal(typing: &str, inner: &str, unprivileged: bool) -> String {
    let caller = if unprivileged {
        "setpriv --reuid=65534 --regid=65534 --clear-groups --"
    } else {
        ""
    };
    let pipeline =
        format!("( eval \"$1\" ) | timeout 30 {caller} script -qec \"$2\" /dev/null | tr -d '\\r'");
    // script(1) runs its command with $SHELL; the tests' commands use
    // bash's `read -t`, and CI may have no $SHELL (then /bin/sh, dash).
    let r = Run::new(
        Command::new("sh")
            .env("SHELL", "/bin/bash")
            .args(["-c", &pipeline, "sh", typing, inner]),
    );
    r.stdout
}

/// The value after `KEY=` on the line that starts with it.
fn field<'a>(out: &'a str, key: &str) -> Option<&'a str> {
    let prefix = format!("{key}=");
    out.lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix.as_str()))
        .map(str::trim_end)
}

const RAW: &str = r#"import os, tty
tty.setraw(0)
b = os.read(0, 1)
os.write(1, b"GOT=%r\nTTY=%s\nLEADER=%s\n" % (b, os.ttyname(0).encode(), str(os.getsid(0) == os.getpid()).encode()))
"#;

#[test]
fn raw_mode_works_inside_and_the_terminal_is_restored_after() {
    needs_root!();
    if !have_script() {
        return;
    }
    let raw = program("pty-raw.py", RAW);
    let jail = common::bin();
    for (unprivileged, user) in callers() {
        let inner = format!(
            "echo BEFORE=$(stty -g); echo OUTER=$(tty); {jail} --pty {user} -- python3 {}; echo RC=$?; echo AFTER=$(stty -g)",
            raw.display()
        );
        // one byte, no newline: it reaches the command only if both the
        // caller's terminal and the pty are raw
        let out = in_terminal("sleep 1; printf x", &inner, unprivileged);
        assert_eq!(field(&out, "GOT"), Some("b'x'"), "{out}");
        assert_eq!(field(&out, "RC"), Some("0"), "{out}");
        assert_eq!(field(&out, "LEADER"), Some("True"), "{out}");
        let (tty, outer) = (field(&out, "TTY"), field(&out, "OUTER"));
        assert!(tty.is_some_and(|t| t.starts_with("/dev/pts/")), "{out}");
        assert_ne!(tty, outer, "the command must have its own terminal: {out}");
        assert!(field(&out, "BEFORE").is_some(), "{out}");
        assert_eq!(field(&out, "BEFORE"), field(&out, "AFTER"), "{out}");
    }
}

#[test]
fn the_terminal_is_restored_when_go_jail_is_signalled() {
    needs_root!();
    if !have_script() {
        return;
    }
    let jail = common::bin();
    for signal in ["TERM", "HUP"] {
        // go-jail in the background, but on the terminal (explicit </dev/tty)
        let inner = format!(
            "echo BEFORE=$(stty -g); {jail} --pty -user nobody -- sleep 20 </dev/tty & sleep 1; echo MID=$(stty -g); kill -{signal} $!; wait $!; echo RC=$?; echo AFTER=$(stty -g)"
        );
        let out = in_terminal("sleep 4", &inner, false);
        let before = field(&out, "BEFORE");
        assert!(before.is_some(), "{out}");
        assert_ne!(before, field(&out, "MID"), "raw mode while it runs: {out}");
        assert_eq!(before, field(&out, "AFTER"), "{signal}: {out}");
        // forwarded to the command, which died of it
        let code = if signal == "TERM" { "143" } else { "129" };
        assert_eq!(field(&out, "RC"), Some(code), "{signal}: {out}");
    }
}

const SIGINT: &str = r#"import signal, sys, time
def on_int(*_):
    print("GOT-SIGINT", flush=True)
    sys.exit(3)
signal.signal(signal.SIGINT, on_int)
print("READY", flush=True)
time.sleep(15)
print("NO-SIGNAL", flush=True)
"#;

#[test]
fn ctrl_c_reaches_the_command_through_the_pty() {
    needs_root!();
    if !have_script() {
        return;
    }
    let prog = program("pty-sigint.py", SIGINT);
    let jail = common::bin();
    for (unprivileged, user) in callers() {
        let inner = format!(
            "{jail} --pty {user} -- python3 {}; echo RC=$?",
            prog.display()
        );
        // late enough for python to have its handler under load
        let out = in_terminal("sleep 3; printf '\\003'", &inner, unprivileged);
        assert!(out.contains("GOT-SIGINT"), "{out}");
        assert_eq!(field(&out, "RC"), Some("3"), "{out}");
    }
}

const WINSIZE: &str = r#"import fcntl, signal, struct, termios, time
def size():
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(0, termios.TIOCGWINSZ, bytes(8)))
    return "%dx%d" % (rows, cols)
got = []
signal.signal(signal.SIGWINCH, lambda *_: got.append(1))
print("SIZE1=" + size(), flush=True)
start = time.time()
while not got and time.time() - start < 10:
    time.sleep(0.05)
print("SIZE2=" + size(), flush=True)
print("WINCH=" + str(bool(got)), flush=True)
"#;

#[test]
fn the_command_sees_the_window_size_and_its_changes() {
    needs_root!();
    if !have_script() {
        return;
    }
    let prog = program("pty-winsize.py", WINSIZE);
    let jail = common::bin();
    for (unprivileged, user) in callers() {
        let inner = format!(
            "stty rows 33 cols 77; (sleep 3; stty rows 40 cols 100 </dev/tty) & {jail} --pty {user} -- python3 {}",
            prog.display()
        );
        let out = in_terminal("sleep 6", &inner, unprivileged);
        assert_eq!(field(&out, "SIZE1"), Some("33x77"), "{out}");
        assert_eq!(field(&out, "SIZE2"), Some("40x100"), "{out}");
        assert_eq!(field(&out, "WINCH"), Some("True"), "{out}");
    }
}

const TIOCSTI: &str = r#"import fcntl, termios
ok = 0
for c in b"id # INJECTED\n":
    try:
        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
        ok += 1
    except OSError:
        pass
print("INJECTED=%d" % ok, flush=True)
"#;

/// With the TTY guard off, TIOCSTI works, but on the private pty: the
/// line never reaches the shell that ran go-jail.
#[test]
fn injected_input_stays_in_the_private_pty() {
    needs_root!();
    if !have_script() {
        return;
    }
    let prog = program("pty-tiocsti.py", TIOCSTI);
    let read = "read -t 2 l; echo \"READ=[$l]\"";
    // Control: run directly, the injection reaches the shell's next read.
    let control = in_terminal(
        "sleep 4",
        &format!("python3 {}; {read}", prog.display()),
        false,
    );
    if field(&control, "READ") != Some("[id # INJECTED]") {
        eprintln!("skipping: TIOCSTI is not available on this kernel ({control:?})");
        return;
    }
    let jail = common::bin();
    let inner = format!(
        "{jail} --pty -user nobody --allow-tty-injection -- python3 {}; {read}",
        prog.display()
    );
    let out = in_terminal("sleep 4", &inner, false);
    assert_eq!(field(&out, "INJECTED"), Some("14"), "{out}");
    assert_eq!(field(&out, "READ"), Some("[]"), "{out}");
}

const CAPTURE: &str = r#"import os, select, signal, sys, time
marker = sys.argv[1]
if os.fork() > 0:
    sys.exit(0)  # the command ends at once; its child stays behind
for s in (signal.SIGHUP, signal.SIGTTOU, signal.SIGTTIN):
    signal.signal(s, signal.SIG_IGN)
time.sleep(1)
notes = []
try:
    fd = os.open("/dev/tty", os.O_RDWR)
except OSError as e:
    fd = 0
    notes.append("open /dev/tty: " + e.strerror)
try:
    os.setpgid(0, 0)
except OSError as e:
    notes.append("setpgid: " + e.strerror)
try:
    os.tcsetpgrp(fd, os.getpgrp())
    notes.append("tcsetpgrp ok")
except OSError as e:
    notes.append("tcsetpgrp: " + e.strerror)
if select.select([fd], [], [], 5)[0]:
    try:
        notes.append("read=" + os.read(fd, 100).decode(errors="replace"))
    except OSError as e:
        notes.append("read: " + e.strerror)
with open(marker, "w") as f:
    f.write("\n".join(notes))
"#;

/// The capture of issue 12: a process left behind by the command takes the
/// terminal's foreground and reads the next line the user types. Under
/// --pty its terminal is the private pty, hung up when go-jail exits; the
/// line goes to the user's shell.
#[test]
fn a_leftover_process_cannot_capture_the_next_typed_line() {
    needs_root!();
    if !have_script() {
        return;
    }
    let prog = program("pty-capture.py", CAPTURE);
    let marker = Marker::new();
    let jail = common::bin();
    let inner = format!(
        "{jail} --pty -user nobody -- python3 {} {}; read -t 6 l; echo \"SHELL-READ=[$l]\"",
        prog.display(),
        marker.path()
    );
    let out = in_terminal("sleep 3; printf 'SECRET\\n'; sleep 4", &inner, false);
    assert_eq!(field(&out, "SHELL-READ"), Some("[SECRET]"), "{out}");
    // the leftover writes what it got (if it still lives) within 6 s
    let start = Instant::now();
    while !marker.exists() && start.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let notes = std::fs::read_to_string(marker.path()).unwrap_or_default();
    assert!(!notes.contains("SECRET"), "captured: {notes}");
    assert!(!notes.contains("tcsetpgrp ok"), "took a terminal: {notes}");
}

/// The number of go-jail's pty master while it runs `sleep` under --pty
/// (the same in the next run from this process: go-jail opens it first).
fn master_number() -> String {
    let mut child = Command::new(common::bin())
        .args(["--pty", "-user", "nobody", "--", "sleep", "3"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let fds = format!("/proc/{}/fd", child.id());
    let start = Instant::now();
    let mut found = None;
    while found.is_none() && start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(10));
        found = std::fs::read_dir(&fds).ok().and_then(|dir| {
            dir.flatten()
                .find(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.ends_with("ptmx")))
                .map(|e| e.file_name().to_string_lossy().into_owned())
        });
    }
    let _ = child.kill();
    let _ = child.wait();
    found.expect("go-jail --pty holds /dev/ptmx")
}

/// The master never reaches the command: not by inheritance, and not by
/// `--keep-fd` of its number, which fails (that fd was not open in the
/// caller).
#[test]
fn the_pty_master_does_not_leak_into_the_jail() {
    needs_root!();
    let r = common::jail(&[
        "--pty",
        "-user",
        "nobody",
        "--",
        "ls",
        "-l",
        "/proc/self/fd/",
    ]);
    r.assert_code(0);
    assert!(r.stdout.contains("/dev/pts/"), "{r:?}");
    assert!(!r.stdout.contains("ptmx"), "{r:?}");
    let master = master_number();
    let r = common::jail(&[
        "--pty",
        "-user",
        "nobody",
        "--keep-fd",
        &master,
        "--",
        "ls",
        "-l",
        "/proc/self/fd/",
    ]);
    assert!(!r.stdout.contains("ptmx"), "{r:?}");
    r.assert_code(125);
    let message = format!("keep fd {master}: Bad file descriptor");
    assert!(r.stdout.contains(&message), "{r:?}");
}

/// Without a terminal on go-jail's side the relay still works: no raw
/// mode, and the end of stdin ends the command's input.
#[test]
fn piped_input_reaches_the_command_and_its_end_ends_it() {
    needs_root!();
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "printf 'one\\ntwo' | timeout 20 \"$0\" --pty -user nobody -- cat; rc=$?; echo; echo RC=$rc",
        common::bin(),
    ]);
    let r = Run::new(&mut cmd);
    let out = r.stdout.replace('\r', "");
    assert_eq!(field(&out, "RC"), Some("0"), "{r:?}");
    assert!(out.contains("one\n"), "{r:?}");
    assert!(out.contains("two"), "{r:?}");
}

#[test]
fn go_jail_exits_with_the_commands_status() {
    needs_root!();
    let r = common::jail(&["--pty", "-user", "nobody", "--", "sh", "-c", "exit 7"]);
    r.assert_code(7);
    let r = common::jail(&[
        "--pty",
        "-user",
        "nobody",
        "--",
        "sh",
        "-c",
        "kill -TERM $$",
    ]);
    r.assert_code(128 + 15);
    let r = common::jail(&["--pty", "-user", "nobody", "--", "/nonexistent"]);
    r.assert_code(127);
    assert!(r.stdout.contains("execve /nonexistent"), "{r:?}");
}

const REPORTED: &str = r#"import os, signal, sys, time, tty
try:
    os.mkdir("/tmp/go-jail-pty-report")
    print("MKDIR=made", flush=True)
except OSError as e:
    print("MKDIR=" + e.strerror, flush=True)
old = tty.tcgetattr(0)
tty.setraw(0)
b = os.read(0, 1)
tty.tcsetattr(0, tty.TCSANOW, old)
print("GOT=%r" % b, flush=True)
def on_int(*_):
    print("GOT-SIGINT", flush=True)
    sys.exit(4)
signal.signal(signal.SIGINT, on_int)
time.sleep(15)
"#;

/// `--report-denied` supervises and relays at once: the denial is enforced
/// and reported, raw mode and Ctrl-C work, the terminal is restored.
#[test]
fn report_mode_composes_with_pty() {
    needs_root!();
    if !have_script() {
        return;
    }
    let prog = program("pty-report.py", REPORTED);
    let jail = common::bin();
    let inner = format!(
        "echo BEFORE=$(stty -g); {jail} --pty -user nobody -q --report-denied -syscall-deny=mkdir -- python3 {}; echo RC=$?; echo AFTER=$(stty -g)",
        prog.display()
    );
    let out = in_terminal("sleep 2; printf x; sleep 1; printf '\\003'", &inner, false);
    assert!(
        out.contains("go-jail: denied mkdir(\"/tmp/go-jail-pty-report\""),
        "{out}"
    );
    assert_eq!(
        field(&out, "MKDIR"),
        Some("Operation not permitted"),
        "{out}"
    );
    assert_eq!(field(&out, "GOT"), Some("b'x'"), "{out}");
    assert!(out.contains("GOT-SIGINT"), "{out}");
    assert_eq!(field(&out, "RC"), Some("4"), "{out}");
    assert!(field(&out, "BEFORE").is_some(), "{out}");
    assert_eq!(field(&out, "BEFORE"), field(&out, "AFTER"), "{out}");
}

/// While it relays, go-jail keeps only CAP_KILL (to forward signals to a
/// command of another uid), with no_new_privs, from before the command's
/// first instruction: the child waits at a start gate until the parent
/// has confined itself (`Jailed::start`). Without the gate the command
/// could read the parent's full capability set in /proc/PID/status (seen
/// in CI under load), so each mode is tried several times.
#[test]
fn the_relaying_parent_keeps_only_cap_kill() {
    needs_root!();
    let command = [
        "-user",
        "nobody",
        "--",
        "sh",
        "-c",
        "cat /proc/$PPID/status",
    ];
    for mode in ["--pty", "(plain)"] {
        for _ in 0..10 {
            let pty = (mode == "--pty").then_some(mode);
            let args: Vec<&str> = pty.into_iter().chain(command).collect();
            let r = common::jail(&args);
            r.assert_code(0);
            let s = r.stdout.replace('\r', "");
            for (field, want) in [
                ("CapEff", "0000000000000020"),
                ("CapPrm", "0000000000000020"),
                ("CapBnd", "0000000000000020"),
                ("NoNewPrivs", "1"),
            ] {
                assert_eq!(common::status_field(&s, field), want, "{mode} {field}: {s}");
            }
        }
    }
}

/// An interactive shell under --pty has job control: background jobs, and
/// Ctrl-Z stopping the foreground one.
#[test]
fn job_control_works_inside() {
    needs_root!();
    if !have_script() {
        return;
    }
    let jail = common::bin();
    let inner = format!("{jail} --pty -user nobody --reset-env -- bash --norc -i 2>&1; echo RC=$?");
    let typing = "sleep 1; printf 'sleep 30 &\\n'; sleep 0.5; printf 'cat\\n'; sleep 0.5; \
                  printf '\\032'; sleep 0.5; printf 'jobs; kill -9 %%1 %%2; wait\\n'; sleep 0.5; \
                  printf 'exit 5\\n'";
    let out = in_terminal(typing, &inner, false);
    assert!(!out.contains("no job control"), "{out}");
    assert!(out.contains("Running                 sleep 30 &"), "{out}");
    assert!(out.contains("Stopped                 cat"), "{out}");
    assert_eq!(field(&out, "RC"), Some("5"), "{out}");
}

/// Started with stdin closed (Rust's runtime then opens /dev/null on fd 0),
/// the command runs and its stdin ends at once: the end is passed on as the
/// pty's EOF character, so `read` does not wait forever.
#[test]
fn a_closed_stdin_is_an_empty_input() {
    needs_root!();
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "timeout 20 \"$0\" --pty -user nobody -- sh -c 'echo ran; read x && echo \"READ=$x\"; ls -l /proc/self/fd/' <&-; echo RC=$?",
        common::bin(),
    ]);
    let r = Run::new(&mut cmd);
    let out = r.stdout.replace('\r', "");
    assert_eq!(field(&out, "RC"), Some("0"), "{r:?}");
    assert!(out.contains("ran\n"), "{r:?}");
    assert!(!out.contains("READ="), "{r:?}");
    assert!(!out.contains("ptmx"), "{r:?}");
}

/// Whether `pid` runs (a zombie runs nothing).
fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| !r.starts_with(" Z")))
}

#[test]
fn a_leftover_process_is_killed_when_the_command_exits() {
    needs_root!();
    let report: &[&str] = &["-q", "-syscall-deny=mkdir,mkdirat", "--report-denied"];
    for (unprivileged, user) in callers() {
        for mode in [&[][..], report] {
            let (pidfile, marker) = (Marker::new(), Marker::new());
            // a double fork into a new session, as a daemon would: it
            // still holds the pty slave, and leaves the pty's session
            let script = format!(
                "(setsid sh -c 'echo $$ > {p}; sleep 1; touch {m}' &); \
                 while [ ! -s {p} ]; do sleep 0.01; done; exit 0",
                p = pidfile.path(),
                m = marker.path(),
            );
            let mut argv = vec![common::bin(), "--pty"];
            argv.extend(user.split_whitespace());
            argv.extend(mode);
            argv.extend(["--", "sh", "-c", &script]);
            let argv: Vec<String> = match unprivileged {
                true => common::as_nobody(&argv),
                false => argv.iter().map(|a| a.to_string()).collect(),
            };
            let r = Run::new(Command::new(&argv[0]).args(&argv[1..]));
            r.assert_code(0);
            let text = std::fs::read_to_string(pidfile.path()).expect("the leftover wrote its pid");
            let pid: u32 = text.trim().parse().unwrap();
            let who = format!("unprivileged={unprivileged} {mode:?}");
            assert!(!is_alive(pid), "{who}: pid {pid} outlived go-jail");
            std::thread::sleep(Duration::from_millis(1500));
            assert!(!marker.exists(), "{who}: the leftover ran on");
        }
    }
}
