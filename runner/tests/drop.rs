//! Full privilege drops for real, in child processes. Needs root; each test
//! prints `skipping: needs root` and returns otherwise.

use runner::probe::{run_plan, status_field as field, ExitKind};
use runner::{Errno, Plan, PlanBuilder, SockFilter, Step};
use std::process::Command;

macro_rules! require_root {
    () => {
        if runner::process::getuid() != 0 {
            println!("skipping: needs root");
            return;
        }
    };
}

const NOBODY: u32 = 65534;
const CAP_CHOWN: u64 = 1 << 0;
const CAP_NET_BIND_SERVICE: u64 = 1 << 10;

/// Runs `argv` with `plan` applied in `pre_exec`; returns stdout.
fn status_after_pre_exec(plan: Plan, argv: &[&str]) -> String {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    runner::apply_before_exec(&mut cmd, plan);
    let out = cmd.output().expect("spawn");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn nobody() -> PlanBuilder {
    PlanBuilder::new(NOBODY, NOBODY).command(["/bin/cat", "/proc/self/status"])
}

#[test]
fn full_drop_to_nobody() {
    require_root!();
    let s = status_after_pre_exec(nobody().build().unwrap(), &["cat", "/proc/self/status"]);
    assert_eq!(field(&s, "Uid"), "65534\t65534\t65534\t65534");
    assert_eq!(field(&s, "Gid"), "65534\t65534\t65534\t65534");
    assert_eq!(field(&s, "Groups"), "");
    for cap in ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"] {
        assert_eq!(field(&s, cap), "0000000000000000", "{cap}");
    }
    assert_eq!(field(&s, "NoNewPrivs"), "1");
}

#[test]
fn supplementary_groups_are_set_exactly() {
    require_root!();
    let s = status_after_pre_exec(
        nobody().groups([42, 1]).build().unwrap(),
        &["cat", "/proc/self/status"],
    );
    assert_eq!(field(&s, "Groups"), "1 42");
}

#[test]
fn bounding_keep_chown() {
    require_root!();
    let s = status_after_pre_exec(
        nobody().bounding_keep(CAP_CHOWN).build().unwrap(),
        &["cat", "/proc/self/status"],
    );
    assert_eq!(field(&s, "CapBnd"), "0000000000000001");
    assert_eq!(field(&s, "CapEff"), "0000000000000000");
    assert_eq!(field(&s, "CapPrm"), "0000000000000000");
}

#[test]
fn ambient_net_bind_service_for_nobody() {
    require_root!();
    let plan = nobody()
        .bounding_keep(CAP_NET_BIND_SERVICE)
        .ambient(CAP_NET_BIND_SERVICE)
        .build()
        .unwrap();
    let s = status_after_pre_exec(plan, &["cat", "/proc/self/status"]);
    assert_eq!(field(&s, "Uid"), "65534\t65534\t65534\t65534");
    for cap in ["CapBnd", "CapAmb", "CapEff", "CapPrm", "CapInh"] {
        assert_eq!(field(&s, cap), "0000000000000400", "{cap}");
    }
}

#[test]
fn root_target_keeps_bounding_as_permitted() {
    require_root!();
    let plan = PlanBuilder::new(0, 0)
        .bounding_keep(CAP_CHOWN)
        .build()
        .unwrap();
    let s = status_after_pre_exec(plan, &["cat", "/proc/self/status"]);
    assert_eq!(field(&s, "Uid"), "0\t0\t0\t0");
    assert_eq!(field(&s, "CapBnd"), "0000000000000001");
    assert_eq!(field(&s, "CapPrm"), "0000000000000001");
    assert_eq!(field(&s, "CapEff"), "0000000000000001");
    assert_eq!(field(&s, "CapInh"), "0000000000000000");
    assert_eq!(field(&s, "CapAmb"), "0000000000000000");
}

/// Applies `first`, then `second` in a forked child; exit 42 iff the
/// second apply failed at `expected` with EPERM. (Applying a plan whose
/// state is already in place succeeds: a cap already out of the bounding
/// set or the very groups the process has are no failure without the
/// privilege to set them.)
fn second_apply_fails_at(first: Plan, second: Plan, expected: Step) {
    let exit = runner::probe::run_in_child(|| {
        if first.apply().is_err() {
            return 45;
        }
        match second.apply() {
            Err(f) if f.step == expected && f.errno == Errno::EPERM => 42,
            Err(f) => {
                f.report(2, &second);
                43
            }
            Ok(()) => 44,
        }
    })
    .expect("fork");
    assert_eq!(exit, ExitKind::Exited(42), "{exit:?}");
}

