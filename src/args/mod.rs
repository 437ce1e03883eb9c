//! The command line: clap definitions, and the rewriting that lets the
//! original Go tool's single-dash long options (`-user daemon`,
//! `-syscall-deny=write`) work verbatim beside GNU style (`--user=daemon`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, ValueEnum};

mod go_style;
mod tools;

pub use go_style::normalize;
use go_style::run_only_option;
pub use tools::*;

const RUN_EXAMPLES: &str = "\
Examples:
  go-jail -user daemon -group daemon -- whoami
  go-jail -user nobody -caps=CAP_CHOWN -- grep CapBnd /proc/self/status
  go-jail -user nobody -syscall-deny=write -- echo hi        (echo fails)
  go-jail -user nobody --pty -- bash -i                      (a terminal of its own)
  go-jail compile -syscall-allow=read,write,exit_group --dump
  go-jail -user nobody -syscall-allow=@default,@basic-io -- echo hi
  go-jail -user nobody -syscall-allow=@system-service,-@privileged -- id
  go-jail groups @file-system --arch aarch64
  go-jail explain -syscall-deny=ptrace,@mount

Syscall lists accept groups (@name, see `go-jail groups`) and removals
(-name, -@name); removals apply after all additions, whatever their position.

Options may be written Go-style (-user daemon, -user=daemon) or GNU-style
(--user daemon, --user=daemon). Everything after the first operand, or after
`--`, belongs to COMMAND.

Exit status: 125 when go-jail itself fails (bad input, or a step of the
privilege drop: the message names the step and the errno), 126 when COMMAND
is found but cannot be executed, 127 when it is not found; otherwise the
status of COMMAND, or 128+N when a signal N killed it. go-jail stays as a
small parent of COMMAND: it forwards SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
SIGUSR2 and SIGWINCH to it, and when COMMAND exits it kills every process
COMMAND left behind (--keep-orphans). When go-jail has a terminal, COMMAND
runs in a new session without it as controlling terminal, so it cannot take
the terminal over (tcsetpgrp) or type into it; Ctrl-C and Ctrl-\\ reach it
through go-jail, and Ctrl-Z stops both (fg/bg continue them).

Capabilities (-caps, --ambient-caps; any case, CAP_ prefix optional):
CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL
CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE
CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER
CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT
CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME
CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL
CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM
CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE

Without root: any user may run go-jail; every option but a change of user
works (-user, -group and --groups must then name the caller's own ids, and
without --groups the command keeps the caller's supplementary groups).
go-jail clears the ambient set and cuts the permitted, effective and
inheritable sets to -caps, but a caller without CAP_SETPCAP cannot shrink the
bounding set and it is left as is. That is safe: the bounding set only caps
what execve may add, and with no_new_privs (always set) execve adds nothing:
set-user-ID bits and file capabilities are ignored and the new permitted set
is cut to the old one (security/commoncap.c, cap_bprm_creds_from_file). A
caller holding CAP_SETPCAP always gets the bounding set cut to -caps.

Safe defaults that differ from the original go-jail: file descriptors above 2
are closed (--keep-fd, --preserve-fds), supplementary groups are cleared
(--groups), the working directory is entered again by path as the target
(or / when it cannot reach it; --cwd), a target of another uid gets a fresh
environment plus TERM, LANG, LC_*, TZ (--keep-env), a root target (uid 0,
gid 0 or group 0, also a root caller without -user) needs --allow-root,
TIOCSTI/TIOCLINUX are denied so the
command cannot type into your terminal (--allow-tty-injection), SIGPIPE and
the signal mask are reset, no_new_privs is always set, and a foreign syscall
ABI (i386 via int $0x80, x32) is killed unless targeted with --arch.";

/// go-jail: run a command as another user, with a chosen capability set,
/// no_new_privs and a seccomp filter.
#[derive(Debug, Parser)]
#[command(
    name = "go-jail",
    version,
    about = "Run a command as another user, with capabilities, no_new_privs and an optimized seccomp filter",
    override_usage = "go-jail [OPTIONS] [--] COMMAND [ARG]...\n       go-jail <compile|explain|groups|disasm|asm|verify|emu|completions|man> ...",
    after_help = RUN_EXAMPLES
)]
pub struct RunArgs {
    /// Target user: NAME, #UID, or a bare number when no user has that name.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Target group: NAME, #GID, or a bare number [default: the user's primary group].
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,

