//! What the benchmarks share: the reference policies, where their data
//! lives, and the one call into go-jail's compiler.

use std::path::{Path, PathBuf};

use bpf_asm::{Arch, Program};

use go_jail::profile_json;
use policy::profile::{Context, ProfileAction};
use policy::{CmpOp, CompileOptions, PolicySpec, SyscallTable};
use testkit::rule_file;

/// The original go-jail example allow-list (default `ERRNO(EPERM)`).
pub fn go_jail_example() -> Vec<&'static str> {
    names(include_str!("../../policy/tests/data/go_jail_example.txt"))
}

/// The 40-syscall deny-list (default `ALLOW`, listed `ERRNO(EPERM)`).
pub fn deny_40() -> Vec<&'static str> {
    names(include_str!("../../policy/tests/data/deny40.txt"))
}

/// A reference policy's names, one per line, `#` comments.
fn names(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Whether the names are allowed or denied, or the policy is a rule file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Allow,
    Deny,
    /// A whole profile: [`RefPolicy::full`] holds go-jail's spec, and
    /// libseccomp gets the same rules as a `tests/support/scmp_export.c`
    /// rule file ([`rule_file`]).
    Rules,
}

impl Mode {
    /// The mode word of `libseccomp_export`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Allow => "allow",
            Mode::Deny => "deny",
            Mode::Rules => "rules",
        }
    }
}

/// One reference policy.
#[derive(Clone, Debug)]
pub struct RefPolicy {
    /// Short name (file names, criterion ids).
    pub id: &'static str,
    pub title: String,
    pub mode: Mode,
    /// The names as listed (for [`Mode::Rules`]: the syscalls with a rule).
    pub names: Vec<String>,
    /// [`Mode::Rules`]: the resolved profile, conditions included.
    pub full: Option<PolicySpec>,
}

impl RefPolicy {
    /// The names that are syscalls on x86_64 (the others would be skipped
    /// with a warning by go-jail and ignored by libseccomp).
    pub fn x86_64_names(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|n| SyscallTable::lookup(Arch::X86_64, n).is_some())
            .cloned()
            .collect()
    }

    /// go-jail's policy for these names, as its CLI would build it.
    pub fn spec(&self) -> PolicySpec {
        if let Some(spec) = &self.full {
            return spec.clone();
        }
        let names = self.x86_64_names();
        let mut spec = match self.mode {
            Mode::Allow | Mode::Rules => PolicySpec::allow(&names),
            Mode::Deny => PolicySpec::deny(&names),
        };
        spec.arches = vec![Arch::X86_64];
        spec
    }
}

/// The workspace root (this package's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first of `candidates` that exists.
fn first_existing(candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates.iter().find(|p| p.is_file()).cloned()
}

/// The x86_64 syscall weights: the repo's copy, else the shared data.
pub fn freq_file() -> Option<PathBuf> {
    let root = repo_root();
    first_existing(&[
        root.join("policy/data/freq/x86_64.tsv"),
        root.join("../shared/data/syscall_freq_x86_64.tsv"),
    ])
}

/// Docker's default profile.
pub fn docker_json() -> Option<PathBuf> {
    let root = repo_root();
    first_existing(&[
        root.join("../shared/data/docker-default.json"),
        root.join("tests/data/docker-default.json"),
    ])
}

