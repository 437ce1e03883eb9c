//! bpf-asm against the kernel as the oracle: the verifier's verdict equals
//! the kernel's on random valid and mutated programs, and the interpreter's
//! result equals what the kernel does for real raw syscalls made under the
//! same program in a forked child (`runner::probe`).
//!
//! Case counts: `GO_JAIL_KERNEL_CASES` (default 3000 programs per test).

use bpf_asm::{Seen, Verdict};

/// Skips the test, with a printed reason, when not running as root.
macro_rules! needs_root {
    () => {
        if runner::process::getuid() != 0 {
            eprintln!("skipping: needs root (run the tests as root)");
            return;
        }
    };
}

use bpf_asm::insn::class;
use bpf_asm::seccomp::{offset, ret};
use bpf_asm::testgen::{self, Rng};
use bpf_asm::{Arch, Insn, Program};
use runner::probe::{self, Call, ExitKind};
use runner::SockFilter;

fn cases() -> usize {
    std::env::var("GO_JAIL_KERNEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn to_kernel(prog: &Program) -> Vec<SockFilter> {
    SockFilter::from_raw_program(&prog.to_bytes())
}

#[test]
fn verifier_verdict_equals_the_kernels() {
    needs_root!();
    let mut rng = Rng::new(0x5eed_0001);
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..cases() {
        let prog = match case % 4 {
            0 => testgen::valid_program(&mut rng, 64),
            1 | 2 => {
                let base = testgen::valid_program(&mut rng, 48);
                testgen::mutate(&mut rng, &base)
            }
            _ => testgen::any_program(&mut rng, 24),
        };
        if prog.is_empty() {
            continue;
        }
        let ours = bpf_asm::verify::verify(&prog);
        let kernel = probe::kernel_accepts(&to_kernel(&prog));
        assert_eq!(
            ours.is_ok(),
            kernel.is_ok(),
            "case {case}: ours {ours}, kernel {kernel:?}\n{}",
            bpf_asm::text::disassemble(&prog, &Default::default())
        );
        if kernel.is_ok() {
            accepted += 1;
        } else {
            rejected += 1;
        }
    }
    eprintln!("verifier vs kernel: {accepted} accepted and {rejected} rejected programs agree");
}

#[test]
fn scratch_memory_check_is_the_kernels_linear_pass() {
    needs_root!();
    let ld0 = Insn::ld_mem(0);
    // After a RET the kernel keeps the memory state: the dead load is accepted.
    let after_ret = Program::new(vec![Insn::st(0), Insn::ret_k(0), ld0, Insn::ret_k(0)]);
    // After a JA it resets it: the same dead load is accepted too (all valid).
    let after_ja = Program::new(vec![Insn::ja(1), Insn::ret_k(0), ld0, Insn::ret_k(0)]);
    // With no store before, a load after RET is rejected.
    let no_store = Program::new(vec![Insn::ret_k(0), ld0, Insn::ret_k(0)]);
    for prog in [after_ret, after_ja, no_store] {
        let kernel = probe::kernel_accepts(&to_kernel(&prog)).is_ok();
        assert_eq!(bpf_asm::verify::verify(&prog).is_ok(), kernel, "{prog:?}");
    }
}

/// Safe syscalls whose results are known in advance.
struct Known {
    arch: Arch,
    nr: u32,
    result: fn() -> isize,
}

fn known_calls() -> Vec<Known> {
    let ppid = || std::process::id() as isize;
    let root = || 0;
    vec![
        Known {
            arch: Arch::X86_64,
            nr: 110,
            result: ppid,
        }, // getppid
        Known {
            arch: Arch::X86_64,
            nr: 102,
            result: root,
        }, // getuid
        Known {
            arch: Arch::X86_64,
            nr: 104,
            result: root,
        }, // getgid
        Known {
            arch: Arch::X86_64,
            nr: 107,
            result: root,
        }, // geteuid
        Known {
            arch: Arch::X86,
            nr: 64,
            result: ppid,
        }, // i386 getppid
        Known {
            arch: Arch::X86,
            nr: 199,
            result: root,
        }, // i386 getuid32
    ]
}

/// Makes a random valid program observable: no loads of the instruction
/// pointer (unknown here), and compare constants drawn towards the real
/// `nr`/`arch` values so that branches on them go both ways.
fn observable_program(rng: &mut Rng, calls: &[Known]) -> Program {
    let mut prog = testgen::valid_program(rng, 40);
    for insn in &mut prog.insns {
        let is_ld_abs = insn.code == Insn::ld_abs(0).code;
        if is_ld_abs && (insn.k == offset::IP_LO || insn.k == offset::IP_HI) {
            insn.k = offset::NR;
        }
        if insn.class() == class::JMP && !insn.is_ja() && rng.chance(1, 2) {
            let c = &calls[rng.below(calls.len() as u64) as usize];
            let base = if rng.chance(1, 2) {
                c.nr
            } else {
                c.arch.audit()
            };
            insn.k = base.wrapping_add(rng.below(3) as u32).wrapping_sub(1);
        }
        if insn.is_ret() && insn.code == Insn::ret_k(0).code && rng.chance(1, 2) {
            // Distinct errno values make each return distinguishable.
            insn.k = ret::ERRNO | (1 + rng.below(4000) as u32);
        }
    }
    prog
}

#[test]
fn interpreter_result_equals_the_kernels_for_real_syscalls() {
    needs_root!();
    let calls = known_calls();
    let mut rng = Rng::new(0x5eed_0002);
    let (mut programs, mut inputs) = (0, 0);
    for case in 0..cases() {
        let prog = observable_program(&mut rng, &calls);
        assert!(
            bpf_asm::verify::verify(&prog).is_ok(),
            "generator made an invalid program"
        );
        let abi_arch = if case % 3 == 0 {
            Arch::X86
        } else {
            Arch::X86_64
        };
        let batch: Vec<&Known> = calls.iter().filter(|c| c.arch == abi_arch).collect();
        let mut probe_calls = Vec::new();
        let mut predicted = Vec::new();
        for _ in 0..6 {
            let k = batch[rng.below(batch.len() as u64) as usize];
            let data = testgen::call_data(&mut rng, &prog, abi_arch, k.nr);
            let out = bpf_asm::interp::run(&prog, &data).expect("verified programs run to a ret");
            probe_calls.push(Call::with_args(k.nr, data.args));
            predicted.push(Verdict::from_raw(out.ret).seen_by_caller((k.result)()));
        }
        let filter = to_kernel(&prog);
        let outcome = if abi_arch == Arch::X86 {
            probe::run_filtered_int80(&filter, &probe_calls)
        } else {
            probe::run_filtered(&filter, &probe_calls)
        }
        .expect("probe runs");
        assert_eq!(outcome.load, Ok(()), "kernel refused a verified program");
        let observed: Vec<Seen> = outcome.results.iter().map(|&r| Seen::Returned(r)).collect();
        let n = observed.len();
        let listing = || bpf_asm::text::disassemble(&prog, &Default::default());
        assert_eq!(
            &observed[..],
            &predicted[..n],
            "case {case}:\n{}",
            listing()
        );
        if n < predicted.len() {
            assert_eq!(
                predicted[n],
                Seen::Killed,
                "case {case}: died early\n{}",
                listing()
            );
            assert!(
                matches!(outcome.exit, ExitKind::Signaled(31)),
                "{:?}",
                outcome.exit
            );
        }
        programs += 1;
        inputs += n + usize::from(n < predicted.len());
    }
    eprintln!("interpreter vs kernel: {programs} programs, {inputs} real syscalls agree");
}
