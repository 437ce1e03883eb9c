//! The Landlock options: file grants (`--fs-*`, the `--fs-system` preset),
//! TCP ports (`--net-*`, `--no-net`), scopes (`--scope`), resolved against
//! the ABI the kernel offers into a [`Rules`] value that `--dump` prints
//! and [`Rules::ruleset`] turns into a `runner::landlock::Ruleset`.
//!
//! Semantics follow `Documentation/userspace-api/landlock.rst`: a ruleset
//! denies every right it handles unless a rule grants it beneath a path
//! (or on a port); `REFER` is denied in any domain that handles file
//! rights unless granted; scopes need no rule.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clap::Args;
use runner::landlock::{fs, net, scope, Ruleset, RulesetAttr};

use crate::fail::io_error;
use crate::fail::Failure;

mod check;
mod names;
pub use check::{needed_option, system_grants, Checker};
use names::scope_names;
pub use names::{fs_names, net_names};

/// The `--fs-system` preset (`policy/data/fs_system.txt`).
const FS_SYSTEM: &str = include_str!("../../policy/data/fs_system.txt");

/// Caps the ABI go-jail believes the kernel has (for tests: `0` = none).
pub const ABI_VARIABLE: &str = "GO_JAIL_LANDLOCK_ABI";

/// The Landlock options of the run mode (and of `compile`/`explain`, which
/// only show them).
#[derive(Debug, Args, Clone, Default)]
pub struct LandlockArgs {
    /// Landlock: allow reading files and listing directories beneath PATH
    /// (repeatable; comma-separated). With any --fs-* option, every other
    /// file access is denied (every right the kernel's Landlock knows).
    #[arg(long = "fs-ro", value_name = "PATH,...")]
    pub fs_ro: Vec<String>,
    /// Landlock: as --fs-ro, and executing files.
    #[arg(long = "fs-rx", value_name = "PATH,...")]
    pub fs_rx: Vec<String>,
    /// Landlock: as --fs-ro, and writing, creating, removing, renaming,
    /// linking and truncating beneath PATH.
    #[arg(long = "fs-rw", value_name = "PATH,...")]
    pub fs_rw: Vec<String>,
    /// Landlock: --fs-rw and --fs-rx together.
    #[arg(long = "fs-rwx", value_name = "PATH,...")]
    pub fs_rwx: Vec<String>,
    /// Landlock: the preset that lets system commands run without user
    /// data: rx on /usr, /bin, /lib..., ro on the loader cache, passwd,
    /// group, locale and time zone files, rw on /dev/null, /dev/urandom,
    /// /dev/tty, /dev/pts... (`go-jail compile --fs-system --dump` lists it).
    #[arg(long)]
    pub fs_system: bool,
    /// Landlock (ABI 4): allow TCP connect only to these ports (comma-separated).
    #[arg(long, value_name = "PORTS")]
    pub net_connect: Vec<String>,
    /// Landlock (ABI 4): allow TCP bind only to these ports (comma-separated).
    #[arg(long, value_name = "PORTS")]
    pub net_bind: Vec<String>,
    /// Landlock scopes (ABI 6), on by default: COMMAND cannot signal, or
    /// connect to abstract unix sockets of, processes outside its jail.
    /// `none` turns them off (ptrace of outside processes stays refused).
    #[arg(long, value_name = "all|none|signal,abstract-unix")]
    pub scope: Option<String>,
    /// Run even when the kernel's Landlock cannot enforce a restriction
    /// asked for, printing one line for each one skipped (default: exit 125).
    #[arg(long)]
    pub landlock_best_effort: bool,
}

impl LandlockArgs {
    /// Whether any Landlock option was given.
    pub fn any(&self) -> bool {
        !(self.fs_ro.is_empty()
            && self.fs_rx.is_empty()
            && self.fs_rw.is_empty()
            && self.fs_rwx.is_empty()
            && !self.fs_system
            && self.net_connect.is_empty()
            && self.net_bind.is_empty()
            && self.scope.is_none())
    }
}

