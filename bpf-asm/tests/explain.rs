//! Properties of `bpf_asm::explain` on random programs the kernel accepts:
//! the pieces of an analysis cover the number space once.

use bpf_asm::explain::{self, ArchSyscalls};
use bpf_asm::testgen::{self, Rng};
use bpf_asm::Arch;
use proptest::prelude::*;

proptest! {
    #[test]
    fn pieces_and_named_numbers_cover_the_number_space_once(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let prog = testgen::valid_program(&mut rng, 24);
        let syscalls = ArchSyscalls {
            end: 40,
            named: vec![(3, "three".into()), (7, "seven".into()), (0x4000_0001, "x32".into())],
        };
        let an = explain::analyze(&prog, Arch::X86_64.audit(), Some(Arch::X86_64), &syscalls);
        let mut spans: Vec<(u32, u32)> = an.pieces.iter().map(|p| (p.0, p.1)).collect();
        spans.extend(an.named.iter().map(|n| (n.0, n.0)));
        spans.sort_unstable();
        prop_assert_eq!(spans[0].0, 0);
        prop_assert_eq!(spans[spans.len() - 1].1, u32::MAX);
        for w in spans.windows(2) {
            prop_assert_eq!(u64::from(w[0].1) + 1, u64::from(w[1].0), "{:?}", w);
        }
        let names: Vec<&str> = an.named.iter().map(|n| n.1.as_str()).collect();
        prop_assert_eq!(names, vec!["three", "seven", "x32"]);
    }
}
