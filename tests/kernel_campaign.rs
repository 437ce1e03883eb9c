//! A bounded differential campaign against the kernel: random valid
//! programs and random compiled policies are loaded into the real kernel in
//! forked children (`runner::probe`), which make real raw syscalls with
//! random arguments; every result must be what `bpf_asm::interp::run`
//! predicts, and for policies the interpreter must also agree with
//! `Policy::evaluate`.
//!
//! The syscalls are safe and their results known in advance (`getppid`,
//! `getuid`, `getgid`, `geteuid`, `getegid`, their i386 forms through
//! `int $0x80`, and two numbers that do not exist), so every filter action
//! is distinguishable: `ERRNO(n)` returns `-n` (the generators use distinct
//! values), `ALLOW`/`LOG` the real result, `TRACE`/`USER_NOTIF` `-ENOSYS`
//! (no tracer, no listener), and a kill ends the child with `SIGSYS` at
//! exactly the predicted call.
//!
//! Policies: allow- or deny-lists of those syscalls on x86_64 and/or i386,
//! with conditional rules (every operator, 1–3 conditions on any argument)
//! mapped to distinct errnos; each call's arguments are drawn from the
//! boundary values of its syscall's conditions. Half of them are compiled
//! for a random syscall weights over those syscalls, which makes the
//! dispatch tree use `jset` bit tests (`policy::bits`) now and then; how
//! many did is printed.
//!
//! Size: `GO_JAIL_CAMPAIGN_INPUTS` real syscalls (default 20000), half
//! under random programs and half under compiled policies, 48 per child;
//! `GO_JAIL_CAMPAIGN_SEED` picks another seed. The counts and the time are
//! printed (run with `--nocapture` to see them).

mod common;

use std::time::Instant;

use bpf_asm::insn::class;
use bpf_asm::seccomp::{offset, ret};
use bpf_asm::testgen::{self, Rng};
use bpf_asm::{Arch, Insn, Program, SeccompData};
use bpf_asm::{Seen, Verdict};
use common::needs_root;
use policy::{
    resolve, Action, ArgIndex, CmpOp, CompileOptions, Condition, Mode, Policy, PolicySpec, Rule,
    SyscallWeights,
};
use runner::probe::{self, Call, ExitKind};
use runner::SockFilter;

/// Calls per forked child.
const CALLS: usize = 48;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A syscall whose result does not depend on its arguments.
#[derive(Clone, Copy, Debug)]
struct Safe {
    arch: Arch,
    name: &'static str,
    nr: u32,
    result: isize,
}

/// The first two numbers of a `/proc/self/status` line (real, effective).
fn ids(status: &str, field: &str) -> (isize, isize) {
    let line = common::status_field(status, field);
    let mut v = line.split_whitespace().map(|s| s.parse().unwrap_or(-1));
    (v.next().unwrap_or(-1), v.next().unwrap_or(-1))
}

fn safe_calls() -> Vec<Safe> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let (uid, euid) = ids(&status, "Uid");
    let (gid, egid) = ids(&status, "Gid");
    // The 16-bit i386 calls return the overflow id (65534) above 16 bits.
    let low16 = |id: isize| if id > 0xffff { 65534 } else { id };
    let ppid = std::process::id() as isize;
    let enosys = -38;
    let (x64, x86) = (Arch::X86_64, Arch::X86);
    let s = |arch, name, nr, result| Safe {
        arch,
        name,
        nr,
        result,
    };
    vec![
        s(x64, "getppid", 110, ppid),
        s(x64, "getuid", 102, uid),
        s(x64, "getgid", 104, gid),
        s(x64, "geteuid", 107, euid),
        s(x64, "getegid", 108, egid),
        s(x64, "", 1000, enosys),
        s(x64, "", u32::MAX, enosys),
        s(x86, "getppid", 64, ppid),
        s(x86, "getuid32", 199, uid),
        s(x86, "getgid32", 200, gid),
        s(x86, "geteuid32", 201, euid),
        s(x86, "getegid32", 202, egid),
        s(x86, "getuid", 24, low16(uid)),
        s(x86, "getgid", 47, low16(gid)),
        s(x86, "", 1000, enosys),
    ]
}

