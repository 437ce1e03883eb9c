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
    let mut jailed = runner::reaper::Jailed::spawn(&plan, args.keep_orphans).map_err(lifetime)?;
    runner::reaper::confine_parent(PARENT_CAPS, &jailed.fds());
    jailed.start().map_err(lifetime)?;
    Ok(jailed.wait().map_err(lifetime)?.shell_status())
}

/// What go-jail keeps as the command's parent: `CAP_KILL`, to forward
/// signals to a command running as another user and to kill what it left
/// behind. It keeps uid 0 (when it has it) so that such a command cannot
/// signal or ptrace it; a parent without `CAP_KILL` (an unprivileged caller)
/// runs the command as its own uid and needs none.
pub(crate) const PARENT_CAPS: u64 = 1 << 5;

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
    build(plan_builder(args, notify)?)
}

/// Validates a builder from [`plan_builder`] (e.g. after `--pty` set its terminal).
pub(crate) fn build(builder: PlanBuilder) -> Result<runner::Plan, Failure> {
    builder.build().map_err(|e| Failure::input(e.to_string()))
}

/// Everything of [`prepare`] but the validation.
pub(crate) fn plan_builder(
    args: &RunArgs,
    notify: Option<&bpf_asm::Program>,
) -> Result<PlanBuilder, Failure> {
    runner::check_invoker(false).map_err(|r| Failure::input(r.to_string()))?;
    if args.command.is_empty() {
        return Err(Failure::input(
            "no COMMAND given (usage: go-jail [OPTIONS] [--] COMMAND [ARG]...)".into(),
        ));
    }
    let target = target_identity(args)?;
    refuse_root(args, &target)?;
    let (keep, ambient) = capabilities(args, &target)?;

    check_native_arch(args)?;
    if !args.quiet {
        warn_mode_as_command(args);
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
        .keep_fds(kept_fds(args)?)
        .new_session(has_terminal())
        .report_prefix("go-jail: ")
        .command(args.command.iter().cloned());
    if !args.quiet {
        builder = builder.cwd_fallback_warning("go-jail: warning: ");
    }
    for &(resource, soft, hard) in &args.rlimits {
        builder = builder.rlimit(resource, soft, hard);
    }
    // Without --cwd, the runner's default: go-jail's working directory, read
    // now, entered again by path as the target, `/` if it cannot reach it.
    if let Some(dir) = &args.cwd {
        builder = builder.cwd(absolute_cwd(dir)?);
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
    let path = search_path(&env);
    // --complain enforces no Landlock rule: its supervisor reports them
    if let Some(ruleset) = landlock_ruleset(args, &path)?.filter(|_| !args.complain) {
        builder = builder.landlock(std::sync::Arc::new(ruleset));
    }
    Ok(builder.search_path(path).env(env))
}

/// The `PATH` COMMAND is looked up in: the environment's, else `/bin:/usr/bin`.
fn search_path(env: &[OsString]) -> OsString {
    let path = env.iter().find_map(|e| {
        e.as_bytes()
            .strip_prefix(b"PATH=")
            .map(|p| OsString::from(std::ffi::OsStr::from_bytes(p)))
    });
    path.unwrap_or_else(|| "/bin:/usr/bin".into())
}

/// The Landlock rules the options resolve to for COMMAND (the run's
/// [`plan_builder`] resolves the same, and says what it skipped).
pub(crate) fn landlock_rules(args: &RunArgs) -> Result<crate::landlock::Rules, Failure> {
    let target = target_identity(args)?;
    let env = environment(args, &target)?;
    rules_for(args, &search_path(&env))
}

fn rules_for(
    args: &RunArgs,
    search_path: &std::ffi::OsStr,
) -> Result<crate::landlock::Rules, Failure> {
    let files = crate::landlock::command_files(&args.command[0], search_path, args.cwd.as_deref());
    crate::landlock::resolve(
        &args.landlock,
        args.policy.no_net,
        args.policy.no_unix,
        &files,
    )
}

/// The Landlock ruleset of the options, with rules added (before `fork`);
/// prints one line per restriction `--landlock-best-effort` skipped.
fn landlock_ruleset(
    args: &RunArgs,
    search_path: &std::ffi::OsStr,
) -> Result<Option<runner::landlock::Ruleset>, Failure> {
    let rules = rules_for(args, search_path)?;
    for s in &rules.skipped {
        eprintln!("go-jail: landlock: not enforced: {s}");
    }
    if args.verbose {
        for line in rules.describe() {
            eprintln!("go-jail: {line}");
        }
    }
    rules.ruleset()
}

/// `--cwd DIR` made absolute (from go-jail's own working directory).
fn absolute_cwd(dir: &std::path::Path) -> Result<std::path::PathBuf, Failure> {
    std::path::absolute(dir).map_err(|e| {
        Failure::input(format!(
            "--cwd '{}': {}",
            dir.display(),
            crate::fail::io_error(&e)
        ))
    })
}

/// The bounding set kept and the ambient set raised, after checking that
/// go-jail holds them; root-equivalent ones are named in warnings.
fn capabilities(args: &RunArgs, target: &identity::Target) -> Result<(u64, u64), Failure> {
    let keep = granted_caps(args)?;
    let ambient = ambient_caps(args, target, keep)?;
    if !args.quiet {
        let warnings = if target.uid == 0 {
            caps::root_equivalent_warnings(keep, "effective")
        } else {
            caps::root_equivalent_warnings(ambient, "ambient")
        };
        for w in warnings {
            eprintln!("go-jail: warning: {w}");
        }
    }
    let held = caller_caps()?;
    if keep & !held != 0 {
        return Err(Failure::input(format!(
            "cannot keep {}: go-jail itself does not hold it (not in its bounding and permitted sets)",
            caps::names(keep & !held)
        )));
    }
    Ok((keep, ambient))
}

/// Refuses an `--arch` list without the native ABI: the filter would kill
/// go-jail's own `execve` (SIGSYS, exit 159) before COMMAND starts.
fn check_native_arch(args: &RunArgs) -> Result<(), Failure> {
    let Some(list) = &args.policy.arch else {
        return Ok(());
    };
    let native = bpf_asm::Arch::native();
    if crate::arches::parse_arches(list)?.contains(&native) {
        return Ok(());
    }
    Err(Failure::input(format!(
        "--arch {list} leaves out {0}, the ABI go-jail and COMMAND start in: the filter would kill go-jail's own execve (give --arch {0},{list})",
        native.name()
    )))
}

/// `--report-denied all` runs a command named `all`: the mode takes `=`.
/// Not said when a `--` marks COMMAND explicitly.
fn warn_mode_as_command(args: &RunArgs) {
    let first = args.command.first().and_then(|c| c.to_str());
    let explicit = std::env::args_os().any(|a| a == "--");
    if let (Some(_), Some(word @ ("all" | "once")), false) = (args.report_denied, first, explicit) {
        eprintln!(
            "go-jail: warning: running a command named '{word}': --report-denied takes its mode with '=' (--report-denied={word}); put `--` before COMMAND to silence this"
        );
    }
}

/// Refuses a target holding a root identity (uid 0, gid 0, or group 0
/// among the supplementary groups) without `--allow-root`: root owns
/// root's files, and the root group many more (docs/threats.md S36).
fn refuse_root(args: &RunArgs, target: &identity::Target) -> Result<(), Failure> {
    if args.allow_root {
        return Ok(());
    }
    let mut root = Vec::new();
    if target.uid == 0 {
        root.push(match &args.user {
            Some(u) => format!("uid 0 (-user {u})"),
            None => "uid 0 (no -user given: your own)".to_owned(),
        });
    }
    if target.gid == 0 {
        root.push(match (&args.group, &args.user) {
            (Some(g), _) => format!("gid 0 (-group {g})"),
            (None, Some(u)) => format!("gid 0 (the primary group of -user {u})"),
            (None, None) => "gid 0 (no -group given: your own)".to_owned(),
        });
    }
    if target.groups.contains(&0) {
        root.push(format!(
            "group 0 in --groups {}",
            args.groups.as_deref().unwrap_or("")
        ));
    }
    if root.is_empty() {
        return Ok(());
    }
    Err(Failure::input(format!(
        "refusing a root target: {}: root owns root's files even without capabilities (give -user nobody, or --allow-root)",
        root.join(", ")
    )))
}

/// `--ambient-caps`, a subset of `-caps`. For a uid 0 target they add
/// nothing (its kept caps are permitted and effective already): a note,
/// and none are raised.
fn ambient_caps(args: &RunArgs, target: &identity::Target, keep: u64) -> Result<u64, Failure> {
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
    if ambient != 0 && target.uid == 0 {
        if !args.quiet {
            eprintln!(
                "go-jail: note: ambient caps {} add nothing for a uid 0 target, whose -caps are effective already: not raised",
                caps::names(ambient)
            );
        }
        return Ok(0);
    }
    Ok(ambient)
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

/// The capabilities go-jail can hand on: in both its bounding and permitted sets.
fn caller_caps() -> Result<u64, Failure> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| Failure::input(format!("/proc/self/status: {}", crate::fail::io_error(&e))))?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    Ok(field("CapBnd:") & field("CapPrm:"))
}

/// Variables a target of another uid still gets from the caller: the
/// terminal type, the locale and the time zone (as su(1) keeps TERM).
fn carried_over(entry: &[u8]) -> bool {
    let name = entry.split(|&b| b == b'=').next().unwrap_or(entry);
    matches!(name, b"TERM" | b"LANG" | b"TZ") || name.starts_with(b"LC_")
}

/// The command's environment: the caller's when the target uid is the
/// caller's (or with `--keep-env`), else the `--reset-env` one plus
/// [`carried_over`] variables and `--keep-env=NAME,...`; then `--env` entries.
fn environment(args: &RunArgs, target: &identity::Target) -> Result<Vec<OsString>, Failure> {
    let keep_names: Vec<&str> = match args.keep_env.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list.split(',').map(str::trim).collect(),
    };
    if keep_names.iter().any(|n| n.is_empty() || n.contains('=')) {
        return Err(Failure::input(format!(
            "--keep-env='{}' is not a list of variable names",
            args.keep_env.as_deref().unwrap_or("")
        )));
    }
    let keep_all = args.keep_env.as_deref() == Some("");
    if keep_all && args.reset_env {
        return Err(Failure::input(
            "--keep-env (everything) and --reset-env contradict each other; name the variables to keep: --keep-env=NAME,...".into(),
        ));
    }
    let other_uid = target.uid != runner::process::getuid();
    let mut env: Vec<OsString> = if let Some(base) = &args.base_env {
        base.clone()
    } else if args.reset_env || (other_uid && !keep_all) {
        let kept = |e: &OsString| {
            let bytes = e.as_bytes();
            let named = keep_names.iter().any(|n| {
                bytes
                    .strip_prefix(n.as_bytes())
                    .is_some_and(|r| r.starts_with(b"="))
            });
            named || (!args.reset_env && carried_over(bytes))
        };
        let mut fresh = fresh_env(target);
        fresh.extend(runner::caller_env().into_iter().filter(kept));
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
        set_var(&mut env, key, entry);
    }
    Ok(env)
}

/// Replaces (or adds) `key` in `env` with `entry`.
fn set_var(env: &mut Vec<OsString>, key: &str, entry: &str) {
    let prefix = format!("{key}=");
    env.retain(|e| !e.as_bytes().starts_with(prefix.as_bytes()));
    env.push(entry.into());
}

/// `--reset-env`'s environment: a standard PATH, and HOME, SHELL, USER,
/// LOGNAME from the target's passwd entry when it has one.
fn fresh_env(target: &identity::Target) -> Vec<OsString> {
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
}