/// The Landlock lines of `compile --dump` and `explain`: the rules the
/// options resolve to on this kernel (without COMMAND's own rx grant), or
/// nothing when no Landlock or network option was given.
pub fn shown(args: &LandlockArgs, no_net: bool, no_unix: bool) -> Result<Vec<String>, Failure> {
    if !args.any() && !no_net && !no_unix {
        return Ok(Vec::new());
    }
    Ok(resolve(args, no_net, no_unix, &[])?.describe())
}

/// How a tree is granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ro,
    Rx,
    Rw,
    Rwx,
    /// rw and device ioctls: terminals (`--fs-system` only).
    Tty,
}

const READ: u64 = fs::READ_FILE | fs::READ_DIR;
/// What creating, removing, linking or moving a name needs on the
/// directory that holds it.
pub const NAME_CHANGES: u64 = fs::MAKE_CHAR
    | fs::MAKE_DIR
    | fs::MAKE_REG
    | fs::MAKE_SOCK
    | fs::MAKE_FIFO
    | fs::MAKE_BLOCK
    | fs::MAKE_SYM
    | fs::REMOVE_DIR
    | fs::REMOVE_FILE
    | fs::REFER;
/// What writing a file needs on it.
pub const FILE_WRITES: u64 = fs::WRITE_FILE | fs::TRUNCATE;
const WRITE: u64 = NAME_CHANGES | FILE_WRITES;

impl Mode {
    fn access(self) -> u64 {
        match self {
            Mode::Ro => READ,
            Mode::Rx => READ | fs::EXECUTE,
            Mode::Rw => READ | WRITE,
            Mode::Rwx => READ | WRITE | fs::EXECUTE,
            Mode::Tty => READ | fs::WRITE_FILE | fs::TRUNCATE | fs::IOCTL_DEV,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Ro => "ro",
            Mode::Rx => "rx",
            Mode::Rw => "rw",
            Mode::Rwx => "rwx",
            Mode::Tty => "tty",
        }
    }

    fn parse(word: &str) -> Option<Mode> {
        [Mode::Ro, Mode::Rx, Mode::Rw, Mode::Rwx, Mode::Tty]
            .into_iter()
            .find(|m| m.name() == word)
    }
}

/// One path rule: the rights granted beneath `path`.
#[derive(Clone, Debug)]
pub struct Grant {
    pub path: PathBuf,
    pub mode: Mode,
    /// What the rule grants: the mode's rights the ruleset handles, only
    /// the file rights for a file.
    pub access: u64,
    /// The option it came from (`--fs-ro`, `--fs-system`, `COMMAND`...).
    pub origin: &'static str,
}

/// Everything the Landlock options resolve to on this kernel.
#[derive(Debug, Default)]
pub struct Rules {
    /// The ABI go-jail uses (the kernel's, capped by [`ABI_VARIABLE`]).
    pub abi: u32,
    /// The kernel's own ABI.
    pub kernel_abi: u32,
    /// What the domain handles; all zero: no domain.
    pub attr: RulesetAttr,
    pub grants: Vec<Grant>,
    /// `(port, LANDLOCK_ACCESS_NET_*)`.
    pub ports: Vec<(u16, u64)>,
    /// Restrictions asked for that are not enforced (`--landlock-best-effort`).
    pub skipped: Vec<String>,
    /// What `--dump` should say besides the rules.
    pub notes: Vec<String>,
}

impl Rules {
    /// Whether the command enters a Landlock domain.
    pub fn enforced(&self) -> bool {
        self.attr != RulesetAttr::default()
    }

    /// Creates the ruleset and adds every rule (before `fork`).
    pub fn ruleset(&self) -> Result<Option<Ruleset>, Failure> {
        if !self.enforced() {
            return Ok(None);
        }
        let fail = |e: runner::landlock::LandlockError| Failure::input(format!("landlock: {e}"));
        let mut ruleset = Ruleset::new(self.attr).map_err(fail)?;
        for g in &self.grants {
            ruleset.allow_path(&g.path, g.access).map_err(fail)?;
        }
        for &(port, access) in &self.ports {
            ruleset.allow_port(port, access).map_err(fail)?;
        }
        Ok(Some(ruleset))
    }

