//! The lines `--report-denied` and `--complain` print: syscall names for the
//! calling arch, raw arguments, and the strings of pathname arguments read
//! from `/proc/PID/mem` (a report, never a decision: what was read may have
//! changed by the time the kernel reads it).

use std::fmt::Write as _;
use std::fs::File;
use std::os::unix::fs::FileExt;

use bpf_asm::Arch;
use policy::{Action, SyscallTable};

/// The most bytes read for one string argument.
pub const MAX_STRING: usize = 256;

/// `name` for the native arch, `name[arch]` for another, `syscall_N` for a
/// number the table does not know.
pub fn syscall_name(audit: u32, nr: u32) -> String {
    match Arch::from_audit(audit) {
        Some(arch) => {
            let name = SyscallTable::name(arch, nr)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("syscall_{nr:#x}"));
            if arch == Arch::native() {
                name
            } else {
                format!("{name}[{}]", arch_label(arch))
            }
        }
        None => format!("syscall_{nr:#x}[arch {audit:#x}]"),
    }
}

/// How reports and `learn` name an arch (`i386` for x86).
pub(crate) fn arch_label(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "x86_64",
        Arch::X86 => "i386",
        Arch::Aarch64 => "aarch64",
        Arch::Arm => "arm",
        Arch::Riscv64 => "riscv64",
    }
}

/// An integer argument: small values and small negative ints (fds,
/// `AT_FDCWD`, flags) in decimal, everything else in hex.
pub fn format_int(v: u64) -> String {
    let low = v as u32 as i32;
    let high = v >> 32;
    if v < 0x1000 {
        v.to_string()
    } else if (-4095..0).contains(&(v as i64)) {
        (v as i64).to_string()
    } else if (-4095..0).contains(&low) && high == 0 {
        low.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// A string argument as read: quoted with escapes; `…` after the quote when
/// it was cut at [`MAX_STRING`] bytes.
pub fn format_string(bytes: &[u8], complete: bool) -> String {
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let _ = write!(out, "{}", c.escape_default());
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    if !complete {
        out.push('…');
    }
    out
}

/// A path as a report line shows it: as [`format_string`] writes it
/// without the quotes (control characters escaped, `\"` and `\\` for a
/// quote and a backslash, invalid UTF-8 as `\xNN`), so a name the
/// command chose cannot start a line of its own or drive the terminal.
pub fn printable_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let quoted = format_string(path.as_os_str().as_bytes(), true);
    quoted[1..quoted.len() - 1].to_owned()
}

/// Reads a NUL-terminated string at `addr` in process `pid`'s memory: the
/// bytes and whether the NUL was found within [`MAX_STRING`] bytes. Reads
/// page by page, so a string ending just before an unmapped page is read.
pub fn read_string(mem: &File, addr: u64) -> Option<(Vec<u8>, bool)> {
    read_string_upto(mem, addr, MAX_STRING)
}

/// [`read_string`] with a bound of `max` bytes (a pathname: `PATH_MAX`).
pub fn read_string_upto(mem: &File, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
    const PAGE: u64 = 4096;
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < max {
        let to_page_end = (PAGE - at % PAGE) as usize;
        let want = to_page_end.min(max - out.len());
        let mut buf = vec![0u8; want];
        let n = match mem.read_at(&mut buf, at) {
            Ok(0) | Err(_) if out.is_empty() => return None,
            Ok(0) | Err(_) => return Some((out, false)),
            Ok(n) => n,
        };
        if let Some(end) = buf[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..end]);
            return Some((out, true));
        }
        out.extend_from_slice(&buf[..n]);
        at += n as u64;
    }
    Some((out, false))
}

/// Opens `/proc/PID/mem` for reading arguments (`None` if not allowed or gone).
pub fn open_mem(pid: u32) -> Option<File> {
    File::open(format!("/proc/{pid}/mem")).ok()
}

/// `name(arg, "path", …)`: `count` arguments (6 when unknown); the string
/// arguments found in `strings` replace their raw value.
pub fn format_call(
    name: &str,
    args: &[u64; 6],
    count: usize,
    strings: &[(usize, Vec<u8>, bool)],
) -> String {
    let mut out = String::from(name);
    out.push('(');
    for (i, &a) in args.iter().enumerate().take(count.min(6)) {
        if i > 0 {
            out.push_str(", ");
        }
        match strings.iter().find(|s| s.0 == i) {
            Some((_, bytes, complete)) => out.push_str(&format_string(bytes, *complete)),
            None => out.push_str(&format_int(a)),
        }
    }
    out.push(')');
    out
}

