//! Differential property tests for argument conditions: random rules with
//! conditions (every operator, 16/32/64-bit arguments through the syscalls
//! they name, 1–3 conditions per rule, several rules per syscall, random
//! actions, random arches) → compile → verify, then the program agrees with
//! `Policy::evaluate` on every interesting number × argument vectors built
//! from each condition constant ±1 on each half, and every unconditionally
//! allowed syscall is still served by the action cache.

use bpf_asm::cache::cached_syscalls;
use bpf_asm::interp::run;
use bpf_asm::verify::verify;
use bpf_asm::{Arch, SeccompData};
use policy::stats::interesting_numbers;
use policy::{
    resolve, Action, ArgIndex, CmpOp, CompileOptions, Condition, Leaf, Mode, PolicySpec, Rule,
    SyscallTable, Width,
};
use proptest::prelude::*;

mod strategies;

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Allow),
        3 => (1u16..4).prop_map(Action::Errno),
        1 => Just(Action::KillProcess),
        1 => Just(Action::Trap(1)),
        1 => Just(Action::Log),
    ]
}

/// Syscalls whose arguments mix 16-, 32- and 64-bit widths, plus any name.
const MIXED: [&str; 16] = [
    "ioctl",
    "socket",
    "personality",
    "clone",
    "mmap",
    "read",
    "openat",
    "mkdir",
    "futex",
    "prctl",
    "kill",
    "fcntl",
    "setuid",
    "mprotect",
    "chmod",
    "mmap2",
];

fn name() -> impl Strategy<Value = String> {
    let all: Vec<&'static str> = Arch::ALL
        .iter()
        .flat_map(|&a| SyscallTable::names(a))
        .collect();
    prop_oneof![
        4 => proptest::sample::select(MIXED.to_vec()).prop_map(str::to_string),
        1 => proptest::sample::select(all).prop_map(str::to_string),
    ]
}

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(0x5412),
        Just(0xffff),
        Just(0x1_0000),
        Just(0xffff_ffff),
        Just(0x1_0000_0000),
        Just(0x1_0000_5412),
        Just(0xffff_ffff_ffff_fffe),
        Just(u64::MAX),
        Just(0x8000_0000),
        any::<u64>(),
        any::<u32>().prop_map(u64::from),
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        6 => strategies::plain_op(),
        1 => value().prop_map(CmpOp::MaskedEq),
        1 => (0u32..64).prop_map(|b| CmpOp::MaskedEq(1 << b)),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    (0u8..6, op(), value())
        .prop_map(|(arg, op, value)| Condition::new(ArgIndex::ALL[usize::from(arg)], op, value))
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        name(),
        action(),
        proptest::collection::vec(condition(), 0..=3),
        0u8..4,
    )
        .prop_map(|(name, action, mut conditions, plain)| {
            if plain != 0 && conditions.is_empty() {
                conditions.push(Condition::new(ArgIndex::ALL[0], CmpOp::Eq, 1));
            }
            Rule::when(name, action, conditions)
        })
}

prop_compose! {
    fn spec()(
        mode in prop_oneof![Just(Mode::AllowList), Just(Mode::DenyList)],
        names in proptest::collection::vec(name(), 0..20),
        rules in proptest::collection::vec(rule(), 1..14),
        deny_action in action(),
        arches in proptest::sample::subsequence(Arch::ALL.to_vec(), 1..=3),
    ) -> PolicySpec {
        PolicySpec { mode, names, rules, deny_action, arches, enosys_fallback: true }
    }
}

