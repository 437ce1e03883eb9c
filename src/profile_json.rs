//! `--seccomp-profile FILE`: the seccomp profile JSON of Docker/moby
//! (`profiles/seccomp`), of Podman/Buildah/CRI-O (containers/common
//! `pkg/seccomp`) and the OCI runtime-spec's `linux.seccomp`, read with
//! serde into one strict set of structs holding the union of their fields
//! (a field none of them defines is an error) and mapped onto
//! `policy::profile`, which gives it its meaning.
//!
//! containers/common adds `defaultErrno` and `syscalls[].errno`: an errno
//! name (`ENOSYS`) or a decimal number, which takes precedence over
//! `defaultErrnoRet`/`errnoRet` when not empty (its `getErrno`). Every
//! errno must be at most 4095, the kernel's `MAX_ERRNO`; an `ERRNO` action's
//! errno must also not be 0 (libseccomp would accept it, making the call
//! succeed without running): `policy::action::ERRNO_RANGE`, the range of
//! `--errno` too, is checked by `policy::profile`.

use std::path::Path;

use policy::profile::{
    self, ArchMapEntry, Arg, ArgOp, Context, Entry, Filter, Profile, ProfileAction,
};
use policy::PolicySpec;
use serde::Deserialize;

use crate::fail::Failure;

/// The profile as JSON: Docker's fields plus the OCI `linux.seccomp` ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonProfile {
    pub default_action: String,
    #[serde(default)]
    pub default_errno_ret: Option<u64>,
    /// containers/common: an errno name or decimal number, before `defaultErrnoRet`.
    #[serde(default)]
    pub default_errno: Option<String>,
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
    pub errno_ret: Option<u64>,
    /// containers/common: an errno name or decimal number, before `errnoRet`.
    #[serde(default)]
    pub errno: Option<String>,
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

/// The errno of an `errno` field (name or decimal; containers/common) or,
/// when that is absent or empty, of an `errnoRet` field; `at` is the
/// object's place (`syscalls[3]`, or empty for the top level).
fn errno_of(
    errno: &Option<String>,
    errno_ret: Option<u64>,
    at: &str,
    (errno_field, ret_field): (&str, &str),
) -> Result<Option<u16>, String> {
    let max = u64::from(crate::errno::MAX_ERRNO);
    if let Some(text) = errno.as_deref().filter(|t| !t.is_empty()) {
        let n = match crate::errno::by_name(text) {
            Some(n) => u64::from(n),
            None => text.parse::<u64>().map_err(|_| {
                format!("{at}{errno_field}: unknown errno '{text}' (an errno name such as EPERM, or a decimal number)")
            })?,
        };
        if n > max {
            return Err(format!(
                "{at}{errno_field}: errno '{text}' is outside 1..={max}"
            ));
        }
        return Ok(Some(n as u16));
    }
    match errno_ret {
        Some(n) if n > max => Err(format!("{at}{ret_field}: errno {n} is outside 1..={max}")),
        other => Ok(other.map(|n| n as u16)),
    }
}

/// The `--dump` note of a `flags` item, or the error for an unknown one.
fn flag_note(flag: &str) -> Result<String, String> {
    if !KNOWN_FLAGS.contains(&flag) {
        return Err(format!(
            "flags: unknown flag '{flag}' (expected one of {})",
            KNOWN_FLAGS.join(", ")
        ));
    }
    let why = match flag {
        "SECCOMP_FILTER_FLAG_TSYNC" => "go-jail is single-threaded when it loads the filter",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => {
            "go-jail keeps the kernel's speculative store bypass mitigation"
        }
        "SECCOMP_FILTER_FLAG_LOG" => {
            "denials are not audit-logged; use --report-denied to see them"
        }
        _ => "it only applies to a notification listener",
    };
    Ok(format!("flag {flag} not applied: {why}"))
}

