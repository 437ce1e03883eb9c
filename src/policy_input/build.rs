//! From a [`PolicyInput`] to the spec of each mode, its resolved policy
//! (warnings printed) and the compiled filter.

use bpf_asm::Program;
use policy::{CompileOptions, Mode, Policy, PolicySpec, Rule, SyscallWeights, Warning};

use super::{PolicyInput, Source};
use crate::fail::Failure;

/// A compiled filter and what it was compiled from.
pub struct Compiled {
    /// The resolved policy the program implements.
    pub policy: Policy,
    /// The filter.
    pub program: Program,
    /// `--profile-weights`, or `None` for the shipped weights.
    pub weights: Option<SyscallWeights>,
}

impl PolicyInput {
    /// The spec of the options with the guards `--no-userns`/`--no-net`/
    /// `--no-unix` add, and a profile's notes for `--dump`; `None` when
    /// the options give no filter at all.
    pub fn spec_with_notes(&self) -> Option<(PolicySpec, Vec<String>)> {
        let (base, notes) = match &self.source {
            Source::None => (None, Vec::new()),
            Source::List { spec, .. } => (Some(spec.clone()), Vec::new()),
            Source::Profile { spec, notes } => (Some(spec.clone()), notes.clone()),
        };
        let guards = self.policy_guards();
        if guards.is_empty() {
            return base.map(|spec| (spec, notes));
        }
        let mut spec = base.unwrap_or_else(|| self.empty_deny_list());
        policy::add_guards(&mut spec, &guards);
        Some((spec, notes))
    }

    /// [`PolicyInput::spec_with_notes`] without the notes.
    pub fn spec(&self) -> Option<PolicySpec> {
        self.spec_with_notes().map(|(spec, _)| spec)
    }

    /// A deny-list of nothing for the target arches: the base a guard, or
    /// a supervisor's own calls, is added to when no policy is given.
    pub fn empty_deny_list(&self) -> PolicySpec {
        PolicySpec {
            mode: Mode::DenyList,
            arches: self
                .arches
                .clone()
                .unwrap_or_else(|| PolicySpec::default().arches),
            ..PolicySpec::default()
        }
    }

    /// The guards of the policy options: `--no-userns`, `--no-net`,
    /// `--no-unix`.
    pub fn policy_guards(&self) -> Vec<Rule> {
        let mut guards = Vec::new();
        if self.guards.no_userns {
            guards.extend(policy::userns_guard_rules());
        }
        guards.extend(policy::network_guard_rules(
            self.guards.no_net,
            self.guards.no_unix,
        ));
        guards
    }

    /// Every guard in the spec of a run with `guards` (see [`run_guards`]):
    /// the rules a supervisor must leave to the kernel
    /// (`policy::notify_denials`).
    pub fn enforced(&self, guards: &[Rule]) -> Vec<Rule> {
        let mut all = guards.to_vec();
        all.extend(self.policy_guards());
        all
    }

    /// The spec the run mode compiles, with `guards` (also used by
    /// `--report-denied`, which needs the resolved policy itself).
    pub fn spec_for_run(&self, guards: &[Rule]) -> Result<Option<PolicySpec>, Failure> {
        self.spec_for(guards, true)
    }

    /// The spec of `--complain`: as [`PolicyInput::spec_for_run`] without
    /// the check that COMMAND can start, since complain mode enforces
    /// nothing and is meant to find what a list lacks, `execve` and the
    /// loader's calls included.
    pub fn spec_for_complain(&self, guards: &[Rule]) -> Result<Option<PolicySpec>, Failure> {
        self.spec_for(guards, false)
    }

    fn spec_for(&self, guards: &[Rule], startable: bool) -> Result<Option<PolicySpec>, Failure> {
        let mut spec = match self.spec() {
            Some(spec) => spec,
            None if !guards.is_empty() => self.empty_deny_list(),
            None => return Ok(None),
        };
        if startable {
            check_startable(&spec)?;
        }
        // Conditional guards first: conditional rules are tried in order, so a
        // profile's own conditional ALLOW of ioctl must not answer TIOCSTI first.
        policy::add_guards(&mut spec, guards);
        Ok(Some(spec))
    }

    /// The filter of the run mode (exec'd): the policy with the run's
    /// guards ([`run_guards`]); `None` when there is nothing to filter.
    pub fn for_run(&self, tty_guard: bool, quiet: bool) -> Result<Option<Program>, Failure> {
        match self.spec_for_run(&run_guards(tty_guard))? {
            Some(spec) => Ok(Some(self.compile(spec, quiet)?.program)),
            None => Ok(None),
        }
    }

    /// Resolves and compiles `spec` (made from these options), printing
    /// the warnings unless `quiet`.
    pub fn compile(&self, spec: PolicySpec, quiet: bool) -> Result<Compiled, Failure> {
        let (policy, weights) = self.resolve(spec, quiet)?;
        let opts = CompileOptions {
            weights: weights.clone(),
            ..CompileOptions::default()
        };
        let program = policy::compile(&policy, &opts).map_err(|e| Failure::input(e.to_string()))?;
        Ok(Compiled {
            policy,
            program,
            weights,
        })
    }

    /// Resolves `spec` (made from these options) and reads the weights;
    /// prints the resolver's and the lint's warnings unless `quiet`.
    pub fn resolve(
        &self,
        spec: PolicySpec,
        quiet: bool,
    ) -> Result<(Policy, Option<SyscallWeights>), Failure> {
        let (policy, warnings) =
            policy::resolve(&spec).map_err(|e| Failure::input(e.to_string()))?;
        if !quiet {
            for w in warnings.iter().filter(|w| !self.is_group_noise(w)) {
                eprintln!("go-jail: warning: {w}");
            }
            // the lint reads syscall lists; a profile's allows are rules
            if !self.is_profile() {
                for w in policy::lint::lint(&spec) {
                    eprintln!("go-jail: warning: {w}");
                }
            }
        }
        let weights = self.weights(&spec, quiet)?;
        Ok((policy, weights))
    }

    /// A warning about a name the list did not name itself (a group
    /// brought it in) is noise: the group is meant for every arch.
    fn is_group_noise(&self, w: &Warning) -> bool {
        // A match, not a `let`: other warning kinds may come.
        #[allow(unreachable_patterns)]
        let name = match w {
            Warning::NotOnArch { name, .. } => name,
            _ => return false,
        };
        let items: &[String] = match &self.source {
            Source::List { items, .. } => items,
            _ => &[],
        };
        !items.iter().any(|item| item == name)
    }

    /// The syscall weights of `--profile-weights FILE`; `None` means the
    /// shipped ones (`policy::compile` falls back to them by itself).
    fn weights(&self, spec: &PolicySpec, quiet: bool) -> Result<Option<SyscallWeights>, Failure> {
        let Some(path) = &self.weights else {
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
        let weights = SyscallWeights::parse(&text, arch)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        if !quiet {
            for w in weights.warnings() {
                eprintln!("go-jail: warning: {}: {w}", path.display());
            }
        }
        Ok(Some(weights))
    }
}

/// The guards the run mode adds to the policy (`policy::guards`): the
/// parent guard (no `prlimit64` on another process, so the command cannot
/// lower go-jail's limits), and the TTY guard unless
/// `--allow-tty-injection`. (A supervisor adds the listener guard;
/// `--no-userns` is a policy option: [`PolicyInput::policy_guards`].)
pub fn run_guards(tty_guard: bool) -> Vec<Rule> {
    let mut guards = policy::parent_guard_rules();
    if tty_guard {
        guards.extend(policy::tty_guard_rules());
    }
    guards
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
