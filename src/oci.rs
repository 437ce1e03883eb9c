//! `--oci-config FILE`: an OCI runtime-spec bundle config (as `runc spec`
//! writes it). go-jail reads `linux.seccomp` (the filter, see
//! [`crate::profile_json`]) and, in the run mode, `process.user`,
//! `process.capabilities`, `process.noNewPrivileges`, `process.args`,
//! `process.env`, `process.cwd` and `process.rlimits`. Options given on
//! the command line win over the file. Everything else in the file (root,
//! mounts, namespaces, hooks…) describes a container go-jail does not
//! build: the run mode refuses a config that asks for any of it (fails
//! closed) unless `--oci-partial`, which names each field in a warning;
//! `--dump` lists them as ignored.

use std::ffi::OsString;
use std::path::Path;

use policy::PolicySpec;
use serde::Deserialize;

use crate::fail::Failure;
use crate::profile_json::{self, JsonProfile};

/// The parts of config.json go-jail reads; other fields are kept by name only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciConfig {
    #[serde(default)]
    pub process: Option<OciProcess>,
    #[serde(default)]
    pub linux: Option<OciLinux>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciProcess {
    #[serde(default)]
    pub user: Option<OciUser>,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub capabilities: Option<OciCapabilities>,
    #[serde(default)]
    pub no_new_privileges: Option<bool>,
    #[serde(default)]
    pub rlimits: Option<Vec<OciRlimit>>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciUser {
    pub uid: u32,
    pub gid: u32,
    #[serde(default)]
    pub additional_gids: Option<Vec<u32>>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// One of `process.rlimits`: `{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciRlimit {
    #[serde(rename = "type")]
    pub kind: String,
    pub hard: u64,
    pub soft: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciCapabilities {
    #[serde(default)]
    pub bounding: Option<Vec<String>>,
    #[serde(default)]
    pub effective: Option<Vec<String>>,
    #[serde(default)]
    pub permitted: Option<Vec<String>>,
    #[serde(default)]
    pub inheritable: Option<Vec<String>>,
    #[serde(default)]
    pub ambient: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciLinux {
    #[serde(default)]
    pub seccomp: Option<JsonProfile>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Reads config.json; errors name the file and the field or position.
pub fn read(path: &Path) -> Result<OciConfig, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::input(format!("{}: {}", path.display(), crate::fail::io_error(&e)))
    })?;
    serde_json::from_str(&text).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

fn cap_mask(list: &[String], what: &str, origin: &str) -> Result<u64, Failure> {
    crate::caps::parse_list(&list.join(","))
        .map_err(|e| Failure::input(format!("{origin}: process.capabilities.{what}: {e}")))
}

impl OciConfig {
    /// The bounding set the config asks for (0 without `process.capabilities`).
    pub fn bounding(&self, origin: &str) -> Result<u64, Failure> {
        match self
            .process
            .as_ref()
            .and_then(|p| p.capabilities.as_ref())
            .and_then(|c| c.bounding.as_ref())
        {
            Some(b) => cap_mask(b, "bounding", origin),
            None => Ok(0),
        }
    }

    /// What go-jail leaves out of the file (for `--dump`).
    pub fn ignored(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .other
            .keys()
            .filter(|k| k.as_str() != "ociVersion")
            .cloned()
            .collect();
        if let Some(p) = &self.process {
            out.extend(p.other.keys().map(|k| format!("process.{k}")));
            if let Some(u) = &p.user {
                out.extend(u.other.keys().map(|k| format!("process.user.{k}")));
            }
        }
        if let Some(l) = &self.linux {
            out.extend(l.other.keys().map(|k| format!("linux.{k}")));
        }
        out
    }
}

/// Whether a field's value asks for nothing (null, false, "", [] or {}).
fn is_empty(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Why go-jail does not apply a config field (runtime-spec config.md and
/// config-linux.md), for the fields a runtime would act on.
fn why_not_applied(field: &str) -> &'static str {
    match field {
        "root.path" => "the command sees the caller's filesystem, not the bundle's root",
        "root.readonly" => "the filesystem stays writable",
        "mounts" => "go-jail mounts nothing",
        "hostname" | "domainname" => "it needs a UTS namespace, which go-jail does not create",
        "hooks" => "go-jail runs no hooks",
        "process.terminal" => "go-jail allocates no terminal: the command uses go-jail's stdio",
        "process.apparmorProfile" | "process.selinuxLabel" => "go-jail sets no LSM label",
        "process.oomScoreAdj" => "go-jail does not change the OOM score",
        "process.user.umask" => "go-jail does not change the umask",
        "linux.namespaces" => "go-jail creates no namespaces: the command shares the caller's",
        "linux.uidMappings" | "linux.gidMappings" => "go-jail creates no user namespace",
        "linux.maskedPaths" => "the paths stay visible",
        "linux.readonlyPaths" => "the paths stay writable",
        "linux.resources" | "linux.cgroupsPath" => "go-jail sets no cgroup limits",
        "linux.sysctl" => "go-jail sets no sysctl",
        "linux.devices" => "go-jail creates no device nodes",
        _ => "go-jail does not apply it",
    }
}

/// Fields that ask for nothing a runtime enforces: metadata, and the
/// console size (meaningful only with `process.terminal`).
const HARMLESS: &[&str] = &["ociVersion", "annotations", "process.consoleSize"];

impl OciConfig {
    /// The fields of the config that ask for something go-jail cannot
    /// apply, each with the reason. A `root` of `/`, writable, is what
    /// go-jail gives anyway.
    pub fn unapplied(&self) -> Vec<(String, &'static str)> {
        let mut fields: Vec<String> = Vec::new();
        for (key, value) in &self.other {
            if key == "root" {
                let path = value.get("path").and_then(|p| p.as_str());
                if path.is_some_and(|p| std::path::Path::new(p) != std::path::Path::new("/")) {
                    fields.push("root.path".into());
                }
                if value.get("readonly").and_then(|r| r.as_bool()) == Some(true) {
                    fields.push("root.readonly".into());
                }
            } else if !is_empty(value) {
                fields.push(key.clone());
            }
        }
        let nested = |prefix: &str, map: &serde_json::Map<String, serde_json::Value>| {
            (map.iter())
                .filter(|(_, v)| !is_empty(v))
                .map(|(k, _)| format!("{prefix}.{k}"))
                .collect::<Vec<_>>()
        };
        if let Some(p) = &self.process {
            fields.extend(nested("process", &p.other));
            if let Some(u) = &p.user {
                fields.extend(nested("process.user", &u.other));
            }
        }
        if let Some(l) = &self.linux {
            fields.extend(nested("linux", &l.other));
        }
        (fields.into_iter())
            .filter(|f| !HARMLESS.contains(&f.as_str()))
            .map(|f| {
                let why = why_not_applied(&f);
                (f, why)
            })
            .collect()
    }

    /// `process.rlimits` as `(RLIMIT_*, soft, hard)`; an unknown type or a
    /// soft limit above the hard one is an error naming it.
    pub fn rlimits(&self, origin: &str) -> Result<Vec<(u32, u64, u64)>, Failure> {
        let list = self.process.as_ref().and_then(|p| p.rlimits.as_ref());
        let mut out = Vec::new();
        for (i, r) in list.into_iter().flatten().enumerate() {
            let at = format!("{origin}: process.rlimits[{i}]");
            let names = runner::abi::RLIMIT_NAMES;
            let Some(n) = names.iter().position(|n| *n == r.kind) else {
                return Err(Failure::input(format!(
                    "{at}.type: unknown resource '{}' (one of {})",
                    r.kind,
                    names.join(", ")
                )));
            };
            if r.soft > r.hard {
                return Err(Failure::input(format!(
                    "{at}: {} soft limit {} is above the hard limit {}",
                    r.kind, r.soft, r.hard
                )));
            }
            out.push((n as u32, r.soft, r.hard));
        }
        Ok(out)
    }
}

/// Fails closed on what go-jail cannot apply: one error naming every such
/// field, or with `partial`, one warning per field.
fn check_applicable(
    config: &OciConfig,
    origin: &str,
    partial: bool,
    warnings: &mut Vec<String>,
) -> Result<(), Failure> {
    let unapplied = config.unapplied();
    if unapplied.is_empty() {
        return Ok(());
    }
    if !partial {
        let names: Vec<&str> = unapplied.iter().map(|(f, _)| f.as_str()).collect();
        return Err(Failure::input(format!(
            "{origin}: go-jail cannot apply {}: it builds no container (--oci-partial runs without them, naming each)",
            names.join(", ")
        )));
    }
    for (field, why) in unapplied {
        warnings.push(format!("{origin}: {field} not applied: {why}"));
    }
    Ok(())
}

/// A config.json read once, with the name it is reported under.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// What the file holds.
    pub config: OciConfig,
    /// The path, as messages name it.
    pub origin: String,
}

/// What `--oci-config` gives the run mode, typed: each field applies
/// where the command line does not say otherwise (`crate::run_config`).
#[derive(Debug, Clone, Default)]
pub struct RunDefaults {
    /// `process.user`.
    pub user: Option<OciUser>,
    /// `process.capabilities.bounding` (`Some(0)` when `capabilities`
    /// has no `bounding`).
    pub bounding: Option<u64>,
    /// `process.capabilities.ambient`.
    pub ambient: Option<u64>,
    /// `process.args`.
    pub args: Option<Vec<std::ffi::OsString>>,
    /// `process.env`.
    pub env: Option<Vec<std::ffi::OsString>>,
    /// `process.cwd`, as written (checked where it applies:
    /// [`RunDefaults::cwd`]).
    cwd: Option<String>,
    /// `process.rlimits` as `(RLIMIT_*, soft, hard)`.
    pub rlimits: Vec<(u32, u64, u64)>,
    /// The warnings to print: fields not applied, capability sets beyond
    /// bounding, `noNewPrivileges: false`.
    pub warnings: Vec<String>,
    origin: String,
}

impl RunDefaults {
    /// `process.cwd`, which must be absolute.
    pub fn cwd(&self) -> Result<Option<std::path::PathBuf>, Failure> {
        match &self.cwd {
            Some(cwd) if !cwd.starts_with('/') => Err(Failure::input(format!(
                "{}: process.cwd '{cwd}' is not an absolute path",
                self.origin
            ))),
            cwd => Ok(cwd.as_ref().map(Into::into)),
        }
    }
}

impl LoadedConfig {
    /// Reads config.json (see [`read`]).
    pub fn read(path: &Path) -> Result<LoadedConfig, Failure> {
        Ok(LoadedConfig {
            config: read(path)?,
            origin: path.display().to_string(),
        })
    }

    /// The bounding set the config asks for (0 without it).
    pub fn bounding(&self) -> Result<u64, Failure> {
        self.config.bounding(&self.origin)
    }

    /// The spec of `linux.seccomp` with notes for `--dump`, seen by a jail
    /// granting `caps`; `None` without `linux.seccomp`.
    pub fn seccomp_spec(&self, caps: u64) -> Result<Option<(PolicySpec, Vec<String>)>, Failure> {
        let origin = &self.origin;
        let Some(json) = (self.config.linux.as_ref()).and_then(|l| l.seccomp.as_ref()) else {
            return Ok(None);
        };
        let at = format!("{origin}: linux.seccomp");
        let (profile, mut notes) = json
            .to_profile()
            .map_err(|e| Failure::input(format!("{at}.{e}")))?;
        let ignored = self.config.ignored();
        if !ignored.is_empty() {
            notes.push(format!(
                "{origin}: not applied by go-jail: {}",
                ignored.join(", ")
            ));
        }
        profile_json::to_spec(&profile, caps, &at, notes).map(Some)
    }

    /// What the run mode takes from the file; fails closed on fields it
    /// cannot apply unless `partial` (`--oci-partial`).
    pub fn run_defaults(&self, partial: bool) -> Result<RunDefaults, Failure> {
        let origin = &self.origin;
        let mut out = RunDefaults {
            origin: origin.clone(),
            ..RunDefaults::default()
        };
        check_applicable(&self.config, origin, partial, &mut out.warnings)?;
        out.rlimits = self.config.rlimits(origin)?;
        let Some(process) = &self.config.process else {
            return Ok(out);
        };
        out.user = process.user.clone();
        if let Some(c) = &process.capabilities {
            let bounding = cap_mask(
                c.bounding.as_deref().unwrap_or_default(),
                "bounding",
                origin,
            )?;
            out.bounding = Some(bounding);
            if let Some(a) = &c.ambient {
                out.ambient = Some(cap_mask(a, "ambient", origin)?);
            }
            for (what, set) in [
                ("effective", &c.effective),
                ("permitted", &c.permitted),
                ("inheritable", &c.inheritable),
            ] {
                if let Some(set) = set {
                    if cap_mask(set, what, origin)? & !bounding != 0 {
                        out.warnings.push(format!(
                            "{origin}: process.capabilities.{what} has capabilities outside bounding: go-jail grants at most -caps (the bounding set)"
                        ));
                    }
                }
            }
        }
        if process.no_new_privileges == Some(false) {
            out.warnings.push(format!(
                "{origin}: process.noNewPrivileges is false, but go-jail always sets no_new_privs"
            ));
        }
        let words = |list: &Vec<String>| list.iter().map(OsString::from).collect();
        out.args = process.args.as_ref().map(words);
        out.env = process.env.as_ref().map(words);
        out.cwd = process.cwd.clone();
        Ok(out)
    }
}