    /// `--dump`'s lines: the ABI, what is handled, each rule, the notes.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![format!(
            "landlock: ABI {}{}",
            self.abi,
            if self.abi == self.kernel_abi {
                String::new()
            } else {
                format!(" (kernel: {}, capped by {ABI_VARIABLE})", self.kernel_abi)
            }
        )];
        if !self.enforced() {
            out.push("landlock: no domain".into());
        } else {
            let a = self.attr;
            out.push(format!(
                "landlock: handles fs [{}] net [{}] scopes [{}]",
                fs_names(a.handled_access_fs),
                net_names(a.handled_access_net),
                scope_names(a.scoped)
            ));
        }
        for g in &self.grants {
            out.push(format!(
                "landlock: {:<3} {}  [{}]  ({})",
                g.mode.name(),
                g.path.display(),
                fs_names(g.access),
                g.origin
            ));
        }
        for &(port, access) in &self.ports {
            out.push(format!("landlock: tcp {port} [{}]", net_names(access)));
        }
        out.extend(self.notes.iter().map(|n| format!("landlock: note: {n}")));
        out.extend(
            self.skipped
                .iter()
                .map(|s| format!("landlock: not enforced: {s}")),
        );
        out
    }
}

/// The executable COMMAND runs and, for a `#!` script, its interpreter:
/// granted rx when no grant covers them (the first `PATH` match, as
/// `execvp` finds it).
/// A relative path with a `/` is looked up from `cwd` (`--cwd`) when given.
pub fn command_files(program: &OsStr, search_path: &OsStr, cwd: Option<&Path>) -> Vec<PathBuf> {
    let found = if program.as_bytes().contains(&b'/') {
        match cwd {
            Some(dir) => std::path::absolute(dir.join(program)).ok(),
            None => std::path::absolute(program).ok(),
        }
    } else {
        search_path
            .as_bytes()
            .split(|&b| b == b':')
            .map(|dir| {
                let dir = if dir.is_empty() { b"." as &[u8] } else { dir };
                Path::new(OsStr::from_bytes(dir)).join(program)
            })
            .find(|p| p.is_file())
            .and_then(|p| std::path::absolute(p).ok())
    };
    let Some(exe) = found.filter(|p| p.is_file()) else {
        return Vec::new();
    };
    let mut files = vec![exe.clone()];
    if let Some(interp) = interpreter(&exe) {
        files.push(interp);
    }
    files
}

/// The interpreter of a `#!` script (first word after `#!`), if it exists.
fn interpreter(exe: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(exe).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let word = line
        .split(|&b| b == b' ' || b == b'\t')
        .find(|w| !w.is_empty())?;
    let path = PathBuf::from(OsStr::from_bytes(word));
    path.is_file().then_some(path)
}

/// The restrictions the options ask for, each with the ABI it needs.
struct Asked {
    what: String,
    abi: u32,
}

/// The options parsed and checked, before the ABI is looked at.
struct Request {
    grants: Vec<Grant>,
    fs_asked: bool,
    connect: Vec<u16>,
    bind: Vec<u16>,
    no_net: bool,
    no_unix: bool,
    scope: Scope,
}

/// Resolves the options for the kernel at hand. `no_net`/`no_unix` are the
/// policy options (their seccomp half is in `policy::guards`); `command`
/// are the files [`command_files`] found.
pub fn resolve(
    args: &LandlockArgs,
    no_net: bool,
    no_unix: bool,
    command: &[PathBuf],
) -> Result<Rules, Failure> {
    let kernel_abi = runner::landlock::kernel_abi();
    let abi = believed_abi(kernel_abi)?;
    let mut rules = Rules {
        abi,
        kernel_abi,
        ..Rules::default()
    };
    let req = request(args, no_net, no_unix, &mut rules.notes)?;
    let asked = asked(&req, args);
    check_abi(
        &asked,
        abi,
        kernel_abi,
        args.landlock_best_effort,
        &mut rules,
    )?;
    let handled_fs = if req.fs_asked {
        runner::landlock::fs_rights(abi)
    } else {
        0
    };
    rules.attr.handled_access_fs = handled_fs;
    if no_net || !req.connect.is_empty() || !req.bind.is_empty() {
        rules.attr.handled_access_net = runner::landlock::net_rights(abi);
    }
    rules.attr.scoped = req.scope.mask & runner::landlock::scopes(abi);
    add_notes(&req, abi, &mut rules.notes);
    let mut grants = req.grants;
    add_command_grants(&mut grants, command, handled_fs);
    rules.grants = grants
        .into_iter()
        .filter_map(|g| restrict_to(g, handled_fs))
        .collect();
    rules.ports = port_rules(&req.connect, &req.bind, rules.attr.handled_access_net);
    default_domain(&mut rules);
    Ok(rules)
}

