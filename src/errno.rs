//! Errno names for `--errno` and for profiles' `defaultErrno`/`errno`
//! (include/uapi/asm-generic/errno-base.h and errno.h: every Linux errno,
//! with the aliases EWOULDBLOCK, EDEADLOCK and ENOTSUP).

/// `(number, name)` of every errno; an alias follows its primary name.
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
    (15, "ENOTBLK"),
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
    (35, "EDEADLOCK"),
    (36, "ENAMETOOLONG"),
    (37, "ENOLCK"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (40, "ELOOP"),
    (42, "ENOMSG"),
    (43, "EIDRM"),
    (44, "ECHRNG"),
    (45, "EL2NSYNC"),
    (46, "EL3HLT"),
    (47, "EL3RST"),
    (48, "ELNRNG"),
    (49, "EUNATCH"),
    (50, "ENOCSI"),
    (51, "EL2HLT"),
    (52, "EBADE"),
    (53, "EBADR"),
    (54, "EXFULL"),
    (55, "ENOANO"),
    (56, "EBADRQC"),
    (57, "EBADSLT"),
    (59, "EBFONT"),
    (60, "ENOSTR"),
    (61, "ENODATA"),
    (62, "ETIME"),
    (63, "ENOSR"),
    (64, "ENONET"),
    (65, "ENOPKG"),
    (66, "EREMOTE"),
    (67, "ENOLINK"),
    (68, "EADV"),
    (69, "ESRMNT"),
    (70, "ECOMM"),
    (71, "EPROTO"),
    (72, "EMULTIHOP"),
    (73, "EDOTDOT"),
    (74, "EBADMSG"),
    (75, "EOVERFLOW"),
    (76, "ENOTUNIQ"),
    (77, "EBADFD"),
    (78, "EREMCHG"),
    (79, "ELIBACC"),
    (80, "ELIBBAD"),
    (81, "ELIBSCN"),
    (82, "ELIBMAX"),
    (83, "ELIBEXEC"),
    (84, "EILSEQ"),
    (85, "ERESTART"),
    (86, "ESTRPIPE"),
    (87, "EUSERS"),
    (88, "ENOTSOCK"),
    (89, "EDESTADDRREQ"),
    (90, "EMSGSIZE"),
    (91, "EPROTOTYPE"),
    (92, "ENOPROTOOPT"),
    (93, "EPROTONOSUPPORT"),
    (94, "ESOCKTNOSUPPORT"),
    (95, "EOPNOTSUPP"),
    (95, "ENOTSUP"),
    (96, "EPFNOSUPPORT"),
    (97, "EAFNOSUPPORT"),
    (98, "EADDRINUSE"),
    (99, "EADDRNOTAVAIL"),
    (100, "ENETDOWN"),
    (101, "ENETUNREACH"),
    (102, "ENETRESET"),
    (103, "ECONNABORTED"),
    (104, "ECONNRESET"),
    (105, "ENOBUFS"),
    (106, "EISCONN"),
    (107, "ENOTCONN"),
    (108, "ESHUTDOWN"),
    (109, "ETOOMANYREFS"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (112, "EHOSTDOWN"),
    (113, "EHOSTUNREACH"),
    (114, "EALREADY"),
    (115, "EINPROGRESS"),
    (116, "ESTALE"),
    (117, "EUCLEAN"),
    (118, "ENOTNAM"),
    (119, "ENAVAIL"),
    (120, "EISNAM"),
    (121, "EREMOTEIO"),
    (122, "EDQUOT"),
    (123, "ENOMEDIUM"),
    (124, "EMEDIUMTYPE"),
    (125, "ECANCELED"),
    (126, "ENOKEY"),
    (127, "EKEYEXPIRED"),
    (128, "EKEYREVOKED"),
    (129, "EKEYREJECTED"),
    (130, "EOWNERDEAD"),
    (131, "ENOTRECOVERABLE"),
    (132, "ERFKILL"),
    (133, "EHWPOISON"),
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

/// The number of an errno name spelled exactly (`EPERM`), as containers/common
/// reads a profile's `errno` (a map lookup).
pub fn by_name(name: &str) -> Option<u16> {
    NAMES.iter().find(|(_, n)| *n == name).map(|(n, _)| *n)
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
