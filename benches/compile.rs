//! Compile time of the reference policies: `cargo bench --bench compile`.
//!
//! Each iteration resolves the names and lowers the policy to classic BPF,
//! as `go-jail compile` does.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

#[allow(dead_code)]
mod common;

fn compile(c: &mut Criterion) {
    let (policies, notes) = common::reference_policies();
    for note in notes {
        eprintln!("compile bench: {note}");
    }
    let mut group = c.benchmark_group("compile");
    for p in &policies {
        let spec = p.spec();
        if let Err(e) = common::gojail_compile(&spec) {
            eprintln!("compile bench: {}: {e}; skipped", p.id);
            continue;
        }
        group.bench_function(p.id, |b| {
            b.iter(|| common::gojail_compile(black_box(&spec)))
        });
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
