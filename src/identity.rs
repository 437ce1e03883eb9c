//! Who the command runs as: users and groups resolved through NSS
//! (getpwnam_r/getgrnam_r via `nix`), before anything changes.

use std::ffi::CString;
use std::fmt;

use nix::unistd::{Gid, Group, Uid, User};

/// The largest id that can be real: `(uid_t)-1` means "unchanged" to
/// setresuid(2), so 4294967295 is refused, not passed on.
pub const MAX_ID: u32 = u32::MAX - 1;

/// A resolved target user.
#[derive(Debug, Clone)]
pub struct Target {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    /// The passwd entry, when the uid has one.
    pub user: Option<User>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    UnknownUser(String),
    UnknownGroup(String),
    BadId {
        what: &'static str,
        value: String,
    },
    NoPrimaryGroup(u32),
    Lookup {
        what: &'static str,
        name: String,
        errno: String,
    },
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityError::UnknownUser(u) => write!(f, "unknown user '{u}'"),
            IdentityError::UnknownGroup(g) => write!(f, "unknown group '{g}'"),
            IdentityError::BadId { what, value } => write!(
                f,
                "invalid {what} id '{value}': expected #N with N a decimal number from 0 to {MAX_ID}"
            ),
            IdentityError::NoPrimaryGroup(uid) => {
                write!(f, "uid {uid} has no passwd entry, so no primary group: give -group")
            }
            IdentityError::Lookup { what, name, errno } => {
                write!(f, "cannot look up {what} '{name}': {errno}")
            }
        }
    }
}

/// Parses the digits of an explicit id: decimal only, no sign, no spaces, ≤ [`MAX_ID`].
fn parse_id(what: &'static str, value: &str, digits: &str) -> Result<u32, IdentityError> {
    let bad = || IdentityError::BadId {
        what,
        value: value.to_owned(),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match digits.parse::<u64>() {
        Ok(n) if n <= u64::from(MAX_ID) => Ok(n as u32),
        _ => Err(bad()),
    }
}

fn lookup_user(name: &str) -> Result<Option<User>, IdentityError> {
    if CString::new(name).is_err() {
        return Ok(None);
    }
    User::from_name(name).map_err(|e| IdentityError::Lookup {
        what: "user",
        name: name.to_owned(),
        errno: e.desc().to_owned(),
    })
}

fn lookup_group(name: &str) -> Result<Option<Group>, IdentityError> {
    if CString::new(name).is_err() {
        return Ok(None);
    }
    Group::from_name(name).map_err(|e| IdentityError::Lookup {
        what: "group",
        name: name.to_owned(),
        errno: e.desc().to_owned(),
    })
}

/// `NAME`, `#UID`, or a bare number when no user has that name.
pub fn resolve_user(spec: &str) -> Result<(u32, Option<User>), IdentityError> {
    if let Some(digits) = spec.strip_prefix('#') {
        let uid = parse_id("user", spec, digits)?;
        return Ok((uid, User::from_uid(Uid::from_raw(uid)).ok().flatten()));
    }
    if let Some(user) = lookup_user(spec)? {
        return Ok((user.uid.as_raw(), Some(user)));
    }
    if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
        let uid = parse_id("user", spec, spec)?;
        return Ok((uid, User::from_uid(Uid::from_raw(uid)).ok().flatten()));
    }
    Err(IdentityError::UnknownUser(spec.to_owned()))
}

/// `NAME`, `#GID`, or a bare number when no group has that name.
pub fn resolve_group(spec: &str) -> Result<u32, IdentityError> {
    if let Some(digits) = spec.strip_prefix('#') {
        return parse_id("group", spec, digits);
    }
    if let Some(group) = lookup_group(spec)? {
        return Ok(group.gid.as_raw());
    }
    if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
        return parse_id("group", spec, spec);
    }
    Err(IdentityError::UnknownGroup(spec.to_owned()))
}

