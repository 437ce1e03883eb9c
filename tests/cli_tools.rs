//! The filter tools as a command-line contract: `compile`, `disasm`, `asm`,
//! `verify`, `emu`, and interop with bubblewrap's `--seccomp FD`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{jail, needs_root, Run};

fn tmp(name: &str) -> PathBuf {
    common::scratch_dir().join(name)
}

fn compile_to(name: &str, policy: &[&str]) -> PathBuf {
    let out = tmp(name);
    let mut argv = vec!["compile"];
    argv.extend_from_slice(policy);
    argv.extend(["--format", "raw", "-o", out.to_str().unwrap()]);
    jail(&argv).assert_code(0);
    out
}

#[test]
fn compile_disasm_asm_round_trips_byte_for_byte() {
    let raw = compile_to("rt.bpf", &["-syscall-allow=read,write,exit_group,execve"]);
    let text = jail(&["disasm", raw.to_str().unwrap(), "--arch", "x86_64"]);
    text.assert_code(0);
    assert!(text.stdout.contains("ld [arch]"), "{}", text.stdout);
    assert!(text.stdout.contains("ret ALLOW"), "{}", text.stdout);
    assert!(text.stdout.contains("AUDIT_ARCH_X86_64"), "{}", text.stdout);
    let txt = tmp("rt.txt");
    std::fs::write(&txt, &text.stdout).unwrap();
    let back = tmp("rt2.bpf");
    jail(&["asm", txt.to_str().unwrap(), "-o", back.to_str().unwrap()]).assert_code(0);
    assert_eq!(std::fs::read(&raw).unwrap(), std::fs::read(&back).unwrap());
}

#[test]
fn go_style_flags_work_for_compile() {
    let a = jail(&["compile", "-syscall-deny", "write", "--format=json"]);
    let b = jail(&["compile", "--syscall-deny=write", "-format", "json"]);
    a.assert_code(0);
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.starts_with("[{\"code\""), "{}", a.stdout);
}

#[test]
fn dump_shows_the_program_and_its_costs() {
    let r = jail(&["compile", "-syscall-allow=read,write,exit_group", "--dump"]);
    r.assert_code(0);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("instructions"), "{all}");
    assert!(all.contains("worst"), "{all}");
    assert!(all.contains("frequency-weighted"), "{all}");
    assert!(all.contains("action cache: read,write,exit_group"), "{all}");
}

#[test]
fn verify_accepts_compiled_programs_and_lists_the_cache() {
    let raw = compile_to("cache.bpf", &["-syscall-allow=read,write,exit_group"]);
    let r = jail(&["verify", raw.to_str().unwrap()]);
    r.assert_code(0);
    let r = jail(&[
        "verify",
        "--cache",
        "--arch",
        "x86_64",
        raw.to_str().unwrap(),
    ]);
    r.assert_code(0);
    assert!(r.stdout.contains("read,write,exit_group"), "{}", r.stdout);
}