fn to_kernel(prog: &Program) -> Vec<SockFilter> {
    SockFilter::from_raw_program(&prog.to_bytes())
}

/// One batch: the inputs of one child and what was predicted for each.
struct Batch {
    abi: Arch,
    calls: Vec<Call>,
    predicted: Vec<Seen>,
}

impl Batch {
    fn new(abi: Arch) -> Batch {
        Batch {
            abi,
            calls: Vec::new(),
            predicted: Vec::new(),
        }
    }

    /// Records a call; false once a predicted kill ends the batch.
    fn push(&mut self, call: Call, predicted: Seen) -> bool {
        self.calls.push(call);
        self.predicted.push(predicted);
        predicted != Seen::Killed
    }

    /// Runs the batch under `prog` in the kernel; returns the inputs
    /// checked and whether the child was killed.
    fn check(&self, prog: &Program, what: &dyn Fn() -> String) -> (usize, bool) {
        let filter = to_kernel(prog);
        let outcome = if self.abi == Arch::X86 {
            probe::run_filtered_int80(&filter, &self.calls)
        } else {
            probe::run_filtered(&filter, &self.calls)
        }
        .expect("probe runs");
        assert_eq!(outcome.load, Ok(()), "kernel refused {}", what());
        let n = outcome.results.len();
        for (i, &r) in outcome.results.iter().enumerate() {
            assert_eq!(
                Seen::Returned(r),
                self.predicted[i],
                "call {i} {:x?}: kernel and interpreter disagree on {}",
                self.calls[i],
                what()
            );
        }
        let killed = n < self.predicted.len();
        if killed {
            assert_eq!(
                self.predicted[n],
                Seen::Killed,
                "call {n} {:x?}: the child died, the interpreter predicted {:?}; {}",
                self.calls[n],
                self.predicted[n],
                what()
            );
            assert!(
                matches!(outcome.exit, ExitKind::Signaled(31)),
                "{:?}: {}",
                outcome.exit,
                what()
            );
        } else {
            // The child then calls exit_group, which the filter may deny
            // (the probe ends with ud2: SIGILL) or kill.
            assert!(
                matches!(
                    outcome.exit,
                    ExitKind::Exited(0) | ExitKind::Signaled(4) | ExitKind::Signaled(31)
                ),
                "{:?}: {}",
                outcome.exit,
                what()
            );
        }
        (n + usize::from(killed), killed)
    }
}

/// A random valid program made observable: no instruction-pointer loads
/// (unknown here), compare constants drawn towards the calls' numbers and
/// arches, and most returns turned into distinct errnos (fewer kills, so
/// more calls per child).
fn observable_program(rng: &mut Rng, calls: &[Safe]) -> Program {
    let mut prog = testgen::valid_program(rng, 48);
    for insn in &mut prog.insns {
        let ld_abs = Insn::ld_abs(0).code;
        if insn.code == ld_abs && (insn.k == offset::IP_LO || insn.k == offset::IP_HI) {
            insn.k = offset::NR;
        }
        if insn.class() == class::JMP && !insn.is_ja() && rng.chance(1, 2) {
            let c = rng.pick(calls);
            let base = if rng.chance(1, 2) {
                c.nr
            } else {
                c.arch.audit()
            };
            insn.k = base.wrapping_add(rng.below(3) as u32).wrapping_sub(1);
        }
        if insn.code == Insn::ret_k(0).code && rng.chance(3, 4) {
            insn.k = ret::ERRNO | (1 + rng.below(4000) as u32);
        }
    }
    prog
}

/// Random valid programs; returns (programs, inputs, kills).
fn random_programs(rng: &mut Rng, calls: &[Safe], budget: usize) -> (usize, usize, usize) {
    let (mut programs, mut inputs, mut kills) = (0, 0, 0);
    while inputs < budget {
        let prog = observable_program(rng, calls);
        assert!(bpf_asm::verify::verify(&prog).is_ok(), "generator");
        let abi = if programs % 3 == 0 {
            Arch::X86
        } else {
            Arch::X86_64
        };
        let pool: Vec<&Safe> = calls.iter().filter(|c| c.arch == abi).collect();
        let mut batch = Batch::new(abi);
        for _ in 0..CALLS {
            let k = pool[rng.below(pool.len() as u64) as usize];
            let data = testgen::call_data(rng, &prog, abi, k.nr);
            let out = bpf_asm::interp::run(&prog, &data).expect("verified programs run");
            if !batch.push(
                Call::with_args(k.nr, data.args),
                Verdict::from_raw(out.ret).seen_by_caller(k.result),
            ) {
                break;
            }
        }
        let listing = || bpf_asm::text::disassemble(&prog, &Default::default());
        let (n, killed) = batch.check(&prog, &|| format!("program\n{}", listing()));
        programs += 1;
        inputs += n;
        kills += usize::from(killed);
    }
    (programs, inputs, kills)
}

