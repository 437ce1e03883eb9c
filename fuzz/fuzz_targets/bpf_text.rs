//! Arbitrary text through the assembler, and back through the
//! disassembler: see `checks::bpf_text`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        go_jail_fuzz::checks::bpf_text(text);
    }
});
