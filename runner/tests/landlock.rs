//! Landlock rulesets prepared before `fork` and enforced by `Plan::apply`
//! in the child, on the real kernel. Needs root (the plans switch to
//! nobody) and Landlock; each test prints why it skips otherwise.

use runner::landlock::{fs, kernel_abi, scope, Ruleset, RulesetAttr};
use runner::{FdMode, PlanBuilder};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

const NOBODY: u32 = 65534;

fn ready() -> bool {
    if runner::process::getuid() != 0 {
        println!("skipping: needs root");
        return false;
    }
    if kernel_abi() < 6 {
        println!("skipping: needs Landlock ABI 6 (have {})", kernel_abi());
        return false;
    }
    true
}

fn run(ruleset: Ruleset, mode: FdMode, argv: &[&str]) -> Output {
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .fd_mode(mode)
        .cwd("/")
        .landlock(Arc::new(ruleset))
        .build()
        .unwrap();
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    runner::apply_before_exec(&mut cmd, plan);
    cmd.output().expect("spawn")
}

/// Read and execute on the program trees only.
fn programs_only() -> Ruleset {
    let rx = fs::EXECUTE | fs::READ_FILE | fs::READ_DIR;
    let mut r = Ruleset::new(RulesetAttr {
        handled_access_fs: rx,
        ..RulesetAttr::default()
    })
    .unwrap();
    for p in ["/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache"] {
        if Path::new(p).exists() {
            let access = if Path::new(p).is_dir() {
                rx
            } else {
                fs::READ_FILE
            };
            r.allow_path(Path::new(p), access).unwrap();
        }
    }
    r
}

#[test]
fn kernel_reports_its_landlock_abi() {
    let abi = kernel_abi();
    println!("landlock abi {abi}");
    if abi == 0 {
        println!("skipping: no Landlock in this kernel");
    }
    assert!(abi <= 64);
}

#[test]
fn ruleset_denies_a_read_outside_its_rules() {
    if !ready() {
        return;
    }
    let out = run(
        programs_only(),
        FdMode::CloseOnExec,
        &["cat", "/etc/hostname"],
    );
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Permission denied"), "{err}");
    let out = run(programs_only(), FdMode::CloseOnExec, &["ls", "/usr"]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn ruleset_fd_does_not_reach_the_command() {
    if !ready() {
        return;
    }
    for mode in [FdMode::CloseOnExec, FdMode::Close] {
        let r = Ruleset::new(RulesetAttr {
            scoped: scope::SIGNAL | scope::ABSTRACT_UNIX_SOCKET,
            ..RulesetAttr::default()
        })
        .unwrap();
        let out = run(r, mode, &["ls", "-l", "/proc/self/fd/"]);
        assert!(out.status.success(), "{mode:?}: {out:?}");
        let fds = String::from_utf8_lossy(&out.stdout);
        assert!(!fds.contains("landlock"), "{mode:?}: {fds}");
    }
}

#[test]
fn a_path_rule_on_a_missing_path_names_it() {
    if !ready() {
        return;
    }
    let mut r = Ruleset::new(RulesetAttr {
        handled_access_fs: fs::READ_FILE,
        ..RulesetAttr::default()
    })
    .unwrap();
    let e = r
        .allow_path(Path::new("/nonexistent/x"), fs::READ_FILE)
        .unwrap_err();
    assert_eq!(e.to_string(), "/nonexistent/x: No such file or directory");
}

#[test]
fn keeping_the_rulesets_fd_number_is_refused() {
    if !ready() {
        return;
    }
    let r = Ruleset::new(RulesetAttr {
        scoped: scope::SIGNAL,
        ..RulesetAttr::default()
    })
    .unwrap();
    let fd = r.fd();
    let e = PlanBuilder::new(NOBODY, NOBODY)
        .keep_fds([fd])
        .landlock(Arc::new(r))
        .build()
        .unwrap_err();
    assert_eq!(e, runner::PlanError::KeptRulesetFd(fd));
}

/// A parent that confines itself after the fork (`reaper::confine_parent`)
/// keeps `Plan::fds()`: the plan owns its ruleset's fd, and closing it under
/// the plan made the plan's drop close a number that was no longer its own
/// (Rust's debug-build I/O-safety check aborted go-jail with 134 in every
/// run mode).
#[test]
fn a_plan_names_its_ruleset_fd_for_a_confining_parent_to_keep() {
    use std::os::fd::AsRawFd as _;
    if kernel_abi() < 1 {
        println!("skipping: needs Landlock");
        return;
    }
    let ruleset = Arc::new(programs_only());
    let fd = ruleset.fd();
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .landlock(ruleset)
        .command(["/bin/true"])
        .build()
        .unwrap();
    let kept: Vec<i32> = plan.fds().iter().map(|f| f.as_raw_fd()).collect();
    assert_eq!(kept, vec![fd]);
    let without = PlanBuilder::new(NOBODY, NOBODY)
        .command(["/bin/true"])
        .build()
        .unwrap();
    assert!(without.fds().is_empty());
}
