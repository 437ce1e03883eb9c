//! Tests of the wrappers that only the crate reaches: fd numbers, signal
//! dispositions and the bounding set, checked in forked children. Needs
//! root where it applies a plan; such a test prints `skipping: needs root`
//! and returns otherwise.

use crate::probe::{run_plan, status_field as field, ExitKind};
use crate::sys::{self, abi, Errno};
use crate::{FdMode, PlanBuilder};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

macro_rules! require_root {
    () => {
        if sys::getuid() != 0 {
            println!("skipping: needs root");
            return;
        }
    };
}

const NOBODY: u32 = 65534;

#[test]
fn without_setpcap_but_with_no_new_privs_the_bounding_set_is_left_alone() {
    require_root!();
    // built before the fork (see an_already_dropped_bounding_set_is_no_failure)
    let first = PlanBuilder::new(NOBODY, NOBODY)
        .bounding_keep(crate::probe::all_caps())
        .build()
        .unwrap();
    let second = PlanBuilder::new(NOBODY, NOBODY).build().unwrap();
    let exit = crate::probe::run_in_child(|| match (first.apply(), second.apply()) {
        (Ok(()), Ok(())) if sys::capbset_read(0) == Ok(true) => 42,
        _ => 43,
    })
    .expect("fork");
    assert_eq!(exit, ExitKind::Exited(42), "{exit:?}");
}

/// `/dev/null` at descriptor `n`, owned.
fn null_at(n: i32) -> OwnedFd {
    let f = std::fs::File::open("/dev/null").unwrap();
    // SAFETY: the tests use numbers from 150 up, which nothing else in
    // this process opens (std and the harness take the lowest free ones).
    unsafe { sys::dup3(f.as_raw_fd(), n) }.unwrap();
    // SAFETY: `n` was just made a copy of `f` and nothing else refers to it.
    unsafe { OwnedFd::from_raw_fd(n) }
}

#[test]
fn fds_above_2_are_closed_except_kept() {
    require_root!();
    let (kept, dropped) = (150, 151);
    let _held = [null_at(kept), null_at(dropped)];
    for mode in [FdMode::Close, FdMode::CloseOnExec] {
        let plan = PlanBuilder::new(NOBODY, NOBODY)
            .keep_fds([kept])
            .fd_mode(mode)
            .command(["/bin/ls", "/proc/self/fd"])
            .build()
            .unwrap();
        let run = run_plan(&plan).unwrap();
        assert_eq!(run.exit, ExitKind::Exited(0), "{mode:?}");
        let mut fds: Vec<i32> = String::from_utf8(run.stdout)
            .unwrap()
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        fds.sort_unstable();
        // 0-2, ls's own directory fd 3, and the kept fd; nothing the harness leaked
        assert_eq!(fds, vec![0, 1, 2, 3, kept], "{mode:?}");
    }
}

#[test]
fn sigpipe_default_and_mask_empty_after_apply_and_exec() {
    require_root!();
    // this test process ignores SIGPIPE (Rust's runtime)
    assert_eq!(sys::signal_handler(abi::SIGPIPE).unwrap(), abi::SIG_IGN);
    let plan = PlanBuilder::new(NOBODY, NOBODY)
        .command(["/bin/cat", "/proc/self/status"])
        .build()
        .unwrap();
    // The child inherits this thread's mask: block SIGUSR1 (10) here so an
    // empty mask after exec is the plan's doing.
    let old = sys::block_signals(1 << (10 - 1)).unwrap();
    let run = run_plan(&plan);
    sys::set_signal_mask(old).unwrap();
    let s = String::from_utf8(run.unwrap().stdout).unwrap();
    let ign = u64::from_str_radix(field(&s, "SigIgn"), 16).unwrap();
    assert_eq!(ign & (1 << (abi::SIGPIPE - 1)), 0, "SigIgn {ign:#x}");
    assert_eq!(field(&s, "SigBlk"), "0000000000000000");
}

#[test]
fn close_range_fallback_closes_or_marks() {
    let _held = null_at(160);
    let exit = crate::probe::run_in_child(|| {
        if sys::fcntl_setfd(160, 0).is_err() {
            return 45;
        }
        // SAFETY: the child owns nothing in 150..=170 that runs again: it
        // only makes these raw calls, then exits.
        if unsafe { sys::close_range_fallback(160, 160, abi::CLOSE_RANGE_CLOEXEC) }.is_err() {
            return 46;
        }
        if sys::fcntl_getfd(160) != Ok(abi::FD_CLOEXEC) {
            return 43;
        }
        // SAFETY: as above.
        if unsafe { sys::close_range_fallback(150, 170, 0) }.is_err() {
            return 47;
        }
        match sys::fcntl_getfd(160) {
            Err(Errno::EBADF) => 42,
            _ => 44,
        }
    })
    .unwrap();
    assert_eq!(exit, ExitKind::Exited(42));
}

#[test]
fn write_nowait_fails_with_eagain_on_a_full_blocking_pipe() {
    use std::os::fd::AsFd;
    let (read_end, write_end) = sys::fds::pipe_cloexec().unwrap();
    // the write end is blocking (no O_NONBLOCK): a plain write would wait
    let line = [b'x'; 4000];
    let mut written = 0usize;
    let err = loop {
        match sys::fds::write_nowait(write_end.as_fd(), &line) {
            Ok(n) => written += n,
            Err(e) => break e,
        }
        assert!(written < 1 << 24, "a pipe never filled");
    };
    assert_eq!(err, Errno::EAGAIN);
    assert!(written >= 4096, "{written}");
    drop(read_end);
}
