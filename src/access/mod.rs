//! What a syscall asks of Landlock: the rights it needs and on what (a
//! path, or a TCP port), read from a notification the supervisor holds
//! (`--report-denied`/`--complain` with Landlock rules, `learn`).
//!
//! The rights mirror the hooks of `security/landlock/fs.c` and `net.c`
//! (Documentation/userspace-api/landlock.rst, "Filesystem flags"):
//! opening a file needs `read_file`/`write_file` on it (`truncate` with
//! `O_TRUNC`), listing a directory `read_dir`; creating or removing a name
//! needs `make_*`/`remove_*` on the directory that holds it; a link or
//! rename across directories also `refer` on both; `execve` needs
//! `execute` (and `read_file`) on the program, its `#!` interpreter and its
//! ELF interpreter; `bind`/`connect` of a TCP socket `bind_tcp`/
//! `connect_tcp` on the port.
//!
//! Paths are resolved from outside as the caller's own lookup would, and
//! no further ([`walk`]): from its working directory or directory fd
//! (`/proc/TID/cwd`, `/proc/TID/fd/N`), `/proc/self` as the caller's,
//! symbolic links followed where the call follows them, each step checked
//! against the caller's modes, and every later question (kind, modes, a
//! script's first line) asked of the walk's handles, never of a name. A
//! right the caller's modes refuse is left out: the kernel refuses the call
//! before Landlock is asked. This is a prediction, not the decision:
//! the caller's memory or the file system may change between the read and
//! the kernel's own lookup (a race that can change the report, never what
//! the kernel enforces).

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::{Path, PathBuf};

use runner::landlock::{fs, net};

mod interp;
mod walk;
use runner::supervisor as n;
use walk::{Cred, Found, Target, Walk};

/// `AT_FDCWD` (include/uapi/linux/fcntl.h).
const AT_FDCWD: i32 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_SYMLINK_FOLLOW: u64 = 0x400;
const AT_EMPTY_PATH: u64 = 0x1000;
const O_ACCMODE: u64 = 0o3;
const O_WRONLY: u64 = 0o1;
const O_RDWR: u64 = 0o2;
const O_CREAT: u64 = 0o100;
const O_TRUNC: u64 = 0o1000;
const O_NOFOLLOW: u64 = 0o400000;
const O_PATH: u64 = 0o10000000;
const O_TMPFILE: u64 = 0o20200000;
const RENAME_EXCHANGE: u64 = 2;
const S_IFMT: u64 = 0o170000;
const S_IFCHR: u64 = 0o020000;
const S_IFBLK: u64 = 0o060000;
const S_IFIFO: u64 = 0o010000;
const S_IFSOCK: u64 = 0o140000;
const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const SOCK_STREAM: i32 = 1;
const IPPROTO_TCP: i32 = 6;
/// `PATH_MAX`: the longest pathname read.
const PATH_MAX: usize = 4096;

/// One right a call needs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// A `LANDLOCK_ACCESS_FS_*` right on a path: the file itself, or the
    /// directory a name is created in or removed from.
    File { right: u64, path: PathBuf },
    /// A `LANDLOCK_ACCESS_NET_*` right on a TCP port.
    Port { right: u64, port: u16 },
}

impl Access {
    /// `write_file /etc/passwd`, `connect_tcp port 443`.
    pub fn describe(&self) -> String {
        match self {
            Access::File { right, path } => {
                let path = crate::report::printable_path(path);
                format!("{} {path}", crate::landlock::fs_names(*right))
            }
            Access::Port { right, port } => {
                format!("{} port {port}", crate::landlock::net_names(*right))
            }
        }
    }
}

/// The thread that made the call, as the supervisor sees it.
pub struct Caller<'a> {
    /// The thread id of the notification.
    tid: u32,
    /// Its `/proc/TID/mem`, when it could be opened.
    mem: Option<&'a File>,
    /// Its credentials, read once when first needed.
    cred: std::cell::OnceCell<Option<Cred>>,
    /// What its walks need to know of its process, read once when first needed.
    walk: std::cell::OnceCell<Option<Walk>>,
}

