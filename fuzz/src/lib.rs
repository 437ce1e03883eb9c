//! Shared code of go-jail's fuzz targets.
//!
//! - [`checks`]: the properties each target checks, on concrete inputs
//!   (also compiled into `tests/fuzz_regressions.rs`);
//! - [`cli_checks`]: the checks that run the CLI's own modules;
//! - [`gen`]: `arbitrary` decoders from libFuzzer's bytes to those inputs.
//!
//! The CLI is a binary crate, so its modules cannot be imported. The ones
//! the targets need are self-contained (they use only std, serde,
//! serde_json, `bpf_asm`, `policy` and each other) and are compiled in
//! here from `../src` by `#[path]`: the fuzzers run the CLI's own code,
//! not a copy. `policy_args::split_list` is not among them (its module
//! pulls in clap's argument structs and the OCI reader); `cli_lists`
//! starts from the items that function produces instead.

pub mod checks;
pub mod cli_checks;
pub mod gen;

#[allow(dead_code)]
#[path = "../../src/caps.rs"]
pub mod caps;
#[allow(dead_code)]
#[path = "../../src/errno.rs"]
pub mod errno;
#[allow(dead_code)]
#[path = "../../src/fail.rs"]
pub mod fail;
#[allow(dead_code)]
#[path = "../../src/names.rs"]
pub mod names;
#[allow(dead_code)]
#[path = "../../src/profile_json.rs"]
pub mod profile_json;
