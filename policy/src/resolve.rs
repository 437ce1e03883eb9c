//! From names to numbers: [`resolve`] turns a [`PolicySpec`] into a
//! [`Policy`], a total function per target arch.

use std::collections::BTreeMap;

use bpf_asm::Arch;

use crate::action::{Action, ENOSYS};
use crate::policy::{ArchPolicy, Policy};
use crate::spec::{Mode, PolicyError, PolicySpec, Warning};
use crate::table::SyscallTable;

/// Resolves every name on every target arch.
///
/// - A name no supported arch knows is an error with suggestions.
/// - A name other arches know but a target lacks is skipped there, with a
///   [`Warning`] (`mmap2` on x86_64).
/// - Allow-list: listed → `ALLOW`, the rest → `deny_action`. Deny-list:
///   listed → `deny_action`, the rest → `ALLOW`. Explicit rules override both.
/// - `nr == -1` gets the default (never `ALLOW` under an allow-list).
/// - Foreign arches get `KILL_PROCESS`; on x86_64 the x32 region
///   `[0x40000000, 0xFFFFFFFE]` gets `KILL_PROCESS` in both modes (x32 is
///   not a target).
/// - With `enosys_fallback` (the default):
///   - numbers above the table get `ERRNO(ENOSYS)` in both modes, as the
///     kernel itself would answer, so programs built for newer kernels fall
///     back (runc's "-ENOSYS stub"); without it they get the default;
///   - `clone3` gets `ERRNO(ENOSYS)` when it is denied only because it was
///     left out (glibc falls back to `clone` only on `ENOSYS`).
/// - ARM's private syscalls (`__ARM_NR_BASE + n`, e.g. `set_tls`) are
///   ordinary syscalls here: named → the rule, unnamed → the default
///   (denied under an allow-list, allowed under a deny-list).
pub fn resolve(spec: &PolicySpec) -> Result<(Policy, Vec<Warning>), PolicyError> {
    let all_names = spec.names.iter().chain(spec.rules.iter().map(|r| &r.name));
    for name in all_names {
        if !SyscallTable::known_anywhere(name) {
            return Err(PolicyError::UnknownSyscall {
                name: name.clone(),
                suggestions: SyscallTable::suggest(name),
            });
        }
    }
    let arches = target_order(&spec.arches);
    if arches.is_empty() {
        return Err(PolicyError::NoArch);
    }
    let mut warnings = Vec::new();
    let policies = arches
        .into_iter()
        .map(|arch| resolve_arch(spec, arch, &mut warnings))
        .collect();
    Ok((
        Policy {
            arches: policies,
            foreign: Action::KillProcess,
        },
        warnings,
    ))
}