/// The rights syscall `name` (of any arch) called with `args` needs;
/// empty for a call Landlock does not govern or whose objects cannot be
/// read (a bad pointer, a pathname longer than `PATH_MAX`, a name that
/// does not exist, which the call itself will fail on).
pub fn accesses(name: &str, args: &[u64; 6], caller: &Caller<'_>) -> Vec<Access> {
    if name == "bind" || name == "connect" {
        return socket_access(name == "bind", args, caller);
    }
    let mut out = Vec::new();
    let cred = caller.cred();
    // a right the caller's modes refuse fails the call before Landlock is asked
    let mut need = |right: u64, target: Option<Target>| {
        let (Some(target), Some(cred)) = (target, cred) else {
            return;
        };
        for bit in bits(right).filter(|&bit| cred.permits(bit, &target.meta)) {
            out.push(Access::File {
                right: bit,
                path: target.path.clone(),
            });
        }
    };
    if !open_or_execute(name, args, caller, &mut need) {
        change_names(name, args, caller, &mut need);
    }
    out
}

/// The `open*`, `creat`, `execve*` and `*truncate*` calls; `false` for another.
fn open_or_execute(
    name: &str,
    args: &[u64; 6],
    caller: &Caller<'_>,
    need: &mut impl FnMut(u64, Option<Target>),
) -> bool {
    let cwd = AT_FDCWD as u64;
    match name {
        "open" => open(caller, cwd, args[0], args[1], need),
        "openat" => open(caller, args[0], args[1], args[2], need),
        "openat2" => {
            let flags = caller.read_u64(args[2]).unwrap_or(0);
            open(caller, args[0], args[1], flags, need);
        }
        "creat" => open(caller, cwd, args[0], O_CREAT | O_WRONLY | O_TRUNC, need),
        "execve" => execute(caller, caller.lookup(cwd, args[0], true), need),
        "execveat" => {
            let found = if args[4] & AT_EMPTY_PATH != 0 && caller.is_empty_string(args[1]) {
                caller.fd_object(args[0])
            } else {
                caller.lookup(args[0], args[1], args[4] & AT_SYMLINK_NOFOLLOW == 0)
            };
            execute(caller, found, need);
        }
        "truncate" | "truncate64" => need(
            fs::TRUNCATE,
            caller.lookup(cwd, args[0], true).and_then(|f| f.target()),
        ),
        "ftruncate" | "ftruncate64" => need(
            fs::TRUNCATE,
            caller.fd_object(args[0]).and_then(|f| f.target()),
        ),
        _ => return false,
    }
    true
}

/// The calls that create, remove, link or rename a name.
fn change_names(
    name: &str,
    args: &[u64; 6],
    caller: &Caller<'_>,
    need: &mut impl FnMut(u64, Option<Target>),
) {
    let cwd = AT_FDCWD as u64;
    let dir_of = |dirfd: u64, path: u64| {
        caller
            .lookup(dirfd, path, false)
            .and_then(|f| f.holder_target())
    };
    match name {
        "mkdir" => need(fs::MAKE_DIR, dir_of(cwd, args[0])),
        "mkdirat" => need(fs::MAKE_DIR, dir_of(args[0], args[1])),
        "mknod" => need(make_right(args[1]), dir_of(cwd, args[0])),
        "mknodat" => need(make_right(args[2]), dir_of(args[0], args[1])),
        "symlink" => need(fs::MAKE_SYM, dir_of(cwd, args[1])),
        "symlinkat" => need(fs::MAKE_SYM, dir_of(args[1], args[2])),
        "link" => link(caller, [cwd, args[0], cwd, args[1]], 0, need),
        "linkat" => link(caller, [args[0], args[1], args[2], args[3]], args[4], need),
        "rename" => rename(caller, [cwd, args[0], cwd, args[1]], 0, need),
        "renameat" => rename(caller, [args[0], args[1], args[2], args[3]], 0, need),
        "renameat2" => rename(caller, [args[0], args[1], args[2], args[3]], args[4], need),
        "unlink" => need(fs::REMOVE_FILE, dir_of(cwd, args[0])),
        "rmdir" => need(fs::REMOVE_DIR, dir_of(cwd, args[0])),
        "unlinkat" if args[2] & AT_REMOVEDIR != 0 => need(fs::REMOVE_DIR, dir_of(args[0], args[1])),
        "unlinkat" => need(fs::REMOVE_FILE, dir_of(args[0], args[1])),
        _ => {}
    }
}

