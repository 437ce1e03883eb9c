//! `go-jail explain`: what a filter does, read off the program itself.
//!
//! The program (compiled from the policy options, or any tool's raw BPF with
//! `--bpf`) is analysed by `bpf_asm::explain` (a symbolic walk per syscall
//! number, with policy's syscall tables supplying the names); this module
//! renders the result: actions by name, conditional outcomes as text
//! (`ERRNO(1) (EPERM) if args[1].lo == 0x5412; ALLOW otherwise`), unnamed
//! numbers as merged ranges, and arches grouped by what they get.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use bpf_asm::explain::{self, ArchSyscalls, Ret};
use bpf_asm::seccomp::{Arch, X32_SYSCALL_BIT};
use bpf_asm::{Program, Verdict};
use policy::SyscallTable;

use crate::args::ExplainArgs;
use crate::fail::Failure;
use crate::policy_input::PolicyInput;
use crate::{cmd_bpf, output};

pub fn explain(a: &ExplainArgs) -> Result<i32, Failure> {
    let landlock = crate::landlock::shown(&a.landlock, a.policy.no_net, a.policy.no_unix)?;
    let filter_asked = a.bpf.is_some()
        || a.policy.syscall_allow.is_some()
        || a.policy.syscall_deny.is_some()
        || a.policy.seccomp_profile.is_some()
        || a.policy.oci_config.is_some()
        || a.policy.no_userns;
    if !filter_asked && !landlock.is_empty() && !a.policy.no_net && !a.policy.no_unix {
        landlock.iter().for_each(|l| println!("{l}"));
        return Ok(0);
    }
    explain_filter(a)?;
    landlock.iter().for_each(|l| println!("{l}"));
    Ok(0)
}

fn explain_filter(a: &ExplainArgs) -> Result<(), Failure> {
    let (prog, targets) = match &a.bpf {
        Some(path) => {
            let p = &a.policy;
            if p.syscall_allow.is_some()
                || p.syscall_deny.is_some()
                || p.errno.is_some()
                || p.profile_weights.is_some()
            {
                return Err(Failure::input(
                    "--bpf explains a program: only --arch goes with it".into(),
                ));
            }
            let prog = cmd_bpf::read_raw(path)?;
            let report = bpf_asm::verify::verify(&prog);
            if let Some(e) = report.errors.first() {
                return Err(Failure::input(format!(
                    "{}: the kernel would refuse this program: {e}",
                    path.display()
                )));
            }
            let targets = PolicyInput::arches_of(p)?;
            (prog, targets)
        }
        None => {
            let input = PolicyInput::new(&a.policy, None, None)?;
            let spec = input.spec().ok_or_else(|| {
                Failure::input(
                    "explain needs -syscall-allow=LIST, -syscall-deny=LIST or --bpf FILE".into(),
                )
            })?;
            let compiled = input.compile(spec, a.quiet)?;
            let targets = compiled.policy.arches().iter().map(|p| p.arch()).collect();
            (compiled.program, Some(targets))
        }
    };
    let text = if a.per_syscall {
        per_syscall(&prog, &targets.unwrap_or_else(|| vec![Arch::native()]))
    } else {
        summary(&prog, targets.as_deref())
    };
    print!("{text}");
    Ok(())
}

/// One line per table syscall of each target: `ARCH NR NAME RAW ACTION`,
/// RAW being the return value in hex, or `cond` when it depends on arguments.
fn per_syscall(prog: &Program, arches: &[Arch]) -> String {
    let mut out = String::new();
    for &arch in arches {
        for (nr, name) in SyscallTable::entries(arch) {
            let o = outcome(prog, arch.audit(), nr);
            let raw = match &o {
                Outcome::Always(Ret::Value(v)) => format!("{v:#010x}"),
                _ => "cond".into(),
            };
            let _ = writeln!(out, "{} {nr} {name} {raw} {}", arch.name(), o.text());
        }
    }
    out
}

