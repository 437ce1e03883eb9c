//! Attacks on the supervisor's reading of Landlock calls (attack3 review):
//! `--report-denied` with `--fs-*` and `learn` read the stopped thread's
//! memory and walk its paths as root (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH).
//!
//! The first seven reproduce findings; each was seen failing on the
//! reviewed code (0e36b8c) and passes since the fix its comment names
//! (src/access.rs: a walk of `O_PATH | O_NOFOLLOW` handles with the
//! caller's modes and `/proc` rules and a step budget; calls the modes
//! refuse are not learned or reported; the supervisor reads no path once
//! the command exited; learn's bounded maps and its line without control
//! characters). The others are attacks that held.

mod common;

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin, chmod, needs_root, ModeDir as Dir, Run};

/// `OP PATH` pairs, each printed with its result: open (read), creat,
/// nofollow (open O_NOFOLLOW), mkdir, and the loops flip, spin and churn
/// (each explained where it is used).
const PROBE: &str = r#"#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
static char buf[4096]; static const char *a, *b;
static void *flipper(void *x) { for (;;) { strcpy(buf, a); strcpy(buf, b); } return x; }
static void *spinner(void *x) { while (open((char *)x, O_RDONLY) < 0 && errno == ELOOP); _exit(0); }
int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *op = argv[i], *p = argv[i + 1]; long r = -1;
    if (!strcmp(op, "open")) r = open(p, O_RDONLY);
    else if (!strcmp(op, "creat")) r = open(p, O_WRONLY | O_CREAT, 0600);
    else if (!strcmp(op, "nofollow")) r = open(p, O_RDONLY | O_NOFOLLOW);
    else if (!strcmp(op, "mkdir")) r = mkdir(p, 0700);
    else if (!strcmp(op, "flip")) { /* p = "ALLOWED:DENIED" */
      static char s[4096]; strcpy(s, p); char *c = strchr(s, ':'); *c = 0; a = s; b = c + 1;
      strcpy(buf, a); pthread_t t; pthread_create(&t, 0, flipper, 0);
      for (int k = 0; k < 20000; k++) { int fd = open(buf, O_WRONLY | O_APPEND);
        if (fd >= 0) { write(fd, "x", 1); close(fd); } }
      r = 0;
    } else if (!strcmp(op, "spin")) { /* a leftover of 4 threads opening p */
      if (fork() == 0) { alarm(120); pthread_t t;
        for (int k = 0; k < 4; k++) pthread_create(&t, 0, spinner, (void *)p);
        pause(); }
      sleep(1); /* the leftover's calls are queued when this one exits */
      r = 0;
    } else if (!strcmp(op, "churn")) { /* deep long names: 20000 files made and removed */
      char l[251], n[256], s[64], line[256]; memset(l, 'a', 250); l[250] = 0; chdir(p);
      for (int k = 0; k < 14; k++) { mkdir(l, 0700); chdir(l); }
      for (int k = 0; k < 20000; k++) { snprintf(n, sizeof n, "f%0200d", k);
        close(open(n, O_WRONLY | O_CREAT, 0600)); close(open(n, O_RDONLY)); unlink(n); }
      snprintf(s, sizeof s, "/proc/%d/status", getppid()); FILE *f = fopen(s, "r");
      while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "VmHWM:", 6)) fputs(line, stdout);
      r = 0;
    }
    printf("%s %s -> %ld %s\n", op, p, r, r < 0 ? strerror(errno) : "");
    fflush(stdout);
    if (r > 2 && strcmp(op, "mkdir")) close(r);
  }
  return 0;
}
"#;

/// The probe, built once and copied into a world-readable place.
fn probe() -> Option<String> {
    static BUILT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = common::build_c("a3probe", PROBE)?;
            let dst = std::env::temp_dir().join(format!("go-jail-a3-probe-{}", std::process::id()));
            std::fs::copy(exe, &dst).unwrap();
            chmod(&dst, 0o755);
            Some(dst.to_str().unwrap().to_owned())
        })
        .clone()
}

/// `go-jail -user nobody --report-denied --fs-system EXTRA -- CMD` (root),
/// or the same without `-user` under setpriv (`unprivileged`).
fn report(unprivileged: bool, extra: &[&str], cmd: &[&str], cwd: Option<&str>) -> Run {
    let mut argv: Vec<String> = vec![bin().into()];
    if !unprivileged {
        argv.extend(["-user".into(), "nobody".into()]);
    }
    argv.extend(["--report-denied", "--fs-system"].map(String::from));
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv.push("--".into());
    argv.extend(cmd.iter().map(|s| s.to_string()));
    if unprivileged {
        let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
        argv = common::as_nobody(&refs);
    }
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..]);
    if let Some(cwd) = cwd {
        c.current_dir(cwd);
    }
    Run::new(&mut c)
}

