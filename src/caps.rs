//! Capability names (include/uapi/linux/capability.h) and the `-caps` list syntax.

use std::fmt;

/// Every capability the uapi header defines, indexed by number
/// (include/uapi/linux/capability.h; one table with the profile reader's).
pub use policy::profile::CAP_NAMES as NAMES;

/// Why a capability list is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapError {
    Unknown(String),
    EmptyItem { position: usize },
}

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapError::Unknown(name) => write!(
                f,
                "unknown capability '{name}' (go-jail --help lists the valid names)"
            ),
            CapError::EmptyItem { position } => {
                write!(
                    f,
                    "empty capability name at position {position} in the list"
                )
            }
        }
    }
}

/// The number of a capability: `CAP_CHOWN`, `cap_chown`, `chown` all give 0.
pub fn number(name: &str) -> Option<u32> {
    let upper = name.trim().to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    NAMES.iter().position(|n| *n == full).map(|i| i as u32)
}

/// Parses a comma-separated list into a bit mask. The empty string is the empty set.
pub fn parse_list(list: &str) -> Result<u64, CapError> {
    if list.trim().is_empty() {
        return Ok(0);
    }
    let mut mask = 0u64;
    for (i, item) in list.split(',').enumerate() {
        if item.trim().is_empty() {
            return Err(CapError::EmptyItem { position: i + 1 });
        }
        let n = number(item).ok_or_else(|| CapError::Unknown(item.trim().to_owned()))?;
        mask |= 1 << n;
    }
    Ok(mask)
}

/// The names of the capabilities in `mask`, comma-separated.
pub fn names(mask: u64) -> String {
    (0..64)
        .filter(|b| mask & (1 << b) != 0)
        .map(|b| {
            NAMES
                .get(b)
                .map_or_else(|| format!("cap_{b}"), |n| n.to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Capabilities that give a jailed command root's power back, each with
/// how (capabilities(7); the kernel checks cited). A uid 0 target holds
/// its kept caps effective; a non-root one only its ambient caps (bounding
/// caps alone do nothing under no_new_privs, which voids file caps).
///
/// Left out, with the reason: `CAP_SETPCAP` (adds to the inheritable set
/// only what is already permitted), `CAP_BPF` (alone loads only
/// unprivileged-equivalent program types; reading kernel memory also needs
/// `CAP_PERFMON`), `CAP_SYS_CHROOT` (the chroot-plus-setuid-binary trick
/// is void under no_new_privs), `CAP_KILL`, `CAP_NET_ADMIN`,
/// `CAP_SYS_RESOURCE` and the others (disruptive, but no path to uid 0).
pub const ROOT_EQUIVALENT: &[(u32, &str)] = &[
    (
        0,
        "chown(2) /etc/passwd or /etc/shadow to itself, then edit them",
    ),
    (1, "write any file, such as /etc/passwd or root's crontab"),
    (
        2,
        "read any file (/etc/shadow, keys) and open_by_handle_at(2) outside its mounts",
    ),
    (
        3,
        "chmod(2) any file, such as /etc/shadow, writable for itself",
    ),
    (6, "setgid(0)/setgroups(2) to root's group"),
    (7, "setuid(0)"),
    (16, "load a kernel module"),
    (
        17,
        "raw I/O ports and /dev/mem access (iopl(2)): kernel memory",
    ),
    (19, "ptrace(2) or write /proc/PID/mem of a root process"),
    (21, "mount(2) over /etc, setns(2) and many other root paths"),
    (22, "kexec_load(2) a kernel of its choosing"),
    (27, "mknod(2) a device node for a disk, then write it raw"),
    (
        31,
        "set file capabilities (cap_setuid) on a binary that runs outside the jail",
    ),
];

/// One warning line per root-equivalent capability in `mask`, naming the
/// set it is in (`effective` for a uid 0 target, `ambient` otherwise).
pub fn root_equivalent_warnings(mask: u64, set: &str) -> Vec<String> {
    ROOT_EQUIVALENT
        .iter()
        .filter(|&&(cap, _)| mask & (1 << cap) != 0)
        .map(|&(cap, how)| {
            format!(
                "{} ({set}) gives the command root's power back: {how} (-q silences this)",
                NAMES[cap as usize]
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_examples_give_the_original_masks() {
        assert_eq!(parse_list(""), Ok(0));
        assert_eq!(parse_list("CAP_CHOWN"), Ok(0x1));
        assert_eq!(parse_list("CAP_CHOWN,CAP_KILL,CAP_DAC_OVERRIDE"), Ok(0x23));
        assert_eq!(parse_list("CAP_CHECKPOINT_RESTORE"), Ok(1 << 40));
    }

    #[test]
    fn names_are_case_insensitive_and_the_prefix_is_optional() {
        assert_eq!(parse_list("cap_chown"), Ok(1));
        assert_eq!(parse_list("chown, Kill"), Ok(0x21));
    }

    #[test]
    fn help_lists_every_capability() {
        use clap::CommandFactory;
        let help = crate::args::RunArgs::command()
            .render_long_help()
            .to_string();
        for name in NAMES {
            assert!(
                help.split_whitespace().any(|w| w == name),
                "{name} missing from --help"
            );
        }
    }

    #[test]
    fn unknown_and_empty_items_are_errors_that_quote_the_value() {
        let err = parse_list("CAP_FOO").unwrap_err().to_string();
        assert!(err.starts_with("unknown capability 'CAP_FOO'"), "{err}");
        assert_eq!(parse_list(","), Err(CapError::EmptyItem { position: 1 }));
    }

    #[test]
    fn the_root_equivalent_table_names_real_capabilities() {
        let expected = [
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER",
            "CAP_SETGID",
            "CAP_SETUID",
            "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO",
            "CAP_SYS_PTRACE",
            "CAP_SYS_ADMIN",
            "CAP_SYS_BOOT",
            "CAP_MKNOD",
            "CAP_SETFCAP",
        ];
        let named: Vec<&str> = ROOT_EQUIVALENT
            .iter()
            .map(|&(c, _)| NAMES[c as usize])
            .collect();
        assert_eq!(named, expected);
        let w = root_equivalent_warnings(parse_list("setuid,kill").unwrap(), "ambient");
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("CAP_SETUID (ambient)"), "{w:?}");
    }
}
