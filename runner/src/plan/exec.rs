//! What `execve` gets: the C strings of the argument vector and the
//! environment, the `execvp(3)` candidates, and the working directory.

use super::{Candidate, CwdPolicy, PlanError};
use crate::sys::CStrArray;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The directory a plan enters ([`CwdPolicy`]; `None`: re-enter the
/// caller's) as a C string, and whether it falls back to `/`.
pub(super) fn resolve_cwd(policy: Option<CwdPolicy>) -> Result<(Option<CString>, bool), PlanError> {
    let policy = policy.unwrap_or_else(|| CwdPolicy::ReEnter(caller_cwd()));
    match &policy {
        CwdPolicy::Inherit => Ok((None, false)),
        CwdPolicy::ReEnter(p) | CwdPolicy::Exact(p) => {
            if !p.is_absolute() {
                return Err(PlanError::RelativeCwd(p.clone()));
            }
            let c = cstring(p.as_os_str(), "working directory")?;
            Ok((Some(c), matches!(policy, CwdPolicy::ReEnter(_))))
        }
    }
}

/// What `execve` gets, resolved: the program, where it is tried, and the
/// argument and environment arrays.
pub(super) struct Exec {
    pub(super) program: CString,
    pub(super) candidates: Vec<Candidate>,
    pub(super) searched: bool,
    pub(super) sh: CString,
    pub(super) argv: CStrArray,
    pub(super) envp: CStrArray,
}

impl Exec {
    /// `argv` and `env` (`None`: the caller's) as C strings, and the
    /// program (`program`, else `argv[0]`) looked up like `execvp(3)` in
    /// `search_path` (`None`: the caller's `PATH`, else `/bin:/usr/bin`),
    /// each candidate with a `/bin/sh` fallback when `sh_fallback`.
    pub(super) fn resolve(
        argv: &[OsString],
        program: Option<&OsStr>,
        env: Option<Vec<OsString>>,
        search_path: Option<OsString>,
        sh_fallback: bool,
    ) -> Result<Exec, PlanError> {
        let args: Vec<CString> = (argv.iter())
            .map(|a| cstring(a, "argument"))
            .collect::<Result<_, _>>()?;
        let env: Vec<OsString> = env.unwrap_or_else(caller_env);
        let envp: Vec<CString> = (env.iter())
            .map(|e| cstring(e, "environment entry"))
            .collect::<Result<_, _>>()?;
        let program = match (program, argv.first()) {
            (Some(p), _) => cstring(p, "program")?,
            (None, Some(a0)) => cstring(a0, "program")?,
            (None, None) => CString::default(),
        };
        let search = search_path
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_else(|| OsString::from("/bin:/usr/bin"));
        let sh = CString::new("/bin/sh").expect("literal has no NUL");
        let (paths, searched) = candidate_paths(program.as_bytes(), search.as_bytes());
        let mut candidates = Vec::with_capacity(paths.len());
        for path in paths {
            let path = CString::new(path).map_err(|_| PlanError::NulByte("PATH"))?;
            let sh_argv = sh_fallback.then(|| {
                let mut v = vec![sh.clone(), path.clone()];
                v.extend(args.iter().skip(1).cloned());
                CStrArray::new(v)
            });
            candidates.push(Candidate { path, sh_argv });
        }
        Ok(Exec {
            program,
            candidates,
            searched,
            sh,
            argv: CStrArray::new(args),
            envp: CStrArray::new(envp),
        })
    }
}

/// The caller's working directory by path, or `/` when it has none that
/// can be named (deleted, or outside the process's root).
fn caller_cwd() -> PathBuf {
    match std::env::current_dir() {
        Ok(d) if d.is_absolute() => d,
        _ => Path::new("/").to_path_buf(),
    }
}

fn cstring(s: &OsStr, what: &'static str) -> Result<CString, PlanError> {
    CString::new(s.as_bytes()).map_err(|_| PlanError::NulByte(what))
}

/// This process's environment as `KEY=VALUE` entries (what a plan passes
/// on when it is given no environment).
pub fn caller_env() -> Vec<OsString> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            kv
        })
        .collect()
}

/// execvp(3) candidates: the program itself if it contains `/`, else each
/// `PATH` entry joined with it (an empty entry is the current directory).
/// Returns whether a search happened.
pub(super) fn candidate_paths(program: &[u8], path: &[u8]) -> (Vec<Vec<u8>>, bool) {
    if program.is_empty() {
        return (Vec::new(), false);
    }
    if program.contains(&b'/') {
        return (vec![program.to_vec()], false);
    }
    let mut out = Vec::new();
    for dir in path.split(|&b| b == b':') {
        let mut p = Vec::with_capacity(dir.len() + 1 + program.len());
        if dir.is_empty() {
            p.extend_from_slice(program);
        } else {
            p.extend_from_slice(dir);
            if !dir.ends_with(b"/") {
                p.push(b'/');
            }
            p.extend_from_slice(program);
        }
        out.push(p);
    }
    (out, true)
}