/// A user or group as asked for: written on the command line (`NAME`,
/// `#N`, or a bare number), or a number from `--oci-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSpec {
    /// As written: resolved by [`resolve_user`] or [`resolve_group`].
    Written(String),
    /// An id as such (`process.user` of a config).
    Number(u32),
}

/// The supplementary groups asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupsSpec {
    /// `--groups init`: the user's groups in the group database.
    Init,
    /// The groups listed (none for an empty list).
    List(Vec<IdSpec>),
}

impl GroupsSpec {
    /// `--groups VALUE`: `init`, or a comma-separated list.
    pub fn parse(value: &str) -> GroupsSpec {
        match value {
            "init" => GroupsSpec::Init,
            list if list.trim().is_empty() => GroupsSpec::List(Vec::new()),
            list => GroupsSpec::List(
                list.split(',')
                    .map(|g| IdSpec::Written(g.trim().to_owned()))
                    .collect(),
            ),
        }
    }
}

/// A number as an id: at most [`MAX_ID`].
fn checked_id(what: &'static str, id: u32) -> Result<u32, IdentityError> {
    match id <= MAX_ID {
        true => Ok(id),
        false => Err(IdentityError::BadId {
            what,
            value: format!("#{id}"),
        }),
    }
}

fn user_of(spec: &IdSpec) -> Result<(u32, Option<User>), IdentityError> {
    match spec {
        IdSpec::Written(text) => resolve_user(text),
        IdSpec::Number(n) => {
            let uid = checked_id("user", *n)?;
            Ok((uid, User::from_uid(Uid::from_raw(uid)).ok().flatten()))
        }
    }
}

fn group_of(spec: &IdSpec) -> Result<u32, IdentityError> {
    match spec {
        IdSpec::Written(text) => resolve_group(text),
        IdSpec::Number(n) => checked_id("group", *n),
    }
}

/// Resolves the user, group and supplementary groups asked for into the
/// target identity. Without a user the target is the caller's own uid.
pub fn resolve(
    user: Option<&IdSpec>,
    group: Option<&IdSpec>,
    groups: Option<&GroupsSpec>,
) -> Result<Target, IdentityError> {
    let (uid, entry) = match user {
        Some(spec) => user_of(spec)?,
        None => {
            let uid = nix::unistd::getuid().as_raw();
            (uid, User::from_uid(Uid::from_raw(uid)).ok().flatten())
        }
    };
    let gid = match (group, &entry, user) {
        (Some(spec), _, _) => group_of(spec)?,
        (None, Some(entry), _) => entry.gid.as_raw(),
        (None, None, Some(_)) => return Err(IdentityError::NoPrimaryGroup(uid)),
        (None, None, None) => nix::unistd::getgid().as_raw(),
    };
    let groups = match groups {
        None => Vec::new(),
        Some(GroupsSpec::Init) => {
            let entry = entry.as_ref().ok_or(IdentityError::NoPrimaryGroup(uid))?;
            let name = CString::new(entry.name.as_str())
                .map_err(|_| IdentityError::UnknownUser(entry.name.clone()))?;
            nix::unistd::getgrouplist(&name, Gid::from_raw(gid))
                .map_err(|e| IdentityError::Lookup {
                    what: "groups of user",
                    name: entry.name.clone(),
                    errno: e.desc().to_owned(),
                })?
                .into_iter()
                .map(|g| g.as_raw())
                .collect()
        }
        Some(GroupsSpec::List(list)) => list.iter().map(group_of).collect::<Result<_, _>>()?,
    };
    Ok(Target {
        uid,
        gid,
        groups,
        user: entry,
    })
}

