//! go-jail run by an ordinary user (issue 14, "Without root"): every option
//! that needs no privilege works, the command ends with no capabilities,
//! no_new_privs and a filter; identity options that would change the user
//! are refused in one line. The caller is `nobody` made by setpriv
//! (`common::as_nobody`: no capabilities, the full bounding set).

mod common;

use std::process::Command;

use common::{needs_root, status_field, Marker, Run};

/// `argv` run by nobody.
fn nobody_runs(argv: &[&str]) -> Run {
    let argv = common::as_nobody(argv);
    Run::new(Command::new(&argv[0]).args(&argv[1..]).current_dir("/"))
}

/// `go-jail ARGS` run by nobody.
fn as_nobody(args: &[&str]) -> Run {
    nobody_runs(&[&[common::bin()][..], args].concat())
}

/// A fresh directory in the temp dir that nobody may enter and write.
fn nobodys_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("go-jail-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    dir
}

fn docker_profile() -> String {
    format!(
        "--seccomp-profile={}/tests/data/docker-default.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// What /bin/echo needs (as in `tests/run_mode.rs`).
const ECHO_NEEDS: &str = "access,arch_prctl,brk,close,execve,exit_group,futex,getrandom,ioctl,mmap,mprotect,munmap,newfstatat,fstat,openat,pread64,prlimit64,read,rseq,set_robust_list,set_tid_address,write";

#[test]
fn the_command_of_an_unprivileged_caller_has_no_caps_no_new_privs_and_a_filter() {
    needs_root!();
    let r = as_nobody(&[
        "-q",
        "-syscall-deny=mount",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    r.assert_code(0);
    let s = &r.stdout;
    assert_eq!(status_field(s, "Uid"), "65534\t65534\t65534\t65534");
    for cap in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(status_field(s, cap), "0000000000000000", "{cap}: {s}");
    }
    assert_eq!(status_field(s, "NoNewPrivs"), "1");
    assert_eq!(status_field(s, "Seccomp"), "2");
}

#[test]
fn a_deny_list_works_for_an_unprivileged_caller() {
    needs_root!();
    let r = as_nobody(&["--", "/bin/echo", "hi"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
    let r = as_nobody(&["-q", "-syscall-deny=write", "--", "/bin/echo", "hi"]);
    // echo's own failure, not go-jail's 125: echo ran under the filter
    r.assert_code(1);
    assert_eq!(r.stdout, "");
}

#[test]
fn an_allow_list_works_for_an_unprivileged_caller() {
    needs_root!();
    let allow = format!("-syscall-allow={ECHO_NEEDS}");
    let r = as_nobody(&[&allow, "--", "/bin/echo", "hi"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
    let allow = format!("-syscall-allow={}", ECHO_NEEDS.replace(",write", ""));
    let r = as_nobody(&["-q", &allow, "--", "/bin/echo", "hi"]);
    r.assert_code(1);
    assert_eq!(r.stdout, "");
}

#[test]
fn dockers_profile_works_for_an_unprivileged_caller() {
    needs_root!();
    let plain = nobody_runs(&["unshare", "-U", "true"]);
    if plain.code() != Some(0) {
        eprintln!("skipping: nobody cannot create a user namespace on this host");
        return;
    }
    let profile = docker_profile();
    let r = as_nobody(&["-q", &profile, "--", "id", "-u"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "65534\n");
    // without CAP_SYS_ADMIN Docker's profile denies unshare
    let r = as_nobody(&["-q", &profile, "--", "unshare", "-U", "true"]);
    assert_ne!(r.code(), Some(0), "{r:?}");
    assert!(r.stderr.contains("unshare"), "{r:?}");
}

#[test]
fn report_denied_works_for_an_unprivileged_caller() {
    needs_root!();
    let dir = Marker::new();
    let r = as_nobody(&[
        "-q",
        "-syscall-deny=mkdir,mkdirat",
        "--report-denied",
        "--",
        "mkdir",
        dir.path(),
    ]);
    r.assert_code(1);
    // the supervisor, as the same user, reads the path from the child's memory
    let reported = format!("go-jail: denied mkdir(\"{}\"", dir.path());
    assert!(r.stderr.contains(&reported), "{r:?}");
    assert!(!dir.exists());
}

#[test]
fn complain_works_for_an_unprivileged_caller() {
    needs_root!();
    let dir = Marker::new();
    let r = as_nobody(&[
        "-q",
        "-syscall-deny=mkdir,mkdirat",
        "--complain",
        "--",
        "mkdir",
        dir.path(),
    ]);
    r.assert_code(0);
    assert!(r.stderr.contains("would deny mkdir"), "{r:?}");
    assert!(dir.exists());
    std::fs::remove_dir(dir.path()).unwrap();
}

#[test]
fn learn_works_for_an_unprivileged_caller_and_its_line_runs() {
    needs_root!();
    // nobody writes the list into a directory it owns
    let dir = nobodys_dir("learn");
    let out = dir.join("learned.txt");
    let r = as_nobody(&[
        "learn",
        "--format=allow",
        "-o",
        out.to_str().unwrap(),
        "--",
        "/bin/echo",
        "hi",
    ]);
    r.assert_code(0);
    assert_eq!(r.stdout, "hi\n");
    let line = std::fs::read_to_string(&out).unwrap();
    let line = line.trim();
    assert!(line.starts_with("-syscall-allow="), "{line}");
    let again = as_nobody(&["-q", line, "--", "/bin/echo", "hi"]);
    again.assert_code(0);
    assert_eq!(again.stdout, "hi\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_oci_config_with_the_callers_own_user_works_and_another_user_is_refused() {
    needs_root!();
    let dir = nobodys_dir("oci");
    let seccomp = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/docker-default.json"
    ))
    .unwrap();
    let config = |uid: u32| {
        let path = dir.join(format!("config-{uid}.json"));
        std::fs::write(
            &path,
            format!(
                r#"{{"ociVersion":"1.0.2","process":{{"user":{{"uid":{uid},"gid":{uid}}},
                "args":["/bin/sh","-c","grep -E '^(Uid|Seccomp):' /proc/self/status"],
                "env":["PATH=/usr/bin:/bin"],"cwd":"/"}},"linux":{{"seccomp":{seccomp}}}}}"#
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_owned()
    };
    let own = config(65534);
    let r = as_nobody(&["-q", "--oci-config", &own]);
    r.assert_code(0);
    assert_eq!(r.stdout, "Uid:\t65534\t65534\t65534\t65534\nSeccomp:\t2\n");
    let root = config(0);
    let r = as_nobody(&["-q", "--oci-config", &root]);
    r.assert_code(125);
    assert!(r.stderr.contains("changing the user needs root"), "{r:?}");
    assert_eq!(r.stdout, "");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn identity_options_naming_another_user_are_refused_in_one_line() {
    needs_root!();
    for flags in [
        &["-user", "root"][..],
        &["-user", "daemon"],
        &["-group", "root"],
        &["--groups", "0"],
        &["-user", "nobody", "--groups", "init"],
    ] {
        let marker = Marker::new();
        let r = as_nobody(&[flags, &["--", "touch", marker.path()]].concat());
        r.assert_code(125);
        assert_eq!(r.stderr.lines().count(), 1, "{flags:?}: {r:?}");
        assert!(
            r.stderr.starts_with(
                "go-jail: changing the user needs root (CAP_SETUID/CAP_SETGID): the target has "
            ),
            "{flags:?}: {r:?}"
        );
        assert!(!marker.exists(), "{flags:?} ran the command");
    }
}

#[test]
fn identity_options_naming_the_caller_itself_are_accepted() {
    needs_root!();
    let r = as_nobody(&[
        "-user", "nobody", "-group", "#65534", "--groups", "", "--", "id",
    ]);
    r.assert_code(0);
    assert!(r.stdout.starts_with("uid=65534(nobody) gid=65534"), "{r:?}");
}

#[test]
fn an_unprivileged_caller_keeps_its_supplementary_groups() {
    needs_root!();
    // setgroups needs CAP_SETGID: the command runs with the caller's groups
    let r = Run::new(Command::new("setpriv").current_dir("/").args([
        "--reuid=65534",
        "--regid=65534",
        "--groups=42,7",
        "--",
        common::bin(),
        "--",
        "cat",
        "/proc/self/status",
    ]));
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "Groups"), "7 42");
}

#[test]
fn a_root_caller_still_cuts_the_bounding_set_to_caps() {
    needs_root!();
    let r = common::jail(&[
        "-user",
        "nobody",
        "-caps=CAP_CHOWN",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "CapBnd"), "0000000000000001");
    assert_eq!(status_field(&r.stdout, "NoNewPrivs"), "1");
}

#[test]
fn an_unprivileged_caller_holding_setpcap_still_cuts_the_bounding_set() {
    needs_root!();
    // nobody with CAP_SETPCAP (ambient, so it survives setpriv's execve)
    let r = Run::new(Command::new("setpriv").current_dir("/").args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=+setpcap",
        "--ambient-caps=+setpcap",
        "--",
        common::bin(),
        "--",
        "cat",
        "/proc/self/status",
    ]));
    r.assert_code(0);
    assert_eq!(status_field(&r.stdout, "CapBnd"), "0000000000000000");
    assert_eq!(status_field(&r.stdout, "CapPrm"), "0000000000000000");
}

#[test]
fn an_unprivileged_caller_without_setpcap_leaves_the_bounding_set_and_gains_nothing() {
    needs_root!();
    // a setuid-root copy of id: with no_new_privs execve ignores the bit
    // and adds no capability although the bounding set is full
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("go-jail-suid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cat = dir.join("cat");
    std::fs::copy("/bin/cat", &cat).unwrap();
    std::fs::set_permissions(&cat, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let plain = nobody_runs(&[cat.to_str().unwrap(), "/proc/self/status"]);
    assert_eq!(
        status_field(&plain.stdout, "Uid"),
        "65534\t0\t0\t0",
        "setuid works unjailed"
    );
    let r = as_nobody(&["--", cat.to_str().unwrap(), "/proc/self/status"]);
    r.assert_code(0);
    let s = &r.stdout;
    assert_eq!(status_field(s, "Uid"), "65534\t65534\t65534\t65534");
    assert_ne!(status_field(s, "CapBnd"), "0000000000000000");
    assert_eq!(status_field(s, "CapPrm"), "0000000000000000");
    assert_eq!(status_field(s, "CapEff"), "0000000000000000");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fds_env_and_cwd_options_work_for_an_unprivileged_caller() {
    needs_root!();
    let argv = common::as_nobody(&[common::bin(), "--keep-fd", "6", "--", "ls", "/proc/self/fd"]);
    let script = format!("exec 5</dev/null 6</dev/null; exec {}", argv.join(" "));
    let r = Run::new(Command::new("sh").args(["-c", &script]).current_dir("/"));
    r.assert_code(0);
    let fds: Vec<&str> = r.stdout.split_whitespace().collect();
    assert!(fds.contains(&"6") && !fds.contains(&"5"), "{r:?}");
    let r = as_nobody(&["--reset-env", "--env", "A=b", "--", "env"]);
    r.assert_code(0);
    assert!(r.stdout.contains("\nA=b\n"), "{r:?}");
    assert!(r.stdout.contains("USER=nobody\n"), "{r:?}");
    let r = as_nobody(&["--cwd", "/tmp", "--", "pwd"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "/tmp\n");
}

#[test]
fn a_cap_the_unprivileged_caller_lacks_is_refused_in_one_line() {
    needs_root!();
    let marker = Marker::new();
    let r = as_nobody(&["-caps=CAP_CHOWN", "--", "touch", marker.path()]);
    r.assert_code(125);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.contains("cannot keep CAP_CHOWN"), "{r:?}");
    assert!(!marker.exists());
}
