//! The supervisor's path walk for a jailed thread: what its own lookup
//! would reach, and nothing more.
//!
//! The supervisor may run as root with `CAP_DAC_READ_SEARCH` and
//! `CAP_SYS_PTRACE`; the caller may not. So the walk holds one
//! `O_PATH | O_NOFOLLOW` handle a step (`runner::supervisor::open_path_at`)
//! and everything after it asks the handles, never a name again (no checked
//! step can be swapped for a link afterwards); it searches a directory only
//! where the caller's mode bits allow ([`Cred`]); it maps `self` and
//! `thread-self` in procfs to the caller, and follows no link in procfs but
//! those of procfs' root and of the caller's own `/proc/PID` directories
//! (the kernel follows another process's `cwd`, `root`, `exe` and `fd/N`
//! only for a tracer); it stops after [`MAX_LINKS`] links or [`MAX_STEPS`]
//! steps. Procfs is told by its device and root inode, not by its name, so
//! a bind mount of it elsewhere is procfs too.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use runner::landlock::fs;
use runner::supervisor as n;

/// The most symbolic links one lookup follows (`MAXSYMLINKS`).
const MAX_LINKS: usize = 40;
/// The most components one lookup walks, links' included: a bound on the
/// supervisor's work for one call (the kernel's own walk is cheaper than
/// this one, which makes several syscalls a step).
const MAX_STEPS: usize = 4096;
/// The inode of procfs' root (`PROC_ROOT_INO`, fs/proc/root.c).
const PROC_ROOT_INO: u64 = 1;

/// What the caller's file-system credentials let it search and read, by
/// mode bits (`/proc/TID/status`: the fs uid and gid, the groups, and
/// `CAP_DAC_OVERRIDE`/`CAP_DAC_READ_SEARCH` in the effective set, counted
/// only in the supervisor's own user namespace: capabilities inside a user
/// namespace the command made override nothing on the files outside). ACLs
/// are not read: a directory only an ACL opens is taken as closed (nothing
/// is reported there).
#[derive(Debug)]
pub(super) struct Cred {
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
    bypass: bool,
}

impl Cred {
    pub(super) fn of(tid: u32) -> Option<Cred> {
        let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.split_whitespace().collect::<Vec<_>>())
        };
        // Uid:/Gid: real, effective, saved, fs
        let uid = field("Uid:")?.get(3)?.parse().ok()?;
        let gid = field("Gid:")?.get(3)?.parse().ok()?;
        let groups = (field("Groups:")?.iter())
            .filter_map(|g| g.parse().ok())
            .collect();
        let cap_eff = u64::from_str_radix(field("CapEff:")?.first()?, 16).ok()?;
        const DAC: u64 = (1 << 1) | (1 << 2); // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        let own_namespace = match (
            std::fs::read_link(format!("/proc/{tid}/ns/user")),
            std::fs::read_link("/proc/self/ns/user"),
        ) {
            (Ok(theirs), Ok(ours)) => theirs == ours,
            _ => false,
        };
        Some(Cred {
            uid,
            gid,
            groups,
            bypass: own_namespace && cap_eff & DAC != 0,
        })
    }

    /// Whether the mode bits of `meta` give this caller every bit of
    /// `bits` (4 read, 2 write, 1 execute or search).
    pub(super) fn may(&self, meta: &Metadata, bits: u32) -> bool {
        let mode = meta.mode();
        let shift = if meta.uid() == self.uid {
            6
        } else if meta.gid() == self.gid || self.groups.contains(&meta.gid()) {
            3
        } else {
            0
        };
        self.bypass || (mode >> shift) & bits == bits
    }

    /// Whether the modes let the caller's call reach Landlock's check of
    /// `right` on an object of status `meta`: write and search on the
    /// directory a name is made or removed in, read on what is read or
    /// listed, write on what is written or truncated, execute on what is run.
    pub(super) fn permits(&self, right: u64, meta: &Metadata) -> bool {
        let bits = if right & (fs::READ_FILE | fs::READ_DIR) != 0 {
            4
        } else if right & (fs::WRITE_FILE | fs::TRUNCATE) != 0 {
            2
        } else if right & fs::EXECUTE != 0 {
            1
        } else {
            2 | 1 // make_*, remove_*, refer: on the directory
        };
        self.may(meta, bits)
    }
}

/// What a right is checked on: how it is printed, and its status read
/// through the walk's handle.
pub(super) struct Target {
    pub path: PathBuf,
    pub meta: Metadata,
}

/// A name the caller's walk reached.
pub(super) struct Found {
    /// How it is printed.
    pub path: PathBuf,
    /// What it names (the link itself where not followed); `None` when it
    /// does not exist (a name about to be created).
    pub object: Option<File>,
    /// The directory holding the name, when the walk knows it.
    pub holder: Option<File>,
}

impl Found {
    /// The named object, if it exists.
    pub(super) fn target(&self) -> Option<Target> {
        Some(Target {
            path: self.path.clone(),
            meta: self.object.as_ref()?.metadata().ok()?,
        })
    }

    /// The directory holding the name.
    pub(super) fn holder_target(&self) -> Option<Target> {
        Some(Target {
            path: self.path.parent()?.to_path_buf(),
            meta: self.holder.as_ref()?.metadata().ok()?,
        })
    }

