//! Pseudo-terminals and terminal attributes: the `posix_openpt`,
//! `unlockpt`, `ptsname`, `tcgetattr`/`tcsetattr`, `cfmakeraw`, window-size
//! and controlling-terminal calls of libc, as the raw ioctls they are.
//!
//! `grantpt(3)` has no counterpart: on devpts the kernel creates the slave
//! already owned by the opener's uid with the mount's mode (glibc's
//! `grantpt` only checks that), and the slave here is opened through the
//! master ([`open_peer`]) before any identity change.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man4/pts.4.html>, <https://man7.org/linux/man-pages/man2/TIOCGPTPEER.2const.html>
//! - <https://man7.org/linux/man-pages/man3/termios.3.html> (`cfmakeraw`)
//! - <https://man7.org/linux/man-pages/man2/ioctl_tty.2.html>
//! - include/uapi/asm-generic/ioctls.h, include/uapi/asm-generic/termbits.h,
//!   drivers/tty/pty.c (`ptmx_open`, `pty_unix98_ioctl`), drivers/tty/tty_jobctrl.c (`tiocsctty`)

use core::mem::size_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::abi::{AT_FDCWD, O_CLOEXEC, O_NOCTTY, O_RDWR, TIOCNOTTY};
use super::arch::{self, nr};
use super::{ret, ret_unit, Errno, Result};

// include/uapi/asm-generic/ioctls.h
/// `TCGETS`: read the terminal attributes (`tcgetattr`).
pub const TCGETS: u32 = 0x5401;
/// `TCSETS`: set them now (`tcsetattr(TCSANOW)`).
pub const TCSETS: u32 = 0x5402;
/// `TCSETSW`: set them once the output is written (`TCSADRAIN`).
pub const TCSETSW: u32 = 0x5403;
/// `TIOCSCTTY`: make the terminal the caller's controlling terminal.
pub const TIOCSCTTY: u32 = 0x540e;
/// `TIOCGWINSZ`: read the window size.
pub const TIOCGWINSZ: u32 = 0x5413;
/// `TIOCSWINSZ`: set the window size (the kernel then sends SIGWINCH to the
/// terminal's foreground process group).
pub const TIOCSWINSZ: u32 = 0x5414;
/// `TIOCGPTN` = `_IOR('T', 0x30, unsigned int)`: the pty's number (`ptsname`).
pub const TIOCGPTN: u32 = 0x8004_5430;
/// `TIOCSPTLCK` = `_IOW('T', 0x31, int)`: lock or unlock the slave (`unlockpt`).
pub const TIOCSPTLCK: u32 = 0x4004_5431;
/// `TIOCGPTPEER` = `_IO('T', 0x41)`: open the slave from the master (Linux 4.13+).
pub const TIOCGPTPEER: u32 = 0x5441;

// include/uapi/asm-generic/fcntl.h
/// `O_NONBLOCK`.
pub const O_NONBLOCK: u32 = 0o4000;

// include/uapi/asm-generic/termbits.h (octal, as there)
/// `NCCS` of the kernel's `struct termios` (glibc's is 32: not this one).
pub const NCCS: usize = 19;
/// `VEOF`: index of the end-of-file character in `cc`.
pub const VEOF: usize = 4;
/// `VTIME`: index of the non-canonical read timeout in `cc`.
pub const VTIME: usize = 5;
/// `VMIN`: index of the non-canonical minimum byte count in `cc`.
pub const VMIN: usize = 6;
/// `ISIG` (c_lflag): INTR, QUIT, SUSP characters raise signals.
pub const ISIG: u32 = 0o1;
/// `ICANON` (c_lflag): line editing, input delivered by lines.
pub const ICANON: u32 = 0o2;
/// `ECHO` (c_lflag).
pub const ECHO: u32 = 0o10;
const ECHONL: u32 = 0o100;
const IEXTEN: u32 = 0o100000;
const IGNBRK: u32 = 0o1;
const BRKINT: u32 = 0o2;
const PARMRK: u32 = 0o10;
const ISTRIP: u32 = 0o40;
const INLCR: u32 = 0o100;
const IGNCR: u32 = 0o200;
const ICRNL: u32 = 0o400;
const IXON: u32 = 0o2000;
const OPOST: u32 = 0o1;
const CSIZE: u32 = 0o60;
const CS8: u32 = 0o60;
const PARENB: u32 = 0o400;

/// The kernel's `struct termios` (include/uapi/asm-generic/termbits.h), what
/// `TCGETS`/`TCSETS` copy: four flag words, the line discipline, 19 control
/// characters. The speeds live in `cflag` here.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    /// Input modes.
    pub iflag: u32,
    /// Output modes.
    pub oflag: u32,
    /// Control modes.
    pub cflag: u32,
    /// Local modes.
    pub lflag: u32,
    /// Line discipline (0: N_TTY).
    pub line: u8,
    /// Control characters, indexed by `VINTR`, `VEOF`, `VMIN`, ...
    pub cc: [u8; NCCS],
}

