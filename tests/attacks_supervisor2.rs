//! Attacks on the supervisor's reading of Landlock calls, second round
//! (attack4 review of d95d15a, after the fixes of
//! `tests/attacks_supervisor.rs`): `--report-denied`/`--complain` with
//! `--fs-*` and `learn` walk the jailed command's paths as root
//! (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH) "as far as the caller could".
//!
//! The FINDING tests failed on d95d15a and pass since the fixes: every
//! question after the walk is asked of its handles (src/access/walk.rs
//! `Found`), capabilities count only in the supervisor's user namespace,
//! procfs is told by device and root inode, reports wait in
//! `report::Outbox` for stderr to take them, and learn's folded writes
//! grant the top directory. The HELD ones are attacks that held.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin, chmod, needs_root, ModeDir as Dir, Run};

/// `OP ARG` pairs, each printed with its result (see each op).
const PROBE: &str = r#"#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *op = argv[i], *p = argv[i + 1]; long r = -1;
    if (!strcmp(op, "open")) r = open(p, O_RDONLY);
    else if (!strcmp(op, "write")) r = open(p, O_WRONLY);
    else if (!strcmp(op, "creat")) r = open(p, O_WRONLY | O_CREAT, 0600);
    else if (!strcmp(op, "opath")) r = open(p, O_PATH | O_DIRECTORY);
    else if (!strcmp(op, "openat")) r = openat(3, p, O_RDONLY); /* from the last opath (fd 3) */
    else if (!strcmp(op, "exec")) { char *a[] = {(char *)p, 0}; r = execve(p, a, 0); }
    else if (!strcmp(op, "userns")) r = unshare(CLONE_NEWUSER);
    else if (!strcmp(op, "deletedcwd")) { /* p = "DIR:TARGET": cwd DIR/d, removed; "DIR/d (deleted)" -> TARGET */
      static char s[4096], d[4200], fake[4300]; strcpy(s, p); char *c = strchr(s, ':'); *c = 0;
      snprintf(d, sizeof d, "%s/d", s); snprintf(fake, sizeof fake, "%s/d (deleted)", s);
      r = (mkdir(d, 0755) || chdir(d) || rmdir(d) || symlink(c + 1, fake)) ? -1 : 0;
    } else if (!strcmp(op, "procbind")) { /* own user and mount namespaces, /proc bound on p, cwd there */
      r = (unshare(CLONE_NEWUSER | CLONE_NEWNS) || mount("/proc", p, 0, MS_BIND | MS_REC, 0) || chdir(p)) ? -1 : 0;
    } else if (!strcmp(op, "flood")) { /* a leftover child, then endless opens of p */
      pid_t c = fork();
      if (c == 0) { alarm(60); for (;;) pause(); }
      printf("leftover %d\n", c); fflush(stdout);
      for (;;) close(open(p, O_RDONLY));
    } else if (!strcmp(op, "deep")) { /* p = "DIR:N": N files read 14 long names down in DIR */
      static char s[4096]; strcpy(s, p); char *c = strchr(s, ':'); *c = 0; int n = atoi(c + 1);
      char l[251], f[256]; memset(l, 'a', 250); l[250] = 0; int home = open(".", O_PATH); chdir(s);
      for (int k = 0; k < 14; k++) { mkdir(l, 0700); chdir(l); }
      for (int k = 0; k < n; k++) { snprintf(f, sizeof f, "f%0180d", k);
        close(open(f, O_WRONLY | O_CREAT, 0600)); close(open(f, O_RDONLY)); }
      fchdir(home); close(home); r = 0;
    }
    printf("%s %s -> %ld %s\n", op, p, r, r < 0 ? strerror(errno) : "");
    fflush(stdout);
  }
  return 0;
}
"#;

/// The probe, built once and copied into a world-readable place.
fn probe() -> Option<String> {
    static BUILT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = common::build_c("a4probe", PROBE)?;
            let dst = std::env::temp_dir().join(format!("go-jail-a4-probe-{}", std::process::id()));
            std::fs::copy(exe, &dst).unwrap();
            chmod(&dst, 0o755);
            Some(dst.to_str().unwrap().to_owned())
        })
        .clone()
}

