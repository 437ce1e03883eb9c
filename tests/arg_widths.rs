//! Argument conditions read the bits the kernel reads, end to end: a
//! profile denies `fchmodat2` (x86_64 nr 452) on its `mode`, and a small C
//! program run as the jailed command (`-user nobody`) passes the mode in a
//! full 64-bit register with the high word set, `0x1_0000_09ED`. The
//! kernel keeps the low 16 bits (`umode_t`, fs/open.c) and would make the
//! file setuid 04755; the filter must deny it as it denies `04755`.
//! Needs root and x86_64 (prints `skipping: …` otherwise).

mod common;

use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Run;

/// `fchmodat2(AT_FDCWD, PATH, MODE, 0)` with MODE as a full `unsigned
/// long`; prints the new permission bits and exits 0, or prints the error
/// and exits 1.
const PROBE: &str = r#"#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc != 3) return 2;
    unsigned long mode = strtoul(argv[2], 0, 0);
    long r = syscall(452, AT_FDCWD, argv[1], mode, 0);
    if (r != 0) { printf("fchmodat2: %s\n", strerror(errno)); return 1; }
    struct stat st;
    if (stat(argv[1], &st) != 0) return 3;
    printf("mode %o\n", st.st_mode & 07777);
    return 0;
}
"#;

/// A world-readable directory in /tmp (nobody must reach it) holding the
/// probe, and a file nobody owns.
struct Scene {
    dir: PathBuf,
}

impl Scene {
    fn new(tag: &str) -> Option<Scene> {
        let dir = std::env::temp_dir().join(format!("go-jail-widths-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.join("fchmodat2.c"), PROBE).unwrap();
        let built = Command::new("gcc")
            .args(["-O1", "-o"])
            .arg(dir.join("fchmodat2"))
            .arg(dir.join("fchmodat2.c"))
            .status()
            .is_ok_and(|s| s.success());
        if !built {
            eprintln!("skipping: gcc could not build the fchmodat2 probe");
            return None;
        }
        Some(Scene { dir })
    }

    fn file(&self) -> PathBuf {
        self.dir.join("target-file")
    }

    /// The target file afresh: mode 0644, owned by nobody.
    fn reset(&self) {
        std::fs::write(self.file(), "").unwrap();
        chown(self.file(), Some(65534), Some(65534)).unwrap();
        std::fs::set_permissions(self.file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    fn mode(&self) -> u32 {
        std::fs::metadata(self.file()).unwrap().permissions().mode() & 0o7777
    }

    /// A profile allowing everything but `fchmodat2` when `arg` (a JSON
    /// `args` item on index 2) holds.
    fn profile(&self, name: &str, arg: &str) -> PathBuf {
        let path = self.dir.join(format!("{name}.json"));
        let json = format!(
            r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":["fchmodat2"],"action":"SCMP_ACT_ERRNO","args":[{arg}]}}]}}"#
        );
        std::fs::write(&path, json).unwrap();
        path
    }

    /// The probe as `nobody` under `profile` (none: no filter).
    fn chmod(&self, profile: Option<&Path>, mode: &str) -> Run {
        self.reset();
        let probe = self.dir.join("fchmodat2");
        let file = self.file();
        let mut args: Vec<&str> = vec!["-user", "nobody"];
        if let Some(p) = profile {
            args.extend(["--seccomp-profile", p.to_str().unwrap()]);
        }
        args.extend(["--", probe.to_str().unwrap(), file.to_str().unwrap(), mode]);
        common::jail(&args)
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const HIGH_WORD_4755: &str = "0x1000009ED";

fn can_run() -> bool {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipping: the probe calls x86_64's fchmodat2 (452)");
        return false;
    }
    true
}

/// The kernel has fchmodat2 and keeps 16 bits of the mode: without a
/// filter the high-word call makes the file setuid.
fn kernel_sets_4755_from_the_high_word(scene: &Scene) -> bool {
    let r = scene.chmod(None, HIGH_WORD_4755);
    if r.stdout.contains("Function not implemented") {
        eprintln!("skipping: this kernel has no fchmodat2 (Linux 6.6+)");
        return false;
    }
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "mode 4755", "{r:?}");
    true
}

/// Denied calls leave the file as it was; the rest go through.
fn assert_denied(scene: &Scene, profile: &Path, mode: &str) {
    let r = scene.chmod(Some(profile), mode);
    r.assert_code(1);
    assert_eq!(
        r.stdout.trim(),
        "fchmodat2: Operation not permitted",
        "{mode}: {r:?}"
    );
    assert_eq!(scene.mode(), 0o644, "{mode} changed the mode");
}

#[test]
fn fchmodat2_with_the_high_word_set_cannot_dodge_an_equality_deny() {
    common::needs_root!();
    if !can_run() {
        return;
    }
    let Some(scene) = Scene::new("eq") else {
        return;
    };
    if !kernel_sets_4755_from_the_high_word(&scene) {
        return;
    }
    let eq = scene.profile("eq", r#"{"index":2,"value":2541,"op":"SCMP_CMP_EQ"}"#);
    assert_denied(&scene, &eq, "04755");
    assert_denied(&scene, &eq, HIGH_WORD_4755);
    let r = scene.chmod(Some(&eq), "0755");
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "mode 755", "{r:?}");
}

#[test]
fn fchmodat2_with_the_high_word_set_cannot_dodge_a_masked_deny() {
    common::needs_root!();
    if !can_run() {
        return;
    }
    let Some(scene) = Scene::new("masked") else {
        return;
    };
    if !kernel_sets_4755_from_the_high_word(&scene) {
        return;
    }
    // S_ISUID and no other bit above the permissions: mask !0777, 04000.
    let only_suid = scene.profile(
        "only-suid",
        r#"{"index":2,"value":18446744073709551104,"valueTwo":2048,"op":"SCMP_CMP_MASKED_EQ"}"#,
    );
    assert_denied(&scene, &only_suid, "04755");
    assert_denied(&scene, &only_suid, HIGH_WORD_4755);
    // S_ISUID set, whatever else: the mask has no high bits to dodge.
    let suid = scene.profile(
        "suid",
        r#"{"index":2,"value":2048,"valueTwo":2048,"op":"SCMP_CMP_MASKED_EQ"}"#,
    );
    assert_denied(&scene, &suid, HIGH_WORD_4755);
    let r = scene.chmod(Some(&suid), "0700");
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "mode 700", "{r:?}");
}
