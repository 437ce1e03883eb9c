//! Timing split of the Docker allow-list compile: resolve / lower (runs and
//! tree) / tree / emit (median of many iterations). A measurement that asserts nothing,
//! so it is ignored by default:
//! `cargo test -p policy --release --test tree_timing -- --ignored --nocapture`
//! (add `--features exhaustive` to time the exhaustive reference solver too).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bpf_asm::Arch;
use policy::tree::{ceil_log2, optimal};
use policy::{compile, resolve, CompileOptions, PolicySpec};

mod common;

use common::docker_names;

/// Median wall time of `f` over `n` runs (after a warm-up).
fn median<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..n / 10 + 1 {
        black_box(f());
    }
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    v.sort();
    v[n / 2]
}

#[test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
fn docker_timing_split() {
    let names = docker_names();
    let spec = PolicySpec {
        arches: vec![Arch::X86_64],
        ..PolicySpec::allow(&names)
    };
    let opts = CompileOptions::default();
    let (policy, _) = resolve(&spec).unwrap();
    let rs = policy.lower(&opts).arches()[0].runs().to_vec();
    let depth = ceil_log2(rs.len()) + opts.max_depth_slack;
    let n = 2000;
    let t_resolve = median(n, || resolve(&spec).unwrap());
    let t_lower = median(n, || policy.lower(&opts));
    let t_tree = median(n, || optimal(&rs, depth, opts.size_penalty));
    #[cfg(feature = "exhaustive")]
    let t_exh = {
        let t = median(n / 10, || {
            policy::tree::exhaustive(&rs, depth, opts.size_penalty)
        });
        format!("{t:?}")
    };
    #[cfg(not(feature = "exhaustive"))]
    let t_exh = "not built: --features exhaustive";
    let t_compile = median(n, || compile(&policy, &opts).unwrap());
    let t_total = median(n, || compile(&resolve(&spec).unwrap().0, &opts).unwrap());
    println!(
        "docker x86_64 ({} runs, depth cap {depth}): resolve {t_resolve:?}, \
         lower {t_lower:?} (of which tree {t_tree:?}; exhaustive {t_exh}), emit ≈ {:?}; \
         compile {t_compile:?}; resolve + compile {t_total:?}",
        rs.len(),
        t_compile.saturating_sub(t_lower),
    );
}
