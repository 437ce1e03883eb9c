//! The disassembly go-jail prints (`compile --dump`, `compile --format asm`,
//! `disasm`), with each compare against `nr` named from the table of the
//! architecture whose branch it is on: the i386 branch of an
//! `--arch x86_64,x86` filter says `fcntl64`, not x86_64's name for 221.
//!
//! Which branch an instruction is on comes from the program itself. A
//! forward pass (classic BPF jumps only forward, so one pass in pc order
//! sees every path into a pc before the pc) tracks the set of architectures
//! a syscall reaching each pc can come from: after `ld [arch]`,
//! `jeq #AUDIT_ARCH_I386, T, F` leaves only i386 at `T` and removes i386
//! from `F`; where paths join, their sets unite. `seccomp_data.arch` is the
//! same for a whole run of the filter (`populate_seccomp_data`,
//! kernel/seccomp.c), so later loads of `A` do not undo what a test showed.

use std::collections::BTreeMap;

use bpf_asm::insn::{class, jump_target, misc, mode, op, size, src};
use bpf_asm::seccomp::offset;
use bpf_asm::text::DisasmOptions;
use bpf_asm::{Arch, Insn, Program};

use crate::syscall_names;

/// The program as text, one instruction per line; a compare with `nr` is
/// named from the table of its branch's arch (see [`naming_arches`]).
pub fn disassemble(prog: &Program, fallback: Option<Arch>) -> String {
    let arches = naming_arches(prog, fallback);
    let namer = syscall_names::syscall_namer();
    let text = |arch: Option<Arch>| {
        let opts = DisasmOptions {
            arch,
            syscall_name: Some(&namer),
            ..Default::default()
        };
        bpf_asm::text::disassemble(prog, &opts)
    };
    // bpf-asm names every compare by one arch: disassemble once per arch
    // and take each pc's line from its own arch's text.
    let texts: BTreeMap<Option<Arch>, String> = arches.iter().map(|&a| (a, text(a))).collect();
    let lines: BTreeMap<Option<Arch>, Vec<&str>> = texts
        .iter()
        .map(|(&a, t)| (a, t.lines().collect()))
        .collect();
    if lines.values().any(|l| l.len() != prog.len()) {
        // Not one line per instruction (text's contract without labels):
        // the comments would land on the wrong lines.
        return text(fallback);
    }
    let mut out = String::new();
    for (pc, arch) in arches.iter().enumerate() {
        out.push_str(lines[arch][pc]);
        out.push('\n');
    }
    out
}

/// The arch whose table names the numbers compared at each pc: the only arch
/// a syscall reaching the pc can come from; `fallback` where no path to the
/// pc has tested `arch`; `None` where branches of several arches join, where
/// the tested audit value has no table, and at unreachable pcs.
pub fn naming_arches(prog: &Program, fallback: Option<Arch>) -> Vec<Option<Arch>> {
    let len = prog.len();
    let mut facts: Vec<Option<Fact>> = vec![None; len];
    if let Some(first) = facts.first_mut() {
        *first = Some(Fact {
            arches: Arches::ANY,
            a_is_arch: false,
        });
    }
    for pc in 0..len {
        let Some(fact) = facts[pc] else { continue };
        for (to, next) in successors(pc, prog.insns[pc], fact, len) {
            facts[to] = Some(match facts[to] {
                Some(seen) => seen.join(next),
                None => next,
            });
        }
    }
    facts
        .iter()
        .map(|f| f.and_then(|f| f.arches.naming(fallback)))
        .collect()
}

/// What every path to a pc agrees on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fact {
    /// The arches a syscall on some path to here can come from.
    arches: Arches,
    /// `A` holds `seccomp_data.arch` on every path to here.
    a_is_arch: bool,
}

impl Fact {
    fn join(self, other: Fact) -> Fact {
        Fact {
            arches: Arches(self.arches.0 | other.arches.0),
            a_is_arch: self.a_is_arch && other.a_is_arch,
        }
    }
}

/// A set of arches: bit `i` for `Arch::ALL[i]`, [`Arches::OTHER`] for every
/// audit value without a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Arches(u8);

impl Arches {
    const OTHER: u8 = 1 << Arch::ALL.len();
    const ANY: Arches = Arches((Arches::OTHER << 1) - 1);

    fn bit(arch: Arch) -> u8 {
        // Arch::ALL lists every arch; were one missing, it would count as OTHER
        let i = Arch::ALL.iter().position(|&a| a == arch);
        1 << i.unwrap_or(Arch::ALL.len())
    }

