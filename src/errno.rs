//! The `--errno` syntax and errno names for profiles' `defaultErrno`/`errno`.
//! The names come from the workspace's one errno table, `runner::Errno`
//! (include/uapi/asm-generic/errno-base.h and errno.h: every Linux errno,
//! with the aliases EWOULDBLOCK, EDEADLOCK and ENOTSUP); runner keeps it
//! because it has no dependencies and prints errnos after fork.

use runner::Errno;

/// The largest errno the kernel returns for seccomp's ERRNO action (`MAX_ERRNO`).
pub const MAX_ERRNO: u16 = *policy::action::ERRNO_RANGE.end();

/// Parses `EPERM`, `eperm`, `1` or `0x1` into an errno in
/// [`policy::action::ERRNO_RANGE`] (1..=4095, as a profile's `errnoRet`).
pub fn parse(value: &str) -> Result<u16, String> {
    let v = value.trim();
    if let Some(n) = by_name(&v.to_ascii_uppercase()) {
        return Ok(n);
    }
    let number = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => v.parse::<u32>().ok(),
    };
    match number {
        Some(0) => Err(format!(
            "errno '{value}' would make denied calls succeed without running: give 1 to {MAX_ERRNO} (EPERM is 1)"
        )),
        Some(n) if n <= u32::from(MAX_ERRNO) => Ok(n as u16),
        Some(_) => Err(format!(
            "errno '{value}' is above the kernel's maximum of {MAX_ERRNO}"
        )),
        None => Err(format!(
            "unknown errno '{value}' (use a name such as EPERM or ENOSYS, or a number)"
        )),
    }
}

/// The number of an errno name spelled exactly (`EPERM`), as containers/common
/// reads a profile's `errno` (a map lookup).
pub fn by_name(name: &str) -> Option<u16> {
    Errno::from_name(name).map(|e| e.raw() as u16)
}

/// The name of an errno, when it has one here.
pub fn name(n: u16) -> Option<&'static str> {
    Errno(i32::from(n)).name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse() {
        assert_eq!(parse("EPERM"), Ok(1));
        assert_eq!(parse("enosys"), Ok(38));
        assert_eq!(parse("13"), Ok(13));
        assert_eq!(parse("0x26"), Ok(38));
        assert_eq!(name(38), Some("ENOSYS"));
    }

    #[test]
    fn aliases_parse_and_print_as_their_primary_name() {
        assert_eq!(parse("ewouldblock"), Ok(11));
        assert_eq!(name(11), Some("EAGAIN"));
        assert_eq!(by_name("ENOTSUP"), Some(95));
        assert_eq!(name(95), Some("EOPNOTSUPP"));
        assert_eq!(by_name("EDEADLOCK"), Some(35));
        assert_eq!(name(133), Some("EHWPOISON"));
    }

    #[test]
    fn bad_errnos_are_named_in_the_error() {
        assert!(parse("EFOO").unwrap_err().contains("'EFOO'"));
        assert!(parse("4096").unwrap_err().contains("4095"));
        assert!(parse("0").unwrap_err().contains("succeed without running"));
        assert!(parse("0x0").unwrap_err().contains("'0x0'"));
        assert_eq!(parse("4095"), Ok(4095));
    }
}
