//! Shared code of go-jail's fuzz targets.
//!
//! - [`checks`]: the properties each target checks, on concrete inputs
//!   (`testkit::fuzz_checks`, which `tests/fuzz_regressions.rs` also uses);
//! - [`cli_checks`]: the checks that run the CLI's own modules, imported
//!   from the `go_jail` library crate (the fuzzers run the CLI's own code,
//!   not a copy);
//! - [`gen`]: `arbitrary` decoders from libFuzzer's bytes to those inputs.

pub use testkit::fuzz_checks as checks;

pub mod cli_checks;
pub mod gen;
