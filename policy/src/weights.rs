//! Syscall weights: how often a workload makes each syscall,
//! which the optimizer uses to put hot syscalls near the root.
//!
//! Text format, one syscall a line, name and count separated by tabs or
//! spaces (`strace -c` columns cut down, or minijail's `syscall: count`):
//!
//! ```text
//! # comment
//! fcntl     62358
//! openat 21113
//! ```
//!
//! Profiles are keyed by *name*: the shipped profile was recorded on
//! x86_64 and is used for the other architectures by mapping the same names
//! through their own tables (a name an arch lacks simply has no weight there).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use bpf_asm::Arch;

use crate::spec::Warning;
use crate::table::SyscallTable;

/// The shipped default profile (data/freq/x86_64.tsv).
pub const BUILTIN_X86_64: &str = include_str!("../data/freq/x86_64.tsv");

/// Call counts by syscall name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyscallWeights {
    counts: HashMap<&'static str, u64>,
    warnings: Vec<Warning>,
}

/// Why a profile cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WeightsError {
    /// A line is not `name count`.
    Malformed {
        /// The line number, from 1.
        line: usize,
        /// The line as written.
        text: String,
    },
    /// A count of decimal digits above [`MAX_COUNT`].
    CountTooLarge {
        /// The line number, from 1.
        line: usize,
        /// The count as written.
        count: String,
    },
    /// A name no supported architecture knows.
    UnknownSyscall {
        /// The line number, from 1.
        line: usize,
        /// The name as written.
        name: String,
        /// Known syscalls with a close name, best first.
        suggestions: Vec<&'static str>,
    },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Malformed { line, text } => {
                write!(f, "line {line}: expected 'name count', found '{text}'")
            }
            WeightsError::CountTooLarge { line, count } => write!(
                f,
                "line {line}: count {count} is above the largest accepted, {MAX_COUNT} (2^40); scale the counts down, only their ratios matter"
            ),
            WeightsError::UnknownSyscall {
                line,
                name,
                suggestions,
            } => {
                write!(f, "line {line}: ")?;
                crate::spec::write_unknown(f, name, suggestions)
            }
        }
    }
}

impl std::error::Error for WeightsError {}

/// The largest count a profile line may give (and a syscall's total).
pub const MAX_COUNT: u64 = 1 << 40;

impl SyscallWeights {
    /// A profile with no counts: every run weighs the same.
    pub fn empty() -> SyscallWeights {
        SyscallWeights::default()
    }

