//! A private terminal for the command (`--pty`): go-jail opens a
//! pseudo-terminal, the child makes its slave the controlling terminal of a
//! new session ([`crate::TtyPolicy::Pty`]), and the parent relays between
//! the caller's stdin/stdout and the master ([`Relay`]).
//!
//! The command then never holds the caller's terminal: TIOCSTI, `tcsetpgrp`
//! and `/dev/tty` reach the private pty, whose only other end is go-jail.
//! What the caller sees is what an interactive program needs: the caller's
//! terminal is put in raw mode (when stdin is one) so every byte, Ctrl-C
//! included, goes to the pty, whose own line discipline turns it into
//! signals, echo and line editing as the command's settings say; the
//! window size is copied at start and on every SIGWINCH the caller forwards
//! to [`Relay::sync_window_size`]. The caller's settings are restored by
//! [`Relay::restore`] and on drop.
//!
//! Like script(1) and ssh(1): stdout and stderr of the command both arrive
//! on go-jail's stdout, with the pty's output processing (`\n` → `\r\n`);
//! when stdin is not a terminal, its end is passed on as the pty's EOF
//! character (so `cat` ends) and the pty keeps its default settings.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/pty.7.html>
//! - <https://man7.org/linux/man-pages/man1/script.1.html> (the same relay)
//! - drivers/tty/pty.c, drivers/tty/n_tty.c (`n_tty_read` returns `EIO` on
//!   the master once every slave fd is closed, after the queued output)

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::sys::fds::{PollFd, POLLERR, POLLHUP, POLLIN};
use crate::sys::pty::{self as p, Termios, Winsize};
use crate::sys::{self, Errno};

const STDIN: i32 = 0;
const STDOUT: i32 = 1;
/// `POLLOUT` (include/uapi/asm-generic/poll.h).
const POLLOUT: i16 = 0x004;
/// `POLLNVAL`: the fd is not open (a caller started with stdin closed).
const POLLNVAL: i16 = 0x020;
/// Bytes moved per read.
const CHUNK: usize = 4096;
/// How much [`Relay::drain`] copies at most once the command has ended (a
/// process still holding the slave could write forever).
const DRAIN_LIMIT: usize = 1 << 20;

/// What [`Pty::open`] or [`Pty::into_relay`] was doing when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtyStep {
    /// `open("/dev/ptmx")`.
    OpenPtmx,
    /// `ioctl(TIOCSPTLCK)`.
    Unlock,
    /// Opening the slave (`TIOCGPTPEER`, or `/dev/pts/N` before Linux 4.13).
    OpenSlave,
    /// Copying the caller's terminal settings to the pty.
    CopySettings,
    /// Putting the caller's terminal (stdin) in raw mode.
    RawMode,
}

/// A failed [`PtyStep`] and its errno: `open /dev/ptmx: No such file or directory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtyError {
    /// What failed.
    pub step: PtyStep,
    /// Why.
    pub errno: Errno,
}

impl fmt::Display for PtyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            PtyStep::OpenPtmx => "open /dev/ptmx",
            PtyStep::Unlock => "unlockpt",
            PtyStep::OpenSlave => "open the pty slave",
            PtyStep::CopySettings => "copy the terminal settings to the pty",
            PtyStep::RawMode => "raw mode on stdin",
        };
        write!(f, "{step}: {}", self.errno)
    }
}

impl std::error::Error for PtyError {}

fn at(step: PtyStep) -> impl FnOnce(Errno) -> PtyError {
    move |errno| PtyError { step, errno }
}

/// A new pseudo-terminal, both ends open in this process (close-on-exec).
#[derive(Debug)]
pub struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