/// Parses the options; the preset's missing entries go to `notes`.
fn request(
    args: &LandlockArgs,
    no_net: bool,
    no_unix: bool,
    notes: &mut Vec<String>,
) -> Result<Request, Failure> {
    let connect = ports("--net-connect", &args.net_connect)?;
    let bind = ports("--net-bind", &args.net_bind)?;
    if no_net && !(connect.is_empty() && bind.is_empty()) {
        return Err(Failure::input(
            "--no-net contradicts --net-connect/--net-bind: leave one out".into(),
        ));
    }
    let scope = parse_scope(args.scope.as_deref())?;
    let mut grants = user_grants(args)?;
    if args.fs_system {
        grants.extend(preset(notes));
    }
    Ok(Request {
        fs_asked: !grants.is_empty() || args.fs_system,
        grants,
        connect,
        bind,
        no_net,
        no_unix,
        scope,
    })
}

/// Each restriction asked for, with the ABI that enforces it.
fn asked(req: &Request, args: &LandlockArgs) -> Vec<Asked> {
    let mut asked = Vec::new();
    let mut ask = |what: String, abi: u32| asked.push(Asked { what, abi });
    if req.fs_asked {
        ask("--fs-* (file access)".into(), 1);
        ask(
            "--fs-*: truncation of files outside the rw grants".into(),
            3,
        );
        ask("--fs-*: device ioctls outside the grants".into(), 5);
    }
    for (flag, list) in [("--net-connect", &req.connect), ("--net-bind", &req.bind)] {
        if !list.is_empty() {
            ask(format!("{flag} {}", join_ports(list)), 4);
        }
    }
    if req.no_net {
        ask("--no-net: TCP bind/connect".into(), 4);
    }
    if req.scope.explicit.is_some_and(|m| m != 0) {
        let words = args.scope.as_deref().unwrap_or_default();
        ask(format!("--scope {words}"), 6);
    }
    asked
}

/// What `--dump` says about limits of the ABI that are not errors.
fn add_notes(req: &Request, abi: u32, notes: &mut Vec<String>) {
    if req.scope.explicit.is_none() && abi < 6 {
        notes.push(format!(
            "scopes (signals, abstract unix sockets) not enforced: they need Landlock ABI 6, this kernel has {abi}"
        ));
    }
    if req.fs_asked && abi < 2 {
        notes.push(
            "renames and links across directories fail (EXDEV): REFER needs Landlock ABI 2".into(),
        );
    }
    if req.fs_asked && !req.no_unix {
        notes.push(
            "pathname unix sockets outside the grants stay reachable (connect/sendmsg are not file accesses below Landlock ABI 9): give --no-unix to close them".into(),
        );
    }
}

/// The capped ABI: the kernel's, or less with [`ABI_VARIABLE`].
fn believed_abi(kernel: u32) -> Result<u32, Failure> {
    match std::env::var(ABI_VARIABLE) {
        Err(_) => Ok(kernel),
        Ok(v) => match v.trim().parse::<u32>() {
            Ok(n) => Ok(n.min(kernel)),
            Err(_) => Err(Failure::input(format!(
                "{ABI_VARIABLE}='{v}' is not a Landlock ABI number (0 = no Landlock)"
            ))),
        },
    }
}

/// Fails closed on the first restriction the ABI cannot enforce, or with
/// `best_effort` records each one as skipped.
fn check_abi(
    asked: &[Asked],
    abi: u32,
    kernel: u32,
    best_effort: bool,
    rules: &mut Rules,
) -> Result<(), Failure> {
    let have = if abi == kernel {
        format!("this kernel has ABI {abi}")
    } else {
        format!("go-jail uses ABI {abi} ({ABI_VARIABLE})")
    };
    for a in asked.iter().filter(|a| a.abi > abi) {
        let line = format!("{} needs Landlock ABI {}, {have}", a.what, a.abi);
        if !best_effort {
            return Err(Failure::input(format!(
                "{line}: refusing to run without it (--landlock-best-effort runs anyway)"
            )));
        }
        rules.skipped.push(line);
    }
    Ok(())
}

