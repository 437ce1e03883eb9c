//! Property tests for the guards under a supervisor: for random policies
//! with a random set of guards added (`add_guards`), `notify_denials`
//! turns every denial into `USER_NOTIF` except the calls a guard decides,
//! which keep the guard's action; the compiled program agrees, on every
//! interesting number of every arch and on argument vectors built from the
//! guards' constants.

use bpf_asm::interp::run;
use bpf_asm::verify::verify;
use bpf_asm::{Arch, SeccompData};
use policy::notify::is_denial;
use policy::stats::interesting_numbers;
use policy::{
    add_guards, compile, listener_guard_rules, notify_calls, notify_denials, resolve,
    tty_guard_rules, userns_guard_rules, Action, ArgIndex, CmpOp, CompileOptions, Condition, Mode,
    PolicySpec, Rule, SyscallTable,
};
use proptest::prelude::*;

/// The syscalls the guards name, and their neighbours in any policy.
const NAMES: [&str; 10] = [
    "ioctl", "seccomp", "unshare", "clone", "clone3", "setns", "mkdir", "socket", "read", "prctl",
];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Allow),
        3 => (1u16..4).prop_map(Action::Errno),
        1 => Just(Action::Errno(38)),
        1 => Just(Action::KillProcess),
        1 => Just(Action::Log),
    ]
}

/// Argument values that sit on the guards' decisions.
const VALUES: [u64; 10] = [
    0,
    1,
    8,
    9,
    0x5412,
    0x541c,
    0x1000_0000,
    0x1000_0011,
    0x1_0000_0008,
    u64::MAX,
];

fn rule() -> impl Strategy<Value = Rule> {
    (
        proptest::sample::select(NAMES.to_vec()),
        action(),
        proptest::collection::vec((0u8..3, proptest::sample::select(VALUES.to_vec())), 0..=2),
    )
        .prop_map(|(name, action, conds)| {
            let conditions = conds
                .into_iter()
                .map(|(arg, v)| Condition::new(ArgIndex::ALL[usize::from(arg)], CmpOp::Eq, v))
                .collect();
            Rule::when(name, action, conditions)
        })
}

prop_compose! {
    fn guarded()(
        mode in prop_oneof![Just(Mode::AllowList), Just(Mode::DenyList)],
        names in proptest::collection::vec(proptest::sample::select(NAMES.to_vec()), 0..8),
        rules in proptest::collection::vec(rule(), 0..8),
        deny_action in action(),
        arches in proptest::sample::subsequence(vec![Arch::X86_64, Arch::X86, Arch::Aarch64], 1..=2),
        which in (any::<bool>(), any::<bool>(), any::<bool>()),
    ) -> (PolicySpec, Vec<Rule>) {
        let mut guards = Vec::new();
        if which.0 { guards.extend(tty_guard_rules()); }
        if which.1 { guards.extend(listener_guard_rules()); }
        if which.2 { guards.extend(userns_guard_rules()); }
        let names = names.into_iter().map(str::to_string).collect();
        let mut spec = PolicySpec { mode, names, rules, deny_action, arches, enosys_fallback: true };
        add_guards(&mut spec, &guards);
        (spec, guards)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn guards_keep_their_action_and_everything_else_denied_notifies((spec, guards) in guarded()) {
        let (policy, _) = resolve(&spec).unwrap();
        let notified = notify_denials(&policy, &guards);
        // the guards alone: what decides a call when one of them applies
        let (alone, _) = resolve(&PolicySpec {
            mode: Mode::DenyList,
            rules: guards.clone(),
            arches: spec.arches.clone(),
            ..PolicySpec::default()
        })
        .unwrap();
        let guarded_names: Vec<&str> = guards.iter().map(|g| g.name.as_str()).collect();
        let prog = compile(&notified, &CompileOptions::default()).unwrap();
        prop_assert!(verify(&prog).is_ok());
        for p in policy.arches() {
            let mut numbers = interesting_numbers(p);
            numbers.extend(NAMES.iter().filter_map(|n| SyscallTable::lookup(p.arch(), n)));
            for nr in numbers {
                for a0 in VALUES {
                    for a1 in VALUES {
                        let data = SeccompData {
                            nr,
                            arch: p.arch().audit(),
                            args: [a0, a1, 0, 0, 0, 0],
                            ..SeccompData::default()
                        };
                        let before = policy.evaluate(&data);
                        let by_guard = SyscallTable::name(p.arch(), nr)
                            .is_some_and(|n| guarded_names.contains(&n))
                            && is_denial(alone.evaluate(&data));
                        let want = if by_guard {
                            prop_assert_eq!(before, alone.evaluate(&data), "the guard decides first");
                            before
                        } else if is_denial(before) {
                            Action::UserNotif
                        } else {
                            before
                        };
                        prop_assert_eq!(notified.evaluate(&data), want, "{:?} {:x?}", p.arch(), data);
                        let got = run(&prog, &data).unwrap().ret;
                        prop_assert_eq!(got, want.to_raw(), "compiled {:?} {:x?}", p.arch(), data);
                    }
                }
            }
        }
    }

    /// `notify_calls` (report mode with Landlock) turns exactly the named
    /// calls' `ALLOW` into `USER_NOTIF`, after `notify_denials`, in the
    /// reference and in the compiled program; every other decision stays.
    #[test]
    fn named_allowed_calls_notify_and_nothing_else_changes(
        (spec, guards) in guarded(),
        named in proptest::sample::subsequence(NAMES.to_vec(), 0..=4),
    ) {
        let (policy, _) = resolve(&spec).unwrap();
        let notified = notify_denials(&policy, &guards);
        let both = notify_calls(&notified, &named);
        let prog = compile(&both, &CompileOptions::default()).unwrap();
        prop_assert!(verify(&prog).is_ok());
        for p in policy.arches() {
            let mut numbers = interesting_numbers(p);
            numbers.extend(NAMES.iter().filter_map(|n| SyscallTable::lookup(p.arch(), n)));
            for nr in numbers {
                let is_named = SyscallTable::name(p.arch(), nr).is_some_and(|n| named.contains(&n));
                for a0 in VALUES {
                    for a1 in VALUES {
                        let data = SeccompData {
                            nr,
                            arch: p.arch().audit(),
                            args: [a0, a1, 0, 0, 0, 0],
                            ..SeccompData::default()
                        };
                        let before = notified.evaluate(&data);
                        let want = if is_named && before == Action::Allow {
                            Action::UserNotif
                        } else {
                            before
                        };
                        prop_assert_eq!(both.evaluate(&data), want, "{:?} {:x?}", p.arch(), data);
                        let got = run(&prog, &data).unwrap().ret;
                        prop_assert_eq!(got, want.to_raw(), "compiled {:?} {:x?}", p.arch(), data);
                    }
                }
            }
        }
    }
}
