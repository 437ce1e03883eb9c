//! Arbitrary bytes as a raw classic-BPF program (after a 2-byte instruction
//! count) and `seccomp_data` blocks: see `checks::bpf_raw`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| go_jail_fuzz::checks::bpf_raw(data));
