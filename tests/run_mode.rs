//! End-to-end tests of the run mode: the built binary, run as root, execs a
//! real command whose `/proc/self/status` and behaviour we read back.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{jail, needs_root, status_field, Run};

#[test]
fn original_example_whoami_runs_as_daemon() {
    needs_root!();
    let r = jail(&["-user", "daemon", "-group", "daemon", "--", "whoami"]);
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "daemon");
}

#[test]
fn hash_ids_resolve_like_names() {
    needs_root!();
    let r = jail(&["-user", "#1", "-group", "#1", "--", "id"]);
    r.assert_code(0);
    assert!(
        r.stdout.starts_with("uid=1(daemon) gid=1(daemon)"),
        "{}",
        r.stdout
    );
}

#[test]
fn caps_set_the_bounding_set_exactly() {
    needs_root!();
    for (caps, expected) in [
        ("", "0000000000000000"),
        ("CAP_CHOWN", "0000000000000001"),
        ("CAP_CHOWN,CAP_KILL,CAP_DAC_OVERRIDE", "0000000000000023"),
        ("cap_checkpoint_restore", "0000010000000000"),
    ] {
        let flag = format!("--caps={caps}");
        let r = jail(&[
            "-user",
            "nobody",
            &flag,
            "--",
            "grep",
            "CapBnd",
            "/proc/self/status",
        ]);
        r.assert_code(0);
        assert_eq!(
            r.stdout.trim(),
            format!("CapBnd:\t{expected}"),
            "caps {caps:?}"
        );
    }
}

#[test]
fn the_jailed_status_shows_nothing_leaked() {
    needs_root!();
    // Start with supplementary groups 0 and 42 and check they are gone.
    let r = Run::new(
        Command::new("setpriv")
            .args(["--groups=0,42", "--"])
            .arg(common::bin())
            .args([
                "-user",
                "nobody",
                "-group",
                "nogroup",
                "--",
                "cat",
                "/proc/self/status",
            ]),
    );
    r.assert_code(0);
    let s = &r.stdout;
    assert_eq!(status_field(s, "Uid"), "65534\t65534\t65534\t65534");
    assert_eq!(status_field(s, "Gid"), "65534\t65534\t65534\t65534");
    assert_eq!(status_field(s, "Groups"), "");
    for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(status_field(s, cap), "0000000000000000", "{cap}");
    }
    assert_eq!(status_field(s, "NoNewPrivs"), "1");
    // The TTY guard is always installed, so there is a filter.
    assert_eq!(status_field(s, "Seccomp"), "2");
}

#[test]
fn groups_init_gives_the_database_groups() {
    needs_root!();
    let r = jail(&["-user", "daemon", "--groups", "init", "--", "id", "-G"]);
    r.assert_code(0);
    assert!(
        r.stdout.split_whitespace().any(|g| g == "1"),
        "{}",
        r.stdout
    );
}

#[test]
fn ambient_caps_reach_a_non_root_target() {
    needs_root!();
    let r = jail(&[
        "-user",
        "nobody",
        "-caps=CAP_NET_BIND_SERVICE,CAP_CHOWN",
        "--ambient-caps=CAP_NET_BIND_SERVICE",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "CapAmb"), "0000000000000400");
    assert_eq!(status_field(&r.stdout, "CapEff"), "0000000000000400");
    assert_eq!(status_field(&r.stdout, "CapBnd"), "0000000000000401");
}

#[test]
fn syscall_deny_write_makes_echo_fail() {
    needs_root!();
    let r = jail(&[
        "-user",
        "nobody",
        "-syscall-deny=write",
        "--",
        "/bin/echo",
        "hi",
    ]);
    // echo's own failure status (its error message cannot be written either),
    // not go-jail's 125: the filter was loaded and echo ran under it.
    r.assert_code(1);
    assert_eq!(r.stdout, "");
}

/// What /bin/echo needs on this system (found with strace -f), plus what the
/// dynamic loader may use on other glibc versions.
const ECHO_NEEDS: &str = "access,arch_prctl,brk,close,execve,exit_group,futex,getrandom,ioctl,mmap,mprotect,munmap,newfstatat,fstat,openat,pread64,prlimit64,read,rseq,set_robust_list,set_tid_address,write";

