//! The bit-test pass (`policy::bits::refine`) against the tree it refines:
//! random runs and weights below a table end, an optimal interval tree,
//! then the refined tree must send every number to the same leaf, keep the
//! depth limit, and never cost more. `PROPTEST_CASES` overrides the count.

use policy::bits::refine;
use policy::runs::{Leaf, Run, EPSILON};
use policy::tree::{ceil_log2, optimal, Tree, DEFAULT_SIZE_PENALTY};
use policy::{resolve, Action, CompileOptions, PolicySpec, EPERM};
use proptest::prelude::*;

use bpf_asm::Arch;

#[allow(dead_code)]
mod common;

/// Runs over `0..=u32::MAX` from per-number leaves below `weights.len()`,
/// then an above-table region and the top number.
fn runs_of(leaves: &[u8], weights: &[u64]) -> Vec<Run> {
    let leaf = |i: u8| match i {
        0 => Leaf::Ret(Action::Allow),
        1 => Leaf::Ret(Action::Errno(EPERM)),
        2 => Leaf::Ret(Action::Errno(38)),
        _ => Leaf::Ret(Action::KillProcess),
    };
    let mut out: Vec<Run> = Vec::new();
    let mut push = |lo: u32, hi: u32, l: Leaf, w: u64| match out.last_mut() {
        Some(r) if r.leaf == l => {
            r.hi = hi;
            r.weight += w;
        }
        _ => out.push(Run {
            lo,
            hi,
            leaf: l,
            weight: EPSILON + w,
        }),
    };
    for (nr, (&l, &w)) in leaves.iter().zip(weights).enumerate() {
        push(nr as u32, nr as u32, leaf(l), w);
    }
    push(leaves.len() as u32, 0x3fff_ffff, leaf(2), 0);
    push(0x4000_0000, u32::MAX, leaf(3), 0);
    out
}

fn cost(tree: &Tree, weights: &[u64], lambda: f64) -> f64 {
    let executed: u64 = (weights.iter().enumerate())
        .map(|(nr, w)| w * u64::from(tree.cost(nr as u32)))
        .sum();
    executed as f64 + lambda * f64::from(tree.tests())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
    ))]

    #[test]
    fn refining_keeps_every_leaf_and_never_costs_more(
        table in proptest::collection::vec((0u8..3, prop_oneof![3 => Just(0u64), 1 => 1u64..10_000]), 2..300),
        slack in 0u32..3,
    ) {
        let (leaves, weights): (Vec<u8>, Vec<u64>) = table.into_iter().unzip();
        let runs = runs_of(&leaves, &weights);
        let depth = ceil_log2(runs.len()) + slack;
        let tree = optimal(&runs, depth, DEFAULT_SIZE_PENALTY);
        let refined = refine(tree.clone(), &runs, &weights, depth, DEFAULT_SIZE_PENALTY);
        let top = weights.len() as u32;
        for nr in (0..top + 2).chain([0x3fff_ffff, 0x4000_0000, u32::MAX]) {
            prop_assert_eq!(refined.lookup(nr), tree.lookup(nr), "nr {}", nr);
        }
        prop_assert!(refined.depth() <= depth.max(tree.depth()));
        let lambda = DEFAULT_SIZE_PENALTY * runs.iter().map(|r| r.weight).sum::<u64>() as f64;
        let (before, after) = (cost(&tree, &weights, lambda), cost(&refined, &weights, lambda));
        prop_assert!(after <= before + 1e-6, "{} > {}", after, before);
    }
}

/// The go-jail example allow-list on x86_64: every number of `157..258`
/// with none of the bits `0x126` is denied, so `getdents64` (217, the
/// fourth most frequent call of the shipped profile) reaches its `ret`
/// after `jge #157`, `jge #258` and one `jset`, where the best threshold
/// tree needs four tests; every table number keeps its leaf.
#[test]
fn the_go_jail_example_sends_getdents64_through_a_bit_test() {
    let spec = PolicySpec {
        arches: vec![Arch::X86_64],
        ..PolicySpec::allow(&common::names(include_str!("data/go_jail_example.txt")))
    };
    let (policy, _) = resolve(&spec).unwrap();
    let lowered = policy.lower(&CompileOptions::default());
    let (p, tree) = (&lowered.arches()[0], lowered.arches()[0].tree());
    assert_eq!(tree.cost(217), 4, "{tree:?}");
    assert!(format!("{tree:?}").contains("Bits"), "{tree:?}");
    for nr in 0..policy.arches()[0].table_end() + 2 {
        assert_eq!(tree.lookup(nr), p.leaf(nr), "nr {nr}");
    }
}