/// The names of Docker's profile that are allowed unconditionally: entries
/// with action `SCMP_ACT_ALLOW` and no `args`, `includes` or `excludes`.
/// The profile is read by the CLI's own reader (`go_jail::profile_json`).
pub fn docker_allow_from_json(text: &str, origin: &str) -> Result<Vec<String>, String> {
    let (profile, _notes) = profile_json::parse(text, origin).map_err(|f| f.message)?;
    let mut names: Vec<String> = Vec::new();
    for e in &profile.syscalls {
        if e.action != ProfileAction::Allow
            || !e.args.is_empty()
            || !e.includes.is_empty()
            || !e.excludes.is_empty()
        {
            continue;
        }
        for n in &e.names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    Ok(names)
}

/// Docker's default profile for the full benchmark: the repo's test copy,
/// else the shared data.
pub fn docker_full_json() -> Option<PathBuf> {
    let root = repo_root();
    first_existing(&[
        root.join("tests/data/docker-default.json"),
        root.join("../shared/data/docker-default.json"),
    ])
}

/// Docker's default profile, whole: every entry that applies with no
/// capabilities on this kernel, conditions included, x86_64 only.
pub fn docker_full() -> Result<(PolicySpec, PathBuf), String> {
    let p = docker_full_json().ok_or("no Docker profile found (tests/data/docker-default.json)")?;
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    let (profile, _notes) =
        profile_json::parse(&text, &p.display().to_string()).map_err(|f| f.message)?;
    let ctx = Context {
        caps: 0,
        arch: Arch::X86_64,
        kernel: profile_json::kernel_version(),
    };
    let (mut spec, _notes) = profile
        .to_spec(&ctx)
        .map_err(|e| format!("{}: {e}", p.display()))?;
    spec.arches = vec![Arch::X86_64];
    Ok((spec, p))
}

/// `spec` (an allow-list of rules, as `Profile::to_spec` makes it) in the
/// rule-file format of `testkit::rule_file`.
pub fn rule_file(spec: &PolicySpec) -> Result<String, String> {
    if spec.mode != policy::Mode::AllowList || !spec.names.is_empty() {
        return Err("rule_file: only a rules-only allow-list (a profile's spec)".into());
    }
    let mut lines = Vec::new();
    for r in &spec.rules {
        let mut conds = Vec::new();
        for c in &r.conditions {
            let arg = u32::from(c.arg().get());
            conds.push(match c.op() {
                CmpOp::Ne => (arg, "NE", c.value(), 0),
                CmpOp::Lt => (arg, "LT", c.value(), 0),
                CmpOp::Le => (arg, "LE", c.value(), 0),
                CmpOp::Eq => (arg, "EQ", c.value(), 0),
                CmpOp::Ge => (arg, "GE", c.value(), 0),
                CmpOp::Gt => (arg, "GT", c.value(), 0),
                CmpOp::MaskedEq(mask) => (arg, "MASKED_EQ", mask, c.value()),
                CmpOp::MaskedNe(_) => {
                    return Err(format!(
                        "rule_file: {}: libseccomp has no masked !=",
                        r.name
                    ))
                }
            });
        }
        lines.push((r.name.as_str(), r.action, conds));
    }
    rule_file::write(spec.deny_action, &spec.arches, lines)
}

/// Reads a names file: one a line, `#` comments.
pub fn read_names(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Docker's unconditional allow-list, from the JSON profile or, failing
/// that, the policy crate's test copy.
pub fn docker_allow() -> Result<(Vec<String>, PathBuf), String> {
    if let Some(p) = docker_json() {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let names = docker_allow_from_json(&text, &p.display().to_string())?;
        return Ok((names, p));
    }
    let p = repo_root().join("policy/tests/data/docker_allow.txt");
    let text = std::fs::read_to_string(&p)
        .map_err(|e| format!("no Docker profile found ({}: {e})", p.display()))?;
    Ok((read_names(&text), p))
}

/// The four reference policies (the Docker ones only when their data exists).
pub fn reference_policies() -> (Vec<RefPolicy>, Vec<String>) {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = vec![
        RefPolicy {
            id: "go-jail-example",
            title: "go-jail example allow-list (default ERRNO(EPERM))".into(),
            mode: Mode::Allow,
            names: owned(&go_jail_example()),
            full: None,
        },
        RefPolicy {
            id: "deny-40",
            title: "40-syscall deny-list (default ALLOW, listed ERRNO(EPERM))".into(),
            mode: Mode::Deny,
            names: owned(&deny_40()),
            full: None,
        },
    ];
    let mut notes = Vec::new();
    match docker_allow() {
        Ok((names, from)) => out.push(RefPolicy {
            id: "docker-allow",
            title: format!(
                "Docker default profile, unconditional allow-list (default ERRNO(EPERM); from {})",
                display_rel(&from)
            ),
            mode: Mode::Allow,
            names,
            full: None,
        }),
        Err(e) => notes.push(format!("Docker policy skipped: {e}")),
    }
    match docker_full() {
        Ok((spec, from)) => {
            let mut names: Vec<String> = Vec::new();
            for r in &spec.rules {
                if !names.contains(&r.name) {
                    names.push(r.name.clone());
                }
            }
            out.push(RefPolicy {
                id: "docker-full",
                title: format!(
                    "Docker default profile, full: argument rules, no caps, x86_64 only \
                     (default ERRNO(EPERM); from {})",
                    display_rel(&from)
                ),
                mode: Mode::Rules,
                names,
                full: Some(spec),
            })
        }
        Err(e) => notes.push(format!("full Docker policy skipped: {e}")),
    }
    (out, notes)
}

/// `path` relative to the repo root when it is inside it or beside it.
pub fn display_rel(path: &Path) -> String {
    let root = repo_root();
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (p, r) = (canon(path), canon(&root));
    if let Ok(rel) = p.strip_prefix(&r) {
        return rel.display().to_string();
    }
    if let Some(parent) = r.parent() {
        if let Ok(rel) = p.strip_prefix(parent) {
            return format!("../{}", rel.display());
        }
    }
    p.display().to_string()
}

/// go-jail's compilation: resolve the names, then lower to classic BPF with
/// the default options (the shipped syscall weights), as `go-jail compile`
/// does.
pub fn gojail_compile(spec: &PolicySpec) -> Result<Program, String> {
    let (resolved, _warnings) = policy::resolve(spec).map_err(|e| e.to_string())?;
    policy::compile(&resolved, &CompileOptions::default()).map_err(|e| e.to_string())
}
