//! Structured policy specs → resolve → compile → verify, and the program
//! against the reference evaluator: see `checks::policy_compile`.
#![no_main]

use arbitrary::Unstructured;
use go_jail_fuzz::{checks, gen};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(spec) = gen::spec(&mut u) else { return };
    let Ok(opts) = gen::options(&mut u) else {
        return;
    };
    let probes = gen::probes(&mut u, &spec).unwrap_or_default();
    checks::policy_compile(&spec, &opts, &probes);
});