/// A directory nobody can search into but not list (`hidden`, 0711,
/// root's) holding `secret-<pid>` (0755): its name is what must not leak.
fn hidden_secret() -> (Dir, String) {
    let d = Dir::new("hidden", 0o711);
    let secret = d.join(&format!("secret-{}-q7x", std::process::id()));
    std::fs::create_dir(&secret).unwrap();
    chmod(&secret, 0o755);
    (d, secret)
}

/// FINDING 1 (medium, root caller): the walk follows `/proc/PID/cwd`
/// (also `root`, `exe`, `task/*/cwd`) with the supervisor's CAP_SYS_PTRACE,
/// while the kernel refuses the command (ptrace_may_access): a `creat`
/// under another user's process's cwd reports that cwd's name.
/// Fix: in `access::resolve`, follow a /proc magic link only when its PID
/// is the caller's thread group (or a jailed process the caller could
/// ptrace); otherwise stop the walk (None), as the kernel does.
#[test]
fn proc_magic_link_of_a_root_process_leaks_its_cwd() {
    needs_root!();
    let Some(p) = probe() else { return };
    let (_d, secret) = hidden_secret();
    let mut sleeper = Command::new("sleep")
        .arg("30")
        .current_dir(&secret)
        .spawn()
        .unwrap();
    let target = format!("/proc/{}/cwd/x", sleeper.id());
    let r = report(false, &[], &[&p, "creat", &target, "mkdir", &target], None);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(r.stdout.contains("Permission denied"), "{r:?}");
    assert!(
        !r.stderr.contains("secret-"),
        "the cwd of a root process leaked: {r:?}"
    );
}

/// FINDING 2 (medium, root caller): `open(LINK, O_NOFOLLOW)` fails with
/// ELOOP before Landlock is asked, but `access::open` calls
/// `std::fs::metadata` (following, as root) on the unfollowed link: the
/// report says read_file / read_dir / nothing as the link's target in
/// /root-like directories is a file, a directory or missing (an existence
/// oracle for any path). `execveat(AT_SYMLINK_NOFOLLOW)` likewise
/// (`is_file`, then `head` opens the target as root).
/// Fix: with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, `symlink_metadata` and no
/// access for a symlink; never follow a caller-chosen name outside the
/// checked walk (walk with O_PATH|O_NOFOLLOW fds, open `head` with
/// O_NOFOLLOW from the last fd).
#[test]
fn nofollow_open_of_a_symlink_is_an_existence_oracle() {
    needs_root!();
    let Some(p) = probe() else { return };
    let closed = Dir::new("closed", 0o700);
    std::fs::write(closed.join("present"), "x").unwrap();
    let links = Dir::new("links", 0o755);
    std::os::unix::fs::symlink(closed.join("present"), links.join("a")).unwrap();
    std::os::unix::fs::symlink(closed.join("missing"), links.join("b")).unwrap();
    let (a, b) = (links.join("a"), links.join("b"));
    let r = report(false, &[], &[&p, "nofollow", &a, "nofollow", &b], None);
    assert!(r.stdout.contains("Too many levels"), "{r:?}");
    assert!(
        !r.stderr.contains("by landlock"),
        "an O_NOFOLLOW open that failed with ELOOP was reported, \
         telling the target's existence: {r:?}"
    );
}

/// FINDING 3 (low, root caller): `/proc/self` is the caller's only when
/// the path starts with it literally (`own_proc`); reached through a
/// symlink (or `/proc/../proc/self`, a dirfd on /proc, cwd /proc) the walk
/// reads the supervisor's own `/proc/self`: a report names go-jail's
/// working directory (here hidden from the command by `--cwd /`), and the
/// prediction is about the wrong process.
/// Fix: in the walk, map the component `self` (`thread-self`) met in the
/// directory `/proc` to the caller's TGID (`TGID/task/TID`), whatever the
/// spelling that led there.
#[test]
fn indirect_proc_self_is_the_supervisors() {
    needs_root!();
    let Some(p) = probe() else { return };
    let (_d, secret) = hidden_secret();
    let links = Dir::new("selflink", 0o755);
    std::os::unix::fs::symlink("/proc/self", links.join("me")).unwrap();
    let target = format!("{}/cwd/x", links.join("me"));
    let r = report(
        false,
        &["--cwd", "/"],
        &[&p, "creat", &target, "creat", "/proc/../proc/self/cwd/y"],
        Some(&secret),
    );
    assert!(
        !r.stderr.contains("secret-"),
        "go-jail's own cwd leaked: {r:?}"
    );
}

