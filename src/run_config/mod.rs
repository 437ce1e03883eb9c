//! The run configuration: the run mode's arguments and any `--oci-config`
//! resolved, once, into typed values. The target identity, the
//! capabilities, the policy input (`crate::policy_input`), how COMMAND is
//! executed (command, working directory, environment, limits, descriptors)
//! and the Landlock rules. Every mode of running (exec'd, `--pty`, the
//! supervisor modes, `learn`) builds its plan from a [`RunConfig`]; nothing
//! in it is turned back into option strings.
//!
//! The command line wins over the config file, field by field, as
//! `crate::oci` documents.

mod env;
mod target;

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use crate::args::{ReportMode, RunArgs};
use crate::fail::Failure;
use crate::identity::Target;
use crate::landlock::Rules;
use crate::oci::{LoadedConfig, RunDefaults};
use crate::policy_input::PolicyInput;

pub use target::CapSet;

/// A run, resolved (see the module docs).
#[derive(Debug)]
pub struct RunConfig {
    /// Who COMMAND runs as.
    pub target: Target,
    /// The capabilities it keeps.
    pub caps: CapSet,
    /// The seccomp policy options.
    pub policy: PolicyInput,
    /// How COMMAND is executed.
    pub exec: Exec,
    /// The Landlock rules of `--fs-*`, `--net-*`, `--no-net`,
    /// `--no-unix` and the default domain, for this COMMAND.
    pub landlock: Rules,
    /// `--report-denied`.
    pub report_denied: Option<ReportMode>,
    /// `--complain`.
    pub complain: bool,
    /// `--pty`.
    pub pty: bool,
    /// `--keep-orphans`.
    pub keep_orphans: bool,
    /// `--allow-tty-injection`.
    pub allow_tty_injection: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--verbose`.
    pub verbose: bool,
}

/// How COMMAND is executed.
#[derive(Debug, Clone)]
pub struct Exec {
    /// COMMAND and its arguments (never empty).
    pub command: Vec<OsString>,
    /// `--cwd` (or `process.cwd`), absolute; `None`: go-jail's own,
    /// entered again by path as the target.
    pub cwd: Option<PathBuf>,
    /// COMMAND's environment.
    pub env: Vec<OsString>,
    /// The `PATH` COMMAND is looked up in.
    pub search_path: OsString,
    /// `(RLIMIT_*, soft, hard)` to set.
    pub rlimits: Vec<(u32, u64, u64)>,
    /// The descriptors COMMAND keeps (`--keep-fd`, `--preserve-fds`).
    pub keep_fds: Vec<i32>,
}

impl RunConfig {
    /// Resolves `args` and `--oci-config` (read here, once). Warnings are
    /// printed as they are found, unless `--quiet`.
    pub fn resolve(args: &RunArgs) -> Result<RunConfig, Failure> {
        runner::check_invoker(false).map_err(|r| Failure::input(r.to_string()))?;
        let config = match &args.policy.oci_config {
            Some(path) => Some(LoadedConfig::read(path)?),
            None => None,
        };
        let defaults = match &config {
            Some(config) => config.run_defaults(args.oci_partial)?,
            None => RunDefaults::default(),
        };
        if !args.quiet {
            for w in &defaults.warnings {
                eprintln!("go-jail: warning: {w}");
            }
        }
        let Command {
            words: command,
            base_env,
            cwd,
        } = command_of(args, &defaults)?;
        let asked = target::asked(args, &defaults);
        let target = target::identity(&asked)?;
        target::refuse_root(args, &asked, &target)?;
        let caps = target::capabilities(args, &defaults, &target)?;
        let policy = PolicyInput::new(&args.policy, config.as_ref(), Some(caps.bounding))?;
        check_native_arch(args, &policy)?;
        if !args.quiet {
            warn_mode_as_command(args, &command);
        }
        let env = env::environment(args, base_env, &target)?;
        let search_path = search_path(&env);
        let cwd = cwd.map(|dir| absolute_cwd(&dir)).transpose()?;
        let files = crate::landlock::command_files(&command[0], &search_path, cwd.as_deref());
        let landlock = crate::landlock::resolve(
            &args.landlock,
            args.policy.no_net,
            args.policy.no_unix,
            &files,
        )?;
        let exec = Exec {
            command,
            cwd,
            env,
            search_path,
            rlimits: defaults.rlimits.clone(),
            keep_fds: kept_fds(args)?,
        };
        let run = RunConfig {
            target,
            caps,
            policy,
            exec,
            landlock,
            report_denied: args.report_denied,
            complain: args.complain,
            pty: args.pty,
            keep_orphans: args.keep_orphans,
            allow_tty_injection: args.allow_tty_injection,
            quiet: args.quiet,
            verbose: args.verbose,
        };
        Ok(run)
    }

    /// Whether the run needs the supervisor (`--report-denied`,
    /// `--complain`).
    pub fn supervised(&self) -> bool {
        self.report_denied.is_some() || self.complain
    }
}

/// COMMAND with where it starts from, before the environment is made.
struct Command {
    words: Vec<OsString>,
    /// The environment to start from instead of go-jail's own.
    base_env: Option<Vec<OsString>>,
    cwd: Option<PathBuf>,
}

/// COMMAND, the environment to start from and the working directory:
/// the command line's, or when it names no COMMAND, the config's
/// `process.args`, `process.env` and `process.cwd` (`--cwd` still wins).
fn command_of(args: &RunArgs, defaults: &RunDefaults) -> Result<Command, Failure> {
    let (words, base_env, cwd) = match (&args.command[..], &defaults.args) {
        ([], Some(words)) => (words.clone(), defaults.env.clone(), defaults.cwd()?),
        ([], None) => (Vec::new(), None, defaults.cwd()?),
        (words, _) => (words.to_vec(), None, None),
    };
    if words.is_empty() {
        return Err(Failure::input(
            "no COMMAND given (usage: go-jail [OPTIONS] [--] COMMAND [ARG]...)".into(),
        ));
    }
    Ok(Command {
        words,
        base_env,
        cwd: args.cwd.clone().or(cwd),
    })
}

/// Refuses an `--arch` list without the native ABI: the filter would kill
/// go-jail's own `execve` (SIGSYS, exit 159) before COMMAND starts.
fn check_native_arch(args: &RunArgs, policy: &PolicyInput) -> Result<(), Failure> {
    let Some(arches) = policy.arches() else {
        return Ok(());
    };
    let native = bpf_asm::Arch::native();
    if arches.contains(&native) {
        return Ok(());
    }
    let list = args.policy.arch.as_deref().unwrap_or_default();
    Err(Failure::input(format!(
        "--arch {list} leaves out {0}, the ABI go-jail and COMMAND start in: the filter would kill go-jail's own execve (give --arch {0},{list})",
        native.name()
    )))
}

/// `--report-denied all` runs a command named `all`: the mode takes `=`.
/// Not said when a `--` marks COMMAND explicitly.
fn warn_mode_as_command(args: &RunArgs, command: &[OsString]) {
    let first = command.first().and_then(|c| c.to_str());
    let explicit = std::env::args_os().any(|a| a == "--");
    if let (Some(_), Some(word @ ("all" | "once")), false) = (args.report_denied, first, explicit) {
        eprintln!(
            "go-jail: warning: running a command named '{word}': --report-denied takes its mode with '=' (--report-denied={word}); put `--` before COMMAND to silence this"
        );
    }
}

/// The `PATH` COMMAND is looked up in: the environment's, else `/bin:/usr/bin`.
fn search_path(env: &[OsString]) -> OsString {
    use std::os::unix::ffi::OsStrExt as _;
    let path = env.iter().find_map(|e| {
        e.as_bytes()
            .strip_prefix(b"PATH=")
            .map(|p| OsString::from(OsStr::from_bytes(p)))
    });
    path.unwrap_or_else(|| "/bin:/usr/bin".into())
}

/// `--cwd DIR` made absolute (from go-jail's own working directory).
fn absolute_cwd(dir: &std::path::Path) -> Result<PathBuf, Failure> {
    std::path::absolute(dir).map_err(|e| {
        Failure::input(format!(
            "--cwd '{}': {}",
            dir.display(),
            crate::fail::io_error(&e)
        ))
    })
}

/// The fds to pass: `--keep-fd` ones and `3..3+N` from `--preserve-fds`,
/// each below `fs.nr_open`, the most fds a process can have (fs/file.c).
fn kept_fds(args: &RunArgs) -> Result<Vec<i32>, Failure> {
    let nr_open: u32 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 20);
    if let Some(fd) = args.keep_fd.iter().find(|&&fd| fd >= nr_open) {
        return Err(Failure::input(format!(
            "--keep-fd {fd}: no process can have that fd (fs.nr_open is {nr_open})"
        )));
    }
    if args.preserve_fds > nr_open - 3 {
        return Err(Failure::input(format!(
            "--preserve-fds {}: more fds than a process can have (fs.nr_open is {nr_open})",
            args.preserve_fds
        )));
    }
    let mut fds: Vec<i32> = args.keep_fd.iter().map(|&f| f as i32).collect();
    fds.extend((0..args.preserve_fds).map(|i| 3 + i as i32));
    Ok(fds)
}