/// `v` and its neighbours on each 32-bit half (and 16-bit boundaries).
fn variants(v: u64) -> Vec<u64> {
    let (hi, lo) = (v >> 32, v & 0xffff_ffff);
    let mut out = vec![0, u64::from(u32::MAX), u64::MAX, 0xffff_ffff_ffff_fffe];
    for h in [hi.wrapping_sub(1), hi, hi + 1, 0] {
        for l in [lo.wrapping_sub(1), lo, lo + 1, lo ^ 0x1_0000] {
            out.push(((h & 0xffff_ffff) << 32) | (l & 0xffff_ffff));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn programs_with_conditions_match_the_reference(spec in spec(), seed in any::<u64>()) {
        matches_the_reference(&spec, seed)?;
    }

    /// Rules repeated later, alone, with one more condition or another
    /// action: the matcher leaves out the ones an earlier rule shadows.
    #[test]
    fn shadowed_rules_change_nothing_but_the_size(
        spec in spec(),
        repeats in proptest::collection::vec((any::<usize>(), condition(), action(), 0u8..3), 1..8),
        seed in any::<u64>(),
    ) {
        let original = spec.clone();
        let mut spec = spec;
        // a copy of an unconditional rule is not a matcher's rule to leave
        // out: that rule decides the call outright (`resolve`)
        let mut copies_conditional = true;
        for (i, extra, action, how) in repeats {
            let mut copy = spec.rules[i % spec.rules.len()].clone();
            copies_conditional &= !copy.conditions.is_empty();
            if how == 1 {
                copy.conditions.push(extra);
            }
            if how == 2 {
                copy.action = action;
            }
            spec.rules.push(copy);
        }
        matches_the_reference(&spec, seed)?;
        // every repeat of a conditional rule is shadowed by the rule it
        // copies: where every argument's width is known, the program is
        // the original's
        let (policy, _) = resolve(&spec).unwrap();
        let known = policy.arches().iter().all(|p| {
            p.conditional().values().flatten().all(|r| {
                r.conditions().iter().all(|(_, w)| *w != Width::Unknown)
            })
        });
        if known && copies_conditional {
            let (plain, _) = resolve(&original).unwrap();
            let opts = CompileOptions::default();
            prop_assert_eq!(
                policy.lower(&opts).emit().unwrap(),
                plain.lower(&opts).emit().unwrap()
            );
        }
    }
}

/// Compiles `spec` and checks the lowered policy and the program against
/// the reference semantics (`Policy::evaluate`) on the values each
/// condition makes interesting, and the action cache's allow set.
fn matches_the_reference(spec: &PolicySpec, seed: u64) -> Result<(), TestCaseError> {
    let (policy, _) = resolve(spec).unwrap();
    let lowered = policy.lower(&CompileOptions::default());
    let prog = lowered.emit().unwrap();
    let report = verify(&prog);
    prop_assert!(report.is_ok(), "{report:?}");
    let mut rng = seed;
    let mut next = move |n: usize| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) as usize % n
    };
    for (p, l) in policy.arches().iter().zip(lowered.arches()) {
        let check = |data: SeccompData| -> Result<(), TestCaseError> {
            let want = policy.evaluate(&data);
            prop_assert_eq!(lowered.evaluate(&data), want, "dag {:?}", data);
            let got = run(&prog, &data).unwrap().ret;
            prop_assert_eq!(got, want.to_raw(), "{:?} {:x?}", p.arch(), data);
            Ok(())
        };
        let data = |nr: u32, args: [u64; 6]| SeccompData {
            nr,
            arch: p.arch().audit(),
            args,
            ..SeccompData::default()
        };
        for nr in interesting_numbers(p) {
            for args in [[0u64; 6], [u64::MAX; 6]] {
                check(data(nr, args))?;
            }
        }
        for (&nr, rules) in p.conditional() {
            // Candidate values per argument: every constant's neighbours.
            let mut cand: Vec<Vec<u64>> = vec![vec![0, u64::MAX]; 6];
            for r in rules {
                for (c, _) in r.conditions() {
                    cand[usize::from(c.arg())].extend(variants(c.value()));
                    if let CmpOp::MaskedEq(m) = c.op() {
                        cand[usize::from(c.arg())].extend([m, c.value() & m, !m]);
                    }
                }
            }
            let mut base = [0u64; 6];
            for round in 0..8 {
                for (i, c) in cand.iter().enumerate() {
                    base[i] = c[next(c.len())];
                }
                for i in 0..6 {
                    for &x in &cand[i] {
                        let mut args = base;
                        args[i] = x;
                        if round > 0 && next(4) != 0 {
                            continue;
                        }
                        check(data(nr, args))?;
                    }
                }
            }
        }
        let cached = cached_syscalls(&prog, p.arch().audit(), p.table_end());
        for nr in 0..p.table_end() {
            let allow = l.leaf(nr) == Leaf::Ret(Action::Allow);
            prop_assert_eq!(
                cached.binary_search(&nr).is_ok(),
                allow,
                "{:?} nr {}",
                p.arch(),
                nr
            );
        }
    }
    Ok(())
}
