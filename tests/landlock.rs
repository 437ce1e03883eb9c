//! Landlock end to end: the built binary loads real rulesets into the real
//! kernel, as root with `-user nobody`, and (where it applies) as an
//! unprivileged caller through setpriv. Each test says why it skips.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, jail, needs_root, Run};

/// The kernel's Landlock ABI, read the way go-jail reads it.
fn kernel_abi() -> u32 {
    runner::landlock::kernel_abi()
}

macro_rules! needs_abi {
    ($n:expr) => {
        if kernel_abi() < $n {
            eprintln!(
                "skipping: needs Landlock ABI {} (kernel has {})",
                $n,
                kernel_abi()
            );
            return;
        }
    };
}

/// A fresh directory under /tmp that nobody may write (removed on drop).
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Tree {
        use std::os::unix::fs::PermissionsExt;
        let p = std::env::temp_dir().join(format!("go-jail-ll-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
        Tree(p)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
    fn join(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// go-jail as root with `-user nobody` and `args`, then `--` and `cmd`.
fn nobody(args: &[&str], cmd: &[&str]) -> Run {
    let mut all = vec!["-user", "nobody"];
    all.extend_from_slice(args);
    all.push("--");
    all.extend_from_slice(cmd);
    jail(&all)
}

/// As [`nobody`] with `GO_JAIL_LANDLOCK_ABI` set.
fn nobody_with_abi(abi: &str, args: &[&str], cmd: &[&str]) -> Run {
    let mut c = Command::new(bin());
    c.env("GO_JAIL_LANDLOCK_ABI", abi)
        .args(["-user", "nobody"])
        .args(args)
        .arg("--")
        .args(cmd);
    Run::new(&mut c)
}

/// go-jail run by an unprivileged caller (uid/gid 65534) through setpriv;
/// `None` (with the reason printed) while go-jail cannot run without root.
fn unprivileged(args: &[&str], cmd: &[&str]) -> Option<Run> {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin()])
        .args(args)
        .arg("--")
        .args(cmd);
    let r = Run::new(&mut c);
    if r.code() == Some(125) && r.stderr.contains("PR_CAPBSET_DROP") {
        eprintln!(
            "skipping the unprivileged variant: go-jail needs root until the `unpriv` branch ({})",
            r.stderr.trim()
        );
        return None;
    }
    Some(r)
}

#[test]
fn fs_ro_and_the_system_preset_let_cat_read_the_granted_file() {
    needs_root!();
    needs_abi!(5);
    let r = nobody(
        &["--fs-ro", "/etc", "--fs-system"],
        &["cat", "/etc/hostname"],
    );
    r.assert_code(0);
    assert_eq!(r.stdout, std::fs::read_to_string("/etc/hostname").unwrap());
}

#[test]
fn cat_of_a_file_outside_the_grants_fails_with_eacces() {
    needs_root!();
    needs_abi!(5);
    let r = nobody(&["--fs-system"], &["cat", "/etc/hostname"]);
    r.assert_code(1);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    // without any --fs-* option the filesystem is untouched
    nobody(&[], &["cat", "/etc/hostname"]).assert_code(0);
}

#[test]
fn writing_into_a_read_only_tree_fails() {
    needs_root!();
    needs_abi!(5);
    let t = Tree::new("ro");
    std::fs::write(t.join("f"), "old").unwrap();
    std::fs::set_permissions(
        t.join("f"),
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    let script = format!(
        "echo new > {0}/f; echo $?; echo new > {0}/g; echo $?; true > {0}/f; echo $?",
        t.path()
    );
    let r = nobody(
        &["--fs-system", "--fs-ro", t.path()],
        &["sh", "-c", &script],
    );
    r.assert_code(0);
    assert_eq!(r.stdout, "2\n2\n2\n", "{r:?}");
    assert_eq!(std::fs::read_to_string(t.join("f")).unwrap(), "old");
    assert!(!Path::new(&t.join("g")).exists());
}

#[test]
fn write_truncate_rename_and_link_work_inside_an_rw_tree() {
    needs_root!();
    needs_abi!(5);
    let t = Tree::new("rw");
    // mv across directories needs REFER: without it mv would fall back to
    // copy-and-delete, so use python's os.rename (EXDEV shows)
    let script = format!(
        "cd {} && echo hello > a && mkdir -p x y && mv a x/a && python3 -c 'import os; os.rename(\"x/a\", \"y/a\"); os.link(\"y/a\", \"x/b\"); os.truncate(\"x/b\", 2)' && cat y/a && mkdir z && rmdir z && rm x/b",
        t.path()
    );
    let r = nobody(
        &["--fs-system", "--fs-rw", t.path()],
        &["sh", "-c", &script],
    );
    r.assert_code(0);
    assert_eq!(r.stdout, "he", "{r:?}");
    assert!(Path::new(&t.join("y/a")).exists());
}

#[test]
fn a_binary_outside_every_rx_tree_cannot_be_executed() {
    needs_root!();
    needs_abi!(5);
    let t = Tree::new("rx");
    let exe = t.join("mytrue");
    std::fs::copy("/bin/true", &exe).unwrap();
    // readable but not executable through Landlock: 126 from the shell
    let r = nobody(&["--fs-system", "--fs-ro", t.path()], &["sh", "-c", &exe]);
    r.assert_code(126);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    // --fs-rx grants it
    nobody(&["--fs-system", "--fs-rx", t.path()], &["sh", "-c", &exe]).assert_code(0);
    // COMMAND itself is granted rx wherever it lies
    nobody(&["--fs-system"], &[&exe]).assert_code(0);
}

#[test]
fn a_script_runs_with_its_interpreter_granted_outside_the_preset() {
    needs_root!();
    needs_abi!(5);
    let t = Tree::new("script");
    let script = t.join("hello");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // only the loader's trees: /bin/sh comes from the #! line
    let r = nobody(
        &["--fs-rx", "/usr,/lib,/lib64,/etc/ld.so.cache"],
        &[&script],
    );
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
}

#[test]
fn ls_python_and_sh_run_under_the_preset_plus_one_grant() {
    needs_root!();
    needs_abi!(5);
    let t = Tree::new("preset");
    std::fs::write(t.join("file"), "data\n").unwrap();
    let file = t.join("file");
    let grant = ["--fs-system", "--fs-ro", &file];
    let r = nobody(&grant, &["ls", "-l", &file]);
    r.assert_code(0);
    nobody(
        &grant,
        &["python3", "-c", "print(open('/dev/null').read() + 'ok')"],
    )
    .assert_code(0);
    let r = nobody(&grant, &["sh", "-c", &format!("cat {file}")]);
    r.assert_code(0);
    assert_eq!(r.stdout, "data\n");
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    needs_root!();
    let r = nobody(&["--fs-ro", "/etc,/nonexistent-go-jail"], &["true"]);
    r.assert_code(125);
    assert_eq!(
        r.stderr,
        "go-jail: --fs-ro /nonexistent-go-jail: no such file or directory\n"
    );
    let r = nobody(&["-fs-rw=relative-missing"], &["true"]);
    r.assert_code(125);
    let cwd = std::env::current_dir().unwrap();
    assert!(
        r.stderr
            .contains(&format!("{}/relative-missing", cwd.display())),
        "{r:?}"
    );
    let r = nobody(&["--fs-ro", "/etc,,/usr"], &["true"]);
    r.assert_code(125);
    assert!(r.stderr.contains("empty path"), "{r:?}");
}

#[test]
fn terminal_raw_mode_works_under_the_preset() {
    needs_root!();
    needs_abi!(5);
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: script(1) is not installed");
        return;
    }
    // stdin (inherited): the command runs in a new session, so there is no
    // /dev/tty; with --pty, its own terminal, opened again as /dev/tty
    let plain = "import tty; tty.setraw(0); print('RAW-OK')";
    let reopen = "import tty, os; tty.setraw(0); fd = os.open('/dev/tty', os.O_RDWR); tty.setraw(fd); print('RAW-OK')";
    for (pty, py) in [("", plain), ("--pty", reopen)] {
        let inner = format!(
            "{} -user nobody --fs-system {pty} -- python3 -c \"{py}\"",
            bin()
        );
        let r = Run::new(Command::new("script").args(["-q", "-e", "-c", &inner, "/dev/null"]));
        assert!(r.stdout.contains("RAW-OK"), "{pty}: {r:?}");
    }
}

#[test]
fn fs_options_as_an_unprivileged_caller() {
    needs_abi!(5);
    let Some(r) = unprivileged(&["--fs-system"], &["cat", "/etc/hostname"]) else {
        return;
    };
    r.assert_code(1);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    let r = unprivileged(
        &["--fs-system", "--fs-ro", "/etc/hostname"],
        &["cat", "/etc/hostname"],
    )
    .unwrap();
    r.assert_code(0);
}

#[test]
fn fail_closed_when_the_abi_lacks_a_restriction() {
    needs_root!();
    needs_abi!(4);
    let r = nobody_with_abi("3", &["--net-connect", "80"], &["true"]);
    r.assert_code(125);
    assert!(
        r.stderr.contains("--net-connect 80 needs Landlock ABI 4"),
        "{r:?}"
    );
    assert!(r.stderr.contains("ABI 3"), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    let r = nobody_with_abi("0", &["--fs-ro", "/etc"], &["true"]);
    r.assert_code(125);
    assert!(r.stderr.contains("needs Landlock ABI 1"), "{r:?}");
    let r = nobody_with_abi("5", &["--scope", "signal"], &["true"]);
    r.assert_code(125);
    assert!(
        r.stderr.contains("--scope signal needs Landlock ABI 6"),
        "{r:?}"
    );
}

#[test]
fn best_effort_runs_and_says_what_it_skipped() {
    needs_root!();
    needs_abi!(4);
    let r = nobody_with_abi(
        "3",
        &[
            "--landlock-best-effort",
            "--net-connect",
            "80",
            "--fs-system",
        ],
        &["cat", "/etc/hostname"],
    );
    // the file rules of ABI 3 still hold
    r.assert_code(1);
    let skipped: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("go-jail: landlock: not enforced: "))
        .collect();
    assert_eq!(skipped.len(), 2, "{r:?}");
    assert!(skipped[0].contains("device ioctls"), "{r:?}");
    assert!(
        skipped[1].contains("--net-connect 80 needs Landlock ABI 4"),
        "{r:?}"
    );
}

#[test]
fn a_bad_abi_variable_is_refused() {
    needs_root!();
    let r = nobody_with_abi("seven", &[], &["true"]);
    r.assert_code(125);
    assert!(r.stderr.contains("GO_JAIL_LANDLOCK_ABI='seven'"), "{r:?}");
}

/// A TCP listener on 127.0.0.1 at a free port, accepting in a thread.
fn tcp_server() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || for _c in l.incoming() {});
    port
}

