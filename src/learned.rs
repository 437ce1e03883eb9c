//! What `learn` saw a command do to files and the network, folded into
//! the Landlock options of the line it prints.
//!
//! The folding (what a careful user would write by hand):
//! - what the `--fs-system` preset covers is `--fs-system`;
//! - a directory the command created or removed names in, or that holds
//!   a file it wrote or truncated, is `--fs-rw` (a directory beneath
//!   another one is left out);
//! - every program it executed that the preset does not cover is
//!   `--fs-rx` on that file;
//! - reads stay as narrow as the run showed: `--fs-ro` on each file read,
//!   on its directory when several files in it were read, and on each
//!   directory listed (which, in Landlock, lets the files beneath be read);
//! - anything beneath `/proc/PID` (the command's own `/proc/self`, whose
//!   number changes from run to run) is `--fs-ro=/proc`;
//! - TCP ports connected to or bound are `--net-connect`/`--net-bind`;
//!   without any `AF_INET`/`AF_INET6` socket (and no `io_uring`, whose
//!   sockets the rules cannot see) the line says `--no-net`, and without
//!   any `AF_UNIX` socket `--no-unix`.
//!
//! Limits: accesses the kernel makes without a syscall of the command's
//! (io_uring requests, files mapped by the dynamic loader beyond its
//! search) are not seen; a path holding a comma cannot be written in the
//! comma-separated options and is left out with a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use runner::landlock::{fs, net};

use crate::access::Access;
use crate::landlock::{FILE_WRITES, NAME_CHANGES};

const AF_UNIX: u64 = 1;
const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;

/// Everything seen, before folding.
#[derive(Debug, Default)]
pub struct Learned {
    /// Path → the rights used on it.
    files: BTreeMap<PathBuf, u64>,
    connect: BTreeSet<u16>,
    bind: BTreeSet<u16>,
    inet: bool,
    unix: bool,
    uring: bool,
    /// The bytes of the paths recorded.
    bytes: usize,
    /// More than [`MAX_PATHS`] paths (or [`MAX_BYTES`]) were seen.
    pub folded: bool,
}

/// The most bytes of paths recorded one by one.
const MAX_BYTES: usize = 8 << 20;

/// The most distinct paths recorded one by one.
const MAX_PATHS: usize = 1 << 16;
/// How many directories deep a path is kept past [`MAX_PATHS`].
const FOLDED_DEPTH: usize = 2;

impl Learned {
    /// Records what one call needed.
    pub fn add(&mut self, access: Access) {
        match access {
            Access::File { right, path } => {
                // bounded: a command naming endless distinct paths cannot
                // grow the supervisor's memory; past the bound, new paths
                // are recorded as their top directories (coarser, never
                // narrower than what was used)
                let room = self.files.len() < MAX_PATHS && self.bytes < MAX_BYTES;
                let known = self.files.contains_key(&path);
                let (path, right) = if room || known {
                    if !known {
                        self.bytes += path.as_os_str().len();
                    }
                    (path, right)
                } else {
                    self.folded = true;
                    let top: PathBuf = path.components().take(1 + FOLDED_DEPTH).collect();
                    // rights beneath the top directory, on the top itself
                    // as a directory grant: a write makes the top rw (not
                    // its parent), a read makes it ro
                    let mut beneath = right & !(FILE_WRITES | fs::READ_FILE) | fs::READ_DIR;
                    if right & FILE_WRITES != 0 {
                        beneath |= fs::MAKE_REG;
                    }
                    (top, beneath)
                };
                *self.files.entry(path).or_default() |= right;
            }
            Access::Port { right, port } if right & net::BIND_TCP != 0 => {
                self.bind.insert(port);
            }
            Access::Port { port, .. } => {
                self.connect.insert(port);
            }
        }
    }

    /// Records the sockets a call creates (`socket`, `socketpair`) and
    /// rings (`io_uring_setup`), which `--no-net`/`--no-unix` would refuse.
    pub fn add_call(&mut self, name: &str, args: &[u64; 6]) {
        let family = args[0] & 0xffff_ffff;
        match name {
            "socket" | "socketpair" if family == AF_UNIX => self.unix |= name == "socket",
            "socket" | "socketpair" if family == AF_INET || family == AF_INET6 => self.inet = true,
            "socket" | "socketpair" => {}
            "socketcall" => {
                // i386: the family is in memory the filter did not read
                self.inet = true;
                self.unix = true;
            }
            "io_uring_setup" => self.uring = true,
            _ => {}
        }
    }

