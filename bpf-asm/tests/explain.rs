//! The symbolic walk of `bpf_asm::explain` against the interpreter: on
//! programs the kernel accepts, what a real run returns is one of the values
//! the walk found for that `(arch, nr)`, and the only one when the walk says
//! the number always gets it; the pieces of an analysis cover the number
//! space once.

use bpf_asm::explain::{self, ArchSyscalls, Outcome, Ret};
use bpf_asm::testgen::{self, Rng};
use bpf_asm::{run, Arch};
use proptest::prelude::*;

/// The values an outcome says the number may get (`None`: not decidable
/// here, e.g. a value computed from the arguments).
fn possible(o: &Outcome) -> Option<Vec<u32>> {
    let rets: Vec<&Ret> = match o {
        Outcome::Always(r) => vec![r],
        Outcome::Conditional { cases, otherwise } => cases
            .iter()
            .map(|c| &c.ret)
            .chain(std::iter::once(otherwise))
            .collect(),
        Outcome::TooManyPaths => return None,
    };
    rets.into_iter()
        .map(|r| match r {
            Ret::Value(v) => Some(*v),
            _ => None,
        })
        .collect()
}

proptest! {
    #[test]
    fn explain_agrees_with_the_interpreter(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let prog = testgen::valid_program(&mut rng, 40);
        for _ in 0..8 {
            let data = testgen::data_for(&mut rng, &prog);
            let got = run(&prog, &data).expect("a verified program runs to a ret").ret;
            let o = explain::outcome(&prog, data.arch, data.nr);
            if let Some(values) = possible(&o) {
                prop_assert!(values.contains(&got), "{o:?} lacks {got:#x}");
                if matches!(o, Outcome::Always(_)) {
                    prop_assert_eq!(values, vec![got]);
                }
            }
        }
    }

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
