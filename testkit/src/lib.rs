//! Test code that more than one of go-jail's test harnesses needs, as an
//! ordinary crate (a dev-dependency of the root package, a dependency of
//! the fuzz crate) rather than files compiled in twice by `#[path]`:
//!
//! - [`fuzz_checks`]: the properties the fuzz targets check, on concrete
//!   inputs; `tests/fuzz_regressions.rs` replays the corpus through them;
//! - [`rule_file`]: the libseccomp rule file written by the differential
//!   test (`tests/libseccomp_diff.rs`) and the benchmarks.
//!
//! It depends only on `bpf_asm` and `policy`; checks that run the CLI's
//! own modules stay in the fuzz crate (`fuzz/src/cli_checks.rs`, through
//! the `go_jail` library).

pub mod fuzz_checks;
pub mod rule_file;
