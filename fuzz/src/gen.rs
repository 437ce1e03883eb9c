//! Decoders from libFuzzer's bytes (through `arbitrary::Unstructured`) to
//! the structured inputs of [`crate::checks`]: policy specs, profiles as
//! JSON values, command-line lists. Choices are biased towards what the
//! code under test distinguishes (known names, boundary constants, every
//! operator and action) while still reaching the error paths.

use arbitrary::{Result, Unstructured};
use bpf_asm::{Arch, SeccompData};
use policy::profile::{scmp_arch_name, Context, CAP_NAMES};
use policy::{
    Action, ArgIndex, CmpOp, CompileOptions, Condition, Mode, PolicySpec, Rule, SyscallTable,
    SyscallWeights, Weighting,
};
use serde_json::{json, Map, Value};

use crate::cli_checks::ListCase;

/// Syscalls whose arguments mix 16-, 32- and 64-bit widths on some arch,
/// and the kernel campaign's argument-free ones.
pub const MIXED: [&str; 20] = [
    "ioctl",
    "socket",
    "personality",
    "clone",
    "mmap",
    "read",
    "openat",
    "mkdir",
    "futex",
    "prctl",
    "kill",
    "fcntl",
    "setuid",
    "mprotect",
    "chmod",
    "mmap2",
    "getppid",
    "getuid",
    "getuid32",
    "setuid32",
];

/// Constants where comparisons change their verdict.
pub const EDGES: [u64; 14] = [
    0,
    1,
    2,
    0x5412,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_5412,
    0x8000_0000_0000_0000,
    0xffff_ffff_ffff_fffe,
    u64::MAX,
];

/// Every syscall name of every supported arch, once.
pub use policy::table::all_names;

fn pick<T: Copy>(u: &mut Unstructured, items: &[T]) -> Result<T> {
    Ok(*u.choose(items)?)
}

/// A syscall name: mostly one with interesting arguments, sometimes any
/// known name, rarely arbitrary text (unknown names are typed errors).
pub fn name(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=15u8)? {
        0..=10 => pick(u, &MIXED)?.to_string(),
        11..=14 => pick(u, all_names())?.to_string(),
        _ => u.arbitrary::<String>()?,
    })
}

pub fn value(u: &mut Unstructured) -> Result<u64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0..=3 => pick(u, &EDGES)?,
        4 => u64::from(u.arbitrary::<u32>()?),
        5 => pick(u, &EDGES)?.wrapping_add(u64::from(u.int_in_range(0..=2u8)?)) ^ 1,
        _ => u.arbitrary::<u64>()?,
    })
}

pub fn op(u: &mut Unstructured) -> Result<CmpOp> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => CmpOp::Ne,
        1 => CmpOp::Lt,
        2 => CmpOp::Le,
        3 => CmpOp::Eq,
        4 => CmpOp::Ge,
        5 => CmpOp::Gt,
        6 => CmpOp::MaskedEq(value(u)?),
        _ => CmpOp::MaskedEq(1 << u.int_in_range(0..=63u32)?),
    })
}

/// Every action, with arbitrary 16-bit data (errno values above 4095 too).
pub fn action(u: &mut Unstructured) -> Result<Action> {
    Ok(match u.int_in_range(0..=9u8)? {
        0..=2 => Action::Allow,
        3 => Action::Errno(u.int_in_range(1..=40)?),
        4 => Action::Errno(u.arbitrary()?),
        5 => Action::KillProcess,
        6 => Action::KillThread,
        7 => Action::Trap(u.arbitrary()?),
        8 => pick(u, &[Action::Log, Action::UserNotif])?,
        _ => Action::Trace(u.arbitrary()?),
    })
}

pub fn condition(u: &mut Unstructured) -> Result<Condition> {
    let arg = if u.ratio(1, 64)? {
        // an index above 5 cannot make a condition; the input goes on with
        // the index it wraps to
        let bad: u8 = u.int_in_range(6..=255)?;
        assert!(ArgIndex::new(bad).is_err(), "args[{bad}] refused");
        ArgIndex::ALL[usize::from(bad % 6)]
    } else {
        ArgIndex::ALL[usize::from(u.int_in_range(0..=5u8)?)]
    };
    Ok(Condition::new(arg, op(u)?, value(u)?))
}

