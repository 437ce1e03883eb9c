//! COMMAND's environment.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;

use crate::args::RunArgs;
use crate::fail::Failure;
use crate::identity::Target;

/// The `PATH` of `--reset-env`, as login(1) and su(1) set it for non-root users.
const STANDARD_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

/// Variables a target of another uid still gets from the caller: the
/// terminal type, the locale and the time zone (as su(1) keeps TERM).
fn carried_over(entry: &[u8]) -> bool {
    let name = entry.split(|&b| b == b'=').next().unwrap_or(entry);
    matches!(name, b"TERM" | b"LANG" | b"TZ") || name.starts_with(b"LC_")
}

/// The command's environment: the caller's when the target uid is the
/// caller's (or with `--keep-env`), else the `--reset-env` one plus
/// [`carried_over`] variables and `--keep-env=NAME,...`; then `--env` entries.
/// `base_env` (`--oci-config`'s `process.env`) replaces the start.
pub(super) fn environment(
    args: &RunArgs,
    base_env: Option<Vec<OsString>>,
    target: &Target,
) -> Result<Vec<OsString>, Failure> {
    let keep_names: Vec<&str> = match args.keep_env.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list.split(',').map(str::trim).collect(),
    };
    if keep_names.iter().any(|n| n.is_empty() || n.contains('=')) {
        return Err(Failure::input(format!(
            "--keep-env='{}' is not a list of variable names",
            args.keep_env.as_deref().unwrap_or("")
        )));
    }
    let keep_all = args.keep_env.as_deref() == Some("");
    if keep_all && args.reset_env {
        return Err(Failure::input(
            "--keep-env (everything) and --reset-env contradict each other; name the variables to keep: --keep-env=NAME,...".into(),
        ));
    }
    let other_uid = target.uid != runner::process::getuid();
    let mut env: Vec<OsString> = if let Some(base) = base_env {
        base
    } else if args.reset_env || (other_uid && !keep_all) {
        let kept = |e: &OsString| {
            let bytes = e.as_bytes();
            let named = keep_names.iter().any(|n| {
                bytes
                    .strip_prefix(n.as_bytes())
                    .is_some_and(|r| r.starts_with(b"="))
            });
            named || (!args.reset_env && carried_over(bytes))
        };
        let mut fresh = fresh_env(target);
        fresh.extend(runner::caller_env().into_iter().filter(kept));
        fresh
    } else {
        runner::caller_env()
    };
    for entry in &args.env {
        let Some((key, _)) = entry.split_once('=') else {
            return Err(Failure::input(format!("--env '{entry}' is not KEY=VALUE")));
        };
        if key.is_empty() {
            return Err(Failure::input(format!("--env '{entry}' has an empty name")));
        }
        set_var(&mut env, key, entry);
    }
    Ok(env)
}

/// Replaces (or adds) `key` in `env` with `entry`.
fn set_var(env: &mut Vec<OsString>, key: &str, entry: &str) {
    let prefix = format!("{key}=");
    env.retain(|e| !e.as_bytes().starts_with(prefix.as_bytes()));
    env.push(entry.into());
}

/// `--reset-env`'s environment: a standard PATH, and HOME, SHELL, USER,
/// LOGNAME from the target's passwd entry when it has one.
fn fresh_env(target: &Target) -> Vec<OsString> {
    let mut fresh = vec![OsString::from(format!("PATH={STANDARD_PATH}"))];
    if let Some(user) = &target.user {
        let mut home = OsString::from("HOME=");
        home.push(&user.dir);
        let mut shell = OsString::from("SHELL=");
        shell.push(&user.shell);
        fresh.push(home);
        fresh.push(shell);
        fresh.push(format!("USER={}", user.name).into());
        fresh.push(format!("LOGNAME={}", user.name).into());
    }
    fresh
}