/// A free TCP port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// python3 that prints `ok` or the errno name of `code`'s failure.
fn py(code: &str) -> String {
    format!(
        "import socket, errno\ntry:\n    {code}\n    print('ok')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])"
    )
}

fn connect(port: u16) -> String {
    py(&format!(
        "socket.create_connection(('127.0.0.1', {port}), timeout=5)"
    ))
}

#[test]
fn net_connect_allows_only_its_port() {
    needs_root!();
    needs_abi!(4);
    let port = tcp_server();
    let p = port.to_string();
    let r = nobody(&["--net-connect", &p], &["python3", "-c", &connect(port)]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
    let other = (port + 1).to_string();
    let r = nobody(
        &["--net-connect", &other],
        &["python3", "-c", &connect(port)],
    );
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let r = nobody(&["--no-net"], &["python3", "-c", &connect(port)]);
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    // no option: the network is untouched
    let r = nobody(&[], &["python3", "-c", &connect(port)]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
}

#[test]
fn net_bind_allows_only_its_port() {
    needs_root!();
    needs_abi!(4);
    let (a, b) = (free_port(), free_port());
    let bind = |p: u16| py(&format!("socket.socket().bind(('127.0.0.1', {p}))"));
    let allowed = a.to_string();
    let r = nobody(&["--net-bind", &allowed], &["python3", "-c", &bind(a)]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
    let r = nobody(&["--net-bind", &allowed], &["python3", "-c", &bind(b)]);
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
}

#[test]
fn no_net_refuses_udp_and_raw_sockets_but_not_unix_ones() {
    needs_root!();
    needs_abi!(4);
    let udp = py("socket.socket(socket.AF_INET, socket.SOCK_DGRAM)");
    let r = nobody(&["--no-net"], &["python3", "-c", &udp]);
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let v6 = py("socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)");
    let r = nobody(&["--no-net"], &["python3", "-c", &v6]);
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let unix = py("socket.socket(socket.AF_UNIX); socket.socketpair()");
    let r = nobody(&["--no-net"], &["python3", "-c", &unix]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
    // without --no-net, UDP works
    let r = nobody(&[], &["python3", "-c", &udp]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
}

#[test]
fn no_unix_closes_pathname_sockets_outside_the_grants_and_keeps_socketpair() {
    needs_root!();
    needs_abi!(5);
    let t = Tree::new("unix");
    let path = t.join("daemon.sock");
    let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::thread::spawn(move || for _c in l.incoming() {});
    let reach = py(&format!(
        "s = socket.socket(socket.AF_UNIX); s.connect('{path}')"
    ));
    // the socket is outside every grant, yet reachable below ABI 9
    let r = nobody(&["--fs-system"], &["python3", "-c", &reach]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
    let r = nobody(&["--fs-system", "--no-unix"], &["python3", "-c", &reach]);
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let pair = py("a, b = socket.socketpair(); a.send(b'x'); assert b.recv(1) == b'x'");
    let r = nobody(&["--fs-system", "--no-unix"], &["python3", "-c", &pair]);
    assert_eq!(r.stdout, "ok\n", "{r:?}");
}

#[test]
fn bad_network_and_scope_input_is_one_line() {
    needs_root!();
    for (args, says) in [
        (
            &["--net-connect", "0"][..],
            "--net-connect '0' is not a TCP port (1..65535)",
        ),
        (
            &["--net-bind", "65536"],
            "--net-bind '65536' is not a TCP port",
        ),
        (
            &["--net-connect", "80,"],
            "--net-connect '' is not a TCP port",
        ),
        (&["--net-connect", ""], "--net-connect: empty list of ports"),
        (&["--scope", "signals"], "'signals' is not a scope"),
        (&["--no-net", "--net-bind", "80"], "--no-net contradicts"),
    ] {
        let r = nobody(args, &["true"]);
        r.assert_code(125);
        assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {r:?}");
    }
}

/// Builds a static, non-PIE program (its data below 4 GiB for `int $0x80`)
/// that creates sockets the ways an attacker would try to get round
/// `--no-net`, and prints each result (`-13` = EACCES, else an fd).
fn socket_probe() -> Option<PathBuf> {
    let dir = common::scratch_dir();
    let (src, exe) = (dir.join("sockets.c"), dir.join("sockets"));
    std::fs::write(
        &src,
        r#"#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
static unsigned int args_inet[3] = {2, 2, 0}, args_unix[3] = {1, 1, 0};
static long int80(long nr, long a, long b, long c) { long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return r; }
static long fd(long r) { return r >= 0 ? 0 : r; }
static long libc(long r) { return r >= 0 ? 0 : -errno; }
int main(void) {
  printf("x86_64 inet high bits %ld\n", libc(syscall(SYS_socket, (1UL << 32) | 2, 2, 0)));
  printf("x86_64 unix high bits %ld\n", libc(syscall(SYS_socket, (1UL << 32) | 1, 1, 0)));
  printf("i386 socket inet %ld\n", fd(int80(359, 2, 2, 0)));
  printf("i386 socketcall inet %ld\n", fd(int80(102, 1, (long)args_inet, 0)));
  printf("i386 socketcall unix %ld\n", fd(int80(102, 1, (long)args_unix, 0)));
  return 0; }
"#,
    )
    .unwrap();
    let ok = Command::new("gcc")
        .args(["-static", "-no-pie", "-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: gcc -static could not build the socket probe");
        return None;
    }
    Some(exe)
}

#[test]
fn no_net_holds_against_high_bits_and_the_i386_entry_points() {
    needs_root!();
    needs_abi!(4);
    let Some(exe) = socket_probe() else { return };
    let exe = exe.to_str().unwrap();
    let arches = ["--arch", "x86_64,x86"];
    let r = nobody(&arches, &[exe]);
    r.assert_code(0);
    assert_eq!(
        r.stdout,
        "x86_64 inet high bits 0\nx86_64 unix high bits 0\ni386 socket inet 0\ni386 socketcall inet 0\ni386 socketcall unix 0\n",
        "the probe needs a kernel with IA32 emulation: {r:?}"
    );
    let r = nobody(&["--arch", "x86_64,x86", "--no-net"], &[exe]);
    r.assert_code(0);
    assert_eq!(
        r.stdout,
        "x86_64 inet high bits -13\nx86_64 unix high bits 0\ni386 socket inet -13\ni386 socketcall inet -13\ni386 socketcall unix -13\n",
        "{r:?}"
    );
}

/// An unjailed process running as nobody (through setpriv): it listens on
/// an abstract unix socket, counts SIGIO and SIGUSR1, and on a line on
/// stdin reports what it got.
struct Victim {
    child: std::process::Child,
    pid: u32,
}

const VICTIM: &str = r#"
import os, signal, socket, sys
got = set()
signal.signal(signal.SIGIO, lambda *a: got.add('io'))
signal.signal(signal.SIGUSR1, lambda *a: got.add('usr1'))
s = socket.socket(socket.AF_UNIX)
s.bind('\0go-jail-victim-%d' % os.getpid())
s.listen(5)
print(os.getpid(), flush=True)
sys.stdin.readline()
print(' '.join(sorted(got)) or 'none', flush=True)
"#;

impl Victim {
    fn start() -> Victim {
        use std::io::BufRead;
        use std::process::Stdio;
        let mut child = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args(["/usr/bin/python3", "-c", VICTIM])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("setpriv python3");
        let mut line = String::new();
        let out = child.stdout.as_mut().unwrap();
        std::io::BufReader::new(out).read_line(&mut line).unwrap();
        let pid = line.trim().parse().expect("victim pid");
        Victim { child, pid }
    }

    /// What signals it got; ends it.
    fn report(mut self) -> String {
        use std::io::{Read, Write};
        self.child.stdin.as_mut().unwrap().write_all(b"\n").unwrap();
        let mut s = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        let _ = self.child.wait();
        s.trim().to_owned()
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the jailed attacker manages against `pid`: ptrace attach (then
/// detach), opening /proc/PID/mem for writing, kill -0, SIGIO through
/// F_SETOWN on a pipe, connecting to the victim's abstract socket.
const ATTACKER: &str = r#"
import ctypes, errno, fcntl, os, socket, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
def name(e): return errno.errorcode[e]
out = []
if libc.ptrace(16, pid, None, None) == 0:
    os.waitpid(pid, 0x40000000)
    libc.ptrace(17, pid, None, None)
    out.append('ptrace=ok')
else:
    out.append('ptrace=' + name(ctypes.get_errno()))
try:
    open('/proc/%d/mem' % pid, 'r+b'); out.append('mem=ok')
except OSError as e:
    out.append('mem=' + name(e.errno))
try:
    os.kill(pid, 0); out.append('kill=ok')
except OSError as e:
    out.append('kill=' + name(e.errno))
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETOWN, pid)
fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC)
os.write(w, b'x')
s = socket.socket(socket.AF_UNIX)
try:
    s.connect('\0go-jail-victim-%d' % pid); out.append('abstract=ok')
except OSError as e:
    out.append('abstract=' + name(e.errno))
print(' '.join(out))
"#;

/// Runs the attacker jailed as nobody with `args` (and `abi` when given)
/// against a fresh victim: (what the attacker saw, what the victim got).
fn attack(abi: Option<&str>, args: &[&str]) -> (String, String) {
    let victim = Victim::start();
    let pid = victim.pid.to_string();
    let cmd = ["python3", "-c", ATTACKER, &pid];
    let r = match abi {
        Some(abi) => nobody_with_abi(abi, args, &cmd),
        None => nobody(args, &cmd),
    };
    r.assert_code(0);
    (r.stdout.trim().to_owned(), victim.report())
}

#[test]
fn without_landlock_a_jailed_command_reaches_an_outside_process() {
    needs_root!();
    // the attack the default domain stops, as it works without Landlock
    let (seen, got) = attack(Some("0"), &[]);
    assert_eq!(seen, "ptrace=ok mem=ok kill=ok abstract=ok");
    assert_eq!(got, "io");
}

#[test]
fn the_default_domain_and_scopes_confine_the_command_to_its_jail() {
    needs_root!();
    needs_abi!(6);
    let (seen, got) = attack(None, &[]);
    assert_eq!(seen, "ptrace=EPERM mem=EACCES kill=EPERM abstract=EPERM");
    assert_eq!(got, "none", "SIGIO through F_SETOWN reached the victim");
    // the same with file rules
    let (seen, got) = attack(None, &["--fs-system", "--fs-ro", "/proc"]);
    assert_eq!(seen, "ptrace=EPERM mem=EACCES kill=EPERM abstract=EPERM");
    assert_eq!(got, "none");
}

#[test]
fn scope_none_allows_signals_and_sockets_but_not_ptrace() {
    needs_root!();
    needs_abi!(2);
    let (seen, got) = attack(None, &["--scope", "none"]);
    assert_eq!(seen, "ptrace=EPERM mem=EACCES kill=ok abstract=ok");
    assert_eq!(got, "io");
}

#[test]
fn below_abi_6_the_default_domain_still_confines_ptrace() {
    needs_root!();
    needs_abi!(2);
    let (seen, got) = attack(Some("5"), &[]);
    assert_eq!(seen, "ptrace=EPERM mem=EACCES kill=ok abstract=ok");
    assert_eq!(got, "io");
}

#[test]
fn the_supervisor_outside_the_domain_still_reports_and_forwards() {
    needs_root!();
    needs_abi!(6);
    let r = nobody(
        &[
            "-q",
            "--fs-system",
            "--report-denied",
            "-syscall-deny=mkdir,mkdirat",
        ],
        &[
            "sh",
            "-c",
            "mkdir /tmp/go-jail-ll-never; cat /etc/hostname; exit 3",
        ],
    );
    r.assert_code(3);
    assert!(r.stderr.contains("go-jail: denied mkdir"), "{r:?}");
    assert!(
        r.stderr.contains("cat: /etc/hostname: Permission denied"),
        "{r:?}"
    );
}

#[test]
fn compile_dump_and_explain_show_the_landlock_rules() {
    needs_abi!(6);
    let r = jail(&[
        "compile",
        "-syscall-deny=ptrace",
        "-q",
        "--fs-system",
        "--fs-rw",
        "/tmp",
        "--net-connect",
        "443",
        "--dump",
        "-o",
        "/dev/null",
    ]);
    r.assert_code(0);
    for line in [
        "; landlock: rw  /tmp  [",
        "; landlock: rx  /usr  [execute,read_file,read_dir]  (--fs-system)",
        "; landlock: tty /dev/pts  [write_file,read_file,read_dir,truncate,ioctl_dev]  (--fs-system)",
        "; landlock: tcp 443 [connect_tcp]",
        "scopes [abstract_unix_socket,signal]",
        "; landlock: note: pathname unix sockets outside the grants stay reachable",
    ] {
        assert!(r.stdout.contains(line), "{line}: {r:?}");
    }
    assert!(
        r.stdout.contains("ld [arch]"),
        "the filter is there too: {r:?}"
    );
    // a relative path is shown absolute; the preset's missing entries are named
    let t = Tree::new("dump");
    let mut c = Command::new(bin());
    c.current_dir(&t.0)
        .args(["compile", "--fs-ro", ".", "--fs-system", "--dump"]);
    let r = Run::new(&mut c);
    r.assert_code(0);
    let shown = format!(
        "; landlock: ro  {}  [read_file,read_dir]  (--fs-ro)",
        t.path()
    );
    assert!(r.stdout.contains(&shown), "{r:?}");
    if !Path::new("/lib32").exists() {
        assert!(
            r.stdout
                .contains("--fs-system: /lib32 does not exist here: skipped"),
            "{r:?}"
        );
    }
    let r = jail(&["explain", "--no-net", "-q"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("socket: ALLOW if args[0].lo == 1; ERRNO(13) (EACCES) otherwise"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("landlock: handles fs [] net [bind_tcp,connect_tcp]"),
        "{r:?}"
    );
}

#[test]
fn network_and_scopes_as_an_unprivileged_caller() {
    needs_abi!(6);
    let port = tcp_server();
    let p = port.to_string();
    let Some(r) = unprivileged(
        &["--net-connect", &p],
        &["/usr/bin/python3", "-c", &connect(port)],
    ) else {
        return;
    };
    assert_eq!(r.stdout, "ok\n", "{r:?}");
    let r = unprivileged(&["--no-net"], &["/usr/bin/python3", "-c", &connect(port)]).unwrap();
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let victim = Victim::start();
    let pid = victim.pid.to_string();
    let r = unprivileged(&[], &["/usr/bin/python3", "-c", ATTACKER, &pid]).unwrap();
    r.assert_code(0);
    assert_eq!(
        r.stdout.trim(),
        "ptrace=EPERM mem=EACCES kill=EPERM abstract=EPERM"
    );
    assert_eq!(victim.report(), "none");
}

#[test]
fn man_page_and_completions_cover_the_landlock_options() {
    let man = jail(&["man"]);
    man.assert_code(0);
    let bash = jail(&["completions", "bash"]);
    bash.assert_code(0);
    for opt in [
        "fs-ro",
        "fs-rx",
        "fs-rw",
        "fs-rwx",
        "fs-system",
        "net-connect",
        "net-bind",
        "no-net",
        "no-unix",
        "scope",
        "landlock-best-effort",
    ] {
        let roff = opt.replace('-', "\\-");
        assert!(man.stdout.contains(&format!("\\-\\-{roff}")), "man: {opt}");
        assert!(bash.stdout.contains(&format!("--{opt}")), "bash: {opt}");
    }
}

#[test]
fn the_default_domain_leaves_renames_and_links_across_directories_alone() {
    needs_root!();
    needs_abi!(2);
    let t = Tree::new("refer");
    let script = format!(
        "import os\nos.chdir('{}')\nos.mkdir('x'); os.mkdir('y')\nopen('x/a', 'w').write('a')\nos.rename('x/a', 'y/a'); os.link('y/a', 'x/b'); os.rename('x', 'y/x')\nprint('ok')",
        t.path()
    );
    // ABI 6+: a scopes-only domain; ABI 2-5: REFER handled and granted beneath /
    for abi in ["7", "5", "2"] {
        let r = nobody_with_abi(abi, &[], &["python3", "-c", &script]);
        assert_eq!(r.stdout, "ok\n", "ABI {abi}: {r:?}");
        let _ = std::fs::remove_dir_all(t.join("y"));
    }
}

#[test]
fn the_ruleset_fd_does_not_reach_the_command() {
    needs_root!();
    needs_abi!(5);
    for args in [
        &["--fs-system", "--fs-ro", "/proc"][..],
        &[
            "--fs-system",
            "--fs-ro",
            "/proc",
            "--report-denied",
            "-syscall-deny=ptrace",
            "-q",
        ],
    ] {
        let r = nobody(args, &["ls", "-l", "/proc/self/fd/"]);
        r.assert_code(0);
        assert!(!r.stdout.contains("landlock"), "{args:?}: {r:?}");
        assert!(r.stdout.contains("/proc/"), "{args:?}: {r:?}"); // ls's own directory fd
    }
}

/// `-v` prints the domain before COMMAND runs (the lines `compile --dump`
/// shows) and the notes on what it leaves open: pathname unix sockets
/// below ABI 9, default scopes skipped below ABI 6. Without `-v`, nothing.
#[test]
fn verbose_runs_show_the_domain_and_its_notes() {
    needs_root!();
    needs_abi!(6);
    let r = nobody(
        &["-v", "--fs-system", "--fs-ro", "/etc/hostname"],
        &["true"],
    );
    r.assert_code(0);
    assert!(r.stderr.contains("go-jail: landlock: ABI "), "{r:?}");
    assert!(r.stderr.contains("/etc/hostname"), "{r:?}");
    assert!(
        r.stderr
            .contains("pathname unix sockets outside the grants stay reachable"),
        "{r:?}"
    );
    let r = nobody_with_abi("5", &["-v"], &["true"]);
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("note: scopes (signals, abstract unix sockets) not enforced"),
        "{r:?}"
    );
    let quiet = nobody(&["--fs-system"], &["true"]);
    assert!(!quiet.stderr.contains("landlock:"), "{quiet:?}");
}

/// The file, network, scope and fail-closed classes above, run by an
/// unprivileged caller (uid/gid 65534 through setpriv) instead of root with
/// `-user nobody`: write/truncate/rename/link inside an rw tree, a write
/// into an ro tree, a binary outside every rx tree (126), `--net-bind`,
/// UDP under `--no-net`, `--scope none`, and the ABI cap failing closed.
#[test]
fn every_landlock_class_holds_for_an_unprivileged_caller() {
    needs_abi!(6);
    let t = Tree::new("unpriv");
    let script = format!(
        "cd {} && echo hello > a && mkdir -p x y && python3 -c 'import os; os.rename(\"a\", \"x/a\"); os.rename(\"x/a\", \"y/a\"); os.link(\"y/a\", \"x/b\"); os.truncate(\"x/b\", 2)' && cat x/b",
        t.path()
    );
    let Some(r) = unprivileged(
        &["--fs-system", "--fs-rw", t.path()],
        &["sh", "-c", &script],
    ) else {
        return;
    };
    r.assert_code(0);
    assert_eq!(r.stdout, "he", "{r:?}");
    let write = format!("echo x > {}", t.join("ro-file"));
    let r = unprivileged(&["--fs-system", "--fs-ro", t.path()], &["sh", "-c", &write]).unwrap();
    assert_ne!(r.code(), Some(0), "{r:?}");
    assert!(!Path::new(&t.join("ro-file")).exists());
    let exe = t.join("mytrue");
    std::fs::copy("/bin/true", &exe).unwrap();
    let r = unprivileged(&["--fs-system", "--fs-ro", t.path()], &["sh", "-c", &exe]).unwrap();
    r.assert_code(126);
    let (a, b) = (free_port(), free_port());
    let bind = |p: u16| py(&format!("socket.socket().bind(('127.0.0.1', {p}))"));
    let allowed = a.to_string();
    let r = unprivileged(&["--net-bind", &allowed], &["python3", "-c", &bind(a)]).unwrap();
    assert_eq!(r.stdout, "ok\n", "{r:?}");
    let r = unprivileged(&["--net-bind", &allowed], &["python3", "-c", &bind(b)]).unwrap();
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let udp = py("socket.socket(socket.AF_INET, socket.SOCK_DGRAM)");
    let r = unprivileged(&["--no-net"], &["python3", "-c", &udp]).unwrap();
    assert_eq!(r.stdout, "EACCES\n", "{r:?}");
    let victim = Victim::start();
    let pid = victim.pid.to_string();
    let r = unprivileged(
        &["--scope", "none"],
        &["/usr/bin/python3", "-c", ATTACKER, &pid],
    )
    .unwrap();
    assert_eq!(
        r.stdout.trim(),
        "ptrace=EPERM mem=EACCES kill=ok abstract=ok"
    );
    let mut c = Command::new("setpriv");
    c.env("GO_JAIL_LANDLOCK_ABI", "3")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", bin()])
        .args(["--net-connect", "443", "--", "true"]);
    let r = Run::new(&mut c);
    r.assert_code(125);
    assert!(r.stderr.contains("needs Landlock ABI 4"), "{r:?}");
}