/// Each set bit of `mask` alone.
fn bits(mask: u64) -> impl Iterator<Item = u64> {
    (0..64).map(|i| 1u64 << i).filter(move |b| mask & b != 0)
}

fn open(
    caller: &Caller<'_>,
    dirfd: u64,
    path: u64,
    flags: u64,
    need: &mut impl FnMut(u64, Option<Target>),
) {
    if flags & O_PATH != 0 || flags & O_TMPFILE == O_TMPFILE {
        return;
    }
    let Some(found) = caller.lookup(dirfd, path, flags & O_NOFOLLOW == 0) else {
        return;
    };
    let mut rights = match flags & O_ACCMODE {
        O_WRONLY => fs::WRITE_FILE,
        O_RDWR => fs::READ_FILE | fs::WRITE_FILE,
        _ => fs::READ_FILE,
    };
    if flags & O_TRUNC != 0 {
        rights |= fs::TRUNCATE;
    }
    match found.meta() {
        // the walk followed every link it should; a link left is the last
        // component under O_NOFOLLOW, which fails with ELOOP
        Some(meta) if meta.file_type().is_symlink() => {}
        Some(meta) if meta.is_dir() && flags & O_ACCMODE == 0 => need(fs::READ_DIR, found.target()),
        Some(meta) if meta.is_dir() => {}
        Some(_) => need(rights, found.target()),
        // the new file's read/write rights are checked beneath the same
        // directory: `make_reg` there is what a grant must give
        None if flags & O_CREAT != 0 => need(fs::MAKE_REG, found.holder_target()),
        None => {}
    }
}

/// `execute` and `read_file` on the program and on the interpreters the
/// kernel opens for it (binfmt_script's `#!`, binfmt_elf's `PT_INTERP`),
/// read only where the caller may read (see [`Cred`]).
fn execute(caller: &Caller<'_>, found: Option<Found>, need: &mut impl FnMut(u64, Option<Target>)) {
    let Some(cred) = caller.cred() else {
        return;
    };
    let mut program = found;
    // the program, then up to two interpreters: `#!` and the ELF loader
    for _ in 0..3 {
        // execvp tries each PATH directory: a name that does not exist
        // there fails with ENOENT before Landlock is asked
        let Some(found) = program.filter(|f| f.meta().is_some_and(|m| m.is_file())) else {
            return;
        };
        need(fs::EXECUTE | fs::READ_FILE, found.target());
        let Some(next) = found
            .object
            .as_ref()
            .and_then(|o| interp::interpreter_of(o, cred))
        else {
            return;
        };
        program = caller.resolve_from(AT_FDCWD as u64, &next, true);
    }
}

/// The `make_*` right for a `mknod` mode.
fn make_right(mode: u64) -> u64 {
    match mode & S_IFMT {
        S_IFCHR => fs::MAKE_CHAR,
        S_IFBLK => fs::MAKE_BLOCK,
        S_IFIFO => fs::MAKE_FIFO,
        S_IFSOCK => fs::MAKE_SOCK,
        _ => fs::MAKE_REG,
    }
}

/// The `(make, remove)` rights for an existing name (not followed: the
/// walk's handle on the name itself).
fn kind_rights(found: &Found) -> Option<(u64, u64)> {
    let kind = found.meta()?.file_type();
    let make = if kind.is_dir() {
        fs::MAKE_DIR
    } else if kind.is_symlink() {
        fs::MAKE_SYM
    } else if kind.is_fifo() {
        fs::MAKE_FIFO
    } else if kind.is_socket() {
        fs::MAKE_SOCK
    } else if kind.is_char_device() {
        fs::MAKE_CHAR
    } else if kind.is_block_device() {
        fs::MAKE_BLOCK
    } else {
        fs::MAKE_REG
    };
    let remove = if kind.is_dir() {
        fs::REMOVE_DIR
    } else {
        fs::REMOVE_FILE
    };
    Some((make, remove))
}