/// A tree whose one lookup costs the supervisor seconds: `L0` leads
/// 1360 directories down to `u`, which leads back up to `L0`; the string
/// walk of `access::resolve` stats the whole path again at each of the
/// ~54000 steps of the 40 links (the kernel gives ELOOP at once).
fn slow_tree(d: &Dir) -> String {
    const DEPTH: usize = 1360;
    let mut deep = d.0.clone();
    for _ in 0..DEPTH {
        deep.push("d");
    }
    // create_dir_all works by absolute path: too long; go down by chdir
    let base = d.0.clone();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {} && i=0; while [ $i -lt {DEPTH} ]; do mkdir d && cd d || exit 1; i=$((i+1)); done; \
             ln -s {} u",
            base.display(),
            "../".repeat(DEPTH) + "L0"
        ))
        .status()
        .unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("d/".repeat(DEPTH) + "u", d.join("L0")).unwrap();
    d.join("L0")
}

/// FINDING 4 (medium, DoS, any caller): one `open` of [`slow_tree`] costs
/// the supervisor ~2.4 s (sys time); a leftover process whose threads
/// keep opening it delays go-jail's exit and the kill of leftovers by
/// up to 1024 such answers (`Watch::finish`), over 40 minutes (80 with
/// `rename`/`link`'s two lookups), while the leftovers run on.
/// Fix: resolve with one O_PATH|O_NOFOLLOW fd per component (no re-walk
/// of the whole string at each step) under a total budget of components
/// (e.g. 4096 over all links) and give up past it; in `finish`, answer
/// queued notifications without reading paths, or kill leftovers first.
#[test]
fn slow_walks_keep_leftovers_alive() {
    needs_root!();
    let Some(p) = probe() else { return };
    let d = Dir::new("slow", 0o755);
    let l0 = slow_tree(&d);
    let mut child = Command::new(bin())
        .args(["-user", "nobody", "--report-denied", "--fs-system", "--"])
        .args([&p, "spin", &l0])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut done = false;
    while !done && start.elapsed() < Duration::from_secs(20) {
        done = child.try_wait().unwrap().is_some();
        std::thread::sleep(Duration::from_millis(100));
    }
    // the leftovers get ENOSYS once the listener closes, and exit
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        done,
        "go-jail had not exited 20 s after the command did: slow walks hold it"
    );
}

/// `go-jail learn -user nobody [-o OUT] -- CMD`.
fn learn(out: Option<&str>, cmd: &[&str]) -> Run {
    let mut c = Command::new(bin());
    c.args(["learn", "-user", "nobody"]);
    if let Some(out) = out {
        c.args(["-o", out]);
    }
    Run::new(c.arg("--").args(cmd))
}

/// FINDING 5 (medium, DoS): learn keeps every path it saw
/// (`Learned::files`, unbounded; report mode stops at 4096): a command that
/// creates, opens and removes files of 3.7 KB paths grows the root
/// supervisor by ~4 KB a file while its own usage stays flat, until the
/// OOM killer.
/// Fix: bound `Learned::files` (fold into the directory once a directory
/// has more than N entries, and cap the total bytes; past it, warn and
/// keep the directory only).
#[test]
fn learn_memory_grows_without_bound() {
    needs_root!();
    let Some(p) = probe() else { return };
    let d = Dir::new("learnmem", 0o777);
    let r = learn(None, &[&p, "churn", &d.join("")]);
    let hwm: u64 = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        hwm < 48 * 1024,
        "learn's supervisor grew to {hwm} kB for 20000 paths"
    );
}

/// FINDING 6 (low): learn prints paths with control characters raw inside
/// the quotes of its line: a name with `\r` (or escape sequences) makes
/// `cat line.sh` show something other than what `sh line.sh` runs (here
/// hiding an `--fs-ro` option).
/// Fix: in `shell_quote`, write control characters with `$'...'` (`\r`,
/// `\033`, `\n`), or leave such paths out with a warning, like commas.
#[test]
fn learn_prints_control_characters_raw() {
    needs_root!();
    let d = Dir::new("ctl", 0o755);
    std::fs::write(d.join("a\rb"), "x").unwrap();
    chmod(d.join("a\rb"), 0o644);
    // reached through a symlink: the command line itself stays clean
    std::os::unix::fs::symlink(d.join("a\rb"), d.join("s")).unwrap();
    let out = Dir::new("ctl-out", 0o700);
    let file = out.join("line.sh");
    let r = learn(Some(&file), &["cat", &d.join("s")]);
    let line = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{r:?}"));
    // the path is left out of the line, with a warning (as for commas)
    assert!(r.stderr.contains("a control character"), "{line:?} {r:?}");
    assert!(
        !line.trim_end_matches('\n').chars().any(|c| c.is_control()),
        "control characters in the printed line: {line:?}"
    );
}