const EDGES: [u64; 10] = [
    0,
    1,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x8000_0000_0000_0000,
    u64::MAX,
];

fn random_value(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.pick(&EDGES),
        1 => rng.below(300),
        2 => u64::from(rng.next_u32()),
        _ => rng.next_u64(),
    }
}

fn random_condition(rng: &mut Rng) -> Condition {
    let op = match rng.below(8) {
        0 => CmpOp::Ne,
        1 => CmpOp::Lt,
        2 => CmpOp::Le,
        3 | 4 => CmpOp::Eq,
        5 => CmpOp::Ge,
        6 => CmpOp::Gt,
        _ => CmpOp::MaskedEq(if rng.chance(1, 2) {
            1 << rng.below(64)
        } else {
            random_value(rng)
        }),
    };
    Condition::new(ArgIndex::ALL[rng.below(6) as usize], op, random_value(rng))
}

/// A distinct errno per rule, so each rule's verdict is visible.
fn errno(next: &mut u16) -> Action {
    *next += 1;
    Action::Errno(*next)
}

/// A random policy over the safe syscalls.
fn random_spec(rng: &mut Rng, calls: &[Safe]) -> PolicySpec {
    let named: Vec<&str> = calls
        .iter()
        .map(|c| c.name)
        .filter(|n| !n.is_empty())
        .collect();
    let mut next = 100 + rng.below(3000) as u16;
    let arches = match rng.below(8) {
        0 => vec![Arch::X86_64],
        1 => vec![Arch::X86],
        2 | 3 => vec![Arch::X86, Arch::X86_64],
        _ => vec![Arch::X86_64, Arch::X86],
    };
    let names = (0..rng.below(6)).map(|_| rng.pick(&named).into()).collect();
    let rules = (0..1 + rng.below(6))
        .map(|_| {
            let action = match rng.below(10) {
                0 => Action::Allow,
                1 => Action::Log,
                2 => Action::KillProcess,
                _ => errno(&mut next),
            };
            let conditions = (0..rng.below(4)).map(|_| random_condition(rng)).collect();
            Rule::when(rng.pick(&named), action, conditions)
        })
        .collect();
    PolicySpec {
        mode: if rng.chance(1, 2) {
            Mode::AllowList
        } else {
            Mode::DenyList
        },
        names,
        rules,
        deny_action: if rng.chance(1, 16) {
            Action::KillProcess
        } else {
            errno(&mut next)
        },
        arches,
        enosys_fallback: rng.chance(1, 2),
    }
}

/// Each argument's candidates for syscall `nr`: the boundary values of
/// every constant (and mask) its conditions compare with.
fn candidates(policy: &Policy, arch: Arch, nr: u32) -> Vec<Vec<u64>> {
    let mut cand: Vec<Vec<u64>> = vec![vec![0, u64::MAX]; 6];
    let rules = policy
        .arches()
        .iter()
        .filter(|p| p.arch() == arch)
        .filter_map(|p| p.conditional().get(&nr))
        .flatten();
    for r in rules {
        for (c, _) in r.conditions() {
            let (v, slot) = (c.value(), &mut cand[usize::from(c.arg())]);
            let (hi, lo) = (v >> 32, v & 0xffff_ffff);
            for h in [hi.wrapping_sub(1), hi, hi.wrapping_add(1), 0] {
                for l in [lo.wrapping_sub(1), lo, lo.wrapping_add(1), lo & 0xffff] {
                    slot.push(((h & 0xffff_ffff) << 32) | (l & 0xffff_ffff));
                }
            }
            if let CmpOp::MaskedEq(m) = c.op() {
                slot.extend([m, v & m, !m, (v & m) | !m]);
            }
        }
    }
    cand
}