/// `go-jail -user nobody MODE --fs-system --fs-rx=PROBE EXTRA -- PROBE ARGS`.
fn jail(mode: &str, extra: &[&str], probe: &str, args: &[&str], cwd: Option<&Path>) -> Run {
    let rx = format!("--fs-rx={probe}");
    let mut c = Command::new(bin());
    c.args(["-user", "nobody", mode, "--fs-system", &rx])
        .args(extra)
        .arg("--")
        .arg(probe)
        .args(args);
    if let Some(cwd) = cwd {
        c.current_dir(cwd);
    }
    Run::new(&mut c)
}

/// A root-only directory (0700) holding `present` (0755, a `#!` script
/// naming `interp`): what nobody may neither list nor search.
fn closed(interp: &str) -> Dir {
    let d = Dir::new("closed", 0o700);
    std::fs::write(d.join("present"), format!("#!{interp}\n")).unwrap();
    chmod(d.join("present"), 0o755);
    d
}

/// An existing program outside every grant, whose name in a report would
/// show the supervisor read `#!` lines behind a closed directory.
fn visible_interp() -> (Dir, String) {
    let d = Dir::new("interp", 0o755);
    let p = d.join("interp-q9z");
    std::fs::write(&p, "#!/bin/sh\n").unwrap();
    chmod(&p, 0o755);
    (d, p)
}

/// FINDING A (medium, root caller): the walk returns a *string* and every
/// later look at it (`open`'s `symlink_metadata`, `Cred::permits`,
/// `is_regular`, `head`, `kind_rights`) resolves that string again as
/// root with CAP_DAC_READ_SEARCH, following every link but the last and
/// checking nothing. The string is not the handle the walk checked: the
/// cwd of a removed directory reads back as `/W/d (deleted)`, a name the
/// command can give a symlink to a directory it may not search. Then
/// `open("present")` (ENOENT for the kernel) is reported as `read_file
/// /W/d (deleted)/present` exactly when `/closed/present` exists (an
/// existence oracle of any path), and `execve("present")` makes `head`
/// open the closed file as root and report its `#!` interpreter (its
/// first line). A rename race (swap a checked directory for a symlink
/// between the walk and the stat) does the same with any spelling.
/// Fix: keep the walk's last handle (and the parent's for a missing last
/// name) and ask everything of it: `fstat` for kinds and modes, `openat(h,
/// "", ...)`/`/proc/self/fd/N` for `head`, the interpreter walked again
/// from its handle; never hand the printed name to a path syscall.
#[test]
fn deleted_cwd_name_is_reresolved_as_root() {
    needs_root!();
    let Some(p) = probe() else { return };
    let (_i, interp) = visible_interp();
    let closed = closed(&interp);
    let w = Dir::new("delcwd", 0o777);
    let arg = format!("{}:{}", w.0.display(), closed.0.display());
    let r = jail(
        "--complain",
        &[],
        &p,
        &[
            "deletedcwd",
            &arg,
            "open",
            "present",
            "open",
            "missing",
            "exec",
            "present",
        ],
        None,
    );
    assert!(
        r.stdout.contains("deletedcwd") && r.stdout.contains("No such file"),
        "{r:?}"
    );
    assert!(
        !r.stderr.contains("present") && !r.stderr.contains("interp-q9z"),
        "a file behind a closed directory was stat'ed and read as root: {r:?}"
    );
}

