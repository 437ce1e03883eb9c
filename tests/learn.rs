//! `go-jail learn`: the syscalls a command used, printed as an allow-list
//! that, run back through go-jail, lets the command succeed.

mod common;

use common::{jail, needs_root};

/// Learns `command` as nobody, then runs it under the learned allow-list;
/// both runs must succeed with the same output.
fn round_trip(name: &str, command: &[&str]) {
    let out = common::scratch_dir().join(format!("learn-{name}-{}.txt", std::process::id()));
    let out_path = out.to_str().unwrap();
    let learn = jail(
        &[
            &["learn", "-user", "nobody", "-o", out_path, "--"][..],
            command,
        ]
        .concat(),
    );
    learn.assert_code(0);
    let line = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let line = line.trim();
    assert!(line.starts_with("-syscall-allow="), "{line}");
    assert!(line.contains("execve"), "{line}");
    let again = jail(&[&["-user", "nobody", "-q", line, "--"][..], command].concat());
    again.assert_code(0);
    assert_eq!(again.stdout, learn.stdout, "{name}: {line}");
    assert!(!again.stdout.is_empty());
}

#[test]
fn learned_list_runs_echo() {
    needs_root!();
    round_trip("echo", &["echo", "hi"]);
}

#[test]
fn learned_list_runs_ls() {
    needs_root!();
    round_trip("ls", &["ls", "/"]);
}

#[test]
fn learned_list_runs_python() {
    needs_root!();
    round_trip("python", &["/usr/bin/python3", "-c", "print(1)"]);
}

#[test]
fn learn_prints_a_docker_profile_after_the_output() {
    needs_root!();
    let r = jail(&[
        "learn", "-user", "nobody", "--format", "docker", "--", "echo", "hi",
    ]);
    r.assert_code(0);
    let json = r.stdout.strip_prefix("hi\n").expect("command output first");
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(v["defaultErrnoRet"], 1);
    assert_eq!(v["architectures"], serde_json::json!(["SCMP_ARCH_X86_64"]));
    assert_eq!(v["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
    let names: Vec<&str> = v["syscalls"][0]["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for needed in ["execve", "write", "exit_group"] {
        assert!(names.contains(&needed), "{names:?}");
    }
}

#[test]
fn learn_keeps_the_exit_status_and_refuses_a_policy() {
    needs_root!();
    let r = jail(&["learn", "-user", "nobody", "--", "sh", "-c", "exit 3"]);
    r.assert_code(3);
    let r = jail(&["learn", "-syscall-allow=read", "--", "true"]);
    r.assert_code(125);
}

/// Every option that would shape a policy is refused, not ignored, and
/// nothing runs.
#[test]
fn learn_refuses_every_policy_option() {
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/docker-default.json"
    );
    for opts in [
        vec!["-syscall-deny=write"],
        vec!["--seccomp-profile", profile],
        vec!["--oci-config", profile],
        vec!["--errno", "EACCES"],
        vec!["--profile-weights", profile],
    ] {
        let mut argv = vec!["learn"];
        argv.extend(&opts);
        argv.extend(["--", "sh", "-c", "echo ran"]);
        let r = jail(&argv);
        r.assert_code(125);
        assert!(
            r.stderr.contains("learn starts from an empty policy"),
            "{opts:?}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("ran"), "{opts:?}");
    }
}

/// learn's options go anywhere before its `--` (#16); after COMMAND they
/// are COMMAND's, as in the run mode.
#[test]
fn learn_takes_options_in_any_order_before_its_command() {
    needs_root!();
    let a = jail(&[
        "learn", "--format", "docker", "-user", "nobody", "--", "echo", "hi",
    ]);
    let b = jail(&[
        "learn",
        "-user",
        "nobody",
        "-format=docker",
        "--",
        "echo",
        "hi",
    ]);
    a.assert_code(0);
    b.assert_code(0);
    assert!(a.stdout.starts_with("hi\n{"), "{}", a.stdout);
    assert!(b.stdout.starts_with("hi\n{"), "{}", b.stdout);
    let c = jail(&[
        "learn", "-user", "nobody", "echo", "hi", "--format", "docker",
    ]);
    c.assert_code(0);
    assert!(c.stdout.starts_with("hi --format docker\n"), "{}", c.stdout);
    assert!(c.stdout.contains("-syscall-allow="), "{}", c.stdout);
}