    /// After `jeq #audit`: the true branch keeps only `audit`'s arch, the
    /// false branch every arch but it (an audit value without a table
    /// stands for many values, so its false branch learns nothing).
    fn split(self, audit: u32) -> (Arches, Arches) {
        match Arch::from_audit(audit) {
            Some(arch) => (
                Arches(self.0 & Arches::bit(arch)),
                Arches(self.0 & !Arches::bit(arch)),
            ),
            None => (Arches(self.0 & Arches::OTHER), self),
        }
    }

    fn naming(self, fallback: Option<Arch>) -> Option<Arch> {
        if self == Arches::ANY {
            return fallback;
        }
        Arch::ALL.into_iter().find(|&a| self.0 == Arches::bit(a))
    }
}

/// Where `insn` at `pc` goes next, with what holds there.
fn successors(pc: usize, insn: Insn, fact: Fact, len: usize) -> Vec<(usize, Fact)> {
    let after = Fact {
        a_is_arch: a_is_arch_after(insn, fact.a_is_arch),
        ..fact
    };
    let branches: Vec<(u64, Fact)> = match insn.class() {
        class::RET => vec![],
        class::JMP if insn.is_ja() => vec![(u64::from(insn.k), after)],
        class::JMP => {
            let (mut taken, mut not_taken) = (after, after);
            if fact.a_is_arch && insn.code == class::JMP | op::JEQ | src::K {
                (taken.arches, not_taken.arches) = fact.arches.split(insn.k);
            }
            vec![(u64::from(insn.jt), taken), (u64::from(insn.jf), not_taken)]
        }
        _ => vec![(0, after)],
    };
    branches
        .into_iter()
        .filter_map(|(off, f)| jump_target(pc, off, len).map(|to| (to, f)))
        .collect()
}