/// Without any handled right (no option, or `--scope none`), a domain
/// all the same, which confines ptrace and `/proc/PID/mem` to it: REFER
/// handled and granted beneath `/`, which changes nothing else (ABI 2+).
fn default_domain(rules: &mut Rules) {
    if rules.enforced() {
        return;
    }
    match rules.abi {
        0 => rules
            .notes
            .push("no Landlock in this kernel: COMMAND is in no domain".into()),
        1 => rules.notes.push(
            "no default domain: on Landlock ABI 1 any domain denies renames across directories"
                .into(),
        ),
        _ => {
            rules.attr.handled_access_fs = fs::REFER;
            rules.grants.push(Grant {
                path: "/".into(),
                mode: Mode::Rw,
                access: fs::REFER,
                origin: "default domain: only REFER, granted everywhere",
            });
        }
    }
}

/// `grant` with only the rights the ruleset handles (only file rights on
/// a file); `None` when nothing is left.
fn restrict_to(mut grant: Grant, handled: u64) -> Option<Grant> {
    let is_dir = grant.path.is_dir();
    grant.access = grant.mode.access() & handled & if is_dir { u64::MAX } else { fs::FILE };
    (grant.access != 0).then_some(grant)
}

/// rx on COMMAND's files when no grant gives them execute already.
fn add_command_grants(grants: &mut Vec<Grant>, files: &[PathBuf], handled: u64) {
    if handled == 0 {
        return;
    }
    for file in files {
        let real = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        let covered = grants.iter().any(|g| {
            g.mode.access() & fs::EXECUTE != 0
                && std::fs::canonicalize(&g.path).is_ok_and(|p| real.starts_with(p))
        });
        if !covered {
            grants.push(Grant {
                path: file.clone(),
                mode: Mode::Rx,
                access: 0,
                origin: "COMMAND",
            });
        }
    }
}

/// The `--fs-*` paths: absolute, existing.
fn user_grants(args: &LandlockArgs) -> Result<Vec<Grant>, Failure> {
    let mut grants = Vec::new();
    for (flag, mode, lists) in [
        ("--fs-ro", Mode::Ro, &args.fs_ro),
        ("--fs-rx", Mode::Rx, &args.fs_rx),
        ("--fs-rw", Mode::Rw, &args.fs_rw),
        ("--fs-rwx", Mode::Rwx, &args.fs_rwx),
    ] {
        for list in lists {
            for item in list.split(',') {
                if item.is_empty() {
                    return Err(Failure::input(format!(
                        "{flag} '{list}': empty path in the list"
                    )));
                }
                let path = std::path::absolute(item)
                    .map_err(|e| Failure::input(format!("{flag} {item}: {}", io_error(&e))))?;
                if let Err(e) = std::fs::metadata(&path) {
                    return Err(Failure::input(format!(
                        "{flag} {}: {}",
                        path.display(),
                        io_error(&e)
                    )));
                }
                grants.push(Grant {
                    path,
                    mode,
                    access: 0,
                    origin: flag,
                });
            }
        }
    }
    Ok(grants)
}

/// The `--fs-system` preset's entries that exist here; the others are
/// named in `notes`.
fn preset(notes: &mut Vec<String>) -> Vec<Grant> {
    let mut grants = Vec::new();
    for line in FS_SYSTEM.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((mode, path)) = line.split_once(' ') else {
            continue;
        };
        let mode = Mode::parse(mode).expect("fs_system.txt: known modes only");
        let path = PathBuf::from(path.trim());
        if std::fs::metadata(&path).is_err() {
            notes.push(format!(
                "--fs-system: {} does not exist here: skipped",
                path.display()
            ));
            continue;
        }
        grants.push(Grant {
            path,
            mode,
            access: 0,
            origin: "--fs-system",
        });
    }
    grants
}