#[test]
fn verify_reports_every_problem_with_its_pc() {
    // jeq with both targets out of range, then a non-final ret.
    let bad = tmp("bad.bpf");
    let prog = bpf_asm::Program::new(vec![
        bpf_asm::Insn::jmp_k(bpf_asm::JmpCond::Eq, 0, 5, 1),
        bpf_asm::Insn::ret_k(0x7fff_0000),
    ]);
    std::fs::write(&bad, prog.to_bytes()).unwrap();
    let r = jail(&["verify", bad.to_str().unwrap()]);
    r.assert_code(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines.iter().all(|l| l.starts_with("pc 0 ")), "{}", r.stdout);
    assert!(
        r.stdout.contains("jump target 6 out of range"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_files_get_one_clear_error_naming_the_file() {
    let empty = tmp("empty.bpf");
    std::fs::write(&empty, b"").unwrap();
    let ragged = tmp("ragged.bpf");
    std::fs::write(&ragged, [0u8; 12]).unwrap();
    let huge = tmp("huge.bpf");
    std::fs::write(&huge, vec![0u8; 8 * 4097]).unwrap();
    let text = tmp("bad.txt");
    std::fs::write(&text, "ld [nr]\njqe #1, 2, 3\n").unwrap();
    for (argv, message) in [
        (vec!["disasm", empty.to_str().unwrap()], "empty program"),
        (
            vec!["emu", ragged.to_str().unwrap(), "0"],
            "not a multiple of 8",
        ),
        (vec!["disasm", huge.to_str().unwrap()], "4097 instructions"),
        (
            vec!["asm", text.to_str().unwrap()],
            "line 2, column 1: unknown mnemonic 'jqe'",
        ),
        (vec!["disasm", "/nonexistent.bpf"], "no such file"),
    ] {
        let r = jail(&argv);
        r.assert_code(125);
        assert!(r.stderr.contains(message), "{argv:?}: {}", r.stderr);
        assert!(r.stderr.contains(argv[1]), "names the file: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    let r = jail(&["verify", ragged.to_str().unwrap()]);
    r.assert_code(1);
    assert!(r.stdout.contains("not a multiple of 8"), "{}", r.stdout);
}

#[test]
fn emu_answers_readably_and_in_json() {
    let raw = compile_to("emu.bpf", &["-syscall-allow=read,write,exit_group"]);
    let f = raw.to_str().unwrap();
    let r = jail(&["emu", f, "write", "1", "0x10", "3"]);
    r.assert_code(0);
    assert!(r.stdout.contains("write: ALLOW"), "{}", r.stdout);
    let r = jail(&["emu", f, "--json", "getpid"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["action"], "ERRNO");
    assert_eq!(v["data"], 1);
    assert_eq!(v["ret"], 0x0005_0001);
    assert!(v["executed"].as_u64().unwrap() > 0);
    // i386 via its name, its audit value, and a number: a foreign arch is killed.
    for arch in ["i386", "x86", "0x40000003"] {
        let r = jail(&["emu", f, "--json", "--arch", arch, "4"]);
        let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        assert_eq!(v["action"], "KILL_PROCESS", "{arch}");
    }
    // x32 numbers never reach ALLOW on x86_64.
    let r = jail(&["emu", f, "--json", "0x40000001"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["action"], "KILL_PROCESS");
}

#[test]
fn raw_output_is_what_bubblewrap_loads() {
    needs_root!();
    if Command::new("bwrap").arg("--version").output().is_err() {
        eprintln!("skipping: bwrap is not installed (apt-get install bubblewrap)");
        return;
    }
    let deny = compile_to("bwrap-deny.bpf", &["-syscall-deny=write"]);
    let allow = compile_to("bwrap-allow.bpf", &["-syscall-deny=mount"]);
    let run = |filter: &PathBuf| {
        let script = format!(
            "exec 3<{}; bwrap --ro-bind / / --dev /dev --seccomp 3 /bin/echo through-bwrap",
            filter.display()
        );
        Run::new(Command::new("sh").args(["-c", &script]))
    };
    let ok = run(&allow);
    assert_eq!(ok.stdout, "through-bwrap\n", "{ok:?}");
    let denied = run(&deny);
    assert_eq!(denied.stdout, "", "{denied:?}");
    assert_ne!(denied.code(), Some(0), "{denied:?}");
}

#[test]
fn a_tool_writing_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    // `go-jail man | head -0`: no panic, death by SIGPIPE like other filters.
    // The read end is closed before go-jail starts, so its first write
    // always meets a pipe without readers (a pipe of 64 KiB would
    // otherwise take the whole page before the test closed it).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(common::bin())
        .arg("man")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(13), "{:?}", out.status);
}

// ------------------------------------------- options after operands (#16)

/// The tool subcommands take options anywhere (clap's usual convention):
/// after an operand as before it; `--` ends them.
#[test]
fn emu_takes_options_after_its_operands() {
    let raw = compile_to("order-emu.bpf", &["-syscall-allow=read,write,exit_group"]);
    let f = raw.to_str().unwrap();
    let after = jail(&["emu", f, "read", "1", "2", "--json"]);
    after.assert_code(0);
    let before = jail(&["emu", "--json", f, "read", "1", "2"]);
    assert_eq!(after.stdout, before.stdout);
    assert!(after.stdout.starts_with('{'), "{}", after.stdout);
    // Go style after operands too, and negative numbers stay operands
    let go = jail(&["emu", f, "read", "-1", "-json"]);
    go.assert_code(0);
    assert!(go.stdout.contains("\"action\":\"ALLOW\""), "{}", go.stdout);
    // `--` ends the options: `--json` is then an argument of the syscall
    let ended = jail(&["emu", f, "--", "read", "--json"]);
    ended.assert_code(125);
    assert!(ended.stderr.contains("'--json'"), "{}", ended.stderr);
    // the same for an unprivileged caller (the tools need no privilege)
    if common::is_root() {
        let nobody = Run::new(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(common::bin())
                .args(["emu", f, "read", "1", "2", "--json"]),
        );
        nobody.assert_code(0);
        assert_eq!(nobody.stdout, after.stdout);
    }
}

#[test]
fn disasm_asm_verify_take_options_after_their_operands() {
    let raw = compile_to("order.bpf", &["-syscall-allow=read,write,exit_group"]);
    let f = raw.to_str().unwrap();
    let text = jail(&["disasm", f, "--arch", "x86_64"]);
    text.assert_code(0);
    let txt = tmp("order.txt");
    std::fs::write(&txt, &text.stdout).unwrap();
    let back = tmp("order2.bpf");
    jail(&["asm", txt.to_str().unwrap(), "-o", back.to_str().unwrap()]).assert_code(0);
    assert_eq!(std::fs::read(&raw).unwrap(), std::fs::read(&back).unwrap());
    let v = jail(&["verify", f, "--cache", "-arch", "x86_64"]);
    v.assert_code(0);
    assert!(v.stdout.contains("read,write,exit_group"), "{}", v.stdout);
}

#[test]
fn groups_compile_explain_take_options_in_any_order() {
    let a = jail(&["groups", "@file-system", "--arch", "aarch64"]);
    let b = jail(&["groups", "--arch", "aarch64", "@file-system"]);
    a.assert_code(0);
    assert_eq!(a.stdout, b.stdout);
    assert!(
        !a.stdout.contains("\nopen\n"),
        "aarch64 has no open: {}",
        a.stdout
    );
    let a = jail(&["compile", "--format", "json", "-syscall-deny", "write"]);
    let b = jail(&["compile", "-syscall-deny", "write", "--format=json"]);
    a.assert_code(0);
    assert_eq!(a.stdout, b.stdout);
    let a = jail(&["explain", "--per-syscall", "-syscall-allow=read", "-q"]);
    let b = jail(&["explain", "-q", "-syscall-allow=read", "--per-syscall"]);
    a.assert_code(0);
    assert_eq!(a.stdout, b.stdout);
    // an operand a tool does not take is still refused
    let r = jail(&["compile", "stray", "-syscall-allow=read"]);
    r.assert_code(125);
    assert!(r.stderr.contains("stray"), "{}", r.stderr);
}
