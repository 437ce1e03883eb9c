//! The calling process: its ids, the child-subreaper bit, signal
//! dispositions and sending a signal, and how a child ended.

pub use crate::sys::credentials::{getegid, geteuid, getgid, getuid};
pub use crate::sys::prctl::set_child_subreaper;
pub use crate::sys::process::{getpid, gettid, ExitKind};
pub use crate::sys::signals::{kill, signal_default};
