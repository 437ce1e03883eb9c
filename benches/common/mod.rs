//! What the benchmarks share: the reference policies, where their data
//! lives, and the one call into go-jail's compiler.

use std::path::{Path, PathBuf};

use bpf_asm::{Arch, Program};
use policy::{CompileOptions, PolicySpec, SyscallTable};

/// The original go-jail example allow-list (default `ERRNO(EPERM)`).
pub const GO_JAIL_EXAMPLE: &[&str] = &[
    "execve",
    "exit",
    "read",
    "open",
    "close",
    "mmap",
    "mmap2",
    "fstat",
    "fstat64",
    "access",
    "mprotect",
    "set_thread_area",
    "brk",
    "openat",
    "exit_group",
    "prctl",
    "arch_prctl",
    "write",
];

/// The 40-syscall deny-list (default `ALLOW`, listed `ERRNO(EPERM)`).
pub const DENY_40: &[&str] = &[
    "mount",
    "umount2",
    "ptrace",
    "kexec_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "unshare",
    "setns",
    "pivot_root",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "iopl",
    "ioperm",
    "open_by_handle_at",
    "name_to_handle_at",
    "userfaultfd",
    "lookup_dcookie",
    "quotactl",
    "nfsservctl",
    "vm86",
    "vm86old",
    "kcmp",
    "process_vm_readv",
    "process_vm_writev",
    "syslog",
    "uselib",
    "personality",
    "mbind",
    "move_pages",
];

/// Whether the names are allowed or denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Allow,
    Deny,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Allow => "allow",
            Mode::Deny => "deny",
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
    /// The names as listed.
    pub names: Vec<String>,
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
        let names = self.x86_64_names();
        let mut spec = match self.mode {
            Mode::Allow => PolicySpec::allow(&names),
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

/// The x86_64 frequency profile: the repo's copy, else the shared data.
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
        root.join("policy/tests/data/docker-default.json"),
    ])
}

/// The names of Docker's profile that are allowed unconditionally: entries
/// with action `SCMP_ACT_ALLOW` and no `args`, `includes` or `excludes`.
pub fn docker_allow_from_json(text: &str) -> Result<Vec<String>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let entries = v["syscalls"].as_array().ok_or("no \"syscalls\" array")?;
    let empty = |x: &serde_json::Value| match x {
        serde_json::Value::Null => true,
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
        _ => false,
    };
    let mut names: Vec<String> = Vec::new();
    for e in entries {
        if e["action"] != "SCMP_ACT_ALLOW"
            || !empty(&e["args"])
            || !empty(&e["includes"])
            || !empty(&e["excludes"])
        {
            continue;
        }
        for n in e["names"].as_array().into_iter().flatten() {
            if let Some(n) = n.as_str() {
                if !names.iter().any(|m| m == n) {
                    names.push(n.to_string());
                }
            }
        }
    }
    Ok(names)
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
        let names = docker_allow_from_json(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        return Ok((names, p));
    }
    let p = repo_root().join("policy/tests/data/docker_allow.txt");
    let text = std::fs::read_to_string(&p)
        .map_err(|e| format!("no Docker profile found ({}: {e})", p.display()))?;
    Ok((read_names(&text), p))
}

/// The three reference policies (the Docker one only when its data exists).
pub fn reference_policies() -> (Vec<RefPolicy>, Vec<String>) {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = vec![
        RefPolicy {
            id: "go-jail-example",
            title: "go-jail example allow-list (default ERRNO(EPERM))".into(),
            mode: Mode::Allow,
            names: owned(GO_JAIL_EXAMPLE),
        },
        RefPolicy {
            id: "deny-40",
            title: "40-syscall deny-list (default ALLOW, listed ERRNO(EPERM))".into(),
            mode: Mode::Deny,
            names: owned(DENY_40),
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
        }),
        Err(e) => notes.push(format!("Docker policy skipped: {e}")),
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
/// the default options (the shipped frequency profile), as `go-jail compile`
/// does.
pub fn gojail_compile(spec: &PolicySpec) -> Result<Program, String> {
    let (resolved, _warnings) = policy::resolve(spec).map_err(|e| e.to_string())?;
    policy::compile(&resolved, &CompileOptions::default()).map_err(|e| e.to_string())
}
