//! The pty primitives of `runner::sys::pty` against the kernel.

use std::os::fd::AsRawFd;

use runner::sys::pty::{self as p, Winsize};
use runner::sys::supervisor::{poll, PollFd, POLLIN};
use runner::sys::{read, write, Errno};

/// A readable end within 1 s?
fn readable(fd: i32) -> bool {
    let mut fds = [PollFd {
        fd,
        events: POLLIN,
        revents: 0,
    }];
    matches!(poll(&mut fds, Some(1_000_000_000)), Ok(1))
}

fn target(fd: i32) -> std::path::PathBuf {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap()
}

#[test]
fn the_peer_is_the_slave_named_by_its_number() {
    let master = p::open_ptmx(true).unwrap();
    // locked until unlockpt: the peer cannot be opened
    assert_eq!(p::open_peer(master.as_raw_fd()).err(), Some(Errno::EIO));
    p::unlockpt(master.as_raw_fd()).unwrap();
    let peer = p::open_peer(master.as_raw_fd()).unwrap();
    let n = p::pty_number(master.as_raw_fd()).unwrap();
    let by_path = p::open_pts(n).unwrap();
    let name = format!("/dev/pts/{n}");
    assert_eq!(target(peer.as_raw_fd()).to_str(), Some(name.as_str()));
    assert_eq!(target(by_path.as_raw_fd()).to_str(), Some(name.as_str()));
    // close-on-exec, as the jail relies on
    for fd in [master.as_raw_fd(), peer.as_raw_fd(), by_path.as_raw_fd()] {
        assert_eq!(runner::sys::fcntl_getfd(fd), Ok(1), "fd {fd}");
    }
}

#[test]
fn a_new_pty_is_canonical_and_raw_mode_passes_single_bytes() {
    let master = p::open_ptmx(true).unwrap();
    p::unlockpt(master.as_raw_fd()).unwrap();
    let slave = p::open_peer(master.as_raw_fd()).unwrap();
    let cooked = p::tcgetattr(slave.as_raw_fd()).unwrap();
    assert_ne!(cooked.lflag & p::ICANON, 0);
    assert_ne!(cooked.lflag & p::ECHO, 0);
    // canonical: a byte without newline does not reach the reader
    write(master.as_raw_fd(), b"x").unwrap();
    assert!(!readable(slave.as_raw_fd()));
    let raw = cooked.raw();
    assert_eq!(raw.lflag & (p::ICANON | p::ECHO | p::ISIG), 0);
    p::tcsetattr(slave.as_raw_fd(), p::TCSETS, &raw).unwrap();
    assert_eq!(p::tcgetattr(slave.as_raw_fd()).unwrap(), raw);
    write(master.as_raw_fd(), b"y").unwrap();
    assert!(readable(slave.as_raw_fd()));
    let mut got = Vec::new();
    while got.len() < 2 && readable(slave.as_raw_fd()) {
        let mut buf = [0u8; 8];
        let n = read(slave.as_raw_fd(), &mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"xy");
    // TCSETSW is accepted, anything else is refused before the kernel
    p::tcsetattr(slave.as_raw_fd(), p::TCSETSW, &cooked).unwrap();
    assert_eq!(
        p::tcsetattr(slave.as_raw_fd(), 0x5404, &cooked),
        Err(Errno::EINVAL)
    );
}

#[test]
fn the_window_size_set_on_the_master_is_the_slaves() {
    let master = p::open_ptmx(true).unwrap();
    p::unlockpt(master.as_raw_fd()).unwrap();
    let slave = p::open_peer(master.as_raw_fd()).unwrap();
    let w = Winsize {
        rows: 33,
        cols: 77,
        ..Winsize::default()
    };
    p::set_winsize(master.as_raw_fd(), &w).unwrap();
    assert_eq!(p::get_winsize(slave.as_raw_fd()), Ok(w));
    assert_eq!(p::tcgetattr(1_000_000).err(), Some(Errno::EBADF));
}

#[test]
fn a_plan_refuses_a_negative_pty_fd() {
    for (slave, master) in [(-1, 3), (4, -2)] {
        let r = runner::PlanBuilder::new(65534, 65534)
            .cap_last_cap(40)
            .tty(runner::TtyPolicy::Pty { slave, master })
            .command(["true"])
            .build();
        assert_eq!(
            r.err(),
            Some(runner::PlanError::BadFd(slave.min(master))),
            "{slave} {master}"
        );
    }
}

#[test]
fn only_the_pty_policy_starts_a_session() {
    use runner::TtyPolicy;
    assert!(TtyPolicy::Pty {
        slave: 4,
        master: 3
    }
    .starts_session());
    assert!(!TtyPolicy::Inherit.starts_session());
    assert!(!TtyPolicy::Detach.starts_session());
    let plan = runner::PlanBuilder::new(65534, 65534)
        .cap_last_cap(40)
        .tty(TtyPolicy::Pty {
            slave: 4,
            master: 3,
        })
        .command(["true"])
        .build()
        .unwrap();
    assert!(plan.tty().starts_session());
}