#[test]
fn an_allow_list_that_covers_echo_prints_and_one_without_write_fails() {
    needs_root!();
    let allow = format!("-syscall-allow={ECHO_NEEDS}");
    let r = jail(&["-user", "nobody", &allow, "--", "/bin/echo", "hi"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
    let without_write = ECHO_NEEDS.replace(",write", "");
    let allow = format!("-syscall-allow={without_write}");
    let r = jail(&["-user", "nobody", &allow, "--", "/bin/echo", "hi"]);
    assert_eq!(r.code(), Some(1), "echo's own status: {r:?}");
    assert_eq!(r.stdout, "");
}

#[test]
fn caller_fds_are_closed_unless_kept() {
    needs_root!();
    let jail_bin = common::bin();
    // fd 9 is /etc/shadow, opened by the (root) caller.
    let script = format!(
        "exec 9</etc/shadow; {jail_bin} -user nobody -- sh -c 'head -c4 <&9 >/dev/null && echo LEAKED || echo closed'"
    );
    let r = Run::new(Command::new("sh").args(["-c", &script]));
    assert_eq!(r.stdout.trim(), "closed", "{r:?}");
    let script = format!(
        "exec 9</dev/null; {jail_bin} -user nobody --keep-fd 9 -- sh -c 'cat <&9 && echo kept'"
    );
    let r = Run::new(Command::new("sh").args(["-c", &script]));
    assert_eq!(r.stdout.trim(), "kept", "{r:?}");
}

#[test]
fn sigpipe_is_default_so_yes_dies_quietly() {
    needs_root!();
    let mut child = Command::new(common::bin())
        .args(["-user", "nobody", "--", "yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "y\n");
    let out = child.wait_with_output().unwrap();
    // killed by SIGPIPE; go-jail, its parent, exits 128 + 13
    assert_eq!(
        out.status.code(),
        Some(128 + 13),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_status_passes_through() {
    needs_root!();
    jail(&["-user", "nobody", "--", "sh", "-c", "exit 42"]).assert_code(42);
}

#[test]
fn missing_and_unexecutable_commands_give_127_and_126() {
    needs_root!();
    let r = jail(&["-user", "nobody", "--", "/nonexistent/cmd"]);
    r.assert_code(127);
    assert!(r.stderr.contains("/nonexistent/cmd"), "{}", r.stderr);
    // Searched in PATH as the target: with a PATH the target can read, 127.
    let r = jail(&[
        "-user",
        "nobody",
        "--reset-env",
        "--",
        "no-such-command-anywhere",
    ]);
    r.assert_code(127);
    // A PATH directory the target cannot search hides nothing it could run:
    // not found, 127, as bash says (execvp would report its EACCES, 126).
    let dir = common::scratch_dir().join("root-only-bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let path = format!("--env=PATH={}:/usr/bin:/bin", dir.display());
    jail(&["-user", "nobody", &path, "--", "no-such-command-anywhere"]).assert_code(127);
    jail(&["-user", "nobody", "--", "/etc/passwd"]).assert_code(126);
    jail(&["-user", "nobody", "--", "/tmp"]).assert_code(126);
}

#[test]
fn i386_syscalls_are_killed_under_a_native_filter() {
    needs_root!();
    let Some(probe) = common::int80_probe() else {
        return;
    };
    let r = jail(&[
        "-user",
        "nobody",
        "-syscall-deny=write",
        "--",
        probe.to_str().unwrap(),
    ]);
    assert!(!r.stdout.contains("got through"), "{r:?}");
    assert_eq!(r.code(), Some(128 + 31), "killed by SIGSYS: {r:?}");
}

#[test]
fn bad_inputs_fail_with_125_and_run_nothing() {
    needs_root!();
    let cases: &[(&[&str], &str)] = &[
        (&["-user", "nosuchuser"], "unknown user 'nosuchuser'"),
        (
            &["-user", "nobody", "-group", "nosuchgroup"],
            "unknown group 'nosuchgroup'",
        ),
        (
            &["-user", "nobody", "-caps=CAP_FOO"],
            "unknown capability 'CAP_FOO'",
        ),
        (
            &["-user", "nobody", "-syscall-deny=opnat"],
            "unknown syscall 'opnat', did you mean 'openat'",
        ),
        (
            &[
                "-user",
                "nobody",
                "-syscall-allow=read",
                "-syscall-deny=write",
            ],
            "cannot be used with",
        ),
        (&["-user", "#4294967295"], "invalid user id '#4294967295'"),
        (&["-user", "#-1"], "invalid user id '#-1'"),
        (
            &["-user", "nobody", "-group", "#99999999999"],
            "invalid group id",
        ),
        (&["-user", "nobody", "--ambient-caps=CAP_KILL"], "CAP_KILL"),
    ];
    for (flags, message) in cases {
        let marker = common::Marker::new();
        let mut argv: Vec<&str> = flags.to_vec();
        argv.extend(["--", "touch", marker.path()]);
        let r = jail(&argv);
        r.assert_code(125);
        assert!(r.stderr.contains(message), "{flags:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
        assert!(!marker.exists(), "{flags:?} ran the command");
    }
    let r = jail(&["-user", "nobody"]);
    r.assert_code(125);
    assert!(r.stderr.contains("COMMAND"), "{}", r.stderr);
}

#[test]
fn a_non_root_caller_cannot_change_identity() {
    needs_root!();
    let r = Run::new(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(common::bin())
            .args(["-user", "daemon", "--", "id"]),
    );
    r.assert_code(125);
    assert!(r.stderr.contains("root"), "{}", r.stderr);
}

#[test]
fn a_root_target_keeps_caps_as_effective() {
    needs_root!();
    let r = jail(&[
        "-user",
        "#0",
        "--allow-root",
        "-caps=CAP_CHOWN",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "CapEff"), "0000000000000001");
    assert_eq!(status_field(&r.stdout, "CapBnd"), "0000000000000001");
    assert_eq!(status_field(&r.stdout, "CapInh"), "0000000000000000");
    assert_eq!(status_field(&r.stdout, "CapAmb"), "0000000000000000");
}

#[test]
fn a_uid_0_target_needs_an_explicit_flag() {
    needs_root!();
    // However the identity change is asked for: -user root, or -group /
    // --groups alone (which leave the uid at 0).
    for flags in [
        &["-user", "root"][..],
        &["-group", "nogroup"],
        &["--groups", "42"],
    ] {
        let mut argv = flags.to_vec();
        argv.extend(["--", "id", "-u"]);
        let r = jail(&argv);
        r.assert_code(125);
        assert!(r.stderr.contains("--allow-root"), "{flags:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{flags:?}");
    }
}

#[test]
fn a_capability_the_caller_lacks_is_an_error() {
    needs_root!();
    // Start go-jail without CAP_SYS_TIME in its bounding set: it cannot keep it.
    let marker = common::Marker::new();
    let r = Run::new(
        Command::new("setpriv")
            .args(["--bounding-set=-sys_time", "--"])
            .arg(common::bin())
            .args([
                "-user",
                "nobody",
                "-caps=CAP_SYS_TIME",
                "--",
                "touch",
                marker.path(),
            ]),
    );
    r.assert_code(125);
    assert!(r.stderr.contains("CAP_SYS_TIME"), "{}", r.stderr);
    assert!(!marker.exists());
}

#[test]
fn explicit_supplementary_groups_are_set_exactly() {
    needs_root!();
    let r = jail(&[
        "-user",
        "nobody",
        "--groups=daemon,#42",
        "--",
        "grep",
        "^Groups",
        "/proc/self/status",
    ]);
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "Groups:\t1 42");
}

#[test]
fn the_environment_passes_through_byte_for_byte() {
    needs_root!();
    let r = Run::new(
        Command::new(common::bin())
            .env_clear()
            .env("A", "1")
            .env("B", "x=y")
            .env("C", "")
            .env("D", "line1\nline2")
            .args(["-user", "nobody", "--keep-env", "--", "/usr/bin/env", "-0"]),
    );
    r.assert_code(0);
    assert_eq!(r.stdout, "A=1\0B=x=y\0C=\0D=line1\nline2\0");
}

#[test]
fn reset_env_gives_the_targets_login_environment() {
    needs_root!();
    let r = Run::new(
        Command::new(common::bin())
            .env("SECRET_TOKEN", "hunter2")
            .args([
                "-user",
                "daemon",
                "--reset-env",
                "--env",
                "EXTRA=1",
                "--",
                "/usr/bin/env",
            ]),
    );
    r.assert_code(0);
    let mut lines: Vec<&str> = r.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        vec![
            "EXTRA=1",
            "HOME=/usr/sbin",
            "LOGNAME=daemon",
            "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
            "SHELL=/usr/sbin/nologin",
            "USER=daemon",
        ]
    );
}

#[test]
fn ignored_signals_stay_ignored_and_the_mask_is_empty() {
    needs_root!();
    let script = format!(
        "trap '' HUP; {} -user nobody -- grep -E '^Sig(Ign|Blk)' /proc/self/status",
        common::bin()
    );
    let r = Run::new(Command::new("sh").args(["-c", &script]));
    r.assert_code(0);
    let ign = u64::from_str_radix(status_field(&r.stdout, "SigIgn"), 16).unwrap();
    assert_eq!(ign & 1, 1, "SIGHUP (bit 0) stays ignored: {}", r.stdout);
    assert_eq!(
        ign & (1 << 12),
        0,
        "SIGPIPE (bit 12) is not ignored: {}",
        r.stdout
    );
    assert_eq!(status_field(&r.stdout, "SigBlk"), "0000000000000000");
}

#[test]
fn a_failed_step_names_the_step_and_errno_and_runs_nothing() {
    needs_root!();
    // The child's chdir fails: nothing after it runs.
    let marker = common::Marker::new();
    let r = jail(&[
        "-user",
        "nobody",
        "--cwd",
        "/nonexistent-go-jail",
        "--",
        "touch",
        marker.path(),
    ]);
    r.assert_code(125);
    assert_eq!(
        r.stderr.trim(),
        "go-jail: chdir(/nonexistent-go-jail): No such file or directory"
    );
    assert!(!marker.exists());
}

#[test]
fn an_installed_setuid_copy_refuses_to_run() {
    needs_root!();
    use std::os::unix::fs::PermissionsExt;
    let dir = common::scratch_dir().join("setuid");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("go-jail");
    std::fs::copy(common::bin(), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let r = Run::new(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&copy)
            .args(["-user", "#0", "--allow-root", "--", "id", "-u"]),
    );
    r.assert_code(125);
    assert!(r.stderr.contains("setuid"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn preserve_fds_passes_the_first_n() {
    needs_root!();
    let script = format!(
        "exec 3</dev/null 4</dev/null 7</dev/null; {} -user nobody --preserve-fds 2 -- sh -c 'ls /proc/self/fd'",
        common::bin()
    );
    let r = Run::new(Command::new("sh").args(["-c", &script]));
    r.assert_code(0);
    let fds: Vec<u32> = r
        .stdout
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    assert!(fds.contains(&3) && fds.contains(&4), "{fds:?}");
    assert!(!fds.contains(&7), "{fds:?}");
}

#[test]
fn denying_socket_also_denies_i386_socketcall() {
    needs_root!();
    let dir = common::scratch_dir();
    let (src, exe) = (dir.join("sockcall.c"), dir.join("sockcall"));
    // socketcall(SYS_SOCKET, {AF_UNIX, SOCK_STREAM, 0}) through int $0x80;
    // the argument block must sit below 4 GiB (static, non-PIE .data).
    std::fs::write(
        &src,
        r#"#include <stdio.h>
static unsigned int a[3] = {1, 1, 0};
int main(void) { long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(102), "b"(1), "c"(a) : "memory");
  printf("%ld\n", r); return 0; }
"#,
    )
    .unwrap();
    let built = Command::new("gcc")
        .args(["-static", "-no-pie", "-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        eprintln!("skipping: gcc -static could not build the socketcall probe");
        return;
    }
    let exe = exe.to_str().unwrap();
    let r = jail(&["-user", "nobody", "-q", "--arch", "x86_64,x86", "--", exe]);
    let fd: i64 = r.stdout.trim().parse().unwrap_or(-999);
    assert!(fd >= 0, "without a rule socketcall works: {r:?}");
    let r = jail(&[
        "-user",
        "nobody",
        "-q",
        "--arch",
        "x86_64,x86",
        "-syscall-deny=socket",
        "--",
        exe,
    ]);
    assert_eq!(r.stdout.trim(), "-1", "EPERM through socketcall: {r:?}");
}

/// No descriptor go-jail opens for itself (its signalfd, the start gate's
/// pipe) reaches the command through `--keep-fd`: the child closes them
/// before its plan runs, so keeping such a number fails as for any closed
/// fd (found by the attacker review of the start gate: `--keep-fd 5` gave
/// the command the gate's read end, `--keep-fd 4` the signalfd).
#[test]
fn go_jails_own_descriptors_cannot_be_kept_by_the_command() {
    needs_root!();
    for fd in 3..=8 {
        let n = fd.to_string();
        for plain in [true, false] {
            let mut args = vec!["-user", "nobody", "--keep-fd", &n];
            if !plain {
                args.insert(0, "--pty");
            }
            args.extend(["--", "true"]);
            let r = jail(&args);
            r.assert_code(125);
            let closed = format!("keep fd {fd}: Bad file descriptor");
            let ruleset = format!("fd {fd} to keep is not open");
            // under --pty the child's error goes to the pty, go-jail's stdout
            let said = format!("{}{}", r.stdout, r.stderr);
            assert!(
                said.contains(&closed) || said.contains(&ruleset),
                "{args:?}: {r:?}"
            );
        }
    }
}