/// Whether `A` holds `seccomp_data.arch` after `insn`.
fn a_is_arch_after(insn: Insn, before: bool) -> bool {
    match insn.class() {
        class::LD => insn.code == class::LD | size::W | mode::ABS && insn.k == offset::ARCH,
        class::ALU => false,
        class::MISC => insn.code & misc::TXA == 0 && before,
        _ => before,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpf_asm::testgen::{self, Rng};
    use bpf_asm::{interp, AluOp, JmpCond, SeccompData, Verdict};
    use policy::PolicySpec;
    use proptest::prelude::*;

    fn ret(v: Verdict) -> Insn {
        Insn::ret_k(v.to_raw())
    }

    /// x86_64 at 3..=4, i386 at 5..=6, kill at 7.
    fn two_arches() -> Program {
        Program::new(vec![
            Insn::ld_abs(offset::ARCH),
            Insn::jmp_k(JmpCond::Eq, Arch::X86_64.audit(), 1, 0),
            Insn::jmp_k(JmpCond::Eq, Arch::X86.audit(), 2, 4),
            Insn::ld_abs(offset::NR),
            Insn::jmp_k(JmpCond::Eq, 55, 2, 3),
            Insn::ld_abs(offset::NR),
            Insn::jmp_k(JmpCond::Eq, 55, 0, 1),
            ret(Verdict::KillProcess),
            ret(Verdict::Allow),
        ])
    }

    #[test]
    fn each_branch_is_named_by_the_arch_it_tested() {
        let at = naming_arches(&two_arches(), Some(Arch::X86_64));
        assert_eq!(at[3..=4], [Some(Arch::X86_64); 2]);
        assert_eq!(at[5..=6], [Some(Arch::X86); 2]);
    }

    #[test]
    fn the_fallback_names_only_where_no_arch_was_tested() {
        let at = naming_arches(&two_arches(), Some(Arch::Aarch64));
        assert_eq!(at[0..=1], [Some(Arch::Aarch64); 2]);
        // not x86_64 any more: no name rather than a wrong one
        assert_eq!(at[2], None);
        assert_eq!(at[3], Some(Arch::X86_64));
    }

    #[test]
    fn where_branches_of_two_arches_join_nothing_is_named() {
        // pc 7 (kill) is reached from the failed i386 check and from both
        // branches; pc 8 (allow) from both branches.
        let at = naming_arches(&two_arches(), Some(Arch::X86_64));
        assert_eq!(at[8], None);
    }

    #[test]
    fn a_compare_after_a_reload_of_a_is_not_an_arch_test() {
        let prog = Program::new(vec![
            Insn::ld_abs(offset::ARCH),
            Insn::ld_abs(offset::NR),
            // compares nr with a number that happens to be i386's audit value
            Insn::jmp_k(JmpCond::Eq, Arch::X86.audit(), 0, 0),
            ret(Verdict::Allow),
        ]);
        assert_eq!(
            naming_arches(&prog, Some(Arch::X86_64))[3],
            Some(Arch::X86_64)
        );
    }

    #[test]
    fn arithmetic_on_the_arch_or_txa_ends_the_arch_test() {
        for change in [Insn::alu_k(AluOp::And, 0x4000_0003), Insn::txa()] {
            let prog = Program::new(vec![
                Insn::ld_abs(offset::ARCH),
                Insn::tax(), // X holds arch too, A still does
                change,
                // true for x86_64 too once A & 0x40000003
                Insn::jmp_k(JmpCond::Eq, Arch::X86.audit(), 0, 1),
                ret(Verdict::Allow),
                ret(Verdict::KillProcess),
            ]);
            let at = naming_arches(&prog, None);
            assert_eq!(at[4], None, "{change:?}");
        }
        let kept = Program::new(vec![
            Insn::ld_abs(offset::ARCH),
            Insn::tax(),
            Insn::jmp_k(JmpCond::Eq, Arch::X86.audit(), 0, 1),
            ret(Verdict::Allow),
            ret(Verdict::KillProcess),
        ]);
        assert_eq!(naming_arches(&kept, None)[3], Some(Arch::X86));
    }

    #[test]
    fn an_audit_value_without_a_table_names_nothing() {
        let prog = Program::new(vec![
            Insn::ld_abs(offset::ARCH),
            Insn::jmp_k(JmpCond::Eq, 0x4000_0008, 0, 1), // AUDIT_ARCH_MIPS
            ret(Verdict::Allow),
            ret(Verdict::KillProcess),
        ]);
        let at = naming_arches(&prog, Some(Arch::X86_64));
        assert_eq!(at[2], None);
        assert_eq!(at[3], Some(Arch::X86_64));
    }

    fn is_ld_nr(insn: Insn) -> bool {
        insn == Insn::ld_abs(offset::NR)
    }

    /// Checks `at` against runs of `prog` on syscalls of every arch (and of
    /// an arch without a table): a pc named by an arch is reached only by
    /// that arch's syscalls; a run of an arch in `named` names its `ld [nr]`.
    fn check_runs(prog: &Program, named: &[Arch], rng: &mut Rng) -> Result<(), TestCaseError> {
        let at = naming_arches(prog, None);
        for audit in Arch::ALL.map(Arch::audit).into_iter().chain([0x4000_0008]) {
            for _ in 0..8 {
                let data = SeccompData {
                    arch: audit,
                    ..testgen::data_for(rng, prog)
                };
                let (_, trace) = interp::run_traced(prog, &data);
                for pc in trace {
                    if let Some(arch) = at[pc] {
                        prop_assert_eq!(arch.audit(), audit, "pc {}", pc);
                    }
                    let of_named = named.iter().any(|a| a.audit() == audit);
                    if of_named && is_ld_nr(prog.insns[pc]) {
                        prop_assert_eq!(at[pc].map(Arch::audit), Some(audit), "pc {}", pc);
                    }
                }
            }
        }
        Ok(())
    }

    const NAMES: [&str; 12] = [
        "read", "write", "openat", "close", "getuid", "fcntl", "mmap", "ptrace", "mount", "socket",
        "clone", "execve",
    ];

    proptest! {
        #[test]
        fn compiled_branches_are_named_by_the_arch_that_reaches_them(
            arches in proptest::sample::subsequence(Arch::ALL.to_vec(), 1..=5).prop_shuffle(),
            names in proptest::sample::subsequence(NAMES.to_vec(), 1..=12),
            deny in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let spec = PolicySpec {
                arches: arches.clone(),
                ..if deny { PolicySpec::deny(&names) } else { PolicySpec::allow(&names) }
            };
            let (p, _) = policy::resolve(&spec).unwrap();
            let prog = policy::compile(&p, &policy::CompileOptions::default()).unwrap();
            check_runs(&prog, &arches, &mut Rng::new(seed))?;
        }

        #[test]
        fn random_programs_are_named_only_where_the_arch_is_certain(seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let mut prog = testgen::valid_program(&mut rng, 40);
            // often load `arch` and compare it with an audit value
            let audits: Vec<u32> = Arch::ALL.map(Arch::audit).into_iter().chain([0x4000_0008]).collect();
            for insn in &mut prog.insns {
                if insn.code == class::LD | size::W | mode::ABS && rng.chance(1, 2) {
                    insn.k = offset::ARCH;
                }
                if insn.code == class::JMP | op::JEQ | src::K && rng.chance(2, 3) {
                    insn.k = rng.pick(&audits);
                }
            }
            check_runs(&prog, &[], &mut rng)?;
        }
    }

    #[test]
    fn the_i386_branch_reads_i386_names() {
        let text = disassemble(&two_arches(), Some(Arch::X86_64));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 9);
        assert!(lines[4].ends_with("; getsockopt"), "{text}");
        assert!(lines[6].ends_with("; fcntl"), "{text}");
    }
}
