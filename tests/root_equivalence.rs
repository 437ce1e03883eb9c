//! Issue 12, finding 3 and the environment item: a root identity in the
//! target needs `--allow-root`, capabilities that give root back are named,
//! and a target of another uid does not get the caller's environment.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use common::{jail, needs_root, Run};

/// A root:root file with `mode` holding `text`, removed on drop.
struct RootFile(PathBuf);

impl RootFile {
    fn new(name: &str, mode: u32, text: &str) -> RootFile {
        let path = std::env::temp_dir().join(format!("go-jail-{name}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        RootFile(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for RootFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn assert_refused(r: &Run, names: &str) {
    r.assert_code(125);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.contains("refusing a root target"), "{r:?}");
    assert!(r.stderr.contains(names), "{r:?}");
    assert!(r.stderr.contains("--allow-root"), "{r:?}");
    assert!(r.stdout.is_empty(), "the command ran: {r:?}");
}

#[test]
fn group_0_reads_a_root_group_file_only_with_allow_root() {
    needs_root!();
    let secret = RootFile::new("group0", 0o640, "root group secret\n");
    for group in ["0", "root", "#0"] {
        let r = jail(&[
            "-user",
            "nobody",
            "-group",
            group,
            "--",
            "cat",
            secret.path(),
        ]);
        assert_refused(&r, &format!("gid 0 (-group {group})"));
    }
    // what the refusal prevents: the group bits give the file away
    let r = jail(&[
        "-user",
        "nobody",
        "-group",
        "0",
        "--allow-root",
        "--",
        "cat",
        secret.path(),
    ]);
    r.assert_code(0);
    assert_eq!(r.stdout, "root group secret\n");
}

#[test]
fn no_user_as_root_is_refused_and_would_append_to_roots_files() {
    needs_root!();
    let log = RootFile::new("rootlog", 0o644, "");
    let append = format!("echo appended >> {}", log.path());
    let r = jail(&["--", "sh", "-c", &append]);
    assert_refused(&r, "uid 0 (no -user given: your own)");
    assert_eq!(std::fs::read_to_string(&log.0).unwrap(), "");
    // the same with the flag: uid 0 without capabilities still owns the file
    let r = jail(&["--allow-root", "--", "sh", "-c", &append]);
    r.assert_code(0);
    assert_eq!(std::fs::read_to_string(&log.0).unwrap(), "appended\n");
}

#[test]
fn groups_root_is_refused() {
    needs_root!();
    let secret = RootFile::new("groups0", 0o640, "root group secret\n");
    for list in ["root", "daemon,0"] {
        let r = jail(&[
            "-user",
            "nobody",
            "--groups",
            list,
            "--",
            "cat",
            secret.path(),
        ]);
        assert_refused(&r, &format!("group 0 in --groups {list}"));
    }
    let r = jail(&["-user", "nobody", "--groups", "daemon", "--", "id", "-G"]);
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "65534 1");
}

#[test]
fn ambient_setuid_is_named_in_a_warning_and_q_silences_it() {
    needs_root!();
    // what the warning is about: the target can make itself uid 0
    let become_root = "import os; os.setuid(0); print(os.getuid())";
    let args = [
        "-user",
        "nobody",
        "-caps",
        "setuid,kill",
        "--ambient-caps",
        "setuid,kill",
        "--",
        "python3",
        "-c",
        become_root,
    ];
    let r = jail(&args);
    r.assert_code(0);
    assert_eq!(r.stdout, "0\n");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(
        r.stderr.starts_with(
            "go-jail: warning: CAP_SETUID (ambient) gives the command root's power back: setuid(0)"
        ),
        "{r:?}"
    );
    let mut quiet = vec!["-q"];
    quiet.extend(args);
    let r = jail(&quiet);
    r.assert_code(0);
    assert_eq!(r.stderr, "");
}

#[test]
fn a_root_targets_effective_dac_override_is_named() {
    needs_root!();
    let r = jail(&["--allow-root", "-caps", "dac_override", "--", "true"]);
    r.assert_code(0);
    assert!(
        r.stderr.contains(
            "CAP_DAC_OVERRIDE (effective) gives the command root's power back: write any file"
        ),
        "{r:?}"
    );
}

/// What the jailed command finds in its own `/proc/self/environ`.
fn environ_of(args: &[&str]) -> Run {
    let mut full = args.to_vec();
    full.extend(["--", "cat", "/proc/self/environ"]);
    Run::new(
        Command::new(common::bin())
            .env("SECRET_TOKEN", "hunter2")
            .env("LC_TIME", "C")
            .env("TERM", "dumb")
            .args(full),
    )
}

#[test]
fn a_secret_does_not_reach_another_uid() {
    needs_root!();
    let r = environ_of(&["-user", "nobody"]);
    r.assert_code(0);
    let vars: Vec<&str> = r.stdout.split('\0').collect();
    assert!(!r.stdout.contains("hunter2"), "{r:?}");
    for kept in ["TERM=dumb", "LC_TIME=C", "USER=nobody"] {
        assert!(vars.contains(&kept), "{kept} missing: {r:?}");
    }
    assert!(
        vars.iter().any(|v| v.starts_with("PATH=/usr/local/bin")),
        "{r:?}"
    );
}

#[test]
fn keep_env_passes_everything_or_the_named_variables() {
    needs_root!();
    let r = environ_of(&["-user", "nobody", "--keep-env"]);
    r.assert_code(0);
    assert!(r.stdout.contains("SECRET_TOKEN=hunter2\0"), "{r:?}");
    let r = environ_of(&["-user", "nobody", "--keep-env=SECRET_TOKEN"]);
    r.assert_code(0);
    assert!(r.stdout.contains("SECRET_TOKEN=hunter2\0"), "{r:?}");
    assert!(r.stdout.contains("USER=nobody\0"), "{r:?}");
    let r = environ_of(&["-user", "nobody", "--keep-env=SECRET"]);
    assert!(!r.stdout.contains("hunter2"), "only exact names: {r:?}");
    let r = environ_of(&["-user", "nobody", "--keep-env", "--reset-env"]);
    r.assert_code(125);
}

#[test]
fn the_environment_stays_when_the_uid_does_not_change() {
    needs_root!();
    let r = environ_of(&["--allow-root"]);
    r.assert_code(0);
    assert!(r.stdout.contains("SECRET_TOKEN=hunter2\0"), "{r:?}");
}
