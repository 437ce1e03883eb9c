//! The run mode: a resolved [`RunConfig`] becomes a `runner::Plan`, which
//! the runner applies: it drops privileges, loads the filter and execs.

use runner::{FdMode, PlanBuilder, SockFilter};

use crate::fail::Failure;
use crate::run_config::RunConfig;

/// Runs COMMAND as a child and waits for it (`runner::reaper`); returns
/// its shell status, or the failure of a step (exit 125).
pub fn run(config: &RunConfig) -> Result<i32, Failure> {
    let plan = prepare(config, None)?;
    let lifetime = |e: runner::reaper::LifetimeError| Failure::input(e.to_string());
    let mut jailed = runner::reaper::Jailed::spawn(&plan, config.keep_orphans).map_err(lifetime)?;
    let mut keep = jailed.fds();
    keep.extend(plan.fds());
    runner::reaper::confine_parent(PARENT_CAPS, &keep);
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
    config: &RunConfig,
    notify: Option<&bpf_asm::Program>,
) -> Result<runner::Plan, Failure> {
    build(plan_builder(config, notify)?)
}

/// Validates a builder from [`plan_builder`] (e.g. after `--pty` set its terminal).
pub(crate) fn build(builder: PlanBuilder) -> Result<runner::Plan, Failure> {
    builder.build().map_err(|e| Failure::input(e.to_string()))
}

/// Everything of [`prepare`] but the validation.
pub(crate) fn plan_builder(
    config: &RunConfig,
    notify: Option<&bpf_asm::Program>,
) -> Result<PlanBuilder, Failure> {
    let compiled;
    let filter = match notify {
        Some(program) => Some(program),
        None => {
            compiled = (config.policy).for_run(!config.allow_tty_injection, config.quiet)?;
            compiled.as_ref()
        }
    };
    let (target, exec) = (&config.target, &config.exec);
    let mut builder = PlanBuilder::new(target.uid, target.gid)
        .groups(target.groups.iter().copied())
        .bounding_keep(config.caps.bounding)
        .ambient(config.caps.ambient)
        .fd_mode(FdMode::CloseOnExec)
        .keep_fds(exec.keep_fds.clone())
        .new_session(has_terminal())
        .report_prefix("go-jail: ")
        .command(exec.command.iter().cloned());
    if !config.quiet {
        builder = builder.cwd_fallback_warning("go-jail: warning: ");
    }
    for &(resource, soft, hard) in &exec.rlimits {
        builder = builder.rlimit(resource, soft, hard);
    }
    // Without --cwd, the runner's default: go-jail's working directory, read
    // now, entered again by path as the target, `/` if it cannot reach it.
    if let Some(dir) = &exec.cwd {
        builder = builder.cwd(dir.clone());
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
    // --complain enforces no Landlock rule: its supervisor reports them
    if let Some(ruleset) = landlock_ruleset(config)?.filter(|_| !config.complain) {
        builder = builder.landlock(std::sync::Arc::new(ruleset));
    }
    Ok(builder
        .search_path(exec.search_path.clone())
        .env(exec.env.clone()))
}

/// The Landlock ruleset of the run, with rules added (before `fork`);
/// prints one line per restriction `--landlock-best-effort` skipped.
fn landlock_ruleset(config: &RunConfig) -> Result<Option<runner::landlock::Ruleset>, Failure> {
    let rules = &config.landlock;
    for s in &rules.skipped {
        eprintln!("go-jail: landlock: not enforced: {s}");
    }
    if config.verbose {
        for line in rules.describe() {
            eprintln!("go-jail: {line}");
        }
    }
    rules.ruleset()
}
