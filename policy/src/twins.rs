//! Twins: two syscalls that reach the same kernel operation through
//! different ABIs, so that a deny-list naming one must deny the other too
//! (docs/threats.md S34; issue 12 finding 4: `--arch x86_64,x86 -syscall-deny=fcntl`
//! left i386's `fcntl64` open).
//!
//! Each [`Twin`] goes one way, from `name` (the call a 64-bit ABI has, the
//! one people write) to `twin` (its variant on 32-bit ABIs, found by
//! comparing arch/x86/entry/syscalls/syscall_32.tbl with syscall_64.tbl and
//! arch/arm/tools/syscall.tbl):
//! - a **deny-list** naming `name` also denies `twin` on every target arch
//!   that has it ([`deny_twins`]); naming `twin` denies only `twin`, so a
//!   removal such as `@file-system,-fcntl` is not undone by the group's
//!   `fcntl64`;
//! - an **allow-list** keeps its exact meaning: a name allows that name only
//!   (an allow-list that pulled twins in would allow calls the user did not
//!   write; the groups list both members of each pair).

use bpf_asm::Arch;

use crate::table::SyscallTable;

/// `twin` does on some ABI what `name` does; `why` says how they differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Twin {
    /// The syscall a list names.
    pub name: &'static str,
    /// The other syscall that does the same on some ABI.
    pub twin: &'static str,
    /// How they differ (the ABI, the argument types).
    pub why: &'static str,
}

const fn twin(name: &'static str, twin: &'static str, why: &'static str) -> Twin {
    Twin { name, twin, why }
}

/// kernel/uid16.c: on i386 and arm the old numbers take 16-bit ids; the
/// `*32` numbers (199 onwards) are the calls with full ids that libc uses.
const UID16: &str = "the low number takes 16-bit ids (kernel/uid16.c), the *32 one full ids";
/// The `*64` calls take 64-bit offsets or sizes as two words (or a struct
/// with 64-bit fields) where the plain call of a 32-bit ABI has `long`s.
const LFS: &str = "the 32-bit ABI's large-file variant (64-bit offsets/sizes)";
/// The y2038 variants (Linux 5.1, numbers 403..=423): the same call with a
/// 64-bit `time_t`, on 32-bit ABIs only (see `table::TIME64_CALLS`).
const TIME64: &str = "the 32-bit ABI's 64-bit time_t variant (Linux 5.1)";
/// i386 keeps calls from before the current `struct stat`/`utsname`
/// (fs/stat.c `sys_stat`, kernel/sys.c `sys_olduname`).
const OLD: &str = "i386's pre-1.x variant with an older struct";

/// Every twin pair. A unit test checks that each `name` exists on some arch
/// and each `twin` on some 32-bit arch.
pub const TWINS: &[Twin] = &[
    twin("getuid", "getuid32", UID16),
    twin("getgid", "getgid32", UID16),
    twin("geteuid", "geteuid32", UID16),
    twin("getegid", "getegid32", UID16),
    twin("setuid", "setuid32", UID16),
    twin("setgid", "setgid32", UID16),
    twin("setreuid", "setreuid32", UID16),
    twin("setregid", "setregid32", UID16),
    twin("setresuid", "setresuid32", UID16),
    twin("setresgid", "setresgid32", UID16),
    twin("getresuid", "getresuid32", UID16),
    twin("getresgid", "getresgid32", UID16),
    twin("getgroups", "getgroups32", UID16),
    twin("setgroups", "setgroups32", UID16),
    twin("chown", "chown32", UID16),
    twin("lchown", "lchown32", UID16),
    twin("fchown", "fchown32", UID16),
    twin("setfsuid", "setfsuid32", UID16),
    twin("setfsgid", "setfsgid32", UID16),
    // fs/fcntl.c: fcntl64 is fcntl with F_GETLK64 & co (struct flock64)
    twin("fcntl", "fcntl64", LFS),
    // fs/read_write.c: _llseek passes the offset as two words
    twin("lseek", "_llseek", LFS),
    // arch/x86/kernel/sys_ia32.c, arch/arm/kernel/entry-common.S: the
    // offset in 4096-byte pages
    twin(
        "mmap",
        "mmap2",
        "the 32-bit ABI's mmap with the offset in pages",
    ),
    twin("truncate", "truncate64", LFS),
    twin("ftruncate", "ftruncate64", LFS),
    twin("statfs", "statfs64", LFS),
    twin("fstatfs", "fstatfs64", LFS),
    twin("sendfile", "sendfile64", LFS),
    // fs/stat.c: stat64 & co fill struct stat64
    twin("stat", "stat64", LFS),
    twin("lstat", "lstat64", LFS),
    twin("fstat", "fstat64", LFS),
    twin("newfstatat", "fstatat64", LFS),
    twin("stat", "oldstat", OLD),
    twin("lstat", "oldlstat", OLD),
    twin("fstat", "oldfstat", OLD),
    twin("uname", "olduname", OLD),
    twin("uname", "oldolduname", OLD),
    // mm/fadvise.c: the offset and length as 64-bit values
    twin("fadvise64", "fadvise64_64", LFS),
    twin(
        "fadvise64",
        "arm_fadvise64_64",
        "arm's fadvise64_64 (arguments reordered for EABI register pairs)",
    ),
    twin(
        "sync_file_range",
        "arm_sync_file_range",
        "arm's sync_file_range2 (arguments reordered for EABI register pairs)",
    ),
    // kernel/sys.c: i386's getrlimit (76) is old_getrlimit, clamped to
    // 0x7fffffff; ugetrlimit (191) is the real getrlimit
    twin(
        "getrlimit",
        "ugetrlimit",
        "the 32-bit ABI's getrlimit without the old clamp",
    ),
    // fs/select.c: x86_64's select is i386's _newselect; i386's select (82)
    // is old_select, one struct pointer
    twin(
        "select",
        "_newselect",
        "the 32-bit ABI's number of select(2)",
    ),
    // kernel/exit.c: waitpid(pid, status, options) is wait4(pid, status,
    // options, NULL)
    twin("wait4", "waitpid", "wait4 without rusage, kept by i386"),
    // fs/namespace.c: umount (i386 22, oldumount) is umount2 with flags 0
    twin("umount2", "umount", "umount2 with flags 0, kept by i386"),
    twin("clock_gettime", "clock_gettime64", TIME64),
    twin("clock_settime", "clock_settime64", TIME64),
    twin("clock_adjtime", "clock_adjtime64", TIME64),
    twin("clock_getres", "clock_getres_time64", TIME64),
    twin("clock_nanosleep", "clock_nanosleep_time64", TIME64),
    twin("timer_gettime", "timer_gettime64", TIME64),
    twin("timer_settime", "timer_settime64", TIME64),
    twin("timerfd_gettime", "timerfd_gettime64", TIME64),
    twin("timerfd_settime", "timerfd_settime64", TIME64),
    twin("utimensat", "utimensat_time64", TIME64),
    twin("pselect6", "pselect6_time64", TIME64),
    twin("ppoll", "ppoll_time64", TIME64),
    twin("io_pgetevents", "io_pgetevents_time64", TIME64),
    twin("recvmmsg", "recvmmsg_time64", TIME64),
    twin("mq_timedsend", "mq_timedsend_time64", TIME64),
    twin("mq_timedreceive", "mq_timedreceive_time64", TIME64),
    twin("semtimedop", "semtimedop_time64", TIME64),
    twin("rt_sigtimedwait", "rt_sigtimedwait_time64", TIME64),
    twin("futex", "futex_time64", TIME64),
    twin(
        "sched_rr_get_interval",
        "sched_rr_get_interval_time64",
        TIME64,
    ),
];