pub fn rule(u: &mut Unstructured) -> Result<Rule> {
    let name = name(u)?;
    let action = action(u)?;
    let n = u.int_in_range(0..=4)?;
    let conditions = (0..n).map(|_| condition(u)).collect::<Result<_>>()?;
    Ok(Rule::when(name, action, conditions))
}

pub fn arches(u: &mut Unstructured) -> Result<Vec<Arch>> {
    if u.ratio(1, 64)? {
        return Ok(Vec::new());
    }
    let n = u.int_in_range(1..=5)?;
    (0..n).map(|_| pick(u, &Arch::ALL)).collect()
}

/// A policy spec with every part fuzzed.
pub fn spec(u: &mut Unstructured) -> Result<PolicySpec> {
    let mode = if u.arbitrary()? {
        Mode::DenyList
    } else {
        Mode::AllowList
    };
    let n = u.int_in_range(0..=40)?;
    let names = (0..n).map(|_| name(u)).collect::<Result<_>>()?;
    let n = u.int_in_range(0..=16)?;
    let rules = (0..n).map(|_| rule(u)).collect::<Result<_>>()?;
    Ok(PolicySpec {
        mode,
        names,
        rules,
        deny_action: action(u)?,
        arches: arches(u)?,
        enosys_fallback: u.arbitrary()?,
    })
}

pub fn options(u: &mut Unstructured) -> Result<CompileOptions> {
    Ok(CompileOptions {
        weights: if u.ratio(1, 4)? {
            Some(SyscallWeights::empty())
        } else {
            None
        },
        weighting: if u.arbitrary()? {
            Weighting::CacheAware
        } else {
            Weighting::Frequency
        },
        max_depth_slack: u.int_in_range(0..=4)?,
        size_penalty: f64::from(u.int_in_range(0u32..=4096)?) / 1024.0,
    })
}

/// Inputs to evaluate besides the boundary ones: numbers of the spec's
/// names on its arches (or arbitrary), arbitrary arguments.
pub fn probes(u: &mut Unstructured, spec: &PolicySpec) -> Result<Vec<SeccompData>> {
    let n = u.int_in_range(0..=16)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let arch = if !spec.arches.is_empty() && u.ratio(7, 8)? {
            pick(u, &spec.arches)?
        } else {
            pick(u, &Arch::ALL)?
        };
        let named = spec.rules.iter().map(|r| r.name.as_str());
        let named: Vec<&str> = spec.names.iter().map(String::as_str).chain(named).collect();
        let nr = match named.is_empty() || u.ratio(1, 4)? {
            true => u.arbitrary()?,
            false => SyscallTable::lookup(arch, pick(u, &named)?).unwrap_or(0),
        };
        let args = [(); 6].map(|_| value(u).unwrap_or(0));
        out.push(SeccompData {
            nr,
            arch: if u.ratio(1, 16)? {
                u.arbitrary()?
            } else {
                arch.audit()
            },
            instruction_pointer: u.arbitrary()?,
            args,
        });
    }
    Ok(out)
}

/// A translation context: granted capabilities, native arch, kernel.
pub fn context(u: &mut Unstructured) -> Result<Context> {
    Ok(Context {
        caps: u.arbitrary()?,
        arch: pick(u, &Arch::ALL)?,
        kernel: (u.int_in_range(2..=7)?, u.int_in_range(0..=20)?),
    })
}

const PROFILE_ACTIONS: [&str; 11] = [
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
    "SCMP_ACT_ALLOW ",
    "scmp_act_allow",
];

const PROFILE_OPS: [&str; 8] = [
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
    "SCMP_CMP_XX",
];

const MOBY_ARCHES: [&str; 7] = ["amd64", "x86", "arm64", "arm", "riscv64", "s390x", "x32"];

const FLAGS: [&str; 5] = [
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    "SECCOMP_FILTER_FLAG_NEW_LISTENER",
];

