//! What the Landlock rules decide, as the supervisor predicts it
//! (`--report-denied`, `--complain`: [`Checker`]), the option that grants
//! an access ([`needed_option`]), and what the `--fs-system` preset covers
//! (`learn`: [`system_grants`]). Path-beneath semantics as in
//! `Documentation/userspace-api/landlock.rst`: a rule grants its rights on
//! its inode and everything beneath it.

use std::path::PathBuf;

use runner::landlock::{fs, net};

use super::{preset, Rules};
use crate::access::Access;

/// The rules with their paths resolved as the kernel holds them (rules
/// are on inodes, opened following symbolic links): what the supervisor
/// predicts Landlock's decisions with (`--report-denied`, `--complain`).
#[derive(Debug)]
pub struct Checker {
    handled_fs: u64,
    handled_net: u64,
    grants: Vec<(PathBuf, u64)>,
    ports: Vec<(u16, u64)>,
}

impl Checker {
    pub fn new(rules: &Rules) -> Checker {
        Checker {
            handled_fs: rules.attr.handled_access_fs,
            handled_net: rules.attr.handled_access_net,
            grants: (rules.grants.iter())
                .filter_map(|g| Some((std::fs::canonicalize(&g.path).ok()?, g.access)))
                .collect(),
            ports: rules.ports.clone(),
        }
    }

    /// The syscalls whose decisions matter for these rules
    /// (`policy::LANDLOCK_CALLS`, or only `bind`/`connect` when only TCP
    /// ports are handled); none when the domain handles no file right but
    /// `REFER` (the default domain) and no port.
    pub fn calls(&self) -> Vec<&'static str> {
        let files = self.handled_fs & !fs::REFER != 0;
        let ports = self.handled_net != 0;
        (policy::LANDLOCK_CALLS.iter().copied())
            .filter(|&c| files || (ports && (c == "bind" || c == "connect")))
            .collect()
    }

    /// Whether the rules let `access` through: a right the domain does not
    /// handle, or one a rule grants beneath an ancestor of the path (the
    /// path itself included), or on the port.
    pub fn allows(&self, access: &Access) -> bool {
        match access {
            Access::File { right, path } => {
                right & self.handled_fs == 0
                    || (self.grants.iter()).any(|(p, a)| a & right != 0 && path.starts_with(p))
            }
            Access::Port { right, port } => {
                right & self.handled_net == 0
                    || (self.ports.iter()).any(|(p, a)| p == port && a & right != 0)
            }
        }
    }
}

/// The option that grants `access`: `--fs-ro=PATH`, `--fs-rx=PATH`,
/// `--fs-rw=PATH`, `--net-connect=PORT`, `--net-bind=PORT`.
pub fn needed_option(access: &Access) -> String {
    match access {
        Access::File { right, path } => {
            let flag = if right & (fs::READ_FILE | fs::READ_DIR) != 0 {
                "--fs-ro"
            } else if right & fs::EXECUTE != 0 {
                "--fs-rx"
            } else {
                "--fs-rw"
            };
            format!("{flag}={}", path.display())
        }
        Access::Port { right, port } if right & net::BIND_TCP != 0 => {
            format!("--net-bind={port}")
        }
        Access::Port { port, .. } => format!("--net-connect={port}"),
    }
}

/// The `--fs-system` preset's paths that exist here, resolved, with the
/// rights each grants (for `learn` to tell what the preset covers).
pub fn system_grants() -> Vec<(PathBuf, u64)> {
    (preset(&mut Vec::new()).into_iter())
        .filter_map(|g| {
            let real = std::fs::canonicalize(&g.path).ok()?;
            let rights = g.mode.access() & if real.is_dir() { u64::MAX } else { fs::FILE };
            Some((real, rights))
        })
        .collect()
}