    /// What was recorded, before folding: `read_file,execute /usr/bin/ls`,
    /// `connect_tcp port 443` (`learn -v`).
    pub fn describe(&self) -> Vec<String> {
        let files = (self.files.iter()).map(|(path, &rights)| {
            let names = crate::landlock::fs_names(rights);
            format!("{names} {}", crate::report::printable_path(path))
        });
        let ports = (self.connect.iter().map(|p| format!("connect_tcp port {p}")))
            .chain(self.bind.iter().map(|p| format!("bind_tcp port {p}")));
        files.chain(ports).collect()
    }

    /// The Landlock options, folded (see the module docs); paths that
    /// cannot be written in an option are returned apart.
    pub fn options(&self, system: &[(PathBuf, u64)]) -> (Vec<String>, Vec<PathBuf>) {
        let folded = self.fold_files(system);
        let mut out = Vec::new();
        let mut unwritable = Vec::new();
        if folded.system {
            out.push("--fs-system".to_string());
        }
        for (flag, paths) in [
            ("--fs-rx", &folded.rx),
            ("--fs-ro", &folded.ro),
            ("--fs-rw", &folded.rw),
        ] {
            for path in paths {
                match path.to_str() {
                    Some(p) if !p.contains(',') && !p.chars().any(char::is_control) => {
                        out.push(format!("{flag}={p}"))
                    }
                    _ => unwritable.push(path.clone()),
                }
            }
        }
        out.extend(self.net_options());
        (out, unwritable)
    }

    /// The file grants, folded.
    fn fold_files(&self, system: &[(PathBuf, u64)]) -> Folded {
        let mut folded = Folded::default();
        let mut ro_dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut read: BTreeSet<PathBuf> = BTreeSet::new();
        for (path, &rights) in &self.files {
            let (path, rights) = match proc_pid(path) {
                true => (PathBuf::from("/proc"), fs::READ_FILE | fs::READ_DIR),
                false => (path.clone(), rights),
            };
            if covered(system, &path, rights) {
                folded.system = true;
                continue;
            }
            if rights & FILE_WRITES != 0 {
                folded.rw.extend(path.parent().map(Path::to_path_buf));
            }
            if rights & NAME_CHANGES != 0 {
                folded.rw.insert(path.clone());
            }
            if rights & fs::EXECUTE != 0 {
                folded.rx.insert(path.clone());
            }
            if rights & fs::READ_DIR != 0 {
                ro_dirs.insert(path.clone());
            }
            if rights & fs::READ_FILE != 0 && rights & fs::EXECUTE == 0 {
                read.insert(path);
            }
        }
        folded.rw = outermost(std::mem::take(&mut folded.rw));
        // several files read in one directory: the directory
        let mut per_dir: BTreeMap<PathBuf, usize> = BTreeMap::new();
        for dir in read.iter().filter_map(|f| f.parent()) {
            *per_dir.entry(dir.to_path_buf()).or_default() += 1;
        }
        ro_dirs.extend(per_dir.into_iter().filter(|&(_, n)| n > 1).map(|(d, _)| d));
        let ro_dirs: BTreeSet<PathBuf> = outermost(ro_dirs)
            .into_iter()
            .filter(|d| !beneath_any(d, &folded.rw))
            .collect();
        let files = read
            .into_iter()
            .filter(|f| !beneath_any(f, &folded.rw) && !beneath_any(f, &ro_dirs));
        folded.ro = ro_dirs.iter().cloned().chain(files).collect();
        folded
    }

    /// `--net-connect`, `--net-bind`, `--no-net`, `--no-unix`.
    fn net_options(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.connect.is_empty() {
            out.push(format!("--net-connect={}", join(&self.connect)));
        }
        let bind: BTreeSet<u16> = self.bind.iter().copied().filter(|&p| p != 0).collect();
        if !bind.is_empty() {
            out.push(format!("--net-bind={}", join(&bind)));
        }
        if !self.inet && !self.uring && self.connect.is_empty() && self.bind.is_empty() {
            out.push("--no-net".into());
        }
        if !self.unix && !self.uring {
            out.push("--no-unix".into());
        }
        out
    }
}

