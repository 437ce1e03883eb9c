//! `go-jail learn`: the syscalls, files and TCP ports a command used,
//! printed as one go-jail line that, run back, lets the command do the same
//! (same output, same status) and no more: the round trips of #15, as root
//! with `-user nobody` and as an unprivileged caller.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{jail, needs_root, Run};

/// Who runs `learn` and then the line it printed: root with `-user nobody`,
/// or an unprivileged caller (`setpriv` to uid 65534, no capabilities).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    RootAsNobody,
    Unprivileged,
}

const CALLERS: [Caller; 2] = [Caller::RootAsNobody, Caller::Unprivileged];

/// A fresh directory nobody owns (for `-o` and for the commands to write in).
fn nobodys_dir(name: &str) -> PathBuf {
    let dir = common::scratch_dir().join(format!("learn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    dir
}

/// `sh -c script` as `caller`, with go-jail's directory first in PATH so
/// that the printed line's `go-jail` is the binary under test.
fn shell(caller: Caller, script: &str) -> Run {
    let dir = Path::new(common::bin()).parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut argv: Vec<String> = vec!["sh".into(), "-c".into(), script.into()];
    if caller == Caller::Unprivileged {
        argv = common::as_nobody(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    }
    Run::new(Command::new(&argv[0]).args(&argv[1..]).env("PATH", path))
}

/// `command` as a shell line (single-quoted words).
fn quoted(command: &[&str]) -> String {
    let words: Vec<String> = (command.iter())
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect();
    words.join(" ")
}

/// Learns `command` as `caller`, then runs the printed line the same way:
/// same output, same status. Returns the line.
fn round_trip(caller: Caller, name: &str, command: &[&str]) -> String {
    let dir = nobodys_dir(&format!("{name}-{caller:?}"));
    let out = dir.join("line.txt");
    let user = match caller {
        Caller::RootAsNobody => "-user nobody ",
        Caller::Unprivileged => "",
    };
    let learn = shell(
        caller,
        &format!(
            "go-jail learn {user}-o {} -- {}",
            out.display(),
            quoted(command)
        ),
    );
    let line = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let line = line.trim().to_string();
    assert!(line.starts_with("go-jail "), "{name} {caller:?}: {learn:?}");
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains(" -syscall-allow="), "{line}");
    assert!(line.contains("execve"), "{line}");
    assert!(line.contains(" --fs-system "), "{line}");
    let again = shell(caller, &line);
    assert_eq!(
        again.code(),
        learn.code(),
        "{name} {caller:?}: {line}\n{again:?}"
    );
    assert_eq!(again.stdout, learn.stdout, "{name} {caller:?}: {line}");
    assert!(!again.stdout.is_empty(), "{name} {caller:?}");
    line
}

/// The learned line's jail options with another command.
fn with_command(line: &str, command: &[&str]) -> String {
    let (options, _) = line.split_once(" -- ").expect("a -- before COMMAND");
    format!("{options} -- {}", quoted(command))
}

#[test]
fn learned_line_runs_ls_etc() {
    needs_root!();
    for caller in CALLERS {
        let line = round_trip(caller, "ls", &["ls", "/etc"]);
        assert!(line.contains(" --fs-ro=/etc "), "{line}");
        assert!(line.ends_with(" -- ls /etc"), "{line}");
    }
}

#[test]
fn learned_line_runs_echo() {
    needs_root!();
    round_trip(Caller::RootAsNobody, "echo", &["echo", "hi"]);
}

#[test]
fn learned_line_runs_python() {
    needs_root!();
    for caller in CALLERS {
        round_trip(caller, "python", &["python3", "-c", "print(1)"]);
    }
}

/// (c): a shell command that writes, renames and deletes files in a
/// temporary directory; the learned jail lets it write there and nowhere else.
#[test]
fn learned_line_writes_in_its_directory_and_nowhere_else() {
    needs_root!();
    for caller in CALLERS {
        let work = nobodys_dir(&format!("work-{caller:?}"));
        let other = nobodys_dir(&format!("other-{caller:?}"));
        let script = format!(
            "cd {} && echo a > f && mkdir d && mv f d/g && cat d/g && rm d/g && rmdir d && echo ok",
            work.display()
        );
        let line = round_trip(caller, "files", &["sh", "-c", &script]);
        assert!(
            line.contains(&format!(" --fs-rw={} ", work.display())),
            "{line}"
        );
        // the same jail, writing outside the directory: refused
        let escape = format!("echo x > {}/f", other.display());
        let r = shell(caller, &with_command(&line, &["sh", "-c", &escape]));
        assert_ne!(r.code(), Some(0), "{caller:?}: {r:?}");
        assert!(r.stderr.contains("Permission denied"), "{caller:?}: {r:?}");
        assert!(
            !other.join("f").exists(),
            "{caller:?}: wrote outside: {line}"
        );
        // and inside, a new name: allowed
        let inside = format!("echo x > {}/new && echo wrote", work.display());
        let r = shell(caller, &with_command(&line, &["sh", "-c", &inside]));
        assert_eq!(r.stdout, "wrote\n", "{caller:?}: {r:?}");
        let _ = std::fs::remove_dir_all(&work);
        let _ = std::fs::remove_dir_all(&other);
    }
}

/// A TCP server on 127.0.0.1 that accepts and drops connections; returns
/// its port and a counter of connections accepted.
fn server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

/// (d): a command that connects to a TCP server on 127.0.0.1; the learned
/// jail connects to that port only.
#[test]
fn learned_line_connects_to_its_port_and_no_other() {
    needs_root!();
    for caller in CALLERS {
        let (port, accepted) = server();
        let (other, other_accepted) = server();
        let connect = |p: u16| format!("echo hi > /dev/tcp/127.0.0.1/{p} && echo sent");
        let line = round_trip(caller, "tcp", &["bash", "-c", &connect(port)]);
        assert!(line.contains(&format!(" --net-connect={port} ")), "{line}");
        assert!(!line.contains("--no-net"), "{line}");
        // the server's thread counts each connection after accepting it
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while accepted.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 2, "both runs connected");
        let r = shell(
            caller,
            &with_command(&line, &["bash", "-c", &connect(other)]),
        );
        assert_ne!(r.code(), Some(0), "{caller:?}: {r:?}");
        assert!(r.stderr.contains("Permission denied"), "{caller:?}: {r:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(
            other_accepted.load(Ordering::SeqCst),
            0,
            "{caller:?}: {line}"
        );
    }
}

/// The options learn prints for what it saw (`--fs-*`, `--net-*`,
/// `--no-net`) are its own to find: given, they are refused.
#[test]
fn learn_refuses_landlock_options() {
    for opt in [
        "--fs-ro=/etc",
        "--fs-system",
        "--net-connect=80",
        "--no-net",
    ] {
        let r = jail(&["learn", opt, "--", "true"]);
        r.assert_code(125);
        assert!(
            r.stderr.contains("learn finds the Landlock rules itself"),
            "{opt}: {r:?}"
        );
    }
}

#[test]
fn learn_prints_a_docker_profile_after_the_output() {
    needs_root!();
    let r = jail(&[
        "learn", "-user", "nobody", "--format", "docker", "--", "echo", "hi",
    ]);
    r.assert_code(0);
    let json = r.stdout.strip_prefix("hi\n").expect("command output first");
    // JSON has no Landlock field: the options go beside it, on stderr
    assert!(
        r.stderr
            .contains("go-jail: learned Landlock options: --fs-system"),
        "{r:?}"
    );
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(v["defaultErrnoRet"], 1);
    assert_eq!(v["architectures"], serde_json::json!(["SCMP_ARCH_X86_64"]));
    assert_eq!(v["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
    let names: Vec<&str> = v["syscalls"][0]["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for needed in ["execve", "write", "exit_group"] {
        assert!(names.contains(&needed), "{names:?}");
    }
}

#[test]
fn learn_keeps_the_exit_status_and_refuses_a_policy() {
    needs_root!();
    let r = jail(&["learn", "-user", "nobody", "--", "sh", "-c", "exit 3"]);
    r.assert_code(3);
    let r = jail(&["learn", "-syscall-allow=read", "--", "true"]);
    r.assert_code(125);
}

/// Every option that would shape a policy is refused, not ignored, and
/// nothing runs.
#[test]
fn learn_refuses_every_policy_option() {
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/docker-default.json"
    );
    for opts in [
        vec!["-syscall-deny=write"],
        vec!["--seccomp-profile", profile],
        vec!["--oci-config", profile],
        vec!["--errno", "EACCES"],
        vec!["--profile-weights", profile],
    ] {
        let mut argv = vec!["learn"];
        argv.extend(&opts);
        argv.extend(["--", "sh", "-c", "echo ran"]);
        let r = jail(&argv);
        r.assert_code(125);
        assert!(
            r.stderr.contains("learn starts from an empty policy"),
            "{opts:?}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("ran"), "{opts:?}");
    }
}

/// learn's options go anywhere before its `--` (#16); after COMMAND they
/// are COMMAND's, as in the run mode.
#[test]
fn learn_takes_options_in_any_order_before_its_command() {
    needs_root!();
    let a = jail(&[
        "learn", "--format", "docker", "-user", "nobody", "--", "echo", "hi",
    ]);
    let b = jail(&[
        "learn",
        "-user",
        "nobody",
        "-format=docker",
        "--",
        "echo",
        "hi",
    ]);
    a.assert_code(0);
    b.assert_code(0);
    assert!(a.stdout.starts_with("hi\n{"), "{}", a.stdout);
    assert!(b.stdout.starts_with("hi\n{"), "{}", b.stdout);
    let c = jail(&[
        "learn", "-user", "nobody", "echo", "hi", "--format", "docker",
    ]);
    c.assert_code(0);
    assert!(c.stdout.starts_with("hi --format docker\n"), "{}", c.stdout);
    assert!(c.stdout.contains("-syscall-allow="), "{}", c.stdout);
}

/// `learn -v` lists what it recorded, with the kind of access, before
/// folding: the file read, the program run, the directory written in.
#[test]
fn learn_verbose_lists_each_access_it_recorded() {
    needs_root!();
    let work = nobodys_dir("verbose");
    let script = format!(
        "cat /etc/hostname >/dev/null; echo x > {}/f",
        work.display()
    );
    let r = jail(&["learn", "-v", "-user", "nobody", "--", "sh", "-c", &script]);
    r.assert_code(0);
    let learned: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("go-jail: learned: "))
        .collect();
    assert!(learned.contains(&"read_file /etc/hostname"), "{learned:#?}");
    assert!(
        learned
            .iter()
            .any(|l| l.starts_with("execute,read_file ") && l.ends_with("/cat")),
        "{learned:#?}"
    );
    assert!(
        learned.contains(&format!("make_reg {}", work.display()).as_str()),
        "{learned:#?}"
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// A file name the command chose cannot forge a go-jail line or send
/// terminal escapes through `learn -v` (final attack round): control
/// characters are printed escaped.
#[test]
fn learn_verbose_escapes_control_characters_in_names() {
    needs_root!();
    let work = nobodys_dir("forge");
    let script = format!(
        "f=\"{}/a\ngo-jail: learned: FAKE $(printf '\\033[31m')\"; echo > \"$f\"; cat \"$f\" >/dev/null; rm -f \"$f\"",
        work.display()
    );
    let r = jail(&["learn", "-v", "-user", "nobody", "--", "sh", "-c", &script]);
    r.assert_code(0);
    assert!(
        r.stderr.contains("/a\\ngo-jail: learned: FAKE \\u{1b}[31m"),
        "{r:?}"
    );
    assert!(
        !r.stderr
            .lines()
            .any(|l| l.starts_with("go-jail: learned: FAKE")),
        "{r:?}"
    );
    assert!(!r.stderr.contains('\u{1b}'), "{r:?}");
    let _ = std::fs::remove_dir_all(&work);
}
