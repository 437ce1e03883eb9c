//! The run mode: resolve everything, then hand a `runner::Plan` to the
//! runner, which drops privileges, loads the filter and execs.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use runner::{FdMode, PlanBuilder, SockFilter};

use crate::args::{PolicyArgs, RunArgs};
use crate::caps;
use crate::fail::Failure;
use crate::filter;
use crate::identity;

/// The `PATH` of `--reset-env`, as login(1) and su(1) set it for non-root users.
const STANDARD_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

/// Runs COMMAND as a child and waits for it (`runner::reaper`); returns
/// its shell status, or the failure of a step (exit 125).
pub fn run(args: &RunArgs) -> Result<i32, Failure> {
    let plan = prepare(args, None)?;
    let lifetime = |e: runner::reaper::LifetimeError| Failure::input(e.to_string());
    let jailed = runner::reaper::Jailed::spawn(&plan, args.keep_orphans).map_err(lifetime)?;
    runner::reaper::confine_parent(PARENT_CAPS, &jailed.fds());
    Ok(jailed.wait().map_err(lifetime)?.shell_status())
}

/// What go-jail keeps as the command's parent: `CAP_KILL`, to forward
/// signals to a command running as another user and to kill what it left
/// behind. It keeps uid 0 (when it has it) so that such a command cannot
/// signal or ptrace it; a parent without `CAP_KILL` (an unprivileged caller)
/// runs the command as its own uid and needs none.
const PARENT_CAPS: u64 = 1 << 5;

/// Whether go-jail has a terminal the command could take over: a
/// controlling terminal (`/dev/tty` opens), or a terminal on fd 0, 1 or 2.
/// The command then starts in a new session (`runner::PlanBuilder::new_session`).
pub(crate) fn has_terminal() -> bool {
    use std::io::IsTerminal;
    let controlling = std::fs::OpenOptions::new()
        .read(true)
        .open("/dev/tty")
        .is_ok();
    controlling
        || std::io::stdin().is_terminal()
        || std::io::stdout().is_terminal()
        || std::io::stderr().is_terminal()
}

/// The plan of the run mode. With `notify`, that program is the filter
/// instead of the policy options' one, loaded in listener mode for a
/// supervisor (`crate::supervise`).
pub(crate) fn prepare(
    args: &RunArgs,
    notify: Option<&bpf_asm::Program>,
) -> Result<runner::Plan, Failure> {
    let changes_identity = args.user.is_some() || args.group.is_some() || args.groups.is_some();
    runner::check_invoker(false).map_err(|r| Failure::input(r.to_string()))?;
    if args.command.is_empty() {
        return Err(Failure::input(
            "no COMMAND given (usage: go-jail [OPTIONS] [--] COMMAND [ARG]...)".into(),
        ));
    }
    let target = target_identity(args)?;
    if target.uid == 0 && changes_identity && !args.allow_root {
        return Err(Failure::input(
            "refusing a uid 0 target: root owns root's files even without capabilities (use --allow-root)".into(),
        ));
    }

    let keep = granted_caps(args)?;
    let ambient = match &args.ambient_caps {
        Some(list) => caps::parse_list(list).map_err(|e| Failure::input(e.to_string()))?,
        None => 0,
    };
    if ambient & !keep != 0 {
        return Err(Failure::input(format!(
            "--ambient-caps {} not in -caps: ambient capabilities must be a subset of -caps",
            caps::names(ambient & !keep)
        )));
    }
    let held = caller_caps()?;
    if keep & !held != 0 {
        return Err(Failure::input(format!(
            "cannot keep {}: go-jail itself does not hold it (not in its bounding and permitted sets)",
            caps::names(keep & !held)
        )));
    }

    let compiled;
    let filter = match notify {
        Some(program) => Some(program),
        None => {
            compiled = filter::for_run(&policy_args(args)?, !args.allow_tty_injection, args.quiet)?;
            compiled.as_ref()
        }
    };

    let mut builder = PlanBuilder::new(target.uid, target.gid)
        .groups(target.groups.iter().copied())
        .bounding_keep(keep)
        .ambient(ambient)
        .fd_mode(FdMode::CloseOnExec)
        .keep_fds(kept_fds(args))
        .new_session(has_terminal())
        .report_prefix("go-jail: ")
        .command(args.command.iter().cloned());
    // Without --cwd, the runner's default: go-jail's working directory, read
    // now, entered again by path as the target, `/` if it cannot reach it.
    if let Some(dir) = &args.cwd {
        let dir = std::path::absolute(dir).map_err(|e| {
            Failure::input(format!(
                "--cwd '{}': {}",
                dir.display(),
                crate::names::io_error(&e)
            ))
        })?;
        builder = builder.cwd(dir);
    }
    if let Some(prog) = filter {
        let insns = (prog.insns.iter())
            .map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k))
            .collect();
        builder = builder.seccomp_filter(insns, 0);
        if notify.is_some() {
            builder = builder.notify_listener();
        }
    }
    let env = environment(args, &target)?;
    let path = env.iter().find_map(|e| {
        e.as_bytes()
            .strip_prefix(b"PATH=")
            .map(|p| OsString::from(std::ffi::OsStr::from_bytes(p)))
    });
    builder = builder
        .search_path(path.unwrap_or_else(|| "/bin:/usr/bin".into()))
        .env(env);
    builder.build().map_err(|e| Failure::input(e.to_string()))
}