/// FINDING 7 (low): learn records what a call asked for even when the
/// kernel refused it before Landlock mattered (DAC: nobody may not create
/// in /): one failing `mkdir /x` makes the printed line `--fs-rw=/`, which
/// swallows every other file rule (`outermost`).
/// Fix: record make_*/remove_* only when the caller may write and search
/// the directory, write_file/truncate only when it may write the file (the
/// same mode-bit check as `Cred::may`), or drop accesses of failed calls.
#[test]
fn learn_grants_rw_for_a_mkdir_the_kernel_refused() {
    needs_root!();
    let name = format!("/go-jail-a3-{}", std::process::id());
    let r = learn(
        None,
        &["sh", "-c", &format!("mkdir {name} 2>/dev/null; true")],
    );
    assert!(!Path::new(&name).exists());
    assert!(
        !r.stdout.contains("--fs-rw=/ "),
        "a refused mkdir became --fs-rw=/: {r:?}"
    );
}

/// HELD: a thread flipping the pathname between a file in the rw tree and
/// one outside (mode 666) while the main thread opens it for writing:
/// the supervisor's read races, the kernel's decision does not.
#[test]
fn toctou_flip_never_writes_outside() {
    needs_root!();
    let Some(p) = probe() else { return };
    let rw = Dir::new("flip-rw", 0o777);
    let out = Dir::new("flip-out", 0o755);
    for f in [rw.join("ok"), out.join("victim")] {
        std::fs::write(&f, "").unwrap();
        chmod(&f, 0o666);
    }
    let arg = format!("{}:{}", rw.join("ok"), out.join("victim"));
    for unprivileged in [false, true] {
        let rw_opt = format!("--fs-rw={}", rw.0.display());
        let r = report(unprivileged, &[&rw_opt], &[&p, "flip", &arg], None);
        assert!(r.stdout.contains("flip"), "{r:?}");
        let victim = std::fs::read(out.join("victim")).unwrap();
        assert!(victim.is_empty(), "written outside the grants: {r:?}");
    }
}

/// HELD: the unprivileged supervisor has no CAP_SYS_PTRACE nor
/// CAP_DAC_READ_SEARCH: neither the magic link nor the O_NOFOLLOW oracle
/// tells it anything.
#[test]
fn unprivileged_supervisor_sees_only_what_nobody_sees() {
    needs_root!();
    let Some(p) = probe() else { return };
    let (_d, secret) = hidden_secret();
    let mut sleeper = Command::new("sleep")
        .arg("30")
        .current_dir(&secret)
        .spawn()
        .unwrap();
    let closed = Dir::new("uclosed", 0o700);
    std::fs::write(closed.join("present"), "x").unwrap();
    let links = Dir::new("ulinks", 0o755);
    std::os::unix::fs::symlink(closed.join("present"), links.join("a")).unwrap();
    let target = format!("/proc/{}/cwd/x", sleeper.id());
    let a = links.join("a");
    let r = report(true, &[], &[&p, "creat", &target, "nofollow", &a], None);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(r.stdout.contains("nofollow"), "{r:?}");
    assert!(!r.stderr.contains("by landlock"), "{r:?}");
}

/// HELD: a name with quotes, `$(...)`, `;` and spaces in learn's line is
/// one shell word that reads back as itself, and runs nothing.
#[test]
fn learn_line_quotes_hostile_names() {
    needs_root!();
    let d = Dir::new("quote", 0o755);
    let name = "x' $(touch PWNED); `touch PWNED` \"y";
    let file = d.0.join(name);
    std::fs::write(&file, "x\n").unwrap();
    chmod(&file, 0o644);
    std::os::unix::fs::symlink(&file, d.join("s")).unwrap();
    let r = learn(None, &["cat", &d.join("s")]);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("go-jail "))
        .unwrap_or_else(|| panic!("{r:?}"));
    // the printed words, as a shell reads them back
    let echo = line.replacen("go-jail ", "printf '%s\\n' ", 1);
    let mut words = String::new();
    Command::new("sh")
        .args(["-c", &echo])
        .current_dir(&d.0)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut words)
        .unwrap();
    let want = format!("--fs-ro={}", file.display());
    assert!(words.lines().any(|w| w == want), "{words}");
    assert!(!d.0.join("PWNED").exists(), "{line}");
}
