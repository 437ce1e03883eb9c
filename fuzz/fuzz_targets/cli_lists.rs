//! The command line's list syntaxes: syscall lists with groups and
//! removals (`policy::groups::expand`), `-caps`, `--arch`, `--errno`
//! (the CLI's own modules, from the `go_jail` library): see `checks::cli_lists`.
#![no_main]

use arbitrary::Unstructured;
use go_jail_fuzz::{cli_checks, gen};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(case) = gen::list_case(&mut u) {
        cli_checks::cli_lists(&case);
    }
});
