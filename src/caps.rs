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
}
