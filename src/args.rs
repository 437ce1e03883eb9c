//! The command line: clap definitions, and the rewriting that lets the
//! original Go tool's single-dash long options (`-user daemon`,
//! `-syscall-deny=write`) work verbatim beside GNU style (`--user=daemon`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

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

    /// The environment to start from instead of go-jail's own (`--oci-config`'s
    /// `process.env`); `--env` entries still apply on top.
    #[arg(skip)]
    pub base_env: Option<Vec<OsString>>,

    /// `(RLIMIT_*, soft, hard)` to set (`--oci-config`'s `process.rlimits`).
    #[arg(skip)]
    pub rlimits: Vec<(u32, u64, u64)>,
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

    /// The capability bounding set a profile's includes/excludes are
    /// evaluated against (set from -caps by the run mode).
    #[arg(skip)]
    pub profile_caps: Option<u64>,
}

/// Subcommands: the tools to build, see and debug a filter.
#[derive(Debug, Parser)]
#[command(name = "go-jail", version)]
pub struct ToolArgs {
    #[command(subcommand)]
    pub tool: Tool,
}

#[derive(Debug, Subcommand)]
pub enum Tool {
    /// Compile a policy to seccomp BPF.
    Compile(CompileArgs),
    /// Disassemble a raw BPF program.
    Disasm(DisasmArgs),
    /// Assemble text into a raw BPF program.
    Asm(AsmArgs),
    /// Check a raw BPF program as the kernel would load it as a seccomp filter.
    Verify(VerifyArgs),
    /// Run a raw BPF program on one syscall.
    Emu(EmuArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
    /// List the syscall groups (`@name`), or one group's members.
    Groups(GroupsArgs),
    /// Explain what a filter does: per architecture, which syscalls get which action.
    Explain(ExplainArgs),
    /// Run COMMAND under the jail and print the syscalls it used, as an allow-list.
    Learn(Box<LearnArgs>),
}

/// How often `--report-denied` reports a denied syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportMode {
    /// The first call of each syscall.
    Once,
    /// Every call.
    All,
}

/// What `learn` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LearnFormat {
    /// One runnable line: `go-jail [the jail options given]
    /// -syscall-allow=... [--fs-...] [--net-...] -- COMMAND...`.
    Line,
    /// The `-syscall-allow=...` option alone (the Landlock options go to
    /// stderr).
    Allow,
    /// A Docker/OCI seccomp profile (JSON).
    Docker,
}

