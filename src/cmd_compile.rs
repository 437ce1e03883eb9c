//! `go-jail compile`: a policy to BPF, with `--dump` to see what it costs.

use std::fmt::Write as _;
use std::io::IsTerminal;

use bpf_asm::Program;

use crate::args::{CompileArgs, OutputFormat};
use crate::fail::Failure;
use crate::policy_input::{Compiled, PolicyInput};
use crate::{disasm, output, syscall_names};

pub fn compile(a: &CompileArgs) -> Result<i32, Failure> {
    let caps = match &a.caps {
        Some(list) => {
            Some(crate::caps::parse_list(list).map_err(|e| Failure::input(e.to_string()))?)
        }
        None => None,
    };
    let input = PolicyInput::new(&a.policy, None, caps)?;
    let landlock = crate::landlock::shown(&a.landlock, a.policy.no_net, a.policy.no_unix)?;
    let (mut spec, notes) = match input.spec_with_notes() {
        Some(found) => found,
        None if a.tty_guard => (input.empty_deny_list(), Vec::new()),
        None if a.dump && !landlock.is_empty() => {
            // Landlock options alone: their rules, no filter
            landlock.iter().for_each(|l| println!("; {l}"));
            return Ok(0);
        }
        None => return Err(Failure::input(
            "compile needs -syscall-allow=LIST, -syscall-deny=LIST, --seccomp-profile FILE, --oci-config FILE, --no-userns, --no-net, --no-unix or --tty-guard (Landlock options alone: --dump shows their rules)".into(),
        )),
    };
    if a.tty_guard {
        // first, as in the run mode: a profile's conditional ioctl ALLOW
        // must not answer TIOCSTI before it
        policy::add_guards(&mut spec, &policy::tty_guard_rules());
    }
    let notes: Vec<String> = (notes.iter().map(|n| format!("profile: {n}")))
        .chain(guard_notes(a))
        .chain(landlock)
        .collect();
    let compiled = input.compile(spec, a.quiet)?;
    let format = a
        .format
        .unwrap_or(if a.output.is_some() || !std::io::stdout().is_terminal() {
            if a.dump {
                OutputFormat::Asm
            } else {
                OutputFormat::Raw
            }
        } else {
            OutputFormat::Asm
        });
    if a.dump {
        let mut dump = dump(&compiled)?;
        // how a seccomp profile was read (skipped names, runc's OR rules…)
        // and the guards added to it
        let notes: String = notes.iter().map(|n| format!("; {n}\n")).collect();
        dump.insert_str(0, &notes);
        if a.output.is_some() {
            print!("{dump}");
        } else {
            eprint!("{dump}");
        }
        if a.output.is_none() && a.format.is_none() {
            return Ok(0);
        }
    }
    let bytes = render(&compiled.program, format);
    output::write_bytes(a.output.as_deref(), &bytes)?;
    Ok(0)
}

/// What `--dump` says about the guards in the program.
fn guard_notes(a: &CompileArgs) -> Vec<String> {
    let mut notes = Vec::new();
    if a.tty_guard {
        notes.push("guard (--tty-guard): ioctl TIOCSTI/TIOCLINUX -> EPERM, before the policy's ioctl rules".into());
    }
    if a.policy.no_userns {
        notes.push("guard (--no-userns): unshare/clone with CLONE_NEWUSER, setns with CLONE_NEWUSER or 0 -> EPERM; clone3 -> ENOSYS".into());
    }
    if a.policy.no_net {
        notes.push("guard (--no-net): socket/socketpair of any family but AF_UNIX (low 32 bits) -> EACCES; i386 socketcall SOCKET/SOCKETPAIR -> EACCES".into());
    }
    if a.policy.no_unix {
        notes.push("guard (--no-unix): socket(AF_UNIX) -> EACCES (socketpair stays); i386 socketcall SOCKET -> EACCES".into());
    }
    notes
}

fn render(prog: &Program, format: OutputFormat) -> Vec<u8> {
    match format {
        OutputFormat::Raw => prog.to_bytes(),
        OutputFormat::Asm => disasm::disassemble(prog, Some(bpf_asm::Arch::native())).into_bytes(),
        OutputFormat::C => {
            let mut s = format!(
                "/* go-jail seccomp filter, {} instructions */\n",
                prog.len()
            );
            s.push_str("struct sock_filter filter[] = {\n");
            for i in &prog.insns {
                let _ = writeln!(
                    s,
                    "\t{{ {:#06x}, {}, {}, {:#010x} }},",
                    i.code, i.jt, i.jf, i.k
                );
            }
            s.push_str("};\n");
            s.into_bytes()
        }
        OutputFormat::Json => {
            let insns: Vec<serde_json::Value> = prog
                .insns
                .iter()
                .map(|i| serde_json::json!({"code": i.code, "jt": i.jt, "jf": i.jf, "k": i.k}))
                .collect();
            let mut s = serde_json::Value::Array(insns).to_string();
            s.push('\n');
            s.into_bytes()
        }
    }
}

/// The annotated disassembly and a summary of the program's costs.
fn dump(c: &Compiled) -> Result<String, Failure> {
    let mut out = String::new();
    for arch_policy in c.policy.arches() {
        let _ = writeln!(out, "; policy for {}", arch_policy.arch().name());
    }
    // what a deny-list denied beyond its names (policy::twins)
    for arch_policy in c.policy.arches() {
        for t in arch_policy.twins() {
            let _ = writeln!(
                out,
                "; {}: {} denied also as {} (twin)",
                arch_policy.arch().name(),
                t.name,
                t.twin
            );
        }
    }
    let hot = c.policy.arches().first().map(|p| p.arch());
    out.push_str(&disasm::disassemble(&c.program, hot));
    let stats = policy::stats(
        &c.program,
        &c.policy,
        c.weights
            .as_ref()
            .unwrap_or_else(|| policy::SyscallWeights::builtin()),
    )
    .map_err(|e| {
        Failure::input(format!(
            "internal error: compiled program does not run: {e}"
        ))
    })?;
    let _ = writeln!(out, ";");
    let _ = writeln!(out, "; {} instructions", stats.insns);
    for s in &stats.arches {
        let _ = writeln!(
            out,
            "; {}: {} runs; executed instructions: worst {}, mean {:.2} over the table, {:.2} frequency-weighted ({:.2} with the kernel's action cache)",
            s.arch.name(),
            s.runs,
            s.worst_executed,
            s.mean_executed,
            s.weighted_executed,
            s.weighted_cached
        );
        let cached: Vec<String> = s
            .cached
            .iter()
            .map(|&nr| syscall_names::syscall_name(s.arch, nr).unwrap_or_else(|| nr.to_string()))
            .collect();
        let _ = writeln!(
            out,
            "; {}: {} syscall numbers served by the kernel's action cache: {}",
            s.arch.name(),
            cached.len(),
            summarize(&cached)
        );
    }
    Ok(out)
}

/// A long list shortened for a summary line.
fn summarize(items: &[String]) -> String {
    if items.len() <= 40 {
        items.join(",")
    } else {
        format!("{},… ({} more)", items[..40].join(","), items.len() - 40)
    }
}