/// Random compiled policies; returns (policies, inputs, kills).
/// Compile options: the shipped profile, or random counts for the safe
/// syscalls (hot numbers scattered among others are where bit tests pay).
fn random_options(rng: &mut Rng, calls: &[Safe]) -> CompileOptions {
    if rng.chance(1, 2) {
        return CompileOptions::default();
    }
    let text: String = (calls.iter())
        .filter(|c| !c.name.is_empty())
        .map(|c| format!("{} {}\n", c.name, rng.below(100_000)))
        .collect();
    CompileOptions {
        weights: Some(SyscallWeights::parse(&text, Arch::X86_64).expect("known names")),
        ..CompileOptions::default()
    }
}

/// Random policies under the kernel: (policies, syscalls, kills, policies
/// whose dispatch uses a bit test).
fn random_policies(rng: &mut Rng, calls: &[Safe], budget: usize) -> (usize, usize, usize, usize) {
    let (mut policies, mut inputs, mut kills, mut with_bits) = (0, 0, 0, 0);
    while inputs < budget {
        let spec = random_spec(rng, calls);
        let (policy, _) = resolve(&spec).expect("the safe names resolve");
        let opts = random_options(rng, calls);
        let lowered = policy.lower(&opts);
        let prog = lowered.emit().expect("small policies compile");
        if lowered.arches().iter().any(|l| l.tree().bit_tests() > 0) {
            with_bits += 1;
        }
        assert!(bpf_asm::verify::verify(&prog).is_ok());
        // Calls of a target arch; now and then a foreign one (killed).
        let abi = if rng.chance(1, 32) {
            rng.pick(&[Arch::X86_64, Arch::X86])
        } else {
            rng.pick(&spec.arches)
        };
        let pool: Vec<&Safe> = calls.iter().filter(|c| c.arch == abi).collect();
        let mut batch = Batch::new(abi);
        for _ in 0..CALLS {
            let k = pool[rng.below(pool.len() as u64) as usize];
            let cand = candidates(&policy, abi, k.nr);
            let mut args = [0u64; 6];
            for (a, c) in args.iter_mut().zip(&cand) {
                *a = if rng.chance(1, 8) {
                    random_value(rng)
                } else {
                    rng.pick(c)
                };
                if abi == Arch::X86 {
                    *a &= 0xffff_ffff;
                }
            }
            let data = SeccompData {
                nr: k.nr,
                arch: abi.audit(),
                instruction_pointer: 0,
                args,
            };
            let got = bpf_asm::interp::run(&prog, &data)
                .expect("compiled programs run")
                .ret;
            let want = policy.evaluate(&data);
            assert_eq!(got, want.to_raw(), "{data:x?}: {spec:?}");
            if !batch.push(
                Call::with_args(k.nr, args),
                Verdict::from_raw(got).seen_by_caller(k.result),
            ) {
                break;
            }
        }
        let (n, killed) = batch.check(&prog, &|| format!("policy {spec:?}"));
        policies += 1;
        inputs += n;
        kills += usize::from(killed);
    }
    (policies, inputs, kills, with_bits)
}

#[test]
fn interpreter_policy_and_kernel_agree_on_real_syscalls() {
    needs_root!();
    let total = env_u64("GO_JAIL_CAMPAIGN_INPUTS", 20_000) as usize;
    let seed = env_u64("GO_JAIL_CAMPAIGN_SEED", 0x5eed_ca4a);
    let calls = safe_calls();
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let (programs, p_inputs, p_kills) = random_programs(&mut rng, &calls, total / 2);
    let (policies, c_inputs, c_kills, with_bits) =
        random_policies(&mut rng, &calls, total - total / 2);
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "kernel campaign (seed {seed:#x}): {programs} random programs ({p_inputs} syscalls, \
         {p_kills} ended by a kill) and {policies} compiled policies ({with_bits} with a bit \
         test; {c_inputs} syscalls, {c_kills} ended by a kill): {} real syscalls agree with the \
         interpreter in {secs:.1} s",
        p_inputs + c_inputs
    );
    assert!(p_inputs + c_inputs >= total);
}