/// FINDING B (medium, root caller, the default policy): `Cred::of` takes
/// `CapEff` from `/proc/TID/status` as a DAC bypass, but those are the
/// capabilities in the caller's *own* user namespace: after
/// `unshare(CLONE_NEWUSER)` (which the default policy allows) nobody has a
/// full `CapEff` that overrides nothing on files of unmapped owners. The
/// supervisor then walks closed directories for it as root: `open` of
/// `/closed/present` (EACCES for the kernel) is reported `read_file
/// /closed/present`, `/closed/missing` is not (an existence oracle behind
/// any directory, symlink targets in it printed, `#!` lines read by
/// `head`), with Landlock enforced (`--report-denied`).
/// Fix: count `CapEff` only when the caller's user namespace is the
/// supervisor's (`/proc/TID/ns/user` and `/proc/self/ns/user` name the same
/// inode; else, or unreadable, no bypass); better, check with
/// `faccessat`-like semantics under the caller's creds (a helper thread
/// with `setfsuid`/`setgroups` and no caps).
#[test]
fn user_namespace_caps_are_taken_as_a_dac_bypass() {
    needs_root!();
    let Some(p) = probe() else { return };
    let (_i, interp) = visible_interp();
    let closed = closed(&interp);
    let (present, missing) = (closed.join("present"), closed.join("missing"));
    let r = jail(
        "--report-denied",
        &[],
        &p,
        &["userns", "", "open", &present, "open", &missing],
        None,
    );
    if !r.stdout.contains("userns  -> 0") {
        eprintln!("skipping: no user namespace for nobody here: {r:?}");
        return;
    }
    assert!(r.stdout.contains("Permission denied"), "{r:?}");
    assert!(
        !r.stderr.contains("present"),
        "a name behind a closed directory was walked for a namespaced caller: {r:?}"
    );
}

/// FINDING C (low, root caller, `--complain`/`learn`, where Landlock does
/// not forbid mounts): `/proc/self` and the magic links of other
/// processes are recognised by the *name* `/proc`. A command in its own
/// user and mount namespaces binds /proc on a directory of its own and
/// works from there (its cwd, read back as that directory's name): the
/// walk opens `self` as the supervisor's own `/proc/self` and follows its
/// `cwd` (the `other_process` test sees no `/proc` either), so `creat
/// ("self/cwd/x")` reports go-jail's working directory (here hidden from
/// the command with `--cwd /`): FINDING 3 of attacks_supervisor.rs again.
/// Fix: tell procfs by the handle (`fstatfs` == PROC_SUPER_MAGIC): map
/// `self`/`thread-self` met in any procfs root to the caller, and follow
/// no symbolic link in a procfs directory but those (a procfs link target
/// is not a path the caller walks); or stop at any procfs reached by
/// another name than `/proc`.
#[test]
fn procfs_under_another_name_gives_the_supervisors_self() {
    needs_root!();
    let Some(p) = probe() else { return };
    let hidden = Dir::new("hidden", 0o711);
    let secret = hidden.0.join(format!("secret-{}-q7x", std::process::id()));
    std::fs::create_dir(&secret).unwrap();
    let mnt = Dir::new("procbind", 0o755);
    let r = jail(
        "--complain",
        &["--cwd", "/"],
        &p,
        &["procbind", &mnt.join(""), "creat", "self/cwd/x"],
        Some(&secret),
    );
    if !r
        .stdout
        .contains(&format!("procbind {} -> 0", mnt.join("")))
    {
        eprintln!("skipping: no bind mount in a user namespace here: {r:?}");
        return;
    }
    assert!(
        !r.stderr.contains("secret-"),
        "go-jail's own cwd leaked through a procfs bound elsewhere: {r:?}"
    );
}

/// FINDING D (low, availability): a report line is a blocking
/// `write(2)` to go-jail's stderr. With `--report-denied=all` the command
/// fills a pipe nobody drains (a caller reading stdout first, a stalled
/// logger) and the supervisor blocks inside `warn`: it no longer polls its
/// signalfd, so SIGTERM/SIGINT are neither forwarded nor acted on (the
/// README: go-jail forwards them), every notified call of the jail waits,
/// and the only way out is SIGKILL, after which the command's own children
/// outlive go-jail (only the direct child has PDEATHSIG; the README says
/// nothing started in the jail outlives go-jail).
/// Fix: never block the supervisor on stderr: write reports non-blocking
/// (O_NONBLOCK on a dup'd fd, or poll POLLOUT) from a bounded queue,
/// dropping lines past it with a "N reports dropped" line; keep serving
/// the signalfd meanwhile.
#[test]
fn a_full_stderr_freezes_the_supervisor() {
    needs_root!();
    let Some(p) = probe() else { return };
    let d = Dir::new("flood", 0o755);
    let target = d.join("f");
    std::fs::write(&target, "x").unwrap();
    chmod(&target, 0o644);
    let rx = format!("--fs-rx={p}");
    let mut child = Command::new(bin())
        .args(["-user", "nobody", "--report-denied=all", "--fs-system", &rx])
        .args(["--", &p, "flood", &target])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped()) // never read
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let leftover: Option<u32> = first
        .strip_prefix("leftover ")
        .and_then(|s| s.trim().parse().ok());
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = Instant::now();
    let mut exited = false;
    while !exited && start.elapsed() < Duration::from_secs(5) {
        exited = child.try_wait().unwrap().is_some();
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(300));
    let survived = leftover.filter(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.contains("(go-jail-a4-pro") && !s.contains(") Z "))
    });
    if let Some(pid) = survived {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        exited,
        "go-jail ignored SIGTERM for 5 s, blocked writing reports; after SIGKILL \
         the command's child {survived:?} outlived it"
    );
}

