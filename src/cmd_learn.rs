//! `go-jail learn [JAIL OPTIONS] -- COMMAND`: run COMMAND under the jail
//! (identity, capabilities, no_new_privs) with a filter that notifies on
//! every syscall of the target arches and lets it run, for COMMAND and
//! everything it starts (filters are inherited); then print one runnable
//! line: the jail options given, the syscalls used as `-syscall-allow=…`,
//! and the Landlock options for the files and TCP ports used
//! (`crate::access` reads them from each call, `crate::learned` folds
//! them); or the allow-list alone, or a Docker/OCI profile.
//!
//! The filter is an empty allow-list whose denials all became
//! `USER_NOTIF`, so calls no allow-list can name (another ABI, x32,
//! numbers above the table) are answered as the final allow-list would
//! answer them, and reported. `execve` of COMMAND itself runs under the
//! filter, so it is learned, as are the dynamic loader's calls. The guards
//! (TTY unless `--allow-tty-injection`, `--no-userns`, the listener guard)
//! are enforced by the kernel, not learned. No Landlock rule is enforced
//! but the default domain's scopes.

use std::ffi::OsString;
use std::io::Write as _;
use std::os::fd::AsFd as _;

use bpf_asm::Arch;
use policy::profile::scmp_arch_name;
use policy::{Mode as SpecMode, PolicySpec, SyscallTable};

use crate::args::{LearnArgs, LearnFormat, RunArgs};
use crate::fail::Failure;
use crate::policy_input::run_guards;
use crate::report;
use crate::run_config::RunConfig;
use crate::supervise::{self, Mode};

/// `argv`: the command line `args` came from (`learn` first), whose jail
/// options the printed line repeats.
pub fn learn(args: &LearnArgs, argv: &[OsString]) -> Result<i32, Failure> {
    refuse_given_rules(&args.jail)?;
    let config = RunConfig::resolve(&args.jail)?;
    let arches = match config.policy.arches() {
        Some(arches) => arches.to_vec(),
        None => vec![Arch::native()],
    };
    // opened now: the supervisor gives up its capabilities (a root caller
    // could not write where root without CAP_DAC_OVERRIDE may not) and
    // closes every other fd
    let output = match &args.output {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| output_failure(path, &e))?),
        None => None,
    };
    let finished = watch(&config, &arches, output.as_ref())?;
    let text = render(args, argv, &arches, &finished);
    match (output, &args.output) {
        (Some(mut file), Some(path)) => file
            .write_all(text.as_bytes())
            .map_err(|e| output_failure(path, &e))?,
        _ => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    Ok(finished.status)
}

fn output_failure(path: &std::path::Path, e: &std::io::Error) -> Failure {
    Failure::input(format!("{}: {}", path.display(), crate::fail::io_error(e)))
}

/// learn finds the policy and the Landlock rules itself: options that
/// give either are refused, as are the other supervisor modes.
fn refuse_given_rules(jail: &RunArgs) -> Result<(), Failure> {
    let p = &jail.policy;
    if p.syscall_allow.is_some()
        || p.syscall_deny.is_some()
        || p.seccomp_profile.is_some()
        || p.oci_config.is_some()
        || p.errno.is_some()
        || p.profile_weights.is_some()
    {
        return Err(Failure::input(
            "learn starts from an empty policy: drop -syscall-allow/-syscall-deny, \
             --seccomp-profile, --oci-config, --errno and --profile-weights"
                .into(),
        ));
    }
    let l = &jail.landlock;
    if !(l.fs_ro.is_empty() && l.fs_rx.is_empty() && l.fs_rw.is_empty() && l.fs_rwx.is_empty())
        || l.fs_system
        || !(l.net_connect.is_empty() && l.net_bind.is_empty())
        || p.no_net
        || p.no_unix
    {
        return Err(Failure::input(
            "learn finds the Landlock rules itself: drop --fs-*, --net-*, --no-net and --no-unix"
                .into(),
        ));
    }
    if jail.report_denied.is_some() || jail.complain {
        return Err(Failure::input(
            "learn reports nothing but its result: drop --report-denied/--complain".into(),
        ));
    }
    Ok(())
}

/// Runs COMMAND under the learning filter (see the module docs) and the
/// supervisor, keeping `output` open through its confinement.
fn watch(
    jail: &RunConfig,
    arches: &[Arch],
    output: Option<&std::fs::File>,
) -> Result<supervise::Finished, Failure> {
    let mut spec = PolicySpec {
        mode: SpecMode::AllowList,
        names: Vec::new(),
        arches: arches.to_vec(),
        ..PolicySpec::default()
    };
    // The guards are enforced by the kernel, not learned: a TIOCSTI gets
    // EPERM (unless --allow-tty-injection), as the learned policy will give it.
    let mut guards = run_guards(!jail.allow_tty_injection);
    guards.extend(policy::listener_guard_rules());
    let enforced = jail.policy.enforced(&guards);
    policy::add_guards(&mut spec, &enforced);
    let (base, _) = policy::resolve(&spec).map_err(|e| Failure::input(e.to_string()))?;
    let program = supervise::compile_notifying(&base, None, &enforced, &[])?;
    let pty = crate::pty_parent::open(jail)?;
    let plan = crate::pty_parent::prepare(jail, Some(&program), pty.as_ref())?;
    supervise::supervise(
        &plan,
        &base,
        Mode::Learn,
        None,
        jail.keep_orphans,
        pty,
        output.map(|f| f.as_fd()),
    )
}

