//! `go-jail learn [JAIL OPTIONS] -- COMMAND`: run COMMAND under the jail
//! (identity, capabilities, no_new_privs) with a filter that notifies on
//! every syscall of the target arches and lets it run, for COMMAND and
//! everything it starts (filters are inherited); then print the syscalls
//! used as `-syscall-allow=…` or a Docker/OCI profile.
//!
//! The filter is an empty allow-list whose denials all became
//! `USER_NOTIF`, so calls no allow-list can name (another ABI, x32,
//! numbers above the table) are answered as the final allow-list would
//! answer them, and reported. `execve` of COMMAND itself runs under the
//! filter, so it is learned, as are the dynamic loader's calls. The guards
//! (TTY unless `--allow-tty-injection`, `--no-userns`, the listener guard)
//! are enforced by the kernel, not learned.

use std::io::Write as _;

use bpf_asm::Arch;
use policy::profile::scmp_arch_name;
use policy::{Mode as SpecMode, PolicySpec, SyscallTable};

use crate::args::{LearnArgs, LearnFormat};
use crate::fail::Failure;
use crate::filter;
use crate::names;
use crate::report;
use crate::supervise::{self, Mode};

pub fn learn(args: &LearnArgs) -> Result<i32, Failure> {
    let jail = &args.jail;
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
    if jail.report_denied.is_some() || jail.complain {
        return Err(Failure::input(
            "learn reports nothing but its result: drop --report-denied/--complain".into(),
        ));
    }
    let arches = match &jail.policy.arch {
        Some(list) => names::parse_arches(list)?,
        None => vec![Arch::native()],
    };
    let mut spec = PolicySpec {
        mode: SpecMode::AllowList,
        names: Vec::new(),
        arches: arches.clone(),
        ..PolicySpec::default()
    };
    // The guards are enforced by the kernel, not learned: a TIOCSTI gets
    // EPERM (unless --allow-tty-injection), as the learned policy will give it.
    let mut guards = filter::run_guards(!jail.allow_tty_injection);
    guards.extend(policy::listener_guard_rules());
    let enforced = filter::enforced(p, &guards);
    policy::add_guards(&mut spec, &enforced);
    let (base, _) = policy::resolve(&spec).map_err(|e| Failure::input(e.to_string()))?;
    let program = supervise::compile_notifying(&base, None, &enforced)?;
    let pty = crate::pty_parent::open(jail)?;
    let plan = crate::pty_parent::prepare(jail, Some(&program), pty.as_ref())?;
    let finished = supervise::supervise(&plan, &base, Mode::Learn, jail.keep_orphans, pty)?;

    let mut used: Vec<&'static str> = finished
        .learned
        .iter()
        .filter_map(|&(audit, nr)| Arch::from_audit(audit).and_then(|a| SyscallTable::name(a, nr)))
        .collect();
    used.sort_unstable();
    used.dedup();
    let text = match args.format {
        LearnFormat::Allow => {
            let mut line = format!("-syscall-allow={}", used.join(","));
            if arches != [Arch::native()] {
                let list: Vec<&str> = arches.iter().map(|&a| report::arch_label(a)).collect();
                line.push_str(&format!(" -arch={}", list.join(",")));
            }
            line + "\n"
        }
        LearnFormat::Docker => docker_profile(&used, &arches),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::input(format!("{}: {}", path.display(), names::io_error(&e))))?,
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    Ok(finished.status)
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
