//! `--report-denied` and `--complain` report Landlock's decisions (#15):
//! each denial class (read outside the grants, write in an ro tree,
//! execute outside rx, TCP connect to a port not allowed) is reported once,
//! naming the layer, the access and the object, and checked against what
//! the kernel did (the command's own EACCES); nothing is reported for the
//! allowed accesses of the same run. As root with `-user nobody` and as an
//! unprivileged caller.

mod common;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use common::{needs_root, Run};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    RootAsNobody,
    Unprivileged,
}

const CALLERS: [Caller; 2] = [Caller::RootAsNobody, Caller::Unprivileged];

/// A tree nobody may read: `ok` (mode 666, so that only Landlock refuses
/// writing it) and `mytrue` (a copy of /bin/true, mode 755); and a file
/// outside it, `secret`, which nobody may read as far as modes go.
struct Trees {
    root: PathBuf,
}

impl Trees {
    fn new(name: &str) -> Trees {
        let root = common::scratch_dir().join(format!("rl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let ro = root.join("ro");
        std::fs::create_dir_all(&ro).unwrap();
        std::fs::write(ro.join("ok"), "fine\n").unwrap();
        std::fs::set_permissions(ro.join("ok"), std::fs::Permissions::from_mode(0o666)).unwrap();
        std::fs::copy("/bin/true", ro.join("mytrue")).unwrap();
        std::fs::set_permissions(ro.join("mytrue"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::write(root.join("secret"), "secret\n").unwrap();
        std::fs::set_permissions(root.join("secret"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        for dir in [&root, &ro] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Trees { root }
    }

    fn ro(&self) -> PathBuf {
        std::fs::canonicalize(self.root.join("ro")).unwrap()
    }

    fn secret(&self) -> PathBuf {
        std::fs::canonicalize(self.root.join("secret")).unwrap()
    }
}

impl Drop for Trees {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn run(caller: Caller, args: &[&str]) -> Run {
    let mut argv: Vec<&str> = vec![common::bin()];
    if caller == Caller::RootAsNobody {
        argv.extend(["-user", "nobody"]);
    }
    argv.extend(args);
    let argv: Vec<String> = match caller {
        Caller::RootAsNobody => argv.iter().map(|s| s.to_string()).collect(),
        Caller::Unprivileged => common::as_nobody(&argv),
    };
    Run::new(Command::new(&argv[0]).args(&argv[1..]))
}

/// The script: two allowed reads, a read outside, a write in the ro tree,
/// an execution in the ro tree, a connect to the allowed port and one to
/// another port; each says what the kernel answered. Each denied access
/// is tried twice (reported once).
fn script(t: &Trees, allowed: u16, other: u16) -> String {
    let ro = t.ro();
    let ro = ro.display();
    let secret = t.secret();
    let secret = secret.display();
    format!(
        "cat {ro}/ok >/dev/null && echo READ_OK; cat {ro}/ok >/dev/null; \
         cat {secret} 2>/dev/null || echo READ_DENIED; cat {secret} 2>/dev/null; \
         (echo x >> {ro}/ok) 2>/dev/null || echo WRITE_DENIED; (echo x >> {ro}/ok) 2>/dev/null; \
         {ro}/mytrue 2>/dev/null || echo EXEC_DENIED; \
         (echo hi > /dev/tcp/127.0.0.1/{allowed}) && echo CONNECT_OK; \
         (echo hi > /dev/tcp/127.0.0.1/{other}) 2>/dev/null || echo CONNECT_DENIED; \
         (echo hi > /dev/tcp/127.0.0.1/{other}) 2>/dev/null; true"
    )
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

fn landlock_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("by landlock"))
        .collect()
}

/// The one line of `lines` about `what` (panics unless exactly one).
fn one<'a>(lines: &[&'a str], what: &str) -> &'a str {
    let found: Vec<&&str> = lines.iter().filter(|l| l.contains(what)).collect();
    assert_eq!(found.len(), 1, "{what}: {lines:#?}");
    found[0]
}

fn options(t: &Trees, allowed: u16) -> Vec<String> {
    vec![
        "--fs-system".into(),
        format!("--fs-ro={}", t.ro().display()),
        format!("--net-connect={allowed}"),
    ]
}

#[test]
fn report_denied_names_each_landlock_denial_once() {
    needs_root!();
    for caller in CALLERS {
        let t = Trees::new(&format!("report-{caller:?}"));
        let (_allowed_listener, allowed) = listener();
        let (_other_listener, other) = listener();
        let opts = options(&t, allowed);
        let script = script(&t, allowed, other);
        let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
        args.extend(["--report-denied", "--", "bash", "-c", &script]);
        let r = run(caller, &args);
        r.assert_code(0);
        // what the kernel did
        for word in [
            "READ_OK",
            "READ_DENIED",
            "WRITE_DENIED",
            "EXEC_DENIED",
            "CONNECT_OK",
            "CONNECT_DENIED",
        ] {
            assert!(r.stdout.contains(word), "{caller:?} {word}: {r:?}");
        }
        // what the supervisor reported: one line each, for the denials only
        let lines = landlock_lines(&r.stderr);
        let ro = t.ro();
        let secret = t.secret();
        let read = one(&lines, &format!("read_file {} ", secret.display()));
        assert!(
            read.starts_with("go-jail: denied by landlock: read_file "),
            "{read}"
        );
        assert!(read.contains("(openat, pid "), "{read}");
        one(&lines, &format!("write_file {}/ok ", ro.display()));
        one(
            &lines,
            &format!("execute {}/mytrue (execve, pid ", ro.display()),
        );
        let port = one(&lines, &format!("connect_tcp port {other} (pid "));
        assert!(port.starts_with("go-jail: denied by landlock: "), "{port}");
        assert!(
            !lines
                .iter()
                .any(|l| l.contains(&format!("port {allowed} ")) || l.contains("read_file /usr")),
            "an allowed access was reported: {lines:#?}"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l.contains(&format!("read_file {}/ok", ro.display()))),
            "an allowed read was reported: {lines:#?}"
        );
    }
}

/// `--complain` enforces no Landlock rule either: every access happens,
/// and each one a real run would refuse is reported with the option it
/// would need.
#[test]
fn complain_lets_everything_run_and_names_the_rules_a_real_run_needs() {
    needs_root!();
    for caller in CALLERS {
        let t = Trees::new(&format!("complain-{caller:?}"));
        let (_allowed_listener, allowed) = listener();
        let (_other_listener, other) = listener();
        let opts = options(&t, allowed);
        let script = script(&t, allowed, other);
        let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
        args.extend(["--complain", "--", "bash", "-c", &script]);
        let r = run(caller, &args);
        r.assert_code(0);
        for word in [
            "READ_DENIED",
            "WRITE_DENIED",
            "EXEC_DENIED",
            "CONNECT_DENIED",
        ] {
            assert!(
                !r.stdout.contains(word),
                "{caller:?}: {word} ran denied: {r:?}"
            );
        }
        let lines = landlock_lines(&r.stderr);
        let secret = t.secret();
        let read = one(&lines, &format!("read_file {} ", secret.display()));
        assert!(
            read.starts_with("go-jail: would be denied by landlock: read_file "),
            "{read}"
        );
        assert!(
            read.ends_with(&format!("a real run needs --fs-ro={}", secret.display())),
            "{read}"
        );
        let port = one(&lines, &format!("connect_tcp port {other} "));
        assert!(
            port.ends_with(&format!("a real run needs --net-connect={other}")),
            "{port}"
        );
        one(&lines, &format!("execute {}/mytrue ", t.ro().display()));
        assert_eq!(lines.len(), 4, "{caller:?}: {lines:#?}");
    }
}

/// Without Landlock file or port rules the report-mode filter is the one
/// it was: no path-taking call is sent to the supervisor (`openat` is
/// allowed by the kernel alone, nothing is reported for it).
#[test]
fn without_landlock_rules_report_mode_watches_no_file_call() {
    needs_root!();
    let r = run(
        Caller::RootAsNobody,
        &[
            "-q",
            "--report-denied=all",
            "-syscall-deny=mkdir",
            "--",
            "sh",
            "-c",
            "cat /etc/hostname >/dev/null; mkdir /tmp/x 2>/dev/null; true",
        ],
    );
    r.assert_code(0);
    assert!(landlock_lines(&r.stderr).is_empty(), "{r:?}");
    assert!(r.stderr.contains("denied mkdir("), "{r:?}");
    assert!(!r.stderr.contains("openat"), "{r:?}");
}

/// The supervisor may be root with `CAP_DAC_READ_SEARCH`, but it resolves
/// paths and reads scripts only as far as the command may: a report never
/// shows where a link in a directory the command cannot search points, or
/// the `#!` line of a script it cannot read (the kernel refuses both with
/// EACCES before Landlock is asked, so there is nothing to report).
#[test]
fn a_report_never_shows_what_the_command_cannot_see() {
    needs_root!();
    let t = Trees::new("deputy");
    let closed = t.root.join("closed");
    std::fs::create_dir(&closed).unwrap();
    let target = t.root.join("hidden-link-target");
    std::fs::write(&target, "x\n").unwrap();
    std::os::unix::fs::symlink(&target, closed.join("link")).unwrap();
    let interpreter = t.root.join("hidden-interpreter");
    std::fs::copy("/bin/sh", &interpreter).unwrap();
    std::fs::write(closed.join("script"), "#!/hidden/interpreter\n").unwrap();
    std::fs::set_permissions(
        closed.join("script"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let secret_script = t.root.join("secret-script");
    std::fs::write(&secret_script, format!("#!{}\n", interpreter.display())).unwrap();
    std::fs::set_permissions(&secret_script, std::fs::Permissions::from_mode(0o711)).unwrap();
    let closed = std::fs::canonicalize(&closed).unwrap();
    let script = format!(
        "cat {c}/link; {c}/script; {s}; echo done",
        c = closed.display(),
        s = secret_script.display()
    );
    let opts = options(&t, 1);
    let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
    args.extend(["--report-denied=all", "--", "sh", "-c", &script]);
    let r = run(Caller::RootAsNobody, &args);
    r.assert_code(0);
    assert!(r.stdout.contains("done"), "{r:?}");
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    for hidden in ["hidden-link-target", "/hidden/", "hidden-interpreter"] {
        assert!(!r.stderr.contains(hidden), "{hidden} leaked: {r:?}");
    }
}
