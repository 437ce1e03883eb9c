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
//! Paths are resolved from outside, as the kernel will: relative to the
//! caller's working directory or directory fd (`/proc/TID/cwd`,
//! `/proc/TID/fd/N`), `/proc/self` as the caller's, symbolic links followed
//! where the call follows them. This is a prediction, not the decision:
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
use runner::sys::notify as n;

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
                format!("{} {}", crate::landlock::fs_names(*right), path.display())
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
    pub tid: u32,
    /// Its `/proc/TID/mem`, when it could be opened.
    pub mem: Option<&'a File>,
}

/// The rights syscall `name` (of any arch) called with `args` needs;
/// empty for a call Landlock does not govern or whose objects cannot be
/// read (a bad pointer, a pathname longer than `PATH_MAX`, a name that
/// does not exist, which the call itself will fail on).
pub fn accesses(name: &str, args: &[u64; 6], caller: &Caller<'_>) -> Vec<Access> {
    let cwd = AT_FDCWD as u64;
    let mut out = Vec::new();
    let mut need = |right: u64, path: Option<PathBuf>| {
        if let Some(path) = path {
            for bit in bits(right) {
                out.push(Access::File {
                    right: bit,
                    path: path.clone(),
                });
            }
        }
    };
    match name {
        "open" => open(caller, cwd, args[0], args[1], &mut need),
        "openat" => open(caller, args[0], args[1], args[2], &mut need),
        "openat2" => {
            let flags = caller.read_u64(args[2]).unwrap_or(0);
            open(caller, args[0], args[1], flags, &mut need);
        }
        "creat" => open(
            caller,
            cwd,
            args[0],
            O_CREAT | O_WRONLY | O_TRUNC,
            &mut need,
        ),
        "execve" => execute(caller.lookup(cwd, args[0], true), &mut need),
        "execveat" => {
            let path = if args[4] & AT_EMPTY_PATH != 0 && caller.is_empty_string(args[1]) {
                caller.fd_path(args[0])
            } else {
                caller.lookup(args[0], args[1], args[4] & AT_SYMLINK_NOFOLLOW == 0)
            };
            execute(path, &mut need);
        }
        "mkdir" => need(fs::MAKE_DIR, parent(caller.lookup(cwd, args[0], false))),
        "mkdirat" => need(fs::MAKE_DIR, parent(caller.lookup(args[0], args[1], false))),
        "mknod" => need(
            make_right(args[1]),
            parent(caller.lookup(cwd, args[0], false)),
        ),
        "mknodat" => need(
            make_right(args[2]),
            parent(caller.lookup(args[0], args[1], false)),
        ),
        "symlink" => need(fs::MAKE_SYM, parent(caller.lookup(cwd, args[1], false))),
        "symlinkat" => need(fs::MAKE_SYM, parent(caller.lookup(args[1], args[2], false))),
        "link" => link(caller, [cwd, args[0], cwd, args[1]], 0, &mut need),
        "linkat" => link(
            caller,
            [args[0], args[1], args[2], args[3]],
            args[4],
            &mut need,
        ),
        "rename" => rename(caller, [cwd, args[0], cwd, args[1]], 0, &mut need),
        "renameat" => rename(caller, [args[0], args[1], args[2], args[3]], 0, &mut need),
        "renameat2" => rename(
            caller,
            [args[0], args[1], args[2], args[3]],
            args[4],
            &mut need,
        ),
        "unlink" => need(fs::REMOVE_FILE, parent(caller.lookup(cwd, args[0], false))),
        "rmdir" => need(fs::REMOVE_DIR, parent(caller.lookup(cwd, args[0], false))),
        "unlinkat" => {
            let right = if args[2] & AT_REMOVEDIR != 0 {
                fs::REMOVE_DIR
            } else {
                fs::REMOVE_FILE
            };
            need(right, parent(caller.lookup(args[0], args[1], false)));
        }
        "truncate" | "truncate64" => need(
            fs::TRUNCATE,
            caller.lookup(cwd, args[0], true).filter(|p| p.exists()),
        ),
        "ftruncate" | "ftruncate64" => need(fs::TRUNCATE, caller.fd_path(args[0])),
        "bind" | "connect" => return socket_access(name == "bind", args, caller),
        _ => {}
    }
    out
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
    need: &mut impl FnMut(u64, Option<PathBuf>),
) {
    if flags & O_PATH != 0 || flags & O_TMPFILE == O_TMPFILE {
        return;
    }
    let Some(path) = caller.lookup(dirfd, path, flags & O_NOFOLLOW == 0) else {
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
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => {
            if flags & O_ACCMODE == 0 {
                need(fs::READ_DIR, Some(path));
            }
        }
        Ok(_) => need(rights, Some(path)),
        // the new file's read/write rights are checked beneath the same
        // directory: `make_reg` there is what a grant must give
        Err(_) if flags & O_CREAT != 0 => need(fs::MAKE_REG, parent(Some(path))),
        Err(_) => {}
    }
}

