//! The kernel's seccomp action cache (Linux ≥ 5.11), predicted.
//!
//! When a filter is attached, `seccomp_cache_prepare_bitmap`
//! (kernel/seccomp.c) calls `seccomp_is_const_allow` for every syscall
//! number below the arch's `NR_syscalls`, native and compat. That function
//! emulates the **original** program (as the user passed it, before
//! `seccomp_check_filter` rewrote it) along the single path that
//! `seccomp_data { nr, arch }` takes, tracking only `A`. If the path ends in
//! exactly `ret #SECCOMP_RET_ALLOW`, the syscall is marked ALLOW in the
//! bitmap and later calls skip every filter. The walk understands only:
//!
//! | instruction          | emulation                                              |
//! | -------------------- | ------------------------------------------------------ |
//! | `ld [nr]`, `ld [arch]` | `A = nr`, `A = arch`                                 |
//! | `ld [k]`, other `k`  | not constant: **not cached**                           |
//! | `ja k`               | `pc += 1 + k`                                          |
//! | `jeq/jge/jgt/jset #k` | follow `jt` or `jf`                                   |
//! | `and #k`             | `A &= k`                                               |
//! | `ret #k`             | cached iff `k == 0x7fff0000` exactly (not `ALLOW` with data, not `LOG`) |
//! | anything else        | not cached (`ld #k`, `tax`, X-form jumps, other ALU, `ret a`, `M[]`…) |
//! | running off the end  | not cached (the kernel WARNs)                          |
//!
//! `A` starts at 0. The kernel only runs this on verified programs; on an
//! unverified one whose jump would leave the program, [`is_const_allow`]
//! answers false (where the kernel's `unsigned int pc` could wrap).
//!
//! # A kernel exception
//!
//! Recent kernels (with the uprobe syscalls; see `seccomp_uprobe_exception`)
//! make `seccomp_is_const_allow` answer true for `uretprobe` (and later
//! `uprobe`) on the native arch *before* looking at the filter, so those
//! numbers are always cached as ALLOW. That is a property of the running
//! kernel, not of the program: [`is_const_allow`] and [`cached_syscalls`]
//! describe the program alone, and [`kernel_passthrough`] names the
//! exception's numbers for callers that predict a specific kernel's bitmap.

use crate::insn::{decode, AluOp, Decoded, RetSrc, Size, Src};
use crate::program::Program;
use crate::seccomp::{offset, ret, Arch};

/// Mirrors `seccomp_is_const_allow` (kernel/seccomp.c) for one `(arch, nr)`:
/// true when the kernel's emulation proves the program returns exactly
/// `SECCOMP_RET_ALLOW`, so the action cache allows the syscall without
/// running the filter. See the module doc for the supported subset.
pub fn is_const_allow(prog: &Program, arch_audit: u32, nr: u32) -> bool {
    let insns = &prog.insns;
    let len = insns.len() as u64;
    let mut a: u32 = 0;
    let mut pc: u64 = 0;
    while pc < len {
        let insn = insns[pc as usize];
        let k = insn.k;
        match decode(&insn) {
            Ok(Decoded::LdAbs(Size::W)) => match k {
                offset::NR => a = nr,
                offset::ARCH => a = arch_audit,
                _ => return false,
            },
            Ok(Decoded::Ret(RetSrc::K)) => return k == ret::ALLOW,
            Ok(Decoded::Ja) => pc += u64::from(k),
            Ok(Decoded::Jmp(cond, Src::K)) => {
                pc += u64::from(if cond.holds(a, k) { insn.jt } else { insn.jf });
            }
            Ok(Decoded::Alu(AluOp::And, Src::K)) => a &= k,
            _ => return false,
        }
        pc += 1;
    }
    false
}

/// The numbers in `0..nr_count` for which [`is_const_allow`] holds: the bits
/// `seccomp_cache_prepare_bitmap` leaves set for this program when it is
/// the first filter (with earlier filters, the kernel ANDs their bitmaps).
pub fn cached_syscalls(prog: &Program, arch_audit: u32, nr_count: u32) -> Vec<u32> {
    (0..nr_count)
        .filter(|&nr| is_const_allow(prog, arch_audit, nr))
        .collect()
}