impl Pty {
    /// Opens a pty with the caller's terminal settings (stdin's, when it is
    /// a terminal; else the kernel's defaults: canonical, echo, signals) and
    /// window size (of the first of stdin, stdout, stderr that is a
    /// terminal). The master is non-blocking. Both fds are above 2 even
    /// when the caller started with stdin, stdout or stderr closed.
    pub fn open() -> Result<Pty, PtyError> {
        let master = p::open_ptmx(true)
            .and_then(p::above_stdio)
            .map_err(at(PtyStep::OpenPtmx))?;
        p::unlockpt(master.as_raw_fd()).map_err(at(PtyStep::Unlock))?;
        let slave = open_slave(master.as_raw_fd())
            .and_then(p::above_stdio)
            .map_err(at(PtyStep::OpenSlave))?;
        if let Ok(t) = p::tcgetattr(STDIN) {
            p::tcsetattr(slave.as_raw_fd(), p::TCSETS, &t).map_err(at(PtyStep::CopySettings))?;
        }
        if let Some(w) = caller_winsize() {
            p::set_winsize(master.as_raw_fd(), &w).map_err(at(PtyStep::CopySettings))?;
        }
        Ok(Pty { master, slave })
    }

    /// The terminal policy that gives a plan's command this pty:
    /// pass it to [`crate::PlanBuilder::tty`].
    pub fn tty_policy(&self) -> crate::TtyPolicy {
        crate::TtyPolicy::Pty {
            slave: self.slave.as_raw_fd(),
            master: self.master.as_raw_fd(),
        }
    }

    /// After the command's process holds the slave: closes this process's
    /// slave (so the master reports the end once the command's side is
    /// closed) and starts relaying, with stdin in raw mode when it is a
    /// terminal.
    pub fn into_relay(self) -> Result<Relay, PtyError> {
        let Pty { master, slave } = self;
        drop(slave);
        let mut relay = Relay {
            master,
            saved: None,
            input_open: true,
            master_open: true,
            output_open: true,
            pending: [0; CHUNK],
            pending_range: (0, 0),
            line_partial: false,
        };
        if let Ok(saved) = p::tcgetattr(STDIN) {
            p::tcsetattr(STDIN, p::TCSETS, &saved.raw()).map_err(at(PtyStep::RawMode))?;
            relay.saved = Some(saved);
        }
        Ok(relay)
    }
}

/// The slave through `TIOCGPTPEER`, or by path on kernels before 4.13.
fn open_slave(master: i32) -> Result<OwnedFd, Errno> {
    match p::open_peer(master) {
        Err(Errno::ENOTTY | Errno::EINVAL) => p::open_pts(p::pty_number(master)?),
        other => other,
    }
}

/// The window size of the first of fds 0, 1, 2 that is a terminal.
fn caller_winsize() -> Option<Winsize> {
    (STDIN..=2).find_map(|fd| p::get_winsize(fd).ok())
}

/// The parent's side of a [`Pty`]: copies stdin to the master and the
/// master to stdout. Poll [`Relay::poll_fds`] with whatever else the caller
/// waits for, then hand the result to [`Relay::pump`].
#[derive(Debug)]
pub struct Relay {
    master: OwnedFd,
    /// The caller's stdin settings before raw mode.
    saved: Option<Termios>,
    input_open: bool,
    master_open: bool,
    output_open: bool,
    /// Input read from stdin, not yet taken by the master.
    pending: [u8; CHUNK],
    pending_range: (usize, usize),
    /// Whether the last byte passed on was not a newline.
    line_partial: bool,
}

impl Relay {
    /// The descriptors to poll: stdin (ignored, `-1`, once it ended or while
    /// input waits for the master) and the master (ignored once it ended).
    pub fn poll_fds(&self) -> [PollFd; 2] {
        let waiting = self.pending_range.0 < self.pending_range.1;
        let stdin = if self.input_open && !waiting {
            STDIN
        } else {
            -1
        };
        let master = if self.master_open {
            self.master.as_raw_fd()
        } else {
            -1
        };
        [
            PollFd {
                fd: stdin,
                events: POLLIN,
                revents: 0,
            },
            PollFd {
                fd: master,
                events: POLLIN | if waiting { POLLOUT } else { 0 },
                revents: 0,
            },
        ]
    }

