//! Errno names for `--errno` (include/uapi/asm-generic/errno-base.h and errno.h).

/// `(number, name)` for the errnos worth naming on a command line.
const NAMES: &[(u16, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (5, "EIO"),
    (6, "ENXIO"),
    (7, "E2BIG"),
    (8, "ENOEXEC"),
    (9, "EBADF"),
    (10, "ECHILD"),
    (11, "EAGAIN"),
    (11, "EWOULDBLOCK"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (18, "EXDEV"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (26, "ETXTBSY"),
    (27, "EFBIG"),
    (28, "ENOSPC"),
    (29, "ESPIPE"),
    (30, "EROFS"),
    (31, "EMLINK"),
    (32, "EPIPE"),
    (33, "EDOM"),
    (34, "ERANGE"),
    (35, "EDEADLK"),
    (36, "ENAMETOOLONG"),
    (37, "ENOLCK"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (40, "ELOOP"),
    (61, "ENODATA"),
    (75, "EOVERFLOW"),
    (88, "ENOTSOCK"),
    (95, "EOPNOTSUPP"),
    (95, "ENOTSUP"),
    (97, "EAFNOSUPPORT"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (125, "ECANCELED"),
];

/// The largest errno the kernel returns for seccomp's ERRNO action (`MAX_ERRNO`).
pub const MAX_ERRNO: u16 = *policy::action::ERRNO_RANGE.end();

/// Parses `EPERM`, `eperm`, `1` or `0x1` into an errno in
/// [`policy::action::ERRNO_RANGE`] (1..=4095, as a profile's `errnoRet`).
pub fn parse(value: &str) -> Result<u16, String> {
    let v = value.trim();
    if let Some(&(n, _)) = NAMES.iter().find(|(_, name)| name.eq_ignore_ascii_case(v)) {
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

/// The name of an errno, when it has one here.
pub fn name(n: u16) -> Option<&'static str> {
    NAMES.iter().find(|(m, _)| *m == n).map(|(_, name)| *name)
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
    fn bad_errnos_are_named_in_the_error() {
        assert!(parse("EFOO").unwrap_err().contains("'EFOO'"));
        assert!(parse("4096").unwrap_err().contains("4095"));
        assert!(parse("0").unwrap_err().contains("succeed without running"));
        assert!(parse("0x0").unwrap_err().contains("'0x0'"));
        assert_eq!(parse("4095"), Ok(4095));
    }
}
