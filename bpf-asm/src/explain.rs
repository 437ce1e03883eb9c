//! What a filter does, read off the program itself, per syscall number.
//!
//! The program is walked once per syscall number with `nr` and `arch`
//! concrete and the rest of `seccomp_data` (`args[i].lo/hi`, `ip`) symbolic:
//! a conditional jump on a symbolic value forks the walk, and each path
//! collects its jump constraints ([`outcome`]). A number whose paths all
//! return the same value gets that value ([`Outcome::Always`]); otherwise
//! the paths are grouped by return value, with their conditions as text
//! (`args[1].lo == 0x5412`), and the value of the fall-through path is the
//! "otherwise" ([`Outcome::Conditional`]).
//!
//! [`analyze`] covers an arch's whole 32-bit number space: every number of
//! the caller's syscall table is walked; above the table the space is cut
//! at every constant the program compares with (`k` and `k + 1`), and one
//! number per piece is walked: a filter that compares `nr` without
//! arithmetic on it is constant on each piece. bpf-asm knows no syscall
//! names: the caller supplies them ([`ArchSyscalls`], through a callback in
//! [`explain`]) and renders the result.

mod domain;
mod walk;

use std::collections::{BTreeMap, BTreeSet};

use crate::insn::{decode, Decoded};
use crate::program::Program;
use crate::seccomp::{Arch, X32_SYSCALL_BIT};

pub use walk::MAX_PATHS;

/// What a path returns.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ret {
    /// A constant return value.
    Value(u32),
    /// `ret a` with `A` depending on the arguments: the expression, as text.
    Computed(String),
    /// The path does something the kernel would refuse (an unverified
    /// program): what, as text.
    Error(String),
}

/// The paths of one syscall number that return one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// What these paths return.
    pub ret: Ret,
    /// Each path's conditions (a conjunction, empty for "always"), in the
    /// order the walk finished the paths; not deduplicated.
    pub paths: Vec<Vec<String>>,
}

/// What one syscall number gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every path returns this.
    Always(Ret),
    /// Paths return different values: `cases` (in the order their values
    /// first appear), and `otherwise` for the rest.
    Conditional {
        /// The values returned under argument conditions, each with its
        /// conditions.
        cases: Vec<Case>,
        /// What the paths that meet no case return.
        otherwise: Ret,
    },
    /// More than [`MAX_PATHS`] paths.
    TooManyPaths,
}

/// The caller's syscall table for one arch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchSyscalls {
    /// Numbers below this are walked one by one.
    pub end: u32,
    /// The named numbers, ascending (some may lie at or above `end`).
    pub named: Vec<(u32, String)>,
}

/// The outcomes over one arch's whole number space.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The arch (`None`: an audit value no arch has).
    pub arch: Option<Arch>,
    /// Named syscalls: `(nr, name, outcome)`, table numbers first.
    pub named: Vec<(u32, String, Outcome)>,
    /// Unnamed numbers as pieces `(lo, hi, outcome)`, ascending; the
    /// outcome holds on the whole piece. Adjacent pieces are not merged.
    pub pieces: Vec<(u32, u32, Outcome)>,
}

/// Every arch of [`Arch::ALL`] analysed, and the audit value 0 that no arch has.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// An unknown arch (audit value 0, no syscall table).
    pub unknown: Analysis,
    /// One analysis per arch, in [`Arch::ALL`] order.
    pub arches: Vec<Analysis>,
}

/// What syscall `nr` of the arch whose audit value is `audit` gets.
pub fn outcome(prog: &Program, audit: u32, nr: u32) -> Outcome {
    let Some(paths) = walk::paths(prog, audit, nr) else {
        return Outcome::TooManyPaths;
    };
    let Some(first) = paths.first().map(|p| p.ret.clone()) else {
        return Outcome::Always(Ret::Error("no feasible path".into()));
    };
    if paths.iter().all(|p| p.ret == first) {
        return Outcome::Always(first);
    }
    let mut by_ret: BTreeMap<&Ret, Vec<&walk::Path>> = BTreeMap::new();
    for p in &paths {
        by_ret.entry(&p.ret).or_default().push(p);
    }
    // The "otherwise" value: the one reached with the fewest positive facts
    // (the fall-through path), then the one with the most paths.
    let otherwise = by_ret
        .iter()
        .min_by_key(|(_, ps)| {
            (
                ps.iter().map(|p| p.positives()).min().unwrap_or(0),
                usize::MAX - ps.len(),
            )
        })
        .map(|(r, _)| (*r).clone())
        .unwrap_or(first);
    // In first-path order, for a stable and natural reading.
    let mut order: Vec<&Ret> = Vec::new();
    for p in &paths {
        if p.ret != otherwise && !order.contains(&&p.ret) {
            order.push(&p.ret);
        }
    }
    let cases = order
        .into_iter()
        .map(|r| Case {
            ret: r.clone(),
            paths: by_ret[r].iter().map(|p| p.conditions()).collect(),
        })
        .collect();
    Outcome::Conditional { cases, otherwise }
}