    /// Supplementary groups: `init` (the user's groups from the group database),
    /// or a comma-separated LIST of names/ids [default: none].
    #[arg(long, value_name = "init|LIST")]
    pub groups: Option<String>,

    /// Capabilities to keep in the bounding set (and effective for a root
    /// target): comma-separated, case-insensitive, `CAP_` prefix optional. Empty = none
    /// [default: none, or --oci-config's bounding set].
    #[arg(long, value_name = "LIST")]
    pub caps: Option<String>,

    /// Capabilities a non-root target gets through the ambient set (a subset of --caps).
    #[arg(long, value_name = "LIST")]
    pub ambient_caps: Option<String>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub landlock: crate::landlock::LandlockArgs,

    /// Keep this file descriptor open in COMMAND (repeatable).
    #[arg(long = "keep-fd", value_name = "FD")]
    pub keep_fd: Vec<u32>,

    /// Keep file descriptors 3..3+N open in COMMAND.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub preserve_fds: u32,

    /// Start COMMAND in DIR, entered as the target user (an error if it cannot
    /// reach it) [default: go-jail's working directory, entered again by path
    /// as the target, or / when the target cannot reach it]. Also
    /// `--oci-config`'s `process.cwd`.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// Allow COMMAND to inject terminal input (TIOCSTI/TIOCLINUX). Unsafe.
    #[arg(long)]
    pub allow_tty_injection: bool,

    /// Give COMMAND its own pseudo-terminal, which go-jail relays: COMMAND
    /// starts a new session on it and can never reach your terminal
    /// (TIOCSTI, tcsetpgrp, /dev/tty), while job control, raw mode, Ctrl-C
    /// and the window size keep working. go-jail stays as its parent, puts
    /// your terminal in raw mode meanwhile (restored after), and exits with
    /// COMMAND's status; COMMAND's stderr arrives on go-jail's stdout.
    #[arg(long)]
    pub pty: bool,

    /// Start from an empty environment with HOME, USER, LOGNAME, SHELL from
    /// the passwd entry and a standard PATH.
    #[arg(long)]
    pub reset_env: bool,

    /// Pass go-jail's environment on when the target uid differs from the
    /// caller's: all of it, or only the NAMEs listed. Without it such a
    /// target gets the --reset-env environment plus TERM, LANG, LC_*, TZ
    /// (any process of the target uid can read /proc/PID/environ).
    #[arg(
        long,
        value_name = "NAME,...",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub keep_env: Option<String>,

    /// Set an environment variable for COMMAND (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Allow a root target: uid 0, gid 0 or group 0 among --groups (root
    /// keeps ownership of root's files even without capabilities). Without
    /// -user, a root caller's own uid 0 is the target.
    #[arg(long)]
    pub allow_root: bool,

    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,

    /// Print what the Landlock domain is made of before COMMAND runs (the
    /// lines `compile --dump` shows: the ABI, the handled rights, each rule)
    /// and the notes on what it leaves open, e.g. default scopes skipped
    /// below Landlock ABI 6, or pathname unix sockets reachable below ABI 9.
    /// With `learn`: also each path and port it recorded, with the rights
    /// used, before they are folded into options.
    #[arg(long, short)]
    pub verbose: bool,

    /// Run an --oci-config whose container fields (root, mounts,
    /// namespaces, maskedPaths, resources, hooks...) go-jail cannot apply,
    /// with one warning per field; without it such a config is refused.
    #[arg(long)]
    pub oci_partial: bool,