/// FINDING E (low, learn): past learn's bound (65536 paths or 8 MiB, here
/// reached with ~2400 reads of 3.7 KB paths) a path is kept as its top
/// two directories, but the folding still treats that directory as the
/// file written: `write_file` on `/tmp/D` (for `/tmp/D/w/f`) grants
/// `--fs-rw` on its *parent*, `/tmp`, one level wider than the fold
/// itself (the same for any write under `/home/USER/...`: `--fs-rw=/home`).
/// Fix: in `Learned::add`, record a folded access as rights *beneath* the
/// top (e.g. write rights become `--fs-rw` on the top itself: keep a
/// separate "folded" set, or map FILE_WRITES to NAME_CHANGES-like
/// treatment for folded entries).
#[test]
fn learn_fold_grants_writes_on_the_parent_of_the_fold() {
    needs_root!();
    let Some(p) = probe() else { return };
    let d = Dir::new("fold", 0o777);
    std::fs::create_dir(d.0.join("w")).unwrap();
    std::fs::write(d.join("w/f"), "").unwrap();
    chmod(d.join("w/f"), 0o666);
    let deep = format!("{}:2400", d.0.display());
    let r = Run::new(
        Command::new(bin())
            .args(["learn", "-user", "nobody", "--"])
            .args([&p, "deep", &deep, "write", &d.join("w/f")]),
    );
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("go-jail "))
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        r.stdout.contains("write ") && r.stdout.contains("-> 3"),
        "{r:?}"
    );
    assert!(
        !line.split(' ').any(|w| w == "--fs-rw=/tmp"),
        "a write beneath {} became --fs-rw=/tmp",
        d.0.display()
    );
}

/// HELD: an `O_PATH` dirfd on a directory nobody may not search (it can
/// open one: O_PATH needs no right on the directory itself) gives the
/// kernel's EACCES and no report: the walk checks search on its start.
#[test]
fn opath_dirfd_on_a_closed_directory_held() {
    needs_root!();
    let Some(p) = probe() else { return };
    let closed = closed("/bin/sh");
    let r = jail(
        "--report-denied",
        &[],
        &p,
        &["opath", &closed.join(""), "openat", "present"],
        None,
    );
    assert!(
        r.stdout.contains("opath") && r.stdout.contains("-> 3"),
        "{r:?}"
    );
    assert!(r.stdout.contains("Permission denied"), "{r:?}");
    assert!(!r.stderr.contains("present"), "{r:?}");
}

/// HELD: `/dev/fd`, `/proc/thread-self` and `/proc/self/task/TID/..`
/// spellings of the caller's own cwd resolve to the caller's, never to
/// go-jail's (run from a secret directory with `--cwd /`).
#[test]
fn proc_self_spellings_held() {
    needs_root!();
    let Some(p) = probe() else { return };
    let hidden = Dir::new("hidden2", 0o711);
    let secret = hidden.0.join(format!("secret-{}-q7x", std::process::id()));
    std::fs::create_dir(&secret).unwrap();
    let r = jail(
        "--report-denied",
        &["--cwd", "/"],
        &p,
        &[
            "creat",
            "/proc/thread-self/cwd/x",
            "creat",
            "/dev/fd/../cwd/y",
            "creat",
            "/proc/self/task/../cwd/z",
        ],
        Some(&secret),
    );
    assert!(r.stdout.contains("creat"), "{r:?}");
    assert!(!r.stderr.contains("secret-"), "{r:?}");
}