/// A comma-separated list of TCP ports, each 1..=65535.
fn ports(flag: &str, lists: &[String]) -> Result<Vec<u16>, Failure> {
    let mut out = Vec::new();
    for list in lists {
        if list.trim().is_empty() {
            return Err(Failure::input(format!("{flag}: empty list of ports")));
        }
        for item in list.split(',') {
            match item.trim().parse::<u16>() {
                Ok(p) if p != 0 => out.push(p),
                _ => {
                    return Err(Failure::input(format!(
                        "{flag} '{item}' is not a TCP port (1..65535)"
                    )))
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn join_ports(ports: &[u16]) -> String {
    let v: Vec<String> = ports.iter().map(u16::to_string).collect();
    v.join(",")
}

/// One rule per port, with the rights of both lists.
fn port_rules(connect: &[u16], bind: &[u16], handled: u64) -> Vec<(u16, u64)> {
    let mut out: Vec<(u16, u64)> = Vec::new();
    let lists = [(connect, net::CONNECT_TCP), (bind, net::BIND_TCP)];
    for (list, access) in lists {
        for &p in list {
            match out.iter_mut().find(|(q, _)| *q == p) {
                Some((_, a)) => *a |= access,
                None => out.push((p, access)),
            }
        }
    }
    out.retain_mut(|(_, a)| {
        *a &= handled;
        *a != 0
    });
    out.sort_unstable();
    out
}

/// `--scope`: the mask, and whether it was asked for explicitly.
struct Scope {
    mask: u64,
    explicit: Option<u64>,
}

const ALL_SCOPES: u64 = scope::SIGNAL | scope::ABSTRACT_UNIX_SOCKET;

fn parse_scope(arg: Option<&str>) -> Result<Scope, Failure> {
    let Some(list) = arg else {
        return Ok(Scope {
            mask: ALL_SCOPES,
            explicit: None,
        });
    };
    let mut mask = 0;
    let words: Vec<&str> = list.split(',').map(str::trim).collect();
    for w in &words {
        mask |= match *w {
            "all" => ALL_SCOPES,
            "signal" => scope::SIGNAL,
            "abstract-unix" => scope::ABSTRACT_UNIX_SOCKET,
            "none" if words.len() == 1 => 0,
            _ => {
                return Err(Failure::input(format!(
                    "--scope '{list}': '{w}' is not a scope (all, none, signal, abstract-unix; none alone)"
                )))
            }
        };
    }
    Ok(Scope {
        mask,
        explicit: Some(mask),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_line_has_a_known_mode_and_an_absolute_path() {
        for line in FS_SYSTEM.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (mode, path) = line.split_once(' ').expect(line);
            assert!(Mode::parse(mode).is_some(), "{line}");
            assert!(path.starts_with('/'), "{line}");
        }
    }

    #[test]
    fn ports_are_1_to_65535_and_lists_are_not_empty() {
        assert_eq!(
            ports("--net-bind", &["80,443,80".into()]).unwrap(),
            [80, 443]
        );
        for bad in ["0", "65536", "x", "80,", ""] {
            let e = ports("--net-bind", &[bad.into()]).unwrap_err();
            assert!(e.message.starts_with("--net-bind"), "{}", e.message);
        }
    }

    #[test]
    fn scope_words() {
        assert_eq!(parse_scope(Some("none")).unwrap().mask, 0);
        assert_eq!(parse_scope(Some("signal")).unwrap().mask, scope::SIGNAL);
        assert_eq!(parse_scope(None).unwrap().explicit, None);
        assert!(parse_scope(Some("none,signal")).is_err());
        assert!(parse_scope(Some("signals")).is_err());
    }

    #[test]
    fn file_grants_keep_only_file_rights() {
        let g = Grant {
            path: "/etc/passwd".into(),
            mode: Mode::Rwx,
            access: 0,
            origin: "t",
        };
        let g = restrict_to(g, runner::landlock::fs_rights(7)).unwrap();
        assert_eq!(g.access & !fs::FILE, 0);
        assert_ne!(g.access & fs::TRUNCATE, 0);
    }

    #[test]
    fn rw_includes_refer_and_truncate_but_not_device_ioctls() {
        let rw = Mode::Rw.access();
        assert_eq!(rw & (fs::REFER | fs::TRUNCATE), fs::REFER | fs::TRUNCATE);
        assert_eq!(rw & fs::IOCTL_DEV, 0);
        assert_ne!(Mode::Tty.access() & fs::IOCTL_DEV, 0);
    }
}
