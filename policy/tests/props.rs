//! Differential property tests: random policies → compile → the program
//! passes the verifier, agrees with the reference evaluator on every
//! interesting input, and lets the action cache serve every unconditional
//! ALLOW. `PROPTEST_CASES` overrides the case count.

use bpf_asm::cache::cached_syscalls;
use bpf_asm::interp::run;
use bpf_asm::verify::verify;
use bpf_asm::{Arch, SeccompData};
use policy::stats::interesting_numbers;
use policy::{
    resolve, Action, CompileOptions, Mode, PolicySpec, Rule, SyscallTable, SyscallWeights,
    Weighting,
};
use proptest::prelude::*;

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => Just(Action::Allow),
        3 => (0u16..200).prop_map(Action::Errno),
        1 => Just(Action::KillProcess),
        1 => Just(Action::KillThread),
        1 => (0u16..5).prop_map(Action::Trap),
        1 => Just(Action::Log),
        1 => (0u16..5).prop_map(Action::Trace),
        1 => Just(Action::UserNotif),
    ]
}

fn any_name() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = Arch::ALL
        .iter()
        .flat_map(|&a| SyscallTable::names(a))
        .collect();
    proptest::sample::select(names).prop_map(str::to_string)
}

prop_compose! {
    fn spec()(
        mode in prop_oneof![Just(Mode::AllowList), Just(Mode::DenyList)],
        names in proptest::collection::vec(any_name(), 0..120),
        rules in proptest::collection::vec((any_name(), action()), 0..12),
        deny_action in action(),
        arches in proptest::sample::subsequence(Arch::ALL.to_vec(), 1..=3),
        enosys_fallback in any::<bool>(),
    ) -> PolicySpec {
        PolicySpec {
            mode,
            names,
            rules: rules.into_iter().map(|(n, a)| Rule::new(n, a)).collect(),
            deny_action,
            arches,
            enosys_fallback,
        }
    }
}

fn options() -> impl Strategy<Value = CompileOptions> {
    (
        prop_oneof![Just(Weighting::Frequency), Just(Weighting::CacheAware)],
        0u32..4,
        0u8..3,
        proptest::collection::vec((any_name(), 1u64..100_000), 1..40),
    )
        .prop_map(
            |(weighting, max_depth_slack, which, counts)| CompileOptions {
                // The shipped profile, none, or random counts (which make the
                // bit-test pass, policy::bits, fire in odd places).
                weights: match which {
                    0 => None,
                    1 => Some(SyscallWeights::empty()),
                    _ => {
                        let text: String =
                            counts.iter().map(|(n, c)| format!("{n} {c}\n")).collect();
                        Some(SyscallWeights::parse(&text, Arch::X86_64).unwrap())
                    }
                },
                weighting,
                max_depth_slack,
                ..CompileOptions::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
    ))]

    #[test]
    fn compiled_programs_match_the_reference(spec in spec(), opts in options()) {
        let (policy, _) = resolve(&spec).unwrap();
        let lowered = policy.lower(&opts);
        let prog = lowered.emit().unwrap();
        let report = verify(&prog);
        prop_assert!(report.is_ok(), "{report:?}");
        let foreign: Vec<u32> = Arch::ALL
            .iter()
            .map(|a| a.audit())
            .filter(|&a| policy.arch(a).is_none())
            .chain([0, 0xffff_ffff, 0x4000_003e])
            .collect();
        for (p, l) in policy.arches().iter().zip(lowered.arches()) {
            for nr in interesting_numbers(p) {
                let data = SeccompData { nr, arch: p.arch().audit(), ..SeccompData::default() };
                let got = run(&prog, &data).unwrap().ret;
                prop_assert_eq!(got, policy.evaluate(&data).to_raw(), "{:?} nr {:#x}", p.arch(), nr);
                for &arch in &foreign {
                    let data = SeccompData { nr, arch, ..SeccompData::default() };
                    prop_assert_eq!(run(&prog, &data).unwrap().ret, policy.foreign().to_raw());
                }
            }
            let cached = cached_syscalls(&prog, p.arch().audit(), p.table_end());
            for nr in 0..p.table_end() {
                // Unconditionally allowed: an ALLOW leaf, not a matcher
                // (i386 socketcall/ipc may carry multiplexer conditions).
                let allow = l.leaf(nr).is_const_allow();
                prop_assert_eq!(cached.binary_search(&nr).is_ok(), allow, "{:?} nr {}", p.arch(), nr);
            }
        }
    }
}