/// What the policy does to the call: `EPERM`, `errno 200`, `killed (KILL_PROCESS)`.
pub fn outcome(action: Action) -> String {
    match action {
        Action::Errno(n) => match crate::errno::name(n) {
            Some(name) => name.to_owned(),
            None => format!("errno {n}"),
        },
        Action::KillProcess | Action::KillThread => format!("killed ({action})"),
        other => other.to_string(),
    }
}

/// The report lines waiting for stderr. The supervisor writes one only
/// when `poll` says stderr takes it, so a stderr nobody reads (a full pipe,
/// a terminal stopped with Ctrl-S) never blocks it: it goes on answering
/// calls and forwarding signals. Past [`Outbox::MAX_QUEUED`] lines, new
/// ones are counted and dropped, and a line says how many.
///
/// `POLLOUT` alone is not enough where the command shares stderr: it can
/// fill a pipe or socket, or stop a terminal's output (`tcflow(TCOOFF)`),
/// between the `poll` and the `write` (docs/threats.md S41). So a line
/// never goes out with a write that can wait:
/// - a pipe or a socket: `RWF_NOWAIT` (`runner::supervisor::write_nowait`),
///   which fails with `EAGAIN` instead of waiting;
/// - a terminal: through an open file description of the supervisor's own
///   with `O_NONBLOCK` (`/proc/self/fd/2` opened again, `O_NOCTTY`), on
///   which `n_tty_write` fails with `EAGAIN` (drivers/tty/n_tty.c); the
///   shared description keeps its flags, since the caller's shell uses it;
/// - a file or `/dev/null`: a plain write, which does not wait for a reader.
///
/// On `EAGAIN` the line waits for the next `POLLOUT`.
#[derive(Debug)]
pub struct Outbox {
    queue: std::collections::VecDeque<Vec<u8>>,
    dropped: u64,
    sink: Sink,
}

/// How stderr is written: decided once, from its file type.
#[derive(Debug)]
enum Sink {
    /// A pipe or a socket, which others may fill: `RWF_NOWAIT`.
    NoWait,
    /// A terminal, through the supervisor's own non-blocking description.
    Terminal(std::fs::File),
    /// Anything else: a plain `write` after `POLLOUT`.
    Plain,
}

impl Sink {
    fn of_stderr() -> Sink {
        use std::io::IsTerminal as _;
        use std::os::fd::AsFd as _;
        use std::os::unix::fs::MetadataExt as _;
        use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
        let stderr = std::io::stderr();
        let meta = (stderr.as_fd().try_clone_to_owned())
            .map(std::fs::File::from)
            .and_then(|f| f.metadata());
        let Ok(meta) = meta else {
            return Sink::Plain;
        };
        if stderr.is_terminal() {
            let flags = nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOCTTY;
            let own = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(flags.bits())
                .open("/proc/self/fd/2");
            // the same terminal (opening a pty master's path makes a new pty)
            let same = |f: &std::fs::File| f.metadata().is_ok_and(|m| m.rdev() == meta.rdev());
            return match own {
                Ok(own) if same(&own) => Sink::Terminal(own),
                _ => Sink::Plain,
            };
        }
        match meta.file_type() {
            t if t.is_fifo() || t.is_socket() => Sink::NoWait,
            _ => Sink::Plain,
        }
    }
}

impl Outbox {
    /// The outbox of go-jail's stderr. Made before the supervisor confines
    /// itself: its own descriptor of a terminal ([`Outbox::fd`]) must be
    /// kept open through the confinement.
    pub fn for_stderr() -> Outbox {
        Outbox {
            queue: std::collections::VecDeque::new(),
            dropped: 0,
            sink: Sink::of_stderr(),
        }
    }