/// The file grants of the printed line.
#[derive(Default)]
struct Folded {
    /// Some access is covered by `--fs-system`.
    system: bool,
    rx: BTreeSet<PathBuf>,
    ro: BTreeSet<PathBuf>,
    rw: BTreeSet<PathBuf>,
}

/// A path beneath `/proc/PID`.
fn proc_pid(path: &Path) -> bool {
    let mut parts = path.components().skip(1);
    parts.next().is_some_and(|c| c.as_os_str() == "proc")
        && parts
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a preset grant beneath an ancestor of `path` gives every right in `rights`.
fn covered(system: &[(PathBuf, u64)], path: &Path, rights: u64) -> bool {
    let given = (system.iter())
        .filter(|(p, _)| path.starts_with(p))
        .fold(0, |acc, (_, a)| acc | a);
    rights & !given == 0
}

fn beneath_any(path: &Path, dirs: &BTreeSet<PathBuf>) -> bool {
    dirs.iter().any(|d| path.starts_with(d))
}

/// The paths that are not beneath another one of the set.
fn outermost(paths: BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
    let mut out: BTreeSet<PathBuf> = BTreeSet::new();
    // sorted: an ancestor comes before what is beneath it
    for p in paths {
        if !beneath_any(&p, &out) {
            out.insert(p);
        }
    }
    out
}

fn join(ports: &BTreeSet<u16>) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(right: u64, path: &str) -> Access {
        Access::File {
            right,
            path: PathBuf::from(path),
        }
    }

    #[test]
    fn folds_as_the_module_says() {
        let system = vec![
            (
                PathBuf::from("/usr"),
                fs::READ_FILE | fs::READ_DIR | fs::EXECUTE,
            ),
            (PathBuf::from("/etc/passwd"), fs::READ_FILE),
        ];
        let mut l = Learned::default();
        l.add(file(fs::EXECUTE | fs::READ_FILE, "/usr/bin/ls"));
        l.add(file(fs::READ_FILE, "/etc/passwd"));
        l.add(file(fs::READ_DIR, "/etc"));
        l.add(file(fs::READ_FILE, "/srv/a/one"));
        l.add(file(fs::READ_FILE, "/srv/b/one"));
        l.add(file(fs::READ_FILE, "/srv/b/two"));
        l.add(file(fs::MAKE_REG, "/tmp/t"));
        l.add(file(fs::WRITE_FILE, "/tmp/t/f"));
        l.add(file(fs::REMOVE_FILE, "/tmp/t/sub"));
        l.add(file(fs::READ_FILE, "/tmp/t/sub/x"));
        l.add(file(fs::EXECUTE | fs::READ_FILE, "/opt/tool"));
        l.add(file(fs::READ_FILE, "/proc/1234/status"));
        l.add(Access::Port {
            right: net::CONNECT_TCP,
            port: 8080,
        });
        l.add_call("socket", &[AF_INET, 1, 0, 0, 0, 0]);
        let (opts, bad) = l.options(&system);
        assert!(bad.is_empty());
        assert_eq!(
            opts,
            [
                "--fs-system",
                "--fs-rx=/opt/tool",
                "--fs-ro=/etc",
                "--fs-ro=/proc",
                "--fs-ro=/srv/a/one",
                "--fs-ro=/srv/b",
                "--fs-rw=/tmp/t",
                "--net-connect=8080",
                "--no-unix",
            ]
        );
    }

    #[test]
    fn endless_paths_fold_into_their_top_directories() {
        let mut l = Learned::default();
        for i in 0..MAX_PATHS + 10 {
            l.add(file(fs::READ_FILE, &format!("/srv/data/{i}/f")));
        }
        assert!(l.folded);
        assert_eq!(l.files.len(), MAX_PATHS + 1);
        let (opts, _) = l.options(&[]);
        assert!(
            opts.contains(&"--fs-ro=/srv/data".to_string()),
            "{:?}",
            &opts[..3]
        );
        assert_eq!(opts.len(), 3, "one directory and --no-net --no-unix");
    }

    #[test]
    fn no_socket_is_no_net_and_a_ring_keeps_both() {
        let mut l = Learned::default();
        l.add_call("socket", &[AF_UNIX, 1, 0, 0, 0, 0]);
        assert_eq!(l.options(&[]).0, ["--no-net"]);
        l.add_call("io_uring_setup", &[8, 0, 0, 0, 0, 0]);
        assert!(l.options(&[]).0.is_empty());
    }
}
