//! The working directory (docs/threats.md S25): an inherited cwd is a directory
//! handle, so go-jail enters it again by path as the target (`/` when the
//! target cannot reach it), or enters `--cwd DIR` as the target and fails
//! when it cannot.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{needs_root, Run};

/// A fresh directory under /tmp with mode `mode`, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str, mode: u32) -> Dir {
        let d = std::env::temp_dir().join(format!("go-jail-cwd-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs go-jail as nobody from `dir` with `extra` options and `command`.
fn jail_in(dir: &Path, extra: &[&str], command: &[&str]) -> Run {
    Run::new(
        Command::new(common::bin())
            .current_dir(dir)
            .args(["-user", "nobody", "-q"])
            .args(extra)
            .arg("--")
            .args(command),
    )
}

/// The recipe of docs/threats.md S25: a 0700 root directory holding a 0755
/// subdirectory with a world-readable file. Returns (outer, sub).
fn hidden_subdir(name: &str) -> (Dir, PathBuf) {
    let outer = Dir::new(name, 0o700);
    let sub = outer.0.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(sub.join("f"), "secret\n").unwrap();
    std::fs::set_permissions(sub.join("f"), std::fs::Permissions::from_mode(0o644)).unwrap();
    (outer, sub)
}

#[test]
fn unreachable_cwd_is_not_inherited() {
    needs_root!();
    let (_outer, sub) = hidden_subdir("s25");
    // the path itself is out of nobody's reach
    let direct = jail_in(
        Path::new("/"),
        &[],
        &["cat", sub.join("f").to_str().unwrap()],
    );
    direct.assert_code(1);
    assert!(direct.stderr.contains("Permission denied"), "{direct:?}");
    // and so is the inherited handle
    let relative = jail_in(&sub, &[], &["cat", "f"]);
    relative.assert_code(1);
    assert!(!relative.stdout.contains("secret"), "{relative:?}");
    let pwd = jail_in(&sub, &[], &["pwd"]);
    pwd.assert_code(0);
    assert_eq!(pwd.stdout, "/\n", "{pwd:?}");
    // the supervisor's child takes the same step
    let reported = jail_in(&sub, &["-syscall-deny=mkdir", "--report-denied"], &["pwd"]);
    reported.assert_code(0);
    assert_eq!(reported.stdout, "/\n", "{reported:?}");
}

#[test]
fn reachable_cwd_is_kept() {
    needs_root!();
    let open = Dir::new("open", 0o755);
    std::fs::write(open.0.join("f"), "visible\n").unwrap();
    let pwd = jail_in(&open.0, &[], &["pwd"]);
    pwd.assert_code(0);
    assert_eq!(pwd.stdout.trim_end(), open.0.to_str().unwrap(), "{pwd:?}");
    let cat = jail_in(&open.0, &[], &["cat", "f"]);
    cat.assert_code(0);
    assert_eq!(cat.stdout, "visible\n");
}

#[test]
fn deleted_cwd_becomes_root() {
    needs_root!();
    let gone = Dir::new("gone", 0o755);
    let script = format!(
        "cd '{}' && rmdir '{}' && exec '{}' -user nobody -q -- pwd",
        gone.0.display(),
        gone.0.display(),
        common::bin()
    );
    let r = Run::new(Command::new("sh").args(["-c", &script]));
    r.assert_code(0);
    assert_eq!(r.stdout, "/\n", "{r:?}");
}

#[test]
fn explicit_cwd_is_entered_as_the_target() {
    needs_root!();
    let r = jail_in(Path::new("/"), &["--cwd", "/tmp"], &["pwd"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "/tmp\n", "{r:?}");
    // Go-style spelling, relative to go-jail's directory
    let open = Dir::new("rel", 0o755);
    std::fs::create_dir(open.0.join("inner")).unwrap();
    let r = jail_in(&open.0, &["-cwd", "inner"], &["pwd"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout.trim_end(),
        open.0.join("inner").to_str().unwrap(),
        "{r:?}"
    );
}

#[test]
fn explicit_cwd_out_of_reach_fails_with_125() {
    needs_root!();
    let root_mode = std::fs::metadata("/root").unwrap().permissions().mode();
    if root_mode & 0o001 != 0 {
        eprintln!("skipping /root: mode {root_mode:o} lets nobody in");
    } else {
        let r = jail_in(Path::new("/"), &["--cwd", "/root"], &["pwd"]);
        r.assert_code(125);
        assert!(r.stdout.is_empty(), "{r:?}");
        assert!(
            r.stderr
                .contains("go-jail: chdir(/root): Permission denied"),
            "{r:?}"
        );
    }
    let (_outer, sub) = hidden_subdir("explicit");
    let flag = format!("--cwd={}", sub.display());
    let r = jail_in(Path::new("/"), &[&flag], &["pwd"]);
    r.assert_code(125);
    assert!(
        r.stderr
            .contains(&format!("chdir({}): Permission denied", sub.display())),
        "{r:?}"
    );
    let r = jail_in(Path::new("/"), &["--cwd", "/etc/passwd"], &["pwd"]);
    r.assert_code(125);
    assert!(
        r.stderr.contains("chdir(/etc/passwd): Not a directory"),
        "{r:?}"
    );
}

#[test]
fn oci_process_cwd_is_entered_as_the_target() {
    needs_root!();
    let dir = Dir::new("oci", 0o755);
    let config = |cwd: &str| {
        let path = dir.0.join(format!("config-{}.json", cwd.len()));
        let json = format!(
            r#"{{"ociVersion":"1.0.2","process":{{"user":{{"uid":65534,"gid":65534}},
            "args":["pwd"],"env":["PATH=/usr/bin:/bin"],"cwd":"{cwd}"}}}}"#
        );
        std::fs::write(&path, json).unwrap();
        path
    };
    let run = |cfg: &Path| {
        Run::new(
            Command::new(common::bin())
                .current_dir("/")
                .arg("-q")
                .arg("--oci-config")
                .arg(cfg),
        )
    };
    let r = run(&config("/tmp"));
    r.assert_code(0);
    assert_eq!(r.stdout, "/tmp\n", "{r:?}");
    let r = run(&config("tmp"));
    r.assert_code(125);
    assert!(r.stderr.contains("is not an absolute path"), "{r:?}");
    let (_outer, sub) = hidden_subdir("oci");
    let r = run(&config(sub.to_str().unwrap()));
    r.assert_code(125);
    assert!(
        r.stderr
            .contains(&format!("chdir({}): Permission denied", sub.display())),
        "{r:?}"
    );
}