/// The grouped explanation.
fn summary(prog: &Program, targets: Option<&[Arch]>) -> String {
    let explanation = explain::explain(prog, &syscalls);
    let unknown = Analysis::from(explanation.unknown);
    let mut explained = Vec::new();
    let mut others: Vec<(String, Vec<Analysis>)> = Vec::new();
    let mut other_names: Vec<(String, String)> = Vec::new();
    for (arch, an) in Arch::ALL.into_iter().zip(explanation.arches) {
        let an = Analysis::from(an);
        let is_target = match targets {
            Some(t) => t.contains(&arch),
            None => an.uniform().is_none() || an.uniform() != unknown.uniform(),
        };
        if is_target {
            explained.push((arch, an));
        } else {
            let text = an
                .uniform()
                .map(|o| o.text())
                .unwrap_or_else(|| "depends on the syscall".into());
            other_names.push((arch.name().to_string(), text.clone()));
            others.push((text, vec![an]));
        }
    }
    // Keep targets in the order given (native first for compiled policies).
    if let Some(t) = targets {
        explained.sort_by_key(|(a, _)| t.iter().position(|x| x == a));
    }
    let mut out = String::new();
    for (arch, an) in &explained {
        out.push_str(&an.render(arch.name()));
    }
    let unknown_text = unknown
        .uniform()
        .map(|o| o.text())
        .unwrap_or_else(|| "depends on the syscall".into());
    let differing: Vec<&(String, String)> = other_names
        .iter()
        .filter(|(_, t)| *t != unknown_text)
        .collect();
    for (name, text) in &differing {
        let _ = writeln!(out, "{name}: {text}");
    }
    let _ = writeln!(out, "other architectures: {unknown_text}");
    out
}

/// An outcome as shown: the text of a conditional outcome is what groups it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Outcome {
    Always(Ret),
    /// Rendered: `X if …; Y otherwise`.
    Conditional(String),
}

impl Outcome {
    fn text(&self) -> String {
        match self {
            Outcome::Always(r) => ret_text(r),
            Outcome::Conditional(s) => s.clone(),
        }
    }
}

impl From<explain::Outcome> for Outcome {
    fn from(o: explain::Outcome) -> Outcome {
        match o {
            explain::Outcome::Always(r) => Outcome::Always(r),
            explain::Outcome::Conditional { cases, otherwise } => {
                Outcome::Conditional(conditional_text(&cases, &otherwise))
            }
            explain::Outcome::TooManyPaths => Outcome::Conditional(format!(
                "depends on the arguments in more than {} ways",
                explain::MAX_PATHS
            )),
        }
    }
}

fn ret_text(r: &Ret) -> String {
    match r {
        Ret::Value(v) => output::verdict(Verdict::from_raw(*v)),
        Ret::Computed(e) => format!("the value of {e}"),
        Ret::Error(e) => format!("error ({e})"),
    }
}

