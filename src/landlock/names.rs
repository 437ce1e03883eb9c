//! The names of Landlock's rights and scopes, as `--dump` and the reports
//! print them: the constants' names in `include/uapi/linux/landlock.h`
//! without their prefix, in lower case (`LANDLOCK_ACCESS_FS_WRITE_FILE` is
//! `write_file`).

use runner::landlock::{fs, net, scope};

fn names(mask: u64, table: &[(u64, &str)]) -> String {
    let v: Vec<&str> = table
        .iter()
        .filter(|(bit, _)| mask & bit != 0)
        .map(|&(_, n)| n)
        .collect();
    v.join(",")
}

/// The names of `LANDLOCK_ACCESS_FS_*` bits, lowercase.
pub fn fs_names(mask: u64) -> String {
    names(
        mask,
        &[
            (fs::EXECUTE, "execute"),
            (fs::WRITE_FILE, "write_file"),
            (fs::READ_FILE, "read_file"),
            (fs::READ_DIR, "read_dir"),
            (fs::REMOVE_DIR, "remove_dir"),
            (fs::REMOVE_FILE, "remove_file"),
            (fs::MAKE_CHAR, "make_char"),
            (fs::MAKE_DIR, "make_dir"),
            (fs::MAKE_REG, "make_reg"),
            (fs::MAKE_SOCK, "make_sock"),
            (fs::MAKE_FIFO, "make_fifo"),
            (fs::MAKE_BLOCK, "make_block"),
            (fs::MAKE_SYM, "make_sym"),
            (fs::REFER, "refer"),
            (fs::TRUNCATE, "truncate"),
            (fs::IOCTL_DEV, "ioctl_dev"),
        ],
    )
}

pub fn net_names(mask: u64) -> String {
    names(
        mask,
        &[
            (net::BIND_TCP, "bind_tcp"),
            (net::CONNECT_TCP, "connect_tcp"),
        ],
    )
}

pub(super) fn scope_names(mask: u64) -> String {
    names(
        mask,
        &[
            (scope::ABSTRACT_UNIX_SOCKET, "abstract_unix_socket"),
            (scope::SIGNAL, "signal"),
        ],
    )
}
