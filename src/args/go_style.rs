//! The original Go tool's single-dash long options (`-user daemon`,
//! `-syscall-deny=write`) rewritten into GNU style before clap parses, and
//! the one-line messages for options that do not exist where given.

use std::ffi::OsString;

use clap::CommandFactory;

use super::RunArgs;

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

/// A run-mode option given to a tool that lacks it (`compile -user
/// nobody`): the message saying so, instead of clap's `unexpected argument '-u'`.
pub(super) fn run_only_option(sub: &clap::Command, args: &[OsString]) -> Option<String> {
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