/// The caller's own identity: real uid and gid (equal to the effective ones,
/// or `AT_SECURE` would have refused) and its supplementary groups, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl Caller {
    /// Reads the caller's ids (`getresuid`-equivalent `getuid`/`getgid`, `getgroups`).
    pub fn current() -> Result<Caller, IdentityError> {
        let groups = nix::unistd::getgroups().map_err(|e| IdentityError::Lookup {
            what: "groups of",
            name: "go-jail".to_owned(),
            errno: e.desc().to_owned(),
        })?;
        Ok(Caller {
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            groups: sorted(groups.into_iter().map(|g| g.as_raw()).collect()),
        })
    }

    /// What `target` would change, as the rest of a one-line error
    /// (`None`: the target is the caller itself). `setresuid(2)`,
    /// `setresgid(2)` and `setgroups(2)` need `CAP_SETUID`/`CAP_SETGID` for
    /// any other ids.
    pub fn change_to(&self, target: &Target) -> Option<String> {
        if target.uid != self.uid {
            return Some(format!(
                "uid {} (go-jail runs as uid {})",
                target.uid, self.uid
            ));
        }
        if target.gid != self.gid {
            return Some(format!(
                "gid {} (go-jail runs as gid {})",
                target.gid, self.gid
            ));
        }
        let groups = sorted(target.groups.clone());
        (groups != self.groups).then(|| {
            format!(
                "supplementary groups [{}] (go-jail has [{}])",
                id_list(&groups),
                id_list(&self.groups)
            )
        })
    }
}

fn sorted(mut ids: Vec<u32>) -> Vec<u32> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn id_list(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_cannot_be_real_are_refused() {
        for bad in [
            "#-1",
            "#4294967295",
            "#4294967296",
            "#99999999999999999999",
            "#",
            "#abc",
            "#+5",
            "# 5",
            "#0x10",
            "#1e3",
        ] {
            assert!(
                matches!(resolve_user(bad), Err(IdentityError::BadId { .. })),
                "{bad} accepted"
            );
            assert!(
                matches!(resolve_group(bad), Err(IdentityError::BadId { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn explicit_ids_and_names_resolve() {
        assert_eq!(resolve_user("#1").unwrap().0, 1);
        assert_eq!(resolve_user("#4294967294").unwrap().0, 4294967294);
        assert_eq!(resolve_user("root").unwrap().0, 0);
        assert_eq!(resolve_group("#65534").unwrap(), 65534);
        assert_eq!(resolve_group("root").unwrap(), 0);
    }

    #[test]
    fn a_bare_number_is_an_id_when_no_user_has_that_name() {
        assert_eq!(resolve_user("4242").unwrap().0, 4242);
        assert_eq!(resolve_group("4242").unwrap(), 4242);
    }

    #[test]
    fn unknown_names_are_reported_by_name() {
        assert_eq!(
            resolve_user("nosuchuser").unwrap_err().to_string(),
            "unknown user 'nosuchuser'"
        );
        assert_eq!(
            resolve_group("nosuchgroup").unwrap_err().to_string(),
            "unknown group 'nosuchgroup'"
        );
    }

    #[test]
    fn the_primary_group_is_used_when_group_is_omitted() {
        let t = resolve(Some(&IdSpec::Written("daemon".into())), None, None).unwrap();
        assert_eq!((t.uid, t.gid), (1, 1));
        assert!(t.groups.is_empty());
    }

    #[test]
    fn a_config_id_is_a_number_and_minus_one_is_refused() {
        let t = resolve(Some(&IdSpec::Number(1)), Some(&IdSpec::Number(2)), None).unwrap();
        assert_eq!((t.uid, t.gid), (1, 2));
        let err = resolve(Some(&IdSpec::Number(u32::MAX)), None, None).unwrap_err();
        assert!(matches!(err, IdentityError::BadId { .. }), "{err}");
    }

    #[test]
    fn groups_parse_init_an_empty_list_or_names() {
        assert_eq!(GroupsSpec::parse("init"), GroupsSpec::Init);
        assert_eq!(GroupsSpec::parse(" "), GroupsSpec::List(Vec::new()));
        assert_eq!(
            GroupsSpec::parse("adm, #5"),
            GroupsSpec::List(vec![
                IdSpec::Written("adm".into()),
                IdSpec::Written("#5".into())
            ])
        );
    }
}