#[test]
fn without_setpcap_and_no_new_privs_the_bounding_drop_fails_closed() {
    require_root!();
    // the first apply keeps the bounding set but loses CAP_SETPCAP
    let first = nobody()
        .bounding_keep(runner::probe::all_caps())
        .build()
        .unwrap();
    let second = nobody().no_new_privs(false).build().unwrap();
    second_apply_fails_at(first, second, Step::BoundingDrop(0));
}

#[test]
fn an_already_dropped_bounding_set_is_no_failure() {
    require_root!();
    // built before the fork: allocating in the child of a multi-threaded
    // test process can deadlock on a lock another thread held at fork time
    let plan = nobody().build().unwrap();
    let exit = runner::probe::run_in_child(|| match (plan.apply(), plan.apply()) {
        (Ok(()), Ok(())) => 42,
        _ => 43,
    })
    .expect("fork");
    assert_eq!(exit, ExitKind::Exited(42), "{exit:?}");
}

#[test]
fn second_apply_fails_at_setgroups() {
    require_root!();
    // keep every cap in the bounding set, so no PR_CAPBSET_DROP comes first
    let first = nobody()
        .bounding_keep(runner::probe::all_caps())
        .build()
        .unwrap();
    let second = nobody()
        .bounding_keep(runner::probe::all_caps())
        .groups([42])
        .build()
        .unwrap();
    second_apply_fails_at(first, second, Step::Setgroups);
}

#[test]
fn seccomp_filter_is_loaded_last_and_exec_works() {
    require_root!();
    // A filter that denies the drop's own syscalls (setresuid 117, capset
    // 126, setgroups 116, prctl 157 on x86_64): the drop still succeeds
    // only because the filter is loaded after it.
    let deny = |nr| SockFilter::new(0x15, 0, 1, nr); // jeq nr, +0, +1
    let filter = vec![
        SockFilter::new(0x20, 0, 0, 0), // ld [nr]
        deny(117),
        SockFilter::new(0x06, 0, 0, 0x0005_0001), // ret ERRNO(EPERM)
        deny(126),
        SockFilter::new(0x06, 0, 0, 0x0005_0001),
        deny(116),
        SockFilter::new(0x06, 0, 0, 0x0005_0001),
        deny(157),
        SockFilter::new(0x06, 0, 0, 0x0005_0001),
        SockFilter::new(0x06, 0, 0, 0x7fff_0000), // ret ALLOW
    ];
    let plan = nobody().seccomp_filter(filter, 0).build().unwrap();
    let run = run_plan(&plan).unwrap();
    let s = String::from_utf8(run.stdout).unwrap();
    assert_eq!(field(&s, "Seccomp"), "2");
    assert_eq!(field(&s, "Seccomp_filters"), "1");
    assert_eq!(field(&s, "NoNewPrivs"), "1");
}

