//! Syscall names and numbers per architecture, from the `syscalls` crate
//! (generated from the kernel's `syscall*.tbl` / `unistd.h` files).
//!
//! Adjustments to the crate's tables (checked against libseccomp's tables by
//! `tests/libseccomp_diff.rs`):
//! - raw identifiers are unescaped: i386's `r#break` is the syscall `break`;
//! - names the crate spells differently from the kernel are renamed
//!   (`RENAMES`): aarch64's 79 is `newfstatat`;
//! - calls an ABI does not have are dropped ([`TIME64_CALLS`] on 64-bit
//!   arches);
//! - 32-bit ARM gets the kernel's private syscalls at `__ARM_NR_BASE`
//!   (arch/arm/include/uapi/asm/unistd.h): `breakpoint`, `cacheflush`,
//!   `usr26`, `usr32`, `set_tls`, `get_tls`. glibc calls `set_tls` on every
//!   thread start, so an allow-list must be able to name them.

use std::sync::OnceLock;

use bpf_asm::Arch;

/// `__ARM_NR_BASE`: first number of 32-bit ARM's private syscalls.
pub const ARM_NR_BASE: u32 = 0x0f_0000;
/// The numbers `arm_syscall` (arch/arm/kernel/traps.c) handles as private
/// syscalls: `__ARM_NR_BASE + 0 ..= __ARM_NR_BASE + 0x7ff`. Unknown ones in
/// that window return `ENOSYS` from the kernel itself.
pub const ARM_PRIVATE: (u32, u32) = (ARM_NR_BASE, ARM_NR_BASE + 0x7ff);

const ARM_PRIVATE_NAMES: [(&str, u32); 6] = [
    ("breakpoint", ARM_NR_BASE + 1),
    ("cacheflush", ARM_NR_BASE + 2),
    ("usr26", ARM_NR_BASE + 3),
    ("usr32", ARM_NR_BASE + 4),
    ("set_tls", ARM_NR_BASE + 5),
    ("get_tls", ARM_NR_BASE + 6),
];

/// Where the `syscalls` crate's name differs from the kernel's, as
/// `(arch, crate's name, kernel's name)`. arm64 builds its table from
/// scripts/syscall.tbl, where 79 is `newfstatat` (`sys_newfstatat`, as on
/// x86_64 and riscv64); libseccomp, strace and glibc call it that too. The
/// crate's `fstatat` is not accepted as an alias: no kernel has a syscall of
/// that name, and "unknown syscall 'fstatat', did you mean 'newfstatat'?"
/// says the right one.
const RENAMES: [(Arch, &str, &str); 1] = [(Arch::Aarch64, "fstatat", "newfstatat")];

/// The 64-bit-time variants of the y2038 work (Linux 5.1), numbers 403 to
/// 423 in every table that has them. include/uapi/asm-generic/unistd.h
/// defines them only when `__BITS_PER_LONG != 64` (scripts/syscall.tbl,
/// which arm64 and riscv use since 6.11, marks them ABI `32`), and
/// arch/x86/entry/syscalls/syscall_64.tbl has none: a 64-bit ABI's `time_t`
/// is already 64 bits wide. The `syscalls` crate lists them for aarch64;
/// they are dropped from every 64-bit arch.
pub const TIME64_CALLS: [&str; 20] = [
    "clock_gettime64",
    "clock_settime64",
    "clock_adjtime64",
    "clock_getres_time64",
    "clock_nanosleep_time64",
    "timer_gettime64",
    "timer_settime64",
    "timerfd_gettime64",
    "timerfd_settime64",
    "utimensat_time64",
    "pselect6_time64",
    "ppoll_time64",
    "io_pgetevents_time64",
    "recvmmsg_time64",
    "mq_timedsend_time64",
    "mq_timedreceive_time64",
    "semtimedop_time64",
    "rt_sigtimedwait_time64",
    "futex_time64",
    "sched_rr_get_interval_time64",
];

/// True when the crate lists `name` for `arch` but the ABI has no such call.
fn absent(arch: Arch, name: &str) -> bool {
    arch.is_64bit() && TIME64_CALLS.contains(&name)
}

