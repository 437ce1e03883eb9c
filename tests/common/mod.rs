//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Skips the test, with a printed reason, when not running as root.
macro_rules! needs_root {
    () => {
        if !common::is_root() {
            eprintln!("skipping: needs root (run the tests as root)");
            return;
        }
    };
}
pub(crate) use needs_root;

pub fn is_root() -> bool {
    runner::process::getuid() == 0
}

/// The built go-jail binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_go-jail")
}

/// A finished process: exit status and captured output.
pub struct Run {
    pub output: Output,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status {:?}, stdout {:?}, stderr {:?}",
            self.output.status, self.stdout, self.stderr
        )
    }
}

impl Run {
    pub fn new(cmd: &mut Command) -> Run {
        let output = cmd.output().expect("spawn");
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output,
        }
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn signal(&self) -> Option<i32> {
        self.output.status.signal()
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code(), Some(code), "{self:?}");
    }
}

/// Runs go-jail with `args`.
pub fn jail(args: &[&str]) -> Run {
    Run::new(Command::new(bin()).args(args))
}

#[allow(unused_imports)] // not every test file reads a status field
pub use runner::probe::status_field;

/// A path a command may create; world-writable directory so any uid can.
pub struct Marker(PathBuf);

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Marker {
    pub fn new() -> Marker {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        Marker(std::env::temp_dir().join(format!("go-jail-marker-{}-{n}", std::process::id())))
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    pub fn exists(&self) -> bool {
        self.0.exists()
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A directory for test artefacts under target/.
pub fn scratch_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go-jail-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds a static 64-bit program that writes through `int $0x80` (i386
/// `write`, nr 4) and exits 0 when the write got through. `None` (with a
/// printed reason) when gcc cannot build it.
pub fn int80_probe() -> Option<PathBuf> {
    let dir = scratch_dir();
    let src = dir.join("int80.c");
    let exe = dir.join("int80");
    std::fs::write(
        &src,
        r#"static char m[] = "i386 write got through\n";
int main(void) { long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(m), "d"(sizeof m - 1) : "memory");
  return r > 0 ? 0 : 1; }
"#,
    )
    .unwrap();
    let ok = Command::new("gcc")
        .args(["-static", "-no-pie", "-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipping: gcc -static could not build the int $0x80 probe");
        return None;
    }
    Some(exe)
}

/// Compiles C `source` into `scratch_dir()/name` with gcc; `None` (with a
/// printed reason) when gcc cannot build it.
pub fn build_c(name: &str, source: &str) -> Option<PathBuf> {
    let dir = scratch_dir();
    let src = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&src, source).unwrap();
    let ok = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: gcc could not build {name}");
        return None;
    }
    Some(exe)
}

/// `argv` as an unprivileged caller: `setpriv --reuid=65534 --regid=65534
/// --clear-groups -- argv...` (no capabilities; the full bounding set).
pub fn as_nobody(argv: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ]
    .map(String::from)
    .to_vec();
    v.extend(argv.iter().map(|a| a.to_string()));
    v
}

/// Drives `sh -c shell_command` on a new pseudo-terminal (python3's
/// `pty.fork`: the shell is a session leader with the pty as its
/// controlling terminal), typing each `(seconds, text)` of `typed` at that
/// time after the start, until the terminal closes or `timeout` seconds
/// passed. Returns what the terminal showed (CRs removed) and a last line
/// `STATUS=N`, the shell's exit status. `None` (printed) without python3.
pub fn in_pty(shell_command: &str, typed: &[(f64, &str)], timeout: f64) -> Option<String> {
    const DRIVER: &str = r#"
import os, pty, select, sys, time
timeout, command = float(sys.argv[1]), sys.argv[2]
typed = [(float(sys.argv[i]), sys.argv[i + 1]) for i in range(3, len(sys.argv), 2)]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", command])
out, start = b"", time.time()
while time.time() - start < timeout:
    while typed and time.time() - start >= typed[0][0]:
        os.write(fd, typed.pop(0)[1].encode())
    if select.select([fd], [], [], 0.05)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            if not typed:
                break
            time.sleep(0.05)
        out += data
done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
print("\nSTATUS=%d" % os.waitstatus_to_exitcode(status))
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", DRIVER, &timeout.to_string(), shell_command]);
    for (at, text) in typed {
        cmd.arg(at.to_string()).arg(text);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!("pty driver failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            eprintln!("skipping: cannot run python3 ({e})");
            None
        }
    }
}

/// A fresh directory `go-jail-PID-NAME` in the temp dir with `mode`,
/// removed on drop (for probes that need a tree with given permissions).
pub struct ModeDir(pub PathBuf);

impl ModeDir {
    pub fn new(name: &str, mode: u32) -> ModeDir {
        let p = std::env::temp_dir().join(format!("go-jail-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        chmod(&p, mode);
        ModeDir(p)
    }

    /// `self/name` as a string.
    pub fn join(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for ModeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sets the permission bits of `path`.
pub fn chmod(path: impl AsRef<std::path::Path>, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