    /// Print every syscall the filter denies on stderr as it happens
    /// (`go-jail: denied NAME(ARGS) -> EPERM (pid N)`): once per syscall, or
    /// every call with `=all`. go-jail then stays as a small supervisor
    /// (SECCOMP_RET_USER_NOTIF) that answers each denied call with the
    /// policy's errno or kill, forwards signals, and exits with COMMAND's status.
    /// A kill is go-jail's SIGKILL rather than the kernel's SIGSYS (no core
    /// dump; go-jail exits 159 = 128+SIGSYS when COMMAND itself is killed).
    /// COMMAND cannot install a seccomp listener of its own (EPERM). With
    /// --fs-*/--net-* rules, each file or port access Landlock refuses is
    /// reported too (`go-jail: denied by landlock: write_file /etc/passwd
    /// (openat, pid N)`): the supervisor also sees the allowed calls that
    /// take a path or a TCP address and predicts the rules' decision; the
    /// kernel still makes it.
    #[arg(
        long,
        value_name = "once|all",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "once"
    )]
    pub report_denied: Option<ReportMode>,

    /// Let processes COMMAND started outlive it. By default go-jail stays as
    /// COMMAND's parent and, when COMMAND exits, kills (SIGKILL) and reaps
    /// every process it left behind before exiting with its status. With
    /// this flag they keep running: still jailed (same user, capabilities
    /// and filter) but unwatched, after go-jail has returned, where they
    /// may e.g. keep using the terminal. Under --report-denied/--complain,
    /// go-jail then keeps answering their denied calls until the last one exits.
    #[arg(long)]
    pub keep_orphans: bool,

    /// Complain mode: ENFORCES NOTHING of the policy (only go-jail's guards:
    /// TTY, --no-userns, --no-net/--no-unix, no prlimit64 on another process,
    /// no second seccomp listener; and calls no list can name: another ABI,
    /// x32). Every syscall the policy would deny is allowed to run and reported (`go-jail: would deny ...`), once per
    /// syscall (all calls with --report-denied=all). For finding what an
    /// allow-list lacks (it runs any list, even one without execve, and
    /// reports execve and the loader's calls too). No Landlock rule is
    /// enforced either (nor the scopes): each file or port access the
    /// --fs-*/--net-* rules would refuse is reported with the option a real
    /// run needs (`go-jail: would be denied by landlock: read_file /srv/x
    /// (openat, pid N); a real run needs --fs-ro=/srv/x`). Never use it as a
    /// sandbox.
    #[arg(long)]
    pub complain: bool,

    /// The command to run and its arguments.
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

/// The seccomp policy options shared by the run mode and `compile`.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// Allow only these syscalls (comma-separated; @group adds a group, -NAME and
    /// -@group remove); everything else fails with --errno.
    #[arg(
        long,
        value_name = "LIST",
        conflicts_with = "syscall_deny",
        allow_hyphen_values = true
    )]
    pub syscall_allow: Option<String>,

    /// Deny these syscalls (comma-separated; @group adds a group, -NAME and
    /// -@group remove) with --errno; everything else is allowed.
    #[arg(
        long,
        visible_alias = "syscall-block",
        value_name = "LIST",
        allow_hyphen_values = true
    )]
    pub syscall_deny: Option<String>,

    /// The errno a denied syscall returns: a name (EPERM) or a number [default: EPERM].
    #[arg(long, value_name = "NAME|N")]
    pub errno: Option<String>,

    /// Target architectures (comma-separated); calls from any other ABI are killed
    /// [default: the native one].
    #[arg(long, value_name = "ARCH[,ARCH]")]
    pub arch: Option<String>,

    /// Syscall weights: a frequency table (`name count` lines) that the compiler optimizes for.
    #[arg(long, value_name = "FILE")]
    pub profile_weights: Option<PathBuf>,

    /// A seccomp profile (JSON) of Docker/moby, of Podman/Buildah/CRI-O
    /// (containers/common) or an OCI `linux.seccomp`.
    ///
    /// Read: `defaultAction`; `defaultErrnoRet`, or containers/common's
    /// `defaultErrno` (a name or decimal, taking precedence); `architectures`
    /// or `archMap` (the native arch's entry with its `subArchitectures`);
    /// `syscalls[]` with `names` (or `name`), `action`, `errnoRet` or
    /// `errno` (taking precedence), `args[]` (`index`, `value`, `valueTwo`,
    /// `op`; ANDed, ORed when an index repeats, as runc), `includes` and
    /// `excludes` (`caps` against the capabilities the jail grants,
    /// `arches`, `minKernel` against the running kernel), `comment`
    /// (ignored); `flags` (noted, not applied), `listenerMetadata`
    /// (ignored); `listenerPath` and SCMP_ACT_NOTIFY are refused. Errnos
    /// are 1..=4095, as --errno. Other fields are errors. A syscall's first
    /// unconditional rule beats its other rules, as in libseccomp; unknown
    /// syscall names are skipped (`compile --dump` notes both).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["syscall_allow", "syscall_deny", "errno"]
    )]
    pub seccomp_profile: Option<PathBuf>,

    /// An OCI runtime-spec bundle config (`runc spec`'s config.json): its
    /// `linux.seccomp` is the filter and, in the run mode, `process.user`,
    /// `process.capabilities`, `process.args`/`env`/`cwd` apply where the
    /// command line does not say otherwise.
    #[arg(long, value_name = "FILE")]
    pub oci_config: Option<PathBuf>,

    /// Deny creating user namespaces: unshare/clone with CLONE_NEWUSER and
    /// setns into one fail with EPERM, clone3 with ENOSYS (libc falls back
    /// to clone). Enforced even under --report-denied/--complain/learn.
    #[arg(long)]
    pub no_userns: bool,

    /// No network: Landlock (ABI 4) denies every TCP bind and connect, and
    /// the filter refuses socket/socketpair for every family but AF_UNIX
    /// with EACCES (so UDP, raw and netlink sockets too). Enforced even
    /// under --report-denied/--complain/learn.
    #[arg(long)]
    pub no_net: bool,

    /// No unix sockets: the filter refuses socket(AF_UNIX) with EACCES, so
    /// no daemon socket outside the jail (session bus, ssh-agent) can be
    /// reached; socketpair stays for in-process IPC.
    #[arg(long)]
    pub no_unix: bool,
}

