//! `--seccomp-profile FILE`: the Docker/Podman/containerd seccomp profile
//! JSON (also the OCI runtime-spec's `linux.seccomp`), read with serde into
//! strict structs (unknown fields are errors) and mapped onto
//! `policy::profile`, which gives it its meaning.

use std::path::Path;

use policy::profile::{
    self, ArchMapEntry, Arg, ArgOp, Context, Entry, Filter, Profile, ProfileAction,
};
use policy::PolicySpec;
use serde::Deserialize;

use crate::fail::Failure;
use crate::names;

/// The profile as JSON: Docker's fields plus the OCI `linux.seccomp` ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonProfile {
    pub default_action: String,
    #[serde(default)]
    pub default_errno_ret: Option<u16>,
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
    #[serde(default)]
    pub arch_map: Option<Vec<JsonArchMap>>,
    #[serde(default)]
    pub syscalls: Option<Vec<JsonSyscall>>,
    /// OCI: `SECCOMP_FILTER_FLAG_*` names.
    #[serde(default)]
    pub flags: Option<Vec<String>>,
    /// OCI: a seccomp agent's socket (for `SCMP_ACT_NOTIFY`).
    #[serde(default)]
    pub listener_path: Option<String>,
    /// Accepted (it is a valid field), not used.
    #[serde(default)]
    #[allow(dead_code)]
    pub listener_metadata: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonArchMap {
    pub architecture: String,
    #[serde(default)]
    pub sub_architectures: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonSyscall {
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// The older single-name form.
    #[serde(default)]
    pub name: Option<String>,
    pub action: String,
    #[serde(default)]
    pub errno_ret: Option<u16>,
    #[serde(default)]
    pub args: Option<Vec<JsonArg>>,
    #[serde(default)]
    pub includes: Option<JsonFilter>,
    #[serde(default)]
    pub excludes: Option<JsonFilter>,
    /// Accepted, not used.
    #[serde(default)]
    #[allow(dead_code)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonArg {
    pub index: u32,
    pub value: u64,
    #[serde(default)]
    pub value_two: Option<u64>,
    pub op: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonFilter {
    #[serde(default)]
    pub caps: Option<Vec<String>>,
    #[serde(default)]
    pub arches: Option<Vec<String>>,
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// The `SECCOMP_FILTER_FLAG_*` names the OCI spec allows.
const KNOWN_FLAGS: [&str; 4] = [
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
];

fn filter(f: &Option<JsonFilter>, at: &str) -> Result<Filter, String> {
    let Some(f) = f else {
        return Ok(Filter::default());
    };
    let min_kernel = match &f.min_kernel {
        Some(k) => Some(profile::parse_kernel_version(k).ok_or_else(|| {
            format!("{at}.minKernel: '{k}' is not a kernel version (e.g. \"4.8\")")
        })?),
        None => None,
    };
    Ok(Filter {
        caps: f.caps.clone().unwrap_or_default(),
        arches: f.arches.clone().unwrap_or_default(),
        min_kernel,
    })
}

impl JsonProfile {
    /// The policy crate's model; errors name the field (`syscalls[3].action: …`).
    /// Also returns notes on fields go-jail reads but does not act on.
    pub fn to_profile(&self) -> Result<(Profile, Vec<String>), String> {
        let mut notes = Vec::new();
        let default_action: ProfileAction = self
            .default_action
            .parse()
            .map_err(|e| format!("defaultAction: {e}"))?;
        if let Some(p) = &self.listener_path {
            return Err(format!(
                "listenerPath '{p}': seccomp agents (SCMP_ACT_NOTIFY) are not supported"
            ));
        }
        for flag in self.flags.iter().flatten() {
            if !KNOWN_FLAGS.contains(&flag.as_str()) {
                return Err(format!(
                    "flags: unknown flag '{flag}' (expected one of {})",
                    KNOWN_FLAGS.join(", ")
                ));
            }
            let why = match flag.as_str() {
                "SECCOMP_FILTER_FLAG_TSYNC" => {
                    "go-jail is single-threaded when it loads the filter"
                }
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => {
                    "go-jail keeps the kernel's speculative store bypass mitigation"
                }
                "SECCOMP_FILTER_FLAG_LOG" => {
                    "denials are not audit-logged; use --report-denied to see them"
                }
                _ => "it only applies to a notification listener",
            };
            notes.push(format!("flag {flag} not applied: {why}"));
        }
        let mut syscalls = Vec::new();
        for (i, s) in self.syscalls.iter().flatten().enumerate() {
            let at = format!("syscalls[{i}]");
            let mut names = s.names.clone().unwrap_or_default();
            if let Some(n) = &s.name {
                names.push(n.clone());
            }
            if names.is_empty() {
                return Err(format!("{at}: no 'names' (or 'name')"));
            }
            let action: ProfileAction =
                s.action.parse().map_err(|e| format!("{at}.action: {e}"))?;
            let mut args = Vec::new();
            for (j, a) in s.args.iter().flatten().enumerate() {
                let op: ArgOp =
                    a.op.parse()
                        .map_err(|e| format!("{at}.args[{j}].op: {e}"))?;
                if a.index > 5 {
                    return Err(format!(
                        "{at}.args[{j}].index: {} out of range (syscalls have arguments 0 to 5)",
                        a.index
                    ));
                }
                args.push(Arg {
                    index: a.index,
                    value: a.value,
                    value_two: a.value_two.unwrap_or(0),
                    op,
                });
            }
            syscalls.push(Entry {
                names,
                action,
                errno: s.errno_ret,
                args,
                includes: filter(&s.includes, &format!("{at}.includes"))?,
                excludes: filter(&s.excludes, &format!("{at}.excludes"))?,
            });
        }
        let profile = Profile {
            default_action,
            default_errno: self.default_errno_ret,
            architectures: self.architectures.clone().unwrap_or_default(),
            arch_map: self
                .arch_map
                .iter()
                .flatten()
                .map(|m| ArchMapEntry {
                    arch: m.architecture.clone(),
                    sub_arches: m.sub_architectures.clone().unwrap_or_default(),
                })
                .collect(),
            syscalls,
        };
        Ok((profile, notes))
    }
}

/// Parses profile JSON; errors are prefixed with `origin` (the file name).
pub fn parse(text: &str, origin: &str) -> Result<(Profile, Vec<String>), Failure> {
    let json: JsonProfile =
        serde_json::from_str(text).map_err(|e| Failure::input(format!("{origin}: {e}")))?;
    json.to_profile()
        .map_err(|e| Failure::input(format!("{origin}: {e}")))
}

/// The running kernel's (major, minor), from /proc/sys/kernel/osrelease.
pub fn kernel_version() -> (u32, u32) {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .and_then(|s| profile::parse_kernel_version(&s))
        .unwrap_or((0, 0))
}

/// The spec of `profile` for a jail granting `caps` (bounding set), with
/// every note as a line for `--dump`.
pub fn to_spec(
    profile: &Profile,
    caps: u64,
    origin: &str,
    mut notes: Vec<String>,
) -> Result<(PolicySpec, Vec<String>), Failure> {
    let ctx = Context {
        caps,
        arch: bpf_asm::Arch::native(),
        kernel: kernel_version(),
    };
    let (spec, more) = profile
        .to_spec(&ctx)
        .map_err(|e| Failure::input(format!("{origin}: {e}")))?;
    notes.extend(more.iter().map(|n| n.to_string()));
    Ok((spec, notes))
}

/// Reads and translates a profile file.
pub fn load(path: &Path, caps: u64) -> Result<(PolicySpec, Vec<String>), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("{}: {}", path.display(), names::io_error(&e))))?;
    let origin = path.display().to_string();
    let (profile, notes) = parse(&text, &origin)?;
    to_spec(&profile, caps, &origin, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_actions_are_errors_naming_the_place() {
        let e = parse(r#"{"defaultAction":"SCMP_ACT_ALLOW","bogus":1}"#, "p.json").unwrap_err();
        assert!(
            e.message.starts_with("p.json: unknown field `bogus`"),
            "{}",
            e.message
        );
        let e = parse(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOPE"}]}"#,
            "p.json",
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("p.json: syscalls[0].action: unknown action 'SCMP_ACT_NOPE'"),
            "{}",
            e.message
        );
        let e = parse(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}"#,
            "p.json",
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("syscalls[0].args[0].op: unknown operator"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_older_single_name_and_nulls() {
        let (p, _) = parse(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":null,"syscalls":[{"name":"read","action":"SCMP_ACT_ALLOW","args":null,"comment":"x"}]}"#,
            "p.json",
        )
        .unwrap();
        assert_eq!(p.syscalls[0].names, ["read"]);
    }

    #[test]
    fn docker_default_parses() {
        let text = include_str!("../tests/data/docker-default.json");
        let (p, _) = parse(text, "docker-default.json").unwrap();
        assert_eq!(p.syscalls.len(), 31);
    }
}
