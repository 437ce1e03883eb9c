//! Classic BPF as seccomp sees it, with no dependencies.
//!
//! - [`insn`]: the instruction model (`struct sock_filter`) and typed constructors;
//! - [`program`]: a program and its raw 8-byte-per-instruction file format;
//! - [`builder`]: label-based emission with long-jump relaxation;
//! - [`seccomp`]: `struct seccomp_data`, return actions, audit arches.

pub mod builder;
pub mod insn;
pub mod program;
pub mod seccomp;

pub use builder::{BuildError, Builder, Label};
pub use insn::{AluOp, Insn, JmpCond, MAX_INSNS};
pub use program::{Program, RawError};
pub use seccomp::{Arch, SeccompData, Verdict};