/// The kernel's name for the crate's `name` on `arch`.
fn kernel_name(arch: Arch, name: &'static str) -> &'static str {
    RENAMES
        .iter()
        .find(|r| r.0 == arch && r.1 == name)
        .map_or(name, |r| r.2)
}

/// The crate's name for the kernel's `name` on `arch`, `None` when the crate
/// has it under another name only (the old name is not the kernel's).
fn crate_name(arch: Arch, name: &str) -> Option<&str> {
    if let Some(r) = RENAMES.iter().find(|r| r.0 == arch && r.2 == name) {
        return Some(r.1);
    }
    let renamed_away = RENAMES.iter().any(|r| r.0 == arch && r.1 == name);
    (!renamed_away && !absent(arch, name)).then_some(name)
}

/// Runs `$body` with `Sysno` bound to `arch`'s table type of the `syscalls`
/// crate. The crate's `new`, `name` and `from_str` are `match`es, so no
/// lookup here allocates or hashes: start-up stays cheap.
macro_rules! with_sysno {
    ($arch:expr, |$sysno:ident| $body:expr) => {
        match $arch {
            Arch::X86_64 => {
                use syscalls::x86_64::Sysno as $sysno;
                $body
            }
            Arch::X86 => {
                use syscalls::x86::Sysno as $sysno;
                $body
            }
            Arch::Aarch64 => {
                use syscalls::aarch64::Sysno as $sysno;
                $body
            }
            Arch::Arm => {
                use syscalls::arm::Sysno as $sysno;
                $body
            }
            Arch::Riscv64 => {
                use syscalls::riscv64::Sysno as $sysno;
                $body
            }
        }
    };
}

/// Syscall names that are Rust keywords appear as raw identifiers (`r#break`).
const KEYWORD_NAMES: [&str; 2] = ["break", "yield"];

fn unescape(name: &'static str) -> &'static str {
    name.strip_prefix("r#").unwrap_or(name)
}

fn table_lookup(arch: Arch, name: &str) -> Option<u32> {
    let name = crate_name(arch, name)?;
    let found = with_sysno!(arch, |Sysno| name
        .parse::<Sysno>()
        .ok()
        .map(|s| s.id() as u32));
    found.or_else(|| {
        if KEYWORD_NAMES.contains(&name) {
            let raw = format!("r#{name}");
            with_sysno!(arch, |Sysno| raw
                .parse::<Sysno>()
                .ok()
                .map(|s| s.id() as u32))
        } else {
            None
        }
    })
}

fn table_name(arch: Arch, nr: u32) -> Option<&'static str> {
    let name = with_sysno!(arch, |Sysno| Sysno::new(nr as usize)
        .map(|s| unescape(s.name())))?;
    (!absent(arch, name)).then(|| kernel_name(arch, name))
}

fn table_last(arch: Arch) -> u32 {
    with_sysno!(arch, |Sysno| Sysno::last().id() as u32)
}

/// Private syscalls of `arch` outside its regular table.
fn extra(arch: Arch) -> &'static [(&'static str, u32)] {
    if arch == Arch::Arm {
        &ARM_PRIVATE_NAMES
    } else {
        &[]
    }
}

/// Every name of every arch, sorted and deduplicated (suggestions use it; an
/// error path).
pub fn all_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<&'static str> = Arch::ALL
            .iter()
            .flat_map(|&a| SyscallTable::names(a))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    })
}

/// The syscall tables of the supported architectures.
pub struct SyscallTable;

impl SyscallTable {
    /// The number of `name` on `arch`.
    pub fn lookup(arch: Arch, name: &str) -> Option<u32> {
        table_lookup(arch, name).or_else(|| extra(arch).iter().find(|e| e.0 == name).map(|e| e.1))
    }

