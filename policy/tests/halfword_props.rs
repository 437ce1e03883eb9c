//! Property tests for `policy::profile::halfword::Tree::lower`, the pass
//! that turns libseccomp's argument tree of one syscall's overlapping
//! rules into go-jail's first-match rules: the rules answer as the tree
//! where a rule with the tree's action holds, else as the whole-condition
//! order (the tree itself is checked against libseccomp's in
//! tests/libseccomp_diff.rs).

use policy::condition::Width;
use policy::profile::halfword::Tree;
use policy::{Action, ArgIndex, CmpOp, Condition};
use proptest::prelude::*;

mod strategies;

const VALUES: [u64; 7] = [0, 1, 5, 0xff, 0x1_0000_0000, 0x1_0000_0005, u64::MAX];

fn condition() -> impl Strategy<Value = Condition> {
    let op = prop_oneof![
        6 => strategies::plain_op(),
        1 => prop::sample::select(vec![0xffu64, 0xffff_ffff_0000_0000, u64::MAX])
            .prop_map(CmpOp::MaskedEq),
    ];
    (0u8..3, op, prop::sample::select(VALUES.to_vec())).prop_map(|(arg, op, value)| {
        // a masked value inside its mask, as libseccomp compares it
        let value = match op {
            CmpOp::MaskedEq(m) => value & m,
            _ => value,
        };
        Condition::new(ArgIndex::ALL[usize::from(arg)], op, value)
    })
}

fn rules() -> impl Strategy<Value = Vec<(Vec<Condition>, Action)>> {
    let rule = (
        prop::collection::vec(condition(), 1..4),
        prop::sample::select(vec![
            Action::Allow,
            Action::Errno(1),
            Action::Log,
            Action::Trap(0),
        ]),
    )
        .prop_map(|(mut conds, action)| {
            conds.sort_by_key(|c| c.arg());
            conds.dedup_by_key(|c| c.arg());
            (conds, action)
        });
    prop::collection::vec(rule, 2..6)
}

fn args() -> impl Strategy<Value = [u64; 6]> {
    let v = prop_oneof![
        prop::sample::select(VALUES.to_vec()),
        prop::sample::select(VALUES.to_vec()).prop_map(|v| v.wrapping_add(1)),
        prop::sample::select(VALUES.to_vec()).prop_map(|v| v.wrapping_sub(1)),
        any::<u64>(),
    ];
    [v.clone(), v.clone(), v].prop_map(|[a, b, c]| [a, b, c, 0, 0, 0])
}

fn all_hold(conds: &[Condition], args: &[u64; 6]) -> bool {
    conds
        .iter()
        .all(|c| c.holds(args[usize::from(c.arg())], Width::W64))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn lowered_rules_answer_as_the_tree_where_a_rule_agrees(
        rules in rules(),
        order_seed in any::<u64>(),
        calls in prop::collection::vec(args(), 16),
        wide in any::<bool>(),
    ) {
        // a 32-bit arch's arguments are zero-extended
        let calls: Vec<[u64; 6]> = calls
            .into_iter()
            .map(|a| if wide { a } else { a.map(|x| x & 0xffff_ffff) })
            .collect();
        // any whole-condition order will do for the property
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.rotate_left((order_seed % rules.len() as u64) as usize);
        let Some(tree) = Tree::build_for(&rules, wide).filter(|b| b.refused.is_empty()) else {
            return Ok(());
        };
        let Some(lowered) = Tree::lower(&rules, &order, wide) else {
            return Ok(());
        };
        for a in &calls {
            let got = lowered.iter().find(|(c, _)| all_hold(c, a)).map(|r| r.1);
            let holding: Vec<Action> = (rules.iter())
                .filter(|(c, _)| all_hold(c, a))
                .map(|r| r.1)
                .collect();
            let tree_says = tree.tree.eval(a);
            let want = match tree_says {
                Some(t) if holding.contains(&t) => Some(t),
                _ => order.iter().map(|&i| &rules[i]).find(|(c, _)| all_hold(c, a)).map(|r| r.1),
            };
            prop_assert_eq!(got, want, "args {:x?}, tree {:?}, lowered {:?}", a, tree_says, lowered);
        }
    }
}
