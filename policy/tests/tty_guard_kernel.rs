//! The TTY guard against the real kernel: compiled in deny-list mode,
//! loaded in a forked child with `runner::probe`, `ioctl(-1, TIOCSTI)` must
//! fail with the filter's `EPERM` (not the kernel's `EBADF` for the bad
//! fd), also with the request's high word set, while `TCGETS` reaches the
//! kernel. Skipped (with a message) when not root or not on x86_64.

use bpf_asm::Arch;
use policy::{compile, resolve, tty_guard_rules, CompileOptions, PolicySpec};
use runner::probe::{run_filtered, Call, ExitKind};
use runner::SockFilter;

const EPERM: isize = 1;
const EBADF: isize = 9;
const NR_IOCTL: u32 = 16;
const NR_GETPID: u32 = 39;

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

#[test]
fn tty_guard_in_the_kernel() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipping: the probe's syscall numbers are x86_64's");
        return;
    }
    if !is_root() {
        eprintln!("skipping: loading filters in the probe needs root here");
        return;
    }
    let (policy, _) = resolve(&PolicySpec {
        rules: tty_guard_rules(),
        arches: vec![Arch::X86_64],
        ..PolicySpec::deny::<&str>(&[])
    })
    .unwrap();
    let prog = compile(&policy, &CompileOptions::default()).unwrap();
    let filter = SockFilter::from_raw_program(&prog.to_bytes());
    let bad_fd = u64::MAX; // -1
    let calls = [
        Call::with_args(NR_IOCTL, [bad_fd, 0x5412, 0, 0, 0, 0]),
        Call::with_args(NR_IOCTL, [bad_fd, 0x1_0000_5412, 0, 0, 0, 0]),
        Call::with_args(NR_IOCTL, [bad_fd, 0x541c, 0, 0, 0, 0]),
        Call::with_args(NR_IOCTL, [bad_fd, 0x5401, 0, 0, 0, 0]),
        Call::with_args(NR_IOCTL, [bad_fd, 0x5413, 0, 0, 0, 0]),
        Call::new(NR_GETPID),
    ];
    let out = run_filtered(&filter, &calls).unwrap();
    assert_eq!(out.load, Ok(()));
    assert_eq!(out.exit, ExitKind::Exited(0));
    assert_eq!(out.results.len(), calls.len());
    assert_eq!(out.results[0], -EPERM, "TIOCSTI is the filter's EPERM");
    assert_eq!(out.results[1], -EPERM, "the high word does not bypass it");
    assert_eq!(out.results[2], -EPERM, "TIOCLINUX");
    assert_eq!(out.results[3], -EBADF, "TCGETS reaches the kernel");
    assert_eq!(out.results[4], -EBADF);
    assert!(out.results[5] > 0, "getpid");
}
