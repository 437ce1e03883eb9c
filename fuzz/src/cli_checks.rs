//! The checks that run the CLI's own modules (from the `go_jail` library
//! crate): the profile JSON parser and the `-caps`,
//! `--arch` and `--errno` syntaxes. The main test suite reaches the same
//! code through the built binary (`tests/fuzz_regressions.rs`).

use std::collections::HashSet;

use bpf_asm::Arch;
use go_jail::{arches, caps, errno, profile_json};
use policy::profile::{Context, Profile};

use crate::checks;

/// `profile_json`: profile text → the CLI's JSON parser
/// (`profile_json::parse`) → `Profile::to_spec` in each context →
/// `resolve` → `compile`. A clean error or a policy, never a panic; a
/// translated profile always resolves (the translation skips unknown names
/// and refuses bad indices), and its program passes [`checks::check_policy`].
pub fn profile_json(source: &str, contexts: &[Context]) {
    let profile: Profile = match profile_json::parse(source, "fuzz.json") {
        Ok((profile, notes)) => {
            for n in &notes {
                assert!(!n.is_empty());
            }
            profile
        }
        Err(f) => {
            assert!(f.message.starts_with("fuzz.json: "), "{}", f.message);
            return;
        }
    };
    for ctx in contexts {
        checks::profile_spec(&profile, ctx);
    }
}

/// `cli_lists`: the command line's list syntaxes that live in libraries or
/// in self-contained CLI modules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListCase {
    /// A `-syscall-allow`/`-syscall-deny` list after the CLI split it at
    /// commas (`policy_args::split_list`: trimmed, non-empty items).
    pub items: Vec<String>,
    /// `--arch` targets (empty: every supported arch, as `expand` reads it).
    pub arches: Vec<Arch>,
    /// A `-caps` value.
    pub caps: String,
    /// An `--arch` value.
    pub arch_list: String,
    /// An `--errno` value.
    pub errno: String,
}

/// Checks [`ListCase`]:
/// - `groups::expand`: no group, removal or duplicate survives; every name
///   is a typed item or a member of a group typed; nothing removed stays;
///   removals do the same wherever they stand; expanding again is the
///   identity; `resolve` accepts the result or names a typed unknown item;
/// - `caps::parse_list` (the CLI's): a mask of known capabilities that
///   `caps::names` prints back to the same mask, and the CLI's capability
///   table is the policy crate's;
/// - `arches::parse_arches`: distinct arches, at least one;
/// - `errno::parse`: 0..=4095, and a named errno parses back from its name.
pub fn cli_lists(case: &ListCase) {
    checks::check_expand(&case.items, &case.arches);
    check_caps(&case.caps);
    if let Ok(arches) = arches::parse_arches(&case.arch_list) {
        assert!(!arches.is_empty());
        let distinct: HashSet<Arch> = arches.iter().copied().collect();
        assert_eq!(distinct.len(), arches.len(), "{arches:?}");
    }
    if let Ok(n) = errno::parse(&case.errno) {
        assert!(n <= 4095);
        if let Some(name) = errno::name(n) {
            assert_eq!(errno::parse(name), Ok(n));
        }
    }
}

fn check_caps(list: &str) {
    match caps::parse_list(list) {
        Ok(mask) => {
            assert!(mask < 1 << caps::NAMES.len(), "{mask:#x}");
            let printed = caps::names(mask);
            assert_eq!(caps::parse_list(&printed), Ok(mask), "{printed}");
            // A blank list is the empty set: no items to look at.
            let items = if list.trim().is_empty() {
                None
            } else {
                Some(list.split(','))
            };
            for item in items.into_iter().flatten() {
                let n = caps::number(item).expect("parsed items are known");
                let full = item.trim();
                if full
                    .get(..4)
                    .is_some_and(|p| p.eq_ignore_ascii_case("CAP_"))
                {
                    assert_eq!(policy::profile::cap_number(full), Some(n), "{full}");
                }
            }
        }
        Err(e) => checks::render(&e),
    }
}
