//! Issue 12's low items and messages: bad values are one-line errors
//! (exit 125) naming the value, and mistakes a new user makes get words
//! that say what happened.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{jail, needs_root, Run};

fn assert_one_line_error(r: &Run, needle: &str) {
    r.assert_code(125);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.contains(needle), "{needle}: {r:?}");
}

#[test]
fn errno_0_is_refused() {
    let r = jail(&[
        "compile",
        "-syscall-deny=mkdir",
        "--errno",
        "0",
        "-o",
        "/dev/null",
    ]);
    assert_one_line_error(
        &r,
        "errno '0' would make denied calls succeed without running",
    );
    let r = jail(&[
        "--allow-root",
        "-syscall-deny=mkdir",
        "--errno=0",
        "--",
        "true",
    ]);
    assert_one_line_error(&r, "errno '0'");
}

/// A profile denying `mkdir` with `errnoRet` (or `defaultErrnoRet`) `errno`.
fn profile_with_errno(name: &str, field: &str, errno: u32) -> String {
    let json = if field == "errnoRet" {
        format!(
            r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":{errno}}}]}}"#
        )
    } else {
        format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":{errno},"syscalls":[{{"names":["read"],"action":"SCMP_ACT_ALLOW"}}]}}"#
        )
    };
    let path = common::scratch_dir().join(format!("errno-{name}.json"));
    std::fs::write(&path, json).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_profile_errno_has_the_flags_range() {
    for (field, errno, at) in [
        (
            "errnoRet",
            4096,
            "syscalls[0].errnoRet: errno 4096 is outside 1..=4095",
        ),
        (
            "errnoRet",
            0,
            "syscalls[0].errnoRet: errno 0 is outside 1..=4095",
        ),
        (
            "defaultErrnoRet",
            4096,
            "defaultErrnoRet: errno 4096 is outside 1..=4095",
        ),
        (
            "defaultErrnoRet",
            0,
            "defaultErrnoRet: errno 0 is outside 1..=4095",
        ),
    ] {
        let path = profile_with_errno(&format!("{field}-{errno}"), field, errno);
        let r = jail(&["compile", "--seccomp-profile", &path, "-o", "/dev/null"]);
        assert_one_line_error(&r, at);
    }
    for field in ["errnoRet", "defaultErrnoRet"] {
        let path = profile_with_errno(&format!("{field}-4095"), field, 4095);
        jail(&["compile", "--seccomp-profile", &path, "-o", "/dev/null"]).assert_code(0);
    }
    // the flag's range is the same
    let r = jail(&[
        "compile",
        "-syscall-deny=mkdir",
        "--errno",
        "4096",
        "-o",
        "/dev/null",
    ]);
    assert_one_line_error(&r, "4095");
}

#[test]
fn fd_numbers_beyond_any_process_are_one_line_errors() {
    let r = jail(&["--allow-root", "--preserve-fds", "2147483645", "--", "true"]);
    assert_eq!(r.signal(), None, "{r:?}");
    assert_one_line_error(
        &r,
        "--preserve-fds 2147483645: more fds than a process can have",
    );
    let r = jail(&["--allow-root", "--keep-fd", "2147483648", "--", "true"]);
    assert_one_line_error(&r, "--keep-fd 2147483648: no process can have that fd");
    assert!(!r.stderr.contains("-2147483648"), "{r:?}");
}

#[test]
fn an_arch_list_without_the_native_abi_is_refused_up_front() {
    let r = jail(&["--allow-root", "--arch", "x86", "--", "true"]);
    assert_eq!(r.signal(), None, "{r:?}");
    assert_one_line_error(&r, "--arch x86 leaves out x86_64");
    assert!(r.stderr.contains("--arch x86_64,x86"), "{r:?}");
}