#[derive(Debug, Args)]
#[command(
    override_usage = "go-jail learn [JAIL OPTIONS] [--format line|allow|docker] [-o FILE] [--] COMMAND [ARG]...",
    after_help = "Runs COMMAND (and everything it starts) with a filter that reports every \
syscall and lets it run: nothing is enforced but the TTY guard (--allow-tty-injection) \
and --no-userns. Records the syscalls, the files COMMAND opens, creates, removes, renames, \
executes or lists, and the TCP ports it connects to or binds. At the end, prints one \
runnable line: go-jail with the jail options given, the -syscall-allow list and the \
Landlock options (--fs-system for what the preset covers, --fs-rw on the directories \
written in, --fs-rx on other programs run, --fs-ro on what was read, a directory when \
several files in it were read or it was listed, --net-connect/--net-bind, --no-net and \
--no-unix when no such socket was made).\n\n\
Example:\n  go-jail learn -user nobody -- ls /etc\n  \
go-jail -user nobody -syscall-allow=... --fs-system --fs-ro=/etc --no-net --no-unix -- ls /etc"
)]
pub struct LearnArgs {
    /// The output: a runnable line, the allow-list option alone, or a
    /// Docker/OCI profile (both with the Landlock options on stderr).
    #[arg(long, value_enum, default_value = "line")]
    pub format: LearnFormat,
    /// Write the result to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub jail: RunArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  go-jail groups\n  go-jail groups @file-system --arch aarch64")]
pub struct GroupsArgs {
    /// A group (`@file-system` or `file-system`): print its members.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// The architecture whose members to print [default: native].
    #[arg(long)]
    pub arch: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  go-jail explain -syscall-allow=@default,@basic-io\n  go-jail explain --bpf filter.bpf --arch x86_64"
)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub landlock: crate::landlock::LandlockArgs,
    /// Explain this raw BPF program (any tool's) instead of a policy; --arch
    /// selects the architectures to detail [default: those the program treats
    /// differently from an unknown one].
    #[arg(long, value_name = "FILE")]
    pub bpf: Option<PathBuf>,
    /// One line per table syscall: `ARCH NR NAME ACTION`.
    #[arg(long)]
    pub per_syscall: bool,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Annotated text, accepted by `go-jail asm`.
    Asm,
    /// The kernel's `struct sock_filter` array (what `bwrap --seccomp FD` reads).
    Raw,
    /// A C array initializer.
    C,
    /// A JSON array of {code, jt, jf, k}.
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  go-jail compile -syscall-allow=read,write,exit_group --dump")]
pub struct CompileArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// (Shown by --dump beside the filter; compile writes only the filter.)
    #[command(flatten)]
    pub landlock: crate::landlock::LandlockArgs,
    /// The capabilities the jail would grant, for a --seccomp-profile's
    /// includes/excludes (comma-separated) [default: none, or the OCI config's bounding set].
    #[arg(long, value_name = "LIST")]
    pub caps: Option<String>,
    /// Add the run mode's TTY guard (ioctl TIOCSTI/TIOCLINUX fail with EPERM),
    /// which compiled filters leave out by default: they mean exactly the policy.
    #[arg(long)]
    pub tty_guard: bool,
    /// Print the annotated disassembly and statistics on stderr... or stdout when no -o.
    #[arg(long)]
    pub dump: bool,
    /// Output format [default: asm on a terminal... raw with -o].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write the program to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DisasmArgs {
    /// The raw program.
    pub file: PathBuf,
    /// Name syscalls compared against `nr` for this architecture where the
    /// program has not tested `arch` (after `jeq #AUDIT_ARCH_I386` the
    /// branch is named from i386's table, without this option too).
    #[arg(long)]
    pub arch: Option<String>,
}

#[derive(Debug, Args)]
pub struct AsmArgs {
    /// The text program.
    pub file: PathBuf,
    /// Write the raw program here instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The raw program.
    pub file: PathBuf,
    /// List the syscalls the kernel's action cache serves without running the filter.
    #[arg(long)]
    pub cache: bool,
    /// The architecture for --cache [default: native].
    #[arg(long)]
    pub arch: Option<String>,
}