    /// The object's status.
    pub(super) fn meta(&self) -> Option<Metadata> {
        self.object.as_ref()?.metadata().ok()
    }
}

/// A path walk done for the caller (see the module docs): what it needs
/// to know of the caller's process, read once per call.
pub(super) struct Walk {
    /// The caller's process (thread group).
    pub tgid: i32,
    tid: u32,
    /// procfs' device.
    proc_dev: u64,
    /// `(dev, ino)` of the caller's own procfs directories.
    own: Vec<(u64, u64)>,
}

impl Walk {
    pub(super) fn new(tgid: i32, tid: u32) -> Walk {
        let id = |p: String| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
        let own = [
            format!("/proc/{tgid}"),
            format!("/proc/{tgid}/fd"),
            format!("/proc/{tgid}/task/{tid}"),
            format!("/proc/{tgid}/task/{tid}/fd"),
            format!("/proc/{tid}"),
            format!("/proc/{tid}/fd"),
        ]
        .into_iter()
        .filter_map(id)
        .collect();
        Walk {
            tgid,
            tid,
            proc_dev: std::fs::metadata("/proc").map_or(u64::MAX, |m| m.dev()),
            own,
        }
    }

    /// `path` resolved from the directory `start` (a handle; its ancestors
    /// are not checked, as the kernel does not; `name` is how it is
    /// printed) as the caller's own walk would: every link followed, the
    /// last component only when `follow`. `None` where the caller's walk
    /// would fail (a directory it may not search, a missing or
    /// non-directory step, a loop, a link it may not follow, the budget).
    pub(super) fn resolve(
        &self,
        cred: &Cred,
        start: File,
        name: PathBuf,
        path: &Path,
        follow: bool,
    ) -> Option<Found> {
        let mut todo: VecDeque<OsString> = VecDeque::new();
        push_front(&mut todo, path);
        let mut dir = start;
        let mut holder = None;
        let mut current = name;
        let (mut links, mut steps) = (0, 0);
        while let Some(part) = todo.pop_front() {
            steps += 1;
            let meta = dir.metadata().ok()?;
            if steps > MAX_STEPS || !meta.is_dir() || !cred.may(&meta, 1) {
                return None;
            }
            if part == ".." {
                if current.pop() {
                    dir = open_at(&dir, OsStr::new(".."))?;
                    holder = None;
                }
                continue;
            }
            if self.is_proc_root(&meta) && (part == "self" || part == "thread-self") {
                if part == "thread-self" {
                    todo.push_front(self.tid.to_string().into());
                    todo.push_front("task".into());
                }
                todo.push_front(self.tgid.to_string().into());
                continue;
            }
            let last = todo.is_empty();
            let child = match open_at(&dir, &part) {
                Some(child) => child,
                None if last => {
                    return Some(Found {
                        path: current.join(part),
                        object: None,
                        holder: Some(dir),
                    })
                }
                None => return None,
            };
            let is_link = child.metadata().ok()?.file_type().is_symlink();
            if !is_link || (last && !follow) {
                current.push(&part);
                holder = Some(std::mem::replace(&mut dir, child));
                continue;
            }
            links += 1;
            if links > MAX_LINKS || !self.may_follow_in(&meta) {
                return None;
            }
            let target = n::read_link_at(child.as_fd()).ok()?;
            let target = PathBuf::from(OsStr::from_bytes(&target));
            if target.is_absolute() {
                dir = open_dir(Path::new("/"))?;
                holder = None;
                current = PathBuf::from("/");
            }
            push_front(&mut todo, &target);
        }
        Some(Found {
            path: current,
            object: Some(dir),
            holder,
        })
    }

    fn is_proc_root(&self, meta: &Metadata) -> bool {
        meta.dev() == self.proc_dev && meta.ino() == PROC_ROOT_INO
    }

    /// Whether a link in the directory of status `meta` may be followed:
    /// anywhere outside procfs; in procfs, in its root and in the caller's
    /// own `/proc/PID` directories only.
    fn may_follow_in(&self, meta: &Metadata) -> bool {
        meta.dev() != self.proc_dev
            || meta.ino() == PROC_ROOT_INO
            || self.own.contains(&(meta.dev(), meta.ino()))
    }
}

/// The components of `path` put before those in `todo` (`.` dropped).
fn push_front(todo: &mut VecDeque<OsString>, path: &Path) {
    let parts: Vec<_> = (path.components())
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    for part in parts.into_iter().rev() {
        todo.push_front(part);
    }
}

/// `path` opened `O_PATH`, following it (the start of a walk: `/`, or the
/// caller's `/proc/TID/cwd` or `/proc/TID/fd/N`, which lead to the very
/// directory or file the caller holds).
pub(super) fn open_dir(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    const O_PATH: i32 = 0o10000000;
    (std::fs::OpenOptions::new().read(true))
        .custom_flags(O_PATH)
        .open(path)
        .ok()
}

/// The name `part` in `dir`, itself (see `runner::supervisor::open_path_at`).
fn open_at(dir: &File, part: &OsStr) -> Option<File> {
    let name = std::ffi::CString::new(part.as_bytes()).ok()?;
    n::open_path_at(dir.as_fd(), &name).ok().map(File::from)
}