/// `X if A; Y if (B) or (C); Z otherwise`.
fn conditional_text(cases: &[explain::Case], otherwise: &Ret) -> String {
    let mut parts = Vec::new();
    for case in cases {
        let alternatives: Vec<String> = case
            .paths
            .iter()
            .map(|c| {
                if c.is_empty() {
                    "always".to_string()
                } else {
                    c.join(" and ")
                }
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let cond = if alternatives.len() == 1 {
            alternatives[0].clone()
        } else {
            alternatives
                .iter()
                .map(|a| format!("({a})"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        parts.push(format!("{} if {cond}", ret_text(&case.ret)));
    }
    parts.push(format!("{} otherwise", ret_text(otherwise)));
    parts.join("; ")
}

/// What syscall `nr` of the arch `audit` gets.
fn outcome(prog: &Program, audit: u32, nr: u32) -> Outcome {
    explain::outcome(prog, audit, nr).into()
}

/// The caller's side of the walk: policy's syscall table of `arch`.
fn syscalls(arch: Arch) -> ArchSyscalls {
    let entries: BTreeMap<u32, &'static str> = SyscallTable::entries(arch).collect();
    ArchSyscalls {
        end: SyscallTable::max_nr(arch) + 1,
        named: entries
            .into_iter()
            .map(|(nr, name)| (nr, name.to_string()))
            .collect(),
    }
}

/// The outcomes over one arch's whole number space, as shown.
struct Analysis {
    arch: Option<Arch>,
    /// Named syscalls.
    named: Vec<(u32, String, Outcome)>,
    /// Unnamed numbers, as merged ranges.
    ranges: Vec<(u32, u32, Outcome)>,
}

impl From<explain::Analysis> for Analysis {
    /// Adjacent pieces with the same shown outcome merge into one range.
    fn from(an: explain::Analysis) -> Analysis {
        let mut ranges: Vec<(u32, u32, Outcome)> = Vec::new();
        for (lo, hi, o) in an.pieces {
            let o = Outcome::from(o);
            match ranges.last_mut() {
                Some(last) if last.2 == o && last.1.checked_add(1) == Some(lo) => last.1 = hi,
                _ => ranges.push((lo, hi, o)),
            }
        }
        Analysis {
            arch: an.arch,
            named: an
                .named
                .into_iter()
                .map(|(nr, name, o)| (nr, name, o.into()))
                .collect(),
            ranges,
        }
    }
}

/// One arch's analysis with policy's table (the summary takes all at once).
#[cfg(test)]
fn analyze(prog: &Program, audit: u32, arch: Option<Arch>) -> Analysis {
    let table = arch.map(syscalls).unwrap_or_default();
    explain::analyze(prog, audit, arch, &table).into()
}

impl Analysis {
    /// The single outcome of every number, if there is one.
    fn uniform(&self) -> Option<&Outcome> {
        let mut all = self
            .named
            .iter()
            .map(|n| &n.2)
            .chain(self.ranges.iter().map(|r| &r.2));
        let first = all.next()?;
        all.all(|o| o == first).then_some(first)
    }

    fn range_text(&self, lo: u32, hi: u32) -> String {
        if lo == u32::MAX {
            return "nr -1".into();
        }
        let x32 = self.arch == Some(Arch::X86_64) && lo >= X32_SYSCALL_BIT;
        let prefix = if x32 { "x32 numbers" } else { "numbers" };
        if lo == hi {
            format!("{prefix} {}", num(lo))
        } else {
            format!("{prefix} {}..={}", num(lo), num(hi))
        }
    }

    /// One line per action, then one per conditional syscall.
    fn render(&self, arch: &str) -> String {
        let mut names: BTreeMap<&Outcome, Vec<&str>> = BTreeMap::new();
        for (_, name, o) in &self.named {
            names.entry(o).or_default().push(name.as_str());
        }
        let mut ranges: BTreeMap<&Outcome, Vec<String>> = BTreeMap::new();
        for (lo, hi, o) in &self.ranges {
            ranges.entry(o).or_default().push(self.range_text(*lo, *hi));
        }
        let total = self.named.len();
        let dominant = names
            .iter()
            .filter(|(o, _)| matches!(o, Outcome::Always(_)))
            .max_by_key(|(_, n)| n.len())
            .filter(|(_, n)| n.len() > 30)
            .map(|(o, _)| *o);
        let mut always: Vec<&Outcome> = names
            .keys()
            .chain(ranges.keys())
            .copied()
            .filter(|o| matches!(o, Outcome::Always(_)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        always.sort_by_key(|o| match o {
            Outcome::Always(Ret::Value(v)) => (0, std::cmp::Reverse((*v & 0xffff_0000) as i32), *v),
            _ => (1, std::cmp::Reverse(0), 0),
        });
        let mut out = String::new();
        for o in always {
            let n = names.get(o).map_or(&[][..], |v| v.as_slice());
            let mut items = Vec::new();
            let head = if Some(o) == dominant {
                let every = if n.len() == total {
                    "every syscall"
                } else {
                    "every other syscall"
                };
                items.push(format!("{every} ({})", n.len()));
                o.text()
            } else if n.is_empty() {
                o.text()
            } else {
                items.push(n.join(" "));
                format!("{} ({})", o.text(), n.len())
            };
            if let Some(r) = ranges.get(o) {
                items.extend(r.iter().cloned());
            }
            let _ = writeln!(out, "{arch}: {head}: {}", items.join(", "));
        }
        for (_, name, o) in &self.named {
            if let Outcome::Conditional(text) = o {
                let _ = writeln!(out, "{arch}: {name}: {text}");
            }
        }
        for (lo, hi, o) in &self.ranges {
            if let Outcome::Conditional(text) = o {
                let _ = writeln!(out, "{arch}: {}: {text}", self.range_text(*lo, *hi));
            }
        }
        out
    }
}

/// Small numbers in decimal, large ones in hex.
fn num(v: u32) -> String {
    if v < 0x1_0000 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpf_asm::SeccompData;
    use policy::PolicySpec;

    fn compiled(spec: PolicySpec) -> (policy::Policy, Program) {
        let (p, _) = policy::resolve(&spec).unwrap();
        let prog = policy::compile(&p, &policy::CompileOptions::default()).unwrap();
        (p, prog)
    }

    #[test]
    fn agrees_with_the_reference_evaluator() {
        for spec in [
            PolicySpec::allow(&["read", "write", "exit_group", "execve"]),
            PolicySpec::deny(&["ptrace", "mount"]),
            PolicySpec {
                arches: vec![Arch::X86_64, Arch::X86, Arch::Aarch64],
                ..PolicySpec::allow(&["openat", "read"])
            },
        ] {
            let (p, prog) = compiled(spec);
            for ap in p.arches() {
                let an = analyze(&prog, ap.arch().audit(), Some(ap.arch()));
                for (nr, _, o) in &an.named {
                    let want = p.evaluate(&SeccompData {
                        nr: *nr,
                        arch: ap.arch().audit(),
                        ..SeccompData::default()
                    });
                    assert_eq!(*o, Outcome::Always(Ret::Value(want.to_raw())), "{nr}");
                }
                for (lo, hi, o) in &an.ranges {
                    for nr in [*lo, *hi] {
                        let want = ap.action(nr);
                        assert_eq!(*o, Outcome::Always(Ret::Value(want.to_raw())), "{nr}");
                    }
                }
            }
        }
    }

    #[test]
    fn compiled_argument_conditions() {
        let (p, prog) = compiled(PolicySpec {
            arches: vec![Arch::X86_64],
            rules: policy::tty_guard_rules(),
            ..PolicySpec::deny(&["ptrace"])
        });
        let o = outcome(&prog, Arch::X86_64.audit(), 16);
        let text = o.text();
        assert!(text.starts_with("ERRNO(1) (EPERM) if "), "{text}");
        assert!(text.contains("0x5412") && text.contains("0x541c"), "{text}");
        assert!(text.ends_with("; ALLOW otherwise"), "{text}");
        // Every path agrees with the reference evaluator on a witness.
        for req in [0x5412u64, 0x541c, 0x5413, 0x1_0000_5412] {
            let want = p.evaluate(&SeccompData {
                nr: 16,
                arch: Arch::X86_64.audit(),
                args: [0, req, 0, 0, 0, 0],
                ..SeccompData::default()
            });
            let got = bpf_asm::run(
                &prog,
                &SeccompData {
                    nr: 16,
                    arch: Arch::X86_64.audit(),
                    args: [0, req, 0, 0, 0, 0],
                    ..SeccompData::default()
                },
            )
            .unwrap();
            assert_eq!(got.ret, want.to_raw(), "{req:#x}");
        }
    }

    #[test]
    fn argument_conditions() {
        let text = "\
ld [nr]
jeq #16, ioctl, allow
ioctl:
ld [args[1].lo]
jeq #0x5412, deny, allow
deny:
ret ERRNO(1)
allow:
ret ALLOW
";
        let prog = bpf_asm::text::assemble(text).unwrap();
        let o = outcome(&prog, Arch::X86_64.audit(), 16);
        assert_eq!(
            o.text(),
            "ERRNO(1) (EPERM) if args[1].lo == 0x5412; ALLOW otherwise"
        );
        assert_eq!(outcome(&prog, Arch::X86_64.audit(), 0).text(), "ALLOW");
    }
}