/// The outcomes of every number of the arch whose audit value is `audit`,
/// with `syscalls` naming its table.
pub fn analyze(
    prog: &Program,
    audit: u32,
    arch: Option<Arch>,
    syscalls: &ArchSyscalls,
) -> Analysis {
    let table_end = syscalls.end;
    let entries: BTreeMap<u32, &str> = syscalls
        .named
        .iter()
        .map(|(nr, name)| (*nr, name.as_str()))
        .collect();
    let mut an = Analysis {
        arch,
        named: Vec::new(),
        pieces: Vec::new(),
    };
    let mut add = |lo: u32, hi: u32| {
        let o = outcome(prog, audit, lo);
        match entries.get(&lo) {
            Some(name) => an.named.push((lo, (*name).to_string(), o)),
            None => an.pieces.push((lo, hi, o)),
        }
    };
    for nr in 0..table_end {
        add(nr, nr);
    }
    let cuts = cuts(prog, table_end, &entries);
    for (i, &lo) in cuts.iter().enumerate() {
        let hi = cuts.get(i + 1).map_or(u32::MAX, |n| n - 1);
        add(lo, hi);
    }
    an
}

/// Where the number space above the table is cut: the table end, the x32
/// bit, `-1`, every constant a jump or `ld #k` holds (and the next number),
/// and every named number above the table (and the next).
fn cuts(prog: &Program, table_end: u32, entries: &BTreeMap<u32, &str>) -> Vec<u32> {
    let mut cuts: BTreeSet<u32> = BTreeSet::new();
    cuts.insert(table_end);
    cuts.insert(X32_SYSCALL_BIT);
    cuts.insert(u32::MAX);
    let constants = prog.insns.iter().filter(|i| {
        matches!(
            decode(i),
            Ok(Decoded::Ja | Decoded::Jmp(..) | Decoded::LdImm(_))
        )
    });
    let named = entries.keys().filter(|&&n| n >= table_end);
    for k in constants.map(|i| i.k).chain(named.copied()) {
        cuts.insert(k);
        if let Some(k1) = k.checked_add(1) {
            cuts.insert(k1);
        }
    }
    cuts.into_iter().filter(|&c| c >= table_end).collect()
}

/// [`analyze`] for the unknown arch and every arch of [`Arch::ALL`], with
/// `syscalls` naming each arch's table.
pub fn explain(prog: &Program, syscalls: &dyn Fn(Arch) -> ArchSyscalls) -> Explanation {
    Explanation {
        unknown: analyze(prog, 0, None, &ArchSyscalls::default()),
        arches: Arch::ALL
            .iter()
            .map(|&arch| analyze(prog, arch.audit(), Some(arch), &syscalls(arch)))
            .collect(),
    }
}

/// Constants in conditions: decimal below 10, hex from 10 up.
fn hex(v: u32) -> String {
    hex64(u64::from(v))
}

