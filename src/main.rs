//! go-jail: the command line. Only this crate parses arguments or prints.

mod args;

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let is_tool = argv
        .first()
        .is_some_and(|a| args::TOOLS.contains(&a.to_string_lossy().as_ref()));
    if is_tool {
        match args::parse_tool(&argv) {
            Ok(_tool) => ExitCode::SUCCESS,
            Err(e) => clap_exit(e),
        }
    } else {
        match args::parse_run(&argv) {
            Ok(_run) => ExitCode::SUCCESS,
            Err(e) => clap_exit(e),
        }
    }
}

/// Prints a clap error or help; usage errors exit 125 like every go-jail failure.
fn clap_exit(e: clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(125)
    } else {
        ExitCode::SUCCESS
    }
}
