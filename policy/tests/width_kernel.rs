//! Argument widths against the real kernel: policies compiled here are
//! loaded in a forked child with `runner::probe`, which makes raw syscalls.
//!
//! - `fchmodat2`'s mode is a `umode_t` (fs/open.c), so a deny on
//!   `mode == 04755` holds when the caller sets the high word too: the
//!   kernel keeps the low 16 bits and would set 04755.
//! - A syscall without a width line (`lookup_dcookie`, retired: the kernel
//!   answers `ENOSYS`, so the filter's `EPERM` is visible) is read both
//!   ways: a deny matches on the low word alone, an allow needs all 64 bits.
//!
//! Skipped (with a message) when not root or not on x86_64.

use std::os::unix::fs::PermissionsExt;

use bpf_asm::Arch;
use policy::width::arg_widths;
use policy::{
    compile, resolve, Action, ArgIndex, CmpOp, CompileOptions, Condition, PolicySpec, Rule,
};
use runner::probe::{run_filtered, Call};
use runner::SockFilter;

const EPERM: isize = 1;
const ENOSYS: isize = 38;
const NR_FCHMODAT2: u32 = 452;
const NR_LOOKUP_DCOOKIE: u32 = 212;
const AT_FDCWD: u64 = -100i64 as u64;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn can_run() -> bool {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipping: the probe's syscall numbers are x86_64's");
        return false;
    }
    if !is_root() {
        eprintln!("skipping: needs root (loading filters in the probe)");
        return false;
    }
    true
}

fn filter(spec: PolicySpec) -> Vec<SockFilter> {
    let (policy, _) = resolve(&PolicySpec {
        arches: vec![Arch::X86_64],
        ..spec
    })
    .unwrap();
    let prog = compile(&policy, &CompileOptions::default()).unwrap();
    SockFilter::from_raw_program(&prog.to_bytes())
}

#[test]
fn fchmodat2_with_the_high_word_set_cannot_dodge_a_deny_on_its_mode() {
    if !can_run() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("go-jail-width-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f");
    std::fs::write(&file, "").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
    // The probe child is a fork: the path's address is valid there.
    let at = |mode: u64| {
        Call::with_args(
            NR_FCHMODAT2,
            [AT_FDCWD, path.as_ptr() as u64, mode, 0, 0, 0],
        )
    };
    let deny_4755 = Rule::when(
        "fchmodat2",
        Action::Errno(EPERM as u16),
        vec![Condition::new(ArgIndex::ALL[2], CmpOp::Eq, 0o4755)],
    );
    let f = filter(PolicySpec {
        rules: vec![deny_4755],
        ..PolicySpec::deny::<&str>(&[])
    });
    let out = run_filtered(&f, &[at(0o4755), at(0x1_0000_0000 | 0o4755), at(0o600)]).unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.load, Ok(()));
    if out.results.get(2) == Some(&-ENOSYS) {
        eprintln!("skipping: this kernel has no fchmodat2 (Linux 6.6+)");
        return;
    }
    assert_eq!(out.results, [-EPERM, -EPERM, 0], "{out:?}");
    assert_eq!(mode, 0o600, "only the allowed call changed the mode");
}

#[test]
fn an_unknown_width_denies_on_the_low_word_and_allows_on_all_64_bits() {
    if !can_run() {
        return;
    }
    assert!(
        arg_widths(Arch::X86_64, "lookup_dcookie").is_none(),
        "the test needs a syscall without a width line"
    );
    let is_5 = || vec![Condition::new(ArgIndex::ALL[0], CmpOp::Eq, 5)];
    let calls = [
        Call::with_args(NR_LOOKUP_DCOOKIE, [5, 0, 0, 0, 0, 0]),
        Call::with_args(NR_LOOKUP_DCOOKIE, [0x1_0000_0005, 0, 0, 0, 0, 0]),
        Call::with_args(NR_LOOKUP_DCOOKIE, [6, 0, 0, 0, 0, 0]),
    ];
    let deny = filter(PolicySpec {
        rules: vec![Rule::when(
            "lookup_dcookie",
            Action::Errno(EPERM as u16),
            is_5(),
        )],
        ..PolicySpec::deny::<&str>(&[])
    });
    let out = run_filtered(&deny, &calls).unwrap();
    assert_eq!(out.load, Ok(()));
    // EPERM is the filter's, ENOSYS the kernel's (the call is retired).
    assert_eq!(out.results, [-EPERM, -EPERM, -ENOSYS], "deny: {out:?}");
    let allow = filter(PolicySpec {
        rules: vec![Rule::when("lookup_dcookie", Action::Allow, is_5())],
        ..PolicySpec::allow(&["exit_group"])
    });
    let out = run_filtered(&allow, &calls).unwrap();
    assert_eq!(out.load, Ok(()));
    assert_eq!(out.results, [-ENOSYS, -EPERM, -EPERM], "allow: {out:?}");
}