#[derive(Debug, Args)]
pub struct EmuArgs {
    /// The raw program.
    pub file: PathBuf,
    /// The architecture of the call: name or 0x audit value [default: native].
    #[arg(long)]
    pub arch: Option<String>,
    /// The instruction pointer.
    #[arg(long, value_name = "N")]
    pub ip: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The syscall: a number (decimal or 0x) or a name for the arch.
    #[arg(value_name = "NR|NAME", allow_hyphen_values = true)]
    pub syscall: String,
    /// Up to six arguments (decimal or 0x).
    #[arg(value_name = "ARG", allow_hyphen_values = true, num_args = 0..=6)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
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

/// Rewrites Go-style single-dash long options into GNU style for `cmd`, and,
/// when `stop_at_operand` is set, inserts `--` before the first operand so
/// that nothing after it is parsed as an option (it belongs to COMMAND).
/// Without `stop_at_operand` (the tool subcommands) options may follow
/// operands, as clap's usual convention has it: they are moved before the
/// first operand (`emu FILE read 1 2 --json`), because an operand list that
/// accepts `-1` would otherwise swallow them; `--` still ends the options.
///
/// An argument is rewritten only when the word after the dash (up to `=`) is
/// one of `cmd`'s long option names or aliases, so short options (`-o`,
/// `-q`) and option values are left alone.
pub fn normalize(
    cmd: &clap::Command,
    args: &[OsString],
    stop_at_operand: bool,
) -> Result<Vec<OsString>, String> {
    let mut out = Vec::with_capacity(args.len() + 1);
    // the tool subcommands' operands (and unknown dash words such as `-1`),
    // in order, after every option
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let text = arg.to_string_lossy();
        if text == "--" {
            out.append(&mut operands);
            out.extend(args[i..].iter().cloned());
            return Ok(out);
        }
        if !text.starts_with('-') || text == "-" {
            if stop_at_operand {
                out.push("--".into());
                out.extend(args[i..].iter().cloned());
                return Ok(out);
            }
            operands.push(arg.clone());
            i += 1;
            continue;
        }
        let body = text.trim_start_matches('-');
        let (name, has_value) = match body.split_once('=') {
            Some((name, _)) => (name, true),
            None => (body, false),
        };
        let long = find_long(cmd, name);
        let rewritten: OsString = match (&long, text.starts_with("--")) {
            (Some(_), false) => format!("-{text}").into(),
            _ => arg.clone(),
        };
        i += 1;
        if let Some(takes_value) = long {
            out.push(rewritten);
            if takes_value && !has_value && i < args.len() {
                out.push(args[i].clone());
                i += 1;
            }
        } else if text.len() == 2 && !text.starts_with("--") {
            // A short option such as `-o FILE`: keep its value with it.
            let short = text.chars().nth(1);
            let takes = cmd
                .get_arguments()
                .find(|a| a.get_short() == short)
                .is_some_and(|a| a.get_action().takes_values());
            let known = short.is_some_and(|c| c == 'h' || c == 'V')
                || cmd.get_arguments().any(|a| a.get_short() == short);
            if stop_at_operand && !known {
                return Err(unknown_option(cmd, &text));
            }
            if !known {
                // `-1`: an operand of a list that takes negative numbers
                operands.push(rewritten);
                continue;
            }
            out.push(rewritten);
            if takes && i < args.len() {
                out.push(args[i].clone());
                i += 1;
            }
        } else if stop_at_operand {
            // Before COMMAND every dash word must be an option: a typo such
            // as `-usr nobody` must not silently become the command.
            return Err(unknown_option(cmd, &text));
        } else {
            // unknown to `cmd`: clap says so, or an operand list takes it
            operands.push(rewritten);
        }
    }
    out.append(&mut operands);
    Ok(out)
}

/// "unknown option '-usr' (did you mean '-user'?)"
fn unknown_option(cmd: &clap::Command, text: &str) -> String {
    let body = text.trim_start_matches('-');
    let name = body.split_once('=').map_or(body, |(n, _)| n);
    let close = cmd
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|long| (policy::table::edit_distance(name, long), long))
        .filter(|&(d, _)| d <= 2)
        .min();
    match close {
        Some((_, long)) => format!("unknown option '{text}' (did you mean '-{long}'?); put `--` before a COMMAND that starts with '-'"),
        None => format!("unknown option '{text}'; put `--` before a COMMAND that starts with '-'"),
    }
}

/// `Some(takes_value)` when `name` is a long option (or alias) of `cmd`.
fn find_long(cmd: &clap::Command, name: &str) -> Option<bool> {
    if name == "help" || name == "version" {
        return Some(false);
    }
    cmd.get_arguments()
        .find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
        })
        // `--opt=value` only (`--report-denied[=all]`): the next word is not its value
        .map(|a| a.get_action().takes_values() && !a.is_require_equals_set())
}

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

/// A run-mode option given to a tool that lacks it (`compile -user
/// nobody`): the message saying so, instead of clap's `unexpected argument '-u'`.
fn run_only_option(sub: &clap::Command, args: &[OsString]) -> Option<String> {
    let mut run = None;
    for arg in args {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        let Some(body) = text.strip_prefix('-').map(|b| b.trim_start_matches('-')) else {
            continue;
        };
        let name = body.split_once('=').map_or(body, |(n, _)| n);
        if name.len() < 2 || find_long(sub, name).is_some() {
            continue;
        }
        let run = run.get_or_insert_with(RunArgs::command);
        if find_long(run, name).is_some() {
            return Some(format!(
                "'-{name}' is an option of the run mode (go-jail -{name} ... -- COMMAND), not of `{}`, whose output does not depend on who runs it",
                sub.get_name()
            ));
        }
    }
    None
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