fn hex64(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::ret;
    use crate::text::assemble;

    const IOCTL: &str = "\
ld [nr]
jeq #16, ioctl, allow
ioctl:
ld [args[1].lo]
jeq #0x5412, deny, allow
deny:
ret ERRNO(1)
allow:
ret ALLOW
";

    #[test]
    fn argument_conditions_are_returned_as_data() {
        let prog = assemble(IOCTL).unwrap();
        let audit = Arch::X86_64.audit();
        assert_eq!(
            outcome(&prog, audit, 16),
            Outcome::Conditional {
                cases: vec![Case {
                    ret: Ret::Value(ret::ERRNO | 1),
                    paths: vec![vec!["args[1].lo == 0x5412".to_string()]],
                }],
                otherwise: Ret::Value(ret::ALLOW),
            }
        );
        assert_eq!(
            outcome(&prog, audit, 0),
            Outcome::Always(Ret::Value(ret::ALLOW))
        );
    }

    #[test]
    fn sixty_four_bit_equality_is_merged_and_ranges_are_bounded() {
        let prog = assemble(
            "ld [args[0].hi]\njeq #1, hi, allow\nhi:\nld [args[0].lo]\n\
             jeq #2, deny, allow\ndeny:\nret KILL_PROCESS\nallow:\n\
             ld [args[2].lo]\njgt #9, big, ok\nbig:\nret ERRNO(7)\nok:\nret ALLOW\n",
        )
        .unwrap();
        let Outcome::Conditional { cases, otherwise } = outcome(&prog, 0, 0) else {
            panic!("not conditional");
        };
        let kill = cases
            .iter()
            .find(|c| c.ret == Ret::Value(ret::KILL_PROCESS))
            .unwrap();
        assert_eq!(kill.paths, vec![vec!["args[0] == 0x100000002".to_string()]]);
        let mut all: Vec<&Vec<String>> = cases.iter().flat_map(|c| &c.paths).collect();
        all.retain(|p| p.iter().any(|c| c.starts_with("args[2]")));
        let bounds: BTreeSet<&str> = all
            .iter()
            .filter_map(|p| p.last())
            .map(|c| c.as_str())
            .collect();
        let want = if otherwise == Ret::Value(ret::ALLOW) {
            "args[2].lo >= 0xa"
        } else {
            "args[2].lo <= 9"
        };
        assert_eq!(bounds, BTreeSet::from([want]));
    }

    #[test]
    fn ret_a_of_an_argument_is_computed_and_div_by_zero_returns_zero() {
        let prog = assemble("ld [args[0].lo]\nadd #1\nret a\n").unwrap();
        assert_eq!(
            outcome(&prog, 0, 0),
            Outcome::Always(Ret::Computed("(args[0].lo + 1)".into()))
        );
        let prog = assemble("ld #5\ndiv x\nret a\n").unwrap();
        assert_eq!(outcome(&prog, 0, 0), Outcome::Always(Ret::Value(0)));
    }

    #[test]
    fn division_by_a_symbolic_x_may_return_zero() {
        let prog = assemble("ld [args[0].lo]\ntax\nld #10\ndiv x\nret ALLOW\n").unwrap();
        assert_eq!(
            outcome(&prog, 0, 0),
            Outcome::Conditional {
                cases: vec![Case {
                    ret: Ret::Value(0),
                    paths: vec![vec!["args[0].lo == 0".to_string()]],
                }],
                otherwise: Ret::Value(ret::ALLOW),
            }
        );
        // A computed divisor: the condition is written out.
        let prog =
            assemble("ld [args[0].lo]\nadd #1\ntax\nld [args[1].lo]\ndiv x\nret a\n").unwrap();
        let Outcome::Conditional { cases, .. } = outcome(&prog, 0, 0) else {
            panic!("not conditional");
        };
        assert!(cases.iter().any(|c| c.ret == Ret::Value(0)
            && c.paths == vec![vec!["(args[0].lo + 1) == 0".to_string()]]));
        // A constant zero divisor kills whatever A holds.
        let prog = assemble("ld [args[0].lo]\ndiv x\nret ALLOW\n").unwrap();
        assert_eq!(outcome(&prog, 0, 0), Outcome::Always(Ret::Value(0)));
    }

    #[test]
    fn names_come_from_the_caller_and_pieces_are_cut_at_constants() {
        let prog =
            assemble("ld [nr]\njge #100, big, small\nbig:\nret ERRNO(1)\nsmall:\nret ALLOW\n")
                .unwrap();
        let calls = |arch: Arch| ArchSyscalls {
            end: 4,
            named: vec![(1, format!("one-{}", arch.name()))],
        };
        let ex = explain(&prog, &calls);
        assert_eq!(ex.arches.len(), Arch::ALL.len());
        let x86_64 = &ex.arches[0];
        assert_eq!(x86_64.arch, Some(Arch::ALL[0]));
        assert_eq!(x86_64.named.len(), 1);
        assert_eq!(x86_64.named[0].1, format!("one-{}", Arch::ALL[0].name()));
        let allow = Outcome::Always(Ret::Value(ret::ALLOW));
        let errno = Outcome::Always(Ret::Value(ret::ERRNO | 1));
        let spans: Vec<(u32, u32, &Outcome)> = x86_64
            .pieces
            .iter()
            .map(|(lo, hi, o)| (*lo, *hi, o))
            .collect();
        assert_eq!(spans[..3], [(0, 0, &allow), (2, 2, &allow), (3, 3, &allow)]);
        assert_eq!(spans[3], (4, 99, &allow));
        assert_eq!(spans[4], (100, 100, &errno));
        assert!(ex.unknown.named.is_empty() && ex.unknown.arch.is_none());
        assert_eq!(ex.unknown.pieces[0], (0, 99, allow));
    }
}
