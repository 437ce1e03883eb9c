//! `--no-userns`: the command cannot create or join a user namespace
//! (issue 12, item 8), on every path the kernel offers: unshare, clone
//! (flags on the low word), clone3 (ENOSYS, so libc falls back to clone),
//! setns; in the run mode and under a supervisor, which must not turn the
//! guard into a notification it then lets through.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{jail, needs_root};
use policy::SyscallTable;
use runner::probe::{self, Call};
use runner::SockFilter;

const EPERM: isize = -1;
const ENOSYS: isize = -38;
const CLONE_NEWUSER: u64 = 0x1000_0000;

/// `userns MODE …` (see its source), built once for all tests.
fn userns_probe() -> Option<PathBuf> {
    static PROBE: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let dir = common::scratch_dir();
            let (src, exe) = (dir.join("userns.c"), dir.join("userns"));
            std::fs::write(&src, USERNS_C).unwrap();
            let ok = Command::new("gcc")
                .arg("-o")
                .arg(&exe)
                .arg(&src)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                eprintln!("skipping: gcc could not build the user-namespace probe");
            }
            ok.then_some(exe)
        })
        .clone()
}

/// `userns ARGS` as nobody, with `extra` options: its "RET ERRNO" line.
fn probe_line(probe: &Path, extra: &[&str], args: &[&str]) -> String {
    let p = probe.to_str().unwrap();
    let r = jail(&[&["-user", "nobody", "-q"][..], extra, &["--", p], args].concat());
    r.assert_code(0);
    r.stdout.trim().to_string()
}

#[test]
fn no_userns_refuses_unshare_with_eperm() {
    needs_root!();
    let base = ["-user", "nobody", "-q"];
    let open = jail(&[&base[..], &["--", "unshare", "-Ur", "true"]].concat());
    if open.code() != Some(0) {
        eprintln!("skipping: nobody cannot create a user namespace here ({open:?})");
        return;
    }
    let closed = jail(&[&base[..], &["--no-userns", "--", "unshare", "-Ur", "true"]].concat());
    closed.assert_code(1);
    assert!(
        closed.stderr.contains("Operation not permitted"),
        "{closed:?}"
    );
}

#[test]
fn no_userns_makes_clone3_enosys_and_refuses_clone_on_the_low_word() {
    needs_root!();
    let Some(probe) = userns_probe() else { return };
    for args in [&["clone3"][..], &["clone", "0"], &["clone", "1"]] {
        assert_eq!(probe_line(&probe, &[], args), "0 0", "{args:?} without");
    }
    let guarded = ["--no-userns"];
    assert_eq!(probe_line(&probe, &guarded, &["clone3"]), "-1 38");
    // bit 32 set: the kernel keeps the low word of clone's flags
    assert_eq!(probe_line(&probe, &guarded, &["clone", "0"]), "-1 1");
    assert_eq!(probe_line(&probe, &guarded, &["clone", "1"]), "-1 1");
    // a plain fork (clone without CLONE_NEWUSER) still works
    let r = jail(&[
        "-user",
        "nobody",
        "--no-userns",
        "--",
        "sh",
        "-c",
        "(true) && echo forked",
    ]);
    assert_eq!(r.stdout.trim(), "forked", "{r:?}");
}

/// A user namespace another process of the target user created.
struct Holder(Child);