/// Who the command runs as. Root (real and effective uid 0) may name
/// anyone. Any other caller runs the command as itself: without `--groups`
/// it keeps its supplementary groups (`setgroups` needs `CAP_SETGID`), and
/// `-user`/`-group`/`--groups` are accepted only when they name the caller's
/// own ids.
fn target_identity(args: &RunArgs) -> Result<identity::Target, Failure> {
    let input = |e: identity::IdentityError| Failure::input(e.to_string());
    let mut target = identity::resolve(
        args.user.as_deref(),
        args.group.as_deref(),
        args.groups.as_deref(),
    )
    .map_err(input)?;
    if runner::check_invoker(true).is_ok() {
        return Ok(target);
    }
    let caller = identity::Caller::current().map_err(input)?;
    if args.groups.is_none() {
        target.groups = caller.groups.clone();
    }
    match caller.change_to(&target) {
        None => Ok(target),
        Some(change) => Err(Failure::input(format!(
            "changing the user needs root (CAP_SETUID/CAP_SETGID): the target has {change}"
        ))),
    }
}

/// The capabilities granted: `-caps`, the bounding set that is kept.
fn granted_caps(args: &RunArgs) -> Result<u64, Failure> {
    caps::parse_list(args.caps.as_deref().unwrap_or("")).map_err(|e| Failure::input(e.to_string()))
}

/// The policy options of the run mode, exec'd or supervised: a seccomp
/// profile's includes/excludes see the bounding set granted (`-caps`).
pub(crate) fn policy_args(args: &RunArgs) -> Result<PolicyArgs, Failure> {
    let mut policy = args.policy.clone();
    if policy.profile_caps.is_none() {
        policy.profile_caps = Some(granted_caps(args)?);
    }
    Ok(policy)
}

/// The fds to pass: `--keep-fd` ones and `3..3+N` from `--preserve-fds`.
fn kept_fds(args: &RunArgs) -> Vec<i32> {
    let mut fds: Vec<i32> = args.keep_fd.iter().map(|&f| f as i32).collect();
    fds.extend((0..args.preserve_fds).map(|i| 3 + i as i32));
    fds
}

/// The capabilities go-jail can hand on: in both its bounding and permitted sets.
fn caller_caps() -> Result<u64, Failure> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| {
        Failure::input(format!("/proc/self/status: {}", crate::names::io_error(&e)))
    })?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    Ok(field("CapBnd:") & field("CapPrm:"))
}

/// The command's environment: the caller's, or a fresh one with `--reset-env`,
/// then `--env` entries.
fn environment(args: &RunArgs, target: &identity::Target) -> Result<Vec<OsString>, Failure> {
    let mut env: Vec<OsString> = if let Some(base) = &args.base_env {
        base.clone()
    } else if args.reset_env {
        let mut fresh = vec![OsString::from(format!("PATH={STANDARD_PATH}"))];
        if let Some(user) = &target.user {
            let mut home = OsString::from("HOME=");
            home.push(&user.dir);
            let mut shell = OsString::from("SHELL=");
            shell.push(&user.shell);
            fresh.push(home);
            fresh.push(shell);
            fresh.push(format!("USER={}", user.name).into());
            fresh.push(format!("LOGNAME={}", user.name).into());
        }
        fresh
    } else {
        runner::caller_env()
    };
    for entry in &args.env {
        let Some((key, _)) = entry.split_once('=') else {
            return Err(Failure::input(format!("--env '{entry}' is not KEY=VALUE")));
        };
        if key.is_empty() {
            return Err(Failure::input(format!("--env '{entry}' has an empty name")));
        }
        let prefix = format!("{key}=");
        env.retain(|e| !e.as_bytes().starts_with(prefix.as_bytes()));
        env.push(entry.into());
    }
    Ok(env)
}
