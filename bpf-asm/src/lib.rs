//! Classic BPF as seccomp sees it, with no dependencies.
//!
//! - [`insn`]: the instruction model (`struct sock_filter`), typed constructors and
//!   the one opcode decoder ([`insn::decode`]);
//! - [`program`]: a program and its raw 8-byte-per-instruction file format;
//! - [`builder`]: label-based emission with long-jump relaxation;
//! - [`seccomp`]: `struct seccomp_data`, return actions, audit arches;
//! - [`interp`]: runs a program as the kernel runs a loaded seccomp filter;
//! - [`text`]: disassembler and assembler, byte-exact round trip;
//! - [`verify`](mod@verify): the kernel's load-time checks, every error reported;
//! - [`cache`]: which syscalls the kernel's action cache allows without running the filter;
//! - [`explain`](mod@explain): what a program returns per syscall number, by a symbolic walk;
//! - `testgen` (hidden): seeded random programs for tests in any crate.

#![deny(missing_docs)]

pub mod builder;
pub mod cache;
pub mod explain;
pub mod insn;
pub mod interp;
pub mod program;
pub mod seccomp;
#[doc(hidden)]
pub mod testgen;
pub mod text;
pub mod verify;

pub use builder::{BuildError, Builder, Label};
pub use cache::{cached_syscalls, is_const_allow};
pub use insn::{AluOp, Insn, JmpCond, MAX_INSNS};
pub use interp::{run, Outcome, RunError};
pub use program::{Program, RawError};
pub use seccomp::{Arch, SeccompData, Seen, Verdict};
pub use text::{assemble, assemble_with, disassemble, AsmError, DisasmOptions};
pub use verify::{verify, Diagnostic, DiagnosticKind, Report};