impl JsonSyscall {
    /// The policy crate's entry; `at` is its place (`syscalls[3]`) for
    /// errors.
    fn to_entry(&self, at: &str) -> Result<Entry, String> {
        let mut names = self.names.clone().unwrap_or_default();
        if let Some(n) = &self.name {
            if !names.is_empty() {
                return Err(format!(
                    "{at}: both 'name' and 'names' are given: use one of them"
                ));
            }
            names.push(n.clone());
        }
        let errno = errno_of(&self.errno, self.errno_ret, at, (".errno", ".errnoRet"))?;
        if names.is_empty() {
            return Err(format!("{at}: no 'names' (or 'name')"));
        }
        let action: ProfileAction = self
            .action
            .parse()
            .map_err(|e| format!("{at}.action: {e}"))?;
        let mut args = Vec::new();
        for (j, a) in self.args.iter().flatten().enumerate() {
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
        Ok(Entry {
            names,
            action,
            errno,
            args,
            includes: filter(&self.includes, &format!("{at}.includes"))?,
            excludes: filter(&self.excludes, &format!("{at}.excludes"))?,
        })
    }
}

impl JsonProfile {
    /// The policy crate's model; errors name the field (`syscalls[3].action: …`).
    /// Also returns notes on fields go-jail reads but does not act on.
    pub fn to_profile(&self) -> Result<(Profile, Vec<String>), String> {
        let mut notes = Vec::new();
        let default_errno = errno_of(
            &self.default_errno,
            self.default_errno_ret,
            "",
            ("defaultErrno", "defaultErrnoRet"),
        )?;
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
            notes.push(flag_note(flag)?);
        }
        let mut syscalls = Vec::new();
        for (i, s) in self.syscalls.iter().flatten().enumerate() {
            syscalls.push(s.to_entry(&format!("syscalls[{i}]"))?);
        }
        let profile = Profile {
            default_action,
            default_errno,
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
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::input(format!("{}: {}", path.display(), crate::fail::io_error(&e)))
    })?;
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

    fn errno_error(json: &str) -> String {
        parse(json, "p.json").unwrap_err().message
    }

    #[test]
    fn containers_common_errno_names_take_precedence() {
        let (p, _) = parse(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"defaultErrno":"ENOSYS","syscalls":[
                {"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"errno":"EACCES"},
                {"names":["write"],"action":"SCMP_ACT_ERRNO","errno":"22"},
                {"names":["close"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"errno":""},
                {"names":["open"],"action":"SCMP_ACT_ERRNO","errnoRet":0}]}"#,
            "p.json",
        )
        .unwrap();
        assert_eq!(p.default_errno, Some(38));
        let errnos: Vec<Option<u16>> = p.syscalls.iter().map(|e| e.errno).collect();
        assert_eq!(errnos, [Some(13), Some(22), Some(5), Some(0)]);
    }

    #[test]
    fn bad_errnos_name_the_field_and_the_value() {
        let e = errno_error(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errno":"EFOO"}]}"#,
        );
        assert!(
            e.starts_with("p.json: syscalls[0].errno: unknown errno 'EFOO'"),
            "{e}"
        );
        let e = errno_error(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":12345}]}"#,
        );
        assert_eq!(
            e,
            "p.json: syscalls[0].errnoRet: errno 12345 is outside 1..=4095"
        );
        let e = errno_error(r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"4096"}"#);
        assert_eq!(e, "p.json: defaultErrno: errno '4096' is outside 1..=4095");
        let e = errno_error(r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000}"#);
        assert!(e.starts_with("p.json: defaultErrnoRet: errno 70000"), "{e}");
        let e = errno_error(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        assert!(e.contains("syscalls[0]: both 'name' and 'names'"), "{e}");
    }

    #[test]
    fn podman_default_parses() {
        let text = include_str!("../tests/data/podman-default.json");
        let (p, _) = parse(text, "podman-default.json").unwrap();
        assert_eq!(p.syscalls.len(), 40);
        assert_eq!(p.default_errno, Some(38));
        assert_eq!(p.syscalls[31].errno, Some(22), "errno EINVAL");
    }

    #[test]
    fn docker_default_parses() {
        let text = include_str!("../tests/data/docker-default.json");
        let (p, _) = parse(text, "docker-default.json").unwrap();
        assert_eq!(p.syscalls.len(), 31);
    }
}