    /// The descriptor the outbox owns (its own of a terminal), if any.
    pub fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd as _;
        match &self.sink {
            Sink::Terminal(own) => Some(own.as_fd()),
            _ => None,
        }
    }
    /// The most lines kept waiting.
    pub const MAX_QUEUED: usize = 4096;
    /// The longest line written (one `write` to a pipe with room for a
    /// page never blocks); longer ones are cut.
    const MAX_LINE: usize = 4000;

    /// Queues `go-jail: MESSAGE` and an end of line.
    pub fn push(&mut self, message: &str) {
        if self.queue.len() >= Self::MAX_QUEUED {
            self.dropped += 1;
            return;
        }
        let mut line = format!("go-jail: {message}").into_bytes();
        line.truncate(Self::MAX_LINE);
        line.push(b'\n');
        self.queue.push_back(line);
    }

    /// Whether a line waits.
    pub fn waiting(&self) -> bool {
        !self.queue.is_empty() || self.dropped > 0
    }

    /// Writes the next line (after `poll` said stderr is writable); a
    /// stderr that fails (closed) loses the line.
    pub fn write_one(&mut self) {
        use std::io::{ErrorKind, Write as _};
        if self.queue.is_empty() && self.dropped > 0 {
            let message = format!(
                "{} report lines dropped: stderr was not read",
                std::mem::take(&mut self.dropped)
            );
            self.push(&message);
        }
        let Some(mut line) = self.queue.pop_front() else {
            return;
        };
        let written = match &mut self.sink {
            Sink::NoWait => {
                use std::os::fd::AsFd as _;
                match runner::supervisor::write_nowait(std::io::stderr().as_fd(), &line) {
                    Ok(n) => Some(n),
                    // filled since the poll: the line waits for the next
                    Err(runner::Errno::EAGAIN | runner::Errno::EINTR) => Some(0),
                    Err(runner::Errno::EOPNOTSUPP) => {
                        self.sink = Sink::Plain;
                        Some(0)
                    }
                    Err(_) => None,
                }
            }
            Sink::Terminal(own) => match own.write(&line) {
                Ok(n) => Some(n),
                // stopped since the poll: the line waits for the next
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                    Some(0)
                }
                Err(_) => None,
            },
            Sink::Plain => std::io::stderr().write(&line).ok(),
        };
        if let Some(n) = written {
            if n < line.len() {
                line.drain(..n);
                self.queue.push_front(line);
            }
        }
    }

    /// Writes what stderr takes now, without waiting: called before a
    /// call is answered, so a report comes before what the command prints
    /// after the call, as long as stderr is read.
    pub fn write_ready(&mut self) {
        use runner::supervisor::{poll, PollFd, POLLOUT};
        while self.waiting() {
            let mut fds = [PollFd {
                fd: 2,
                events: POLLOUT,
                revents: 0,
            }];
            match poll(&mut fds, Some(std::time::Duration::ZERO)) {
                Ok(1) if fds[0].revents & POLLOUT != 0 => self.write_one(),
                _ => return,
            }
        }
    }

    /// Writes what waits, giving up once stderr took nothing for
    /// `patience_ms` (what is left is lost).
    pub fn flush(&mut self, patience_ms: u64) {
        use runner::supervisor::{poll, PollFd, POLLOUT};
        while self.waiting() {
            let mut fds = [PollFd {
                fd: 2,
                events: POLLOUT,
                revents: 0,
            }];
            match poll(
                &mut fds,
                Some(std::time::Duration::from_millis(patience_ms)),
            ) {
                Ok(1) if fds[0].revents & POLLOUT != 0 => self.write_one(),
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_strings_and_calls() {
        assert_eq!(format_int(3), "3");
        assert_eq!(format_int(0x1000), "0x1000");
        assert_eq!(format_int(-100i64 as u64), "-100");
        assert_eq!(format_int(0xffff_ff9c), "-100");
        assert_eq!(format_int(0x7ffd_1234_5678), "0x7ffd12345678");
        assert_eq!(format_string(b"a\"b\n\xff", true), "\"a\\\"b\\n\\xff\"");
        assert_eq!(format_string(b"abc", false), "\"abc\"…");
        let call = format_call(
            "newfstatat",
            &[3, 0x7ffd_0000, 0x7ffd_1000, 0x1000, 0, 0],
            4,
            &[(1, Vec::new(), true)],
        );
        assert_eq!(call, "newfstatat(3, \"\", 0x7ffd1000, 0x1000)");
        assert_eq!(outcome(Action::Errno(1)), "EPERM");
        assert_eq!(outcome(Action::KillProcess), "killed (KILL_PROCESS)");
        assert_eq!(
            printable_path(std::path::Path::new("/tmp/a\ngo-jail: \u{1b}[31m")),
            "/tmp/a\\ngo-jail: \\u{1b}[31m"
        );
        assert_eq!(syscall_name(Arch::X86_64.audit(), 262), "newfstatat");
        assert_eq!(syscall_name(Arch::X86.audit(), 20), "getpid[i386]");
    }

    #[test]
    fn strings_are_read_from_proc_mem() {
        let text = b"hello, world\0tail".to_vec();
        let mem = open_mem(std::process::id()).expect("own /proc/PID/mem");
        let (bytes, complete) = read_string(&mem, text.as_ptr() as u64).unwrap();
        assert_eq!(bytes, b"hello, world");
        assert!(complete);
        assert!(read_string(&mem, 8).is_none());
    }
}
