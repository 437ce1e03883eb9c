//! Building the seccomp filter from the policy options: resolve names,
//! print warnings, compile.

use bpf_asm::Program;
use policy::{CompileOptions, Mode, Policy, PolicySpec, Rule, SyscallWeights};

use crate::args::PolicyArgs;
use crate::fail::Failure;
use crate::policy_args;

/// A compiled filter and what it was compiled from.
pub struct Compiled {
    pub policy: Policy,
    pub program: Program,
    /// `--profile-weights`, or `None` for the shipped profile.
    pub profile: Option<SyscallWeights>,
}

/// The syscall weights of `--profile-weights FILE`; `None` means the
/// shipped one (`policy::compile` falls back to it by itself).
pub fn profile(
    args: &PolicyArgs,
    spec: &PolicySpec,
    quiet: bool,
) -> Result<Option<SyscallWeights>, Failure> {
    let Some(path) = &args.profile_weights else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::input(format!("{}: {}", path.display(), crate::fail::io_error(&e)))
    })?;
    let arch = spec
        .arches
        .first()
        .copied()
        .unwrap_or(bpf_asm::Arch::native());
    let profile = SyscallWeights::parse(&text, arch)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    if !quiet {
        for w in profile.warnings() {
            eprintln!("go-jail: warning: {}: {w}", path.display());
        }
    }
    Ok(Some(profile))
}

/// Resolves and compiles `spec`, printing its warnings unless `quiet`.
pub fn compile(spec: PolicySpec, args: &PolicyArgs, quiet: bool) -> Result<Compiled, Failure> {
    let (policy, profile) = resolve(spec, args, quiet)?;
    let opts = CompileOptions {
        weights: profile.clone(),
        ..CompileOptions::default()
    };
    let program = policy::compile(&policy, &opts).map_err(|e| Failure::input(e.to_string()))?;
    Ok(Compiled {
        policy,
        program,
        profile,
    })
}

/// Resolves `spec`, prints its warnings and lints unless `quiet`, and reads
/// `--profile-weights`: everything [`compile`] does before lowering.
pub fn resolve(
    spec: PolicySpec,
    args: &PolicyArgs,
    quiet: bool,
) -> Result<(Policy, Option<SyscallWeights>), Failure> {
    let (policy, warnings) = policy::resolve(&spec).map_err(|e| Failure::input(e.to_string()))?;
    if !quiet {
        for w in &warnings {
            if crate::cmd_groups::is_group_noise(w, args) {
                continue;
            }
            eprintln!("go-jail: warning: {w}");
        }
        // the lint reads syscall lists; a profile's allows are rules
        if !is_profile(args) {
            for w in policy::lint::lint(&spec) {
                eprintln!("go-jail: warning: {w}");
            }
        }
    }
    let profile = profile(args, &spec, quiet)?;
    Ok((policy, profile))
}

/// The filter of the run mode: the user's policy (if any) plus the TTY
/// guard (unless `allow_tty_injection`), after the checks that would make
/// COMMAND unable to start.
pub fn for_run(
    args: &PolicyArgs,
    tty_guard: bool,
    quiet: bool,
) -> Result<Option<Program>, Failure> {
    match spec_for_run(args, &run_guards(tty_guard))? {
        Some(spec) => Ok(Some(compile(spec, args, quiet)?.program)),
        None => Ok(None),
    }
}

/// The guards the run mode adds to the policy (`policy::guards`): the
/// parent guard (no `prlimit64` on another process, so the command cannot
/// lower go-jail's limits), and the TTY guard unless
/// `--allow-tty-injection`. (A supervisor adds the listener guard;
/// `--no-userns` is a policy option: [`policy_args::spec`] adds its guard.)
pub fn run_guards(tty_guard: bool) -> Vec<Rule> {
    let mut guards = policy::parent_guard_rules();
    if tty_guard {
        guards.extend(policy::tty_guard_rules());
    }
    guards
}

/// Every guard in the spec of a run with `guards` (see [`run_guards`]):
/// the rules a supervisor must leave to the kernel
/// (`policy::notify_denials`).
pub fn enforced(args: &PolicyArgs, guards: &[Rule]) -> Vec<Rule> {
    let mut all = guards.to_vec();
    all.extend(crate::policy_args::policy_guards(args));
    all
}

/// The spec [`for_run`] compiles, with `guards` (also used by
/// `--report-denied`, which needs the resolved policy itself).
pub fn spec_for_run(args: &PolicyArgs, guards: &[Rule]) -> Result<Option<PolicySpec>, Failure> {
    spec_for(args, guards, true)
}

/// The spec of `--complain`: as [`spec_for_run`] without the check that
/// COMMAND can start, since complain mode enforces nothing and is meant to
/// find what a list lacks, `execve` and the loader's calls included.
pub fn spec_for_complain(
    args: &PolicyArgs,
    guards: &[Rule],
) -> Result<Option<PolicySpec>, Failure> {
    spec_for(args, guards, false)
}

fn spec_for(
    args: &PolicyArgs,
    guards: &[Rule],
    startable: bool,
) -> Result<Option<PolicySpec>, Failure> {
    let spec = match policy_args::spec(args)? {
        Some(spec) => spec,
        None if !guards.is_empty() => policy_args::empty_deny_list(args)?,
        None => return Ok(None),
    };
    if startable {
        check_startable(&spec)?;
    }
    let mut spec = spec;
    // Conditional guards first: conditional rules are tried in order, so a
    // profile's own conditional ALLOW of ioctl must not answer TIOCSTI first.
    policy::add_guards(&mut spec, guards);
    Ok(Some(spec))
}

/// True when the filter comes from a seccomp profile (`--seccomp-profile`,
/// `--oci-config`) rather than from syscall lists.
pub fn is_profile(args: &PolicyArgs) -> bool {
    args.syscall_allow.is_none()
        && args.syscall_deny.is_none()
        && (args.seccomp_profile.is_some() || args.oci_config.is_some())
}

/// Refuses lists that make COMMAND impossible to execute (docs/threats.md B14).
fn check_startable(spec: &PolicySpec) -> Result<(), Failure> {
    // a name, or an unconditional ALLOW rule (how a seccomp profile allows)
    let listed = |n: &str| {
        spec.names.iter().any(|x| x == n)
            || spec.rules.iter().any(|r| {
                r.name == n && r.conditions.is_empty() && r.action == policy::Action::Allow
            })
    };
    match spec.mode {
        Mode::AllowList
            if spec.deny_action != policy::Action::Allow
                && !listed("execve")
                && !listed("execveat") =>
        {
            Err(Failure::input(
                "the allow-list lacks execve: COMMAND could not be executed (add execve)".into(),
            ))
        }
        Mode::DenyList if listed("execve") => Err(Failure::input(
            "the deny-list contains execve: COMMAND could not be executed".into(),
        )),
        _ => Ok(()),
    }
}
