//! The tool subcommands' arguments: `compile`, `explain`, `groups`,
//! `learn`, `disasm`, `asm`, `verify`, `emu`, `completions`, `man`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::{PolicyArgs, RunArgs};

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