/// `link`/`linkat`: `[olddirfd, oldpath, newdirfd, newpath]`.
fn link(caller: &Caller<'_>, a: [u64; 4], flags: u64, need: &mut impl FnMut(u64, Option<Target>)) {
    let (Some(old), Some(new)) = (
        caller.lookup(a[0], a[1], flags & AT_SYMLINK_FOLLOW != 0),
        caller.lookup(a[2], a[3], false),
    ) else {
        return;
    };
    let Some((make, _)) = kind_rights(&old) else {
        return;
    };
    refer_across(&old, &new, need);
    need(make, new.holder_target());
}

/// `refer` on both directories when a name moves or links across them.
fn refer_across(old: &Found, new: &Found, need: &mut impl FnMut(u64, Option<Target>)) {
    if old.path.parent() != new.path.parent() {
        need(fs::REFER, old.holder_target());
        need(fs::REFER, new.holder_target());
    }
}

/// `rename`/`renameat`/`renameat2`: `[olddirfd, oldpath, newdirfd, newpath]`.
fn rename(
    caller: &Caller<'_>,
    a: [u64; 4],
    flags: u64,
    need: &mut impl FnMut(u64, Option<Target>),
) {
    let (Some(old), Some(new)) = (
        caller.lookup(a[0], a[1], false),
        caller.lookup(a[2], a[3], false),
    ) else {
        return;
    };
    let Some((make, remove)) = kind_rights(&old) else {
        return;
    };
    refer_across(&old, &new, need);
    need(remove, old.holder_target());
    need(make, new.holder_target());
    if let Some((new_make, new_remove)) = kind_rights(&new) {
        need(new_remove, new.holder_target());
        if flags & RENAME_EXCHANGE != 0 {
            need(new_make, old.holder_target());
        }
    }
}