impl Holder {
    fn start() -> Option<Holder> {
        let child = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .args(["unshare", "-U", "sleep", "60"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let holder = Holder(child);
        let own = std::fs::read_link("/proc/self/ns/user").ok()?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if std::fs::read_link(holder.path()).is_ok_and(|ns| ns != own) {
                return Some(holder);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn path(&self) -> String {
        format!("/proc/{}/ns/user", self.0.id())
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn no_userns_refuses_joining_an_existing_user_namespace() {
    needs_root!();
    let Some(probe) = userns_probe() else { return };
    let Some(holder) = Holder::start() else {
        eprintln!("skipping: nobody cannot create a user namespace here");
        return;
    };
    let ns = holder.path();
    // Every jail's default Landlock domain already refuses to open another
    // process's namespace file (a ptrace access check); the seccomp guard
    // is tested alone, with Landlock off.
    if runner::landlock::kernel_abi() >= 1 {
        let r = jail(&[
            "-user",
            "nobody",
            "-q",
            "--",
            probe.to_str().unwrap(),
            "setns",
            &ns,
            "0",
        ]);
        assert!(r.stderr.contains("open: Permission denied"), "{r:?}");
    }
    let without_landlock = |extra: &[&str], args: &[&str]| {
        let mut c = Command::new(common::bin());
        c.env("GO_JAIL_LANDLOCK_ABI", "0")
            .args(["-user", "nobody", "-q"])
            .args(extra)
            .arg("--")
            .arg(&probe)
            .args(args);
        let r = common::Run::new(&mut c);
        r.assert_code(0);
        r.stdout.trim().to_string()
    };
    // nobody owns that namespace: it may join it, and hold every capability there
    for nstype in ["0x10000000", "0"] {
        let args = ["setns", ns.as_str(), nstype];
        assert_eq!(without_landlock(&[], &args), "0 0", "{nstype} without");
        assert_eq!(
            without_landlock(&["--no-userns"], &args),
            "-1 1",
            "{nstype}"
        );
    }
    // another namespace type goes on to the kernel (which refuses the mismatch)
    let args = ["setns", ns.as_str(), "0x40000000"];
    assert_eq!(without_landlock(&["--no-userns"], &args), "-1 22");
}

/// The supervisor answers CONTINUE in complain and learn mode: the guard
/// must stay the kernel's.
#[test]
fn no_userns_holds_under_report_complain_and_learn() {
    needs_root!();
    let unshare = ["--", "unshare", "-Ur", "true"];
    let open = jail(&[&["-user", "nobody", "-q", "--complain"][..], &unshare].concat());
    if open.code() != Some(0) {
        eprintln!("skipping: nobody cannot create a user namespace here ({open:?})");
        return;
    }
    for mode in [
        &["--complain"][..],
        &["--report-denied"],
        &["--complain", "-syscall-deny=ptrace"],
    ] {
        let base = ["-user", "nobody", "-q", "--no-userns"];
        let r = jail(&[&base[..], mode, &unshare].concat());
        r.assert_code(1);
        assert!(
            r.stderr.contains("Operation not permitted"),
            "{mode:?}: {r:?}"
        );
    }
    let r = jail(&[&["learn", "-user", "nobody", "--no-userns"][..], &unshare].concat());
    r.assert_code(1);
    assert!(r.stderr.contains("Operation not permitted"), "{r:?}");
}

/// The guard on i386, through the kernel: the filter `compile --no-userns`
/// writes, loaded in a probe child that calls through `int $0x80`.
#[test]
fn the_compiled_guard_holds_on_i386() {
    let compiled = |extra: &[&str]| -> Vec<SockFilter> {
        let out = common::scratch_dir().join(format!(
            "userns-{}-{}.bpf",
            std::process::id(),
            extra.len()
        ));
        let o = out.to_str().unwrap();
        let args = [
            "compile",
            "-q",
            "--arch",
            "x86_64,x86",
            "-syscall-deny=ptrace",
        ];
        let r = jail(&[&args[..], extra, &["--format", "raw", "-o", o]].concat());
        r.assert_code(0);
        SockFilter::from_raw_program(&std::fs::read(&out).unwrap())
    };
    let i386 = |name: &str, a0: u64| {
        Call::with_args(
            SyscallTable::lookup(bpf_asm::Arch::X86, name).unwrap(),
            [a0, 0, 0, 0, 0, 0],
        )
    };
    let calls = [
        i386("unshare", CLONE_NEWUSER),
        i386("unshare", CLONE_NEWUSER | 1 << 32),
        i386("clone3", 0),
        i386("clone", CLONE_NEWUSER),
    ];
    let guarded = probe::run_filtered_int80(&compiled(&["--no-userns"]), &calls).unwrap();
    assert_eq!(guarded.load, Ok(()));
    assert_eq!(
        guarded.results,
        [EPERM, EPERM, ENOSYS, EPERM],
        "{guarded:?}"
    );
    // without the guard the same unshare creates a namespace (the probe is
    // a throwaway child); clone and clone3 would run, so they are not made
    let plain = probe::run_filtered_int80(&compiled(&[]), &calls[..1]).unwrap();
    assert_eq!(plain.results, [0], "{plain:?}");
}

#[test]
fn compile_dump_names_the_userns_guard() {
    let r = jail(&["compile", "-q", "--no-userns", "--dump"]);
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("; guard (--no-userns): unshare/clone with CLONE_NEWUSER"),
        "{r:?}"
    );
}

const USERNS_C: &str = r#"/* userns MODE [ARG]: one way to get a user namespace, as the jailed command.
 *   clone3      clone3({flags = CLONE_NEWUSER, exit_signal = SIGCHLD})
 *   clone HI    clone(CLONE_NEWUSER | SIGCHLD), HI=1 sets bit 32 too
 *   setns PATH NSTYPE   setns(open(PATH), NSTYPE)
 * Prints "RET ERRNO" (ERRNO 0 on success); a created child exits at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>

int main(int argc, char **argv) {
  long r = -1;
  if (argc > 1 && strcmp(argv[1], "clone3") == 0) {
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_NEWUSER;
    a.exit_signal = SIGCHLD;
    r = syscall(SYS_clone3, &a, sizeof a);
  } else if (argc > 2 && strcmp(argv[1], "clone") == 0) {
    unsigned long flags = CLONE_NEWUSER | SIGCHLD;
    if (atoi(argv[2])) flags |= 1UL << 32;
    r = syscall(SYS_clone, flags, 0, 0, 0, 0);
  } else if (argc > 3 && strcmp(argv[1], "setns") == 0) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror("open"); return 2; }
    r = syscall(SYS_setns, fd, strtol(argv[3], NULL, 0));
  } else {
    return 2;
  }
  int err = r < 0 ? errno : 0;
  if (r == 0 && strcmp(argv[1], "setns") != 0) _exit(0); /* the new child */
  if (r > 0) waitpid((pid_t)r, NULL, 0);
  printf("%d %d\n", r < 0 ? -1 : 0, err);
  return 0;
}
"#;