#[test]
fn a_missing_command_is_command_not_found() {
    needs_root!();
    let r = jail(&["-user", "nobody", "--", "go-jail-no-such-command"]);
    r.assert_code(127);
    assert_eq!(
        r.stderr,
        "go-jail: command not found: go-jail-no-such-command (searched the target's PATH)\n"
    );
    // a PATH directory the target cannot search comes first: still not found
    let private = common::scratch_dir().join("private-bin");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = format!("PATH={}:/usr/bin:/bin", private.display());
    let r = jail(&[
        "-user",
        "nobody",
        "--env",
        &path,
        "--",
        "go-jail-no-such-command",
    ]);
    r.assert_code(127);
    assert!(
        r.stderr
            .contains("command not found: go-jail-no-such-command"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("Permission denied"), "{r:?}");
    // a path with a slash keeps the exec error
    let r = jail(&["-user", "nobody", "--", "./go-jail-no-such-command"]);
    r.assert_code(127);
    assert!(
        r.stderr.contains("execve ./go-jail-no-such-command"),
        "{r:?}"
    );
}

#[test]
fn report_denied_all_as_a_command_is_warned() {
    needs_root!();
    let r = jail(&["-user", "nobody", "--report-denied", "all"]);
    r.assert_code(127);
    assert!(
        r.stderr.contains("warning: running a command named 'all': --report-denied takes its mode with '=' (--report-denied=all)"),
        "{r:?}"
    );
    // the supervised child says the same as the plain run mode
    assert!(r.stderr.contains("command not found: all"), "{r:?}");
    let r = jail(&["-user", "nobody", "--report-denied", "--", "all"]);
    assert!(!r.stderr.contains("warning"), "{r:?}");
    let r = jail(&["-q", "-user", "nobody", "--report-denied", "all"]);
    assert!(!r.stderr.contains("warning"), "{r:?}");
}

#[test]
fn a_weights_count_too_large_says_so() {
    let weights = common::scratch_dir().join("huge-weights.txt");
    std::fs::write(&weights, "read 99999999999999999999999\n").unwrap();
    let r = jail(&[
        "compile",
        "-q",
        "-syscall-deny=write",
        "--profile-weights",
        weights.to_str().unwrap(),
        "-o",
        "/dev/null",
    ]);
    assert_one_line_error(
        &r,
        "line 1: count 99999999999999999999999 is above the largest accepted",
    );
    assert!(!r.stderr.contains("expected 'name count'"), "{r:?}");
}

#[test]
fn too_many_stacked_filters_explain_the_kernels_limit() {
    needs_root!();
    // about 4000 classic instructions: ioctl rules on scattered values
    let rules: Vec<String> = (0..6400)
        .step_by(3)
        .map(|k| {
            format!(
                r#"{{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{{"index":1,"value":{},"op":"SCMP_CMP_EQ"}}]}}"#,
                0x10000 + k
            )
        })
        .collect();
    let profile = common::scratch_dir().join("big-profile.json");
    std::fs::write(
        &profile,
        format!(
            r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{}]}}"#,
            rules.join(",")
        ),
    )
    .unwrap();
    // each level keeps what the next go-jail needs to drop privileges again
    let level = [
        common::bin(),
        "-q",
        "--allow-root",
        "-caps",
        "setpcap,setgid",
        "--seccomp-profile",
        profile.to_str().unwrap(),
        "--",
    ];
    let mut argv: Vec<&str> = Vec::new();
    for _ in 0..10 {
        argv.extend(level);
    }
    argv.push("true");
    let r = Run::new(Command::new(argv[0]).args(&argv[1..]));
    assert_one_line_error(
        &r,
        "seccomp(SECCOMP_SET_MODE_FILTER): Cannot allocate memory: the filters already stacked",
    );
    assert!(r.stderr.contains("MAX_INSNS_PER_PATH"), "{r:?}");
}

#[test]
fn an_empty_deny_list_is_refused() {
    let r = jail(&["--allow-root", "-syscall-deny=", "--", "true"]);
    assert_one_line_error(&r, "-syscall-deny is empty");
    let r = jail(&["compile", "-syscall-deny=", "-o", "/dev/null"]);
    assert_one_line_error(&r, "-syscall-deny is empty");
}

#[test]
fn a_run_mode_option_given_to_compile_says_so() {
    for (argv, option) in [
        (
            &["compile", "-user", "nobody", "-syscall-deny=write"][..],
            "-user",
        ),
        (&["compile", "--allow-root"], "-allow-root"),
        (&["explain", "-keep-fd=3"], "-keep-fd"),
    ] {
        let r = jail(argv);
        assert_one_line_error(&r, &format!("'{option}' is an option of the run mode"));
        assert!(!r.stderr.contains("unexpected argument"), "{r:?}");
    }
}

#[test]
fn a_cwd_fallback_is_warned_naming_the_directory() {
    needs_root!();
    let private = common::scratch_dir().join("private-cwd");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let run = |quiet: bool| {
        let mut cmd = Command::new(common::bin());
        cmd.current_dir(&private);
        if quiet {
            cmd.arg("-q");
        }
        Run::new(cmd.args(["-user", "nobody", "--", "pwd"]))
    };
    let r = run(false);
    r.assert_code(0);
    assert_eq!(r.stdout, "/\n");
    assert_eq!(
        r.stderr,
        format!(
            "go-jail: warning: the target cannot enter the working directory {} (Permission denied): COMMAND starts in /\n",
            private.display()
        )
    );
    let r = run(true);
    assert_eq!(r.stderr, "", "{r:?}");
}
