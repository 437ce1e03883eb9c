//! Figures of a compiled program, measured by running it in
//! `bpf_asm::interp` (no action cache unless said otherwise).

use bpf_asm::cache::cached_syscalls;
use bpf_asm::interp::{run, RunError};
use bpf_asm::{Arch, Program, SeccompData};

use crate::lowered::ArchLeaves;
use crate::matcher::Matchers;
use crate::resolved::{ArchPolicy, Policy, NR_SKIP, X32_START};
use crate::runs::{runs, Run, Weighting};
use crate::table::SyscallTable;
use crate::weights::SyscallWeights;

/// Figures for one target arch.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchStats {
    /// The target arch measured.
    pub arch: Arch,
    /// Maximal runs of equal action over the number space.
    pub runs: usize,
    /// Most instructions executed for any number of this arch.
    pub worst_executed: usize,
    /// Mean over the arch's table syscalls, each counted once.
    pub mean_executed: f64,
    /// Mean over the profile's calls (count × executed / Σ count), with no
    /// action cache — the figure libseccomp comparisons use.
    pub weighted_executed: f64,
    /// The same with cached syscalls costing 0 — what Linux ≥ 5.11 runs.
    pub weighted_cached: f64,
    /// Numbers below the table end that the kernel's action cache serves
    /// (`bpf_asm::cache`, a copy of `seccomp_is_const_allow`).
    pub cached: Vec<u32>,
}

/// Figures for a whole program.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// The program's length in instructions (the kernel takes at most
    /// `BPF_MAXINSNS`, 4096).
    pub insns: usize,
    /// Per target arch, in program order.
    pub arches: Vec<ArchStats>,
}

impl Stats {
    /// The figures of the first (native) arch.
    pub fn native(&self) -> &ArchStats {
        &self.arches[0]
    }
}

/// Numbers where a nr-only program can change behaviour: every run
/// boundary ±1, fixed landmarks at the edges of the number line's regions
/// (docs/dispatch-tree.md, "Testing the lowering"), and
/// every number below the table end (where the dispatch may test bits,
/// [`crate::bits`]). Exhaustive for programs whose bit tests sit below the
/// table end, as go-jail's do.
pub fn interesting_numbers(p: &ArchPolicy) -> Vec<u32> {
    numbers_around(p, &leaf_runs(p))
}

/// The runs of `p`'s leaves, unweighted. Leaves are compared within one
/// arch only, so the arch's own matcher arena gives the same runs as the
/// policy's shared one.
fn leaf_runs(p: &ArchPolicy) -> Vec<Run> {
    let leaves = ArchLeaves::new(p, &mut Matchers::new());
    runs(&leaves, &SyscallWeights::empty(), Weighting::Frequency)
}

/// [`interesting_numbers`] for `p` with its `runs` already computed.
fn numbers_around(p: &ArchPolicy, runs: &[Run]) -> Vec<u32> {
    let mut out = vec![
        0,
        1,
        0x3fff_ffff,
        X32_START,
        X32_START + 1,
        0x7fff_ffff,
        0x8000_0000,
        NR_SKIP - 1,
        NR_SKIP,
        p.table_end - 1,
        p.table_end,
    ];
    if let Some((lo, hi)) = p.private {
        out.extend([lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)]);
    }
    out.extend(0..p.table_end);
    for r in runs {
        out.extend([r.lo.wrapping_sub(1), r.lo, r.hi, r.hi.wrapping_add(1)]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Measures `prog`, the compiled form of `policy`, under `profile`.
pub fn stats(prog: &Program, policy: &Policy, profile: &SyscallWeights) -> Result<Stats, RunError> {
    let arches = (policy.arches.iter())
        .map(|p| arch_stats(prog, p, profile))
        .collect::<Result<_, _>>()?;
    Ok(Stats {
        insns: prog.len(),
        arches,
    })
}

/// The figures of one arch's part of `prog`.
fn arch_stats(
    prog: &Program,
    p: &ArchPolicy,
    profile: &SyscallWeights,
) -> Result<ArchStats, RunError> {
    let exec = |nr: u32| -> Result<usize, RunError> {
        let data = SeccompData {
            nr,
            arch: p.arch.audit(),
            ..SeccompData::default()
        };
        Ok(run(prog, &data)?.executed)
    };
    let runs = leaf_runs(p);
    // Every table number is among the interesting ones: run each once.
    let mut table = vec![0; p.table_end as usize];
    let mut worst = 0;
    for nr in numbers_around(p, &runs) {
        let x = exec(nr)?;
        if let Some(slot) = table.get_mut(nr as usize) {
            *slot = x;
        }
        worst = worst.max(x);
    }
    let cached = cached_syscalls(prog, p.arch.audit(), p.table_end);
    let (mut sum, mut n) = (0usize, 0usize);
    let (mut wsum, mut wcached, mut wtotal) = (0u128, 0u128, 0u128);
    for (nr, _) in SyscallTable::entries(p.arch) {
        let x = match table.get(nr as usize) {
            Some(&x) => x,
            None => exec(nr)?,
        };
        sum += x;
        n += 1;
        if let Some(c) = profile.count(p.arch, nr) {
            wsum += u128::from(c) * x as u128;
            if cached.binary_search(&nr).is_err() {
                wcached += u128::from(c) * x as u128;
            }
            wtotal += u128::from(c);
        }
    }
    let per = |s: u128| {
        if wtotal == 0 {
            0.0
        } else {
            s as f64 / wtotal as f64
        }
    };
    Ok(ArchStats {
        arch: p.arch,
        runs: runs.len(),
        worst_executed: worst,
        mean_executed: sum as f64 / n.max(1) as f64,
        weighted_executed: per(wsum),
        weighted_cached: per(wcached),
        cached,
    })
}
