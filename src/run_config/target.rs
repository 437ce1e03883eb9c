//! Who COMMAND runs as and which capabilities it keeps.

use crate::args::RunArgs;
use crate::caps;
use crate::fail::Failure;
use crate::identity::{self, GroupsSpec, IdSpec, Target};
use crate::oci::RunDefaults;

/// The capabilities COMMAND keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapSet {
    /// The bounding set kept (`-caps`): also permitted and effective for a
    /// uid 0 target.
    pub bounding: u64,
    /// The ambient set raised for a non-root target (`--ambient-caps`).
    pub ambient: u64,
}

/// What was asked for: the command line's user, group and groups, or,
/// when it names no user, the config's `process.user`.
pub(super) struct Asked {
    user: Option<IdSpec>,
    group: Option<IdSpec>,
    groups: Option<GroupsSpec>,
}

pub(super) fn asked(args: &RunArgs, defaults: &RunDefaults) -> Asked {
    let written = |s: &Option<String>| s.clone().map(IdSpec::Written);
    let mut asked = Asked {
        user: written(&args.user),
        group: written(&args.group),
        groups: args.groups.as_deref().map(GroupsSpec::parse),
    };
    if let (None, Some(user)) = (&asked.user, &defaults.user) {
        asked.user = Some(IdSpec::Number(user.uid));
        asked.group.get_or_insert(IdSpec::Number(user.gid));
        asked.groups.get_or_insert_with(|| {
            let gids = user.additional_gids.iter().flatten();
            GroupsSpec::List(gids.map(|&g| IdSpec::Number(g)).collect())
        });
    }
    asked
}

/// How an id asked for is named in a message: the option that gave it,
/// or the config field.
fn named(flag: &str, field: &str, spec: &IdSpec) -> String {
    match spec {
        IdSpec::Written(text) => format!("{flag} {text}"),
        IdSpec::Number(n) => format!("--oci-config process.user.{field} {n}"),
    }
}

/// Who the command runs as. Root (real and effective uid 0) may name
/// anyone. Any other caller runs the command as itself: without `--groups`
/// it keeps its supplementary groups (`setgroups` needs `CAP_SETGID`), and
/// `-user`/`-group`/`--groups` are accepted only when they name the caller's
/// own ids.
pub(super) fn identity(asked: &Asked) -> Result<Target, Failure> {
    let input = |e: identity::IdentityError| Failure::input(e.to_string());
    let mut target = identity::resolve(
        asked.user.as_ref(),
        asked.group.as_ref(),
        asked.groups.as_ref(),
    )
    .map_err(input)?;
    if runner::check_invoker(true).is_ok() {
        return Ok(target);
    }
    let caller = identity::Caller::current().map_err(input)?;
    if asked.groups.is_none() {
        target.groups = caller.groups.clone();
    }
    match caller.change_to(&target) {
        None => Ok(target),
        Some(change) => Err(Failure::input(format!(
            "changing the user needs root (CAP_SETUID/CAP_SETGID): the target has {change}"
        ))),
    }
}

/// Refuses a target holding a root identity (uid 0, gid 0, or group 0
/// among the supplementary groups) without `--allow-root`: root owns
/// root's files, and the root group many more (docs/threats.md S36).
pub(super) fn refuse_root(args: &RunArgs, asked: &Asked, target: &Target) -> Result<(), Failure> {
    if args.allow_root {
        return Ok(());
    }
    let mut root = Vec::new();
    if target.uid == 0 {
        root.push(match &asked.user {
            Some(u) => format!("uid 0 ({})", named("-user", "uid", u)),
            None => "uid 0 (no -user given: your own)".to_owned(),
        });
    }
    if target.gid == 0 {
        root.push(match (&asked.group, &asked.user) {
            (Some(g), _) => format!("gid 0 ({})", named("-group", "gid", g)),
            (None, Some(u)) => format!("gid 0 (the primary group of {})", named("-user", "uid", u)),
            (None, None) => "gid 0 (no -group given: your own)".to_owned(),
        });
    }
    if target.groups.contains(&0) {
        root.push(match &args.groups {
            Some(list) => format!("group 0 in --groups {list}"),
            None => "group 0 in --oci-config process.user.additionalGids".to_owned(),
        });
    }
    if root.is_empty() {
        return Ok(());
    }
    Err(Failure::input(format!(
        "refusing a root target: {}: root owns root's files even without capabilities (give -user nobody, or --allow-root)",
        root.join(", ")
    )))
}

/// The bounding set kept and the ambient set raised, after checking that
/// go-jail holds them; root-equivalent ones are named in warnings.
pub(super) fn capabilities(
    args: &RunArgs,
    defaults: &RunDefaults,
    target: &Target,
) -> Result<CapSet, Failure> {
    let parse = |list: &str| caps::parse_list(list).map_err(|e| Failure::input(e.to_string()));
    let bounding = match (&args.caps, defaults.bounding) {
        (Some(list), _) => parse(list)?,
        (None, Some(mask)) => mask,
        (None, None) => 0,
    };
    let ambient = match (&args.ambient_caps, defaults.ambient) {
        (Some(list), _) => parse(list)?,
        (None, Some(mask)) => mask,
        (None, None) => 0,
    };
    let ambient = ambient_caps(args, target, bounding, ambient)?;
    if !args.quiet {
        let warnings = if target.uid == 0 {
            caps::root_equivalent_warnings(bounding, "effective")
        } else {
            caps::root_equivalent_warnings(ambient, "ambient")
        };
        for w in warnings {
            eprintln!("go-jail: warning: {w}");
        }
    }
    let held = caller_caps()?;
    if bounding & !held != 0 {
        return Err(Failure::input(format!(
            "cannot keep {}: go-jail itself does not hold it (not in its bounding and permitted sets)",
            caps::names(bounding & !held)
        )));
    }
    Ok(CapSet { bounding, ambient })
}

/// `--ambient-caps`, a subset of `-caps`. For a uid 0 target they add
/// nothing (its kept caps are permitted and effective already): a note,
/// and none are raised.
fn ambient_caps(args: &RunArgs, target: &Target, keep: u64, ambient: u64) -> Result<u64, Failure> {
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