/// True for the syscalls that kernels with the uprobe exception cache as
/// ALLOW whatever the filter says: on x86_64, `uretprobe` (335) and
/// `uprobe` (336), native arch only. Whether the running kernel has the
/// exception (and the syscalls) depends on its version.
pub fn kernel_passthrough(arch_audit: u32, nr: u32) -> bool {
    arch_audit == Arch::X86_64.audit() && (nr == 335 || nr == 336)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{AluOp, Insn, JmpCond};
    use crate::seccomp::X32_SYSCALL_BIT;

    const X86_64: u32 = crate::seccomp::Arch::X86_64.audit();
    const ALLOW: Insn = Insn::ret_k(ret::ALLOW);

    /// arch check, x32 check, allow {0, 1, 60}, errno for 2, kill otherwise.
    fn dispatch() -> Program {
        Program::new(vec![
            Insn::ld_abs(4),                                  // 0
            Insn::jmp_k(JmpCond::Eq, X86_64, 1, 0),           // 1
            Insn::ret_k(ret::KILL_PROCESS),                   // 2
            Insn::ld_abs(0),                                  // 3
            Insn::jmp_k(JmpCond::Ge, X32_SYSCALL_BIT, 5, 0),  // 4 -> 10
            Insn::jmp_k(JmpCond::Gt, 1, 1, 0),                // 5
            Insn::ja(3),                                      // 6 -> 10... allow
            Insn::jmp_k(JmpCond::Eq, 60, 2, 0),               // 7 -> 10
            Insn::jmp_k(JmpCond::Eq, 2, 0, 3),                // 8 -> 9 or 12
            Insn::ret_k(ret::ERRNO | 1),                      // 9
            Insn::jmp_k(JmpCond::Set, X32_SYSCALL_BIT, 1, 0), // 10
            ALLOW,                                            // 11
            Insn::ret_k(ret::KILL_PROCESS),                   // 12
        ])
    }

    #[test]
    fn follows_the_dispatch_path() {
        let p = dispatch();
        assert_eq!(cached_syscalls(&p, X86_64, 100), vec![0, 1, 60]);
        // Another arch takes the KILL branch.
        assert!(cached_syscalls(&p, 0x4000_0003, 100).is_empty());
        // x32 numbers: jge then jset -> kill.
        assert!(!is_const_allow(&p, X86_64, X32_SYSCALL_BIT));
    }

    #[test]
    fn only_exact_allow_is_cached() {
        for (k, cached) in [
            (ret::ALLOW, true),
            (ret::ALLOW | 1, false),
            (ret::LOG, false),
            (ret::ERRNO, false),
            (ret::KILL_THREAD, false),
        ] {
            assert_eq!(
                is_const_allow(&Program::new(vec![Insn::ret_k(k)]), X86_64, 0),
                cached
            );
        }
    }

    #[test]
    fn unsupported_instructions_stop_the_walk() {
        let stops = [
            Insn::ld_abs(16),
            Insn::ld_abs(8),
            Insn::ld_imm(0),
            Insn::ld_len(),
            Insn::tax(),
            Insn::txa(),
            Insn::alu_k(AluOp::Or, 0),
            Insn::alu_x(AluOp::And),
            Insn::jmp_x(JmpCond::Eq, 0, 0),
            Insn::st(0),
            Insn::neg(),
        ];
        for insn in stops {
            let p = Program::new(vec![insn, ALLOW]);
            assert!(!is_const_allow(&p, X86_64, 0), "{insn}");
        }
        assert!(!is_const_allow(
            &Program::new(vec![Insn::ret_a()]),
            X86_64,
            0
        ));
        // and #k is followed.
        let p = Program::new(vec![
            Insn::ld_abs(0),
            Insn::alu_k(AluOp::And, 0xff),
            Insn::jmp_k(JmpCond::Eq, 1, 0, 1),
            ALLOW,
            Insn::ret_k(0),
        ]);
        assert_eq!(cached_syscalls(&p, X86_64, 300), vec![1, 257]);
    }

    #[test]
    fn a_path_off_the_end_or_out_of_range_is_not_cached() {
        assert!(!is_const_allow(
            &Program::new(vec![Insn::ld_abs(0)]),
            X86_64,
            0
        ));
        assert!(!is_const_allow(
            &Program::new(vec![Insn::ja(u32::MAX), ALLOW]),
            X86_64,
            0
        ));
        assert!(!is_const_allow(&Program::default(), X86_64, 0));
        let p = Program::new(vec![
            Insn::ld_abs(0),
            Insn::jmp_k(JmpCond::Eq, 0, 200, 0),
            ALLOW,
        ]);
        assert!(!is_const_allow(&p, X86_64, 0));
        assert!(is_const_allow(&p, X86_64, 1));
        // An unreachable unsupported instruction does not matter.
        let p = Program::new(vec![Insn::ja(1), Insn::txa(), ALLOW]);
        assert!(is_const_allow(&p, X86_64, 7));
    }

    #[test]
    fn passthrough_is_x86_64_native_only() {
        assert!(kernel_passthrough(X86_64, 335));
        assert!(!kernel_passthrough(0x4000_0003, 335));
        assert!(!kernel_passthrough(X86_64, 334));
    }
}