    /// The shipped profile (recorded on x86_64, used by name on every arch).
    pub fn builtin() -> &'static SyscallWeights {
        static BUILTIN: OnceLock<SyscallWeights> = OnceLock::new();
        BUILTIN.get_or_init(|| SyscallWeights::parse_trusted(BUILTIN_X86_64))
    }

    /// The shipped profile without name checks (a unit test runs the full
    /// [`SyscallWeights::parse`] on it): names are taken as written, which
    /// keeps this off go-jail's start-up path.
    fn parse_trusted(text: &'static str) -> SyscallWeights {
        let mut profile = SyscallWeights::default();
        for raw in text.lines() {
            let content = raw.split('#').next().unwrap_or("").trim();
            let mut fields = content.split_whitespace();
            if let (Some(name), Some(count)) = (fields.next(), fields.next()) {
                let count: u64 = count.parse().unwrap_or(0);
                *profile
                    .counts
                    .entry(name.trim_end_matches(':'))
                    .or_insert(0) += count;
            }
        }
        profile
    }

    /// Reads `name count` lines (tabs or spaces, `#` comments, blank lines).
    /// Repeated names add up. A name unknown on every arch is an error; one
    /// that `arch` lacks is kept (other arches may use it) with a warning.
    pub fn parse(text: &str, arch: Arch) -> Result<SyscallWeights, WeightsError> {
        let mut profile = SyscallWeights::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let malformed = || WeightsError::Malformed {
                line,
                text: raw.trim().to_string(),
            };
            let mut fields = content.split_whitespace();
            let (Some(name), Some(count), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(malformed());
            };
            let name = name.trim_end_matches(':');
            // Bounded so that weights × executed instructions × runs stay far
            // from overflow in the optimizer (2^40 calls is plenty).
            if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            let count: u64 = count
                .parse()
                .ok()
                .filter(|&c| c <= MAX_COUNT)
                .ok_or_else(|| WeightsError::CountTooLarge {
                    line,
                    count: count.to_string(),
                })?;
            let Some(canonical) = canonical_name(name) else {
                return Err(WeightsError::UnknownSyscall {
                    line,
                    name: name.to_string(),
                    suggestions: SyscallTable::suggest(name),
                });
            };
            if SyscallTable::lookup(arch, canonical).is_none() {
                profile.warnings.push(Warning::NotOnArch {
                    name: canonical.to_string(),
                    arch,
                    known_on: SyscallTable::arches_with(canonical),
                });
            }
            let total = profile.counts.entry(canonical).or_insert(0);
            *total = total.saturating_add(count).min(MAX_COUNT);
        }
        Ok(profile)
    }

    /// The count recorded for syscall `nr` of `arch` (by its name there).
    pub fn count(&self, arch: Arch, nr: u32) -> Option<u64> {
        SyscallTable::name(arch, nr).and_then(|n| self.counts.get(n).copied())
    }

    /// The count recorded for a name.
    pub fn count_of(&self, name: &str) -> Option<u64> {
        self.counts.get(name).copied()
    }

    /// `(name, count)` pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.counts.iter().map(|(&n, &c)| (n, c))
    }

    /// Names the parse-time arch lacks.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// True for a profile without counts (every syscall weighs the same).
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// The `'static` spelling of a name some arch knows.
fn canonical_name(name: &str) -> Option<&'static str> {
    Arch::ALL
        .into_iter()
        .find_map(|a| SyscallTable::lookup(a, name).and_then(|nr| SyscallTable::name(a, nr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_counts_are_refused_as_too_large_not_an_overflow() {
        for huge in [
            "18446744073709551615",
            "99999999999999999999999",
            "1099511627777",
        ] {
            let err = SyscallWeights::parse(&format!("read {huge}\n"), Arch::X86_64);
            assert!(
                matches!(&err, Err(WeightsError::CountTooLarge { line: 1, count }) if count == huge),
                "{err:?}"
            );
        }
        let err = SyscallWeights::parse("read -1\n", Arch::X86_64);
        assert!(
            matches!(err, Err(WeightsError::Malformed { line: 1, .. })),
            "{err:?}"
        );
        let p = SyscallWeights::parse("read 1099511627776\nread 1099511627776\n", Arch::X86_64)
            .unwrap();
        assert_eq!(p.count_of("read"), Some(MAX_COUNT));
    }

    #[test]
    fn the_shipped_profile_passes_the_full_parse() {
        let checked = SyscallWeights::parse(BUILTIN_X86_64, Arch::X86_64).unwrap();
        assert!(checked.warnings().is_empty(), "{:?}", checked.warnings());
        assert_eq!(&checked.counts, &SyscallWeights::builtin().counts);
    }

    #[test]
    fn the_builtin_profile_parses() {
        let p = SyscallWeights::builtin();
        assert_eq!(p.count_of("fcntl"), Some(62358));
        assert_eq!(p.count(Arch::X86_64, 72), Some(62358));
        // Same name, other number on i386 (fcntl = 55).
        assert_eq!(p.count(Arch::X86, 55), Some(62358));
        assert!(p.warnings().is_empty());
    }

    #[test]
    fn comments_spaces_repeats_and_warnings() {
        let p = SyscallWeights::parse(
            "# head\n\nread 3 # trailing\nread\t4\nmmap2: 5\n",
            Arch::X86_64,
        )
        .unwrap();
        assert_eq!(p.count_of("read"), Some(7));
        assert_eq!(p.count_of("mmap2"), Some(5));
        assert!(matches!(p.warnings(), [Warning::NotOnArch { name, .. }] if name == "mmap2"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = SyscallWeights::parse("read 1\nopnat 2\n", Arch::X86_64).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: unknown syscall 'opnat', did you mean 'openat'?"
        );
        let e = SyscallWeights::parse("read x\n", Arch::X86_64).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: expected 'name count', found 'read x'"
        );
        assert!(SyscallWeights::parse("read 1 2\n", Arch::X86_64).is_err());
    }
}
