//! Writing results to a file or stdout, and how a verdict is written.

use std::io::Write;
use std::path::Path;

use bpf_asm::Verdict;

use crate::fail::Failure;

/// Writes `bytes` to `path`, or to stdout when there is none.
pub fn write_bytes(path: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path {
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| Failure::input(format!("{}: {}", p.display(), crate::fail::io_error(&e)))),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .map_err(|e| Failure::input(format!("stdout: {}", crate::fail::io_error(&e))))
        }
    }
}

/// `ERRNO(1) (EPERM)`, `ALLOW`, `KILL_PROCESS`…
pub fn verdict(v: Verdict) -> String {
    match v {
        Verdict::Errno(n) => match crate::errno::name(n) {
            Some(name) => format!("ERRNO({n}) ({name})"),
            None => format!("ERRNO({n})"),
        },
        Verdict::Trap(n) => format!("TRAP({n})"),
        Verdict::Trace(n) => format!("TRACE({n})"),
        Verdict::Unknown(raw) => format!("unknown action {raw:#010x} (acts as KILL_PROCESS)"),
        other => other.name().to_owned(),
    }
}