/// Deduplicated targets, the native arch first (it is the hot one).
fn target_order(arches: &[Arch]) -> Vec<Arch> {
    let mut out: Vec<Arch> = Vec::new();
    for &a in arches {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if let Some(i) = out.iter().position(|&a| a == Arch::native()) {
        let native = out.remove(i);
        out.insert(0, native);
    }
    out
}

fn resolve_arch(spec: &PolicySpec, arch: Arch, warnings: &mut Vec<Warning>) -> ArchPolicy {
    let (listed, default) = match spec.mode {
        Mode::AllowList => (Action::Allow, spec.deny_action),
        Mode::DenyList => (spec.deny_action, Action::Allow),
    };
    let mut lookup = |name: &str| {
        let nr = SyscallTable::lookup(arch, name);
        if nr.is_none() {
            let w = Warning::NotOnArch {
                name: name.to_string(),
                arch,
                known_on: SyscallTable::arches_with(name),
            };
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        nr
    };
    let mut rules = BTreeMap::new();
    for name in &spec.names {
        if let Some(nr) = lookup(name) {
            rules.insert(nr, listed);
        }
    }
    for rule in &spec.rules {
        if let Some(nr) = lookup(&rule.name) {
            rules.insert(nr, rule.action);
        }
    }
    let enosys = Action::Errno(ENOSYS);
    if spec.enosys_fallback && default != Action::Allow {
        if let Some(clone3) = SyscallTable::lookup(arch, "clone3") {
            rules.entry(clone3).or_insert(enosys);
        }
    }
    // A rule that says what the default says is no rule (clone3 was looked
    // at first, so an explicit `clone3 → default` still beats ENOSYS).
    rules.retain(|_, a| *a != default);
    ArchPolicy {
        arch,
        default,
        rules,
        above_table: if spec.enosys_fallback {
            enosys
        } else {
            default
        },
        x32: (arch == Arch::X86_64).then_some(Action::KillProcess),
        table_end: SyscallTable::max_nr(arch) + 1,
        private: SyscallTable::private_range(arch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::EPERM;
    use bpf_asm::SeccompData;

    fn data(arch: Arch, nr: u32) -> SeccompData {
        SeccompData {
            nr,
            arch: arch.audit(),
            ..SeccompData::default()
        }
    }

    fn x86_64(spec: PolicySpec) -> (Policy, Vec<Warning>) {
        resolve(&PolicySpec {
            arches: vec![Arch::X86_64],
            ..spec
        })
        .unwrap()
    }

    #[test]
    fn unknown_names_are_errors_with_suggestions() {
        let err = resolve(&PolicySpec::allow(&["read", "opnat"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown syscall 'opnat', did you mean 'openat'?"
        );
        let err = resolve(&PolicySpec::allow(&["qqqqqqqqqqqq"])).unwrap_err();
        assert_eq!(err.to_string(), "unknown syscall 'qqqqqqqqqqqq'");
        let err = resolve(&PolicySpec::allow(&["mmap3"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown syscall 'mmap3', did you mean 'mmap' or 'mmap2'?"
        );
    }

    #[test]
    fn other_arch_names_are_skipped_with_a_warning() {
        let (p, w) = x86_64(PolicySpec::allow(&["read", "mmap2", "fstat64", "mmap2"]));
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0].to_string(),
            "syscall 'mmap2' does not exist on x86_64, skipped (it exists on x86, arm)"
        );
        assert_eq!(p.arches[0].rules.get(&0), Some(&Action::Allow));
    }

    #[test]
    fn duplicates_are_harmless() {
        let (a, _) = x86_64(PolicySpec::allow(&["read", "read", "write"]));
        let (b, _) = x86_64(PolicySpec::allow(&["write", "read"]));
        assert_eq!(a, b);
    }

    #[test]
    fn special_regions_of_an_allow_list() {
        let (p, _) = x86_64(PolicySpec::allow(&["read"]));
        let eval = |nr| p.evaluate(&data(Arch::X86_64, nr));
        let eperm = Action::Errno(EPERM);
        let enosys = Action::Errno(ENOSYS);
        assert_eq!(eval(0), Action::Allow);
        assert_eq!(eval(1), eperm);
        assert_eq!(eval(435), enosys, "clone3");
        let max = SyscallTable::max_nr(Arch::X86_64);
        assert_eq!(eval(max), eperm);
        assert_eq!(eval(max + 1), enosys);
        assert_eq!(eval(0x3fff_ffff), enosys);
        assert_eq!(eval(0x4000_0000), Action::KillProcess);
        assert_eq!(eval(0x4000_0000), Action::KillProcess);
        assert_eq!(eval(0xffff_fffe), Action::KillProcess);
        assert_eq!(eval(0xffff_ffff), eperm);
        assert_eq!(p.evaluate(&data(Arch::X86, 3)), Action::KillProcess);
        assert_eq!(p.evaluate(&data(Arch::X86, 0)), Action::KillProcess);
    }

    #[test]
    fn special_regions_of_a_deny_list() {
        let (p, _) = x86_64(PolicySpec::deny(&["ptrace", "clone3"]));
        let eval = |nr| p.evaluate(&data(Arch::X86_64, nr));
        assert_eq!(eval(101), Action::Errno(EPERM));
        assert_eq!(eval(435), Action::Errno(EPERM), "explicitly denied");
        assert_eq!(eval(0), Action::Allow);
        assert_eq!(eval(0x3fff_ffff), Action::Errno(ENOSYS));
        assert_eq!(eval(0x4000_0005), Action::KillProcess);
        assert_eq!(eval(0xffff_ffff), Action::Allow);
        let (p, _) = x86_64(PolicySpec {
            enosys_fallback: false,
            ..PolicySpec::deny(&["ptrace"])
        });
        assert_eq!(p.arches[0].action(1000), Action::Allow);
        assert_eq!(p.arches[0].action(0x4000_0001), Action::KillProcess);
    }

    #[test]
    fn explicit_rules_win() {
        let (p, _) = x86_64(PolicySpec {
            rules: vec![
                crate::spec::Rule::new("clone3", Action::KillThread),
                crate::spec::Rule::new("read", Action::Log),
            ],
            ..PolicySpec::allow(&["read"])
        });
        assert_eq!(p.arches[0].action(435), Action::KillThread);
        assert_eq!(p.arches[0].action(0), Action::Log);
    }

    #[test]
    fn empty_allow_list_denies_everything() {
        let (p, _) = x86_64(PolicySpec::allow::<&str>(&[]));
        assert_eq!(p.arches[0].action(0), Action::Errno(EPERM));
        assert_eq!(p.arches[0].action(435), Action::Errno(ENOSYS));
    }

    #[test]
    fn multi_arch_resolves_in_each_table_native_first() {
        let (p, w) = resolve(&PolicySpec {
            arches: vec![Arch::X86, Arch::X86_64, Arch::X86],
            ..PolicySpec::allow(&["openat", "mmap2"])
        })
        .unwrap();
        assert_eq!(p.arches.len(), 2);
        assert_eq!(p.arches[0].arch, Arch::native());
        assert_eq!(w.len(), 1);
        assert_eq!(p.evaluate(&data(Arch::X86, 295)), Action::Allow);
        assert_eq!(p.evaluate(&data(Arch::X86, 192)), Action::Allow);
        assert_eq!(p.evaluate(&data(Arch::X86_64, 257)), Action::Allow);
        assert_eq!(
            p.evaluate(&data(Arch::X86, 0x4000_0000)),
            Action::Errno(ENOSYS)
        );
        assert_eq!(p.evaluate(&data(Arch::Arm, 0)), Action::KillProcess);
    }

    #[test]
    fn arm_private_syscalls() {
        let (p, _) = resolve(&PolicySpec {
            arches: vec![Arch::Arm],
            ..PolicySpec::allow(&["set_tls"])
        })
        .unwrap();
        let a = &p.arches[0];
        assert_eq!(a.action(0x0f_0005), Action::Allow);
        assert_eq!(a.action(0x0f_0002), Action::Errno(EPERM));
        assert_eq!(a.action(0x0f_0800), Action::Errno(ENOSYS));
        assert_eq!(a.action(0x4000_0000), Action::Errno(ENOSYS));
        let (p, _) = resolve(&PolicySpec {
            arches: vec![Arch::Arm],
            ..PolicySpec::deny(&["ptrace"])
        })
        .unwrap();
        assert_eq!(p.arches[0].action(0x0f_0002), Action::Allow);
    }
}