fn text_from(u: &mut Unstructured, choices: &[&str]) -> Result<Value> {
    Ok(if u.ratio(1, 32)? {
        Value::String(u.arbitrary()?)
    } else {
        Value::String(pick(u, choices)?.to_string())
    })
}

fn list<F>(u: &mut Unstructured, max: usize, mut item: F) -> Result<Value>
where
    F: FnMut(&mut Unstructured) -> Result<Value>,
{
    let n = u.int_in_range(0..=max)?;
    Ok(Value::Array(
        (0..n).map(|_| item(u)).collect::<Result<_>>()?,
    ))
}

/// Sets `key` in `obj` half the time (sometimes to `null`).
fn maybe(
    u: &mut Unstructured,
    obj: &mut Map<String, Value>,
    key: &str,
    v: impl FnOnce(&mut Unstructured) -> Result<Value>,
) -> Result<()> {
    match u.int_in_range(0..=15u8)? {
        0..=6 => {}
        7 => {
            obj.insert(key.to_string(), Value::Null);
        }
        _ => {
            obj.insert(key.to_string(), v(u)?);
        }
    }
    Ok(())
}

/// An errno field: mostly in range, sometimes not a valid `u16`.
fn errno_value(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => json!(-1),
        1 => json!(65536),
        2 => json!("EPERM"),
        _ => json!(u.int_in_range(0..=4096u16)?),
    })
}

fn arch_name(u: &mut Unstructured) -> Result<Value> {
    if u.ratio(1, 8)? {
        return Ok(json!(pick(
            u,
            &["SCMP_ARCH_X32", "SCMP_ARCH_S390X", "SCMP_ARCH_MIPS"]
        )?));
    }
    Ok(json!(scmp_arch_name(pick(u, &Arch::ALL)?)))
}

fn cap_name(u: &mut Unstructured) -> Result<Value> {
    if u.ratio(1, 16)? {
        return Ok(json!("CAP_NOPE"));
    }
    Ok(json!(pick(u, &CAP_NAMES)?))
}

fn filter(u: &mut Unstructured) -> Result<Value> {
    let mut obj = Map::new();
    maybe(u, &mut obj, "caps", |u| list(u, 3, cap_name))?;
    maybe(u, &mut obj, "arches", |u| {
        list(u, 3, |u| text_from(u, &MOBY_ARCHES))
    })?;
    maybe(u, &mut obj, "minKernel", |u| {
        Ok(match u.int_in_range(0..=7u8)? {
            0 => Value::String(u.arbitrary()?),
            1 => json!(4),
            _ => json!(format!(
                "{}.{}",
                u.int_in_range(2..=7u8)?,
                u.int_in_range(0..=20u8)?
            )),
        })
    })?;
    Ok(Value::Object(obj))
}

fn arg(u: &mut Unstructured) -> Result<Value> {
    let mut obj = Map::new();
    let index = if u.ratio(1, 32)? {
        u.int_in_range(6..=1000u32)?
    } else {
        u.int_in_range(0..=5u32)?
    };
    obj.insert("index".into(), json!(index));
    obj.insert("value".into(), json!(value(u)?));
    maybe(u, &mut obj, "valueTwo", |u| Ok(json!(value(u)?)))?;
    obj.insert("op".into(), text_from(u, &PROFILE_OPS)?);
    Ok(Value::Object(obj))
}

fn syscall_entry(u: &mut Unstructured) -> Result<Value> {
    let mut obj = Map::new();
    maybe(u, &mut obj, "names", |u| {
        list(u, 4, |u| Ok(json!(name(u)?)))
    })?;
    if u.ratio(1, 4)? {
        obj.insert("name".into(), json!(name(u)?));
    }
    if !u.ratio(1, 64)? {
        obj.insert("action".into(), text_from(u, &PROFILE_ACTIONS)?);
    }
    maybe(u, &mut obj, "errnoRet", errno_value)?;
    maybe(u, &mut obj, "args", |u| list(u, 4, arg))?;
    if u.ratio(1, 4)? {
        obj.insert("includes".into(), filter(u)?);
    }
    if u.ratio(1, 4)? {
        obj.insert("excludes".into(), filter(u)?);
    }
    if u.ratio(1, 8)? {
        obj.insert("comment".into(), Value::String(u.arbitrary()?));
    }
    Ok(Value::Object(obj))
}

