//! The fuzz targets' checks in the normal test suite.
//!
//! - `bpf_raw` and `bpf_text`: every seed under `fuzz/corpus/<target>/` and
//!   every minimized crash saved under `tests/data/fuzz/<target>/` (none
//!   so far) is replayed through the function the target calls
//!   (`testkit::fuzz_checks`, shared with the fuzz crate).
//! - `profile_json`: the text seeds go through the built binary
//!   (`go-jail compile --seccomp-profile`), which must answer 0 or 125,
//!   never panic; the structured seed (a leading NUL) needs the fuzz
//!   crate's `arbitrary` decoder and is not replayed here.
//! - `policy_compile` and `cli_lists` take structured input only (the same
//!   decoder); what fuzzing found with them is kept as literal inputs below
//!   (`policy_with_every_operator_…`, `cli_lists_with_groups_…`).
//!
//! See fuzz/README.md for the targets and how to run them.

#[allow(unused_macros, unused_imports)]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use bpf_asm::Arch;
use policy::{
    Action, ArgIndex, ArgIndexError, CmpOp, CompileOptions, Condition, Mode, PolicySpec, Rule,
};
use testkit::fuzz_checks::{self as checks, Compiled};

/// The files of `fuzz/corpus/<target>` and `tests/data/fuzz/<target>`.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [root.join("fuzz/corpus"), root.join("tests/data/fuzz")] {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            out.push((f, bytes));
        }
    }
    out
}

/// Runs `check` on each input, naming the file that fails.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let all = inputs(target);
    for (path, bytes) in &all {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(bytes)));
        assert!(r.is_ok(), "{target}: {} fails", path.display());
    }
    all.len()
}

#[test]
fn bpf_raw_inputs_replay() {
    assert!(replay("bpf_raw", checks::bpf_raw) > 0);
}

#[test]
fn bpf_text_inputs_replay() {
    let n = replay("bpf_text", |b| {
        if let Ok(text) = std::str::from_utf8(b) {
            checks::bpf_text(text)
        }
    });
    assert!(n > 0);
}

/// `go-jail compile ARGS -o /dev/null`: exits 0 or 125 (a clean error).
fn compile_exits_cleanly(args: &[&str]) -> i32 {
    let out = Command::new(common::bin())
        .arg("compile")
        .args(args)
        .args(["-o", "/dev/null"])
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 125)),
        "go-jail compile {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    code.unwrap()
}

#[test]
fn profile_json_inputs_replay() {
    // Structured seeds (a leading NUL) need the fuzz crate's decoder; the
    // text ones go through the CLI's parser as files.
    let all = inputs("profile_json");
    let mut parsed = 0;
    for (path, _) in all.iter().filter(|(_, b)| b.first() != Some(&0)) {
        for caps in ["", "CAP_SYS_ADMIN"] {
            let file = path.to_str().unwrap();
            let code = compile_exits_cleanly(&["--seccomp-profile", file, "--caps", caps]);
            parsed += usize::from(code == 0);
        }
    }
    assert!(parsed > 0, "no seed profile compiles");
}

#[test]
fn docker_default_profile_compiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/docker-default.json");
    assert_eq!(
        compile_exits_cleanly(&["--seccomp-profile", path.to_str().unwrap()]),
        0
    );
}

/// A spec exercising every operator and width, as the policy target builds.
fn every_operator() -> PolicySpec {
    let ops = [
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Eq,
        CmpOp::Ge,
        CmpOp::Gt,
        CmpOp::MaskedEq(0xffff_0000_0000_00ff),
    ];
    let rules = ["ioctl", "mkdir", "mmap", "setuid", "getuid32"]
        .iter()
        .enumerate()
        .flat_map(|(i, name)| {
            ops.iter().enumerate().map(move |(j, &op)| {
                let value = [0x1_0000_5412, 0xffff, u64::MAX, 0x8000_0000][(i + j) % 4];
                Rule::when(
                    *name,
                    Action::Errno(100 + (i * 10 + j) as u16),
                    vec![Condition::new(ArgIndex::ALL[(i + j) % 6], op, value)],
                )
            })
        })
        .collect();
    PolicySpec {
        mode: Mode::AllowList,
        names: vec!["read".into(), "write".into(), "mmap2".into()],
        rules,
        deny_action: Action::Errno(4096),
        arches: vec![Arch::X86_64, Arch::X86, Arch::Aarch64, Arch::Arm],
        enosys_fallback: true,
    }
}

#[test]
fn policy_with_every_operator_agrees_on_its_boundaries() {
    let r = checks::policy_compile(&every_operator(), &CompileOptions::default(), &[]);
    assert!(matches!(r, Compiled::Checked(n) if n > 1000), "{r:?}");
}

#[test]
fn policy_errors_are_typed() {
    // an argument index above 5 is refused where the condition is built
    assert_eq!(ArgIndex::new(6), Err(ArgIndexError { index: 6 }));
    let spec = PolicySpec {
        arches: vec![],
        ..PolicySpec::default()
    };
    assert_eq!(
        checks::policy_compile(&spec, &CompileOptions::default(), &[]),
        Compiled::Refused
    );
}

#[test]
fn cli_lists_with_groups_removals_and_odd_items() {
    let items = [
        "@default",
        " -@privileged",
        "- read",
        "mmap2",
        "write",
        "write ",
    ];
    let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    checks::check_expand(&items, &[Arch::X86_64, Arch::X86]);
    checks::check_expand(&items, &[]);
    let list = items.join(",");
    let code = compile_exits_cleanly(&[
        &format!("-syscall-allow={list}"),
        "--arch",
        "x86_64,i386,0xc000003e",
        "--errno",
        "EWOULDBLOCK",
    ]);
    assert_eq!(code, 0);
    // Odd values are clean errors.
    for args in [
        &["-syscall-allow=read,,write"][..],
        &["-syscall-deny=@nope"],
        &["-syscall-deny=-"],
        &["-syscall-allow=read", "--arch", "x86_64,"],
        &["-syscall-allow=read", "--errno", "4096"],
    ] {
        assert_eq!(compile_exits_cleanly(args), 125, "{args:?}");
    }
}
