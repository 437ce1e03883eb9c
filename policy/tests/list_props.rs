//! Property tests of what a syscall list means on each target arch: a
//! deny-list denies exactly its names and their twins, an allow-list allows
//! exactly its names, and a named multiplexer means all of it.
//! `PROPTEST_CASES` overrides the case count.

use bpf_asm::{Arch, SeccompData};
use policy::twins::TWINS;
use policy::{resolve, Action, Mode, PolicySpec, SyscallTable};
use proptest::prelude::*;

/// Twins, multiplexers, and any name of any arch.
fn name() -> impl Strategy<Value = String> {
    let mut hot: Vec<&'static str> = TWINS.iter().flat_map(|t| [t.name, t.twin]).collect();
    hot.extend(["socketcall", "ipc", "socket", "shmget", "accept", "send"]);
    let all: Vec<&'static str> = policy::table::all_names().to_vec();
    prop_oneof![proptest::sample::select(hot), proptest::sample::select(all),]
        .prop_map(str::to_string)
}

prop_compose! {
    fn list()(
        mode in prop_oneof![Just(Mode::AllowList), Just(Mode::DenyList)],
        names in proptest::collection::vec(name(), 0..40),
        errno in 1u16..200,
        arches in proptest::sample::subsequence(Arch::ALL.to_vec(), 1..=3),
    ) -> PolicySpec {
        PolicySpec { mode, names, deny_action: Action::Errno(errno), arches, ..PolicySpec::default() }
    }
}

fn call(arch: Arch, nr: u32, a0: u64) -> SeccompData {
    SeccompData {
        nr,
        arch: arch.audit(),
        args: [a0, 0, 0, 0, 0, 0],
        ..SeccompData::default()
    }
}

proptest! {
    #[test]
    fn a_list_means_its_names_and_for_a_deny_list_their_twins(spec in list()) {
        let (p, _) = resolve(&spec).unwrap();
        let listed = |n: &str| spec.names.iter().any(|m| m == n);
        for &arch in &spec.arches {
            for (nr, name) in SyscallTable::entries(arch) {
                if name == "clone3" {
                    continue; // ENOSYS when an allow-list leaves it out
                }
                let twin = TWINS.iter().any(|t| t.twin == name && listed(t.name));
                // (args 0: socketcall(0) and ipc(0) are no sub-call)
                let got = p.evaluate(&call(arch, nr, 0));
                let want = match spec.mode {
                    Mode::DenyList if listed(name) || twin => spec.deny_action,
                    Mode::DenyList => Action::Allow,
                    Mode::AllowList if listed(name) => Action::Allow,
                    Mode::AllowList => spec.deny_action,
                };
                prop_assert_eq!(got, want, "{:?} {}", arch, name);
            }
        }
    }

    #[test]
    fn a_named_multiplexer_means_every_sub_call(spec in list(), which in 0usize..2) {
        let mux = ["socketcall", "ipc"][which];
        let mut spec = spec;
        spec.names.push(mux.to_string());
        spec.arches.push(Arch::X86);
        let (p, _) = resolve(&spec).unwrap();
        let nr = SyscallTable::lookup(Arch::X86, mux).unwrap();
        let want = p.evaluate(&call(Arch::X86, nr, 0));
        for a0 in (0..=25).chain([23 | 1 << 16, 0xffff_ffff]) {
            prop_assert_eq!(p.evaluate(&call(Arch::X86, nr, a0)), want, "{}({})", mux, a0);
        }
    }
}