    /// Moves the data `fds` (polled from [`Relay::poll_fds`]) says is ready.
    pub fn pump(&mut self, fds: &[PollFd; 2]) {
        if fds[0].revents & POLLNVAL != 0 {
            // stdin closed from the start: no input, like an empty one
            self.input_open = false;
            self.send_eof();
        } else if fds[0].revents & (POLLIN | POLLHUP | POLLERR) != 0 {
            self.read_input();
        }
        if fds[1].revents & POLLOUT != 0 {
            self.flush_input();
        }
        if fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 {
            self.copy_output();
        }
    }

    /// The master's fd (for a caller that closes every other fd).
    pub fn master_fd(&self) -> BorrowedFd<'_> {
        self.master.as_fd()
    }

    /// Copies the caller's window size to the pty (on SIGWINCH); the kernel
    /// then sends SIGWINCH to the pty's foreground process group.
    pub fn sync_window_size(&self) {
        if let Some(w) = caller_winsize() {
            let _ = p::set_winsize(self.master.as_raw_fd(), &w);
        }
    }

    /// After the command ended: copies what is still queued in the pty,
    /// without waiting for processes that may still hold the slave.
    pub fn drain(&mut self) {
        let mut copied = 0;
        while self.master_open && copied < DRAIN_LIMIT {
            match self.copy_output() {
                0 => break,
                n => copied += n,
            }
        }
    }

    /// Gives the caller's terminal its own settings back for a while (go-jail
    /// is about to stop); [`Relay::resume`] puts it in raw mode again.
    pub fn suspend(&self) {
        if let Some(saved) = self.saved {
            let _ = p::tcsetattr(STDIN, p::TCSETSW, &saved);
        }
    }

    /// Raw mode again after [`Relay::suspend`].
    pub fn resume(&self) {
        if let Some(saved) = self.saved {
            let _ = p::tcsetattr(STDIN, p::TCSETS, &saved.raw());
        }
    }

    /// Restores the caller's terminal settings (once; also on drop).
    pub fn restore(&mut self) {
        if let Some(saved) = self.saved.take() {
            let _ = p::tcsetattr(STDIN, p::TCSETS, &saved);
        }
    }

    fn read_input(&mut self) {
        match sys::read(STDIN, &mut self.pending) {
            Ok(0) => {
                self.input_open = false;
                self.send_eof();
            }
            Ok(n) => {
                self.pending_range = (0, n);
                self.flush_input();
            }
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(_) => self.input_open = false,
        }
    }

    /// Writes pending input to the master as far as it takes it.
    fn flush_input(&mut self) {
        let (start, end) = self.pending_range;
        if start == end {
            return;
        }
        match sys::write(self.master.as_raw_fd(), &self.pending[start..end]) {
            Ok(0) | Err(Errno::EINTR | Errno::EAGAIN) => {}
            Ok(n) => {
                self.line_partial = self.pending[start + n - 1] != b'\n';
                self.pending_range.0 += n;
            }
            Err(_) => self.pending_range = (0, 0),
        }
    }

    /// The end of a non-terminal stdin: the EOF character, when the pty is
    /// in canonical mode (twice after a partial line: the first ends the line).
    fn send_eof(&mut self) {
        let Ok(t) = p::tcgetattr(self.master.as_raw_fd()) else {
            return;
        };
        if t.lflag & p::ICANON == 0 {
            return;
        }
        let eof = [t.cc[p::VEOF]; 2];
        let count = if self.line_partial { 2 } else { 1 };
        let _ = sys::write(self.master.as_raw_fd(), &eof[..count]);
    }

    /// Copies one read of the master to stdout; returns the byte count (0
    /// when nothing was ready or the master ended).
    fn copy_output(&mut self) -> usize {
        let mut buf = [0u8; CHUNK];
        match sys::read(self.master.as_raw_fd(), &mut buf) {
            Ok(0) | Err(Errno::EIO) => {
                self.master_open = false;
                0
            }
            Ok(n) => {
                if self.output_open && sys::write_all(STDOUT, &buf[..n]).is_err() {
                    // keep reading so the command does not block on a full pty
                    self.output_open = false;
                }
                n
            }
            Err(Errno::EINTR | Errno::EAGAIN) => 0,
            Err(_) => {
                self.master_open = false;
                0
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.restore();
    }
}