/// A twin a deny-list denied on one arch because it named `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwinDenial {
    /// The name the deny-list gave.
    pub name: String,
    /// The twin denied with it.
    pub twin: &'static str,
    /// The twin's number on the arch.
    pub nr: u32,
}

/// The twins of `name` (none when `name` is itself a twin or has none).
pub fn twins_of(name: &str) -> impl Iterator<Item = &'static Twin> + '_ {
    TWINS.iter().filter(move |t| t.name == name)
}

/// What a deny-list of `names` denies on `arch` beyond the names: every
/// twin of a listed name that `arch` has and that is not listed itself, in
/// list order, each once.
pub fn deny_twins<S: AsRef<str>>(names: &[S], arch: Arch) -> Vec<TwinDenial> {
    let listed = |n: &str| names.iter().any(|m| m.as_ref() == n);
    let mut out: Vec<TwinDenial> = Vec::new();
    for name in names {
        let name = name.as_ref();
        for t in twins_of(name) {
            let Some(nr) = SyscallTable::lookup(arch, t.twin) else {
                continue;
            };
            if listed(t.twin) || out.iter().any(|d| d.nr == nr) {
                continue;
            }
            out.push(TwinDenial {
                name: name.to_string(),
                twin: t.twin,
                nr,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_names_real_syscalls() {
        for t in TWINS {
            assert!(SyscallTable::known_anywhere(t.name), "{}", t.name);
            let on_32 = [Arch::X86, Arch::Arm]
                .into_iter()
                .any(|a| SyscallTable::lookup(a, t.twin).is_some());
            assert!(on_32, "{} is on no 32-bit arch", t.twin);
            assert_ne!(t.name, t.twin);
            assert!(twins_of(t.twin).next().is_none(), "{} is a twin", t.twin);
        }
    }

    #[test]
    fn i386_twins_of_the_issue() {
        let names = [
            "fcntl",
            "getuid",
            "mmap",
            "lseek",
            "setgroups",
            "stat",
            "wait4",
            "select",
        ];
        let twins: Vec<&str> = deny_twins(&names, Arch::X86)
            .iter()
            .map(|d| d.twin)
            .collect();
        for t in [
            "fcntl64",
            "getuid32",
            "mmap2",
            "_llseek",
            "setgroups32",
            "stat64",
            "oldstat",
            "waitpid",
            "_newselect",
        ] {
            assert!(twins.contains(&t), "{t} missing from {twins:?}");
        }
        assert!(deny_twins(&names, Arch::X86_64).is_empty());
        assert!(deny_twins(&["fcntl64"], Arch::X86).is_empty(), "one way");
        assert!(
            deny_twins(&["fcntl", "fcntl64"], Arch::X86).is_empty(),
            "listed"
        );
    }

    #[test]
    fn time64_twins_only_on_32_bit_arches() {
        let d = deny_twins(&["clock_gettime", "futex"], Arch::Arm);
        assert_eq!(d.len(), 2);
        for arch in [Arch::X86_64, Arch::Aarch64, Arch::Riscv64] {
            assert!(deny_twins(&["clock_gettime", "futex"], arch).is_empty());
        }
    }
}
