//! go-jail's command line as a library (crate `go_jail`): argument parsing,
//! the subcommands, and the CLI-side readers (Docker/OCI profile JSON,
//! errno and capability names). `src/main.rs` only dispatches; the fuzz
//! targets, the integration tests and the benchmarks import these modules
//! instead of compiling the files in a second time.
//!
//! Only this crate parses arguments or prints.

pub mod access;
pub mod arches;
pub mod args;
pub mod caps;
pub mod cmd_bpf;
pub mod cmd_compile;
pub mod cmd_explain;
pub mod cmd_groups;
pub mod cmd_learn;
pub mod cmd_run;
pub mod disasm;
pub mod errno;
pub mod fail;
pub mod identity;
pub mod landlock;
pub mod learned;
pub mod oci;
pub mod output;
pub mod policy_input;
pub mod profile_json;
pub mod pty_parent;
pub mod report;
pub mod run_config;
pub mod supervise;
pub mod syscall_names;