    /// The name of syscall `nr` on `arch`.
    pub fn name(arch: Arch, nr: u32) -> Option<&'static str> {
        table_name(arch, nr).or_else(|| extra(arch).iter().find(|e| e.1 == nr).map(|e| e.0))
    }

    /// The highest number of the regular table (private ranges excluded).
    /// The kernel's `NR_syscalls` is at least one more than this.
    pub fn max_nr(arch: Arch) -> u32 {
        table_last(arch)
    }

    /// Every syscall of `arch` as `(nr, name)`, in increasing number order.
    pub fn entries(arch: Arch) -> impl Iterator<Item = (u32, &'static str)> {
        // `Sysno::iter` stops one short of the last entry in syscalls 0.8.1,
        // so walk the numbers instead.
        (0..=table_last(arch))
            .filter_map(move |nr| table_name(arch, nr).map(|n| (nr, n)))
            .chain(extra(arch).iter().map(|&(n, nr)| (nr, n)))
    }

    /// Every syscall name of `arch`, in number order.
    pub fn names(arch: Arch) -> impl Iterator<Item = &'static str> {
        Self::entries(arch).map(|e| e.1)
    }

    /// The private range where `arch` has syscalls above its regular table.
    pub fn private_range(arch: Arch) -> Option<(u32, u32)> {
        (arch == Arch::Arm).then_some(ARM_PRIVATE)
    }

    /// True when some supported architecture has a syscall called `name`.
    pub fn known_anywhere(name: &str) -> bool {
        Arch::ALL
            .into_iter()
            .any(|a| Self::lookup(a, name).is_some())
    }

    /// The architectures that know `name`.
    pub fn arches_with(name: &str) -> Vec<Arch> {
        Arch::ALL
            .into_iter()
            .filter(|&a| Self::lookup(a, name).is_some())
            .collect()
    }

    /// The closest names of any architecture (edit distance, at most 3
    /// names, none when nothing is reasonably close).
    /// A renamed name (`RENAMES`) suggests the kernel's name first.
    pub fn suggest(name: &str) -> Vec<&'static str> {
        let limit = (name.chars().count() / 3).clamp(1, 3);
        let mut best = usize::MAX;
        let mut out = Vec::new();
        if let Some(r) = RENAMES.iter().find(|r| r.1 == name) {
            return vec![r.2];
        }
        for &cand in all_names() {
            let d = edit_distance(name, cand);
            if d > limit || d > best {
                continue;
            }
            if d < best {
                best = d;
                out.clear();
            }
            out.push(cand);
        }
        out.truncate(3);
        out
    }
}

/// Levenshtein distance over chars: how suggestions ("did you mean") rank
/// names, for syscalls, groups and the CLI's options.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_numbers() {
        assert_eq!(SyscallTable::lookup(Arch::X86_64, "openat"), Some(257));
        assert_eq!(SyscallTable::lookup(Arch::X86, "openat"), Some(295));
        assert_eq!(SyscallTable::lookup(Arch::Aarch64, "openat"), Some(56));
        assert_eq!(SyscallTable::lookup(Arch::X86_64, "clone3"), Some(435));
        assert_eq!(SyscallTable::lookup(Arch::X86_64, "mmap2"), None);
        assert_eq!(SyscallTable::lookup(Arch::X86, "mmap2"), Some(192));
        assert_eq!(SyscallTable::name(Arch::X86_64, 0), Some("read"));
        assert_eq!(SyscallTable::name(Arch::X86, 17), Some("break"));
        assert_eq!(SyscallTable::lookup(Arch::Arm, "set_tls"), Some(0x0f_0005));
        assert_eq!(SyscallTable::name(Arch::Arm, 0x0f_0002), Some("cacheflush"));
    }

    #[test]
    fn aarch64_79_is_newfstatat_as_in_the_kernel() {
        assert_eq!(SyscallTable::lookup(Arch::Aarch64, "newfstatat"), Some(79));
        assert_eq!(SyscallTable::name(Arch::Aarch64, 79), Some("newfstatat"));
        assert_eq!(SyscallTable::lookup(Arch::Riscv64, "newfstatat"), Some(79));
        assert!(!SyscallTable::known_anywhere("fstatat"));
        assert_eq!(SyscallTable::suggest("fstatat"), vec!["newfstatat"]);
        assert!(SyscallTable::names(Arch::Aarch64).all(|n| n != "fstatat"));
    }

    #[test]
    fn time64_calls_only_on_32_bit_arches() {
        for name in TIME64_CALLS {
            for arch in Arch::ALL {
                let has = SyscallTable::lookup(arch, name).is_some();
                assert_eq!(has, !arch.is_64bit(), "{arch:?} {name}");
            }
        }
        assert_eq!(SyscallTable::name(Arch::Aarch64, 403), None);
        assert_eq!(SyscallTable::name(Arch::Arm, 403), Some("clock_gettime64"));
        let listed = SyscallTable::names(Arch::Aarch64).filter(|n| n.ends_with("time64"));
        assert_eq!(listed.count(), 0);
    }

    #[test]
    fn the_last_entry_is_not_lost() {
        for arch in Arch::ALL {
            let max = SyscallTable::max_nr(arch);
            assert!(SyscallTable::name(arch, max).is_some(), "{arch:?}");
            assert!(max >= 400);
        }
    }

    #[test]
    fn suggestions_use_every_arch() {
        assert_eq!(SyscallTable::suggest("opnat"), vec!["openat"]);
        assert_eq!(SyscallTable::suggest("mmap3"), vec!["mmap", "mmap2"]);
        assert!(SyscallTable::suggest("zzzzzzzzzzzz").is_empty());
        assert!(SyscallTable::known_anywhere("mmap2"));
        assert!(SyscallTable::known_anywhere("set_tls"));
        assert!(!SyscallTable::known_anywhere("opnat"));
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
