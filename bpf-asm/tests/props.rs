//! Property tests over seeds fed to `bpf_asm::testgen`. The number of cases
//! is proptest's default (256), overridable with `PROPTEST_CASES`.

use bpf_asm::testgen::{self, LabelGraph, Rng};
use bpf_asm::{
    assemble, cached_syscalls, disassemble, is_const_allow, run, verify, Arch, DisasmOptions,
    Program, SeccompData,
};
use proptest::prelude::*;

fn names(_: Arch, nr: u32) -> Option<String> {
    (nr % 3 == 0).then(|| format!("sys{nr}"))
}

fn assert_round_trips(p: &Program) {
    let name_fn: &dyn Fn(Arch, u32) -> Option<String> = &names;
    let all = [
        DisasmOptions::default(),
        DisasmOptions {
            labels: true,
            ..DisasmOptions::default()
        },
        DisasmOptions {
            arch: Some(Arch::X86_64),
            syscall_name: Some(name_fn),
            labels: true,
        },
    ];
    for opts in &all {
        let text = disassemble(p, opts);
        match assemble(&text) {
            Ok(q) => assert_eq!(&q, p, "round trip changed the program:\n{text}"),
            Err(e) => panic!("{e}\n{text}"),
        }
    }
}

proptest! {
    #[test]
    fn valid_programs_verify_and_round_trip(seed in any::<u64>()) {
        let p = testgen::valid_program(&mut Rng::new(seed), 150);
        let report = verify(&p);
        prop_assert!(report.is_ok(), "{}\n{}", report, disassemble(&p, &DisasmOptions::default()));
        assert_round_trips(&p);
    }

    #[test]
    fn every_program_round_trips(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let valid = testgen::valid_program(&mut rng, 60);
        for p in [testgen::any_program(&mut rng, 40), testgen::mutate(&mut rng, &valid)] {
            assert_round_trips(&p);
            // Neither the verifier nor the interpreter may panic on garbage.
            let _ = verify(&p);
            let _ = run(&p, &testgen::data_for(&mut rng, &p));
        }
    }

    #[test]
    fn verified_programs_always_run_to_a_ret(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let valid = testgen::valid_program(&mut rng, 150);
        let mutant = testgen::mutate(&mut rng, &valid);
        for p in [valid, mutant] {
            if !verify(&p).is_ok() {
                continue;
            }
            for _ in 0..8 {
                let data = testgen::data_for(&mut rng, &p);
                let out = run(&p, &data);
                prop_assert!(out.is_ok(), "{:?} on {:?}\n{}", out, data, disassemble(&p, &DisasmOptions::default()));
            }
        }
    }

    #[test]
    fn builder_output_is_valid_and_means_the_graph(seed in any::<u64>(), items in 2usize..1200) {
        let mut rng = Rng::new(seed);
        let graph = LabelGraph::random(&mut rng, items);
        let p = graph.build().expect("a graph of at most 1200 items fits in 4096");
        let report = verify(&p);
        prop_assert!(report.errors.is_empty(), "{}", report);
        for _ in 0..8 {
            let data = testgen::data_for(&mut rng, &p);
            let want = graph.eval(&data);
            let got = run(&p, &data).ok().map(|o| o.ret);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn cached_syscalls_really_allow(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let p = if seed % 2 == 0 {
            testgen::builder_program(&mut rng, 200).expect("fits")
        } else {
            testgen::valid_program(&mut rng, 100)
        };
        for arch in [Arch::X86_64, Arch::X86] {
            for nr in cached_syscalls(&p, arch.audit(), 600) {
                for _ in 0..4 {
                    let mut data: SeccompData = testgen::data_for(&mut rng, &p);
                    data.nr = nr;
                    data.arch = arch.audit();
                    prop_assert_eq!(run(&p, &data).map(|o| o.ret), Ok(0x7fff_0000));
                }
            }
            // Spot-check numbers outside the range too.
            let nr = rng.interesting_u32();
            if is_const_allow(&p, arch.audit(), nr) {
                let data = SeccompData { nr, arch: arch.audit(), ..SeccompData::default() };
                prop_assert_eq!(run(&p, &data).map(|o| o.ret), Ok(0x7fff_0000));
            }
        }
    }
}
