//! Property tests for `policy::profile::order::libseccomp_order`, the pass
//! that orders a syscall's conditional profile rules as libseccomp's
//! argument tree tries them (the differential test against libseccomp
//! itself is tests/libseccomp_diff.rs `overlapping_rules_against_libseccomp`).

use std::cmp::Ordering;

use policy::profile::order::{libseccomp_order, sibling_order};
use policy::{Action, ArgIndex, CmpOp, Condition, Rule};
use proptest::prelude::*;

mod strategies;

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        6 => strategies::plain_op(),
        1 => prop::sample::select(vec![0xffu64, 0xffff_ffff_0000_0000, u64::MAX])
            .prop_map(CmpOp::MaskedEq),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    (
        0u8..3,
        op(),
        prop::sample::select(vec![0u64, 1, 5, 0x1_0000_0000, u64::MAX]),
    )
        .prop_map(|(arg, op, value)| Condition::new(ArgIndex::ALL[usize::from(arg)], op, value))
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::collection::vec(condition(), 1..4),
        prop::sample::select(vec![Action::Allow, Action::Errno(1), Action::Log]),
    )
        .prop_map(|(mut conds, action)| {
            conds.sort_by_key(|c| c.arg());
            conds.dedup_by_key(|c| c.arg());
            Rule::when("mmap", action, conds)
        })
}

fn sorted(r: &Rule) -> Vec<Condition> {
    let mut c = r.conditions.clone();
    c.sort_by_key(|c| c.arg());
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every rule is tried exactly once.
    #[test]
    fn the_order_is_a_permutation(rules in prop::collection::vec(rule(), 0..8)) {
        let mut order = libseccomp_order(&rules);
        order.sort_unstable();
        prop_assert_eq!(order, (0..rules.len()).collect::<Vec<_>>());
    }

    /// Two rules whose condition lists first differ at conditions that do
    /// not tie are tried in libseccomp's sibling order, whatever the
    /// profile order.
    #[test]
    fn rules_follow_the_sibling_order_where_they_first_differ(
        rules in prop::collection::vec(rule(), 2..8),
    ) {
        let order = libseccomp_order(&rules);
        for (k, &i) in order.iter().enumerate() {
            for &j in &order[k + 1..] {
                let (a, b) = (sorted(&rules[i]), sorted(&rules[j]));
                let Some(p) = (0..a.len().min(b.len())).find(|&p| a[p] != b[p]) else {
                    continue;
                };
                prop_assert_ne!(
                    sibling_order(&a[p], &b[p]),
                    Ordering::Greater,
                    "{:?} tried before {:?}", a, b
                );
            }
        }
    }

    /// With no ties and no rule a prefix of another, the order does not
    /// depend on the order of the input.
    #[test]
    fn without_ties_the_input_order_does_not_matter(
        rules in prop::collection::vec(rule(), 2..7),
        seed in any::<u64>(),
    ) {
        let conds: Vec<Vec<Condition>> = rules.iter().map(sorted).collect();
        for (i, a) in conds.iter().enumerate() {
            for b in &conds[i + 1..] {
                let p = (0..a.len().min(b.len())).find(|&p| a[p] != b[p]);
                let Some(p) = p else { return Ok(()) };
                if sibling_order(&a[p], &b[p]) == Ordering::Equal {
                    return Ok(());
                }
            }
        }
        let mut shuffled = rules.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let tried = |rs: &[Rule]| -> Vec<Rule> {
            libseccomp_order(rs).into_iter().map(|i| rs[i].clone()).collect()
        };
        prop_assert_eq!(tried(&rules), tried(&shuffled));
    }

    /// A rule whose conditions start another's is tried first when it
    /// comes first in the profile (libseccomp drops the longer one there).
    #[test]
    fn a_shorter_rule_added_first_is_tried_first(
        long in rule(),
        action in prop::sample::select(vec![Action::Allow, Action::Errno(1), Action::Log]),
        extra in condition(),
    ) {
        let mut conds = sorted(&long);
        let cut = conds.len();
        // a condition on an index after the others makes `long` longer
        conds.push(Condition::new(ArgIndex::ALL[3], extra.op(), extra.value()));
        let long = Rule::when("mmap", long.action, conds.clone());
        let short = Rule::when("mmap", action, conds[..cut].to_vec());
        prop_assert_eq!(libseccomp_order(&[short.clone(), long.clone()]), vec![0, 1]);
        // the other way round libseccomp refuses the shorter rule when the
        // actions differ (go-jail keeps profile order) and lets it replace
        // the longer one when they are the same
        let want = if short.action == long.action { vec![1, 0] } else { vec![0, 1] };
        prop_assert_eq!(libseccomp_order(&[long, short]), want);
    }
}

#[test]
fn higher_argument_indices_and_equalities_come_first() {
    let c = |arg: usize, op, v| Condition::new(ArgIndex::ALL[arg], op, v);
    let order = |rules: &[Rule]| libseccomp_order(rules);
    let rules = [
        Rule::when("socket", Action::Errno(1), vec![c(0, CmpOp::Eq, 16)]),
        Rule::when("socket", Action::Allow, vec![c(2, CmpOp::Ge, 9)]),
    ];
    assert_eq!(order(&rules), [1, 0], "args[2] before args[0]");
    let rules = [
        Rule::when("mmap", Action::Errno(1), vec![c(0, CmpOp::Gt, 5)]),
        Rule::when("mmap", Action::Allow, vec![c(0, CmpOp::Lt, 10)]),
        Rule::when("mmap", Action::Log, vec![c(0, CmpOp::Ne, 7)]),
    ];
    assert_eq!(order(&rules), [2, 1, 0], "==/!=, then </<=, then >/>=");
    let rules = [
        Rule::when("mmap", Action::Errno(1), vec![c(0, CmpOp::Gt, 5)]),
        Rule::when("mmap", Action::Allow, vec![c(0, CmpOp::Ge, 7)]),
        Rule::when("mmap", Action::Log, vec![c(0, CmpOp::Lt, 3)]),
        Rule::when("mmap", Action::Trap(0), vec![c(0, CmpOp::Le, 2)]),
    ];
    assert_eq!(
        order(&rules),
        [3, 2, 1, 0],
        "> larger first, < smaller first"
    );
}
