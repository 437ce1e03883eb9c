//! Report mode cannot be hijacked (issue 12, finding 1): a process that
//! outlives go-jail's supervisor cannot install a seccomp listener of its
//! own and answer CONTINUE to the calls the policy denies (go-jail kills
//! leftovers, so the test kills go-jail itself to get one). The attack runs
//! as the jailed command (a small C program); the kernel decides.

mod common;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::needs_root;

const EPERM: i64 = 1;

/// Builds the attack once for all tests (a rebuild while another test
/// executes it would fail with ETXTBSY).
fn hijack_probe() -> Option<PathBuf> {
    static PROBE: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROBE.get_or_init(build_probe).clone()
}

/// The attack, static and not PIE (its i386 variant passes 32-bit
/// pointers through `int $0x80`).
fn build_probe() -> Option<PathBuf> {
    let dir = common::scratch_dir();
    let src = dir.join("hijack.c");
    let exe = dir.join("hijack");
    std::fs::write(&src, HIJACK_C).unwrap();
    let ok = Command::new("gcc")
        .args(["-static", "-no-pie", "-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: gcc -static could not build the hijack probe");
        return None;
    }
    Some(exe)
}

/// Each step of the attack: `name -> (return value, errno)`.
type Steps = HashMap<String, (i64, i64)>;

/// Runs the attack as the jailed command (`args` before `--`). Since go-jail
/// kills what the command leaves behind and, with `--keep-orphans`, keeps
/// its listener open while any jailed process lives, the only way left for
/// the listener to close under a live jailed process is go-jail's own death:
/// the test kills it (SIGKILL) once the leftover has made its first try,
/// then lets the leftover go on, and reads its steps.
fn attack(probe: &Path, args: &[&str], mode: &[&str]) -> Steps {
    let dir = std::env::temp_dir().join(format!(
        "go-jail-hijack-{}-{}",
        std::process::id(),
        mode.join("-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut cmd = Command::new(common::bin());
    // go-jail's output to a file: the leftover process would hold a pipe open
    let log = std::fs::File::create(dir.join("go-jail.log")).unwrap();
    let mut go_jail = cmd
        .args(args)
        .args(["-q", "--keep-orphans", "--report-denied", "--"])
        .arg(probe)
        .arg(&dir)
        .args(mode)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let result = dir.join("result");
    let started = Instant::now();
    while !std::fs::read_to_string(&result)
        .unwrap_or_default()
        .contains("install-supervised")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the leftover never tried"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    go_jail.kill().unwrap();
    go_jail.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("go-jail.log")).unwrap();
    // go-jail is gone: its listener is closed
    std::fs::write(dir.join("go"), "").unwrap();
    let result = dir.join("result");
    let started = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&result).unwrap_or_default();
        if text.ends_with("done\n") {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the leftover process did not finish (killed?): {text:?} {log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let made = dir.join("made").exists();
    let _ = std::fs::remove_dir_all(&dir);
    let mut steps: Steps = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() == 3).then(|| {
                (
                    f[0].to_string(),
                    (f[1].parse().unwrap(), f[2].parse().unwrap()),
                )
            })
        })
        .collect();
    steps.insert("made".into(), (i64::from(made), 0));
    steps
}

/// The listener is refused while the supervisor lives and after it is
/// gone, and every call the policy denies stays denied.
fn assert_held(steps: &Steps, denied: &[&str]) {
    assert_eq!(steps["go"], (0, 0), "{steps:?}");
    for call in denied {
        assert_eq!(steps[*call].0, -1, "{call} got through: {steps:?}");
    }
    assert_eq!(steps["made"].0, 0, "the directory was made: {steps:?}");
    // the guard's EPERM (the kernel's EBUSY while a listener is open; a
    // listener fd once it is closed)
    assert_eq!(steps["install-supervised"], (-1, EPERM), "{steps:?}");
    assert_eq!(steps["install-after"], (-1, EPERM), "{steps:?}");
}

#[test]
fn a_leftover_process_cannot_install_a_listener_and_undo_the_denials() {
    needs_root!();
    let Some(probe) = hijack_probe() else { return };
    let args = ["-user", "nobody", "-syscall-deny=mkdir,socket"];
    let steps = attack(&probe, &args, &["inet"]);
    assert_held(&steps, &["mkdir", "socket"]);
}