impl Termios {
    /// These attributes in raw mode, as `cfmakeraw(3)` sets them: no input
    /// translation or flow control, no output processing, no echo, no line
    /// editing, no signal characters, 8-bit characters, reads return as soon
    /// as one byte is there.
    pub fn raw(mut self) -> Termios {
        self.iflag &= !(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        self.oflag &= !OPOST;
        self.lflag &= !(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        self.cflag &= !(CSIZE | PARENB);
        self.cflag |= CS8;
        self.cc[VMIN] = 1;
        self.cc[VTIME] = 0;
        self
    }
}

/// `struct winsize` (include/uapi/asm-generic/termios.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    /// Rows, in characters.
    pub rows: u16,
    /// Columns, in characters.
    pub cols: u16,
    /// Width in pixels (unused by the kernel).
    pub xpixel: u16,
    /// Height in pixels (unused by the kernel).
    pub ypixel: u16,
}

const _: () = {
    assert!(size_of::<Termios>() == 36);
    assert!(size_of::<Winsize>() == 8);
    assert!(TIOCGPTN == (2 << 30) | (4 << 16) | 0x5430);
    assert!(TIOCSPTLCK == (1 << 30) | (4 << 16) | 0x5431);
};

/// Wraps a descriptor the kernel just returned.
fn owned(r: isize) -> Result<OwnedFd> {
    let fd = ret(r)? as i32;
    // SAFETY: `fd` was just created by the kernel for this process and is
    // referenced by nothing else, so the `OwnedFd` is its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ioctl(fd, request, arg)` with an integer (or no) argument.
fn ioctl_int(fd: i32, request: u32, arg: usize) -> Result<usize> {
    // SAFETY: the requests passed here (TIOCSCTTY, TIOCGPTPEER) take an
    // integer argument; the kernel reads no user memory through it.
    ret(unsafe { arch::syscall3(nr::IOCTL, fd as usize, request as usize, arg) })
}

/// `posix_openpt(O_RDWR | O_NOCTTY)`: `openat("/dev/ptmx")`, close-on-exec,
/// non-blocking when `nonblock`. The slave is created locked ([`unlockpt`]).
///
/// # References
/// - <https://man7.org/linux/man-pages/man3/posix_openpt.3.html>
pub fn open_ptmx(nonblock: bool) -> Result<OwnedFd> {
    let flags = O_RDWR | O_NOCTTY | O_CLOEXEC | if nonblock { O_NONBLOCK } else { 0 };
    // SAFETY: the path is a NUL-terminated literal; mode is unused without O_CREAT.
    owned(unsafe {
        arch::syscall4(
            nr::OPENAT,
            AT_FDCWD as isize as usize,
            c"/dev/ptmx".as_ptr() as usize,
            flags as usize,
            0,
        )
    })
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, 3)` when `fd` is 0, 1 or 2 (the caller
/// started with that standard fd closed, so `open` reused its number): a
/// close-on-exec copy above the standard fds, the original closed. Other
/// fds are returned as they are.
pub fn above_stdio(fd: OwnedFd) -> Result<OwnedFd> {
    const F_DUPFD_CLOEXEC: usize = 1030; // include/uapi/linux/fcntl.h
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: integer arguments only; the kernel returns a new descriptor.
    owned(unsafe { arch::syscall3(nr::FCNTL, fd.as_raw_fd() as usize, F_DUPFD_CLOEXEC, 3) })
}

/// `unlockpt(3)`: `ioctl(master, TIOCSPTLCK, &0)`, so the slave can be opened.
pub fn unlockpt(master: i32) -> Result<()> {
    let unlock: i32 = 0;
    // SAFETY: the kernel reads one int from the live local `unlock`.
    ret_unit(unsafe {
        arch::syscall3(
            nr::IOCTL,
            master as usize,
            TIOCSPTLCK as usize,
            &unlock as *const i32 as usize,
        )
    })
}

/// `ioctl(master, TIOCGPTN)`: the number N of `/dev/pts/N` (`ptsname(3)`).
pub fn pty_number(master: i32) -> Result<u32> {
    let mut n: u32 = 0;
    // SAFETY: the kernel writes one unsigned int into the live local `n`.
    let r = unsafe {
        arch::syscall3(
            nr::IOCTL,
            master as usize,
            TIOCGPTN as usize,
            &mut n as *mut u32 as usize,
        )
    };
    ret_unit(r).map(|()| n)
}

/// `ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)`: opens the
/// slave through the master, without a path lookup (no race with another
/// devpts mounted over `/dev/pts`). `ENOTTY`/`EINVAL` before Linux 4.13.
pub fn open_peer(master: i32) -> Result<OwnedFd> {
    let flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
    ioctl_int(master, TIOCGPTPEER, flags as usize).and_then(|fd| owned(fd as isize))
}

/// Opens `/dev/pts/N` (read-write, no controlling terminal, close-on-exec):
/// the slave by path, for kernels without [`open_peer`]. The path is
/// formatted on the stack.
pub fn open_pts(n: u32) -> Result<OwnedFd> {
    const PREFIX: &[u8] = b"/dev/pts/";
    let mut path = [0u8; 24]; // prefix, up to 10 digits, NUL
    path[..PREFIX.len()].copy_from_slice(PREFIX);
    let digits = if n == 0 { 1 } else { n.ilog10() as usize + 1 };
    let mut rest = n;
    for i in (0..digits).rev() {
        path[PREFIX.len() + i] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
    // SAFETY: `path` is a live local, NUL-terminated (zeroed past the
    // digits); mode is unused without O_CREAT.
    owned(unsafe {
        arch::syscall4(
            nr::OPENAT,
            AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            flags as usize,
            0,
        )
    })
}

/// `tcgetattr(3)`: `ioctl(fd, TCGETS)`. `ENOTTY` when `fd` is not a terminal.
pub fn tcgetattr(fd: i32) -> Result<Termios> {
    let mut t = Termios::default();
    // SAFETY: the kernel writes one kernel `struct termios` (36 bytes, the
    // size of `Termios`) into the live local `t`.
    let r = unsafe {
        arch::syscall3(
            nr::IOCTL,
            fd as usize,
            TCGETS as usize,
            &mut t as *mut Termios as usize,
        )
    };
    ret_unit(r).map(|()| t)
}

/// `tcsetattr(3)`: `ioctl(fd, request, t)` with [`TCSETS`] (now) or
/// [`TCSETSW`] (after the pending output is written).
///
/// # Warning
/// From a background process group of its controlling terminal this raises
/// SIGTTOU (stopping the caller) unless SIGTTOU is ignored or blocked.
pub fn tcsetattr(fd: i32, request: u32, t: &Termios) -> Result<()> {
    if request != TCSETS && request != TCSETSW {
        return Err(Errno::EINVAL);
    }
    // SAFETY: the request is TCSETS or TCSETSW, which read one kernel
    // `struct termios` from the live reference `t`.
    ret_unit(unsafe {
        arch::syscall3(
            nr::IOCTL,
            fd as usize,
            request as usize,
            t as *const Termios as usize,
        )
    })
}

/// `ioctl(fd, TIOCGWINSZ)`: the terminal's window size.
pub fn get_winsize(fd: i32) -> Result<Winsize> {
    let mut w = Winsize::default();
    // SAFETY: the kernel writes one `struct winsize` into the live local `w`.
    let r = unsafe {
        arch::syscall3(
            nr::IOCTL,
            fd as usize,
            TIOCGWINSZ as usize,
            &mut w as *mut Winsize as usize,
        )
    };
    ret_unit(r).map(|()| w)
}

/// `ioctl(fd, TIOCSWINSZ, w)`: sets the window size; a change sends SIGWINCH
/// to the terminal's foreground process group (drivers/tty/tty_io.c `tty_do_resize`).
pub fn set_winsize(fd: i32, w: &Winsize) -> Result<()> {
    // SAFETY: the kernel reads one `struct winsize` from the live reference `w`.
    ret_unit(unsafe {
        arch::syscall3(
            nr::IOCTL,
            fd as usize,
            TIOCSWINSZ as usize,
            w as *const Winsize as usize,
        )
    })
}

/// `ioctl(fd, TIOCSCTTY, 0)`: makes the terminal `fd` the controlling
/// terminal of the caller's session, and the caller's process group its
/// foreground group. The caller must be a session leader without one
/// ([`super::process::setsid`]); `EPERM` if the terminal belongs to another session.
pub fn set_controlling_tty(fd: i32) -> Result<()> {
    ioctl_int(fd, TIOCSCTTY, 0).map(|_| ())
}

/// `ioctl(fd, TIOCNOTTY)` — gives up the controlling terminal `fd` refers to.
///
/// # Warning
/// Called by a session leader, this also sends SIGHUP to the terminal's
/// foreground process group (tty_ioctl(4), `TIOCNOTTY`).
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/TIOCNOTTY.2const.html>
pub fn ioctl_tiocnotty(fd: i32) -> Result<()> {
    // SAFETY: TIOCNOTTY takes no argument pointer.
    ret_unit(unsafe { arch::syscall3(nr::IOCTL, fd as usize, TIOCNOTTY as usize, 0) })
}

/// The pty primitives against the kernel.
#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::{self as p, Winsize};
    use crate::sys::fds::{poll, read, write, PollFd, POLLIN};
    use crate::sys::Errno;

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
            assert_eq!(crate::sys::fcntl_getfd(fd), Ok(1), "fd {fd}");
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
}
