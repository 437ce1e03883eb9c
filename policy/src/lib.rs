//! Seccomp policies and their optimizing lowering to classic BPF.
//!
//! - [`action`]: `SECCOMP_RET_*` actions;
//! - [`table`]: syscall names and numbers per architecture;
//! - [`spec`]: what the user writes ([`PolicySpec`]), warnings and errors;
//! - [`resolve`](mod@resolve): names → numbers, a total [`Policy`] per arch;
//! - [`resolved`]: the resolved policy ([`Policy`]) and its reference evaluator;
//! - [`twins`]: syscalls a deny-list denies with their ABI twins;
//! - [`width`]: how many bits of each syscall argument the kernel reads;
//! - [`matcher`]: argument conditions lowered to shared decision DAGs;
//! - [`weights`]: syscall weights, how often each syscall is made (one shipped for x86_64);
//! - [`runs`]: maximal runs of equal leaves, with optimizer weights;
//! - [`tree`]: the depth-limited optimal dispatch tree (interval DP);
//! - [`lowered`]: the lowered policy ([`LoweredPolicy`], [`Policy::lower`]):
//!   leaves, runs and dispatch trees;
//! - [`emit`]: the program ([`LoweredPolicy::emit`], [`compile`]);
//! - [`stats`](mod@stats): executed-instruction figures of a compiled program;
//! - [`guards`]: rules go-jail adds, enforced even under a supervisor;
//! - [`lint`]: warnings about policies that probably do not do what their
//!   author meant (a deny-list that leaves a twin open, …).

#![deny(missing_docs)]

pub mod action;
pub mod bits;
pub mod condition;
pub mod emit;
pub mod groups;
pub mod guards;
pub mod lint;
pub mod lowered;
pub mod matcher;
pub mod notify;
pub mod profile;
pub mod resolve;
pub mod resolved;
pub mod runs;
pub mod spec;
pub mod stats;
pub mod table;
pub mod tree;
pub mod twins;
pub mod weights;
pub mod width;

pub use action::{Action, ENOSYS, EPERM};
pub use condition::{ArgIndex, ArgIndexError, CmpOp, Condition, Threshold, Width};
pub use emit::{compile, CompileError};
pub use groups::GroupError;
pub use guards::{
    add_guards, listener_guard_rules, network_guard_rules, parent_guard_rules, userns_guard_rules,
};
pub use lowered::{CompileOptions, LoweredArch, LoweredPolicy};
pub use matcher::{MatcherId, Matchers};
pub use notify::{notify_calls, notify_denials, LANDLOCK_CALLS};
pub use profile::{Profile, SeccompProfileError};
pub use resolve::{default_denies, resolve};
pub use resolved::{ArchPolicy, Policy};
pub use runs::{Leaf, Run, Weighting};
pub use spec::{tty_guard_rules, Mode, PolicyError, PolicySpec, Rule, Warning};
pub use stats::{stats, ArchStats, Stats};
pub use table::SyscallTable;
pub use tree::Tree;
pub use twins::{Twin, TwinDenial};
pub use weights::{SyscallWeights, WeightsError};