/// `execute` and `read_file` on the program and on the interpreters the
/// kernel opens for it (binfmt_script's `#!`, binfmt_elf's `PT_INTERP`).
fn execute(path: Option<PathBuf>, need: &mut impl FnMut(u64, Option<PathBuf>)) {
    // execvp tries each PATH directory: a name that does not exist there
    // fails with ENOENT before Landlock is asked
    let Some(path) = path.filter(|p| p.is_file()) else {
        return;
    };
    let interpreter = interpreter_of(&path);
    need(fs::EXECUTE | fs::READ_FILE, Some(path));
    if let Some(interp) = interpreter {
        let interp = std::fs::canonicalize(&interp).unwrap_or(interp);
        let elf = interpreter_of(&interp).filter(|_| !is_script(&interp));
        need(fs::EXECUTE | fs::READ_FILE, Some(interp));
        if let Some(loader) = elf {
            need(
                fs::EXECUTE | fs::READ_FILE,
                std::fs::canonicalize(loader).ok(),
            );
        }
    }
}

fn is_script(path: &Path) -> bool {
    head(path, 2).is_some_and(|h| h == b"#!")
}

/// The first `len` bytes of `path` (fewer when it is shorter).
fn head(path: &Path, len: usize) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let mut buf = vec![0u8; len];
    let n = file.read_at(&mut buf, 0).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// The interpreter the kernel runs for `path`: a script's `#!` program, or
/// an ELF file's `PT_INTERP` (the dynamic loader).
fn interpreter_of(path: &Path) -> Option<PathBuf> {
    let start = head(path, 64)?;
    if start.starts_with(b"#!") {
        return crate::landlock::interpreter(path);
    }
    elf_interpreter(path, &start)
}

