//! The CLI's Docker/OCI profile parser (`go_jail::profile_json`, the one
//! reader) and the translation to a policy: see `checks::profile_json`.
//!
//! An input starting with a NUL byte is structured: the rest decodes to a
//! profile as a JSON value (and a context), which is serialized and
//! parsed. Any other input is the profile text itself.
#![no_main]

use arbitrary::Unstructured;
use go_jail_fuzz::{checks, cli_checks, gen};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0, rest)) => {
            let mut u = Unstructured::new(rest);
            let Ok(value) = gen::profile(&mut u) else {
                return;
            };
            let Ok(ctx) = gen::context(&mut u) else {
                return;
            };
            let text = value.to_string();
            cli_checks::profile_json(&text, &[checks::profile_contexts()[0], ctx]);
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(data) {
                cli_checks::profile_json(text, &checks::profile_contexts());
            }
        }
    }
});
