//! From the policy options (`-syscall-allow`, `-syscall-deny`, `--errno`,
//! `--arch`, `--profile-weights`) to a `policy::PolicySpec` and compile options.

use policy::{Action, Mode, PolicySpec};

use crate::arches;
use crate::args::PolicyArgs;
use crate::fail::Failure;

/// Splits a comma-separated syscall list; empty items are errors (`read,,write`).
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

/// As [`spec`], with the notes on how a seccomp profile was read (for `--dump`).
pub fn spec_with_notes(args: &PolicyArgs) -> Result<Option<(PolicySpec, Vec<String>)>, Failure> {
    if args.syscall_allow.is_none() && args.syscall_deny.is_none() {
        let Some((spec, notes)) = crate::oci::profile_spec(args)? else {
            return Ok(with_userns_guard(args, None)?.map(|spec| (spec, Vec::new())));
        };
        return Ok(with_userns_guard(args, Some(spec))?.map(|spec| (spec, notes)));
    }
    Ok(spec(args)?.map(|spec| (spec, Vec::new())))
}

/// The policy the options describe (with `--no-userns`'s guard), or `None`
/// when they ask for no syscall filter.
pub fn spec(args: &PolicyArgs) -> Result<Option<PolicySpec>, Failure> {
    with_userns_guard(args, lists_or_profile(args)?)
}

/// A deny-list of nothing for `--arch`'s arches: the base of a filter
/// that holds only guards.
pub fn empty_deny_list(args: &PolicyArgs) -> Result<PolicySpec, Failure> {
    Ok(PolicySpec {
        mode: Mode::DenyList,
        arches: match &args.arch {
            Some(list) => arches::parse_arches(list)?,
            None => PolicySpec::default().arches,
        },
        ..PolicySpec::default()
    })
}

/// `spec` with the guards of `--no-userns`, `--no-net` and `--no-unix`
/// when asked for (alone, they are a filter of their own).
fn with_userns_guard(
    args: &PolicyArgs,
    spec: Option<PolicySpec>,
) -> Result<Option<PolicySpec>, Failure> {
    let guards = policy_guards(args);
    if guards.is_empty() {
        return Ok(spec);
    }
    let mut spec = match spec {
        Some(spec) => spec,
        None => empty_deny_list(args)?,
    };
    policy::add_guards(&mut spec, &guards);
    Ok(Some(spec))
}

/// The guards the policy options ask for: `--no-userns`, `--no-net`, `--no-unix`.
pub fn policy_guards(args: &PolicyArgs) -> Vec<policy::Rule> {
    let mut guards = Vec::new();
    if args.no_userns {
        guards.extend(policy::userns_guard_rules());
    }
    guards.extend(policy::network_guard_rules(args.no_net, args.no_unix));
    guards
}

/// The syscall lists, a seccomp profile, or `None`.
fn lists_or_profile(args: &PolicyArgs) -> Result<Option<PolicySpec>, Failure> {
    let (mode, names) = match (&args.syscall_allow, &args.syscall_deny) {
        (Some(_), Some(_)) => {
            return Err(Failure::input(
                "cannot specify both -syscall-allow and -syscall-deny".into(),
            ))
        }
        (Some(list), None) => (Mode::AllowList, split_list("-syscall-allow", list)?),
        (None, Some(list)) if list.trim().is_empty() => {
            return Err(Failure::input(
                "-syscall-deny is empty: name the syscalls to deny (-syscall-deny=ptrace), or leave the option out".into(),
            ))
        }
        (None, Some(list)) => (Mode::DenyList, split_list("-syscall-deny", list)?),
        // a seccomp profile (--seccomp-profile, --oci-config), or no filter
        (None, None) => return Ok(crate::oci::profile_spec(args)?.map(|(spec, _)| spec)),
    };
    let mut spec = PolicySpec {
        mode,
        names,
        ..PolicySpec::default()
    };
    if let Some(e) = &args.errno {
        spec.deny_action = Action::Errno(crate::errno::parse(e).map_err(Failure::input)?);
    }
    if let Some(list) = &args.arch {
        spec.arches = arches::parse_arches(list)?;
    }
    // `@group` and `-name` items become plain names for the target arches.
    spec.names = crate::cmd_groups::expand(&spec.names, &spec.arches)?;
    Ok(Some(spec))
}