#[test]
fn exec_exit_codes() {
    require_root!();
    let code = |argv: &[&str]| {
        let plan = PlanBuilder::new(NOBODY, NOBODY)
            .command(argv)
            .search_path("/usr/bin:/bin")
            .build()
            .unwrap();
        run_plan(&plan).unwrap().exit
    };
    assert_eq!(code(&["/nonexistent"]), ExitKind::Exited(127));
    assert_eq!(code(&["no-such-command-xyz"]), ExitKind::Exited(127));
    assert_eq!(code(&["/etc/passwd"]), ExitKind::Exited(126));
    assert_eq!(code(&["/tmp"]), ExitKind::Exited(126));
    assert_eq!(code(&["sh", "-c", "exit 42"]), ExitKind::Exited(42));
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("runner-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir(&d).unwrap();
    d
}

#[test]
fn path_is_searched_as_the_target() {
    require_root!();
    use std::os::unix::fs::PermissionsExt;
    let t = scratch("path");
    std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rootonly = t.join("rootonly");
    std::fs::create_dir(&rootonly).unwrap();
    std::fs::set_permissions(&rootonly, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(rootonly.join("id"), "#!/bin/sh\necho wrong-id\n").unwrap();
    std::fs::set_permissions(rootonly.join("id"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", rootonly.display());
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .command(["id", "-u"])
        .search_path(path)
        .build()
        .unwrap();
    let run = run_plan(&plan).unwrap();
    assert_eq!(run.exit, ExitKind::Exited(0));
    assert_eq!(String::from_utf8(run.stdout).unwrap().trim(), "65534");

    // only the unreachable candidate: a directory the target cannot search
    // hides nothing it could run: not found, 127 (as bash; execvp says 126)
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .command(["id"])
        .search_path(rootonly.as_os_str().to_owned())
        .build()
        .unwrap();
    assert_eq!(run_plan(&plan).unwrap().exit, ExitKind::Exited(127));

    // a script without #!: glibc-style /bin/sh fallback, or ENOEXEC (126) without it
    let script = t.join("noshebang");
    std::fs::write(&script, "echo script-ran \"$1\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let argv = [script.to_str().unwrap(), "arg1"];
    let run = run_plan(
        &PlanBuilder::new(NOBODY, NOBODY)
            .command(argv)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(String::from_utf8(run.stdout).unwrap(), "script-ran arg1\n");
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .command(argv)
        .sh_fallback(false)
        .build()
        .unwrap();
    assert_eq!(run_plan(&plan).unwrap().exit, ExitKind::Exited(126));
    std::fs::remove_dir_all(&t).unwrap();
}

#[test]
fn environment_is_passed_exactly() {
    require_root!();
    let env = ["A=1", "B=x=y", "C=", "D=line1\nline2"];
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .command(["/usr/bin/env", "-0"])
        .env(env)
        .build()
        .unwrap();
    let run = run_plan(&plan).unwrap();
    assert_eq!(run.stdout, b"A=1\0B=x=y\0C=\0D=line1\nline2\0");
}

#[test]
fn invoker_check_passes_for_root() {
    require_root!();
    assert_eq!(runner::at_secure().unwrap(), Some(0));
    runner::check_invoker(true).unwrap();
}

/// A directory under the temp dir with `mode`, owned by `uid`.
fn dir_with(name: &str, mode: u32, uid: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch(name);
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(&d, Some(uid), Some(uid)).unwrap();
    d
}

fn pwd_as(plan: PlanBuilder) -> (ExitKind, String) {
    let run = run_plan(&plan.command(["pwd"]).build().unwrap()).unwrap();
    (run.exit, String::from_utf8(run.stdout).unwrap())
}

#[test]
fn cwd_reenter_falls_back_to_root_out_of_reach() {
    require_root!();
    use runner::CwdPolicy;
    use std::os::unix::fs::PermissionsExt;
    let outer = dir_with("cwd-hidden", 0o700, 0);
    let sub = outer.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let open = dir_with("cwd-open", 0o755, 0);
    let ok = |dir: &std::path::Path| (ExitKind::Exited(0), format!("{}\n", dir.display()));

    let reenter = |d: &std::path::Path| nobody().cwd_policy(CwdPolicy::ReEnter(d.to_owned()));
    assert_eq!(pwd_as(reenter(&sub)), ok(std::path::Path::new("/")));
    assert_eq!(pwd_as(reenter(&open)), ok(&open));
    assert_eq!(
        pwd_as(reenter(&outer.join("missing"))),
        ok(std::path::Path::new("/"))
    );
    assert_eq!(pwd_as(nobody().cwd(&open)), ok(&open));
    // inherit: the test's own directory, whatever nobody may reach
    let here = std::env::current_dir().unwrap();
    assert_eq!(pwd_as(nobody().cwd_policy(CwdPolicy::Inherit)), ok(&here));

    // exact: a failure aborts with 125, at the chdir step
    assert_eq!(pwd_as(nobody().cwd(&sub)).0, ExitKind::Exited(125));
    let plan = nobody().cwd(&sub).build().unwrap();
    let kind = runner::probe::run_in_child(|| match plan.apply() {
        Ok(()) => 0,
        Err(f) if f.step == (Step::Chdir { fallback: false }) && f.errno == Errno::EACCES => 77,
        Err(_) => 1,
    })
    .unwrap();
    assert_eq!(kind, ExitKind::Exited(77));
    std::fs::remove_dir_all(&outer).unwrap();
    std::fs::remove_dir_all(&open).unwrap();
}

#[test]
fn cwd_is_entered_with_the_commands_caps_before_the_filter() {
    require_root!();
    const CAP_DAC_OVERRIDE: u64 = 1 << 1;
    // nobody's 0700 directory: a root target gets in only with the cap it keeps
    let theirs = dir_with("cwd-theirs", 0o700, NOBODY);
    let root = || PlanBuilder::new(0, 0).cwd(&theirs);
    assert_eq!(pwd_as(root()).0, ExitKind::Exited(125));
    assert_eq!(
        pwd_as(root().bounding_keep(CAP_DAC_OVERRIDE)),
        (ExitKind::Exited(0), format!("{}\n", theirs.display()))
    );
    // a filter that denies chdir (x86_64 nr 80) does not stop the step
    let deny_chdir = vec![
        SockFilter::new(0x20, 0, 0, 0),
        SockFilter::new(0x15, 0, 1, 80),
        SockFilter::new(0x06, 0, 0, 0x0005_0001),
        SockFilter::new(0x06, 0, 0, 0x7fff_0000),
    ];
    assert_eq!(
        pwd_as(nobody().cwd("/tmp").seccomp_filter(deny_chdir, 0)),
        (ExitKind::Exited(0), "/tmp\n".to_string())
    );
    std::fs::remove_dir_all(&theirs).unwrap();
}