/// What learn prints in `args.format` (warnings about what the Landlock
/// options cannot say go to stderr).
fn render(
    args: &LearnArgs,
    argv: &[OsString],
    arches: &[Arch],
    finished: &supervise::Finished,
) -> String {
    let mut used: Vec<&'static str> = (finished.learned.iter())
        .filter_map(|&(audit, nr)| Arch::from_audit(audit).and_then(|a| SyscallTable::name(a, nr)))
        .collect();
    used.sort_unstable();
    used.dedup();
    let allow = format!("-syscall-allow={}", used.join(","));
    if args.jail.verbose {
        for line in finished.files.describe() {
            warn(&format!("learned: {line}"));
        }
    }
    let (landlock, unwritable) = finished.files.options(&crate::landlock::system_grants());
    if finished.files.folded {
        warn("warning: COMMAND used more than 65536 paths (or 8 MiB of them): the rest are granted as their top two directories");
    }
    for path in unwritable {
        warn(&format!(
            "warning: {:?} holds a comma or a control character, which the printed --fs-* options leave out: add a rule for it by hand",
            path
        ));
    }
    match args.format {
        LearnFormat::Line => {
            let mut words: Vec<OsString> = vec!["go-jail".into()];
            words.extend(jail_options(argv, args.jail.command.len()));
            words.push(allow.into());
            words.extend(landlock.iter().map(OsString::from));
            words.push("--".into());
            words.extend(args.jail.command.iter().cloned());
            let quoted: Vec<String> = words.iter().map(shell_quote).collect();
            quoted.join(" ") + "\n"
        }
        LearnFormat::Allow => {
            let mut line = allow;
            if arches != [Arch::native()] {
                let list: Vec<&str> = arches.iter().map(|&a| report::arch_label(a)).collect();
                line.push_str(&format!(" -arch={}", list.join(",")));
            }
            landlock_beside(&landlock);
            line + "\n"
        }
        LearnFormat::Docker => {
            landlock_beside(&landlock);
            docker_profile(&used, arches)
        }
    }
}

fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "go-jail: {message}");
}

/// The Landlock options on stderr, beside a result that cannot hold them.
fn landlock_beside(options: &[String]) {
    if !options.is_empty() {
        warn(&format!("learned Landlock options: {}", options.join(" ")));
    }
}

/// The jail options of `argv` (`learn`, options, `--`, COMMAND of
/// `command_len` words): the words between `learn` and COMMAND without
/// learn's own `--format` and `-o`/`--output` (Go-style single-dash
/// spellings too) and without the `--` that ends them.
fn jail_options(argv: &[OsString], command_len: usize) -> Vec<OsString> {
    let end = argv.len().saturating_sub(command_len);
    let mut words = argv.get(1..end).unwrap_or(&[]).to_vec();
    if words.last().is_some_and(|w| w == "--") {
        words.pop();
    }
    let mut out = Vec::new();
    let mut skip_value = false;
    for word in words {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = word.to_string_lossy();
        let long = text.strip_prefix("--").or_else(|| text.strip_prefix('-'));
        match long.map(|l| l.split_once('=').map_or((l, false), |(n, _)| (n, true))) {
            Some(("format" | "output" | "o", false)) => skip_value = true,
            Some(("format" | "output", true)) => {}
            // `-oFILE`, clap's attached value of `-o` (not `-oci-config`)
            Some((n, _))
                if !text.starts_with("--") && n.starts_with('o') && !n.starts_with("oci") => {}
            _ => out.push(word),
        }
    }
    out
}

/// `word` as a POSIX shell reads it back: bare when it holds only safe
/// characters, else in single quotes (`'` as `'\''`).
fn shell_quote(word: &OsString) -> String {
    let text = word.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// A Docker/OCI seccomp profile allowing `names`, everything else `EPERM`.
fn docker_profile(names: &[&str], arches: &[Arch]) -> String {
    let profile = serde_json::json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": arches.iter().map(|&a| scmp_arch_name(a)).collect::<Vec<_>>(),
        "syscalls": [{ "names": names, "action": "SCMP_ACT_ALLOW" }],
    });
    let mut text = serde_json::to_string_pretty(&profile).expect("a JSON value serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_profile_shape() {
        let text = docker_profile(&["read", "write"], &[Arch::X86_64]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(v["defaultErrnoRet"], 1);
        assert_eq!(v["architectures"][0], "SCMP_ARCH_X86_64");
        assert_eq!(v["syscalls"][0]["names"][1], "write");
        assert_eq!(v["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
    }
}
