//! A syscall the width table has no line for ([`Width::Unknown`]) is safe
//! by construction: random rules with conditions on such a syscall are
//! compiled, and the program's decision (the `bpf-asm` interpreter) never
//! lets a call run (`ALLOW`, `LOG`) that either reading of its arguments —
//! all as 32-bit words, or all as 64 bits — would refuse.

use bpf_asm::interp::run;
use bpf_asm::verify::verify;
use bpf_asm::{Arch, SeccompData};
use policy::resolved::ArgRule;
use policy::width::arg_widths;
use policy::{
    compile, resolve, Action, ArgIndex, CmpOp, CompileOptions, Condition, Mode, PolicySpec, Rule,
    SyscallTable, Width,
};
use proptest::prelude::*;

mod strategies;

/// The table syscalls of `arch` without a width line.
fn unknown_width_names(arch: Arch) -> Vec<&'static str> {
    SyscallTable::names(arch)
        .filter(|n| arg_widths(arch, n).is_none())
        .collect()
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Allow),
        3 => (1u16..4).prop_map(Action::Errno),
        1 => Just(Action::KillProcess),
        1 => Just(Action::Log),
        1 => Just(Action::UserNotif),
    ]
}

/// Constants whose low word and high word both matter.
fn value() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(0o4755),
        Just(0x1_0000_09ed),
        Just(0xffff_ffff),
        Just(0x1_0000_0000),
        Just(u64::MAX),
        Just(0xffff_ffff_ffff_f800),
        any::<u32>().prop_map(u64::from),
        any::<u64>(),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    // the six plain comparisons as often each as masked `==`
    let op = prop_oneof![6 => strategies::plain_op(), 1 => value().prop_map(CmpOp::MaskedEq)];
    (0u8..3, op, value())
        .prop_map(|(arg, op, value)| Condition::new(ArgIndex::ALL[usize::from(arg)], op, value))
}

prop_compose! {
    /// Rules on one unknown-width syscall of x86_64 (and of i386 when
    /// `both_arches`), under a random list mode and default.
    fn spec()(
        pick in any::<proptest::sample::Index>(),
        mode in prop_oneof![Just(Mode::AllowList), Just(Mode::DenyList)],
        rules in proptest::collection::vec(
            (action(), proptest::collection::vec(condition(), 1..=3)), 1..5),
        listed in any::<bool>(),
        deny_action in action(),
        both_arches in any::<bool>(),
    ) -> PolicySpec {
        let names = unknown_width_names(Arch::X86_64);
        let name = pick.get(&names).to_string();
        let rules = rules
            .into_iter()
            .map(|(a, cs)| Rule::when(name.clone(), a, cs))
            .collect();
        let arches = if both_arches { vec![Arch::X86_64, Arch::X86] } else { vec![Arch::X86_64] };
        let names = if listed { vec![name] } else { Vec::new() };
        PolicySpec { mode, names, rules, deny_action, arches, enosys_fallback: true }
    }
}

/// What the rules give when every argument is read as `width`.
fn reading(rules: &[ArgRule], fallback: Action, args: &[u64; 6], width: Width) -> Action {
    rules
        .iter()
        .find(|r| {
            r.conditions()
                .iter()
                .all(|(c, _)| c.holds(args[usize::from(c.arg())], width))
        })
        .map_or(fallback, |r| r.action())
}

/// Argument vectors around the rules' constants: each constant's low word
/// under several high words, and its neighbours.
fn argument_vectors(rules: &[ArgRule], seed: u64, arch64: bool) -> Vec<[u64; 6]> {
    let mut cand: Vec<Vec<u64>> = vec![vec![0, u64::MAX, 0x1_0000_0000]; 3];
    for r in rules {
        for (c, _) in r.conditions() {
            let lo = c.value() & 0xffff_ffff;
            let mut xs = vec![
                c.value(),
                lo,
                c.value().wrapping_add(1),
                c.value().wrapping_sub(1),
            ];
            for hi in [0, 1, 0xffff_ffff, c.value() >> 32, seed >> 32] {
                xs.extend([hi << 32 | lo, hi << 32 | (lo ^ 1), hi << 32]);
            }
            if let CmpOp::MaskedEq(m) = c.op() {
                xs.extend([m, c.value() & m, !m, m & 0xffff_ffff]);
            }
            cand[usize::from(c.arg())].extend(xs);
        }
    }
    let mut rng = seed | 1;
    let mut next = move |n: usize| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) as usize % n
    };
    let mut out = Vec::new();
    for _ in 0..200 {
        let mut args = [0u64; 6];
        for (i, c) in cand.iter().enumerate() {
            args[i] = c[next(c.len())];
            if !arch64 {
                args[i] &= 0xffff_ffff;
            }
        }
        out.push(args);
    }
    out
}

#[test]
fn the_width_table_leaves_syscalls_to_test_with() {
    assert!(!unknown_width_names(Arch::X86_64).is_empty());
    assert!(!unknown_width_names(Arch::X86).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
    ))]

    #[test]
    fn an_unknown_width_is_never_more_permissive_than_either_reading(
        spec in spec(),
        seed in any::<u64>(),
    ) {
        let (policy, _) = resolve(&spec).unwrap();
        let prog = compile(&policy, &CompileOptions::default()).unwrap();
        prop_assert!(verify(&prog).is_ok());
        let name = &spec.rules[0].name;
        for p in policy.arches() {
            let Some(nr) = SyscallTable::lookup(p.arch(), name) else { continue };
            let Some(rules) = p.conditional().get(&nr) else { continue };
            if arg_widths(p.arch(), name).is_some() {
                continue; // i386 knows some of x86_64's retired names
            }
            prop_assert!(rules.iter().all(|r| r.conditions().iter().all(|(_, w)| *w == Width::Unknown)));
            let fallback = p.action(nr);
            for args in argument_vectors(rules, seed, p.arch().is_64bit()) {
                let data = SeccompData { nr, arch: p.arch().audit(), args, ..SeccompData::default() };
                let got = run(&prog, &data).unwrap().ret;
                prop_assert_eq!(got, policy.evaluate(&data).to_raw(), "reference {:x?}", data);
                let low = reading(rules, fallback, &args, Width::W32);
                let full = reading(rules, fallback, &args, Width::W64);
                let runs = Action::from_raw(got).unwrap().runs_the_call();
                prop_assert!(
                    !runs || (low.runs_the_call() && full.runs_the_call()),
                    "{:?} {} {:x?}: program {:#x}, 32-bit reading {}, 64-bit reading {}",
                    p.arch(), name, args, got, low, full
                );
            }
        }
    }
}