/// `bind`/`connect(fd, addr, len)`: a TCP port, or (bind) the directory a
/// unix socket's name is created in.
fn socket_access(bind: bool, args: &[u64; 6], caller: &Caller<'_>) -> Vec<Access> {
    let len = (args[2] as usize).min(110);
    let Some(addr) = caller.read_bytes(args[1], len) else {
        return Vec::new();
    };
    if addr.len() < 4 {
        return Vec::new();
    }
    match u16::from_le_bytes([addr[0], addr[1]]) {
        AF_INET | AF_INET6 if caller.is_tcp(args[0]) => {
            let port = u16::from_be_bytes([addr[2], addr[3]]);
            let right = if bind {
                net::BIND_TCP
            } else {
                net::CONNECT_TCP
            };
            vec![Access::Port { right, port }]
        }
        AF_UNIX if bind && addr[2] != 0 => {
            let name = &addr[2..];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            let path = PathBuf::from(OsStr::from_bytes(&name[..end]));
            let dir = (caller.resolve_from(AT_FDCWD as u64, &path, false))
                .and_then(|f| f.holder_target());
            match (dir, caller.cred()) {
                (Some(dir), Some(cred)) if cred.permits(fs::MAKE_SOCK, &dir.meta) => {
                    vec![Access::File {
                        right: fs::MAKE_SOCK,
                        path: dir.path,
                    }]
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

impl<'a> Caller<'a> {
    /// Thread `tid`, whose memory is `mem` (`/proc/TID/mem`).
    pub fn new(tid: u32, mem: Option<&'a File>) -> Caller<'a> {
        Caller {
            tid,
            mem,
            cred: std::cell::OnceCell::new(),
            walk: std::cell::OnceCell::new(),
        }
    }

    fn cred(&self) -> Option<&Cred> {
        self.cred.get_or_init(|| Cred::of(self.tid)).as_ref()
    }

    fn walk(&self) -> Option<&Walk> {
        self.walk
            .get_or_init(|| {
                let tgid = crate::supervise::thread_group(self.tid as i32)?;
                Some(Walk::new(tgid, self.tid))
            })
            .as_ref()
    }

    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let n = self.mem?.read_at(&mut buf, addr).ok()?;
        buf.truncate(n);
        Some(buf)
    }

    fn read_u64(&self, addr: u64) -> Option<u64> {
        let b = self.read_bytes(addr, 8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }

    fn is_empty_string(&self, addr: u64) -> bool {
        self.read_bytes(addr, 1)
            .is_some_and(|b| b.first() == Some(&0))
    }

    /// The pathname at `addr`, complete (NUL within `PATH_MAX` bytes).
    fn string(&self, addr: u64) -> Option<PathBuf> {
        let (bytes, complete) = crate::report::read_string_upto(self.mem?, addr, PATH_MAX)?;
        (complete && !bytes.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(&bytes)))
    }

    /// The pathname at `addr` resolved from `dirfd` (see [`walk`]).
    fn lookup(&self, dirfd: u64, addr: u64, follow: bool) -> Option<Found> {
        let path = self.string(addr)?;
        self.resolve_from(dirfd, &path, follow)
    }

    fn resolve_from(&self, dirfd: u64, path: &Path, follow: bool) -> Option<Found> {
        let cred = self.cred()?;
        let walker = self.walk()?;
        let (start, name) = if path.is_absolute() {
            (walk::open_dir(Path::new("/"))?, PathBuf::from("/"))
        } else {
            // the walk starts in the directory itself (the caller's cwd or
            // dirfd, opened through /proc), whatever its ancestors allow
            let link = self.fd_link(dirfd);
            let name = std::fs::read_link(&link).ok().filter(|p| p.is_absolute())?;
            (walk::open_dir(Path::new(&link))?, name)
        };
        walker.resolve(cred, start, name, path, follow)
    }

    /// `/proc/TID/cwd` for `AT_FDCWD`, else `/proc/TID/fd/N`.
    fn fd_link(&self, dirfd: u64) -> String {
        match dirfd as i32 {
            AT_FDCWD => format!("/proc/{}/cwd", self.tid),
            fd => format!("/proc/{}/fd/{fd}", self.tid),
        }
    }

    /// The file the caller's descriptor `fd` is open on (that very inode).
    fn fd_object(&self, fd: u64) -> Option<Found> {
        let link = format!("/proc/{}/fd/{}", self.tid, fd as i32);
        let path = std::fs::read_link(&link).ok().filter(|p| p.is_absolute())?;
        Some(Found {
            path,
            object: Some(walk::open_dir(Path::new(&link))?),
            holder: None,
        })
    }

    /// Whether the caller's `fd` is a TCP socket (the only kind Landlock's
    /// network rules govern). When it cannot be told (the supervisor may
    /// not take a copy), assumed so.
    fn is_tcp(&self, fd: u64) -> bool {
        let Some(walk) = self.walk() else {
            return true;
        };
        let Ok(pidfd) = n::pidfd_open(walk.tgid) else {
            return true;
        };
        let Ok(sock) = n::pidfd_getfd(pidfd.as_fd(), fd as i32) else {
            return true;
        };
        let kind = n::getsockopt_int(sock.as_fd(), n::SOL_SOCKET, n::SO_TYPE);
        let protocol = n::getsockopt_int(sock.as_fd(), n::SOL_SOCKET, n::SO_PROTOCOL);
        match (kind, protocol) {
            (Ok(kind), Ok(protocol)) => kind == SOCK_STREAM && protocol == IPPROTO_TCP,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> File {
        crate::report::open_mem(std::process::id()).unwrap()
    }

    fn call(name: &str, args: [u64; 6]) -> Vec<Access> {
        let mem = me();
        let caller = Caller::new(runner::process::gettid() as u32, Some(&mem));
        accesses(name, &args, &caller)
    }

    fn file(right: u64, path: &str) -> Access {
        Access::File {
            right,
            path: PathBuf::from(path),
        }
    }

    #[test]
    fn opens_by_mode_and_kind() {
        let passwd = c"/etc/passwd";
        let p = passwd.as_ptr() as u64;
        assert_eq!(
            call("openat", [AT_FDCWD as u64, p, 0, 0, 0, 0]),
            [file(fs::READ_FILE, "/etc/passwd")]
        );
        assert_eq!(
            call("open", [p, O_WRONLY | O_TRUNC, 0, 0, 0, 0]),
            [
                file(fs::WRITE_FILE, "/etc/passwd"),
                file(fs::TRUNCATE, "/etc/passwd")
            ]
        );
        let etc = c"/etc/";
        assert_eq!(
            call("open", [etc.as_ptr() as u64, 0, 0, 0, 0, 0]),
            [file(fs::READ_DIR, "/etc")]
        );
        assert!(call("open", [p, O_PATH, 0, 0, 0, 0]).is_empty());
        let new = c"/etc/go-jail-no-such-file";
        assert_eq!(
            call(
                "open",
                [new.as_ptr() as u64, O_CREAT | O_WRONLY, 0, 0, 0, 0]
            ),
            [file(fs::MAKE_REG, "/etc")]
        );
        assert!(call("open", [8, 0, 0, 0, 0, 0]).is_empty(), "bad pointer");
    }

    #[test]
    fn names_are_made_and_removed_in_their_directory() {
        let d = c"/tmp/go-jail-x/y";
        assert_eq!(
            call("mkdir", [d.as_ptr() as u64, 0o755, 0, 0, 0, 0]),
            Vec::<Access>::new(),
            "a parent that does not exist resolves to nothing"
        );
        let t = c"/tmp/x";
        assert_eq!(
            call("unlinkat", [AT_FDCWD as u64, t.as_ptr() as u64, 0, 0, 0, 0]),
            [file(fs::REMOVE_FILE, "/tmp")]
        );
        assert_eq!(
            call(
                "unlinkat",
                [AT_FDCWD as u64, t.as_ptr() as u64, AT_REMOVEDIR, 0, 0, 0]
            ),
            [file(fs::REMOVE_DIR, "/tmp")]
        );
        assert_eq!(
            call("mknod", [t.as_ptr() as u64, S_IFIFO | 0o600, 0, 0, 0, 0]),
            [file(fs::MAKE_FIFO, "/tmp")]
        );
    }

    #[test]
    fn execve_needs_the_program_and_its_loader() {
        let sh = c"/bin/sh";
        let got = call("execve", [sh.as_ptr() as u64, 0, 0, 0, 0, 0]);
        let real = std::fs::canonicalize("/bin/sh").unwrap();
        assert!(got.contains(&Access::File {
            right: fs::EXECUTE,
            path: real
        }));
        assert!(
            got.iter().any(|a| matches!(a, Access::File { right, path }
                if *right == fs::EXECUTE && path.to_string_lossy().contains("ld-linux"))),
            "{got:?}"
        );
    }

    #[test]
    fn tcp_ports_and_unix_names() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&listener) as u64;
        let mut sa = [0u8; 16];
        sa[..2].copy_from_slice(&AF_INET.to_le_bytes());
        sa[2..4].copy_from_slice(&443u16.to_be_bytes());
        let ptr = sa.as_ptr() as u64;
        assert_eq!(
            call("connect", [fd, ptr, 16, 0, 0, 0]),
            [Access::Port {
                right: net::CONNECT_TCP,
                port: 443
            }]
        );
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let ufd = std::os::fd::AsRawFd::as_raw_fd(&udp) as u64;
        assert!(call("connect", [ufd, ptr, 16, 0, 0, 0]).is_empty(), "udp");
        let mut un = [0u8; 20];
        un[..2].copy_from_slice(&AF_UNIX.to_le_bytes());
        un[2..12].copy_from_slice(b"/tmp/sock\0");
        assert_eq!(
            call("bind", [ufd, un.as_ptr() as u64, 12, 0, 0, 0]),
            [file(fs::MAKE_SOCK, "/tmp")]
        );
        assert_eq!(
            Access::Port {
                right: net::CONNECT_TCP,
                port: 443
            }
            .describe(),
            "connect_tcp port 443"
        );
        assert_eq!(
            file(fs::WRITE_FILE, "/etc/passwd").describe(),
            "write_file /etc/passwd"
        );
    }
}