/// How often `--report-denied` reports a denied syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportMode {
    /// The first call of each syscall.
    Once,
    /// Every call.
    All,
}

/// The whole command line for completions and the man page: the run mode's
/// options plus every tool as a subcommand. (Parsing keeps the two apart:
/// a tool name is recognized only as the first argument.)
pub fn documented_command() -> clap::Command {
    let tools = ToolArgs::command();
    RunArgs::command()
        .args_conflicts_with_subcommands(true)
        .subcommands(tools.get_subcommands().cloned())
}

/// The names of the subcommands, which are recognized only as the first argument.
pub const TOOLS: &[&str] = &[
    "compile",
    "disasm",
    "asm",
    "verify",
    "emu",
    "completions",
    "man",
    "groups",
    "explain",
    "learn",
];

/// Parses the run mode's arguments (everything after argv[0]).
pub fn parse_run(args: &[OsString]) -> Result<RunArgs, clap::Error> {
    // One clap `Command` serves both the rewriting and the parse: building
    // it is most of go-jail's own start-up cost.
    let mut cmd = RunArgs::command();
    let mut argv = vec![OsString::from("go-jail")];
    let rest = normalize(&cmd, args, true)
        .map_err(|m| cmd.error(clap::error::ErrorKind::UnknownArgument, m))?;
    argv.extend(rest);
    let matches = cmd.try_get_matches_from_mut(argv)?;
    RunArgs::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// Parses a subcommand's arguments; `args[0]` is the subcommand's name.
pub fn parse_tool(args: &[OsString]) -> Result<ToolArgs, clap::Error> {
    let mut top = ToolArgs::command();
    let name = args[0].to_string_lossy().into_owned();
    let mut argv = vec![OsString::from("go-jail"), args[0].clone()];
    let rest = match top.find_subcommand(&name) {
        Some(sub) if run_only_option(sub, &args[1..]).is_some() => {
            let message = run_only_option(sub, &args[1..]).unwrap_or_default();
            return Err(sub
                .clone()
                .error(clap::error::ErrorKind::UnknownArgument, message));
        }
        // `learn`'s operands belong to COMMAND, as in the run mode
        Some(sub) => normalize(sub, &args[1..], name == "learn").map_err(|m| {
            sub.clone()
                .error(clap::error::ErrorKind::UnknownArgument, m)
        })?,
        None => args[1..].to_vec(),
    };
    argv.extend(rest);
    let matches = top.try_get_matches_from_mut(argv)?;
    ToolArgs::from_arg_matches(&matches).map_err(|e| e.format(&mut top))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn go_style_and_gnu_style_options_are_equivalent() {
        for argv in [
            &["-user", "daemon", "-group", "daemon", "--", "whoami"][..],
            &["-user=daemon", "-group=daemon", "whoami"],
            &["--user", "daemon", "--group=daemon", "whoami"],
            &["--user=daemon", "-group", "daemon", "--", "whoami"],
        ] {
            let run = parse_run(&os(argv)).unwrap();
            assert_eq!(run.user.as_deref(), Some("daemon"), "{argv:?}");
            assert_eq!(run.group.as_deref(), Some("daemon"), "{argv:?}");
            assert_eq!(run.command, os(&["whoami"]), "{argv:?}");
        }
    }

    #[test]
    fn options_after_the_command_belong_to_it() {
        let run = parse_run(&os(&["-user", "nobody", "ls", "-l", "-user", "x"])).unwrap();
        assert_eq!(run.command, os(&["ls", "-l", "-user", "x"]));
    }

    #[test]
    fn a_mistyped_option_is_an_error_not_the_command() {
        let err = parse_run(&os(&["-usr", "nobody", "id"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown option '-usr' (did you mean '-user'?)"),
            "{err}"
        );
        assert!(parse_run(&os(&["-x", "id"])).is_err());
        // After `--` anything goes.
        let run = parse_run(&os(&["--", "-usr"])).unwrap();
        assert_eq!(run.command, os(&["-usr"]));
    }

    #[test]
    fn syscall_block_is_an_alias_of_syscall_deny() {
        let run = parse_run(&os(&["-syscall-block=write", "--", "echo", "hi"])).unwrap();
        assert_eq!(run.policy.syscall_deny.as_deref(), Some("write"));
    }

    /// `TOOLS` decides what is a tool and what is a COMMAND: it must name
    /// exactly the subcommands.
    #[test]
    fn tools_are_exactly_the_subcommands() {
        let cmd = <ToolArgs as clap::CommandFactory>::command();
        let mut subcommands: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
        let mut tools = TOOLS.to_vec();
        subcommands.sort_unstable();
        tools.sort_unstable();
        assert_eq!(tools, subcommands);
    }

    #[test]
    fn empty_caps_value_is_accepted() {
        let run = parse_run(&os(&["--caps=", "-user", "nobody", "id"])).unwrap();
        assert_eq!(run.caps.as_deref(), Some(""));
        let run = parse_run(&os(&["-caps", "", "id"])).unwrap();
        assert_eq!(run.caps.as_deref(), Some(""));
        let run = parse_run(&os(&["id"])).unwrap();
        assert_eq!(run.caps, None);
    }

    #[test]
    fn allow_and_deny_together_is_an_error() {
        let err = parse_run(&os(&["-syscall-allow=read", "-syscall-deny=write", "id"]));
        assert!(err.is_err());
    }

    #[test]
    fn compile_accepts_go_style_policy_flags() {
        let tool = parse_tool(&os(&[
            "compile",
            "-syscall-allow=read,write",
            "--dump",
            "-o",
            "x",
        ]))
        .unwrap();
        let Tool::Compile(c) = tool.tool else {
            panic!()
        };
        assert_eq!(c.policy.syscall_allow.as_deref(), Some("read,write"));
        assert!(c.dump);
        assert_eq!(c.output, Some(PathBuf::from("x")));
    }

    #[test]
    fn emu_takes_negative_and_hex_numbers() {
        let tool = parse_tool(&os(&[
            "emu",
            "f.bpf",
            "-arch",
            "i386",
            "0xffffffff",
            "-1",
            "2",
        ]))
        .unwrap();
        let Tool::Emu(e) = tool.tool else { panic!() };
        assert_eq!(e.arch.as_deref(), Some("i386"));
        assert_eq!(e.syscall, "0xffffffff");
        assert_eq!(e.args, vec!["-1", "2"]);
    }
}
