//! go-jail: the command line's entry point. The modules are the library
//! crate `go_jail` (`src/lib.rs`); this file only dispatches.

use go_jail::{
    args, cmd_bpf, cmd_compile, cmd_explain, cmd_groups, cmd_learn, cmd_run, fail, pty_parent,
    supervise,
};

use std::ffi::OsString;
use std::process::ExitCode;

use args::Tool;
use fail::Failure;
use go_jail::run_config::RunConfig;

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let is_tool = argv
        .first()
        .is_some_and(|a| args::TOOLS.contains(&a.to_string_lossy().as_ref()));
    let result = if is_tool {
        // The tools print; like any filter in a pipeline (`go-jail groups |
        // head`) they should end quietly on a closed pipe, not panic in
        // println!. Rust's runtime ignores SIGPIPE; restore the default.
        let _ = runner::process::signal_default(runner::abi::SIGPIPE);
        match args::parse_tool(&argv) {
            Ok(tool) => run_tool(tool.tool, &argv),
            Err(e) => return clap_exit(e),
        }
    } else {
        match args::parse_run(&argv) {
            Ok(args) => run(&args),
            Err(e) => return clap_exit(e),
        }
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(f) => {
            eprintln!("go-jail: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// The run mode: resolves the arguments and `--oci-config` once, then
/// runs as the options ask.
fn run(args: &args::RunArgs) -> Result<i32, Failure> {
    let config = RunConfig::resolve(args)?;
    if config.supervised() {
        supervise::run(&config)
    } else if config.pty {
        pty_parent::run(&config)
    } else {
        cmd_run::run(&config)
    }
}

/// Runs a tool; `argv` is the command line it was parsed from (`learn`
/// repeats its jail options in the line it prints).
fn run_tool(tool: Tool, argv: &[OsString]) -> Result<i32, Failure> {
    match tool {
        Tool::Compile(a) => cmd_compile::compile(&a),
        Tool::Disasm(a) => cmd_bpf::disasm(&a),
        Tool::Asm(a) => cmd_bpf::asm(&a),
        Tool::Verify(a) => cmd_bpf::verify(&a),
        Tool::Emu(a) => cmd_bpf::emu(&a),
        Tool::Groups(a) => cmd_groups::groups(&a),
        Tool::Explain(a) => cmd_explain::explain(&a),
        Tool::Learn(a) => cmd_learn::learn(&a, argv),
        Tool::Completions(a) => {
            let mut cmd = args::documented_command();
            clap_complete::generate(a.shell, &mut cmd, "go-jail", &mut std::io::stdout());
            Ok(0)
        }
        Tool::Man => {
            clap_mangen::Man::new(args::documented_command())
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::input(format!("stdout: {}", crate::fail::io_error(&e))))?;
            Ok(0)
        }
    }
}

/// Prints help/version, or a usage error as one line; usage errors exit 125
/// like every go-jail failure.
fn clap_exit(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("go-jail: {first} (see go-jail --help)");
    ExitCode::from(fail::EXIT_FAILURE)
}