#[test]
fn a_leftover_process_cannot_hijack_dockers_profile() {
    needs_root!();
    let Some(probe) = hijack_probe() else { return };
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/docker-default.json"
    );
    let args = ["-user", "nobody", "--seccomp-profile", profile];
    // socket(AF_VSOCK) is what Docker's profile refuses
    let steps = attack(&probe, &args, &["vsock"]);
    assert_held(&steps, &["socket"]);
}

/// The i386 path: with i386 targeted, `seccomp` through `int $0x80`
/// (nr 354) meets the same guard.
#[test]
fn the_listener_guard_holds_on_the_i386_path() {
    needs_root!();
    let Some(probe) = hijack_probe() else { return };
    let args = [
        "-user",
        "nobody",
        "--arch",
        "x86_64,x86",
        "-syscall-deny=mkdir,socket",
    ];
    let steps = attack(&probe, &args, &["inet", "int80"]);
    assert_held(&steps, &["mkdir", "socket"]);
}

const HIJACK_C: &str = r#"/* The report-mode hijack (issue 12, finding 1), run as the jailed command:
 *   hijack DIR inet|vsock [int80]
 * forks; the child tries to install a seccomp filter with its own listener
 * while go-jail's supervisor lives, lets the command exit, waits for DIR/go
 * (created by the test once go-jail is gone), tries again, serves its
 * listener (if it got one) with CONTINUE from a forked helper, then tries
 * the calls the policy denies. Each step is one line "NAME RET ERRNO" in
 * DIR/result; "done" ends it. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static int out;

static void report(const char *name, long ret, int err) {
  dprintf(out, "%s %ld %d\n", name, ret, ret < 0 ? err : 0);
}
/* errno read after the call (argument order is unspecified in C) */
#define STEP(name, call) do { long r_ = (call); report(name, r_, errno); } while (0)

static struct sock_filter insns[] = {
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 2, 0),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
};
static struct sock_fprog prog = { sizeof insns / sizeof insns[0], insns };
/* i386's struct sock_fprog: the binary is static and not PIE, so its data
 * sits below 4 GiB where a 32-bit pointer reaches it. */
static struct { unsigned short len; unsigned int filter; } prog32;

/* seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER, prog): the listener fd or -1. */
static long install(int int80) {
  if (!int80)
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  long r;
  prog32.len = prog.len;
  prog32.filter = (unsigned int)(unsigned long)insns;
  __asm__ volatile("int $0x80" : "=a"(r)
                   : "a"(354), "b"(SECCOMP_SET_MODE_FILTER),
                     "c"(SECCOMP_FILTER_FLAG_NEW_LISTENER), "d"(&prog32)
                   : "memory");
  if (r < 0 && r > -4096) { errno = (int)-r; return -1; }
  return r;
}

static void serve(int fd) {
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      _exit(0);
    }
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *dir = argv[1];
  int vsock = strcmp(argv[2], "vsock") == 0;
  int int80 = argc > 3 && strcmp(argv[3], "int80") == 0;
  char path[4096];
  int sync[2];
  if (pipe(sync)) return 3;
  pid_t child = fork();
  if (child < 0) return 4;
  if (child > 0) { /* the command: exit once the child has tried */
    char c;
    read(sync[0], &c, 1);
    return 0;
  }
  snprintf(path, sizeof path, "%s/result", dir);
  out = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0) _exit(5);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  long fd = install(int80);
  report("install-supervised", fd, errno);
  write(sync[1], "x", 1);
  snprintf(path, sizeof path, "%s/go", dir);
  for (int i = 0; i < 600 && access(path, F_OK) != 0; i++) {
    struct timespec t = { 0, 50 * 1000 * 1000 };
    nanosleep(&t, NULL);
  }
  STEP("go", access(path, F_OK));
  if (fd < 0) {
    fd = install(int80);
    report("install-after", fd, errno);
  }
  pid_t server = -1;
  if (fd >= 0) {
    server = fork();
    if (server == 0) serve((int)fd);
  }
  if (!vsock) {
    snprintf(path, sizeof path, "%s/made", dir);
    STEP("mkdir", syscall(SYS_mkdir, path, 0755));
  }
  STEP("socket", syscall(SYS_socket, vsock ? 40 : AF_INET, SOCK_STREAM, 0));
  if (server > 0) kill(server, SIGKILL);
  dprintf(out, "done\n");
  return 0;
}
"#;