/// The `PT_INTERP` path of an ELF file (elf(5)), little-endian 32 or 64-bit.
fn elf_interpreter(path: &Path, header: &[u8]) -> Option<PathBuf> {
    const PT_INTERP: u32 = 3;
    if header.len() < 64 || &header[..4] != b"\x7fELF" || header[5] != 1 {
        return None;
    }
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as u64;
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let wide = header[4] == 2;
    let (phoff, phentsize, phnum) = if wide {
        (
            u64_at(header, 0x20),
            u16_at(header, 0x36),
            u16_at(header, 0x38),
        )
    } else {
        (
            u32_at(header, 0x1c) as u64,
            u16_at(header, 0x2a),
            u16_at(header, 0x2c),
        )
    };
    if phentsize < 0x20 || phnum > 256 {
        return None;
    }
    let file = File::open(path).ok()?;
    let mut table = vec![0u8; (phentsize * phnum) as usize];
    file.read_exact_at(&mut table, phoff).ok()?;
    for entry in table.chunks_exact(phentsize as usize) {
        if u32_at(entry, 0) != PT_INTERP {
            continue;
        }
        let (offset, size) = if wide {
            (u64_at(entry, 8), u64_at(entry, 0x20))
        } else {
            (u32_at(entry, 4) as u64, u32_at(entry, 0x10) as u64)
        };
        if size == 0 || size > PATH_MAX as u64 {
            return None;
        }
        let mut name = vec![0u8; size as usize];
        file.read_exact_at(&mut name, offset).ok()?;
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        return Some(PathBuf::from(OsStr::from_bytes(&name[..end])));
    }
    None
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

/// The `(make, remove)` rights for an existing name (not followed).
fn kind_rights(path: &Path) -> Option<(u64, u64)> {
    let kind = std::fs::symlink_metadata(path).ok()?.file_type();
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
fn link(caller: &Caller<'_>, a: [u64; 4], flags: u64, need: &mut impl FnMut(u64, Option<PathBuf>)) {
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
    need(make, parent(Some(new)));
}

/// `refer` on both directories when a name moves or links across them.
fn refer_across(old: &Path, new: &Path, need: &mut impl FnMut(u64, Option<PathBuf>)) {
    if old.parent() != new.parent() {
        need(fs::REFER, old.parent().map(Path::to_path_buf));
        need(fs::REFER, new.parent().map(Path::to_path_buf));
    }
}

/// `rename`/`renameat`/`renameat2`: `[olddirfd, oldpath, newdirfd, newpath]`.
fn rename(
    caller: &Caller<'_>,
    a: [u64; 4],
    flags: u64,
    need: &mut impl FnMut(u64, Option<PathBuf>),
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
    need(remove, parent(Some(old.clone())));
    need(make, parent(Some(new.clone())));
    if let Some((new_make, new_remove)) = kind_rights(&new) {
        need(new_remove, parent(Some(new.clone())));
        if flags & RENAME_EXCHANGE != 0 {
            need(new_make, parent(Some(old)));
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
            let path = caller.resolve_from(AT_FDCWD as u64, &path, false);
            match parent(path) {
                Some(dir) => vec![Access::File {
                    right: fs::MAKE_SOCK,
                    path: dir,
                }],
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The directory holding `path`.
fn parent(path: Option<PathBuf>) -> Option<PathBuf> {
    path.and_then(|p| p.parent().map(Path::to_path_buf))
}

impl Caller<'_> {
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

    /// The pathname at `addr` resolved from `dirfd` (see the module docs).
    fn lookup(&self, dirfd: u64, addr: u64, follow: bool) -> Option<PathBuf> {
        let path = self.string(addr)?;
        self.resolve_from(dirfd, &path, follow)
    }

    fn resolve_from(&self, dirfd: u64, path: &Path, follow: bool) -> Option<PathBuf> {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir(dirfd)?.join(path)
        };
        resolve(&self.own_proc(joined), follow)
    }

    /// The directory `dirfd` names for the caller.
    fn dir(&self, dirfd: u64) -> Option<PathBuf> {
        let link = if dirfd as i32 == AT_FDCWD {
            format!("/proc/{}/cwd", self.tid)
        } else {
            format!("/proc/{}/fd/{}", self.tid, dirfd as i32)
        };
        std::fs::read_link(link).ok().filter(|p| p.is_absolute())
    }

    /// The file the caller's descriptor `fd` is open on.
    fn fd_path(&self, fd: u64) -> Option<PathBuf> {
        let path = std::fs::read_link(format!("/proc/{}/fd/{}", self.tid, fd as i32)).ok()?;
        path.is_absolute().then_some(path)
    }

    /// `/proc/self` and `/proc/thread-self` as the caller sees them.
    fn own_proc(&self, path: PathBuf) -> PathBuf {
        if let Ok(rest) = path.strip_prefix("/proc/self") {
            if let Some(tgid) = crate::supervise::thread_group(self.tid as i32) {
                return Path::new(&format!("/proc/{tgid}")).join(rest);
            }
        }
        if let Ok(rest) = path.strip_prefix("/proc/thread-self") {
            if let Some(tgid) = crate::supervise::thread_group(self.tid as i32) {
                return Path::new(&format!("/proc/{tgid}/task/{}", self.tid)).join(rest);
            }
        }
        path
    }

    /// Whether the caller's `fd` is a TCP socket (the only kind Landlock's
    /// network rules govern). When it cannot be told (the supervisor may
    /// not take a copy), assumed so.
    fn is_tcp(&self, fd: u64) -> bool {
        let Some(tgid) = crate::supervise::thread_group(self.tid as i32) else {
            return true;
        };
        let Ok(pidfd) = n::pidfd_open(tgid) else {
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

/// `path` with every symbolic link resolved: the last component too when
/// `follow` and it exists; otherwise the directory resolved and the name
/// kept (a name about to be created, or one not followed).
fn resolve(path: &Path, follow: bool) -> Option<PathBuf> {
    if follow {
        if let Ok(real) = std::fs::canonicalize(path) {
            return Some(real);
        }
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => Some(std::fs::canonicalize(dir).ok()?.join(name)),
        // "/", or a path ending in ".."
        _ => std::fs::canonicalize(path).ok(),
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
        let caller = Caller {
            tid: runner::sys::gettid() as u32,
            mem: Some(&mem),
        };
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