/// A Docker/OCI seccomp profile as JSON, every field optional, with
/// wrong types, unknown values and extra fields now and then.
pub fn profile(u: &mut Unstructured) -> Result<Value> {
    let mut obj = Map::new();
    if !u.ratio(1, 64)? {
        obj.insert("defaultAction".into(), text_from(u, &PROFILE_ACTIONS)?);
    }
    maybe(u, &mut obj, "defaultErrnoRet", errno_value)?;
    maybe(u, &mut obj, "architectures", |u| list(u, 4, arch_name))?;
    if u.ratio(1, 6)? {
        obj.insert(
            "archMap".into(),
            list(u, 3, |u| {
                let mut m = Map::new();
                m.insert("architecture".into(), arch_name(u)?);
                maybe(u, &mut m, "subArchitectures", |u| list(u, 3, arch_name))?;
                Ok(Value::Object(m))
            })?,
        );
    }
    obj.insert("syscalls".into(), list(u, 12, syscall_entry)?);
    if u.ratio(1, 16)? {
        obj.insert("flags".into(), list(u, 2, |u| Ok(json!(pick(u, &FLAGS)?)))?);
    }
    if u.ratio(1, 64)? {
        obj.insert("listenerPath".into(), json!("/run/agent.sock"));
    }
    if u.ratio(1, 64)? {
        obj.insert(u.arbitrary::<String>()?, json!(1));
    }
    Ok(Value::Object(obj))
}

/// One list item as the user might type it.
fn list_item(u: &mut Unstructured) -> Result<String> {
    let body = match u.int_in_range(0..=9u8)? {
        0..=3 => pick(u, all_names())?.to_string(),
        4..=6 => u.choose(policy::groups::all())?.name.to_string(),
        7 => format!("@{}", name(u)?),
        _ => u.arbitrary::<String>()?,
    };
    let prefix = match u.int_in_range(0..=7u8)? {
        0 | 1 => "-",
        2 => "- ",
        _ => "",
    };
    let pad = if u.ratio(1, 8)? { " " } else { "" };
    Ok(format!("{pad}{prefix}{body}{pad}"))
}

fn cap_item(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=7u8)? {
        0..=2 => pick(u, &CAP_NAMES)?.to_string(),
        3 => pick(u, &CAP_NAMES)?.to_ascii_lowercase(),
        4 => pick(u, &CAP_NAMES)?[4..].to_string(),
        5 => format!(" {} ", pick(u, &CAP_NAMES)?),
        _ => u.arbitrary::<String>()?,
    })
}

/// A [`ListCase`].
pub fn list_case(u: &mut Unstructured) -> Result<ListCase> {
    let n = u.int_in_range(0..=12)?;
    let items = (0..n).map(|_| list_item(u)).collect::<Result<_>>()?;
    let arches = if u.ratio(1, 4)? {
        Vec::new()
    } else {
        self::arches(u)?
    };
    let n = u.int_in_range(0..=5)?;
    let caps: Vec<String> = (0..n).map(|_| cap_item(u)).collect::<Result<_>>()?;
    let n = u.int_in_range(1..=3)?;
    let arch_list: Vec<String> = (0..n)
        .map(|_| {
            Ok(match u.int_in_range(0..=3u8)? {
                0 => format!("{:#x}", pick(u, &Arch::ALL)?.audit()),
                1 => u.arbitrary::<String>()?,
                _ => pick(u, &Arch::ALL)?.name().to_string(),
            })
        })
        .collect::<Result<_>>()?;
    let errno = match u.int_in_range(0..=3u8)? {
        0 => u.int_in_range(0..=5000u32)?.to_string(),
        1 => format!("{:#x}", u.int_in_range(0..=5000u32)?),
        2 => pick(u, &["EPERM", "enosys", "EWOULDBLOCK", "EAGAIN", "E2BIG"])?.to_string(),
        _ => u.arbitrary::<String>()?,
    };
    Ok(ListCase {
        items,
        arches,
        caps: caps.join(","),
        arch_list: arch_list.join(","),
        errno,
    })
}
