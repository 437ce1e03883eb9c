//! The policy input: what the policy options say, read once into a typed
//! value. `-syscall-allow`/`-syscall-deny` (groups expanded), `--errno`,
//! `--arch` (parsed here and nowhere else), `--profile-weights`,
//! `--seccomp-profile` or `--oci-config`'s `linux.seccomp`, and the guards
//! `--no-userns`, `--no-net`, `--no-unix`. [`build`] makes the
//! `policy::PolicySpec` of each mode from it and compiles it.

mod build;

use std::path::PathBuf;

use bpf_asm::Arch;
use policy::{Action, Mode, PolicySpec};

use crate::args::PolicyArgs;
use crate::fail::Failure;
use crate::oci::LoadedConfig;
use crate::{arches, profile_json};

pub use build::{run_guards, Compiled};

/// The policy options, parsed and checked (see the module docs).
#[derive(Debug, Clone)]
pub struct PolicyInput {
    source: Source,
    /// `--arch`; `None`: the spec's default (the native arch, or a
    /// profile's own).
    arches: Option<Vec<Arch>>,
    /// `--profile-weights FILE`.
    weights: Option<PathBuf>,
    guards: GuardOptions,
}

/// Where the syscall policy comes from.
#[derive(Debug, Clone)]
enum Source {
    /// No syscall policy (guards may still make a filter).
    None,
    /// `-syscall-allow` or `-syscall-deny`: the spec with groups expanded,
    /// and the items as written (a warning about a name a group brought in
    /// is noise).
    List {
        spec: PolicySpec,
        items: Vec<String>,
    },
    /// A seccomp profile, with its notes for `--dump`.
    Profile {
        spec: PolicySpec,
        notes: Vec<String>,
    },
}

/// The guard options that hold in every mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardOptions {
    /// `--no-userns`.
    pub no_userns: bool,
    /// `--no-net`.
    pub no_net: bool,
    /// `--no-unix`.
    pub no_unix: bool,
}

impl PolicyInput {
    /// Reads the policy options. `config` is `--oci-config` when the
    /// caller read it already (the run mode reads it once for everything);
    /// otherwise it is read here. `caps` is the bounding set the jail
    /// grants, which a profile's `includes`/`excludes` see (`None`: the
    /// config's bounding set, or none).
    pub fn new(
        args: &PolicyArgs,
        config: Option<&LoadedConfig>,
        caps: Option<u64>,
    ) -> Result<PolicyInput, Failure> {
        let arches = PolicyInput::arches_of(args)?;
        let source = match (&args.syscall_allow, &args.syscall_deny) {
            (Some(_), Some(_)) => {
                return Err(Failure::input(
                    "cannot specify both -syscall-allow and -syscall-deny".into(),
                ))
            }
            (Some(list), None) => list_source(args, Mode::AllowList, "-syscall-allow", list, &arches)?,
            (None, Some(list)) if list.trim().is_empty() => {
                return Err(Failure::input(
                    "-syscall-deny is empty: name the syscalls to deny (-syscall-deny=ptrace), or leave the option out".into(),
                ))
            }
            (None, Some(list)) => list_source(args, Mode::DenyList, "-syscall-deny", list, &arches)?,
            (None, None) => {
                let read;
                let config = match (config, &args.oci_config) {
                    (Some(c), _) => Some(c),
                    (None, Some(path)) => {
                        read = LoadedConfig::read(path)?;
                        Some(&read)
                    }
                    (None, None) => None,
                };
                profile_source(args, config, caps, &arches)?
            }
        };
        Ok(PolicyInput {
            source,
            arches,
            weights: args.profile_weights.clone(),
            guards: GuardOptions {
                no_userns: args.no_userns,
                no_net: args.no_net,
                no_unix: args.no_unix,
            },
        })
    }

    /// `--arch` of `args`, parsed (the one place an arch list is), without
    /// reading the rest of the policy options (`explain --bpf` has only it).
    pub fn arches_of(args: &PolicyArgs) -> Result<Option<Vec<Arch>>, Failure> {
        args.arch.as_deref().map(arches::parse_arches).transpose()
    }

    /// `--arch`, when given.
    pub fn arches(&self) -> Option<&[Arch]> {
        self.arches.as_deref()
    }

    /// The guard options.
    pub fn guard_options(&self) -> GuardOptions {
        self.guards
    }

    /// Whether the policy is a seccomp profile (not syscall lists).
    pub fn is_profile(&self) -> bool {
        matches!(self.source, Source::Profile { .. })
    }

    /// Whether the options give a syscall policy at all (lists or a profile).
    pub fn has_policy(&self) -> bool {
        !matches!(self.source, Source::None)
    }
}

/// Splits a syscall list at commas; an empty item is an error naming its
/// position.
pub fn split_list(flag: &str, list: &str) -> Result<Vec<String>, Failure> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .enumerate()
        .map(|(i, item)| {
            let item = item.trim();
            if item.is_empty() {
                Err(Failure::input(format!(
                    "empty syscall name at position {} in {flag}='{list}'",
                    i + 1
                )))
            } else {
                Ok(item.to_owned())
            }
        })
        .collect()
}

/// `-syscall-allow`/`-syscall-deny` with `--errno` and `--arch`; `@group`
/// and `-name` items become plain names for the target arches.
fn list_source(
    args: &PolicyArgs,
    mode: Mode,
    flag: &str,
    list: &str,
    arches: &Option<Vec<Arch>>,
) -> Result<Source, Failure> {
    let items = split_list(flag, list)?;
    let mut spec = PolicySpec {
        mode,
        ..PolicySpec::default()
    };
    if let Some(e) = &args.errno {
        spec.deny_action = Action::Errno(crate::errno::parse(e).map_err(Failure::input)?);
    }
    if let Some(arches) = arches {
        spec.arches = arches.clone();
    }
    spec.names = crate::cmd_groups::expand(&items, &spec.arches)?;
    Ok(Source::List { spec, items })
}

/// The spec of `--seccomp-profile` or of `--oci-config`'s `linux.seccomp`,
/// with notes for `--dump`; [`Source::None`] when neither is given (or the
/// config has no `linux.seccomp`). `--arch` overrides the profile's arches.
fn profile_source(
    args: &PolicyArgs,
    config: Option<&LoadedConfig>,
    caps: Option<u64>,
    arches: &Option<Vec<Arch>>,
) -> Result<Source, Failure> {
    let caps = match (caps, config) {
        (Some(c), _) => c,
        (None, Some(config)) => config.bounding()?,
        (None, None) => 0,
    };
    let found = if let Some(path) = &args.seccomp_profile {
        Some(profile_json::load(path, caps)?)
    } else if let Some(config) = config {
        config.seccomp_spec(caps)?
    } else {
        None
    };
    let Some((mut spec, notes)) = found else {
        return Ok(Source::None);
    };
    if let Some(arches) = arches {
        spec.arches = arches.clone();
    }
    Ok(Source::Profile { spec, notes })
}
